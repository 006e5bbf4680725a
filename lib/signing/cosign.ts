import { isDigest } from "../config/reference";
import { MANIFESTS_FUNCTION, RESOLVE_FUNCTION } from "../build/registry-shell";
import type { KeylessSigning, KeySigning, SigningSettings } from "../config/signing-settings";

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
  /** The SBOM script's absolute path: steps run in the engine's working folder, not necessarily the project. */
  sbomScript: "SBOM_SCRIPT",
  /** Promotion: the testing image by digest, `TESTING_REPO@sha256:…`. */
  sourceRef: "SOURCE_REF",
  /** Promotion: the digest every production tag must resolve to. */
  digest: "DIGEST",
  /** Promotion: the production tags, one per line. */
  tags: "TAGS",
  /** Promotion: the production timestamped tag among TAGS, which never moves. */
  pinned: "PINNED_TAG",
} as const;

/** Writes an SPDX 2.3 JSON document for one platform of an image (scripts/sbom-from-image.sh IMAGE_REF PLATFORM OUT), relative to the project. */
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
  /** Lines the script runs before cosign (files the flags name), inside its private temporary folder `$tmp`. */
  readonly setup: string[];
}

/**
 * A signing configuration without a transparency log, and an empty trusted root, made by cosign itself in
 * the script's temporary folder: cosign 3 signs with a key and uploads nothing only given such a file
 * (`--tlog-upload=false` alone is refused), and the empty root keeps it from asking Sigstore's TUF
 * repository for one.
 */
const NO_TLOG_SETUP = [
  'cosign signing-config create --out "$tmp/signing-config.json" >/dev/null',
  'cosign trusted-root create --out "$tmp/trusted-root.json" >/dev/null',
];

/**
 * Flags shared by `cosign sign`, `attest` and `sign-blob`: who signs, where the log is (cosign 3).
 * - A key without a transparency log: a signing configuration without one (NO_TLOG_SETUP).
 * - The public Sigstore instance (keyless or a key, with the log): cosign's own signing configuration.
 * - A private Fulcio or Rekor, or keyless without the log: their URLs as flags, which cosign 3 accepts
 *   only without a signing configuration (`--use-signing-config=false`; deprecated, still supported in 3.x).
 */
function signerFlags(s: ActiveSigning): Flags {
  const args = ["--yes"];
  const environment: Record<string, string> = {};
  const setup: string[] = [];
  if (s.mode === "key") {
    args.push(`--key "$${ENV.key}"`);
    environment[ENV.key] = s.key;
  }
  const fulcioUrl = s.mode === "keyless" ? s.fulcioUrl : "";
  const rekorUrl = s.tlogUpload ? s.rekorUrl : "";
  if (s.mode === "key" && !s.tlogUpload) {
    setup.push(...NO_TLOG_SETUP);
    args.push('--signing-config "$tmp/signing-config.json"', '--trusted-root "$tmp/trusted-root.json"');
  } else if (fulcioUrl !== "" || rekorUrl !== "" || !s.tlogUpload) {
    args.push("--use-signing-config=false");
    if (fulcioUrl !== "") {
      args.push(`--fulcio-url "$${ENV.fulcioUrl}"`);
      environment[ENV.fulcioUrl] = fulcioUrl;
    }
    if (rekorUrl !== "") {
      args.push(`--rekor-url "$${ENV.rekorUrl}"`);
      environment[ENV.rekorUrl] = rekorUrl;
    }
    if (!s.tlogUpload) args.push("--tlog-upload=false");
  }
  return { args, environment, setup };
}

/** A script: strict, with a private temporary folder `$tmp` removed on exit. */
function script(lines: readonly string[]): string {
  return ["set -eu", 'tmp="$(mktemp -d)"', `trap 'rm -rf "$tmp"' EXIT`, ...lines].join("\n");
}

/**
 * `cosign sign --recursive` of IMAGE_REF: the index and every manifest in it, so a node that pulls its
 * platform's manifest by digest, and a registry or admission policy that checks that digest, finds it
 * signed. Keyless signing takes the CI's ambient OIDC token, which the command inherits.
 */
export function signCommand(s: ActiveSigning): CosignCommand {
  const f = signerFlags(s);
  return { script: script([...f.setup, `cosign sign --recursive ${f.args.join(" ")} "$${ENV.imageRef}"`]), environment: f.environment };
}

/** Where a presence check looks: the index alone, PLATFORM's manifest, or the index and every platform manifest. */
export type CheckScope = "index" | "platform" | "every";

/** What a step leaves on a digest, by the predicate type cosign 3 stores it under (a signature is a statement too). */
export type Made = "signature" | "provenance" | "sbom";

