import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { canonicalJson, definitionHash, type BuildSources } from "../../lib/build/definition";
import { matrix } from "../../lib/matrix/matrix";
import { settingsWith } from "../helpers";

const SOURCES: BuildSources = { contextHash: "c".repeat(64), dockerfileHash: "d".repeat(64) };

function hashes(overrides: Record<string, unknown> = {}, sources = SOURCES): Map<string, string> {
  const s = settingsWith(overrides);
  return new Map(matrix(s).map((c) => [c.name, definitionHash(c, s, sources)]));
}

describe("canonical JSON", () => {
  it("is independent of key order and drops undefined members", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });
});

describe("definition hash", () => {
  it("differs between cells and is stable for the same definition", () => {
    const a = hashes();
    assert.equal(new Set(a.values()).size, a.size);
    assert.deepEqual(hashes(), a);
  });
  it("changes for exactly the cells whose inputs change", () => {
    const a = hashes();
    const b = hashes({ postgresVersions: ["14.24", "15.19", "16.15", "17.12", "18.6"] });
    const changed = [...a.keys()].filter((n) => a.get(n) !== b.get(n));
    assert.deepEqual(changed, [...a.keys()].filter((n) => n.startsWith("postgresql-17-")));
  });
  it("changes for every cell with the context, the Dockerfile, rebuildEpoch, build args, builder or cache", () => {
    const a = hashes();
    const variants = [
      hashes({}, { ...SOURCES, contextHash: "e".repeat(64) }),
      hashes({}, { ...SOURCES, dockerfileHash: "e".repeat(64) }),
      hashes({ rebuildEpoch: "2026-W48" }),
      hashes({ buildArgs: { PG_PACKAGES: "debian" } }),
      hashes({ builder: "kit" }),
      hashes({ cacheRepository: "localhost:5000/cache" }),
    ];
    for (const [i, v] of variants.entries()) for (const [name, h] of a) assert.notEqual(v.get(name), h, `variant ${i}: ${name}`);
  });
  it("ignores what does not define an image: signing, targets, the source revision (recorded with the build time)", () => {
    const a = hashes();
    const b = hashes({ signing: { mode: "none" }, targets: ["postgresql-17-*"], revision: "0123456789abcdef0123456789abcdef01234567" });
    for (const [name, h] of b) assert.equal(h, a.get(name), name);
  });
});
