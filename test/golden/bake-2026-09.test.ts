import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { bakeFile } from "../../lib/matrix/bake";
import { mergeConfig } from "../../lib/config/stack-file";
import { loadSettings } from "../../lib/load-settings";
import { matrix } from "../../lib/matrix/matrix";
import { parseStamp } from "../../lib/matrix/stamp";
import { runTargets } from "../cli";
import { GOLDEN_DIR, ROOT, defaults, goldenStack, goldenTimestamp } from "../helpers";

/** The fixture's own timestamp, from the command its Pulumi.golden.yaml documents. */
const TIMESTAMP = goldenTimestamp();
const expected: unknown = JSON.parse(readFileSync(join(GOLDEN_DIR, "expected.json"), "utf8"));

describe("golden: upstream's default bake matrix after bullseye (fixtures/bake-2026-09)", () => {
  it("the library renders expected.json for Pulumi.golden.yaml", () => {
    const settings = loadSettings(mergeConfig(defaults(), goldenStack()));
    assert.deepStrictEqual(bakeFile(matrix(settings), settings, parseStamp(TIMESTAMP)), expected);
  });

  const goldenProject = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "pgi-golden-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    copyFileSync(join(GOLDEN_DIR, "Pulumi.golden.yaml"), join(dir, "Pulumi.golden.yaml"));
    return dir;
  };

  it("`npm run targets -- --json` prints expected.json and nothing else (no npm banner on stdout)", () => {
    const r = spawnSync("npm", ["run", "targets", "--", "--dir", goldenProject(), "--stack", "golden", "--json", "--timestamp", TIMESTAMP], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepStrictEqual(JSON.parse(r.stdout), expected);
  });

  it("`targets --json` prints expected.json, cell order included", () => {
    const dir = goldenProject();
    const r = runTargets(["--dir", dir, "--stack", "golden", "--json", "--timestamp", TIMESTAMP]);
    assert.equal(r.stderr, "");
    assert.equal(r.status, 0);
    const printed = JSON.parse(r.stdout) as { group: { default: { targets: string[] } } };
    assert.deepStrictEqual(printed, expected);
    // deepStrictEqual ignores key order but not array order: say so for the group explicitly.
    assert.deepEqual(printed.group.default.targets, (expected as typeof printed).group.default.targets);
  });
});
