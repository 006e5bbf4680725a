#!/usr/bin/env bash
# Refresh check of the steps that leave a signature on IMAGE_REF (scope: every; lib/presence.sh).
set -eu
# shellcheck source=lib/presence.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/presence.sh"
check_presence signature every
