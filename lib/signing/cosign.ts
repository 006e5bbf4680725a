import { isDigest } from "../config/reference";
import type { StepScriptName } from "../build/step-script";
import type { KeylessSigning, KeySigning, SigningSettings } from "../config/signing-settings";

/**
 * cosign invocations as a fixed script (scripts/steps/NAME.sh) plus an environment. Every value that comes
 * from configuration or from the build (image reference, key, URLs, identities, predicates) travels in an
 * environment variable and reaches cosign as one quoted argument, so nothing a user writes is ever parsed
 * by the shell; which flags apply follows from which (validated) values are set.
 */
export interface CosignCommand {
  readonly script: StepScriptName;
  /** The static part of the environment; resources add IMAGE_REF (and PREDICATE, PLATFORM, COSIGN_PASSWORD). */
  readonly environment: Readonly<Record<string, string>>;
}

export type ActiveSigning = KeySigning | KeylessSigning;

/** Environment variable names the scripts read; resources fill in the ones known only at run time. */
export const ENV = {
  imageRef: "IMAGE_REF",
  key: "COSIGN_KEY",
  /** cosign's own variable for the key's password: it reads it itself, the script never names it. */
  password: "COSIGN_PASSWORD",
  rekorUrl: "REKOR_URL",
  /** "true" or "false": whether the signature goes to a transparency log. */
  tlogUpload: "TLOG_UPLOAD",
  /** "true" when verification must not look for a log entry (nothing was uploaded). */
  ignoreTlog: "IGNORE_TLOG",
  fulcioUrl: "FULCIO_URL",
  verifyKey: "VERIFY_KEY",
  identity: "CERT_IDENTITY",
  identityRegexp: "CERT_IDENTITY_REGEXP",
  issuer: "CERT_OIDC_ISSUER",
  predicate: "PREDICATE",
  platform: "PLATFORM",
  /** Promotion: the testing image by digest, `TESTING_REPO@sha256:…`. */
  sourceRef: "SOURCE_REF",
  /** Promotion: the digest every production tag must resolve to. */
  digest: "DIGEST",
  /** Promotion: the production tags, one per line. */
  tags: "TAGS",
  /** Promotion: the production timestamped tag among TAGS, which never moves. */
  pinned: "PINNED_TAG",
} as const;

export function isSigning(signing: SigningSettings): signing is ActiveSigning {
  return signing.mode !== "none";
}

/**
 * `REPO@sha256:…`, the only form cosign is given: a tag could move between the push and the
 * signature. Throws when the digest is not one (the image was not pushed).
 */
export function signingRef(repository: string, digest: string): string {
  if (!isDigest(digest)) throw new Error(`cannot sign ${repository}: the build reported no pushed digest (got ${JSON.stringify(digest)})`);
  return `${repository}@${digest}`;
}

/**
 * Who signs, as the scripts' environment (scripts/steps/lib/cosign.sh signer_flags): COSIGN_KEY for a key,
 * FULCIO_URL for a private Fulcio, REKOR_URL for a private Rekor the signature is uploaded to, TLOG_UPLOAD.
 * `identity` is the same without TLOG_UPLOAD, the shape the steps' trigger has always had (resources/signature.ts).
 */
function signerEnvironment(s: ActiveSigning): { identity: Record<string, string>; environment: Record<string, string> } {
  const identity: Record<string, string> = {};
  if (s.mode === "key") identity[ENV.key] = s.key;
  if (s.mode === "keyless" && s.fulcioUrl !== "") identity[ENV.fulcioUrl] = s.fulcioUrl;
  if (s.tlogUpload && s.rekorUrl !== "") identity[ENV.rekorUrl] = s.rekorUrl;
  return { identity, environment: { ...identity, [ENV.tlogUpload]: String(s.tlogUpload) } };
}

/** What identifies a signer for the re-run rule: a new key, Fulcio, Rekor or tlog setting signs again; the password and the scripts do not. */
export function signerIdentity(s: ActiveSigning): Record<string, string | boolean> {
  return { mode: s.mode, ...signerEnvironment(s).identity, tlogUpload: s.tlogUpload };
}

/**
 * `cosign sign --recursive` of IMAGE_REF (scripts/steps/sign.sh): the index and every manifest in it, so a
 * node that pulls its platform's manifest by digest, and a registry or admission policy that checks that
 * digest, finds it signed. Keyless signing takes the CI's ambient OIDC token, which the command inherits.
 */
export function signCommand(s: ActiveSigning): CosignCommand {
  return { script: "sign", environment: signerEnvironment(s).environment };
}

/** What a step leaves on a digest, by the predicate type cosign 3 stores it under (a signature is a statement too). */
export type Made = "signature" | "provenance" | "sbom";

/**
 * The refresh check (resources/step.ts `check`) of the steps that leave `made` on IMAGE_REF
 * (scripts/steps/lib/presence.sh): signatures on the index and every platform manifest, the provenance on the
 * index, each SBOM on PLATFORM's manifest. One line for each digest that lacks it, so the step runs again;
 * nothing when the image itself is gone (the stamp's check rebuilds it); a registry that cannot answer fails
 * the check, never "missing".
 */
export const PRESENCE_CHECKS: Readonly<Record<Made, StepScriptName>> = {
  signature: "check-signatures",
  provenance: "check-provenance",
  sbom: "check-sbom",
};

