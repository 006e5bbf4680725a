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
