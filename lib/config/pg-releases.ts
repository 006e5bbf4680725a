/**
 * PostgreSQL's own list of releases (https://www.postgresql.org/versions.json), as upstream's weekly
 * job reads it: every `supported` major at its `latestMinor`. And what that means for the
 * `postgresVersions` and `previewVersions` defaults. Pure: reading and writing files is the CLI's.
 */
import { parsePreview, parseStable } from "./versions";
import { UserError } from "../errors";

/** One entry of versions.json that matters here. */
export interface PgRelease {
  readonly major: number;
  readonly latestMinor: number;
  readonly supported: boolean;
}

/** versions.json is not what it should be; the message names the source and the entry. */
export class ReleaseFeedError extends UserError {
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`${source}: ${reason}`);
  }
}

/** A whole number written as a number or as digits (postgresql.org writes "17" and "6"). */
function wholeNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^(0|[1-9][0-9]{0,5})$/.test(value)) return Number(value);
  return undefined;
}

/**
 * versions.json text → its releases from major 10 on (earlier majors, "9.6", had three-part versions
 * and are long out of support; a supported one of those is an error).
 */
export function parseReleases(text: string, source: string): PgRelease[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ReleaseFeedError(source, `is not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(doc) || doc.length === 0) throw new ReleaseFeedError(source, "is not a non-empty JSON list of releases such as postgresql.org/versions.json");
  const out: PgRelease[] = [];
  const seen = new Set<number>();
  doc.forEach((entry: unknown, i) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) throw new ReleaseFeedError(source, `entry ${i} is not an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.supported !== "boolean") throw new ReleaseFeedError(source, `entry ${i} (${JSON.stringify(e.major)}) has no boolean "supported"`);
    const old = typeof e.major === "string" && /^[1-9]\.[0-9]$/.test(e.major);
    if (old) {
      if (e.supported) throw new ReleaseFeedError(source, `entry ${i} says major ${String(e.major)} is supported; majors before 10 are not images here`);
      return;
    }
    const major = wholeNumber(e.major);
    const latestMinor = wholeNumber(e.latestMinor);
    if (major === undefined || major < 10) throw new ReleaseFeedError(source, `entry ${i} has major ${JSON.stringify(e.major)}; expected a major such as "17"`);
    if (latestMinor === undefined) throw new ReleaseFeedError(source, `entry ${i} (major ${major}) has latestMinor ${JSON.stringify(e.latestMinor)}; expected a minor such as "6"`);
    if (seen.has(major)) throw new ReleaseFeedError(source, `lists major ${major} twice`);
    seen.add(major);
    out.push({ major, latestMinor, supported: e.supported });
  });
  if (!out.some((r) => r.supported)) throw new ReleaseFeedError(source, "lists no supported major");
  return out;
}

export interface VersionUpdate {
  readonly postgresVersions: readonly string[];
  readonly previewVersions: readonly string[];
  /** One line: what changed, or that nothing did. */
  readonly summary: string;
  readonly changed: boolean;
}

/**
 * The supported majors at their latest minor, sorted by major; previews whose major now has a stable
 * release dropped, the others kept as they are (Renovate moves them from beta to rc).
 */
export function updateVersions(current: { readonly postgresVersions: readonly string[]; readonly previewVersions: readonly string[] }, releases: readonly PgRelease[]): VersionUpdate {
  const postgresVersions = releases
    .filter((r) => r.supported)
    .sort((a, b) => a.major - b.major)
    .map((r) => `${r.major}.${r.latestMinor}`);
  const stableMajors = new Set(releases.filter((r) => r.supported).map((r) => r.major));
  const previewVersions = current.previewVersions.filter((p) => {
    const v = parsePreview(p);
    return v === undefined || !stableMajors.has(v.major);
  });

  const before = new Map(current.postgresVersions.map((t) => [parseStable(t)?.major ?? t, t] as const));
  const after = new Map(postgresVersions.map((t) => [parseStable(t)!.major, t] as const));
  const parts: string[] = [];
  for (const [major, text] of after) {
    const old = before.get(major);
    if (old === undefined) parts.push(`+${text}`);
    else if (old !== text) parts.push(`${old} → ${text}`);
  }
  for (const [major, text] of before) if (!after.has(major as number)) parts.push(`-${text} (no longer supported)`);
  const droppedPreviews = current.previewVersions.filter((p) => !previewVersions.includes(p));
  for (const p of droppedPreviews) parts.push(`-${p} (previewVersions: its major is released)`);
  const reordered = parts.length === 0 && current.postgresVersions.join() !== postgresVersions.join();
  const changed = parts.length > 0 || reordered;
  const summary = !changed
    ? `postgresVersions are current: ${postgresVersions.join(", ")}`
    : `postgresVersions: ${parts.length > 0 ? parts.join(", ") : "sorted by major"}; now ${postgresVersions.join(", ")}`;
  return { postgresVersions, previewVersions, summary, changed };
}
