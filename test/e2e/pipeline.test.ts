/**
 * The real-tools tier on the real engine: the program run by the Pulumi CLI (scripts/pulumi-engine.sh)
 * with the docker-build provider and BuildKit (scripts/builder.sh), on a file backend, against a local
 * registry, QEMU and cosign (scripts/e2e-env.sh). PostgreSQL 17 minimal, standard and system on the local
 * trixie base for linux/amd64 and linux/arm64, signed with a key made for the run. Every check runs real
 * tools; nothing here imitates the engine or a provider.
 */
import { strict as assert } from "node:assert";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { count, engine, IMAGE_TYPE, ran, STEP_TYPE, TierStack, type RunResult } from "./engine";
import { getBlob, getManifest, INDEX, MANIFEST, platformManifests, splitRef } from "./registry";
import { archivePgVersion, baseRef as localBase, cosign as cosignWith, requireTools, resolvedDigest, secondsSince, sh, signatureCount, statements, type ImageOutput } from "./support";
import { ROOT } from "../helpers";

const PLATFORMS = ["linux/amd64", "linux/arm64"];
const TYPES = ["minimal", "standard", "system"];
const MAJOR = 17;
const WORK = mkdtempSync(join(tmpdir(), "pgi-e2e-"));
const COSIGN_PASSWORD = `e2e-${process.pid}-${Date.now()}`;
// A repository path of this run's own: tags and signatures of earlier runs cannot make a check pass.
const REGISTRY = `localhost:5000/e2e-${Date.now()}`;
const REPO = `${REGISTRY}/postgresql-testing`;
const BUILDER = process.env.E2E_BUILDER ?? "postgres-images";

const timings: Record<string, number> = {};
let baseRef = "";

/** PLATFORM → `REPO@sha256:…` of each platform manifest of the index `ref` names. */
async function platformRefs(ref: string): Promise<Map<string, string>> {
  // `REPO[:TAG]@sha256:…` → `REPO`: the base is named with its tag and its digest.
  const repo = ref.split("@")[0].replace(/:[^/:]+$/, "");
  const { manifest } = await getManifest(`${repo}@${ref.split("@")[1]}`);
  return new Map(platformManifests(manifest).map((m) => [`${m.platform!.os}/${m.platform!.architecture}`, `${repo}@${m.digest}`]));
}
/** The PostgreSQL the base's archive installs, MAJOR.MINOR: the stack names it, so its tags do. */
let version = "";
let config: Record<string, unknown> = {};
let stack: TierStack;
let first: RunResult;
let images: Record<string, ImageOutput> = {};

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

const names = TYPES.map((t) => `postgresql-${MAJOR}-${t}-trixie`);
/** The host's trust store, given to the builds as their extra CA certificates (the proxy's CA is in it). */
const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";
const BARMAN_VERSION = "3.19.1";

/** Where Debian keeps locally added CA certificates: an inspecting proxy's CA is installed there. */
const LOCAL_CAS = "/usr/local/share/ca-certificates";

/**
 * A base64 line of a locally added CA certificate (this machine's proxy's), which no public bundle in
 * the image can hold, or undefined when the host has none: what must not have leaked into the image.
 */
function extraCaLine(): string | undefined {
  const files = existsSync(LOCAL_CAS) ? readdirSync(LOCAL_CAS).filter((f) => f.endsWith(".crt")) : [];
  for (const f of files) {
    const line = readFileSync(join(LOCAL_CAS, f), "utf8").split("\n").find((l) => /^[A-Za-z0-9+/]{64}$/.test(l));
    if (line !== undefined) return line;
  }
  return undefined;
}

