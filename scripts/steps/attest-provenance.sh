#!/usr/bin/env bash
# `cosign attest` of the SLSA v1 predicate in PREDICATE on IMAGE_REF, written to a private temporary file
# first (never on the command line).
set -eu
# shellcheck source=lib/cosign.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cosign.sh"
signer_flags
file="$tmp/predicate.json"
printf '%s' "$PREDICATE" >"$file"
cosign attest "${SIGNER[@]}" --type slsaprovenance1 --predicate "$file" "$IMAGE_REF"
