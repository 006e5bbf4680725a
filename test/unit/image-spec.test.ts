import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { parseCsvRecord } from "../../lib/build/csv";
import { imageSpec, rawExporter } from "../../lib/build/image-spec";
import { matrix } from "../../lib/matrix/matrix";
import { cellLabels } from "../../lib/matrix/metadata";
import { parseStamp } from "../../lib/matrix/stamp";
import { settingsWith } from "../helpers";

const STAMP = parseStamp("2026-11-02T08:30:00Z");

describe("Image inputs of a cell", () => {
  it("tags and labels carry the stamp; empty args and labels are left out", () => {
    const s = settingsWith({ buildArgs: { PG_PACKAGES: "debian", EMPTY: "" } });
    const cell = matrix(s).find((c) => c.name === "postgresql-17-minimal-trixie")!;
    const spec = imageSpec(cell, s, STAMP);
    const repo = "ghcr.io/cloudnative-pg/postgresql-testing";
    assert.deepEqual(spec.tags, [`${repo}:17-minimal-trixie`, `${repo}:17.11-minimal-trixie`, `${repo}:17.11-202611020830-minimal-trixie`]);
    assert.equal(spec.labels["org.opencontainers.image.created"], "2026-11-02T08:30:00Z");
    assert.ok(!("org.opencontainers.image.revision" in spec.labels), "empty revision omitted");
    assert.ok(!("STANDARD_ADDITIONAL_POSTGRES_PACKAGES" in spec.buildArgs), "empty for 17");
    assert.ok(!("EMPTY" in spec.buildArgs));
    assert.equal(spec.buildArgs.PG_PACKAGES, "debian");
    assert.equal(spec.push, false);
    assert.equal(spec.builder, undefined);
    assert.equal(spec.cacheFrom, undefined);
  });
  it("uses the named builder and a per-cell registry cache when configured", () => {
    const s = settingsWith({ builder: "remote-kit", cacheRepository: "localhost:5000/cache" });
    const cell = matrix(s)[0];
    const spec = imageSpec(cell, s, STAMP);
    assert.deepEqual(spec.builder, { name: "remote-kit" });
    assert.deepEqual(spec.cacheFrom, [{ registry: { ref: `localhost:5000/cache:${cell.name}` } }]);
    assert.deepEqual(spec.cacheTo, [{ registry: { ref: `localhost:5000/cache:${cell.name}`, mode: "max", imageManifest: true, ociMediaTypes: true } }]);
  });
});

describe("raw exporter", () => {
  const labels = cellLabels(matrix(settingsWith())[0], STAMP, "");
  it("pushes to the repository by digest only, with OCI media types: no tag is the provider's to push", () => {
    const fields = parseCsvRecord(rawExporter("localhost:5000/postgresql-testing", labels, true));
    assert.deepEqual(fields.slice(0, 6), ["type=image", "name=localhost:5000/postgresql-testing", "push-by-digest=true", "push=true", "oci-mediatypes=true", "oci-artifact=true"]);
  });
  it("annotates index and manifest for multi-platform images, the manifest only for one platform, never with empty values", () => {
    const multi = parseCsvRecord(rawExporter("r", labels, true));
    const single = parseCsvRecord(rawExporter("r", labels, false));
    const count = (fields: string[], prefix: string) => fields.filter((f) => f.startsWith(prefix)).length;
    assert.equal(count(multi, "annotation-index."), 12);
    assert.equal(count(multi, "annotation-manifest."), 12);
    assert.equal(count(single, "annotation-index."), 0);
    assert.equal(count(single, "annotation-manifest."), 12);
    assert.ok(!multi.some((f) => f.includes(".revision=")));
  });
  it("quotes an annotation value holding a comma so buildx reads it whole", () => {
    const raw = rawExporter("r", { "org.opencontainers.image.title": "a, b" }, false);
    assert.ok(raw.endsWith('"annotation-manifest.org.opencontainers.image.title=a, b"'), raw);
  });
});
