/**
 * The test executor: evaluates index.ts under the Pulumi SDK's mocks and performs every registered
 * resource for real, so what gets built, pushed and signed is exactly what the program declares.
 * Used only by tests: the Pulumi CLI and provider plugins cannot be installed where this project is tested.
 *
 *   node --import tsx test/e2e/executor.ts --config CONFIG.json --state STATE.json --out RESULT.json
 *
 * CONFIG.json holds `postgres-images:KEY` values; `secrets` lists the keys that are secret;
 * `stackReferences` (optional) maps a stack name to its outputs, what a `pulumi.StackReference` to it reads
 * (a production stack promoting from a testing stack reads the testing run's outputs this way).
 * STATE.json plays the engine's state: a resource whose inputs did not change keeps its old outputs and
 * is not performed again, as `pulumi up` does; a resource that fails is not recorded, so the next run retries it.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface Performed {
  type: string;
  name: string;
  seconds: number;
}

export interface ExecutorResult {
  ok: boolean;
  error?: string;
  outputs: Record<string, unknown>;
  performed: Performed[];
  /** Names of resources whose inputs were unchanged, so nothing was done. */
  unchanged: string[];
  registered: { type: string; name: string }[];
}

interface StateEntry {
  inputs: string;
  outputs: Record<string, unknown>;
}

