#!/usr/bin/env bash
# sbom-from-image.sh IMAGE_REF PLATFORM OUTFILE
#
# Writes the SPDX 2.3 JSON SBOM of one platform of an image (the predicate only, not an in-toto
# statement; suitable for `cosign attest --type spdxjson --predicate OUTFILE`), made by syft:
#
#   syft scan registry:IMAGE_REF --platform PLATFORM -o spdx-json=OUTFILE.tmp
#
# syft reads the image from the registry itself (IMAGE_REF is REPO@sha256:..., as the program passes it;
# nothing is pulled into Docker or run, so a foreign platform needs no QEMU) with the credentials of
# ~/.docker/config.json, and lists what it catalogues: dpkg packages, language packages (Python, ...),
# binaries, each with a purl. A registry on localhost / 127.0.0.1 is spoken to over plain HTTP
# (SYFT_REGISTRY_INSECURE_USE_HTTP=true), as the dev stack's and the test tier's localhost:5000 need.
#
# syft is taken from PATH, else from scripts/supply-chain.sh (bash scripts/supply-chain.sh install
# builds the pinned version; CI installs the release, .github/workflows/build.yml). The document is
# checked to be SPDX 2 JSON with packages before it replaces OUTFILE.
#
# syft has no SOURCE_DATE_EPOCH support: creationInfo.created is the time of the scan and the
# documentNamespace ends in a fresh UUID, so two scans of one image differ in those two fields only.
set -euo pipefail

die() { echo "sbom-from-image: ERROR: $*" >&2; exit 1; }
[[ $# -eq 3 ]] || { echo "usage: $0 IMAGE_REF PLATFORM OUTFILE" >&2; exit 2; }
IMAGE=$1 PLATFORM=$2 OUT=$3
[[ $PLATFORM =~ ^[a-z0-9]+/[a-z0-9]+(/[a-z0-9]+)?$ ]] || die "PLATFORM must look like linux/arm64, got '$PLATFORM'"
PYTHON=$(command -v /usr/bin/python3 || command -v python3) || die "python3 is needed on the host"

SYFT=$(command -v syft) || SYFT=$(bash "$(dirname "${BASH_SOURCE[0]}")/supply-chain.sh" bin 2>/dev/null) ||
  die "syft is not on PATH and not built here; run: bash scripts/supply-chain.sh install"

# The registry's host: the part of IMAGE before the first slash, without its port.
registry=${IMAGE%%/*}
host=${registry%:*}
if [[ $IMAGE == */* && ($host == localhost || $host == 127.0.0.1) ]]; then
  export SYFT_REGISTRY_INSECURE_USE_HTTP=true
fi
# No look-up of newer syft releases on every scan.
export SYFT_CHECK_FOR_APP_UPDATE=false

# Not `-q`: it silences syft's own error message as well. Without a terminal (stdin, stdout and stderr
# redirected) syft draws no progress display and writes only warnings and errors, kept for a failure.
LOG=$(mktemp)
trap 'rm -f "$OUT.tmp" "$LOG"' EXIT
"$SYFT" scan "registry:$IMAGE" --platform "$PLATFORM" -o "spdx-json=$OUT.tmp" </dev/null >"$LOG" 2>&1 ||
  { sed 's/\x1b\[[0-9;]*m//g' "$LOG" | tail -n 20 >&2; die "syft could not scan $IMAGE ($PLATFORM)"; }
count=$("$PYTHON" - "$OUT.tmp" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
except (OSError, ValueError):
    sys.exit(1)
if not (isinstance(d, dict) and str(d.get("spdxVersion", "")).startswith("SPDX-2") and isinstance(d.get("packages"), list) and d["packages"]):
    sys.exit(1)
print(len(d["packages"]))
PY
) || die "syft did not write an SPDX 2 JSON document with packages for $IMAGE ($PLATFORM)"
mv "$OUT.tmp" "$OUT"
echo "sbom-from-image: syft listed $count packages for $IMAGE ($PLATFORM)" >&2
