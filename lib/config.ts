import { parse as parseYaml } from "yaml";
import { ConfigErrors, ErrorList } from "./errors";
import { allCellNames } from "./matrix";
import { KEYS, NAMESPACE, SECRET_KEYS, fullKey, parseSettings, type RawConfig, type Settings } from "./settings";

/** Where a problem with a configuration file (not a key's value) is reported. */
export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = "ConfigFileError";
  }
}

const KNOWN = new Set<string>([...KEYS, ...SECRET_KEYS]);

function ownKey(key: string): string | undefined {
  if (key.startsWith(`${NAMESPACE}:`)) return key.slice(NAMESPACE.length + 1);
  return key.includes(":") ? undefined : key;
}

function parseDocument(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigFileError(file, `is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigFileError(file, "is not a YAML mapping");
  return doc as Record<string, unknown>;
}

/**
 * The defaults declared in Pulumi.yaml's `config:` block. The loader applies them itself:
 * under mocks, and in `targets`, no Pulumi CLI fills them in, and a second copy in code would drift.
 */
export function projectDefaults(text: string, file = "Pulumi.yaml"): Record<string, unknown> {
  const doc = parseDocument(text, file);
  const config = doc.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new ConfigFileError(file, "has a config: block that is not a mapping");
  const out: Record<string, unknown> = {};
  for (const [k, decl] of Object.entries(config as Record<string, unknown>)) {
    const key = ownKey(k);
    if (key === undefined) continue;
    if (decl !== null && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as Record<string, unknown>;
      if ("value" in d) out[key] = d.value;
      else if ("default" in d) out[key] = d.default;
    } else {
      out[key] = decl;
    }
  }
  return out;
}

/** The project's keys set in a stack file (`Pulumi.<stack>.yaml`), without namespace. */
export function stackValues(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text, file);
  const config = doc.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new ConfigFileError(file, "has a config: block that is not a mapping");
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    if (!k.startsWith(`${NAMESPACE}:`)) continue;
    out[k.slice(NAMESPACE.length + 1)] = v;
  }
  return out;
}

/** Stack values over project defaults, as Pulumi merges them; unknown keys of the namespace are errors (typos). */
export function mergeConfig(defaults: RawConfig, stack: RawConfig): Record<string, unknown> {
  const errors = new ErrorList();
  for (const k of Object.keys(stack)) {
    if (!KNOWN.has(k)) errors.add(fullKey(k), stack[k], `is not a configuration key of ${NAMESPACE}; expected one of ${[...KNOWN].join(", ")}`);
  }
  errors.throwIfAny();
  return { ...defaults, ...stack };
}

/** Raw merged configuration → Settings; throws ConfigErrors listing every problem. */
export function loadSettings(raw: RawConfig): Settings {
  return parseSettings(raw, allCellNames);
}

export { ConfigErrors };
