/**
 * The real-tools tier: the program's resources performed for real (see executor.ts) against a local
 * Docker engine, registry, QEMU and cosign set up by scripts/e2e-env.sh. Every check runs real tools.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { ExecutorResult } from "./executor";
import { getBlob, getManifest, INDEX, MANIFEST, platformManifests, splitRef } from "./registry";
import { baseRef as localBase, cosign as cosignWith, requireTools, resolvedDigest, secondsSince, sh, statements, up as upStack, type ImageOutput } from "./support";
import { ROOT } from "../helpers";

const PLATFORMS = ["linux/amd64", "linux/arm64"];
const TYPES = (process.env.E2E_TYPES ?? "minimal,standard,system").split(",");
const MAJOR = 17;
const WORK = mkdtempSync(join(tmpdir(), "pgi-e2e-"));
const COSIGN_PASSWORD = `e2e-${process.pid}-${Date.now()}`;

const timings: Record<string, number> = {};
let baseRef = "";
let config: Record<string, unknown> = {};
let first: ExecutorResult;
let images: Record<string, ImageOutput> = {};

/** Runs the program once through the executor, as `pulumi up` would, against the state file in WORK. */
function up(): ExecutorResult {
  return upStack({ work: WORK, name: "testing", config, secrets: { cosignPassword: COSIGN_PASSWORD } });
}

function cosign(args: string[], allowFail = false) {
  return cosignWith(args, { cwd: WORK, password: COSIGN_PASSWORD, allowFail });
}

function run(ref: string, platform: string, script: string): string {
  return sh("docker", ["run", "--rm", "--platform", platform, "--entrypoint", "bash", ref, "-ec", script]).stdout.trim();
}

const START_SERVER = [
  'export PGDATA=/tmp/pgdata',
  "initdb -D \"$PGDATA\" -U postgres --auth=trust >/dev/null",
  "pg_ctl -D \"$PGDATA\" -o \"-c listen_addresses= -c unix_socket_directories=/tmp $EXTRA\" -w -l /tmp/pg.log start >/dev/null",
].join("\n");

