/**
 * The step scripts as files (lib/build/step-script.ts, scripts/steps): every name the program uses has its file
 * and every file a name, shellcheck finds nothing in them (nor in the project's other scripts), and a Step's
 * recorded hash covers what the script sources.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CHECK_READS, checkEnvironment, scriptHash, sourcedFiles, STEP_SCRIPT_DIR, STEP_SCRIPTS } from "../../lib/build/step-script";

const ROOT = join(__dirname, "..", "..");
const DIR = join(ROOT, STEP_SCRIPT_DIR);

describe("step scripts", () => {
  it("one executable file per script name, and no file without a name", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".sh"));
    assert.deepEqual(files.map((f) => f.slice(0, -3)).sort(), [...STEP_SCRIPTS].sort());
    for (const f of files) assert.ok((statSync(join(DIR, f)).mode & 0o111) !== 0, `${f} is executable`);
  });

  it("shellcheck finds nothing in the step scripts or the project's other scripts", () => {
    const tracked = spawnSync("git", ["ls-files", "scripts/*.sh", ".ci/run"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n").filter((f) => f !== "");
    const steps = [...readdirSync(DIR).filter((f) => f.endsWith(".sh")).map((f) => join(STEP_SCRIPT_DIR, f)), ...readdirSync(join(DIR, "lib")).map((f) => join(STEP_SCRIPT_DIR, "lib", f))];
    const files = [...new Set([...tracked, ...steps])];
    assert.ok(files.length > steps.length, "the project's scripts are listed too");
    const r = spawnSync("shellcheck", files, { cwd: ROOT, encoding: "utf8" });
    assert.ok(r.error === undefined, "shellcheck is not installed: apt-get install shellcheck (Debian), brew install shellcheck");
    assert.equal(r.status, 0, r.stdout);
  });

  it("finds what a script sources, in the one form the scripts use", () => {
    const text = ['source "$(dirname "${BASH_SOURCE[0]}")/lib/cosign.sh"', '  source "$here/lib/registry.sh"', '# source "$here/lib/not-this.sh"', 'source "$OTHER/x.sh"'].join("\n");
    assert.deepEqual(sourcedFiles(text), ["lib/cosign.sh", "lib/registry.sh"]);
    // Each real script's libraries exist (the hash would not cover a missing one).
    for (const name of STEP_SCRIPTS) assert.doesNotThrow(() => scriptHash(name, (p) => readFileSync(join(DIR, p), "utf8")), name);
  });

  it("each refresh check reads exactly the variables CHECK_READS lists (from its text and what it sources)", () => {
    const textOf = (path: string, seen = new Set<string>()): string => {
      if (seen.has(path)) return "";
      seen.add(path);
      const text = readFileSync(join(DIR, path), "utf8");
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
      return [text, ...sourcedFiles(text).map((rel) => textOf(dir + rel, seen))].join("\n");
    };
    const checks = STEP_SCRIPTS.filter((n) => n.startsWith("check-"));
    assert.deepEqual(Object.keys(CHECK_READS).sort(), [...checks].sort(), "every check is listed");
    for (const name of checks) {
      const text = textOf(`${name}.sh`);
      const set = new Set([...text.matchAll(/^\s*(?:local\s+)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
      const read = new Set([...text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]).filter((v) => !set.has(v) && v !== "BASH_SOURCE" && v !== "STEP_STDOUT"));
      assert.deepEqual([...read].sort(), [...CHECK_READS[name as keyof typeof CHECK_READS]].sort(), name);
    }
    // What a check is given: the variables it reads, nothing else; a script not listed gets everything.
    const env = { IMAGE_REF: "r@sha256:1", PLATFORM: "linux/arm64", COSIGN_KEY: "k", TLOG_UPLOAD: "false" };
    assert.deepEqual(checkEnvironment("check-sbom", env), { IMAGE_REF: "r@sha256:1", PLATFORM: "linux/arm64" });
    assert.deepEqual(checkEnvironment("check-tags", env), { IMAGE_REF: "r@sha256:1" });
    assert.deepEqual(checkEnvironment("scan", env), env);
  });

  it("a script's hash changes with its text and with any file it sources, transitively, and with nothing else", () => {
    const files: Record<string, string> = {
      "check-sbom.sh": 'source "$(dirname "${BASH_SOURCE[0]}")/lib/presence.sh"\ncheck_presence sbom platform\n',
      "lib/presence.sh": 'source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"\n',
      "lib/registry.sh": "resolve() { :; }\n",
      "lib/cosign.sh": "signer_flags() { :; }\n",
    };
    const hash = (over: Record<string, string> = {}): string => scriptHash("check-sbom", (p) => ({ ...files, ...over })[p] ?? assert.fail(`read ${p}`));
    const base = hash();
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.notEqual(hash({ "check-sbom.sh": `${files["check-sbom.sh"]}# edited\n` }), base);
    assert.notEqual(hash({ "lib/registry.sh": "resolve() { true; }\n" }), base, "a library two levels down");
    assert.equal(hash({ "lib/cosign.sh": "changed\n" }), base, "a library it does not source");
    assert.throws(() => scriptHash("check-sbom", (p) => (p === "check-sbom.sh" ? 'source "$here/../../x.sh"\n' : "")), /outside scripts\/steps/);
  });
});
