import { csvRecord } from "./csv";
import type { Cell } from "../matrix/matrix";
import { cellArgs, cellLabels, sortedEntries, withoutEmpty } from "../matrix/metadata";
import { cellTags } from "../matrix/naming";
import type { Settings } from "../config/settings";
import type { Stamp } from "../matrix/stamp";

/**
 * The docker-build `Image` inputs of one cell, as plain data: resources/ hands them to the provider
 * unchanged, lib/build/definition.ts hashes them, tests compare them with the bake fixture.
 * Field names are the provider's input names (node_modules/@pulumi/docker-build/image.d.ts).
 */
export interface ImageSpec {
  /**
   * The cell's tags. Not an input of the Image: the provider pushes by digest only and the tag step
   * (lib/build/tag-command.ts) tags the pushed digest, so a rebuild the provider decides on moves no tag.
   */
  readonly tags: string[];
  readonly buildArgs: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly platforms: string[];
  readonly target: string;
  readonly context: { readonly location: string };
  readonly dockerfile: { readonly location: string };
  /** Pushing is the raw exporter's job (`push=true`): one exporter carries names, annotations and media types. */
  readonly push: false;
  /** A preview must not push; without a build it also has no digest, so nothing downstream runs. */
  readonly buildOnPreview: false;
  readonly exports: { readonly raw: string }[];
  readonly builder?: { readonly name: string };
  readonly cacheFrom?: { readonly registry: { readonly ref: string } }[];
  readonly cacheTo?: {
    readonly registry: { readonly ref: string; readonly mode: "max"; readonly imageManifest: true; readonly ociMediaTypes: true };
  }[];
}

export type ImageSettings = Pick<Settings, "extensions" | "barmanVersion" | "revision" | "buildArgs" | "builder" | "cacheRepository">;

/**
 * Stands in for the build time wherever a value must not depend on it (the definition hash).
 * Any fixed instant works; this one cannot be mistaken for a real build.
 */
export const PLACEHOLDER_STAMP = "1970-01-01T00:00:00Z" as Stamp;

/**
 * The raw `--output` value: one image exporter that pushes the image to `repository` by digest only
 * (no tag), with OCI media types and the annotations. `index:` and `manifest:` annotations are written
 * apart (buildx 0.13 mis-reads the comma form); a single-platform image has no index, so it gets
 * manifest annotations only.
 */
export function rawExporter(repository: string, annotations: Readonly<Record<string, string>>, multiPlatform: boolean): string {
  const fields = ["type=image", `name=${repository}`, "push-by-digest=true", "push=true", "oci-mediatypes=true", "oci-artifact=true"];
  const entries = sortedEntries(withoutEmpty(annotations));
  if (multiPlatform) for (const [k, v] of entries) fields.push(`annotation-index.${k}=${v}`);
  for (const [k, v] of entries) fields.push(`annotation-manifest.${k}=${v}`);
  return csvRecord(fields);
}

/** The cell's Image inputs for one build time. Empty args, labels and annotations are left out (the provider reads "" as unknown). */
export function imageSpec(cell: Cell, settings: ImageSettings, stamp: Stamp): ImageSpec {
  const tags = cellTags(cell, stamp);
  const labels = cellLabels(cell, stamp, settings.revision);
  const spec: ImageSpec = {
    tags,
    buildArgs: withoutEmpty({ ...cellArgs(cell, settings.extensions, settings.barmanVersion), ...settings.buildArgs }),
    labels: withoutEmpty(labels),
    platforms: [...cell.platforms],
    target: cell.target,
    context: { location: cell.context },
    dockerfile: { location: cell.dockerfile },
    push: false,
    buildOnPreview: false,
    // The annotations are the labels' 13 pairs (matrix-spec.md).
    exports: [{ raw: rawExporter(cell.repository, labels, cell.platforms.length > 1) }],
  };
  const builder = settings.builder === "" ? {} : { builder: { name: settings.builder } };
  const cache =
    settings.cacheRepository === ""
      ? {}
      : {
          cacheFrom: [{ registry: { ref: `${settings.cacheRepository}:${cell.name}` } }],
          cacheTo: [{ registry: { ref: `${settings.cacheRepository}:${cell.name}`, mode: "max", imageManifest: true, ociMediaTypes: true } as const }],
        };
  return { ...spec, ...builder, ...cache };
}
