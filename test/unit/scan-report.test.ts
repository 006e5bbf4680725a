import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { UserError } from "../../lib/errors";
import type { ScanGate } from "../../lib/config/scan-gate";
import { ScanReportError, describeBlocked, evaluateScan, parseTrivyReport, type ScanVerdict } from "../../lib/scan/gate";

const TODAY = "2026-07-15";
const CELL = "postgresql-17-minimal-trixie";
const DIGEST = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/**
 * What `trivy image --format json` writes for one platform of an image, cut down to a few findings of
 * each kind: a Debian layer with fixed, unfixed, low and unscored vulnerabilities, a Python package, a
 * Dockerfile check (failed and passed) and a secret.
 */
const REPORT = `{
  "SchemaVersion": 2,
  "CreatedAt": "2026-07-15T06:00:00.000000000Z",
  "ArtifactName": "ghcr.io/cloudnative-pg/postgresql-testing@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "ArtifactType": "container_image",
  "Metadata": {"OS": {"Family": "debian", "Name": "13.1"}, "ImageID": "sha256:bbbb"},
  "Results": [
    {
      "Target": "ghcr.io/cloudnative-pg/postgresql-testing@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (debian 13.1)",
      "Class": "os-pkgs",
      "Type": "debian",
      "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2099-0001", "PkgID": "postgresql-17@17.12-1", "PkgName": "postgresql-17", "InstalledVersion": "17.12-1", "FixedVersion": "17.99-1", "Status": "fixed", "Severity": "HIGH", "Title": "postgresql: a flaw"},
        {"VulnerabilityID": "CVE-2099-0002", "PkgName": "libssl3t64", "InstalledVersion": "3.5.1-1", "FixedVersion": "3.5.1-2", "Status": "fixed", "Severity": "CRITICAL"},
        {"VulnerabilityID": "CVE-2099-0003", "PkgName": "libc6", "InstalledVersion": "2.41-12", "Status": "affected", "Severity": "CRITICAL"},
        {"VulnerabilityID": "CVE-2099-0004", "PkgName": "zlib1g", "InstalledVersion": "1:1.3.dfsg-3", "FixedVersion": "1:1.3.dfsg-4", "Severity": "MEDIUM"},
        {"VulnerabilityID": "CVE-2099-0005", "PkgName": "perl-base", "InstalledVersion": "5.40.1-6", "Status": "will_not_fix", "Severity": "LOW"},
        {"VulnerabilityID": "TEMP-0841856-B18BAF", "PkgName": "bsdutils", "InstalledVersion": "1:2.41-5", "Severity": "UNKNOWN"}
      ]
    },
    {
      "Target": "Python",
      "Class": "lang-pkgs",
      "Type": "python-pkg",
      "Vulnerabilities": [
        {"VulnerabilityID": "GHSA-34jh-p97f-mpxf", "PkgName": "urllib3", "PkgPath": "usr/lib/python3/dist-packages/urllib3-2.0.0.dist-info/METADATA", "InstalledVersion": "2.0.0", "FixedVersion": "2.2.2", "Severity": "HIGH"}
      ]
    },
    {
      "Target": "Dockerfile",
      "Class": "config",
      "Type": "dockerfile",
      "MisconfSummary": {"Successes": 2, "Failures": 2, "Exceptions": 0},
      "Misconfigurations": [
        {"Type": "Dockerfile Security Check", "ID": "DS002", "AVDID": "AVD-DS-0002", "Title": "Image user should not be 'root'", "Severity": "HIGH", "Status": "FAIL"},
        {"Type": "Dockerfile Security Check", "ID": "DS026", "AVDID": "AVD-DS-0026", "Title": "No HEALTHCHECK defined", "Severity": "LOW", "Status": "FAIL"},
        {"Type": "Dockerfile Security Check", "ID": "DS001", "AVDID": "AVD-DS-0001", "Title": "':latest' tag used", "Severity": "MEDIUM", "Status": "PASS"},
        {"Type": "Dockerfile Security Check", "ID": "DS005", "AVDID": "AVD-DS-0005", "Title": "ADD instead of COPY", "Severity": "CRITICAL", "Status": "PASS"}
      ]
    },
    {
      "Target": "/etc/app/credentials.env",
      "Class": "secret",
      "Secrets": [
        {"RuleID": "aws-access-key-id", "Category": "AWS", "Severity": "CRITICAL", "Title": "AWS Access Key ID", "StartLine": 3, "EndLine": 3, "Match": "AWS_ACCESS_KEY_ID=********************"}
      ]
    }
  ]
}`;

