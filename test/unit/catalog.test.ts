import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { CatalogMergeError, imageCatalogs, isCatalogList, mergeCatalogs, type ClusterImageCatalog } from "../../lib/catalogs/catalog";
import { matrix } from "../../lib/matrix/matrix";
import { catalogProblems } from "../catalog-schema";
import { settingsWith } from "../helpers";

const digestOf = (name: string): string => `sha256:${createHash("sha256").update(name).digest("hex")}`;

describe("ClusterImageCatalogs", () => {
  const s = settingsWith({ postgresVersions: ["18.6", "14.24", "17.11"], previewVersions: ["19~beta3"] });
  // Every cell built at 08:30 on 2 Nov, except 17 minimal on trixie, rebuilt on 20 Nov.
  const minuteOf = (name: string): string => (name === "postgresql-17-minimal-trixie" ? "202611200915" : "202611020830");
  const built = matrix(s).map((cell) => ({
    cell,
    digest: digestOf(cell.name),
    tags: [`${cell.repository}:${cell.version.lead}-${cell.type}-${cell.base.distro}`, `${cell.repository}:${cell.version.clean}-${minuteOf(cell.name)}-${cell.type}-${cell.base.distro}`],
  }));
  const catalogs = imageCatalogs(built);

  it("one per type and distro, named and labelled for CloudNativePG", () => {
    assert.equal(catalogs.length, 6, "3 types × 2 distros (trixie, bookworm)");
    const c = catalogs.find((x) => x.metadata.name === "postgresql-standard-bookworm")!;
    assert.equal(c.apiVersion, "postgresql.cnpg.io/v1");
    assert.equal(c.kind, "ClusterImageCatalog");
    assert.deepEqual(c.metadata.labels, {
      "images.cnpg.io/family": "postgresql",
      "images.cnpg.io/type": "standard",
      "images.cnpg.io/os": "bookworm",
      "images.cnpg.io/date": "20261102",
      "images.cnpg.io/publisher": "cnpg.io",
    });
  });

  it("dates a catalog by its newest build, not the wall clock, and takes another publisher", () => {
    assert.equal(catalogs.find((x) => x.metadata.name === "postgresql-minimal-trixie")!.metadata.labels["images.cnpg.io/date"], "20261120");
    assert.equal(catalogs.find((x) => x.metadata.name === "postgresql-minimal-bookworm")!.metadata.labels["images.cnpg.io/date"], "20261102");
    assert.equal(imageCatalogs(built, "example.com")[0].metadata.labels["images.cnpg.io/publisher"], "example.com");
  });

  it("lists each stable major once as REPO:TIMESTAMPED-TAG@DIGEST, sorted; previews left out", () => {
    const c = catalogs.find((x) => x.metadata.name === "postgresql-minimal-trixie")!;
    const repo = "ghcr.io/cloudnative-pg/postgresql-testing";
    assert.deepEqual(c.spec.images, [
      { major: 14, image: `${repo}:14.24-202611020830-minimal-trixie@${digestOf("postgresql-14-minimal-trixie")}` },
      { major: 17, image: `${repo}:17.11-202611200915-minimal-trixie@${digestOf("postgresql-17-minimal-trixie")}` },
      { major: 18, image: `${repo}:18.6-202611020830-minimal-trixie@${digestOf("postgresql-18-minimal-trixie")}` },
    ]);
  });

  it("are valid ClusterImageCatalogs for the CRD's schema, which refuses broken ones", () => {
    for (const c of catalogs) assert.deepEqual(catalogProblems(c), [], c.metadata.name);
    const c = catalogs[0];
    assert.notDeepEqual(catalogProblems({ ...c, spec: { images: [] } }), [], "no images");
    assert.notDeepEqual(catalogProblems({ ...c, spec: { images: [{ major: "17", image: "x" }] } }), [], "a major as text");
    assert.notDeepEqual(catalogProblems({ ...c, spec: { images: [{ major: 9, image: "x" }] } }), [], "a major before 10");
    assert.notDeepEqual(catalogProblems({ ...c, spec: { images: [c.spec.images[0], c.spec.images[0]] } }), [], "a major twice");
    assert.notDeepEqual(catalogProblems({ ...c, metadata: { ...c.metadata, labels: { "images.cnpg.io/date": "2026-11-02T08:30:00Z" } } }), [], "a label value with a colon");
  });

  it("makes no catalog for a type and distro with previews only, and refuses an image without a digest", () => {
    const previewsOnly = built.filter((b) => b.cell.version.preview);
    assert.deepEqual(imageCatalogs(previewsOnly), []);
    assert.throws(() => imageCatalogs([{ ...built[0], digest: "" }]), /no pushed digest/);
    assert.throws(() => imageCatalogs([{ ...built[0], tags: built[0].tags.slice(0, 1) }]), /has no timestamped tag/);
  });
});

