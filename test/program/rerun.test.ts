/**
 * The steps' re-run rule under the harness (resources/step.ts, decided by the step provider's own
 * diff): a step runs again only when its triggers change. Editing a script, rotating the cosign
 * password or anything else that is not a trigger updates the recorded step and runs nothing; a new
 * signer signs and attests again; a new digest is tagged, signed and attested again.
 */
import { strict as assert } from "node:assert";
import { before, describe, it } from "node:test";
import { byName, COMMAND_TYPE, evaluate, IMAGE_TYPE, keyOf, partsOf, type EngineState, type Evaluation, type Props } from "./harness";

const REGISTRY = "registry.internal:5000/pg";
const REPO = `${REGISTRY}/postgresql-testing`;
const PASSWORD = "first password";
const ROTATED = "rotated password";
const SIGNING = { mode: "key", key: "awskms://alias/cosign", tlogUpload: false, rekorUrl: "https://rekor.internal", verify: { publicKey: "cosign.pub" } };
/** Two cells, one platform: enough to tell "this cell" from "every cell", and quick. */
const CONFIG = {
  registry: REGISTRY,
  postgresVersions: ["17.11", "18.6"],
  previewVersions: [],
  imageTypes: ["minimal"],
  bases: ["debian:trixie-slim@sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258"],
  platforms: ["linux/amd64"],
  signing: SIGNING,
};
const CELLS = ["postgresql-17-minimal-trixie", "postgresql-18-minimal-trixie"];
/** The steps that sign with the key (and get the password). */
const SIGNERS = ["sign", "attest-provenance", "attest-sbom-linux-amd64"];
const ALL_STEPS = ["built-at", "tags", "sign", "verify", "attest-provenance", "attest-sbom-linux-amd64", "rolling-tags"];
/** The Steps of a signed cell: its stamp and the step whose parts are the others (resources/parts-step.ts). */
const RESOURCES = ["built-at", "publish"];

interface Stored {
  readonly inputs: Props;
  readonly outputs: Props;
}

/** `state` with some resources' recorded inputs and outputs replaced, as an older program version would have left them. */
function edited(state: EngineState, edit: (key: string, r: Stored) => Stored | undefined): EngineState {
  return { resources: new Map([...state.resources].map(([k, r]) => [k, edit(k, r) ?? r])) };
}

function stepKey(cell: string, suffix: string): string {
  return `${COMMAND_TYPE}::${cell}-${suffix}`;
}

function names(cells: readonly string[], suffixes: readonly string[]): string[] {
  return cells.flatMap((c) => suffixes.map((s) => `${c}-${s}`)).sort();
}

function executedNames(run: Evaluation): string[] {
  return run.executed.map((e) => e.name).sort();
}

