import { strict as assert } from "node:assert";
/**
 * Runs the Pulumi program under `pulumi.runtime.setMocks` with a mock engine that keeps state
 * between evaluations the way the real engine does, so tests can ask "what would the next
 * `pulumi up` build, sign, or leave alone?":
 *
 * - state is keyed by resource type and name (unique in this program) and holds each resource's
 *   last inputs and outputs;
 * - a resource whose inputs equal its recorded inputs is a no-op: the recorded outputs come back,
 *   nothing runs, no image is built;
 * - a step (resources/step.ts) whose inputs differ is handed to the step provider's own `diff`, as
 *   the engine does: a replacement (changed triggers) runs it, any other change is an update that
 *   runs nothing and keeps the recorded stdout (or nothing at all, when diff sees no change);
 * - otherwise it is created (or updated): a stamp step prints the harness's fake clock, a promote
 *   or tag step prints its DIGEST (as the real one does once every tag resolves to it), an
 *   Image gets digest = sha256 of its inputs (so any content change is a new digest), every
 *   step that runs is recorded as executed with its (plain) environment, and `fail` can make it fail;
 * - a StackReference (`pulumi:pulumi:StackReference`, inputs `{name}`) is a read: its state is
 *   `{name, outputs, secretOutputNames: []}` with the outputs given in `stackOutputs` for that
 *   name (an unknown name fails, as the engine fails on a stack that does not exist); reads are
 *   recorded with action "read" and kept out of state;
 * - a step made of parts (resources/parts-step.ts) is run by the real parts provider with its scripts faked
 *   (fakePart): each part that runs is recorded as executed under the name its own Step had (`CELL-sign`);
 *   a failed part keeps the parts before it, as the engine keeps a resource that failed to initialise, and
 *   the next evaluation updates it whatever its inputs;
 * - a failed run keeps the old state plus whatever succeeded (a failed create is not recorded),
 *   a successful run drops resources it no longer registers.
 *
 * Also the benchmark hook: `evaluate(stackConfig, options)` returns the registered resources and timings.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { GOLDEN_DIR, ROOT, goldenStack, goldenTimestamp, keyOf } from "../helpers";
import type { ImageOutput } from "../../lib/outputs";
import { canonicalJson } from "../../lib/build/definition";
import { NAMESPACE } from "../../lib/config/settings";
import { readProgramInputs } from "../../resources/config";
import { postgresImages } from "../../resources/program";
import { Step, STEP_TYPE, stepScript } from "../../resources/step";
import { currentScriptRef, stepRunner, type StepInputs, type StepOutputs } from "../../resources/step-runner";
import { scriptSetHash } from "../../lib/build/step-script";
import { hasParts, PartFailed, partsProvider, type PartsInputs, type PartsOutputs, type RunScript } from "../../resources/parts-runner";
import { PAYLOAD_DIR_ENV, readPayload } from "../../resources/payload-store";

// The program stores payloads (the provenance predicate) as files: the program tests' go to a folder of their own.
process.env[PAYLOAD_DIR_ENV] ??= mkdtempSync(join(tmpdir(), "program-payloads-"));

export { ROOT, GOLDEN_DIR, keyOf };
export const IMAGE_TYPE = "docker-build:index:Image";
/** The build steps (resources/step.ts), dynamic resources. */
export const COMMAND_TYPE = STEP_TYPE;
export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";
/** The golden stack's values (Pulumi.golden.yaml beside expected.json), keys without namespace. */
export const goldenConfig = goldenStack;

/** The instant the golden fixture is stamped with (its Pulumi.golden.yaml's documented --timestamp). */
export const GOLDEN_TIME = goldenTimestamp();

/** Pulumi's wire marker for a secret value, as the SDK exports it (sdk/nodejs/runtime/rpc.ts). */
const SIG_KEY = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;

/**
 * The harness reads a few of the SDK's internals (the mock monitor's registerResource and its request's
 * getters, runtime.waitForRPCs, Output.promise). An SDK upgrade that changes them must fail here with a
 * message that says so, not as a puzzling assertion in some test.
 */
