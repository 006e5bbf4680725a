import type { Cell } from "../matrix/matrix";
import { NOT_FOUND_PATTERN, RESOLVE_FUNCTION } from "./registry-shell";
import { timestampedTagParts } from "../matrix/naming";
import { parseStamp, type Stamp } from "../matrix/stamp";

/**
 * The stamp command: prints a cell's build time, whose minute names the timestamped tag
 * (`REPO:CLEAN-YYYYMMDDhhmm-TYPE-DISTRO`, lib/matrix/naming.ts `timestampedTag`). That tag names one build
 * and nothing else, so the command refuses a minute whose tag already exists in the registry: a
 * cell rebuilt twice within one UTC minute would otherwise push its second build over the first's tag.
 *
 * It takes one instant (`date -u +%s`), builds the tag of that minute from STAMP_TAG_PREFIX and
 * STAMP_TAG_SUFFIX, and asks the registry (`docker buildx imagetools inspect TAG`: exit status 0 =
 * the tag exists; "not found" = it does not; any other failure, such as a registry that refuses
 * to say for a repository not created yet, is taken as "does not" with a warning on stderr). If it exists, it waits for the
 * next minute (STAMP_SLEEP, `sleep` by default, a hook for tests) and tries that minute; after
 * 2 retries it fails. It prints the chosen instant as RFC 3339 with seconds. GNU date (`-d @EPOCH`).
 *
 * Run again because the registry lost the build (a refresh found its timestamped tag gone; the step
 * then gets its last record in STEP_STDOUT), it starts no earlier than the minute after the lost
 * build's, waiting for it if need be: a timestamped tag names one build, even after that build is gone.
 *
 * On a second line it prints STAMP_REVISION, the source revision of this build: recorded with the
 * build time, a new commit alone (CI passes one on every run) changes an environment value, which
 * updates the step without running it, so the labels keep the revision of the build they describe
 * and nothing is rebuilt. A definition change runs the step and records the revision of that build.
 */
export const STAMP_ENV = { prefix: "STAMP_TAG_PREFIX", suffix: "STAMP_TAG_SUFFIX", revision: "STAMP_REVISION" } as const;

/** How many later minutes are tried after the first one's tag was found taken. */
export const STAMP_RETRIES = 2;

export const STAMP_SCRIPT = [
  "set -eu",
  'command -v docker >/dev/null 2>&1 || { echo "stamp: docker is not on PATH; the stamp command needs it (docker buildx imagetools) to check that this minute\'s timestamped tag is not taken yet" >&2; exit 1; }',
  `: "$\{${STAMP_ENV.prefix}:?stamp: ${STAMP_ENV.prefix} is not set}" "$\{${STAMP_ENV.suffix}:?stamp: ${STAMP_ENV.suffix} is not set}"`,
  "now=$(date -u +%s)",
  // Run again after the registry lost this cell's image (STEP_STDOUT: the lost build's record): never
  // the lost build's minute, whose timestamped tag someone may still have pinned.
  'if [ -n "${STEP_STDOUT:-}" ]; then',
  '  prev=$(printf \'%s\\n\' "$STEP_STDOUT" | sed -n 1p)',
  '  prev_s=$(date -u -d "$prev" +%s) || { echo "stamp: the last build time $prev is not a time" >&2; exit 1; }',
  "  floor=$((prev_s - prev_s % 60 + 60))",
  '  if [ "$now" -lt "$floor" ]; then echo "progress: stamp: the lost build\'s minute ($prev) is never used again; waiting $((floor - now)) s for the next minute" >&2; fi',
  '  while [ "$now" -lt "$floor" ]; do "${STAMP_SLEEP:-sleep}" $((floor - now)); now=$(date -u +%s); done',
  "fi",
  "retries=0",
  "while :; do",
  "  minute=$((now - now % 60))",
  `  tag="$${STAMP_ENV.prefix}$(date -u -d "@$minute" +%Y%m%d%H%M)$${STAMP_ENV.suffix}"`,
  '  if ! err=$(docker buildx imagetools inspect "$tag" 2>&1 >/dev/null); then',
  `    case "$err" in ${NOT_FOUND_PATTERN}) ;; *) echo "stamp: warning: cannot tell whether $tag exists, taking it as free: $err" >&2 ;; esac`,
  "    break",
  "  fi",
  `  if [ "$retries" -ge ${STAMP_RETRIES} ]; then`,
  `    echo "stamp: $tag exists, as did the timestamped tags of the ${STAMP_RETRIES} minutes before it; a timestamped tag is never moved to other content, so this build gets no tag (retry later)" >&2`,
  "    exit 1",
  "  fi",
  "  retries=$((retries + 1))",
  '  echo "progress: stamp: $tag already exists (this cell was built within this minute); waiting for the next minute" >&2',
  "  next=$((minute + 60))",
  '  while [ "$now" -lt "$next" ]; do',
  '    "${STAMP_SLEEP:-sleep}" $((next - now))',
  "    now=$(date -u +%s)",
  "  done",
  "done",
  'date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ',
  `printf '%s\\n' "$\{${STAMP_ENV.revision}:-}"`,
].join("\n");

/**
 * The stamp step's refresh check (resources/step.ts `check`): the step's environment plus STEP_STDOUT,
 * the recorded build time. When the timestamped tag of that time is not in the registry (the image was
 * deleted, as a registry clean-up deletes it by digest, and its tags with it), it prints one line, and
 * the stamp runs again: the cell is built again under a new build time, so its old timestamped tag is
 * never reused for other content. A timestamped tag that names other content is the tag step's to find.
 */
export const STAMP_CHECK_SCRIPT = [
  "set -eu",
  RESOLVE_FUNCTION,
  `stamp=$(printf '%s\\n' "$\{STEP_STDOUT:-}" | sed -n 1p)`,
  'minute=$(date -u -d "$stamp" +%Y%m%d%H%M) || { echo "stamp check: the recorded build time $stamp is not a time" >&2; exit 1; }',
  `tag="$${STAMP_ENV.prefix}$minute$${STAMP_ENV.suffix}"`,
  'got=$(resolve "$tag")',
  '[ -n "$got" ] || echo "$tag is not in the registry: the cell is built again under a new build time"',
].join("\n");

/** The stamp command's environment for one cell built from `revision`. */
export function stampEnvironment(cell: Cell, revision = ""): Record<string, string> {
  const { prefix, suffix } = timestampedTagParts(cell);
  return { [STAMP_ENV.prefix]: prefix, [STAMP_ENV.suffix]: suffix, [STAMP_ENV.revision]: revision };
}

/** What a build-time step recorded: the build time and the source revision of that build. */
export interface BuildRecord {
  readonly stamp: Stamp;
  /** Undefined for a record from before the revision line: the configured revision applies, as it did then. */
  readonly revision?: string;
}

export function parseBuildRecord(stdout: string): BuildRecord {
  const lines = stdout.split("\n");
  return { stamp: parseStamp(lines[0] ?? ""), revision: lines.length > 1 ? lines[1].trim() : undefined };
}
