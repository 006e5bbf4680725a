#!/usr/bin/env bash
# An SPDX SBOM of PLATFORM of IMAGE_REF, made by scripts/sbom-from-image.sh (syft) and attested with
# `cosign attest --type spdxjson` on that platform's manifest (IMAGE_REF itself for a single-platform image
# without an index): the SBOM is about the digest a node runs.
set -eu
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/cosign.sh
source "$here/lib/cosign.sh"
# shellcheck source=lib/registry.sh
source "$here/lib/registry.sh"
signer_flags
ref=$(platform_ref "$IMAGE_REF" "$PLATFORM")
sbom="$tmp/sbom.spdx.json"
"$here/../sbom-from-image.sh" "$ref" "$PLATFORM" "$sbom"
cosign attest "${SIGNER[@]}" --type spdxjson --predicate "$sbom" "$ref"
