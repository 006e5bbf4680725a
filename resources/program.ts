import * as pulumi from "@pulumi/pulumi";
import type { ImageOutput } from "../lib/outputs";
import { imageCatalogs, type ClusterImageCatalog } from "../lib/catalogs/catalog";
import type { BuildSources } from "../lib/build/definition";
import { matrix } from "../lib/matrix/matrix";
import type { Settings } from "../lib/config/settings";
import type { SigningSettings } from "../lib/config/signing-settings";
import { PostgresImage } from "./postgres-image";
import { PromotedImage, promotedImages, type ScanSummary } from "./promotion";

export interface ProgramSecrets {
  /** `postgres-images:cosignPassword`, for signing mode key. */
  readonly cosignPassword?: pulumi.Output<string>;
  /** The PEM text of `postgres-images:caCertificates`, the builds' `ca-certificates` secret. */
  readonly caCertificates?: pulumi.Output<string>;
}

export interface ProgramOutputs {
  /** Cell name → what was pushed; a cell that failed in this run is not listed. */
  readonly images: pulumi.Output<Record<string, ImageOutput>>;
  /** The cells this stack builds, in bake order. */
  readonly targets: string[];
  readonly catalogs: pulumi.Output<ClusterImageCatalog[]>;
  /** How this stack's signatures are verified: its `signing` (no secret in it). A production stack verifies each testing image against its testing stack's. */
  readonly signer: SigningSettings;
  /** A production stack's scan gate: cell name → each platform's scan (counts, report file); a cell whose scan failed or did not run is not listed. */
  readonly scans: pulumi.Output<Record<string, ScanSummary[]>>;
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
  // A cell whose build or tagging failed in this run is left out of the outputs (and the run fails):
  // without `recover`, one failed cell would keep every cell's outputs at the last successful run's.
  const settled = components.map((c) =>
    pulumi.recover(pulumi.output({ digest: c.digest, ref: c.ref, tags: c.tags, platforms: c.platforms }) as pulumi.Output<ImageOutput | undefined>, () => undefined),
  );
  const built = pulumi.all(settled).apply((entries) => cells.flatMap((cell, i) => (entries[i] === undefined ? [] : [{ cell, image: entries[i] }])));
  const images = built.apply((bs) => Object.fromEntries(bs.map(({ cell, image }) => [cell.name, image])));
  const catalogs = built.apply((bs) => imageCatalogs(bs.map(({ cell, image }) => ({ cell, digest: image.digest, tags: image.tags })), settings.catalogPublisher));
  const scanned = components.map((c) => (c instanceof PromotedImage ? pulumi.recover(c.scans as pulumi.Output<ScanSummary[] | undefined>, () => undefined) : pulumi.output(undefined)));
  const scans = pulumi.all(scanned).apply((entries) => Object.fromEntries(cells.flatMap((cell, i) => (entries[i] === undefined || entries[i].length === 0 ? [] : [[cell.name, entries[i]]]))));
  return { images, targets: cells.map((c) => c.name), catalogs, signer: settings.signing, scans, components };
}
