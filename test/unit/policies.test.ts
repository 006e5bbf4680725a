import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { admissionPolicies, clusterPolicies, PolicyError, type PolicySigner } from "../../lib/policies/policies";
import { clusterImagePolicyProblems, kyvernoClusterPolicyProblems } from "../policy-schema";

const REPO = "ghcr.io/cloudnative-pg/postgresql-testing";
const ISSUER = "https://token.actions.githubusercontent.com";
const IDENTITY = "https://github.com/cloudnative-pg/postgres-images/.github/workflows/build.yml@refs/heads/main";
const IDENTITY_REGEXP = "^https://github\\.com/cloudnative-pg/postgres-images/\\.github/workflows/build\\.yml@refs/heads/main$";
const PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEexample\n-----END PUBLIC KEY-----\n";

const keyless = (verify: { identity?: string; identityRegexp?: string }, extra: Partial<{ tlogUpload: boolean; rekorUrl: string; fulcioUrl: string }> = {}): PolicySigner => ({
  mode: "keyless",
  tlogUpload: true,
  rekorUrl: "",
  fulcioUrl: "",
  ...extra,
  verify: { identity: verify.identity ?? "", identityRegexp: verify.identityRegexp ?? "", issuer: ISSUER },
});
const key = (publicKey: string, tlogUpload = true): PolicySigner => ({ mode: "key", key: "cosign.key", tlogUpload, rekorUrl: "", verify: { publicKey } });

const IMAGES = [{ glob: `${REPO}@*` }, { glob: `${REPO}:*` }];
const ATTESTATIONS = [{ name: "provenance", predicateType: "https://slsa.dev/provenance/v1" }];

/** The Kyverno policy around one attestor entry. */
function kyverno(entry: unknown): unknown {
  const attestors = [{ entries: [entry] }];
  return {
    apiVersion: "kyverno.io/v1",
    kind: "ClusterPolicy",
    metadata: { name: "postgresql-testing-signed" },
    spec: {
      background: false,
      webhookTimeoutSeconds: 30,
      rules: [
        {
          name: "signed-with-provenance",
          match: { any: [{ resources: { kinds: ["Pod"] } }] },
          verifyImages: [
            {
              type: "SigstoreBundle",
              failureAction: "Enforce",
              imageReferences: [`${REPO}:*`, `${REPO}@*`],
              attestors,
              attestations: [{ type: "https://slsa.dev/provenance/v1", attestors }],
              mutateDigest: true,
              verifyDigest: true,
              required: true,
            },
          ],
        },
      ],
    },
  };
}

function cip(authority: unknown, images: unknown = IMAGES): unknown {
  return { apiVersion: "policy.sigstore.dev/v1beta1", kind: "ClusterImagePolicy", metadata: { name: "postgresql-testing-signed" }, spec: { mode: "enforce", images, authorities: [authority] } };
}

function assertValid(policies: readonly unknown[]): void {
  assert.deepEqual(clusterImagePolicyProblems(policies[0]), []);
  assert.deepEqual(kyvernoClusterPolicyProblems(policies[1]), []);
}

