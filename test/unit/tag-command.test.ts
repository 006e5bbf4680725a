/**
 * The tag step's script for real: bash runs scripts/steps/tag.sh (as the Step does) with a fake `docker` that
 * keeps a registry of tag → digest in a file, and a fake `sleep`, so the one rule a tag push can break
 * (the timestamped tag never moves) and the retries are checked without a registry or waiting.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TAG_CHECK_SCRIPT, TAG_SCRIPT } from "../../lib/build/tag-command";
import type { StepScriptName } from "../../lib/build/step-script";
import { stepScriptPath } from "../../resources/step-runner";
import { DIGEST_A, DIGEST_B } from "../helpers";

const REPO = "registry.internal:5000/pg/postgresql-testing";
const PINNED = `${REPO}:17.11-202611020830-minimal-trixie`;
const TAGS = [`${REPO}:17-minimal-trixie`, `${REPO}:17.11-minimal-trixie`, PINNED];

/*
 * `docker buildx imagetools inspect TAG --format '{{json .Manifest.Digest}}'`: the registry's digest as
 * JSON, or "not found" (or the text of FAKE_DIR/inspect-error, when that file exists);
 * `docker buildx imagetools create --prefer-index=false --tag TAG REPO@DIGEST`: TAG → DIGEST, logged in
 * FAKE_DIR/created; it fails as often as FAKE_DIR/create-failures says first.
 */
const FAKE_DOCKER = `#!/bin/sh
d="$FAKE_DIR"
[ "$1 $2" = "buildx imagetools" ] || { echo "fake docker: unexpected $*" >&2; exit 99; }
case "$3" in
inspect)
  [ "$#" -eq 6 ] && [ "$5" = "--format" ] && [ "$6" = '{{json .Manifest.Digest}}' ] || { echo "fake docker: unexpected $*" >&2; exit 99; }
  if [ -f "$d/inspect-error" ]; then cat "$d/inspect-error" >&2; exit 1; fi
  if got=$(awk -v t="$4" '$1 == t { g = $2 } END { if (g == "") exit 1; print g }' "$d/registry"); then printf '"%s"\\n' "$got"; exit 0; fi
  echo "ERROR: $4: not found" >&2; exit 1 ;;
create)
  [ "$#" -eq 7 ] && [ "$4" = "--prefer-index=false" ] && [ "$5" = "--tag" ] || { echo "fake docker: unexpected $*" >&2; exit 99; }
  n=$(cat "$d/create-failures")
  if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$d/create-failures"; echo "ERROR: 500 Internal Server Error" >&2; exit 1; fi
  printf '%s %s\\n' "$6" "$7" >> "$d/created"
  printf '%s %s\\n' "$6" "\${7#*@}" >> "$d/registry" ;;
*) echo "fake docker: unexpected $*" >&2; exit 99 ;;
esac
`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** `TAG SOURCE` per create, in order. */
  created: string[];
  slept: string[];
}

function registry(existing: Readonly<Record<string, string>>, options: { inspectError?: string; createFailures?: number; script?: StepScriptName } = {}): (env?: Record<string, string>) => Run {
  const dir = mkdtempSync(join(tmpdir(), "tag-fake-"));
  // PATH holds the fakes and the tools the script and the fakes use, nothing else: no real docker.
  mkdirSync(join(dir, "tools"));
  for (const tool of ["awk", "cat", "dirname", "mktemp", "rm", "tr"]) symlinkSync(`/usr/bin/${tool}`, join(dir, "tools", tool));
  writeFileSync(join(dir, "docker"), FAKE_DOCKER);
  writeFileSync(join(dir, "sleep"), `#!/bin/sh\nprintf '%s\\n' "$1" >> "${dir}/slept"\n`);
  for (const f of ["docker", "sleep"]) chmodSync(join(dir, f), 0o755);
  writeFileSync(join(dir, "registry"), Object.entries(existing).map(([t, d]) => `${t} ${d}\n`).join(""));
  writeFileSync(join(dir, "create-failures"), `${options.createFailures ?? 0}\n`);
  if (options.inspectError !== undefined) writeFileSync(join(dir, "inspect-error"), options.inspectError);
  const lines = (f: string): string[] => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l !== "") : []);
  return (env = {}) => {
    const r = spawnSync("/bin/bash", [stepScriptPath(options.script ?? TAG_SCRIPT)], {
      encoding: "utf8",
      env: { PATH: `${dir}:${dir}/tools`, FAKE_DIR: dir, IMAGE_REF: `${REPO}@${DIGEST_A}`, DIGEST: DIGEST_A, PINNED_TAG: PINNED, TAGS: TAGS.join("\n"), ...env },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, created: lines("created"), slept: lines("slept") };
  };
}

