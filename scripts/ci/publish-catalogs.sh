#!/usr/bin/env bash
# publish-catalogs.sh - write, sign, verify and commit the catalogs of the production stacks into a
# checkout of the repository that serves them (upstream: cloudnative-pg/artifacts, image-catalogs/).
#
#   scripts/ci/publish-catalogs.sh --checkout artifacts --folder image-catalogs --signing-from production \
#     --stack ORG/postgres-images/production-17 [--stack ...] \
#     (--certificate-identity-regexp RE --certificate-oidc-issuer URL | --key cosign.pub [--insecure-ignore-tlog])
#     [--dir PROJECT_DIR] [--no-push]
#
# 1. `npm run catalogs` writes CHECKOUT/FOLDER from the stacks (files whose text is unchanged keep their
#    bundles), signing as --signing-from's stack file says;
# 2. every catalog it wrote or kept, and the kustomization, is checked with `cosign verify-blob` against the
#    signer given here: nothing that fails is committed;
# 3. a commit of FOLDER when anything changed, pushed to the checkout's upstream unless --no-push.
# Prints changed=true|false (and appends it to $GITHUB_OUTPUT when set).
set -euo pipefail

die() { printf 'publish-catalogs.sh: %s\n' "$*" >&2; exit 2; }
# shellcheck source=../lib/cosign-verify.sh
source "$(dirname "$0")/../lib/cosign-verify.sh"

checkout="" folder="" signing_from="" identity_re="" issuer="" key="" push=1 dir=. ignore_tlog=0
stacks=()
while (($#)); do
  case $1 in
    --checkout) checkout=${2-}; shift 2 ;;
    --folder) folder=${2-}; shift 2 ;;
    --signing-from) signing_from=${2-}; shift 2 ;;
    --stack) stacks+=(--stack "${2-}"); shift 2 ;;
    --certificate-identity-regexp) identity_re=${2-}; shift 2 ;;
    --certificate-oidc-issuer) issuer=${2-}; shift 2 ;;
    --key) key=${2-}; shift 2 ;;
    --insecure-ignore-tlog) ignore_tlog=1; shift ;;
    --dir) dir=${2-}; shift 2 ;;
    --no-push) push=0; shift ;;
    *) die "unknown argument '$1'" ;;
  esac
done

[[ -n $checkout && -d $checkout/.git ]] || die "--checkout '$checkout' is not a git checkout"
[[ $folder =~ ^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$ && $folder != *..* ]] || die "--folder '$folder' is not a relative folder such as image-catalogs"
[[ $signing_from =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "--signing-from '$signing_from' is not a stack name"
((${#stacks[@]})) || die "give at least one --stack"
cosign_verify_args "$key" "$identity_re" "$issuer" "$ignore_tlog" "or --key"

[[ -f $dir/Pulumi.yaml ]] || die "--dir '$dir' has no Pulumi.yaml"
checkout=$(cd "$checkout" && pwd) dir=$(cd "$dir" && pwd)
out=$checkout/$folder
# One line per file: "PATH (signed: ...)", "PATH (unchanged)" or "PATH (unsigned)". npm runs in this
# repository (where the catalogs script is), the stack files are read from --dir.
written=$(cd "$(dirname "$0")/../.." && npm run --silent catalogs -- "${stacks[@]}" --signing-from "$signing_from" --dir "$dir" --out "$out")
files=()
while IFS= read -r line; do
  file=${line% (*}
  [[ $line == *" (unsigned)" ]] && die "$file is not signed (the signing settings of Pulumi.$signing_from.yaml are mode none); nothing is published unsigned"
  files+=("$file")
done <<<"$written"
((${#files[@]})) || die "npm run catalogs wrote nothing"

for file in "${files[@]}"; do
  cosign verify-blob "${verify_args[@]}" --bundle "$file.sigstore.json" "$file" >/dev/null 2>&1 ||
    { printf 'publish-catalogs.sh: %s: its bundle does not verify for the signer given; nothing is committed\n' "$file" >&2; exit 1; }
done

changed=false
git -C "$checkout" add -A -- "$folder"
if ! git -C "$checkout" diff --cached --quiet -- "$folder"; then
  changed=true
  git -C "$checkout" -c user.name="postgres-images" -c user.email="noreply@cnpg.io" commit -q -m "chore: update imageCatalogs" -- "$folder"
  if ((push)); then git -C "$checkout" push -q; fi
fi
echo "changed=$changed"
[[ -z ${GITHUB_OUTPUT-} ]] || echo "changed=$changed" >>"$GITHUB_OUTPUT"
git -C "$checkout" log -1 --format='publish-catalogs.sh: %h %s' >&2