describe("cluster policies", () => {
  it("keyless with an exact identity: Fulcio and Rekor, subject and issuer, the provenance attestation", () => {
    const policies = clusterPolicies(REPO, keyless({ identity: IDENTITY }));
    assert.deepEqual(policies[0], cip({
      name: "signer",
      signatureFormat: "bundle",
      keyless: { url: "https://fulcio.sigstore.dev", identities: [{ issuer: ISSUER, subject: IDENTITY }] },
      ctlog: { url: "https://rekor.sigstore.dev" },
      attestations: ATTESTATIONS,
    }));
    assert.deepEqual(policies[1], kyverno({ keyless: { issuer: ISSUER, subject: IDENTITY, rekor: { url: "https://rekor.sigstore.dev" } } }));
    assertValid(policies);
  });

  it("keyless with an identity regexp, private Fulcio and Rekor", () => {
    const policies = clusterPolicies(REPO, keyless({ identityRegexp: IDENTITY_REGEXP }, { fulcioUrl: "https://fulcio.internal", rekorUrl: "https://rekor.internal" }));
    assert.deepEqual(policies[0], cip({
      name: "signer",
      signatureFormat: "bundle",
      keyless: { url: "https://fulcio.internal", identities: [{ issuer: ISSUER, subjectRegExp: IDENTITY_REGEXP }] },
      ctlog: { url: "https://rekor.internal" },
      attestations: ATTESTATIONS,
    }));
    assert.deepEqual(policies[1], kyverno({ keyless: { issuer: ISSUER, subjectRegExp: IDENTITY_REGEXP, rekor: { url: "https://rekor.internal" } } }));
    assertValid(policies);
  });

  it("a key file: the PEM text inline", () => {
    const policies = clusterPolicies(REPO, key("cosign.pub"), PEM);
    assert.deepEqual(policies[0], cip({ name: "signer", signatureFormat: "bundle", key: { data: PEM }, ctlog: { url: "https://rekor.sigstore.dev" }, attestations: ATTESTATIONS }));
    assert.deepEqual(policies[1], kyverno({ keys: { publicKeys: PEM, rekor: { url: "https://rekor.sigstore.dev" }, ctlog: { ignoreSCT: true } } }));
    assertValid(policies);
  });

  it("a KMS key: the policies name the KMS reference; a k8s:// key is a secret reference", () => {
    const policies = clusterPolicies(REPO, key("awskms://alias/cosign"));
    assert.deepEqual(policies[0], cip({ name: "signer", signatureFormat: "bundle", key: { kms: "awskms://alias/cosign" }, ctlog: { url: "https://rekor.sigstore.dev" }, attestations: ATTESTATIONS }));
    assert.deepEqual(policies[1], kyverno({ keys: { kms: "awskms://alias/cosign", rekor: { url: "https://rekor.sigstore.dev" }, ctlog: { ignoreSCT: true } } }));
    assertValid(policies);

    const k8s = clusterPolicies(REPO, key("k8s://cosign-system/cosign-pub"));
    assert.deepEqual(k8s[0], cip({ name: "signer", signatureFormat: "bundle", key: { secretRef: { namespace: "cosign-system", name: "cosign-pub" } }, ctlog: { url: "https://rekor.sigstore.dev" }, attestations: ATTESTATIONS }));
    assert.deepEqual(k8s[1], kyverno({ keys: { secret: { namespace: "cosign-system", name: "cosign-pub" }, rekor: { url: "https://rekor.sigstore.dev" }, ctlog: { ignoreSCT: true } } }));
    assertValid(k8s);
  });

  it("tlogUpload false: no ctlog for policy-controller, ignoreTlog for Kyverno", () => {
    const policies = clusterPolicies("localhost:5000/postgresql-testing", key("cosign.pub", false), PEM);
    const images = [{ glob: "localhost:5000/postgresql-testing@*" }, { glob: "localhost:5000/postgresql-testing:*" }];
    assert.deepEqual(policies[0], cip({ name: "signer", signatureFormat: "bundle", key: { data: PEM }, attestations: ATTESTATIONS }, images));
    const entry = { keys: { publicKeys: PEM, rekor: { url: "https://rekor.sigstore.dev", ignoreTlog: true }, ctlog: { ignoreSCT: true } } };
    const ky = kyverno(entry) as { spec: { rules: { verifyImages: { imageReferences: string[] }[] }[] } };
    ky.spec.rules[0].verifyImages[0].imageReferences = ["localhost:5000/postgresql-testing:*", "localhost:5000/postgresql-testing@*"];
    assert.deepEqual(policies[1], ky);
    assertValid(policies);

    const kl = clusterPolicies(REPO, keyless({ identity: IDENTITY }, { tlogUpload: false }));
    assert.deepEqual(kl[0], cip({ name: "signer", signatureFormat: "bundle", keyless: { url: "https://fulcio.sigstore.dev", identities: [{ issuer: ISSUER, subject: IDENTITY }] }, attestations: ATTESTATIONS }));
    assert.deepEqual(kl[1], kyverno({ keyless: { issuer: ISSUER, subject: IDENTITY, rekor: { url: "https://rekor.sigstore.dev", ignoreTlog: true } } }));
    assertValid(kl);
  });

  it("Docker Hub: policy-controller matches index.docker.io, Kyverno docker.io", () => {
    const [pc, ky] = clusterPolicies("docker.io/acme/postgresql", keyless({ identity: IDENTITY }));
    assert.deepEqual(pc.spec.images, [{ glob: "index.docker.io/acme/postgresql@*" }, { glob: "index.docker.io/acme/postgresql:*" }]);
    assert.deepEqual(ky.spec.rules[0].verifyImages[0].imageReferences, ["docker.io/acme/postgresql:*", "docker.io/acme/postgresql@*"]);
    assert.equal(pc.metadata.name, "postgresql-signed");
  });

  it("a signer the policies cannot name is a PolicyError", () => {
    assert.throws(() => clusterPolicies(REPO, key("cosign.pub")), PolicyError);
    assert.throws(() => clusterPolicies(REPO, key("cosign.pub"), "not a key"), PolicyError);
    assert.throws(() => clusterPolicies(REPO, { mode: "keyless", tlogUpload: true, rekorUrl: "", fulcioUrl: "" }), /verify is not set/);
  });

  it("the schemas refuse what the CRDs or their webhooks refuse", () => {
    const [pc, ky] = clusterPolicies(REPO, keyless({ identity: IDENTITY }));
    const both = { ...pc, spec: { ...pc.spec, authorities: [{ ...pc.spec.authorities[0], key: { data: PEM } }] } };
    assert.notDeepEqual(clusterImagePolicyProblems(both), []);
    assert.notDeepEqual(clusterImagePolicyProblems({ ...pc, spec: { ...pc.spec, mode: "audit" } }), []);
    assert.notDeepEqual(clusterImagePolicyProblems({ ...pc, spec: { ...pc.spec, extra: true } }), []);
    const rule = ky.spec.rules[0];
    const audit = { ...ky, spec: { ...ky.spec, rules: [{ ...rule, verifyImages: [{ ...rule.verifyImages[0], failureAction: "Audit" }] }] } };
    assert.notDeepEqual(kyvernoClusterPolicyProblems(audit), []);
    const badType = { ...ky, spec: { ...ky.spec, rules: [{ ...rule, verifyImages: [{ ...rule.verifyImages[0], type: "Cosign3" }] }] } };
    assert.notDeepEqual(kyvernoClusterPolicyProblems(badType), []);
  });
});

describe("admission policies: only those that can admit the signer's images", () => {
  it("keyless with the log: policy-controller's and Kyverno's; a key: Kyverno's alone; keyless without the log: none", () => {
    assert.deepEqual(admissionPolicies(REPO, keyless({ identity: IDENTITY })).map((p) => p.kind), ["ClusterImagePolicy", "ClusterPolicy"]);
    assert.deepEqual(admissionPolicies(REPO, key("cosign.pub"), PEM).map((p) => p.kind), ["ClusterPolicy"]);
    assert.deepEqual(admissionPolicies(REPO, key("cosign.pub", false), PEM).map((p) => p.kind), ["ClusterPolicy"]);
    assert.deepEqual(admissionPolicies(REPO, keyless({ identity: IDENTITY }, { tlogUpload: false })), []);
    assert.deepEqual(admissionPolicies(REPO, key("cosign.pub"), PEM)[0], clusterPolicies(REPO, key("cosign.pub"), PEM)[1]);
  });
});
