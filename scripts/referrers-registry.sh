#!/usr/bin/env bash
# referrers-registry.sh - what only the referrers tier (test/e2e/referrers.test.ts) needs, compiled from Go
# modules once per machine into the engine directory pulumi-engine.sh, builder.sh, supply-chain.sh and
# scanner.sh use (no GitHub download is needed):
#   referrers-registry  an in-memory OCI registry with the OCI 1.1 referrers API (scripts/referrers-registry:
#                       go-containerregistry's registry package), which Debian's docker-registry lacks
#   oras                the OCI client whose `oras discover` lists an image's referrers
#
#   scripts/referrers-registry.sh install          build both when not built yet (seconds when both are)
#   scripts/referrers-registry.sh bin [TOOL]       print the absolute path of TOOL's binary, registry or oras
#                                                  (registry when no TOOL is given); fails when it is not built
#   scripts/referrers-registry.sh up               install, then start the registry in the background unless
#                                                  it answers already; waits until GET /v2/ answers
#   scripts/referrers-registry.sh down             stop the registry this script started on the address (its
#                                                  content is lost)
#   scripts/referrers-registry.sh status           what is installed where, and whether the registry runs
#
# Environment knobs: PULUMI_ENGINE_DIR (shared with the other tool scripts); REFERRERS_REGISTRY, the address
# the registry listens on and the tier pushes to (HOST:PORT, default 127.0.0.1:5002: plain HTTP, loopback).
set -euo pipefail

# --- pinned version; Renovate moves it. The registry's own module is pinned by its go.mod and go.sum.
ORAS_VERSION=v1.3.6 # renovate: datasource=go depName=oras.land/oras

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE_DIR=${PULUMI_ENGINE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/postgres-images/engine}
ADDR=${REFERRERS_REGISTRY:-127.0.0.1:5002}
REGISTRY_SRC=$ROOT/scripts/referrers-registry
REGISTRY=$ENGINE_DIR/referrers-registry/bin/referrers-registry
ORAS=$ENGINE_DIR/oras-$ORAS_VERSION/bin/oras
# One registry per address, each with its own pid file and log.
PID_FILE=$ENGINE_DIR/run/referrers-registry-${ADDR//[^A-Za-z0-9.]/_}.pid
LOG_FILE=$ENGINE_DIR/logs/referrers-registry-${ADDR//[^A-Za-z0-9.]/_}.log

LOG_TAG=referrers-registry # read by lib/go-build.sh's log()
# shellcheck source-path=SCRIPTDIR source=lib/go-build.sh
source "$ROOT/scripts/lib/go-build.sh"

# Built from this repository, not from a released module: its version is a digest of its sources, so an
# edit rebuilds it (as scanner.sh does for scan-db).
registry_version() { local_version "$REGISTRY_SRC"; }

install_registry() { go_build_local referrers-registry "$REGISTRY_SRC" "$REGISTRY"; }

# oras's release flags (its Makefile): a tagged release leaves BuildMetadata empty, so `oras version` prints
# the version its source holds; the commit is not known from the module and stays unset. Its go.mod has no
# replace directives.
install_oras() {
  stamped "$ORAS" "$ORAS_VERSION" && return 0
  go_build oras oras.land/oras "$ORAS_VERSION" oras.land/oras/cmd/oras "$ORAS" \
    "-X oras.land/oras/internal/version.GitTreeState=clean"
}

cmd_install() {
  install_registry
  install_oras
}

cmd_bin() {
  case ${1:-registry} in
    registry) stamped "$REGISTRY" "$(registry_version)" || die "referrers-registry is not built at its sources; run: bash scripts/referrers-registry.sh install"
      echo "$REGISTRY" ;;
    oras) stamped "$ORAS" "$ORAS_VERSION" || die "oras $ORAS_VERSION is not built; run: bash scripts/referrers-registry.sh install"
      echo "$ORAS" ;;
    *) echo "usage: $0 bin [registry|oras]" >&2; exit 2 ;;
  esac
}

answers() { curl -fsS -o /dev/null --max-time 2 "http://$ADDR/v2/" 2>/dev/null; }

# The pid of the registry this script started, when its pid file names a live process running our binary
# (a stale pid file, or a reused pid, names another one). A binary rebuilt since shows as `(deleted)`.
running_pid() {
  local pid exe
  [[ -s $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE"); [[ $pid =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ ${exe% (deleted)} == "$REGISTRY" ]] || return 1
  echo "$pid"
}

cmd_up() {
  local pid _
  cmd_install
  if pid=$(running_pid); then
    if [[ $(readlink "/proc/$pid/exe") == *' (deleted)' ]]; then
      log "the running registry (pid $pid) was built from older sources; restarting it"
      cmd_down
    elif answers; then
      log "already up on $ADDR (pid $pid)"; return 0
    fi
  fi
  # Something else on the address would take the tier's pushes and hide what this registry is for.
  answers && die "$ADDR answers but is not the registry this script started; stop it or set REFERRERS_REGISTRY to another HOST:PORT"
  mkdir -p "$(dirname "$PID_FILE")" "$(dirname "$LOG_FILE")"
  rm -f "$PID_FILE"
  # Detached in its own session, so the shell that started it can end; the process writes its own pid.
  # shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's
  (cd / && exec setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PID_FILE" "$REGISTRY" -addr "$ADDR") >>"$LOG_FILE" 2>&1 </dev/null &
  for _ in $(seq 1 100); do
    answers && pid=$(running_pid) && { log "up on $ADDR (pid $pid), log in $LOG_FILE"; return 0; }
    sleep 0.1
  done
  tail -n 5 "$LOG_FILE" >&2
  die "the registry did not answer on http://$ADDR/v2/ within 10 s, see $LOG_FILE"
}

cmd_down() {
  local pid _
  if ! pid=$(running_pid); then
    [[ -e $PID_FILE ]] && { log "stale pid file removed"; rm -f "$PID_FILE"; }
    log "not running from this script, nothing to stop"; return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 100); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
  [[ -d /proc/$pid ]] && { log "still alive after 10 s, sending KILL"; kill -KILL "$pid"; }
  rm -f "$PID_FILE"
  log "stopped pid $pid"
}

cmd_status() {
  local want have pid state='not running'
  want=$(registry_version) have=$(cat "$REGISTRY.version" 2>/dev/null || echo 'not built')
  [[ $have == "$want" || $have == 'not built' ]] || have="$have (stale: sources are at $want)"
  if pid=$(running_pid); then state="pid $pid"; answers && state+=", answering on $ADDR" || state+=", not answering on $ADDR"
  elif answers; then state="not ours, but something answers on $ADDR"; fi
  echo "engine dir : $ENGINE_DIR"
  echo "registry   : $have ($REGISTRY)"
  echo "running    : $state"
  echo "oras       : $(cat "$ORAS.version" 2>/dev/null || echo 'not built') ($ORAS)"
}

case ${1:-} in
  install) cmd_install ;;
  bin) [[ $# -le 2 ]] || { echo "usage: $0 bin [registry|oras]" >&2; exit 2; }; cmd_bin "${2:-}" ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|bin [registry|oras]|up|down|status" >&2; exit 2 ;;
esac