function sdkChanged(what: string): Error {
  const version = (JSON.parse(readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
  return new Error(`@pulumi/pulumi ${version} changed what test/program/harness.ts relies on: ${what}; update the harness for this SDK version`);
}

const REQUEST_GETTERS = ["getType", "getName", "getParent", "getDependenciesList", "getRetainondelete", "getObject"] as const;

export type Props = Record<string, unknown>;

interface StoredResource {
  readonly inputs: Props;
  readonly outputs: Props;
  /** Recorded by a failed create or update (a step made of parts keeps the parts done): the engine updates it next time, whatever its inputs. */
  readonly initErrors?: boolean;
}

/** What the engine remembers between runs. */
export interface EngineState {
  readonly resources: ReadonlyMap<string, StoredResource>;
}

export type Action = "create" | "update" | "same" | "component" | "failed" | "read";

export interface ResourceRecord {
  readonly type: string;
  readonly name: string;
  readonly key: string;
  readonly inputs: Props;
  readonly outputs: Props;
  readonly action: Action;
  /** Key (`type::name`) of the parent resource ("" for none). */
  readonly parent: string;
  /** Keys of the resources this one depends on (explicit dependsOn and input dependencies). */
  readonly dependencies: readonly string[];
  readonly retainOnDelete: boolean;
  /** Dotted paths of inputs that reached the engine marked secret, e.g. `environment.COSIGN_PASSWORD`. */
  readonly secretPaths: readonly string[];
}

/** The name of the script a Step runs (scripts/steps/NAME.sh), after checking the input is a script reference and nothing else. */
export function scriptName(r: { readonly inputs: Record<string, unknown> }): string {
  const s = r.inputs.script as Record<string, unknown>;
  assert.deepEqual(Object.keys(s).sort(), ["name", "sha256"], "a Step records its script by name and hash, not its text");
  assert.match(String(s.sha256), /^[0-9a-f]{64}$/);
  return String(s.name);
}

/** One part of a step made of parts (resources/parts-step.ts) as registered; its environment is what its run gets (the step's, its own, its payload). */
export interface PartView {
  readonly name: string;
  readonly script: string;
  readonly check?: string;
  /** The hash of the part's key (resources/parts-runner.ts keyHash); `keyOf` gives it for a key. */
  readonly key: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly secret: boolean;
  readonly after: readonly string[];
}

/** The parts of a step made of parts, in order, by name (after checking the step records its scripts' content as one hash). */
export function partsOf(r: ResourceRecord): Map<string, PartView> {
  const shared = (r.inputs.environment ?? {}) as Record<string, string>;
  const parts = r.inputs.parts as { name: string; script: string; check?: string; key: string; environment: Record<string, string>; payload?: Record<string, string>; secret?: boolean; after?: string[] }[];
  assert.ok(Array.isArray(parts), `${r.name} is a step made of parts`);
  assert.match(String(r.inputs.scripts), /^[0-9a-f]{32}$/, `${r.name} records its scripts by one hash, not their text`);
  return new Map(
    parts.map((p) => [
      p.name,
      {
        name: p.name,
        script: p.script,
        check: p.check,
        key: p.key,
        // A payload is stored by its hash (resources/payload-store.ts): the run gets the text.
        environment: { ...shared, ...p.environment, ...Object.fromEntries(Object.entries(p.payload ?? {}).map(([k, hash]) => [k, readPayload(hash)])) },
        secret: p.secret === true,
        after: p.after ?? [],
      },
    ]),
  );
}

export interface ExecutedCommand {
  readonly name: string;
  readonly create: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly failed: boolean;
}

export interface ProgramOutputValues {
  readonly images: Record<string, ImageOutput>;
  readonly targets: string[];
  readonly catalogs: unknown[];
  /** The stack's signing settings, as exported (a production stack verifies testing images against them). */
  readonly signer: unknown;
}

export interface EvaluateOptions {
  /** The wall clock the stamp commands read (RFC 3339); default the golden fixture's time. */
  readonly clock?: string;
  /** State left by a previous evaluation; default none (a new stack). */
  readonly state?: EngineState;
  /** Resources whose create or update fails in this evaluation. */
  readonly fail?: (type: string, name: string) => boolean;
  /** Secret config values by key without namespace, e.g. {cosignPassword: "…"}. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** The directory build paths are relative to; default a fixed scratch project with a one-line Dockerfile. */
  readonly cwd?: string;
  readonly stack?: string;
  /** Outputs of other stacks by fully qualified name, for StackReferences: {"org/postgres-images/testing": {images: …}}. */
  readonly stackOutputs?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface Timings {
  /** Reading config, validation, hashing the build context. */
  readonly inputsMs: number;
  /** The program function itself, until it returns (resources constructed, not yet registered). */
  readonly programMs: number;
  /** From return until every registration and output settled. */
  readonly settleMs: number;
  readonly totalMs: number;
}

export interface Evaluation {
  readonly ok: boolean;
  /** The first error: a RunError from configuration, or a failed resource. */
  readonly error?: Error;
  readonly errors: readonly Error[];
  /** In registration order. */
  readonly resources: readonly ResourceRecord[];
  readonly executed: readonly ExecutedCommand[];
  /** Names of Images created or updated (i.e. built and pushed) in this evaluation. */
  readonly builds: readonly string[];
  /** Keys of resources dropped from state by this (successful) evaluation. */
  readonly deleted: readonly string[];
  readonly outputs?: ProgramOutputValues;
  readonly state: EngineState;
  readonly timings: Timings;
}

let scratch: string | undefined;
/** A build context that never changes, so tests do not depend on the project's Dockerfile being edited meanwhile. */
export function scratchProject(): string {
  if (scratch === undefined) {
    scratch = mkdtempSync(join(tmpdir(), "postgres-images-program-"));
    writeFileSync(join(scratch, "Dockerfile"), "FROM scratch\n");
  }
  return scratch;
}

/** Unwraps Pulumi's secret markers, collecting the dotted paths where they were. */
function unwrapSecrets(value: unknown, path: string, found: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, found));
  if (value !== null && typeof value === "object") {
    const obj = value as Props;
    if (obj[SIG_KEY] === SECRET_SIG) {
      found.push(path);
      return unwrapSecrets(obj.value, path, found);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, path === "" ? k : `${path}.${k}`, found)]));
  }
  return value;
}

