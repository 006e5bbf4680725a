#!/usr/bin/env bash
# `cosign sign-blob --bundle` of BLOB_FILE into BLOB_BUNDLE with the stack's signer (npm run catalogs).
set -eu
# shellcheck source=lib/cosign.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cosign.sh"
signer_flags
cosign sign-blob "${SIGNER[@]}" --bundle "$BLOB_BUNDLE" "$BLOB_FILE" >/dev/null
