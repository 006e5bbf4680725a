import { posix } from "node:path";
import semver from "semver";
import { ErrorList, ConfigErrors, type ConfigError } from "../errors";
import { parseImageRef, qualifiedRepository, registryProblem, ImageRefError, type ImageRef } from "./reference";
import { parsePreview, parseStable, selectVersions, droppedPreviews, STABLE_GRAMMAR, PREVIEW_GRAMMAR, type PgVersion } from "./versions";
import { parseSigning, type SigningSettings } from "./signing-settings";
import { parseScanGate, todayUtc, type ScanGate } from "./scan-gate";

/** The project's configuration namespace, as in `postgres-images:registry`. */
export const NAMESPACE = "postgres-images";

export const IMAGE_TYPES = ["minimal", "standard", "system"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export const ENVIRONMENTS = { testing: "postgresql-testing", production: "postgresql" } as const;
export type Environment = keyof typeof ENVIRONMENTS;

/** Platforms BuildKit builds PostgreSQL for; Debian ships all of them. */
export const KNOWN_PLATFORMS = [
  "linux/amd64",
  "linux/arm64",
  "linux/arm/v7",
  "linux/arm/v5",
  "linux/386",
  "linux/ppc64le",
  "linux/s390x",
  "linux/mips64le",
  "linux/riscv64",
] as const;

/** Build args the matrix sets itself; `buildArgs` may not override them. */
export const MATRIX_ARGS = ["BARMAN_VERSION", "BASE", "EXTENSIONS", "PG_MAJOR", "PG_VERSION", "STANDARD_ADDITIONAL_POSTGRES_PACKAGES"] as const;

/** A base image: the reference as configured, parsed, and the Debian release its tag names. */
export interface Base {
  readonly text: string;
  readonly ref: ImageRef;
  readonly distro: string;
  /** Fully qualified name without digest: `docker.io/library/debian:trixie-slim`. */
  readonly name: string;
  readonly digest: string;
}

/** Validated configuration: everything the matrix and the resources need, nothing raw. */
export interface Settings {
  readonly registry: string;
  readonly environment: Environment;
  /** `REGISTRY/postgresql-testing` or `REGISTRY/postgresql`. */
  readonly repository: string;
  readonly revision: string;
  readonly versions: readonly PgVersion[];
  /** Previews left out because their major has a stable release. */
  readonly droppedPreviews: readonly PgVersion[];
  readonly imageTypes: readonly ImageType[];
  readonly bases: readonly Base[];
  readonly platforms: readonly string[];
  readonly extensions: readonly string[];
  readonly barmanVersion: string;
  readonly targets: readonly string[];
  readonly context: string;
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly builder: string;
  readonly cacheRepository: string;
  readonly rebuildEpoch: string;
  readonly signing: SigningSettings;
  /** Which scan findings stop a testing image from being promoted; `{mode: "none"}`: no gate. */
  readonly scanGate: ScanGate;
  readonly promoteFrom: string;
  /** The `images.cnpg.io/publisher` label of the catalogs. */
  readonly catalogPublisher: string;
  /** A PEM file of extra CA certificates for the build (the `ca-certificates` build secret); empty for none. */
  readonly caCertificates: string;
}

/** Raw values by key without namespace: YAML values, or strings holding JSON as Pulumi passes them. */
export type RawConfig = Readonly<Record<string, unknown>>;

export const EXTENSION = /^[a-z0-9][a-z0-9.+-]*$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BUILDER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const EPOCH = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$/;
const TARGET_PATTERN = /^[a-z0-9*?][a-z0-9*?._-]*$/;
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}$/;
/** Paths reach docker as single arguments; no control characters, no option look-alikes. */
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const PATH = /^[^\0-\x1f\x7f-][^\0-\x1f\x7f]*$/;

