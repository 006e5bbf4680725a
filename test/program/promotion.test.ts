/**
 * Promotion under mocks: a production stack with `promoteFrom` reads the testing stack's `images`
 * through a StackReference and copies each selected cell by digest (one promote command per cell),
 * then signs, attests and verifies in production. Nothing is built; an unchanged testing digest runs
 * nothing; bad testing outputs stop the run with one line naming postgres-images:promoteFrom.
 */
import { strict as assert } from "node:assert";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { byName, COMMAND_TYPE, evaluate, keyOf, partsOf, scriptName, IMAGE_TYPE, STACK_REFERENCE_TYPE, type Evaluation, type ProgramOutputValues, type ResourceRecord } from "./harness";

const REGISTRY = "registry.internal:5000/pg";
const TESTING_REPO = `${REGISTRY}/postgresql-testing`;
const PROD_REPO = `${REGISTRY}/postgresql`;
const TESTING_STACK = "org/postgres-images/testing";
const PASSWORD = "promotion password";

const COMMON = {
  registry: REGISTRY,
  postgresVersions: ["17.11", "18.6"],
  previewVersions: [],
  imageTypes: ["minimal", "standard"],
  bases: ["debian:trixie-slim@sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258"],
  platforms: ["linux/amd64", "linux/arm64"],
  signing: { mode: "key", key: "awskms://alias/cosign", tlogUpload: false, verify: { publicKey: "cosign.pub" } },
};
const CELLS = ["postgresql-17-minimal-trixie", "postgresql-17-standard-trixie", "postgresql-18-minimal-trixie", "postgresql-18-standard-trixie"];
const PRODUCTION = { ...COMMON, environment: "production", promoteFrom: TESTING_STACK };

type Images = ProgramOutputValues["images"];

function env(r: ResourceRecord): Record<string, string> {
  return r.inputs.environment as Record<string, string>;
}

function promote(stackOutputs: object, options: { state?: Evaluation["state"]; config?: Record<string, unknown> } = {}): Promise<Evaluation> {
  return evaluate(options.config ?? PRODUCTION, { secrets: { cosignPassword: PASSWORD }, stackOutputs: { [TESTING_STACK]: stackOutputs as Record<string, unknown> }, state: options.state, stack: "production" });
}

/** The first line of an error, and that it is the only one. */
function oneLine(e: Error | undefined): string {
  assert.ok(e, "the run failed with an error");
  assert.ok(pulumi.RunError.isInstance(e), `a RunError (printed without stack trace), got ${e.name}: ${e.message}`);
  assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
  return e.message;
}

