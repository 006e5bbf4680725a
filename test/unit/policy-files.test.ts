import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { admissionPolicies, PolicyError, type PolicySigner } from "../../lib/policies/policies";
import { policyFiles } from "../../lib/policies/policy-files";

const PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEexample\n-----END PUBLIC KEY-----\n";
const KEY: PolicySigner = { mode: "key", key: "cosign.key", tlogUpload: false, rekorUrl: "", verify: { publicKey: "cosign.pub" } };
const KEYLESS: PolicySigner = { mode: "keyless", tlogUpload: true, rekorUrl: "", fulcioUrl: "", verify: { identity: "ci@example.com", identityRegexp: "", issuer: "https://issuer.example" } };
const REPO = "ghcr.io/acme/postgresql";

describe("policy files beside the catalogs", () => {
  it("one file per policy, named by kind and name; the same policies of several stacks written once", () => {
    const docs = admissionPolicies(REPO, KEYLESS);
    const files = policyFiles([
      { stack: "production-17", policies: docs },
      { stack: "production-18", policies: docs },
      { stack: "catalog-only", policies: undefined },
    ]);
    assert.deepEqual([...files.keys()], ["policy-clusterimagepolicy-postgresql-signed.yaml", "policy-clusterpolicy-postgresql-signed.yaml"]);
    assert.deepEqual(parse(files.get("policy-clusterpolicy-postgresql-signed.yaml")!), docs[1]);
    assert.deepEqual(parse(files.get("policy-clusterimagepolicy-postgresql-signed.yaml")!), docs[0]);
  });

  it("a key signer: Kyverno's file alone", () => {
    assert.deepEqual([...policyFiles([{ stack: "production", policies: admissionPolicies(REPO, KEY, PEM) }]).keys()], ["policy-clusterpolicy-postgresql-signed.yaml"]);
  });

  it("stacks whose policies differ, or an output that is not policies: one line naming them", () => {
    assert.throws(
      () => policyFiles([{ stack: "a", policies: admissionPolicies(REPO, KEY, PEM) }, { stack: "b", policies: admissionPolicies(REPO, KEYLESS) }]),
      (e: unknown) => e instanceof PolicyError && e.message === "ClusterPolicy postgresql-signed differs between stack a and stack b; they sign differently (give each signer its own catalogs folder)",
    );
    assert.throws(() => policyFiles([{ stack: "old", policies: [{ kind: "Pod" }] }]), /^PolicyError: stack old: its policies output is not a list of ClusterPolicy\/ClusterImagePolicy documents/);
  });
});