/** Where `signBlobCommand` reads the file it signs and writes the bundle. */
export const BLOB_ENV = { file: "BLOB_FILE", bundle: "BLOB_BUNDLE" } as const;

/** `cosign sign-blob --bundle` of BLOB_FILE into BLOB_BUNDLE, with the stack's signer (catalog files; scripts/steps/sign-blob.sh). */
export function signBlobCommand(s: ActiveSigning): CosignCommand {
  return { script: "sign-blob", environment: signerEnvironment(s).environment };
}

/**
 * A signer's verification policy as the scripts' environment (scripts/steps/lib/cosign.sh verify_flags), each
 * value under PREFIX+NAME, so one script can verify for two signers (the testing one beside this one).
 * `policy` is the same without IGNORE_TLOG, the shape the verify step's trigger has always had; undefined
 * when the signer has no verification policy.
 */
export function verifyEnvironment(s: ActiveSigning, prefix = ""): { policy: Record<string, string>; environment: Record<string, string> } | undefined {
  if (s.verify === undefined) return undefined;
  const policy: Record<string, string> = {};
  if (s.mode === "key") {
    policy[`${prefix}${ENV.verifyKey}`] = s.verify.publicKey;
  } else {
    if (s.verify.identity !== "") policy[`${prefix}${ENV.identity}`] = s.verify.identity;
    else policy[`${prefix}${ENV.identityRegexp}`] = s.verify.identityRegexp;
    policy[`${prefix}${ENV.issuer}`] = s.verify.issuer;
  }
  if (s.rekorUrl !== "") policy[`${prefix}${ENV.rekorUrl}`] = s.rekorUrl;
  // Nothing was uploaded to a log, so there is no log entry to look for.
  return { policy, environment: { ...policy, ...(s.tlogUpload ? {} : { [`${prefix}${ENV.ignoreTlog}`]: "true" }) } };
}

/**
 * `cosign verify` of IMAGE_REF and of every platform manifest in it against the configured key or
 * certificate identity (scripts/steps/verify.sh); undefined when no verification is configured.
 */
export function verifyCommand(s: ActiveSigning): (CosignCommand & { readonly policy: Record<string, string> }) | undefined {
  const v = verifyEnvironment(s);
  return v === undefined ? undefined : { script: "verify", environment: v.environment, policy: v.policy };
}

/** `cosign attest` of the SLSA v1 predicate in PREDICATE (scripts/steps/attest-provenance.sh: through a private temporary file, never the command line). */
export function attestProvenanceCommand(s: ActiveSigning): CosignCommand {
  return { script: "attest-provenance", environment: signerEnvironment(s).environment };
}

/**
 * An SPDX SBOM of one PLATFORM of IMAGE_REF, made by scripts/sbom-from-image.sh (syft) and attested with
 * `cosign attest --type spdxjson` on that platform's manifest (scripts/steps/attest-sbom.sh): the SBOM is
 * about the digest a node runs.
 */
export function attestSbomCommand(s: ActiveSigning): CosignCommand {
  return { script: "attest-sbom", environment: signerEnvironment(s).environment };
}

/**
 * Promotion of one cell (scripts/steps/promote.sh). First the checks, each failing with one line and nothing
 * copied: SOURCE_REF is in the registry, `cosign verify` passes for it against `testingSigner` (the testing
 * stack's own signer, its policy in the environment), and PINNED_TAG (the production timestamped tag) does
 * not already name other content. Then the testing index SOURCE_REF, by digest, under every production tag in
 * TAGS (one per line); then a check that every tag resolves to exactly DIGEST, which it prints. Needs cosign
 * and docker buildx (imagetools) on PATH, logged in to the registry.
 *
 * The image goes with `docker buildx imagetools create --prefer-index=false`, one tag after the other (a
 * carbon copy: an index is pushed unchanged, and a single-platform image stays one manifest instead of
 * being wrapped in a new index with another digest). Its testing signatures and attestations stay in
 * testing: production signs, and attests the SBOMs and the verified provenance, with its own identity
 * (resources/signature.ts), as upstream does. (`cosign copy`, deprecated in cosign 3, copies none of
 * cosign 3's signatures and pushes images under the tags cosign 3 keeps referrers in.) Each push is tried
 * three times: a registry hiccup must not fail a promotion that the digest check proves right or wrong anyway.
 */
export function promoteCommand(testingSigner: ActiveSigning): CosignCommand {
  const v = verifyEnvironment(testingSigner);
  if (v === undefined) throw new Error("promoteCommand: the testing signer has no verification policy");
  return { script: "promote", environment: v.environment };
}

/**
 * Promotion re-attests the build's provenance with the production identity (scripts/steps/reattest-provenance.sh):
 * the SLSA v1 predicate is read from the testing image SOURCE_REF with `cosign verify-attestation` against
 * `testingSigner` (so only a provenance the testing stack signed is carried over), its statement must be
 * about IMAGE_REF's digest (the same digest: the copy is byte for byte), and `cosign attest` signs it again.
 * The build happened once, in testing: the predicate still describes that build; only the signer changes.
 */
export function reattestProvenanceCommand(s: ActiveSigning, testingSigner: ActiveSigning): CosignCommand {
  // The testing signer's values under their own names: the production signer's may differ.
  const v = verifyEnvironment(testingSigner, "TESTING_");
  if (v === undefined) throw new Error("reattestProvenanceCommand: the testing signer has no verification policy");
  return { script: "reattest-provenance", environment: { ...signerEnvironment(s).environment, ...v.environment } };
}