describe("tag command", () => {
  it("a new build: tags the digest with every tag, in order, and prints the digest", () => {
    const r = registry({})();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${DIGEST_A}\n`);
    assert.deepEqual(
      r.created,
      TAGS.map((t) => `${t} ${REPO}@${DIGEST_A}`),
    );
  });

  it("the timestamped tag already names this digest (a run that failed after tagging): tags again", () => {
    const r = registry({ [PINNED]: DIGEST_A })();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${DIGEST_A}\n`);
    assert.equal(r.created.length, 3);
  });

  it("rolling tags move to the new digest", () => {
    const r = registry({ [`${REPO}:17-minimal-trixie`]: DIGEST_B, [`${REPO}:17.11-minimal-trixie`]: DIGEST_B })();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.created.length, 3);
  });

  it("the timestamped tag names another digest: fails, tags nothing, points at rebuildEpoch", () => {
    const r = registry({ [PINNED]: DIGEST_B })();
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.deepEqual(r.created, []);
    assert.match(r.stderr, new RegExp(`tag: ${PINNED.replace(/[.]/g, "\\.")} already names ${DIGEST_B}, and this build is ${DIGEST_A}; a timestamped tag never moves`));
    assert.match(r.stderr, /postgres-images:rebuildEpoch/);
  });

  it("a registry that cannot say whether the timestamped tag exists: fails, tags nothing", () => {
    const r = registry({}, { inspectError: "ERROR: unauthorized: authentication required" })();
    assert.equal(r.status, 1);
    assert.deepEqual(r.created, []);
    assert.match(r.stderr, /tag: cannot tell whether .*17\.11-202611020830-minimal-trixie exists: ERROR: unauthorized/);
  });

  it("IMAGE_REF that does not name DIGEST, or no PINNED_TAG: refuses before asking the registry", () => {
    const other = registry({})({ IMAGE_REF: `${REPO}@${DIGEST_B}` });
    assert.equal(other.status, 2);
    assert.deepEqual(other.created, []);
    assert.match(other.stderr, /does not name DIGEST/);
    const unpinned = registry({})({ PINNED_TAG: "" });
    assert.equal(unpinned.status, 2);
    assert.match(unpinned.stderr, /PINNED_TAG is empty/);
  });

  it("a failed push is tried again, at most 3 times", () => {
    const twice = registry({}, { createFailures: 2 })();
    assert.equal(twice.status, 0, twice.stderr);
    assert.equal(twice.created.length, 3);
    assert.deepEqual(twice.slept, ["2", "2"]);
    const thrice = registry({}, { createFailures: 3 })();
    assert.equal(thrice.status, 1);
    assert.deepEqual(thrice.created, []);
    assert.match(thrice.stderr, /tag: pushing .*:17-minimal-trixie failed 3 times/);
  });
});

describe("tag check (refresh)", () => {
  const IMAGE = `${REPO}@${DIGEST_A}`;
  const check = (existing: Readonly<Record<string, string>>, options: { inspectError?: string } = {}): Run => registry(existing, { ...options, script: TAG_CHECK_SCRIPT })();
  const all = { [IMAGE]: DIGEST_A, ...Object.fromEntries(TAGS.map((t) => [t, DIGEST_A])) };

  it("the registry agrees: prints nothing, pushes nothing", () => {
    const r = check(all);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.deepEqual(r.created, []);
  });

  it("the image deleted by digest: one line naming it", () => {
    const r = check({});
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${IMAGE} is not in the registry any more\n`);
  });

  it("a rolling tag missing and the timestamped tag naming other content: a line each, in tag order", () => {
    const r = check({ [IMAGE]: DIGEST_A, [TAGS[1]]: DIGEST_A, [PINNED]: DIGEST_B });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${TAGS[0]} is missing\n${PINNED} names ${DIGEST_B}, not ${DIGEST_A}\n`);
    assert.deepEqual(r.created, []);
  });

  it("a registry that cannot answer: fails with its answer, so the refresh does not call the state checked", () => {
    const r = check(all, { inspectError: "ERROR: unauthorized: authentication required" });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /cannot tell whether .*@sha256:a+ exists: ERROR: unauthorized/);
  });
});
