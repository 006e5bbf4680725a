import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ConfigErrors, ErrorList } from "../../lib/errors";
import { mergeConfig, readStackFile } from "../../lib/config/stack-file";
import { loadSettings } from "../../lib/load-settings";
import { parseScanGate, todayUtc, type ScanGate } from "../../lib/config/scan-gate";
import type { Settings } from "../../lib/config/settings";
import { defaults } from "../helpers";

/** The day every expiry below is checked against. */
const TODAY = "2026-07-15";
const ENTRY = { id: "CVE-2026-12345", reason: "not reachable: the server never calls it", expires: "2027-01-31" };

/** The gate and the error lines parseScanGate gives for a raw value. */
function gateOf(raw: unknown, today = TODAY): { gate: ScanGate; errors: string[] } {
  const list = new ErrorList();
  const gate = parseScanGate(raw, list, today);
  return { gate, errors: list.errors.map((e) => e.message) };
}

function assertErrors(raw: unknown, lines: string[]): void {
  const { errors } = gateOf(raw);
  assert.deepEqual(errors, lines);
  for (const l of errors) assert.ok(!l.includes("\n"), l);
}

/** The defaults (Pulumi.yaml) overridden by `overrides`, loaded on TODAY. */
function settingsOn(overrides: Record<string, unknown>, today = TODAY): Settings {
  return loadSettings(mergeConfig(defaults(), overrides), [], today);
}

