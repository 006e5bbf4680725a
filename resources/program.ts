import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ImageOutput } from "../lib/outputs";
import { imageCatalogs, type ClusterImageCatalog } from "../lib/catalogs/catalog";
import type { BuildSources } from "../lib/build/definition";
import { matrix } from "../lib/matrix/matrix";
import type { Settings } from "../lib/config/settings";
import type { SigningSettings } from "../lib/config/signing-settings";
import { admissionPolicies, type ClusterImagePolicy, type KyvernoClusterPolicy } from "../lib/policies/policies";
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

/** An admission policy of the `policies` output. */
export type PolicyDocument = ClusterImagePolicy | KyvernoClusterPolicy;

const KMS_URI = /^[a-z0-9]+:\/\//;

/**
 * The `policies` output: the admission policies (lib/policies admissionPolicies: a policy-controller
 * ClusterImagePolicy and a Kyverno ClusterPolicy where each can work) admitting the stack's repository
 * (`settings.repository`, testing or production) signed by its signer, with its provenance. None for
 * `signing: {mode: none}` or a signer without `verify` (a policy names what verify names). The edge of lib/policies: a key signer's `verify.publicKey` file is read here, relative to
 * `workDir` (a KMS URI is named, not read); an unreadable file or one without a PEM public key stops
 * the run with one line.
 */
export function stackPolicies(settings: Settings, workDir: string = process.cwd()): pulumi.Output<PolicyDocument[]> {
  const signer = settings.signing;
  if (signer.mode === "none" || signer.verify === undefined) return pulumi.output([]);
  let pem: string | undefined;
  if (signer.mode === "key" && !KMS_URI.test(signer.verify.publicKey)) {
    const path = signer.verify.publicKey;
    try {
      pem = readFileSync(resolve(workDir, path), "utf8");
    } catch (e) {
      throw new pulumi.RunError(`public key ${JSON.stringify(path)} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}); the policies output names it (postgres-images:signing.verify.publicKey)`);
    }
    if (!pem.includes("-----BEGIN PUBLIC KEY-----")) {
      throw new pulumi.RunError(`public key ${JSON.stringify(path)} holds no PEM public key (-----BEGIN PUBLIC KEY-----) (postgres-images:signing.verify.publicKey)`);
    }
  }
  return pulumi.output<PolicyDocument[]>(admissionPolicies(settings.repository, signer, pem));
}
