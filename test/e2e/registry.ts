/** Reads manifests and configs straight from the local registry's HTTP API, as a consumer's client would. */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
export const INDEX = "application/vnd.oci.image.index.v1+json";
export const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const ACCEPT = [INDEX, MANIFEST, "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json"].join(", ");

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface Manifest {
  mediaType: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  annotations?: Record<string, string>;
}

/** `localhost:5000/postgresql-testing:tag` or `…@sha256:…` → registry URL parts. */
export function splitRef(ref: string): { host: string; repo: string; reference: string } {
  const at = ref.indexOf("@");
  const slash = ref.indexOf("/");
  const host = ref.slice(0, slash);
  if (at >= 0) return { host, repo: ref.slice(slash + 1, at), reference: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(":");
  return { host, repo: ref.slice(slash + 1, colon), reference: ref.slice(colon + 1) };
}

export async function getManifest(ref: string): Promise<{ manifest: Manifest; digest: string }> {
  const { host, repo, reference } = splitRef(ref);
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, { headers: { Accept: ACCEPT } });
  if (!res.ok) throw new Error(`GET manifest ${ref}: HTTP ${res.status}`);
  const digest = res.headers.get("docker-content-digest") ?? "";
  return { manifest: (await res.json()) as Manifest, digest };
}

export async function getBlob<T>(host: string, repo: string, digest: string): Promise<T> {
  const res = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`);
  if (!res.ok) throw new Error(`GET blob ${repo}@${digest}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The platform manifests of an index, without attestation manifests (platform unknown/unknown). */
export function platformManifests(index: Manifest): Descriptor[] {
  return (index.manifests ?? []).filter((m) => m.platform && m.platform.os !== "unknown");
}

/**
 * Pushes a one-config, no-layer OCI image manifest to `HOST/REPO` (plain HTTP, as the tier's registry
 * serves) and returns its digest: a real, distinct digest per `text`, for tests of what reads the
 * registry (catalogs) without building an image. Synchronous (curl) so fixtures can be made inline.
 */
export function pushTinyImage(repository: string, text: string): string {
  const slash = repository.indexOf("/");
  const base = `http://${repository.slice(0, slash)}/v2/${repository.slice(slash + 1)}`;
  const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;
  const curl = (args: string[], input?: string) => execFileSync("curl", ["-fsS", ...args], { encoding: "utf8", input });
  const config = JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: { "e2e.fixture": text } }, rootfs: { type: "layers", diff_ids: [] } });
  const upload = /^location:\s*(\S+)/im.exec(curl(["-i", "-X", "POST", `${base}/blobs/uploads/`]))?.[1];
  if (upload === undefined) throw new Error(`no upload location from ${base}/blobs/uploads/`);
  const url = new URL(upload, base);
  url.searchParams.set("digest", sha(config));
  curl(["-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", "@-", url.toString()], config);
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: Buffer.byteLength(config) }, layers: [] });
  curl(["-X", "PUT", "-H", `Content-Type: ${MANIFEST}`, "--data-binary", "@-", `${base}/manifests/${sha(manifest)}`], manifest);
  return sha(manifest);
}

/** Deletes a manifest by digest through the registry API (the tier's registry has deletes enabled). */
export async function deleteManifest(ref: string): Promise<void> {
  const { host, repo, reference } = splitRef(ref);
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, { method: "DELETE" });
  if (res.status !== 202) throw new Error(`DELETE ${ref}: HTTP ${res.status}`);
}

/** cosign 3's predicate type of a signature (a signature is an in-toto statement too). */
export const SIGNATURE_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

/**
 * The referrers cosign 3 stored for `ref` (`REPO@sha256:…`) on a registry without the referrers API: the
 * entries of the index tagged `sha256-HEX` (the OCI tag schema), each with the predicate type its
 * manifest is annotated with ([] when there is no such tag).
 */
