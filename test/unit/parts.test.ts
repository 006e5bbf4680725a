/**
 * The step made of parts (resources/parts-step.ts, its provider resources/parts-runner.ts), called as the
 * dynamic-provider host calls it. Most cases run the provider with a scripted fake in place of bash (which
 * part ran, with which environment, what the registry check said); the last ones run the project's own
 * scripts through the real provider (resources/step-runner.ts) with a fake `cosign` on PATH.
 */
import { strict as assert } from "node:assert";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { scriptSetHash } from "../../lib/build/step-script";
import { keyHash, PartFailed, partsProvider, scriptNames, type Part, type PartCheck, type PartsInputs, type PartsOutputs, type RunScript, type ScriptRun } from "../../resources/parts-runner";
import { currentScriptRef, stepRunner } from "../../resources/step-runner";
import { PAYLOAD_DIR_ENV, storePayload } from "../../resources/payload-store";
import { keyOf } from "../helpers";

// Payloads of these tests in a folder of their own.
process.env[PAYLOAD_DIR_ENV] = mkdtempSync(join(tmpdir(), "parts-payloads-"));

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const SIGNER = '{"COSIGN_KEY":"k","mode":"key"}';

const PREDICATE = '{"buildType":"x"}';

function part(name: string, script: Part["script"], key: string[], extra: Partial<Part> = {}): Part {
  return { name, script, key: keyOf(key), environment: {}, ...extra };
}

const PARTS: Part[] = [
  part("tags", "tag", ["r:17-202611020830"], { check: "check-tags", environment: { TAGS: "r:17-202611020830" } }),
  part("sign", "sign", [SIGNER], { check: "check-signatures", secret: true, environment: { COSIGN_KEY: "k" } }),
  part("verify", "verify", [SIGNER, '{"VERIFY_KEY":"k.pub"}'], { after: ["sign"] }),
  part("attest-provenance", "attest-provenance", [SIGNER], { check: "check-provenance", secret: true, payload: { PREDICATE: storePayload(PREDICATE) } }),
  part("attest-sbom-linux-amd64", "attest-sbom", [SIGNER], { check: "check-sbom", secret: true, environment: { PLATFORM: "linux/amd64" } }),
  part("rolling-tags", "tag", ["r:17"], { check: "check-tags", environment: { TAGS: "r:17" } }),
];
const NAMES = PARTS.map((p) => p.name);
/** The scripts as they are: what the program records when it plans the run. */
const hashNow = (names: readonly Part["script"][]): string => scriptSetHash(names.map(currentScriptRef));
const INPUTS: PartsInputs = { step: "cell-publish", triggers: [D1], environment: { IMAGE_REF: `r@${D1}`, DIGEST: D1, PINNED_TAG: "r:17-202611020830" }, secretEnvironment: { COSIGN_PASSWORD: "pw" }, parts: PARTS, scripts: hashNow(scriptNames(PARTS)) };
/** What a refresh needs: each checked part's check and what of its environment the check reads (not its script, key or payload). */
const CHECKS: PartCheck[] = [
  { name: "tags", check: "check-tags", environment: { TAGS: "r:17-202611020830" } },
  { name: "sign", check: "check-signatures", environment: {} },
  { name: "attest-provenance", check: "check-provenance", environment: {} },
  { name: "attest-sbom-linux-amd64", check: "check-sbom", environment: { PLATFORM: "linux/amd64" } },
  { name: "rolling-tags", check: "check-tags", environment: { TAGS: "r:17" } },
];

interface Call {
  readonly label: string;
  readonly script: string;
  readonly env: Record<string, string>;
}

/**
 * A fake bash: every call recorded; a check prints "missing" unless `present` names its part; `results` can
 * end a call (by label) otherwise; a run prints `out LABEL`.
 */
function fake(opts: { present?: string[]; results?: Record<string, ScriptRun> } = {}): { run: RunScript; calls: Call[] } {
  const calls: Call[] = [];
  const run: RunScript = (label, script, env) => {
    calls.push({ label, script, env });
    const given = opts.results?.[label];
    if (given !== undefined) return Promise.resolve(given);
    const check = / \(check\)$/.exec(label);
    if (check !== null) {
      const name = label.replace(/^cell-publish: /, "").replace(/ \(check\)$/, "");
      return Promise.resolve({ status: "ok", stdout: (opts.present ?? []).includes(name) ? "" : `${name} is missing\n`, stderr: "" });
    }
    return Promise.resolve({ status: "ok", stdout: `out ${label}\n`, stderr: "" });
  };
  return { run, calls };
}

