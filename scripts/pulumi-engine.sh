#!/usr/bin/env bash
# pulumi-engine.sh - the real Pulumi engine for this project, compiled from Go modules once per machine (no
# Pulumi download server is needed): the `pulumi` CLI, the docker-build provider plugin and the plugin that
# serves the Node.js SDK's dynamic providers, and a shell environment that uses them with a local file
# backend.
#
#   scripts/pulumi-engine.sh install   build what is missing (seconds when everything is built), install the
#                                      docker-build plugin into PULUMI_HOME
#   scripts/pulumi-engine.sh env       print `export` lines: eval "$(bash scripts/pulumi-engine.sh env)"
#                                      (installs first when needed)
#   scripts/pulumi-engine.sh status    what is installed where
#
# Not built here, because the Go module proxy these machines reach refuses them (403 for every version
# tried; docs/engine-notes.md): the Node.js language host `pulumi-language-nodejs` and the command provider.
# Without the language host the CLI cannot start a Node.js program itself, so the project runs its program
# through the Automation API (an inline program the CLI connects to: `npm run up`, the test tier); the
# build steps are a dynamic provider of the project's own (resources/step.ts), not @pulumi/command.
# Where a `pulumi` with its language host is installed (a user's laptop), `pulumi preview`/`up` run the
# project directly, and that CLI is used.
#
# Environment knobs:
#   PULUMI_ENGINE_DIR   where the binaries go (default ${XDG_CACHE_HOME:-$HOME/.cache}/postgres-images/engine)
#   PULUMI_HOME         the CLI's home, plugins land in $PULUMI_HOME/plugins (default $HOME/.pulumi)
#   PULUMI_BACKEND_URL  kept when set; otherwise file://<project>/.pulumi-state (git-ignored)
#   PULUMI_CONFIG_PASSPHRASE  kept when set; otherwise the local stacks' passphrase (below)
#   PULUMI_ENGINE_FROM_SOURCE=1  build here even when a suitable pulumi is on PATH
set -euo pipefail

# --- pinned versions (keep in step with package-lock.json's @pulumi/* packages) -------------------------
PULUMI_VERSION=v3.274.1
DOCKER_BUILD_VERSION=v0.0.22
# docker-build imports two SDK generators (pulumi-java, pulumi-language-dotnet) only to describe its
# schema's Java and .NET sections; the Go module proxy here serves neither at a version it can verify,
# so the build replaces them with stand-ins for the one type each (scripts/engine/go-shims). Nothing the
# provider does at run time uses them.
CLIPBOARD_REPLACE="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"
# The passphrase of this project's local stacks (file backend): they hold no secret of value (dev, e2e);
# a real stack sets PULUMI_CONFIG_PASSPHRASE or uses Pulumi Cloud.
LOCAL_PASSPHRASE=postgres-images-local

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE_DIR=${PULUMI_ENGINE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/postgres-images/engine}
BIN=$ENGINE_DIR/pulumi-$PULUMI_VERSION/bin
PLUGIN_BIN=$ENGINE_DIR/plugins
HOME_DIR=${PULUMI_HOME:-$HOME/.pulumi}

LOG_TAG=pulumi-engine
# shellcheck source=lib/go-build.sh
source "$ROOT/scripts/lib/go-build.sh"

build_cli() {
  # The new binary is asked its version once, after its build; asking again on every `env` cost 0.3 s of each run.
  stamped "$BIN/pulumi" "$PULUMI_VERSION" && return 0
  go_build pulumi github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$BIN/pulumi" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" "$CLIPBOARD_REPLACE"
  local got; got=$("$BIN/pulumi" version 2>&1) || got="nothing ($got)"
  [[ $got == "$PULUMI_VERSION" ]] || { rm -f "$BIN/pulumi.version"; die "the pulumi built at $BIN/pulumi reports $got, not $PULUMI_VERSION"; }
}

