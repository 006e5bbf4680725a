import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { attestProvenanceCommand, attestSbomCommand, signCommand, signingRef, verifyCommand, type ActiveSigning, type CosignCommand } from "../../lib/cosign";

const DIGEST = `sha256:${"a".repeat(64)}`;
const KEY: ActiveSigning = { mode: "key", key: "cosign.key", tlogUpload: true, rekorUrl: "", verify: { publicKey: "cosign.pub" } };
const KEYLESS: ActiveSigning = { mode: "keyless", tlogUpload: false, rekorUrl: "https://rekor.internal", fulcioUrl: "", verify: { identity: "ci@example.com", identityRegexp: "", issuer: "https://issuer.example" } };

/**
 * Runs a script with a fake `cosign` (and SBOM script) on PATH that prints its arguments one per
 * line: what the shell really passes, including hostile values that must stay single arguments.
 */
function argv(c: CosignCommand, env: Record<string, string>): { args: string[]; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "cosign-fake-"));
  const log = join(dir, "log");
  writeFileSync(join(dir, "cosign"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> "${log}"; done\nfor a in "$@"; do [ -f "$a" ] && cat "$a" >> "${log}.files" && printf '\\n' >> "${log}.files"; done; exit 0\n`);
  chmodSync(join(dir, "cosign"), 0o755);
  mkdirSync(join(dir, "scripts"));
  writeFileSync(join(dir, "scripts", "sbom-from-image.sh"), `#!/bin/sh\nprintf '{"spdxVersion":"SPDX-2.3","for":"%s %s"}' "$1" "$2" > "$3"\n`);
  chmodSync(join(dir, "scripts", "sbom-from-image.sh"), 0o755);
  execFileSync("/bin/sh", ["-c", c.script], { cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin`, ...c.environment, ...env } });
  const read = (f: string): string => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  return { args: read(log).split("\n").slice(0, -1), files: read(`${log}.files`).split("\n").filter((l) => l !== "") };
}

const HOSTILE = `reg.example/x@${DIGEST}; touch /tmp/pwned "$(id)" \`id\``;

describe("cosign commands", () => {
  it("signs REPO@DIGEST only", () => {
    assert.equal(signingRef("localhost:5000/pg", DIGEST), `localhost:5000/pg@${DIGEST}`);
    assert.throws(() => signingRef("localhost:5000/pg", ""), /no pushed digest/);
    assert.throws(() => signingRef("localhost:5000/pg", "latest"), /no pushed digest/);
  });

  it("sign with a key: --key, then the reference as one argument whatever it holds", () => {
    const c = signCommand(KEY);
    assert.deepEqual(c.environment, { COSIGN_KEY: "cosign.key" });
    assert.deepEqual(argv(c, { IMAGE_REF: HOSTILE }).args, ["sign", "--yes", "--key", "cosign.key", HOSTILE]);
  });

  it("keyless with a private Rekor and no transparency log upload", () => {
    const c = signCommand(KEYLESS);
    assert.deepEqual(argv(c, { IMAGE_REF: "r@x" }).args, ["sign", "--yes", "--rekor-url", "https://rekor.internal", "--tlog-upload=false", "r@x"]);
  });

  it("verify uses the public key or the certificate identity, and skips the log when nothing was uploaded", () => {
    assert.deepEqual(argv(verifyCommand(KEY)!, { IMAGE_REF: "r@x" }).args, ["verify", "--key", "cosign.pub", "r@x"]);
    assert.deepEqual(argv(verifyCommand(KEYLESS)!, { IMAGE_REF: "r@x" }).args, [
      "verify",
      "--certificate-identity",
      "ci@example.com",
      "--certificate-oidc-issuer",
      "https://issuer.example",
      "--rekor-url",
      "https://rekor.internal",
      "--insecure-ignore-tlog=true",
      "r@x",
    ]);
    assert.equal(verifyCommand({ ...KEY, verify: undefined }), undefined);
  });

  it("attests the provenance predicate from the environment through a temporary file", () => {
    const predicate = JSON.stringify({ buildType: "x", odd: "it's $(not) `run`" });
    const { args, files } = argv(attestProvenanceCommand(KEY), { IMAGE_REF: "r@x", PREDICATE: predicate });
    assert.deepEqual(args.slice(0, 6), ["attest", "--yes", "--key", "cosign.key", "--type", "slsaprovenance1"]);
    assert.equal(args[6], "--predicate");
    assert.equal(args[8], "r@x");
    assert.deepEqual(files, [predicate]);
  });

  it("attests an SPDX SBOM made for one platform", () => {
    const { args, files } = argv(attestSbomCommand(KEY), { IMAGE_REF: "r@x", PLATFORM: "linux/arm64" });
    assert.deepEqual(args.slice(4, 6), ["--type", "spdxjson"]);
    assert.deepEqual(files, ['{"spdxVersion":"SPDX-2.3","for":"r@x linux/arm64"}']);
  });
});