/** `urn:pulumi:STACK::PROJECT::parent$type::name` → `type::name`, the harness's key. */
function keyOfUrn(urn: string): string {
  const parts = urn.split("::");
  const name = parts.slice(3).join("::");
  return `${parts[2].split("$").pop() ?? ""}::${name}`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Pulumi hands config to programs as strings, structured values as JSON. */
function configStrings(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[`${NAMESPACE}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

interface RequestInfo {
  parent: string;
  dependencies: string[];
  retainOnDelete: boolean;
  secretPaths: string[];
}

/** The subset of the RegisterResourceRequest protobuf the harness reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getRetainondelete(): boolean;
  getObject(): { toJavaScript(): unknown } | undefined;
}

interface MonitorWithRegister {
  registerResource(req: RegisterRequest, callback: (err: unknown, res: unknown) => void): Promise<void>;
}

/** The SDK's own "all resource RPCs finished" barrier (internal, but what `pulumi` itself waits on before exiting). */
function waitForRPCs(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof runtime.waitForRPCs !== "function") throw sdkChanged("runtime.waitForRPCs is gone, so the harness cannot tell when a run is over");
  return runtime.waitForRPCs();
}

function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
  const promise = (o as unknown as { promise?: () => Promise<T> }).promise;
  if (typeof promise !== "function") throw sdkChanged("Output.promise() is gone, so the harness cannot read the program's outputs");
  return promise.call(o);
}

/**
 * Evaluates the program once for a stack's config (keys without namespace, values as in a stack
 * file), against `options.state`. Evaluations share Pulumi's global runtime: run them one at a time.
 */
export async function evaluate(stackConfig: Readonly<Record<string, unknown>>, options: EvaluateOptions = {}): Promise<Evaluation> {
  const clock = options.clock ?? GOLDEN_TIME;
  const previous = options.state?.resources ?? new Map<string, StoredResource>();
  const records = new Map<string, ResourceRecord>();
  const requests = new Map<string, RequestInfo>();
  const executed: ExecutedCommand[] = [];
  const partial = new Map<string, StoredResource>();
  const builds: string[] = [];
  const errors: Error[] = [];

  const mocks: pulumi.runtime.Mocks = {
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}`);
    },
    newResource: async (args) => {
      const key = `${args.type}::${args.name}`;
      // Plain values: the mock monitor hands secret inputs over still wrapped (secretness is read from the request).
      const inputs = unwrapSecrets(args.inputs, "", []) as Props;
      const info = requests.get(key) ?? { parent: "", dependencies: [], retainOnDelete: false, secretPaths: [] };
      const record = (action: Action, outputs: Props): void => {
        records.set(key, { type: args.type, name: args.name, key, inputs, outputs, action, ...info });
      };
      if (args.custom === false) {
        record("component", {});
        return { id: undefined, state: {} };
      }
      if (args.type === STACK_REFERENCE_TYPE) {
        const name = typeof inputs.name === "string" ? inputs.name : args.name;
        const stackOutputs = options.stackOutputs?.[name];
        if (stackOutputs === undefined) throw new Error(`unknown stack "${name}" (the harness has outputs for: ${Object.keys(options.stackOutputs ?? {}).join(", ") || "none"})`);
        const state = { name, outputs: stackOutputs, secretOutputNames: [] };
        record("read", state);
        return { id: name, state };
      }
      // The provider text is the same for every step; it says nothing about what a step does.
      delete inputs.__provider;
      const old = previous.get(key);
      if (old !== undefined && old.initErrors !== true && canonicalJson(old.inputs) === canonicalJson(inputs)) {
        record("same", old.outputs);
        return { id: `${args.name}-id`, state: old.outputs };
      }
      let action: Action = old === undefined ? "create" : "update";
      const failed = options.fail?.(args.type, args.name) ?? false;
      let outputs: Props;
      if (args.type === COMMAND_TYPE && hasParts(inputs)) {
        // A step made of parts: the real provider decides and records; its scripts are faked (fakePart).
        const news = inputs as unknown as PartsInputs;
        const provider = partsProvider(
          fakePart(news, executed, (name) => failed || (options.fail?.(args.type, name) ?? false)),
          (names) => scriptSetHash(names.map(currentScriptRef)),
        );
        const diff = old === undefined ? undefined : await stepRunner.diff(`${args.name}-id`, old.outputs as unknown as PartsOutputs, news);
        if (diff !== undefined && diff.changes === false && old!.initErrors !== true) {
          record("same", old!.outputs);
          return { id: `${args.name}-id`, state: old!.outputs };
        }
        const replace = diff === undefined || (diff.replaces ?? []).length > 0;
        try {
          const outs = replace ? (await provider.create(news)).outs : (await provider.update(`${args.name}-id`, old!.outputs as unknown as PartsOutputs, news)).outs;
          outputs = outs as unknown as Props;
        } catch (e) {
          if (!(e instanceof PartFailed)) throw e;
          record("failed", e.properties as unknown as Props);
          partial.set(key, { inputs, outputs: e.properties as unknown as Props, initErrors: true });
          throw new Error(e.message);
        }
        record(replace ? "create" : "update", outputs);
        return { id: `${args.name}-id`, state: outputs };
      }
      if (args.type === COMMAND_TYPE) {
        // The step provider's own diff decides, as the engine asks it: replace (run) or update (no run).
        const diff = old === undefined ? undefined : await stepRunner.diff(`${args.name}-id`, old.outputs as unknown as StepOutputs, inputs as unknown as StepInputs);
        if (diff !== undefined && (diff.replaces ?? []).length === 0) {
          if (diff.changes === false) {
            record("same", old!.outputs);
            return { id: `${args.name}-id`, state: old!.outputs };
          }
          outputs = { ...inputs, secretEnvironment: undefined, stdout: old!.outputs.stdout };
          record("update", outputs);
          return { id: `${args.name}-id`, state: outputs };
        }
        action = "create";
        const env = (inputs.environment ?? {}) as Record<string, string>;
        executed.push({ name: args.name, create: (inputs.script as { name: string }).name, environment: env, failed });
        // The stamp script prints the time and, on a second line, the revision it was given.
        const stdout = args.name.endsWith("-built-at") ? `${clock}\n${env.STAMP_REVISION ?? ""}` : args.name.endsWith("-promote") || args.name.endsWith("-tags") ? (env.DIGEST ?? "") : "";
        outputs = { ...inputs, secretEnvironment: undefined, stdout };
      } else if (args.type === IMAGE_TYPE) {
        if (!failed) builds.push(args.name);
        const digest = `sha256:${sha256(canonicalJson(inputs))}`;
        const tags = (inputs.tags ?? []) as string[];
        outputs = { ...inputs, digest, ref: tags.length > 0 ? `${tags[0]}@${digest}` : "", contextHash: "" };
      } else {
        throw new Error(`unexpected resource type ${args.type}`);
      }
      if (failed) {
        record("failed", {});
        throw new Error(`${args.name}: the command exited with status 1`);
      }
      record(action, outputs);
      return { id: `${args.name}-id`, state: outputs };
    },
  };

  await pulumi.runtime.setMocks(mocks, "postgres-images", options.stack ?? "test", false);
  // The mock monitor hides resource options from `newResource`; read them from the request, as the engine does.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister | undefined;
  if (typeof monitor?.registerResource !== "function") throw sdkChanged("the mock monitor (runtime.getMonitor()) has no registerResource to observe requests through");
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const missing = REQUEST_GETTERS.filter((g) => typeof (req as unknown as Record<string, unknown>)[g] !== "function");
    if (missing.length > 0) throw sdkChanged(`a RegisterResourceRequest has no ${missing.join(", ")}`);
    const secretPaths: string[] = [];
    unwrapSecrets(req.getObject()?.toJavaScript(), "", secretPaths);
    requests.set(`${req.getType()}::${req.getName()}`, {
      parent: req.getParent() === "" ? "" : keyOfUrn(req.getParent()),
      dependencies: req.getDependenciesList().map(keyOfUrn),
      retainOnDelete: req.getRetainondelete(),
      secretPaths,
    });
    return register(req, callback);
  };
  pulumi.runtime.setAllConfig(
    configStrings({ ...stackConfig, ...(options.secrets ?? {}) }),
    Object.keys(options.secrets ?? {}).map((k) => `${NAMESPACE}:${k}`),
  );

  // A failed registration surfaces as an unhandled rejection, as in a real run; collect it instead.
  // Dependents of a failed resource fail with it; keep each distinct message once.
  const onRejection = (reason: unknown): void => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    if (!errors.some((e) => e.message === error.message)) errors.push(error);
  };
  // The SDK leaves a failed registration's rejection unhandled on purpose (the language host
  // reports it); node:test would pin it on the running test. Take them over while the run lasts:
  // they become this evaluation's errors, so an unexpected one still fails the test that asserts `ok`.
  const others = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", onRejection);

  const t0 = performance.now();
  let t1 = t0;
  let t2 = t0;
  let outputs: ProgramOutputValues | undefined;
  try {
    const inputs = readProgramInputs(ROOT, options.cwd ?? scratchProject());
    t1 = performance.now();
    const program = postgresImages(inputs.settings, inputs.sources, inputs.secrets);
    t2 = performance.now();
    const [images, catalogs] = await Promise.all([outputValue(program.images), outputValue(program.catalogs)]);
    outputs = { images, targets: program.targets, catalogs, signer: program.signer };
  } catch (e) {
    errors.push(e instanceof Error ? e : new Error(String(e)));
  }
  await waitForRPCs().catch((e: unknown) => errors.push(e instanceof Error ? e : new Error(String(e))));
  // Rejections of failed registrations reach the listener a few turns after the last RPC settled;
  // wait until a turn brings none.
  for (let seen = -1; seen !== errors.length; ) {
    seen = errors.length;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  process.off("unhandledRejection", onRejection);
  for (const l of others) process.on("unhandledRejection", l);
  const t3 = performance.now();
  if (t1 === t0) t1 = t2 = t3;

  const ok = errors.length === 0;
  const next = new Map<string, StoredResource>(ok ? [] : previous);
  for (const r of records.values()) {
    if (r.action !== "component" && r.action !== "failed" && r.action !== "read") next.set(r.key, { inputs: r.inputs, outputs: r.outputs });
  }
  for (const [k, p] of partial) next.set(k, p);
  const deleted = ok ? [...previous.keys()].filter((k) => !next.has(k)) : [];
  return {
    ok,
    error: errors[0],
    errors,
    resources: [...records.values()],
    executed,
    builds,
    deleted,
    outputs: ok ? outputs : undefined,
    state: { resources: next },
    timings: { inputsMs: t1 - t0, programMs: t2 - t1, settleMs: t3 - t2, totalMs: t3 - t0 },
  };
}

