/**
 * Signing under mocks: every pushed digest reaches cosign as REPO@DIGEST through the environment,
 * secrets stay in the environment, and the modes switch the right commands on.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { canonicalJson } from "../../lib/build/definition";
import { byName, COMMAND_TYPE, evaluate, keyOf, partsOf, scriptName, IMAGE_TYPE, type Evaluation, type PartView, type ResourceRecord } from "./harness";

const PASSWORD = "correct horse battery staple, \"quoted\" $(not run)";

/** A small matrix keeps these runs quick; the golden test covers the full one. */
const SMALL = {
  registry: "registry.internal:5000/pg",
  postgresVersions: ["17.11", "18.6"],
  previewVersions: [],
  imageTypes: ["minimal", "standard"],
  bases: ["debian:trixie-slim@sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258"],
};
const REPO = "registry.internal:5000/pg/postgresql-testing";

/** Each signed cell's parts named `part` (resources/parts-step.ts), by cell. */
function parts(run: Evaluation, part: string): PartView[] {
  return run.resources.filter((r) => r.type === COMMAND_TYPE && r.name.endsWith("-publish")).flatMap((r) => [...partsOf(r).values()].filter((p) => p.name === part));
}

function env(r: ResourceRecord): Record<string, string> {
  return r.inputs.environment as Record<string, string>;
}

function secretEnv(r: ResourceRecord): Record<string, string> {
  return r.inputs.secretEnvironment as Record<string, string>;
}

describe("signing with a key", () => {
  const config = {
    ...SMALL,
    platforms: ["linux/amd64", "linux/arm64"],
    signing: { mode: "key", key: "awskms://alias/cosign", tlogUpload: false, rekorUrl: "https://rekor.internal", verify: { publicKey: "cosign.pub" } },
  };

  /** The signer's static cosign environment (canonical JSON), the second trigger of sign and attest. */
  // Without a transparency log, the Rekor URL is no part of who signs (nothing is uploaded there).
  const SIGNER = '{"COSIGN_KEY":"awskms://alias/cosign","mode":"key","tlogUpload":false}';
  /** The verification policy's, verify's second trigger: no signing key in it. */
  const POLICY = '{"REKOR_URL":"https://rekor.internal","VERIFY_KEY":"cosign.pub"}';

  it("signs, verifies and attests every Image's digest, never a tag, and only through the environment", async () => {
    const run = await evaluate(config, { secrets: { cosignPassword: PASSWORD } });
    assert.ok(run.ok, run.error?.message);
    const images = byName(run, IMAGE_TYPE);
    assert.equal(images.size, 4);
    const all = byName(run, COMMAND_TYPE);
    for (const [name, image] of images) {
      const digest = image.outputs.digest as string;
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      const publish = all.get(`${name}-publish`)!;
      assert.deepEqual(publish.inputs.triggers, [digest]);
      const ps = partsOf(publish);
      assert.deepEqual([...ps.keys()], ["tags", "sign", "verify", "attest-provenance", "attest-sbom-linux-amd64", "attest-sbom-linux-arm64", "rolling-tags"], `${name}: signed after the timestamped tag, the attestations one after the other (cosign attest rewrites the digest's attestation manifest), the rolling tags last`);
      for (const pname of ["sign", "verify", "attest-provenance", "attest-sbom-linux-amd64", "attest-sbom-linux-arm64"]) {
        const c = ps.get(pname)!;
        assert.equal(c.environment.IMAGE_REF, `${REPO}@${digest}`, pname);
        assert.equal(c.key, keyOf(pname === "verify" ? [SIGNER, POLICY] : [SIGNER]), `${pname} runs again for a new signer/policy (and a new digest: the step's trigger)`);
        assert.equal(c.script, pname.replace(/-linux-.*$/, ""), pname);
        if (pname !== "verify") assert.equal(c.environment.COSIGN_KEY, "awskms://alias/cosign", pname);
        // Without a transparency log the signing parts need no Rekor; verification is told where it is.
        assert.equal(c.environment.REKOR_URL, pname === "verify" ? "https://rekor.internal" : undefined, pname);
      }
      assert.deepEqual(ps.get("verify")!.after, ["sign"], `${name}: a signature made again is verified again`);
      // cosign 3 signs with a key and no transparency log given a signing configuration without one, which
      // scripts/steps/lib/cosign.sh makes when TLOG_UPLOAD is false (test/unit/cosign.test.ts).
      assert.equal(ps.get("sign")!.environment.TLOG_UPLOAD, "false");
      const verify = ps.get("verify")!;
      assert.deepEqual(
        Object.fromEntries(Object.entries(verify.environment).filter(([k]) => !["DIGEST", "PINNED_TAG"].includes(k))),
        { IMAGE_REF: `${REPO}@${digest}`, VERIFY_KEY: "cosign.pub", REKOR_URL: "https://rekor.internal", IGNORE_TLOG: "true" },
      );
      const provenance = ps.get("attest-provenance")!;
      const predicate = JSON.parse(provenance.environment.PREDICATE) as { buildDefinition: { externalParameters: { target: string; buildArgs: unknown } } };
      assert.equal(predicate.buildDefinition.externalParameters.target, image.inputs.target);
      assert.deepEqual(predicate.buildDefinition.externalParameters.buildArgs, image.inputs.buildArgs);
      assert.equal(ps.get("attest-sbom-linux-arm64")!.environment.PLATFORM, "linux/arm64");
    }
  });

  it("keeps the password secret: only in the secret environment, marked secret, in no script, output or other input", async () => {
    const run = await evaluate(config, { secrets: { cosignPassword: PASSWORD } });
    assert.ok(run.ok, run.error?.message);
    const signers = run.resources.filter((r) => r.type === COMMAND_TYPE && r.name.endsWith("-publish"));
    assert.equal(signers.length, 4);
    for (const c of signers) {
      const ps = [...partsOf(c).values()];
      assert.deepEqual(ps.filter((p) => p.secret).map((p) => p.name), ["sign", "attest-provenance", "attest-sbom-linux-amd64", "attest-sbom-linux-arm64"], `${c.name}: only the parts that sign get the password (not verify, not the tags)`);
      for (const p of ps) assert.equal(p.environment.COSIGN_PASSWORD, undefined, `${c.name} ${p.name}: the password is not in the plain environment`);
      assert.deepEqual(secretEnv(c), { COSIGN_PASSWORD: PASSWORD }, c.name);
      assert.deepEqual(c.secretPaths, ["secretEnvironment"], `${c.name}: the password reaches the engine as a secret, and nothing else does`);
      assert.ok(!canonicalJson({ ...c.inputs, secretEnvironment: {} }).includes("horse"), `${c.name}: the password appears nowhere else`);
      assert.ok(!canonicalJson(c.outputs).includes("horse"), `${c.name}: nor in the recorded outputs`);
    }
    for (const r of run.resources.filter((x) => !signers.includes(x))) {
      assert.ok(!canonicalJson(r.inputs).includes("horse"), r.name);
      assert.ok(!r.secretPaths.some((p) => p !== "secretEnvironment"), `${r.name}: nothing else is secret`);
    }
    for (const e of run.executed) assert.ok(!e.create.includes("horse") && !canonicalJson(e.environment).includes("horse"), e.name);
  });
});

