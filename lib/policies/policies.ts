/**
 * Admission policies for a cluster that runs this stack's images: a Sigstore policy-controller
 * ClusterImagePolicy and a Kyverno ClusterPolicy, each admitting an image of the stack's repository
 * only when it is signed by the stack's signer and carries its SLSA provenance attestation.
 *
 * Field names follow, and test/fixtures transcribe:
 * - policy-controller v0.15.1 (sigstore/policy-controller cc75baab1d34d3bae47bde7bd934bf79e5ca3afc):
 *   config/300-clusterimagepolicy.yaml (v1beta1), the webhook's checks in
 *   pkg/apis/policy/v1beta1/clusterimagepolicy_validation.go, how an authority is verified in
 *   pkg/webhook/validator.go (checkOptsFromAuthority), globs in pkg/apis/glob/glob.go;
 * - Kyverno v1.19.0 (kyverno/kyverno ee97ce09538b09b6f1b03853cc41a62654d6a58f):
 *   config/crds/kyverno/kyverno.io_clusterpolicies.yaml (v1), the checks in
 *   api/kyverno/v1/image_verification_types.go, Sigstore bundles in pkg/image/verifiers/cpol/cosign/sigstore.go.
 *
 * cosign 3 writes Sigstore bundles as OCI referrers (or the `sha256-<hex>` referrers tag), so both
 * policies read bundles: policy-controller `signatureFormat: bundle`, Kyverno `type: SigstoreBundle`.
 */
import type { KeySigning, KeylessSigning } from "../config/signing-settings";
import { UserError } from "../errors";

/** A signer that signs: the `signing` settings of mode key or keyless. */
export type PolicySigner = KeySigning | KeylessSigning;

/** The predicate type of `cosign attest --type slsaprovenance1`. */
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const PUBLIC_FULCIO = "https://fulcio.sigstore.dev";
export const PUBLIC_REKOR = "https://rekor.sigstore.dev";

/** A KMS URI as the signing settings accept it (a public key that is not a file). */
const KMS_URI = /^(awskms|gcpkms|azurekms|hashivault|k8s):\/\//;
/** `k8s://NAMESPACE/SECRET`: a Kubernetes secret holding `cosign.pub`. */
const K8S_SECRET = /^k8s:\/\/([^/]+)\/([^/]+)$/;

/** A stack whose signer cannot be written as a policy (no verify settings, an unreadable key). */
export class PolicyError extends UserError {}

// ---- policy-controller (policy.sigstore.dev/v1beta1) ----

export interface CipIdentity {
  readonly issuer: string;
  readonly subject?: string;
  readonly subjectRegExp?: string;
}

export interface CipAuthority {
  readonly name: string;
  readonly signatureFormat: "bundle";
  readonly keyless?: { readonly url: string; readonly identities: readonly CipIdentity[] };
  readonly key?: { readonly data?: string; readonly kms?: string; readonly secretRef?: { readonly name: string; readonly namespace: string } };
  readonly ctlog?: { readonly url: string };
  readonly attestations: readonly { readonly name: string; readonly predicateType: string }[];
}

export interface ClusterImagePolicy {
  readonly apiVersion: "policy.sigstore.dev/v1beta1";
  readonly kind: "ClusterImagePolicy";
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly mode: "enforce";
    readonly images: readonly { readonly glob: string }[];
    readonly authorities: readonly CipAuthority[];
  };
}

// ---- Kyverno (kyverno.io/v1) ----

export interface KyvernoRekor {
  readonly url: string;
  readonly ignoreTlog?: true;
}

export type KyvernoAttestor =
  | { readonly keyless: { readonly issuer: string; readonly subject?: string; readonly subjectRegExp?: string; readonly rekor: KyvernoRekor } }
  | {
      readonly keys: {
        readonly publicKeys?: string;
        readonly kms?: string;
        readonly secret?: { readonly name: string; readonly namespace: string };
        readonly rekor: KyvernoRekor;
        readonly ctlog: { readonly ignoreSCT: true };
      };
    };

export interface KyvernoAttestorSet {
  readonly entries: readonly KyvernoAttestor[];
}

