#!/usr/bin/env bash
# e2e-env.sh - the real-tools test tier's machine: a Docker engine with the containerd image store, a local
# OCI registry, arm64 emulation and a local Debian base image, on Debian 12 (bookworm) amd64, as root,
# without systemd and without Docker Hub. Only Debian's archive is needed.
#
#   scripts/e2e-env.sh [up]     install what is missing, start what is not running, build+push the base image
#   scripts/e2e-env.sh status   versions, pids and the base digest
#   scripts/e2e-env.sh stop     stop only what this script started (pid files in /run/postgres-images-e2e)
#   scripts/e2e-env.sh base-ref print the pinned base, localhost:5000/debian:trixie-slim@sha256:..., and
#                               nothing else; exits non-zero (message on stderr) when the registry does not
#                               serve it
#
# What "up" does (idempotent; every step is skipped when already done):
#   1. docker.io 26.1 + containerd 1.7 + docker-cli + docker-buildx + cosign from Debian 13 (trixie), fetched
#      with a separate apt configuration (the host's apt sources are not changed); dockerd runs with the
#      containerd image store ("containerd-snapshotter") so the default "docker" buildx driver can build
#      multi-platform images with attestations.
#   2. bookworm's docker-registry (distribution 2.8) on 127.0.0.1:5000 with its own config file.
#   3. qemu-user (bookworm-backports, same separate-config trick) registered by hand in binfmt_misc with
#      the F (fix-binary) flag, so arm64 RUN steps work inside build containers.
#   4. trixie root filesystems for amd64 and arm64 made with mmdebstrap, turned into ONE multi-platform
#      OCI index localhost:5000/debian:trixie-slim with a fixed SOURCE_DATE_EPOCH.
#
# Daemons already running (without our pid file) are reused and never stopped. Every failure ends in a
# clear "ERROR:" line and a non-zero exit: the test tier must fail loudly, never pass on an empty setup.
#
# Environment knobs:
#   E2E_STATE_DIR        apt configs, .debs, rootfs tarballs, registry data (default /var/lib/postgres-images-e2e)
#   SOURCE_DATE_EPOCH    timestamp baked into the base image (default 1735689600 = 2025-01-01T00:00:00Z)
#   E2E_REBUILD_ROOTFS=1 re-run mmdebstrap even if tarballs for the same settings exist (picks up updates)
#   E2E_REINSTALL=1      re-download and re-install the packages even if they are installed
#   E2E_MIRROR, E2E_SECURITY_MIRROR  Debian archive URLs (default: taken from the host's apt sources)
set -euo pipefail
umask 022
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

STATE=${E2E_STATE_DIR:-/var/lib/postgres-images-e2e}
RUN=/run/postgres-images-e2e
LOG=/var/log/postgres-images-e2e
ETC=/etc/postgres-images-e2e
SDE=${SOURCE_DATE_EPOCH:-1735689600}
SUITE=trixie
REGISTRY_ADDR=127.0.0.1:5000
BASE_REPO=debian
BASE_TAG=${SUITE}-slim
BASE_REF=localhost:5000/$BASE_REPO:$BASE_TAG
BINFMT=/proc/sys/fs/binfmt_misc
CONTAINERD_SOCK=/run/containerd/containerd.sock
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

TRIXIE_PKGS=(docker.io containerd docker-cli docker-buildx cosign)
BPO_PKGS=(qemu-user qemu-user-binfmt qemu-user-static)
# The shell linter: npm test checks every script with it (test/unit/step-scripts.test.ts).
HOST_PKGS=(docker-registry mmdebstrap arch-test shellcheck)
CONFLICTING_PKGS=(docker-ce docker-ce-cli containerd.io podman-docker moby-engine)
# command -> package that provides it; checked after the install step so a missing tool stops us at once
declare -A TOOL_PKG=([dockerd]=docker.io [containerd]=containerd [ctr]=containerd [runc]=runc
  [docker]="docker-cli (or any docker client)" [cosign]=cosign [docker-registry]=docker-registry
  [mmdebstrap]=mmdebstrap [arch-test]=arch-test [qemu-aarch64]=qemu-user [shellcheck]=shellcheck)

