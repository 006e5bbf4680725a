import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { allCells, type Cell } from "../../lib/matrix/matrix";
import { cellArgs, cellLabels, withoutEmpty } from "../../lib/matrix/metadata";
import { cellTags, timestampedTag } from "../../lib/matrix/naming";
import { parseStamp } from "../../lib/matrix/stamp";
import { settingsWith, DIGEST_A, DIGEST_B } from "../helpers";

const STAMP = parseStamp("2026-11-02T08:30:00Z");
const settings = settingsWith({ registry: "registry.internal:5000/pg" });
const cells = allCells(settings);
function cell(name: string): Cell {
  const c = cells.find((x) => x.name === name);
  assert.ok(c, name);
  return c;
}

describe("tags", () => {
  it("gives three tags, the timestamped one in YYYYMMDDhhmm", () => {
    assert.deepEqual(cellTags(cell("postgresql-17-minimal-trixie"), STAMP), [
      "registry.internal:5000/pg/postgresql-testing:17-minimal-trixie",
      "registry.internal:5000/pg/postgresql-testing:17.11-minimal-trixie",
      "registry.internal:5000/pg/postgresql-testing:17.11-202611020830-minimal-trixie",
    ]);
  });
  it("drops the duplicate a preview's lead and clean forms make", () => {
    assert.deepEqual(
      cellTags(cell("postgresql-19beta3-standard-bookworm"), STAMP).map((t) => t.split(":").pop()),
      ["19beta3-standard-bookworm", "19beta3-202611020830-standard-bookworm"],
    );
  });
  it("gives a bullseye base the same three tags as any other: no legacy {v} or {major} tags", () => {
    const bullseye = allCells(settingsWith({ bases: [`debian:trixie-slim@${DIGEST_A}`, `debian:bullseye-slim@${DIGEST_B}`] }));
    const tagsOf = (name: string): string[] => {
      const c = bullseye.find((x) => x.name === name);
      assert.ok(c, name);
      return cellTags(c, STAMP).map((t) => t.split(":").pop()!);
    };
    assert.deepEqual(tagsOf("postgresql-16-system-bullseye"), ["16-system-bullseye", "16.15-system-bullseye", "16.15-202611020830-system-bullseye"]);
    assert.deepEqual(tagsOf("postgresql-16-system-trixie"), ["16-system-trixie", "16.15-system-trixie", "16.15-202611020830-system-trixie"]);
    assert.deepEqual(tagsOf("postgresql-19beta3-system-bullseye"), ["19beta3-system-bullseye", "19beta3-202611020830-system-bullseye"]);
  });
  it("names the timestamped tag separately", () => {
    assert.equal(timestampedTag(cell("postgresql-17-minimal-trixie"), STAMP), "registry.internal:5000/pg/postgresql-testing:17.11-202611020830-minimal-trixie");
    assert.equal(timestampedTag(cell("postgresql-19beta3-system-bookworm"), STAMP), "registry.internal:5000/pg/postgresql-testing:19beta3-202611020830-system-bookworm");
  });
});

describe("build args", () => {
  it("installs extensions and JIT by major; none of them for previews", () => {
    const a17 = cellArgs(cell("postgresql-17-standard-trixie"), ["pgvector", "pgaudit"], "3.19.1");
    assert.equal(a17.EXTENSIONS, "postgresql-17-pgvector postgresql-17-pgaudit");
    assert.equal(a17.STANDARD_ADDITIONAL_POSTGRES_PACKAGES, "");
    assert.equal(a17.PG_MAJOR, "17");
    const a18 = cellArgs(cell("postgresql-18-standard-trixie"), ["pgvector"], "3.19.1");
    assert.equal(a18.STANDARD_ADDITIONAL_POSTGRES_PACKAGES, "postgresql-18-jit");
    const a19 = cellArgs(cell("postgresql-19beta3-minimal-trixie"), ["pgvector"], "3.19.1");
    assert.equal(a19.EXTENSIONS, "");
    assert.equal(a19.PG_VERSION, "19~beta3");
    assert.equal(a19.PG_MAJOR, "19");
    assert.equal(a19.STANDARD_ADDITIONAL_POSTGRES_PACKAGES, "postgresql-19-jit");
  });
  it("passes the base as configured", () => {
    const s = settingsWith({ bases: [`mirror.example:5000/debian:trixie-slim@${DIGEST_A}`] });
    const [c] = allCells(s);
    assert.equal(cellArgs(c, [], "3.19.1").BASE, `mirror.example:5000/debian:trixie-slim@${DIGEST_A}`);
  });
});

describe("labels", () => {
  it("has the 13 OCI keys, base name qualified and digest apart, and the revision given", () => {
    const l = cellLabels(cell("postgresql-18-system-bookworm"), STAMP, "0123456789abcdef0123456789abcdef01234567");
    assert.deepEqual(l, {
      "org.opencontainers.image.authors": "The CloudNativePG Contributors",
      "org.opencontainers.image.base.digest": "sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241",
      "org.opencontainers.image.base.name": "docker.io/library/debian:bookworm-slim",
      "org.opencontainers.image.created": "2026-11-02T08:30:00Z",
      "org.opencontainers.image.description": "A system PostgreSQL 18.6 container image",
      "org.opencontainers.image.documentation": "https://github.com/cloudnative-pg/postgres-containers",
      "org.opencontainers.image.licenses": "Apache-2.0",
      "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
      "org.opencontainers.image.source": "https://github.com/cloudnative-pg/postgres-containers",
      "org.opencontainers.image.title": "CloudNativePG PostgreSQL 18.6 system",
      "org.opencontainers.image.url": "https://github.com/cloudnative-pg/postgres-containers",
      "org.opencontainers.image.vendor": "The CloudNativePG Contributors",
      "org.opencontainers.image.version": "18.6",
    });
  });
  it("leaves out an empty revision once empty values are dropped", () => {
    const l = cellLabels(cell("postgresql-18-system-bookworm"), STAMP, "");
    assert.equal(l["org.opencontainers.image.revision"], "");
    assert.ok(!("org.opencontainers.image.revision" in withoutEmpty(l)));
    assert.equal(Object.keys(withoutEmpty(l)).length, 12);
  });
});
