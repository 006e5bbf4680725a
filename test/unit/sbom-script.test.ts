/**
 * scripts/sbom-from-image.sh with a fake syft (on PATH, or where scripts/supply-chain.sh installs it): how
 * it calls syft, what it sets for a localhost registry, and how it fails. The real syft runs in the e2e
 * tier (bash scripts/supply-chain.sh install builds it).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers";

const SCRIPT = join(ROOT, "scripts", "sbom-from-image.sh");
const DIGEST = `sha256:${"a".repeat(64)}`;
const LOCAL = `localhost:5000/postgresql-testing@${DIGEST}`;
const SPDX = JSON.stringify({ spdxVersion: "SPDX-2.3", packages: [{ name: "postgresql-17", versionInfo: "17.12-0+deb13u1" }] });

/**
 * A fake `syft` in DIR/bin that records its arguments (one a line) in DIR/args and the value of
 * SYFT_REGISTRY_INSECURE_USE_HTTP (or "unset") in DIR/insecure, then writes DIR/doc.json where
 * `-o spdx-json=PATH` says. FAIL makes it print an error and exit 1 instead.
 */
function fakeSyft(document: string | null, fail = false): { dir: string; bin: string } {
  const dir = mkdtempSync(join(tmpdir(), "pgi-syft-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  if (document !== null) writeFileSync(join(dir, "doc.json"), document);
  writeFileSync(
    join(bin, "syft"),
    [
      "#!/bin/sh",
      `printf '%s\\n' "$@" > "${dir}/args"`,
      `printf '%s\\n' "\${SYFT_REGISTRY_INSECURE_USE_HTTP-unset}" > "${dir}/insecure"`,
      fail ? `echo "[0000] ERROR could not determine source: MANIFEST_UNKNOWN" >&2; exit 1` : "",
      `for a in "$@"; do case "$a" in spdx-json=*) ${document === null ? ":" : `cp "${dir}/doc.json" "\${a#spdx-json=}"`};; esac; done`,
      "",
    ].join("\n"),
  );
  chmodSync(join(bin, "syft"), 0o755);
  return { dir, bin };
}

/** An engine directory with nothing built, so scripts/supply-chain.sh finds no syft of its own. */
function emptyEngine(): string {
  return mkdtempSync(join(tmpdir(), "pgi-engine-"));
}

function run(image: string, platform: string, path: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "pgi-sbom-out-"));
  const out = join(dir, "sbom.json");
  const r = spawnSync("bash", [SCRIPT, image, platform, out], {
    encoding: "utf8",
    env: { PATH: `${path}:/usr/bin:/bin`, HOME: dir, PULUMI_ENGINE_DIR: emptyEngine(), ...env },
  });
  return { ...r, out, outDir: dir };
}

const lines = (file: string) => readFileSync(file, "utf8").trimEnd().split("\n");

