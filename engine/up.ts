/**
 * `npm run up`: a real `pulumi up --yes` of a local stack (scripts/up.sh prepares the registry, the
 * builder and the engine first), then the pushed images and how to pull them.
 *
 *   node dist/engine/up.js [--stack dev] [--local-base REF] [--preview] [--work-dir DIR]
 *
 * --work-dir: the folder with Pulumi.yaml and the stack file (default: the project), for stacks kept
 * outside the project (the real-tools tier runs this driver on its own stacks).
 *
 * --local-base deploys the stack `<stack>-local` instead: its own stack file, `Pulumi.<stack>-local.yaml`
 * (git-ignored), is written from `Pulumi.<stack>.yaml` with the bases replaced by REF, PostgreSQL from the
 * base's own Debian archive (`PG_PACKAGES: debian`) and each major at the minor that archive has (asked
 * with scripts/archive-pg-version.sh), so tags name what is installed. What a machine without Docker Hub
 * or the PostgreSQL repository needs; the committed `Pulumi.<stack>.yaml` stays what a user reads, and
 * `pulumi preview --stack <stack>-local` with the CLI reads the same file `npm run up` deployed.
 *
 * Before the engine starts, on the file backend: what a killed run of this machine left running is
 * stopped (engine/run-record.ts), its lock is cleared (one line says whose), and a state file
 * that is not a checkpoint is named with the way back. Every run reads the registry first (a refresh
 * that also drops the creates a killed run left pending), so what was deleted, moved or left unsigned is
 * made again by the same run.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as auto from "@pulumi/pulumi/automation";
import { parseDocument, Scalar } from "yaml";
import { stackSettings } from "../cli/stack-settings";
import { UserError } from "../lib/errors";
import type { ImageOutput } from "../lib/outputs";
import { NAMESPACE, type Settings } from "../lib/config/settings";
import { clearStaleLocks, describeHolder, type LockHolder, type LockSweep, pendingOperations, stateFile } from "./file-backend";
import { commandErrorLines, resourceName, runReport, type RunReport } from "./run-report";
import { beginRun, endRun } from "./run-record";
import { openStack, previewWithoutCheckpoints, PROJECT_DIR, useEngine } from "./workspace";

const USAGE = "usage: up [--stack NAME] [--local-base REF] [--preview] [--work-dir DIR]";
const PROJECT = "postgres-images";

interface Args {
  readonly stack: string;
  readonly localBase?: string;
  readonly preview: boolean;
  readonly workDir: string;
}

class UsageError extends UserError {}

function readArgs(argv: string[]): Args {
  let values: { stack?: string; "local-base"?: string; preview?: boolean; "work-dir"?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, "local-base": { type: "string" }, preview: { type: "boolean" }, "work-dir": { type: "string" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; ${USAGE}`);
  }
  const stack = values.stack ?? "dev";
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack: ${JSON.stringify(stack)} is not a stack name (letters, digits, _ . -); ${USAGE}`);
  return { stack, localBase: values["local-base"], preview: values.preview ?? false, workDir: resolve(values["work-dir"] ?? PROJECT_DIR) };
}

/**
 * Writes `Pulumi.<stack>-local.yaml` beside `Pulumi.<stack>.yaml`: the local base, PostgreSQL from its
 * archive at the archive's minor of each major, no previews (the archive has none); returns the stack name.
 */
function writeLocalStack(workDir: string, stack: string, base: string, settings: Settings): string {
  const file = join(workDir, `Pulumi.${stack}.yaml`);
  const local = `${stack}-local`;
  const doc = parseDocument(readFileSync(file, "utf8"));
  doc.setIn(["config", `${NAMESPACE}:bases`], [base]);
  const args = (doc.getIn(["config", `${NAMESPACE}:buildArgs`]) as { toJSON?: () => unknown } | undefined)?.toJSON?.() ?? {};
  doc.setIn(["config", `${NAMESPACE}:buildArgs`], { ...(args as Record<string, string>), PG_PACKAGES: "debian" });
  const versions = settings.versions.filter((v) => v.preview === undefined).map((v) => archiveVersion(base, String(v.major)));
  doc.setIn(["config", `${NAMESPACE}:postgresVersions`], doc.createNode(versions.map((v) => new Scalar(v)), { flow: false }));
  for (const node of (doc.getIn(["config", `${NAMESPACE}:postgresVersions`]) as { items: Scalar[] }).items) node.type = Scalar.QUOTE_DOUBLE;
  doc.setIn(["config", `${NAMESPACE}:previewVersions`], []);
  writeFileSync(
    join(workDir, `Pulumi.${local}.yaml`),
    `# Written by npm run up from ${file.slice(workDir.length + 1)} for a machine without Docker Hub or the PostgreSQL\n# repository: the local base, PostgreSQL ${versions.join(", ")} from its Debian archive. Edit ${file.slice(workDir.length + 1)} instead.\n${doc.toString()}`,
  );
  return local;
}

