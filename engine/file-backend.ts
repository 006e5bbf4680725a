/**
 * What `npm run up` reads from a file backend before it starts the engine: the stack's locks (a lock
 * left by a process that no longer runs on this machine is cleared, never a live one), and the state
 * file (a corrupt one is named with the way back; operations a killed run left pending are counted).
 * The layout is the Pulumi CLI's (pkg/backend/diy: `.pulumi/locks/ORG/PROJECT/STACK/ID.json` holding
 * `{pid, username, hostname, timestamp}`, `.pulumi/stacks/PROJECT/STACK.json` with a `.bak` beside it).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { UserError } from "../lib/errors";

/** File-backend stacks are named `organization/PROJECT/STACK`. */
const ORGANIZATION = "organization";

export interface LockHolder {
  readonly file: string;
  readonly pid: number;
  readonly username: string;
  readonly hostname: string;
  readonly timestamp: string;
}

/** `root@host (pid 123) since 2026-12-07T10:00:00Z`: who holds a lock, as the CLI words it. */
export function describeHolder(l: LockHolder): string {
  return `${l.username}@${l.hostname} (pid ${l.pid}) since ${l.timestamp}`;
}

/** A lock file that cannot be read (cut short by a killed writer, or edited): named, with the fix. */
export class LockFileError extends UserError {}

/** The locks on `stack` in the file backend at `stateDir`. */
export function stackLocks(stateDir: string, project: string, stack: string): LockHolder[] {
  const dir = join(stateDir, ".pulumi", "locks", ORGANIZATION, project, stack);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => {
      const file = join(dir, f);
      let l: Partial<LockHolder>;
      try {
        l = JSON.parse(readFileSync(file, "utf8")) as Partial<LockHolder>;
        if (typeof l !== "object" || l === null) throw new Error("not a JSON object");
      } catch (e) {
        // Whose it was cannot be told, so it is not removed here: only its owner or the user may.
        throw new LockFileError(`the stack's lock file ${file} cannot be read (${(e as Error).message}); the process that wrote it is unknown: when no pulumi command runs on stack ${stack}, remove it with \`rm ${file}\` and run again`);
      }
      return { file, pid: Number(l.pid), username: String(l.username ?? "?"), hostname: String(l.hostname ?? "?"), timestamp: String(l.timestamp ?? "?") };
    });
}

/**
 * Whether `pid` is a running `command` of this machine (a process we may not signal still runs). On Linux a
 * pid running another command was reused: the process we look for is gone.
 */
export function isRunning(pid: number, command = "pulumi"): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  const comm = `/proc/${pid}/comm`;
  if (!existsSync(comm)) return true;
  // A killed process stays in the table until its parent (or init, for an orphan) reaps it: it holds nothing.
  if (/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"))) return false;
  return readFileSync(comm, "utf8").trim().startsWith(command);
}

export interface LockSweep {
  /** Locks of processes of this machine that no longer run: removed. */
  readonly cleared: LockHolder[];
  /** Locks of running processes, or of other machines (whose processes cannot be seen from here): kept. */
  readonly kept: LockHolder[];
}

/** Removes the locks on `stack` whose process ran on this machine and has ended. */
export function clearStaleLocks(stateDir: string, project: string, stack: string, host: string = hostname()): LockSweep {
  const cleared: LockHolder[] = [];
  const kept: LockHolder[] = [];
  for (const l of stackLocks(stateDir, project, stack)) {
    if (l.hostname === host && !isRunning(l.pid)) {
      rmSync(l.file, { force: true });
      // The CLI's blob store keeps a sidecar of attributes beside each file.
      rmSync(`${l.file}.attrs`, { force: true });
      cleared.push(l);
    } else kept.push(l);
  }
  return { cleared, kept };
}

/** A state file that cannot be read: named, with the way back. */
export class StateFileError extends UserError {}

export interface PendingOperation {
  readonly urn: string;
  /** `creating`, `updating`, `deleting`, `reading`, `importing`. */
  readonly type: string;
}

/** The stack's state file in the file backend, whether it exists or not. */
export function stateFile(stateDir: string, project: string, stack: string): string {
  return join(stateDir, ".pulumi", "stacks", project, `${stack}.json`);
}

/**
 * The operations a killed run left pending in `file` ([] for a stack without state yet). A file that is
 * not a checkpoint fails with its name and how to restore the previous one.
 */
export function pendingOperations(file: string): PendingOperation[] {
  if (!existsSync(file)) return [];
  let checkpoint: { checkpoint?: { latest?: { pending_operations?: { resource?: { urn?: string }; type?: string }[] } } };
  try {
    checkpoint = JSON.parse(readFileSync(file, "utf8")) as typeof checkpoint;
    if (typeof checkpoint !== "object" || checkpoint === null || typeof checkpoint.checkpoint !== "object") throw new Error("no checkpoint in it");
  } catch (e) {
    const backup = `${file}.bak`;
    const fix = existsSync(backup)
      ? `the engine kept the state before the last save as ${backup}: restore it with \`cp ${backup} ${file}\` and run again (a refresh then finds what the registry holds)`
      : `no backup is beside it; move it away to start with a new state (the registry keeps every image; the next run builds each cell again under a new build time)`;
    throw new StateFileError(`the stack's state file ${file} is not a Pulumi checkpoint (${(e as Error).message}); ${fix}`);
  }
  return (checkpoint.checkpoint?.latest?.pending_operations ?? []).map((op) => ({ urn: op.resource?.urn ?? "?", type: op.type ?? "?" }));
}