# pulumi-resource-pulumi-nodejs: the plugin that serves the Node.js SDK's dynamic providers (the
# program's build steps, resources/step.ts). Pulumi ships it as a four-line script in sdk/nodejs/dist;
# it is taken from the sdk/v3 module of the same version.
install_dynamic_provider() {
  local out=$BIN/pulumi-resource-pulumi-nodejs src
  stamped "$out" "$PULUMI_VERSION" && return 0
  src=$(cd "$ENGINE_DIR" && GOFLAGS=-mod=mod go mod download -json "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -f $src/nodejs/dist/pulumi-resource-pulumi-nodejs ]] || die "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION has no nodejs/dist/pulumi-resource-pulumi-nodejs"
  install -m 0755 "$src/nodejs/dist/pulumi-resource-pulumi-nodejs" "$out"
  echo "$PULUMI_VERSION" >"$out.version"
}

build_docker_build() {
  local out=$PLUGIN_BIN/docker-build-$DOCKER_BUILD_VERSION/pulumi-resource-docker-build
  stamped "$out" "$DOCKER_BUILD_VERSION" && return 0
  go_build docker-build github.com/pulumi/pulumi-docker-build "$DOCKER_BUILD_VERSION" \
    github.com/pulumi/pulumi-docker-build/provider/cmd/pulumi-resource-docker-build "$out" \
    "-X github.com/pulumi/pulumi-docker-build/provider.Version=$DOCKER_BUILD_VERSION" \
    "github.com/pulumi/pulumi-java=$ROOT/scripts/engine/go-shims/pulumi-java" \
    "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3=$ROOT/scripts/engine/go-shims/pulumi-language-dotnet"
}

# Installs a locally built provider into PULUMI_HOME (no download), unless that version is there already.
# The installed copy is stamped with the built binary's size, change time and inode (as make would compare
# it): hashing its 80 MB took 0.5 s of every run, and a rebuild changes all three.
install_plugin() { # name version binary
  local name=$1 version=${2#v} binary=$3 dir=$HOME_DIR/plugins/resource-$1-v${2#v} id
  id=$(stat -c '%s %Z %i' "$binary")
  if [[ -x $dir/pulumi-resource-$name && -f $dir/.postgres-images && $(<"$dir/.postgres-images") == "$id" ]]; then return 0; fi
  PULUMI_HOME=$HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true "$PULUMI" plugin install resource "$name" "$version" --file "$binary" --reinstall >&2 \
    || die "pulumi plugin install resource $name $version --file $binary failed"
  printf '%s\n' "$id" >"$dir/.postgres-images"
}

# A Pulumi installed the usual way (a user's laptop): v3 at least as new as the SDK in package-lock.json,
# with its Node.js language host. It downloads its own plugins, so nothing is built.
ambient_pulumi() {
  [[ ${PULUMI_ENGINE_FROM_SOURCE:-0} == 1 ]] && return 1
  local p v minor; p=$(command -v pulumi 2>/dev/null) || return 1
  [[ $p == "$BIN/pulumi" ]] && return 1
  v=$("$p" version 2>/dev/null) || return 1
  [[ $v =~ ^v3\.([0-9]+)\. ]] || { log "ignoring $p: it reports version ${v:-nothing}, not v3.x"; return 1; }
  minor=${BASH_REMATCH[1]}
  ((minor >= 270)) || { log "ignoring $p ($v): older than the @pulumi/pulumi SDK this project uses (3.270)"; return 1; }
  [[ -x $(dirname "$p")/pulumi-language-nodejs ]] || command -v pulumi-language-nodejs >/dev/null ||
    { log "ignoring $p: no pulumi-language-nodejs beside it or on PATH"; return 1; }
  echo "$p"
}

cmd_install() {
  local t0=$SECONDS
  if PULUMI=$(ambient_pulumi); then
    AMBIENT=1
    log "using $PULUMI ($("$PULUMI" version)) found on PATH; it downloads its plugins itself"
    return 0
  fi
  AMBIENT=0
  build_cli
  install_dynamic_provider
  build_docker_build
  PULUMI=$BIN/pulumi
  mkdir -p "$HOME_DIR"
  install_plugin docker-build "$DOCKER_BUILD_VERSION" "$PLUGIN_BIN/docker-build-$DOCKER_BUILD_VERSION/pulumi-resource-docker-build"
  # `env` runs before every command that uses the engine: it only speaks when it had work to do.
  [[ ${1:-} == quiet && -z ${GO_BUILT:-} ]] || log "engine ready in $((SECONDS - t0)) s: $PULUMI"
}

cmd_env() {
  cmd_install quiet >&2
  local backend=${PULUMI_BACKEND_URL:-file://$ROOT/.pulumi-state}
  if [[ $backend == file://* ]]; then mkdir -p "${backend#file://}"; fi
  # shellcheck disable=SC2016 # $PATH is expanded where the line is evaluated
  printf 'export PATH=%q:"$PATH"\n' "$(dirname "$PULUMI")"
  printf 'export PULUMI_HOME=%q\n' "$HOME_DIR"
  printf 'export PULUMI_BACKEND_URL=%q\n' "$backend"
  if [[ -z ${PULUMI_CONFIG_PASSPHRASE+x} && -z ${PULUMI_CONFIG_PASSPHRASE_FILE:-} ]]; then
    printf 'export PULUMI_CONFIG_PASSPHRASE=%q\n' "$LOCAL_PASSPHRASE"
  fi
  printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
  if ((AMBIENT == 0)); then
    # The CLI built here finds every plugin it needs locally and must not try to download one.
    printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
    printf 'export PULUMI_DISABLE_REGISTRY_RESOLVE=true\n'
    printf 'export PULUMI_IGNORE_AMBIENT_PLUGINS=true\n'
  fi
}

cmd_status() {
  echo "engine dir : $ENGINE_DIR"
  echo "pulumi     : $(cat "$BIN/pulumi.version" 2>/dev/null || echo 'not built') ($BIN/pulumi)"
  echo "plugins    : $(find "$HOME_DIR/plugins" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null | sort)"
}

case ${1:-} in
  install) cmd_install ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|env|status" >&2; exit 2 ;;
esac
