/**
 * Promotion testing → production by digest. A production stack with `promoteFrom` builds nothing: it
 * reads the testing stack's `images` output and, per selected cell, scans each platform of the testing
 * image (the scan gate), copies it by digest to the production tags, checks that every tag serves exactly
 * that digest, then signs and attests it with the production identity and verifies.
 */
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ENV, isSigning, promoteCommand, type ActiveSigning, type CosignCommand } from "../lib/signing/cosign";
import type { Cell } from "../lib/matrix/matrix";
import { planPromotions, PromotionError, testingRepository, testingSigner, type Promotion } from "../lib/promotion/promotion";
import { TAG_CHECK_SCRIPT, TAG_ENV } from "../lib/build/tag-command";
import type { Settings } from "../lib/config/settings";
import { SCAN_ENV, SCAN_SCRIPT } from "../lib/scan/scan-command";
import { PROJECT_DIR } from "./project-dir";
import { PartsStep } from "./parts-step";
import { platformSlug, signatureParts } from "./signature";
import { Step, stepScript } from "./step";

export const PROMOTED_IMAGE_TYPE = "postgres-images:index:PromotedImage";

/**
 * A pulumi.RunError (printed without stack trace) that keeps its one line. An error thrown inside an
 * apply reaches the engine through the inputs of every resource that consumes the Output, and the
 * SDK's serializer prefixes `error serializing property "environment": ` onto the *same* error object
 * for each property level it passes (sdk/nodejs/runtime/rpc.ts serializeAllProperties), so the user
 * would read a growing chain of prefixes. The message here ignores those writes; the SDK still
 * reports the error once (it dedupes by identity) and the run fails.
 */
export function oneLineRunError(message: string): pulumi.RunError {
  const error = new pulumi.RunError(message);
  Object.defineProperty(error, "message", { get: () => message, set: () => undefined, enumerable: false, configurable: true });
  return error;
}

/**
 * The promotions of `cells` from the testing stack `settings.promoteFrom`, through one StackReference.
 * The testing outputs only arrive as an Output, so a bad one fails inside apply: as a one-line
 * RunError, which every resource consuming it (and the stack outputs) then fails with; nothing runs.
 */
export function testingPromotions(settings: Settings, cells: readonly Cell[]): pulumi.Output<{ promotions: Promotion[]; command: CosignCommand; signer: ActiveSigning }> {
  const testing = new pulumi.StackReference(settings.promoteFrom);
  const source = { stack: settings.promoteFrom, testingRepository: testingRepository(settings.registry), productionRepository: settings.repository };
  return pulumi.all([testing.getOutput("images"), testing.getOutput("signer")]).apply(([images, signer]: unknown[]) => {
    try {
      // The copy verifies each testing image against the testing stack's own signer first.
      const promotions = planPromotions(cells, images, source);
      const testing = testingSigner(signer, source);
      return { promotions, command: promoteCommand(testing), signer: testing };
    } catch (e) {
      if (e instanceof PromotionError) throw oneLineRunError(e.message);
      throw e;
    }
  });
}

export interface PromotedImageArgs {
  /** The production stack's cell (its repository is the production one). */
  readonly cell: Cell;
  readonly settings: Settings;
  readonly promotion: pulumi.Output<Promotion>;
  /** The copy, with the testing signer's verification. */
  readonly command: pulumi.Output<CosignCommand>;
  /** The testing stack's signer: the provenance carried over must be signed by it. */
  readonly testingSigner: pulumi.Output<ActiveSigning>;
  readonly cosignPassword?: pulumi.Output<string>;
}

/** The scan step's output line (cli/scan-gate.ts): counts and the report's path. */
export interface ScanSummary {
  readonly platform: string;
  readonly passed: boolean;
  readonly blocking: readonly string[];
  readonly allowed: readonly string[];
  readonly unfixed: number;
  readonly belowThreshold: number;
  readonly report: string;
}

/** Where the scan reports are kept: POSTGRES_IMAGES_SCAN_REPORTS, else `scan-reports/` in the project (git-ignored). */
export function scanReportDir(): string {
  const dir = process.env.POSTGRES_IMAGES_SCAN_REPORTS;
  return dir === undefined || dir === "" ? join(PROJECT_DIR, "scan-reports") : resolve(dir);
}

/** One promoted cell: the copy by digest, then the production signature and attestations. */
export class PromotedImage extends pulumi.ComponentResource {
  readonly digest: pulumi.Output<string>;
  readonly ref: pulumi.Output<string>;
  readonly tags: pulumi.Output<string[]>;
  readonly platforms: pulumi.Output<string[]>;
  /** What the scan gate found on each platform (empty with `scanGate: {mode: none}`). */
  readonly scans: pulumi.Output<ScanSummary[]>;

