import type { Cell } from "../matrix/matrix";
import type { StepScriptName } from "./step-script";
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

/** The stamp script, scripts/steps/stamp.sh. */
export const STAMP_SCRIPT: StepScriptName = "stamp";

/**
 * The stamp step's refresh check (resources/step.ts `check`): the step's environment plus STEP_STDOUT,
 * the recorded build time. When the timestamped tag of that time is not in the registry (the image was
 * deleted, as a registry clean-up deletes it by digest, and its tags with it), it prints one line, and
 * the stamp runs again: the cell is built again under a new build time, so its old timestamped tag is
 * never reused for other content. A timestamped tag that names other content is the tag step's to find.
 */
export const STAMP_CHECK_SCRIPT: StepScriptName = "check-stamp";

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
