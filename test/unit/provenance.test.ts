import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { imageSpec } from "../../lib/build/image-spec";
import { matrix } from "../../lib/matrix/matrix";
import { basePurl, BUILD_TYPE, provenancePredicate } from "../../lib/signing/provenance";
import { parseStamp } from "../../lib/matrix/stamp";
import { settingsWith } from "../helpers";

const STAMP = parseStamp("2026-11-02T08:30:00Z");
const SOURCES = { contextHash: "c".repeat(64), dockerfileHash: "d".repeat(64) };
const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("SLSA v1 provenance predicate", () => {
  it("records what defines the build", () => {
    const s = settingsWith({ revision: SHA, builder: "kit" });
    const cell = matrix(s).find((c) => c.name === "postgresql-18-standard-bookworm")!;
    const spec = imageSpec(cell, s, STAMP);
    const p = provenancePredicate(cell, spec, s, SOURCES, STAMP);
    assert.equal(p.buildDefinition.buildType, BUILD_TYPE);
    const ext = p.buildDefinition.externalParameters;
    assert.equal(ext.target, "standard");
    assert.deepEqual(ext.platforms, ["linux/amd64", "linux/arm64"]);
    assert.deepEqual(ext.buildArgs, spec.buildArgs);
    assert.deepEqual(ext.dockerfile, { path: "Dockerfile", digest: { sha256: SOURCES.dockerfileHash } });
    assert.deepEqual(ext.context, { path: ".", digest: { sha256: SOURCES.contextHash } });
    assert.equal(ext.source.revision, SHA);
    assert.deepEqual(p.buildDefinition.internalParameters, { builder: "kit" });
    assert.deepEqual(p.buildDefinition.resolvedDependencies, [
      { uri: "pkg:docker/library/debian@bookworm-slim?repository_url=docker.io", name: cell.base.text, digest: { sha256: cell.base.digest.slice("sha256:".length) } },
      { uri: `git+https://github.com/cloudnative-pg/postgres-containers@${SHA}`, digest: { gitCommit: SHA } },
    ]);
    assert.deepEqual(p.runDetails, { builder: { id: "buildx://kit" }, metadata: { startedOn: "2026-11-02T08:30:00Z" } });
  });
  it("keeps a revision that is not a commit id out of the digests, and names the default builder", () => {
    const s = settingsWith({ revision: "main" });
    const cell = matrix(s)[0];
    const p = provenancePredicate(cell, imageSpec(cell, s, STAMP), s, SOURCES, STAMP);
    assert.equal(p.buildDefinition.resolvedDependencies.length, 1);
    assert.equal(p.runDetails.builder.id, "buildx://default");
  });
  it("names a mirrored base by its registry", () => {
    assert.equal(basePurl("registry.internal:5000/mirror/debian:trixie-slim"), "pkg:docker/mirror/debian@trixie-slim?repository_url=registry.internal:5000");
  });
});