/**
 * The scripts of a step made of parts, faked: each part that runs is recorded as executed under `CELL-PART` (the
 * name its own Step had), with its environment without the secret one; a tag part prints its DIGEST; a check
 * finds nothing in the (fake) registry, so an unrecorded part runs; `fail(CELL-PART)` makes a part fail.
 */
function fakePart(inputs: PartsInputs, executed: ExecutedCommand[], fail: (name: string) => boolean): RunScript {
  const cell = inputs.step.replace(/-(publish|signature)$/, "");
  const secret = new Set(Object.keys(inputs.secretEnvironment ?? {}));
  return (label, script, env) => {
    const m = /^.*?: (.+?)( \(check\))?$/.exec(label);
    if (m === null) throw new Error(`unexpected part label ${label}`);
    if (m[2] !== undefined) return Promise.resolve({ status: "ok", stdout: `${m[1]}: not in the registry\n`, stderr: "" });
    const name = `${cell}-${m[1]}`;
    const failed = fail(name);
    executed.push({ name, create: script, environment: Object.fromEntries(Object.entries(env).filter(([k]) => !secret.has(k))), failed });
    if (failed) return Promise.resolve({ status: "status 1", stdout: "", stderr: `${name}: the command exited with status 1` });
    return Promise.resolve({ status: "ok", stdout: script === "tag" ? `${env.DIGEST ?? ""}\n` : "", stderr: "" });
  };
}