const ran = (calls: readonly Call[]): string[] => calls.filter((c) => !c.label.endsWith("(check)")).map((c) => c.label.replace(/^cell-publish: /, ""));
const done = (names: string[], parts: readonly Part[] = PARTS): PartsOutputs["done"] =>
  Object.fromEntries(names.map((n) => [n, { key: parts.find((p) => p.name === n)!.key, stdout: `out cell-publish: ${n}` }]));
/** The outputs of a run of every part, but for `definition` (a hash the provider computes; `withDefinition`): of the step's environment, what the checks read. */
const RECORDED = { step: INPUTS.step, triggers: INPUTS.triggers, environment: { IMAGE_REF: `r@${D1}`, DIGEST: D1 }, checks: CHECKS, done: done(NAMES) };
let OLDS: PartsOutputs;
async function definitionOf(inputs: PartsInputs): Promise<string> {
  return (await partsProvider(fake({ present: NAMES }).run, hashNow).create(inputs)).outs!.definition;
}
const UPDATE = { changes: true, replaces: [], deleteBeforeReplace: false };
const NONE = { changes: false, replaces: [], deleteBeforeReplace: false };

describe("step made of parts", () => {
  before(async () => {
    OLDS = { ...RECORDED, definition: await definitionOf(INPUTS) };
    assert.match(OLDS.definition, /^[0-9a-f]{24}$/);
  });

  it("create runs every part in order, each once, and records its key and stdout; the secret environment only reaches the parts that sign and is never recorded", async () => {
    const { run, calls } = fake();
    const { id, outs } = await partsProvider(run, hashNow).create(INPUTS);
    assert.match(id, /^[0-9a-f-]{36}$/);
    const envOf = (name: string): Record<string, string> => calls.find((c) => c.label === `cell-publish: ${name}`)!.env;
    assert.deepEqual(ran(calls), NAMES);
    assert.deepEqual(outs, OLDS);
    assert.equal(envOf("attest-provenance").PREDICATE, PREDICATE, "the payload reaches the run");
    assert.ok(!JSON.stringify(outs).includes("buildType"), "and is not recorded in the outputs");
    assert.ok(!JSON.stringify(INPUTS).includes("buildType"), "nor in the inputs: they hold its hash");
    assert.equal(envOf("sign").COSIGN_KEY, "k", "a part's whole environment reaches its run");
    assert.equal(envOf("sign").COSIGN_PASSWORD, "pw");
    assert.equal(envOf("attest-sbom-linux-amd64").COSIGN_PASSWORD, "pw");
    assert.equal(envOf("attest-sbom-linux-amd64").PLATFORM, "linux/amd64");
    for (const n of ["tags", "verify", "rolling-tags"]) assert.equal(envOf(n).COSIGN_PASSWORD, undefined, n);
    assert.deepEqual(envOf("rolling-tags"), { IMAGE_REF: `r@${D1}`, DIGEST: D1, PINNED_TAG: "r:17-202611020830", TAGS: "r:17" });
    assert.ok(!JSON.stringify(outs).includes("pw"));
  });

  it("a part not recorded at all is asked of the registry first: what a killed run already made is recorded, not made twice", async () => {
    const { run, calls } = fake({ present: ["tags", "sign"] });
    const { outs } = await partsProvider(run, hashNow).create(INPUTS);
    assert.deepEqual(ran(calls), ["verify", "attest-provenance", "attest-sbom-linux-amd64", "rolling-tags"], "the digest is not signed a second time");
    assert.deepEqual(outs?.done.sign, { key: keyOf([SIGNER]), stdout: "" });
    // The checks ran with the part's environment and no recorded stdout.
    assert.deepEqual(calls[0], { label: "cell-publish: tags (check)", script: "check-tags", env: { IMAGE_REF: `r@${D1}`, DIGEST: D1, PINNED_TAG: "r:17-202611020830", TAGS: "r:17-202611020830", STEP_STDOUT: "" } });
    assert.ok(!calls.some((c) => c.label.endsWith("(check)") && c.env.COSIGN_PASSWORD !== undefined), "a check never gets the password");
  });

  it("a failed part: the parts before it are recorded (ErrorResourceInitFailed), the next run goes on from the failed one", async () => {
    const { run } = fake({ results: { "cell-publish: attest-sbom-linux-amd64": { status: "status 3", stdout: "", stderr: "syft: no such platform" } } });
    const error = await partsProvider(run, hashNow)
      .create(INPUTS)
      .then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof PartFailed);
    assert.equal(error.message, "cell-publish: attest-sbom-linux-amd64: exited with status 3:\nsyft: no such platform");
    assert.deepEqual(error.reasons, [error.message]);
    assert.match(error.id, /^[0-9a-f-]{36}$/, "an id: the engine records the resource, with these outputs");
    assert.deepEqual(error.properties, { ...OLDS, done: done(["tags", "sign", "verify", "attest-provenance"]) });

    const { run: again, calls } = fake();
    assert.deepEqual(await partsProvider(again, hashNow).diff(error.id, error.properties, INPUTS), UPDATE);
    const { outs } = await partsProvider(again, hashNow).update(error.id, error.properties, INPUTS);
    assert.deepEqual(ran(calls), ["attest-sbom-linux-amd64", "rolling-tags"], "never a second signature on the same digest");
    assert.deepEqual(outs, OLDS);

    // A failure in an update records the same way, keeping what was recorded before.
    const { run: failing } = fake({ results: { "cell-publish: rolling-tags": { status: "status 1", stdout: "", stderr: "tag: refused" } } });
    await assert.rejects(partsProvider(failing, hashNow).update(error.id, error.properties, INPUTS), (e: unknown) => e instanceof PartFailed && e.id === error.id && JSON.stringify(Object.keys(e.properties.done)) === JSON.stringify(["tags", "sign", "verify", "attest-provenance", "attest-sbom-linux-amd64"]));
  });

  it("a script that changed after the run was planned: nothing runs, the step fails saying so, and what was recorded stays", async () => {
    const { run, calls } = fake();
    const changed = partsProvider(run, () => "f".repeat(32));
    await assert.rejects(changed.create(INPUTS), (e: unknown) => e instanceof PartFailed && e.message === "cell-publish: a script of scripts/steps changed after this run was planned; run again" && Object.keys(e.properties.done).length === 0);
    await assert.rejects(changed.update("id", { ...OLDS, done: done(["tags", "sign"]) }, INPUTS), (e: unknown) => e instanceof PartFailed && Object.keys(e.properties.done).join() === "tags,sign");
    assert.deepEqual(calls, []);
    // With nothing left to run, a changed script stops nothing (an update that records the new definition).
    assert.ok((await changed.update("id", OLDS, INPUTS)).outs);
  });

  it("a registry check that cannot tell fails the part, naming why, with the parts before it recorded", async () => {
    const { run, calls } = fake({ results: { "cell-publish: sign (check)": { status: "status 1", stdout: "", stderr: "cannot tell: connection refused" } } });
    await assert.rejects(partsProvider(run, hashNow).create(INPUTS), (e: unknown) => e instanceof PartFailed && e.message === "cell-publish: sign: cannot check the registry (status 1): cannot tell: connection refused" && Object.keys(e.properties.done).join() === "tags");
    assert.deepEqual(ran(calls), ["tags"]);
  });

  it("diff: a new digest replaces (every part runs); a part with a new key or unrecorded is an update; an edited script or new password runs nothing", async () => {
    const p = partsProvider(fake().run, hashNow);
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, triggers: [D2] }), { ...UPDATE, replaces: ["triggers"] });
    assert.deepEqual(await p.diff("id", OLDS, INPUTS), NONE);
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, secretEnvironment: { COSIGN_PASSWORD: "rotated" } }), NONE);
    // Planned with a sign.sh of other content.
    const edited: PartsInputs = { ...INPUTS, scripts: scriptSetHash(scriptNames(PARTS).map((n) => (n === "sign" ? { name: n, sha256: "0".repeat(64) } : currentScriptRef(n)))) };
    assert.deepEqual(await p.diff("id", OLDS, edited), UPDATE, "an update that records the new script");
    const { run, calls } = fake();
    const { outs } = await partsProvider(run, (names) => edited.scripts + names.join()).update("id", OLDS, edited);
    assert.deepEqual(calls, [], "and runs nothing");
    assert.notEqual(outs!.definition, OLDS.definition);
    assert.deepEqual(outs, { ...OLDS, definition: outs!.definition });
    assert.deepEqual(await p.diff("id", outs, edited), NONE, "recorded: nothing left to do");
    const predicate = PARTS.map((x) => (x.name === "attest-provenance" ? { ...x, payload: { PREDICATE: storePayload("{}") } } : x));
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, parts: predicate }), UPDATE, "a new predicate text: an update, which runs nothing (its key is the signer)");
    const newPolicy = PARTS.map((x) => (x.name === "verify" ? { ...x, key: keyOf([SIGNER, '{"VERIFY_KEY":"next.pub"}']) } : x));
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, parts: newPolicy }), UPDATE);
    assert.deepEqual(await p.diff("id", { ...OLDS, done: done(["tags", "sign"]) }, INPUTS), UPDATE, "parts left to run");
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, parts: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as unknown as Part[] }), UPDATE, "not known yet (a preview)");
  });

  it("update runs the parts whose key changed, and verify after a signature made again; nothing else", async () => {
    const policy = PARTS.map((x) => (x.name === "verify" ? { ...x, key: keyOf([SIGNER, '{"VERIFY_KEY":"next.pub"}']) } : x));
    const a = fake();
    await partsProvider(a.run, hashNow).update("id", OLDS, { ...INPUTS, parts: policy });
    assert.deepEqual(ran(a.calls), ["verify"], "a new verification policy only verifies again");
    const signer = '{"COSIGN_KEY":"next","mode":"key"}';
    const rekeyed = PARTS.map((x) => (["sign", "attest-provenance", "attest-sbom-linux-amd64"].includes(x.name) ? { ...x, key: keyOf([signer]) } : x.name === "verify" ? { ...x, key: keyOf([signer, '{"VERIFY_KEY":"k.pub"}']) } : x));
    const b = fake();
    await partsProvider(b.run, hashNow).update("id", OLDS, { ...INPUTS, parts: rekeyed });
    assert.deepEqual(ran(b.calls), ["sign", "verify", "attest-provenance", "attest-sbom-linux-amd64"], "a new signer signs, verifies and attests again; no tag moves");
    assert.ok(!b.calls.some((c) => c.label.endsWith("(check)")), "a part recorded for another key is not skipped because something is there");
  });

  it("read runs each recorded part's check with what it printed; a drift makes the next run redo that part (and verify after sign), told what it printed", async () => {
    const { run, calls } = fake({ present: NAMES, results: { "cell-publish: sign (check)": { status: "ok", stdout: "the registry holds no signature of r@sha256:1\n\n", stderr: "" } } });
    const p = partsProvider(run, hashNow);
    const { props } = await p.read("id", { ...OLDS, drift: { tags: "healed since" } });
    assert.deepEqual(
      calls.map((c) => c.label),
      ["tags", "sign", "attest-provenance", "attest-sbom-linux-amd64", "rolling-tags"].map((x) => `cell-publish: ${x} (check)`),
    );
    assert.equal(calls[1].env.STEP_STDOUT, "out cell-publish: sign");
    assert.deepEqual(props, { ...OLDS, drift: { sign: "the registry holds no signature of r@sha256:1" } });
    assert.deepEqual(await p.diff("id", props, INPUTS), UPDATE);
    const again = fake();
    const { outs } = await partsProvider(again.run, hashNow).update("id", props, INPUTS);
    assert.deepEqual(ran(again.calls), ["sign", "verify"]);
    assert.equal(again.calls[0].env.STEP_STDOUT, "out cell-publish: sign");
    assert.equal(outs?.drift, undefined, "healed");
    assert.deepEqual(await p.diff("id", outs!, INPUTS), NONE);

    const { run: down } = fake({ present: NAMES, results: { "cell-publish: attest-sbom-linux-amd64 (check)": { status: "status 1", stdout: "", stderr: "registry unreachable" } } });
    await assert.rejects(partsProvider(down, hashNow).read("id", OLDS), { message: "cell-publish: attest-sbom-linux-amd64: cannot check the registry (status 1): registry unreachable" });
  });

  it("a state written before the parts (the timestamped tag's own Step, aliased): same digest goes on from it, another digest starts again", async () => {
    // Its triggers were the digest and the tags; the part's key is the tags (the digest is the step's trigger).
    const legacy = { script: currentScriptRef("tag"), environment: {}, triggers: [D1, "r:17-202611020830"], step: "cell-tags", stdout: D1 } as unknown as PartsOutputs;
    const p = partsProvider(fake().run, hashNow);
    assert.deepEqual(await p.diff("id", legacy, INPUTS), UPDATE);
    assert.deepEqual(await p.diff("id", { ...legacy, triggers: [D2, "x"] }, INPUTS), { ...UPDATE, replaces: ["triggers"] });
    // The old sign Step's signature is still in the registry: checked, recorded, not made again.
    const { run, calls } = fake({ present: ["sign", "attest-provenance", "attest-sbom-linux-amd64"] });
    const { outs } = await partsProvider(run, hashNow).update("id", legacy, INPUTS);
    assert.deepEqual(ran(calls), ["verify", "rolling-tags"]);
    assert.ok(!calls.some((c) => c.label === "cell-publish: tags (check)"), "the tag Step's record is the tags part's");
    assert.deepEqual(outs?.done.tags, { key: keyOf(["r:17-202611020830"]), stdout: D1 });
    // The same script for other tags is not that Step's.
    const { run: other, calls: otherCalls } = fake({ present: [] });
    await partsProvider(other, hashNow).update("id", { ...legacy, triggers: [D1, "r:17-202611020900"] }, INPUTS);
    assert.ok(otherCalls.some((c) => c.label === "cell-publish: tags (check)"));
  });

  it("the payload is read back from its file by hash: one missing or not what its name says fails the part, naming the file and the way out", async () => {
    assert.equal(keyHash(["a", "b"]), keyOf(["a", "b"]), "the program gives the step the hash this file writes out");
    const lost: PartsInputs = { ...INPUTS, parts: PARTS.map((x) => (x.name === "attest-provenance" ? { ...x, payload: { PREDICATE: "a".repeat(64) } } : x)) };
    const { run, calls } = fake({ present: [] });
    await assert.rejects(
      partsProvider(run, hashNow).create(lost),
      (e: unknown) =>
        e instanceof PartFailed &&
        e.message === `cell-publish: attest-provenance: the payload ${"a".repeat(64)} is not in ${process.env[PAYLOAD_DIR_ENV]}: the program writes it when it runs; run again (with the same ${PAYLOAD_DIR_ENV} as the program)` &&
        Object.keys(e.properties.done).join() === "tags,sign,verify",
    );
    assert.ok(!ran(calls).includes("attest-provenance"));
    const hash = storePayload("x");
    writeFileSync(join(process.env[PAYLOAD_DIR_ENV]!, hash), "y");
    const edited: PartsInputs = { ...INPUTS, parts: PARTS.map((x) => (x.name === "attest-provenance" ? { ...x, payload: { PREDICATE: hash } } : x)) };
    await assert.rejects(partsProvider(fake().run, hashNow).create(edited), /is not the payload it is named for \(edited or cut short\): remove it and run again/);
    rmSync(join(process.env[PAYLOAD_DIR_ENV]!, hash));
  });
});

