import { createHash } from "node:crypto";

/**
 * The steps' bash scripts are files, `scripts/steps/NAME.sh` (shellchecked by `npm test`), not text in the
 * program: a Step records which script it ran, by name and content hash, so the stack state carries a line
 * per script instead of its text twice (inputs and outputs) for every step of every cell. Editing a script
 * changes its hash, which is an update that runs nothing (resources/step.ts), as editing its text was.
 * Every value reaches a script through its environment.
 */
export const STEP_SCRIPTS = [
  "stamp",
  "check-stamp",
  "tag",
  "check-tags",
  "sign",
  "verify",
  "attest-provenance",
  "attest-sbom",
  "reattest-provenance",
  "check-signatures",
  "check-provenance",
  "check-sbom",
  "promote",
  "scan",
  "sign-blob",
  "resolve",
] as const;

export type StepScriptName = (typeof STEP_SCRIPTS)[number];

/** Where the scripts are, relative to the project. */
export const STEP_SCRIPT_DIR = "scripts/steps";

/** What a Step records of the script it runs: its name, and the sha256 of its text and of every file it sources. */
export interface ScriptRef {
  readonly name: StepScriptName;
  readonly sha256: string;
}

export function stepScriptFile(name: StepScriptName): string {
  return `${STEP_SCRIPT_DIR}/${name}.sh`;
}

export function isScriptRef(x: unknown): x is ScriptRef {
  if (typeof x !== "object" || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r.name === "string" && (STEP_SCRIPTS as readonly string[]).includes(r.name) && typeof r.sha256 === "string" && /^[0-9a-f]{64}$/.test(r.sha256);
}

/**
 * The files a script sources, relative to its own folder, in order: the one form the scripts use,
 * `source "$(dirname "${BASH_SOURCE[0]}")/REL"` (or `source "$here/REL"` after `here=$(dirname …)`).
 */
export function sourcedFiles(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*source "(?:\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)|\$here)\/([A-Za-z0-9_./-]+)"\s*$/gm)) found.push(m[1]);
  return found;
}

/**
 * The hash a ScriptRef records: of the script's text and of each file it sources, transitively, each
 * named by its path relative to `scripts/steps`. `read` returns the text of such a path.
 */
export function scriptHash(name: StepScriptName, read: (path: string) => string): string {
  const h = createHash("sha256");
  const seen = new Set<string>();
  const add = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = read(path);
    h.update(`${path}\0${text}\0`);
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
    for (const rel of sourcedFiles(text)) add(normalise(dir + rel));
  };
  add(`${name}.sh`);
  return h.digest("hex");
}

/** `lib/../lib/x.sh` → `lib/x.sh`; a path that leaves scripts/steps is refused (the hash would not cover it). */
function normalise(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "." || part === "") continue;
    if (part === "..") {
      if (out.length === 0) throw new Error(`a step script sources ${path}, outside ${STEP_SCRIPT_DIR}`);
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

/**
 * One hash for the scripts a step made of parts runs (resources/parts-step.ts): each named once, in name order,
 * with its content hash. The step records it instead of a reference per part, and refuses to run when the
 * scripts now hash otherwise (one changed after the run was planned).
 */
export function scriptSetHash(refs: readonly ScriptRef[]): string {
  const lines = [...new Set(refs.map((r) => `${r.name}:${r.sha256}`))].sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 32);
}

/**
 * The variables each refresh check reads from its step's environment (STEP_STDOUT, the recorded output, is the
 * runner's own): a step made of parts keeps only these for its checks in its outputs, where a refresh finds
 * them, instead of each part's whole environment a second time. test/unit/step-scripts.test.ts reads the
 * scripts and fails when one reads a variable not listed here.
 */
export const CHECK_READS = {
  "check-stamp": ["STAMP_TAG_PREFIX", "STAMP_TAG_SUFFIX"],
  "check-tags": ["IMAGE_REF", "DIGEST", "TAGS"],
  // lib/presence.sh reads PLATFORM for the SBOM's scope only; listed, since it is read there.
  "check-signatures": ["IMAGE_REF", "PLATFORM"],
  "check-provenance": ["IMAGE_REF", "PLATFORM"],
  "check-sbom": ["IMAGE_REF", "PLATFORM"],
} as const satisfies Partial<Record<StepScriptName, readonly string[]>>;

/** What `check` reads of `env`: all of it for a script not in CHECK_READS. */
export function checkEnvironment(check: StepScriptName, env: Readonly<Record<string, string>>): Record<string, string> {
  const reads: readonly string[] | undefined = (CHECK_READS as Partial<Record<StepScriptName, readonly string[]>>)[check];
  return reads === undefined ? { ...env } : Object.fromEntries(Object.entries(env).filter(([k]) => reads.includes(k)));
}
