/**
 * The stamp command for real: /bin/sh runs the script with a fake `docker` (which tags exist), a
 * fake `date` (a clock in a file) and STAMP_SLEEP pointing at a fake sleep that advances that clock,
 * so "wait for the next minute" is checked without waiting.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { allCells } from "../../lib/matrix/matrix";
import { timestampedTag, timestampedTagParts } from "../../lib/matrix/naming";
import { parseStamp, stampTag } from "../../lib/matrix/stamp";
import { parseBuildRecord, STAMP_CHECK_SCRIPT, STAMP_SCRIPT, stampEnvironment } from "../../lib/build/stamp-command";
import { stepScriptPath } from "../../resources/step-runner";
import { settingsWith } from "../helpers";

const PREFIX = "registry.internal:5000/pg/postgresql-testing:17.11-";
const SUFFIX = "-minimal-trixie";
/** 2026-11-02T08:30:40Z */
const T0 = Date.UTC(2026, 10, 2, 8, 30, 40) / 1000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Tags the fake docker was asked about, in order. */
  asked: string[];
  /** Seconds the fake sleep was asked to sleep, in order. */
  slept: number[];
}

function fakes(existing: readonly string[], options: { docker?: boolean } = {}): { dir: string; run: (clock?: number, env?: Record<string, string>) => Run } {
  const dir = mkdtempSync(join(tmpdir(), "stamp-fake-"));
  const clock = join(dir, "clock");
  // PATH holds the fakes and the few tools they use, nothing else: no real docker (/bin is /usr/bin here).
  mkdirSync(join(dir, "tools"));
  for (const tool of ["cat", "dirname", "grep", "sed"]) symlinkSync(`/usr/bin/${tool}`, join(dir, "tools", tool));
  writeFileSync(join(dir, "tags"), existing.map((t) => `${t}\n`).join(""));
  if (options.docker !== false) {
    // `docker buildx imagetools inspect TAG`: 0 when TAG is listed, 1 ("not found") otherwise.
    writeFileSync(
      join(dir, "docker"),
      `#!/bin/sh\n[ "$1 $2 $3" = "buildx imagetools inspect" ] || { echo "fake docker: unexpected $*" >&2; exit 99; }\nprintf '%s\\n' "$4" >> "${dir}/asked"\ngrep -qxF -- "$4" "${dir}/tags" && exit 0\necho "ERROR: $4: not found" >&2; exit 1\n`,
    );
    chmodSync(join(dir, "docker"), 0o755);
  }
  // `date -u +%s` reads the clock file; any other use (`-d @EPOCH +FORMAT`) is the real date.
  writeFileSync(join(dir, "date"), `#!/bin/sh\nif [ "$*" = "-u +%s" ]; then cat "${clock}"; exit 0; fi\nexec /bin/date "$@"\n`);
  chmodSync(join(dir, "date"), 0o755);
  writeFileSync(join(dir, "sleep"), `#!/bin/sh\nprintf '%s\\n' "$1" >> "${dir}/slept"\necho $(( $(cat "${clock}") + $1 )) > "${clock}"\n`);
  chmodSync(join(dir, "sleep"), 0o755);
  const read = (f: string): string[] => {
    try {
      return readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l !== "");
    } catch {
      return [];
    }
  };
  return {
    dir,
    run: (now = T0, env = {}) => {
      writeFileSync(clock, `${now}\n`);
      const r = spawnSync("/bin/bash", [stepScriptPath(STAMP_SCRIPT)], {
        encoding: "utf8",
        env: { PATH: `${dir}:${dir}/tools`, STAMP_TAG_PREFIX: PREFIX, STAMP_TAG_SUFFIX: SUFFIX, STAMP_SLEEP: join(dir, "sleep"), ...env },
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, asked: read("asked"), slept: read("slept").map(Number) };
    },
  };
}

