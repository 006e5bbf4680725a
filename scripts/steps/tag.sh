#!/usr/bin/env bash
# The tag step (lib/build/tag-command.ts): gives the pushed index IMAGE_REF (= REPO@DIGEST) every tag in TAGS
# (one per line), refusing to move PINNED_TAG, the timestamped tag, when it names other content. Prints DIGEST
# once every tag resolves to it. `imagetools create` with one source and no annotations pushes the index
# unchanged (same digest).
set -eu
# shellcheck source=lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.sh"
case "$IMAGE_REF" in *@"$DIGEST") ;; *) echo "tag: IMAGE_REF $IMAGE_REF does not name DIGEST $DIGEST" >&2; exit 2 ;; esac
[ -n "$PINNED_TAG" ] || { echo "tag: PINNED_TAG is empty" >&2; exit 2; }
got=$(resolve "$PINNED_TAG" 2>&1) || { echo "tag: $got" >&2; exit 1; }
if [ -n "$got" ] && [ "$got" != "$DIGEST" ]; then
  echo "tag: $PINNED_TAG already names $got, and this build is $DIGEST; a timestamped tag never moves to other content, so nothing was tagged. Bump postgres-images:rebuildEpoch to give the cell a new build time." >&2
  exit 1
fi
while IFS= read -r tag; do
  [ -n "$tag" ] || continue
  retry docker buildx imagetools create --prefer-index=false --tag "$tag" "$IMAGE_REF" </dev/null >&2 || { echo "tag: pushing $tag failed 3 times" >&2; exit 1; }
  got=$(resolve "$tag")
  [ "$got" = "$DIGEST" ] || { echo "tag: $tag resolves to ${got:-nothing}, not $DIGEST" >&2; exit 1; }
done <<<"$TAGS"
printf '%s\n' "$DIGEST"