describe("step made of parts, through the real provider and scripts", () => {
  const FAKES = mkdtempSync(join(tmpdir(), "parts-fakes-"));
  writeFileSync(join(FAKES, "cosign"), '#!/bin/bash\nexec bash -c "$FAKE_COSIGN" cosign "$@"\n');
  chmodSync(join(FAKES, "cosign"), 0o755);
  const env = { PATH: `${FAKES}:${process.env.PATH ?? "/usr/bin:/bin"}`, IMAGE_REF: "r@sha256:1", COSIGN_KEY: "k", TLOG_UPLOAD: "true" };
  const sign = (fakeCosign: string): PartsInputs => ({
    step: "cell-signature",
    triggers: ["sha256:1"],
    environment: { ...env, FAKE_COSIGN: fakeCosign },
    secretEnvironment: { COSIGN_PASSWORD: "pw" },
    parts: [{ name: "sign", script: "sign", key: keyOf([SIGNER]), environment: {}, secret: true }],
    scripts: hashNow(["sign"]),
  });

  it("runs scripts/steps/sign.sh with the password for a part that signs, and records only what it printed", async () => {
    const { outs } = await stepRunner.create(sign('printf "%s " "$@"; printf "%s\\n" "$COSIGN_PASSWORD"'));
    assert.deepEqual((outs as PartsOutputs).done, { sign: { key: keyOf([SIGNER]), stdout: "sign --recursive --yes --key k r@sha256:1 pw" } });
  });

  it("a failing script: an error the SDK's dynamic-provider host turns into ErrorResourceInitFailed (id, properties, reasons)", async () => {
    const e = (await stepRunner.create(sign('echo "cosign: no such key" >&2; exit 3')).then(
      () => undefined,
      (x: unknown) => x,
    )) as { message: string; id?: string; properties?: PartsOutputs; reasons?: string[] };
    assert.equal(e.message, "cell-signature: sign: exited with status 3:\ncosign: no such key");
    assert.equal(typeof e.id, "string");
    assert.deepEqual(e.properties?.done, {});
    assert.deepEqual(e.reasons, [e.message]);
  });
});
