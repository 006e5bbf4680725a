# shellcheck shell=bash
# cosign-verify.sh - the signer a CI script verifies against, from its options (sourced; uses the caller's die).
#
#   cosign_verify_args KEY IDENTITY_REGEXP ISSUER IGNORE_TLOG(0|1) ALTERNATIVES
# Sets the array verify_args: `--key KEY` (plus --insecure-ignore-tlog=true when asked, for key pairs signed
# with tlogUpload false), or the keyless certificate identity and issuer (an https URL). ALTERNATIVES ends the
# error that names what to give when neither is ("--key" or "--key, or --no-verify").
cosign_verify_args() {
  local key=$1 identity_re=$2 issuer=$3 ignore_tlog=$4 alternatives=$5
  if [[ -n $key ]]; then
    [[ -z $identity_re$issuer ]] || die "--key and the certificate options exclude each other"
    verify_args=(--key "$key")
    ((ignore_tlog == 0)) || verify_args+=(--insecure-ignore-tlog=true)
  else
    ((ignore_tlog == 0)) || die "--insecure-ignore-tlog is for --key only: a keyless signature is checked in the transparency log"
    [[ -n $identity_re && -n $issuer ]] || die "give --certificate-identity-regexp and --certificate-oidc-issuer, $alternatives"
    [[ $issuer =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/%-]*)?$ ]] || die "--certificate-oidc-issuer '$issuer' is not an https URL"
    verify_args=(--certificate-identity-regexp "$identity_re" --certificate-oidc-issuer "$issuer")
  fi
}