describe("re-run rule: a step runs again only when its triggers change", () => {
  let first: Evaluation;
  before(async () => {
    first = await evaluate(CONFIG, { secrets: { cosignPassword: PASSWORD } });
    assert.ok(first.ok, first.error?.message);
    assert.deepEqual(executedNames(first), names(CELLS, ALL_STEPS), "a new stack runs every step once");
  });

  it("a recorded script that differs from the program's (an edited script) is updated in state and runs nothing", async () => {
    const OLD_SCRIPT = "set -eu\necho 'an older version of this step'";
    const PRINTED = "printed by the last run";
    // Every step was recorded with another script (each part of the publish step too); the sign parts also with
    // what their last run printed.
    const OLD_SCRIPTS = "0".repeat(32);
    const OLD_DEFINITION = "0".repeat(24);
    const state = edited(first.state, (key, r) => {
      if (!key.startsWith(`${COMMAND_TYPE}::`)) return undefined;
      if (key.endsWith("-publish")) {
        const done = { ...(r.outputs.done as Record<string, Props>), sign: { ...(r.outputs.done as Record<string, Props>).sign, stdout: PRINTED } };
        // The outputs record the definition (scripts, keys, environments) as a hash.
        return { inputs: { ...r.inputs, scripts: OLD_SCRIPTS }, outputs: { ...r.outputs, definition: OLD_DEFINITION, done } };
      }
      return { inputs: { ...r.inputs, script: OLD_SCRIPT }, outputs: { ...r.outputs, script: OLD_SCRIPT } };
    });
    const again = await evaluate(CONFIG, { secrets: { cosignPassword: PASSWORD }, state });
    assert.ok(again.ok, again.error?.message);
    assert.deepEqual(again.executed, [], "no stamp, tag, sign, verify or attest step runs for a new script");
    assert.deepEqual(again.builds, []);
    const steps = byName(again, COMMAND_TYPE);
    assert.deepEqual([...steps.keys()].sort(), names(CELLS, RESOURCES));
    for (const s of steps.values()) {
      assert.equal(s.action, "update", `${s.name}: an update, not a replacement`);
      if (s.name.endsWith("-publish")) {
        assert.notEqual(s.inputs.scripts, OLD_SCRIPTS, s.name);
        assert.match(String(s.outputs.definition), /^[0-9a-f]{24}$/);
        assert.notEqual(s.outputs.definition, OLD_DEFINITION, `${s.name}: the new scripts are recorded for the next run`);
      } else {
        assert.notEqual(s.inputs.script, OLD_SCRIPT, s.name);
        assert.equal(s.outputs.script, s.inputs.script, `${s.name}: the new script is recorded for the next run`);
      }
    }
    for (const cell of CELLS) {
      assert.equal((steps.get(`${cell}-publish`)!.outputs.done as Record<string, Props>).sign.stdout, PRINTED, `${cell}: sign keeps what its last run printed`);
      assert.equal(steps.get(`${cell}-built-at`)!.outputs.stdout, first.state.resources.get(stepKey(cell, "built-at"))!.outputs.stdout, `${cell}: the build time is kept`);
    }
    assert.deepEqual(again.outputs, first.outputs, "same build times, digests and tags");

    // From the updated state nothing differs any more.
    const settled = await evaluate(CONFIG, { secrets: { cosignPassword: PASSWORD }, state: again.state });
    assert.ok(settled.ok, settled.error?.message);
    assert.deepEqual(settled.executed, []);
    assert.ok(byName(settled, COMMAND_TYPE).size > 0 && [...byName(settled, COMMAND_TYPE).values()].every((s) => s.action === "same"));
  });

  it("a new commit alone rebuilds nothing; the next build records and labels its own revision", async () => {
    const LABEL = "org.opencontainers.image.revision";
    const imageLabel = (run: Evaluation, cell: string): unknown => (byName(run, IMAGE_TYPE).get(cell)!.inputs.labels as Record<string, string>)[LABEL];
    const C1 = "1111111111111111111111111111111111111111";
    const C2 = "2222222222222222222222222222222222222222";
    const built = await evaluate({ ...CONFIG, revision: C1 }, { secrets: { cosignPassword: PASSWORD }, state: first.state });
    assert.ok(built.ok, built.error?.message);
    // From no revision to C1 is a commit too: nothing is rebuilt, the labels keep the build's own (none:
    // an empty label is left out).
    assert.deepEqual(built.executed, []);
    assert.deepEqual(built.builds, []);
    for (const cell of CELLS) assert.equal(imageLabel(built, cell), undefined, cell);

    const epoch = await evaluate({ ...CONFIG, revision: C1, rebuildEpoch: "2026-W49" }, { secrets: { cosignPassword: PASSWORD }, state: built.state });
    assert.ok(epoch.ok, epoch.error?.message);
    assert.deepEqual([...epoch.builds].sort(), CELLS, "a definition change rebuilds");
    for (const cell of CELLS) assert.equal(imageLabel(epoch, cell), C1, `${cell}: labelled with the revision it was built from`);

    const next = await evaluate({ ...CONFIG, revision: C2, rebuildEpoch: "2026-W49" }, { secrets: { cosignPassword: PASSWORD }, state: epoch.state });
    assert.ok(next.ok, next.error?.message);
    assert.deepEqual(next.executed, [], "C2 alone runs no step");
    assert.deepEqual(next.builds, [], "and builds nothing");
    for (const cell of CELLS) assert.equal(imageLabel(next, cell), C1, `${cell}: still the revision of its build`);
    assert.deepEqual(next.outputs, epoch.outputs);
  });

  it("a new cosign password runs no step; the next run of a signing step gets it", async () => {
    const rotated = await evaluate(CONFIG, { secrets: { cosignPassword: ROTATED }, state: first.state });
    assert.ok(rotated.ok, rotated.error?.message);
    assert.deepEqual(rotated.executed, [], "rotating the password signs nothing again");
    assert.deepEqual(rotated.builds, []);
    for (const key of names(CELLS, ["publish"]).map((n) => `${COMMAND_TYPE}::${n}`)) {
      assert.deepEqual(rotated.state.resources.get(key)!.inputs.secretEnvironment, { COSIGN_PASSWORD: ROTATED }, `${key}: the new password is kept for the next run`);
    }
    assert.deepEqual(rotated.outputs, first.outputs);

    // A signer change after the rotation signs with the rotated password.
    const rekeyed = await evaluate({ ...CONFIG, signing: { ...SIGNING, key: "awskms://alias/cosign-next" } }, { secrets: { cosignPassword: ROTATED }, state: rotated.state });
    assert.ok(rekeyed.ok, rekeyed.error?.message);
    const steps = byName(rekeyed, COMMAND_TYPE);
    for (const name of names(CELLS, ["publish"])) assert.deepEqual(steps.get(name)!.inputs.secretEnvironment, { COSIGN_PASSWORD: ROTATED }, name);
    for (const cell of CELLS) assert.deepEqual(rekeyed.executed.filter((e) => e.name.startsWith(`${cell}-`) && SIGNERS.some((x) => e.name.endsWith(`-${x}`))).map((e) => e.name).sort(), names([cell], SIGNERS), `${cell}: the parts that sign ran (with the password)`);
  });

  it("a new signing key signs, attests and verifies every digest again; nothing is built, stamped or tagged again", async () => {
    const NEXT_KEY = "awskms://alias/cosign-next";
    const rekeyed = await evaluate({ ...CONFIG, signing: { ...SIGNING, key: NEXT_KEY } }, { secrets: { cosignPassword: PASSWORD }, state: first.state });
    assert.ok(rekeyed.ok, rekeyed.error?.message);
    assert.deepEqual(rekeyed.builds, []);
    // verify's triggers include the signer: new signatures are verified again.
    assert.deepEqual(executedNames(rekeyed), names(CELLS, [...SIGNERS, "verify"]));
    const images = byName(first, IMAGE_TYPE);
    for (const e of rekeyed.executed) {
      const cell = CELLS.find((c) => e.name.startsWith(`${c}-`))!;
      const digest = images.get(cell)!.outputs.digest as string;
      // verify has no signing key: it checks the new signatures against the (unchanged) public key.
      if (!e.name.endsWith("-verify")) assert.equal(e.environment.COSIGN_KEY, NEXT_KEY, e.name);
      assert.equal(e.environment.IMAGE_REF, `${REPO}@${digest}`, `${e.name}: the same digest, signed by the new key`);
    }
    const steps = byName(rekeyed, COMMAND_TYPE);
    for (const cell of CELLS) {
      const parts = partsOf(steps.get(`${cell}-publish`)!);
      assert.deepEqual(steps.get(`${cell}-publish`)!.inputs.triggers, [images.get(cell)!.outputs.digest], cell);
      for (const name of SIGNERS) assert.equal(parts.get(name)!.key, keyOf([`{"COSIGN_KEY":"${NEXT_KEY}","mode":"key","tlogUpload":false}`]), `${cell} ${name}`);
    }
    // Same images, build times and tags; only the exported signer names the new key.
    assert.deepEqual({ ...rekeyed.outputs!, signer: undefined }, { ...first.outputs!, signer: undefined });
    assert.equal((rekeyed.outputs!.signer as { key: string }).key, NEXT_KEY);
  });

  it("a new Rekor URL without a transparency log only verifies again (nothing was uploaded there); with the log it signs, attests and verifies again; a new verification key only verifies again", async () => {
    const rekor = await evaluate({ ...CONFIG, signing: { ...SIGNING, rekorUrl: "https://rekor.next" } }, { secrets: { cosignPassword: PASSWORD }, state: first.state });
    assert.ok(rekor.ok, rekor.error?.message);
    assert.deepEqual(executedNames(rekor), names(CELLS, ["verify"]));
    assert.ok(rekor.executed.every((e) => e.environment.REKOR_URL === "https://rekor.next"));
    const logged = await evaluate({ ...CONFIG, signing: { ...SIGNING, tlogUpload: true, rekorUrl: "https://rekor.next" } }, { secrets: { cosignPassword: PASSWORD }, state: first.state });
    assert.ok(logged.ok, logged.error?.message);
    assert.deepEqual(executedNames(logged), names(CELLS, [...SIGNERS, "verify"]));
    assert.ok(logged.executed.every((e) => e.environment.REKOR_URL === "https://rekor.next"));

    const policy = await evaluate({ ...CONFIG, signing: { ...SIGNING, verify: { publicKey: "cosign-next.pub" } } }, { secrets: { cosignPassword: PASSWORD }, state: first.state });
    assert.ok(policy.ok, policy.error?.message);
    assert.deepEqual(executedNames(policy), names(CELLS, ["verify"]));
    assert.ok(policy.executed.every((e) => e.environment.VERIFY_KEY === "cosign-next.pub"));
  });

  it("a new digest for the same definition (the provider pushed again) is tagged, signed, attested and verified again; the build time and tags stay", async () => {
    const cell = "postgresql-18-minimal-trixie";
    const NEW_DIGEST = `sha256:${"e".repeat(64)}`;
    const state = edited(first.state, (key, r) => (key === `${IMAGE_TYPE}::${cell}` ? { inputs: r.inputs, outputs: { ...r.outputs, digest: NEW_DIGEST } } : undefined));
    const next = await evaluate(CONFIG, { secrets: { cosignPassword: PASSWORD }, state });
    assert.ok(next.ok, next.error?.message);
    assert.deepEqual(next.builds, [], "the Image's inputs did not change");
    assert.deepEqual(executedNames(next), names([cell], ["tags", "sign", "verify", "attest-provenance", "attest-sbom-linux-amd64", "rolling-tags"]), "no stamp: the definition did not change");
    // The same tags as before (the build time is kept), now for the new digest; the timestamped one pinned
    // and pushed first, the rolling ones after the signature.
    const pinned = `${REPO}:18.6-202611020830-minimal-trixie`;
    const common = { IMAGE_REF: `${REPO}@${NEW_DIGEST}`, DIGEST: NEW_DIGEST, PINNED_TAG: pinned };
    assert.deepEqual(next.executed.find((e) => e.name === `${cell}-tags`)!.environment, { ...common, TAGS: pinned });
    assert.deepEqual(next.executed.find((e) => e.name === `${cell}-rolling-tags`)!.environment, { ...common, TAGS: `${REPO}:18-minimal-trixie\n${REPO}:18.6-minimal-trixie` });
    for (const e of next.executed.filter((x) => !x.name.endsWith("-tags"))) assert.equal(e.environment.IMAGE_REF, `${REPO}@${NEW_DIGEST}`, e.name);
    const order = next.executed.map((e) => e.name);
    assert.ok(order.indexOf(`${cell}-tags`) < order.indexOf(`${cell}-sign`), "the timestamped tag before it is signed");
    assert.ok(order.indexOf(`${cell}-verify`) < order.indexOf(`${cell}-rolling-tags`), "the rolling tags once it is signed and verified");
    assert.deepEqual(next.outputs!.images[cell], { ...first.outputs!.images[cell], digest: NEW_DIGEST, ref: `${REPO}@${NEW_DIGEST}` });
    assert.deepEqual(next.outputs!.images["postgresql-17-minimal-trixie"], first.outputs!.images["postgresql-17-minimal-trixie"]);
  });
});