/** The MAJOR.MINOR the base's own archive installs for `major` (scripts/archive-pg-version.sh). */
function archiveVersion(base: string, major: string): string {
  const r = spawnSync("bash", [join(PROJECT_DIR, "scripts/archive-pg-version.sh"), base, major], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new UserError(`${NAMESPACE}:postgresVersions: ${(r.stderr.trim().split("\n").pop() ?? "").replace(/^archive-pg-version: /, "")}; a machine without the PostgreSQL repository builds only what the base's Debian archive has`);
  return r.stdout.trim();
}

const say = (line: string): void => {
  process.stderr.write(`up: ${line}\n`);
};

/** Clears the stack's stale locks; locks of this machine still held are looked at again for up to `waitMs`. */
async function sweepLocks(stateDir: string, stack: string, waitMs: number): Promise<LockSweep> {
  const deadline = Date.now() + waitMs;
  const cleared: LockHolder[] = [];
  for (;;) {
    const sweep = clearStaleLocks(stateDir, PROJECT, stack);
    cleared.push(...sweep.cleared);
    if (!sweep.kept.some((l) => l.hostname === hostname()) || Date.now() >= deadline) return { cleared, kept: sweep.kept };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Clears what a killed run of this stack left behind on the file backend at `stateDir`; fails on a state that cannot be read. */
async function recover(stateDir: string, stack: string): Promise<string> {
  const { run, leftOver } = await beginRun(stateDir, stack);
  if (leftOver !== undefined && leftOver.stopped.length > 0) say(`stopped what the killed run (pid ${leftOver.pid}, started ${leftOver.started}) left running: ${leftOver.stopped.join(", ")}`);
  // After a killed run its CLI may still be exiting (a SIGKILLed Go process takes a moment to die, and an
  // orphan to be reaped): its lock is given a few seconds to become stale before it is called live.
  const { cleared, kept } = await sweepLocks(stateDir, stack, leftOver === undefined ? 0 : 5000);
  for (const l of cleared) say(`cleared the lock of a run that no longer runs: ${describeHolder(l)}`);
  for (const l of kept) say(`the stack is locked by a run that may still be going: ${describeHolder(l)}; wait for it, or if it is gone, \`pulumi cancel --stack ${stack}\``);
  const pending = pendingOperations(stateFile(stateDir, PROJECT, stack));
  if (pending.length > 0) {
    say(`the last run was killed with ${pending.length} operation(s) in flight; this run checks them against the registry (unfinished creates are dropped and made again):`);
    for (const op of pending) say(`  ${op.type} ${resourceName(op.urn)}`);
  }
  return run;
}

function printReport(report: RunReport): void {
  for (const [name, drift] of report.drifts) say(`registry drift: ${name}: ${drift}`);
}

function printImages(stack: string, images: Record<string, ImageOutput>): void {
  process.stdout.write(`\nPushed images (stack output "images" of ${stack}):\n`);
  for (const [name, image] of Object.entries(images)) {
    process.stdout.write(`  ${name}\n    ${image.ref}\n${image.tags.map((t) => `    ${t}\n`).join("")}`);
  }
  const first = Object.values(images)[0];
  if (first !== undefined) {
    process.stdout.write(`\nPull one by digest:  docker pull ${first.ref}\n`);
    process.stdout.write(`Or by tag:           docker pull ${first.tags[0]}\n`);
  }
}

async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  // The stack file first: a bad one is one line naming the file (and line), before any engine starts.
  const settings = stackSettings(args.workDir, args.stack);
  const env = useEngine();
  const fileBackend = (env.PULUMI_BACKEND_URL ?? "").startsWith("file://");
  const stateDir = fileBackend ? env.PULUMI_BACKEND_URL.slice("file://".length) : PROJECT_DIR;
  const name = args.localBase === undefined ? args.stack : writeLocalStack(args.workDir, args.stack, args.localBase, settings);
  if (name !== args.stack) say(`deploying stack ${name} (Pulumi.${name}.yaml, written from Pulumi.${args.stack}.yaml for this machine)`);
  const run = fileBackend ? await recover(stateDir, name) : undefined;
  const stack = await openStack({ stack: name, workDir: args.workDir });
  const report = runReport();
  const common = { onOutput: (s: string) => process.stdout.write(s), onEvent: report.onEvent, color: "never" as const };
  try {
    if (args.preview) {
      await previewWithoutCheckpoints(stack, { ...common, refresh: true });
      printReport(report);
      return;
    }
    // Read the registry (and drop the creates a killed run left pending: each is made again below).
    await stack.refresh({ ...common, clearPendingCreates: true });
    printReport(report);
    // One failed cell must not leave the others unbuilt or unsigned: the engine goes on with every step
    // that does not depend on the failure, and the next `up` finishes the job.
    await stack.up({ ...common, continueOnError: true });
  } catch (e) {
    if (e instanceof auto.CommandError) {
      const lines = report.failures.size > 0 ? [...report.failures].map(([name, why]) => `${name}: ${why}`) : commandErrorLines(e.message);
      throw new UserError(`${report.failures.size > 0 ? `${report.failures.size} resource(s) failed; each runs again on the next npm run up, once its cause is fixed:\n  ` : ""}${lines.join("\n  ")}`);
    }
    throw e;
  } finally {
    if (run !== undefined) endRun(stateDir, name, run);
  }
  const outputs = await stack.outputs();
  printImages(name, (outputs.images?.value ?? {}) as Record<string, ImageOutput>);
}

main().catch((e: unknown) => {
  if (e instanceof UserError) say(e.message);
  else {
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    // The program turns stack traces off for speed (resources/stack.ts): say how to get one.
    const hint = e instanceof Error && !/\n\s+at /.test(text) ? "\n(for a stack trace, run again with NODE_OPTIONS=--stack-trace-limit=50)" : "";
    say(`internal error (please report it): ${text}${hint}`);
  }
  process.exit(1);
});