/** The evaluation's resources of one type, by name. */
export function byName(e: Evaluation, type: string): Map<string, ResourceRecord> {
  return new Map(e.resources.filter((r) => r.type === type).map((r) => [r.name, r]));
}

/**
 * The SDK's own cost for the same resources: the same classes, types, names and parents, with
 * empty inputs and no program logic, under a trivial mock engine. The program's overhead is
 * `evaluation.timings.totalMs` against this (clarifications: at most 1.5× at ~1,000 cells).
 */
export async function evaluateBaseline(shape: Evaluation): Promise<{ readonly totalMs: number; readonly resources: number }> {
  await pulumi.runtime.setMocks({ call: () => ({}), newResource: (args) => ({ id: args.custom === false ? undefined : `${args.name}-id`, state: {} }) }, "postgres-images", "baseline", false);
  pulumi.runtime.setAllConfig({});
  const t0 = performance.now();
  const components = new Map<string, EmptyComponent>();
  for (const r of shape.resources) if (r.action === "component") components.set(r.key, new EmptyComponent(r.type, r.name));
  for (const r of shape.resources) {
    const parent = components.get(r.parent);
    if (r.type === IMAGE_TYPE) new dockerbuild.Image(r.name, { push: false }, { parent });
    else if (r.type === COMMAND_TYPE) new Step(r.name, { script: stepScript("stamp"), triggers: [] }, { parent });
  }
  for (const c of components.values()) c.done();
  await waitForRPCs();
  return { totalMs: performance.now() - t0, resources: shape.resources.length };
}

class EmptyComponent extends pulumi.ComponentResource {
  done(): void {
    this.registerOutputs({});
  }
}
