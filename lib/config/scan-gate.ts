import type { ErrorList } from "../errors";

/**
 * The scan gate: which findings of a vulnerability scan (Trivy, per platform) stop a testing image from
 * being promoted. Off only as an explicit `mode: none`; every other field has a default.
 */
export type ScanGate = ScanGateOff | EnforcedScanGate;

export interface ScanGateOff {
  readonly mode: "none";
}

export interface EnforcedScanGate {
  readonly mode: "enforce";
  /** Findings at or above this severity block. */
  readonly severity: Severity;
  /** A vulnerability with no fixed version in the archive does not block: a rebuild cannot fix it. */
  readonly ignoreUnfixed: boolean;
  /** Accepted findings, each with why and until when. */
  readonly allow: readonly AllowEntry[];
}

/** One accepted vulnerability. */
export interface AllowEntry {
  /** `CVE-YYYY-NNNN…` or `GHSA-xxxx-xxxx-xxxx`. */
  readonly id: string;
  /** Why it is accepted. */
  readonly reason: string;
  /** The last day (UTC) it is accepted, YYYY-MM-DD. */
  readonly expires: string;
}

/** The severities a gate's threshold takes, lowest first. */
export const SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SCAN_GATE_MODES = ["enforce", "none"] as const;

/** Fields a stack's scanGate object leaves out take these (Pulumi.yaml's default says the same). */
export const SCAN_GATE_DEFAULTS: EnforcedScanGate = { mode: "enforce", severity: "CRITICAL", ignoreUnfixed: true, allow: [] };

const KEY = "postgres-images:scanGate";
const FIELDS = ["mode", "severity", "ignoreUnfixed", "allow"] as const;
const ENTRY_FIELDS = ["id", "reason", "expires"] as const;

/**
 * The Pulumi CLI reads an unquoted `2027-01-31` in a stack file as a YAML timestamp and hands the program Go's
 * rendering of it, `2027-01-31 00:00:00 +0000 UTC`; `targets` reads the same text as the string `2027-01-31`.
 * Both mean the same day: taken as that date, so the two agree (a time other than midnight UTC stays refused).
 */
function cliDate(value: unknown): unknown {
  const m = typeof value === "string" ? /^(\d{4}-\d{2}-\d{2}) 00:00:00 \+0000 UTC$/.exec(value) : null;
  return m === null ? value : m[1];
}
const CVE = /^CVE-\d{4}-\d{4,}$/;
const GHSA = /^GHSA(-[0-9a-z]{4}){3}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ID_ACCEPTED = 'expected a CVE id (CVE-YYYY-NNNN, such as "CVE-2026-12345") or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx, lower case)';
const EXPIRES_ACCEPTED = 'expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"';
const ENTRY_SHAPE = "{id: CVE-… or GHSA-…, reason: why it is accepted, expires: YYYY-MM-DD}";

/** True for an id the allow-list takes: a CVE or a GitHub advisory. */
export function isAllowableId(id: string): boolean {
  return CVE.test(id) || GHSA.test(id);
}

/** Today's date in UTC, YYYY-MM-DD: the day allow-list expiries are checked against. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** True for a YYYY-MM-DD that names a day of the (proleptic Gregorian) calendar. */
export function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

/** Callers hand `today` in; a malformed one is a bug, not a user's mistake. */
export function checkToday(today: string): void {
  if (!isCalendarDate(today)) throw new Error(`today must be a UTC date YYYY-MM-DD, got ${JSON.stringify(today)}`);
}

/** What a value is, for an error line that says what it is not. */
function kindOf(value: unknown): string {
  if (value === null) return "an empty value";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "a boolean";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a map" : typeof value;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parseEntry(raw: unknown, path: string, errors: ErrorList, today: string): AllowEntry | undefined {
  if (!isMap(raw)) {
    errors.add(path, raw, `is not an object; expected an allow-list entry ${ENTRY_SHAPE}`);
    return undefined;
  }
  let ok = true;
  for (const f of Object.keys(raw)) {
    if (!(ENTRY_FIELDS as readonly string[]).includes(f)) {
      errors.add(`${path}.${f}`, raw[f], `is not an allow-list field; expected ${ENTRY_FIELDS.join(", ")}`);
      ok = false;
    }
  }

  const id = raw.id;
  if (typeof id !== "string" || !isAllowableId(id)) {
    errors.add(`${path}.id`, id, `is not a vulnerability id; ${ID_ACCEPTED}`);
    ok = false;
  }

  const reason = raw.reason;
  if (typeof reason !== "string") {
    errors.add(`${path}.reason`, reason, `is ${reason === undefined ? "not set" : `${kindOf(reason)}, not a text`}; expected why the finding is accepted, such as "not reachable: …"`);
    ok = false;
  } else if (reason.trim() === "") {
    errors.add(`${path}.reason`, reason, 'is empty; expected why the finding is accepted, such as "not reachable: …"');
    ok = false;
  }

  const expires = cliDate(raw.expires);
  if (typeof expires !== "string") {
    errors.add(`${path}.expires`, expires, `is ${expires === undefined ? "not set" : `${kindOf(expires)}, not a date`}; ${EXPIRES_ACCEPTED}`);
    ok = false;
  } else if (!DATE.test(expires)) {
    errors.add(`${path}.expires`, expires, `is not a date; ${EXPIRES_ACCEPTED}`);
    ok = false;
  } else if (!isCalendarDate(expires)) {
    errors.add(`${path}.expires`, expires, `is not a day of the calendar; ${EXPIRES_ACCEPTED}`);
    ok = false;
  } else if (expires < today) {
    errors.add(`${path}.expires`, expires, `is in the past (today is ${today}, UTC); renew the entry with a new reason and expiry, or remove it`);
    ok = false;
  }
  return ok ? { id: id as string, reason: reason as string, expires: expires as string } : undefined;
}

