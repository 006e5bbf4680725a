import type { Cell } from "./matrix";
import { cellArgs, cellLabels, sortedEntries } from "./metadata";
import { cellTags } from "./naming";
import type { Settings } from "../config/settings";
import type { Stamp } from "./stamp";

/** One target as `docker buildx bake --print` prints it for upstream's docker-bake.hcl. */
export interface BakeTarget {
  annotations: string[];
  attest: string[];
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  tags: string[];
  target: string;
  platforms: string[];
  output: string[];
  /** Build secrets (bake's `secret`): the extra CA certificates, when configured. */
  secret?: string[];
}

export interface BakeFile {
  group: { default: { targets: string[] } };
  target: Record<string, BakeTarget>;
}

/** Upstream's exporter and attestations; the program pushes with its own exporter and attaches signed attestations with cosign. */
export const BAKE_OUTPUT = "type=image,oci-mediatypes=true,oci-artifact=true";
export const BAKE_ATTEST = ["type=provenance,mode=max", "type=sbom"] as const;

type BakeSettings = Pick<Settings, "extensions" | "barmanVersion" | "revision" | "buildArgs"> & Partial<Pick<Settings, "caCertificates">>;

export function bakeTarget(cell: Cell, settings: BakeSettings, stamp: Stamp): BakeTarget {
  const labels = cellLabels(cell, stamp, settings.revision);
  return {
    // Bake keeps upstream's comma form; builds write index: and manifest: entries apart (see resources/).
    annotations: sortedEntries(labels).map(([k, v]) => `index,manifest:${k}=${v}`),
    attest: [...BAKE_ATTEST],
    context: cell.context,
    dockerfile: cell.dockerfile,
    args: { ...cellArgs(cell, settings.extensions, settings.barmanVersion), ...settings.buildArgs },
    labels,
    tags: cellTags(cell, stamp),
    target: cell.target,
    platforms: [...cell.platforms],
    output: [BAKE_OUTPUT],
    // The same build secret the program gives the Image (resources/postgres-image.ts).
    ...(settings.caCertificates ? { secret: [`id=ca-certificates,src=${settings.caCertificates}`] } : {}),
  };
}

/** The bake file for the cells, all stamped with one build time, as `bake --print` would. */
export function bakeFile(cells: readonly Cell[], settings: BakeSettings, stamp: Stamp): BakeFile {
  const target: Record<string, BakeTarget> = {};
  for (const cell of cells) target[cell.name] = bakeTarget(cell, settings, stamp);
  return { group: { default: { targets: cells.map((c) => c.name) } }, target };
}
