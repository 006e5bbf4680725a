# PostgreSQL images with CloudNativePG's behaviour (stages minimal, standard, system), after
# cloudnative-pg/postgres-containers' Dockerfile. No "# syntax=" line: it would fetch a frontend image.
#
# Build args:
#   BASE            Debian base image, pinned by digest (debian:trixie-slim@sha256:...)
#   PG_VERSION      17.11, or a preview in Debian's naming: 19~beta3
#   PG_MAJOR        17 (19 for 19~beta3)
#   PG_PACKAGES     pgdg (default, production: apt.postgresql.org, version pinned to PG_VERSION)
#                   debian (the base distribution's own archive, only its one PostgreSQL major at its
#                   current minor; for machines that cannot reach apt.postgresql.org; ask it with
#                   scripts/archive-pg-version.sh). Either way the build fails unless the installed
#                   PostgreSQL is PG_VERSION: a tag, a label and PG_VERSION never name another one.
#
# Every stage upgrades the base's packages (apt-get upgrade, as upstream since its #498) and fails if any
# installed package still has a newer version in its archive, so a rebuild ships the archive's fixes.
# postgresql-MAJOR and its client are held at PG_VERSION (apt-mark hold, kept in the image).
#   EXTENSIONS      Debian package names, space separated (postgresql-17-pgaudit ...), may be empty
#   STANDARD_ADDITIONAL_POSTGRES_PACKAGES  e.g. postgresql-18-jit, may be empty
#   BARMAN_VERSION  Barman release for the system stage
#   BARMAN_SOURCE   pypi (default, as upstream: barman[cloud,azure,snappy,google,zstandard,lz4] at
#                   exactly BARMAN_VERSION, with pip) or debian (Debian's barman-cli-cloud, S3 only,
#                   whatever version the archive has; for machines that cannot reach PyPI)
#
# Build secret (optional): ca-certificates, extra CA certificates (PEM) for apt (https repositories such
# as apt.postgresql.org) and pip, in every stage, for builds behind a TLS-inspecting proxy. It is mounted
# for the RUNs that fetch packages, joined with the image's own roots in a tmpfs, and handed to apt
# (APT_CONFIG) and pip (PIP_CERT) from there: neither the secret nor the bundle is written to a layer.
ARG BASE=debian:trixie-slim

# build_ca, sourced by each RUN that fetches packages: with the secret, the bundle of the image's roots and
# the extra CA in the tmpfs, and apt and pip pointed at it. A stage of its own, mounted, so no layer holds it.
FROM scratch AS build-ca
COPY <<'EOF' /helper.sh
build_ca() {
  if [ -s /run/secrets/ca-certificates ]; then
    { cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true; cat /run/secrets/ca-certificates; } > /run/build-ca/bundle.crt
    echo 'Acquire::https::CAInfo "/run/build-ca/bundle.crt";' > /run/build-ca/apt.conf
    export APT_CONFIG=/run/build-ca/apt.conf PIP_CERT=/run/build-ca/bundle.crt
  fi
}
EOF

FROM $BASE AS minimal

ARG PG_VERSION
ARG PG_MAJOR
ARG PG_PACKAGES=pgdg
ARG DEBIAN_FRONTEND=noninteractive

ENV PATH=$PATH:/usr/lib/postgresql/$PG_MAJOR/bin
ENV PGDATA=/var/lib/postgresql/data

