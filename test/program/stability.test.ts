/**
 * What the next `pulumi up` rebuilds: nothing when nothing changed (however much later), exactly
 * the cells whose definition changed otherwise, and a failed run leaves state from which the next
 * run finishes the job without building again.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { canonicalJson } from "../../lib/build/definition";
import { byName, COMMAND_TYPE, evaluate, GOLDEN_TIME, goldenConfig, IMAGE_TYPE, partsOf, type Evaluation } from "./harness";

const A_YEAR_LATER = "2027-11-02T08:30:00Z";
const stampTag = (time: string): string => time.replace(/[-:T]/g, "").slice(0, 12);

function imageInputs(run: Evaluation): Map<string, string> {
  return new Map([...byName(run, IMAGE_TYPE)].map(([name, r]) => [name, canonicalJson(r.inputs)]));
}

/** The cells whose steps with this suffix ran, sorted. */
function ran(run: Evaluation, suffix: string): string[] {
  return run.executed
    .filter((e) => e.name.endsWith(`-${suffix}`) && !(suffix === "tags" && e.name.endsWith("-rolling-tags")))
    .map((e) => e.name.slice(0, -suffix.length - 1))
    .sort();
}

describe("rebuilds", () => {
  const config = goldenConfig();
  let first: Evaluation;
  before(async () => {
    first = await evaluate(config, { clock: GOLDEN_TIME });
    assert.ok(first.ok, first.error?.message);
    assert.equal(first.builds.length, 36);
  });

  it("nothing changed, a year later: identical Image inputs, no build, no command runs", async () => {
    const again = await evaluate(config, { clock: A_YEAR_LATER, state: first.state });
    assert.ok(again.ok, again.error?.message);
    assert.deepEqual(imageInputs(again), imageInputs(first));
    assert.deepEqual(again.builds, []);
    assert.deepEqual(again.executed, []);
    assert.ok(again.resources.every((r) => r.action === "same" || r.action === "component"));
    assert.deepEqual(again.outputs, first.outputs);
  });

  it("17.11 → 17.12: exactly the 6 Images of major 17 are rebuilt, with the new time, and signed again", async () => {
    const bumped = await evaluate({ ...config, postgresVersions: ["14.24", "15.19", "16.15", "17.12", "18.6"] }, { clock: A_YEAR_LATER, state: first.state });
    assert.ok(bumped.ok, bumped.error?.message);
    const major17 = [...byName(first, IMAGE_TYPE).keys()].filter((n) => n.startsWith("postgresql-17-"));
    assert.equal(major17.length, 6);
    assert.deepEqual([...bumped.builds].sort(), major17.sort());
    const before = imageInputs(first);
    for (const [name, inputs] of imageInputs(bumped)) {
      if (major17.includes(name)) {
        assert.notEqual(inputs, before.get(name), name);
        const tags = partsOf(byName(bumped, COMMAND_TYPE).get(`${name}-publish`)!).get("tags")!.environment.TAGS.split("\n");
        assert.ok(tags.some((t) => t.includes(`17.12-${stampTag(A_YEAR_LATER)}-`)), name);
      } else assert.equal(inputs, before.get(name), name);
    }
    // Stamped, tagged and signed again: exactly the rebuilt cells, each once.
    for (const suffix of ["built-at", "tags", "sign", "rolling-tags"]) assert.deepEqual(ran(bumped, suffix), major17.sort(), suffix);
    assert.deepEqual(bumped.deleted, []);
  });

  it("a new base adds its cells and changes no existing Image", async () => {
    const base = `debian:forky-slim@sha256:${"d".repeat(64)}`;
    const added = await evaluate({ ...config, bases: [...(config.bases as string[]), base] }, { clock: A_YEAR_LATER, state: first.state });
    assert.ok(added.ok, added.error?.message);
    const before = imageInputs(first);
    const after = imageInputs(added);
    for (const [name, inputs] of before) assert.equal(after.get(name), inputs, name);
    const fresh = [...after.keys()].filter((n) => !before.has(n));
    assert.equal(fresh.length, 18);
    assert.ok(fresh.every((n) => n.endsWith("-forky")));
    assert.deepEqual([...added.builds].sort(), fresh.sort());
  });

  it("a new rebuildEpoch rebuilds every Image with the new time", async () => {
    const epoch = await evaluate({ ...config, rebuildEpoch: "2027-W44" }, { clock: A_YEAR_LATER, state: first.state });
    assert.ok(epoch.ok, epoch.error?.message);
    assert.equal(epoch.builds.length, 36);
    for (const image of byName(epoch, IMAGE_TYPE).values()) {
      assert.equal((image.inputs.labels as Record<string, string>)["org.opencontainers.image.created"], A_YEAR_LATER, image.name);
    }
  });

  it("a changed Dockerfile rebuilds every Image; a file the .dockerignore leaves out rebuilds none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "postgres-images-context-"));
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
    writeFileSync(join(dir, ".dockerignore"), "*\n!Dockerfile\n");
    const small = { ...config, postgresVersions: ["17.11"], previewVersions: [] };
    const base = await evaluate(small, { cwd: dir });
    assert.ok(base.ok, base.error?.message);
    writeFileSync(join(dir, "README.md"), "not in the context\n");
    const ignored = await evaluate(small, { cwd: dir, state: base.state, clock: A_YEAR_LATER });
    assert.deepEqual(ignored.builds, []);
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\nLABEL x=y\n");
    const changed = await evaluate(small, { cwd: dir, state: base.state, clock: A_YEAR_LATER });
    assert.equal(changed.builds.length, 6);
  });
});

