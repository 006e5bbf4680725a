/** index.ts itself, loaded as `pulumi up` loads it: wiring config to outputs. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { scratchProject } from "./harness";

describe("index.ts", () => {
  it("exports images, targets and catalogs for the stack's config", async () => {
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
    const index = (await import("../../index")) as { images: pulumi.Output<Record<string, { ref: string; tags: readonly string[] }>>; targets: string[]; catalogs: pulumi.Output<unknown[]> };
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
    // The component, its Image, its stamp and its two tag steps (signing none: no cosign step).
    assert.deepEqual(names.sort(), [
      "postgresql-17-minimal-trixie",
      "postgresql-17-minimal-trixie",
      "postgresql-17-minimal-trixie-built-at",
      "postgresql-17-minimal-trixie-rolling-tags",
      "postgresql-17-minimal-trixie-tags",
    ]);
  });
});
