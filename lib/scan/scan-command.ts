import type { StepScriptName } from "../build/step-script";

/**
 * The scan step of a promotion (resources/promotion.ts): Trivy scans one platform of the testing image by
 * digest, straight from the registry (`--image-src remote`: no Docker daemon), writes its JSON report to
 * SCAN_REPORT, and the gate (cli/scan-gate.ts, on lib/scan/gate.ts, run from dist/ as `npm ci` builds it)
 * judges it against SCAN_GATE: scripts/steps/scan.sh; every value arrives in the environment. Trivy's own `TRIVY_*` variables (a database folder,
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
} as const;

/**
 * Vulnerabilities and secrets in the files, misconfigurations and secrets in the image's config
 * (`runs as root`, secrets in ENV); no version check or telemetry call. Every severity is reported: the
 * gate, not Trivy, decides what blocks. The memory cache lets scans run side by side.
 */
export const SCAN_SCRIPT: StepScriptName = "scan";
