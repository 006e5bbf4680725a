#!/usr/bin/env bash
# archive-pg-version.sh BASE MAJOR - the PostgreSQL MAJOR.MINOR that BASE's own Debian archive installs as
# postgresql-MAJOR (`apt-cache policy` inside the base), e.g. 17.12 for 17.12-0+deb13u1. A build with
# PG_PACKAGES=debian installs exactly that, so a stack built that way must name it (npm run up writes it
# into the stack it deploys; the test tier builds it). Needs Docker and the base's archive (plain http).
set -euo pipefail
die() { echo "archive-pg-version: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: $0 BASE MAJOR"
base=$1 major=$2
[[ $major =~ ^[0-9]+$ ]] || die "MAJOR must be a number such as 17, got '$major'"
[[ $base =~ ^[a-z0-9][a-z0-9._:/-]*(@sha256:[0-9a-f]{64})?$ ]] || die "BASE must be an image reference, got '$base'"
# The version is passed out through stdout only; apt's own chatter goes to stderr.
candidate=$(docker run --rm --user 0 --entrypoint sh "$base" -c \
  'apt-get update -qq >&2 && apt-cache policy "postgresql-$1" | sed -n "s/^  Candidate: //p"' sh "$major") \
  || die "cannot ask the archive of $base (docker run failed)"
[[ -n $candidate && $candidate != "(none)" ]] || die "the archive of $base has no postgresql-$major"
version=${candidate%%-*}
# 17.12 (a stable release); Debian's pre-releases (19~beta3) are kept as written.
[[ $version =~ ^${major}(\.[0-9]+|~(alpha|beta|rc)[0-9]+)$ ]] || die "postgresql-$major $candidate is not a version of major $major"
printf '%s\n' "$version"
