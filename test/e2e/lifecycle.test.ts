/**
 * What a change of configuration rebuilds, on the real engine, counted from the engine's own events:
 * adding a type adds its cell and touches no other, a minor bump and an epoch bump rebuild exactly the
 * cells they define. A small stack (amd64, unsigned) built from a stub Dockerfile (the project's stage
 * names, nothing installed) keeps the rebuilds cheap: what is counted is the engine's decision.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { count, engine, IMAGE_TYPE, STEP_TYPE, TierStack } from "./engine";
import { baseRef, requireTools, resolvedDigest, stubContext, type ImageOutput } from "./support";

const WORK = mkdtempSync(join(tmpdir(), "pgi-lifecycle-"));
const REGISTRY = `localhost:5000/e2e-lifecycle-${Date.now()}`;
const MINIMAL = "postgresql-17-minimal-trixie";
const STANDARD = "postgresql-17-standard-trixie";

let stack: TierStack;
let last: Record<string, ImageOutput> = {};

describe("rebuilds on the real engine", { timeout: 30 * 60 * 1000 }, () => {
  before(async () => {
    requireTools();
    engine(join(WORK, "state"));
    stack = new TierStack(
      "lifecycle",
      {
        registry: REGISTRY,
        postgresVersions: ["17.12"],
        previewVersions: [],
        imageTypes: ["minimal"],
        bases: [baseRef()],
        platforms: ["linux/amd64"],
        ...stubContext(),
        builder: process.env.E2E_BUILDER ?? "postgres-images",
        signing: { mode: "none" },
      },
      {},
      WORK,
    );
    await stack.up();
    last = await stack.images();
    assert.deepEqual(Object.keys(last), [MINIMAL]);
  });

  it("adding a type builds its cell and changes none of the others", async () => {
    await stack.reconfigure({ imageTypes: ["minimal", "standard"] });
    const r = await stack.up();
    // The component and its Image share the cell's name.
    assert.deepEqual([...r.changed].map(([n, op]) => `${n}:${op}`).sort(), [`${STANDARD}-built-at:create`, `${STANDARD}-tags:create`, `${STANDARD}:create`].sort());
    assert.equal(count(r, IMAGE_TYPE, "create"), 1);
    const now = await stack.images();
    assert.deepEqual(now[MINIMAL], last[MINIMAL], "the minimal cell keeps its digest and tags");
    last = now;
  });

  it("a minor bump rebuilds exactly the cells of that version, under a new build time", async () => {
    await stack.reconfigure({ postgresVersions: ["17.13"] });
    const r = await stack.up();
    assert.equal(count(r, IMAGE_TYPE, "update"), 2, JSON.stringify([...r.changed]));
    assert.equal(count(r, STEP_TYPE, "replace"), 4, "two stamps and two tag steps (unsigned: one tag step a cell)");
    const now = await stack.images();
    for (const n of [MINIMAL, STANDARD]) {
      assert.notEqual(now[n].digest, last[n].digest, n);
      assert.ok(now[n].tags.some((t) => t.endsWith(`:17.13-${n.split("-")[2]}-trixie`)), `${n} tagged 17.13`);
      // The old timestamped tag stays on the old build.
      const oldPinned = last[n].tags.find((t) => /-\d{12}-/.test(t))!;
      assert.equal(resolvedDigest(oldPinned), last[n].digest, oldPinned);
    }
    last = now;
  });

  it("an epoch bump rebuilds every cell once, with a new time, and the next up has nothing to do", async () => {
    await stack.reconfigure({ rebuildEpoch: "2026-W49" });
    const r = await stack.up();
    assert.equal(count(r, IMAGE_TYPE, "update"), 2, JSON.stringify([...r.changed]));
    assert.equal(count(r, STEP_TYPE, "replace"), 4);
    const now = await stack.images();
    for (const n of [MINIMAL, STANDARD]) assert.notDeepEqual(now[n].tags, last[n].tags, `${n}: a new timestamped tag`);
    await stack.preview({ expectNoChanges: true });
  });
});
