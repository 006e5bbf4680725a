#!/usr/bin/env bash
# up.sh - the main job: a real `pulumi up --yes` of a local stack (default dev), then the pushed images.
#
#   npm run up [-- --stack NAME]      (npm ci builds dist/ first)
#
# 1. A registry on localhost:5000 unless one answers there; left running so the images can be pulled.
# 2. The builder named by the stack's `builder` key (postgres-images): a BuildKit on the host that
#    reaches localhost:5000 (scripts/builder.sh), or on a laptop with Docker a docker-container builder
#    on the host network, as upstream's BUILD.md does.
# 3. The engine (scripts/pulumi-engine.sh env: the CLI and plugins, a file backend in .pulumi-state).
# 4. `pulumi up` through the Automation API (dist/engine/up.js).
#
# Where Docker Hub cannot be reached (these build machines), the base is made locally as the test tier
# makes it (scripts/e2e-env.sh: Debian's archive, mmdebstrap, a local registry and Docker engine; needs
# root), and PostgreSQL is installed from the base's Debian archive. POSTGRES_IMAGES_LOCAL_BASE=1 or =0
# forces either way.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILDER=postgres-images
log() { printf '[up %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -f $ROOT/dist/engine/up.js ]] || die "dist/engine/up.js is missing: run npm ci (or npm run build) first"

local_base=${POSTGRES_IMAGES_LOCAL_BASE:-}
if [[ -z $local_base ]]; then
  # Docker Hub's registry answers 401 to an anonymous /v2/ when it can be reached at all.
  if curl -s -m 8 -o /dev/null -w '%{http_code}' https://registry-1.docker.io/v2/ 2>/dev/null | grep -q '^401$'; then local_base=0; else local_base=1; fi
fi

args=("$@")
if [[ $local_base == 1 ]]; then
  log "Docker Hub cannot be reached: making the base locally (scripts/e2e-env.sh up) and installing PostgreSQL from Debian"
  bash "$ROOT/scripts/e2e-env.sh" up >/dev/null
  base=$(bash "$ROOT/scripts/e2e-env.sh" base-ref)
  bash "$ROOT/scripts/builder.sh" up "$BUILDER"
  args+=(--local-base "$base")
else
  { command -v docker >/dev/null && docker info >/dev/null 2>&1; } || die "Docker is not running; start it (the builder and the registry run in Docker)"
  if ! curl -fs -m 5 -o /dev/null http://localhost:5000/v2/; then
    log "starting a registry on localhost:5000 (container postgres-images-registry)"
    docker run -d --restart=unless-stopped -p 127.0.0.1:5000:5000 --name postgres-images-registry registry:2 >/dev/null
  fi
  if ! docker buildx inspect "$BUILDER" >/dev/null 2>&1; then
    log "creating the buildx builder $BUILDER (docker-container, host network, so it reaches localhost:5000)"
    docker buildx create --name "$BUILDER" --driver docker-container --driver-opt network=host >/dev/null
  fi
  docker buildx inspect --bootstrap "$BUILDER" >/dev/null
fi
# A larger young generation: fewer collections while the program registers resources (engine/workspace.ts PROGRAM_NODE_ARGS).
exec node --max-semi-space-size=64 "$ROOT/dist/engine/up.js" "${args[@]}"
