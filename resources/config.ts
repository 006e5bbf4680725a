/**
 * The program's edge: stack configuration and files → validated inputs, or a one-line-per-problem
 * RunError before any resource is registered (Pulumi prints a RunError without a stack trace).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigFileError, loadSettings, mergeConfig, projectDefaults } from "../lib/config";
import { BuildSourceError, readBuildSources } from "../lib/context-hash";
import type { BuildSources } from "../lib/definition";
import { ConfigErrors } from "../lib/errors";
import { NAMESPACE, SECRET_KEYS, type Settings } from "../lib/settings";
import type { ProgramSecrets } from "./program";

export interface ProgramInputs {
  readonly settings: Settings;
  readonly sources: BuildSources;
  readonly secrets: ProgramSecrets;
}

/** The stack's values of our namespace, as Pulumi hands them to the program (structured values as JSON text). */
export function stackConfig(): Record<string, unknown> {
  const prefix = `${NAMESPACE}:`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(pulumi.runtime.allConfig())) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function projectFileDefaults(projectDir: string): Record<string, unknown> {
  const file = join(projectDir, "Pulumi.yaml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigFileError(file, "cannot be read");
  }
  return projectDefaults(text, file);
}

/**
 * Pulumi.yaml's defaults (read here too: under mocks no CLI applies them) under the stack's values,
 * validated; then the build context and Dockerfile hashes, relative to `cwd`.
 */
export function readProgramInputs(projectDir: string, cwd: string = process.cwd()): ProgramInputs {
  try {
    const settings = loadSettings(mergeConfig(projectFileDefaults(projectDir), stackConfig()));
    const sources = readBuildSources(settings, cwd);
    const cosignPassword = new pulumi.Config(NAMESPACE).getSecret("cosignPassword");
    return { settings, sources, secrets: { cosignPassword } };
  } catch (e) {
    if (e instanceof ConfigErrors || e instanceof ConfigFileError || e instanceof BuildSourceError) throw new pulumi.RunError(redactSecrets(e.message));
    throw e;
  }
}

/**
 * Error lines quote the offending value; a value set with `--secret` (a misspelt secret key, say)
 * must not reach the console that way.
 */
function redactSecrets(message: string): string {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  let out = message;
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const secret = runtime.isConfigSecret?.(key) ?? (SECRET_KEYS as readonly string[]).includes(key.slice(NAMESPACE.length + 1));
    if (!secret || value.length < 3) continue;
    // Values appear JSON-quoted in error lines; replace the quoted form, then any raw occurrence.
    out = out.split(JSON.stringify(value)).join('"[secret]"').split(value).join("[secret]");
  }
  return out;
}