function parseAllow(raw: unknown, errors: ErrorList, today: string): AllowEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    errors.add(`${KEY}.allow`, raw, `is not a list; expected a YAML list of entries ${ENTRY_SHAPE}`);
    return [];
  }
  const out: AllowEntry[] = [];
  const seen = new Map<string, number>();
  raw.forEach((item: unknown, i) => {
    const path = `${KEY}.allow[${i}]`;
    const entry = parseEntry(item, path, errors, today);
    // A second entry for one id is refused even when either has other problems: which one is meant is unclear.
    const id = isMap(item) && typeof item.id === "string" && isAllowableId(item.id) ? item.id : undefined;
    if (id !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) {
        errors.add(`${path}.id`, id, `is listed twice (also allow[${first}]); keep one entry per id`);
        return;
      }
      seen.set(id, i);
    }
    if (entry !== undefined) out.push(entry);
  });
  return out;
}

/**
 * Reads the `scanGate` object (`today`: UTC, YYYY-MM-DD, for the allow-list's expiries); adds errors named
 * `postgres-images:scanGate.FIELD`. Fields left out take SCAN_GATE_DEFAULTS; only `mode: none` turns the gate off.
 */
export function parseScanGate(raw: unknown, errors: ErrorList, today: string): ScanGate {
  checkToday(today);
  if (raw === undefined || raw === null || raw === "") {
    // Off is a decision, never the result of an empty value; and an empty value may be a half-written one.
    errors.add(KEY, raw ?? "", "is empty; expected {severity: …, ignoreUnfixed: …, allow: […]} (mode enforce; {} for the defaults), or {mode: none} to turn the gate off");
    return SCAN_GATE_DEFAULTS;
  }
  if (!isMap(raw)) {
    errors.add(KEY, raw, "is not an object; expected {mode: enforce|none, severity, ignoreUnfixed, allow}");
    return SCAN_GATE_DEFAULTS;
  }
  for (const f of Object.keys(raw)) {
    if (!(FIELDS as readonly string[]).includes(f)) errors.add(`${KEY}.${f}`, raw[f], `is not a scan gate setting; expected one of ${FIELDS.join(", ")}`);
  }

  // Left out: enforce. Written empty (`mode:`) is not left out: it may be a half-written none.
  const mode = raw.mode === undefined ? "enforce" : raw.mode;
  if (!(SCAN_GATE_MODES as readonly unknown[]).includes(mode)) {
    errors.add(`${KEY}.mode`, raw.mode, "is not a scan gate mode; expected enforce (the default) or none (no gate)");
    return SCAN_GATE_DEFAULTS;
  }
  if (mode === "none") {
    for (const f of FIELDS) {
      if (f !== "mode" && f in raw) errors.add(`${KEY}.${f}`, raw[f], "does not apply to mode none, which turns the gate off; remove it, or remove mode: none to enforce the gate");
    }
    return { mode: "none" };
  }

  let severity: Severity = SCAN_GATE_DEFAULTS.severity;
  if (raw.severity !== undefined) {
    if ((SEVERITIES as readonly unknown[]).includes(raw.severity)) severity = raw.severity as Severity;
    else errors.add(`${KEY}.severity`, raw.severity, `is not a severity; expected one of ${SEVERITIES.join(", ")} (findings at or above it block)`);
  }

  let ignoreUnfixed = SCAN_GATE_DEFAULTS.ignoreUnfixed;
  const unfixed = raw.ignoreUnfixed;
  if (typeof unfixed === "boolean") ignoreUnfixed = unfixed;
  else if (unfixed === "true" || unfixed === "false") ignoreUnfixed = unfixed === "true";
  else if (unfixed !== undefined) {
    errors.add(`${KEY}.ignoreUnfixed`, unfixed, "is not a boolean; expected true (a vulnerability with no fixed version does not block) or false (it blocks too)");
  }

  const allow = parseAllow(raw.allow, errors, today);
  return { mode: "enforce", severity, ignoreUnfixed, allow };
}
