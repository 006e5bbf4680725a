import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { matrix } from "../../lib/matrix/matrix";
import { planPromotions, productionTags, PromotionError, testingRepository, type PromotionSource } from "../../lib/promotion/promotion";
import { DIGEST_A, DIGEST_B, settingsWith } from "../helpers";

const REGISTRY = "registry.internal:5000/pg";
const TESTING = `${REGISTRY}/postgresql-testing`;
const PROD = `${REGISTRY}/postgresql`;
const SOURCE: PromotionSource = { stack: "org/postgres-images/testing", testingRepository: TESTING, productionRepository: PROD };

const production = settingsWith({
  registry: REGISTRY,
  environment: "production",
  promoteFrom: SOURCE.stack,
  postgresVersions: ["17.11"],
  previewVersions: ["19~beta3"],
  imageTypes: ["minimal"],
  bases: [`debian:trixie-slim@${DIGEST_A}`],
});
const cells = matrix(production);

function testingImage(name: string, digest: string) {
  const [, lead, type, distro] = /^postgresql-([^-]+)-([^-]+)-([^-]+)$/.exec(name)!;
  const clean = lead === "17" ? "17.11" : lead;
  const tags = [...new Set([`${TESTING}:${lead}-${type}-${distro}`, `${TESTING}:${clean}-${type}-${distro}`, `${TESTING}:${clean}-202611020830-${type}-${distro}`])];
  return { digest, ref: `${TESTING}@${digest}`, tags, platforms: ["linux/amd64", "linux/arm64"] };
}

const IMAGES = {
  "postgresql-17-minimal-trixie": testingImage("postgresql-17-minimal-trixie", DIGEST_A),
  "postgresql-19beta3-minimal-trixie": testingImage("postgresql-19beta3-minimal-trixie", DIGEST_B),
  // A cell this production stack does not select: ignored, even when malformed.
  "postgresql-18-minimal-trixie": { ref: "not even a ref" },
};

