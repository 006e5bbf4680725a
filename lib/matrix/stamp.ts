/**
 * A cell's build time. The program records it in state when the cell is (re)built;
 * `created` labels carry it as RFC 3339 with seconds, tags as `YYYYMMDDhhmm`.
 */
export type Stamp = string & { readonly __stamp: unique symbol };

const RFC3339_SECONDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Formats an instant as `2026-11-02T08:30:00Z` (UTC, whole seconds). */
export function stampOf(date: Date): Stamp {
  if (Number.isNaN(date.getTime())) throw new RangeError("invalid date");
  return date.toISOString().replace(/\.\d{3}Z$/, "Z") as Stamp;
}

/**
 * Reads a recorded build time: RFC 3339 / ISO 8601 with a zone, or epoch seconds
 * (what `date -u +%s` prints). Throws on anything else, so a broken stamp never becomes a tag.
 */
/** The last instant a 12-digit `YYYYMMDDhhmm` tag can name. */
const LAST_STAMP = Date.UTC(9999, 11, 31, 23, 59, 59);

export function parseStamp(text: string): Stamp {
  const t = text.trim();
  if (/^\d{1,12}$/.test(t)) {
    const ms = Number(t) * 1000;
    if (ms <= LAST_STAMP) return stampOf(new Date(ms));
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.exec(t);
  if (m) {
    const d = new Date(t);
    // Date rolls 2026-02-30 over to March 2; a build time names a day that exists, as written.
    const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[7] ?? "0"].map(Number);
    const calendar = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    const exists = calendar.getUTCFullYear() === year && calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
    if (exists && !Number.isNaN(d.getTime()) && d.getTime() <= LAST_STAMP) return stampOf(d);
  }
  throw new RangeError(`not a build time: ${JSON.stringify(text)} (expected RFC 3339 such as 2026-11-02T08:30:00Z, or epoch seconds)`);
}

/** `2026-11-02T08:30:00Z` → `202611020830`. */
export function stampTag(stamp: Stamp): string {
  const m = RFC3339_SECONDS.exec(stamp);
  if (!m) throw new RangeError(`not a stamp: ${stamp}`);
  return `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}`;
}