describe("catalogs of several stacks merged (CI's per-major stacks)", () => {
  const repo = "ghcr.io/cloudnative-pg/postgresql";
  // What production-17 and production-18 export: one major each, built on different days.
  const perMajor = (version: string, minute: string) =>
    imageCatalogs(
      matrix(settingsWith({ postgresVersions: [version], previewVersions: [], imageTypes: ["minimal"], environment: "production" }))
        .filter((cell) => cell.base.distro === "trixie")
        .map((cell) => ({
        cell,
        digest: digestOf(`${cell.name}-${minute}`),
        tags: [`${cell.repository}:${cell.version.clean}-${minute}-${cell.type}-${cell.base.distro}`],
      })),
    );
  const p17 = { stack: "production-17", catalogs: perMajor("17.12", "202611300600") };
  const p18 = { stack: "production-18", catalogs: perMajor("18.3", "202611230600") };

  it("one catalog per name, every stack's major in it, sorted by major, dated by the newest build", () => {
    const [c] = mergeCatalogs([p18, p17]);
    assert.equal(c.metadata.name, "postgresql-minimal-trixie");
    assert.deepEqual(c.metadata.labels, {
      "images.cnpg.io/family": "postgresql",
      "images.cnpg.io/type": "minimal",
      "images.cnpg.io/os": "trixie",
      "images.cnpg.io/date": "20261130",
      "images.cnpg.io/publisher": "cnpg.io",
    });
    assert.deepEqual(c.spec.images, [
      { major: 17, image: `${repo}:17.12-202611300600-minimal-trixie@${digestOf("postgresql-17-minimal-trixie-202611300600")}` },
      { major: 18, image: `${repo}:18.3-202611230600-minimal-trixie@${digestOf("postgresql-18-minimal-trixie-202611230600")}` },
    ]);
    assert.deepEqual(mergeCatalogs([p17, p18]), mergeCatalogs([p18, p17]), "the order of the stacks does not matter");
    assert.deepEqual(mergeCatalogs([p17]), p17.catalogs, "one stack's catalogs are unchanged");
  });

  it("a stack given twice is harmless; one major with two images, or disagreeing labels, stops the merge naming both stacks", () => {
    assert.deepEqual(mergeCatalogs([p17, p17, p18]), mergeCatalogs([p17, p18]));
    const rebuilt = { stack: "production-17b", catalogs: perMajor("17.12", "202612010600") };
    assert.throws(
      () => mergeCatalogs([p17, rebuilt]),
      (e: Error) => e instanceof CatalogMergeError && /^postgresql-minimal-trixie: major 17 is \S+ in stack production-17 but \S+ in stack production-17b; give each major's stack once$/.test(e.message),
    );
    const other: ClusterImageCatalog[] = p18.catalogs.map((c) => ({ ...c, metadata: { ...c.metadata, labels: { ...c.metadata.labels, "images.cnpg.io/publisher": "example.com" } } }));
    assert.throws(() => mergeCatalogs([p17, { stack: "elsewhere-18", catalogs: other }]), {
      name: "CatalogMergeError",
      message: 'postgresql-minimal-trixie: label images.cnpg.io/publisher is "cnpg.io" in stack production-17 but "example.com" in stack elsewhere-18; one catalog takes one value',
    });
  });

  it("tells a catalogs output from something else", () => {
    assert.equal(isCatalogList(p17.catalogs), true);
    assert.equal(isCatalogList(JSON.parse(JSON.stringify(p17.catalogs))), true, "as read back from a stack's outputs");
    assert.equal(isCatalogList({}), false);
    assert.equal(isCatalogList([{ name: "postgresql-minimal-trixie", images: [] }]), false, "not a ClusterImageCatalog");
    assert.equal(isCatalogList([{ ...p17.catalogs[0], spec: { images: [{ major: "17", image: "x" }] } }]), false, "a major as text");
  });
});
