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
 * - refresh (`pulumi refresh`, `up --refresh`) runs the step's `check`, if it has one: a fixed script
 *   that asks the registry whether what the step made is still there (a tag, a signature, the image
 *   itself). Each line it prints is a drift, recorded in the output `drift`; the next diff of a drifted
 *   step is an update that runs the script again, with what it printed last time in STEP_STDOUT, so it
 *   heals the drift (or fails, saying why it must not) and can avoid reusing what it made before (the
 *   stamp never picks the minute of the build that was lost).
 *   A check that cannot tell (registry unreachable) fails the refresh with its message: a state that
 *   cannot be checked is not reported as checked.
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
  /**
   * Fixed bash text run on refresh with `environment` plus STEP_STDOUT (what the step printed): prints
   * one line per way the registry no longer holds what the step made, nothing when it does; exits
   * non-zero only when it cannot tell. Not part of the re-run rule (editing it runs nothing).
   */
  readonly check?: string;
}

export interface StepOutputs {
  readonly script: string;
  readonly environment: Record<string, string>;
  readonly triggers: string[];
  readonly step: string;
  readonly check?: string;
  /** What the script printed on stdout, trimmed of its last newline. */
  readonly stdout: string;
  /** What the last refresh found missing or changed in the registry ("" or absent: nothing). */
  readonly drift?: string;
}

/** The variable a check reads the step's recorded stdout from. */
export const STEP_STDOUT_ENV = "STEP_STDOUT";

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * A script's stderr line that starts with this is news for the user while the step runs (the stamp waiting
 * for the next minute): the provider writes it, without the marker, to its own stderr, which the engine
 * shows as it comes. Everything else on stderr is only shown if the step fails.
 */
export const PROGRESS_MARKER = "progress: ";

/** Keeps a failure message readable: the end of stderr is where scripts say what went wrong. */
const STDERR_TAIL = 4000;
/** stdout is recorded in state; the scripts print a line or nothing, anything longer is a mistake. */
const STDOUT_LIMIT = 64 * 1024;

interface BashResult {
  /** "ok", or how it ended otherwise: `status 3`, `signal SIGKILL`. */
  readonly status: string;
  readonly stdout: string;
  /** The end of stderr, trimmed. */
  readonly stderr: string;
}

/** Runs fixed bash text with this process's environment plus `env`. */
function runBash(step: string, script: string, env: Record<string, string>): Promise<BashResult> {
  return new Promise<BashResult>((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out = (out + d).slice(0, STDOUT_LIMIT);
    });
    let partial = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err = (err + d).slice(-STDERR_TAIL);
      const lines = (partial + d).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (l.startsWith(PROGRESS_MARKER)) process.stderr.write(`${step}: ${l.slice(PROGRESS_MARKER.length)}\n`);
    });
    child.on("error", (e) => reject(new Error(`${step}: cannot run bash: ${e.message}`)));
    child.on("close", (code, signal) => resolve({ status: code === 0 ? "ok" : code === null ? `signal ${signal}` : `status ${code}`, stdout: out, stderr: err.trim() }));
  });
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
    // The registry lost or changed what this step made (found by the last refresh): an update that runs it again.
    if ((olds.drift ?? "") !== "") return Promise.resolve({ changes: true, replaces: [], deleteBeforeReplace: false });
    const changed = olds.script !== news.script || !sameJson(olds.environment, news.environment) || olds.step !== news.step || (olds.check ?? "") !== (news.check ?? "");
    // A changed secret environment alone is not visible here (it is not among the outputs) and needs no run.
    return Promise.resolve({ changes: changed, replaces: [], deleteBeforeReplace: false });
  },

  async create(inputs: StepInputs): Promise<pulumi.dynamic.CreateResult<StepOutputs>> {
    const r = await runBash(inputs.step, inputs.script, { ...inputs.environment, ...inputs.secretEnvironment });
    if (r.status !== "ok") throw new Error(`${inputs.step}: exited with ${r.status}${r.stderr === "" ? "" : `:\n${r.stderr}`}`);
    const outs: StepOutputs = { script: inputs.script, environment: inputs.environment, triggers: inputs.triggers, step: inputs.step, ...(inputs.check === undefined ? {} : { check: inputs.check }), stdout: r.stdout.replace(/\n$/, "") };
    return { id: randomUUID(), outs };
  },

  async read(id: string, props?: StepOutputs): Promise<pulumi.dynamic.ReadResult<StepOutputs>> {
    if (props === undefined || props.check === undefined || props.check === "") return { id, props };
    const r = await runBash(props.step, props.check, { ...props.environment, [STEP_STDOUT_ENV]: props.stdout });
    if (r.status !== "ok") throw new Error(`${props.step}: cannot check the registry (${r.status})${r.stderr === "" ? "" : `: ${r.stderr}`}`);
    const drift = r.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .join("; ");
    // A drift found before and healed since is gone: only what this check found is recorded.
    const rest: StepOutputs = { ...props };
    delete (rest as { drift?: string }).drift;
    return { id, props: drift === "" ? rest : { ...rest, drift } };
  },

  async update(_id: string, olds: StepOutputs, news: StepInputs): Promise<pulumi.dynamic.UpdateResult<StepOutputs>> {
    const outs = { script: news.script, environment: news.environment, triggers: news.triggers, step: news.step, ...(news.check === undefined ? {} : { check: news.check }) };
    // Not a trigger: record the new definition, run nothing, keep what the last run printed.
    if ((olds.drift ?? "") === "") return { outs: { ...outs, stdout: olds.stdout } };
    // A drift: run again, told what the last run printed; a failure keeps the drift recorded (the update records nothing).
    const r = await runBash(news.step, news.script, { ...news.environment, ...news.secretEnvironment, [STEP_STDOUT_ENV]: olds.stdout });
    if (r.status !== "ok") throw new Error(`${news.step}: exited with ${r.status}${r.stderr === "" ? "" : `:\n${r.stderr}`}`);
    return { outs: { ...outs, stdout: r.stdout.replace(/\n$/, "") } };
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
  /** Run on refresh: see StepInputs.check. */
  readonly check?: string;
}

/** One step of a cell; see the module comment for when it runs. */
export class Step extends pulumi.dynamic.Resource {
  declare readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: StepArgs, opts?: pulumi.CustomResourceOptions) {
    const secretEnvironment = args.secretEnvironment === undefined ? {} : pulumi.secret(args.secretEnvironment);
    super(
      stepProvider,
      name,
      { script: args.script, environment: args.environment ?? {}, secretEnvironment, triggers: args.triggers, step: name, check: args.check, stdout: undefined, drift: undefined },
      opts,
    );
  }
}
