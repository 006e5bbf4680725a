/**
 * The scan gate's verdict on one image's Trivy report (`trivy image --format json`, one platform): which
 * findings block its promotion, which the allow-list accepts, and the one line that says so. Pure: the
 * scan itself, and what a blocked image means for the run, are the resources' business.
 */
import { UserError, showValue } from "../errors";
import { SEVERITIES, checkToday, isAllowableId, type AllowEntry, type ScanGate, type Severity } from "../config/scan-gate";

/** A Trivy report that is not what `trivy image --format json` writes. */
export class ScanReportError extends UserError {}

/** Trivy's severities, lowest first; UNKNOWN (not yet scored) ranks below every threshold. */
export const REPORT_SEVERITIES = ["UNKNOWN", ...SEVERITIES] as const;
export type ReportSeverity = (typeof REPORT_SEVERITIES)[number];

/** The JSON schema version of Trivy's report this module reads (Trivy's `SchemaVersion`). */
export const TRIVY_SCHEMA_VERSION = 2;

export interface TrivyVulnerability {
  readonly VulnerabilityID: string;
  readonly PkgName: string;
  readonly InstalledVersion: string;
  /** Empty: no fixed version in the archive. */
  readonly FixedVersion: string;
  readonly Severity: ReportSeverity;
  readonly Title: string;
}

export interface TrivyMisconfiguration {
  readonly ID: string;
  readonly AVDID: string;
  readonly Title: string;
  readonly Severity: ReportSeverity;
  readonly Status: "PASS" | "FAIL" | "EXCEPTION";
}

export interface TrivySecret {
  readonly RuleID: string;
  readonly Category: string;
  readonly Severity: ReportSeverity;
  readonly Title: string;
  /** 0 when the report gives none. */
  readonly StartLine: number;
}

export interface TrivyResult {
  readonly Target: string;
  readonly Class: string;
  readonly Type: string;
  readonly Vulnerabilities: readonly TrivyVulnerability[];
  readonly Misconfigurations: readonly TrivyMisconfiguration[];
  readonly Secrets: readonly TrivySecret[];
}

/** A report, checked, with what Trivy leaves out (`omitempty`) filled in: empty lists and texts, UNKNOWN severity. */
export interface TrivyReport {
  readonly ArtifactName: string;
  readonly Results: readonly TrivyResult[];
}

const MISCONF_STATUSES = ["PASS", "FAIL", "EXCEPTION"] as const;

class Shape {
  constructor(private readonly source: string) {}

  fail(path: string, value: unknown, problem: string): never {
    throw new ScanReportError(`${this.source}: ${path === "" ? "" : `${path}: `}${showValue(value)} ${problem}`);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) this.fail(path, value, "is not an object; expected the JSON of trivy image --format json");
    return value as Record<string, unknown>;
  }

  /** A list Trivy leaves out when empty. */
  list(obj: Record<string, unknown>, field: string, path: string): unknown[] {
    const v = obj[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(`${path}${field}`, v, "is not a list");
    return v as unknown[];
  }

  text(obj: Record<string, unknown>, field: string, path: string, { required = false } = {}): string {
    const v = obj[field];
    if (v === undefined || v === null) {
      if (required) this.fail(`${path}${field}`, v, "is missing; expected a text");
      return "";
    }
    if (typeof v !== "string") this.fail(`${path}${field}`, v, "is not a text");
    if (required && v === "") this.fail(`${path}${field}`, v, "is empty");
    return v;
  }

  severity(obj: Record<string, unknown>, path: string): ReportSeverity {
    // Trivy itself reads a missing or empty severity as UNKNOWN.
    const v = obj.Severity;
    if (v === undefined || v === null || v === "") return "UNKNOWN";
    if (!(REPORT_SEVERITIES as readonly unknown[]).includes(v)) this.fail(`${path}Severity`, v, `is not a severity; expected one of ${REPORT_SEVERITIES.join(", ")}`);
    return v as ReportSeverity;
  }
}

/**
 * The text of `trivy image --format json` → a checked TrivyReport; anything else throws ScanReportError
 * naming `source`, the JSON path, the value and what was expected.
 */
