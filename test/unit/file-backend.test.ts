/**
 * What `npm run up` reads from a file backend before the engine starts (engine/file-backend.ts): locks
 * of processes that are gone are cleared, live ones and other machines' are kept; a state file that is
 * not a checkpoint is named with the way back; pending operations are listed.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { clearStaleLocks, describeHolder, LockFileError, pendingOperations, stateFile, StateFileError } from "../../engine/file-backend";
import { UserError } from "../../lib/errors";

function lock(dir: string, id: string, content: object): string {
  const locks = join(dir, ".pulumi", "locks", "organization", "postgres-images", "dev");
  mkdirSync(locks, { recursive: true });
  const file = join(locks, `${id}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

describe("file backend locks", () => {
  it("clears a lock of this machine whose pulumi is gone; keeps a running pulumi's and another machine's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "locks-"));
    // A live process named pulumi, as the CLI that holds a lock is.
    const bin = mkdtempSync(join(tmpdir(), "pulumi-bin-"));
    copyFileSync("/bin/sleep", join(bin, "pulumi"));
    const live = spawn(join(bin, "pulumi"), ["30"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 100));
    try {
      const stale = lock(dir, "a", { pid: deadPid(), username: "ci", hostname: hostname(), timestamp: "2026-12-07T10:00:00Z" });
      const running = lock(dir, "b", { pid: live.pid, username: "ci", hostname: hostname(), timestamp: "2026-12-07T10:01:00Z" });
      const elsewhere = lock(dir, "c", { pid: deadPid(), username: "ci", hostname: "another-runner", timestamp: "2026-12-07T10:02:00Z" });
      // A pid of this machine that is not a pulumi process (here: this test's own node) holds no lock: the pid was reused.
      const reused = lock(dir, "d", { pid: process.pid, username: "ci", hostname: hostname(), timestamp: "2026-12-07T10:03:00Z" });
      const sweep = clearStaleLocks(dir, "postgres-images", "dev");
      assert.deepEqual(sweep.cleared.map((l) => l.file).sort(), [stale, reused].sort());
      assert.deepEqual(sweep.kept.map((l) => l.file).sort(), [running, elsewhere].sort());
      assert.ok(!existsSync(stale) && !existsSync(reused));
      assert.ok(existsSync(running) && existsSync(elsewhere));
      assert.equal(describeHolder(sweep.kept.find((l) => l.file === elsewhere)!), `ci@another-runner (pid ${sweep.kept.find((l) => l.file === elsewhere)!.pid}) since 2026-12-07T10:02:00Z`);
    } finally {
      live.kill();
    }
  });

  it("clears the lock of a killed pulumi not yet reaped (a zombie holds nothing)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "locks-"));
    const bin = mkdtempSync(join(tmpdir(), "pulumi-bin-"));
    copyFileSync("/bin/sleep", join(bin, "pulumi"));
    // A parent that never waits: its ended child named pulumi stays a zombie while the parent sleeps.
    const parent = spawn("sh", ["-c", `${join(bin, "pulumi")} 0 & echo $!; exec sleep 30`], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const pid = Number(await new Promise<string>((r) => parent.stdout.once("data", (d: Buffer) => r(d.toString().trim()))));
      const deadline = Date.now() + 5000;
      while (!/^\d+ \(pulumi\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(readFileSync(`/proc/${pid}/stat`, "utf8"), /^\d+ \(pulumi\) Z/, "the child is a zombie named pulumi");
      const zombie = lock(dir, "z", { pid, username: "ci", hostname: hostname(), timestamp: "2026-12-07T10:00:00Z" });
      assert.deepEqual(clearStaleLocks(dir, "postgres-images", "dev").cleared.map((l) => l.file), [zombie]);
    } finally {
      parent.kill();
    }
  });

  it("a lock file that is not JSON: one error naming it and how to remove it, and it is kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "locks-"));
    const file = lock(dir, "cut", {});
    writeFileSync(file, '{"pid": 12');
    assert.throws(
      () => clearStaleLocks(dir, "postgres-images", "dev"),
      (e: unknown) => e instanceof LockFileError && e instanceof UserError && e.message.startsWith(`the stack's lock file ${file} cannot be read (`) && e.message.endsWith(`remove it with \`rm ${file}\` and run again`),
    );
    assert.ok(existsSync(file));
  });

  it("a stack without locks: nothing to clear", () => {
    assert.deepEqual(clearStaleLocks(mkdtempSync(join(tmpdir(), "locks-")), "postgres-images", "dev"), { cleared: [], kept: [] });
  });
});

describe("the state file", () => {
  const dir = mkdtempSync(join(tmpdir(), "state-"));
  const file = stateFile(dir, "postgres-images", "dev");
  mkdirSync(join(dir, ".pulumi", "stacks", "postgres-images"), { recursive: true });

  it("is where the CLI keeps it; a stack without state has nothing pending", () => {
    assert.equal(file, join(dir, ".pulumi", "stacks", "postgres-images", "dev.json"));
    assert.deepEqual(pendingOperations(file), []);
  });

  it("lists the operations a killed run left pending", () => {
    const urn = "urn:pulumi:dev::postgres-images::postgres-images:index:PostgresImage$docker-build:index:Image::postgresql-17-minimal-trixie";
    writeFileSync(file, JSON.stringify({ version: 3, checkpoint: { latest: { resources: [], pending_operations: [{ resource: { urn }, type: "creating" }] } } }));
    assert.deepEqual(pendingOperations(file), [{ urn, type: "creating" }]);
  });

  it("a file cut short: one error naming it and the backup that restores it", () => {
    writeFileSync(file, '{"version": 3, "checkpoint": {');
    writeFileSync(`${file}.bak`, "{}");
    assert.throws(
      () => pendingOperations(file),
      (e: unknown) =>
        e instanceof StateFileError &&
        e instanceof UserError &&
        e.message.startsWith(`the stack's state file ${file} is not a Pulumi checkpoint (`) &&
        e.message.endsWith(`restore it with \`cp ${file}.bak ${file}\` and run again (a refresh then finds what the registry holds)`),
    );
  });
});