export const KEYS = [
  "registry",
  "environment",
  "revision",
  "postgresVersions",
  "previewVersions",
  "imageTypes",
  "bases",
  "platforms",
  "extensions",
  "barmanVersion",
  "targets",
  "context",
  "dockerfile",
  "buildArgs",
  "builder",
  "cacheRepository",
  "rebuildEpoch",
  "signing",
  "scanGate",
  "promoteFrom",
  "catalogPublisher",
  "caCertificates",
] as const;
export type Key = (typeof KEYS)[number];

/** Keys the program reads itself (secrets), which the settings do not hold. */
export const SECRET_KEYS = ["cosignPassword"] as const;

export function fullKey(key: string): string {
  return `${NAMESPACE}:${key}`;
}

/** Pulumi hands structured values to programs as JSON text; YAML files give them parsed. */
function decoded(value: unknown): unknown {
  if (typeof value === "string") {
    const t = value.trim();
    if (t.startsWith("[") || t.startsWith("{")) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return value;
      }
    }
  }
  return value;
}

/** What a non-string list item is, for its error line. */
function kindOf(item: unknown): string {
  if (item === null || item === undefined) return "an empty value";
  if (typeof item === "number") return "a number";
  if (typeof item === "boolean") return "a boolean";
  if (Array.isArray(item)) return "a list";
  return typeof item === "object" ? "a map" : typeof item;
}

class Reader {
  readonly errors: ErrorList;
  constructor(
    private readonly raw: RawConfig,
    problems: readonly ConfigError[],
  ) {
    this.errors = new ErrorList(problems);
  }

  value(key: Key): unknown {
    return decoded(this.raw[key]);
  }

  /** A top-level text value (the CLI hands every top-level scalar on as text). */
  string(key: Key, accepted: string): string | undefined {
    const v = this.value(key);
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    if (v === undefined || v === null) return undefined;
    this.errors.add(fullKey(key), v, `is ${kindOf(v)}, not a string; expected ${accepted}`);
    return undefined;
  }

  /** A list of strings; numbers, booleans and empty items are errors (YAML reads `17.10` as 17.1). */
  list(key: Key, accepted: string, { nonEmpty = true } = {}): string[] {
    const v = this.value(key);
    const name = fullKey(key);
    if (!Array.isArray(v)) {
      this.errors.add(name, v, `is not a list; expected a YAML list of ${accepted}`);
      return [];
    }
    if (nonEmpty && v.length === 0) {
      this.errors.add(name, v, `is empty; expected at least one of ${accepted}`);
      return [];
    }
    const out: string[] = [];
    const seen = new Set<string>();
    v.forEach((item: unknown, i) => {
      if (typeof item !== "string") {
        const hint = typeof item === "number" || typeof item === "boolean" ? "; quote every item in the stack file (unquoted, 17.10 is read as the number 17.1)" : `; expected ${accepted}`;
        this.errors.add(`${name}[${i}]`, item, `is ${kindOf(item)}, not a string${hint}`);
        return;
      }
      if (seen.has(item)) {
        this.errors.add(`${name}[${i}]`, item, "is listed twice; list each value once");
        return;
      }
      seen.add(item);
      out.push(item);
    });
    return out;
  }
}

function parseBases(r: Reader): Base[] {
  const key = fullKey("bases");
  const bases: Base[] = [];
  const byDistro = new Map<string, string>();
  for (const text of r.list("bases", 'base image references pinned by digest, such as "debian:trixie-slim@sha256:<64 hex digits>"')) {
    let ref: ImageRef;
    try {
      ref = parseImageRef(text);
    } catch (e) {
      if (!(e instanceof ImageRefError)) throw e;
      r.errors.add(key, text, `is not an image reference: it ${e.message}; expected NAME:TAG@sha256:DIGEST`);
      continue;
    }
    if (ref.tag === undefined) {
      r.errors.add(key, text, 'has no tag; the Debian release is read from it, expected NAME:TAG@sha256:DIGEST such as "debian:trixie-slim@sha256:…"');
      continue;
    }
    if (ref.digest === undefined) {
      r.errors.add(key, text, "is not pinned by digest; expected NAME:TAG@sha256:<64 lower-case hex digits>");
      continue;
    }
    const distro = ref.tag.split("-")[0];
    const other = byDistro.get(distro);
    if (other !== undefined) {
      r.errors.add(key, text, `has the same distro "${distro}" as "${other}"; cells are named by distro, so list one base per distro`);
      continue;
    }
    byDistro.set(distro, text);
    bases.push({ text, ref, distro, name: `${qualifiedRepository(ref)}:${ref.tag}`, digest: ref.digest });
  }
  return bases;
}

