import type { ErrorList } from "../errors";

/** How pushed digests are signed. Secrets (key passwords, tokens) are not here: the program reads them as Pulumi secrets. */
export type SigningSettings = NoSigning | KeySigning | KeylessSigning;

export interface NoSigning {
  readonly mode: "none";
}

interface CommonSigning {
  /** Upload to a transparency log; false for air-gapped registries (`--tlog-upload=false`). */
  readonly tlogUpload: boolean;
  /** A private Rekor instead of the public one; empty for the default. */
  readonly rekorUrl: string;
}

export interface KeySigning extends CommonSigning {
  readonly mode: "key";
  /** A key file path or KMS URI (`awskms://…`, `gcpkms://…`, `azurekms://…`, `hashivault://…`, `k8s://…`). */
  readonly key: string;
  /** Verify after signing with this public key (file or KMS URI); undefined: no verification. */
  readonly verify?: { readonly publicKey: string };
}

export interface KeylessSigning extends CommonSigning {
  readonly mode: "keyless";
  /** A private Fulcio instead of the public one; empty for the default. */
  readonly fulcioUrl: string;
  /** Verify the certificate's identity after signing; undefined: no verification. */
  readonly verify?: {
    readonly identity: string;
    readonly identityRegexp: string;
    readonly issuer: string;
  };
}

export const SIGNING_MODES = ["keyless", "key", "none"] as const;

/** A key file path; never starting with `-`, which cosign would read as an option. */
const KEY_FILE = /^[A-Za-z0-9._/+][A-Za-z0-9._/+@=-]*$/;
const KMS_URI = /^(awskms|gcpkms|azurekms|hashivault|k8s):\/\/[A-Za-z0-9._/:@+=-]+$/;
const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~/%-]*)?$/;
const IDENTITY = /^[A-Za-z0-9@._:/~+%=-]+$/;
/** A regular expression travels in an environment variable, never through a shell; only reject line breaks. */
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const ONE_LINE = /^[^\0-\x1f\x7f]+$/;

const KEY = "postgres-images:signing";
const ALLOWED_FIELDS = new Set(["mode", "key", "tlogUpload", "rekorUrl", "fulcioUrl", "verify"]);

function text(obj: Record<string, unknown>, field: string, errors: ErrorList): string {
  const v = obj[field];
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  errors.add(`${KEY}.${field}`, v, "is not a string");
  return "";
}

function checkUrl(field: string, value: string, errors: ErrorList): void {
  if (value !== "" && !HTTPS_URL.test(value)) errors.add(`${KEY}.${field}`, value, "is not an https URL; expected https://HOST[:PORT][/PATH] or empty for the public instance");
}

export function isKeyReference(value: string): boolean {
  return KMS_URI.test(value) || KEY_FILE.test(value);
}

