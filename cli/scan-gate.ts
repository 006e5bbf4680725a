#!/usr/bin/env node
/**
 * The scan gate, as the scan step runs it (lib/scan/scan-command.ts): reads the Trivy JSON report at
 * SCAN_REPORT, judges it against SCAN_GATE (the stack's scanGate, JSON) today, and prints one line of JSON
 * with the counts (the step's output, kept in the state). A blocked image exits 1 with one line naming
 * the cell, the digest, the platform and the findings (lib/scan/gate.ts describeBlocked).
 */
import { readFileSync } from "node:fs";
import { UserError } from "../lib/errors";
import { todayUtc, type ScanGate } from "../lib/config/scan-gate";
import { describeBlocked, evaluateScan, parseTrivyReport } from "../lib/scan/gate";
import { SCAN_ENV } from "../lib/scan/scan-command";

class ScanGateError extends UserError {}

function required(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "") throw new ScanGateError(`scan-gate: ${name} is not set`);
  return v;
}

function main(): void {
  const reportFile = required(SCAN_ENV.report);
  const ref = required(SCAN_ENV.ref);
  const platform = required(SCAN_ENV.platform);
  const cell = required(SCAN_ENV.cell);
  const gate = JSON.parse(required(SCAN_ENV.gate)) as ScanGate;
  const report = parseTrivyReport(readFileSync(reportFile, "utf8"), reportFile);
  const verdict = evaluateScan(report, gate, todayUtc());
  const digest = ref.slice(ref.indexOf("@") + 1);
  process.stdout.write(
    `${JSON.stringify({ platform, passed: verdict.passed, blocking: verdict.blocking.map((f) => f.id), allowed: verdict.allowed.map((a) => a.finding.id), unfixed: verdict.unfixed.length, belowThreshold: verdict.belowThreshold, report: reportFile })}\n`,
  );
  if (!verdict.passed) throw new ScanGateError(describeBlocked(cell, digest, platform, verdict));
}

try {
  main();
} catch (e) {
  if (!(e instanceof UserError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exitCode = 1;
}
