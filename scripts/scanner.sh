#!/usr/bin/env bash
# scanner.sh - the vulnerability scanner of the scan gate: trivy, compiled from its Go module once per
# machine (no GitHub download is needed), and scan-db (scripts/scan-db), which writes an offline trivy
# vulnerability database from a JSON file of advisories, into the engine directory pulumi-engine.sh,
# builder.sh and supply-chain.sh use.
#
#   scripts/scanner.sh install      build trivy at the pinned version and scan-db at its sources' digest,
#                                   when not built yet (seconds when both are)
#   scripts/scanner.sh bin [TOOL]   print the absolute path of TOOL's binary, trivy or scan-db (trivy when
#                                   no TOOL is given); fails when it is not built
#   scripts/scanner.sh env          print `export` lines: eval "$(bash scripts/scanner.sh env)" puts both
#                                   on PATH (installs first when needed)
#   scripts/scanner.sh path         print the `export PATH=` line when trivy is built, installing nothing
#                                   (engine/workspace.ts: the engine's scan steps find it)
#   scripts/scanner.sh status       what is installed where
#
# Environment knobs: PULUMI_ENGINE_DIR (shared with pulumi-engine.sh, builder.sh and supply-chain.sh).
# Trivy itself is run offline by the scan gate: --skip-db-update --skip-java-db-update --offline-scan with a
# --cache-dir holding a database (scan-db writes one for tests), --image-src remote (no Docker daemon).
set -euo pipefail

# --- pinned version; Renovate moves it. scan-db's go.mod requires the trivy-db version this one's go.mod does.
TRIVY_VERSION=v0.74.0 # renovate: datasource=github-releases depName=aquasecurity/trivy

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE_DIR=${PULUMI_ENGINE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/postgres-images/engine}
BIN=$ENGINE_DIR/trivy-$TRIVY_VERSION/bin
TRIVY=$BIN/trivy
SCAN_DB=$BIN/scan-db
SCAN_DB_SRC=$ROOT/scripts/scan-db

LOG_TAG=scanner # read by lib/go-build.sh's log()
# shellcheck source-path=SCRIPTDIR source=lib/go-build.sh
source "$ROOT/scripts/lib/go-build.sh"

# scan-db is built from this repository, not from a released module: its version is a digest of its
# sources, so an edit rebuilds it.
scan_db_version() { local_version "$SCAN_DB_SRC"; }

install_scan_db() { go_build_local scan-db "$SCAN_DB_SRC" "$SCAN_DB"; }

# trivy's release flags (its goreleaser.yml): `-X .../pkg/version/app.ver` without the v, as `trivy version`
# prints it, and GOEXPERIMENT=jsonv2 (it imports encoding/json/v2, which Go 1.26 builds only under that
# experiment). Its go.mod has no replace directives.
install_trivy() {
  stamped "$TRIVY" "$TRIVY_VERSION" && return 0
  GOEXPERIMENT=jsonv2 go_build trivy github.com/aquasecurity/trivy "$TRIVY_VERSION" github.com/aquasecurity/trivy/cmd/trivy "$TRIVY" \
    "-X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}"
}

cmd_install() {
  install_trivy
  install_scan_db
}

cmd_bin() {
  case ${1:-trivy} in
    trivy) stamped "$TRIVY" "$TRIVY_VERSION" || die "trivy $TRIVY_VERSION is not built; run: bash scripts/scanner.sh install"
      echo "$TRIVY" ;;
    scan-db) stamped "$SCAN_DB" "$(scan_db_version)" || die "scan-db is not built at its sources; run: bash scripts/scanner.sh install"
      echo "$SCAN_DB" ;;
    *) echo "usage: $0 bin [trivy|scan-db]" >&2; exit 2 ;;
  esac
}

cmd_env() {
  cmd_install >&2
  # shellcheck disable=SC2016 # $PATH is expanded by the shell that evals these lines
  printf 'export PATH=%q:"$PATH"\n' "$BIN"
}

cmd_path() {
  stamped "$TRIVY" "$TRIVY_VERSION" || return 0
  path_export "$BIN"
}

cmd_status() {
  echo "engine dir : $ENGINE_DIR"
  echo "trivy      : $(cat "$TRIVY.version" 2>/dev/null || echo 'not built') ($TRIVY)"
  local want have
  want=$(scan_db_version) have=$(cat "$SCAN_DB.version" 2>/dev/null || echo 'not built')
  [[ $have == "$want" || $have == 'not built' ]] || have="$have (stale: sources are at $want)"
  echo "scan-db    : $have ($SCAN_DB)"
}

case ${1:-} in
  install) cmd_install ;;
  bin) [[ $# -le 2 ]] || { echo "usage: $0 bin [trivy|scan-db]" >&2; exit 2; }; cmd_bin "${2:-}" ;;
  env) cmd_env ;;
  path) cmd_path ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|bin [trivy|scan-db]|env|path|status" >&2; exit 2 ;;
esac
