import { createHash } from "node:crypto";
import { imageSpec, PLACEHOLDER_STAMP, type ImageSettings } from "./image-spec";
import type { Cell } from "../matrix/matrix";
import type { Settings } from "../config/settings";

/** What the build reads from disk, hashed once per run (lib/build/context-hash.ts). */
export interface BuildSources {
  /** sha256 hex of the build context as BuildKit receives it (after .dockerignore). */
  readonly contextHash: string;
  /** sha256 hex of the Dockerfile, which BuildKit reads even when .dockerignore leaves it out. */
  readonly dockerfileHash: string;
}

export type DefinitionSettings = ImageSettings & Pick<Settings, "rebuildEpoch">;

/** JSON with object keys sorted and undefined members dropped: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const obj = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .filter((k) => obj[k] !== undefined)
        .map((k) => [k, obj[k]]),
    );
  });
}

/** Bumped only when the hash's meaning changes; doing so rebuilds every cell once. */
const SCHEME = "postgres-images/definition/v1";

/**
 * sha256 over everything that defines the cell's image: its Image inputs with the build time
 * replaced by a fixed placeholder and the revision left out, the build context, the Dockerfile and `rebuildEpoch`.
 * The stamp command is replaced when this changes, so a new build always gets a new build time,
 * and a timestamped tag never names two different builds.
 */
export function definitionHash(cell: Cell, settings: DefinitionSettings, sources: BuildSources): string {
  const text = canonicalJson({
    scheme: SCHEME,
    // The revision is recorded with the build time (lib/build/stamp-command.ts), not part of the definition:
    // a commit that changes nothing the image is built from rebuilds nothing.
    image: imageSpec(cell, { ...settings, revision: "" }, PLACEHOLDER_STAMP),
    contextHash: sources.contextHash,
    dockerfileHash: sources.dockerfileHash,
    rebuildEpoch: settings.rebuildEpoch,
  });
  return createHash("sha256").update(text).digest("hex");
}
