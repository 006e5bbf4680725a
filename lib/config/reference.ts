import { UserError } from "../errors";

/**
 * Image references as the distribution library reads them:
 * `[domain[:port]/]path[:tag][@sha256:digest]`. Upstream bake splits on `:` and `@`,
 * which breaks as soon as a base sits behind a registry with a port; this does not.
 */
export interface ImageRef {
  /** Registry host with optional port, as written; undefined when the reference names none (Docker Hub). */
  readonly domain?: string;
  /** Repository path within the registry: `debian`, `mirror/debian`. */
  readonly path: string;
  readonly tag?: string;
  /** `sha256:` followed by 64 hex digits. */
  readonly digest?: string;
}

export const DOCKER_HUB = "docker.io";

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = "\\[[a-fA-F0-9:]+\\]";
const DOMAIN = new RegExp(`^(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME = 255;

export class ImageRefError extends UserError {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** True when the first path component names a registry rather than a repository. */
function looksLikeDomain(component: string): boolean {
  return component.includes(".") || component.includes(":") || component === "localhost" || component !== component.toLowerCase();
}

/** Parses a reference; throws ImageRefError saying which part is malformed. */
export function parseImageRef(input: string): ImageRef {
  if (input.length === 0) throw new ImageRefError(input, "is empty");
  if (/\s/.test(input)) throw new ImageRefError(input, "contains white space");

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ImageRefError(input, `has a malformed digest "${digest}" (expected sha256: and 64 lower-case hex digits)`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageRefError(input, `has a malformed tag "${tag}"`);
  }

  const parts = rest.split("/");
  let domain: string | undefined;
  if (parts.length > 1 && looksLikeDomain(parts[0])) {
    domain = parts.shift();
    if (!DOMAIN.test(domain!)) throw new ImageRefError(input, `has a malformed registry host "${domain}"`);
  }
  for (const p of parts) {
    if (!PATH_COMPONENT.test(p)) {
      throw new ImageRefError(input, `has a malformed repository path component "${p}" (lower-case letters, digits and . _ - separators)`);
    }
  }
  const path = parts.join("/");
  if ((domain ? domain.length + 1 : 0) + path.length > MAX_NAME) throw new ImageRefError(input, `has a name longer than ${MAX_NAME} characters`);
  return { domain, path, tag, digest };
}

/** The repository name as written: `registry.internal:5000/mirror/debian`, `debian`. */
export function repositoryName(ref: ImageRef): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** The repository name with Docker Hub's implicit parts made explicit: `docker.io/library/debian`. */
export function qualifiedRepository(ref: ImageRef): string {
  const domain = ref.domain ?? DOCKER_HUB;
  const path = domain === DOCKER_HUB && !ref.path.includes("/") ? `library/${ref.path}` : ref.path;
  return `${domain}/${path}`;
}

/** Formats a reference back to text, as written (no Docker Hub expansion). */
export function formatImageRef(ref: ImageRef): string {
  return repositoryName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : "") + (ref.digest !== undefined ? `@${ref.digest}` : "");
}

/** A host name label is at most 63 characters (RFC 1035); a host name at most 253. */
const MAX_LABEL = 63;
const MAX_HOST = 253;

/**
 * Why `value` is not a registry setting (`host[:port][/path]` with a real host), or undefined when it
 * is one. The first component must name a registry (a dot, a port, or localhost): otherwise the
 * distribution library reads it as a Docker Hub namespace and images go to docker.io. Docker Hub itself
 * is written `docker.io/NAMESPACE`. `needsPath`: a repository (cache) rather than a registry prefix.
 */
export function registryProblem(value: string, { needsPath = false } = {}): string | undefined {
  if (value.length > MAX_NAME) return `is ${value.length} characters long; a repository name has at most ${MAX_NAME}`;
  if (value !== value.toLowerCase()) return "has upper-case letters";
  const parts = value.split("/");
  const domain = parts.shift()!;
  if (!DOMAIN.test(domain)) return "does not start with a registry host";
  if (!looksLikeDomain(domain)) return `starts with "${domain}", which is not a registry host (a host has a dot or a port, or is localhost), so the images would go to Docker Hub; Docker Hub is written docker.io/NAMESPACE`;
  const [host, port] = domain.startsWith("[") ? [domain.slice(0, domain.indexOf("]") + 1), domain.slice(domain.indexOf("]") + 2)] : domain.split(":");
  if (host.length > MAX_HOST) return `has a host of ${host.length} characters; a host name has at most ${MAX_HOST}`;
  const long = host.startsWith("[") ? undefined : host.split(".").find((l) => l.length > MAX_LABEL);
  if (long !== undefined) return `has a host name label of ${long.length} characters; a label has at most ${MAX_LABEL}`;
  if (port !== undefined && port !== "" && (Number(port) < 1 || Number(port) > 65535)) return `has port ${port}; a port is 1 to 65535`;
  if ((host === DOCKER_HUB || host === "index.docker.io") && parts.length === 0) return "names Docker Hub without a namespace; expected docker.io/NAMESPACE";
  if (needsPath && parts.length === 0) return `has no repository path; expected ${domain}/NAME`;
  if (!parts.every((p) => PATH_COMPONENT.test(p))) return "has a path component other than lower-case letters and digits separated by . _ or -";
  return undefined;
}

/** True when `value` is a registry setting (see registryProblem). */
export function isRegistry(value: string): boolean {
  return registryProblem(value) === undefined;
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}
