/**
 * A build step: fixed bash text run with an environment, recorded in the stack state, run again only
 * when its `triggers` change. The stamp, tag, sign, verify, attest and promote steps are Steps.
 *
 * It is a Pulumi dynamic resource (served by the Node.js SDK's own dynamic provider) and not
 * `@pulumi/command`: that provider's plugin cannot be built on the machines this project is developed
 * and tested on (its Go module is not served there; docs/engine-notes.md), and what the steps need is
 * narrower than a general command anyway. The re-run rule is the point:
 *
 * - `triggers` changed (or the step is new): the step is replaced, i.e. its script runs;
 * - anything else changed (the script's text, the environment, the secret environment, the provider's
 *   own code): an update that runs nothing and keeps the recorded stdout, so editing a cosign script or
 *   rotating the password never re-signs an unchanged digest, and a new stamp script never restamps;
 * - a failed run records nothing, so the next `pulumi up` runs it again;
 * - delete runs nothing (tags, signatures and attestations stay in the registry);
 * - refresh keeps the recorded state (no `read`).
 *
 * Secrets: `secretEnvironment` reaches the script as environment variables only; the engine keeps it
 * encrypted among the inputs, and it is never part of the outputs. stdout is recorded (plain text): the
 * scripts print only a time, a digest or nothing. A failure's message carries the script's last stderr
 * lines, which scripts keep free of secrets (cosign reads COSIGN_PASSWORD itself).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export const STEP_TYPE = "pulumi-nodejs:dynamic:Resource";

export interface StepInputs {
  /** Fixed bash text; values reach it only through the environment. */
  readonly script: string;
  readonly environment: Record<string, string>;
  readonly secretEnvironment: Record<string, string>;
  /** The step runs again exactly when these change. */
  readonly triggers: string[];
  /** Resource name, for messages. */
  readonly step: string;
}

export interface StepOutputs {
  readonly script: string;
  readonly environment: Record<string, string>;
  readonly triggers: string[];
  readonly step: string;
  /** What the script printed on stdout, trimmed of its last newline. */
  readonly stdout: string;
}

/** Keeps a failure message readable: the end of stderr is where scripts say what went wrong. */
const STDERR_TAIL = 4000;
/** stdout is recorded in state; the scripts print a line or nothing, anything longer is a mistake. */
const STDOUT_LIMIT = 64 * 1024;

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The provider. Everything it uses is inside its methods: the SDK serializes this object into each
 * Step's state and runs it in a separate process, where only Node's built-in modules are required.
 */
export const stepProvider: pulumi.dynamic.ResourceProvider<StepInputs, StepOutputs> = {
  diff(_id: string, olds: StepOutputs, news: StepInputs): Promise<pulumi.dynamic.DiffResult> {
    if (!sameList(olds.triggers, news.triggers)) return Promise.resolve({ changes: true, replaces: ["triggers"], deleteBeforeReplace: false });
    const changed = olds.script !== news.script || !sameJson(olds.environment, news.environment) || olds.step !== news.step;
    // A changed secret environment alone is not visible here (it is not among the outputs) and needs no run.
    return Promise.resolve({ changes: changed, replaces: [], deleteBeforeReplace: false });
  },

  async create(inputs: StepInputs): Promise<pulumi.dynamic.CreateResult<StepOutputs>> {
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn("bash", ["-c", inputs.script], {
        env: { ...process.env, ...inputs.environment, ...inputs.secretEnvironment },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out = (out + d).slice(0, STDOUT_LIMIT);
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        err = (err + d).slice(-STDERR_TAIL);
      });
      child.on("error", (e) => reject(new Error(`${inputs.step}: cannot run bash: ${e.message}`)));
      child.on("close", (code, signal) => {
        if (code === 0) resolve(out.replace(/\n$/, ""));
        else reject(new Error(`${inputs.step}: exited with ${code === null ? `signal ${signal}` : `status ${code}`}${err.trim() === "" ? "" : `:\n${err.trimEnd()}`}`));
      });
    });
    const outs: StepOutputs = { script: inputs.script, environment: inputs.environment, triggers: inputs.triggers, step: inputs.step, stdout };
    return { id: randomUUID(), outs };
  },

  update(_id: string, olds: StepOutputs, news: StepInputs): Promise<pulumi.dynamic.UpdateResult<StepOutputs>> {
    // Not a trigger: record the new definition, run nothing, keep what the last run printed.
    return Promise.resolve({ outs: { script: news.script, environment: news.environment, triggers: news.triggers, step: news.step, stdout: olds.stdout } });
  },

  delete(): Promise<void> {
    // Nothing to undo: what a step pushed to the registry stays there.
    return Promise.resolve();
  },
};

export interface StepArgs {
  readonly script: pulumi.Input<string>;
  readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Only ever environment variables; kept secret in state. */
  readonly secretEnvironment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly triggers: pulumi.Input<pulumi.Input<string>[]>;
}

/** One step of a cell; see the module comment for when it runs. */
export class Step extends pulumi.dynamic.Resource {
  declare readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: StepArgs, opts?: pulumi.CustomResourceOptions) {
    const secretEnvironment = args.secretEnvironment === undefined ? {} : pulumi.secret(args.secretEnvironment);
    super(
      stepProvider,
      name,
      { script: args.script, environment: args.environment ?? {}, secretEnvironment, triggers: args.triggers, step: name, stdout: undefined },
      opts,
    );
  }
}
