# shellcheck shell=bash
# Shared by the scripts that compile tools from Go modules (pulumi-engine.sh, builder.sh).
# Needs ENGINE_DIR (where build folders and logs go) and LOG_TAG set by the caller.

log() { printf '[%s %(%H:%M:%S)T] %s\n' "$LOG_TAG" -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A binary built here records the version it was built at in a file beside it.
stamped() { [[ -x $1 && -f $1.version && $(<"$1.version") == "$2" ]]; }

# A throwaway module that requires MODULE@VERSION and builds PACKAGE: `go install pkg@v` refuses modules
# with replace directives (pkg/v3 has them), a module of our own does not. Each REPLACE is OLD=NEW as
# `go mod edit -replace` takes it. Releases' flags: no cgo, trimmed paths, stripped.
go_build() { # name module version package output ldflags [replace...]
  local name=$1 module=$2 version=$3 package=$4 out=$5 ldflags=$6; shift 6
  local dir=$ENGINE_DIR/build/$name logf=$ENGINE_DIR/logs/$name.log t0=$SECONDS
  command -v go >/dev/null || die "go is not installed; $name is built from Go modules (Go 1.26 or later)"
  rm -rf "$dir"; mkdir -p "$dir" "$ENGINE_DIR/logs" "$(dirname "$out")"
  log "building $name ($module@$version), log in $logf"
  # `set -e` does not apply inside `( ... ) ||`: every step is chained.
  (
    cd "$dir" &&
      export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local &&
      go mod init "postgres-images.local/build/$name" &&
      for r in "$@"; do go mod edit -replace "$r" || exit 1; done &&
      go get "$module@$version" &&
      go build -trimpath -tags osusergo,grpcnotrace,netgo -ldflags "-s -w $ldflags" -o "$out.tmp" "$package" &&
      mv "$out.tmp" "$out"
  ) >"$logf" 2>&1 || { tail -n 20 "$logf" >&2; die "building $name failed, see $logf"; }
  echo "$version" >"$out.version"
  log "built $name in $((SECONDS - t0)) s"
  GO_BUILT=1 # read by the caller (pulumi-engine.sh: whether to say the engine is ready)
  export GO_BUILT
}

# `export PATH=DIR:…:"$PATH"` for each DIR not on PATH yet, nothing when none is left: a folder already on
# PATH keeps its place, so what a caller put before it (a wrapper) stays first. The `path` command of the
# scripts whose tools the engine's steps run (supply-chain.sh, scanner.sh).
# local_version DIR: the version of a Go program kept in this repository, a digest of its sources (an edit rebuilds it).
local_version() { cat "$1/go.mod" "$1/go.sum" "$1"/*.go | sha256sum | cut -c1-16; }

# go_build_local NAME DIR OUTPUT: builds the Go program in this repository's DIR into OUTPUT once per version
# (local_version). Its go.mod/go.sum pin every dependency (-mod=readonly: nothing is resolved anew); no VCS
# stamp (it sits in this repository's work tree, whose state is not its version).
go_build_local() {
  local name=$1 dir=$2 out=$3 version logf=$ENGINE_DIR/logs/$1-build.log t0=$SECONDS
  version=$(local_version "$dir")
  stamped "$out" "$version" && return 0
  command -v go >/dev/null || die "go is not installed; $name is built from Go modules (Go 1.26 or later)"
  mkdir -p "$ENGINE_DIR/logs" "$(dirname "$out")"
  log "building $name ($dir), log in $logf"
  (
    cd "$dir" &&
      GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags "-s -w" -o "$out.tmp" . &&
      mv "$out.tmp" "$out"
  ) >"$logf" 2>&1 || { tail -n 20 "$logf" >&2; die "building $name failed, see $logf"; }
  echo "$version" >"$out.version"
  log "built $name in $((SECONDS - t0)) s"
}

path_export() {
  local dirs=() d
  for d in "$@"; do [[ :$PATH: == *":$d:"* ]] || dirs+=("$d"); done
  [[ ${#dirs[@]} -gt 0 ]] || return 0
  # shellcheck disable=SC2016 # $PATH is expanded by the shell that evals these lines
  printf 'export PATH=%s:"$PATH"\n' "$(printf '%q:' "${dirs[@]}" | sed 's/:$//')"
}
