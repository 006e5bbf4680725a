import { fullKey, ENVIRONMENTS } from "../config/settings";
import type { Cell } from "../matrix/matrix";
import { ErrorList, showValue, UserError } from "../errors";
import type { ActiveSigning } from "../signing/cosign";
import { parseSigning } from "../config/signing-settings";
import { isTimestampedTag } from "../matrix/naming";
import { isDigest, isTag } from "../config/reference";

/**
 * Promotion testing → production by digest: the production stack reads the testing stack's `images`
 * output and copies each selected cell's image index, unchanged, to the production repository.
 * This module is the pure part: which digest goes where under which tags, and what makes a testing
 * output unusable. Errors are one line each and name `postgres-images:promoteFrom`.
 */

/** One cell's promotion: copy `sourceRef` (testing, by digest) to every tag of `tags` (production). */
export interface Promotion {
  readonly cell: string;
  /** The testing digest; production serves exactly this digest. */
  readonly digest: string;
  /** `TESTING_REPO@sha256:…`. */
  readonly sourceRef: string;
  /** `PROD_REPO@sha256:…`, the same digest. */
  readonly ref: string;
  /** The testing tags with the testing repository replaced by the production repository, in order. */
  readonly tags: readonly string[];
  /** The production timestamped tag among `tags`: it names this build and never moves. */
  readonly pinnedTag: string;
  readonly platforms: readonly string[];
}

export interface PromotionSource {
  /** `promoteFrom` as configured: the testing stack's name. */
  readonly stack: string;
  /** `REGISTRY/postgresql-testing`: where the testing images must be. */
  readonly testingRepository: string;
  /** `REGISTRY/postgresql`. */
  readonly productionRepository: string;
}

/** A testing output that cannot be promoted. The resource layer turns it into a pulumi.RunError. */
export class PromotionError extends UserError {}

/** The testing repository of a registry: promotion copies within one registry (testing and production stacks share `registry`). */
export function testingRepository(registry: string): string {
  return `${registry}/${ENVIRONMENTS.testing}`;
}

function fail(source: PromotionSource, what: string): never {
  throw new PromotionError(`${fullKey("promoteFrom")}: stack ${JSON.stringify(source.stack)} ${what}`);
}

/** Quotes a value from the testing stack's outputs the way configuration errors quote values. */
const quoted = showValue;

/**
 * `REPO:17-minimal-trixie` (testing) → `PROD_REPO:17-minimal-trixie`. Every tag must be the testing
 * repository's and a valid tag; the production tags keep the testing order.
 */
export function productionTags(cell: string, tags: unknown, source: PromotionSource): string[] {
  if (!Array.isArray(tags) || tags.length === 0) fail(source, `has no tags for cell ${JSON.stringify(cell)} (got ${quoted(tags)}); expected a list of ${source.testingRepository}:TAG`);
  const prefix = `${source.testingRepository}:`;
  const out: string[] = [];
  for (const tag of tags) {
    if (typeof tag !== "string" || !tag.startsWith(prefix) || !isTag(tag.slice(prefix.length))) {
      fail(source, `has tag ${quoted(tag)} for cell ${JSON.stringify(cell)}; expected ${source.testingRepository}:TAG (promotion copies from the testing repository of the same registry)`);
    }
    const prod = `${source.productionRepository}:${tag.slice(prefix.length)}`;
    if (!out.includes(prod)) out.push(prod);
  }
  return out;
}

