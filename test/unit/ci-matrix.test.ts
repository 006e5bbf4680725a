import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CiMatrixError, ciMatrix } from "../../cli/ci-matrix";
import { bakeFile } from "../../lib/matrix/bake";
import { mergeConfig } from "../../lib/config/stack-file";
import { loadSettings } from "../../lib/load-settings";
import { matrix } from "../../lib/matrix/matrix";
import { parseStamp } from "../../lib/matrix/stamp";
import { ROOT, defaults } from "../helpers";

const STAMP = parseStamp("2026-11-02T08:30:00Z");

/** What `npm run --silent targets -- --json` prints for the defaults overridden by `overrides`. */
function bakeFor(overrides: Record<string, unknown> = {}): unknown {
  const settings = loadSettings(mergeConfig(defaults(), overrides));
  return JSON.parse(JSON.stringify(bakeFile(matrix(settings), settings, STAMP))) as unknown;
}

describe("ci-matrix", () => {
  it("gives one job per major of the default matrix, in bake order, with the preview's lead", () => {
    const m = ciMatrix(bakeFor(), "testing", "production");
    assert.deepEqual(
      m.include.map((j) => [j.major, j.lead, j.targets, j.stack, j.promoteStack, j.cells]),
      [
        ["14", "14", "postgresql-14-*", "testing-14", "production-14", 6],
        ["15", "15", "postgresql-15-*", "testing-15", "production-15", 6],
        ["16", "16", "postgresql-16-*", "testing-16", "production-16", 6],
        ["17", "17", "postgresql-17-*", "testing-17", "production-17", 6],
        ["18", "18", "postgresql-18-*", "testing-18", "production-18", 6],
        ["19", "19beta3", "postgresql-19beta3-*", "testing-19", "production-19", 6],
      ],
    );
  });

  it("gives globs that select exactly the major's cells when a stack sets them as targets", () => {
    const all = bakeFor() as { group: { default: { targets: string[] } } };
    for (const job of ciMatrix(all).include) {
      const one = bakeFor({ targets: [job.targets] }) as { group: { default: { targets: string[] } } };
      const expected = all.group.default.targets.filter((n) => n.startsWith(`postgresql-${job.lead}-`));
      assert.deepEqual(one.group.default.targets, expected, job.targets);
      assert.equal(one.group.default.targets.length, job.cells);
    }
  });

  it("needs no edit for a new image type: the bake file says which types exist", () => {
    const bake = { group: { default: { targets: ["postgresql-17-postgis-trixie", "postgresql-18-postgis-trixie"] } }, target: { "postgresql-17-postgis-trixie": { args: { PG_MAJOR: "17" } }, "postgresql-18-postgis-trixie": { args: { PG_MAJOR: "18" } } } };
    assert.deepEqual(ciMatrix(bake).include.map((j) => [j.major, j.targets, j.cells]), [
      ["17", "postgresql-17-*", 1],
      ["18", "postgresql-18-*", 1],
    ]);
  });

  it("leaves promoteStack out without a promote prefix", () => {
    const [job] = ciMatrix(bakeFor({ postgresVersions: ["17.11"], previewVersions: [] })).include;
    assert.deepEqual(job, { major: "17", lead: "17", targets: "postgresql-17-*", cells: 6, stack: "testing-17" });
  });

  const bad: [string, unknown, RegExp][] = [
    ["not an object", [], /not a bake file/],
    ["no targets", { group: { default: { targets: [] } }, target: {} }, /non-empty list/],
    ["a name outside the grammar", { group: { default: { targets: ["pg-17"] } }, target: {} }, /not named postgresql-LEAD-TYPE-DISTRO/],
    ["a shell character in a name", { group: { default: { targets: ["postgresql-17-minimal-trixie;id"] } }, target: {} }, /not named/],
    ["a type that is not one word", { group: { default: { targets: ["postgresql-17-Mini mal-trixie"] } }, target: {} }, /not named/],
    ["a target without args", { group: { default: { targets: ["postgresql-17-minimal-trixie"] } }, target: { "postgresql-17-minimal-trixie": {} } }, /no target with args/],
    [
      "PG_MAJOR not a major",
      { group: { default: { targets: ["postgresql-17-minimal-trixie"] } }, target: { "postgresql-17-minimal-trixie": { args: { PG_MAJOR: "17; id" } } } },
      /not a PostgreSQL major/,
    ],
    [
      "name and PG_MAJOR disagree",
      { group: { default: { targets: ["postgresql-17-minimal-trixie"] } }, target: { "postgresql-17-minimal-trixie": { args: { PG_MAJOR: "1" } } } },
      /named for 17 but builds PG_MAJOR 1/,
    ],
    [
      "two leads of one major",
      {
        group: { default: { targets: ["postgresql-19-minimal-trixie", "postgresql-19beta3-minimal-trixie"] } },
        target: { "postgresql-19-minimal-trixie": { args: { PG_MAJOR: "19" } }, "postgresql-19beta3-minimal-trixie": { args: { PG_MAJOR: "19" } } },
      },
      /major 19 has cells named 19 and 19beta3/,
    ],
  ];
  for (const [what, input, message] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(() => ciMatrix(input), (e: unknown) => e instanceof CiMatrixError && message.test(e.message));
    });
  }

  it("rejects a prefix that is no stack name", () => {
    assert.throws(() => ciMatrix(bakeFor(), "testing/../x"), /--stack-prefix: "testing\/\.\.\/x" is not a stack name prefix/);
    assert.throws(() => ciMatrix(bakeFor(), "testing", "$(id)"), /--promote-prefix/);
  });

  it("runs as a filter: JSON in, one line of JSON out, one-line errors", () => {
    const cli = join(ROOT, "cli", "ci-matrix.ts");
    const run = (input: string, args: string[] = []) =>
      spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { input, encoding: "utf8", cwd: ROOT });
    const ok = run(JSON.stringify(bakeFor({ postgresVersions: ["17.11"], previewVersions: [] })), ["--promote-prefix", "production"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.split("\n").length, 2, "one line and its newline");
    assert.deepEqual(JSON.parse(ok.stdout), { include: [{ major: "17", lead: "17", targets: "postgresql-17-*", cells: 6, stack: "testing-17", promoteStack: "production-17" }] });

    const banner = run("\n> postgres-images@0.1.0 targets\n{}");
    assert.equal(banner.status, 1);
    assert.match(banner.stderr, /^ci-matrix: input is not JSON .*--silent/);
    assert.equal(banner.stdout, "");
  });
});