function parseVersions(r: Reader): { versions: PgVersion[]; dropped: PgVersion[] } {
  const stable: PgVersion[] = [];
  const majors = new Map<number, string>();
  for (const text of r.list("postgresVersions", STABLE_GRAMMAR)) {
    const v = parseStable(text);
    if (!v) {
      r.errors.add(fullKey("postgresVersions"), text, `is not ${STABLE_GRAMMAR}`);
      continue;
    }
    const other = majors.get(v.major);
    if (other !== undefined) {
      r.errors.add(fullKey("postgresVersions"), text, `is a second version of major ${v.major} (also "${other}"); list at most one version per major`);
      continue;
    }
    majors.set(v.major, text);
    stable.push(v);
  }
  const previews: PgVersion[] = [];
  const previewMajors = new Map<number, string>();
  for (const text of r.list("previewVersions", PREVIEW_GRAMMAR, { nonEmpty: false })) {
    const v = parsePreview(text);
    if (!v) {
      r.errors.add(fullKey("previewVersions"), text, `is not ${PREVIEW_GRAMMAR}`);
      continue;
    }
    const other = previewMajors.get(v.major);
    if (other !== undefined) {
      r.errors.add(fullKey("previewVersions"), text, `is a second pre-release of major ${v.major} (also "${other}"); list at most one per major`);
      continue;
    }
    previewMajors.set(v.major, text);
    previews.push(v);
  }
  return { versions: selectVersions(stable, previews), dropped: droppedPreviews(stable, previews) };
}

function parseBuildArgs(r: Reader): Record<string, string> {
  const v = r.value("buildArgs");
  const key = fullKey("buildArgs");
  if (v === undefined || v === null || v === "") return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    r.errors.add(key, v, "is not a map; expected NAME: value pairs such as {PG_PACKAGES: debian}");
    return {};
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(v as Record<string, unknown>)) {
    if (!BUILD_ARG_NAME.test(name)) {
      r.errors.add(key, name, "is not a build arg name; expected letters, digits and _ not starting with a digit");
    } else if ((MATRIX_ARGS as readonly string[]).includes(name)) {
      r.errors.add(key, name, `is set by the matrix itself; remove it (the matrix sets ${MATRIX_ARGS.join(", ")})`);
    } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      r.errors.add(key, value, `is not a string value for build arg ${name}`);
    // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
    } else if (/[\0-\x1f\x7f]/.test(String(value))) {
      r.errors.add(key, value, `holds control characters; expected a one-line value for build arg ${name}`);
    } else {
      out[name] = String(value);
    }
  }
  return out;
}

function checkTargets(r: Reader, patterns: readonly string[], names: readonly string[]): void {
  for (const p of patterns) {
    if (!TARGET_PATTERN.test(p)) {
      r.errors.add(fullKey("targets"), p, 'is not a cell name or glob; expected names like "postgresql-17-minimal-trixie" or globs with * and ?, such as "postgresql-17-*"');
      continue;
    }
    if (names.length > 0 && !names.some((n) => globMatches(p, n))) {
      r.errors.add(fullKey("targets"), p, `matches no cell; the matrix has ${names.length} cells, e.g. "${names[0]}"`);
    }
  }
}

/** Shell-style glob over cell names: `*` any run, `?` one character. */
export function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(name);
}

/**
 * Raw configuration (defaults already applied) → Settings, or ConfigErrors naming every bad key.
 * `cellNames` computes the matrix's names so the `targets` filter can be checked against them.
 * `today` (UTC, YYYY-MM-DD) is the day the scan gate's allow-list expiries are checked against.
 */