export interface KyvernoVerifyImages {
  readonly type: "SigstoreBundle";
  readonly failureAction: "Enforce";
  readonly imageReferences: readonly string[];
  readonly attestors: readonly KyvernoAttestorSet[];
  readonly attestations: readonly { readonly type: string; readonly attestors: readonly KyvernoAttestorSet[] }[];
  readonly mutateDigest: true;
  readonly verifyDigest: true;
  readonly required: true;
}

export interface KyvernoClusterPolicy {
  readonly apiVersion: "kyverno.io/v1";
  readonly kind: "ClusterPolicy";
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly background: false;
    readonly webhookTimeoutSeconds: number;
    readonly rules: readonly {
      readonly name: string;
      readonly match: { readonly any: readonly { readonly resources: { readonly kinds: readonly string[] } }[] };
      readonly verifyImages: readonly KyvernoVerifyImages[];
    }[];
  };
}

/** The repository as go-containerregistry names it (policy-controller matches its globs against that): Docker Hub is `index.docker.io`. */
function ggcrRepository(repository: string): string {
  return repository.replace(/^(docker\.io|index\.docker\.io)\//, "index.docker.io/");
}

/** The repository as Kyverno names an image (Docker Hub is `docker.io`). */
function kyvernoRepository(repository: string): string {
  return repository.replace(/^index\.docker\.io\//, "docker.io/");
}

/** The policies' name: the repository's last path segment (`postgresql-testing`), as a DNS label. */
function policyName(repository: string): string {
  const last = repository.slice(repository.lastIndexOf("/") + 1);
  return `${last}-signed`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63).replace(/-+$/, "");
}

/** The key a key signer's policies name: its PEM text (from the file `verify.publicKey`), or its KMS URI. */
type PolicyKey = { readonly pem: string } | { readonly kms: string };

function policyKey(signer: KeySigning, publicKeyPem: string | undefined): PolicyKey {
  const publicKey = signer.verify?.publicKey;
  if (publicKey === undefined) throw new PolicyError("postgres-images:signing.verify is not set; a policy names the public key, so set verify: {publicKey: …}");
  if (KMS_URI.test(publicKey)) return { kms: publicKey };
  if (publicKeyPem === undefined || !publicKeyPem.includes("-----BEGIN PUBLIC KEY-----")) {
    throw new PolicyError(`postgres-images:signing.verify.publicKey ${JSON.stringify(publicKey)}: a policy needs the key's PEM text (-----BEGIN PUBLIC KEY-----)`);
  }
  return { pem: publicKeyPem.trim() + "\n" };
}

function keylessIdentity(signer: KeylessSigning): { issuer: string; subject?: string; subjectRegExp?: string } {
  const v = signer.verify;
  if (v === undefined) throw new PolicyError("postgres-images:signing.verify is not set; a policy names the signer, so set verify: {identity|identityRegexp: …, issuer: …}");
  return v.identity !== "" ? { issuer: v.issuer, subject: v.identity } : { issuer: v.issuer, subjectRegExp: v.identityRegexp };
}

function cipAuthority(signer: PolicySigner, publicKeyPem: string | undefined): CipAuthority {
  const attestations = [{ name: "provenance", predicateType: SLSA_PROVENANCE_V1 }];
  // Without `ctlog` a key authority skips the transparency log (validator.go: no Rekor client, no keys →
  // IgnoreTlog). A keyless bundle authority always checks it: no field turns that off (only an RFC 3161
  // timestamp authority from a TrustRoot does).
  const ctlog = signer.tlogUpload ? { ctlog: { url: signer.rekorUrl || PUBLIC_REKOR } } : {};
  if (signer.mode === "keyless") {
    return { name: "signer", signatureFormat: "bundle", keyless: { url: signer.fulcioUrl || PUBLIC_FULCIO, identities: [keylessIdentity(signer)] }, ...ctlog, attestations };
  }
  const key = policyKey(signer, publicKeyPem);
  let ref: NonNullable<CipAuthority["key"]>;
  if ("pem" in key) ref = { data: key.pem };
  else {
    const secret = K8S_SECRET.exec(key.kms);
    ref = secret ? { secretRef: { namespace: secret[1], name: secret[2] } } : { kms: key.kms };
  }
  return { name: "signer", signatureFormat: "bundle", key: ref, ...ctlog, attestations };
}

function kyvernoAttestor(signer: PolicySigner, publicKeyPem: string | undefined): KyvernoAttestor {
  const rekor: KyvernoRekor = { url: signer.rekorUrl || PUBLIC_REKOR, ...(signer.tlogUpload ? {} : { ignoreTlog: true as const }) };
  if (signer.mode === "keyless") return { keyless: { ...keylessIdentity(signer), rekor } };
  const key = policyKey(signer, publicKeyPem);
  let ref: { publicKeys: string } | { kms: string } | { secret: { name: string; namespace: string } };
  if ("pem" in key) ref = { publicKeys: key.pem };
  else {
    const secret = K8S_SECRET.exec(key.kms);
    ref = secret ? { secret: { namespace: secret[1], name: secret[2] } } : { kms: key.kms };
  }
  // A key has no certificate, so no SCT: with ignoreSCT (and ignoreTlog) Kyverno trusts the key alone.
  return { keys: { ...ref, rekor, ctlog: { ignoreSCT: true } } };
}

/**
 * The two policies for one repository (`REGISTRY/postgresql-testing`) and its signer: an image of that
 * repository, by tag or by digest, is admitted only signed by the signer (keyless: its issuer and identity or
 * identity regexp; key: its public key, PEM text or KMS URI) and with an SLSA provenance v1 attestation
 * signed the same way; images of other repositories are left to other policies. `publicKeyPem`: the PEM
 * text of a key signer's `verify.publicKey` file (the caller reads it); ignored for a KMS URI.
 */
export function clusterPolicies(repository: string, signer: PolicySigner, publicKeyPem?: string): [ClusterImagePolicy, KyvernoClusterPolicy] {
  const name = policyName(repository);
  // policy-controller: `*` is any run of characters but `/`, matched against the whole reference, so
  // `REPO@*` is any digest and `REPO:*` any tag (or tag@digest) of exactly this repository.
  const pcRepo = ggcrRepository(repository);
  const cip: ClusterImagePolicy = {
    apiVersion: "policy.sigstore.dev/v1beta1",
    kind: "ClusterImagePolicy",
    metadata: { name },
    spec: { mode: "enforce", images: [{ glob: `${pcRepo}@*` }, { glob: `${pcRepo}:*` }], authorities: [cipAuthority(signer, publicKeyPem)] },
  };
  // Kyverno: `*` matches anything, `/` too, so `REPO*` would take `REPO-other`; a tag or a digest follows REPO.
  const kyRepo = kyvernoRepository(repository);
  const attestors = [{ entries: [kyvernoAttestor(signer, publicKeyPem)] }];
  const kyverno: KyvernoClusterPolicy = {
    apiVersion: "kyverno.io/v1",
    kind: "ClusterPolicy",
    metadata: { name },
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
              imageReferences: [`${kyRepo}:*`, `${kyRepo}@*`],
              attestors,
              attestations: [{ type: SLSA_PROVENANCE_V1, attestors }],
              mutateDigest: true,
              verifyDigest: true,
              required: true,
            },
          ],
        },
      ],
    },
  };
  return [cip, kyverno];
}

/**
 * The policies that can admit this signer's images today, of the two clusterPolicies writes:
 * - keyless with the transparency log: both;
 * - a key: Kyverno's only. policy-controller (v0.15.1) verifies cosign 3 bundles only for keyless
 *   authorities ("when using the new bundle format, the authority must be keyless"), so its policy would
 *   deny every pod of the repository;
 * - keyless without the transparency log: none. Neither controller can verify a keyless bundle without a
 *   log entry or a signed timestamp, so either policy would deny every pod.
 */
export function admissionPolicies(repository: string, signer: PolicySigner, publicKeyPem?: string): (ClusterImagePolicy | KyvernoClusterPolicy)[] {
  if (signer.mode === "keyless" && !signer.tlogUpload) return [];
  const [policyController, kyverno] = clusterPolicies(repository, signer, publicKeyPem);
  return signer.mode === "key" ? [kyverno] : [policyController, kyverno];
}
