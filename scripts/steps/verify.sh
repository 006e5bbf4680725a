#!/usr/bin/env bash
# `cosign verify` of IMAGE_REF and of every platform manifest in it (not BuildKit's attestation manifests)
# against the verification policy (lib/cosign.sh verify_flags). The exit status is the answer.
set -eu
# shellcheck source=lib/cosign.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cosign.sh"
# shellcheck source=lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.sh"
verify_flags ""
cosign verify "${VERIFY[@]}" "$IMAGE_REF" >/dev/null
list=$(manifests "$IMAGE_REF")
while IFS=" " read -r r p; do
  [ "$p" = "-" ] && continue
  cosign verify "${VERIFY[@]}" "$r" >/dev/null || { echo "verify: the $p manifest $r of $IMAGE_REF does not verify" >&2; exit 1; }
done <<<"$list"