export function parseSettings(raw: RawConfig, cellNames: (s: Omit<Settings, "targets">) => string[], problems: readonly ConfigError[] = [], today: string = todayUtc()): Settings {
  const r = new Reader(raw, problems);
  const key = fullKey;

  const registryRaw = r.value("registry");
  const registry = r.string("registry", "a registry host such as localhost:5000 or registry.example.com/team") ?? "";
  const registryAccepted = "expected lower-case HOST[:PORT][/PATH] without scheme, spaces or shell characters, such as localhost:5000, ghcr.io/my-org or docker.io/my-org";
  if (registry !== "") {
    const problem = registryProblem(registry);
    // The repository name (REGISTRY/postgresql-testing) has the same 255-character limit.
    const tooLong = registry.length + 1 + ENVIRONMENTS.testing.length > 255;
    if (problem !== undefined) r.errors.add(key("registry"), registry, `is not a registry: it ${problem}; ${registryAccepted}`);
    else if (tooLong) r.errors.add(key("registry"), registry, `is too long: REGISTRY/${ENVIRONMENTS.testing} must fit in 255 characters; ${registryAccepted}`);
  } else if (registryRaw === undefined) {
    r.errors.add(key("registry"), registryRaw, `is not set; ${registryAccepted}`);
  } else if (typeof registryRaw === "string" || registryRaw === null) {
    r.errors.add(key("registry"), registry, `is empty; ${registryAccepted}`);
  }

  const envText = r.string("environment", "testing or production");
  let environment: Environment = "testing";
  if (envText !== undefined) {
    if (envText in ENVIRONMENTS) environment = envText as Environment;
    else r.errors.add(key("environment"), envText, `is not an environment; expected one of ${Object.keys(ENVIRONMENTS).join(", ")}`);
  }

  const revision = r.string("revision", "a git revision or empty") ?? "";
  if (revision !== "" && !REVISION.test(revision)) {
    r.errors.add(key("revision"), revision, "is not a source revision; expected a git sha or ref name (letters, digits, . _ / -) or empty");
  }

  const { versions, dropped } = parseVersions(r);

  const imageTypes: ImageType[] = [];
  for (const t of r.list("imageTypes", IMAGE_TYPES.join(", "))) {
    if ((IMAGE_TYPES as readonly string[]).includes(t)) imageTypes.push(t as ImageType);
    else r.errors.add(key("imageTypes"), t, `is not an image type; expected one of ${IMAGE_TYPES.join(", ")}`);
  }

  const bases = parseBases(r);

  const platforms: string[] = [];
  for (const p of r.list("platforms", "platforms such as linux/amd64")) {
    if ((KNOWN_PLATFORMS as readonly string[]).includes(p)) platforms.push(p);
    else if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(p)) {
      r.errors.add(key("platforms"), p, `is not a platform; expected OS/ARCH[/VARIANT], one of ${KNOWN_PLATFORMS.join(", ")}`);
    } else r.errors.add(key("platforms"), p, `is not a known platform; expected one of ${KNOWN_PLATFORMS.join(", ")}`);
  }

  const extensions: string[] = [];
  for (const e of r.list("extensions", "Debian package suffixes such as pgvector", { nonEmpty: false })) {
    if (EXTENSION.test(e)) extensions.push(e);
    else r.errors.add(key("extensions"), e, "is not a Debian package suffix; expected lower-case letters, digits and . + - (installed as postgresql-MAJOR-NAME), such as pgvector");
  }

  const barmanVersion = r.string("barmanVersion", "a Barman release such as 3.19.1") ?? "";
  if (!/^\d+\.\d+\.\d+$/.test(barmanVersion) || semver.valid(barmanVersion) === null) {
    r.errors.add(key("barmanVersion"), barmanVersion, 'is not a Barman release; expected MAJOR.MINOR.PATCH such as "3.19.1"');
  }

  const targetPatterns = r.value("targets") === undefined || r.value("targets") === null ? [] : r.list("targets", "cell names or globs", { nonEmpty: false });

  const context = r.string("context", "a directory path") ?? ".";
  if (!PATH.test(context)) r.errors.add(key("context"), context, "is not a build context path; expected a directory path such as . or images/postgres");
  else if (posix.normalize(context) === "/") r.errors.add(key("context"), context, "is the file system root, which would send every file to the build; expected the project's directory, such as . or images/postgres");
  const dockerfile = r.string("dockerfile", "a file path") ?? "Dockerfile";
  if (!PATH.test(dockerfile)) r.errors.add(key("dockerfile"), dockerfile, "is not a Dockerfile path; expected a file path such as Dockerfile");

  const buildArgs = parseBuildArgs(r);

  const builder = r.string("builder", "a buildx builder name or empty") ?? "";
  if (builder !== "" && !BUILDER.test(builder)) r.errors.add(key("builder"), builder, "is not a buildx builder name; expected letters, digits, _ . - or empty for the default builder");

  const cacheRepository = r.string("cacheRepository", "a repository such as localhost:5000/postgres-cache, or empty") ?? "";
  const cacheProblem = cacheRepository === "" ? undefined : registryProblem(cacheRepository, { needsPath: true });
  if (cacheProblem !== undefined) {
    r.errors.add(key("cacheRepository"), cacheRepository, `is not a repository: it ${cacheProblem}; expected HOST[:PORT]/PATH such as localhost:5000/postgres-cache, or empty for no cache`);
  }

  const rebuildEpoch = r.string("rebuildEpoch", "a label such as 2026-W48, or empty") ?? "";
  if (rebuildEpoch !== "" && !EPOCH.test(rebuildEpoch)) {
    r.errors.add(key("rebuildEpoch"), rebuildEpoch, "is not a rebuild epoch; expected a short label of letters, digits and . _ : + - such as 2026-W48, or empty");
  }

  const signing = parseSigning(r.value("signing"), r.errors);
  const scanGate = parseScanGate(r.value("scanGate"), r.errors, today);

  const promoteFrom = r.string("promoteFrom", "a stack name or empty") ?? "";
  if (promoteFrom !== "" && !STACK_NAME.test(promoteFrom)) {
    r.errors.add(key("promoteFrom"), promoteFrom, "is not a stack name; expected STACK, PROJECT/STACK or ORG/PROJECT/STACK, or empty");
  }
  if (promoteFrom !== "" && environment !== "production") {
    r.errors.add(key("promoteFrom"), promoteFrom, 'is set on a "testing" stack; promotion copies into production, so set environment: production or remove promoteFrom');
  }

  const catalogPublisher = r.string("catalogPublisher", "a label value such as cnpg.io") ?? "cnpg.io";
  // A Kubernetes label value: at most 63 characters, alphanumerics with - _ . inside.
  if (!/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/.test(catalogPublisher)) {
    r.errors.add(key("catalogPublisher"), catalogPublisher, "is not a Kubernetes label value; expected at most 63 letters, digits and - _ . starting and ending with a letter or digit, such as cnpg.io");
  }

  const caCertificates = r.string("caCertificates", "a PEM file path or empty") ?? "";
  if (caCertificates !== "" && !PATH.test(caCertificates)) r.errors.add(key("caCertificates"), caCertificates, "is not a file path; expected a PEM file such as /etc/ssl/certs/ca-certificates.crt, or empty");

  const settings = {
    registry,
    environment,
    repository: `${registry}/${ENVIRONMENTS[environment]}`,
    revision,
    versions,
    droppedPreviews: dropped,
    imageTypes,
    bases,
    platforms,
    extensions,
    barmanVersion,
    context,
    dockerfile,
    buildArgs,
    builder,
    cacheRepository,
    rebuildEpoch,
    signing,
    scanGate,
    promoteFrom,
    catalogPublisher,
    caCertificates,
  };
  // Patterns can only be checked against names once the keys that make the names are sound.
  checkTargets(r, targetPatterns, r.errors.empty ? cellNames(settings) : []);
  r.errors.throwIfAny();
  return { ...settings, targets: targetPatterns };
}

export { ConfigErrors };
