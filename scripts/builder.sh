#!/usr/bin/env bash
# builder.sh - the BuildKit builder the docker-build provider builds with: buildkitd and buildctl compiled
# from Go modules (once per machine), Debian's runc, a buildkitd on the host listening on a unix socket,
# and a named buildx builder (`remote` driver) in front of it. A BuildKit on the host reaches a registry
# on localhost:5000 directly; BuildKit speaks plain HTTP to localhost.
#
#   scripts/builder.sh install        build buildkitd/buildctl and the buildx plugin if missing
#   scripts/builder.sh up [NAME]      start buildkitd (if ours is not running) and create the buildx builder
#                                     NAME (default postgres-images) for all platforms it can run
#   scripts/builder.sh node NAME PLATFORM
#                                     start one more buildkitd that builds PLATFORM only, appended to the
#                                     builder NAME as its own node (one node per platform, as with native
#                                     arm64 machines)
#   scripts/builder.sh builds NODE    the builds NODE has run, one ref per line (its build history; a
#                                     build answered from cache is listed too)
#   scripts/builder.sh stop           stop the buildkitd processes this script started
#   scripts/builder.sh status
#
# Needs root (buildkitd runs containers with runc). arm64 steps run under QEMU when binfmt_misc has an
# aarch64 entry with the F flag (scripts/e2e-env.sh sets one up).
#
# Environment knobs: PULUMI_ENGINE_DIR (shared with pulumi-engine.sh), BUILDKIT_STATE (default
# /var/lib/postgres-images-buildkit), BUILDKIT_CA_CERTS (extra CA file for registries behind a proxy).
set -euo pipefail

BUILDKIT_VERSION=v0.31.0
# The buildx CLI plugin the tag and stamp steps use (`imagetools create --prefer-index=false` copies a
# single-platform manifest under a tag unchanged; Debian bookworm/trixie's buildx 0.13 cannot), the
# version pulumi-docker-build v0.0.22 embeds.
BUILDX_VERSION=v0.35.0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE_DIR=${PULUMI_ENGINE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/postgres-images/engine}
BK_BIN=$ENGINE_DIR/buildkit-$BUILDKIT_VERSION/bin
STATE=${BUILDKIT_STATE:-/var/lib/postgres-images-buildkit}
RUN=/run/postgres-images-buildkit
LOG_TAG=builder
# shellcheck source=lib/go-build.sh
source "$ROOT/scripts/lib/go-build.sh"

cmd_install() {
  stamped "$BK_BIN/buildkitd" "$BUILDKIT_VERSION" ||
    go_build buildkitd github.com/moby/buildkit "$BUILDKIT_VERSION" github.com/moby/buildkit/cmd/buildkitd "$BK_BIN/buildkitd" \
      "-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION"
  stamped "$BK_BIN/buildctl" "$BUILDKIT_VERSION" ||
    go_build buildctl github.com/moby/buildkit "$BUILDKIT_VERSION" github.com/moby/buildkit/cmd/buildctl "$BK_BIN/buildctl" \
      "-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION"
  local plugin=$ENGINE_DIR/buildx-$BUILDX_VERSION/docker-buildx
  stamped "$plugin" "$BUILDX_VERSION" ||
    go_build buildx github.com/docker/buildx "$BUILDX_VERSION" github.com/docker/buildx/cmd/buildx "$plugin" \
      "-X github.com/docker/buildx/version.Version=$BUILDX_VERSION"
  # The docker CLI looks in ~/.docker/cli-plugins before the system's plugin folders.
  mkdir -p "$HOME/.docker/cli-plugins"
  ln -sfn "$plugin" "$HOME/.docker/cli-plugins/docker-buildx"
  if ! command -v runc >/dev/null; then
    log "installing Debian's runc"
    apt-get install -y -q --no-install-recommends runc >&2 || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends runc >&2; } ||
      die "cannot install runc (apt-get install runc)"
  fi
}

sock_of() { echo "$RUN/$1.sock"; }

alive() { # node name -> 0 if our buildkitd for it answers
  local pid_file=$RUN/$1.pid
  [[ -s $pid_file ]] && kill -0 "$(<"$pid_file")" 2>/dev/null &&
    "$BK_BIN/buildctl" --addr "unix://$(sock_of "$1")" debug workers >/dev/null 2>&1
}

