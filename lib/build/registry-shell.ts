/**
 * Bash text shared by the steps that ask the registry about a manifest: how `docker buildx imagetools`
 * says "no such manifest", and a `resolve` function built on it. Fixed text; references arrive as
 * arguments that the scripts take from their environment, quoted.
 */

/** Registry answers that mean "no such tag or manifest", as `docker buildx imagetools` words them (a bash `case` pattern). */
export const NOT_FOUND_PATTERN = '*"not found"*|*"NOT_FOUND"*|*"manifest unknown"*|*"MANIFEST_UNKNOWN"*';

/**
 * `resolve REF` (a tag, or `REPO@sha256:…`): prints the digest REF names, or nothing when the registry
 * has no such manifest; status 1 with the registry's answer on stderr when it cannot tell.
 */
export const RESOLVE_FUNCTION = [
  "resolve() {",
  '  local e out err; e=$(mktemp)',
  `  if out=$(docker buildx imagetools inspect "$1" --format '{{json .Manifest.Digest}}' 2>"$e" </dev/null); then rm -f "$e"; printf '%s' "$out" | tr -d '"[:space:]'; return 0; fi`,
  '  err=$(cat "$e"); rm -f "$e"',
  `  case "$err" in ${NOT_FOUND_PATTERN}) return 0 ;; esac`,
  '  echo "cannot tell whether $1 exists: $err" >&2; return 1',
  "}",
].join("\n");

/** Lists an index's platform manifests from `imagetools inspect --raw` on stdin (node: the program's own runtime; no jq needed). */
const MANIFESTS_JS = [
  "const ref = process.argv[1];",
  'const m = JSON.parse(require("fs").readFileSync(0, "utf8"));',
  'const repo = ref.includes("@") ? ref.slice(0, ref.indexOf("@")) : ref.slice(0, ref.lastIndexOf(":"));',
  'if (!Array.isArray(m.manifests)) { console.log(ref + " -"); process.exit(0); }',
  "for (const d of m.manifests) {",
  "  const p = d.platform;",
  '  if (!p || p.os === "unknown") continue;',
  '  console.log(repo + "@" + d.digest + " " + p.os + "/" + p.architecture + (p.variant ? "/" + p.variant : ""));',
  "}",
].join("\n");

/**
 * `manifests REF`: one line per platform manifest of the index REF names, `REPO@sha256:… OS/ARCH[/VARIANT]`
 * (attestation manifests, platform unknown, left out); a single-platform image that is one manifest, not
 * an index, gives `REF -`. `platform_ref REF PLATFORM`: the line's reference for PLATFORM (REF itself for
 * a single manifest); status 1 with a line on stderr when the registry cannot answer or has no such platform.
 */
export const MANIFESTS_FUNCTION = [
  "manifests() {",
  "  local raw",
  '  raw=$(docker buildx imagetools inspect "$1" --raw </dev/null) || { echo "cannot read the manifest of $1" >&2; return 1; }',
  `  printf '%s' "$raw" | node -e '${MANIFESTS_JS}' "$1"`,
  "}",
  "platform_ref() {",
  "  local list",
  '  list=$(manifests "$1") || return 1',
  '  while IFS=" " read -r r p; do',
  '    if [ "$p" = "$2" ] || [ "$p" = "-" ]; then printf \'%s\\n\' "$r"; return 0; fi',
  "  done <<EOF",
  "$list",
  "EOF",
  '  echo "$1 has no $2 manifest" >&2; return 1',
  "}",
].join("\n");
