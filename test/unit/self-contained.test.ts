/** The repository stands on its own: a contributor's clone has no `../shared` beside it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers";

test("no tracked file refers to ../shared", () => {
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  assert.ok(files.length > 50, `git ls-files listed ${files.length} files`);
  const self = "test/unit/self-contained.test.ts";
  assert.ok(files.includes(self), "this test is tracked");
  const offenders = files.filter((f) => {
    if (f === self) return false;
    let text: string;
    try {
      text = readFileSync(join(ROOT, f), "utf8");
    } catch {
      return false; // deleted in the work tree
    }
    return /\.\.\/shared\b|["'`]\.\.["'`],\s*["'`]shared["'`]/.test(text);
  });
  assert.deepEqual(offenders, []);
});
