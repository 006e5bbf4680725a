import * as pulumi from "@pulumi/pulumi";
import type { ImageOutput } from "../lib/outputs";
import { imageCatalogs, type ClusterImageCatalog } from "../lib/catalog";
import type { BuildSources } from "../lib/definition";
import { matrix } from "../lib/matrix";
import type { Settings } from "../lib/settings";
import { PostgresImage } from "./postgres-image";
import { promotedImages, type PromotedImage } from "./promotion";

export interface ProgramSecrets {
  /** `postgres-images:cosignPassword`, for signing mode key. */
  readonly cosignPassword?: pulumi.Output<string>;
  /** The PEM text of `postgres-images:caCertificates`, the builds' `ca-certificates` secret. */
  readonly caCertificates?: pulumi.Output<string>;
}

export interface ProgramOutputs {
  /** Cell name → what was pushed. */
  readonly images: pulumi.Output<Record<string, ImageOutput>>;
  /** The cells this stack builds, in bake order. */
  readonly targets: string[];
  readonly catalogs: pulumi.Output<ClusterImageCatalog[]>;
  /** The components, for callers that wire more resources to them. */
  readonly components: readonly (PostgresImage | PromotedImage)[];
}

/**
 * The whole program for validated settings: one PostgresImage per selected cell (or, on a production
 * stack with `promoteFrom`, one PromotedImage copying the testing stack's image by digest), and the
 * stack's outputs, the same shape either way.
 */
export function postgresImages(settings: Settings, sources: BuildSources, secrets: ProgramSecrets = {}): ProgramOutputs {
  const cells = matrix(settings);
  const components =
    settings.promoteFrom !== ""
      ? promotedImages(settings, cells, secrets.cosignPassword)
      : cells.map((cell) => new PostgresImage(cell.name, { cell, settings, sources, cosignPassword: secrets.cosignPassword, caCertificates: secrets.caCertificates }));
  const images = pulumi.output(
    Object.fromEntries(components.map((c, i) => [cells[i].name, { digest: c.digest, ref: c.ref, tags: c.tags, platforms: c.platforms }])),
  ) as pulumi.Output<Record<string, ImageOutput>>;
  const catalogs = pulumi
    .all([pulumi.all(components.map((c) => c.digest)), pulumi.all(components.map((c) => c.tags))])
    .apply(([digests, tags]) => imageCatalogs(cells.map((cell, i) => ({ cell, digest: digests[i], tags: tags[i] })), settings.catalogPublisher));
  return { images, targets: cells.map((c) => c.name), catalogs, components };
}
