import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { formatImageRef, isRegistry, parseImageRef, qualifiedRepository, ImageRefError } from "../../lib/config/reference";

const D = `sha256:${"a".repeat(64)}`;

describe("parseImageRef", () => {
  it("reads a Docker Hub short name with tag and digest", () => {
    assert.deepEqual(parseImageRef(`debian:trixie-slim@${D}`), { domain: undefined, path: "debian", tag: "trixie-slim", digest: D });
  });

  it("keeps a registry port apart from the tag", () => {
    const ref = parseImageRef(`registry.internal:5000/mirror/debian:trixie-slim@${D}`);
    assert.equal(ref.domain, "registry.internal:5000");
    assert.equal(ref.path, "mirror/debian");
    assert.equal(ref.tag, "trixie-slim");
    assert.equal(ref.digest, D);
  });

  it("reads a port without a tag (the colon is the port's)", () => {
    const ref = parseImageRef(`mirror.example:5000/debian@${D}`);
    assert.equal(ref.domain, "mirror.example:5000");
    assert.equal(ref.path, "debian");
    assert.equal(ref.tag, undefined);
  });

  it("reads localhost and IPv6 registries", () => {
    assert.equal(parseImageRef("localhost/debian:12").domain, "localhost");
    assert.equal(parseImageRef("localhost:5000/debian").domain, "localhost:5000");
    assert.equal(parseImageRef("[::1]:5000/debian:12").domain, "[::1]:5000");
  });

  it("treats a first component without dot, colon or localhost as a path", () => {
    const ref = parseImageRef("library/debian:12");
    assert.equal(ref.domain, undefined);
    assert.equal(ref.path, "library/debian");
  });

  it("leaves tag and digest undefined when missing", () => {
    assert.deepEqual(parseImageRef("debian"), { domain: undefined, path: "debian", tag: undefined, digest: undefined });
  });

  for (const [input, part] of [
    ["debian:trixie@sha256:abc", "digest"],
    [`debian:trixie@sha512:${"a".repeat(128)}`, "digest"],
    [`debian:trixie@SHA256:${"A".repeat(64)}`, "digest"],
    // Upper-case hex under a lower-case algorithm, and one hex digit too many (the pattern's end anchor).
    [`debian:trixie@sha256:${"A".repeat(64)}`, "digest"],
    [`debian:trixie@sha256:${"a".repeat(65)}`, "digest"],
    ["debian:-bad", "tag"],
    ["-bad.example/x:1", "registry host"],
    ["reg_istry.com/debian:1", "registry host"],
    ["debian//x", "path"],
    ["debian:trixie slim", "white space"],
    ["", "empty"],
    ["UPPER:1", "path"],
  ] as const) {
    it(`rejects ${JSON.stringify(input)} naming the ${part}`, () => {
      assert.throws(() => parseImageRef(input), (e: unknown) => e instanceof ImageRefError && e.message.includes(part));
    });
  }

  it("round-trips through formatImageRef", () => {
    for (const s of [`registry.internal:5000/mirror/debian:trixie-slim@${D}`, "debian", "ghcr.io/org/img:1.2", `debian@${D}`]) {
      assert.equal(formatImageRef(parseImageRef(s)), s);
    }
  });
});

describe("qualifiedRepository", () => {
  it("adds docker.io/library for official images", () => {
    assert.equal(qualifiedRepository(parseImageRef("debian:trixie-slim")), "docker.io/library/debian");
  });
  it("adds docker.io only for user repositories", () => {
    assert.equal(qualifiedRepository(parseImageRef("bitnami/postgresql:17")), "docker.io/bitnami/postgresql");
  });
  it("keeps other registries as they are", () => {
    assert.equal(qualifiedRepository(parseImageRef("mirror.example:5000/debian:12")), "mirror.example:5000/debian");
    assert.equal(qualifiedRepository(parseImageRef("docker.io/debian:12")), "docker.io/library/debian");
  });
});

describe("isRegistry", () => {
  it("accepts hosts with ports and paths", () => {
    for (const r of ["localhost:5000", "ghcr.io/cloudnative-pg", "registry.internal:5000/pg", "[::1]:5000"]) assert.ok(isRegistry(r), r);
  });
  it("rejects schemes, upper case, spaces and shell characters", () => {
    for (const r of ["https://ghcr.io", "GHCR.io", "ghcr.io/My", "ghcr .io", "ghcr.io;rm", "ghcr.io/$(id)", "ghcr.io/", "a`b`", ""]) assert.ok(!isRegistry(r), r);
  });
});
