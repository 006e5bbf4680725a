/**
 * The real Pulumi CLI's view of every stack file in the table (test/stack-file-cases.ts) against the
 * `targets` command's. For each file: `pulumi config --json` says what the CLI hands the program (or
 * the CLI refuses the file); the program's own configuration edge then runs on exactly those values,
 * under mocks, in the stack's folder; and `targets` reads the same file. Where the CLI refuses a file,
 * `targets` must refuse it too; otherwise the program and `targets` must accept it alike, or print the
 * same one line. A few rows also go through a real `pulumi preview`, where the engine runs the program.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as auto from "@pulumi/pulumi/automation";
import { openStack, previewWithoutCheckpoints, scratchProject } from "../../engine/workspace";
import { ROOT } from "../helpers";
import { runTargets } from "../cli";
import { evaluate } from "../program/harness";
import { STACK_FILE_CASES, type StackFileCase } from "../stack-file-cases";
import { engine, expectProgramFailures } from "./engine";

const WORK = mkdtempSync(join(tmpdir(), "pgi-cli-config-"));
const STACK = "bad";
const NAMESPACE = "postgres-images:";

function project(c: StackFileCase): string {
  const dir = mkdtempSync(join(WORK, "case-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  writeFileSync(join(dir, `Pulumi.${STACK}.yaml`), c.yaml);
  writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
  return dir;
}

/** What the real CLI hands the program for this folder's stack: key (without namespace) → value text; undefined when it refuses the file. */
function cliView(dir: string): { values?: Record<string, string>; stderr: string } {
  const r = spawnSync("pulumi", ["config", "--json", "--stack", STACK, "--cwd", dir], { encoding: "utf8", env: process.env });
  if (r.status !== 0) return { stderr: r.stderr };
  const parsed = JSON.parse(r.stdout) as Record<string, { value?: string; secret: boolean }>;
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (k.startsWith(NAMESPACE) && v.value !== undefined) values[k.slice(NAMESPACE.length)] = v.value;
  return { values, stderr: r.stderr };
}

/** `targets`' answer: its one error line, or undefined when it accepts the file. */
function targetsLine(dir: string): string | undefined {
  const r = runTargets(["--dir", dir, "--stack", STACK, "--json", "--timestamp", "2026-11-02T08:30:00Z"]);
  if (r.status === 0) return undefined;
  assert.equal(r.status, 1, r.stderr);
  return r.stderr.trimEnd();
}

describe("the real Pulumi CLI, the program and targets agree on every stack file", { timeout: 20 * 60 * 1000 }, () => {
  before(() => {
    engine(join(WORK, "state"));
    // One stack in the backend; each case's folder brings its own Pulumi.bad.yaml for it.
    const init = mkdtempSync(join(WORK, "init-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(init, "Pulumi.yaml"));
    const r = spawnSync("pulumi", ["stack", "init", STACK, "--non-interactive", "--cwd", init], { encoding: "utf8", env: process.env });
    assert.equal(r.status, 0, r.stderr);
  });

  for (const c of STACK_FILE_CASES) {
    it(c.name, async () => {
      const dir = project(c);
      const line = targetsLine(dir);
      assert.equal(line === undefined, c.error === undefined, `targets: ${line ?? "accepted"}`);
      const cli = cliView(dir);
      if (cli.values === undefined) {
        // The CLI refuses the file before any program runs; targets must not accept it either.
        assert.notEqual(line, undefined, `the CLI refuses this file (${cli.stderr.trim()}), targets accepted it`);
        return;
      }
      const run = await evaluate(cli.values, { cwd: dir, stack: STACK });
      if (line === undefined) {
        assert.equal(run.ok, true, `targets accepts the file, the program on the CLI's values fails: ${run.error?.message}`);
        return;
      }
      assert.equal(run.ok, false, `targets says ${line}; the program on the CLI's values accepts it`);
      assert.ok(pulumi.RunError.isInstance(run.error), "a RunError: printed without a stack trace");
      assert.equal(run.error.message, line, "the same line from the program and from targets");
      if (c.hidden !== undefined) assert.ok(!run.error.message.includes(c.hidden));
    });
  }

  it("a real pulumi preview stops the program with the same line", async () => {
    expectProgramFailures();
    // Which line stops the run: the CLI checks the types Pulumi.yaml declares before the program starts
    // (an array<string> with a number in it), the program stops the rest.
    const rows: [string, (line: string) => string][] = [
      ["an unquoted 17.10", () => "configuration key 'postgresVersions' must be of type 'array<string>'"],
      ["signing with nothing after it", (line) => line],
      ["rebuildEpoch 2026.10", (line) => line],
      ["a plain-text cosign password", (line) => line],
    ];
    for (const [name, expected] of rows) {
      const c = STACK_FILE_CASES.find((x) => x.name === name)!;
      const dir = scratchProject(project({ ...c, yaml: "" }));
      const stackName = `preview-${rows.findIndex(([n]) => n === name)}`;
      const file = join(dir, `Pulumi.${stackName}.yaml`);
      const stack = await openStack({ stack: stackName, workDir: dir, projectDir: ROOT });
      // Creating the stack wrote its encryption salt; the case's text goes in beside it, as written.
      const salt = /^encryptionsalt: .*$/m.exec(readFileSync(file, "utf8"))?.[0] ?? "";
      writeFileSync(file, `${c.yaml}\n${salt}\n`);
      let output = "";
      try {
        await previewWithoutCheckpoints(stack, { onOutput: (s) => (output += s), color: "never" });
        assert.fail(`pulumi preview of "${name}" succeeded`);
      } catch (e) {
        if (!(e instanceof auto.CommandError)) throw e;
        // The engine prints the program's error on stderr, which the Automation API puts in the error.
        output += e.message;
      }
      const line = targetsLine(project(c));
      assert.ok(line !== undefined, `targets refuses "${name}"`);
      // The stack file is named after this stack here; targets read it as Pulumi.bad.yaml.
      const want = expected(line.replace("Pulumi.bad.yaml", `Pulumi.${stackName}.yaml`));
      assert.ok(output.includes(want), `the engine's output has "${want}":\n${output.slice(-2000)}`);
      if (c.hidden !== undefined) assert.ok(!output.includes(c.hidden), "the secret is not printed");
    }
  });
});
