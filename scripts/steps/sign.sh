#!/usr/bin/env bash
# `cosign sign --recursive` of IMAGE_REF (REPO@sha256:…): the index and every manifest in it, so a node that
# pulls its platform's manifest by digest, and a registry or admission policy that checks that digest, finds
# it signed. Keyless signing takes the CI's ambient OIDC token. Signer: lib/cosign.sh signer_flags.
set -eu
# shellcheck source=lib/cosign.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cosign.sh"
signer_flags
cosign sign --recursive "${SIGNER[@]}" "$IMAGE_REF"