describe("signing modes", () => {
  it("keyless (the default) signs with the CI's identity: no key, no password, Fulcio and Rekor as configured", async () => {
    const run = await evaluate({ ...SMALL, signing: { mode: "keyless", fulcioUrl: "https://fulcio.internal", verify: { identityRegexp: "^https://github.com/org/.*$", issuer: "https://token.actions.githubusercontent.com" } } });
    assert.ok(run.ok, run.error?.message);
    const signs = parts(run, "sign");
    assert.equal(signs.length, 4);
    for (const s of signs) {
      assert.equal(s.script, "sign");
      assert.equal(s.environment.TLOG_UPLOAD, "true");
      assert.equal(s.environment.COSIGN_KEY, undefined);
      assert.equal(s.environment.COSIGN_PASSWORD, undefined);
      assert.equal(s.environment.FULCIO_URL, "https://fulcio.internal");
    }
    const verifies = parts(run, "verify");
    assert.equal(verifies.length, 4);
    for (const v of verifies) {
      assert.equal(v.script, "verify");
      assert.equal(v.environment.CERT_OIDC_ISSUER, "https://token.actions.githubusercontent.com");
      assert.equal(v.environment.CERT_IDENTITY_REGEXP, "^https://github.com/org/.*$");
    }
  });

  it("none registers no cosign command at all: each cell has its stamp and one tag step (nothing to wait for before the rolling tags)", async () => {
    const run = await evaluate({ ...SMALL, signing: { mode: "none" } });
    assert.ok(run.ok, run.error?.message);
    const cmds = run.resources.filter((r) => r.type === COMMAND_TYPE);
    assert.equal(cmds.length, 4 * 2);
    const cells = [...byName(run, IMAGE_TYPE).keys()];
    assert.equal(cells.length, 4);
    assert.deepEqual(cmds.map((c) => c.name).sort(), cells.flatMap((n) => [`${n}-built-at`, `${n}-tags`]).sort());
    assert.deepEqual([...new Set(cmds.map(scriptName))].sort(), ["stamp", "tag"]);
    // Every tag in that one step, the timestamped one first: it is the one a tag step refuses to move.
    for (const c of cmds.filter((x) => x.name.endsWith("-tags"))) {
      const e = env(c);
      const tags = e.TAGS.split("\n");
      assert.equal(tags.length, 3, e.TAGS);
      assert.equal(tags[0], e.PINNED_TAG);
      assert.match(tags[0], /:\d+\.\d+-\d{12}-/);
    }
  });

  it("a single-platform image gets manifest annotations only and one SBOM", async () => {
    const run = await evaluate({ ...SMALL, platforms: ["linux/amd64"] });
    assert.ok(run.ok, run.error?.message);
    for (const image of byName(run, IMAGE_TYPE).values()) {
      const raw = (image.inputs.exports as { raw: string }[])[0].raw;
      assert.ok(!raw.includes("annotation-index."), image.name);
      assert.ok(raw.includes("annotation-manifest.org.opencontainers.image.version="), image.name);
    }
    assert.equal(parts(run, "attest-sbom-linux-amd64").length, 4);
    assert.equal(run.resources.filter((r) => r.name.endsWith("-publish")).flatMap((r) => [...partsOf(r).keys()]).filter((n) => n.startsWith("attest-sbom-")).length, 4);
  });
});