function gate(severity: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL", more: Partial<{ ignoreUnfixed: boolean; allow: { id: string; reason: string; expires: string }[] }> = {}): ScanGate {
  return { mode: "enforce", severity, ignoreUnfixed: more.ignoreUnfixed ?? true, allow: more.allow ?? [] };
}

/** The verdict as ids: what blocks, what was allowed (and by which entry's expiry), what was skipped as unfixed, how many were below. */
function summary(v: ScanVerdict): { blocking: string[]; allowed: string[]; expired: string[]; unfixed: string[]; belowThreshold: number; passed: boolean } {
  return {
    blocking: v.blocking.map((f) => `${f.id} ${f.severity}`),
    allowed: v.allowed.map((a) => `${a.finding.id} until ${a.entry.expires}`),
    expired: v.expired.map((a) => `${a.finding.id} expired ${a.entry.expires}`),
    unfixed: v.unfixed.map((f) => f.id),
    belowThreshold: v.belowThreshold,
    passed: v.passed,
  };
}

/** A report of one OS Result with these vulnerabilities, as JSON text. */
function osReport(...vulnerabilities: Record<string, unknown>[]): string {
  return JSON.stringify({ SchemaVersion: 2, ArtifactName: "img", Results: [{ Target: "img (debian 13.1)", Class: "os-pkgs", Type: "debian", Vulnerabilities: vulnerabilities }] });
}