function refusal(images: unknown, pattern: RegExp): void {
  assert.throws(
    () => planPromotions(cells, images, SOURCE),
    (e: unknown) => {
      assert.ok(e instanceof PromotionError);
      assert.ok(!e.message.includes("\n"), e.message);
      assert.match(e.message, /^postgres-images:promoteFrom: stack "org\/postgres-images\/testing" /);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe("promotion plan", () => {
  it("the production repository and its testing repository are the registry's", () => {
    assert.equal(production.repository, PROD);
    assert.equal(testingRepository(production.registry), TESTING);
    assert.deepEqual(
      cells.map((c) => c.name),
      ["postgresql-17-minimal-trixie", "postgresql-19beta3-minimal-trixie"],
    );
  });

  it("copies each selected cell's testing digest to the production tags, in the testing order", () => {
    const plan = planPromotions(cells, IMAGES, SOURCE);
    assert.deepEqual(plan, [
      {
        cell: "postgresql-17-minimal-trixie",
        digest: DIGEST_A,
        sourceRef: `${TESTING}@${DIGEST_A}`,
        ref: `${PROD}@${DIGEST_A}`,
        tags: [`${PROD}:17-minimal-trixie`, `${PROD}:17.11-minimal-trixie`, `${PROD}:17.11-202611020830-minimal-trixie`],
        pinnedTag: `${PROD}:17.11-202611020830-minimal-trixie`,
        platforms: ["linux/amd64", "linux/arm64"],
      },
      {
        cell: "postgresql-19beta3-minimal-trixie",
        digest: DIGEST_B,
        sourceRef: `${TESTING}@${DIGEST_B}`,
        ref: `${PROD}@${DIGEST_B}`,
        tags: [`${PROD}:19beta3-minimal-trixie`, `${PROD}:19beta3-202611020830-minimal-trixie`],
        pinnedTag: `${PROD}:19beta3-202611020830-minimal-trixie`,
        platforms: ["linux/amd64", "linux/arm64"],
      },
    ]);
  });

  it("a cell without a timestamped tag cannot be promoted: it has no tag that never moves", () => {
    const t = IMAGES["postgresql-17-minimal-trixie"];
    refusal({ ...IMAGES, "postgresql-17-minimal-trixie": { ...t, tags: t.tags.filter((x) => !/-\d{12}-/.test(x)) } }, /has no timestamped tag \(.*postgresql-testing:17\.11-YYYYMMDDhhmm-minimal-trixie\) for cell "postgresql-17-minimal-trixie"$/);
  });

  it("replaces only the repository prefix, not a look-alike inside the tag", () => {
    assert.deepEqual(productionTags("c", [`${TESTING}:postgresql-testing-1`], SOURCE), [`${PROD}:postgresql-testing-1`]);
  });

  it("names every selected cell the testing stack lacks, and what to do", () => {
    refusal({}, /has no image for cells "postgresql-17-minimal-trixie", "postgresql-19beta3-minimal-trixie"; build it in testing first or narrow targets$/);
    const rest = Object.fromEntries(Object.entries(IMAGES).filter(([name]) => name !== "postgresql-19beta3-minimal-trixie"));
    refusal(rest, /has no image for cell "postgresql-19beta3-minimal-trixie"; build it in testing first or narrow targets$/);
  });

  it("refuses an images output that is missing or not a map", () => {
    refusal(undefined, /has no images output/);
    refusal([], /has an images output that is not a map/);
    refusal("x", /has an images output that is not a map/);
  });

  it("refuses refs that are not TESTING_REPO@sha256:<64 hex>", () => {
    const cell = "postgresql-17-minimal-trixie";
    const good = IMAGES[cell];
    for (const ref of [good.tags[0], `${PROD}@${DIGEST_A}`, `${TESTING}@sha256:abc`, `${TESTING}@${DIGEST_A.toUpperCase()}`, `${TESTING}@sha256:${"A".repeat(64)}`, `${TESTING}@${DIGEST_A}0`, `other.example/postgresql-testing@${DIGEST_A}`, `${TESTING}x@${DIGEST_A}`, 42, undefined]) {
      refusal({ ...IMAGES, [cell]: { ...good, ref } }, /has ref .* for cell "postgresql-17-minimal-trixie"; expected registry\.internal:5000\/pg\/postgresql-testing@sha256:<64 hex digits>/);
    }
    refusal({ ...IMAGES, [cell]: "sha256:…" }, /expected \{digest, ref, tags, platforms\}/);
  });

  it("refuses a digest that is not the ref's", () => {
    refusal({ ...IMAGES, "postgresql-17-minimal-trixie": { ...IMAGES["postgresql-17-minimal-trixie"], digest: DIGEST_B } }, /has digest "sha256:b+" for cell .*but its ref names sha256:a+/);
  });

  it("refuses tags outside the testing repository or that are not tags", () => {
    const cell = "postgresql-17-minimal-trixie";
    const good = IMAGES[cell];
    for (const tag of [`${PROD}:17`, `${TESTING}@${DIGEST_A}`, `${TESTING}:`, `${TESTING}:-x`, `${TESTING}:a b`, `other.example/postgresql-testing:17`, 7]) {
      refusal({ ...IMAGES, [cell]: { ...good, tags: [tag] } }, /has tag .* for cell "postgresql-17-minimal-trixie"; expected registry\.internal:5000\/pg\/postgresql-testing:TAG/);
    }
    refusal({ ...IMAGES, [cell]: { ...good, tags: [] } }, /has no tags for cell/);
  });

  it("refuses an image built for other platforms than this stack's (its SBOMs are per platform)", () => {
    const cell = "postgresql-17-minimal-trixie";
    refusal({ ...IMAGES, [cell]: { ...IMAGES[cell], platforms: ["linux/amd64"] } }, /built cell "postgresql-17-minimal-trixie" for linux\/amd64, but this stack's platforms are linux\/amd64, linux\/arm64/);
    // The same set in another order is the same image.
    const plan = planPromotions(cells, { ...IMAGES, [cell]: { ...IMAGES[cell], platforms: ["linux/arm64", "linux/amd64"] } }, SOURCE);
    assert.deepEqual(
      plan.map((p) => [p.cell, p.digest, p.ref]),
      [
        [cell, DIGEST_A, `${PROD}@${DIGEST_A}`],
        ["postgresql-19beta3-minimal-trixie", DIGEST_B, `${PROD}@${DIGEST_B}`],
      ],
    );
  });
});
