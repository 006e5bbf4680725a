import { spawnSync } from "node:child_process";
import { strict as assert } from "node:assert";
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BuildSourceError, hashBuildContext, hashDockerfile, ignoreRules, readBuildSources } from "../../lib/build/context-hash";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "context-hash-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("build context hash", () => {
  it("changes with a file's content, name, mode or a new empty directory", () => {
    const dir = project({ Dockerfile: "FROM scratch\n", "etc/a.conf": "a" });
    const h0 = hashBuildContext(dir);
    assert.equal(hashBuildContext(dir), h0, "stable");
    writeFileSync(join(dir, "etc/a.conf"), "b");
    const h1 = hashBuildContext(dir);
    assert.notEqual(h1, h0);
    chmodSync(join(dir, "etc/a.conf"), 0o755);
    const h2 = hashBuildContext(dir);
    assert.notEqual(h2, h1);
    mkdirSync(join(dir, "empty"));
    const h3 = hashBuildContext(dir);
    assert.notEqual(h3, h2);
    symlinkSync("etc/a.conf", join(dir, "link"));
    assert.notEqual(hashBuildContext(dir), h3);
  });

  it("leaves out what .dockerignore excludes, and keeps its exceptions", () => {
    const dir = project({ ".dockerignore": "*\n!Dockerfile\n!scripts/keep.sh\n", Dockerfile: "FROM scratch\n", "scripts/keep.sh": "1", "scripts/other.sh": "1", "README.md": "x" });
    const h0 = hashBuildContext(dir);
    writeFileSync(join(dir, "README.md"), "changed");
    writeFileSync(join(dir, "scripts/other.sh"), "changed");
    mkdirSync(join(dir, "node_modules/pkg"), { recursive: true });
    writeFileSync(join(dir, "node_modules/pkg/index.js"), "x");
    assert.equal(hashBuildContext(dir), h0, "ignored files do not count");
    writeFileSync(join(dir, "scripts/keep.sh"), "2");
    assert.notEqual(hashBuildContext(dir), h0, "an exception counts");
  });

  it("prefers <Dockerfile>.dockerignore beside the Dockerfile", () => {
    const dir = project({ ".dockerignore": "", "Dockerfile.dockerignore": "notes.txt\n", Dockerfile: "FROM scratch\n", "notes.txt": "1" });
    const h0 = hashBuildContext(dir, join(dir, "Dockerfile"));
    writeFileSync(join(dir, "notes.txt"), "2");
    assert.equal(hashBuildContext(dir, join(dir, "Dockerfile")), h0);
    assert.notEqual(hashBuildContext(dir), hashBuildContext(dir, join(dir, "Dockerfile")), "without it the root .dockerignore applies");
  });

  it("works without a .dockerignore", () => {
    const dir = project({ Dockerfile: "FROM scratch\n" });
    assert.match(hashBuildContext(dir), /^[0-9a-f]{64}$/);
  });

  it("matches Docker's pattern rules: case-sensitive, parent directories, ** and comments", () => {
    const rules = ignoreRules("# comment\nbuild\n**/*.log\n!keep.log\n");
    assert.equal(rules.ignores("build/out/x"), true);
    assert.equal(rules.ignores("Build"), false);
    assert.equal(rules.ignores("a/b/c.log"), true);
    assert.equal(rules.ignores("keep.log"), false);
    assert.deepEqual(rules.exceptions, ["keep.log"]);
  });

  it("reports a missing context or Dockerfile with the key to fix", () => {
    const dir = project({ Dockerfile: "FROM scratch\n" });
    assert.throws(() => readBuildSources({ context: "missing", dockerfile: "Dockerfile" }, dir), (e: unknown) => e instanceof BuildSourceError && /postgres-images:context/.test(e.message));
    assert.throws(() => readBuildSources({ context: ".", dockerfile: "Nope" }, dir), (e: unknown) => e instanceof BuildSourceError && /postgres-images:dockerfile/.test(e.message));
    // The Dockerfile's hash is sha256 of its bytes: `printf 'FROM scratch\n' | sha256sum`.
    const expected = "bb57c7da220a8753d7bdabac0d3afdb6efa742e4c736c5bc93ab40dfd5e23b9b";
    assert.equal(spawnSync("sha256sum", [join(dir, "Dockerfile")], { encoding: "utf8" }).stdout.split(" ")[0], expected);
    assert.equal(readBuildSources({ context: ".", dockerfile: "Dockerfile" }, dir).dockerfileHash, expected);
    assert.equal(hashDockerfile(join(dir, "Dockerfile")), expected);
  });

  it("refuses the file system root as the context, naming the key", () => {
    assert.throws(() => hashBuildContext("/"), (e: unknown) => e instanceof BuildSourceError && /is the file system root \(postgres-images:context\)/.test(e.message));
  });
});
