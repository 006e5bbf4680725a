#!/usr/bin/env bash
# resolve.sh REF: the digest REF names, or nothing when the registry has no such manifest; status 1 with
# the registry's answer when it cannot tell (cli/registry-check.ts).
set -euo pipefail
# shellcheck source=lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.sh"
resolve "$1"