describe("parseTrivyReport", () => {
  it("keeps what the gate reads, fills what Trivy leaves out", () => {
    const r = parseTrivyReport(REPORT);
    assert.equal(r.ArtifactName, "ghcr.io/cloudnative-pg/postgresql-testing@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert.equal(r.Results.length, 4);
    assert.deepEqual(r.Results[0].Vulnerabilities[2], { VulnerabilityID: "CVE-2099-0003", PkgName: "libc6", InstalledVersion: "2.41-12", FixedVersion: "", Severity: "CRITICAL", Title: "" });
    assert.deepEqual(r.Results[2].Misconfigurations[0], { ID: "DS002", AVDID: "AVD-DS-0002", Title: "Image user should not be 'root'", Severity: "HIGH", Status: "FAIL" });
    assert.deepEqual(r.Results[3], {
      Target: "/etc/app/credentials.env",
      Class: "secret",
      Type: "",
      Vulnerabilities: [],
      Misconfigurations: [],
      // The secret's Match (Trivy masks it, but still) is not kept.
      Secrets: [{ RuleID: "aws-access-key-id", Category: "AWS", Severity: "CRITICAL", Title: "AWS Access Key ID", StartLine: 3 }],
    });
  });

  it("a clean image: no Results at all (Trivy omits empty ones)", () => {
    assert.deepEqual(parseTrivyReport('{"SchemaVersion": 2, "ArtifactName": "img", "ArtifactType": "container_image"}'), { ArtifactName: "img", Results: [] });
  });

  it("a missing or empty severity is UNKNOWN, as Trivy reads it", () => {
    const r = parseTrivyReport(osReport({ VulnerabilityID: "CVE-2099-0001", PkgName: "a", InstalledVersion: "1" }, { VulnerabilityID: "CVE-2099-0002", PkgName: "b", InstalledVersion: "1", Severity: "" }));
    assert.deepEqual(
      r.Results[0].Vulnerabilities.map((v) => v.Severity),
      ["UNKNOWN", "UNKNOWN"],
    );
  });

  const bad: [string, string, string][] = [
    ["empty output", "", 'Trivy report: "" is empty; expected the JSON of trivy image --format json'],
    ["the table format", "Total: 3 (HIGH: 2, CRITICAL: 1)\n", "Trivy report: is not JSON (Unexpected token 'T', \"Total: 3 (\"... is not valid JSON); expected the output of trivy image --format json"],
    ["cut short", '{"SchemaVersion": 2, "Results": [', "Trivy report: is not JSON (Unexpected end of JSON input); expected the output of trivy image --format json"],
    ["a list", "[]", "Trivy report: [] is not an object; expected the JSON of trivy image --format json"],
    ["another schema", '{"SchemaVersion": 3}', "Trivy report: SchemaVersion: 3 is not the report schema this gate reads; expected 2"],
    ["Results as a map", '{"Results": {}}', "Trivy report: Results: {} is not a list"],
    ["a Result that is text", '{"Results": ["x"]}', 'Trivy report: Results[0]: "x" is not an object; expected the JSON of trivy image --format json'],
    ["a Result without Target", '{"Results": [{"Class": "os-pkgs"}]}', "Trivy report: Results[0].Target: (missing) is missing; expected a text"],
    ["Vulnerabilities as text", '{"Results": [{"Target": "t", "Vulnerabilities": "none"}]}', 'Trivy report: Results[0].Vulnerabilities: "none" is not a list'],
    ["a vulnerability without id", osReport({ PkgName: "a", InstalledVersion: "1", Severity: "HIGH" }), "Trivy report: Results[0].Vulnerabilities[0].VulnerabilityID: (missing) is missing; expected a text"],
    ["a vulnerability with an empty id", osReport({ VulnerabilityID: "", PkgName: "a", Severity: "HIGH" }), 'Trivy report: Results[0].Vulnerabilities[0].VulnerabilityID: "" is empty'],
    ["a vulnerability without package", osReport({ VulnerabilityID: "CVE-2099-0001", Severity: "HIGH" }), "Trivy report: Results[0].Vulnerabilities[0].PkgName: (missing) is missing; expected a text"],
    ["a numeric fixed version", osReport({ VulnerabilityID: "CVE-2099-0001", PkgName: "a", FixedVersion: 2, Severity: "HIGH" }), "Trivy report: Results[0].Vulnerabilities[0].FixedVersion: 2 is not a text"],
    ["a severity Trivy does not have", osReport({ VulnerabilityID: "CVE-2099-0001", PkgName: "a", Severity: "SEVERE" }), 'Trivy report: Results[0].Vulnerabilities[0].Severity: "SEVERE" is not a severity; expected one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL'],
    ["a severity in lower case", osReport({ VulnerabilityID: "CVE-2099-0001", PkgName: "a", Severity: "high" }), 'Trivy report: Results[0].Vulnerabilities[0].Severity: "high" is not a severity; expected one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL'],
    ["a misconfiguration without status", '{"Results": [{"Target": "Dockerfile", "Misconfigurations": [{"ID": "DS002", "Severity": "HIGH"}]}]}', "Trivy report: Results[0].Misconfigurations[0].Status: (missing) is not a check status; expected one of PASS, FAIL, EXCEPTION"],
    ["a secret without rule", '{"Results": [{"Target": "f", "Secrets": [{"Severity": "HIGH"}]}]}', "Trivy report: Results[0].Secrets[0].RuleID: (missing) is missing; expected a text"],
    ["a secret's line as text", '{"Results": [{"Target": "f", "Secrets": [{"RuleID": "r", "StartLine": "3"}]}]}', 'Trivy report: Results[0].Secrets[0].StartLine: "3" is not a line number'],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name} with ScanReportError, one line`, () => {
      assert.throws(
        () => parseTrivyReport(text),
        (e: unknown) => {
          assert.ok(e instanceof ScanReportError, String(e));
          assert.ok(e instanceof UserError, "a UserError: printed without a stack trace");
          assert.equal(e.name, "ScanReportError");
          assert.equal(e.message, message);
          return true;
        },
      );
    });
  }

  it("names the file it read", () => {
    assert.throws(() => parseTrivyReport("[]", "scan/postgresql-17-minimal-trixie-linux-amd64.json"), { message: "scan/postgresql-17-minimal-trixie-linux-amd64.json: [] is not an object; expected the JSON of trivy image --format json" });
  });
});

describe("evaluateScan: thresholds", () => {
  const report = parseTrivyReport(REPORT);

  it("CRITICAL: a fixed critical vulnerability and a critical secret block; the unfixed one is skipped", () => {
    assert.deepEqual(summary(evaluateScan(report, gate("CRITICAL"), TODAY)), {
      blocking: ["CVE-2099-0002 CRITICAL", "aws-access-key-id CRITICAL"],
      allowed: [],
      expired: [],
      unfixed: ["CVE-2099-0003"],
      belowThreshold: 7,
      passed: false,
    });
  });

  it("HIGH: highest severity first, then by id", () => {
    assert.deepEqual(summary(evaluateScan(report, gate("HIGH"), TODAY)), {
      blocking: ["CVE-2099-0002 CRITICAL", "aws-access-key-id CRITICAL", "CVE-2099-0001 HIGH", "DS002 HIGH", "GHSA-34jh-p97f-mpxf HIGH"],
      allowed: [],
      expired: [],
      unfixed: ["CVE-2099-0003"],
      belowThreshold: 4,
      passed: false,
    });
  });

  it("LOW: everything scored blocks; UNKNOWN stays below every threshold", () => {
    assert.deepEqual(summary(evaluateScan(report, gate("LOW"), TODAY)), {
      blocking: ["CVE-2099-0002 CRITICAL", "aws-access-key-id CRITICAL", "CVE-2099-0001 HIGH", "DS002 HIGH", "GHSA-34jh-p97f-mpxf HIGH", "CVE-2099-0004 MEDIUM", "DS026 LOW"],
      allowed: [],
      expired: [],
      unfixed: ["CVE-2099-0003", "CVE-2099-0005"],
      belowThreshold: 1,
      passed: false,
    });
  });

  it("keeps each blocking finding's package, versions, title and where it was found", () => {
    const v = evaluateScan(report, gate("HIGH"), TODAY);
    assert.deepEqual(v.threshold, "HIGH");
    assert.deepEqual(v.blocking[2], {
      kind: "vulnerability",
      id: "CVE-2099-0001",
      package: "postgresql-17",
      installed: "17.12-1",
      fixed: "17.99-1",
      severity: "HIGH",
      title: "postgresql: a flaw",
      target: "ghcr.io/cloudnative-pg/postgresql-testing@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (debian 13.1)",
    });
    assert.deepEqual(v.blocking[1], { kind: "secret", id: "aws-access-key-id", package: "/etc/app/credentials.env", installed: "3", fixed: "", severity: "CRITICAL", title: "AWS Access Key ID", target: "/etc/app/credentials.env" });
    assert.deepEqual(v.blocking[3], { kind: "misconfiguration", id: "DS002", package: "Dockerfile", installed: "", fixed: "", severity: "HIGH", title: "Image user should not be 'root'", target: "Dockerfile" });
  });

  it("a clean report passes", () => {
    assert.deepEqual(summary(evaluateScan(parseTrivyReport('{"SchemaVersion": 2, "ArtifactName": "img"}'), gate("LOW"), TODAY)), { blocking: [], allowed: [], expired: [], unfixed: [], belowThreshold: 0, passed: true });
  });
});

describe("evaluateScan: ignoreUnfixed", () => {
  const report = parseTrivyReport(REPORT);

  it("false: a vulnerability without a fixed version blocks too", () => {
    assert.deepEqual(summary(evaluateScan(report, gate("HIGH", { ignoreUnfixed: false }), TODAY)), {
      blocking: ["CVE-2099-0002 CRITICAL", "CVE-2099-0003 CRITICAL", "aws-access-key-id CRITICAL", "CVE-2099-0001 HIGH", "DS002 HIGH", "GHSA-34jh-p97f-mpxf HIGH"],
      allowed: [],
      expired: [],
      unfixed: [],
      belowThreshold: 4,
      passed: false,
    });
  });

  it("an empty FixedVersion is no fix", () => {
    const r = parseTrivyReport(osReport({ VulnerabilityID: "CVE-2099-0001", PkgName: "a", InstalledVersion: "1", FixedVersion: "", Severity: "CRITICAL" }));
    assert.deepEqual(summary(evaluateScan(r, gate("HIGH"), TODAY)), { blocking: [], allowed: [], expired: [], unfixed: ["CVE-2099-0001"], belowThreshold: 0, passed: true });
  });
});

describe("evaluateScan: the allow-list", () => {
  const report = parseTrivyReport(REPORT);
  const reason = "not reachable: the server never calls it";

  it("allows listed vulnerabilities through their expiry day, and names the entry", () => {
    const v = evaluateScan(report, gate("HIGH", { allow: [{ id: "CVE-2099-0002", reason, expires: "2026-07-15" }, { id: "GHSA-34jh-p97f-mpxf", reason: "test code only", expires: "2027-01-31" }] }), TODAY);
    assert.deepEqual(summary(v), {
      blocking: ["aws-access-key-id CRITICAL", "CVE-2099-0001 HIGH", "DS002 HIGH"],
      allowed: ["CVE-2099-0002 until 2026-07-15", "GHSA-34jh-p97f-mpxf until 2027-01-31"],
      expired: [],
      unfixed: ["CVE-2099-0003"],
      belowThreshold: 4,
      passed: false,
    });
    assert.deepEqual(v.allowed[0].entry, { id: "CVE-2099-0002", reason: "not reachable: the server never calls it", expires: "2026-07-15" });
    assert.equal(v.allowed[0].finding.package, "libssl3t64");
  });

  it("an entry that expired (the day before today) allows nothing: the finding blocks, and the entry is named", () => {
    const v = evaluateScan(report, gate("CRITICAL", { allow: [{ id: "CVE-2099-0002", reason, expires: "2026-07-14" }] }), TODAY);
    assert.deepEqual(summary(v), {
      blocking: ["CVE-2099-0002 CRITICAL", "aws-access-key-id CRITICAL"],
      allowed: [],
      expired: ["CVE-2099-0002 expired 2026-07-14"],
      unfixed: ["CVE-2099-0003"],
      belowThreshold: 7,
      passed: false,
    });
  });

  it("an allowed vulnerability without a fix counts as allowed; an expired entry does not make an unfixed one block", () => {
    const allowed = evaluateScan(report, gate("CRITICAL", { allow: [{ id: "CVE-2099-0003", reason, expires: "2027-01-31" }] }), TODAY);
    assert.deepEqual(summary(allowed).allowed, ["CVE-2099-0003 until 2027-01-31"]);
    assert.deepEqual(summary(allowed).unfixed, []);
    const expired = evaluateScan(report, gate("CRITICAL", { allow: [{ id: "CVE-2099-0003", reason, expires: "2026-01-01" }] }), TODAY);
    assert.deepEqual(summary(expired), { blocking: ["CVE-2099-0002 CRITICAL", "aws-access-key-id CRITICAL"], allowed: [], expired: [], unfixed: ["CVE-2099-0003"], belowThreshold: 7, passed: false });
  });

  it("allows vulnerabilities only: an entry named like a secret rule or a check allows neither", () => {
    const v = evaluateScan(report, gate("HIGH", { allow: [{ id: "aws-access-key-id", reason, expires: "2027-01-31" }, { id: "DS002", reason, expires: "2027-01-31" }] }), TODAY);
    assert.deepEqual(summary(v).blocking, ["CVE-2099-0002 CRITICAL", "aws-access-key-id CRITICAL", "CVE-2099-0001 HIGH", "DS002 HIGH", "GHSA-34jh-p97f-mpxf HIGH"]);
    assert.deepEqual(summary(v).allowed, []);
  });

  it("an entry for a finding below the threshold changes nothing", () => {
    const v = evaluateScan(report, gate("CRITICAL", { allow: [{ id: "CVE-2099-0001", reason, expires: "2027-01-31" }] }), TODAY);
    assert.deepEqual(summary(v).allowed, []);
    assert.equal(v.belowThreshold, 7);
  });
});

describe("evaluateScan: misconfigurations and secrets", () => {
  it("a passed or excepted check is no finding at all", () => {
    const r = parseTrivyReport(
      JSON.stringify({
        Results: [
          {
            Target: "Dockerfile",
            Class: "config",
            Misconfigurations: [
              { ID: "DS005", Severity: "CRITICAL", Status: "PASS" },
              { ID: "DS002", Severity: "HIGH", Status: "EXCEPTION" },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(summary(evaluateScan(r, gate("LOW"), TODAY)), { blocking: [], allowed: [], expired: [], unfixed: [], belowThreshold: 0, passed: true });
  });

  it("secrets count by severity alone: ignoreUnfixed does not skip them", () => {
    const r = parseTrivyReport(
      JSON.stringify({
        Results: [
          {
            Target: "/root/.pgpass",
            Class: "secret",
            Secrets: [
              { RuleID: "private-key", Severity: "HIGH", StartLine: 1 },
              { RuleID: "generic-password", Severity: "LOW", StartLine: 9 },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(summary(evaluateScan(r, gate("HIGH", { ignoreUnfixed: true }), TODAY)), { blocking: ["private-key HIGH"], allowed: [], expired: [], unfixed: [], belowThreshold: 1, passed: false });
  });
});

describe("evaluateScan: findings once", () => {
  it("the same id, package and installed version in two Results is one finding, at its highest severity, with a fix if either has one", () => {
    const r = parseTrivyReport(
      JSON.stringify({
        Results: [
          { Target: "layer one", Vulnerabilities: [{ VulnerabilityID: "CVE-2099-0001", PkgName: "openssl", InstalledVersion: "3.5.1-1", Severity: "MEDIUM", Title: "" }] },
          { Target: "layer two", Vulnerabilities: [{ VulnerabilityID: "CVE-2099-0001", PkgName: "openssl", InstalledVersion: "3.5.1-1", FixedVersion: "3.5.1-2", Severity: "HIGH", Title: "openssl: a flaw" }] },
          { Target: "layer three", Vulnerabilities: [{ VulnerabilityID: "CVE-2099-0001", PkgName: "openssl", InstalledVersion: "3.5.1-1", Severity: "HIGH" }] },
        ],
      }),
    );
    const v = evaluateScan(r, gate("HIGH"), TODAY);
    assert.deepEqual(v.blocking, [{ kind: "vulnerability", id: "CVE-2099-0001", package: "openssl", installed: "3.5.1-1", fixed: "3.5.1-2", severity: "HIGH", title: "openssl: a flaw", target: "layer one" }]);
    assert.equal(v.belowThreshold, 0);
  });

  it("another installed version or another package is another finding", () => {
    const r = parseTrivyReport(
      osReport(
        { VulnerabilityID: "CVE-2099-0001", PkgName: "openssl", InstalledVersion: "3.5.1-1", FixedVersion: "3.5.1-2", Severity: "HIGH" },
        { VulnerabilityID: "CVE-2099-0001", PkgName: "openssl", InstalledVersion: "3.5.0-1", FixedVersion: "3.5.1-2", Severity: "HIGH" },
        { VulnerabilityID: "CVE-2099-0001", PkgName: "libssl3t64", InstalledVersion: "3.5.1-1", FixedVersion: "3.5.1-2", Severity: "HIGH" },
        { VulnerabilityID: "CVE-2099-0001", PkgName: "openssl", InstalledVersion: "3.5.1-1", FixedVersion: "3.5.1-2", Severity: "HIGH" },
      ),
    );
    assert.deepEqual(
      evaluateScan(r, gate("HIGH"), TODAY).blocking.map((f) => `${f.package} ${f.installed}`),
      ["libssl3t64 3.5.1-1", "openssl 3.5.0-1", "openssl 3.5.1-1"],
    );
  });
});

describe("evaluateScan: mode none", () => {
  it("passes every report and keeps nothing", () => {
    const v = evaluateScan(parseTrivyReport(REPORT), { mode: "none" }, TODAY);
    assert.deepEqual(v, { threshold: undefined, passed: true, blocking: [], allowed: [], expired: [], unfixed: [], belowThreshold: 0 });
  });

  it("a malformed today is the caller's bug", () => {
    assert.throws(() => evaluateScan(parseTrivyReport(REPORT), gate("HIGH"), "15.07.2026"), { message: 'today must be a UTC date YYYY-MM-DD, got "15.07.2026"' });
  });
});

describe("describeBlocked", () => {
  const report = parseTrivyReport(REPORT);

  it("one line: the image, the platform, each finding with its fix, what to do", () => {
    const v = evaluateScan(parseTrivyReport(osReport(
      { VulnerabilityID: "CVE-2099-0001", PkgName: "postgresql-17", InstalledVersion: "17.12-1", FixedVersion: "17.99-1", Severity: "HIGH" },
      { VulnerabilityID: "CVE-2099-0002", PkgName: "libssl3t64", InstalledVersion: "3.5.1-1", FixedVersion: "3.5.1-2", Severity: "CRITICAL" },
    )), gate("HIGH"), TODAY);
    assert.equal(
      describeBlocked(CELL, DIGEST, "linux/amd64", v),
      "postgresql-17-minimal-trixie sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa linux/amd64: blocked by 2 finding(s) at or above HIGH: CVE-2099-0002 libssl3t64 3.5.1-1 → 3.5.1-2 (CRITICAL), CVE-2099-0001 postgresql-17 17.12-1 → 17.99-1 (HIGH); allow-list one in postgres-images:scanGate.allow with a reason and an expiry, or rebuild",
    );
  });

  it("names secrets and checks, and says they cannot be allow-listed", () => {
    assert.equal(
      describeBlocked(CELL, DIGEST, "linux/arm64", evaluateScan(report, gate("HIGH"), TODAY)),
      "postgresql-17-minimal-trixie sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa linux/arm64: blocked by 5 finding(s) at or above HIGH: CVE-2099-0002 libssl3t64 3.5.1-1 → 3.5.1-2 (CRITICAL), secret aws-access-key-id in /etc/app/credentials.env:3 (CRITICAL), CVE-2099-0001 postgresql-17 17.12-1 → 17.99-1 (HIGH), misconfiguration DS002 in Dockerfile (HIGH), GHSA-34jh-p97f-mpxf urllib3 2.0.0 → 2.2.2 (HIGH); allow-list a CVE or GHSA id in postgres-images:scanGate.allow with a reason and an expiry, or rebuild; the others cannot be allow-listed",
    );
  });

  it("lists five, then how many more", () => {
    assert.equal(
      describeBlocked(CELL, DIGEST, "linux/amd64", evaluateScan(report, gate("LOW"), TODAY)),
      "postgresql-17-minimal-trixie sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa linux/amd64: blocked by 7 finding(s) at or above LOW: CVE-2099-0002 libssl3t64 3.5.1-1 → 3.5.1-2 (CRITICAL), secret aws-access-key-id in /etc/app/credentials.env:3 (CRITICAL), CVE-2099-0001 postgresql-17 17.12-1 → 17.99-1 (HIGH), misconfiguration DS002 in Dockerfile (HIGH), GHSA-34jh-p97f-mpxf urllib3 2.0.0 → 2.2.2 (HIGH), and 2 more; allow-list a CVE or GHSA id in postgres-images:scanGate.allow with a reason and an expiry, or rebuild; the others cannot be allow-listed",
    );
  });

  it("says which finding has no fix and which entry expired", () => {
    const v = evaluateScan(report, gate("CRITICAL", { ignoreUnfixed: false, allow: [{ id: "CVE-2099-0002", reason: "r", expires: "2026-07-14" }] }), TODAY);
    assert.equal(
      describeBlocked(CELL, DIGEST, "linux/amd64", v),
      "postgresql-17-minimal-trixie sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa linux/amd64: blocked by 3 finding(s) at or above CRITICAL: CVE-2099-0002 libssl3t64 3.5.1-1 → 3.5.1-2 (CRITICAL, allow-list entry expired 2026-07-14), CVE-2099-0003 libc6 2.41-12, no fix (CRITICAL), secret aws-access-key-id in /etc/app/credentials.env:3 (CRITICAL); allow-list a CVE or GHSA id in postgres-images:scanGate.allow with a reason and an expiry, or rebuild; the others cannot be allow-listed",
    );
  });

  it("findings no allow-list entry can name", () => {
    const r = parseTrivyReport(JSON.stringify({ Results: [{ Target: "/root/.pgpass", Secrets: [{ RuleID: "private-key", Severity: "HIGH" }] }, { Target: "img (debian 13.1)", Vulnerabilities: [{ VulnerabilityID: "TEMP-0841856-B18BAF", PkgName: "bsdutils", InstalledVersion: "1:2.41-5", FixedVersion: "1:2.41-6", Severity: "HIGH" }] }] }));
    assert.equal(
      describeBlocked(CELL, DIGEST, "linux/amd64", evaluateScan(r, gate("HIGH"), TODAY)),
      "postgresql-17-minimal-trixie sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa linux/amd64: blocked by 2 finding(s) at or above HIGH: TEMP-0841856-B18BAF bsdutils 1:2.41-5 → 1:2.41-6 (HIGH), secret private-key in /root/.pgpass (HIGH); rebuild, or fix the image: only CVE and GHSA ids can be allow-listed",
    );
  });

  it("a passing image, and a gate that is off", () => {
    const v = evaluateScan(report, gate("CRITICAL", { allow: [{ id: "CVE-2099-0002", reason: "r", expires: "2027-01-31" }] }), TODAY);
    assert.equal(v.passed, false, "the secret still blocks");
    const clean = evaluateScan(parseTrivyReport(osReport({ VulnerabilityID: "CVE-2099-0002", PkgName: "libssl3t64", InstalledVersion: "3.5.1-1", FixedVersion: "3.5.1-2", Severity: "CRITICAL" }, { VulnerabilityID: "CVE-2099-0003", PkgName: "libc6", InstalledVersion: "2.41-12", Severity: "CRITICAL" }, { VulnerabilityID: "CVE-2099-0004", PkgName: "zlib1g", InstalledVersion: "1", FixedVersion: "2", Severity: "LOW" })), gate("CRITICAL", { allow: [{ id: "CVE-2099-0002", reason: "r", expires: "2027-01-31" }] }), TODAY);
    assert.equal(
      describeBlocked(CELL, DIGEST, "linux/amd64", clean),
      "postgresql-17-minimal-trixie sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa linux/amd64: passed the scan gate at CRITICAL (1 allowed, 1 without a fix, 1 below CRITICAL)",
    );
    assert.equal(
      describeBlocked(CELL, DIGEST, "linux/amd64", evaluateScan(report, { mode: "none" }, TODAY)),
      "postgresql-17-minimal-trixie sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa linux/amd64: not scanned against a gate (postgres-images:scanGate mode none)",
    );
  });
});
