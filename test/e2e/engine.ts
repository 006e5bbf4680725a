/**
 * A stack of the real-tools tier on the real engine: a scratch project folder with the stack's own
 * `Pulumi.<name>.yaml`, the project's program run inline through the Automation API (engine/workspace.ts),
 * on the tier's file backend. Every operation returns the engine's own summary and, per resource, the op
 * the engine reported in its event stream.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as auto from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { openStack, previewWithoutCheckpoints, scratchProject, stepCounter, useEngine, type StepCounter } from "../../engine/workspace";
import { ROOT } from "../helpers";
import type { ImageOutput } from "../../lib/outputs";

export const IMAGE_TYPE = "docker-build:index:Image";
export const STEP_TYPE = "pulumi-nodejs:dynamic:Resource";

let engineReady = false;
/**
 * Set when an `up` that a test expects may fail starts: the inline program's own rejections come during
 * that run (and after it), before the run's result is known.
 */
let failureExpected = false;

/**
 * An inline program whose run fails leaves the SDK's rejected registrations unawaited in this process
 * (a CLI-started program would just exit). After a failure a test expected, those are the same errors
 * the engine already reported, and node:test would count them against whatever test runs next; every
 * other rejection, and every one before such a run, still reaches the test runner.
 */
function filterProgramRejections(): void {
  const runner = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", (reason, promise) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    // The SDK may wrap the program's own error ("Error: postgres-images:KEY: ..."), so no anchor.
    if (failureExpected && /failed to register|\bpostgres-images:[A-Za-z.]+: |exited with status/.test(message)) return;
    for (const l of runner) l.call(process, reason, promise);
  });
}

/** For a test that runs the engine on a program it expects to fail, outside TierStack.up. */
export function expectProgramFailures(): void {
  failureExpected = true;
}

/** The engine's environment in this process, once: `pulumi` on PATH, the plugins, the tier's file backend. */
export function engine(backendDir: string): void {
  if (engineReady) return;
  process.env.PULUMI_BACKEND_URL = `file://${backendDir}`;
  process.env.PULUMI_CONFIG_PASSPHRASE = "postgres-images-e2e";
  useEngine(ROOT);
  filterProgramRejections();
  engineReady = true;
}

export interface RunResult {
  /** The engine's summary: op → count of resources. */
  readonly summary: Partial<Record<string, number>>;
  /** Resource name → op, for every resource that was not `same`. */
  readonly changed: ReadonlyMap<string, string>;
  /** URN type → op → count. */
  readonly byType: StepCounter["byType"];
  readonly stdout: string;
}

/** How many resources of `type` the engine reported with `op`. */
export function count(r: RunResult, type: string, op: string): number {
  return r.byType.get(type)?.get(op) ?? 0;
}

/** The names of the resources that ran (created or replaced) and end with `suffix`. */
export function ran(r: RunResult, suffix = ""): string[] {
  return [...r.changed].filter(([n, op]) => (op === "create" || op === "replace" || op === "create-replacement") && n.endsWith(suffix)).map(([n]) => n).sort();
}

export class TierStack {
  readonly dir: string;
  private stack?: auto.Stack;

  constructor(
    readonly name: string,
    private config: Record<string, unknown>,
    private readonly secrets: Record<string, string> = {},
    work: string,
  ) {
    this.dir = scratchProject(mkdtempSync(join(work, `${name}-`)));
  }

