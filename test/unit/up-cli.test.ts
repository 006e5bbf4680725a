/**
 * `npm run up`'s driver (engine/up.ts) as a real process, for what it refuses before any engine starts:
 * one line on stderr naming the file and line or the argument, exit 1, no stack trace.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { PROGRAM_NODE_ARGS } from "../../engine/workspace";
import { stackTraceLimitAsked } from "../../resources/stack";
import { ROOT } from "../helpers";

function up(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "engine", "up.ts"), ...args], { encoding: "utf8", cwd: ROOT, env: { ...process.env, PULUMI_BACKEND_URL: "file:///nonexistent-never-used" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run up refuses before the engine starts", () => {
  it("a malformed stack file: its path, line and column", () => {
    const dir = mkdtempSync(join(tmpdir(), "pgi-up-cli-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "Pulumi.bad.yaml"), "config:\n  postgres-images:registry: localhost:5000\n postgres-images:targets: []\n");
    const r = up(["--stack", "bad", "--work-dir", dir]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `up: ${join(dir, "Pulumi.bad.yaml")}: is not valid YAML at line 3, column 1: All mapping items must start at the same column\n`);
  });

  it("a stack without a stack file, an unknown argument, a bad stack name", () => {
    const missing = up(["--stack", "nosuchstack", "--work-dir", ROOT]);
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, `up: ${join(ROOT, "Pulumi.nosuchstack.yaml")}: does not exist\n`);
    const unknown = up(["--stak", "dev"]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /^up: Unknown option '--stak'.*; usage: up \[--stack NAME\] \[--local-base REF\] \[--preview\] \[--work-dir DIR\]\n$/);
    const bad = up(["--stack", "a/b"]);
    assert.equal(bad.stderr, 'up: --stack: "a/b" is not a stack name (letters, digits, _ . -); usage: up [--stack NAME] [--local-base REF] [--preview] [--work-dir DIR]\n');
  });
});

describe("the program's process", () => {
  it("npm run up and the CLI's language host start node with the same flags", () => {
    assert.deepEqual(PROGRAM_NODE_ARGS, ["--max-semi-space-size=64"]);
    const exec = readFileSync(join(ROOT, "scripts/up.sh"), "utf8").split("\n").find((l) => l.startsWith("exec node "));
    assert.equal(exec, `exec node ${PROGRAM_NODE_ARGS.join(" ")} "$ROOT/dist/engine/up.js" "\${args[@]}"`);
    const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { nodeargs: string } } };
    assert.equal(project.runtime.options.nodeargs, PROGRAM_NODE_ARGS.join(" "));
  });

  it("keeps stack traces only when node was asked for a limit (its command line or NODE_OPTIONS)", () => {
    assert.equal(stackTraceLimitAsked([], ""), false);
    assert.equal(stackTraceLimitAsked(["--max-semi-space-size=64"], "--enable-source-maps"), false);
    assert.equal(stackTraceLimitAsked(["--stack-trace-limit=50"], ""), true);
    assert.equal(stackTraceLimitAsked([], "--enable-source-maps  --stack-trace-limit=50"), true);
  });
});
