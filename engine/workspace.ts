/**
 * The real Pulumi engine driven from Node.js: the CLI (scripts/pulumi-engine.sh) runs the program as an
 * Automation API inline program, on a file backend. Inline, because the machines this project is built
 * on have no Node.js language host (its Go module is not served there): the CLI connects to this
 * process instead of starting a language host, and the engine, state, diffs and providers are the real
 * ones. `pulumi preview`/`up` with an installed Pulumi run the same program through index.ts.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import * as auto from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../resources/project-dir";
import { resourceName } from "./run-report";
import { UserError } from "../lib/errors";
import { STEP_RUNNER_ENV } from "../resources/step";
import { stackProgram } from "../resources/stack";

export { PROJECT_DIR };

/**
 * Node's flags for the program's process (`npm run up`: scripts/up.sh; the CLI's language host: Pulumi.yaml's
 * `nodeargs`): a larger young generation, so the many short-lived objects of registering resources need fewer
 * collections. The program's process is a preview's critical path; at 324 cells this took 1-3 s off it.
 */
export const PROGRAM_NODE_ARGS = ["--max-semi-space-size=64"] as const;

/**
 * The `export NAME=value` lines of `pulumi-engine.sh env` (installing the engine first when needed), then
 * of `supply-chain.sh path` and `scanner.sh path`: the cosign, syft and trivy built here, when they are, come
 * first on the steps' PATH (a machine's own cosign may be another major; nothing is built for a stack that
 * does not sign or scan).
 */
export function engineEnvironment(projectDir: string = PROJECT_DIR): Record<string, string> {
  const run = (script: string, arg: string) => execFileSync("bash", [join(projectDir, script), arg], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const text = [run("scripts/pulumi-engine.sh", "env"), run("scripts/supply-chain.sh", "path"), run("scripts/scanner.sh", "path")].join("\n");
  // The Steps' provider loads its runner from here (resources/step.ts), in whatever folder the engine runs it.
  const runner = join(projectDir, "dist", "resources", "step-runner.js");
  if (!existsSync(runner)) throw new UserError(`${runner} does not exist: the steps run the compiled program; run npm run build (npm ci does)`);
  const env: Record<string, string> = { [STEP_RUNNER_ENV]: runner };
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m === null) continue;
    // The script prints values with bash's %q; ask bash for the value rather than unquoting by hand.
    env[m[1]] = execFileSync("bash", ["-c", `${line}; printf %s "$${m[1]}"`], { encoding: "utf8", env: { ...process.env, ...env } });
  }
  return env;
}

/** Puts the engine's environment into this process, so that the Automation API finds `pulumi` and the plugins. */
export function useEngine(projectDir: string = PROJECT_DIR): Record<string, string> {
  const env = engineEnvironment(projectDir);
  Object.assign(process.env, env);
  return env;
}

export interface StackOptions {
  /** The stack's name, as in `Pulumi.<name>.yaml`. */
  readonly stack: string;
  /** The folder with Pulumi.yaml and the stack file; the project folder by default. */
  readonly workDir?: string;
  /** The program's project folder (Pulumi.yaml's defaults, the build context): the project by default. */
  readonly projectDir?: string;
}

/** Selects (or creates) a stack whose program is this project's, run inline. */
export async function openStack(options: StackOptions): Promise<auto.Stack> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const workDir = options.workDir ?? projectDir;
  const ws = await auto.LocalWorkspace.create({ workDir, program: () => Promise.resolve(stackProgram(projectDir, workDir)) });
  return auto.Stack.createOrSelect(options.stack, ws);
}

/**
 * A scratch project folder for a test or a benchmark: this project's Pulumi.yaml and node_modules (the
 * dynamic provider is started in the work folder and resolves @pulumi/pulumi from there), and room for
 * stack files that are not the project's own.
 */
export function scratchProject(dir: string, projectDir: string = PROJECT_DIR): string {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(projectDir, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(projectDir, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/**
 * `pulumi preview` without the engine's intermediate snapshots (PULUMI_SKIP_CHECKPOINTS): after every step
 * the engine serialises and checks the whole snapshot, so a preview's cost grows with the square of the
 * resources (docs/engine-notes.md). A preview writes no state, so there is nothing for a skipped
 * checkpoint to lose: only its final, discarded snapshot is made.
 */
export async function previewWithoutCheckpoints(stack: auto.Stack, options: auto.PreviewOptions = {}): Promise<auto.PreviewResult> {
  const before = process.env.PULUMI_SKIP_CHECKPOINTS;
  process.env.PULUMI_SKIP_CHECKPOINTS = "true";
  try {
    return await stack.preview(options);
  } finally {
    if (before === undefined) delete process.env.PULUMI_SKIP_CHECKPOINTS;
    else process.env.PULUMI_SKIP_CHECKPOINTS = before;
  }
}

/** The counts of a run by operation (`create`, `update`, `replace`, `same`, …), as the engine reported them. */
export type OpCounts = Partial<Record<auto.OpType, number>>;

/** How many resources of each kind the engine changed, read from its own event stream. */
export interface StepCounter {
  readonly onEvent: (e: auto.EngineEvent) => void;
  /** URN type → op → count of resources the engine finished. */
  readonly byType: Map<string, Map<string, number>>;
  /** Resource names finished with an op other than `same` or `read`; a replace is not overwritten by its delete-replaced. */
  readonly changed: Map<string, string>;
}

export function stepCounter(): StepCounter {
  const byType = new Map<string, Map<string, number>>();
  const changed = new Map<string, string>();
  return {
    byType,
    changed,
    onEvent: (e) => {
      const m = e.resOutputsEvent?.metadata;
      // Provider resources (the default docker-build provider) and the Stack itself are the engine's
      // bookkeeping, not the stack's resources.
      if (m === undefined || m.type.startsWith("pulumi:providers:") || m.type === "pulumi:pulumi:Stack") return;
      const ops = byType.get(m.type) ?? new Map<string, number>();
      ops.set(m.op, (ops.get(m.op) ?? 0) + 1);
      byType.set(m.type, ops);
      const name = resourceName(m.urn);
      // A read (the StackReference a production stack promotes from) happens on every run; it changes nothing.
      if (m.op === "same" || m.op === "read") return;
      // A replacement ends with the old resource's delete-replaced: the replace is what happened to it.
      if (m.op === "delete-replaced" && changed.has(name)) return;
      changed.set(name, m.op);
    },
  };
}
