import { basename } from "node:path";
import * as YAML from "yaml";
import { ConfigError, ConfigErrors, ErrorList, HIDDEN, UserError, Written } from "../errors";
import { describeKind, keptAsWritten, plainKind, type PlainKind } from "./yaml-scalars";
import { KEYS, NAMESPACE, SECRET_KEYS, fullKey, type RawConfig } from "./settings";

/** Where a problem with a configuration file (not a key's value) is reported. */
export class ConfigFileError extends UserError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

const KNOWN = new Set<string>([...KEYS, ...SECRET_KEYS]);

/** A stack file's key → our key: `postgres-images:KEY`, or a bare `KEY` (the CLI puts it in the project's namespace). */
function ownKey(key: string): string | undefined {
  if (key.startsWith(`${NAMESPACE}:`)) return key.slice(NAMESPACE.length + 1);
  return key.includes(":") ? undefined : key;
}

function parseDocument(text: string, file: string): YAML.Document {
  // merge: the CLI's YAML reader applies `<<:` merge keys; uniqueKeys: it refuses a key given twice.
  const doc = YAML.parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error !== undefined) {
    // The line and column a user opens the file at (1-based), from the error's offset in the text.
    const before = text.slice(0, error.pos[0]).split("\n");
    throw new ConfigFileError(file, `is not valid YAML at line ${before.length}, column ${before[before.length - 1].length + 1}: ${error.message.split("\n")[0]}`);
  }
  const root = doc.contents;
  if (root !== null && !YAML.isMap(root)) throw new ConfigFileError(file, "is not a YAML mapping");
  return doc;
}

/** A configuration file's values, as the Pulumi CLI hands them to the program, and what is wrong with how they are written. */
export interface ConfigFile {
  /** Values by key without namespace: top-level scalars as text, lists and maps as structured values. */
  readonly values: Record<string, unknown>;
  /** Values the CLI would not pass on as written (unquoted numbers, booleans, nulls), plain-text secrets. */
  readonly problems: readonly ConfigError[];
}

type Where = "top" | "list" | "map";

class FileReader {
  readonly problems: ConfigError[] = [];
  constructor(private readonly doc: YAML.Document) {}

  /** A node → the value the CLI hands on; `path` names it in error lines (`postgres-images:signing.mode`). */
  value(node: unknown, path: string, where: Where): unknown {
    if (YAML.isAlias(node)) return this.value(node.resolve(this.doc), path, where);
    if (node === null || node === undefined) return this.plain("", path, where, null);
    if (YAML.isScalar(node)) {
      if (node.type !== "PLAIN" || node.tag !== undefined) return node.value;
      return this.plain(node.source ?? String(node.value), path, where, node.value);
    }
    if (YAML.isSeq(node)) return node.items.map((item, i) => this.value(item, `${path}[${i}]`, "list"));
    if (YAML.isMap(node)) return this.map(node, path);
    return undefined;
  }

