import type { Cell } from "./matrix";
import { isDigest } from "./reference";

/** A CloudNativePG ClusterImageCatalog: which image a Cluster gets for each PostgreSQL major. */
export interface ClusterImageCatalog {
  readonly apiVersion: "postgresql.cnpg.io/v1";
  readonly kind: "ClusterImageCatalog";
  readonly metadata: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly spec: { readonly images: readonly { readonly major: number; readonly image: string }[] };
}

/** A pushed cell: the catalog points at its digest, never at a tag that may move. */
export interface BuiltImage {
  readonly cell: Cell;
  readonly digest: string;
}

/**
 * One catalog per image type × distro among the built images, named `postgresql-TYPE-DISTRO`,
 * listing each stable major once, by digest, in ascending order. Previews are left out: a catalog
 * is what clusters upgrade along, and a beta is not an upgrade. A type × distro with no stable
 * image gets no catalog (an empty catalog would be rejected by the operator's webhook).
 * Catalogs come in the order their first image appears in the matrix.
 */
export function imageCatalogs(images: readonly BuiltImage[]): ClusterImageCatalog[] {
  const groups = new Map<string, { type: string; distro: string; images: Map<number, string> }>();
  for (const { cell, digest } of images) {
    if (cell.version.preview) continue;
    if (!isDigest(digest)) throw new Error(`${cell.name} has no pushed digest (got ${JSON.stringify(digest)}); it cannot be listed in a catalog`);
    const name = `postgresql-${cell.type}-${cell.base.distro}`;
    let group = groups.get(name);
    if (!group) {
      group = { type: cell.type, distro: cell.base.distro, images: new Map() };
      groups.set(name, group);
    }
    const other = group.images.get(cell.version.major);
    const image = `${cell.repository}@${digest}`;
    if (other !== undefined && other !== image) throw new Error(`${name} has two images for major ${cell.version.major}: ${other} and ${image}`);
    group.images.set(cell.version.major, image);
  }
  return [...groups.entries()].map(([name, g]) => ({
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "ClusterImageCatalog",
    metadata: {
      name,
      labels: { "images.cnpg.io/family": "postgresql", "images.cnpg.io/type": g.type, "images.cnpg.io/os": g.distro },
    },
    spec: {
      images: [...g.images.entries()].sort(([a], [b]) => a - b).map(([major, image]) => ({ major, image })),
    },
  }));
}
