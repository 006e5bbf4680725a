/**
 * Helpers shared by the real-tools tests: running tools, running the program through the executor
 * as `pulumi up` would, and cosign with the run's key.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ExecutorResult } from "./executor";
import { ROOT } from "../helpers";

export type { ImageOutput } from "../../lib/outputs";

export function sh(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; allowFail?: boolean; cwd?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...options.env }, cwd: options.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024 });
  if (!options.allowFail && r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r;
}

export function secondsSince(t0: number): number {
  return Math.round((Date.now() - t0) / 100) / 10;
}

/** Fails unless docker and cosign are installed (scripts/e2e-env.sh up). */
export function requireTools(): void {
  for (const tool of ["docker", "cosign"]) {
    if (sh("sh", ["-c", `command -v ${tool}`], { allowFail: true }).status !== 0) throw new Error(`${tool} is not installed: run scripts/e2e-env.sh up (as root)`);
  }
}

/** The local Debian base, `localhost:5000/debian:trixie-slim@sha256:…`. */
export function baseRef(): string {
  return sh("bash", [join(ROOT, "scripts/e2e-env.sh"), "base-ref"]).stdout.trim();
}

export interface Stack {
  /** Scratch directory for the config, state and result files. */
  readonly work: string;
  /** Names the files: `NAME-config.json`, `NAME-state.json`, `NAME-result.json`. */
  readonly name: string;
  /** Keys without namespace; structured values are passed as JSON, as Pulumi does. */
  readonly config: Record<string, unknown>;
  /** Secret keys without namespace. */
  readonly secrets?: Record<string, string>;
  /** Other stacks' outputs by name, for StackReferences. */
  readonly stackReferences?: Record<string, Record<string, unknown>>;
}

/** Runs the program once through the executor, as `pulumi up` would, against the stack's state file. Throws when the run fails. */
export function up(stack: Stack): ExecutorResult {
  const file = (kind: string): string => join(stack.work, `${stack.name}-${kind}.json`);
  const namespaced = Object.fromEntries(Object.entries(stack.config).map(([k, v]) => [`postgres-images:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
  const secrets = Object.entries(stack.secrets ?? {});
  for (const [k, v] of secrets) namespaced[`postgres-images:${k}`] = v;
  writeFileSync(file("config"), JSON.stringify({ config: namespaced, secrets: secrets.map(([k]) => `postgres-images:${k}`), stackReferences: stack.stackReferences ?? {} }));
  const out = file("result");
  writeFileSync(out, "");
  const r = sh(process.execPath, ["--import", "tsx", join(ROOT, "test/e2e/executor.ts"), "--config", file("config"), "--state", file("state"), "--out", out, "--dir", ROOT], { allowFail: true });
  let result: ExecutorResult;
  try {
    result = JSON.parse(readFileSync(out, "utf8")) as ExecutorResult;
  } catch {
    throw new Error(`executor produced no result (${r.status}): ${r.stderr.slice(-4000)}`);
  }
  if (!result.ok) throw new Error(`executor failed: ${result.error}\n${r.stderr.slice(-4000)}`);
  return result;
}

/** cosign in `cwd` with the key's password in its environment. */
export function cosign(args: string[], options: { cwd: string; password: string; allowFail?: boolean }): SpawnSyncReturns<string> {
  return sh("cosign", args, { env: { COSIGN_PASSWORD: options.password }, allowFail: options.allowFail, cwd: options.cwd });
}

/** The in-toto statements `cosign verify-attestation` printed (one DSSE envelope per line). */
export function statements(stdout: string): { predicateType: string; predicate: Record<string, unknown>; subject: { digest: { sha256: string } }[] }[] {
  return stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(Buffer.from((JSON.parse(l) as { payload: string }).payload, "base64").toString("utf8")) as ReturnType<typeof statements>[number]);
}

/** What `docker buildx imagetools inspect` says a reference resolves to. */
export function resolvedDigest(ref: string): string {
  return sh("docker", ["buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest.Digest}}"]).stdout.trim().replace(/"/g, "");
}
