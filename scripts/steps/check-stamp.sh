#!/usr/bin/env bash
# The stamp step's refresh check: the step's environment plus STEP_STDOUT, the recorded build time. When
# the timestamped tag of that time is not in the registry (the image was deleted, and its tags with it), it
# prints one line, and the stamp runs again: the cell is built again under a new build time.
set -eu
# shellcheck source=lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.sh"
stamp=$(printf '%s\n' "${STEP_STDOUT:-}" | sed -n 1p)
minute=$(date -u -d "$stamp" +%Y%m%d%H%M) || { echo "stamp check: the recorded build time $stamp is not a time" >&2; exit 1; }
tag="$STAMP_TAG_PREFIX$minute$STAMP_TAG_SUFFIX"
got=$(resolve "$tag")
[ -n "$got" ] || echo "$tag is not in the registry: the cell is built again under a new build time"
