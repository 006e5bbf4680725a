# shellcheck shell=bash
# Sourced by the step scripts that ask the registry about a manifest, through `docker buildx imagetools`.
# References arrive as arguments, quoted; nothing here reads configuration.

# not_found TEXT: status 0 when TEXT is how `imagetools` says "no such tag or manifest".
not_found() {
  case "$1" in *"not found"* | *"NOT_FOUND"* | *"manifest unknown"* | *"MANIFEST_UNKNOWN"*) return 0 ;; esac
  return 1
}

# resolve REF (a tag, or REPO@sha256:…): prints the digest REF names, or nothing when the registry has no
# such manifest; status 1 with the registry's answer on stderr when it cannot tell.
resolve() {
  local e out err
  e=$(mktemp)
  if out=$(docker buildx imagetools inspect "$1" --format '{{json .Manifest.Digest}}' 2>"$e" </dev/null); then
    rm -f "$e"
    printf '%s' "$out" | tr -d '"[:space:]'
    return 0
  fi
  err=$(cat "$e")
  rm -f "$e"
  not_found "$err" && return 0
  echo "cannot tell whether $1 exists: $err" >&2
  return 1
}

# manifests REF: one line per platform manifest of the index REF names, `REPO@sha256:… OS/ARCH[/VARIANT]`
# (attestation manifests, platform unknown, left out); a single-platform image that is one manifest, not an
# index, gives `REF -`. node is the program's own runtime: no jq needed.
manifests() {
  local raw
  raw=$(docker buildx imagetools inspect "$1" --raw </dev/null) || { echo "cannot read the manifest of $1" >&2; return 1; }
  # shellcheck disable=SC2016 # JavaScript, not shell
  printf '%s' "$raw" | node -e '
const ref = process.argv[1];
const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
const repo = ref.includes("@") ? ref.slice(0, ref.indexOf("@")) : ref.slice(0, ref.lastIndexOf(":"));
if (!Array.isArray(m.manifests)) { console.log(ref + " -"); process.exit(0); }
for (const d of m.manifests) {
  const p = d.platform;
  if (!p || p.os === "unknown") continue;
  console.log(repo + "@" + d.digest + " " + p.os + "/" + p.architecture + (p.variant ? "/" + p.variant : ""));
}' "$1"
}

# platform_ref REF PLATFORM: the reference of PLATFORM's manifest in REF (REF itself for a single manifest);
# status 1 with a line on stderr when the registry cannot answer or has no such platform.
platform_ref() {
  local list r p
  list=$(manifests "$1") || return 1
  while IFS=" " read -r r p; do
    if [ "$p" = "$2" ] || [ "$p" = "-" ]; then printf '%s\n' "$r"; return 0; fi
  done <<<"$list"
  echo "$1 has no $2 manifest" >&2
  return 1
}

# retry COMMAND…: up to three attempts, two seconds apart. Registries fail now and then under concurrent
# pushes (the local one answered HEAD with 500 while a tag link was written); every use is idempotent.
retry() {
  local n=1
  until "$@"; do
    [ "$n" -lt 3 ] || return 1
    n=$((n + 1))
    sleep 2
  done
}