/** Go's regexp (RE2, what cosign compiles) has no lookaround and no backreferences; JavaScript would accept them. */
function regexpProblem(value: string): string | undefined {
  if (/\(\?<?[=!]|\\[1-9]|\\k</.test(value)) return "uses lookaround or a backreference, which cosign's Go regular expressions do not support";
  try {
    new RegExp(value, "u");
    return undefined;
  } catch (e) {
    return `is not a regular expression (${(e as Error).message.replace(/^Invalid regular expression: /, "")})`;
  }
}

/** Fields each mode reads; any other field is a mistake that would otherwise be ignored. */
const MODE_FIELDS: Record<SigningSettings["mode"], readonly string[]> = {
  none: ["mode"],
  key: ["mode", "key", "tlogUpload", "rekorUrl", "verify"],
  keyless: ["mode", "tlogUpload", "rekorUrl", "fulcioUrl", "verify"],
};
const VERIFY_FIELDS: Record<"key" | "keyless", readonly string[]> = { key: ["publicKey"], keyless: ["identity", "identityRegexp", "issuer"] };

/** Reads the `signing` object; adds errors named `postgres-images:signing.FIELD`. */
export function parseSigning(raw: unknown, errors: ErrorList): SigningSettings {
  if (raw === undefined || raw === null || raw === "") {
    // Unsigned images are a decision, never the result of an empty value.
    errors.add(KEY, raw ?? "", "is empty; expected {mode: keyless, ...}, {mode: key, key: ...}, or {mode: none} to push unsigned images");
    return { mode: "none" };
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    errors.add(KEY, raw, "is not an object; expected {mode: keyless|key|none, ...}");
    return { mode: "none" };
  }
  const obj = raw as Record<string, unknown>;
  for (const f of Object.keys(obj)) {
    if (!ALLOWED_FIELDS.has(f)) errors.add(`${KEY}.${f}`, obj[f], `is not a signing setting; expected one of ${[...ALLOWED_FIELDS].join(", ")}`);
  }
  const modeText = text(obj, "mode", errors);
  if (!(SIGNING_MODES as readonly string[]).includes(modeText)) {
    errors.add(`${KEY}.mode`, obj.mode, `is not a signing mode; expected one of ${SIGNING_MODES.join(", ")}`);
    return { mode: "none" };
  }
  const mode = modeText as SigningSettings["mode"];
  for (const f of Object.keys(obj)) {
    if (ALLOWED_FIELDS.has(f) && !MODE_FIELDS[mode].includes(f)) errors.add(`${KEY}.${f}`, obj[f], `does not apply to mode ${mode}; remove it (mode ${mode} reads ${MODE_FIELDS[mode].join(", ")})`);
  }
  if (mode === "none") return { mode: "none" };

  const tlogRaw = obj.tlogUpload ?? true;
  let tlogUpload = true;
  if (typeof tlogRaw === "boolean") tlogUpload = tlogRaw;
  else if (tlogRaw === "true" || tlogRaw === "false") tlogUpload = tlogRaw === "true";
  else errors.add(`${KEY}.tlogUpload`, tlogRaw, "is not a boolean; expected true (upload to the transparency log) or false (air-gapped)");
  const rekorUrl = text(obj, "rekorUrl", errors);
  checkUrl("rekorUrl", rekorUrl, errors);

  const verifyRaw = obj.verify;
  const verify = verifyRaw === undefined || verifyRaw === null || verifyRaw === false ? undefined : verifyRaw;
  if (verify !== undefined && (typeof verify !== "object" || Array.isArray(verify))) {
    errors.add(`${KEY}.verify`, verify, "is not an object; expected {publicKey: …} for mode key or {identity|identityRegexp: …, issuer: …} for keyless");
  }
  const v = verify !== undefined && typeof verify === "object" && !Array.isArray(verify) ? (verify as Record<string, unknown>) : undefined;
  for (const f of Object.keys(v ?? {})) {
    if (!VERIFY_FIELDS[mode].includes(f)) errors.add(`${KEY}.verify.${f}`, v![f], `is not a verify setting of mode ${mode}; expected ${VERIFY_FIELDS[mode].join(", ")}`);
  }

  if (mode === "key") {
    const key = text(obj, "key", errors);
    if (!isKeyReference(key)) {
      errors.add(`${KEY}.key`, obj.key, "is not a cosign key; expected a key file path such as cosign.key or a KMS URI such as awskms://alias/cosign");
    }
    let verifyOut: KeySigning["verify"];
    if (v) {
      const publicKey = text(v, "publicKey", errors);
      if (!isKeyReference(publicKey)) {
        errors.add(`${KEY}.verify.publicKey`, v.publicKey, "is not a public key; expected a file path such as cosign.pub or a KMS URI");
      }
      verifyOut = { publicKey };
    }
    return { mode, key, tlogUpload, rekorUrl, verify: verifyOut };
  }

  const fulcioUrl = text(obj, "fulcioUrl", errors);
  checkUrl("fulcioUrl", fulcioUrl, errors);
  let verifyOut: KeylessSigning["verify"];
  if (v) {
    const identity = text(v, "identity", errors);
    const identityRegexp = text(v, "identityRegexp", errors);
    const issuer = text(v, "issuer", errors);
    if ((identity === "") === (identityRegexp === "")) {
      errors.add(`${KEY}.verify`, v, "needs exactly one of identity or identityRegexp (the certificate's signer), and issuer");
    }
    if (identity !== "" && !IDENTITY.test(identity)) errors.add(`${KEY}.verify.identity`, identity, "is not a certificate identity; expected an email or URL");
    if (identityRegexp !== "" && !ONE_LINE.test(identityRegexp)) errors.add(`${KEY}.verify.identityRegexp`, identityRegexp, "is not a one-line regular expression");
    else if (identityRegexp !== "") {
      const problem = regexpProblem(identityRegexp);
      if (problem !== undefined) errors.add(`${KEY}.verify.identityRegexp`, identityRegexp, `${problem}; expected a regular expression for the certificate's identity`);
    }
    if (!HTTPS_URL.test(issuer)) errors.add(`${KEY}.verify.issuer`, issuer, "is not an OIDC issuer; expected an https URL such as https://token.actions.githubusercontent.com");
    verifyOut = { identity, identityRegexp, issuer };
  }
  return { mode, tlogUpload, rekorUrl, fulcioUrl, verify: verifyOut };
}