describe("promotion testing → production", () => {
  let testing: ProgramOutputValues;
  let first: Evaluation;

  before(async () => {
    const t = await evaluate({ ...COMMON, environment: "testing" }, { secrets: { cosignPassword: PASSWORD } });
    assert.ok(t.ok, t.error?.message);
    testing = t.outputs!;
    assert.deepEqual(Object.keys(testing.images).sort(), CELLS);
    first = await promote(testing);
    assert.ok(first.ok, first.error?.message);
  });

  it("builds nothing: one StackReference, one PromotedImage and one promote command per cell, no Image, no stamp", () => {
    assert.equal(first.resources.filter((r) => r.type === IMAGE_TYPE).length, 0);
    assert.deepEqual(first.builds, []);
    assert.ok(!first.resources.some((r) => r.name.endsWith("-built-at")));
    assert.ok(!first.resources.some((r) => r.name.endsWith("-tags")), "the promote step pushes the production tags; there is no tag step");
    const refs = first.resources.filter((r) => r.type === STACK_REFERENCE_TYPE);
    assert.deepEqual(
      refs.map((r) => [r.name, r.action, r.inputs.name]),
      [[TESTING_STACK, "read", TESTING_STACK]],
    );
    const components = first.resources.filter((r) => r.type === "postgres-images:index:PromotedImage").map((r) => r.name);
    assert.deepEqual(components.sort(), CELLS);
    const promotes = first.resources.filter((r) => r.type === COMMAND_TYPE && r.name.endsWith("-promote"));
    assert.deepEqual(promotes.map((r) => r.name).sort(), CELLS.map((c) => `${c}-promote`));
  });

  it("copies the testing ref by digest to the production tags, through the environment only", () => {
    const commands = byName(first, COMMAND_TYPE);
    for (const cell of CELLS) {
      const source = testing.images[cell];
      const p = commands.get(`${cell}-promote`)!;
      assert.equal(p.parent, `postgres-images:index:PromotedImage::${cell}`);
      assert.equal(env(p).SOURCE_REF, source.ref);
      assert.equal(env(p).SOURCE_REF, `${TESTING_REPO}@${source.digest}`);
      assert.equal(env(p).DIGEST, source.digest);
      const tags = env(p).TAGS.split("\n");
      assert.deepEqual(tags, source.tags.map((t) => t.replace(`${TESTING_REPO}:`, `${PROD_REPO}:`)));
      assert.equal(tags.length, 3);
      assert.ok(tags.every((t) => t.startsWith(`${PROD_REPO}:`)));
      assert.deepEqual(p.inputs.triggers, [source.digest], "copied again only for a new testing digest");
      // Promoted tags are releases, and they stay without retainOnDelete: a Step's delete runs nothing (resources/step.ts).
      assert.equal(p.retainOnDelete, false);
      // scripts/steps/promote.sh: imagetools create per tag, then each tag read back (test/unit/cosign.test.ts runs it).
      assert.equal(scriptName(p), "promote");
      assert.equal(env(p).COSIGN_PASSWORD, undefined, "copying needs no password");
      assert.deepEqual(p.inputs.secretEnvironment, {}, "copying needs no password");
    }
  });

  it("the copy verifies each testing image against the testing signer and guards the production timestamped tag", () => {
    for (const cell of CELLS) {
      const p = byName(first, COMMAND_TYPE).get(`${cell}-promote`)!;
      assert.equal(env(p).VERIFY_KEY, "cosign.pub", "the testing stack's verify.publicKey");
      assert.equal(env(p).IGNORE_TLOG, "true", "the testing signer uploads to no log");
      assert.match(env(p).PINNED_TAG, new RegExp(`^${PROD_REPO.replace(/[.]/g, "\\.")}:1[78]\\.\\d+-\\d{12}-(minimal|standard)-trixie$`));
      assert.ok((env(p).TAGS).split("\n").includes(env(p).PINNED_TAG));
    }
  });

  it("signs, attests and verifies PROD_REPO@DIGEST after the copy, with the production identity", () => {
    const commands = byName(first, COMMAND_TYPE);
    for (const cell of CELLS) {
      const digest = testing.images[cell].digest;
      const step = commands.get(`${cell}-signature`);
      assert.ok(step, `${cell}-signature`);
      assert.equal(step.parent, `postgres-images:index:PromotedImage::${cell}`);
      assert.deepEqual(step.inputs.triggers, [digest]);
      assert.ok(step.dependencies.includes(`${COMMAND_TYPE}::${cell}-promote`), `${cell}: signed once the copy is done`);
      assert.deepEqual(step.inputs.secretEnvironment, { COSIGN_PASSWORD: PASSWORD });
      const parts = partsOf(step);
      assert.deepEqual([...parts.keys()], ["sign", "verify", "attest-provenance", "attest-sbom-linux-amd64", "attest-sbom-linux-arm64"], cell);
      for (const part of parts.values()) {
        assert.equal(part.environment.IMAGE_REF, `${PROD_REPO}@${digest}`, part.name);
        // The production signer, and for verify its policy too (the testing digest is the step's trigger).
        const signer = '{"COSIGN_KEY":"awskms://alias/cosign","mode":"key","tlogUpload":false}';
        assert.equal(part.key, keyOf(part.name === "verify" ? [signer, '{"VERIFY_KEY":"cosign.pub"}'] : [signer]), part.name);
        assert.equal(part.environment.COSIGN_PASSWORD, undefined, "the password is only in the secret environment");
        assert.equal(part.secret, part.name !== "verify", `${part.name}: only the parts that sign get the password`);
      }
      const provenance = parts.get("attest-provenance")!;
      assert.equal(provenance.environment.PREDICATE, undefined, "the testing build's provenance is read from the testing image");
      assert.equal(provenance.environment.SOURCE_REF, env(commands.get(`${cell}-promote`)!).SOURCE_REF, "read from the testing image by digest");
      assert.equal(provenance.script, "reattest-provenance");
      // Verified against the testing signer (TESTING_…), signed again by the production one.
      assert.deepEqual(
        Object.fromEntries(Object.entries(provenance.environment).filter(([k]) => !["IMAGE_REF", "SOURCE_REF"].includes(k))),
        { COSIGN_KEY: "awskms://alias/cosign", TLOG_UPLOAD: "false", TESTING_VERIFY_KEY: "cosign.pub", TESTING_IGNORE_TLOG: "true" },
      );
    }
    // The order in which the commands ran: every copy before its signature.
    const order = first.executed.map((e) => e.name);
    for (const cell of CELLS) assert.ok(order.indexOf(`${cell}-promote`) < order.indexOf(`${cell}-sign`), cell);
  });

  it("exports the same shape as a testing stack: the testing digest under the production ref and tags", () => {
    const out = first.outputs!;
    assert.deepEqual(out.targets, CELLS);
    for (const cell of CELLS) {
      const t = testing.images[cell];
      assert.deepEqual(out.images[cell], {
        digest: t.digest,
        ref: `${PROD_REPO}@${t.digest}`,
        tags: t.tags.map((x) => x.replace(`${TESTING_REPO}:`, `${PROD_REPO}:`)),
        platforms: t.platforms,
      });
    }
    const images = (out.catalogs as { spec: { images: { image: string }[] } }[]).flatMap((c) => c.spec.images.map((i) => i.image));
    assert.equal(images.length, 4);
    assert.ok(images.every((i) => new RegExp(`^${PROD_REPO.replace(/[.]/g, "\\.")}:[0-9.]+-\\d{12}-[a-z]+-[a-z]+@sha256:[0-9a-f]{64}$`).test(i)), images.join(" "));
    assert.deepEqual(images.sort(), CELLS.map((c) => `${out.images[c].tags.find((t) => /-\d{12}-/.test(t))!}@${out.images[c].digest}`).sort());
  });

  it("an unchanged testing digest: nothing runs on the next evaluation, outputs unchanged", async () => {
    const again = await promote(testing, { state: first.state });
    assert.ok(again.ok, again.error?.message);
    assert.deepEqual(again.executed, []);
    assert.ok(again.resources.every((r) => ["same", "component", "read"].includes(r.action)), again.resources.filter((r) => r.action !== "same").map((r) => `${r.name}:${r.action}`).join(" "));
    assert.deepEqual(again.outputs, first.outputs);
  });

  it("a new testing digest for one cell: only that cell is copied, signed, attested and verified again", async () => {
    const cell = "postgresql-18-standard-trixie";
    const digest = `sha256:${"e".repeat(64)}`;
    const t = testing.images[cell];
    const images: Images = { ...testing.images, [cell]: { ...t, digest, ref: `${TESTING_REPO}@${digest}`, tags: [...t.tags.slice(0, 2), `${TESTING_REPO}:18.6-202701010000-standard-trixie`] } };
    const next = await promote({ ...testing, images }, { state: first.state });
    assert.ok(next.ok, next.error?.message);
    assert.deepEqual(
      next.executed.map((e) => e.name).sort(),
      [`${cell}-attest-provenance`, `${cell}-attest-sbom-linux-amd64`, `${cell}-attest-sbom-linux-arm64`, `${cell}-promote`, `${cell}-scan-linux-amd64`, `${cell}-scan-linux-arm64`, `${cell}-sign`, `${cell}-verify`].sort(),
    );
    const p = next.executed.find((e) => e.name === `${cell}-promote`)!;
    assert.equal(p.environment.SOURCE_REF, `${TESTING_REPO}@${digest}`);
    assert.ok(p.environment.TAGS.split("\n").includes(`${PROD_REPO}:18.6-202701010000-standard-trixie`));
    assert.equal(next.outputs!.images[cell].digest, digest, "production serves the testing digest");
    assert.equal(next.outputs!.images[cell].ref, `${PROD_REPO}@${digest}`);
    for (const other of CELLS.filter((c) => c !== cell)) assert.deepEqual(next.outputs!.images[other], first.outputs!.images[other], other);
  });

  it("promotes only the cells the production stack's targets select; other testing cells are ignored", async () => {
    const narrowed = await promote(testing, { config: { ...PRODUCTION, targets: ["postgresql-17-*"] } });
    assert.ok(narrowed.ok, narrowed.error?.message);
    assert.deepEqual(narrowed.outputs!.targets, ["postgresql-17-minimal-trixie", "postgresql-17-standard-trixie"]);
    assert.deepEqual(
      narrowed.executed.filter((e) => e.name.endsWith("-promote")).map((e) => e.name),
      ["postgresql-17-minimal-trixie-promote", "postgresql-17-standard-trixie-promote"],
    );
    // A testing stack that built only major 17 is enough for it.
    const only17 = Object.fromEntries(Object.entries(testing.images).filter(([k]) => k.startsWith("postgresql-17-")));
    const partial = await promote({ images: only17, signer: testing.signer }, { config: { ...PRODUCTION, targets: ["postgresql-17-*"] } });
    assert.ok(partial.ok, partial.error?.message);
  });

  it("with signing none, only scans and copies; with scanGate none too, only copies", async () => {
    const run = await promote(testing, { config: { ...PRODUCTION, signing: { mode: "none" } } });
    assert.ok(run.ok, run.error?.message);
    assert.deepEqual(run.executed.map((e) => e.name).sort(), CELLS.flatMap((c) => [`${c}-promote`, `${c}-scan-linux-amd64`, `${c}-scan-linux-arm64`]).sort());
    const bare = await promote(testing, { config: { ...PRODUCTION, signing: { mode: "none" }, scanGate: { mode: "none" } } });
    assert.ok(bare.ok, bare.error?.message);
    assert.deepEqual(bare.executed.map((e) => e.name).sort(), CELLS.map((c) => `${c}-promote`));
  });

  it("scans each platform of the testing image by digest before the copy, with the gate in the environment; a new gate scans again, nothing else", async () => {
    const run = await promote(testing, { config: { ...PRODUCTION, scanGate: { severity: "HIGH" } } });
    assert.ok(run.ok, run.error?.message);
    const steps = new Map(run.executed.map((e) => [e.name, e]));
    for (const cell of CELLS) {
      const scan = steps.get(`${cell}-scan-linux-arm64`)!;
      assert.equal(scan.environment.SCAN_REF, testing.images[cell].ref, "the testing image, by digest");
      assert.equal(scan.environment.PLATFORM, "linux/arm64");
      assert.equal(scan.environment.SCAN_CELL, cell);
      assert.deepEqual(JSON.parse(scan.environment.SCAN_GATE), { mode: "enforce", severity: "HIGH", ignoreUnfixed: true, allow: [] });
      assert.match(scan.environment.SCAN_REPORT, new RegExp(`/scan-reports/${cell}-linux-arm64\\.json$`));
      assert.equal(scan.create, "scan", "scripts/steps/scan.sh");
      const order = run.executed.map((e) => e.name);
      assert.ok(order.indexOf(`${cell}-scan-linux-amd64`) < order.indexOf(`${cell}-promote`), `${cell}: scanned before the copy`);
    }
    const again = await promote(testing, { config: { ...PRODUCTION, scanGate: { severity: "HIGH" } }, state: run.state });
    assert.deepEqual(again.executed, [], "an unchanged digest and gate scan nothing");
    const allowed = await promote(testing, { config: { ...PRODUCTION, scanGate: { severity: "HIGH", allow: [{ id: "CVE-2099-0001", reason: "not reachable", expires: "2099-12-31" }] } }, state: run.state });
    assert.ok(allowed.ok, allowed.error?.message);
    assert.deepEqual(allowed.executed.map((e) => e.name).sort(), CELLS.flatMap((c) => [`${c}-scan-linux-amd64`, `${c}-scan-linux-arm64`]).sort());
  });
});