describe("real-tools tier", { timeout: 80 * 60 * 1000 }, () => {
  before(() => {
    const t0 = Date.now();
    requireTools();
    baseRef = localBase();
    assert.match(baseRef, /^localhost:5000\/debian:trixie-slim@sha256:[0-9a-f]{64}$/);
    cosign(["generate-key-pair"]);
    const revision = sh("git", ["rev-parse", "HEAD"], { allowFail: true }).stdout.trim();
    config = {
      registry: "localhost:5000",
      environment: "testing",
      revision,
      // Debian's archive has only the current minor: the Dockerfile's debian mode checks the major, the minor is the label's.
      postgresVersions: [`${MAJOR}.12`],
      previewVersions: [],
      imageTypes: TYPES,
      bases: [baseRef],
      platforms: PLATFORMS,
      buildArgs: { PG_PACKAGES: "debian" },
      signing: { mode: "key", key: join(WORK, "cosign.key"), tlogUpload: false, verify: { publicKey: join(WORK, "cosign.pub") } },
    };
    first = up();
    timings.cold = secondsSince(t0);
    images = first.outputs.images as Record<string, ImageOutput>;
  });

  after(() => {
    process.stdout.write(`# e2e timings (s): ${JSON.stringify(timings)}\n`);
  });

  it("builds one image per cell and signs each digest", () => {
    const names = TYPES.map((t) => `postgresql-${MAJOR}-${t}-trixie`);
    assert.deepEqual(Object.keys(images).sort(), [...names].sort());
    const builds = first.performed.filter((p) => p.type === "docker-build:index:Image").map((p) => p.name);
    assert.deepEqual(builds.sort(), [...names].sort());
    for (const n of names) {
      assert.match(images[n].digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(images[n].ref, `localhost:5000/postgresql-testing@${images[n].digest}`);
      assert.ok(first.performed.some((p) => p.name === `${n}-sign`), `${n} signed`);
    }
  });

  it("pushes every tag as one OCI index with both platforms and the annotations on index and manifests", async () => {
    for (const [name, img] of Object.entries(images)) {
      for (const tag of img.tags) {
        const { manifest: index, digest } = await getManifest(tag);
        assert.equal(digest, img.digest, `${tag} resolves to the pushed digest`);
        assert.equal(index.mediaType, INDEX, tag);
        const plats = platformManifests(index).map((m) => `${m.platform!.os}/${m.platform!.architecture}`);
        assert.deepEqual(plats.sort(), [...PLATFORMS].sort(), tag);
      }
      const { manifest: index } = await getManifest(img.ref);
      const created = index.annotations?.["org.opencontainers.image.created"];
      assert.match(created ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, `${name}: created on the index`);
      assert.equal(Object.keys(index.annotations ?? {}).filter((k) => k.startsWith("org.opencontainers.image.")).length, config.revision ? 13 : 12, `${name}: index annotations`);
      const { host, repo } = splitRef(img.ref);
      for (const d of platformManifests(index)) {
        const { manifest } = await getManifest(`${host}/${repo}@${d.digest}`);
        assert.equal(manifest.mediaType, MANIFEST);
        assert.deepEqual(manifest.annotations, index.annotations, `${name} ${d.platform!.architecture}: manifest annotations equal the index's`);
        assert.ok(!Object.keys(manifest.annotations ?? {}).some((k) => k.includes(",")), "no comma-form annotation keys");
        const cfg = await getBlob<{ config: { Labels: Record<string, string>; User: string; StopSignal?: string } }>(host, repo, manifest.config!.digest);
        assert.equal(cfg.config.Labels["org.opencontainers.image.title"], `CloudNativePG PostgreSQL ${MAJOR}.12 ${name.split("-")[2]}`);
        assert.equal(cfg.config.Labels["org.opencontainers.image.created"], created);
        assert.equal(cfg.config.Labels["org.opencontainers.image.base.digest"], baseRef.split("@")[1]);
        assert.equal(cfg.config.Labels["org.opencontainers.image.base.name"], "localhost:5000/debian:trixie-slim");
        assert.equal(cfg.config.User, "26");
        assert.equal(cfg.config.StopSignal, "SIGINT");
      }
      // The timestamped tag carries the same instant as the created annotation.
      const stampTag = created!.replace(/[-:T]/g, "").slice(0, 12);
      assert.ok(img.tags.includes(`localhost:5000/postgresql-testing:${MAJOR}.12-${stampTag}-${name.split("-")[2]}-trixie`), `${name}: timestamped tag ${stampTag}`);
    }
  });

  it("verifies each pushed digest with cosign, and refuses unsigned or altered content", () => {
    for (const img of Object.values(images)) {
      const ok = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", img.ref], true);
      assert.equal(ok.status, 0, ok.stderr);
    }
    const unsigned = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", baseRef], true);
    assert.notEqual(unsigned.status, 0, "an unsigned digest must not verify");
    // Altered: the same manifests under an index with one more annotation is other content with another digest.
    const any = Object.values(images)[0];
    const altered = "localhost:5000/postgresql-testing:e2e-altered";
    sh("docker", ["buildx", "imagetools", "create", "--tag", altered, "--annotation", "index:org.example.altered=yes", any.ref]);
    const alteredDigest = resolvedDigest(altered);
    assert.notEqual(alteredDigest, any.digest);
    const bad = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", `localhost:5000/postgresql-testing@${alteredDigest}`], true);
    assert.notEqual(bad.status, 0, "an altered digest must not verify");
  });

  it("has signed provenance and SBOM attestations that verify", () => {
    for (const [name, img] of Object.entries(images)) {
      for (const type of ["slsaprovenance1", "spdxjson"]) {
        const r = cosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--type", type, img.ref], true);
        assert.equal(r.status, 0, `${name} ${type}: ${r.stderr}`);
        const found = statements(r.stdout);
        assert.ok(found.length >= 1);
        for (const s of found) assert.equal(`sha256:${s.subject[0].digest.sha256}`, img.digest, "attested subject is the pushed digest");
        if (type === "spdxjson") {
          const pkgs = found.flatMap((s) => (s.predicate.packages as { name: string }[] | undefined) ?? []).map((p) => p.name);
          assert.ok(pkgs.includes(`postgresql-${MAJOR}`), `${name}: SBOM lists postgresql-${MAJOR}`);
        } else {
          const text = JSON.stringify(found[0].predicate);
          assert.ok(text.includes(baseRef.split("@")[1].slice(7)), `${name}: provenance names the base digest`);
        }
      }
    }
  });

  for (const platform of PLATFORMS) {
    it(`runs on ${platform}: uid 26, the right major, initdb + start + SELECT 1`, () => {
      for (const [name, img] of Object.entries(images)) {
        assert.equal(run(img.ref, platform, "id -u"), "26", name);
        assert.match(run(img.ref, platform, "postgres --version"), new RegExp(`^postgres \\(PostgreSQL\\) ${MAJOR}\\.`), name);
        assert.equal(run(img.ref, platform, `${START_SERVER}\npsql -h /tmp -U postgres -Atc 'SELECT 1'`), "1", name);
        for (const bin of ["initdb", "postgres", "pg_ctl", "pg_controldata", "pg_basebackup"]) run(img.ref, platform, `command -v ${bin} >/dev/null`);
      }
    });

    it(`standard on ${platform}: en_US.UTF-8, CREATE EXTENSION vector, pgaudit and pg_failover_slots preloaded`, { skip: !TYPES.includes("standard") }, () => {
      const ref = images[`postgresql-${MAJOR}-standard-trixie`].ref;
      assert.match(run(ref, platform, "locale -a"), /en_US\.utf8/i);
      const out = run(
        ref,
        platform,
        `EXTRA='-c shared_preload_libraries=pgaudit,pg_failover_slots'\n${START_SERVER}\npsql -h /tmp -U postgres -Atc 'CREATE EXTENSION vector' -c "SELECT '[1,2]'::vector" -c 'SHOW shared_preload_libraries' -c "CREATE DATABASE u LOCALE 'en_US.UTF-8' TEMPLATE template0"`,
      );
      assert.deepEqual(out.split("\n"), ["CREATE EXTENSION", "[1,2]", "pgaudit,pg_failover_slots", "CREATE DATABASE"]);
    });

    it(`system on ${platform}: barman-cloud-backup`, { skip: !TYPES.includes("system") }, () => {
      const ref = images[`postgresql-${MAJOR}-system-trixie`].ref;
      assert.match(run(ref, platform, "barman-cloud-backup --version 2>&1"), /^barman-cloud-backup \d+\.\d+/);
    });
  }

  it("a second run with nothing changed builds and signs nothing", () => {
    const t0 = Date.now();
    const again = up();
    timings.warm = secondsSince(t0);
    assert.deepEqual(again.performed, [], JSON.stringify(again.performed));
    assert.deepEqual(again.outputs.images, first.outputs.images);
  });

  it("the targets JSON for the same stack builds with docker buildx bake -f", () => {
    const dir = mkdtempSync(join(WORK, "bake-"));
    writeFileSync(join(dir, "Pulumi.yaml"), readFileSync(join(ROOT, "Pulumi.yaml")));
    const stack = Object.fromEntries(Object.entries(config).map(([k, v]) => [`postgres-images:${k}`, v]));
    writeFileSync(join(dir, "Pulumi.e2e.yaml"), stringify({ config: stack }));
    const json = sh(process.execPath, [join(ROOT, "dist/cli/targets.js"), "--dir", dir, "--stack", "e2e", "--json"]).stdout;
    const file = join(dir, "bake.json");
    writeFileSync(file, json);
    const t0 = Date.now();
    // BuildKit's SBOM generator image lives on Docker Hub, out of reach here: keep provenance, disable the SBOM.
    sh("docker", ["buildx", "bake", "-f", file, "--set", "*.attest=type=sbom,disabled=true", "--metadata-file", join(dir, "meta.json")], { cwd: ROOT });
    timings.bake = secondsSince(t0);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Record<string, Record<string, string>>;
    for (const name of Object.keys(images)) assert.match(meta[name]["containerimage.digest"], /^sha256:[0-9a-f]{64}$/, name);
  });
});
