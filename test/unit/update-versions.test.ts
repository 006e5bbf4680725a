/**
 * `npm run update-versions` for real: the CLI process on a copy of Pulumi.yaml and versions.json files
 * written here (no network).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ROOT } from "../helpers";

/** postgresql.org's shape: majors and minors as strings, older majors with a dot. */
function feed(entries: [major: string, latestMinor: string, supported: boolean][]): string {
  return JSON.stringify(entries.map(([major, latestMinor, supported]) => ({ major, latestMinor, firstRelDate: "2020-01-01", eolDate: "2030-01-01", supported, current: false })));
}

const RELEASED_19 = feed([
  ["19", "0", true],
  ["18", "10", true],
  ["17", "12", true],
  ["16", "16", true],
  ["15", "20", true],
  ["14", "25", false],
  ["9.6", "24", false],
]);

function project(): { dir: string; file: string; original: string } {
  const dir = mkdtempSync(join(tmpdir(), "pgi-update-"));
  const file = join(dir, "Pulumi.yaml");
  copyFileSync(join(ROOT, "Pulumi.yaml"), file);
  return { dir, file, original: readFileSync(file, "utf8") };
}

function run(dir: string, from: string) {
  return spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "cli", "update-versions.ts"), "--dir", dir, "--from", from], { encoding: "utf8", cwd: ROOT });
}

function json(dir: string, text: string): string {
  const f = join(dir, "versions.json");
  writeFileSync(f, text);
  return f;
}

/** The file without quoted list items, and with `default: []` as `default:`: what must not change. */
function withoutLists(text: string): string {
  return text
    .split("\n")
    .filter((l) => !/^ {6}- "/.test(l))
    .map((l) => (l === "    default: []" ? "    default:" : l))
    .join("\n");
}

describe("npm run update-versions", () => {
  it("writes the supported majors at their latest minor, quoted and sorted, and drops a released preview", () => {
    const p = project();
    const r = run(p.dir, json(p.dir, RELEASED_19));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "postgresVersions: 15.19 → 15.20, 16.15 → 16.16, 17.11 → 17.12, 18.6 → 18.10, +19.0, -14.24 (no longer supported), -19~beta3 (previewVersions: its major is released); now 15.20, 16.16, 17.12, 18.10, 19.0\n");
    const text = readFileSync(p.file, "utf8");
    assert.match(text, / {6}- "18\.10"\n/, "18.10 written as a quoted string");
    const config = (parse(text) as { config: Record<string, { default: unknown }> }).config;
    assert.deepEqual(config.postgresVersions.default, ["15.20", "16.16", "17.12", "18.10", "19.0"]);
    assert.deepEqual(config.previewVersions.default, []);
    // Everything but the two lists is byte for byte the same, comments included.
    assert.equal(withoutLists(text), withoutLists(p.original));
    assert.ok(text.includes("# Every key of the postgres-images namespace, with its default"));
  });

  it("changes nothing, and says so, when the defaults are current", () => {
    const p = project();
    const current = feed([
      ["14", "24", true],
      ["15", "19", true],
      ["16", "15", true],
      ["17", "11", true],
      ["18", "6", true],
    ]);
    const r = run(p.dir, json(p.dir, current));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "postgresVersions are current: 14.24, 15.19, 16.15, 17.11, 18.6\n");
    assert.equal(readFileSync(p.file, "utf8"), p.original);
  });

  for (const [what, text, line] of [
    ["not JSON", "<html>", /versions\.json: is not JSON/],
    ["not a list", '{"major":"17"}', /versions\.json: is not a non-empty JSON list/],
    ["no supported major", feed([["17", "1", false]]), /versions\.json: lists no supported major/],
    ["a minor that is not a number", feed([["17", "x", true]]), /versions\.json: entry 0 \(major 17\) has latestMinor "x"/],
    ["a major twice", feed([["17", "1", true], ["17", "2", true]]), /versions\.json: lists major 17 twice/],
    ["no supported flag", JSON.stringify([{ major: "17", latestMinor: "1" }]), /versions\.json: entry 0 \("17"\) has no boolean "supported"/],
  ] as const) {
    it(`refuses a versions.json that is ${what}, in one line, and leaves the file alone`, () => {
      const p = project();
      const r = run(p.dir, json(p.dir, text));
      assert.equal(r.status, 1);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, line);
      assert.equal(readFileSync(p.file, "utf8"), p.original);
    });
  }

  it("names a source it cannot read, and an http URL it will not use", () => {
    const p = project();
    const missing = run(p.dir, join(p.dir, "nope.json"));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.json: cannot be read \(ENOENT\)\n$/);
    const http = run(p.dir, "http://www.postgresql.org/versions.json");
    assert.equal(http.status, 1);
    assert.match(http.stderr, /is not https/);
    assert.equal(readFileSync(p.file, "utf8"), p.original);
  });
});
