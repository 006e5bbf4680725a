/**
 * scripts/sbom-from-image.sh's choice of generator, with a fake syft on PATH (the dpkg lister runs
 * for real in the e2e tier). syft is not in Debian's archive, so the real one cannot run here.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers";

const SCRIPT = join(ROOT, "scripts", "sbom-from-image.sh");
const IMAGE = `localhost:5000/postgresql-testing@sha256:${"a".repeat(64)}`;

/** A directory with a fake `syft` that records its arguments and writes `document` where -o says. */
function fakeSyft(document: string): string {
  const dir = mkdtempSync(join(tmpdir(), "pgi-syft-"));
  writeFileSync(join(dir, "doc.json"), document);
  writeFileSync(
    join(dir, "syft"),
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\nfor a in "$@"; do case "$a" in spdx-json=*) cp "${dir}/doc.json" "\${a#spdx-json=}";; esac; done\n`,
  );
  chmodSync(join(dir, "syft"), 0o755);
  return dir;
}

function run(dir: string, env: Record<string, string> = {}) {
  const out = join(dir, "sbom.json");
  const r = spawnSync("bash", [SCRIPT, IMAGE, "linux/arm64", out], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin`, ...env } });
  return { ...r, out };
}

describe("sbom-from-image.sh generator", () => {
  const spdx = JSON.stringify({ spdxVersion: "SPDX-2.3", packages: [{ name: "postgresql-17" }] });

  it("uses syft when it is on PATH, for the image and platform asked", () => {
    const dir = fakeSyft(spdx);
    const r = run(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(join(dir, "args"), "utf8").trim().split("\n"), [`registry:${IMAGE}`, "--platform", "linux/arm64", "-o", `spdx-json=${r.out}.tmp`, "-q"]);
    assert.equal(readFileSync(r.out, "utf8"), spdx);
    assert.match(r.stderr, /syft listed 1 packages/);
  });

  it("refuses what syft wrote when it is not an SPDX 2 document with packages", () => {
    const r = run(fakeSyft(JSON.stringify({ bomFormat: "CycloneDX", components: [] })));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /syft did not write an SPDX 2 JSON document/);
  });

  it("SBOM_GENERATOR=syft without syft fails, naming the setting", () => {
    const dir = mkdtempSync(join(tmpdir(), "pgi-nosyft-"));
    const r = run(dir, { SBOM_GENERATOR: "syft" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /SBOM_GENERATOR=syft, but syft is not on PATH/);
  });

  it("SBOM_GENERATOR=dpkg ignores syft and lists the image's packages itself (docker needed)", () => {
    const dir = fakeSyft(spdx);
    const r = spawnSync("/bin/bash", [SCRIPT, IMAGE, "linux/arm64", join(dir, "o.json")], { encoding: "utf8", env: { PATH: `${dir}:/nonexistent`, SBOM_GENERATOR: "dpkg" } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /docker is needed on the host/);
    assert.throws(() => readFileSync(join(dir, "args")), "syft was not called");
  });

  it("rejects an unknown SBOM_GENERATOR", () => {
    const r = run(fakeSyft(spdx), { SBOM_GENERATOR: "trivy" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /SBOM_GENERATOR must be auto, syft or dpkg, got 'trivy'/);
  });
});
