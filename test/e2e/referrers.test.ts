/**
 * Issue 16: cosign 3 keeps an image's signatures and attestations as OCI 1.1 referrers, sigstore bundles
 * whose subject is the image's digest. Where the registry has the referrers API they go through it, so
 * `cosign tree` and `oras discover` find them and no tag is written; on Debian's registry (distribution 2.8,
 * no such API) cosign keeps them in an index tagged `sha256-HEX`, where both tools still find them.
 *
 * The referrers registry is scripts/referrers-registry (go-containerregistry's, in memory, on
 * REFERRERS_REGISTRY, 127.0.0.1:5002 by default); oras is built by the same script. Images are tiny ones
 * pushed over the registry API, signed and attested by the project's own step scripts (scripts/steps/sign.sh,
 * attest-provenance.sh) with a key and no transparency log, as a stack's sign and attest steps run them.
 *
 * Needs: `bash scripts/supply-chain.sh install` (cosign 3), `bash scripts/referrers-registry.sh up` (oras, the
 * registry) and `bash scripts/e2e-env.sh up` (Debian's registry on localhost:5000). Missing, the tier fails:
 * `npm run test:e2e` installs them.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { ROOT } from "../helpers";
import { stepScriptPath } from "../../resources/step-runner";
import { getManifest, listTags, pushTinyImage, referrers, referrersApi, SIGNATURE_PREDICATE, splitRef, tagManifest } from "./registry";
import { secondsSince, sh } from "./support";

const WORK = mkdtempSync(join(tmpdir(), "pgi-referrers-"));
const PASSWORD = `referrers-${process.pid}`;
const REFERRERS_HOST = process.env.REFERRERS_REGISTRY ?? "127.0.0.1:5002";
const DEBIAN_HOST = "localhost:5000";
/** A repository per run: the referrers registry keeps what earlier runs pushed while it is up. */
const RUN = `referrers-${Date.now()}`;
/** The artifact type of cosign 3's bundles (a signature or an attestation). */
const BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const PROVENANCE_PREDICATE = "https://slsa.dev/provenance/v1";
/** The annotation cosign 3 puts on each bundle's manifest, which the referrers API copies into its list. */
const PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType";
const BOTH = [PROVENANCE_PREDICATE, SIGNATURE_PREDICATE].sort();

/** The predicate types cosign looks bundles up by, as the project's refresh checks ask for them. */
const LOOKUP = { signature: SIGNATURE_PREDICATE, provenance: "slsaprovenance1" } as const;

/** A minimal SLSA v1 predicate: what is attested does not matter here, where it is stored does. */
const PREDICATE = JSON.stringify({
  buildDefinition: { buildType: "https://postgres-images.invalid/e2e/referrers", externalParameters: { run: RUN } },
  runDetails: { builder: { id: "https://postgres-images.invalid/e2e" } },
});

/** cosign 3 and oras, by absolute path: a machine's own cosign may be another major. */
let cosignBin = "";
let oras = "";

/** The absolute path of a tool a project script built; fails the tier (with the script's reason) when it is not built. */
function built(script: string, tool: string): string {
  return sh("bash", [join(ROOT, "scripts", script), "bin", tool]).stdout.trim();
}

async function answers(host: string, howToStart: string): Promise<void> {
  const res = await fetch(`http://${host}/v2/`).catch((e: unknown) => {
    throw new Error(`no registry answers on ${host} (${String(e)}): run ${howToStart}`);
  });
  await res.body?.cancel();
  assert.equal(res.status, 200, `GET http://${host}/v2/ (run ${howToStart})`);
}

/** cosign 3 in the work folder, with the key's password in its environment. */
function cosign(args: string[], allowFail = false) {
  return sh(cosignBin, args, { env: { COSIGN_PASSWORD: PASSWORD }, allowFail, cwd: WORK });
}

/** Signs `ref` and attests an SLSA provenance of it with the sign and attest steps' scripts and environment (cosign 3 first on PATH). */
function signAndAttest(ref: string): void {
  const env = { PATH: `${dirname(cosignBin)}:${process.env.PATH ?? ""}`, COSIGN_PASSWORD: PASSWORD, IMAGE_REF: ref, COSIGN_KEY: join(WORK, "cosign.key"), TLOG_UPLOAD: "false", PREDICATE };
  sh("bash", [stepScriptPath("sign")], { env, cwd: WORK });
  sh("bash", [stepScriptPath("attest-provenance")], { env, cwd: WORK });
}

function verify(ref: string) {
  return cosign(["verify", "--key", join(WORK, "cosign.pub"), "--insecure-ignore-tlog=true", ref], true);
}

/** A tiny image in `repository` and its `REPO@sha256:…` reference. */
function tiny(repository: string, text: string): string {
  return `${repository}@${pushTinyImage(repository, text)}`;
}

