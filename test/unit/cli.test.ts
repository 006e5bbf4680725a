import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { projectWithStack, runTargets, TARGETS_JS } from "../cli";
import { DIGEST_A } from "../helpers";

describe("targets CLI: bad configuration", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["malformed version", { postgresVersions: ["17.x"] }, /^postgres-images:postgresVersions: "17\.x" is not a stable release MAJOR\.MINOR/],
    ["two versions of one major", { postgresVersions: ["17.11", "17.12"] }, /^postgres-images:postgresVersions: "17\.12" is a second version of major 17/],
    ["preview not in Debian naming", { previewVersions: ["19-beta3"] }, /^postgres-images:previewVersions: "19-beta3" is not a pre-release in Debian naming/],
    ["unknown image type", { imageTypes: ["fat"] }, /^postgres-images:imageTypes: "fat" is not an image type; expected one of minimal, standard, system$/],
    ["empty image types", { imageTypes: [] }, /^postgres-images:imageTypes: \[\] is empty/],
    ["empty versions", { postgresVersions: [] }, /^postgres-images:postgresVersions: \[\] is empty/],
    ["unpinned base", { bases: ["debian:trixie-slim"] }, /^postgres-images:bases: "debian:trixie-slim" is not pinned by digest/],
    ["two bases, one distro", { bases: [`debian:trixie-slim@${DIGEST_A}`, `debian:trixie@${DIGEST_A}`] }, /^postgres-images:bases: .* has the same distro "trixie"/],
    ["malformed platform", { platforms: ["linux"] }, /^postgres-images:platforms: "linux" is not a platform/],
    ["unknown platform", { platforms: ["linux/sparc"] }, /^postgres-images:platforms: "linux\/sparc" is not a known platform/],
    ["registry with scheme", { registry: "http://localhost:5000" }, /^postgres-images:registry: "http:\/\/localhost:5000" is not a registry/],
    ["registry with shell characters", { registry: "localhost:5000/`id`" }, /^postgres-images:registry: "localhost:5000\/`id`" is not a registry/],
    ["unknown environment", { environment: "prod" }, /^postgres-images:environment: "prod" is not an environment/],
    ["extension outside grammar", { extensions: ["pg vector"] }, /^postgres-images:extensions: "pg vector" is not a Debian package suffix/],
    ["barman outside grammar", { barmanVersion: "latest" }, /^postgres-images:barmanVersion: "latest" is not a Barman release/],
    ["targets matching nothing", { targets: ["*-buster"] }, /^postgres-images:targets: "\*-buster" matches no cell/],
    ["unknown key", { registy: "x" }, /^postgres-images:registy: "x" is not a configuration key/],
  ];
  for (const [what, config, line] of cases) {
    it(what, () => {
      const dir = projectWithStack("bad", config);
      const r = runTargets(["--dir", dir, "--stack", "bad", "--json"]);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, "", "nothing on stdout");
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], line);
      assert.doesNotMatch(r.stderr, /\bat .*\.(js|ts):\d+/, "no stack trace");
    });
  }

  it("reports all errors, one line each", () => {
    const dir = projectWithStack("bad", { registry: "HTTP://X", platforms: [], barmanVersion: "3" });
    const r = runTargets(["--dir", dir, "--stack", "bad"]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.deepEqual(
      r.stderr.trimEnd().split("\n").map((l) => l.split(":")[1]),
      ["registry", "platforms", "barmanVersion"],
    );
  });

  it("names a missing stack file", () => {
    const dir = projectWithStack("bad", {});
    const r = runTargets(["--dir", dir, "--stack", "missing"]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /Pulumi\.missing\.yaml: does not exist/);
  });

  it("rejects bad flags with usage and exit 2", () => {
    for (const args of [["--timestamp", "yesterday"], ["--stack", "../etc"], ["--bogus"]]) {
      const r = runTargets(args);
      assert.equal(r.status, 2, args.join(" "));
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /usage: npm run targets/);
    }
  });
});

describe("targets CLI: times and pipes", () => {
  for (const t of ["253402300800", "2026-02-30T08:30:00Z", "2026-11-02T24:00:00Z", "99999-01-01T00:00:00Z"]) {
    it(`refuses --timestamp ${t} with one usage error, no stack trace`, () => {
      const r = runTargets(["--timestamp", t]);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, new RegExp(`^--timestamp: "${t.replace(/[.]/g, "\\.")}" is not a time`));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it("accepts the last minute a 12-digit tag can name", () => {
    const dir = projectWithStack("t", { targets: ["postgresql-17-minimal-trixie"] });
    const r = runTargets(["--dir", dir, "--stack", "t", "--timestamp", "9999-12-31T23:59:00Z"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /17\.11-999912312359-minimal-trixie/);
  });

  it("ends normally when the reader closes the pipe early (targets --json | head -1)", () => {
    const dir = projectWithStack("t", {});
    const r = spawnSync("bash", ["-c", `set -o pipefail; node "$0" --dir "$1" --stack t --json | head -c 1 >/dev/null`, TARGETS_JS, dir], { encoding: "utf8" });
    assert.equal(r.stderr, "", "no EPIPE trace");
    assert.equal(r.status, 0);
  });
});

describe("targets CLI: output", () => {
  it("prints a table with one row per cell", () => {
    const dir = projectWithStack("t", { targets: ["postgresql-17-*"] });
    const r = runTargets(["--dir", dir, "--stack", "t", "--timestamp", "2026-11-02T08:30:00Z"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^NAME\s+VERSION\s+TYPE\s+DISTRO\s+PLATFORMS\s+TAGS$/);
    assert.equal(lines.length, 1 + 6 + 1);
    assert.match(lines[1], /^postgresql-17-minimal-trixie\s+17\.11\s+minimal\s+trixie\s+linux\/amd64,linux\/arm64\s+17-minimal-trixie 17\.11-minimal-trixie 17\.11-202611020830-minimal-trixie$/);
    assert.match(lines[7], /^6 cells, repository ghcr\.io\/cloudnative-pg\/postgresql-testing$/);
  });

  it("stamps with the current time without --timestamp", () => {
    const dir = projectWithStack("t", { targets: ["postgresql-17-minimal-trixie"] });
    const before = Date.now();
    const r = runTargets(["--dir", dir, "--stack", "t", "--json"]);
    const created = (JSON.parse(r.stdout) as { target: Record<string, { labels: Record<string, string> }> }).target["postgresql-17-minimal-trixie"].labels["org.opencontainers.image.created"];
    const t = Date.parse(created);
    assert.ok(t >= Math.floor(before / 1000) * 1000 && t <= Date.now(), created);
  });

  it("notes a dropped preview on stderr", () => {
    const dir = projectWithStack("t", { previewVersions: ["18~rc1"], targets: ["postgresql-18-minimal-trixie"] });
    const r = runTargets(["--dir", dir, "--stack", "t", "--json"]);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /previewVersions "18~rc1" is left out: major 18 has a stable release/);
    assert.deepEqual(Object.keys((JSON.parse(r.stdout) as { target: object }).target), ["postgresql-18-minimal-trixie"]);
  });
});
