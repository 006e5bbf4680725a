/**
 * The golden stack under mocks: 54 Images whose inputs are, field for field, the bake fixture's
 * targets (expected.json, read at test time), as the provider receives them.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parseCsvRecord } from "../../lib/csv";
import { POSTGRES_IMAGE_TYPE, STAMP_COMMAND } from "../../resources/postgres-image";
import { byName, COMMAND_TYPE, evaluate, GOLDEN_DIR, GOLDEN_TIME, goldenConfig, IMAGE_TYPE, type Evaluation } from "./harness";
import type { BakeFile } from "../../lib/bake";

function nonEmpty(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ""));
}

/** Exporter fields as `key → value`, and `annotation-index.K`/`annotation-manifest.K` gathered into maps. */
function readExporter(raw: string): { attrs: Map<string, string>; index: Record<string, string>; manifest: Record<string, string> } {
  const attrs = new Map<string, string>();
  const index: Record<string, string> = {};
  const manifest: Record<string, string> = {};
  for (const field of parseCsvRecord(raw)) {
    const eq = field.indexOf("=");
    assert.ok(eq > 0, `exporter field without "=": ${field}`);
    const [k, v] = [field.slice(0, eq), field.slice(eq + 1)];
    if (k.startsWith("annotation-index.")) index[k.slice("annotation-index.".length)] = v;
    else if (k.startsWith("annotation-manifest.")) manifest[k.slice("annotation-manifest.".length)] = v;
    else {
      assert.ok(!attrs.has(k), `exporter repeats ${k}`);
      attrs.set(k, v);
    }
  }
  return { attrs, index, manifest };
}

