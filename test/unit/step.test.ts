/**
 * The step provider (resources/step.ts, its runner resources/step-runner.ts), called as the dynamic-provider
 * host calls it: diff decides between a run (replace) and an update that runs nothing; create runs the
 * script file with the environment and the secret environment and records neither the secrets nor more
 * than stdout. The scripts are the project's own (scripts/steps), with fake `cosign` and `docker` on PATH.
 */
import { strict as assert } from "node:assert";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Module } from "node:module";
import { currentScriptRef, stepRunner, type StepInputs, type StepOutputs } from "../../resources/step-runner";
import { STEP_PROVIDER_MODULE, STEP_RUNNER_ENV } from "../../resources/step";

/** Fakes whose behaviour each case sets: `cosign` and `docker` run the bash text in FAKE_COSIGN / FAKE_DOCKER with their arguments. */
const FAKES = mkdtempSync(join(tmpdir(), "step-fakes-"));
for (const tool of ["cosign", "docker"]) {
  writeFileSync(join(FAKES, tool), `#!/bin/bash\nexec bash -c "$FAKE_${tool.toUpperCase()}" ${tool} "$@"\n`);
  chmodSync(join(FAKES, tool), 0o755);
}
const PATH = `${FAKES}:${process.env.PATH ?? "/usr/bin:/bin"}`;

const SIGN = currentScriptRef("sign");
const CHECK = currentScriptRef("check-stamp");
const INPUTS: StepInputs = {
  script: SIGN,
  // sign.sh: cosign sign --recursive --yes --key "$COSIGN_KEY" "$IMAGE_REF"; the fake prints its arguments and the password it was given.
  environment: { PATH, IMAGE_REF: "r@sha256:1", COSIGN_KEY: "k", TLOG_UPLOAD: "true", FAKE_COSIGN: 'printf "%s " "$@"; printf "%s\\n" "$COSIGN_PASSWORD"' },
  secretEnvironment: { COSIGN_PASSWORD: "pw" },
  triggers: ["sha256:1", '{"COSIGN_KEY":"k"}'],
  step: "cell-sign",
};
const OLDS: StepOutputs = { script: INPUTS.script, environment: INPUTS.environment, triggers: INPUTS.triggers, step: INPUTS.step, stdout: "printed before" };
const withCosign = (fake: string): StepInputs => ({ ...INPUTS, environment: { ...INPUTS.environment, FAKE_COSIGN: fake } });

/** check-stamp.sh's view of the registry: the recorded build time's tag, asked through `docker buildx imagetools inspect`. */
const STAMPED: StepOutputs = {
  script: currentScriptRef("stamp"),
  check: CHECK,
  environment: { PATH, STAMP_TAG_PREFIX: "r:17-", STAMP_TAG_SUFFIX: "-minimal-trixie", FAKE_DOCKER: 'echo "ERROR: $4: not found" >&2; exit 1' },
  triggers: ["h"],
  step: "cell-built-at",
  stdout: "2026-11-02T08:30:12Z\nrev",
};