describe("real-tools tier on the real engine", { timeout: 80 * 60 * 1000 }, () => {
  before(() => {
    requireTools();
    engine(join(WORK, "state"));
    baseRef = localBase();
    version = archivePgVersion(baseRef, MAJOR);
    assert.match(baseRef, /^localhost:5000\/debian:trixie-slim@sha256:[0-9a-f]{64}$/);
    cosign(["generate-key-pair"]);
    const revision = sh("git", ["rev-parse", "HEAD"], { allowFail: true }).stdout.trim();
    config = {
      registry: REGISTRY,
      environment: "testing",
      revision,
      // Debian's archive has only its current minor, and the build refuses any other: ask it.
      postgresVersions: [version],
      previewVersions: [],
      imageTypes: TYPES,
      bases: [baseRef],
      platforms: PLATFORMS,
      buildArgs: { PG_PACKAGES: "debian" },
      builder: BUILDER,
      barmanVersion: BARMAN_VERSION,
      // Barman comes from PyPI through this machine's TLS-inspecting proxy: the build trusts what the host trusts.
      caCertificates: HOST_CA,
      signing: { mode: "key", key: join(WORK, "cosign.key"), tlogUpload: false, verify: { publicKey: join(WORK, "cosign.pub") } },
    };
    stack = new TierStack("testing", config, { cosignPassword: COSIGN_PASSWORD }, WORK);
  });

  after(() => {
    process.stdout.write(`# e2e timings (s): ${JSON.stringify(timings)}\n`);
  });

  it("pulumi preview lists one docker-build Image per cell, named by cell, and builds nothing", async () => {
    const t0 = Date.now();
    const p = await stack.preview();
    timings.preview = secondsSince(t0);
    const planned = [...p.changed].filter(([n]) => names.includes(n));
    assert.equal(count(p, IMAGE_TYPE, "create"), names.length, p.stdout);
    assert.deepEqual(planned.map(([n]) => n).sort(), [...names].sort());
    assert.deepEqual(await stack.resourceNames(IMAGE_TYPE), [], "a preview records nothing");
    // A quiet preview: nothing it says is untrue of the up (the provider used to warn that nothing would be pushed).
    assert.doesNotMatch(p.stdout, /warning:/, p.stdout);
    await assert.rejects(getManifest(`${REPO}:${MAJOR}-minimal-trixie`), /HTTP 404/, "a preview pushes nothing");
  });

  it("pulumi up builds one image per cell, tags, signs and attests each digest", async () => {
    const t0 = Date.now();
    first = await stack.up();
    timings.cold = secondsSince(t0);
    images = await stack.images();
    assert.deepEqual(Object.keys(images).sort(), [...names].sort());
    assert.equal(count(first, IMAGE_TYPE, "create"), names.length);
    for (const n of names) {
      assert.match(images[n].digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(images[n].ref, `${REPO}@${images[n].digest}`);
      // The stamp, and the step whose parts tag, sign, verify and attest (resources/parts-step.ts).
      for (const step of ["built-at", "publish"]) assert.equal(first.changed.get(`${n}-${step}`), "create", `${n}-${step} ran`);
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
        assert.equal(cfg.config.Labels["org.opencontainers.image.title"], `CloudNativePG PostgreSQL ${version} ${name.split("-")[2]}`);
        assert.equal(cfg.config.Labels["org.opencontainers.image.created"], created);
        assert.equal(cfg.config.Labels["org.opencontainers.image.base.digest"], baseRef.split("@")[1]);
        assert.equal(cfg.config.Labels["org.opencontainers.image.base.name"], "localhost:5000/debian:trixie-slim");
        assert.equal(cfg.config.User, "26");
        assert.equal(cfg.config.StopSignal, "SIGINT");
      }
      // The timestamped tag carries the same instant as the created annotation.
      const stampTag = created!.replace(/[-:T]/g, "").slice(0, 12);
      assert.ok(img.tags.includes(`${REPO}:${version}-${stampTag}-${name.split("-")[2]}-trixie`), `${name}: timestamped tag ${stampTag}`);
    }
  });

  it("verifies each pushed index and each of its platform manifests with cosign, and refuses unsigned or altered content", async () => {
    for (const [name, img] of Object.entries(images)) {
      const ok = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", img.ref], true);
      assert.equal(ok.status, 0, ok.stderr);
      const platforms = await platformRefs(img.ref);
      assert.deepEqual([...platforms.keys()].sort(), [...PLATFORMS].sort(), name);
      for (const [platform, ref] of platforms) {
        const r = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", ref], true);
        assert.equal(r.status, 0, `${name} ${platform} ${ref}: ${r.stderr}`);
      }
    }
    const unsigned = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", baseRef], true);
    assert.notEqual(unsigned.status, 0, "an unsigned digest must not verify");
    for (const [platform, ref] of await platformRefs(baseRef)) {
      const r = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", ref], true);
      assert.notEqual(r.status, 0, `the base's ${platform} manifest, which this stack did not sign, must not verify`);
    }
    // Altered: the same manifests under an index with one more annotation is other content with another digest.
    const any = Object.values(images)[0];
    const altered = `${REPO}:e2e-altered`;
    sh("docker", ["buildx", "imagetools", "create", "--tag", altered, "--annotation", "index:org.example.altered=yes", any.ref]);
    const alteredDigest = resolvedDigest(altered);
    assert.notEqual(alteredDigest, any.digest);
    const bad = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", `${REPO}@${alteredDigest}`], true);
    assert.notEqual(bad.status, 0, "an altered digest must not verify");
  });

  it("has signed provenance (on the index) and SBOM attestations (on each platform's manifest) that verify", async () => {
    for (const [name, img] of Object.entries(images)) {
      const platforms = await platformRefs(img.ref);
      for (const type of ["slsaprovenance1", "spdxjson"]) {
        // The provenance describes the build, on the index; each SBOM the content of one platform's manifest.
        const subjects = type === "spdxjson" ? [...platforms.values()] : [img.ref];
        const found: ReturnType<typeof statements> = [];
        for (const ref of subjects) {
          const r = cosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--type", type, ref], true);
          assert.equal(r.status, 0, `${name} ${type} ${ref}: ${r.stderr}`);
          const about = statements(r.stdout);
          assert.ok(about.length >= 1);
          for (const s of about) assert.equal(`${ref.split("@")[0]}@sha256:${s.subject[0].digest.sha256}`, ref, "attested subject is the digest it is attached to");
          found.push(...about);
        }
        if (type === "spdxjson") {
          // syft's SBOMs, one per platform: each names postgresql-MAJOR at the installed version, for its
          // architecture; the system image's name Barman at barmanVersion and its Python dependencies.
          type Pkg = { name: string; versionInfo?: string; externalRefs?: { referenceType: string; referenceLocator: string }[] };
          const purls = (p: Pkg) => (p.externalRefs ?? []).filter((r) => r.referenceType === "purl").map((r) => r.referenceLocator);
          for (const platform of PLATFORMS) {
            const arch = platform.split("/")[1];
            const onPlatform = platforms.get(platform)!.split("@")[1].slice("sha256:".length);
            const sbom = found.find((s) => s.subject[0].digest.sha256 === onPlatform && ((s.predicate.packages as Pkg[] | undefined) ?? []).some((p) => p.name === `postgresql-${MAJOR}` && purls(p).some((u) => u.includes(`arch=${arch}`))));
            assert.ok(sbom !== undefined, `${name}: an SBOM of ${platform}, on its manifest, that lists postgresql-${MAJOR}`);
            const pkgs = sbom.predicate.packages as Pkg[];
            const pg = pkgs.find((p) => p.name === `postgresql-${MAJOR}`)!;
            assert.ok(pg.versionInfo?.startsWith(`${version}-`), `${name} ${platform}: postgresql-${MAJOR} at ${version}, got ${pg.versionInfo}`);
            assert.ok(purls(pg).some((u) => u.startsWith(`pkg:deb/debian/postgresql-${MAJOR}@${version}-`)), `${name} ${platform}: a deb purl`);
            if (name.includes("-system-")) {
              const pypi = pkgs.filter((p) => purls(p).some((u) => u.startsWith("pkg:pypi/")));
              const barman = pypi.find((p) => p.name === "barman");
              assert.equal(barman?.versionInfo, BARMAN_VERSION, `${name} ${platform}: Barman at barmanVersion`);
              for (const dep of ["boto3", "azure-storage-blob", "google-cloud-storage"]) assert.ok(pypi.some((p) => p.name === dep), `${name} ${platform}: Barman's dependency ${dep}`);
            }
          }
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
        // The tags never lie: the version tag names exactly the PostgreSQL installed.
        const versionTag = img.tags.find((t) => t.endsWith(`:${version}-${name.split("-")[2]}-trixie`));
        assert.ok(versionTag !== undefined, `${name}: a ${version} tag`);
        assert.match(run(versionTag, platform, "postgres --version"), new RegExp(`^postgres \\(PostgreSQL\\) ${version.replace(".", "\\.")} `), name);
        assert.equal(run(img.ref, platform, `${START_SERVER}\npsql -h /tmp -U postgres -Atc 'SELECT 1'`), "1", name);
        for (const bin of ["initdb", "postgres", "pg_ctl", "pg_controldata", "pg_basebackup"]) run(img.ref, platform, `command -v ${bin} >/dev/null`);
      }
    });

    if (platform === "linux/amd64") {
      it("patched: no installed package has a newer version in the image's own archive (apt list --upgradable)", () => {
        for (const [name, img] of Object.entries(images)) {
          const out = sh("docker", ["run", "--rm", "--user", "0", "--platform", platform, "--entrypoint", "bash", img.ref, "-ec", "apt-get update -qq >/dev/null 2>&1; apt list --upgradable 2>/dev/null | grep -v '^Listing' || true"]).stdout.trim();
          assert.equal(out, "", `${name}: upgradable packages`);
        }
      });
    }

    it(`standard on ${platform}: en_US.UTF-8, CREATE EXTENSION vector, pgaudit and pg_failover_slots preloaded`, () => {
      const ref = images[`postgresql-${MAJOR}-standard-trixie`].ref;
      assert.match(run(ref, platform, "locale -a"), /en_US\.utf8/i);
      const out = run(
        ref,
        platform,
        `EXTRA='-c shared_preload_libraries=pgaudit,pg_failover_slots'\n${START_SERVER}\npsql -h /tmp -U postgres -Atc 'CREATE EXTENSION vector' -c "SELECT '[1,2]'::vector" -c 'SHOW shared_preload_libraries' -c "CREATE DATABASE u LOCALE 'en_US.UTF-8' TEMPLATE template0"`,
      );
      assert.deepEqual(out.split("\n"), ["CREATE EXTENSION", "[1,2]", "pgaudit,pg_failover_slots", "CREATE DATABASE"]);
    });

    it(`system on ${platform}: Barman Cloud from PyPI at barmanVersion, its Azure and Google back ends, and no trace of the build's CA`, (t) => {
      const ref = images[`postgresql-${MAJOR}-system-trixie`].ref;
      assert.equal(run(ref, platform, "barman-cloud-backup --version 2>&1"), `barman-cloud-backup ${BARMAN_VERSION}`);
      assert.equal(run(ref, platform, "python3 -c 'import azure.storage.blob, google.cloud.storage, snappy, zstandard, lz4; print(\"ok\")'"), "ok");
      // The host's trust store, with the inspecting proxy's locally added CA, was the build's secret;
      // no file in the image may hold that CA.
      const line = extraCaLine();
      if (line === undefined) {
        t.skip(`the host has no locally added CA certificate in ${LOCAL_CAS}: nothing to look for`);
        return;
      }
      // As root, regular files only: devices (/dev/zero) would never end; proc and sys are the kernel's.
      const grep = (text: string): string =>
        sh("docker", ["run", "--rm", "--user", "0", "--platform", platform, "--entrypoint", "bash", ref, "-c", `grep -rlF -D skip --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev -- "$0" /; test $? -le 1`, text]).stdout.trim();
      // The search finds what is there: a line of the image's own trust store.
      const own = run(ref, platform, "sed -n 2p /etc/ssl/certs/ca-certificates.crt");
      assert.match(grep(own), /^\/etc\/ssl\/certs\/ca-certificates\.crt$/m, "the search works");
      const found = grep(line);
      assert.equal(found, "", `the build's CA certificate is in the image: ${found}`);
    });
  }

  it("a second pulumi up changes nothing: the preview expects no changes and nothing is re-signed", async () => {
    await stack.preview({ expectNoChanges: true });
    const before = await Promise.all(names.map((n) => signatureCount(images[n].ref)));
    const t0 = Date.now();
    const again = await stack.up();
    timings.warm = secondsSince(t0);
    assert.deepEqual([...again.changed], [], again.stdout);
    assert.deepEqual(await stack.images(), images);
    assert.deepEqual(await Promise.all(names.map((n) => signatureCount(images[n].ref))), before);
    assert.ok(before.every((c) => c === 1), `one signature per digest: ${before.join(",")}`);
  });

  it("pulumi refresh of the untouched stack changes nothing, and the next up has nothing to do", async () => {
    const r = await stack.refresh();
    assert.deepEqual([...r.changed], [], r.stdout);
    await stack.preview({ expectNoChanges: true });
  });

  it("a new cosign script or password re-signs nothing: the recorded step is updated, not run", async () => {
    const state = await stack.exportState();
    const d = state.deployment as { resources: { urn: string; type: string; outputs?: Record<string, unknown> }[] };
    // As if the last run had run another version of the script file (another content hash): the engine sees an edit.
    // A publish step (resources/parts-step.ts) records its parts' scripts, keys and environments as one hash.
    for (const r of d.resources) if (r.type === STEP_TYPE && r.urn.endsWith("-publish") && r.outputs !== undefined) r.outputs.definition = "0".repeat(24);
    await stack.importState(state);
    await stack.setSecret("cosignPassword", `${COSIGN_PASSWORD}-rotated`);
    const before = await Promise.all(names.map((n) => signatureCount(images[n].ref)));
    const r = await stack.up();
    assert.deepEqual(ran(r), [], `nothing ran: ${JSON.stringify([...r.changed])}`);
    assert.equal(count(r, STEP_TYPE, "update"), names.length, `each publish step was updated: ${JSON.stringify([...r.changed])}`);
    assert.deepEqual(await Promise.all(names.map((n) => signatureCount(images[n].ref))), before);
    await stack.setSecret("cosignPassword", COSIGN_PASSWORD);
    await stack.preview({ expectNoChanges: true });
  });

  it("a provider rebuild under the recorded build time never moves the timestamped tag", async () => {
    const name = names[0];
    const pinned = images[name].tags.find((t) => /-\d{12}-/.test(t))!;
    const state = await stack.exportState();
    const d = state.deployment as { resources: { urn: string; type: string; outputs?: Record<string, unknown> }[] };
    // The provider's own context hash no longer matches: it rebuilds the Image, with the same stamp.
    const image = d.resources.find((r) => r.type === IMAGE_TYPE && r.urn.endsWith(`::${name}`))!;
    image.outputs!.contextHash = "0".repeat(64);
    await stack.importState(state);
    const r = await stack.up({ expect: "either" });
    assert.equal(r.changed.get(name), "update", `the provider rebuilt ${name}: ${JSON.stringify([...r.changed])}`);
    assert.equal(r.changed.get(`${name}-built-at`), undefined, "the stamp stays");
    assert.equal(resolvedDigest(pinned), images[name].digest, `${pinned} still names the first build`);
    const rebuilt = await digestInState(name);
    if (rebuilt === images[name].digest) {
      assert.equal(r.failed, false, "a bit-identical rebuild has nothing to tag");
    } else {
      // Other content under the same build time: the tag step refuses, and says what to do.
      assert.equal(r.failed, true);
      assert.match(r.stdout, /a timestamped tag never moves to other content/);
      await stack.reconfigure({ rebuildEpoch: "after-provider-rebuild" });
      const fixed = await stack.up();
      assert.equal(fixed.changed.get(`${name}-built-at`), "replace", "a new epoch gives a new build time");
      images = await stack.images();
      assert.notEqual(images[name].tags.find((t) => /-\d{12}-/.test(t)), pinned, "a new timestamped tag");
    }
  });

  it("a signing failure leaves the other cells signed; the next up signs the same digest", async () => {
    // A cosign that fails its first `sign` and then hands every call to the real cosign.
    const bin = join(WORK, "failing-bin");
    mkdirSync(bin, { recursive: true });
    const real = sh("sh", ["-c", "command -v cosign"]).stdout.trim();
    const marker = join(WORK, "fail-once");
    writeFileSync(marker, "");
    writeFileSync(join(bin, "cosign"), `#!/bin/sh\nif [ "$1" = sign ] && rm "${marker}" 2>/dev/null; then echo "injected failure" >&2; exit 1; fi\nexec "${real}" "$@"\n`);
    chmodSync(join(bin, "cosign"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    let failed: RunResult;
    try {
      await stack.reconfigure({ rebuildEpoch: "signing-failure" });
      failed = await stack.up({ expect: "failure" });
    } finally {
      process.env.PATH = path;
    }
    assert.match(failed.stdout, /injected failure/);
    const signedNow = await Promise.all(names.map(async (n) => [n, await signatureCount(`${REPO}@${await digestInState(n)}`)] as const));
    const unsigned = signedNow.filter(([, c]) => c === 0).map(([n]) => n);
    assert.equal(unsigned.length, 1, `exactly one cell left unsigned, the others signed (continue-on-error): ${JSON.stringify(signedNow)}`);
    const digestBefore = await digestInState(unsigned[0]);
    // Its timestamped tag names the new build; its rolling tags did not move to the unsigned digest.
    const rollingTag = `${REPO}:${MAJOR}-${unsigned[0].split("-")[2]}-trixie`;
    assert.notEqual(resolvedDigest(rollingTag), digestBefore, `${rollingTag} must not name an unsigned digest`);
    assert.equal(cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", `${REPO}@${resolvedDigest(rollingTag)}`], true).status, 0, `${rollingTag} names a signed digest`);
    const again = await stack.up();
    // Only the failed cell's publish step goes on, as an update from its failed part (its timestamped tag is
    // recorded; the engine kept the part as done when the step failed).
    assert.deepEqual(
      [...again.changed].filter(([n]) => n.endsWith("-publish")),
      [[`${unsigned[0]}-publish`, "update"]],
    );
    assert.equal(await signatureCount(`${REPO}@${digestBefore}`), 1, "signed once");
    assert.equal(count(again, IMAGE_TYPE, "update") + count(again, IMAGE_TYPE, "create"), 0, "nothing rebuilt");
    images = await stack.images();
    assert.equal(images[unsigned[0]].digest, digestBefore, "the same digest");
    const ok = cosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", images[unsigned[0]].ref], true);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(resolvedDigest(rollingTag), digestBefore, "signed now, the rolling tag follows it");
  });

  it("a cell removed from the config leaves the state, and its image stays in the registry", async () => {
    const removed = `postgresql-${MAJOR}-system-trixie`;
    const ref = images[removed].ref;
    await stack.reconfigure({ imageTypes: ["minimal", "standard"] });
    const r = await stack.up();
    assert.equal(r.changed.get(removed), "delete", JSON.stringify([...r.changed]));
    assert.ok(!(await stack.resourceNames(IMAGE_TYPE)).includes(removed));
    assert.equal((await getManifest(ref)).digest, images[removed].digest, "still served by digest");
    for (const tag of images[removed].tags) assert.equal(resolvedDigest(tag), images[removed].digest, `${tag} still served`);
  });

  it("the targets JSON for the same stack builds with docker buildx bake -f", () => {
    const dir = mkdtempSync(join(WORK, "bake-"));
    writeFileSync(join(dir, "Pulumi.yaml"), readFileSync(join(ROOT, "Pulumi.yaml")));
    const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [`postgres-images:${k}`, v]));
    writeFileSync(join(dir, "Pulumi.e2e.yaml"), stringify({ config: values }));
    const json = sh(process.execPath, [join(ROOT, "dist/cli/targets.js"), "--dir", dir, "--stack", "e2e", "--json"]).stdout;
    const file = join(dir, "bake.json");
    writeFileSync(file, json);
    const t0 = Date.now();
    // BuildKit's SBOM generator image lives on Docker Hub, out of reach here: keep provenance, disable the SBOM.
    // The CA secret is read from outside the project: bake asks for that entitlement explicitly.
    sh("docker", ["buildx", "bake", "--builder", BUILDER, "-f", file, "--allow", `fs.read=${dirname(HOST_CA)}`, "--set", "*.attest=type=sbom,disabled=true", "--metadata-file", join(dir, "meta.json")], { cwd: ROOT });
    timings.bake = secondsSince(t0);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Record<string, Record<string, string>>;
    for (const name of Object.keys(images)) assert.match(meta[name]["containerimage.digest"], /^sha256:[0-9a-f]{64}$/, name);
  });
});

/** The digest an Image has in the stack's state (also when the stack's outputs were not written). */
async function digestInState(name: string): Promise<string> {
  const d = (await stack.exportState()).deployment as { resources: { urn: string; type: string; outputs?: { digest?: string } }[] };
  const image = d.resources.find((r) => r.type === IMAGE_TYPE && r.urn.endsWith(`::${name}`));
  return image?.outputs?.digest ?? "";
}
