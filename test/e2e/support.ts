/** Helpers shared by the real-tools tests: running tools, cosign with the run's key, reading signatures. */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../helpers";
import { referrers, SIGNATURE_PREDICATE, splitRef } from "./registry";

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

/** The MAJOR.MINOR of `major` that the base's own Debian archive installs (PG_PACKAGES=debian builds exactly that). */
export function archivePgVersion(base: string, major: number): string {
  return sh("bash", [join(ROOT, "scripts/archive-pg-version.sh"), base, String(major)]).stdout.trim();
}

/** The stub build context (test/fixtures/stub): the project's stage names, nothing installed; STUB_SLEEP seconds a build. */
export function stubContext(): { context: string; dockerfile: string } {
  const context = join(ROOT, "test", "fixtures", "stub");
  return { context, dockerfile: join(context, "Dockerfile") };
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

/**
 * How many signatures cosign has stored for `ref` (`REPO@sha256:…`): cosign 3's signature referrers, plus the
 * layers of a `.sig` manifest that cosign 2 left for images signed before the change.
 */
export async function signatureCount(ref: string): Promise<number> {
  const at = ref.indexOf("@sha256:");
  const sigTag = `${ref.slice(0, at)}:sha256-${ref.slice(at + 8)}.sig`;
  const { host, repo, reference } = splitRef(sigTag);
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, { headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
  if (!res.ok && res.status !== 404) throw new Error(`GET ${sigTag}: HTTP ${res.status}`);
  const legacy = res.status === 404 ? 0 : (((await res.json()) as { layers?: unknown[] }).layers?.length ?? 0);
  return legacy + (await referrers(ref)).filter((r) => r.predicateType === SIGNATURE_PREDICATE).length;
}