# The postgres user is created before any package does it, with uid 26 (CloudNativePG's default
# postgres uid). Its group gets no fixed gid: gid 26 is "tape" on Debian. The slim base has no CA roots
# until ca-certificates is installed: the extra CA bundle is joined again after it is.
RUN --mount=type=secret,id=ca-certificates,required=false \
    --mount=type=tmpfs,target=/run/build-ca \
    --mount=type=bind,from=build-ca,source=/helper.sh,target=/run/build-ca-helper.sh \
    set -eu; \
    fail() { echo "ERROR: $*" >&2; exit 1; }; \
    . /run/build-ca-helper.sh; \
    build_ca; \
    case "${PG_MAJOR:-}" in ''|*[!0-9]*) fail "PG_MAJOR must be a PostgreSQL major version such as 17, got '${PG_MAJOR:-}'";; esac; \
    case "$PG_PACKAGES" in pgdg|debian) ;; *) fail "PG_PACKAGES must be 'pgdg' or 'debian', got '$PG_PACKAGES'";; esac; \
    if [ "$PG_PACKAGES" = pgdg ] && [ -z "${PG_VERSION:-}" ]; then fail "PG_VERSION is required with PG_PACKAGES=pgdg"; fi; \
    groupadd --system postgres; \
    useradd --system --uid 26 --gid postgres --home-dir /var/lib/postgresql --no-create-home --shell /bin/bash postgres; \
    mkdir -p /etc/postgresql-common/createcluster.d; \
    echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/00-no-main-cluster.conf; \
    apt-get update; \
    apt-get upgrade -y; \
    if [ "$PG_PACKAGES" = pgdg ]; then \
      apt-get install -y --no-install-recommends postgresql-common ca-certificates gnupg; \
      build_ca; \
      # apt.postgresql.org for this base's codename (from /etc/os-release), key from postgresql-common; \
      # the extra component PG_MAJOR holds the preview (beta/rc) packages of that major. \
      /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y -c "$PG_MAJOR"; \
      apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql-common; \
      sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf; \
      # 17.11 -> 17.11-1.pgdg13+1; 19~beta3 -> 19~beta3-1.pgdg13+1 ("17.1" must not match 17.10) \
      apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        libsasl2-modules libldap-common "postgresql-${PG_MAJOR}=${PG_VERSION}-*"; \
    else \
      apt-cache show "postgresql-$PG_MAJOR" >/dev/null 2>&1 || fail "PG_PACKAGES=debian: $(. /etc/os-release; echo "$PRETTY_NAME") has no package postgresql-$PG_MAJOR; its archive has: $(apt-cache pkgnames postgresql- | grep -E '^postgresql-[0-9]+$' | sort | tr '\n' ' ')"; \
      apt-get install -y --no-install-recommends libsasl2-modules libldap-common "postgresql-$PG_MAJOR"; \
    fi; \
    # Held, so the upgrades of this and later stages (and of images built FROM these) keep PG_VERSION. \
    apt-mark hold "postgresql-$PG_MAJOR" "postgresql-client-$PG_MAJOR" >/dev/null; \
    pkg_version=$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR"); \
    server_version=$("/usr/lib/postgresql/$PG_MAJOR/bin/postgres" --version | awk '{print $3}'); \
    server_major=$(echo "$server_version" | sed -E 's/^([0-9]+).*/\1/'); \
    echo "installed postgresql-$PG_MAJOR $pkg_version (server $server_version) from $PG_PACKAGES"; \
    [ "$server_major" = "$PG_MAJOR" ] || fail "installed PostgreSQL major $server_major ($server_version) is not PG_MAJOR=$PG_MAJOR"; \
    case "${PG_VERSION:-}" in \
      ''|"$PG_MAJOR") ;; \
      *) case "$pkg_version" in "$PG_VERSION"-*) ;; \
           *) fail "installed postgresql-$PG_MAJOR $pkg_version is not PG_VERSION=$PG_VERSION, so its tags and labels would lie; $([ "$PG_PACKAGES" = debian ] && echo "the base's archive has only ${pkg_version%%-*}: set postgres-images:postgresVersions to it (scripts/archive-pg-version.sh asks the archive)" || echo "apt.postgresql.org did not install the version asked for")";; \
         esac;; \
    esac; \
    upgradable=$(apt-get -s upgrade | sed -n 's/^Inst \([^ ]*\).*/\1/p' | tr '\n' ' '); \
    [ -z "$upgradable" ] || fail "packages with a newer version in the archive after apt-get upgrade: $upgradable"; \
    mkdir -p "$PGDATA"; \
    chown 26:postgres /var/lib/postgresql "$PGDATA"; \
    chmod 0700 "$PGDATA"; \
    apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
    rm -rf /var/lib/apt/lists/* /var/cache/* /var/log/*

STOPSIGNAL SIGINT
USER 26


FROM minimal AS standard
# Empty defaults: a build arg that is declared without one and not passed is unset in RUN (set -u)
ARG EXTENSIONS=
ARG STANDARD_ADDITIONAL_POSTGRES_PACKAGES=
ARG DEBIAN_FRONTEND=noninteractive
USER root
RUN --mount=type=secret,id=ca-certificates,required=false \
    --mount=type=tmpfs,target=/run/build-ca \
    --mount=type=bind,from=build-ca,source=/helper.sh,target=/run/build-ca-helper.sh \
    set -eu; \
    . /run/build-ca-helper.sh; \
    build_ca; \
    apt-get update; \
    apt-get upgrade -y; \
    apt-get install -y --no-install-recommends locales-all ${STANDARD_ADDITIONAL_POSTGRES_PACKAGES:-} ${EXTENSIONS:-}; \
    upgradable=$(apt-get -s upgrade | sed -n 's/^Inst \([^ ]*\).*/\1/p' | tr '\n' ' '); \
    [ -z "$upgradable" ] || { echo "ERROR: packages with a newer version in the archive after apt-get upgrade: $upgradable" >&2; exit 1; }; \
    apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
    rm -rf /var/lib/apt/lists/* /var/cache/* /var/log/*
USER 26


FROM standard AS system
ARG BARMAN_VERSION
ARG BARMAN_SOURCE=pypi
ARG DEBIAN_FRONTEND=noninteractive

# As upstream: pip installs Barman next to Debian's Python packages (bookworm and later refuse without this)
ENV PIP_BREAK_SYSTEM_PACKAGES=1

USER root
RUN --mount=type=secret,id=ca-certificates,required=false \
    --mount=type=tmpfs,target=/run/build-ca \
    --mount=type=bind,from=build-ca,source=/helper.sh,target=/run/build-ca-helper.sh \
    set -eu; \
    [ -n "${BARMAN_VERSION:-}" ] || { echo "ERROR: BARMAN_VERSION is required" >&2; exit 1; }; \
    . /run/build-ca-helper.sh; \
    build_ca; \
    apt-get update; \
    apt-get upgrade -y; \
    case "$BARMAN_SOURCE" in \
    pypi) \
      # build-essential and python3-dev build lz4 on arm64, which has no pre-compiled wheel \
      apt-get install -y --no-install-recommends build-essential python3-dev python3-pip python3-psycopg2; \
      pip3 install --no-cache-dir "barman[cloud,azure,snappy,google,zstandard,lz4]==${BARMAN_VERSION}"; \
      python3 -c "import sysconfig, compileall; compileall.compile_dir(sysconfig.get_path('stdlib'), quiet=1); compileall.compile_dir(sysconfig.get_path('purelib'), quiet=1); compileall.compile_dir(sysconfig.get_path('platlib'), quiet=1)"; \
      apt-get remove -y --purge --autoremove build-essential python3-dev ;; \
    debian) \
      # Debian's packaging: barman-cli-cloud (S3 through python3-boto3) and the compression extras; \
      # Azure (python3-azure, ~530 MB) and Google Cloud Storage (not packaged) are left out. \
      apt-get install -y --no-install-recommends barman-cli-cloud python3-snappy python3-zstandard python3-lz4; \
      barman_pkg=$(dpkg-query -W -f='${Version}' barman-cli-cloud); \
      echo "installed barman-cli-cloud $barman_pkg from the base's archive (BARMAN_VERSION=$BARMAN_VERSION asked for)"; \
      [ "${barman_pkg%%-*}" = "$BARMAN_VERSION" ] || echo "NOTE: Barman ${barman_pkg%%-*} is not BARMAN_VERSION=$BARMAN_VERSION (BARMAN_SOURCE=debian takes the archive's version)" ;; \
    *) echo "ERROR: BARMAN_SOURCE must be 'pypi' or 'debian', got '$BARMAN_SOURCE'" >&2; exit 1 ;; \
    esac; \
    barman-cloud-backup --version; \
    upgradable=$(apt-get -s upgrade | sed -n 's/^Inst \([^ ]*\).*/\1/p' | tr '\n' ' '); \
    [ -z "$upgradable" ] || { echo "ERROR: packages with a newer version in the archive after apt-get upgrade: $upgradable" >&2; exit 1; }; \
    apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
    rm -rf /var/lib/apt/lists/* /var/cache/* /var/log/* /root/.cache
USER 26