describe("a run that fails after the push", () => {
  it("is finished by the next run: no Image is built again, the same digests are signed", async () => {
    const config = goldenConfig();
    const failed = await evaluate(config, { clock: GOLDEN_TIME, fail: (type, name) => type === COMMAND_TYPE && name.endsWith("-sign") });
    assert.equal(failed.ok, false);
    assert.match(failed.error!.message, /-sign/);
    assert.equal(failed.builds.length, 36, "the images were pushed before signing failed");
    assert.equal(failed.executed.filter((e) => e.name.endsWith("-tags") && !e.name.endsWith("-rolling-tags") && !e.failed).length, 36, "and given their timestamped tags");
    assert.ok(!failed.executed.some((e) => e.name.endsWith("-rolling-tags")), "no rolling tag moves to an unsigned digest");
    const pushed = new Map([...byName(failed, IMAGE_TYPE)].map(([n, r]) => [n, r.outputs.digest as string]));
    assert.equal(failed.executed.filter((e) => e.name.endsWith("-sign")).length, 36);
    assert.ok(failed.executed.every((e) => !e.name.includes("-attest-") && !e.name.endsWith("-verify")), "nothing runs after a failed signature");

    const next = await evaluate(config, { clock: A_YEAR_LATER, state: failed.state });
    assert.ok(next.ok, next.error?.message);
    assert.deepEqual(next.builds, []);
    const signed = next.executed.filter((e) => e.name.endsWith("-sign"));
    assert.equal(signed.length, 36);
    for (const s of signed) {
      const cell = s.name.replace(/-sign$/, "");
      assert.equal(s.environment.IMAGE_REF, `localhost:5000/postgresql-testing@${pushed.get(cell)}`, s.name);
    }
    assert.equal(next.executed.filter((e) => e.name.includes("-attest-")).length, 36 * 3);
    assert.ok(!next.executed.some((e) => e.name.endsWith("-built-at")), "the build time is kept");
    assert.ok(!next.executed.some((e) => e.name.endsWith("-tags") && !e.name.endsWith("-rolling-tags")), "the timestamped tags were pushed in the failed run; same digest, same tag: not again");
    assert.deepEqual(ran(next, "rolling-tags"), [...pushed.keys()].sort(), "the rolling tags move once each digest is signed");
  });
});
