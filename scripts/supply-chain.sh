#!/usr/bin/env bash
# supply-chain.sh - the supply-chain tools the program runs, compiled from their Go modules once per machine
# (no GitHub download is needed), into the engine directory pulumi-engine.sh and builder.sh use:
#   syft    writes the SBOM of each image (scripts/sbom-from-image.sh)
#   cosign  signs, attests and verifies the images (lib/signing/cosign.ts)
# CI installs the released binaries instead, checksum-verified (.github/workflows/build.yml, *_RELEASE).
#
#   scripts/supply-chain.sh install      build the tools whose pinned version is not built yet (seconds when
#                                        all are)
#   scripts/supply-chain.sh bin [TOOL]   print the absolute path of TOOL's binary, syft or cosign (syft when
#                                        no TOOL is given); fails when it is not built
#   scripts/supply-chain.sh env          print `export` lines: eval "$(bash scripts/supply-chain.sh env)"
#                                        puts both on PATH (installs first when needed)
#   scripts/supply-chain.sh path         print the `export PATH=` line for the tools already built, installing
#                                        nothing (engine/workspace.ts: the engine's steps find them first)
#   scripts/supply-chain.sh status       what is installed where
#
# Environment knobs: PULUMI_ENGINE_DIR (shared with pulumi-engine.sh and builder.sh).
set -euo pipefail

# --- pinned versions: the ones CI installs (*_RELEASE in .github/workflows/build.yml); Renovate moves both
SYFT_VERSION=v1.57.2 # renovate: datasource=github-releases depName=anchore/syft
COSIGN_VERSION=v3.1.3 # renovate: datasource=github-releases depName=sigstore/cosign

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE_DIR=${PULUMI_ENGINE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/postgres-images/engine}
SYFT_BIN=$ENGINE_DIR/syft-$SYFT_VERSION/bin
SYFT=$SYFT_BIN/syft
COSIGN_BIN=$ENGINE_DIR/cosign-$COSIGN_VERSION/bin
COSIGN=$COSIGN_BIN/cosign

LOG_TAG=supply-chain # read by lib/go-build.sh's log()
# shellcheck source-path=SCRIPTDIR source=lib/go-build.sh
source "$ROOT/scripts/lib/go-build.sh"

# syft's release flags (its .goreleaser.yaml): `-X main.version` without the v, as `syft version` prints it.
# Its go.mod has no replace directives. The release's build tags (containers_image_openpgp,
# exclude_graphdriver_btrfs) select code of modules syft's packages do not import.
install_syft() {
  stamped "$SYFT" "$SYFT_VERSION" && return 0
  go_build syft github.com/anchore/syft "$SYFT_VERSION" github.com/anchore/syft/cmd/syft "$SYFT" \
    "-X main.version=${SYFT_VERSION#v} -X main.gitDescription=$SYFT_VERSION"
}

# cosign's release flags (its Makefile's LDFLAGS, which .goreleaser.yml takes): release-utils' version
# variables, as `cosign version` prints them; the build date is the release's (the module's time on the
# proxy), the commit is not known from the module and stays unset. Its go.mod has no replace directives.
# The linux release binary is built without cgo and without build tags (pivkey/pkcs11key need cgo).
install_cosign() {
  stamped "$COSIGN" "$COSIGN_VERSION" && return 0
  local module=github.com/sigstore/cosign/v3 date v=sigs.k8s.io/release-utils/version
  date=$(GOFLAGS=-mod=mod go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$module@$COSIGN_VERSION") ||
    die "cannot look up $module@$COSIGN_VERSION on the Go module proxy"
  go_build cosign "$module" "$COSIGN_VERSION" "$module/cmd/cosign" "$COSIGN" \
    "-buildid= -X $v.gitVersion=$COSIGN_VERSION -X $v.gitTreeState=clean -X $v.buildDate=${date:-unknown}"
}

cmd_install() {
  install_syft
  install_cosign
}

cmd_bin() {
  case ${1:-syft} in
    syft) stamped "$SYFT" "$SYFT_VERSION" || die "syft $SYFT_VERSION is not built; run: bash scripts/supply-chain.sh install"
      echo "$SYFT" ;;
    cosign) stamped "$COSIGN" "$COSIGN_VERSION" || die "cosign $COSIGN_VERSION is not built; run: bash scripts/supply-chain.sh install"
      echo "$COSIGN" ;;
    *) echo "usage: $0 bin [syft|cosign]" >&2; exit 2 ;;
  esac
}

cmd_env() {
  cmd_install >&2
  # shellcheck disable=SC2016 # $PATH is expanded by the shell that evals these lines
  printf 'export PATH=%q:%q:"$PATH"\n' "$COSIGN_BIN" "$SYFT_BIN"
}

cmd_path() {
  local built=()
  stamped "$COSIGN" "$COSIGN_VERSION" && built+=("$COSIGN_BIN")
  stamped "$SYFT" "$SYFT_VERSION" && built+=("$SYFT_BIN")
  path_export "${built[@]}"
}

cmd_status() {
  echo "engine dir : $ENGINE_DIR"
  echo "syft       : $(cat "$SYFT.version" 2>/dev/null || echo 'not built') ($SYFT)"
  echo "cosign     : $(cat "$COSIGN.version" 2>/dev/null || echo 'not built') ($COSIGN)"
}

case ${1:-} in
  install) cmd_install ;;
  bin) [[ $# -le 2 ]] || { echo "usage: $0 bin [syft|cosign]" >&2; exit 2; }; cmd_bin "${2:-}" ;;
  env) cmd_env ;;
  path) cmd_path ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|bin [syft|cosign]|env|path|status" >&2; exit 2 ;;
esac
