/**
 * Promotion for real, on the real engine: a small testing stack is built, pushed, signed and attested;
 * then a production stack promotes it through a real StackReference to the testing stack on the same file
 * backend. Checked with the registry's HTTP API and cosign: every production tag serves the testing
 * digest, the production signature and attestations verify there, and a second production run does nothing.
 *
 *   node --import tsx --test test/e2e/promotion.test.ts
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { ROOT } from "../helpers";
import { catalogProblems } from "../catalog-schema";
import { count, engine, IMAGE_TYPE, ran, STEP_TYPE, TierStack, type RunResult } from "./engine";
import { getManifest, INDEX, platformManifests } from "./registry";
import { archivePgVersion, baseRef, cosign as cosignIn, requireTools, resolvedDigest, secondsSince, sh, statements, type ImageOutput } from "./support";

const PLATFORMS = ["linux/amd64", "linux/arm64"];
const CELL = "postgresql-17-minimal-trixie";
const REGISTRY = `localhost:5000/e2e-promotion-${Date.now()}`;
const TESTING_REPO = `${REGISTRY}/postgresql-testing`;
const PROD_REPO = `${REGISTRY}/postgresql`;
const WORK = mkdtempSync(join(tmpdir(), "pgi-promotion-"));
const PASSWORD = `e2e-promotion-${process.pid}-${Date.now()}`;
const BUILDER = process.env.E2E_BUILDER ?? "postgres-images";

const cosign = (args: string[], allowFail = false) => cosignIn(args, { cwd: WORK, password: PASSWORD, allowFail });

const timings: Record<string, number> = {};
let testingConfig: Record<string, unknown> = {};
let testing: TierStack;
let testingImages: Record<string, ImageOutput> = {};
let production: TierStack;
let promoted: RunResult;
let prodImages: Record<string, ImageOutput> = {};

describe("promotion testing → production, for real", { timeout: 30 * 60 * 1000 }, () => {
  before(async () => {
    requireTools();
    engine(join(WORK, "state"));
    const base = baseRef();
    assert.match(base, /^localhost:5000\/debian:trixie-slim@sha256:[0-9a-f]{64}$/);
    cosign(["generate-key-pair"]);
    // The scan gate runs (production's default, CRITICAL) with real Trivy against an empty database written
    // here (none can be downloaded): it scans and passes; scan-gate.test.ts blocks on an advisory.
    const scanDb = sh("bash", [join(ROOT, "scripts/scanner.sh"), "bin", "scan-db"]).stdout.trim();
    writeFileSync(join(WORK, "no-advisories.json"), "[]");
    sh(scanDb, [join(WORK, "no-advisories.json"), join(WORK, "trivy-cache")]);
    Object.assign(process.env, { TRIVY_CACHE_DIR: join(WORK, "trivy-cache"), TRIVY_SKIP_DB_UPDATE: "true", TRIVY_OFFLINE_SCAN: "true", POSTGRES_IMAGES_SCAN_REPORTS: join(WORK, "scan-reports") });
    testingConfig = {
      registry: REGISTRY,
      environment: "testing",
      revision: sh("git", ["rev-parse", "HEAD"], { allowFail: true }).stdout.trim(),
      postgresVersions: [archivePgVersion(base, 17)],
      previewVersions: [],
      imageTypes: ["minimal"],
      bases: [base],
      platforms: PLATFORMS,
      buildArgs: { PG_PACKAGES: "debian" },
      builder: BUILDER,
      signing: { mode: "key", key: join(WORK, "cosign.key"), tlogUpload: false, verify: { publicKey: join(WORK, "cosign.pub") } },
    };
    let t0 = Date.now();
    testing = new TierStack("testing", testingConfig, { cosignPassword: PASSWORD }, WORK);
    await testing.up();
    timings.testing = secondsSince(t0);
    testingImages = await testing.images();
    assert.deepEqual(Object.keys(testingImages), [CELL]);

    production = new TierStack("production", { ...testingConfig, environment: "production", promoteFrom: testing.qualifiedName }, { cosignPassword: PASSWORD }, WORK);
    t0 = Date.now();
    promoted = await production.up();
    timings.promote = secondsSince(t0);
    prodImages = await production.images();
  });

  after(() => {
    process.stdout.write(`# e2e promotion timings (s): ${JSON.stringify(timings)}\n`);
  });

  it("builds nothing in production: it reads the testing stack, copies, signs, attests and verifies", async () => {
    assert.deepEqual(await production.resourceNames(IMAGE_TYPE), [], "no Image in production's state");
    assert.ok((await production.resourceNames("pulumi:pulumi:StackReference")).includes(testing.qualifiedName));
    // The cell's component is new in production, and its steps run; no Image among them.
    // Signed, verified and attested as the parts of one step (resources/parts-step.ts).
    assert.deepEqual(ran(promoted), [CELL, `${CELL}-promote`, `${CELL}-scan-linux-amd64`, `${CELL}-scan-linux-arm64`, `${CELL}-signature`]);
    // Each platform scanned and passed; the reports kept.
    const scans = (await production.outputs()).scans.value as Record<string, { platform: string; passed: boolean }[]>;
    assert.deepEqual(scans[CELL].map((x) => [x.platform, x.passed]), PLATFORMS.map((p) => [p, true]));
    const t = testingImages[CELL];
    const p = prodImages[CELL];
    assert.equal(p.digest, t.digest);
    assert.equal(p.ref, `${PROD_REPO}@${t.digest}`);
    assert.deepEqual(p.tags, t.tags.map((x) => x.replace(`${TESTING_REPO}:`, `${PROD_REPO}:`)));
    assert.equal(p.tags.length, 3);
    const catalogs = (await production.outputs()).catalogs.value as { spec: { images: { major: number; image: string }[] } }[];
    // Upstream's shape: the readable timestamped tag, pinned by the digest.
    const pinned = p.tags.find((t) => /-\d{12}-/.test(t))!;
    assert.deepEqual(catalogs.flatMap((c) => c.spec.images), [{ major: 17, image: `${pinned}@${p.digest}` }]);
  });

  it("every production tag resolves to the testing digest: the registry's API and imagetools agree", async () => {
    const t = testingImages[CELL];
    for (const tag of prodImages[CELL].tags) {
      const { manifest, digest } = await getManifest(tag);
      assert.equal(digest, t.digest, `${tag} (registry API)`);
      assert.equal(manifest.mediaType, INDEX, tag);
      assert.deepEqual(platformManifests(manifest).map((m) => `${m.platform!.os}/${m.platform!.architecture}`).sort(), PLATFORMS);
      assert.equal(resolvedDigest(tag), t.digest, `${tag} (imagetools)`);
    }
    // The testing tags still serve it too (other runs may move testing's floating tags; the digest stays).
    assert.equal((await getManifest(t.ref)).digest, t.digest);
  });

  it("the production signature verifies at PROD_REPO@DIGEST and at each platform manifest", async () => {
    const r = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", prodImages[CELL].ref], true);
    assert.equal(r.status, 0, r.stderr);
    const repo = prodImages[CELL].ref.split("@")[0];
    for (const m of platformManifests((await getManifest(prodImages[CELL].ref)).manifest)) {
      const p = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", `${repo}@${m.digest}`], true);
      assert.equal(p.status, 0, `the production ${m.platform!.architecture} manifest: ${p.stderr}`);
    }
    const unsigned = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", baseRef()], true);
    assert.notEqual(unsigned.status, 0, "an unsigned digest must not verify");
  });

  it("the provenance verifies at the production index and each platform's SBOM at its production manifest, about the promoted digests", async () => {
    const ref = prodImages[CELL].ref;
    const digest = prodImages[CELL].digest;
    const testingProvenance = statements(cosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--type", "slsaprovenance1", testingImages[CELL].ref]).stdout);
    const provenance = cosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--type", "slsaprovenance1", ref], true);
    assert.equal(provenance.status, 0, provenance.stderr);
    const found = statements(provenance.stdout);
    assert.equal(found.length, 1, "production's own provenance only: testing's attestations stay in testing");
    for (const s of found) assert.equal(`sha256:${s.subject[0].digest.sha256}`, digest);
    // Production attested the testing build's provenance again, unchanged.
    for (const s of found) assert.deepEqual(s.predicate, testingProvenance[0].predicate);
    const repo = ref.split("@")[0];
    const platforms = platformManifests((await getManifest(ref)).manifest);
    assert.ok(platforms.length >= 1);
    for (const m of platforms) {
      const r = cosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--type", "spdxjson", `${repo}@${m.digest}`], true);
      assert.equal(r.status, 0, `${m.platform!.architecture}: ${r.stderr}`);
      const sboms = statements(r.stdout);
      for (const s of sboms) assert.equal(`sha256:${s.subject[0].digest.sha256}`, m.digest);
      const pkgs = sboms.flatMap((s) => (s.predicate.packages as { name: string }[] | undefined) ?? []).map((p) => p.name);
      assert.ok(pkgs.includes("postgresql-17"), `the ${m.platform!.architecture} SBOM lists postgresql-17`);
    }
  });

  it("the policies output admits the production repository signed by its key: cosign with exactly the key and options the policy names verifies the image and its provenance, and refuses an unsigned one", async () => {
    type Attestor = { entries: { keys?: { publicKeys?: string; rekor?: { ignoreTlog?: boolean } } }[] };
    type Policy = { kind: string; spec: { rules: { verifyImages: { imageReferences: string[]; attestors: Attestor[]; attestations: { type: string }[] }[] }[] } };
    const policies = (await production.outputs()).policies.value as Policy[];
    // A key signer: Kyverno's policy (policy-controller cannot verify key-signed cosign 3 bundles).
    assert.deepEqual(policies.map((p) => p.kind), ["ClusterPolicy"]);
    const rule = policies[0].spec.rules[0].verifyImages[0];
    assert.deepEqual(rule.imageReferences, [`${PROD_REPO}:*`, `${PROD_REPO}@*`]);
    assert.deepEqual(rule.attestations.map((a) => a.type), ["https://slsa.dev/provenance/v1"]);
    const keys = rule.attestors[0].entries[0].keys!;
    assert.equal(keys.publicKeys, readFileSync(join(WORK, "cosign.pub"), "utf8"), "the policy names the stack's public key");
    assert.equal(keys.rekor?.ignoreTlog, true, "signed without a transparency log, so the policy does not ask for one");
    const policyKey = join(WORK, "policy-key.pub");
    writeFileSync(policyKey, keys.publicKeys);
    const asPolicy = ["--key", policyKey, "--insecure-ignore-tlog=true"];
    const ref = prodImages[CELL].ref;
    assert.equal(cosign(["verify", ...asPolicy, ref], true).status, 0, "the image verifies as the policy checks it");
    assert.equal(cosign(["verify-attestation", ...asPolicy, "--type", "slsaprovenance1", ref], true).status, 0, "its provenance verifies as the policy checks it");
    assert.notEqual(cosign(["verify", ...asPolicy, baseRef()], true).status, 0, "an unsigned image does not");
  });

  it("a second production run performs nothing and exports the same", async () => {
    const before = await production.outputs();
    const t0 = Date.now();
    const again = await production.up();
    timings.promoteAgain = secondsSince(t0);
    assert.deepEqual([...again.changed], [], again.stdout);
    assert.deepEqual(await production.outputs(), before);
  });

  it("npm run catalogs writes upstream's files from the production stack and its admission policy, each signed; cosign verify-blob accepts them", async () => {
    const out = join(WORK, "catalogs");
    const r = sh("npm", ["run", "--silent", "catalogs", "--", "--stack", production.name, "--dir", production.dir, "--out", out], { cwd: ROOT, env: { ...process.env } });
    // The catalogs, and beside them the stack's admission policy (a key signer: Kyverno's), each signed.
    const names = ["catalog-minimal-trixie.yaml", "kustomization.yaml", "policy-clusterpolicy-postgresql-signed.yaml"];
    assert.deepEqual(readdirSync(out).sort(), [...names, ...names.map((n) => `${n}.sigstore.json`)].sort(), r.stdout);
    assert.deepEqual(parse(readFileSync(join(out, names[2]), "utf8")), ((await production.outputs()).policies.value as unknown[])[0], "the policies output, as a file");
    const catalog = parse(readFileSync(join(out, "catalog-minimal-trixie.yaml"), "utf8")) as { kind: string; metadata: { name: string; labels: Record<string, string> }; spec: { images: { major: number; image: string }[] } };
    const pinned = prodImages[CELL].tags.find((t) => /-\d{12}-/.test(t))!;
    assert.equal(catalog.kind, "ClusterImageCatalog");
    assert.equal(catalog.metadata.name, "postgresql-minimal-trixie");
    assert.equal(catalog.metadata.labels["images.cnpg.io/date"], /-(\d{8})\d{4}-/.exec(pinned)![1], "dated by the build, not the wall clock");
    assert.equal(catalog.metadata.labels["images.cnpg.io/publisher"], "cnpg.io");
    assert.deepEqual(catalog.spec.images, [{ major: 17, image: `${pinned}@${prodImages[CELL].digest}` }]);
    assert.deepEqual(catalogProblems(catalog), [], "valid for the ClusterImageCatalog CRD's schema");
    assert.deepEqual((parse(readFileSync(join(out, "kustomization.yaml"), "utf8")) as { resources: string[] }).resources, ["catalog-minimal-trixie.yaml"]);
    for (const name of names) {
      const file = join(out, name);
      const ok = cosign(["verify-blob", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--bundle", `${file}.sigstore.json`, file], true);
      assert.equal(ok.status, 0, `${name}: ${ok.stderr}`);
    }
    // A changed byte no longer verifies.
    const tampered = join(out, "tampered.yaml");
    writeFileSync(tampered, readFileSync(join(out, names[0]), "utf8").replace("major: 17", "major: 18"));
    assert.notEqual(cosign(["verify-blob", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--bundle", join(out, `${names[0]}.sigstore.json`), tampered], true).status, 0);
  });

  it("a selected cell the testing stack did not build stops the run with one line, and nothing is copied", async () => {
    const wider = new TierStack("production-wider", { ...testingConfig, environment: "production", promoteFrom: testing.qualifiedName, imageTypes: ["minimal", "standard"] }, { cosignPassword: PASSWORD }, WORK);
    const r = await wider.up({ expect: "failure" });
    const line = `postgres-images:promoteFrom: stack "${testing.qualifiedName}" has no image for cell "postgresql-17-standard-trixie"; build it in testing first or narrow targets`;
    assert.ok(r.stdout.includes(line), r.stdout.slice(-3000));
    assert.equal(r.stdout.split(line).length - 1 >= 1, true);
    // Only the cells' components are registered (they hold nothing); no step ran: nothing copied or signed.
    assert.deepEqual(ran(r).filter((n) => !["postgresql-17-minimal-trixie", "postgresql-17-standard-trixie"].includes(n)), [], "nothing ran");
    assert.equal(count(r, STEP_TYPE, "create"), 0, "no step ran");
    await assert.rejects(getManifest(`${PROD_REPO}:17-standard-trixie`), /HTTP 404/);
  });
});
