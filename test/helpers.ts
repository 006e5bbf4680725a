import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadSettings, mergeConfig, projectDefaults, stackValues } from "../lib/config";
import type { Settings } from "../lib/settings";

export const ROOT = join(__dirname, "..");
/** The team's shared contract, beside the repository (as in CI). */
export const SHARED = join(ROOT, "..", "shared");
export const GOLDEN_DIR = join(SHARED, "fixtures", "bake-default");

export const DIGEST_A = `sha256:${"a".repeat(64)}`;
export const DIGEST_B = `sha256:${"b".repeat(64)}`;
export const DIGEST_C = `sha256:${"c".repeat(64)}`;

/** Pulumi.yaml's defaults, read from the real file. */
export function defaults(): Record<string, unknown> {
  return projectDefaults(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));
}

/** The golden stack's values (namespace stripped). */
export function goldenStack(): Record<string, unknown> {
  const file = join(GOLDEN_DIR, "Pulumi.golden.yaml");
  return stackValues(readFileSync(file, "utf8"), file);
}

/** Settings for the defaults overridden by `overrides` (keys without namespace). */
export function settingsWith(overrides: Record<string, unknown> = {}): Settings {
  return loadSettings(mergeConfig(defaults(), overrides));
}