export function parseTrivyReport(text: string, source = "Trivy report"): TrivyReport {
  const s = new Shape(source);
  if (text.trim() === "") s.fail("", text, "is empty; expected the JSON of trivy image --format json");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // JSON.parse quotes the text it stopped at, line breaks and all; the error is one line.
    const reason = (e as Error).message.replace(/\s+/g, " ");
    throw new ScanReportError(`${source}: is not JSON (${reason.length > 120 ? `${reason.slice(0, 117)}...` : reason}); expected the output of trivy image --format json`);
  }
  const top = s.object(json, "");
  if (top.SchemaVersion !== undefined && top.SchemaVersion !== TRIVY_SCHEMA_VERSION) {
    s.fail("SchemaVersion", top.SchemaVersion, `is not the report schema this gate reads; expected ${TRIVY_SCHEMA_VERSION}`);
  }
  const ArtifactName = s.text(top, "ArtifactName", "");
  const Results = s.list(top, "Results", "").map((raw, i): TrivyResult => {
    const at = `Results[${i}].`;
    const r = s.object(raw, `Results[${i}]`);
    return {
      Target: s.text(r, "Target", at, { required: true }),
      Class: s.text(r, "Class", at),
      Type: s.text(r, "Type", at),
      Vulnerabilities: s.list(r, "Vulnerabilities", at).map((rawV, j) => {
        const p = `${at}Vulnerabilities[${j}].`;
        const v = s.object(rawV, p.slice(0, -1));
        return {
          VulnerabilityID: s.text(v, "VulnerabilityID", p, { required: true }),
          PkgName: s.text(v, "PkgName", p, { required: true }),
          InstalledVersion: s.text(v, "InstalledVersion", p),
          FixedVersion: s.text(v, "FixedVersion", p),
          Severity: s.severity(v, p),
          Title: s.text(v, "Title", p),
        };
      }),
      Misconfigurations: s.list(r, "Misconfigurations", at).map((rawM, j) => {
        const p = `${at}Misconfigurations[${j}].`;
        const m = s.object(rawM, p.slice(0, -1));
        const status = m.Status;
        if (!(MISCONF_STATUSES as readonly unknown[]).includes(status)) s.fail(`${p}Status`, status, `is not a check status; expected one of ${MISCONF_STATUSES.join(", ")}`);
        return { ID: s.text(m, "ID", p, { required: true }), AVDID: s.text(m, "AVDID", p), Title: s.text(m, "Title", p), Severity: s.severity(m, p), Status: status as TrivyMisconfiguration["Status"] };
      }),
      Secrets: s.list(r, "Secrets", at).map((rawS, j) => {
        const p = `${at}Secrets[${j}].`;
        const x = s.object(rawS, p.slice(0, -1));
        const line = x.StartLine;
        if (line !== undefined && line !== null && !(typeof line === "number" && Number.isInteger(line) && line >= 0)) s.fail(`${p}StartLine`, line, "is not a line number");
        return { RuleID: s.text(x, "RuleID", p, { required: true }), Category: s.text(x, "Category", p), Severity: s.severity(x, p), Title: s.text(x, "Title", p), StartLine: typeof line === "number" ? line : 0 };
      }),
    };
  });
  return { ArtifactName, Results };
}

/**
 * One finding, deduplicated across the report's Results by (kind, id, package, installed).
 * A vulnerability: its id, package and installed version. A misconfiguration: its check id, `package` the
 * Target it was found in. A secret: its rule id, `package` the file, `installed` the line ("" when none).
 */
export interface Finding {
  readonly kind: "vulnerability" | "misconfiguration" | "secret";
  readonly id: string;
  readonly package: string;
  readonly installed: string;
  /** The version that fixes a vulnerability; empty when there is none (and for other kinds). */
  readonly fixed: string;
  /** The highest severity any of its occurrences has. */
  readonly severity: ReportSeverity;
  readonly title: string;
  /** The first Result (image layer, OS, lock file) it was found in. */
  readonly target: string;
}

export interface AllowedFinding {
  readonly finding: Finding;
  readonly entry: AllowEntry;
}

/** What the gate made of one report. */
export interface ScanVerdict {
  /** The gate's severity; undefined when the gate is off (mode none), which passes every report and keeps no findings. */
  readonly threshold: Severity | undefined;
  /** No blocking finding. */
  readonly passed: boolean;
  /** At or above the threshold, not allowed, not skipped as unfixed; highest severity first. */
  readonly blocking: readonly Finding[];
  /** At or above the threshold, accepted by an allow-list entry that has not expired. */
  readonly allowed: readonly AllowedFinding[];
  /** Blocking findings an expired allow-list entry names (each also in `blocking`). */
  readonly expired: readonly AllowedFinding[];
  /** Vulnerabilities at or above the threshold with no fixed version, skipped by ignoreUnfixed. */
  readonly unfixed: readonly Finding[];
  /** Findings below the threshold (UNKNOWN is below every threshold): counted only. */
  readonly belowThreshold: number;
}

const rank = (s: ReportSeverity): number => REPORT_SEVERITIES.indexOf(s);

