/**
 * Promotion for real, on the real engine: a small testing stack is built, pushed, signed and attested;
 * then a production stack promotes it through a real StackReference to the testing stack on the same file
 * backend. Checked with the registry's HTTP API and cosign: every production tag serves the testing
 * digest, the production signature and attestations verify there, and a second production run does nothing.
 *
 *   node --import tsx --test test/e2e/promotion.test.ts
 */
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { engine, IMAGE_TYPE, ran, TierStack, type RunResult } from "./engine";
import { getManifest, INDEX, platformManifests } from "./registry";
import { baseRef, cosign as cosignIn, requireTools, resolvedDigest, secondsSince, sh, statements, type ImageOutput } from "./support";

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
    testingConfig = {
      registry: REGISTRY,
      environment: "testing",
      revision: sh("git", ["rev-parse", "HEAD"], { allowFail: true }).stdout.trim(),
      postgresVersions: ["17.12"],
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
    assert.deepEqual(ran(promoted), [CELL, `${CELL}-attest-provenance`, `${CELL}-attest-sbom-linux-amd64`, `${CELL}-attest-sbom-linux-arm64`, `${CELL}-promote`, `${CELL}-sign`, `${CELL}-verify`]);
    const t = testingImages[CELL];
    const p = prodImages[CELL];
    assert.equal(p.digest, t.digest);
    assert.equal(p.ref, `${PROD_REPO}@${t.digest}`);
    assert.deepEqual(p.tags, t.tags.map((x) => x.replace(`${TESTING_REPO}:`, `${PROD_REPO}:`)));
    assert.equal(p.tags.length, 3);
    const catalogs = (await production.outputs()).catalogs.value as { spec: { images: { major: number; image: string }[] } }[];
    assert.deepEqual(catalogs.flatMap((c) => c.spec.images), [{ major: 17, image: p.ref }]);
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

  it("the production signature verifies at PROD_REPO@DIGEST", () => {
    const r = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", prodImages[CELL].ref], true);
    assert.equal(r.status, 0, r.stderr);
    const unsigned = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", baseRef()], true);
    assert.notEqual(unsigned.status, 0, "an unsigned digest must not verify");
  });

  it("provenance and SBOM attestations verify at the production ref, about the promoted digest", () => {
    const ref = prodImages[CELL].ref;
    const digest = prodImages[CELL].digest;
    const testingProvenance = statements(cosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--type", "slsaprovenance1", testingImages[CELL].ref]).stdout);
    for (const type of ["slsaprovenance1", "spdxjson"]) {
      const r = cosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--type", type, ref], true);
      assert.equal(r.status, 0, `${type}: ${r.stderr}`);
      const found = statements(r.stdout);
      assert.ok(found.length >= 2, `${type}: the copied testing attestation and production's own (${found.length})`);
      for (const s of found) assert.equal(`sha256:${s.subject[0].digest.sha256}`, digest, type);
      if (type === "spdxjson") {
        const pkgs = found.flatMap((s) => (s.predicate.packages as { name: string }[] | undefined) ?? []).map((p) => p.name);
        assert.ok(pkgs.includes("postgresql-17"), "the SBOM lists postgresql-17");
      } else {
        // Production attested the testing build's provenance again, unchanged.
        for (const s of found) assert.deepEqual(s.predicate, testingProvenance[0].predicate);
      }
    }
  });

  it("a second production run performs nothing and exports the same", async () => {
    const before = await production.outputs();
    const t0 = Date.now();
    const again = await production.up();
    timings.promoteAgain = secondsSince(t0);
    assert.deepEqual([...again.changed], [], again.stdout);
    assert.deepEqual(await production.outputs(), before);
  });

  it("a selected cell the testing stack did not build stops the run with one line, and nothing is copied", async () => {
    const wider = new TierStack("production-wider", { ...testingConfig, environment: "production", promoteFrom: testing.qualifiedName, imageTypes: ["minimal", "standard"] }, { cosignPassword: PASSWORD }, WORK);
    const r = await wider.up({ expect: "failure" });
    const line = `postgres-images:promoteFrom: stack "${testing.qualifiedName}" has no image for cell "postgresql-17-standard-trixie"; build it in testing first or narrow targets`;
    assert.ok(r.stdout.includes(line), r.stdout.slice(-3000));
    assert.equal(r.stdout.split(line).length - 1 >= 1, true);
    assert.deepEqual(ran(r), [], "nothing ran");
    await assert.rejects(getManifest(`${PROD_REPO}:17-standard-trixie`), /HTTP 404/);
  });
});