describe("golden stack under mocks", () => {
  let run: Evaluation;
  let expected: BakeFile;
  before(async () => {
    expected = JSON.parse(readFileSync(join(GOLDEN_DIR, "expected.json"), "utf8")) as BakeFile;
    run = await evaluate(goldenConfig(), { clock: GOLDEN_TIME });
    assert.ok(run.ok, run.error?.message);
  });

  it("registers one Image per bake target, named by cell; targets in bake order", () => {
    // Registration order is the SDK's (inputs resolve asynchronously); the bake order is the output's.
    const images = run.resources.filter((r) => r.type === IMAGE_TYPE);
    assert.deepEqual(images.map((r) => r.name).sort(), [...expected.group.default.targets].sort());
    assert.equal(images.length, 54);
    assert.deepEqual(run.outputs?.targets, expected.group.default.targets);
  });

  it("gives each Image the fixture's tags, args, labels, platforms, target and paths", () => {
    const images = byName(run, IMAGE_TYPE);
    for (const [name, t] of Object.entries(expected.target)) {
      const inputs = images.get(name)?.inputs;
      assert.ok(inputs, name);
      assert.deepEqual(inputs.tags, t.tags, `${name} tags`);
      assert.deepEqual(inputs.buildArgs, nonEmpty(t.args), `${name} buildArgs`);
      assert.deepEqual(inputs.labels, nonEmpty(t.labels), `${name} labels`);
      assert.deepEqual(inputs.platforms, t.platforms, `${name} platforms`);
      assert.equal(inputs.target, t.target, `${name} target`);
      assert.deepEqual(inputs.context, { location: t.context }, `${name} context`);
      assert.deepEqual(inputs.dockerfile, { location: t.dockerfile }, `${name} dockerfile`);
      assert.equal(inputs.push, false, `${name}: pushing is the exporter's job`);
      assert.equal(inputs.buildOnPreview, false, name);
    }
  });

  it("pushes through one raw image exporter with the fixture's output, names and annotations on index and manifest", () => {
    const images = byName(run, IMAGE_TYPE);
    for (const [name, t] of Object.entries(expected.target)) {
      const exports = images.get(name)?.inputs.exports as { raw: string }[];
      assert.equal(exports.length, 1, name);
      const { attrs, index, manifest } = readExporter(exports[0].raw);
      // Every attribute of upstream's output is there with its value.
      for (const field of parseCsvRecord(t.output[0])) {
        const [k, v] = field.split("=", 2);
        assert.equal(attrs.get(k), v, `${name} exporter ${k}`);
      }
      assert.equal(attrs.get("push"), "true", name);
      assert.deepEqual(attrs.get("name")?.split(","), t.tags, `${name} exporter names`);
      const annotations: Record<string, string> = {};
      for (const a of t.annotations) {
        assert.ok(a.startsWith("index,manifest:"), a);
        const pair = a.slice("index,manifest:".length);
        const eq = pair.indexOf("=");
        annotations[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      assert.equal(Object.keys(annotations).length, 13, name);
      assert.deepEqual(index, nonEmpty(annotations), `${name} index annotations`);
      assert.deepEqual(manifest, nonEmpty(annotations), `${name} manifest annotations`);
    }
  });

  it("keeps pushed images on delete and parents everything to the cell's component", () => {
    for (const r of run.resources) {
      if (r.type === POSTGRES_IMAGE_TYPE) continue;
      const cell = run.resources.find((c) => c.type === POSTGRES_IMAGE_TYPE && (r.name === c.name || r.name.startsWith(`${c.name}-`)));
      assert.ok(cell, r.name);
      assert.equal(r.parent, `${POSTGRES_IMAGE_TYPE}::${cell.name}`, r.name);
      if (r.type === IMAGE_TYPE) assert.equal(r.retainOnDelete, true, r.name);
    }
  });

  it("stamps with the recorded build time: one stamp command per cell, triggered by the definition hash", () => {
    const commands = byName(run, COMMAND_TYPE);
    for (const name of expected.group.default.targets) {
      const stamp = commands.get(`${name}-built-at`);
      assert.ok(stamp, name);
      // The guarded stamp (lib/stamp-command.ts): never a minute whose timestamped tag exists already.
      assert.equal(stamp.inputs.create, STAMP_COMMAND);
      const env = stamp.inputs.environment as Record<string, string>;
      assert.ok(env.STAMP_TAG_PREFIX.startsWith("localhost:5000/postgresql-testing:") && env.STAMP_TAG_SUFFIX.startsWith("-"), name);
      const triggers = stamp.inputs.triggers as string[];
      assert.equal(triggers.length, 1);
      assert.match(triggers[0], /^[0-9a-f]{64}$/);
    }
    const hashes = new Set([...commands.values()].filter((c) => c.name.endsWith("-built-at")).map((c) => (c.inputs.triggers as string[])[0]));
    assert.equal(hashes.size, 54, "every cell has its own definition");
  });

  it("signs every Image's digest (keyless by default): REPO@DIGEST in the sign command's environment", () => {
    const commands = byName(run, COMMAND_TYPE);
    for (const [name, image] of byName(run, IMAGE_TYPE)) {
      const digest = image.outputs.digest as string;
      const sign = commands.get(`${name}-sign`);
      assert.ok(sign, name);
      assert.equal((sign.inputs.environment as Record<string, string>).IMAGE_REF, `localhost:5000/postgresql-testing@${digest}`, name);
      assert.deepEqual(sign.inputs.triggers, [digest], name);
      assert.ok(!String(sign.inputs.create).includes("--key"), `${name}: keyless`);
    }
  });

  it("outputs each image by digest and a catalog per type and distro", () => {
    const images = byName(run, IMAGE_TYPE);
    const out = run.outputs!;
    for (const name of expected.group.default.targets) {
      const digest = images.get(name)!.outputs.digest as string;
      assert.equal(out.images[name].digest, digest);
      assert.equal(out.images[name].ref, `localhost:5000/postgresql-testing@${digest}`);
      assert.deepEqual(out.images[name].tags, expected.target[name].tags);
      assert.deepEqual(out.images[name].platforms, expected.target[name].platforms);
    }
    assert.equal(out.catalogs.length, 9);
  });
});
