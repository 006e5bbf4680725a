/**
 * What a step made of parts does (resources/parts-step.ts has the rules): the timestamped tag, the signature,
 * its verification, the attestations and the rolling tags of one digest are parts of one resource, run in
 * order, each recorded in its outputs as it succeeds. A part runs again when its `key` changes (or after a
 * refresh found what it made gone), never otherwise; a failure records the parts done so far (the engine keeps
 * the partial outputs), so the next run goes on from the part that failed.
 *
 * The scripts are run by the function given (resources/step-runner.ts: bash; the program tests: a fake).
 */
import { createHash, randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { checkEnvironment, type StepScriptName } from "../lib/build/step-script";
import { PayloadMissing, readPayload } from "./payload-store";

/** One part, in the order of `PartsInputs.parts`. */
export interface Part {
  /** Unique in its step: `tags`, `sign`, `verify`, `attest-provenance`, `attest-sbom-linux-amd64`, `rolling-tags`. */
  readonly name: string;
  /** `scripts/steps/NAME.sh`; the step records the content of all its scripts as one hash (`scripts`). */
  readonly script: StepScriptName;
  /** Run on refresh and before a part not recorded at all runs: prints one line per thing missing, nothing when all is there. */
  readonly check?: StepScriptName;
  /**
   * The part runs again exactly when this changes: keyHash of the signer, the policy, the tags (with the step's
   * digest, what the part's own Step had as `triggers`). A hash, so a signer's description or a list of tags is
   * not kept a second time beside the environment that carries it.
   */
  readonly key: string;
  /** Added to the step's environment for this part, its run and its check. */
  readonly environment: Record<string, string>;
  /**
   * Added for the run only (the provenance predicate): variable → the sha256 its text is stored under
   * (resources/payload-store.ts), so the state keeps the hash, not the text.
   */
  readonly payload?: Record<string, string>;
  /** Whether the step's secret environment reaches this part (only the parts that sign). */
  readonly secret?: boolean;
  /** Parts whose run (in the same invocation) makes this one run too: verify after a signature made again. */
  readonly after?: string[];
}

export interface PartsInputs {
  /** Resource name, for messages. */
  readonly step: string;
  /** A change replaces the step: every part runs again (the digest). */
  readonly triggers: string[];
  /** Every part's environment. */
  readonly environment: Record<string, string>;
  readonly secretEnvironment: Record<string, string>;
  readonly parts: Part[];
  /** The hash of every script and check the parts name, when the run was planned (lib/build/step-script.ts scriptSetHash). */
  readonly scripts: string;
  readonly __provider?: string;
}

/** What a part's last successful run left: the hash of its key, and what it printed. */
export interface PartRecord {
  readonly key: string;
  readonly stdout: string;
}

/** What a refresh needs to run a part's check: the variables it reads (lib/build/step-script.ts CHECK_READS). */
export interface PartCheck {
  readonly name: string;
  readonly check: StepScriptName;
  readonly environment: Record<string, string>;
}

/**
 * Kept small: the engine keeps the inputs beside them, so the outputs hold only what the provider needs later
 * (the checks, the records) and a hash of the rest, not the parts a second time.
 */
export interface PartsOutputs {
  readonly step: string;
  readonly triggers: string[];
  /** What the checks read of the step's environment. */
  readonly environment: Record<string, string>;
  /** The checks of the parts that have one, in order. */
  readonly checks: PartCheck[];
  /** A hash of the environment and the parts (scripts, keys, environments): a change is an update that runs nothing. */
  readonly definition: string;
  /** By part name; a part not here has not run for this digest. */
  readonly done: Record<string, PartRecord>;
  /** By part name, what the last refresh found missing (absent: nothing). */
  readonly drift?: Record<string, string>;
  readonly __provider?: string;
}

export interface ScriptRun {
  /** "ok", or how it ended otherwise: `status 3`, `signal SIGKILL`. */
  readonly status: string;
  readonly stdout: string;
  /** The end of stderr, trimmed. */
  readonly stderr: string;
}

/** Runs `scripts/steps/SCRIPT.sh` for the step or part `label` with this environment (added to the process's own). */
export type RunScript = (label: string, script: StepScriptName, env: Record<string, string>) => Promise<ScriptRun>;

/** The scripts' hash now (lib/build/step-script.ts scriptSetHash of the named files as they are). */
export type HashScripts = (names: readonly StepScriptName[]) => string;

/** Every script and check the parts name. */
export function scriptNames(parts: readonly Part[]): StepScriptName[] {
  return parts.flatMap((p) => (p.check === undefined ? [p.script] : [p.script, p.check]));
}

/** The variable a check (and a part run again after a drift) reads the part's recorded stdout from. */
export const PART_STDOUT_ENV = "STEP_STDOUT";

/** Whether a step's inputs are those of a step made of parts (else a plain Step's). */
export function hasParts(x: unknown): boolean {
  return typeof x === "object" && x !== null && "parts" in x;
}

/** Whether a step's recorded outputs are those of a step made of parts (else a plain Step's). */
export function hasPartRecords(x: unknown): boolean {
  return typeof x === "object" && x !== null && "done" in x;
}

/** A part's key as the step is given it and records it: a hash, so a signer's description is not kept twice per part. */
export function keyHash(key: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(key)).digest("hex").slice(0, 24);
}

