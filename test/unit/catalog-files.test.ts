import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { parse } from "yaml";
import type { ClusterImageCatalog } from "../../lib/catalogs/catalog";
import { catalogFiles } from "../../lib/catalogs/catalog-files";

const catalog = (type: string, os: string): ClusterImageCatalog => ({
  apiVersion: "postgresql.cnpg.io/v1",
  kind: "ClusterImageCatalog",
  metadata: { name: `postgresql-${type}-${os}`, labels: { "images.cnpg.io/type": type } },
  spec: { images: [{ major: 17, image: `r.example/postgresql:17.11-202611020830-${type}-${os}@sha256:${"a".repeat(64)}` }] },
});

describe("catalog files", () => {
  it("one catalog-TYPE-OS.yaml per catalog and a kustomization listing them", () => {
    const files = catalogFiles([catalog("minimal", "trixie"), catalog("standard", "bookworm")]);
    assert.deepEqual([...files.keys()], ["catalog-minimal-trixie.yaml", "catalog-standard-bookworm.yaml", "kustomization.yaml"]);
    assert.deepEqual(parse(files.get("kustomization.yaml")!), {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: ["catalog-minimal-trixie.yaml", "catalog-standard-bookworm.yaml"],
    });
    assert.deepEqual(parse(files.get("catalog-minimal-trixie.yaml")!), catalog("minimal", "trixie"));
  });

  it("refuses a catalog not named postgresql-TYPE-OS", () => {
    assert.throws(() => catalogFiles([{ ...catalog("minimal", "trixie"), metadata: { name: "../x", labels: {} } }]), /is not named postgresql-TYPE-OS/);
  });
});