/** Secret values arrive wrapped; the executor needs their plain value to act, as a provider would. */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG_KEY in o) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** Runs a command without blocking the event loop, so independent resources are performed in parallel, as the engine does. */
function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (code === 0) resolvePromise({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(" ")}… failed (${code ?? signal}):\n${stderr.split("\n").slice(-25).join("\n")}`));
    });
  });
}

interface CacheEntry {
  registry?: { ref: string; mode?: string; imageManifest?: boolean; ociMediaTypes?: boolean };
  raw?: string;
}

function cacheFlag(c: CacheEntry): string {
  if (c.raw) return c.raw;
  if (!c.registry) throw new Error(`unsupported cache entry ${JSON.stringify(c)}`);
  const parts = [`type=registry`, `ref=${c.registry.ref}`];
  if (c.registry.mode) parts.push(`mode=${c.registry.mode}`);
  if (c.registry.imageManifest !== undefined) parts.push(`image-manifest=${c.registry.imageManifest}`);
  if (c.registry.ociMediaTypes !== undefined) parts.push(`oci-mediatypes=${c.registry.ociMediaTypes}`);
  return parts.join(",");
}

/** The `docker buildx build` arguments a docker-build Image's inputs mean. */
export function buildxArgs(inputs: Record<string, unknown>, metadataFile: string): string[] {
  const args = ["buildx", "build", "--progress=plain", "--metadata-file", metadataFile];
  const builder = inputs.builder as { name?: string } | undefined;
  if (builder?.name) args.push("--builder", builder.name);
  const platforms = (inputs.platforms as string[] | undefined) ?? [];
  if (platforms.length > 0) args.push("--platform", platforms.join(","));
  if (typeof inputs.target === "string" && inputs.target !== "") args.push("--target", inputs.target);
  const dockerfile = inputs.dockerfile as { location?: string } | undefined;
  if (dockerfile?.location) args.push("--file", dockerfile.location);
  for (const [k, v] of Object.entries((inputs.buildArgs as Record<string, string> | undefined) ?? {})) args.push("--build-arg", `${k}=${v}`);
  for (const [k, v] of Object.entries((inputs.labels as Record<string, string> | undefined) ?? {})) args.push("--label", `${k}=${v}`);
  for (const t of (inputs.tags as string[] | undefined) ?? []) args.push("--tag", t);
  for (const e of (inputs.exports as { raw?: string }[] | undefined) ?? []) {
    if (!e.raw) throw new Error(`the executor performs raw exports only, got ${JSON.stringify(e)}`);
    args.push("--output", e.raw);
  }
  if (inputs.push === true) args.push("--push");
  for (const c of (inputs.cacheFrom as CacheEntry[] | undefined) ?? []) args.push("--cache-from", cacheFlag(c));
  for (const c of (inputs.cacheTo as CacheEntry[] | undefined) ?? []) args.push("--cache-to", cacheFlag(c));
  // The provider requests no BuildKit attestations; signed ones are attached with cosign.
  args.push("--provenance=false", "--sbom=false");
  const context = inputs.context as { location?: string } | undefined;
  args.push(context?.location ?? ".");
  return args;
}

async function performImage(inputs: Record<string, unknown>, cwd: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "pgi-exec-"));
  try {
    const meta = join(dir, "metadata.json");
    await run("docker", buildxArgs(inputs, meta), { cwd });
    const digest = (JSON.parse(readFileSync(meta, "utf8")) as Record<string, string>)["containerimage.digest"];
    if (!/^sha256:[0-9a-f]{64}$/.test(digest ?? "")) throw new Error(`no image digest in build metadata: ${readFileSync(meta, "utf8")}`);
    const tags = (inputs.tags as string[] | undefined) ?? [];
    return { ...inputs, digest, ref: tags.length > 0 ? `${tags[0]}@${digest}` : "" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function performCommand(inputs: Record<string, unknown>, cwd: string): Promise<Record<string, unknown>> {
  const create = inputs.create as string | undefined;
  if (!create) return { ...inputs, stdout: "", stderr: "" };
  const interpreter = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
  const env = { ...process.env, ...((inputs.environment as Record<string, string> | undefined) ?? {}) };
  const dir = typeof inputs.dir === "string" && inputs.dir !== "" ? resolve(cwd, inputs.dir) : cwd;
  const { stdout, stderr } = await run(interpreter[0], [...interpreter.slice(1), create], { env, cwd: dir });
  // @pulumi/command records output without the trailing newline.
  return { ...inputs, stdout: stdout.replace(/\r?\n$/, ""), stderr: stderr.replace(/\r?\n$/, "") };
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : x,
  );
}

/** The SDK's own "all registrations settled" promise (not in its public typings). */
function waitForRPCs(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (runtime.waitForRPCs === undefined) throw new Error("this @pulumi/pulumi has no runtime.waitForRPCs; the executor cannot tell when a run is over");
  return runtime.waitForRPCs();
}

function resolveOutput(value: unknown): Promise<unknown> {
  // Deep-unwraps nested Outputs, as a stack's outputs are. A failed Output (an error thrown in an apply,
  // such as a promotion's bad testing outputs) rejects, failing the run, instead of never settling
  // (an `apply` callback alone would leave the process to exit 0 without a result).
  return (pulumi.output(value as pulumi.Input<object>) as unknown as { promise(): Promise<unknown> }).promise();
}

/** Evaluates the program in `projectDir` with `config` and performs its resources; state is read and written in `stateFile`. */
export async function execute(
  projectDir: string,
  config: Record<string, string>,
  secretKeys: string[],
  stateFile: string,
  stackReferences: Record<string, Record<string, unknown>> = {},
): Promise<ExecutorResult> {
  const state: Record<string, StateEntry> = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as Record<string, StateEntry>) : {};
  const next: Record<string, StateEntry> = {};
  const result: ExecutorResult = { ok: false, outputs: {}, performed: [], unchanged: [], registered: [] };
  const failures: string[] = [];
  // Resources that failed are absent from `next`, as from a real stack's state; untouched old entries stay
  // (Pulumi would delete them; retainOnDelete keeps the images anyway).
  const save = () => writeFileSync(stateFile, JSON.stringify({ ...state, ...next }, null, 1));
  const cwd = resolve(projectDir);
  process.chdir(cwd);

  pulumi.runtime.setAllConfig(config, secretKeys);
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        result.registered.push({ type: args.type, name: args.name });
        const key = `${args.type}::${args.name}`;
        const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
        // A StackReference is a read of another stack's outputs: nothing is performed or kept in state.
        if (args.type === "pulumi:pulumi:StackReference") {
          const name = typeof inputs.name === "string" ? inputs.name : args.name;
          const outputs = stackReferences[name];
          if (outputs === undefined) throw new Error(`unknown stack "${name}": CONFIG.json's stackReferences has ${Object.keys(stackReferences).join(", ") || "no stacks"}`);
          return { id: name, state: { name, outputs, secretOutputNames: [] } };
        }
        const fingerprint = stable(inputs);
        const before = state[key];
        if (before && before.inputs === fingerprint) {
          next[key] = before;
          result.unchanged.push(args.name);
          return { id: `${args.name}-id`, state: before.outputs };
        }
        const t0 = Date.now();
        let outputs: Record<string, unknown>;
        try {
          if (args.type === "docker-build:index:Image") outputs = await performImage(inputs, cwd);
          else if (args.type === "command:local:Command") outputs = await performCommand(inputs, cwd);
          else if (args.custom === false || args.type.startsWith("postgres-images:")) outputs = inputs;
          else throw new Error(`the executor cannot perform ${args.type}`);
        } catch (e) {
          // A failed resource is not recorded in state; the run fails once everything settled.
          failures.push(`${args.name}: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }
        result.performed.push({ type: args.type, name: args.name, seconds: (Date.now() - t0) / 1000 });
        next[key] = { inputs: fingerprint, outputs };
        return { id: `${args.name}-id`, state: outputs };
      },
      call(args) {
        throw new Error(`the executor performs no calls (${args.token})`);
      },
    },
    "postgres-images",
    "e2e",
    false,
  );

  try {
    const program = (await import(join(cwd, "index.ts"))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(program)) {
      if (name === "default" || name === "__esModule") continue;
      result.outputs[name] = await resolveOutput(value);
    }
    // Outputs can settle before resources nothing depends on (the cosign commands): wait for every registration.
    await waitForRPCs();
    result.ok = failures.length === 0;
    if (!result.ok) result.error = failures.join("\n");
  } catch (e) {
    result.error = [e instanceof Error ? e.message : String(e), ...failures].join("\n");
  }
  save();
  return result;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { config: { type: "string" }, state: { type: "string" }, out: { type: "string" }, dir: { type: "string", default: "." } } });
  if (!values.config || !values.state || !values.out) {
    process.stderr.write("usage: executor.ts --config CONFIG.json --state STATE.json --out RESULT.json [--dir PROJECT]\n");
    process.exit(2);
  }
  const cfg = JSON.parse(readFileSync(values.config, "utf8")) as { config: Record<string, string>; secrets: string[]; stackReferences?: Record<string, Record<string, unknown>> };
  const out = resolve(values.out);
  const state = resolve(values.state);
  // The SDK leaves a failed registration's promise unhandled; the failure is already in `failures`.
  process.on("unhandledRejection", () => undefined);
  execute(values.dir, cfg.config, cfg.secrets, state, cfg.stackReferences ?? {})
    .then((r) => {
      writeFileSync(out, JSON.stringify(r, null, 1));
      process.exitCode = r.ok ? 0 : 1;
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    });
}
