import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { allCells, matrix, selectCells } from "../../lib/matrix/matrix";
import { settingsWith, DIGEST_A, DIGEST_B, DIGEST_C } from "../helpers";

/** A small deterministic generator, so the property checks below cover many configurations reproducibly. */
function* configurations(count: number): Generator<Record<string, unknown>> {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const distros = ["trixie", "bookworm", "bullseye", "forky"];
  const digests = [DIGEST_A, DIGEST_B, DIGEST_C, `sha256:${"d".repeat(64)}`];
  const types = ["minimal", "standard", "system"];
  for (let i = 0; i < count; i++) {
    const majors = [...new Set(Array.from({ length: 1 + rand(8) }, () => 10 + rand(12)))];
    const stable = majors.map((m) => `${m}.${rand(30)}`);
    const previews = [...new Set(Array.from({ length: rand(3) }, () => 10 + rand(14)))].map((m) => `${m}~${["alpha", "beta", "rc"][rand(3)]}${1 + rand(4)}`);
    const nBases = 1 + rand(4);
    yield {
      postgresVersions: stable,
      previewVersions: previews,
      imageTypes: types.filter((_, j) => rand(2) === 0 || j === 0),
      bases: distros.slice(0, nBases).map((d, j) => `registry.internal:5000/debian:${d}-slim@${digests[j]}`),
    };
  }
}

describe("matrix properties", () => {
  for (const [i, cfg] of [...configurations(60)].entries()) {
    it(`configuration ${i}: count, unique names, previews dropped once stable`, () => {
      const s = settingsWith(cfg);
      const cells = allCells(s);
      const stableMajors = new Set((cfg.postgresVersions as string[]).map((v) => Number(v.split(".")[0])));
      const keptPreviews = (cfg.previewVersions as string[]).filter((p) => !stableMajors.has(Number(p.split("~")[0])));
      const versions = (cfg.postgresVersions as string[]).length + keptPreviews.length;
      assert.equal(cells.length, s.bases.length * versions * s.imageTypes.length);
      assert.equal(new Set(cells.map((c) => c.name)).size, cells.length, "names are unique");
      for (const c of cells) {
        if (c.version.preview) assert.ok(!stableMajors.has(c.version.major), `${c.name}: preview of a shipped major`);
      }
    });
  }

  it("orders cells by base, then version, then type", () => {
    const cells = allCells(settingsWith({ postgresVersions: ["16.1", "17.2"], previewVersions: [], imageTypes: ["system", "minimal"] }));
    assert.deepEqual(
      cells.slice(0, 5).map((c) => c.name),
      ["postgresql-16-system-trixie", "postgresql-16-minimal-trixie", "postgresql-17-system-trixie", "postgresql-17-minimal-trixie", "postgresql-16-system-bookworm"],
    );
  });
});

describe("targets filter", () => {
  it("selects by name and glob, keeping bake order", () => {
    const s = settingsWith({ targets: ["*-bookworm", "postgresql-17-minimal-trixie"] });
    const names = matrix(s).map((c) => c.name);
    assert.equal(names[0], "postgresql-17-minimal-trixie");
    assert.equal(names.length, 1 + 6 * 3);
    assert.ok(names.slice(1).every((n) => n.endsWith("-bookworm")));
  });

  it("selects one major for a per-major stack", () => {
    const names = matrix(settingsWith({ targets: ["postgresql-17-*"] })).map((c) => c.name);
    assert.equal(names.length, 6);
    assert.ok(names.every((n) => n.startsWith("postgresql-17-")));
  });

  it("is everything when empty", () => {
    const s = settingsWith();
    assert.equal(selectCells(allCells(s), []).length, 36);
  });
});
