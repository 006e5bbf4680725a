import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mergeConfig, projectDefaults, stackValues } from "../lib/config/stack-file";
import { loadSettings } from "../lib/load-settings";
import type { Settings } from "../lib/config/settings";

export const ROOT = join(__dirname, "..");
/** The golden fixture: upstream's default bake matrix after bullseye was retired (trixie and bookworm); SOURCE.md says where it came from. */
export const GOLDEN_DIR = join(ROOT, "test", "fixtures", "bake-2026-09");

export const DIGEST_A = `sha256:${"a".repeat(64)}`;
export const DIGEST_B = `sha256:${"b".repeat(64)}`;
export const DIGEST_C = `sha256:${"c".repeat(64)}`;

/** A part's key as a step is given it: the first 24 hex of the sha256 of its JSON (written out here, not the runner's keyHash). */
export function keyOf(key: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(key)).digest("hex").slice(0, 24);
}

/** Pulumi.yaml's defaults, read from the real file. */
export function defaults(): Record<string, unknown> {
  return projectDefaults(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));
}

/** The golden stack's values (namespace stripped). */
export function goldenStack(): Record<string, unknown> {
  const file = join(GOLDEN_DIR, "Pulumi.golden.yaml");
  return stackValues(readFileSync(file, "utf8"), file);
}

/**
 * The build time the golden fixture is rendered at, as its Pulumi.golden.yaml documents it
 * (`npm run targets -- --stack golden --json --timestamp T` must print expected.json).
 */
export function goldenTimestamp(): string {
  const file = join(GOLDEN_DIR, "Pulumi.golden.yaml");
  const m = /--timestamp\s+([0-9T:Z-]+)/.exec(readFileSync(file, "utf8"));
  if (!m) throw new Error(`${file}: no --timestamp in its documented command`);
  return m[1];
}

/** Settings for the defaults overridden by `overrides` (keys without namespace). */
export function settingsWith(overrides: Record<string, unknown> = {}): Settings {
  return loadSettings(mergeConfig(defaults(), overrides));
}
