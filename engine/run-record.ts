/**
 * A run of `npm run up` marks every process it starts (the Pulumi CLI, its providers, their steps'
 * docker and cosign) with POSTGRES_IMAGES_RUN=<id> in their environment, and records its own pid and
 * that id beside the state. If the run is killed (Ctrl-C twice, a CI runner's cancel, SIGKILL), the
 * providers it started can outlive it and go on pushing; the next run of the same stack finds the record
 * of a run whose process is gone and stops what it left running (Linux: /proc; elsewhere nothing is
 * found and nothing is stopped).
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isRunning } from "./file-backend";

export const RUN_ENV = "POSTGRES_IMAGES_RUN";

interface Record {
  readonly pid: number;
  readonly run: string;
  readonly started: string;
}

function recordFile(stateDir: string, stack: string): string {
  return join(stateDir, "runs", `${stack}.json`);
}

function readRecord(file: string): Record | undefined {
  try {
    const r = JSON.parse(readFileSync(file, "utf8")) as Partial<Record>;
    return typeof r.pid === "number" && typeof r.run === "string" ? { pid: r.pid, run: r.run, started: String(r.started ?? "?") } : undefined;
  } catch {
    return undefined;
  }
}

/** Pids of this machine's processes whose environment holds POSTGRES_IMAGES_RUN=run. */
export function processesOfRun(run: string): number[] {
  if (!existsSync("/proc")) return [];
  const needle = `${RUN_ENV}=${run}`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(needle)) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

export interface LeftOver {
  /** The killed run's driver pid and when it started. */
  readonly pid: number;
  readonly started: string;
  /** What was still running and has been stopped: `pid command`. */
  readonly stopped: string[];
}

/**
 * Stops what a killed earlier run of `stack` left running (SIGTERM, then SIGKILL after `graceMs`), and
 * records this run; returns the killed run, or undefined when the last run ended normally or still runs.
 */
export async function beginRun(stateDir: string, stack: string, graceMs = 5000): Promise<{ run: string; leftOver?: LeftOver }> {
  const file = recordFile(stateDir, stack);
  const last = existsSync(file) ? readRecord(file) : undefined;
  let leftOver: LeftOver | undefined;
  if (last !== undefined && !isRunning(last.pid, "node")) {
    const pids = processesOfRun(last.run);
    const stopped = pids.map((p) => `${p} ${commandOf(p)}`);
    for (const p of pids) signal(p, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const p of pids.filter(isAlive)) signal(p, "SIGKILL");
    leftOver = { pid: last.pid, started: last.started, stopped };
  }
  const run = randomUUID();
  mkdirSync(join(stateDir, "runs"), { recursive: true });
  writeFileSync(file, JSON.stringify({ pid: process.pid, run, started: new Date().toISOString() }));
  process.env[RUN_ENV] = run;
  return { run, leftOver };
}

/** The run ended (successfully or not, but not killed): nothing of it is left to stop. */
export function endRun(stateDir: string, stack: string, run: string): void {
  const file = recordFile(stateDir, stack);
  if (readRecord(file)?.run === run) rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

