import type { Cell } from "../matrix/matrix";
import { isDigest } from "../config/reference";
import { timestampedTagParts } from "../matrix/naming";
import { UserError } from "../errors";

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

/** The catalogs of one stack, as its `catalogs` output holds them. */
export interface StackCatalogs {
  readonly stack: string;
  readonly catalogs: readonly ClusterImageCatalog[];
}

/** Two stacks' catalogs that cannot be one: the same major twice, or labels that disagree. */
export class CatalogMergeError extends UserError {}

const DATE_LABEL = "images.cnpg.io/date";

function withoutDate(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => k !== DATE_LABEL));
}

/** Whether a stack output value has the shape `imageCatalogs` exports (an older program's may not). */
export function isCatalogList(value: unknown): value is ClusterImageCatalog[] {
  if (!Array.isArray(value)) return false;
  return value.every((c: unknown) => {
    const x = c as Partial<ClusterImageCatalog> | null;
    if (x === null || typeof x !== "object" || x.kind !== "ClusterImageCatalog" || typeof x.metadata?.name !== "string") return false;
    const labels = x.metadata.labels as unknown;
    if (labels === null || typeof labels !== "object" || !Object.values(labels).every((v) => typeof v === "string")) return false;
    const images = x.spec?.images as unknown;
    return Array.isArray(images) && images.every((i: Partial<ClusterImageCatalog["spec"]["images"][number]> | null) => Number.isInteger(i?.major) && typeof i?.image === "string");
  });
}

/**
 * The catalogs of several stacks as one set, for CI's per-major stacks (production-17, production-18, ...),
 * each of which holds one major of every catalog: catalogs of the same name are one catalog listing the
 * images of all of them, sorted by major, dated by the newest (so an unchanged set keeps an unchanged
 * catalog). A major that two stacks list with different images, or labels other than the date that
 * differ, is a mistake in the stacks given (a stack given twice is not), and stops the merge.
 */
export function mergeCatalogs(sets: readonly StackCatalogs[]): ClusterImageCatalog[] {
  const merged = new Map<string, { first: ClusterImageCatalog; stack: string; date: string; images: Map<number, { image: string; stack: string }> }>();
  for (const { stack, catalogs } of sets) {
    for (const c of catalogs) {
      const name = c.metadata.name;
      const date = c.metadata.labels[DATE_LABEL] ?? "";
      const labels = withoutDate(c.metadata.labels);
      let m = merged.get(name);
      if (m === undefined) {
        m = { first: c, stack, date, images: new Map() };
        merged.set(name, m);
      } else {
        const firstLabels = withoutDate(m.first.metadata.labels);
        for (const key of new Set([...Object.keys(firstLabels), ...Object.keys(labels)])) {
          if (firstLabels[key] !== labels[key]) {
            throw new CatalogMergeError(`${name}: label ${key} is ${JSON.stringify(firstLabels[key] ?? null)} in stack ${m.stack} but ${JSON.stringify(labels[key] ?? null)} in stack ${stack}; one catalog takes one value`);
          }
        }
        if (date > m.date) m.date = date;
      }
      for (const { major, image } of c.spec.images) {
        const other = m.images.get(major);
        if (other !== undefined && other.image !== image) {
          throw new CatalogMergeError(`${name}: major ${major} is ${other.image} in stack ${other.stack} but ${image} in stack ${stack}; give each major's stack once`);
        }
        m.images.set(major, { image, stack });
      }
    }
  }
  return [...merged.entries()].map(([name, m]) => ({
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "ClusterImageCatalog",
    metadata: { name, labels: { ...m.first.metadata.labels, ...(m.date === "" ? {} : { [DATE_LABEL]: m.date }) } },
    spec: { images: [...m.images.entries()].sort(([a], [b]) => a - b).map(([major, { image }]) => ({ major, image })) },
  }));
}