describe("stamp command", () => {
  it("prints the revision it was given on a second line, as the build's record", () => {
    const r = fakes([]).run(T0, { STAMP_REVISION: "0123abc" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "2026-11-02T08:30:40Z\n0123abc\n");
    assert.deepEqual(parseBuildRecord("2026-11-02T08:30:40Z\n0123abc"), { stamp: "2026-11-02T08:30:40Z", revision: "0123abc" });
    // A record from before the revision line: no revision, so the configured one applies.
    assert.deepEqual(parseBuildRecord("2026-11-02T08:30:40Z"), { stamp: "2026-11-02T08:30:40Z", revision: undefined });
  });

  it("prints the instant it took when that minute's timestamped tag is free", () => {
    const r = fakes([`${PREFIX}202611020829${SUFFIX}`]).run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "2026-11-02T08:30:40Z\n\n");
    assert.deepEqual(r.asked, [`${PREFIX}202611020830${SUFFIX}`]);
    assert.deepEqual(r.slept, []);
  });

  it("a tag taken for this minute (a second build within it): waits for the next minute and takes that", () => {
    const r = fakes([`${PREFIX}202611020830${SUFFIX}`]).run();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.asked, [`${PREFIX}202611020830${SUFFIX}`, `${PREFIX}202611020831${SUFFIX}`]);
    assert.deepEqual(r.slept, [20], "sleeps until 08:31:00");
    assert.equal(r.stdout, "2026-11-02T08:31:00Z\n\n");
    assert.match(r.stderr, /202611020830-minimal-trixie already exists .*waiting for the next minute/);
    // The printed instant is the tag's minute, so the build's tag is the free one.
    assert.equal(stampTag(parseStamp(r.stdout.split("\n")[0])), "202611020831");
  });

  it("rereads the clock after sleeping: a slow wake-up gives the real later instant", () => {
    const f = fakes([`${PREFIX}202611020830${SUFFIX}`]);
    // A sleep that oversleeps by 7 s.
    writeFileSync(join(f.dir, "sleep"), `#!/bin/sh\nprintf '%s\\n' "$1" >> "${f.dir}/slept"\necho $(( $(cat "${f.dir}/clock") + $1 + 7 )) > "${f.dir}/clock"\n`);
    const r = f.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "2026-11-02T08:31:07Z\n\n");
  });

  it("gives up after 2 retries with a clear message, printing no time", () => {
    const taken = ["30", "31", "32"].map((m) => `${PREFIX}2026110208${m}${SUFFIX}`);
    const r = fakes(taken).run();
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, "");
    assert.deepEqual(r.asked, taken);
    assert.deepEqual(r.slept, [20, 60]);
    assert.match(r.stderr, /stamp: .*202611020832-minimal-trixie exists, as did the timestamped tags of the 2 minutes before it; a timestamped tag is never moved to other content/);
    // With one more free minute it would have succeeded: the bound is what failed it.
    assert.equal(fakes(taken.slice(0, 2)).run().stdout, "2026-11-02T08:32:00Z\n\n");
  });

  it("fails with a clear message when docker is not on PATH", () => {
    const r = fakes([], { docker: false }).run();
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /stamp: docker is not on PATH; the stamp command needs it/);
  });

  it("fails when the tag's prefix or suffix is missing from its environment", () => {
    const r = fakes([]).run(T0, { STAMP_TAG_SUFFIX: "" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /STAMP_TAG_SUFFIX is not set/);
  });

  it("warns, and takes the minute as free, when the registry cannot tell whether the tag exists", () => {
    const f = fakes([]);
    writeFileSync(join(f.dir, "docker"), '#!/bin/sh\necho "ERROR: dial tcp 127.0.0.1:5000: connect: connection refused" >&2; exit 1\n');
    const r = f.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "2026-11-02T08:30:40Z\n\n");
    assert.match(r.stderr, /stamp: warning: cannot tell whether .*202611020830.* exists, taking it as free: ERROR: dial tcp .* connection refused/);
  });

  it("says nothing when the registry answers that the tag does not exist", () => {
    const r = fakes([]).run();
    assert.equal(r.status, 0);
    assert.equal(r.stderr, "");
  });

  it("uses the real date and sleep by default", () => {
    const dir = mkdtempSync(join(tmpdir(), "stamp-real-"));
    writeFileSync(join(dir, "docker"), "#!/bin/sh\nexit 1\n");
    chmodSync(join(dir, "docker"), 0o755);
    const before = Math.floor(Date.now() / 1000);
    const r = spawnSync("/bin/bash", [stepScriptPath(STAMP_SCRIPT)], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin`, STAMP_TAG_PREFIX: PREFIX, STAMP_TAG_SUFFIX: SUFFIX } });
    assert.equal(r.status, 0, r.stderr);
    const printed = Date.parse(parseStamp(r.stdout.split("\n")[0])) / 1000;
    assert.ok(printed >= before && printed <= Date.now() / 1000 + 1, r.stdout);
  });
});

describe("the timestamped tag's parts", () => {
  it("prefix + YYYYMMDDhhmm + suffix is the cell's timestamped tag", () => {
    const stamp = parseStamp("2026-11-02T08:30:00Z");
    const cells = allCells(settingsWith({ registry: "registry.internal:5000/pg", previewVersions: ["19~beta3"] }));
    // Written out: the tag the stamp command checks, and the tag the image gets, for two cells.
    const minimal = cells.find((x) => x.name === "postgresql-17-minimal-trixie")!;
    assert.deepEqual(stampEnvironment(minimal, "0123abc"), {
      STAMP_TAG_PREFIX: "registry.internal:5000/pg/postgresql-testing:17.11-",
      STAMP_TAG_SUFFIX: "-minimal-trixie",
      STAMP_REVISION: "0123abc",
    });
    assert.equal(timestampedTag(minimal, stamp), "registry.internal:5000/pg/postgresql-testing:17.11-202611020830-minimal-trixie");
    const { prefix, suffix } = timestampedTagParts(minimal);
    assert.equal(`${prefix}${stampTag(stamp)}${suffix}`, "registry.internal:5000/pg/postgresql-testing:17.11-202611020830-minimal-trixie");
    // And for every cell the two agree.
    for (const cell of cells) {
      const parts = timestampedTagParts(cell);
      assert.equal(`${parts.prefix}${stampTag(stamp)}${parts.suffix}`, timestampedTag(cell, stamp), cell.name);
    }
    const c = cells.find((x) => x.name === "postgresql-19beta3-system-bookworm")!;
    assert.deepEqual(timestampedTagParts(c), { prefix: "registry.internal:5000/pg/postgresql-testing:19beta3-", suffix: "-system-bookworm" });
  });
});

describe("stamp run again after the registry lost the build", () => {
  it("never the lost build's minute: waits for the next one and says so", () => {
    // The lost build was stamped 08:30:10; it is 08:30:40 now.
    const r = fakes([]).run(T0, { STEP_STDOUT: "2026-11-02T08:30:10Z\nabc123" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.slept, [20]);
    assert.equal(r.stdout, "2026-11-02T08:31:00Z\n\n");
    assert.match(r.stderr, /stamp: the lost build's minute \(2026-11-02T08:30:10Z\) is never used again; waiting 20 s for the next minute/);
  });

  it("a lost build of an earlier minute: no wait", () => {
    const r = fakes([]).run(T0, { STEP_STDOUT: "2026-11-02T08:29:59Z" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.slept, []);
    assert.equal(r.stdout, "2026-11-02T08:30:40Z\n\n");
  });

  it("a record that is not a time: fails", () => {
    const r = fakes([]).run(T0, { STEP_STDOUT: "yesterday-ish" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /stamp: the last build time yesterday-ish is not a time/);
  });
});

describe("stamp check (refresh)", () => {
  /** Runs STAMP_CHECK_SCRIPT with the recorded stdout `recorded` against a fake registry holding `tags` (or answering `error`). */
  function check(recorded: string, tags: readonly string[], error?: string): { status: number | null; stdout: string; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), "stamp-check-"));
    mkdirSync(join(dir, "tools"));
    for (const tool of ["cat", "dirname", "grep", "mktemp", "rm", "tr", "sed", "date"]) symlinkSync(`/usr/bin/${tool}`, join(dir, "tools", tool));
    writeFileSync(join(dir, "tags"), tags.map((t) => `${t}\n`).join(""));
    writeFileSync(
      join(dir, "docker"),
      [
        "#!/bin/sh",
        `[ "$1 $2 $3 $5" = "buildx imagetools inspect --format" ] || { echo "fake docker: unexpected $*" >&2; exit 99; }`,
        error === undefined ? "" : `echo ${JSON.stringify(error)} >&2; exit 1`,
        `grep -qxF -- "$4" "${dir}/tags" && { echo '"sha256:${"a".repeat(64)}"'; exit 0; }`,
        'echo "ERROR: $4: not found" >&2; exit 1',
      ].join("\n"),
    );
    chmodSync(join(dir, "docker"), 0o755);
    const r = spawnSync("/bin/bash", [stepScriptPath(STAMP_CHECK_SCRIPT)], {
      encoding: "utf8",
      env: { PATH: `${dir}:${dir}/tools`, STAMP_TAG_PREFIX: PREFIX, STAMP_TAG_SUFFIX: SUFFIX, STEP_STDOUT: recorded },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const TAG = `${PREFIX}202611020830${SUFFIX}`;

  it("the timestamped tag of the recorded time is in the registry: nothing to say", () => {
    const r = check("2026-11-02T08:30:40Z\nabc123", [TAG]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
  });

  it("it is not (the image was deleted): one line, so the cell is built again under a new time", () => {
    const r = check("2026-11-02T08:30:40Z\nabc123", [`${PREFIX}202611020829${SUFFIX}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${TAG} is not in the registry: the cell is built again under a new build time\n`);
  });

  it("a registry that cannot answer, or a record that is not a time: fails", () => {
    assert.match(check("2026-11-02T08:30:40Z", [TAG], "ERROR: 503 Service Unavailable").stderr, /cannot tell whether .*202611020830-minimal-trixie exists: ERROR: 503/);
    const bad = check("not a time", [TAG]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /the recorded build time not a time is not a time/);
  });
});
