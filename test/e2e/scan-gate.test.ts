/**
 * The scan gate on the real engine: a testing stack builds and signs PostgreSQL 17 `minimal` (amd64, from the
 * base's Debian archive, as promotion.test.ts does); a production stack promotes it only after Trivy (built
 * from its Go module by scripts/scanner.sh) has scanned it by digest. The vulnerability database cannot be
 * downloaded here, so the test writes one with scan-db (scripts/scan-db) holding one advisory: the image's own
 * `postgresql-17` is fixed in the next minor. Trivy runs for real, offline, against it.
 *
 *   node --import tsx --test test/e2e/scan-gate.test.ts
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ROOT } from "../helpers";
import { engine, ran, TierStack } from "./engine";
import { getManifest } from "./registry";
import { archivePgVersion, baseRef, cosign as cosignIn, requireTools, sh, type ImageOutput } from "./support";

const CELL = "postgresql-17-minimal-trixie";
const REGISTRY = `localhost:5000/e2e-scan-${Date.now()}`;
const PROD_REPO = `${REGISTRY}/postgresql`;
const WORK = mkdtempSync(join(tmpdir(), "pgi-scan-gate-"));
const REPORTS = join(WORK, "reports");
const PASSWORD = `e2e-scan-${process.pid}-${Date.now()}`;
const CVE = "CVE-2099-0001";

const cosign = (args: string[], allowFail = false) => cosignIn(args, { cwd: WORK, password: PASSWORD, allowFail });

interface Report {
  Results?: { Target: string; Class: string; Vulnerabilities?: { VulnerabilityID: string; PkgName: string; InstalledVersion: string; FixedVersion: string; Severity: string }[]; Misconfigurations?: { ID: string; AVDID?: string; Status: string }[] }[];
}

let base = "";
let version = "";
let testing: TierStack;
let production: TierStack;
let testingImage: ImageOutput;

describe("the scan gate: Trivy scans each testing image before production copies it", { timeout: 30 * 60 * 1000 }, () => {
  before(async () => {
    requireTools();
    engine(join(WORK, "state"));
    sh("bash", [join(ROOT, "scripts/scanner.sh"), "install"]);
    const scanDb = sh("bash", [join(ROOT, "scripts/scanner.sh"), "bin", "scan-db"]).stdout.trim();
    base = baseRef();
    version = archivePgVersion(base, 17);
    // The advisory: postgresql-17 (Debian's source package) fixed in the next minor, above what is installed.
    const [major, minor] = version.split(".").map(Number);
    const advisories = join(WORK, "advisories.json");
    writeFileSync(advisories, JSON.stringify([{ source: "debian 13", package: "postgresql-17", id: CVE, fixedVersion: `${major}.${minor + 1}-0`, severity: "CRITICAL", title: "e2e advisory" }]));
    const db = join(WORK, "trivy-cache");
    sh(scanDb, [advisories, db]);
    // Trivy reads its own TRIVY_* variables: the engine's steps inherit them from this process.
    Object.assign(process.env, { TRIVY_CACHE_DIR: db, TRIVY_SKIP_DB_UPDATE: "true", TRIVY_OFFLINE_SCAN: "true", POSTGRES_IMAGES_SCAN_REPORTS: REPORTS });
    cosign(["generate-key-pair"]);
    const config = {
      registry: REGISTRY,
      environment: "testing",
      postgresVersions: [version],
      previewVersions: [],
      imageTypes: ["minimal"],
      bases: [base],
      platforms: ["linux/amd64"],
      buildArgs: { PG_PACKAGES: "debian" },
      builder: process.env.E2E_BUILDER ?? "postgres-images",
      signing: { mode: "key", key: join(WORK, "cosign.key"), tlogUpload: false, verify: { publicKey: join(WORK, "cosign.pub") } },
    };
    testing = new TierStack("testing", config, { cosignPassword: PASSWORD }, WORK);
    await testing.up();
    testingImage = (await testing.images())[CELL];
    production = new TierStack("production", { ...config, environment: "production", promoteFrom: testing.qualifiedName, scanGate: { severity: "CRITICAL" } }, { cosignPassword: PASSWORD }, WORK);
  });

  it("blocks the cell whose postgresql-17 has a CRITICAL advisory with a fix: one line naming cell, digest and finding; nothing is copied; the report is kept", async () => {
    const r = await production.up({ expect: "failure" });
    assert.match(r.stdout, new RegExp(`${CELL}-scan-linux-amd64 \\*\\*creating failed\\*\\*`), "the scan step ran and failed");
    assert.ok(!ran(r).includes(`${CELL}-promote`), "the copy did not run");
    assert.match(
      r.stdout,
      new RegExp(`${CELL} ${testingImage.digest} linux/amd64: blocked by \\d+ finding\\(s\\) at or above CRITICAL: [^\\n]*${CVE} postgresql-17 ${version.replace(".", "\\.")}-\\S+ → ${version.split(".")[0]}\\.\\d+-0 \\(CRITICAL\\)`),
    );
    await assert.rejects(getManifest(`${PROD_REPO}:17-minimal-trixie`), /HTTP 404/, "nothing pushed to production");
    assert.deepEqual(await production.images(), {}, "a blocked cell is not in the images output");
    // The scanner's own JSON report, kept for CI to upload.
    const file = join(REPORTS, `${CELL}-linux-amd64.json`);
    assert.ok(existsSync(file), file);
    const report = JSON.parse(readFileSync(file, "utf8")) as Report;
    const vulns = (report.Results ?? []).flatMap((x) => x.Vulnerabilities ?? []);
    const pg = vulns.find((v) => v.VulnerabilityID === CVE && v.PkgName === "postgresql-17");
    assert.ok(pg !== undefined, JSON.stringify(vulns.slice(0, 5)));
    assert.ok(pg.InstalledVersion.startsWith(`${version}-`), pg.InstalledVersion);
  });

  it("Trivy's offline checks of the image config run: the image runs as uid 26, so no 'runs as root' finding; the root-running base has one", () => {
    const report = JSON.parse(readFileSync(join(REPORTS, `${CELL}-linux-amd64.json`), "utf8")) as Report;
    const rootCheck = (r: Report) => (r.Results ?? []).flatMap((x) => x.Misconfigurations ?? []).filter((m) => /DS-?0002/.test(`${m.ID} ${m.AVDID ?? ""}`) && m.Status === "FAIL");
    assert.deepEqual(rootCheck(report), []);
    const out = join(WORK, "base-report.json");
    sh("trivy", ["image", "--quiet", "--format", "json", "--cache-backend", "memory", "--skip-java-db-update", "--skip-check-update", "--skip-version-check", "--disable-telemetry", "--image-src", "remote", "--platform", "linux/amd64", "--scanners", "secret", "--image-config-scanners", "misconfig", "--output", out, base]);
    assert.equal(rootCheck(JSON.parse(readFileSync(out, "utf8")) as Report).length, 1, "the base's config has no USER");
  });

  it("allow-listed with a reason and an expiry, the same digest is scanned again, passes, and is copied and signed in production", async () => {
    await production.reconfigure({ scanGate: { severity: "CRITICAL", allow: [{ id: CVE, reason: "e2e: the advisory is made up", expires: "2099-12-31" }] } });
    const r = await production.up();
    assert.ok(ran(r).includes(`${CELL}-scan-linux-amd64`), "scanned again: the gate changed");
    assert.ok(ran(r).includes(`${CELL}-promote`));
    const prod = (await production.images())[CELL];
    assert.equal(prod.digest, testingImage.digest);
    assert.equal(cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", prod.ref], true).status, 0, "signed in production");
    const scans = (await production.outputs()).scans.value as Record<string, { platform: string; passed: boolean; allowed: string[]; report: string }[]>;
    assert.deepEqual(Object.keys(scans), [CELL]);
    assert.equal(scans[CELL][0].platform, "linux/amd64");
    assert.equal(scans[CELL][0].passed, true);
    assert.ok(scans[CELL][0].allowed.includes(CVE));
    assert.equal(scans[CELL][0].report, join(REPORTS, `${CELL}-linux-amd64.json`));
    const again = await production.up();
    assert.deepEqual(ran(again), [], "an unchanged digest and gate scan and copy nothing");
  });
});
