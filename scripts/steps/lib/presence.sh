# shellcheck shell=bash
# Sourced by the refresh checks of the sign, verify and attest steps (lib/signing/cosign.ts). cosign 3 keeps
# a digest's signatures and attestations together (an OCI referrer each; on a registry without the referrers
# API, in the index tagged `sha256-HEX`); `cosign download attestation --predicate-type` finds them by kind,
# and names cosign 2's `.att` tags too. A cosign 2 signature (`.sig`) is not a statement: an image signed
# before cosign 3 is signed again once, the new way.
# shellcheck source-path=SCRIPTDIR source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"

# check_presence MADE SCOPE: one line for each digest of IMAGE_REF in SCOPE (index | platform: PLATFORM's
# manifest | every: the index and each platform manifest) on which the registry holds no MADE (signature |
# provenance | sbom); nothing when the image itself is gone (the stamp's check rebuilds it, and the new
# digest runs the step again). A registry that cannot answer fails the check, never "missing".
check_presence() {
  local made=$1 scope=$2 type got list r p
  case "$made" in
    signature) type=https://sigstore.dev/cosign/sign/v1 ;;
    provenance) type=slsaprovenance1 ;;
    sbom) type=spdxjson ;;
    *) echo "check_presence: unknown kind $made" >&2; return 2 ;;
  esac
  got=$(resolve "$IMAGE_REF")
  [ -n "$got" ] || return 0
  case "$scope" in
    index) missing "$IMAGE_REF" ;;
    platform) missing "$(platform_ref "$IMAGE_REF" "$PLATFORM")" ;;
    every)
      missing "$IMAGE_REF"
      list=$(manifests "$IMAGE_REF")
      while IFS=" " read -r r p; do
        [ "$p" = "-" ] || missing "$r"
      done <<<"$list"
      ;;
    *) echo "check_presence: unknown scope $scope" >&2; return 2 ;;
  esac
}

missing() {
  local out
  if out=$(cosign download attestation --predicate-type "$type" "$1" 2>&1 >/dev/null); then return 0; fi
  case "$out" in *"no attestations with predicate type"*) echo "the registry holds no $made of $1"; return 0 ;; esac
  echo "cannot tell whether the registry holds a $made of $1: $(printf '%s\n' "$out" | grep -v '^$' | tail -n 1)" >&2
  return 1
}
