/**
 * The program's edge: stack configuration and files → validated inputs, or a one-line-per-problem
 * RunError before any resource is registered (Pulumi prints a RunError without a stack trace).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigFileError, mergeConfig, projectDefaults, readStackFile } from "../lib/config/stack-file";
import { loadSettings } from "../lib/load-settings";
import { BuildSourceError, readBuildSources } from "../lib/build/context-hash";
import type { BuildSources } from "../lib/build/definition";
import { ConfigError, HIDDEN, UserError } from "../lib/errors";
import { NAMESPACE, SECRET_KEYS, fullKey, type Settings } from "../lib/config/settings";
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
 * What is wrong with how the stack's values are written, which the values the CLI hands on no longer
 * show (an unquoted `17.10` arrives as 17.1, `2026.10` as "2026.1"): the stack file read as `targets`
 * reads it, when the stack has one in `cwd`. Config from elsewhere (`--config-file`, an environment)
 * is checked by its values only. Plus secrets the CLI holds in plain text.
 */
function writtenProblems(cwd: string): ConfigError[] {
  const file = join(cwd, `Pulumi.${pulumi.getStack()}.yaml`);
  const problems = existsSync(file) ? [...readStackFile(readFileSync(file, "utf8"), file).problems] : [];
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  for (const key of SECRET_KEYS) {
    const full = fullKey(key);
    const set = pulumi.runtime.allConfig()[full] !== undefined;
    if (set && runtime.isConfigSecret?.(full) === false && !problems.some((p) => p.key === full)) {
      problems.push(new ConfigError(full, HIDDEN, `is set in plain text; set it with pulumi config set --secret ${key}`));
    }
  }
  return problems;
}

/** The extra CA certificates the build gets as its `ca-certificates` secret: a readable PEM file. */
function readCaCertificates(path: string, cwd: string): string {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new BuildSourceError(`CA certificates ${JSON.stringify(path)} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}) (postgres-images:caCertificates)`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new BuildSourceError(`CA certificates ${JSON.stringify(path)} holds no PEM certificate (postgres-images:caCertificates)`);
  return text;
}

/**
 * Pulumi.yaml's defaults (read here too: under mocks no CLI applies them) under the stack's values,
 * validated; then the build context and Dockerfile hashes, relative to `cwd`.
 */
export function readProgramInputs(projectDir: string, cwd: string = process.cwd()): ProgramInputs {
  try {
    const settings = loadSettings(mergeConfig(projectFileDefaults(projectDir), stackConfig()), writtenProblems(cwd));
    const sources = readBuildSources(settings, cwd);
    const cosignPassword = new pulumi.Config(NAMESPACE).getSecret("cosignPassword");
    const caCertificates = settings.caCertificates === "" ? undefined : pulumi.secret(readCaCertificates(settings.caCertificates, cwd));
    return { settings, sources, secrets: { cosignPassword, caCertificates } };
  } catch (e) {
    if (e instanceof UserError) throw new pulumi.RunError(redactSecrets(e.message));
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