  constructor(name: string, args: PromotedImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PROMOTED_IMAGE_TYPE, name, {}, opts);
    const { cell, settings, promotion } = args;
    const testingDigest = promotion.apply((p) => p.digest);
    const c = args.command;

    // The scan gate: each platform of the testing image scanned by digest before anything is copied; a
    // blocked platform fails its step, so this cell is not promoted and the others go on. It runs again for
    // a new testing digest or a new gate (triggers), never for an unchanged one.
    const gate = settings.scanGate;
    const scans =
      gate.mode === "none"
        ? []
        : cell.platforms.map(
            (platform) =>
              new Step(
                `${cell.name}-scan-${platformSlug(platform)}`,
                {
                  script: stepScript(SCAN_SCRIPT),
                  environment: {
                    [SCAN_ENV.ref]: promotion.apply((p) => p.sourceRef),
                    [SCAN_ENV.platform]: platform,
                    [SCAN_ENV.cell]: cell.name,
                    [SCAN_ENV.report]: join(scanReportDir(), `${cell.name}-${platformSlug(platform)}.json`),
                    [SCAN_ENV.gate]: JSON.stringify(gate),
                  },
                  triggers: [testingDigest, JSON.stringify(gate)],
                },
                { parent: this },
              ),
          );
    this.scans = pulumi.all(scans.map((s) => s.stdout)).apply((outs) => outs.map((o) => (o === undefined || o === "" ? undefined : (JSON.parse(o.trim().split("\n").pop()!) as ScanSummary))).filter((x): x is ScanSummary => x !== undefined));

    // Runs when created, i.e. for a new testing digest (`triggers`), or after a refresh found a production
    // tag missing or moved (its check is the tag step's, on the production reference); an unchanged digest
    // copies nothing.
    const promote = new Step(
      `${cell.name}-promote`,
      {
        script: c.apply((x) => stepScript(x.script)),
        environment: pulumi.all([c, promotion]).apply(([x, p]) => ({
          ...x.environment,
          [ENV.sourceRef]: p.sourceRef,
          [ENV.digest]: p.digest,
          [ENV.tags]: p.tags.join("\n"),
          [ENV.pinned]: p.pinnedTag,
          [TAG_ENV.imageRef]: p.ref,
        })),
        triggers: [testingDigest],
        check: stepScript(TAG_CHECK_SCRIPT),
      },
      { parent: this, dependsOn: scans },
    );

    // The copy printed the digest its tags resolve to; it must be the testing digest.
    this.digest = pulumi.all([promotion, promote.stdout]).apply(([p, out]) => {
      const printed = (out ?? "").trim().split("\n").pop() ?? "";
      if (printed !== p.digest && !(pulumi.runtime.isDryRun() && printed === "")) {
        throw oneLineRunError(`${cell.name}-promote: the production tags resolve to ${JSON.stringify(printed)}, not the testing digest ${p.digest}`);
      }
      return p.digest;
    });
    this.ref = promotion.apply((p) => p.ref);
    this.tags = promotion.apply((p) => [...p.tags]);
    this.platforms = promotion.apply((p) => [...p.platforms]);

    if (isSigning(settings.signing)) {
      // The production signature is on PROD_REPO@DIGEST; the SBOMs are made again from the promoted image and
      // the testing build's provenance is attested again, so production's attestations carry its own identity.
      // The parts of one step (resources/parts-step.ts); a state written before the parts had `-sign` as a Step.
      const reattestFrom = { sourceRef: promotion.apply((p) => p.sourceRef), signer: args.testingSigner };
      const signature = signatureParts({ cell, signing: settings.signing, password: args.cosignPassword, reattestFrom });
      new PartsStep(
        `${cell.name}-signature`,
        { triggers: [testingDigest], environment: { [ENV.imageRef]: this.ref }, secretEnvironment: signature.secretEnvironment, parts: signature.parts },
        { parent: this, dependsOn: [promote], aliases: [{ name: `${cell.name}-sign` }] },
      );
    }

    // The stack outputs carry these (resources/program.ts, where a failed cell is left out); registering
    // them here too would report a failed cell a second time, as an unhandled exception of the program.
    this.registerOutputs({});
  }
}

/** One PromotedImage per cell, in order, from a single StackReference. */
export function promotedImages(settings: Settings, cells: readonly Cell[], cosignPassword?: pulumi.Output<string>): PromotedImage[] {
  const planned = testingPromotions(settings, cells);
  const command = planned.apply((p) => p.command);
  const testingSigner = planned.apply((p) => p.signer);
  return cells.map((cell, i) => new PromotedImage(cell.name, { cell, settings, promotion: planned.apply((p) => p.promotions[i]), command, testingSigner, cosignPassword }));
}