function definitionHash(inputs: PartsInputs): string {
  return createHash("sha256")
    .update(JSON.stringify([inputs.step, inputs.environment, inputs.parts, inputs.scripts]))
    .digest("hex")
    .slice(0, 24);
}

/** The same JSON (absent as null): the runners compare recorded values with new ones this way. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return sameJson(a ?? [], b ?? []);
}

/** What a plain Step's state recorded, for the one it is aliased from (a state written before the parts). */
interface LegacyStep {
  readonly script?: unknown;
  readonly triggers?: string[];
  readonly stdout?: string;
}

/**
 * The records of a state written before the parts, when one of its Steps became this step (an alias): the part
 * that runs the same script for the same key is done, with what the Step printed. The others are unrecorded, so
 * each is checked against the registry before it runs (`runParts`).
 */
function legacyRecords(olds: LegacyStep, news: PartsInputs): Record<string, PartRecord> {
  const name = (olds.script as { name?: unknown } | undefined)?.name;
  const [digest, ...key] = olds.triggers ?? [];
  const part = news.parts.find((p) => p.script === name && digest === news.triggers[0] && keyHash(key) === p.key);
  return part === undefined ? {} : { [part.name]: { key: part.key, stdout: olds.stdout ?? "" } };
}

/** The parts that must run (in order): unrecorded, recorded for another key, or drifted. */
export function pendingParts(parts: readonly Part[], done: Readonly<Record<string, PartRecord>>, drift: Readonly<Record<string, string>> = {}): Part[] {
  return parts.filter((p) => done[p.name]?.key !== p.key || (drift[p.name] ?? "") !== "");
}

function outputsOf(inputs: PartsInputs, done: Record<string, PartRecord>, drift: Record<string, string>): PartsOutputs {
  // The provider's text too: the SDK adds it to a success's outputs, not to a failure's, and a refresh loads
  // the provider from the outputs.
  // Each check keeps only what it reads: the step's shared environment once, each part's own beside its check.
  const checks = inputs.parts.flatMap((p): PartCheck[] => (p.check === undefined ? [] : [{ name: p.name, check: p.check, environment: checkEnvironment(p.check, p.environment) }]));
  const shared = Object.assign({}, ...inputs.parts.map((p) => (p.check === undefined ? {} : checkEnvironment(p.check, inputs.environment)))) as Record<string, string>;
  const outs: PartsOutputs = {
    step: inputs.step,
    triggers: inputs.triggers,
    environment: shared,
    checks,
    definition: definitionHash(inputs),
    done,
    ...(inputs.__provider === undefined ? {} : { __provider: inputs.__provider }),
  };
  return Object.keys(drift).length === 0 ? outs : { ...outs, drift };
}

/** A script that did not end well: how it ended, and the end of its stderr. */
export function failureText(label: string, r: ScriptRun): string {
  return `${label}: exited with ${r.status}${r.stderr === "" ? "" : `:\n${r.stderr}`}`;
}

/** A check that could not tell (the registry unreachable, a refused login): how it ended, and the end of its stderr. */
export function checkFailureText(label: string, r: ScriptRun): string {
  return `${label}: cannot check the registry (${r.status})${r.stderr === "" ? "" : `: ${r.stderr}`}`;
}

/**
 * An error the engine records as a resource that exists with these outputs but failed to initialise
 * (ErrorResourceInitFailed): so the parts done before the failure stay recorded.
 */
export class PartFailed extends Error {
  readonly reasons: string[];
  constructor(
    message: string,
    readonly id: string,
    readonly properties: PartsOutputs,
  ) {
    super(message);
    this.name = "PartFailed";
    this.reasons = [message];
  }
}

/** A check's stdout as one drift line: each line it printed, trimmed, joined by "; " ("" when it printed none). */
export function driftLines(stdout: string): string {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join("; ");
}

/**
 * Runs the pending parts in order. A part with no record at all is first checked against the registry when it
 * has a check: what a run killed after it (or a state written before the parts) already made is recorded, not
 * made a second time, so a digest is never signed twice.
 */
