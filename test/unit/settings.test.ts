import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ConfigErrors } from "../../lib/errors";
import { mergeConfig } from "../../lib/config/stack-file";
import { globMatches } from "../../lib/config/settings";
import { DIGEST_A, DIGEST_B, defaults, settingsWith } from "../helpers";

/** The error lines a configuration produces (empty when it is valid). */
function errorsOf(overrides: Record<string, unknown>): string[] {
  try {
    settingsWith(overrides);
    return [];
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
}

function assertOneError(overrides: Record<string, unknown>, key: string, value: string, hint: RegExp): void {
  const errors = errorsOf(overrides);
  assert.equal(errors.length, 1, `expected one error, got ${JSON.stringify(errors)}`);
  const [line] = errors;
  assert.ok(line.startsWith(`postgres-images:${key}`), line);
  assert.ok(line.includes(value), `${line} should quote ${value}`);
  assert.match(line, hint);
  assert.ok(!line.includes("\n"));
}

describe("settings: the defaults", () => {
  it("are the upstream matrix", () => {
    const s = settingsWith();
    assert.equal(s.repository, "ghcr.io/cloudnative-pg/postgresql-testing");
    assert.deepEqual(
      s.versions.map((v) => v.text),
      ["14.24", "15.19", "16.15", "17.11", "18.6", "19~beta3"],
    );
    assert.deepEqual(
      s.bases.map((b) => b.distro),
      ["trixie", "bookworm"],
    );
    assert.equal(s.bases[0].name, "docker.io/library/debian:trixie-slim");
    assert.equal(s.signing.mode, "keyless");
    assert.deepEqual(s.targets, []);
  });

  it("accept structured values as JSON text, as Pulumi passes them to programs", () => {
    const s = settingsWith({ platforms: '["linux/arm64"]', signing: '{"mode":"none"}', buildArgs: '{"PG_PACKAGES":"debian"}' });
    assert.deepEqual(s.platforms, ["linux/arm64"]);
    assert.equal(s.signing.mode, "none");
    assert.deepEqual(s.buildArgs, { PG_PACKAGES: "debian" });
  });

  it("pick the production repository", () => {
    assert.equal(settingsWith({ environment: "production", registry: "registry.internal:5000/pg" }).repository, "registry.internal:5000/pg/postgresql");
  });

  it("parse a base behind a mirror with a port", () => {
    const s = settingsWith({ bases: [`mirror.example:5000/library/debian:trixie-slim@${DIGEST_A}`] });
    assert.equal(s.bases[0].distro, "trixie");
    assert.equal(s.bases[0].name, "mirror.example:5000/library/debian:trixie-slim");
    assert.equal(s.bases[0].digest, DIGEST_A);
  });
});

describe("settings: each bad value gives one line naming key, value and what is accepted", () => {
  const cases: [string, Record<string, unknown>, string, string, RegExp][] = [
    ["malformed version", { postgresVersions: ["17.x"] }, "postgresVersions", '"17.x"', /MAJOR\.MINOR/],
    ["two versions of one major", { postgresVersions: ["17.11", "17.12"] }, "postgresVersions", '"17.12"', /major 17.*one version per major/],
    ["preview not in Debian naming", { previewVersions: ["19beta3"] }, "previewVersions", '"19beta3"', /MAJOR~betaN/],
    ["unknown image type", { imageTypes: ["minimal", "fat"] }, "imageTypes", '"fat"', /minimal, standard, system/],
    ["empty image types", { imageTypes: [] }, "imageTypes", "[]", /at least one/],
    ["empty version list", { postgresVersions: [] }, "postgresVersions", "[]", /at least one/],
    ["base without digest", { bases: ["debian:trixie-slim"] }, "bases", '"debian:trixie-slim"', /not pinned by digest/],
    ["base with a short digest", { bases: ["debian:trixie-slim@sha256:abc"] }, "bases", "sha256:abc", /digest/],
    ["base without tag", { bases: [`debian@${DIGEST_A}`] }, "bases", "debian@", /no tag/],
    ["two bases with one distro", { bases: [`debian:trixie-slim@${DIGEST_A}`, `mirror:5000/debian:trixie@${DIGEST_B}`] }, "bases", "mirror:5000", /same distro "trixie"/],
    ["malformed platform", { platforms: ["amd64"] }, "platforms", '"amd64"', /OS\/ARCH/],
    ["unknown platform", { platforms: ["linux/amd65"] }, "platforms", '"linux/amd65"', /known platform.*linux\/amd64/],
    ["registry with a scheme", { registry: "https://ghcr.io" }, "registry", '"https://ghcr.io"', /without scheme/],
    ["registry in upper case", { registry: "GHCR.io/Org" }, "registry", '"GHCR.io/Org"', /lower-case/],
    ["registry with a space", { registry: "ghcr.io/my org" }, "registry", '"ghcr.io/my org"', /spaces/],
    ["registry with shell characters", { registry: "ghcr.io/x;rm -rf" }, "registry", "x;rm", /shell characters/],
    ["unknown environment", { environment: "staging" }, "environment", '"staging"', /testing, production/],
    ["extension outside the grammar", { extensions: ["PgVector"] }, "extensions", '"PgVector"', /postgresql-MAJOR-NAME/],
    ["extension with shell characters", { extensions: ["pgvector;id"] }, "extensions", "pgvector;id", /Debian package suffix/],
    ["Barman version outside its grammar", { barmanVersion: "3.19" }, "barmanVersion", '"3.19"', /MAJOR\.MINOR\.PATCH/],
    ["targets matching nothing", { targets: ["postgresql-13-*"] }, "targets", '"postgresql-13-*"', /matches no cell/],
    ["target pattern outside the grammar", { targets: ["postgresql-17-$(id)"] }, "targets", "$(id)", /globs/],
    ["a list given as a string", { platforms: "linux/amd64" }, "platforms", '"linux/amd64"', /YAML list/],
    ["duplicate list entry", { platforms: ["linux/amd64", "linux/amd64"] }, "platforms", '"linux/amd64"', /twice/],
    ["build arg overriding the matrix", { buildArgs: { PG_MAJOR: "16" } }, "buildArgs", '"PG_MAJOR"', /set by the matrix/],
    ["bad build arg name", { buildArgs: { "PG-X": "1" } }, "buildArgs", '"PG-X"', /build arg name/],
    ["bad builder name", { builder: "my builder" }, "builder", '"my builder"', /builder name/],
    ["bad cache repository", { cacheRepository: "http://cache" }, "cacheRepository", "http://cache", /HOST/],
    ["bad rebuild epoch", { rebuildEpoch: "week 48" }, "rebuildEpoch", '"week 48"', /2026-W48/],
    ["unknown signing mode", { signing: { mode: "gpg" } }, "signing.mode", '"gpg"', /keyless, key, none/],
    ["key mode without a key", { signing: { mode: "key" } }, "signing.key", "(missing)", /cosign\.key/],
    ["key with shell characters", { signing: { mode: "key", key: "k;id" } }, "signing.key", '"k;id"', /KMS URI/],
    ["rekor URL over http", { signing: { mode: "keyless", rekorUrl: "http://rekor" } }, "signing.rekorUrl", "http://rekor", /https URL/],
    ["keyless verify without identity", { signing: { mode: "keyless", verify: { issuer: "https://token.actions.githubusercontent.com" } } }, "signing.verify", "issuer", /exactly one of identity/],
    ["unknown signing field", { signing: { mode: "none", passwd: "x" } }, "signing.passwd", '"x"', /not a signing setting/],
    ["promotion from a testing stack", { promoteFrom: "org/postgres-images/testing" }, "promoteFrom", "org/postgres-images/testing", /environment: production/],
    ["context with a leading dash", { context: "--file=/etc" }, "context", "--file", /directory path/],
  ];
  for (const [what, overrides, key, value, hint] of cases) {
    it(what, () => assertOneError(overrides, key, value, hint));
  }

  it("reports every error at once", () => {
    const errors = errorsOf({ registry: "HTTP://x", postgresVersions: ["17.x", "16"], platforms: [], barmanVersion: "x" });
    assert.equal(errors.length, 5, errors.join("\n"));
    assert.deepEqual(
      errors.map((e) => e.split(":")[1]),
      ["registry", "postgresVersions", "postgresVersions", "platforms", "barmanVersion"],
    );
  });

  it("rejects unknown keys in a stack (typos)", () => {
    assert.throws(() => mergeConfig(defaults(), { platform: ["linux/amd64"] }), (e: unknown) => e instanceof ConfigErrors && /postgres-images:platform: .*not a configuration key/.test(e.message));
  });
});

describe("settings: signing", () => {
  it("reads key mode with verification and no transparency log", () => {
    const s = settingsWith({ signing: { mode: "key", key: "awskms://alias/cosign", tlogUpload: false, verify: { publicKey: "cosign.pub" } } });
    assert.deepEqual(s.signing, { mode: "key", key: "awskms://alias/cosign", tlogUpload: false, rekorUrl: "", verify: { publicKey: "cosign.pub" } });
  });
  it("reads keyless mode with a private instance and an identity", () => {
    const s = settingsWith({
      signing: {
        mode: "keyless",
        fulcioUrl: "https://fulcio.internal",
        rekorUrl: "https://rekor.internal:8443/api",
        verify: { identityRegexp: "^https://github.com/org/.*$", issuer: "https://token.actions.githubusercontent.com" },
      },
    });
    assert.equal(s.signing.mode, "keyless");
    if (s.signing.mode !== "keyless") return;
    assert.equal(s.signing.fulcioUrl, "https://fulcio.internal");
    assert.equal(s.signing.verify?.identityRegexp, "^https://github.com/org/.*$");
    assert.equal(s.signing.tlogUpload, true);
  });
});

describe("globMatches", () => {
  it("matches * and ? over whole names only", () => {
    assert.ok(globMatches("postgresql-17-*", "postgresql-17-minimal-trixie"));
    assert.ok(globMatches("*-trixie", "postgresql-17-minimal-trixie"));
    assert.ok(globMatches("postgresql-1?-minimal-trixie", "postgresql-17-minimal-trixie"));
    assert.ok(!globMatches("postgresql-17", "postgresql-17-minimal-trixie"));
    assert.ok(!globMatches("postgresql-1?-*", "postgresql-19beta3-minimal-trixie"), "? is one character");
    assert.ok(!globMatches("postgresql-17.*", "postgresql-17-x"), "a dot is literal");
  });
});

describe("target globs", () => {
  it("match whole cell names: anchored at both ends", () => {
    assert.equal(globMatches("postgresql-17-*", "postgresql-17-minimal-trixie"), true);
    assert.equal(globMatches("postgresql-1?-minimal-trixie", "postgresql-17-minimal-trixie"), true);
    assert.equal(globMatches("17-minimal-trixie", "postgresql-17-minimal-trixie"), false, "no match in the middle");
    assert.equal(globMatches("postgresql-17", "postgresql-17-minimal-trixie"), false, "no prefix match");
    assert.equal(globMatches("*-trixie", "postgresql-17-minimal-trixie-x"), false, "no match before the end");
    assert.equal(globMatches("postgresql.17-*", "postgresql-17-minimal-trixie"), false, "a dot is a dot");
  });
});

