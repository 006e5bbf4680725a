/**
 * What a Step does (resources/step.ts has the rules): runs its script file, `scripts/steps/NAME.sh`, with its
 * environment, checks it on refresh, decides between a run and an update that runs nothing. The provider
 * text each Step's state carries (resources/step.ts, one line, in inputs and outputs) only loads this module
 * (compiled, `dist/resources/step-runner.js`), not this code's 6 KB.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { isScriptRef, scriptHash, scriptSetHash, STEP_SCRIPT_DIR, stepScriptFile, type ScriptRef } from "../lib/build/step-script";
import { checkFailureText, driftLines, failureText, hasPartRecords, hasParts, partsProvider, sameJson, sameList, type PartsInputs, type PartsOutputs, type ScriptRun } from "./parts-runner";
import { PROJECT_DIR } from "./project-dir";

export interface StepInputs {
  /** The script file it runs; values reach it only through the environment. */
  readonly script: ScriptRef;
  readonly environment: Record<string, string>;
  readonly secretEnvironment: Record<string, string>;
  /** The step runs again exactly when these change. */
  readonly triggers: string[];
  /** Resource name, for messages. */
  readonly step: string;
  /**
   * Run on refresh with `environment` plus STEP_STDOUT (what the step printed): prints one line per way the
   * registry no longer holds what the step made, nothing when it does; exits non-zero only when it cannot
   * tell. Not part of the re-run rule (editing it runs nothing).
   */
  readonly check?: ScriptRef;
  /** The provider's text (resources/step.ts), added by the SDK; the host loads the provider from it. */
  readonly __provider?: string;
}

export interface StepOutputs {
  /** A ScriptRef; bash text in a state written before the scripts were files (read once more, then updated). */
  readonly script: ScriptRef | string;
  readonly environment: Record<string, string>;
  readonly triggers: string[];
  readonly step: string;
  readonly check?: ScriptRef | string;
  /** What the script printed on stdout, trimmed of its last newline. */
  readonly stdout: string;
  /** What the last refresh found missing or changed in the registry ("" or absent: nothing). */
  readonly drift?: string;
  /** The provider's text when the step last ran or was updated (a state of an older program has a longer one). */
  readonly __provider?: string;
}

/** The variable a check reads the step's recorded stdout from. */
export const STEP_STDOUT_ENV = "STEP_STDOUT";

/**
 * A script's stderr line that starts with this is news for the user while the step runs (the stamp waiting
 * for the next minute): the runner writes it, without the marker, to its own stderr, which the engine
 * shows as it comes. Everything else on stderr is only shown if the step fails.
 */
export const PROGRESS_MARKER = "progress: ";

/** Keeps a failure message readable: the end of stderr is where scripts say what went wrong. */
const STDERR_TAIL = 4000;
/** stdout is recorded in state; the scripts print a line or nothing, anything longer is a mistake. */
const STDOUT_LIMIT = 64 * 1024;

const STEPS_DIR = join(PROJECT_DIR, STEP_SCRIPT_DIR);

function readStepFile(path: string): string {
  return readFileSync(join(STEPS_DIR, path), "utf8");
}

/** A script by name, as the program records it: fresh from the file (the program asks once per script and run). */
export function currentScriptRef(name: ScriptRef["name"]): ScriptRef {
  return { name, sha256: scriptHash(name, readStepFile) };
}

/** The absolute path of a step script (for the commands that run one outside a Step: catalogs, registry checks). */
export function stepScriptPath(name: ScriptRef["name"]): string {
  return join(STEPS_DIR, `${name}.sh`);
}

/** `bash FILE`, after checking the file is the one the plan recorded; legacy text (an old state's check) with `bash -c`. */
function bashArgs(step: string, script: ScriptRef | string): string[] {
  if (typeof script === "string") return ["-c", script];
  if (!isScriptRef(script)) throw new Error(`${step}: ${JSON.stringify(script)} names no step script`);
  const now = currentScriptRef(script.name).sha256;
  if (now !== script.sha256) throw new Error(`${step}: ${stepScriptFile(script.name)} changed after this run was planned (sha256 ${script.sha256.slice(0, 12)}…, now ${now.slice(0, 12)}…); run again`);
  return [stepScriptPath(script.name)];
}

/** Runs a Step's script, checked against what the plan recorded (bashArgs), with this process's environment plus `env`. */
function runBash(step: string, script: ScriptRef | string, env: Record<string, string>): Promise<ScriptRun> {
  return runArgs(step, bashArgs(step, script), env);
}