const PREDICATE_TYPES: Readonly<Record<Made, string>> = {
  signature: "https://sigstore.dev/cosign/sign/v1",
  provenance: "slsaprovenance1",
  sbom: "spdxjson",
};

/**
 * A refresh check (resources/step.ts `check`) for the sign, verify and attest steps of IMAGE_REF: one
 * line for each digest in `scope` on which the registry holds no `made` any more, so the step runs again;
 * nothing when the image itself is gone (the stamp's check rebuilds it, and the new digest runs this step). cosign 3 keeps a digest's
 * signatures and attestations together (an OCI referrer each; on a registry without the referrers API,
 * in the index tagged `sha256-HEX`); `cosign download attestation --predicate-type` finds them by kind,
 * and names cosign 2's `.att` tags too. A cosign 2 signature (`.sig`) is not a statement: an image
 * signed before cosign 3 is signed again once, the new way. A registry that cannot answer fails the check.
 */
export function presenceCheck(made: Made, scope: CheckScope = "index"): string {
  const lines = [
    RESOLVE_FUNCTION,
    MANIFESTS_FUNCTION,
    "missing() {",
    "  local out",
    `  if out=$(cosign download attestation --predicate-type "${PREDICATE_TYPES[made]}" "$1" 2>&1 >/dev/null); then return 0; fi`,
    `  case "$out" in *"no attestations with predicate type"*) echo "the registry holds no ${made} of $1"; return 0 ;; esac`,
    `  echo "cannot tell whether the registry holds a ${made} of $1: $(printf '%s\\n' "$out" | grep -v '^$' | tail -n 1)" >&2; return 1`,
    "}",
    // The image itself gone: the stamp's check says so, and the new build's digest runs this step again.
    `got=$(resolve "$${ENV.imageRef}")`,
    `[ -n "$got" ] || exit 0`,
  ];
  if (scope === "index") lines.push(`missing "$${ENV.imageRef}"`);
  else if (scope === "platform") lines.push(`missing "$(platform_ref "$${ENV.imageRef}" "$${ENV.platform}")"`);
  else {
    lines.push(
      `missing "$${ENV.imageRef}"`,
      `list=$(manifests "$${ENV.imageRef}")`,
      'while IFS=" " read -r r p; do',
      '  [ "$p" = "-" ] || missing "$r"',
      "done <<EOF",
      "$list",
      "EOF",
    );
  }
  return script(lines);
}

/** Where `signBlobCommand` reads the file it signs and writes the bundle. */
export const BLOB_ENV = { file: "BLOB_FILE", bundle: "BLOB_BUNDLE" } as const;

/** `cosign sign-blob --bundle` of BLOB_FILE into BLOB_BUNDLE, with the stack's signer (catalog files). */
export function signBlobCommand(s: ActiveSigning): CosignCommand {
  const f = signerFlags(s);
  return { script: script([...f.setup, `cosign sign-blob ${f.args.join(" ")} --bundle "$${BLOB_ENV.bundle}" "$${BLOB_ENV.file}" >/dev/null`]), environment: f.environment };
}

/**
 * `cosign verify` of IMAGE_REF and of every platform manifest in it against the configured key or
 * certificate identity; undefined when no verification is configured.
 */
export function verifyCommand(s: ActiveSigning): CosignCommand | undefined {
  const f = verifyFlags(s);
  if (f === undefined) return undefined;
  const verify = `cosign verify ${f.args.join(" ")}`;
  // The verified claims go to stdout as JSON; the exit status is the answer.
  return {
    script: script([
      MANIFESTS_FUNCTION,
      `${verify} "$${ENV.imageRef}" >/dev/null`,
      `list=$(manifests "$${ENV.imageRef}")`,
      'while IFS=" " read -r r p; do',
      '  [ "$p" = "-" ] && continue',
      `  ${verify} "$r" >/dev/null || { echo "verify: the $p manifest $r of $${ENV.imageRef} does not verify" >&2; exit 1; }`,
      "done <<EOF",
      "$list",
      "EOF",
    ]),
    environment: f.environment,
  };
}

/** The flags of `cosign verify` for a signer's verification policy (values in the environment); undefined when it has none. */
function verifyFlags(s: ActiveSigning, prefix = ""): Flags | undefined {
  if (s.verify === undefined) return undefined;
  const args: string[] = [];
  const environment: Record<string, string> = {};
  // Each value under PREFIX+NAME, so one script can verify for two signers (the testing one beside this one).
  const flag = (option: string, name: string, value: string): void => {
    args.push(`${option} "$${prefix}${name}"`);
    environment[`${prefix}${name}`] = value;
  };
  if (s.mode === "key") {
    flag("--key", ENV.verifyKey, s.verify.publicKey);
  } else {
    if (s.verify.identity !== "") flag("--certificate-identity", ENV.identity, s.verify.identity);
    else flag("--certificate-identity-regexp", ENV.identityRegexp, s.verify.identityRegexp);
    flag("--certificate-oidc-issuer", ENV.issuer, s.verify.issuer);
  }
  if (s.rekorUrl !== "") flag("--rekor-url", ENV.rekorUrl, s.rekorUrl);
  if (!s.tlogUpload) args.push("--insecure-ignore-tlog=true");
  return { args, environment, setup: [] };
}

