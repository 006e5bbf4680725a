/** index.ts itself, loaded as `pulumi up` loads it: wiring config to outputs. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stackPolicies } from "../../resources/program";
import type { ClusterImagePolicy, KyvernoClusterPolicy } from "../../lib/policies/policies";
import { settingsWith } from "../helpers";
import { scratchProject } from "./harness";

describe("index.ts", () => {
  it("exports images, targets, catalogs and policies for the stack's config", async () => {
    const names: string[] = [];
    await pulumi.runtime.setMocks(
      {
        call: () => ({}),
        newResource: (args) => {
          names.push(args.name);
          const outputs = { ...(args.inputs as Record<string, unknown>) };
          if (args.type === "docker-build:index:Image") outputs.digest = `sha256:${"a".repeat(64)}`;
          if (args.name.endsWith("-built-at")) outputs.stdout = "2026-11-02T08:30:00Z\n";
          return { id: `${args.name}-id`, state: outputs };
        },
      },
      "postgres-images",
      "index",
    );
    pulumi.runtime.setAllConfig({
      "postgres-images:registry": "localhost:5000",
      "postgres-images:postgresVersions": '["17.11"]',
      "postgres-images:previewVersions": "[]",
      "postgres-images:imageTypes": '["minimal"]',
      "postgres-images:bases": '["debian:trixie-slim@sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258"]',
      "postgres-images:signing": '{"mode":"none"}',
    });
    // Build paths are relative to the working directory, as under `pulumi up`.
    process.chdir(scratchProject());
    const index = (await import("../../index")) as { images: pulumi.Output<Record<string, { ref: string; tags: readonly string[] }>>; targets: string[]; catalogs: pulumi.Output<unknown[]>; policies: pulumi.Output<unknown[]> };
    const value = <T>(o: pulumi.Output<T>): Promise<T> => (o as unknown as { promise(): Promise<T> }).promise();
    assert.deepEqual(index.targets, ["postgresql-17-minimal-trixie"]);
    const images = await value(index.images);
    assert.equal(images["postgresql-17-minimal-trixie"].ref, `localhost:5000/postgresql-testing@sha256:${"a".repeat(64)}`);
    // The cell's tags (the tag step's), the timestamped one from the stamp's time.
    assert.deepEqual(images["postgresql-17-minimal-trixie"].tags, [
      "localhost:5000/postgresql-testing:17-minimal-trixie",
      "localhost:5000/postgresql-testing:17.11-minimal-trixie",
      "localhost:5000/postgresql-testing:17.11-202611020830-minimal-trixie",
    ]);
    assert.equal((await value(index.catalogs)).length, 1);
    // Unsigned: no admission policies.
    assert.deepEqual(await value(index.policies), []);
    // The component, its Image, its stamp and its tag step (signing none: no cosign step, and the rolling tags
    // wait for nothing).
    assert.deepEqual(names.sort(), [
      "postgresql-17-minimal-trixie",
      "postgresql-17-minimal-trixie",
      "postgresql-17-minimal-trixie-built-at",
      "postgresql-17-minimal-trixie-tags",
    ]);
  });

  it("policies: the stack's repository and signer; a key file is read from the work directory, an unreadable one stops the run", async () => {
    const value = <T>(o: pulumi.Output<T>): Promise<T> => (o as unknown as { promise(): Promise<T> }).promise();
    const keyless = settingsWith({
      registry: "ghcr.io/acme",
      signing: { mode: "keyless", verify: { identity: "ci@acme.example", issuer: "https://issuer.acme.example" } },
    });
    const docs = (await value(stackPolicies(keyless, "/nonexistent"))) as [ClusterImagePolicy, KyvernoClusterPolicy];
    assert.deepEqual(docs.map((d) => d.kind), ["ClusterImagePolicy", "ClusterPolicy"]);
    assert.deepEqual(docs[0].spec.images, [{ glob: "ghcr.io/acme/postgresql-testing@*" }, { glob: "ghcr.io/acme/postgresql-testing:*" }]);
    // A keyless signer without verify names nobody: no policies.
    assert.deepEqual(await value(stackPolicies(settingsWith({ registry: "ghcr.io/acme", signing: { mode: "keyless" } }))), []);

    const dir = mkdtempSync(join(tmpdir(), "policies-"));
    const pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEexample\n-----END PUBLIC KEY-----\n";
    writeFileSync(join(dir, "cosign.pub"), pem);
    const key = settingsWith({ registry: "localhost:5000", signing: { mode: "key", key: "cosign.key", tlogUpload: false, verify: { publicKey: "cosign.pub" } } });
    // A key: Kyverno's policy alone (policy-controller cannot verify key-signed cosign 3 bundles).
    const keyDocs = (await value(stackPolicies(key, dir))) as [KyvernoClusterPolicy];
    assert.deepEqual(keyDocs.map((d) => d.kind), ["ClusterPolicy"]);
    assert.deepEqual(keyDocs[0].spec.rules[0].verifyImages[0].attestors, [{ entries: [{ keys: { publicKeys: pem, rekor: { url: "https://rekor.sigstore.dev", ignoreTlog: true }, ctlog: { ignoreSCT: true } } }] }]);
    assert.throws(() => stackPolicies(key, "/nonexistent"), (e: Error) => e instanceof pulumi.RunError && e.message === 'public key "cosign.pub" cannot be read (ENOENT); the policies output names it (postgres-images:signing.verify.publicKey)');
    writeFileSync(join(dir, "cosign.pub"), "not a key\n");
    assert.throws(() => stackPolicies(key, dir), /holds no PEM public key/);
    const kms = settingsWith({ registry: "localhost:5000", signing: { mode: "key", key: "awskms://alias/cosign", verify: { publicKey: "awskms://alias/cosign" } } });
    const [kyverno] = (await value(stackPolicies(kms, "/nonexistent"))) as [KyvernoClusterPolicy];
    assert.deepEqual(kyverno.spec.rules[0].verifyImages[0].attestors, [{ entries: [{ keys: { kms: "awskms://alias/cosign", rekor: { url: "https://rekor.sigstore.dev" }, ctlog: { ignoreSCT: true } } }] }]);
  });
});