/** `bash ARGS` with this process's environment plus `env`; progress lines of stderr are shown as they come. */
function runArgs(step: string, args: string[], env: Record<string, string>): Promise<ScriptRun> {
  return new Promise<ScriptRun>((resolve, reject) => {
    const child = spawn("bash", args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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

function failure(step: string, r: ScriptRun): Error {
  return new Error(failureText(step, r));
}

function definition(news: StepInputs): Omit<StepOutputs, "stdout"> {
  return { script: news.script, environment: news.environment, triggers: news.triggers, step: news.step, ...(news.check === undefined ? {} : { check: news.check }) };
}

const singleStep: Required<Pick<pulumi.dynamic.ResourceProvider<StepInputs, StepOutputs>, "diff" | "create" | "read" | "update">> = {
  diff(_id: string, olds: StepOutputs, news: StepInputs): Promise<pulumi.dynamic.DiffResult> {
    if (!sameList(olds.triggers, news.triggers)) return Promise.resolve({ changes: true, replaces: ["triggers"], deleteBeforeReplace: false });
    // The registry lost or changed what this step made (found by the last refresh): an update that runs it again.
    if ((olds.drift ?? "") !== "") return Promise.resolve({ changes: true, replaces: [], deleteBeforeReplace: false });
    // A new provider text too (it is kept in the outputs): so the state of an older program, which carried a 1.7 KB one, takes the new one.
    const changed =
      !sameJson(olds.script, news.script) ||
      !sameJson(olds.environment, news.environment) ||
      olds.step !== news.step ||
      !sameJson(olds.check, news.check) ||
      (news.__provider !== undefined && olds.__provider !== news.__provider);
    // A changed secret environment alone is not visible here (it is not among the outputs) and needs no run.
    return Promise.resolve({ changes: changed, replaces: [], deleteBeforeReplace: false });
  },

  async create(inputs: StepInputs): Promise<pulumi.dynamic.CreateResult<StepOutputs>> {
    const r = await runBash(inputs.step, inputs.script, { ...inputs.environment, ...inputs.secretEnvironment });
    if (r.status !== "ok") throw failure(inputs.step, r);
    return { id: randomUUID(), outs: { ...definition(inputs), stdout: r.stdout.replace(/\n$/, "") } };
  },

  async read(id: string, props?: StepOutputs): Promise<pulumi.dynamic.ReadResult<StepOutputs>> {
    if (props === undefined || props.check === undefined || props.check === "") return { id, props };
    const r = await runBash(props.step, props.check, { ...props.environment, [STEP_STDOUT_ENV]: props.stdout });
    if (r.status !== "ok") throw new Error(checkFailureText(props.step, r));
    const drift = driftLines(r.stdout);
    // A drift found before and healed since is gone: only what this check found is recorded.
    const rest: StepOutputs = { ...props };
    delete (rest as { drift?: string }).drift;
    return { id, props: drift === "" ? rest : { ...rest, drift } };
  },

  async update(_id: string, olds: StepOutputs, news: StepInputs): Promise<pulumi.dynamic.UpdateResult<StepOutputs>> {
    // Not a trigger: record the new definition, run nothing, keep what the last run printed.
    if ((olds.drift ?? "") === "") return { outs: { ...definition(news), stdout: olds.stdout } };
    // A drift: run again, told what the last run printed; a failure keeps the drift recorded (the update records nothing).
    const r = await runBash(news.step, news.script, { ...news.environment, ...news.secretEnvironment, [STEP_STDOUT_ENV]: olds.stdout });
    if (r.status !== "ok") throw failure(news.step, r);
    return { outs: { ...definition(news), stdout: r.stdout.replace(/\n$/, "") } };
  },
};

/** A step made of parts (resources/parts-step.ts), its scripts run by bash like a Step's. */
// The step checked its scripts' hash once before its parts run: each part runs its file as it is.
export const partsRunner = partsProvider(
  (label, name, env) => runArgs(label, [stepScriptPath(name)], env),
  (names) => scriptSetHash(names.map(currentScriptRef)),
);

type AnyInputs = StepInputs | PartsInputs;
type AnyOutputs = StepOutputs | PartsOutputs;

/**
 * The one provider of Steps and steps made of parts (one provider text for both): each call goes to the kind
 * the new inputs (or, for a refresh, the recorded outputs) belong to. A step made of parts aliased from a Step
 * gets that Step's outputs as its olds (resources/parts-runner.ts reads them).
 */
export const stepRunner: Required<Pick<pulumi.dynamic.ResourceProvider<AnyInputs, AnyOutputs>, "diff" | "create" | "read" | "update">> = {
  diff: (id, olds, news) => (hasParts(news) ? partsRunner.diff(id, olds as PartsOutputs, news as PartsInputs) : singleStep.diff(id, olds as StepOutputs, news as StepInputs)),
  create: (inputs) => (hasParts(inputs) ? partsRunner.create(inputs as PartsInputs) : singleStep.create(inputs as StepInputs)),
  read: (id, props) => (hasPartRecords(props) ? partsRunner.read(id, props as PartsOutputs) : singleStep.read(id, props as StepOutputs)),
  update: (id, olds, news) => (hasParts(news) ? partsRunner.update(id, olds as PartsOutputs, news as PartsInputs) : singleStep.update(id, olds as StepOutputs, news as StepInputs)),
};