# pid-file name -> the binary that process must be running (guards against stale pid files and pid reuse)
declare -A EXE=([containerd]=/usr/bin/containerd [dockerd]=/usr/sbin/dockerd [registry]=/usr/bin/docker-registry)

log() { printf '[e2e-env %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
declare -a TIMINGS=()
T0=$EPOCHREALTIME
phase_start() { PHASE=$1; PHASE_T=$EPOCHREALTIME; log "== $1"; }
secs_since() { local us=$(( ${EPOCHREALTIME/./} - ${1/./} )); printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10)); }
phase_end() { TIMINGS+=("$(printf '%-30s %7ss' "$PHASE" "$(secs_since "$PHASE_T")")"); }

# python3 and curl are the only things this script needs besides coreutils/util-linux (no jq).
PYTHON=$(command -v /usr/bin/python3 || command -v python3 || true)
need_base_tools() {
  local t missing=()
  [[ -n $PYTHON ]] || missing+=(python3)
  for t in curl flock setsid setpriv sha256sum mount; do command -v "$t" >/dev/null || missing+=("$t"); done
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (apt-get install python3 curl util-linux coreutils mount)"
}

# Debian archive addresses come from the host's own apt configuration (deb822 or one-line format)
host_uris() {
  { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
    grep -hsE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*//' || true
  } | tr ' ' '\n' | sed '/^$/d; s:/*$::'
}
find_mirrors() {
  local uris; uris=$(host_uris)
  MIRROR=${E2E_MIRROR:-$(awk '/\/debian$/ {print; exit}' <<<"$uris")}
  SECURITY_MIRROR=${E2E_SECURITY_MIRROR:-$(awk '/\/debian-security$/ {print; exit}' <<<"$uris")}
  MIRROR=${MIRROR%/}; SECURITY_MIRROR=${SECURITY_MIRROR%/}
  [[ -n $MIRROR && -n $SECURITY_MIRROR ]] \
    || die "cannot find Debian's archive in the host's apt sources; set E2E_MIRROR and E2E_SECURITY_MIRROR"
}

# ---------------------------------------------------------------------------------------------- helpers
pid_of() { # name -> prints the pid if the pid file names a live process running the expected binary
  local f=$RUN/$1.pid pid exe
  [[ -s $f ]] || return 1
  pid=$(<"$f"); [[ $pid =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ ${exe% (deleted)} == "${EXE[$1]}" ]] || return 1
  echo "$pid"
}

start_daemon() { # name logfile cmd... : detached (own session), pid written by the process itself via exec
  local name=$1 logfile=$2; shift 2
  rm -f "$RUN/$name.pid"
  # shellcheck disable=SC2016 # expanded by the inner bash
  (cd / && exec setsid bash -c 'echo $$ > "$0"; exec "$@"' "$RUN/$name.pid" "$@") >>"$logfile" 2>&1 </dev/null 9>&- &
  local _
  for _ in $(seq 1 50); do pid_of "$name" >/dev/null && return 0; sleep 0.1; done
  die "$name did not start, see $logfile"
}

stop_daemon() { # name : TERM (then KILL after 30 s) only if the pid file is ours and alive
  local name=$1 pid _
  if ! pid=$(pid_of "$name"); then
    [[ -e $RUN/$name.pid ]] && { log "$name: stale pid file removed"; rm -f "$RUN/$name.pid"; }
    log "$name: not running from this script, nothing to stop"; return 0
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid"
  for _ in $(seq 1 300); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
  if [[ -d /proc/$pid ]]; then log "$name: still alive after 30 s, sending KILL"; kill -KILL "$pid"; sleep 1; fi
  rm -f "$RUN/$name.pid"
}

aptx() { # config-name apt-get-args... : apt-get with a private source list, lists dir and no shared caches
  local d=$STATE/apt/$1; shift
  apt-get -o Dir::Etc::SourceList="$d/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$d/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    -o APT::Sandbox::User=root "$@"
}

apt_config() { # name "deb line"...
  local d=$STATE/apt/$1
  mkdir -p "$d/etc" "$d/lists/partial"
  printf '%s\n' "${@:2}" >"$d/etc/sources.list"
}

