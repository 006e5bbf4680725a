/**
 * The golden stack under mocks: 36 Images (trixie and bookworm) whose inputs are, field for field,
 * the bake fixture's targets (fixtures/bake-2026-09/expected.json, read at test time), as the
 * provider receives them. And a stack that still lists bullseye: 54 cells, three tags each.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parseCsvRecord } from "../../lib/build/csv";
import { TAG_SCRIPT } from "../../lib/build/tag-command";
import { POSTGRES_IMAGE_TYPE, STAMP_COMMAND } from "../../resources/postgres-image";
import { byName, COMMAND_TYPE, evaluate, keyOf, scriptName, partsOf, GOLDEN_DIR, GOLDEN_TIME, goldenConfig, IMAGE_TYPE, type Evaluation } from "./harness";
import type { BakeFile } from "../../lib/matrix/bake";

/** The repository every tag of a fixture target names (`REPO:TAG` → `REPO`), read from the fixture itself. */
function repositoryOf(tags: readonly string[]): string {
  const repos = new Set(tags.map((t) => t.slice(0, t.lastIndexOf(":"))));
  assert.equal(repos.size, 1, `one repository for ${tags.join(" ")}`);
  return [...repos][0];
}

/** The fixture's timestamped tag (`…:14.24-202611020830-minimal-bookworm`), the one that never moves. */
function timestampedOf(tags: readonly string[]): string {
  const pinned = tags.filter((t) => /:[^:]*-\d{12}-[^:]*$/.test(t));
  assert.equal(pinned.length, 1, `one timestamped tag in ${tags.join(" ")}`);
  return pinned[0];
}

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
    assert.equal(images.length, expected.group.default.targets.length);
    assert.equal(images.length, 36, "trixie and bookworm: 2 bases × 6 versions × 3 types");
    assert.deepEqual(run.outputs?.targets, expected.group.default.targets);
  });

  it("gives each Image the fixture's args, labels, platforms, target and paths, and no tags", () => {
    const images = byName(run, IMAGE_TYPE);
    for (const [name, t] of Object.entries(expected.target)) {
      const inputs = images.get(name)?.inputs;
      assert.ok(inputs, name);
      // Pushed by digest only: the fixture's tags are the tag step's (next test), never the provider's.
      assert.ok(!("tags" in inputs), `${name}: the Image has no tags input`);
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

  it("tags each pushed digest with the fixture's tags: the timestamped one after the Image, the rolling ones once it is signed", () => {
    const images = byName(run, IMAGE_TYPE);
    const commands = byName(run, COMMAND_TYPE);
    for (const [name, t] of Object.entries(expected.target)) {
      const digest = images.get(name)!.outputs.digest as string;
      const repo = repositoryOf(t.tags);
      const pinned = timestampedOf(t.tags);
      const rolling = t.tags.filter((x) => x !== pinned);
      assert.equal(rolling.length, t.tags.length - 1, `${name}: one timestamped tag`);
      const publish = commands.get(`${name}-publish`);
      assert.ok(publish, `${name}-publish`);
      assert.deepEqual(publish.inputs.triggers, [digest], `${name}: every part runs again for a new digest`);
      assert.ok(publish.dependencies.includes(`${IMAGE_TYPE}::${name}`), `${name}: tags what the Image pushed`);
      const parts = partsOf(publish);
      const names = [...parts.keys()];
      assert.equal(names[0], "tags", `${name}: the timestamped tag first`);
      assert.equal(names[names.length - 1], "rolling-tags", `${name}: the rolling tags once every other part (sign, attest) is done`);
      for (const [partName, tags] of [
        ["tags", [pinned]],
        ["rolling-tags", rolling],
      ] as const) {
        const part = parts.get(partName)!;
        assert.equal(part.script, TAG_SCRIPT, partName);
        assert.equal(part.check, "check-tags", partName);
        assert.deepEqual(part.environment, { IMAGE_REF: `${repo}@${digest}`, DIGEST: digest, PINNED_TAG: pinned, TAGS: tags.join("\n") }, `${name} ${partName}: its tags, one per line, and the timestamped one pinned`);
        assert.equal(part.key, keyOf([tags.join("\n")]), `${name} ${partName}: tagged again for new tags (and for a new digest, the step's trigger)`);
        // The harness's tag script prints DIGEST, as the real one does once every tag resolves to it.
        assert.equal((publish.outputs.done as Record<string, { stdout: string }>)[partName].stdout, digest, partName);
      }
    }
    const order = run.executed.map((e) => e.name);
    for (const name of expected.group.default.targets) {
      assert.ok(order.indexOf(`${name}-tags`) < order.indexOf(`${name}-sign`), `${name}: timestamped tag before it is signed`);
      for (const after of [`${name}-sign`, `${name}-attest-provenance`]) assert.ok(order.indexOf(after) < order.indexOf(`${name}-rolling-tags`), `${name}: rolling tags after ${after}`);
    }
  });

  it("pushes through one raw image exporter with the fixture's output, by digest to the repository, annotations on index and manifest", () => {
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
      // Differs from the fixture on purpose: upstream's bake names every tag in the exporter, while the
      // program pushes by digest to the bare repository (no tag) and its tag step tags the digest.
      assert.equal(attrs.get("name"), repositoryOf(t.tags), `${name} exporter name is the repository, no tag`);
      assert.equal(attrs.get("push-by-digest"), "true", `${name} pushes by digest`);
      assert.deepEqual([...attrs.keys()].sort(), ["name", "oci-artifact", "oci-mediatypes", "push", "push-by-digest", "type"], `${name}: no other exporter attribute`);
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
      // The guarded stamp (lib/build/stamp-command.ts): never a minute whose timestamped tag exists already.
      assert.equal(scriptName(stamp), STAMP_COMMAND);
      const env = stamp.inputs.environment as Record<string, string>;
      assert.ok(env.STAMP_TAG_PREFIX.startsWith("localhost:5000/postgresql-testing:") && env.STAMP_TAG_SUFFIX.startsWith("-"), name);
      const triggers = stamp.inputs.triggers as string[];
      assert.equal(triggers.length, 1);
      assert.match(triggers[0], /^[0-9a-f]{64}$/);
    }
    const hashes = new Set([...commands.values()].filter((c) => c.name.endsWith("-built-at")).map((c) => (c.inputs.triggers as string[])[0]));
    assert.equal(hashes.size, expected.group.default.targets.length, "every cell has its own definition");
  });

  it("signs every Image's digest (keyless by default): REPO@DIGEST in the sign command's environment", () => {
    const commands = byName(run, COMMAND_TYPE);
    for (const [name, image] of byName(run, IMAGE_TYPE)) {
      const digest = image.outputs.digest as string;
      const publish = commands.get(`${name}-publish`)!;
      const sign = partsOf(publish).get("sign");
      assert.ok(sign, name);
      assert.equal(sign.environment.IMAGE_REF, `localhost:5000/postgresql-testing@${digest}`, name);
      // Keyless with the default Fulcio and Rekor: the signer's static environment is empty.
      assert.equal(sign.key, keyOf(['{"mode":"keyless","tlogUpload":true}']), name);
      assert.deepEqual(publish.inputs.secretEnvironment, {}, `${name}: keyless signing has no password`);
      assert.ok([...partsOf(publish).keys()].indexOf("tags") < [...partsOf(publish).keys()].indexOf("sign"), `${name}: signed after it is tagged`);
      assert.equal(sign.script, "sign", name);
      assert.equal(sign.check, "check-signatures", name);
      assert.equal(sign.environment.COSIGN_KEY, undefined, `${name}: keyless`);
    }
  });

  it("registers two steps per cell, the stamp and one made of seven parts: timestamped tag, sign, provenance, an SBOM per platform, rolling tags (no verify configured)", () => {
    const steps = run.resources.filter((r) => r.type === COMMAND_TYPE);
    assert.equal(steps.length, expected.group.default.targets.length * 2);
    assert.deepEqual(steps.map((r) => r.name).sort(), expected.group.default.targets.flatMap((name) => [`${name}-built-at`, `${name}-publish`]).sort());
    for (const name of expected.group.default.targets) {
      assert.deepEqual([...partsOf(byName(run, COMMAND_TYPE).get(`${name}-publish`)!).keys()], ["tags", "sign", "attest-provenance", "attest-sbom-linux-amd64", "attest-sbom-linux-arm64", "rolling-tags"], name);
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
    // One catalog per type and distro of the fixture's targets (postgresql-LEAD-TYPE-DISTRO).
    const typeDistros = new Set(expected.group.default.targets.map((n) => n.split("-").slice(-2).join("-")));
    assert.equal(typeDistros.size, 6);
    assert.equal(out.catalogs.length, typeDistros.size);
  });
});

describe("a stack that still lists bullseye", () => {
  const BULLSEYE = "debian:bullseye-slim@sha256:f313b4bd62667092a59b3a664d7d3ab8b5e65f41675f48e81455a15dc5abe792";
  let run: Evaluation;
  before(async () => {
    const config = goldenConfig();
    run = await evaluate({ ...config, bases: [...(config.bases as string[]), BULLSEYE] }, { clock: GOLDEN_TIME });
    assert.ok(run.ok, run.error?.message);
  });

  it("builds 54 cells: 3 bases × 6 versions × 3 types", () => {
    assert.equal(byName(run, IMAGE_TYPE).size, 54);
    assert.equal([...byName(run, IMAGE_TYPE).keys()].filter((n) => n.endsWith("-bullseye")).length, 18);
    assert.equal((run.outputs?.targets as string[]).length, 54);
  });

  it("gives its system images the same three tags as any other base: no legacy {v} or {major} tags", () => {
    const repo = "localhost:5000/postgresql-testing";
    const want = [`${repo}:16-system-bullseye`, `${repo}:16.15-system-bullseye`, `${repo}:16.15-202611020830-system-bullseye`];
    const steps = byName(run, COMMAND_TYPE);
    const parts = partsOf(steps.get("postgresql-16-system-bullseye-publish")!);
    const tags = ["rolling-tags", "tags"].flatMap((n) => parts.get(n)!.environment.TAGS.split("\n"));
    assert.deepEqual(tags, want);
    assert.deepEqual(run.outputs!.images["postgresql-16-system-bullseye"].tags, want);
    for (const [name, image] of Object.entries(run.outputs!.images)) {
      if (!name.includes("-system-bullseye")) continue;
      const preview = name.startsWith("postgresql-19beta3-");
      assert.equal(image.tags.length, preview ? 2 : 3, `${name}: ${image.tags.join(" ")}`);
      assert.ok(image.tags.every((t) => t.endsWith("-system-bullseye")), `${name}: ${image.tags.join(" ")}`);
    }
  });
});
