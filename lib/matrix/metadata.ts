import type { Cell } from "./matrix";
import type { Stamp } from "./stamp";

/** Upstream's project metadata, carried on every image (matrix-spec.md). */
export const PROJECT = {
  url: "https://github.com/cloudnative-pg/postgres-containers",
  vendor: "The CloudNativePG Contributors",
  licenses: "Apache-2.0",
} as const;

export const LABEL_PREFIX = "org.opencontainers.image.";

/** The matrix's own build args, including empty ones (bake prints them; the program drops them). */
export function cellArgs(cell: Cell, extensions: readonly string[], barmanVersion: string): Record<string, string> {
  const { version: v } = cell;
  return {
    BARMAN_VERSION: barmanVersion,
    BASE: cell.base.text,
    EXTENSIONS: v.preview ? "" : extensions.map((e) => `postgresql-${v.major}-${e}`).join(" "),
    PG_MAJOR: String(v.major),
    PG_VERSION: v.text,
    STANDARD_ADDITIONAL_POSTGRES_PACKAGES: v.major >= 18 ? `postgresql-${v.major}-jit` : "",
  };
}

/** The 13 OCI labels, every one present even when empty (`revision`). */
export function cellLabels(cell: Cell, stamp: Stamp, revision: string): Record<string, string> {
  const { version: v, type, base } = cell;
  const short: Record<string, string> = {
    authors: PROJECT.vendor,
    "base.digest": base.digest,
    "base.name": base.name,
    created: stamp,
    description: `A ${type} PostgreSQL ${v.text} container image`,
    documentation: PROJECT.url,
    licenses: PROJECT.licenses,
    revision,
    source: PROJECT.url,
    title: `CloudNativePG PostgreSQL ${v.text} ${type}`,
    url: PROJECT.url,
    vendor: PROJECT.vendor,
    version: v.text,
  };
  return Object.fromEntries(Object.entries(short).map(([k, val]) => [LABEL_PREFIX + k, val]));
}

/** Keys sorted as bake prints them (HCL map order). */
export function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Drops empty values: the provider treats "" as unknown, and an empty label says nothing. */
export function withoutEmpty(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ""));
}
