#!/usr/bin/env bash
# supply-chain.sh - the supply-chain tools the program runs besides cosign: syft, which writes the SBOM of
# each image (scripts/sbom-from-image.sh), compiled from its Go module once per machine (no GitHub
# download is needed), into the engine directory pulumi-engine.sh and builder.sh use. CI installs the
# released binary instead, checksum-verified (.github/workflows/build.yml, SYFT_RELEASE).
#
#   scripts/supply-chain.sh install   build syft if the pinned version is not built yet (seconds when it is)
#   scripts/supply-chain.sh bin       print the absolute path of the syft binary (fails when not built)
#   scripts/supply-chain.sh env       print `export` lines: eval "$(bash scripts/supply-chain.sh env)"
#                                     (installs first when needed)
#   scripts/supply-chain.sh status    what is installed where
#
# Environment knobs: PULUMI_ENGINE_DIR (shared with pulumi-engine.sh and builder.sh).
set -euo pipefail

# --- pinned version: the one CI installs (SYFT_RELEASE in .github/workflows/build.yml); Renovate moves both
SYFT_VERSION=v1.57.2 # renovate: datasource=github-releases depName=anchore/syft

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE_DIR=${PULUMI_ENGINE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/postgres-images/engine}
BIN=$ENGINE_DIR/syft-$SYFT_VERSION/bin
SYFT=$BIN/syft

LOG_TAG=supply-chain
# shellcheck source=lib/go-build.sh
source "$ROOT/scripts/lib/go-build.sh"

# syft's release flags (its .goreleaser.yaml): `-X main.version` without the v, as `syft version` prints it.
# Its go.mod has no replace directives. The release's build tags (containers_image_openpgp,
# exclude_graphdriver_btrfs) select code of modules syft's packages do not import.
cmd_install() {
  stamped "$SYFT" "$SYFT_VERSION" && return 0
  go_build syft github.com/anchore/syft "$SYFT_VERSION" github.com/anchore/syft/cmd/syft "$SYFT" \
    "-X main.version=${SYFT_VERSION#v} -X main.gitDescription=$SYFT_VERSION"
}

cmd_bin() {
  stamped "$SYFT" "$SYFT_VERSION" || die "syft $SYFT_VERSION is not built; run: bash scripts/supply-chain.sh install"
  echo "$SYFT"
}

cmd_env() {
  cmd_install >&2
  # shellcheck disable=SC2016 # $PATH is expanded by the shell that evals these lines
  printf 'export PATH=%q:"$PATH"\n' "$BIN"
}

cmd_status() {
  echo "engine dir : $ENGINE_DIR"
  echo "syft       : $(cat "$SYFT.version" 2>/dev/null || echo 'not built') ($SYFT)"
}

case ${1:-} in
  install) cmd_install ;;
  bin) cmd_bin ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|bin|env|status" >&2; exit 2 ;;
esac
