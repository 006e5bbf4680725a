import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { compareVersions, droppedPreviews, parsePreview, parseStable, selectVersions, toSemver, type PgVersion } from "../../lib/config/versions";

function stable(t: string): PgVersion {
  const v = parseStable(t);
  assert.ok(v, t);
  return v;
}
function preview(t: string): PgVersion {
  const v = parsePreview(t);
  assert.ok(v, t);
  return v;
}

describe("parseStable", () => {
  it("derives major, clean and lead", () => {
    assert.deepEqual(stable("17.11"), { text: "17.11", major: 17, minor: 11, clean: "17.11", lead: "17" });
    assert.equal(stable("18.0").minor, 0);
  });
  for (const bad of ["17", "17.", "17.1.2", "v17.1", "017.1", "17.01", "9.6", "17~beta1", " 17.1", "17.1 ", "1e1.1"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseStable(bad), undefined));
  }
});

describe("parsePreview", () => {
  it("reads Debian naming", () => {
    assert.deepEqual(preview("19~beta3"), { text: "19~beta3", major: 19, preview: { stage: "beta", number: 3 }, clean: "19beta3", lead: "19beta3" });
    assert.equal(preview("20~alpha1").preview?.stage, "alpha");
    assert.equal(preview("19~rc2").lead, "19rc2");
  });
  for (const bad of ["19beta3", "19-beta3", "19~beta", "19~gamma1", "19.0~beta1", "19~beta0", "19~Beta1", "19"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parsePreview(bad), undefined));
  }
});

describe("selectVersions", () => {
  it("keeps stable versions in config order, then previews without a stable major", () => {
    const s = [stable("18.6"), stable("14.24")];
    const p = [preview("19~beta3"), preview("18~rc1")];
    assert.deepEqual(
      selectVersions(s, p).map((v) => v.text),
      ["18.6", "14.24", "19~beta3"],
    );
    assert.deepEqual(
      droppedPreviews(s, p).map((v) => v.text),
      ["18~rc1"],
    );
  });
});

describe("ordering", () => {
  it("puts a preview before its major's stable release and after the previous major", () => {
    const sorted = [stable("19.0"), preview("19~rc1"), stable("18.6"), preview("19~beta3"), preview("19~alpha2")].sort(compareVersions).map((v) => v.text);
    assert.deepEqual(sorted, ["18.6", "19~alpha2", "19~beta3", "19~rc1", "19.0"]);
    assert.equal(toSemver(preview("19~beta3")), "19.0.0-beta.3");
    assert.ok(compareVersions(stable("17.9"), stable("17.10")) < 0, "minors compare as numbers");
  });
});