interface Discovered {
  digest: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** What `oras discover --format json` lists as the referrers of `ref`. */
function orasDiscover(ref: string): Discovered[] {
  const out = sh(oras, ["discover", "--plain-http", "--format", "json", ref]).stdout;
  const tree = JSON.parse(out) as { digest: string; referrers?: Discovered[] };
  assert.equal(tree.digest, splitRef(ref).reference, "oras discover is about the image's digest");
  return tree.referrers ?? [];
}

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

describe("signatures and attestations as OCI referrers", { timeout: 5 * 60 * 1000 }, () => {
  before(async () => {
    cosignBin = built("supply-chain.sh", "cosign");
    oras = built("referrers-registry.sh", "oras");
    await answers(REFERRERS_HOST, "bash scripts/referrers-registry.sh up");
    await answers(DEBIAN_HOST, "bash scripts/e2e-env.sh up (as root)");
    cosign(["generate-key-pair"]);
  });

  describe("on a registry with the referrers API", () => {
    const repository = `${REFERRERS_HOST}/${RUN}/api`;
    let ref = "";
    let unsigned = "";

    before(async () => {
      const t0 = Date.now();
      ref = tiny(repository, `signed ${RUN}`);
      // A tag of its own, so the tag list this checks is not empty for want of tags.
      await tagManifest(ref, "v1");
      unsigned = tiny(repository, `unsigned ${RUN}`);
      signAndAttest(ref);
      console.log(`signed and attested ${ref} in ${secondsSince(t0)} s`);
    });

    it("writes no sha256-HEX tag: the bundles went through the referrers API", async () => {
      assert.deepEqual(await listTags(repository), ["v1"]);
    });

    it("lists a signature and an SLSA provenance of the digest, each a sigstore bundle about it", async () => {
      const api = await referrersApi(ref);
      assert.equal(api.status, 200, `GET /v2/…/referrers/${splitRef(ref).reference}`);
      assert.match(api.contentType, /^application\/vnd\.oci\.image\.index\.v1\+json/);
      assert.deepEqual(api.manifests.map((m) => m.artifactType), [BUNDLE, BUNDLE], "two referrers, both sigstore bundles");
      assert.deepEqual(sorted(api.manifests.map((m) => m.annotations?.[PREDICATE_ANNOTATION] ?? "")), BOTH);
      for (const m of api.manifests) {
        const { manifest } = await getManifest(`${repository}@${m.digest}`);
        assert.equal((manifest as { subject?: { digest: string } }).subject?.digest, splitRef(ref).reference, `the subject of ${m.digest}`);
      }
      assert.deepEqual((await referrersApi(unsigned)).manifests, [], "the unsigned image has no referrers");
    });

    it("oras discover lists both, with their predicate types", async () => {
      const api = await referrersApi(ref);
      const found = orasDiscover(ref);
      assert.deepEqual(sorted(found.map((r) => r.digest)), sorted(api.manifests.map((m) => m.digest)));
      for (const r of found) assert.equal(r.artifactType, BUNDLE, `the artifact type of ${r.digest}`);
      assert.deepEqual(sorted(found.map((r) => r.annotations?.[PREDICATE_ANNOTATION] ?? "")), BOTH);
      assert.deepEqual(orasDiscover(unsigned), []);
    });

    it("cosign tree lists both as OCI referrers", async () => {
      const out = cosign(["tree", ref]).stdout;
      const listed = [...out.matchAll(/ (\S+) artifacts via OCI referrer: (\S+)@(sha256:[0-9a-f]{64})/g)].map((m) => `${m[1]} ${m[2]}@${m[3]}`);
      const expected = (await referrersApi(ref)).manifests.map((m) => `${m.annotations?.[PREDICATE_ANNOTATION] ?? ""} ${repository}@${m.digest}`);
      assert.deepEqual(sorted(listed), sorted(expected), out);
    });

    it("cosign verify passes for the signed digest and fails for an unsigned one in the same registry", () => {
      const ok = verify(ref);
      assert.equal(ok.status, 0, ok.stderr);
      const r = verify(unsigned);
      assert.notEqual(r.status, 0, `verify ${unsigned} must fail`);
      assert.match(r.stderr, /no signatures found/, "for want of a signature, not for another reason");
    });

    it("cosign finds each by its predicate type, as the refresh checks ask, and neither on the unsigned image", () => {
      for (const [made, type] of Object.entries(LOOKUP)) {
        const found = cosign(["download", "attestation", "--predicate-type", type, ref], true);
        assert.equal(found.status, 0, `the ${made} of ${ref}: ${found.stderr}`);
        const missing = cosign(["download", "attestation", "--predicate-type", type, unsigned], true);
        assert.notEqual(missing.status, 0, `the unsigned image has no ${made}`);
        assert.match(missing.stderr, /no attestations with predicate type/, `no ${made} of ${unsigned}, and no other failure`);
      }
    });
  });

  describe("on Debian's registry, without the referrers API", () => {
    const repository = `${DEBIAN_HOST}/${RUN}/fallback`;
    let ref = "";

    before(() => {
      ref = tiny(repository, `signed ${RUN}`);
      signAndAttest(ref);
    });

    it("has no referrers endpoint", async () => {
      assert.equal((await referrersApi(ref)).status, 404);
    });

    it("keeps both bundles in the index tagged sha256-HEX", async () => {
      assert.deepEqual(await listTags(repository), [`sha256-${splitRef(ref).reference.slice("sha256:".length)}`]);
      assert.deepEqual(sorted((await referrers(ref)).map((r) => r.predicateType)), BOTH);
    });

    it("oras discover finds both through that tag", async () => {
      const found = orasDiscover(ref);
      assert.deepEqual(sorted(found.map((r) => r.digest)), sorted((await referrers(ref)).map((r) => r.digest)));
      for (const r of found) assert.equal(r.artifactType, BUNDLE, `the artifact type of ${r.digest}`);
    });
  });
});
