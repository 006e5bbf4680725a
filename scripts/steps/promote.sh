#!/usr/bin/env bash
# Promotion of one cell (lib/signing/cosign.ts promoteCommand). First the checks, each failing with one line
# and nothing copied: SOURCE_REF (the testing image, = TESTING_REPO@DIGEST) is in the registry, `cosign
# verify` passes for it against the testing signer (lib/cosign.sh verify_flags), and PINNED_TAG (the
# production timestamped tag) does not already name other content. Then the index under every production
# tag in TAGS (one per line), with `imagetools create --prefer-index=false` (one source, no annotations: a
# carbon copy, so a single-platform image stays one manifest); then a check that every tag resolves to
# exactly DIGEST, which it prints. Production signs and attests it itself afterwards.
set -eu
# shellcheck source=lib/cosign.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cosign.sh"
# shellcheck source=lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.sh"
case "$SOURCE_REF" in *@"$DIGEST") ;; *) echo "promote: SOURCE_REF $SOURCE_REF does not name DIGEST $DIGEST" >&2; exit 2 ;; esac
[ -n "$TAGS" ] || { echo "promote: TAGS is empty" >&2; exit 2; }
verify_flags ""
# Trust nothing unchecked: the testing image must still be there, signed by the testing signer.
got=$(resolve "$SOURCE_REF")
[ -n "$got" ] || { echo "promote: the testing image $SOURCE_REF is not in the registry (deleted?); nothing was copied. Build the cell again in testing (npm run up / pulumi up --refresh there), then promote" >&2; exit 1; }
if ! out=$(cosign verify "${VERIFY[@]}" "$SOURCE_REF" 2>&1 >/dev/null); then echo "promote: $SOURCE_REF is not signed by the testing signer, so nothing was copied: $(printf '%s\n' "$out" | grep -v '^$' | tail -n 1)" >&2; exit 1; fi
# A production timestamped tag names one build: never moved to other content.
if [ -n "${PINNED_TAG:-}" ]; then
  got=$(resolve "$PINNED_TAG")
  if [ -n "$got" ] && [ "$got" != "$DIGEST" ]; then echo "promote: $PINNED_TAG already names $got, and the testing image is $DIGEST; a timestamped tag never moves to other content, so nothing was copied" >&2; exit 1; fi
fi
pushed=0
while IFS= read -r tag; do
  [ -n "$tag" ] || continue
  retry docker buildx imagetools create --prefer-index=false --tag "$tag" "$SOURCE_REF" </dev/null >&2 || { echo "promote: pushing $tag failed 3 times" >&2; exit 1; }
  pushed=$((pushed + 1))
done <<<"$TAGS"
[ "$pushed" -gt 0 ] || { echo "promote: TAGS has no tag" >&2; exit 2; }
while IFS= read -r tag; do
  [ -n "$tag" ] || continue
  got="$(docker buildx imagetools inspect "$tag" --format '{{json .Manifest.Digest}}' </dev/null | tr -d '"[:space:]')"
  if [ "$got" != "$DIGEST" ]; then echo "promote: $tag resolves to ${got:-nothing}, not $DIGEST (copied from $SOURCE_REF)" >&2; exit 1; fi
done <<<"$TAGS"
printf '%s\n' "$DIGEST"
