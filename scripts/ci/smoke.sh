#!/usr/bin/env bash
# smoke.sh - smoke-test the images a stack pushed, by digest.
#
#   pulumi stack output images --json --stack testing-17 | scripts/ci/smoke.sh \
#     (--certificate-identity-regexp RE --certificate-oidc-issuer URL | --key cosign.pub | --no-verify) \
#     [--platform linux/amd64]... [--no-run]
#
# stdin: the stack output `images`, {CELL: {ref: "REPO@sha256:<64 hex>", platforms: [...], ...}, ...}.
# For each cell: `docker run --rm --platform P REF postgres --version` for each requested platform the
# image has (default linux/amd64; --no-run skips it), then `cosign verify` of REF.
# Everything read is checked before use: cell names and references must match their grammar.
set -euo pipefail

die() { printf 'smoke.sh: %s\n' "$*" >&2; exit 2; }
# shellcheck source=../lib/cosign-verify.sh
source "$(dirname "$0")/../lib/cosign-verify.sh"
command -v jq >/dev/null || die "needs jq"

identity_re="" issuer="" key="" verify=1 run=1
platforms=()
while (($#)); do
  case $1 in
    --certificate-identity-regexp) identity_re=${2-}; shift 2 ;;
    --certificate-oidc-issuer) issuer=${2-}; shift 2 ;;
    --key) key=${2-}; shift 2 ;;
    --no-verify) verify=0; shift ;;
    --platform) platforms+=("${2-}"); shift 2 ;;
    --no-run) run=0; shift ;;
    *) die "unknown argument '$1'" ;;
  esac
done
((${#platforms[@]})) || platforms=(linux/amd64)
for p in "${platforms[@]}"; do [[ $p =~ ^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$ ]] || die "--platform '$p' is not OS/ARCH[/VARIANT]"; done
verify_args=()
((verify == 0)) || cosign_verify_args "$key" "$identity_re" "$issuer" 0 "--key, or --no-verify"

input=$(cat)
[[ -n $input ]] || die "nothing on stdin; pipe in 'pulumi stack output images --json'"
jq -e 'type == "object" and length > 0 and all(.[]; type == "object" and (.ref | type) == "string")' <<<"$input" >/dev/null 2>&1 ||
  die "stdin is not a non-empty {CELL: {ref: ...}} object (pulumi stack output images --json)"

# postgresql-LEAD-TYPE-DISTRO (lib/matrix/naming.ts): checked only for what is safe to print; the stack says which exist.
cell_re='^postgresql-[0-9a-z]+-[a-z][a-z0-9]*-[a-z0-9._]+$'
ref_re='^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+@sha256:[0-9a-f]{64}$'
failed=0 checked=0
# One line per cell: name, ref, then its platforms; tab-separated, each field checked below.
while IFS=$'\t' read -r cell ref image_platforms; do
  [[ $cell =~ $cell_re ]] || die "cell name '$cell' is not postgresql-LEAD-TYPE-DISTRO"
  [[ $ref =~ $ref_re ]] || die "$cell: ref '$ref' is not REPOSITORY@sha256:<64 hex> (never a tag)"
  checked=$((checked + 1))
  if ((run)); then
    for p in "${platforms[@]}"; do
      # Cells without a platform list are assumed to have every requested one.
      if [[ -n $image_platforms && " $image_platforms " != *" $p "* ]]; then continue; fi
      if out=$(docker run --rm --pull always --platform "$p" "$ref" postgres --version 2>&1) && [[ $out =~ ^postgres\ \(PostgreSQL\)\ [0-9] ]]; then
        printf 'ok   %s %s: %s\n' "$cell" "$p" "$out"
      else
        printf 'FAIL %s %s: postgres --version gave: %s\n' "$cell" "$p" "$out" >&2
        failed=$((failed + 1))
      fi
    done
  fi
  if ((verify)); then
    if cosign verify "${verify_args[@]}" "$ref" >/dev/null 2>"${TMPDIR:-/tmp}/smoke-cosign.err"; then
      printf 'ok   %s: signature verified\n' "$cell"
    else
      printf 'FAIL %s: cosign verify: %s\n' "$cell" "$(tail -n 3 "${TMPDIR:-/tmp}/smoke-cosign.err")" >&2
      failed=$((failed + 1))
    fi
  fi
done < <(jq -r 'to_entries[] | [.key, .value.ref, ((.value.platforms // []) | map(tostring) | join(" "))] | @tsv' <<<"$input")

((checked > 0)) || die "no cells read"
echo "smoke.sh: $checked cells, $failed failures"
((failed == 0))