  /** A map's entries, merge keys applied: explicit keys first, then merged ones not already set. */
  entries(node: YAML.YAMLMap): [string, unknown][] {
    const out = new Map<string, unknown>();
    const merges: unknown[] = [];
    for (const pair of node.items) {
      const key = YAML.isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === "symbol" || key === "<<") merges.push(pair.value);
      else out.set(String(key), pair.value);
    }
    for (const m of merges) {
      const resolved = YAML.isAlias(m) ? m.resolve(this.doc) : m;
      const sources = YAML.isSeq(resolved) ? resolved.items.map((i) => (YAML.isAlias(i) ? i.resolve(this.doc) : i)) : [resolved];
      for (const source of sources) {
        if (!YAML.isMap(source)) continue;
        for (const [k, v] of this.entries(source)) if (!out.has(k)) out.set(k, v);
      }
    }
    return [...out];
  }

  map(node: YAML.YAMLMap, path: string): Record<string, unknown> {
    return Object.fromEntries(this.entries(node).map(([k, v]) => [k, this.value(v, path === "" ? k : `${path}.${k}`, "map")]));
  }

  private plain(text: string, path: string, where: Where, parsed: unknown): unknown {
    const kind = plainKind(text);
    if (kind === "string") return text;
    if (where === "top") {
      // The CLI passes an empty top-level value on as "" (with a warning of its own).
      if (kind === "null") return "";
      if (!keptAsWritten(text)) this.notAsWritten(path, text, kind);
      return text;
    }
    if (where === "list") {
      this.problems.push(
        new ConfigError(path, new Written(kind === "null" ? "(empty)" : text), kind === "null" ? "is an empty YAML value; write the item as a quoted string or remove it" : `is ${describeKind(kind)}, not a string; quote it: "${text}"`),
      );
      return parsed;
    }
    // In a map the CLI hands on JSON: a boolean or an empty value keeps its meaning there, a number may not.
    if ((kind === "int" || kind === "float") && !keptAsWritten(text)) this.notAsWritten(path, text, kind);
    return parsed;
  }

  private notAsWritten(path: string, text: string, kind: PlainKind): void {
    this.problems.push(new ConfigError(path, new Written(text), `is ${describeKind(kind)}, which Pulumi does not pass on as written; quote it: "${text}"`));
  }
}

function configBlock(doc: YAML.Document, file: string): YAML.YAMLMap | undefined {
  const root = doc.contents;
  if (!YAML.isMap(root)) return undefined;
  const config = root.get("config", true);
  if (config === undefined || config === null || (YAML.isScalar(config) && config.value === null)) return undefined;
  if (!YAML.isMap(config)) throw new ConfigFileError(file, "has a config: block that is not a mapping");
  return config;
}

/**
 * The defaults declared in Pulumi.yaml's `config:` block. The loader applies them itself:
 * under mocks, and in `targets`, no Pulumi CLI fills them in, and a second copy in code would drift.
 */
export function readProjectFile(text: string, file = "Pulumi.yaml"): ConfigFile {
  const doc = parseDocument(text, file);
  const reader = new FileReader(doc);
  const values: Record<string, unknown> = {};
  const config = configBlock(doc, file);
  for (const [k, decl] of Object.entries(config === undefined ? {} : reader.map(config, ""))) {
    const key = ownKey(k);
    if (key === undefined) continue;
    if (decl !== null && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as Record<string, unknown>;
      if ("value" in d) values[key] = d.value;
      else if ("default" in d) values[key] = d.default;
    } else {
      values[key] = decl;
    }
  }
  return { values, problems: [] };
}

/** The project's keys set in a stack file (`Pulumi.<stack>.yaml`), without namespace, and how they are written. */
export function readStackFile(text: string, file: string): ConfigFile {
  const doc = parseDocument(text, file);
  const reader = new FileReader(doc);
  const values: Record<string, unknown> = {};
  const config = configBlock(doc, file);
  if (config === undefined) return { values, problems: [] };
  for (const [k, node] of reader.entries(config)) {
    const key = ownKey(k);
    if (key === undefined) continue;
    const v = reader.value(node, fullKey(key), "top");
    const secure = v !== null && typeof v === "object" && "secure" in v;
    if ((SECRET_KEYS as readonly string[]).includes(key) && !secure) {
      reader.problems.push(new ConfigError(fullKey(key), HIDDEN, `is set in plain text in ${basename(file)}; set it with pulumi config set --secret ${key}`));
      continue;
    }
    values[key] = v;
  }
  return { values, problems: reader.problems };
}

/** The defaults declared in Pulumi.yaml (values only). */
export function projectDefaults(text: string, file = "Pulumi.yaml"): Record<string, unknown> {
  return readProjectFile(text, file).values;
}

/** A stack file's values only; `readStackFile` also says what is wrong with how they are written. */
export function stackValues(text: string, file: string): Record<string, unknown> {
  return readStackFile(text, file).values;
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

export { ConfigErrors };
