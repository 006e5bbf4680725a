/**
 * Every row of the bad-stack-file table through the real `targets` process: one line naming the key,
 * the value as written and what is accepted, exit 1, nothing on stdout, no stack trace; or, for a file
 * that is fine, the bake file the user meant.
 */
import { strict as assert } from "node:assert";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runTargets } from "../cli";
import { ROOT } from "../helpers";
import { STACK_FILE_CASES } from "../stack-file-cases";

describe("targets CLI: the table of stack files", () => {
  for (const c of STACK_FILE_CASES) {
    it(c.name, () => {
      const dir = mkdtempSync(join(tmpdir(), "pgi-stack-file-"));
      copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
      writeFileSync(join(dir, "Pulumi.bad.yaml"), c.yaml);
      const r = runTargets(["--dir", dir, "--stack", "bad", "--json", "--timestamp", "2026-11-02T08:30:00Z"]);
      assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+:\d+/, "no stack trace");
      if (c.hidden !== undefined) assert.ok(!`${r.stdout}${r.stderr}`.includes(c.hidden), "the secret is not printed");
      if (c.error !== undefined) {
        assert.equal(r.status, 1, r.stderr);
        assert.equal(r.stdout, "", "nothing on stdout");
        const lines = r.stderr.trimEnd().split("\n");
        assert.equal(lines.length, 1, `one line: ${r.stderr}`);
        assert.match(lines[0], c.error);
      } else {
        assert.equal(r.status, 0, r.stderr);
        for (const text of c.accepts ?? []) assert.ok(r.stdout.includes(text), `the bake file has ${text}`);
      }
    });
  }
});

describe("targets CLI: the build's CA certificates", () => {
  it("reach bake as the same ca-certificates secret the program gives the build", () => {
    const dir = mkdtempSync(join(tmpdir(), "pgi-stack-file-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "Pulumi.ca.yaml"), "config:\n  postgres-images:caCertificates: /etc/ssl/certs/ca-certificates.crt\n  postgres-images:targets: [postgresql-17-system-trixie]\n");
    const r = runTargets(["--dir", dir, "--stack", "ca", "--json", "--timestamp", "2026-11-02T08:30:00Z"]);
    assert.equal(r.status, 0, r.stderr);
    const bake = JSON.parse(r.stdout) as { target: Record<string, { secret?: string[] }> };
    assert.deepEqual(bake.target["postgresql-17-system-trixie"].secret, ["id=ca-certificates,src=/etc/ssl/certs/ca-certificates.crt"]);
    writeFileSync(join(dir, "Pulumi.plain.yaml"), "config:\n  postgres-images:targets: [postgresql-17-system-trixie]\n");
    const plain = runTargets(["--dir", dir, "--stack", "plain", "--json", "--timestamp", "2026-11-02T08:30:00Z"]);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal((JSON.parse(plain.stdout) as { target: Record<string, { secret?: string[] }> }).target["postgresql-17-system-trixie"].secret, undefined, "no secret without caCertificates");
  });
});

