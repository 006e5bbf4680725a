# shellcheck shell=bash
# Sourced by the cosign steps (lib/signing/cosign.ts). Every value comes from the environment, validated
# configuration or the build's output, and reaches cosign as one quoted argument. Sourcing it makes `$tmp`,
# a private temporary folder removed on exit.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# signer_flags: fills the array SIGNER with the flags shared by `cosign sign`, `attest` and `sign-blob`.
# COSIGN_KEY (a key; keyless without it), TLOG_UPLOAD (true|false), FULCIO_URL, REKOR_URL (either may be empty).
# - A key without a transparency log: a signing configuration without one, and an empty trusted root, made
#   by cosign itself (cosign 3 refuses `--tlog-upload=false` alone; the empty root keeps it from asking
#   Sigstore's TUF repository).
# - A private Fulcio or Rekor, or keyless without the log: their URLs as flags, which cosign 3 accepts only
#   without a signing configuration (`--use-signing-config=false`; deprecated, still supported in 3.x).
# - Otherwise (the public Sigstore instance): cosign's own signing configuration.
signer_flags() {
  local tlog=${TLOG_UPLOAD:?TLOG_UPLOAD is not set}
  SIGNER=(--yes)
  [ -z "${COSIGN_KEY:-}" ] || SIGNER+=(--key "$COSIGN_KEY")
  if [ -n "${COSIGN_KEY:-}" ] && [ "$tlog" = false ]; then
    cosign signing-config create --out "$tmp/signing-config.json" >/dev/null
    cosign trusted-root create --out "$tmp/trusted-root.json" >/dev/null
    SIGNER+=(--signing-config "$tmp/signing-config.json" --trusted-root "$tmp/trusted-root.json")
  elif [ -n "${FULCIO_URL:-}" ] || [ -n "${REKOR_URL:-}" ] || [ "$tlog" = false ]; then
    SIGNER+=(--use-signing-config=false)
    [ -z "${FULCIO_URL:-}" ] || SIGNER+=(--fulcio-url "$FULCIO_URL")
    [ -z "${REKOR_URL:-}" ] || SIGNER+=(--rekor-url "$REKOR_URL")
    [ "$tlog" = true ] || SIGNER+=(--tlog-upload=false)
  fi
}

# verify_flags [PREFIX]: fills the array VERIFY with the flags of `cosign verify` for a verification policy
# whose values are PREFIX+VERIFY_KEY, or PREFIX+CERT_IDENTITY / CERT_IDENTITY_REGEXP and CERT_OIDC_ISSUER;
# PREFIX+REKOR_URL; PREFIX+IGNORE_TLOG=true when the signer uploads to no log. A prefix lets one script
# verify for a second signer (the testing one, TESTING_…) beside its own.
verify_flags() {
  local p=${1:-} v
  VERIFY=()
  v=${p}VERIFY_KEY
  if [ -n "${!v:-}" ]; then
    VERIFY+=(--key "${!v}")
  else
    v=${p}CERT_IDENTITY
    if [ -n "${!v:-}" ]; then
      VERIFY+=(--certificate-identity "${!v}")
    else
      v=${p}CERT_IDENTITY_REGEXP
      VERIFY+=(--certificate-identity-regexp "${!v:?no ${p}VERIFY_KEY, ${p}CERT_IDENTITY or ${p}CERT_IDENTITY_REGEXP is set}")
    fi
    v=${p}CERT_OIDC_ISSUER
    VERIFY+=(--certificate-oidc-issuer "${!v:?${p}CERT_OIDC_ISSUER is not set}")
  fi
  v=${p}REKOR_URL
  [ -z "${!v:-}" ] || VERIFY+=(--rekor-url "${!v}")
  v=${p}IGNORE_TLOG
  [ "${!v:-false}" != true ] || VERIFY+=(--insecure-ignore-tlog=true)
}
