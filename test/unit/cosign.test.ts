import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import {
  attestProvenanceCommand,
  attestSbomCommand,
  PRESENCE_CHECKS,
  promoteCommand,
  reattestProvenanceCommand,
  signCommand,
  signingRef,
  verifyCommand,
  type ActiveSigning,
  type CosignCommand,
  type Made,
} from "../../lib/signing/cosign";
import { stepScriptPath } from "../../resources/step-runner";

const DIGEST = `sha256:${"a".repeat(64)}`;
const KEY: ActiveSigning = { mode: "key", key: "cosign.key", tlogUpload: true, rekorUrl: "", verify: { publicKey: "cosign.pub" } };
const KEYLESS: ActiveSigning = { mode: "keyless", tlogUpload: false, rekorUrl: "https://rekor.internal", fulcioUrl: "", verify: { identity: "ci@example.com", identityRegexp: "", issuer: "https://issuer.example" } };

/**
 * Runs a step script with a fake `cosign` (and `syft`, under the real scripts/sbom-from-image.sh) on PATH that
 * prints its arguments one per line: what the shell really passes, including hostile values that must stay
 * single arguments.
 */
function argv(c: CosignCommand, env: Record<string, string>, raw: object = SINGLE): { args: string[]; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "cosign-fake-"));
  const log = join(dir, "log");
  writeFileSync(join(dir, "cosign"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> "${log}"; done\nfor a in "$@"; do [ -f "$a" ] && cat "$a" >> "${log}.files" && printf '\\n' >> "${log}.files"; done; exit 0\n`);
  chmodSync(join(dir, "cosign"), 0o755);
  // A registry whose every reference names `raw` (a manifest or an index), as `imagetools inspect --raw` prints it.
  writeFileSync(join(dir, "raw.json"), JSON.stringify(raw));
  writeFileSync(join(dir, "docker"), `#!/bin/sh\n[ "$1 $2 $3 $5" = "buildx imagetools inspect --raw" ] || { echo "fake docker: unexpected $*" >&2; exit 99; }\ncat "${dir}/raw.json"\n`);
  chmodSync(join(dir, "docker"), 0o755);
  // syft scan registry:REF --platform PLATFORM -o spdx-json=FILE
  writeFileSync(join(dir, "syft"), `#!/bin/sh\nprintf '{"spdxVersion":"SPDX-2.3","packages":[{"name":"%s %s"}]}' "\${2#registry:}" "$4" > "\${6#spdx-json=}"\n`);
  chmodSync(join(dir, "syft"), 0o755);
  execFileSync("bash", [stepScriptPath(c.script)], { cwd: dir, env: { PATH: `${dir}:${dirname(process.execPath)}:/usr/bin:/bin`, ...c.environment, ...env } });
  const read = (f: string): string => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  return { args: read(log).split("\n").slice(0, -1), files: read(`${log}.files`).split("\n").filter((l) => l !== "") };
}

/** A single-platform image pushed as one manifest, no index. */
const SINGLE = { schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json" };
const AMD64 = `sha256:${"1".repeat(64)}`;
const ARM64 = `sha256:${"2".repeat(64)}`;
/** An index of two platforms and BuildKit's attestation manifest (platform unknown/unknown). */
const INDEX = {
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [
    { digest: AMD64, platform: { os: "linux", architecture: "amd64" } },
    { digest: ARM64, platform: { os: "linux", architecture: "arm64" } },
    { digest: `sha256:${"3".repeat(64)}`, platform: { os: "unknown", architecture: "unknown" } },
  ],
};

const HOSTILE = `reg.example/x@${DIGEST}; touch /tmp/pwned "$(id)" \`id\``;

describe("cosign commands", () => {
  it("signs REPO@DIGEST only", () => {
    assert.equal(signingRef("localhost:5000/pg", DIGEST), `localhost:5000/pg@${DIGEST}`);
    assert.throws(() => signingRef("localhost:5000/pg", ""), /no pushed digest/);
    assert.throws(() => signingRef("localhost:5000/pg", "latest"), /no pushed digest/);
  });

  it("sign with a key: --key, then the reference as one argument whatever it holds", () => {
    const c = signCommand(KEY);
    assert.deepEqual(c.environment, { COSIGN_KEY: "cosign.key", TLOG_UPLOAD: "true" });
    assert.deepEqual(argv(c, { IMAGE_REF: HOSTILE }).args, ["sign", "--recursive", "--yes", "--key", "cosign.key", HOSTILE]);
  });

  it("keyless with a private Rekor and no transparency log upload", () => {
    const c = signCommand(KEYLESS);
    assert.deepEqual(argv(c, { IMAGE_REF: "r@x" }).args, ["sign", "--recursive", "--yes", "--use-signing-config=false", "--tlog-upload=false", "r@x"]);
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

  it("verify of an index: the index, then each platform manifest by digest (not BuildKit's attestation manifest)", () => {
    const args = argv(verifyCommand(KEY)!, { IMAGE_REF: "reg.example/pg@sha256:ix" }, INDEX).args;
    assert.deepEqual(args, ["verify", "--key", "cosign.pub", "reg.example/pg@sha256:ix", "verify", "--key", "cosign.pub", `reg.example/pg@${AMD64}`, "verify", "--key", "cosign.pub", `reg.example/pg@${ARM64}`]);
  });

  it("attests the provenance predicate from the environment through a temporary file", () => {
    const predicate = JSON.stringify({ buildType: "x", odd: "it's $(not) `run`" });
    const { args, files } = argv(attestProvenanceCommand(KEY), { IMAGE_REF: "r@x", PREDICATE: predicate });
    assert.deepEqual(args.slice(0, 6), ["attest", "--yes", "--key", "cosign.key", "--type", "slsaprovenance1"]);
    assert.equal(args[6], "--predicate");
    assert.equal(args[8], "r@x");
    assert.deepEqual(files, [predicate]);
  });

  it("attests an SPDX SBOM made for one platform, on that platform's manifest", () => {
    const { args, files } = argv(attestSbomCommand(KEY), { IMAGE_REF: "reg.example/pg@sha256:ix", PLATFORM: "linux/arm64" }, INDEX);
    assert.deepEqual(args.slice(4, 6), ["--type", "spdxjson"]);
    assert.equal(args[args.length - 1], `reg.example/pg@${ARM64}`);
    assert.deepEqual(files, [`{"spdxVersion":"SPDX-2.3","packages":[{"name":"reg.example/pg@${ARM64} linux/arm64"}]}`]);
  });

  it("a single-platform image without an index: the SBOM is attested on the image itself", () => {
    const { args } = argv(attestSbomCommand(KEY), { IMAGE_REF: "r@x", PLATFORM: "linux/amd64" });
    assert.equal(args[args.length - 1], "r@x");
  });
});

/**
 * Runs a script with a fake `cosign` that logs each call's arguments as one JSON line (and answers
 * `verify-attestation` with `attestations`), and a fake `docker` that logs `imagetools create` the
 * same way (as ["docker", …]) and whose `imagetools inspect TAG` prints the digest `resolves[TAG]` in
 * Go-template JSON form (or fails when there is none).
 */
function fakeRun(c: CosignCommand, env: Record<string, string>, options: { resolves?: Record<string, string>; attestations?: string; failPushes?: number; failVerify?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "cosign-promote-"));
  // `docker buildx imagetools create` fails its first `failPushes` calls (after logging them); `sleep` returns at once.
  writeFileSync(join(dir, "pushes-to-fail"), String(options.failPushes ?? 0));
  writeFileSync(join(dir, "sleep"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(dir, "sleep"), 0o755);
  writeFileSync(join(dir, "resolves.json"), JSON.stringify(options.resolves ?? {}));
  writeFileSync(join(dir, "attestations"), options.attestations ?? "");
  const node = process.execPath;
  writeFileSync(
    join(dir, "cosign"),
    `#!/bin/sh\n${node} -e 'const fs=require("fs");const a=process.argv.slice(1);const i=a.indexOf("--predicate");fs.appendFileSync(process.env.LOG,JSON.stringify({args:a,predicate:i>=0?fs.readFileSync(a[i+1],"utf8"):undefined})+"\\n")' -- "$@"\n` +
      `[ "$1" = "verify-attestation" ] && cat "${dir}/attestations"\n` +
      (options.failVerify === true ? `[ "$1" = verify ] && { echo; echo "Error: no signatures found" >&2; exit 10; }\n` : "") +
      "exit 0\n",
  );
  writeFileSync(
    join(dir, "docker"),
    `#!/bin/sh\nif [ "$1 $2 $3" = "buildx imagetools create" ]; then ${node} -e 'require("fs").appendFileSync(process.env.LOG,JSON.stringify({args:["docker",...process.argv.slice(1)]})+"\\n")' -- "$@"; ` +
      `n=$(cat "${dir}/pushes-to-fail"); if [ "$n" -gt 0 ]; then echo $((n - 1)) > "${dir}/pushes-to-fail"; echo "ERROR: 500 Internal Server Error" >&2; exit 1; fi; exit 0; fi\n[ "$1 $2 $3" = "buildx imagetools inspect" ] || exit 99\n${node} -e 'const r=require(process.argv[1]);const d=r[process.argv[2]];if(!d){console.error("ERROR: not found");process.exit(1)}console.log(JSON.stringify(d))' "${dir}/resolves.json" "$4"\n`,
  );
  chmodSync(join(dir, "cosign"), 0o755);
  chmodSync(join(dir, "docker"), 0o755);
  const log = join(dir, "log");
  const r = spawnSync("bash", [stepScriptPath(c.script)], { encoding: "utf8", cwd: dir, env: { PATH: `${dir}:${dirname(node)}:/usr/bin:/bin`, LOG: log, ...c.environment, ...env } });
  let calls: { args: string[]; predicate?: string }[] = [];
  try {
    calls = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { args: string[]; predicate?: string });
  } catch {
    calls = [];
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

describe("promotion commands", () => {
  const SOURCE = `reg.example/pg/postgresql-testing@${DIGEST}`;
  const TAGS = ["reg.example/pg/postgresql:17-minimal-trixie", "reg.example/pg/postgresql:17.11-minimal-trixie", "reg.example/pg/postgresql:17.11-202611020830-minimal-trixie"];

  it("copies the source by digest to every tag, checks each tag resolves to the digest, prints it", () => {
    const r = fakeRun(promoteCommand(KEY), { SOURCE_REF: SOURCE, DIGEST, TAGS: TAGS.join("\n"), PINNED_TAG: TAGS[2] }, { resolves: { [SOURCE]: DIGEST, ...Object.fromEntries(TAGS.map((t) => [t, DIGEST])) } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${DIGEST}\n`);
    assert.deepEqual(r.calls.map((c) => c.args), [
      // The testing image verified against the testing signer before anything is copied.
      ["verify", "--key", "cosign.pub", SOURCE],
      // The image unchanged under each tag in turn by imagetools; no testing signature is copied:
      // production signs and attests with its own identity.
      ...TAGS.map((t) => ["docker", "buildx", "imagetools", "create", "--prefer-index=false", "--tag", t, SOURCE]),
    ]);
  });

  it("retries a tag push after a registry error, and gives up after three attempts", () => {
    const resolves = { [SOURCE]: DIGEST, ...Object.fromEntries(TAGS.map((t) => [t, DIGEST])) };
    const once = fakeRun(promoteCommand(KEY), { SOURCE_REF: SOURCE, DIGEST, TAGS: TAGS.join("\n"), PINNED_TAG: TAGS[2] }, { resolves, failPushes: 1 });
    assert.equal(once.status, 0, once.stderr);
    assert.equal(once.calls.filter((c) => c.args[0] === "docker").length, TAGS.length + 1);
    const always = fakeRun(promoteCommand(KEY), { SOURCE_REF: SOURCE, DIGEST, TAGS: TAGS.join("\n"), PINNED_TAG: TAGS[2] }, { resolves, failPushes: 9 });
    assert.equal(always.status, 1);
    assert.equal(always.calls.filter((c) => c.args[0] === "docker").length, 3);
    assert.match(always.stderr, new RegExp(`promote: pushing ${TAGS[0]} failed 3 times`));
    assert.equal(always.stdout, "", "no digest printed after a failed push");
  });

  it("fails loudly when a tag resolves to another digest after the copy", () => {
    const other = `sha256:${"b".repeat(64)}`;
    const r = fakeRun(promoteCommand(KEY), { SOURCE_REF: SOURCE, DIGEST, TAGS: TAGS.join("\n"), PINNED_TAG: TAGS[2] }, { resolves: { [SOURCE]: DIGEST, [TAGS[0]]: DIGEST, [TAGS[1]]: other, [TAGS[2]]: DIGEST } });
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`promote: ${TAGS[1]} resolves to ${other}, not ${DIGEST}`));
  });

  it("fails when a tag cannot be read back at all", () => {
    const r = fakeRun(promoteCommand(KEY), { SOURCE_REF: SOURCE, DIGEST, TAGS: TAGS[0] }, { resolves: { [SOURCE]: DIGEST } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /resolves to nothing/);
  });

  it("refuses a source that is not the digest, before copying anything; hostile tags stay one argument", () => {
    const r = fakeRun(promoteCommand(KEY), { SOURCE_REF: "reg.example/pg/postgresql-testing:17", DIGEST, TAGS: TAGS[0] });
    assert.equal(r.status, 2);
    assert.deepEqual(r.calls, []);
    const hostile = `reg.example/x:t "$(touch pwned)" \`id\``;
    const h = fakeRun(promoteCommand(KEY), { SOURCE_REF: SOURCE, DIGEST, TAGS: hostile }, { resolves: { [SOURCE]: DIGEST, [hostile]: DIGEST } });
    assert.equal(h.status, 0, h.stderr);
    assert.deepEqual(h.calls[1].args, ["docker", "buildx", "imagetools", "create", "--prefer-index=false", "--tag", hostile, SOURCE]);
    assert.equal(h.calls.length, 2);
  });

  it("refuses a testing image that is gone, or not signed by the testing signer, before copying anything", () => {
    const env = { SOURCE_REF: SOURCE, DIGEST, TAGS: TAGS.join("\n"), PINNED_TAG: TAGS[2] };
    const gone = fakeRun(promoteCommand(KEY), env, { resolves: {} });
    assert.equal(gone.status, 1);
    assert.deepEqual(gone.calls, []);
    assert.match(gone.stderr, new RegExp(`^promote: the testing image ${SOURCE.replace(/[.]/g, "\\.")} is not in the registry \\(deleted\\?\\); nothing was copied`));
    const unsigned = fakeRun(promoteCommand(KEY), env, { resolves: { [SOURCE]: DIGEST }, failVerify: true });
    assert.equal(unsigned.status, 1);
    assert.deepEqual(unsigned.calls.map((c) => c.args[0]), ["verify"], "verified, then nothing copied");
    assert.match(unsigned.stderr, /is not signed by the testing signer, so nothing was copied: Error: no signatures found$/m);
  });

  it("verifies against a keyless testing signer's identity and issuer", () => {
    const r = fakeRun(promoteCommand(KEYLESS), { SOURCE_REF: SOURCE, DIGEST, TAGS: TAGS[0] }, { resolves: { [SOURCE]: DIGEST, [TAGS[0]]: DIGEST } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.calls[0].args, ["verify", "--certificate-identity", "ci@example.com", "--certificate-oidc-issuer", "https://issuer.example", "--rekor-url", "https://rekor.internal", "--insecure-ignore-tlog=true", SOURCE]);
  });

  it("never moves a production timestamped tag that names other content", () => {
    const other = `sha256:${"b".repeat(64)}`;
    const r = fakeRun(promoteCommand(KEY), { SOURCE_REF: SOURCE, DIGEST, TAGS: TAGS.join("\n"), PINNED_TAG: TAGS[2] }, { resolves: { [SOURCE]: DIGEST, [TAGS[2]]: other } });
    assert.equal(r.status, 1);
    assert.deepEqual(r.calls.map((c) => c.args[0]), ["verify"], "nothing pushed");
    assert.match(r.stderr, new RegExp(`promote: ${TAGS[2].replace(/[.]/g, "\\.")} already names ${other}, and the testing image is ${DIGEST}; a timestamped tag never moves`));
  });

  it("re-attests the testing build's SLSA provenance about the image's digest, verified against the testing signer, with this signer", () => {
    const statement = (predicateType: string, sha: string, predicate: unknown) => ({
      payloadType: "application/vnd.in-toto+json",
      payload: Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v0.1", predicateType, subject: [{ name: "x", digest: { sha256: sha } }], predicate })).toString("base64"),
      signatures: [],
    });
    const mine = { buildDefinition: { buildType: "mine", note: "it's $(not) `run`" } };
    const testing: ActiveSigning = { mode: "key", key: "testing.key", tlogUpload: false, rekorUrl: "", verify: { publicKey: "testing.pub" } };
    // A DSSE envelope as verify-attestation prints it, and one inside a cosign 3 bundle.
    const attestations = [
      JSON.stringify(statement("https://spdx.dev/Document", DIGEST.slice(7), { spdx: 1 })),
      JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", dsseEnvelope: statement("https://slsa.dev/provenance/v1", "b".repeat(64), { buildDefinition: { buildType: "another image" } }) }),
      JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", dsseEnvelope: statement("https://slsa.dev/provenance/v1", DIGEST.slice(7), mine) }),
    ].join("\n");
    const ref = `reg.example/pg/postgresql@${DIGEST}`;
    const source = `reg.example/pg/postgresql-testing@${DIGEST}`;
    const r = fakeRun(reattestProvenanceCommand(KEY, testing), { IMAGE_REF: ref, SOURCE_REF: source }, { attestations: `${attestations}\n` });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.calls[0].args, ["verify-attestation", "--key", "testing.pub", "--insecure-ignore-tlog=true", "--type", "slsaprovenance1", source]);
    const attest = r.calls[1];
    assert.deepEqual(attest.args.slice(0, 6), ["attest", "--yes", "--key", "cosign.key", "--type", "slsaprovenance1"]);
    assert.equal(attest.args[attest.args.length - 1], ref);
    assert.deepEqual(JSON.parse(attest.predicate!), mine);
  });

  it("refuses to re-attest when no verified provenance is about this digest", () => {
    const r = fakeRun(reattestProvenanceCommand(KEY, KEY), { IMAGE_REF: `reg.example/pg/postgresql@${DIGEST}`, SOURCE_REF: `reg.example/pg/postgresql-testing@${DIGEST}` }, { attestations: "" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /has no SLSA v1 provenance about its digest, signed by the testing signer/);
    assert.equal(r.calls.length, 1, "nothing attested");
  });
});

describe("signature and attestation checks (refresh)", () => {
  const REPO = "registry.internal:5000/pg/postgresql-testing";
  const REF = `${REPO}@${DIGEST}`;
  /**
   * A fake cosign whose `download attestation --predicate-type T REF` finds what `made` lists as "REF T" (and
   * answers as cosign 3 does when it finds none, or fails with `error` for every call), and a fake docker whose
   * registry holds the image when `imageThere` and whose index is INDEX.
   */
  function check(made: Made, found: readonly string[], platform = "", options: { imageThere?: boolean; error?: string } = {}): { status: number | null; stdout: string; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), "presence-"));
    writeFileSync(join(dir, "found"), found.map((p) => `${p}\n`).join(""));
    writeFileSync(
      join(dir, "cosign"),
      `#!/bin/sh\n[ "$1 $2 $3" = "download attestation --predicate-type" ] || { echo "fake cosign: unexpected $*" >&2; exit 99; }\n` +
        (options.error === undefined ? "" : `echo ${JSON.stringify(options.error)} >&2; exit 1\n`) +
        `grep -qxF -- "$5 $4" "${dir}/found" && { echo '{"dsseEnvelope":{}}'; exit 0; }\necho "Error: no attestations with predicate type '$4' found" >&2; exit 1\n`,
    );
    writeFileSync(join(dir, "raw.json"), JSON.stringify(INDEX));
    writeFileSync(
      join(dir, "docker"),
      `#!/bin/sh\n[ "$5" = "--raw" ] && { cat "${dir}/raw.json"; exit 0; }\n` +
        (options.imageThere === false ? `echo "ERROR: $4: not found" >&2; exit 1\n` : `echo '"${DIGEST}"'\n`),
    );
    for (const f of ["cosign", "docker"]) chmodSync(join(dir, f), 0o755);
    const r = spawnSync("bash", [stepScriptPath(PRESENCE_CHECKS[made])], { encoding: "utf8", env: { PATH: `${dir}:${dirname(process.execPath)}:/usr/bin:/bin`, IMAGE_REF: REF, PLATFORM: platform } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const SIGNED = "https://sigstore.dev/cosign/sign/v1";

  const AMD64_REF = `${REPO}@${AMD64}`;
  const ARM64_REF = `${REPO}@${ARM64}`;

  it("what the step made, found by its predicate type: nothing to say", () => {
    const r = check("signature", [`${REF} ${SIGNED}`, `${AMD64_REF} ${SIGNED}`, `${ARM64_REF} ${SIGNED}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(check("provenance", [`${REF} slsaprovenance1`]).stdout, "");
  });

  it("none: one line naming the digest and what is missing", () => {
    assert.equal(check("provenance", [`${REF} ${SIGNED}`]).stdout, `the registry holds no provenance of ${REF}\n`);
    assert.equal(check("signature", [`${REF} slsaprovenance1`, `${AMD64_REF} ${SIGNED}`, `${ARM64_REF} ${SIGNED}`]).stdout, `the registry holds no signature of ${REF}\n`);
  });

  it("the image itself gone: nothing to say (the stamp's check rebuilds it, and the new digest signs again)", () => {
    const r = check("signature", [], "", { imageThere: false });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
  });

  it("a registry that cannot answer fails the check with its answer, never 'missing'", () => {
    const r = check("signature", [], "", { error: "Error: GET http://registry.internal:5000/v2/: connection refused" });
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^cannot tell whether the registry holds a signature of .*: Error: GET http:\/\/registry\.internal:5000\/v2\/: connection refused$/m);
  });

  it("signatures: the index's and each platform manifest's, one line per missing one", () => {
    assert.equal(check("signature", [`${REF} ${SIGNED}`, `${AMD64_REF} ${SIGNED}`], "").stdout, `the registry holds no signature of ${ARM64_REF}\n`);
    assert.equal(check("signature", []).stdout, [REF, AMD64_REF, ARM64_REF].map((r) => `the registry holds no signature of ${r}\n`).join(""));
  });

  it("provenance: the index's only", () => {
    assert.equal(check("provenance", [`${REF} slsaprovenance1`, `${AMD64_REF} ${SIGNED}`]).stdout, "");
  });

  it("SBOM: the one on PLATFORM's manifest only", () => {
    assert.equal(check("sbom", [`${ARM64_REF} spdxjson`], "linux/arm64").stdout, "");
    assert.equal(check("sbom", [`${REF} spdxjson`, `${ARM64_REF} spdxjson`], "linux/amd64").stdout, `the registry holds no sbom of ${AMD64_REF}\n`);
  });
});