  /**
   * The stack file: keys namespaced; the build context and Dockerfile are the project's own. What the CLI
   * wrote there (the encryption salt, encrypted secrets) is kept.
   */
  private writeStackFile(): void {
    const file = join(this.dir, `Pulumi.${this.name}.yaml`);
    const previous = (existsSync(file) ? parse(readFileSync(file, "utf8")) : {}) as { encryptionsalt?: string; config?: Record<string, unknown> };
    const secure = Object.entries(previous.config ?? {}).filter(([, v]) => typeof v === "object" && v !== null && "secure" in v);
    const values = { context: ROOT, dockerfile: join(ROOT, "Dockerfile"), ...this.config };
    const config = { ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`postgres-images:${k}`, v])), ...Object.fromEntries(secure) };
    writeFileSync(file, stringify({ ...(previous.encryptionsalt === undefined ? {} : { encryptionsalt: previous.encryptionsalt }), config }));
  }

  async open(): Promise<auto.Stack> {
    if (this.stack !== undefined) return this.stack;
    this.writeStackFile();
    this.stack = await openStack({ stack: this.name, workDir: this.dir, projectDir: ROOT });
    for (const [k, v] of Object.entries(this.secrets)) await this.stack.setConfig(`postgres-images:${k}`, { value: v, secret: true });
    return this.stack;
  }

  /** Changes the stack's configuration (keys without namespace; undefined removes one); secrets are kept. */
  async reconfigure(changes: Record<string, unknown>): Promise<void> {
    await this.open();
    this.config = Object.fromEntries(Object.entries({ ...this.config, ...changes }).filter(([, v]) => v !== undefined));
    this.writeStackFile();
  }

  async setSecret(key: string, value: string): Promise<void> {
    await (await this.open()).setConfig(`postgres-images:${key}`, { value, secret: true });
  }

  get qualifiedName(): string {
    return `organization/postgres-images/${this.name}`;
  }

  /**
   * `pulumi up --continue-on-error`, as CI runs it. `expect`: "success" (default) throws when the run
   * fails, "failure" throws when it succeeds, "either" returns both; `failed` tells which it was.
   */
  async up(options: { expect?: "success" | "failure" | "either" } = {}): Promise<RunResult & { readonly failed: boolean }> {
    const stack = await this.open();
    const counter = stepCounter();
    const expect = options.expect ?? "success";
    if (expect !== "success") failureExpected = true;
    let stdout = "";
    try {
      const r = await stack.up({ continueOnError: true, onEvent: counter.onEvent, onOutput: (s) => (stdout += s), color: "never" });
      if (expect === "failure") throw new Error(`expected pulumi up of ${this.name} to fail; it succeeded:\n${stdout.slice(-3000)}`);
      return { summary: r.summary.resourceChanges ?? {}, changed: counter.changed, byType: counter.byType, stdout, failed: false };
    } catch (e) {
      if (expect === "success" || !(e instanceof auto.CommandError)) throw e;
      return { summary: {}, changed: counter.changed, byType: counter.byType, stdout: `${stdout}\n${e.message}`, failed: true };
    }
  }

  async preview(options: { expectNoChanges?: boolean } = {}): Promise<RunResult> {
    const stack = await this.open();
    const preSteps = new Map<string, string>();
    let stdout = "";
    const r = await previewWithoutCheckpoints(stack, {
      expectNoChanges: options.expectNoChanges,
      color: "never",
      onOutput: (s) => (stdout += s),
      onEvent: (e) => {
        const m = e.preludeEvent === undefined ? e.resourcePreEvent?.metadata : undefined;
        if (m !== undefined && !m.type.startsWith("pulumi:providers:") && m.type !== "pulumi:pulumi:Stack") preSteps.set(`${m.type}::${m.urn.slice(m.urn.lastIndexOf("::") + 2)}`, m.op);
      },
    });
    const byType = new Map<string, Map<string, number>>();
    const changed = new Map<string, string>();
    for (const [key, op] of preSteps) {
      const [type, name] = key.split("::");
      const ops = byType.get(type) ?? new Map<string, number>();
      ops.set(op, (ops.get(op) ?? 0) + 1);
      byType.set(type, ops);
      if (op !== "same") changed.set(name, op);
    }
    return { summary: r.changeSummary, changed, byType, stdout };
  }

  async refresh(): Promise<RunResult> {
    const stack = await this.open();
    const counter = stepCounter();
    let stdout = "";
    const r = await stack.refresh({ onEvent: counter.onEvent, onOutput: (s) => (stdout += s), color: "never" });
    return { summary: r.summary.resourceChanges ?? {}, changed: counter.changed, byType: counter.byType, stdout };
  }

  async images(): Promise<Record<string, ImageOutput>> {
    const out = await (await this.open()).outputs();
    return (out.images?.value ?? {}) as Record<string, ImageOutput>;
  }

  async outputs(): Promise<auto.OutputMap> {
    return (await this.open()).outputs();
  }

  /** The stack's state as the engine holds it (for reading, or for editing and importing back). */
  async exportState(): Promise<auto.Deployment> {
    return (await this.open()).exportStack();
  }

  async importState(state: auto.Deployment): Promise<void> {
    await (await this.open()).importStack(state);
  }

  /** Names of the resources of `type` in the state. */
  async resourceNames(type: string): Promise<string[]> {
    const d = (await this.exportState()).deployment as { resources?: { urn: string; type: string }[] };
    return (d.resources ?? []).filter((r) => r.type === type).map((r) => r.urn.slice(r.urn.lastIndexOf("::") + 2)).sort();
  }
}