describe("promotion refuses testing outputs it cannot promote", () => {
  let testing: ProgramOutputValues;
  before(async () => {
    const t = await evaluate({ ...COMMON, environment: "testing" }, { secrets: { cosignPassword: PASSWORD } });
    assert.ok(t.ok, t.error?.message);
    testing = t.outputs!;
  });

  async function refused(stackOutputs: object): Promise<string> {
    const run = await promote(stackOutputs);
    assert.equal(run.ok, false);
    assert.deepEqual(run.executed, [], "nothing is copied or signed");
    assert.equal(run.outputs, undefined);
    const message = oneLine(run.error);
    assert.match(message, /^postgres-images:promoteFrom: stack "org\/postgres-images\/testing" /);
    // Every failure is the same one, reported once.
    assert.deepEqual([...new Set(run.errors.map((e) => e.message))], [message]);
    return message;
  }

  it("a selected cell missing from the testing outputs: one line naming promoteFrom, the stack and the cell", async () => {
    const rest = Object.fromEntries(Object.entries(testing.images).filter(([name]) => name !== "postgresql-18-minimal-trixie"));
    const message = await refused({ ...testing, images: rest });
    assert.equal(message, 'postgres-images:promoteFrom: stack "org/postgres-images/testing" has no image for cell "postgresql-18-minimal-trixie"; build it in testing first or narrow targets');
  });

  it("a testing stack with no images output", async () => {
    assert.match(await refused({ targets: [] }), /has no images output/);
  });

  it("a testing ref that is not TESTING_REPO@sha256:…", async () => {
    const cell = "postgresql-17-minimal-trixie";
    const t = testing.images[cell];
    const byTag = await refused({ images: { ...testing.images, [cell]: { ...t, ref: t.tags[0] } } });
    assert.match(byTag, /has ref "registry\.internal:5000\/pg\/postgresql-testing:17-minimal-trixie" for cell "postgresql-17-minimal-trixie"; expected registry\.internal:5000\/pg\/postgresql-testing@sha256:<64 hex digits>/);
    const otherRepo = await refused({ images: { ...testing.images, [cell]: { ...t, ref: `${PROD_REPO}@${t.digest}` } } });
    assert.match(otherRepo, /has ref "registry\.internal:5000\/pg\/postgresql@sha256:/);
    const shortDigest = await refused({ images: { ...testing.images, [cell]: { ...t, ref: `${TESTING_REPO}@sha256:abc` } } });
    assert.match(shortDigest, /expected .*@sha256:<64 hex digits>/);
  });

  it("a tag outside the testing repository, or not a tag", async () => {
    const cell = "postgresql-17-minimal-trixie";
    const t = testing.images[cell];
    assert.match(await refused({ images: { ...testing.images, [cell]: { ...t, tags: [`${PROD_REPO}:17`] } } }), /has tag "registry\.internal:5000\/pg\/postgresql:17"/);
    assert.match(await refused({ images: { ...testing.images, [cell]: { ...t, tags: [`${TESTING_REPO}:bad tag`] } } }), /has tag ".*:bad tag"/);
  });

  it("a digest that differs from the ref's", async () => {
    const cell = "postgresql-17-minimal-trixie";
    const t = testing.images[cell];
    assert.match(await refused({ images: { ...testing.images, [cell]: { ...t, digest: `sha256:${"f".repeat(64)}` } } }), /but its ref names sha256:/);
  });

  it("a testing stack that does not say how it signs, signs nothing, or cannot be verified: nothing is copied", async () => {
    const unsigned = Object.fromEntries(Object.entries(testing).filter(([k]) => k !== "signer"));
    assert.equal(
      await refused(unsigned),
      `postgres-images:promoteFrom: stack "org/postgres-images/testing" has no signer output; run pulumi up in it with this version of the program first (production verifies each testing image's signature before copying it)`,
    );
    assert.equal(
      await refused({ ...testing, signer: { mode: "none" } }),
      'postgres-images:promoteFrom: stack "org/postgres-images/testing" does not sign its images (signing mode none); production promotes only images it can verify as signed by the testing signer',
    );
    assert.match(await refused({ ...testing, signer: { mode: "key", key: "awskms://alias/cosign", tlogUpload: false } }), /signs without a verification policy \(signing\.verify\)/);
    assert.match(await refused({ ...testing, signer: { mode: "key" } }), /has a signer output that is not a signing configuration \(postgres-images:signing\.key: /);
  });

  it("an unknown testing stack fails the run", async () => {
    const run = await evaluate(PRODUCTION, { secrets: { cosignPassword: PASSWORD }, stackOutputs: {} });
    assert.equal(run.ok, false);
    assert.match(run.error!.message, /unknown stack "org\/postgres-images\/testing"/);
    assert.deepEqual(run.executed, []);
  });
});