export async function referrers(ref: string): Promise<{ digest: string; predicateType: string }[]> {
  const at = ref.indexOf("@sha256:");
  const tag = `${ref.slice(0, at)}:sha256-${ref.slice(at + 8)}`;
  const { host, repo } = splitRef(tag);
  const res = await fetch(`http://${host}/v2/${repo}/manifests/sha256-${ref.slice(at + 8)}`, { headers: { Accept: ACCEPT } });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`GET ${tag}: HTTP ${res.status}`);
  const index = (await res.json()) as Manifest;
  const found: { digest: string; predicateType: string }[] = [];
  for (const d of index.manifests ?? []) {
    const { manifest } = await getManifest(`${host}/${repo}@${d.digest}`);
    found.push({ digest: d.digest, predicateType: manifest.annotations?.["dev.sigstore.bundle.predicateType"] ?? "" });
  }
  return found;
}

/** Removes from `ref`'s referrers index the entries of one predicate type (e.g. its signatures only), as a registry clean-up might. */
export async function removeReferrers(ref: string, predicateType: string): Promise<number> {
  const at = ref.indexOf("@sha256:");
  const reference = `sha256-${ref.slice(at + 8)}`;
  const { host, repo } = splitRef(`${ref.slice(0, at)}:${reference}`);
  const url = `http://${host}/v2/${repo}/manifests/${reference}`;
  const res = await fetch(url, { headers: { Accept: INDEX } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const index = (await res.json()) as Manifest & { schemaVersion: number };
  const gone = new Set((await referrers(ref)).filter((r) => r.predicateType === predicateType).map((r) => r.digest));
  const kept = { ...index, manifests: (index.manifests ?? []).filter((m) => !gone.has(m.digest)) };
  const put = await fetch(url, { method: "PUT", headers: { "Content-Type": index.mediaType || INDEX }, body: JSON.stringify(kept) });
  if (put.status !== 201) throw new Error(`PUT ${url}: HTTP ${put.status}`);
  return gone.size;
}

/** A descriptor in a referrers list (the OCI 1.1 referrers API's, or the `sha256-HEX` index's). */
export interface Referrer extends Descriptor {
  artifactType?: string;
}

/**
 * What the OCI 1.1 referrers API (`GET /v2/REPO/referrers/DIGEST`) answers for `ref` (`HOST/REPO@sha256:…`):
 * the HTTP status and, on 200, the index's content type and descriptors. A registry without the API
 * (Debian's docker-registry, distribution 2.8) answers 404.
 */
export async function referrersApi(ref: string): Promise<{ status: number; contentType: string; manifests: Referrer[] }> {
  const { host, repo, reference } = splitRef(ref);
  const res = await fetch(`http://${host}/v2/${repo}/referrers/${reference}`, { headers: { Accept: INDEX } });
  const contentType = res.headers.get("content-type") ?? "";
  if (!res.ok) {
    await res.body?.cancel();
    return { status: res.status, contentType, manifests: [] };
  }
  return { status: res.status, contentType, manifests: ((await res.json()) as { manifests?: Referrer[] }).manifests ?? [] };
}

/** The tags of `HOST/REPO` (`GET /v2/REPO/tags/list`), sorted; [] when it has none. */
export async function listTags(repository: string): Promise<string[]> {
  const slash = repository.indexOf("/");
  const url = `http://${repository.slice(0, slash)}/v2/${repository.slice(slash + 1)}/tags/list`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return [...(((await res.json()) as { tags?: string[] | null }).tags ?? [])].sort();
}

/** Puts the manifest `ref` (`HOST/REPO@sha256:…`) names under `tag` too: the same bytes, so the same digest. */
export async function tagManifest(ref: string, tag: string): Promise<void> {
  const { host, repo, reference } = splitRef(ref);
  const base = `http://${host}/v2/${repo}/manifests`;
  const res = await fetch(`${base}/${reference}`, { headers: { Accept: ACCEPT } });
  if (!res.ok) throw new Error(`GET manifest ${ref}: HTTP ${res.status}`);
  const body = await res.text();
  const put = await fetch(`${base}/${tag}`, { method: "PUT", headers: { "Content-Type": res.headers.get("content-type") ?? MANIFEST }, body });
  if (put.status !== 201) throw new Error(`PUT ${base}/${tag}: HTTP ${put.status}`);
  const digest = put.headers.get("docker-content-digest");
  if (digest !== reference) throw new Error(`PUT ${base}/${tag}: the registry stored ${digest ?? "no digest"}, not ${reference}`);
}
