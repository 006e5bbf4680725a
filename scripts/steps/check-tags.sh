#!/usr/bin/env bash
# The tag and promote steps' refresh check, same environment (IMAGE_REF, DIGEST, TAGS): one line for each way
# the registry no longer agrees with the step (the image deleted, a tag missing, a tag naming other content),
# nothing when it does. The step then runs again, which points the rolling tags back at DIGEST and refuses
# a timestamped tag that names other content.
set -eu
# shellcheck source=lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.sh"
got=$(resolve "$IMAGE_REF")
if [ -z "$got" ]; then echo "$IMAGE_REF is not in the registry any more"; exit 0; fi
while IFS= read -r tag; do
  [ -n "$tag" ] || continue
  got=$(resolve "$tag")
  if [ -z "$got" ]; then echo "$tag is missing"; elif [ "$got" != "$DIGEST" ]; then echo "$tag names $got, not $DIGEST"; fi
done <<<"$TAGS"