/** `cosign attest` of the SLSA v1 predicate in PREDICATE, written to a private temporary file first (never on the command line). */
export function attestProvenanceCommand(s: ActiveSigning): CosignCommand {
  const f = signerFlags(s);
  return {
    script: script([
      ...f.setup,
      'predicate="$tmp/predicate.json"',
      `printf '%s' "$${ENV.predicate}" > "$predicate"`,
      `cosign attest ${f.args.join(" ")} --type slsaprovenance1 --predicate "$predicate" "$${ENV.imageRef}"`,
    ]),
    environment: f.environment,
  };
}

/**
 * An SPDX SBOM of one PLATFORM of IMAGE_REF, generated by SBOM_SCRIPT (scripts/sbom-from-image.sh) and
 * attested with `cosign attest --type spdxjson` on that platform's manifest (IMAGE_REF itself for a
 * single-platform image without an index): the SBOM is about the digest a node runs.
 */
export function attestSbomCommand(s: ActiveSigning): CosignCommand {
  const f = signerFlags(s);
  return {
    script: script([
      ...f.setup,
      MANIFESTS_FUNCTION,
      `ref=$(platform_ref "$${ENV.imageRef}" "$${ENV.platform}")`,
      'sbom="$tmp/sbom.spdx.json"',
      `"$${ENV.sbomScript}" "$ref" "$${ENV.platform}" "$sbom"`,
      `cosign attest ${f.args.join(" ")} --type spdxjson --predicate "$sbom" "$ref"`,
    ]),
    environment: f.environment,
  };
}

/**
 * Promotion of one cell. First the checks, each failing with one line and nothing copied: SOURCE_REF is
 * in the registry, `cosign verify` passes for it against `testingSigner` (the testing stack's own
 * signer, its flags' values in the environment), and PINNED_TAG (the production timestamped tag) does
 * not already name other content. Then the testing index SOURCE_REF, by digest, under every production tag in TAGS
 * (one per line), with its signatures and attestations; then a check that every tag resolves to
 * exactly DIGEST, which it prints. Values only arrive in the environment; the script is fixed text.
 * Needs cosign and docker buildx (imagetools) on PATH, logged in to the registry.
 *
 * The image goes with `docker buildx imagetools create --prefer-index=false`, one tag after the other (one
 * source, no annotations: a carbon copy, so an index is pushed unchanged, platform manifests first, and a
 * single-platform image stays one manifest instead of being wrapped in a new index with another digest). Its testing signatures and
 * attestations stay in testing: production signs, and attests the SBOMs and the verified provenance,
 * with its own identity (resources/signature.ts), as upstream does. (`cosign copy`, deprecated in
 * cosign 3, copies none of cosign 3's signatures and pushes images under the tags cosign 3 keeps
 * referrers in.) Each push is retried twice: a registry hiccup must not fail a promotion that the
 * digest check below proves right or wrong anyway.
 */