describe("step provider", () => {
  it("diff: changed triggers replace (the script runs); anything else is an update or nothing", async () => {
    const p = stepRunner;
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, triggers: ["sha256:2", '{"COSIGN_KEY":"k"}'] }), { changes: true, replaces: ["triggers"], deleteBeforeReplace: false });
    assert.deepEqual((await p.diff("id", OLDS, { ...INPUTS, triggers: ["sha256:1"] })).replaces, ["triggers"], "a trigger dropped");
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, script: { ...SIGN, sha256: "0".repeat(64) } }), { changes: true, replaces: [], deleteBeforeReplace: false }, "the script's content changed");
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, environment: { ...INPUTS.environment, PLATFORM: "linux/amd64" } }), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await p.diff("id", OLDS, { ...INPUTS, secretEnvironment: { COSIGN_PASSWORD: "rotated" } }), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await p.diff("id", OLDS, INPUTS), { changes: false, replaces: [], deleteBeforeReplace: false });
    // A state from before the scripts were files records the text: an update, which runs nothing.
    assert.deepEqual(await p.diff("id", { ...OLDS, script: "set -eu\ncosign sign" }, INPUTS), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("create runs the script file with both environments and records its stdout, never the secret environment", async () => {
    const { id, outs } = await stepRunner.create(INPUTS);
    assert.ok(id !== "");
    assert.deepEqual(outs, { script: SIGN, environment: INPUTS.environment, triggers: INPUTS.triggers, step: "cell-sign", stdout: "sign --recursive --yes --key k r@sha256:1 pw" });
    assert.ok(!("secretEnvironment" in outs));
  });

  it("create fails with the step's name, the status and the end of stderr", async () => {
    await assert.rejects(stepRunner.create(withCosign('echo "cosign: no such key" >&2; exit 3')), { message: "cell-sign: exited with status 3:\ncosign: no such key" });
  });

  it("create refuses a script whose file is not the one the plan recorded, and runs nothing", async () => {
    const marker = join(FAKES, "ran");
    await assert.rejects(stepRunner.create({ ...withCosign(`touch ${marker}`), script: { name: "sign", sha256: "f".repeat(64) } }), /^Error: cell-sign: scripts\/steps\/sign\.sh changed after this run was planned \(sha256 ffffffffffff…, now [0-9a-f]{12}…\); run again$/);
    await assert.rejects(stepRunner.create({ ...INPUTS, script: { name: "rm -rf /", sha256: "f".repeat(64) } as unknown as StepInputs["script"] }), /names no step script/);
    assert.throws(() => currentScriptRef("nope" as "sign"), /ENOENT/);
  });

  it("update runs nothing and keeps what the last run printed", async () => {
    const news: StepInputs = { ...withCosign("exit 1"), environment: { ...INPUTS.environment, FAKE_COSIGN: "exit 1", X: "y" } };
    assert.deepEqual(await stepRunner.update("id", OLDS, news), { outs: { script: SIGN, environment: news.environment, triggers: INPUTS.triggers, step: "cell-sign", stdout: "printed before" } });
  });

  it("read without a check keeps the recorded state", async () => {
    assert.deepEqual(await stepRunner.read("id", OLDS), { id: "id", props: OLDS });
  });

  it("read runs the check with the environment and the recorded stdout; what it prints is the drift", async () => {
    assert.deepEqual(await stepRunner.read("id", STAMPED), { id: "id", props: { ...STAMPED, drift: "r:17-202611020830-minimal-trixie is not in the registry: the cell is built again under a new build time" } });
    // The registry agrees again: the drift is gone.
    const there: StepOutputs = { ...STAMPED, environment: { ...STAMPED.environment, FAKE_DOCKER: `echo '"sha256:1"'` } };
    assert.deepEqual(await stepRunner.read("id", { ...there, drift: "old" }), { id: "id", props: there });
  });

  it("read of a state from before the scripts were files runs its check text", async () => {
    const legacy: StepOutputs = { ...OLDS, check: 'set -eu\n[ "$STEP_STDOUT" = "printed before" ] || exit 7\necho "$IMAGE_REF is missing"\necho\necho "  second  "' };
    assert.deepEqual(await stepRunner.read("id", legacy), { id: "id", props: { ...legacy, drift: "r@sha256:1 is missing; second" } });
  });

  it("read fails, naming the step and the check's stderr, when the check cannot tell", async () => {
    const refused: StepOutputs = { ...STAMPED, environment: { ...STAMPED.environment, FAKE_DOCKER: 'echo "ERROR: 401 Unauthorized" >&2; exit 1' } };
    await assert.rejects(stepRunner.read("id", refused), {
      message: "cell-built-at: cannot check the registry (status 1): cannot tell whether r:17-202611020830-minimal-trixie exists: ERROR: 401 Unauthorized",
    });
  });

  it("diff: a drifted step is an update (which runs it again); changed triggers still replace", async () => {
    assert.deepEqual(await stepRunner.diff("id", { ...OLDS, drift: "r:17 is missing" }, INPUTS), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual((await stepRunner.diff("id", { ...OLDS, drift: "r:17 is missing" }, { ...INPUTS, triggers: ["sha256:2"] })).replaces, ["triggers"]);
    // A new check alone is an update that runs nothing.
    assert.deepEqual(await stepRunner.diff("id", OLDS, { ...INPUTS, check: CHECK }), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("update of a drifted step runs the script again, told what it printed last time, and records the new output", async () => {
    const news = withCosign('printf "%s|%s|%s" "$STEP_STDOUT" "${@: -1}" "$COSIGN_PASSWORD"');
    const { outs } = await stepRunner.update("id", { ...OLDS, drift: "r:17 is missing" }, news);
    assert.deepEqual(outs, { script: SIGN, environment: news.environment, triggers: INPUTS.triggers, step: "cell-sign", stdout: "printed before|r@sha256:1|pw" });
    await assert.rejects(stepRunner.update("id", { ...OLDS, drift: "x" }, withCosign("echo no >&2; exit 4")), { message: "cell-sign: exited with status 4:\nno" });
  });

  it("a script's progress lines reach the engine while it runs, named by the step; other stderr stays quiet", async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await stepRunner.create(withCosign('echo "progress: stamp: waiting 20 s for the next minute" >&2; echo "noise" >&2; printf "progress: no newline" >&2'));
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(written, ["cell-sign: stamp: waiting 20 s for the next minute\n"]);
  });

  it("the provider each Step carries loads the runner named by its environment, as the dynamic-provider host loads it, and is one line", async () => {
    // The host's own loading: a module compiled from the text, whose handler() is the provider.
    const mod = new Module("step-provider");
    (mod as unknown as { _compile(code: string, file: string): void })._compile(STEP_PROVIDER_MODULE, join(tmpdir(), "step-provider.js"));
    const { handler: provider } = mod.exports as { handler: () => typeof stepRunner };
    const before = process.env[STEP_RUNNER_ENV];
    process.env[STEP_RUNNER_ENV] = join(__dirname, "..", "..", "resources", "step-runner.ts");
    try {
      const loaded = provider();
      assert.equal(((await loaded.create(INPUTS)).outs as StepOutputs | undefined)?.stdout, "sign --recursive --yes --key k r@sha256:1 pw");
      assert.deepEqual(await loaded.diff("id", OLDS, INPUTS), { changes: false, replaces: [], deleteBeforeReplace: false });
    } finally {
      if (before === undefined) delete process.env[STEP_RUNNER_ENV];
      else process.env[STEP_RUNNER_ENV] = before;
    }
    // The engine keeps it in every Step's inputs and outputs: serialised from a closure it was 1.7 KB (6.2 KB while it held the runner).
    assert.ok(STEP_PROVIDER_MODULE.length < 160, `${STEP_PROVIDER_MODULE.length} characters`);
  });

  it("a step recorded with another provider text is updated (runs nothing) so its state takes the new one", async () => {
    const news: StepInputs = { ...INPUTS, __provider: STEP_PROVIDER_MODULE };
    assert.deepEqual(await stepRunner.diff("id", { ...OLDS, __provider: "exports.handler = __f0; /* 1.7 KB of closure */" }, news), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await stepRunner.diff("id", { ...OLDS, __provider: STEP_PROVIDER_MODULE }, news), { changes: false, replaces: [], deleteBeforeReplace: false });
    const updated = await stepRunner.update("id", { ...OLDS, __provider: "old" }, news);
    assert.equal((updated.outs as StepOutputs | undefined)?.stdout, "printed before", "nothing ran");
  });
});
