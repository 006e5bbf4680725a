/**
 * Every name the matrix gives, in one place: the cell (`postgresql-{lead}-{type}-{distro}`), its two
 * rolling tags and its timestamped tag (`REPO:{clean}-{YYYYMMDDhhmm}-{type}-{distro}`, which names one
 * build and never moves). Everything else reads them from here: the program, `targets` (and through its
 * `--json`, the CI scripts, which match no name pattern of their own), catalogs and promotion.
 */
import type { PgVersion } from "../config/versions";
import { stampTag, type Stamp } from "./stamp";

/** What a cell's names are made of: a matrix Cell has it (named here, so naming.ts does not import the matrix that imports it). */
export interface TaggedCell {
  readonly repository: string;
  readonly version: PgVersion;
  readonly type: string;
  readonly base: { readonly distro: string };
}

/** `postgresql-17-minimal-trixie`, `postgresql-19beta3-system-bookworm`. */
export function cellName(version: PgVersion, type: string, distro: string): string {
  return `postgresql-${version.lead}-${type}-${distro}`;
}

/** The timestamped tag around its minute: `prefix + YYYYMMDDhhmm + suffix` is `timestampedTag(cell, stamp)`. */
export function timestampedTagParts(cell: TaggedCell): { readonly prefix: string; readonly suffix: string } {
  return { prefix: `${cell.repository}:${cell.version.clean}-`, suffix: `-${cell.type}-${cell.base.distro}` };
}

/** The tag that names one build and nothing else: never moved to other content. */
export function timestampedTag(cell: TaggedCell, stamp: Stamp): string {
  const { prefix, suffix } = timestampedTagParts(cell);
  return `${prefix}${stampTag(stamp)}${suffix}`;
}

/** Whether `tag` is `cell`'s timestamped tag of some minute. */
export function isTimestampedTag(cell: TaggedCell, tag: string): boolean {
  const { prefix, suffix } = timestampedTagParts(cell);
  return tag.startsWith(prefix) && tag.endsWith(suffix) && /^[0-9]{12}$/.test(tag.slice(prefix.length, tag.length - suffix.length));
}

/** The three tags of each cell (matrix-spec.md), in order, duplicates dropped; the same for every base. */
export function cellTags(cell: TaggedCell, stamp: Stamp): string[] {
  const { version: v, type, base, repository: repo } = cell;
  return [...new Set([`${repo}:${v.lead}-${type}-${base.distro}`, `${repo}:${v.clean}-${type}-${base.distro}`, timestampedTag(cell, stamp)])];
}