describe("sbom-from-image.sh", () => {
  it("runs syft scan on the image by digest from the registry, for the platform asked, into an SPDX JSON file", () => {
    const { dir, bin } = fakeSyft(SPDX);
    const r = run(LOCAL, "linux/arm64", bin);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(lines(join(dir, "args")), [
      "scan",
      "registry:localhost:5000/postgresql-testing@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "--platform",
      "linux/arm64",
      "-o",
      `spdx-json=${r.out}.tmp`,
    ]);
    assert.equal(readFileSync(r.out, "utf8"), SPDX);
    assert.deepEqual(readdirSync(r.outDir).sort(), ["sbom.json"], "the .tmp file is moved, nothing else left");
    assert.equal(r.stderr, `sbom-from-image: syft listed 1 packages for ${LOCAL} (linux/arm64)\n`);
  });

  it("speaks plain HTTP to a registry on localhost or 127.0.0.1", () => {
    for (const image of [LOCAL, `127.0.0.1:5000/debian@${DIGEST}`, `localhost/postgresql-testing@${DIGEST}`]) {
      const { dir, bin } = fakeSyft(SPDX);
      const r = run(image, "linux/amd64", bin);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(lines(join(dir, "insecure")), ["true"], image);
    }
  });

  it("leaves HTTPS alone for every other registry", () => {
    for (const image of [
      `ghcr.io/cloudnative-pg/postgresql-testing@${DIGEST}`,
      `localhost.example.com:5000/postgresql-testing@${DIGEST}`,
      `registry.example.com/localhost/postgresql-testing@${DIGEST}`,
      `127.0.0.1.example.com/debian@${DIGEST}`,
    ]) {
      const { dir, bin } = fakeSyft(SPDX);
      const r = run(image, "linux/amd64", bin);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(lines(join(dir, "insecure")), ["unset"], image);
      assert.equal(lines(join(dir, "args"))[1], `registry:${image}`);
    }
  });

  it("finds the syft scripts/supply-chain.sh built when none is on PATH", () => {
    const { dir, bin } = fakeSyft(SPDX);
    const engine = emptyEngine();
    mkdirSync(join(engine, "syft-v1.57.2", "bin"), { recursive: true });
    writeFileSync(join(engine, "syft-v1.57.2", "bin", "syft"), readFileSync(join(bin, "syft")), { mode: 0o755 });
    writeFileSync(join(engine, "syft-v1.57.2", "bin", "syft.version"), "v1.57.2\n");
    const r = run(LOCAL, "linux/amd64", "/nonexistent", { PULUMI_ENGINE_DIR: engine });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(lines(join(dir, "args"))[0], "scan");
    assert.equal(readFileSync(r.out, "utf8"), SPDX);
  });

  it("fails with one line naming the install command when there is no syft", () => {
    const r = run(LOCAL, "linux/amd64", "/nonexistent");
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "sbom-from-image: ERROR: syft is not on PATH and not built here; run: bash scripts/supply-chain.sh install\n");
    assert.equal(existsSync(r.out), false);
  });

  const badPlatforms = ["linux", "linux/arm64;id", "Linux/AMD64", "--platform", ""];
  for (const platform of badPlatforms) {
    it(`refuses the platform '${platform}' before calling syft`, () => {
      const { dir, bin } = fakeSyft(SPDX);
      const r = run(LOCAL, platform, bin);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `sbom-from-image: ERROR: PLATFORM must look like linux/arm64, got '${platform}'\n`);
      assert.equal(existsSync(join(dir, "args")), false, "syft not called");
    });
  }

  it("wants exactly three arguments", () => {
    const { dir, bin } = fakeSyft(SPDX);
    const r = spawnSync("bash", [SCRIPT, LOCAL, "linux/amd64"], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin` } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^usage: .*sbom-from-image\.sh IMAGE_REF PLATFORM OUTFILE$/m);
    assert.equal(existsSync(join(dir, "args")), false, "syft not called");
  });

  const badDocuments: [string, string | null][] = [
    ["a CycloneDX document", JSON.stringify({ bomFormat: "CycloneDX", components: [{ name: "postgresql-17" }] })],
    ["an SPDX document without packages", JSON.stringify({ spdxVersion: "SPDX-2.3", packages: [] })],
    ["an SPDX 3 document", JSON.stringify({ spdxVersion: "SPDX-3.0", packages: [{ name: "x" }] })],
    ["text that is not JSON", "not json"],
    ["no file at all", null],
  ];
  for (const [what, document] of badDocuments) {
    it(`refuses ${what} from syft, leaving no output`, () => {
      const { bin } = fakeSyft(document);
      const r = run(LOCAL, "linux/amd64", bin);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `sbom-from-image: ERROR: syft did not write an SPDX 2 JSON document with packages for ${LOCAL} (linux/amd64)\n`);
      assert.deepEqual(readdirSync(r.outDir), [], "neither OUTFILE nor OUTFILE.tmp");
    });
  }

  it("shows syft's own error when it fails", () => {
    const { bin } = fakeSyft(SPDX, true);
    const r = run(LOCAL, "linux/amd64", bin);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `[0000] ERROR could not determine source: MANIFEST_UNKNOWN\nsbom-from-image: ERROR: syft could not scan ${LOCAL} (linux/amd64)\n`,
    );
    assert.deepEqual(readdirSync(r.outDir), []);
  });
});

describe("supply-chain.sh bin", () => {
  it("fails with one line naming the install command when syft is not built", () => {
    const r = spawnSync("bash", [join(ROOT, "scripts", "supply-chain.sh"), "bin"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", HOME: emptyEngine(), PULUMI_ENGINE_DIR: emptyEngine() } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^\[supply-chain \d\d:\d\d:\d\d\] ERROR: syft v1\.57\.2 is not built; run: bash scripts\/supply-chain\.sh install\n$/);
    assert.equal(r.stdout, "");
  });

  it("prints the path of the syft it built, of the pinned version only", () => {
    const engine = emptyEngine();
    const syft = join(engine, "syft-v1.57.2", "bin", "syft");
    mkdirSync(join(engine, "syft-v1.57.2", "bin"), { recursive: true });
    writeFileSync(syft, "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(`${syft}.version`, "v1.57.1\n");
    const bin = () => spawnSync("bash", [join(ROOT, "scripts", "supply-chain.sh"), "bin"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", HOME: engine, PULUMI_ENGINE_DIR: engine } });
    assert.equal(bin().status, 1, "another version's stamp does not count");
    writeFileSync(`${syft}.version`, "v1.57.2\n");
    const r = bin();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${syft}\n`);
  });
});
