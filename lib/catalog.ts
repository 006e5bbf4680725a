import type { Cell } from "./matrix";
import { isDigest } from "./reference";
import { timestampedTagParts } from "./stamp-command";

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

/** A pushed cell: its digest and the tags it was pushed under (its timestamped tag among them). */
export interface BuiltImage {
  readonly cell: Cell;
  readonly digest: string;
  readonly tags: readonly string[];
}

/** Upstream's publisher label (postgres-containers' catalog generator). */
export const DEFAULT_PUBLISHER = "cnpg.io";

/** The cell's timestamped tag (`REPO:CLEAN-YYYYMMDDhhmm-TYPE-DISTRO`) among its tags, and its minute. */
function timestamped(cell: Cell, tags: readonly string[]): { tag: string; minute: string } {
  const { prefix, suffix } = timestampedTagParts(cell);
  for (const tag of tags) {
    if (!tag.startsWith(prefix) || !tag.endsWith(suffix)) continue;
    const minute = tag.slice(prefix.length, tag.length - suffix.length);
    if (/^\d{12}$/.test(minute)) return { tag, minute };
  }
  throw new Error(`${cell.name} has no timestamped tag among ${JSON.stringify(tags)}; it cannot be listed in a catalog`);
}

/**
 * One catalog per image type × distro among the built images, as upstream's generator writes them:
 * named `postgresql-TYPE-DISTRO`, labelled with family, type, os, date (`YYYYMMDD`, the newest build
 * time among its images, so an unchanged stack keeps an unchanged catalog) and publisher, listing
 * each stable major once as `REPO:TIMESTAMPED-TAG@DIGEST` (readable, and pinned by the digest), in
 * ascending order. Previews are left out: a catalog is what clusters upgrade along, and a beta is not
 * an upgrade. A type × distro with no stable image gets no catalog (the operator's webhook rejects an
 * empty one). Catalogs come in the order their first image appears in the matrix.
 */
export function imageCatalogs(images: readonly BuiltImage[], publisher: string = DEFAULT_PUBLISHER): ClusterImageCatalog[] {
  const groups = new Map<string, { type: string; distro: string; newest: string; images: Map<number, string> }>();
  for (const { cell, digest, tags } of images) {
    if (cell.version.preview) continue;
    if (!isDigest(digest)) throw new Error(`${cell.name} has no pushed digest (got ${JSON.stringify(digest)}); it cannot be listed in a catalog`);
    const { tag, minute } = timestamped(cell, tags);
    const name = `postgresql-${cell.type}-${cell.base.distro}`;
    let group = groups.get(name);
    if (!group) {
      group = { type: cell.type, distro: cell.base.distro, newest: minute, images: new Map() };
      groups.set(name, group);
    }
    if (minute > group.newest) group.newest = minute;
    const other = group.images.get(cell.version.major);
    const image = `${tag}@${digest}`;
    if (other !== undefined && other !== image) throw new Error(`${name} has two images for major ${cell.version.major}: ${other} and ${image}`);
    group.images.set(cell.version.major, image);
  }
  return [...groups.entries()].map(([name, g]) => ({
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "ClusterImageCatalog",
    metadata: {
      name,
      labels: {
        "images.cnpg.io/family": "postgresql",
        "images.cnpg.io/type": g.type,
        "images.cnpg.io/os": g.distro,
        "images.cnpg.io/date": g.newest.slice(0, 8),
        "images.cnpg.io/publisher": publisher,
      },
    },
    spec: {
      images: [...g.images.entries()].sort(([a], [b]) => a - b).map(([major, image]) => ({ major, image })),
    },
  }));
}
