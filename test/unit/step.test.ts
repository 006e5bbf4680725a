/**
 * The step provider itself (resources/step.ts), called as the dynamic-provider host calls it: diff
 * decides between a run (replace) and an update that runs nothing; create runs the script with the
 * environment and the secret environment and records neither the secrets nor more than stdout.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { stepProvider, type StepInputs, type StepOutputs } from "../../resources/step";

const provider = stepProvider as Required<typeof stepProvider>;

const INPUTS: StepInputs = {
  script: 'set -eu\nprintf "%s %s\\n" "$IMAGE_REF" "$COSIGN_PASSWORD"',
  environment: { IMAGE_REF: "r@sha256:1" },
  secretEnvironment: { COSIGN_PASSWORD: "pw" },
  triggers: ["sha256:1", '{"COSIGN_KEY":"k"}'],
  step: "cell-sign",
};
const OLDS: StepOutputs = { script: INPUTS.script, environment: INPUTS.environment, triggers: INPUTS.triggers, step: INPUTS.step, stdout: "printed before" };

describe("step provider", () => {
  it("diff: changed triggers replace (the script runs); anything else is an update or nothing", async () => {
    assert.deepEqual(await provider.diff("id", OLDS, { ...INPUTS, triggers: ["sha256:2", '{"COSIGN_KEY":"k"}'] }), { changes: true, replaces: ["triggers"], deleteBeforeReplace: false });
    assert.deepEqual((await provider.diff("id", OLDS, { ...INPUTS, triggers: ["sha256:1"] })).replaces, ["triggers"], "a trigger dropped");
    assert.deepEqual(await provider.diff("id", OLDS, { ...INPUTS, script: "set -eu\ntrue" }), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await provider.diff("id", OLDS, { ...INPUTS, environment: { IMAGE_REF: "r@sha256:1", PLATFORM: "linux/amd64" } }), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await provider.diff("id", OLDS, { ...INPUTS, secretEnvironment: { COSIGN_PASSWORD: "rotated" } }), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await provider.diff("id", OLDS, INPUTS), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("create runs the script with both environments and records its stdout, never the secret environment", async () => {
    const { id, outs } = await provider.create(INPUTS);
    assert.ok(id !== "");
    assert.deepEqual(outs, { script: INPUTS.script, environment: INPUTS.environment, triggers: INPUTS.triggers, step: "cell-sign", stdout: "r@sha256:1 pw" });
    assert.ok(!("secretEnvironment" in outs));
  });

  it("create fails with the step's name, the status and the end of stderr", async () => {
    await assert.rejects(provider.create({ ...INPUTS, script: 'echo "cosign: no such key" >&2; exit 3' }), { message: "cell-sign: exited with status 3:\ncosign: no such key" });
  });

  it("update runs nothing and keeps what the last run printed; delete runs nothing", async () => {
    const news: StepInputs = { ...INPUTS, script: "exit 1", environment: { IMAGE_REF: "r@sha256:1", X: "y" } };
    assert.deepEqual(await provider.update("id", OLDS, news), { outs: { script: "exit 1", environment: news.environment, triggers: INPUTS.triggers, step: "cell-sign", stdout: "printed before" } });
    await provider.delete("id", OLDS);
  });

  it("read without a check keeps the recorded state", async () => {
    assert.deepEqual(await provider.read("id", OLDS), { id: "id", props: OLDS });
  });

  it("read runs the check with the environment and the recorded stdout; each printed line is a drift", async () => {
    const check = 'set -eu\n[ "$STEP_STDOUT" = "printed before" ] || exit 7\necho "$IMAGE_REF is missing"\necho\necho "  second  "';
    const olds: StepOutputs = { ...OLDS, check };
    assert.deepEqual(await provider.read("id", olds), { id: "id", props: { ...olds, drift: "r@sha256:1 is missing; second" } });
    // The registry agrees again: the drift is gone.
    assert.deepEqual(await provider.read("id", { ...olds, check: "true", drift: "old" }), { id: "id", props: { ...olds, check: "true" } });
  });

  it("read fails, naming the step and the check's stderr, when the check cannot tell", async () => {
    await assert.rejects(provider.read("id", { ...OLDS, check: 'echo "cannot tell whether x exists: 401" >&2; exit 1' }), {
      message: "cell-sign: cannot check the registry (status 1): cannot tell whether x exists: 401",
    });
  });

  it("diff: a drifted step is an update (which runs it again); changed triggers still replace", async () => {
    assert.deepEqual(await provider.diff("id", { ...OLDS, drift: "r:17 is missing" }, INPUTS), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual((await provider.diff("id", { ...OLDS, drift: "r:17 is missing" }, { ...INPUTS, triggers: ["sha256:2"] })).replaces, ["triggers"]);
    // A new check text alone is an update that runs nothing.
    assert.deepEqual(await provider.diff("id", OLDS, { ...INPUTS, check: "true" }), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("update of a drifted step runs the script again, told what it printed last time, and records the new output", async () => {
    const news: StepInputs = { ...INPUTS, script: 'printf "%s|%s|%s" "$STEP_STDOUT" "$IMAGE_REF" "$COSIGN_PASSWORD"' };
    const { outs } = await provider.update("id", { ...OLDS, drift: "r:17 is missing" }, news);
    assert.deepEqual(outs, { script: news.script, environment: INPUTS.environment, triggers: INPUTS.triggers, step: "cell-sign", stdout: "printed before|r@sha256:1|pw" });
    await assert.rejects(provider.update("id", { ...OLDS, drift: "x" }, { ...INPUTS, script: "echo no >&2; exit 4" }), { message: "cell-sign: exited with status 4:\nno" });
  });

  it("a script's progress lines reach the engine while it runs, named by the step; other stderr stays quiet", async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await provider.create({ ...INPUTS, script: 'echo "progress: stamp: waiting 20 s for the next minute" >&2; echo "noise" >&2; printf "progress: no newline" >&2' });
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(written, ["cell-sign: stamp: waiting 20 s for the next minute\n"]);
  });
});
