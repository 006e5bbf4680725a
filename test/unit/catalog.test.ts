import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { imageCatalogs } from "../../lib/catalog";
import { matrix } from "../../lib/matrix";
import { settingsWith } from "../helpers";

const digestOf = (name: string): string => `sha256:${createHash("sha256").update(name).digest("hex")}`;

describe("ClusterImageCatalogs", () => {
  const s = settingsWith({ postgresVersions: ["18.6", "14.24", "17.11"], previewVersions: ["19~beta3"] });
  const built = matrix(s).map((cell) => ({ cell, digest: digestOf(cell.name) }));
  const catalogs = imageCatalogs(built);

  it("one per type and distro, named and labelled for CloudNativePG", () => {
    assert.equal(catalogs.length, 6, "3 types × 2 distros (trixie, bookworm)");
    const c = catalogs.find((x) => x.metadata.name === "postgresql-standard-bookworm")!;
    assert.equal(c.apiVersion, "postgresql.cnpg.io/v1");
    assert.equal(c.kind, "ClusterImageCatalog");
    assert.deepEqual(c.metadata.labels, { "images.cnpg.io/family": "postgresql", "images.cnpg.io/type": "standard", "images.cnpg.io/os": "bookworm" });
  });

  it("lists each stable major once, by digest, sorted; previews left out", () => {
    const c = catalogs.find((x) => x.metadata.name === "postgresql-minimal-trixie")!;
    assert.deepEqual(
      c.spec.images.map((i) => i.major),
      [14, 17, 18],
    );
    for (const i of c.spec.images) assert.equal(i.image, `ghcr.io/cloudnative-pg/postgresql-testing@${digestOf(`postgresql-${i.major}-minimal-trixie`)}`);
  });

  it("makes no catalog for a type and distro with previews only, and refuses an image without a digest", () => {
    const previewsOnly = built.filter((b) => b.cell.version.preview);
    assert.deepEqual(imageCatalogs(previewsOnly), []);
    assert.throws(() => imageCatalogs([{ cell: built[0].cell, digest: "" }]), /no pushed digest/);
  });
});
