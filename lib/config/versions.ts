import semver from "semver";

/** A PostgreSQL release as configured: stable `MAJOR.MINOR` or a Debian-named preview `MAJOR~betaN`. */
export interface PgVersion {
  /** As written in config and passed as PG_VERSION: `17.11`, `19~beta3`. */
  readonly text: string;
  readonly major: number;
  /** Stable minor release; undefined for previews. */
  readonly minor?: number;
  /** Preview stage and number; undefined for stable releases. */
  readonly preview?: { readonly stage: PreviewStage; readonly number: number };
  /** `text` without `~`: `19beta3`. Used in tags. */
  readonly clean: string;
  /** `clean` up to its first dot: `17`, `19beta3`. Used in cell names and the short tag. */
  readonly lead: string;
}

export type PreviewStage = "alpha" | "beta" | "rc";

const STABLE = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
const PREVIEW = /^([1-9][0-9]*)~(alpha|beta|rc)([1-9][0-9]*)$/;
/** Majors before 10 had three-part versions; the image matrix starts long after. */
const FIRST_MAJOR = 10;

export const STABLE_GRAMMAR = 'a stable release MAJOR.MINOR such as "17.11" (major 10 or later)';
export const PREVIEW_GRAMMAR = 'a pre-release in Debian naming MAJOR~alphaN, MAJOR~betaN or MAJOR~rcN, such as "19~beta3"';

function derive(text: string, major: number, rest: Partial<PgVersion>): PgVersion {
  const clean = text.replace("~", "");
  const dot = clean.indexOf(".");
  return { text, major, clean, lead: dot < 0 ? clean : clean.slice(0, dot), ...rest };
}

/** Parses a stable release; undefined when `text` is not `MAJOR.MINOR`. */
export function parseStable(text: string): PgVersion | undefined {
  const m = STABLE.exec(text);
  if (!m) return undefined;
  const major = Number(m[1]);
  if (major < FIRST_MAJOR) return undefined;
  return derive(text, major, { minor: Number(m[2]) });
}

/** Parses a pre-release in Debian naming; undefined for anything else (`19beta3`, `19-rc1`). */
export function parsePreview(text: string): PgVersion | undefined {
  const m = PREVIEW.exec(text);
  if (!m) return undefined;
  const major = Number(m[1]);
  if (major < FIRST_MAJOR) return undefined;
  return derive(text, major, { preview: { stage: m[2] as PreviewStage, number: Number(m[3]) } });
}

/**
 * The versions the matrix builds: stable ones in config order, then each preview whose
 * major has no stable release yet (a preview is dropped as soon as its major ships).
 */
export function selectVersions(stable: readonly PgVersion[], previews: readonly PgVersion[]): PgVersion[] {
  const shipped = new Set(stable.map((v) => v.major));
  return [...stable, ...previews.filter((p) => !shipped.has(p.major))];
}

/** The previews `selectVersions` leaves out, for a notice to the user. */
export function droppedPreviews(stable: readonly PgVersion[], previews: readonly PgVersion[]): PgVersion[] {
  const shipped = new Set(stable.map((v) => v.major));
  return previews.filter((p) => shipped.has(p.major));
}

/** The version as semver (`17.11.0`, `19.0.0-beta.3`), for ordering across stable and preview. */
export function toSemver(v: PgVersion): string {
  if (v.preview) return `${v.major}.0.0-${v.preview.stage}.${v.preview.number}`;
  return `${v.major}.${v.minor ?? 0}.0`;
}

/** Orders versions oldest first; a preview sorts before the stable release of its major. */
export function compareVersions(a: PgVersion, b: PgVersion): number {
  return semver.compare(toSemver(a), toSemver(b));
}
