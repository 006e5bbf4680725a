/** Reads manifests and configs straight from the local registry's HTTP API, as a consumer's client would. */
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