function byImportance(a: Finding, b: Finding): number {
  return rank(b.severity) - rank(a.severity) || cmp(a.id, b.id) || cmp(a.package, b.package) || cmp(a.installed, b.installed) || cmp(a.kind, b.kind);
}
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every finding of the report, once: misconfigurations only when they fail. */
export function findings(report: TrivyReport): Finding[] {
  const found = new Map<string, Finding>();
  const add = (f: Finding): void => {
    const key = [f.kind, f.id, f.package, f.installed].join("\0");
    const seen = found.get(key);
    if (seen === undefined) {
      found.set(key, f);
      return;
    }
    found.set(key, {
      ...seen,
      severity: rank(f.severity) > rank(seen.severity) ? f.severity : seen.severity,
      fixed: seen.fixed !== "" ? seen.fixed : f.fixed,
      title: seen.title !== "" ? seen.title : f.title,
    });
  };
  for (const r of report.Results) {
    for (const v of r.Vulnerabilities) {
      add({ kind: "vulnerability", id: v.VulnerabilityID, package: v.PkgName, installed: v.InstalledVersion, fixed: v.FixedVersion, severity: v.Severity, title: v.Title, target: r.Target });
    }
    for (const m of r.Misconfigurations) {
      if (m.Status === "FAIL") add({ kind: "misconfiguration", id: m.ID, package: r.Target, installed: "", fixed: "", severity: m.Severity, title: m.Title, target: r.Target });
    }
    for (const x of r.Secrets) {
      add({ kind: "secret", id: x.RuleID, package: r.Target, installed: x.StartLine > 0 ? String(x.StartLine) : "", fixed: "", severity: x.Severity, title: x.Title, target: r.Target });
    }
  }
  return [...found.values()];
}

/**
 * The gate's verdict on a report, on `today` (UTC, YYYY-MM-DD): an allow-list entry holds through its
 * `expires` day. Only vulnerabilities can be allowed or skipped as unfixed; secrets and failed
 * misconfigurations count by their severity alone.
 */
export function evaluateScan(report: TrivyReport, gate: ScanGate, today: string): ScanVerdict {
  checkToday(today);
  if (gate.mode === "none") return { threshold: undefined, passed: true, blocking: [], allowed: [], expired: [], unfixed: [], belowThreshold: 0 };
  const entries = new Map(gate.allow.map((e) => [e.id, e]));
  const blocking: Finding[] = [];
  const allowed: AllowedFinding[] = [];
  const expired: AllowedFinding[] = [];
  const unfixed: Finding[] = [];
  let belowThreshold = 0;
  for (const f of findings(report).sort(byImportance)) {
    if (rank(f.severity) < rank(gate.severity)) {
      belowThreshold++;
      continue;
    }
    const entry = f.kind === "vulnerability" ? entries.get(f.id) : undefined;
    if (entry !== undefined && entry.expires >= today) allowed.push({ finding: f, entry });
    else if (f.kind === "vulnerability" && gate.ignoreUnfixed && f.fixed === "") unfixed.push(f);
    else {
      blocking.push(f);
      if (entry !== undefined) expired.push({ finding: f, entry });
    }
  }
  return { threshold: gate.severity, passed: blocking.length === 0, blocking, allowed, expired, unfixed, belowThreshold };
}

/** How many blocking findings one line names before "and N more". */
export const LISTED_FINDINGS = 5;

function describeFinding(f: Finding, expired: AllowEntry | undefined): string {
  const severity = expired === undefined ? `(${f.severity})` : `(${f.severity}, allow-list entry expired ${expired.expires})`;
  if (f.kind === "secret") return `secret ${f.id} in ${f.package}${f.installed === "" ? "" : `:${f.installed}`} ${severity}`;
  if (f.kind === "misconfiguration") return `misconfiguration ${f.id} in ${f.package} ${severity}`;
  const version = f.installed === "" ? "" : ` ${f.installed}`;
  return `${f.id} ${f.package}${version}${f.fixed === "" ? ", no fix" : ` → ${f.fixed}`} ${severity}`;
}

/**
 * One line for one scanned image: what blocks it and what to do, or that it passed. Names at most
 * LISTED_FINDINGS findings, highest severity first.
 */
export function describeBlocked(cellName: string, digest: string, platform: string, verdict: ScanVerdict): string {
  const image = `${cellName} ${digest} ${platform}`;
  if (verdict.threshold === undefined) return `${image}: not scanned against a gate (postgres-images:scanGate mode none)`;
  const n = verdict.blocking.length;
  if (n === 0) {
    return `${image}: passed the scan gate at ${verdict.threshold} (${verdict.allowed.length} allowed, ${verdict.unfixed.length} without a fix, ${verdict.belowThreshold} below ${verdict.threshold})`;
  }
  const expiredBy = new Map(verdict.expired.map((x) => [x.finding, x.entry]));
  const listed = verdict.blocking.slice(0, LISTED_FINDINGS).map((f) => describeFinding(f, expiredBy.get(f)));
  const more = n > LISTED_FINDINGS ? `, and ${n - LISTED_FINDINGS} more` : "";
  const allowable = verdict.blocking.filter((f) => f.kind === "vulnerability" && isAllowableId(f.id)).length;
  const advice =
    allowable === n
      ? "allow-list one in postgres-images:scanGate.allow with a reason and an expiry, or rebuild"
      : allowable === 0
        ? "rebuild, or fix the image: only CVE and GHSA ids can be allow-listed"
        : "allow-list a CVE or GHSA id in postgres-images:scanGate.allow with a reason and an expiry, or rebuild; the others cannot be allow-listed";
  return `${image}: blocked by ${n} finding(s) at or above ${verdict.threshold}: ${listed.join(", ")}${more}; ${advice}`;
}