async function runParts(run: RunScript, hash: HashScripts, id: string, inputs: PartsInputs, before: Record<string, PartRecord>, drift: Record<string, string>): Promise<PartsOutputs> {
  const done: Record<string, PartRecord> = { ...before };
  const left: Record<string, string> = { ...drift };
  if (pendingParts(inputs.parts, done, left).length > 0 && hash(scriptNames(inputs.parts)) !== inputs.scripts) {
    throw new PartFailed(`${inputs.step}: a script of scripts/steps changed after this run was planned; run again`, id, outputsOf(inputs, done, left));
  }
  const ran = new Set<string>();
  for (const part of inputs.parts) {
    const record = done[part.name];
    const key = part.key;
    const drifted = (left[part.name] ?? "") !== "";
    const follows = (part.after ?? []).some((a) => ran.has(a));
    if (record?.key === key && !drifted && !follows) continue;
    const label = `${inputs.step}: ${part.name}`;
    const env = { ...inputs.environment, ...part.environment };
    if (record === undefined && part.check !== undefined && !follows) {
      const c = await run(`${label} (check)`, part.check, { ...env, [PART_STDOUT_ENV]: "" });
      if (c.status !== "ok") throw new PartFailed(checkFailureText(label, c), id, outputsOf(inputs, done, left));
      if (driftLines(c.stdout) === "") {
        done[part.name] = { key, stdout: "" };
        continue;
      }
    }
    let payload: Record<string, string>;
    try {
      payload = Object.fromEntries(Object.entries(part.payload ?? {}).map(([k, hash]) => [k, readPayload(hash)]));
    } catch (e) {
      if (!(e instanceof PayloadMissing)) throw e;
      throw new PartFailed(`${label}: ${e.message}`, id, outputsOf(inputs, done, left));
    }
    const r = await run(label, part.script, { ...env, ...payload, ...(part.secret === true ? inputs.secretEnvironment : {}), ...(drifted && record !== undefined ? { [PART_STDOUT_ENV]: record.stdout } : {}) });
    if (r.status !== "ok") throw new PartFailed(failureText(label, r), id, outputsOf(inputs, done, left));
    done[part.name] = { key, stdout: r.stdout.replace(/\n$/, "") };
    delete left[part.name];
    ran.add(part.name);
  }
  // Records of parts no longer defined (a platform dropped) go; so does a drift of one.
  const names = new Set(inputs.parts.map((p) => p.name));
  const kept = Object.fromEntries(Object.entries(done).filter(([n]) => names.has(n)));
  return outputsOf(inputs, kept, {});
}

type Provider = Required<Pick<pulumi.dynamic.ResourceProvider<PartsInputs, PartsOutputs>, "diff" | "create" | "read" | "update">>;

/** The provider of a step made of parts, running its scripts with `run`, checking them with `hash`. */
export function partsProvider(run: RunScript, hash: HashScripts): Provider {
  return {
    diff(_id: string, olds: PartsOutputs, news: PartsInputs): Promise<pulumi.dynamic.DiffResult> {
      const update = { changes: true, replaces: [], deleteBeforeReplace: false };
      // A plain Step's state (aliased): the same digest goes on from what it recorded; another one starts again.
      if (!hasPartRecords(olds)) {
        const same = ((olds as LegacyStep).triggers ?? [])[0] === news.triggers[0];
        return Promise.resolve(same ? update : { ...update, replaces: ["triggers"] });
      }
      if (!sameList(olds.triggers, news.triggers)) return Promise.resolve({ ...update, replaces: ["triggers"] });
      // Not known yet (a preview): something will run.
      if (!Array.isArray(news.parts)) return Promise.resolve(update);
      if (pendingParts(news.parts, olds.done ?? {}, olds.drift).length > 0) return Promise.resolve(update);
      // Anything else (a script edited, the environment, the provider's text): an update that runs nothing.
      const changed = olds.definition !== definitionHash(news) || (news.__provider !== undefined && olds.__provider !== news.__provider);
      return Promise.resolve({ ...update, changes: changed });
    },

    async create(inputs: PartsInputs): Promise<pulumi.dynamic.CreateResult<PartsOutputs>> {
      const id = randomUUID();
      return { id, outs: await runParts(run, hash, id, inputs, {}, {}) };
    },

    async read(id: string, props?: PartsOutputs): Promise<pulumi.dynamic.ReadResult<PartsOutputs>> {
      if (props === undefined || !Array.isArray(props.checks)) return { id, props };
      const drift: Record<string, string> = {};
      for (const part of props.checks) {
        const record = props.done?.[part.name];
        if (record === undefined) continue;
        const c = await run(`${props.step}: ${part.name} (check)`, part.check, { ...props.environment, ...part.environment, [PART_STDOUT_ENV]: record.stdout });
        if (c.status !== "ok") throw new Error(checkFailureText(`${props.step}: ${part.name}`, c));
        const lines = driftLines(c.stdout);
        if (lines !== "") drift[part.name] = lines;
      }
      // A drift found before and healed since is gone: only what these checks found is recorded.
      const rest: PartsOutputs = { ...props };
      delete (rest as { drift?: unknown }).drift;
      return { id, props: Object.keys(drift).length === 0 ? rest : { ...rest, drift } };
    },

    async update(id: string, olds: PartsOutputs, news: PartsInputs): Promise<pulumi.dynamic.UpdateResult<PartsOutputs>> {
      const before = hasPartRecords(olds) ? (olds.done ?? {}) : legacyRecords(olds, news);
      return { outs: await runParts(run, hash, id, news, before, hasPartRecords(olds) ? (olds.drift ?? {}) : {}) };
    },
  };
}
