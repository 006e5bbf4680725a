#!/usr/bin/env bash
# The scan step of a promotion (lib/scan/scan-command.ts): Trivy scans PLATFORM of SCAN_REF by digest,
# straight from the registry (no Docker daemon), writes its JSON report to SCAN_REPORT, and the gate
# (dist/cli/scan-gate.js) judges it against SCAN_GATE. Vulnerabilities and secrets in the files,
# misconfigurations and secrets in the image's config; every severity is reported, the gate decides what
# blocks; no version check or telemetry call; the memory cache lets scans run side by side. Trivy's own
# TRIVY_* variables (database folder, offline run) reach it from the run's environment.
set -eu
gate="$(dirname "${BASH_SOURCE[0]}")/../../dist/cli/scan-gate.js"
mkdir -p "$(dirname "$SCAN_REPORT")"
rm -f "$SCAN_REPORT"
trivy image --quiet --format json --cache-backend memory --skip-java-db-update --skip-check-update --skip-version-check --disable-telemetry \
  --image-src remote --platform "$PLATFORM" --scanners vuln,secret --image-config-scanners misconfig,secret \
  --output "$SCAN_REPORT" "$SCAN_REF" </dev/null || { echo "scan: trivy could not scan $SCAN_REF ($PLATFORM)" >&2; exit 1; }
node "$gate"
