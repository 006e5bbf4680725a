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
});
