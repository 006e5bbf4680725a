#!/usr/bin/env bash
# The stamp step (lib/build/stamp-command.ts): prints a cell's build time, whose minute names its timestamped
# tag, never a minute whose tag already exists; then, on a second line, STAMP_REVISION.
# Environment: STAMP_TAG_PREFIX, STAMP_TAG_SUFFIX, STAMP_REVISION; STEP_STDOUT (the lost build's record)
# when run again after the registry lost the build; STAMP_SLEEP (tests). GNU date.
set -eu
# shellcheck source=lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.sh"
RETRIES=2 # later minutes tried after the first one's tag was found taken (STAMP_RETRIES)

command -v docker >/dev/null 2>&1 || { echo "stamp: docker is not on PATH; the stamp command needs it (docker buildx imagetools) to check that this minute's timestamped tag is not taken yet" >&2; exit 1; }
: "${STAMP_TAG_PREFIX:?stamp: STAMP_TAG_PREFIX is not set}" "${STAMP_TAG_SUFFIX:?stamp: STAMP_TAG_SUFFIX is not set}"
now=$(date -u +%s)
# Run again after the registry lost this cell's image: never the lost build's minute, whose timestamped tag
# someone may still have pinned.
if [ -n "${STEP_STDOUT:-}" ]; then
  prev=$(printf '%s\n' "$STEP_STDOUT" | sed -n 1p)
  prev_s=$(date -u -d "$prev" +%s) || { echo "stamp: the last build time $prev is not a time" >&2; exit 1; }
  floor=$((prev_s - prev_s % 60 + 60))
  if [ "$now" -lt "$floor" ]; then echo "progress: stamp: the lost build's minute ($prev) is never used again; waiting $((floor - now)) s for the next minute" >&2; fi
  while [ "$now" -lt "$floor" ]; do "${STAMP_SLEEP:-sleep}" $((floor - now)); now=$(date -u +%s); done
fi
retries=0
while :; do
  minute=$((now - now % 60))
  tag="$STAMP_TAG_PREFIX$(date -u -d "@$minute" +%Y%m%d%H%M)$STAMP_TAG_SUFFIX"
  if ! err=$(docker buildx imagetools inspect "$tag" 2>&1 >/dev/null); then
    not_found "$err" || echo "stamp: warning: cannot tell whether $tag exists, taking it as free: $err" >&2
    break
  fi
  if [ "$retries" -ge "$RETRIES" ]; then
    echo "stamp: $tag exists, as did the timestamped tags of the $RETRIES minutes before it; a timestamped tag is never moved to other content, so this build gets no tag (retry later)" >&2
    exit 1
  fi
  retries=$((retries + 1))
  echo "progress: stamp: $tag already exists (this cell was built within this minute); waiting for the next minute" >&2
  next=$((minute + 60))
  while [ "$now" -lt "$next" ]; do
    "${STAMP_SLEEP:-sleep}" $((next - now))
    now=$(date -u +%s)
  done
done
date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ
printf '%s\n' "${STAMP_REVISION:-}"
