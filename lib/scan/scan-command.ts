/**
 * The scan step of a promotion (resources/promotion.ts): Trivy scans one platform of the testing image by
 * digest, straight from the registry (`--image-src remote`: no Docker daemon), writes its JSON report to
 * SCAN_REPORT, and the gate (cli/scan-gate.ts, on lib/scan/gate.ts) judges it against SCAN_GATE. Fixed text;
 * every value arrives in the environment. Trivy's own `TRIVY_*` variables (a database folder,
 * `TRIVY_SKIP_DB_UPDATE` for an offline run, `TRIVY_INSECURE`) reach it unchanged from the run's environment.
 */

/** Environment variable names the scan script reads. */
export const SCAN_ENV = {
  /** The testing image by digest, `TESTING_REPO@sha256:…`. */
  ref: "SCAN_REF",
  platform: "PLATFORM",
  /** The cell's name, for the gate's line. */
  cell: "SCAN_CELL",
  /** Where the report is kept (the scanner's JSON), for CI to upload. */
  report: "SCAN_REPORT",
  /** The stack's scanGate, JSON. */
  gate: "SCAN_GATE",
  /** The gate's entry point (dist/cli/scan-gate.js), an absolute path: steps run in the engine's folder. */
  gateScript: "SCAN_GATE_SCRIPT",
} as const;

/** The gate's entry point, relative to the project (built by `npm ci`/`npm run build`). */
export const SCAN_GATE_SCRIPT = "dist/cli/scan-gate.js";

/**
 * Vulnerabilities and secrets in the files, misconfigurations and secrets in the image's config
 * (`runs as root`, secrets in ENV); no version check or telemetry call. Every severity is reported: the
 * gate, not Trivy, decides what blocks. The memory cache lets scans run side by side.
 */
export const SCAN_SCRIPT = [
  "set -eu",
  `mkdir -p "$(dirname "$${SCAN_ENV.report}")"`,
  `rm -f "$${SCAN_ENV.report}"`,
  "trivy image --quiet --format json --cache-backend memory --skip-java-db-update --skip-check-update --skip-version-check --disable-telemetry \\",
  `  --image-src remote --platform "$${SCAN_ENV.platform}" --scanners vuln,secret --image-config-scanners misconfig,secret \\`,
  `  --output "$${SCAN_ENV.report}" "$${SCAN_ENV.ref}" </dev/null || { echo "scan: trivy could not scan $${SCAN_ENV.ref} ($${SCAN_ENV.platform})" >&2; exit 1; }`,
  `node "$${SCAN_ENV.gateScript}"`,
].join("\n");