fetch_debs() { # config-name pkgs... -> $STATE/debs/<config-name>/*.deb
  local name=$1; shift
  local d=$STATE/debs/$name
  mkdir -p "$d"; rm -f "$d"/*.deb
  aptx "$name" -q update >>"$LOG/apt-fetch.log" 2>&1 || die "apt-get update for $name failed, see $LOG/apt-fetch.log"
  (cd "$d" && aptx "$name" -q download "$@" >>"$LOG/apt-fetch.log" 2>&1) \
    || die "cannot download ${*} from $name, see $LOG/apt-fetch.log"
  compgen -G "$d/*.deb" >/dev/null || die "no .deb downloaded from $name"
}

containerd_up() { [[ -S $CONTAINERD_SOCK ]] && ctr --address "$CONTAINERD_SOCK" --connect-timeout 2s version >/dev/null 2>&1; }

installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

json_get() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$@"; }

registry_up() { curl -fsS --max-time 5 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }

check_tools() { # every tool the tier needs must be there after the install step
  local t missing=()
  for t in "${!TOOL_PKG[@]}"; do command -v "$t" >/dev/null || missing+=("$t (package ${TOOL_PKG[$t]})"); done
  docker buildx version >/dev/null 2>&1 || missing+=("docker buildx plugin (package docker-buildx)")
  ((${#missing[@]} == 0)) || die "tools missing after the install step: ${missing[*]}; see $LOG/apt-install.log"
}

# ---------------------------------------------------------------------------------------------- steps
step_packages() {
  phase_start "1a packages (fetch+install)"
  local p missing=()
  for p in "${TRIXIE_PKGS[@]}" "${BPO_PKGS[@]}" "${HOST_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
  if [[ ${#missing[@]} -eq 0 && ${E2E_REINSTALL:-0} != 1 ]]; then
    log "all packages already installed"; check_tools; phase_end; return 0
  fi
  log "missing: ${missing[*]:-none (reinstall requested)}"
  for p in "${CONFLICTING_PKGS[@]}"; do installed "$p" && die "$p is installed; it conflicts with Debian's docker.io/containerd"; done
  [[ -r $KEYRING ]] || die "$KEYRING missing (apt-get install debian-archive-keyring)"
  apt_config trixie "deb [signed-by=$KEYRING] $MIRROR trixie main" \
    "deb [signed-by=$KEYRING] $MIRROR trixie-updates main" "deb [signed-by=$KEYRING] $SECURITY_MIRROR trixie-security main"
  apt_config bookworm-backports "deb [signed-by=$KEYRING] $MIRROR bookworm-backports main"
  fetch_debs trixie "${TRIXIE_PKGS[@]}"
  fetch_debs bookworm-backports "${BPO_PKGS[@]}"
  # Package scripts must not start services (no systemd here; we start the daemons ourselves below).
  local own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  dpkg-query -W -f='${Package}\n' | sort >"$STATE/pkgs.before"
  local args=(-y -q --no-install-recommends --no-remove "$STATE"/debs/trixie/*.deb "$STATE"/debs/bookworm-backports/*.deb "${HOST_PKGS[@]}")
  [[ ${E2E_REINSTALL:-0} == 1 ]] && args+=(--reinstall)
  if ! apt-get install "${args[@]}" >"$LOG/apt-install.log" 2>&1; then
    log "apt-get install failed; refreshing the host's package lists once and retrying"
    apt-get -q update >>"$LOG/apt-install.log" 2>&1 || true
    apt-get install "${args[@]}" >>"$LOG/apt-install.log" 2>&1 || { ((own_policy)) && rm -f /usr/sbin/policy-rc.d; die "apt-get install failed, see $LOG/apt-install.log"; }
  fi
  ((own_policy)) && rm -f /usr/sbin/policy-rc.d
  dpkg-query -W -f='${Package}\n' | sort >"$STATE/pkgs.after"
  {
    echo "# .debs fetched with the separate apt configurations:"
    (cd "$STATE/debs" && ls -1 trixie/*.deb bookworm-backports/*.deb)
    echo "# packages newly installed by this run (incl. dependencies from the host's bookworm sources):"
    comm -13 "$STATE/pkgs.before" "$STATE/pkgs.after" | while read -r p; do dpkg-query -W -f='${Package} ${Version}\n' "$p"; done
  } >"$STATE/installed-debs.txt"
  log "installed; list in $STATE/installed-debs.txt"
  check_tools
  phase_end
}

step_docker() {
  phase_start "1b containerd + dockerd"
  mkdir -p /etc/docker
  # Merge {"features":{"containerd-snapshotter":true}} into daemon.json (exit 10 = file changed).
  local changed=0 rc=0 pid
  "$PYTHON" - /etc/docker/daemon.json <<'PY' || rc=$?
import json, os, sys
p = sys.argv[1]
d = json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) > 0 else {}
if d.get("features", {}).get("containerd-snapshotter") is True:
    sys.exit(0)
d.setdefault("features", {})["containerd-snapshotter"] = True
with open(p + ".tmp", "w") as f:
    json.dump(d, f, indent=2); f.write("\n")
os.replace(p + ".tmp", p)
sys.exit(10)
PY
  case $rc in 0) ;; 10) changed=1 ;; *) die "cannot update /etc/docker/daemon.json" ;; esac
  if ((changed)); then
    log "/etc/docker/daemon.json now enables the containerd image store"
    if pid_of dockerd >/dev/null; then log "restarting our dockerd to apply it"; stop_daemon dockerd; fi
  fi

  if pid=$(pid_of containerd); then log "containerd already running (ours, pid $pid)"
  elif containerd_up; then log "using a containerd this script did not start"
  else
    [[ -e /etc/containerd/config.toml ]] || die "/etc/containerd/config.toml missing (package containerd)"
    start_daemon containerd "$LOG/containerd.log" /usr/bin/containerd --config /etc/containerd/config.toml
    local _; for _ in $(seq 1 100); do containerd_up && break; sleep 0.2; done
    containerd_up || die "containerd not answering, see $LOG/containerd.log"
    log "containerd started, pid $(pid_of containerd)"
  fi

  if pid=$(pid_of dockerd); then log "dockerd already running (ours, pid $pid)"
  elif docker info >/dev/null 2>&1; then log "using a dockerd this script did not start"
  else
    rm -f "$RUN/dockerd.pid"
    # dockerd writes its own pid file; started detached like containerd.
    (cd / && exec setsid /usr/sbin/dockerd --containerd="$CONTAINERD_SOCK" --pidfile="$RUN/dockerd.pid") \
      >>"$LOG/dockerd.log" 2>&1 </dev/null 9>&- &
    local _; for _ in $(seq 1 150); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
    docker info >/dev/null 2>&1 || die "dockerd not answering, see $LOG/dockerd.log"
    log "dockerd started, pid $(pid_of dockerd || echo '?')"
  fi
  [[ $(docker info -f '{{json .DriverStatus}}') == *io.containerd.snapshotter.v1* ]] \
    || die "the running dockerd does not use the containerd image store (set features.containerd-snapshotter and restart it)"
  docker buildx inspect default >/dev/null 2>&1 || die "buildx cannot use the 'default' builder"
  phase_end
}

step_registry() {
  phase_start "2 registry"
  mkdir -p "$ETC" "$STATE/registry"
  cat >"$ETC/registry.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $STATE/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  local pid
  if pid=$(pid_of registry); then log "registry already running (ours, pid $pid)"
  elif registry_up; then log "using a registry on $REGISTRY_ADDR this script did not start"
  else
    local user=docker-registry
    getent passwd "$user" >/dev/null || user=root
    chown -R "$user:" "$STATE/registry"
    start_daemon registry "$LOG/registry.log" setpriv --reuid="$user" --regid="$user" --init-groups \
      /usr/bin/docker-registry serve "$ETC/registry.yml"
    local _; for _ in $(seq 1 50); do registry_up && break; sleep 0.2; done
    registry_up || die "registry not answering on $REGISTRY_ADDR, see $LOG/registry.log"
    log "registry started, pid $(pid_of registry)"
  fi
  phase_end
}

step_binfmt() {
  phase_start "3 qemu binfmt (arm64)"
  if [[ ! -e $BINFMT/register ]]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT" || die "cannot mount binfmt_misc on $BINFMT"
    touch "$RUN/binfmt_misc.mounted"
  fi
  local conf=/usr/lib/binfmt.d/qemu-aarch64.conf entry=$BINFMT/qemu-aarch64
  [[ -r $conf ]] || die "$conf missing (qemu-user-binfmt not installed?)"
  local line interp flags
  line=$(sed -n '/^[^#]/{p;q}' "$conf")
  interp=$(cut -d: -f7 <<<"$line"); flags=$(cut -d: -f8 <<<"$line")
  [[ -x $interp ]] || die "qemu interpreter $interp missing (package qemu-user)"
  # F (fix-binary): the kernel opens the interpreter at registration, so it works inside containers
  # whose root filesystem has no qemu; without it arm64 RUN steps fail with "exec format error"/ENOENT.
  [[ $flags == *F* ]] || line="${line%:*}:${flags}F"
  if [[ -e $entry ]]; then
    if grep -qx enabled "$entry" && grep -q '^flags: .*F' "$entry" && grep -qx "interpreter $interp" "$entry"; then
      log "qemu-aarch64 already registered ($(grep '^flags' "$entry"))"
    elif [[ -e $RUN/binfmt-qemu-aarch64.registered ]]; then
      echo -1 >"$entry"; printf '%s' "$line" >"$BINFMT/register"; log "re-registered qemu-aarch64"
    else
      die "a qemu-aarch64 binfmt entry not made by this script exists ($(tr '\n' ' ' <"$entry")); remove it with: echo -1 > $entry"
    fi
  else
    printf '%s' "$line" >"$BINFMT/register" || die "cannot register qemu-aarch64 in $BINFMT"
    touch "$RUN/binfmt-qemu-aarch64.registered"
    log "registered qemu-aarch64: $(grep '^flags' "$entry"), $(grep '^interpreter' "$entry")"
  fi
  phase_end
}

base_stamp() { # arch -> a hash of everything that shapes the rootfs tarball
  printf '%s\n' "$SUITE" "$SDE" "$1" "${MM_OPTS[@]}" "${MM_MIRRORS[@]}" | sha256sum | cut -c1-16
}

step_base() {
  # shellcheck disable=SC2016 # the hook's $1 is mmdebstrap's
  MM_OPTS=(--mode=root --variant=minbase --format=tar --skip=output/dev
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/groff/*'
    --dpkgopt='path-exclude=/usr/share/lintian/*' --aptopt='Acquire::Languages "none"'
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"')
  MM_MIRRORS=("deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main")

  phase_start "4a rootfs (mmdebstrap x2)"
  local ctx=$STATE/base arch stamp pids=() todo=() rebuilt=0
  mkdir -p "$ctx"
  for arch in amd64 arm64; do
    stamp=$(base_stamp "$arch")
    if [[ ${E2E_REBUILD_ROOTFS:-0} != 1 && -s $ctx/rootfs-$arch.tar && $(cat "$ctx/rootfs-$arch.stamp" 2>/dev/null) == "$stamp" ]]; then
      log "rootfs-$arch.tar up to date"; continue
    fi
    todo+=("$arch")
    # Both arches in parallel; arm64 runs its maintainer scripts through qemu (binfmt, step 3).
    ( SOURCE_DATE_EPOCH=$SDE mmdebstrap --arch="$arch" "${MM_OPTS[@]}" "$SUITE" "$ctx/rootfs-$arch.tar.tmp" "${MM_MIRRORS[@]}" \
        >"$LOG/mmdebstrap-$arch.log" 2>&1 \
      && mv "$ctx/rootfs-$arch.tar.tmp" "$ctx/rootfs-$arch.tar" && echo "$stamp" >"$ctx/rootfs-$arch.stamp" ) 9>&- &
    pids+=($!)
  done
  local p failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  ((failed == 0)) || die "mmdebstrap failed, see $LOG/mmdebstrap-*.log"
  for arch in "${todo[@]}"; do
    rebuilt=1
    log "rootfs-$arch.tar: $(sha256sum <"$ctx/rootfs-$arch.tar" | cut -c1-16)…, $(du -m "$ctx/rootfs-$arch.tar" | cut -f1) MB"
  done
  phase_end

  phase_start "4b base index build+push"
  local want_digest
  want_digest=$(cat "$STATE/base-digest.txt" 2>/dev/null || true)
  if ((rebuilt == 0)) && [[ -n $want_digest ]] && base_served "$want_digest"; then
    log "$BASE_REF@$want_digest already in the registry"
  else
    cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
ARG TARGETARCH
ADD rootfs-${TARGETARCH}.tar /
CMD ["bash"]
EOF
    printf '%s\n' '*' '!Dockerfile' '!rootfs-amd64.tar' '!rootfs-arm64.tar' >"$ctx/.dockerignore"
    # No provenance on the base: it embeds build times and would make the digest differ on every build.
    # (rewrite-timestamp=true fails on this engine: "conflicts with unpack".)
    docker buildx build --builder default --progress=plain \
      --platform linux/amd64,linux/arm64 --provenance=false \
      --build-arg SOURCE_DATE_EPOCH="$SDE" \
      --label "org.opencontainers.image.title=debian" --label "org.opencontainers.image.version=$SUITE-slim" \
      --metadata-file "$ctx/metadata.json" \
      --output "type=image,name=$BASE_REF,push=true,oci-mediatypes=true" \
      "$ctx" >"$LOG/base-build.log" 2>&1 || die "base image build failed, see $LOG/base-build.log"
    local digest
    digest=$(json_get "$ctx/metadata.json" containerimage.digest) || die "no digest in $ctx/metadata.json"
    # The registry must hold exactly this OCI index with both platforms.
    base_served "$digest" || die "pushed base index is not as expected (see the message above)"
    echo "$digest" >"$STATE/base-digest.txt"
    log "pushed $BASE_REF@$digest"
  fi
  phase_end

  phase_start "4c smoke test (run both arches)"
  local a m d
  d=$(<"$STATE/base-digest.txt")
  for a in amd64 arm64; do
    m=$(docker run --rm --platform "linux/$a" "$BASE_REF@$d" uname -m) || die "cannot run the base image for linux/$a"
    log "linux/$a container says: $m"
    [[ $a == amd64 && $m == x86_64 || $a == arm64 && $m == aarch64 ]] || die "unexpected machine $m for linux/$a"
  done
  phase_end
}

base_served() { # digest -> 0 if the registry serves the base tag as exactly this 2-platform OCI index
  curl -fsS --max-time 10 -H 'Accept: application/vnd.oci.image.index.v1+json' \
      "http://$REGISTRY_ADDR/v2/$BASE_REPO/manifests/$1" 2>/dev/null | "$PYTHON" -c '
import json, sys, hashlib
raw = sys.stdin.buffer.read()
if not raw: sys.exit("registry does not serve " + sys.argv[1])
try:
    d = json.loads(raw)
    plats = sorted(m["platform"]["os"] + "/" + m["platform"]["architecture"] for m in d["manifests"])
except (ValueError, KeyError, TypeError) as e:
    sys.exit("not an image index: %r" % e)
if d.get("mediaType") != "application/vnd.oci.image.index.v1+json": sys.exit("media type %s" % d.get("mediaType"))
if plats != ["linux/amd64", "linux/arm64"]: sys.exit("platforms %s" % plats)
if "sha256:" + hashlib.sha256(raw).hexdigest() != sys.argv[1]: sys.exit("registry digest differs")
' "$1" || return 1
  # ...and the tag must point at it
  local tagged
  tagged=$(curl -fsSI --max-time 10 -H 'Accept: application/vnd.oci.image.index.v1+json' \
      "http://$REGISTRY_ADDR/v2/$BASE_REPO/manifests/$BASE_TAG" 2>/dev/null \
    | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p')
  [[ $tagged == "$1" ]]
}

summary() {
  local d pid n
  d=$(cat "$STATE/base-digest.txt" 2>/dev/null || echo "(not built yet)")
  echo
  echo "=== postgres-images e2e environment ==="
  echo "base image     : $BASE_REF@$d  (SOURCE_DATE_EPOCH=$SDE)"
  for n in containerd dockerd registry; do
    if pid=$(pid_of "$n"); then echo "$(printf '%-15s' "$n"): pid $pid (started by this script; log $LOG/$n.log)"
    else echo "$(printf '%-15s' "$n"): not started by this script"; fi
  done
  echo "registry url   : http://$REGISTRY_ADDR ($(registry_up && echo answering || echo 'NOT answering'); data in $STATE/registry)"
  echo "installed .debs: listed in $STATE/installed-debs.txt"
  echo "docker client  : $(command -v docker) $(docker version -f '{{.Client.Version}}' 2>/dev/null); plugin $(docker buildx version 2>/dev/null)"
  echo "dockerd        : $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo 'not answering'), storage driver $(docker info -f '{{.Driver}}' 2>/dev/null)"
  echo "binfmt         : $(grep '^flags' $BINFMT/qemu-aarch64 2>/dev/null || echo 'qemu-aarch64 not registered')"
  echo "packages       :"
  dpkg-query -W -f='  ${Package} ${Version}\n' "${TRIXIE_PKGS[@]}" "${BPO_PKGS[@]}" "${HOST_PKGS[@]}" runc tini iptables 2>/dev/null || true
  if [[ ${#TIMINGS[@]} -gt 0 ]]; then
    echo "timings:"; printf '  %s\n' "${TIMINGS[@]}"
    printf '  %-30s %7ss\n' "total" "$(secs_since "$T0")"
  fi
}

cmd_up() {
  [[ $(id -u) == 0 ]] || die "run as root"
  grep -q 'VERSION_CODENAME=bookworm' /etc/os-release || die "written for Debian 12 (bookworm)"
  [[ $(dpkg --print-architecture) == amd64 ]] || die "written for an amd64 host"
  need_base_tools
  find_mirrors
  step_packages
  step_docker
  step_registry
  step_binfmt
  step_base
  summary | tee "$STATE/summary.txt"
}

cmd_stop() {
  stop_daemon registry
  stop_daemon dockerd     # dockerd stops its containers on the way out
  stop_daemon containerd
  if [[ -e $RUN/binfmt-qemu-aarch64.registered ]]; then
    [[ -e $BINFMT/qemu-aarch64 ]] && echo -1 >"$BINFMT/qemu-aarch64"
    rm -f "$RUN/binfmt-qemu-aarch64.registered"; log "qemu-aarch64 binfmt entry removed"
  fi
  if [[ -e $RUN/binfmt_misc.mounted ]]; then
    local e others=0
    for e in "$BINFMT"/*; do [[ ${e##*/} == register || ${e##*/} == status ]] || others=1; done
    if ((others == 0)); then umount "$BINFMT" && log "binfmt_misc unmounted"; fi
    rm -f "$RUN/binfmt_misc.mounted"
  fi
}

cmd_base_ref() { # stdout: the pinned reference and nothing else
  local d
  d=$(cat "$STATE/base-digest.txt" 2>/dev/null) || die "no base image recorded in $STATE/base-digest.txt; run: $0 up"
  [[ $d =~ ^sha256:[0-9a-f]{64}$ ]] || die "$STATE/base-digest.txt does not hold a sha256 digest"
  [[ -n $PYTHON ]] || die "python3 missing"
  base_served "$d" || die "the registry on $REGISTRY_ADDR does not serve $BASE_REF@$d; run: $0 up"
  printf '%s@%s\n' "$BASE_REF" "$d"
}

case ${1:-up} in
  up|stop)
    mkdir -p "$STATE" "$RUN" "$LOG"
    exec 9>"$RUN/.lock"
    flock -n 9 || die "another e2e-env.sh up/stop is running"
    if [[ ${1:-up} == up ]]; then cmd_up; else cmd_stop; fi ;;
  status) summary ;;
  base-ref) cmd_base_ref ;;
  -h|--help|help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" ;;
  *) echo "usage: $0 [up|status|stop|base-ref]" >&2; exit 2 ;;
esac