function cellPromotion(cell: Cell, entry: unknown, source: PromotionSource): Promotion {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) fail(source, `has ${quoted(entry)} for cell ${JSON.stringify(cell.name)}; expected {digest, ref, tags, platforms}`);
  const e = entry as Record<string, unknown>;
  const ref = e.ref;
  const expected = `${source.testingRepository}@sha256:<64 hex digits>`;
  if (typeof ref !== "string" || !ref.startsWith(`${source.testingRepository}@`) || !isDigest(ref.slice(source.testingRepository.length + 1))) {
    fail(source, `has ref ${quoted(ref)} for cell ${JSON.stringify(cell.name)}; expected ${expected} (promotion copies by digest from the testing repository of the same registry)`);
  }
  const digest = ref.slice(source.testingRepository.length + 1);
  if (e.digest !== digest) fail(source, `has digest ${quoted(e.digest)} for cell ${JSON.stringify(cell.name)}, but its ref names ${digest}`);
  const platforms = e.platforms;
  if (!Array.isArray(platforms) || platforms.length === 0 || !platforms.every((p) => typeof p === "string")) {
    fail(source, `has platforms ${quoted(platforms)} for cell ${JSON.stringify(cell.name)}; expected a list such as ["linux/amd64"]`);
  }
  // Production attests one SBOM per platform, named by this stack's platforms: they must be the image's.
  const built = [...platforms].sort();
  const own = [...cell.platforms].sort();
  if (built.length !== own.length || built.some((p, i) => p !== own[i])) {
    fail(source, `built cell ${JSON.stringify(cell.name)} for ${built.join(", ")}, but this stack's platforms are ${own.join(", ")}; set postgres-images:platforms the same in both stacks`);
  }
  const tags = productionTags(cell.name, e.tags, source);
  const pinnedTag = tags.find((t) => isTimestampedTag(cell, t));
  if (pinnedTag === undefined) fail(source, `has no timestamped tag (${source.testingRepository}:${cell.version.clean}-YYYYMMDDhhmm-${cell.type}-${cell.base.distro}) for cell ${JSON.stringify(cell.name)}`);
  return { cell: cell.name, digest, sourceRef: ref, ref: `${source.productionRepository}@${digest}`, tags, pinnedTag, platforms: [...platforms] };
}

/**
 * The testing stack's `signer` output (its `signing` settings) as the signer production verifies every
 * testing image against before copying it: it must sign, and say how it is verified.
 */
export function testingSigner(value: unknown, source: PromotionSource): ActiveSigning {
  if (value === undefined || value === null) fail(source, "has no signer output; run pulumi up in it with this version of the program first (production verifies each testing image's signature before copying it)");
  const errors = new ErrorList();
  const signing = parseSigning(value, errors);
  if (!errors.empty) fail(source, `has a signer output that is not a signing configuration (${errors.errors.map((x) => x.message).join("; ")})`);
  if (signing.mode === "none") fail(source, "does not sign its images (signing mode none); production promotes only images it can verify as signed by the testing signer");
  if (signing.verify === undefined) fail(source, "signs without a verification policy (signing.verify); production verifies each testing image before copying it, so give the testing stack's signing a verify");
  return signing;
}

/**
 * The promotions of the production stack's selected cells (`matrix(settings)`, in its order) from the
 * testing stack's `images` output. Cells of the testing stack that production does not select are
 * ignored; a selected cell the testing stack has not built is an error naming every such cell.
 */
export function planPromotions(cells: readonly Cell[], images: unknown, source: PromotionSource): Promotion[] {
  if (images === undefined || images === null) {
    fail(source, "has no images output; expected a deployed testing stack of postgres-images (pulumi stack output images --stack …)");
  }
  if (typeof images !== "object" || Array.isArray(images)) fail(source, `has an images output that is not a map of cell name to image (got ${quoted(images)})`);
  const byCell = images as Record<string, unknown>;
  const missing = cells.filter((c) => !Object.prototype.hasOwnProperty.call(byCell, c.name)).map((c) => JSON.stringify(c.name));
  if (missing.length > 0) {
    const list = missing.length > 5 ? `${missing.slice(0, 5).join(", ")} and ${missing.length - 5} more` : missing.join(", ");
    fail(source, `has no image for cell${missing.length > 1 ? "s" : ""} ${list}; build it in testing first or narrow targets`);
  }
  return cells.map((c) => cellPromotion(c, byCell[c.name], source));
}