# Starts a buildkitd for one node. PLATFORMS limits what its worker builds ("" = what the host can run).
start_buildkitd() { # node platforms
  local node=$1 platforms=$2
  if alive "$node"; then log "buildkitd $node already running"; return 0; fi
  [[ $(id -u) == 0 ]] || die "buildkitd needs root (it runs build steps with runc)"
  mkdir -p "$RUN" "$STATE/$node" "$ENGINE_DIR/logs"
  local config=$STATE/$node/buildkitd.toml
  {
    echo "root = \"$STATE/$node/root\""
    echo "[worker.oci]"
    echo "  enabled = true"
    echo "  gc = true"
    [[ -z $platforms ]] || echo "  platforms = [\"$platforms\"]"
    echo "[worker.containerd]"
    echo "  enabled = false"
    # localhost registries over plain HTTP (the local OCI registry of the dev stack and the test tier).
    echo "[registry.\"localhost:5000\"]"
    echo "  http = true"
    if [[ -n ${BUILDKIT_CA_CERTS:-} ]]; then
      echo "[registry.\"docker.io\"]"
      echo "  ca = [\"$BUILDKIT_CA_CERTS\"]"
    fi
  } >"$config"
  local logf=$ENGINE_DIR/logs/buildkitd-$node.log
  rm -f "$(sock_of "$node")"
  # A one-platform node stands for a native machine without QEMU. BuildKit adds every platform the host
  # can emulate to what a worker advertises (it execs a test binary per architecture from TMPDIR), and
  # buildx gives a platform to the first node advertising it, so on this one host the first node would
  # build both. A TMPDIR on a noexec mount makes those probes fail: the node advertises its configured
  # platform and the host's native one, as a native machine does; its build steps run in the snapshot
  # directories, unaffected.
  local tmp=/tmp
  if [[ -n $platforms ]]; then
    tmp=$RUN/$node.tmp
    mkdir -p "$tmp"
    mountpoint -q "$tmp" || mount -t tmpfs -o noexec,nosuid,size=64m "buildkit-$node" "$tmp" || die "cannot mount a noexec TMPDIR at $tmp"
  fi
  (cd / && TMPDIR=$tmp exec setsid "$BK_BIN/buildkitd" --config "$config" --addr "unix://$(sock_of "$node")") >>"$logf" 2>&1 </dev/null &
  echo $! >"$RUN/$node.pid"
  local _; for _ in $(seq 1 100); do alive "$node" && break; sleep 0.2; done
  alive "$node" || { tail -n 20 "$logf" >&2; die "buildkitd $node did not start, see $logf"; }
  log "buildkitd $node running (pid $(<"$RUN/$node.pid"), unix://$(sock_of "$node"))"
}

# The named buildx builder with this node; re-created only when missing or pointing elsewhere.
buildx_node() { # builder node platforms append
  local builder=$1 node=$2 platforms=$3 append=$4 endpoint
  endpoint="unix://$(sock_of "$node")"
  docker buildx version >/dev/null 2>&1 || die "docker buildx is not installed (scripts/e2e-env.sh up installs it)"
  if docker buildx inspect "$builder" 2>/dev/null | grep -q "$endpoint"; then return 0; fi
  local args=(--name "$builder" --driver remote --node "$node")
  [[ -z $platforms ]] || args+=(--platform "$platforms")
  [[ $append == 1 ]] && args+=(--append)
  docker buildx create "${args[@]}" "$endpoint" >/dev/null || die "docker buildx create ${args[*]} $endpoint failed"
  log "buildx builder $builder: node $node at $endpoint${platforms:+ ($platforms)}"
}

cmd_up() {
  local builder=${1:-postgres-images}
  cmd_install
  start_buildkitd "$builder" ""
  buildx_node "$builder" "$builder" "" 0
  docker buildx inspect --bootstrap "$builder" >/dev/null || die "buildx cannot reach builder $builder"
}

cmd_node() {
  local builder=$1 platform=$2 node
  node="$builder-${platform//\//-}"
  cmd_install
  start_buildkitd "$node" "$platform"
  if docker buildx inspect "$builder" >/dev/null 2>&1; then buildx_node "$builder" "$node" "$platform" 1
  else buildx_node "$builder" "$node" "$platform" 0; fi
}

cmd_stop() {
  local f
  for f in "$RUN"/*.pid; do
    [[ -e $f ]] || continue
    local pid; pid=$(<"$f")
    kill -TERM "$pid" 2>/dev/null && log "stopped buildkitd $(basename "$f" .pid) (pid $pid)"
    rm -f "$f"
    local tmp=${f%.pid}.tmp
    if mountpoint -q "$tmp" 2>/dev/null; then umount -l "$tmp" || true; fi
  done
}

cmd_builds() { # node -> the refs of the solves in its build history (cached ones included)
  alive "$1" || die "buildkitd $1 is not running"
  "$BK_BIN/buildctl" --addr "unix://$(sock_of "$1")" debug histories --format '{{.Record.Ref}}' || die "cannot read the build history of $1"
}

cmd_status() {
  echo "buildkitd : $(cat "$BK_BIN/buildkitd.version" 2>/dev/null || echo 'not built') ($BK_BIN)"
  local f; for f in "$RUN"/*.pid; do [[ -e $f ]] && echo "node $(basename "$f" .pid): pid $(<"$f")"; done
  docker buildx ls 2>/dev/null || true
}

case ${1:-} in
  install) cmd_install ;;
  up) cmd_up "${2:-}" ;;
  node) [[ $# == 3 ]] || { echo "usage: $0 node BUILDER PLATFORM" >&2; exit 2; }; cmd_node "$2" "$3" ;;
  builds) [[ $# == 2 ]] || { echo "usage: $0 builds NODE" >&2; exit 2; }; cmd_builds "$2" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|up [NAME]|node BUILDER PLATFORM|builds NODE|stop|status" >&2; exit 2 ;;
esac