function settingsErrors(overrides: Record<string, unknown>, today = TODAY): string[] {
  try {
    settingsOn(overrides, today);
    return [];
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
}

/** A stack file's text → its settings on TODAY, or the error lines, as `targets` reads it. */
function stackFile(yaml: string): Settings | string[] {
  const file = readStackFile(yaml, "Pulumi.s.yaml");
  try {
    return loadSettings(mergeConfig(defaults(), file.values), file.problems, TODAY);
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
}

describe("scanGate: values", () => {
  it("Pulumi.yaml declares the default: enforce at CRITICAL, unfixed ignored, nothing allowed", () => {
    assert.deepEqual(defaults().scanGate, { mode: "enforce", severity: "CRITICAL", ignoreUnfixed: true, allow: [] });
    assert.deepEqual(settingsOn({}).scanGate, { mode: "enforce", severity: "CRITICAL", ignoreUnfixed: true, allow: [] });
  });

  it("an empty object takes every default", () => {
    assert.deepEqual(gateOf({}), { gate: { mode: "enforce", severity: "CRITICAL", ignoreUnfixed: true, allow: [] }, errors: [] });
  });

  it("a severity alone means enforce, with the other defaults", () => {
    assert.deepEqual(settingsOn({ scanGate: { severity: "HIGH" } }).scanGate, { mode: "enforce", severity: "HIGH", ignoreUnfixed: true, allow: [] });
  });

  it("reads every field", () => {
    const raw = { mode: "enforce", severity: "MEDIUM", ignoreUnfixed: false, allow: [ENTRY, { id: "GHSA-2345-cfgh-wx9z", reason: "test code only", expires: "2026-12-01" }] };
    assert.deepEqual(gateOf(raw), {
      gate: {
        mode: "enforce",
        severity: "MEDIUM",
        ignoreUnfixed: false,
        allow: [
          { id: "CVE-2026-12345", reason: "not reachable: the server never calls it", expires: "2027-01-31" },
          { id: "GHSA-2345-cfgh-wx9z", reason: "test code only", expires: "2026-12-01" },
        ],
      },
      errors: [],
    });
  });

  it("each severity is a threshold", () => {
    for (const severity of ["LOW", "MEDIUM", "HIGH", "CRITICAL"]) assert.deepEqual(gateOf({ severity }).gate, { mode: "enforce", severity, ignoreUnfixed: true, allow: [] });
  });

  it("mode none alone turns the gate off", () => {
    assert.deepEqual(gateOf({ mode: "none" }), { gate: { mode: "none" }, errors: [] });
    assert.deepEqual(settingsOn({ scanGate: { mode: "none" } }).scanGate, { mode: "none" });
  });

  it("takes ignoreUnfixed as true or false text too, as signing's tlogUpload", () => {
    assert.deepEqual(gateOf({ ignoreUnfixed: "false" }).gate, { mode: "enforce", severity: "CRITICAL", ignoreUnfixed: false, allow: [] });
    assert.deepEqual(gateOf({ ignoreUnfixed: "true" }).gate, { mode: "enforce", severity: "CRITICAL", ignoreUnfixed: true, allow: [] });
  });

  it("an allow written empty (allow:) is no entries", () => {
    assert.deepEqual(gateOf({ allow: null }).gate, { mode: "enforce", severity: "CRITICAL", ignoreUnfixed: true, allow: [] });
  });

  it("accepts JSON text, as Pulumi passes structured values to programs", () => {
    const s = settingsOn({ scanGate: '{"severity":"HIGH","allow":[{"id":"CVE-2026-12345","reason":"r","expires":"2027-01-31"}]}' });
    assert.deepEqual(s.scanGate, { mode: "enforce", severity: "HIGH", ignoreUnfixed: true, allow: [{ id: "CVE-2026-12345", reason: "r", expires: "2027-01-31" }] });
  });
});

describe("scanGate: expiries against today", () => {
  it("an entry expiring today still holds", () => {
    assert.deepEqual(gateOf({ allow: [{ ...ENTRY, expires: "2026-07-15" }] }).errors, []);
  });

  it("an entry that expired yesterday is refused", () => {
    assertErrors({ allow: [{ ...ENTRY, expires: "2026-07-14" }] }, [
      'postgres-images:scanGate.allow[0].expires: "2026-07-14" is in the past (today is 2026-07-15, UTC); renew the entry with a new reason and expiry, or remove it',
    ]);
  });

  it("today reaches the settings through loadSettings", () => {
    assert.deepEqual(settingsErrors({ scanGate: { allow: [{ ...ENTRY, expires: "2027-01-31" }] } }, "2027-01-31"), []);
    assert.deepEqual(settingsErrors({ scanGate: { allow: [{ ...ENTRY, expires: "2027-01-31" }] } }, "2027-02-01"), [
      'postgres-images:scanGate.allow[0].expires: "2027-01-31" is in the past (today is 2027-02-01, UTC); renew the entry with a new reason and expiry, or remove it',
    ]);
  });

  it("loadSettings checks against the current UTC date when given none", () => {
    const past = { scanGate: { allow: [{ ...ENTRY, expires: "2000-01-01" }] } };
    assert.throws(() => loadSettings(mergeConfig(defaults(), past)), (e: unknown) => e instanceof ConfigErrors && /^postgres-images:scanGate\.allow\[0\]\.expires: "2000-01-01" is in the past \(today is \d{4}-\d{2}-\d{2}, UTC\)/.test(e.message));
    assert.equal(loadSettings(mergeConfig(defaults(), { scanGate: { allow: [{ ...ENTRY, expires: "2999-12-31" }] } })).scanGate.mode, "enforce");
  });

  it("today is the UTC date", () => {
    assert.equal(todayUtc(new Date("2026-07-15T23:30:00-05:00")), "2026-07-16");
    assert.equal(todayUtc(new Date("2026-07-16T00:30:00+02:00")), "2026-07-15");
  });

  it("a malformed today is the caller's bug, not a config error", () => {
    assert.throws(() => parseScanGate({}, new ErrorList(), "2026-7-15"), { message: 'today must be a UTC date YYYY-MM-DD, got "2026-7-15"' });
  });
});

describe("scanGate: each problem is one line naming the field, the value and what is accepted", () => {
  const cases: [string, unknown, string[]][] = [
    ["an empty value", "", ['postgres-images:scanGate: "" is empty; expected {severity: …, ignoreUnfixed: …, allow: […]} (mode enforce; {} for the defaults), or {mode: none} to turn the gate off']],
    ["a null", null, ['postgres-images:scanGate: "" is empty; expected {severity: …, ignoreUnfixed: …, allow: […]} (mode enforce; {} for the defaults), or {mode: none} to turn the gate off']],
    ["a word", "none", ['postgres-images:scanGate: "none" is not an object; expected {mode: enforce|none, severity, ignoreUnfixed, allow}']],
    ["a list", [ENTRY], ['postgres-images:scanGate: [{"id":"CVE-2026-12345","reason":"not reachable: the server never calls it","expires":"2027-01-31"}] is not an object; expected {mode: enforce|none, severity, ignoreUnfixed, allow}']],
    ["an unknown field", { severty: "HIGH" }, ['postgres-images:scanGate.severty: "HIGH" is not a scan gate setting; expected one of mode, severity, ignoreUnfixed, allow']],
    ["a bad mode", { mode: "off" }, ['postgres-images:scanGate.mode: "off" is not a scan gate mode; expected enforce (the default) or none (no gate)']],
    ["a mode written empty", { mode: null }, ["postgres-images:scanGate.mode: null is not a scan gate mode; expected enforce (the default) or none (no gate)"]],
    ["a mode as a boolean", { mode: false }, ["postgres-images:scanGate.mode: false is not a scan gate mode; expected enforce (the default) or none (no gate)"]],
    ["a severity in lower case", { severity: "high" }, ['postgres-images:scanGate.severity: "high" is not a severity; expected one of LOW, MEDIUM, HIGH, CRITICAL (findings at or above it block)']],
    ["severity UNKNOWN", { severity: "UNKNOWN" }, ['postgres-images:scanGate.severity: "UNKNOWN" is not a severity; expected one of LOW, MEDIUM, HIGH, CRITICAL (findings at or above it block)']],
    ["ignoreUnfixed: no (a string in YAML 1.2)", { ignoreUnfixed: "no" }, ['postgres-images:scanGate.ignoreUnfixed: "no" is not a boolean; expected true (a vulnerability with no fixed version does not block) or false (it blocks too)']],
    ["ignoreUnfixed as a number", { ignoreUnfixed: 1 }, ["postgres-images:scanGate.ignoreUnfixed: 1 is not a boolean; expected true (a vulnerability with no fixed version does not block) or false (it blocks too)"]],
    ["allow as one id", { allow: "CVE-2026-12345" }, ['postgres-images:scanGate.allow: "CVE-2026-12345" is not a list; expected a YAML list of entries {id: CVE-… or GHSA-…, reason: why it is accepted, expires: YYYY-MM-DD}']],
    ["allow as a map", { allow: ENTRY }, ['postgres-images:scanGate.allow: {"id":"CVE-2026-12345","reason":"not reachable: the server never calls it","expires":"2027-01-31"} is not a list; expected a YAML list of entries {id: CVE-… or GHSA-…, reason: why it is accepted, expires: YYYY-MM-DD}']],
    ["an entry that is an id", { allow: [ENTRY, "CVE-2026-12346"] }, ['postgres-images:scanGate.allow[1]: "CVE-2026-12346" is not an object; expected an allow-list entry {id: CVE-… or GHSA-…, reason: why it is accepted, expires: YYYY-MM-DD}']],
    ["an entry with an unknown field", { allow: [{ ...ENTRY, until: "2027-01-31" }] }, ['postgres-images:scanGate.allow[0].until: "2027-01-31" is not an allow-list field; expected id, reason, expires']],
    ["an entry without id", { allow: [{ reason: ENTRY.reason, expires: ENTRY.expires }] }, ['postgres-images:scanGate.allow[0].id: (missing) is not a vulnerability id; expected a CVE id (CVE-YYYY-NNNN, such as "CVE-2026-12345") or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx, lower case)']],
    ["a CVE with a short year", { allow: [{ ...ENTRY, id: "CVE-26-12345" }] }, ['postgres-images:scanGate.allow[0].id: "CVE-26-12345" is not a vulnerability id; expected a CVE id (CVE-YYYY-NNNN, such as "CVE-2026-12345") or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx, lower case)']],
    ["a CVE with three digits", { allow: [{ ...ENTRY, id: "CVE-2026-123" }] }, ['postgres-images:scanGate.allow[0].id: "CVE-2026-123" is not a vulnerability id; expected a CVE id (CVE-YYYY-NNNN, such as "CVE-2026-12345") or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx, lower case)']],
    ["a CVE in lower case", { allow: [{ ...ENTRY, id: "cve-2026-12345" }] }, ['postgres-images:scanGate.allow[0].id: "cve-2026-12345" is not a vulnerability id; expected a CVE id (CVE-YYYY-NNNN, such as "CVE-2026-12345") or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx, lower case)']],
    ["a GHSA in upper case", { allow: [{ ...ENTRY, id: "GHSA-2345-CFGH-WX9Z" }] }, ['postgres-images:scanGate.allow[0].id: "GHSA-2345-CFGH-WX9Z" is not a vulnerability id; expected a CVE id (CVE-YYYY-NNNN, such as "CVE-2026-12345") or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx, lower case)']],
    ["a Debian temporary id", { allow: [{ ...ENTRY, id: "TEMP-0841856-B18BAF" }] }, ['postgres-images:scanGate.allow[0].id: "TEMP-0841856-B18BAF" is not a vulnerability id; expected a CVE id (CVE-YYYY-NNNN, such as "CVE-2026-12345") or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx, lower case)']],
    ["an id with a space", { allow: [{ ...ENTRY, id: "CVE-2026-12345 " }] }, ['postgres-images:scanGate.allow[0].id: "CVE-2026-12345 " is not a vulnerability id; expected a CVE id (CVE-YYYY-NNNN, such as "CVE-2026-12345") or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx, lower case)']],
    ["an entry without reason", { allow: [{ id: ENTRY.id, expires: ENTRY.expires }] }, ['postgres-images:scanGate.allow[0].reason: (missing) is not set; expected why the finding is accepted, such as "not reachable: …"']],
    ["an empty reason", { allow: [{ ...ENTRY, reason: "" }] }, ['postgres-images:scanGate.allow[0].reason: "" is empty; expected why the finding is accepted, such as "not reachable: …"']],
    ["a blank reason", { allow: [{ ...ENTRY, reason: "   " }] }, ['postgres-images:scanGate.allow[0].reason: "   " is empty; expected why the finding is accepted, such as "not reachable: …"']],
    ["a reason written empty", { allow: [{ ...ENTRY, reason: null }] }, ['postgres-images:scanGate.allow[0].reason: null is an empty value, not a text; expected why the finding is accepted, such as "not reachable: …"']],
    ["an entry without expiry", { allow: [{ id: ENTRY.id, reason: ENTRY.reason }] }, ['postgres-images:scanGate.allow[0].expires: (missing) is not set; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"']],
    ["an expiry without leading zeros", { allow: [{ ...ENTRY, expires: "2027-1-31" }] }, ['postgres-images:scanGate.allow[0].expires: "2027-1-31" is not a date; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"']],
    ["an expiry with a time", { allow: [{ ...ENTRY, expires: "2027-01-31T00:00:00Z" }] }, ['postgres-images:scanGate.allow[0].expires: "2027-01-31T00:00:00Z" is not a date; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"']],
    ["an expiry written as a number", { allow: [{ ...ENTRY, expires: 20270131 }] }, ['postgres-images:scanGate.allow[0].expires: 20270131 is a number, not a date; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"']],
    ["February 30", { allow: [{ ...ENTRY, expires: "2027-02-30" }] }, ['postgres-images:scanGate.allow[0].expires: "2027-02-30" is not a day of the calendar; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"']],
    ["February 29 of a year that is no leap year", { allow: [{ ...ENTRY, expires: "2100-02-29" }] }, ['postgres-images:scanGate.allow[0].expires: "2100-02-29" is not a day of the calendar; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"']],
    ["month 13", { allow: [{ ...ENTRY, expires: "2027-13-01" }] }, ['postgres-images:scanGate.allow[0].expires: "2027-13-01" is not a day of the calendar; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"']],
    ["day 0", { allow: [{ ...ENTRY, expires: "2027-01-00" }] }, ['postgres-images:scanGate.allow[0].expires: "2027-01-00" is not a day of the calendar; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"']],
    [
      "the same id twice",
      { allow: [ENTRY, { ...ENTRY, reason: "another reason" }] },
      ['postgres-images:scanGate.allow[1].id: "CVE-2026-12345" is listed twice (also allow[0]); keep one entry per id'],
    ],
    ["severity with mode none", { mode: "none", severity: "HIGH" }, ['postgres-images:scanGate.severity: "HIGH" does not apply to mode none, which turns the gate off; remove it, or remove mode: none to enforce the gate']],
    ["an empty allow-list with mode none", { mode: "none", allow: [] }, ["postgres-images:scanGate.allow: [] does not apply to mode none, which turns the gate off; remove it, or remove mode: none to enforce the gate"]],
    ["ignoreUnfixed with mode none", { mode: "none", ignoreUnfixed: true }, ["postgres-images:scanGate.ignoreUnfixed: true does not apply to mode none, which turns the gate off; remove it, or remove mode: none to enforce the gate"]],
  ];
  for (const [name, raw, lines] of cases) it(name, () => assertErrors(raw, lines));

  it("a GHSA id and a leap day are accepted", () => {
    assert.deepEqual(gateOf({ allow: [{ ...ENTRY, id: "GHSA-2345-cfgh-wx9z", expires: "2028-02-29" }] }).errors, []);
  });

  it("every problem at once, in order, through the settings", () => {
    const scanGate = {
      severity: "SEVERE",
      ignoreUnfixed: "yes",
      extra: 1,
      allow: [ENTRY, { id: "CVE-2026-12345", reason: "", expires: "2026-07-01" }, 7],
    };
    assert.deepEqual(settingsErrors({ scanGate }), [
      "postgres-images:scanGate.extra: 1 is not a scan gate setting; expected one of mode, severity, ignoreUnfixed, allow",
      'postgres-images:scanGate.severity: "SEVERE" is not a severity; expected one of LOW, MEDIUM, HIGH, CRITICAL (findings at or above it block)',
      'postgres-images:scanGate.ignoreUnfixed: "yes" is not a boolean; expected true (a vulnerability with no fixed version does not block) or false (it blocks too)',
      'postgres-images:scanGate.allow[1].reason: "" is empty; expected why the finding is accepted, such as "not reachable: …"',
      'postgres-images:scanGate.allow[1].expires: "2026-07-01" is in the past (today is 2026-07-15, UTC); renew the entry with a new reason and expiry, or remove it',
      'postgres-images:scanGate.allow[1].id: "CVE-2026-12345" is listed twice (also allow[0]); keep one entry per id',
      "postgres-images:scanGate.allow[2]: 7 is not an object; expected an allow-list entry {id: CVE-… or GHSA-…, reason: why it is accepted, expires: YYYY-MM-DD}",
    ]);
  });

  it("the Pulumi CLI's rendering of an unquoted date (a Go time at midnight UTC) is that date; another time is refused", () => {
    const { gate, errors } = gateOf({ allow: [{ id: "CVE-2026-12345", reason: "r", expires: "2027-01-31 00:00:00 +0000 UTC" }] });
    assert.deepEqual(errors, []);
    assert.deepEqual(gate, { mode: "enforce", severity: "CRITICAL", ignoreUnfixed: true, allow: [{ id: "CVE-2026-12345", reason: "r", expires: "2027-01-31" }] });
    assertErrors({ allow: [{ id: "CVE-2026-12345", reason: "r", expires: "2027-01-31 10:00:00 +0000 UTC" }] }, [
      'postgres-images:scanGate.allow[0].expires: "2027-01-31 10:00:00 +0000 UTC" is not a date; expected the last day the entry holds, YYYY-MM-DD such as "2027-01-31"',
    ]);
  });

  it("an unknown field with mode none is named once, as unknown", () => {
    assertErrors({ mode: "none", severty: "HIGH" }, ['postgres-images:scanGate.severty: "HIGH" is not a scan gate setting; expected one of mode, severity, ignoreUnfixed, allow']);
  });
});

describe("scanGate: as a stack file writes it", () => {
  it("an unquoted date is the text of the date (YAML 1.2 keeps it a string; the CLI's timestamp form is the same day, below)", () => {
    const yaml = [
      "config:",
      "  postgres-images:scanGate:",
      "    severity: HIGH",
      "    ignoreUnfixed: False",
      "    allow:",
      "      - id: CVE-2026-12345",
      '        reason: "not reachable: the server never calls it"',
      "        expires: 2027-01-31",
      "",
    ].join("\n");
    const s = stackFile(yaml);
    assert.ok(!Array.isArray(s), JSON.stringify(s));
    assert.deepEqual(s.scanGate, { mode: "enforce", severity: "HIGH", ignoreUnfixed: false, allow: [{ id: "CVE-2026-12345", reason: "not reachable: the server never calls it", expires: "2027-01-31" }] });
  });

  it("an expiry the CLI reads as a number is one line, the stack file's", () => {
    const yaml = ["config:", "  postgres-images:scanGate:", "    allow:", "      - {id: CVE-2026-12345, reason: r, expires: 2027.01}", ""].join("\n");
    assert.deepEqual(stackFile(yaml), ['postgres-images:scanGate.allow[0].expires: 2027.01 is a YAML number, which Pulumi does not pass on as written; quote it: "2027.01"']);
  });

  it("scanGate: with nothing after it is refused, not taken as off", () => {
    assert.deepEqual(stackFile("config:\n  postgres-images:scanGate:\n"), [
      'postgres-images:scanGate: "" is empty; expected {severity: …, ignoreUnfixed: …, allow: […]} (mode enforce; {} for the defaults), or {mode: none} to turn the gate off',
    ]);
  });

  it("mode: none in a stack file replaces the whole default object", () => {
    const s = stackFile("config:\n  postgres-images:scanGate: {mode: none}\n");
    assert.ok(!Array.isArray(s), JSON.stringify(s));
    assert.deepEqual(s.scanGate, { mode: "none" });
  });
});
