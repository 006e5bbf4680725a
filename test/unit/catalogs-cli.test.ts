/**
 * `npm run catalogs`: what it refuses before it asks the engine for anything (the CLI process, on stack
 * files written here). What it writes from real stacks is test/e2e/catalogs.test.ts.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers";

const USAGE = "usage: npm run catalogs -- --stack NAME [--stack NAME ...] --out DIR [--signing-from STACK] [--dir PROJECT_DIR]";

function project(stacks: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "pgi-catalogs-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  for (const [name, text] of Object.entries(stacks)) writeFileSync(join(dir, `Pulumi.${name}.yaml`), text);
  return dir;
}

function run(dir: string, args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "cli", "catalogs.ts"), "--dir", dir, ...args], { encoding: "utf8", cwd: ROOT });
}

const KEY = (tlog: boolean) => `config:\n  postgres-images:signing:\n    mode: key\n    key: /keys/cosign.key\n    tlogUpload: ${tlog}\n`;

describe("npm run catalogs refuses, with one line and exit 1, before it reads a stack", () => {
  const dir = project({ "production-17": KEY(true), "production-18": KEY(true), offline: KEY(false), broken: "config:\n  postgres-images:signing:\n    mode: sometimes\n" });
  const out = join(dir, "out");
  const cases: [what: string, args: string[], stderr: string][] = [
    ["no stack", ["--out", out], `--stack: at least one stack is needed\n${USAGE}\n`],
    ["a stack name that is not one", ["--stack", "production-17", "--stack", "a b", "--out", out], `--stack: "a b" is not a stack name (STACK, PROJECT/STACK or ORG/PROJECT/STACK)\n${USAGE}\n`],
    ["a qualified --signing-from", ["--stack", "production-17", "--signing-from", "org/production", "--out", out], `--signing-from: "org/production" is not a stack name (the NAME of a Pulumi.NAME.yaml)\n${USAGE}\n`],
    ["no --out", ["--stack", "production-17"], `--out: a directory is needed\n${USAGE}\n`],
    ["an unknown option", ["--stack", "production-17", "--out", out, "--sign"], `Unknown option '--sign'\n${USAGE}\n`],
    ["a stack without its file", ["--stack", "cloudnative-pg/postgres-images/production-19", "--out", out], `${join(dir, "Pulumi.production-19.yaml")}: does not exist\n`],
    [
      "stacks that sign differently",
      ["--stack", "production-17", "--stack", "org/postgres-images/offline", "--out", out],
      "stacks production-17 and offline sign differently (postgres-images:signing of Pulumi.production-17.yaml and Pulumi.offline.yaml); give --signing-from STACK to sign as one of them\n",
    ],
    ["bad signing settings", ["--stack", "production-17", "--signing-from", "broken", "--out", out], 'postgres-images:signing.mode: "sometimes" is not a signing mode; expected one of keyless, key, none\n'],
  ];
  for (const [what, args, stderr] of cases) {
    it(what, () => {
      const r = run(dir, args);
      assert.equal(r.stderr, stderr);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, "");
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.equal(existsSync(out), false, "nothing written");
    });
  }
});