export function promoteCommand(testingSigner: ActiveSigning): CosignCommand {
  const v = verifyFlags(testingSigner);
  if (v === undefined) throw new Error("promoteCommand: the testing signer has no verification policy");
  return {
    script: script([
      `case "$${ENV.sourceRef}" in *@"$${ENV.digest}") ;; *) echo "promote: SOURCE_REF $${ENV.sourceRef} does not name DIGEST $${ENV.digest}" >&2; exit 2 ;; esac`,
      `[ -n "$${ENV.tags}" ] || { echo "promote: TAGS is empty" >&2; exit 2; }`,
      RESOLVE_FUNCTION,
      // Trust nothing unchecked: the testing image must still be there, signed by the testing signer.
      `got=$(resolve "$${ENV.sourceRef}")`,
      `[ -n "$got" ] || { echo "promote: the testing image $${ENV.sourceRef} is not in the registry (deleted?); nothing was copied. Build the cell again in testing (npm run up / pulumi up --refresh there), then promote" >&2; exit 1; }`,
      `if ! out=$(cosign verify ${v.args.join(" ")} "$${ENV.sourceRef}" 2>&1 >/dev/null); then echo "promote: $${ENV.sourceRef} is not signed by the testing signer, so nothing was copied: $(printf '%s\\n' "$out" | grep -v '^$' | tail -n 1)" >&2; exit 1; fi`,
      // A production timestamped tag names one build: never moved to other content.
      `if [ -n "$\{${ENV.pinned}:-}" ]; then`,
      `  got=$(resolve "$${ENV.pinned}")`,
      `  if [ -n "$got" ] && [ "$got" != "$${ENV.digest}" ]; then echo "promote: $${ENV.pinned} already names $got, and the testing image is $${ENV.digest}; a timestamped tag never moves to other content, so nothing was copied" >&2; exit 1; fi`,
      "fi",
      // Registries fail now and then under concurrent pushes (the local one answered HEAD with 500 while
      // a tag link was written); every step is idempotent, so a failed one is tried again, twice.
      'retry() { n=1; until "$@"; do [ "$n" -lt 3 ] || return 1; n=$((n + 1)); sleep 2; done; }',
      "pushed=0",
      "while IFS= read -r tag; do",
      '  [ -n "$tag" ] || continue',
      `  retry docker buildx imagetools create --prefer-index=false --tag "$tag" "$${ENV.sourceRef}" </dev/null >&2 || { echo "promote: pushing $tag failed 3 times" >&2; exit 1; }`,
      "  pushed=$((pushed + 1))",
      "done <<EOF",
      `$${ENV.tags}`,
      "EOF",
      '[ "$pushed" -gt 0 ] || { echo "promote: TAGS has no tag" >&2; exit 2; }',
      "while IFS= read -r tag; do",
      '  [ -n "$tag" ] || continue',
      `  got="$(docker buildx imagetools inspect "$tag" --format '{{json .Manifest.Digest}}' </dev/null | tr -d '"[:space:]')"`,
      `  if [ "$got" != "$${ENV.digest}" ]; then echo "promote: $tag resolves to \${got:-nothing}, not $${ENV.digest} (copied from $${ENV.sourceRef})" >&2; exit 1; fi`,
      "done <<EOF",
      `$${ENV.tags}`,
      "EOF",
      `printf '%s\\n' "$${ENV.digest}"`,
    ]),
    environment: v.environment,
  };
}

/**
 * Reads the predicate of the first SLSA v1 provenance statement about the image's digest from
 * `cosign verify-attestation` output (one DSSE envelope per line; a bundle's is under `dsseEnvelope`).
 * node: the program's own runtime.
 */
const EXTRACT_PROVENANCE = [
  'const fs = require("fs");',
  "const [file, out, ref] = process.argv.slice(1);",
  'const digest = ref.slice(ref.lastIndexOf("@sha256:") + 8);',
  'for (const line of fs.readFileSync(file, "utf8").split("\\n")) {',
  "  if (line.trim() === \"\") continue;",
  "  const j = JSON.parse(line);",
  '  const s = JSON.parse(Buffer.from((j.dsseEnvelope || j).payload, "base64").toString("utf8"));',
  '  if (s.predicateType === "https://slsa.dev/provenance/v1" && (s.subject || []).some((x) => x.digest && x.digest.sha256 === digest)) {',
  "    fs.writeFileSync(out, JSON.stringify(s.predicate));",
  "    process.exit(0);",
  "  }",
  "}",
  'console.error("attest-provenance: " + ref + " has no SLSA v1 provenance about its digest, signed by the testing signer, to attest again (was it attested where it was built?)");',
  "process.exit(1);",
].join("\n");

/**
 * Promotion re-attests the build's provenance with the production identity: the SLSA v1 predicate is
 * read from the testing image SOURCE_REF with `cosign verify-attestation` against `testingSigner` (so
 * only a provenance the testing stack signed is carried over), its statement must be about IMAGE_REF's
 * digest (the same digest: the copy is byte for byte), and `cosign attest` signs it again. The build
 * happened once, in testing: the predicate still describes that build; only the signer changes.
 */
export function reattestProvenanceCommand(s: ActiveSigning, testingSigner: ActiveSigning): CosignCommand {
  const f = signerFlags(s);
  // The testing signer's values under their own names: the production signer's may differ.
  const v = verifyFlags(testingSigner, "TESTING_");
  if (v === undefined) throw new Error("reattestProvenanceCommand: the testing signer has no verification policy");
  return {
    script: script([
      ...f.setup,
      'statements="$tmp/statements.jsonl"',
      'predicate="$tmp/predicate.json"',
      `cosign verify-attestation ${v.args.join(" ")} --type slsaprovenance1 "$${ENV.sourceRef}" > "$statements"`,
      `node -e '${EXTRACT_PROVENANCE}' "$statements" "$predicate" "$${ENV.imageRef}"`,
      `cosign attest ${f.args.join(" ")} --type slsaprovenance1 --predicate "$predicate" "$${ENV.imageRef}"`,
    ]),
    environment: { ...f.environment, ...v.environment },
  };
}
