/**
 * Promotion for real: a small testing stack is built, pushed, signed and attested through the executor;
 * then a production stack promotes it from the testing run's outputs (its StackReference). Checked
 * with the registry's HTTP API and cosign: every production tag serves the testing digest, the
 * production signature and attestations verify there, and a second production run does nothing.
 *
 *   node --import tsx --test test/e2e/promotion.test.ts
 */
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ExecutorResult } from "./executor";
import { getManifest, INDEX, platformManifests } from "./registry";
import { baseRef, cosign as cosignIn, requireTools, resolvedDigest, secondsSince, sh, statements, up, type ImageOutput, type Stack } from "./support";

const PLATFORMS = ["linux/amd64", "linux/arm64"];
const CELL = "postgresql-17-minimal-trixie";
const TESTING_REPO = "localhost:5000/postgresql-testing";
const PROD_REPO = "localhost:5000/postgresql";
const TESTING_STACK = "e2e/postgres-images/testing";
const WORK = mkdtempSync(join(tmpdir(), "pgi-promotion-"));
const PASSWORD = `e2e-promotion-${process.pid}-${Date.now()}`;

const cosign = (args: string[], allowFail = false) => cosignIn(args, { cwd: WORK, password: PASSWORD, allowFail });

const timings: Record<string, number> = {};
let testingConfig: Record<string, unknown> = {};
let testing: ExecutorResult;
let testingImages: Record<string, ImageOutput> = {};
let production: Stack;
let promoted: ExecutorResult;
let prodImages: Record<string, ImageOutput> = {};

describe("promotion testing → production, for real", { timeout: 30 * 60 * 1000 }, () => {
  before(() => {
    requireTools();
    const base = baseRef();
    assert.match(base, /^localhost:5000\/debian:trixie-slim@sha256:[0-9a-f]{64}$/);
    cosign(["generate-key-pair"]);
    testingConfig = {
      registry: "localhost:5000",
      environment: "testing",
      revision: sh("git", ["rev-parse", "HEAD"], { allowFail: true }).stdout.trim(),
      postgresVersions: ["17.12"],
      previewVersions: [],
      imageTypes: ["minimal"],
      bases: [base],
      platforms: PLATFORMS,
      buildArgs: { PG_PACKAGES: "debian" },
      signing: { mode: "key", key: join(WORK, "cosign.key"), tlogUpload: false, verify: { publicKey: join(WORK, "cosign.pub") } },
    };
    let t0 = Date.now();
    testing = up({ work: WORK, name: "testing", config: testingConfig, secrets: { cosignPassword: PASSWORD } });
    timings.testing = secondsSince(t0);
    testingImages = testing.outputs.images as Record<string, ImageOutput>;
    assert.deepEqual(Object.keys(testingImages), [CELL]);

    production = {
      work: WORK,
      name: "production",
      config: { ...testingConfig, environment: "production", promoteFrom: TESTING_STACK },
      secrets: { cosignPassword: PASSWORD },
      stackReferences: { [TESTING_STACK]: testing.outputs },
    };
    t0 = Date.now();
    promoted = up(production);
    timings.promote = secondsSince(t0);
    prodImages = promoted.outputs.images as Record<string, ImageOutput>;
  });

  after(() => {
    process.stdout.write(`# e2e promotion timings (s): ${JSON.stringify(timings)}\n`);
  });

  it("builds nothing in production: it copies, signs, attests and verifies", () => {
    assert.ok(!promoted.registered.some((r) => r.type === "docker-build:index:Image"), "no Image registered");
    assert.ok(promoted.registered.some((r) => r.type === "pulumi:pulumi:StackReference" && r.name === TESTING_STACK));
    assert.deepEqual(
      promoted.performed.filter((p) => p.type === "command:local:Command").map((p) => p.name).sort(),
      [`${CELL}-attest-provenance`, `${CELL}-attest-sbom-linux-amd64`, `${CELL}-attest-sbom-linux-arm64`, `${CELL}-promote`, `${CELL}-sign`, `${CELL}-verify`],
    );
    const t = testingImages[CELL];
    const p = prodImages[CELL];
    assert.equal(p.digest, t.digest);
    assert.equal(p.ref, `${PROD_REPO}@${t.digest}`);
    assert.deepEqual(p.tags, t.tags.map((x) => x.replace(`${TESTING_REPO}:`, `${PROD_REPO}:`)));
    assert.equal(p.tags.length, 3);
    const catalogs = promoted.outputs.catalogs as { spec: { images: { major: number; image: string }[] } }[];
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

  it("a selected cell the testing stack did not build stops the run with one line, and nothing is copied", async () => {
    const wider: Stack = { ...production, name: "production-wider", config: { ...production.config, imageTypes: ["minimal", "standard"] } };
    assert.throws(
      () => up(wider),
      (e: Error) => {
        const line = e.message.split("\n")[0];
        assert.equal(line, 'executor failed: postgres-images:promoteFrom: stack "e2e/postgres-images/testing" has no image for cell "postgresql-17-standard-trixie"; build it in testing first or narrow targets');
        return true;
      },
    );
    await assert.rejects(getManifest(`${PROD_REPO}:17-standard-trixie`), /HTTP 404/);
  });

  it("a second production run performs nothing and exports the same", () => {
    const t0 = Date.now();
    const again = up(production);
    timings.promoteAgain = secondsSince(t0);
    assert.deepEqual(again.performed, [], JSON.stringify(again.performed));
    assert.deepEqual(again.outputs, promoted.outputs);
  });
});
