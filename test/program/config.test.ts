/**
 * The program's edge: configuration as Pulumi hands it over, and bad configuration stopping the
 * program, with the `targets` command's own one-line errors, before any resource exists.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { evaluate, IMAGE_TYPE, ROOT } from "./harness";

/** What `npm run targets` prints on stderr for a stack with these values. */
function targetsCliErrors(values: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "postgres-images-cli-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  const config = Object.fromEntries(Object.entries(values).map(([k, v]) => [`postgres-images:${k}`, v]));
  writeFileSync(join(dir, "Pulumi.bad.yaml"), stringify({ config }));
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "cli", "targets.ts"), "--dir", dir, "--stack", "bad"], { encoding: "utf8", cwd: ROOT });
  assert.equal(r.status, 1, r.stderr);
  return r.stderr.trimEnd();
}

describe("configuration at the program's edge", () => {
  it("bad values stop the program before any resource, with the targets command's one-line errors", async () => {
    const bad = { registry: "Not A Registry", postgresVersions: ["17", "16.4"], signing: { mode: "sometimes" }, platforms: ["linux/amd64"] };
    const run = await evaluate(bad);
    assert.equal(run.ok, false);
    assert.ok(pulumi.RunError.isInstance(run.error), "a RunError: Pulumi prints it without a stack trace");
    assert.deepEqual(run.resources, []);
    assert.deepEqual(run.executed, []);
    const lines = run.error.message.split("\n");
    assert.ok(lines.length >= 3, run.error.message);
    assert.ok(lines.every((l) => l.startsWith("postgres-images:")), run.error.message);
    assert.equal(run.error.message, targetsCliErrors(bad));
  });

  it("a misspelt key is an error, not a silent default", async () => {
    const run = await evaluate({ registy: "localhost:5000" });
    assert.ok(pulumi.RunError.isInstance(run.error));
    assert.match(run.error.message, /^postgres-images:registy: /);
    assert.deepEqual(run.resources, []);
  });

  it("never prints a secret value in an error line", async () => {
    const run = await evaluate({}, { secrets: { cosignPasword: "s3cret-value-123" } });
    assert.ok(pulumi.RunError.isInstance(run.error));
    assert.match(run.error.message, /^postgres-images:cosignPasword: "\[secret\]" /);
    assert.ok(!run.error.message.includes("s3cret-value-123"));
  });

  it("a missing Dockerfile stops the program before any resource", async () => {
    const run = await evaluate({}, { cwd: mkdtempSync(join(tmpdir(), "postgres-images-empty-")) });
    assert.ok(pulumi.RunError.isInstance(run.error));
    assert.match(run.error.message, /Dockerfile .* cannot be read \(postgres-images:dockerfile\)/);
    assert.deepEqual(run.resources, []);
  });

  it("reads structured values as Pulumi passes them (JSON text) and builds only the selected targets", async () => {
    const run = await evaluate({
      postgresVersions: JSON.stringify(["17.11", "18.6"]),
      targets: JSON.stringify(["postgresql-18-*-bookworm"]),
      signing: JSON.stringify({ mode: "none" }),
    });
    assert.ok(run.ok, run.error?.message);
    assert.deepEqual(run.outputs?.targets, ["postgresql-18-minimal-bookworm", "postgresql-18-standard-bookworm", "postgresql-18-system-bookworm"]);
    assert.deepEqual(
      run.resources
        .filter((r) => r.type === IMAGE_TYPE)
        .map((r) => r.name)
        .sort(),
      [...run.outputs.targets].sort(),
    );
    const catalogs = run.outputs.catalogs as { metadata: { name: string }; spec: { images: { major: number; image: string }[] } }[];
    assert.deepEqual(
      catalogs.map((c) => c.metadata.name),
      ["postgresql-minimal-bookworm", "postgresql-standard-bookworm", "postgresql-system-bookworm"],
    );
    for (const c of catalogs) {
      const type = c.metadata.name.split("-")[1];
      const image: { tags: readonly string[]; digest: string } = run.outputs.images[`postgresql-18-${type}-bookworm`];
      const pinned: string = image.tags.find((t: string) => /-\d{12}-/.test(t))!;
      assert.deepEqual(c.spec.images, [{ major: 18, image: `${pinned}@${image.digest}` }]);
    }
  });

  it("gives the build extra CA certificates as its ca-certificates secret, secret in state too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "postgres-images-ca-"));
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
    writeFileSync(join(dir, "proxy-ca.pem"), pem);
    const config = { postgresVersions: ["17.11"], previewVersions: [], imageTypes: ["system"], bases: ["debian:trixie-slim@sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258"], platforms: ["linux/amd64"], signing: { mode: "none" } };
    const run = await evaluate({ ...config, caCertificates: "proxy-ca.pem" }, { cwd: dir });
    assert.ok(run.ok, run.error?.message);
    const image = run.resources.find((r) => r.type === IMAGE_TYPE)!;
    assert.deepEqual(image.inputs.secrets, { "ca-certificates": pem });
    assert.deepEqual(image.secretPaths, ["secrets"], "the certificates reach the engine as a secret");
    const without = await evaluate(config, { cwd: dir });
    assert.equal(without.resources.find((r) => r.type === IMAGE_TYPE)!.inputs.secrets, undefined);

    const missing = await evaluate({ ...config, caCertificates: "nope.pem" }, { cwd: dir });
    assert.ok(pulumi.RunError.isInstance(missing.error));
    assert.match(missing.error.message, /^CA certificates "nope\.pem" cannot be read \(ENOENT\) \(postgres-images:caCertificates\)$/);
    writeFileSync(join(dir, "not-pem.txt"), "hello\n");
    const notPem = await evaluate({ ...config, caCertificates: "not-pem.txt" }, { cwd: dir });
    assert.match(notPem.error!.message, /holds no PEM certificate \(postgres-images:caCertificates\)/);
  });
});
