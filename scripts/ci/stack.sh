#!/usr/bin/env bash
# stack.sh - prepare one per-major stack of the CI fan-out from a committed stack file.
#
#   stack.sh --from testing --stack testing-17 --targets 'postgresql-17-*' \
#            [--org cloudnative-pg] [--promote-from ORG/PROJECT/STACK] [--rebuild-epoch 2026-W48]
#            [--revision GIT_SHA] [--no-create]
#
# Writes Pulumi.<stack>.yaml = Pulumi.<from>.yaml + targets (+ promoteFrom) (+ rebuildEpoch) (+ revision:
# the commit being built, recorded with each build's time; a new commit alone rebuilds nothing), and selects
# the stack (creating it unless --no-create). The rebuild epoch is sticky: without --rebuild-epoch
# the stack keeps the one of its last deployment (read back with `pulumi config refresh`), so a push
# after the weekly rebuild does not rebuild every cell again by clearing it.
#
# Prints exists=true|false (and appends it to $GITHUB_OUTPUT when set): with --no-create, a stack
# that was never deployed is left alone (exists=false) for the caller to skip.
# Needs the pulumi CLI, logged in (PULUMI_ACCESS_TOKEN).
set -euo pipefail

die() { printf 'stack.sh: %s\n' "$*" >&2; exit 2; }

from="" stack="" targets="" org="" promote_from="" epoch="" revision="" create=1
while (($#)); do
  case $1 in
    --from) from=${2-}; shift 2 ;;
    --stack) stack=${2-}; shift 2 ;;
    --targets) targets=${2-}; shift 2 ;;
    --org) org=${2-}; shift 2 ;;
    --promote-from) promote_from=${2-}; shift 2 ;;
    --rebuild-epoch) epoch=${2-}; shift 2 ;;
    --revision) revision=${2-}; shift 2 ;;
    --no-create) create=0; shift ;;
    *) die "unknown argument '$1'" ;;
  esac
done

# The values reach pulumi as single arguments; still, accept only what the config grammar accepts.
name_re='^[A-Za-z0-9][A-Za-z0-9._-]*$'
[[ $from =~ $name_re ]] || die "--from '$from' is not a stack name"
[[ $stack =~ $name_re ]] || die "--stack '$stack' is not a stack name"
[[ $stack != "$from" ]] || die "--stack must differ from --from (the committed file is the template)"
[[ -z $org || $org =~ $name_re ]] || die "--org '$org' is not an organization name"
[[ $targets =~ ^[a-z0-9*?][a-z0-9*?._-]*$ ]] || die "--targets '$targets' is not a cell glob such as postgresql-17-*"
[[ -z $promote_from || $promote_from =~ ^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}$ ]] ||
  die "--promote-from '$promote_from' is not STACK, PROJECT/STACK or ORG/PROJECT/STACK"
[[ -z $epoch || $epoch =~ ^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$ ]] || die "--rebuild-epoch '$epoch' is not a label such as 2026-W48"
[[ -z $revision || $revision =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] || die "--revision '$revision' is not a full git commit id (40 or 64 lower-case hex digits)"

template="Pulumi.$from.yaml"
file="Pulumi.$stack.yaml"
[[ -f Pulumi.yaml ]] || die "run me in the project directory (no Pulumi.yaml here)"
[[ -f $template ]] || die "$template does not exist"
# Secrets are encrypted for one stack; a copied ciphertext would not decrypt in another.
if grep -q 'secure:' "$template"; then
  die "$template holds secrets; keep per-major templates secret-free (set secrets with pulumi config set --secret --stack $stack)"
fi

qualified=${org:+$org/}$stack
exists=false
if pulumi stack select "$qualified" >/dev/null 2>&1; then
  exists=true
elif ((create)); then
  pulumi stack select --create "$qualified" >/dev/null
  exists=true
fi
if [[ $exists == false ]]; then
  echo "exists=false"
  [[ -z ${GITHUB_OUTPUT-} ]] || echo "exists=false" >>"$GITHUB_OUTPUT"
  echo "stack.sh: $qualified does not exist yet; nothing prepared (the first build on main creates it)" >&2
  exit 0
fi

if [[ -z $epoch ]]; then
  # The last deployment's configuration: keep its epoch. A stack never deployed has none.
  if pulumi config refresh --stack "$qualified" --force >/dev/null 2>&1; then
    epoch=$(pulumi config get --stack "$qualified" postgres-images:rebuildEpoch 2>/dev/null || true)
    [[ -z $epoch || $epoch =~ ^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$ ]] || die "$qualified's last rebuildEpoch '$epoch' is not a label"
  fi
fi

cp "$template" "$file"
pulumi config rm --stack "$qualified" postgres-images:targets >/dev/null 2>&1 || true
pulumi config set --stack "$qualified" --path 'postgres-images:targets[0]' "$targets"
[[ -z $promote_from ]] || pulumi config set --stack "$qualified" postgres-images:promoteFrom "$promote_from"
[[ -z $epoch ]] || pulumi config set --stack "$qualified" postgres-images:rebuildEpoch "$epoch"
[[ -z $revision ]] || pulumi config set --stack "$qualified" postgres-images:revision "$revision"

echo "exists=true"
[[ -z ${GITHUB_OUTPUT-} ]] || echo "exists=true" >>"$GITHUB_OUTPUT"
echo "stack.sh: $qualified = $template + targets [$targets]${promote_from:+ + promoteFrom $promote_from}${epoch:+ + rebuildEpoch $epoch}" >&2
