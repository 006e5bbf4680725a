import { isDigest } from "./reference";
import type { KeylessSigning, KeySigning, SigningSettings } from "./signing-settings";

/**
 * cosign invocations as fixed shell text plus an environment. Every value that comes from
 * configuration or from the build (image reference, key, URLs, identities, predicates) travels in
 * an environment variable and is quoted as "$VAR" in the script, so nothing a user writes is ever
 * parsed by the shell. The script only varies by which flags the (validated) settings switch on.
 */
export interface CosignCommand {
  readonly script: string;
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
  fulcioUrl: "FULCIO_URL",
  verifyKey: "VERIFY_KEY",
  identity: "CERT_IDENTITY",
  identityRegexp: "CERT_IDENTITY_REGEXP",
  issuer: "CERT_OIDC_ISSUER",
  predicate: "PREDICATE",
  platform: "PLATFORM",
} as const;

/** Writes an SPDX 2.3 JSON document for one platform of an image (scripts/sbom-from-image.sh IMAGE_REF PLATFORM OUT). */
export const SBOM_SCRIPT = "scripts/sbom-from-image.sh";

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

interface Flags {
  readonly args: string[];
  readonly environment: Record<string, string>;
}

/** Flags shared by `cosign sign` and `cosign attest`: who signs, where the log is. */
function signerFlags(s: ActiveSigning): Flags {
  const args = ["--yes"];
  const environment: Record<string, string> = {};
  if (s.mode === "key") {
    args.push(`--key "$${ENV.key}"`);
    environment[ENV.key] = s.key;
  } else if (s.fulcioUrl !== "") {
    args.push(`--fulcio-url "$${ENV.fulcioUrl}"`);
    environment[ENV.fulcioUrl] = s.fulcioUrl;
  }
  if (s.rekorUrl !== "") {
    args.push(`--rekor-url "$${ENV.rekorUrl}"`);
    environment[ENV.rekorUrl] = s.rekorUrl;
  }
  if (!s.tlogUpload) args.push("--tlog-upload=false");
  return { args, environment };
}

function script(lines: readonly string[]): string {
  return ["set -eu", ...lines].join("\n");
}

/** `cosign sign` of IMAGE_REF. Keyless signing takes the CI's ambient OIDC token, which the command inherits. */
export function signCommand(s: ActiveSigning): CosignCommand {
  const f = signerFlags(s);
  return { script: script([`cosign sign ${f.args.join(" ")} "$${ENV.imageRef}"`]), environment: f.environment };
}

/** `cosign verify` of IMAGE_REF against the configured key or certificate identity; undefined when no verification is configured. */
export function verifyCommand(s: ActiveSigning): CosignCommand | undefined {
  const args: string[] = [];
  const environment: Record<string, string> = {};
  if (s.mode === "key") {
    const v = s.verify;
    if (v === undefined) return undefined;
    args.push(`--key "$${ENV.verifyKey}"`);
    environment[ENV.verifyKey] = v.publicKey;
  } else {
    const v = s.verify;
    if (v === undefined) return undefined;
    if (v.identity !== "") {
      args.push(`--certificate-identity "$${ENV.identity}"`);
      environment[ENV.identity] = v.identity;
    } else {
      args.push(`--certificate-identity-regexp "$${ENV.identityRegexp}"`);
      environment[ENV.identityRegexp] = v.identityRegexp;
    }
    args.push(`--certificate-oidc-issuer "$${ENV.issuer}"`);
    environment[ENV.issuer] = v.issuer;
  }
  if (s.rekorUrl !== "") {
    args.push(`--rekor-url "$${ENV.rekorUrl}"`);
    environment[ENV.rekorUrl] = s.rekorUrl;
  }
  if (!s.tlogUpload) args.push("--insecure-ignore-tlog=true");
  // The verified claims go to stdout as JSON; the exit status is the answer.
  return { script: script([`cosign verify ${args.join(" ")} "$${ENV.imageRef}" >/dev/null`]), environment };
}

/** `cosign attest` of the SLSA v1 predicate in PREDICATE, written to a private temporary file first (never on the command line). */
export function attestProvenanceCommand(s: ActiveSigning): CosignCommand {
  const f = signerFlags(s);
  return {
    script: script([
      'predicate="$(mktemp)"',
      `trap 'rm -f "$predicate"' EXIT`,
      `printf '%s' "$${ENV.predicate}" > "$predicate"`,
      `cosign attest ${f.args.join(" ")} --type slsaprovenance1 --predicate "$predicate" "$${ENV.imageRef}"`,
    ]),
    environment: f.environment,
  };
}

/** An SPDX SBOM of one PLATFORM of IMAGE_REF, generated by scripts/sbom-from-image.sh, attested with `cosign attest --type spdxjson`. */
export function attestSbomCommand(s: ActiveSigning): CosignCommand {
  const f = signerFlags(s);
  return {
    script: script([
      'sbom="$(mktemp)"',
      `trap 'rm -f "$sbom"' EXIT`,
      `${SBOM_SCRIPT} "$${ENV.imageRef}" "$${ENV.platform}" "$sbom"`,
      `cosign attest ${f.args.join(" ")} --type spdxjson --predicate "$sbom" "$${ENV.imageRef}"`,
    ]),
    environment: f.environment,
  };
}
