# hfsync in a container. By default `hfsync serve`: it keeps its own clone of a source git
# repository in /state (a volume) and syncs its targets on every poll and signed push webhook:
#
#   docker run -d -p 8080:8080 -v hfsync-state:/state -e HF_TOKEN -e HFSYNC_WEBHOOK_SECRET \
#     -e HFSYNC_SOURCE=https://github.com/OWNER/REPO.git hfsync
#
# or `hfsync watch` on a checkout mounted at /repo (the user must be able to write its .git:
# pass `--user "$(id -u):$(id -g)"` for a checkout owned by another user than 10001):
#
#   docker run --user "$(id -u):$(id -g)" -v "$PWD:/repo" -e HF_TOKEN hfsync watch --http 0.0.0.0:8080
#
# Secrets (HF_TOKEN, HFSYNC_WEBHOOK_SECRET) come from the environment at run time only; they are
# never part of the image. tini is PID 1: it reaps git's child processes and passes SIGTERM on, so
# `docker stop` lets the sync in flight finish and hfsync exits 0. The test Hub is not installed.
#
# Two stages keep the image lean: the first builds hfsync's wheel and a virtual environment with
# its runtime dependencies (pip, setuptools and the build tools stay behind); the second holds
# only Python, git, tini and that environment.
#
# The base is pinned by digest; scripts/container-check.sh builds an identical base from Debian's
# packages (no registry here) and passes it as BASE_IMAGE.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim@sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c

FROM ${BASE_IMAGE} AS build

SHELL ["/bin/sh", "-eu", "-c"]

# Debian's stable packages get security fixes under new versions, and an old version leaves the
# archive: the base image's digest is the pin, the packages follow it.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils ca-certificates git python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY pyproject.toml README.md LICENSE /src/
COPY hfsync /src/hfsync
COPY scripts/image_bytecode.py /src/scripts/
# The wheel, then the environment it runs in: /opt/hfsync has no pip of its own (the one in
# /opt/pip installs into it). Wheels' native libraries carry symbols only a debugger reads
# (hf_xet, PyYAML, xxhash, re2: about 7 MB). Bytecode halves the time a command spends
# importing, and the image's user cannot write it: it is compiled here for hfsync and the
# modules hfsync's code loads (about 11 MB; all of them would be 29 MB), see the script (git is
# here for it: GitPython refuses to load without git).
RUN python3 -m venv /opt/pip \
    && /opt/pip/bin/pip wheel --quiet --no-deps --wheel-dir /wheels /src \
    && python3 -m venv --without-pip /opt/hfsync \
    && /opt/pip/bin/pip --python /opt/hfsync/bin/python install --quiet --no-compile /wheels/*.whl \
    && find /opt/hfsync -name '*.so' -exec strip --strip-unneeded {} + \
    && /opt/hfsync/bin/python /src/scripts/image_bytecode.py

FROM ${BASE_IMAGE}

LABEL org.opencontainers.image.title="hfsync" \
      org.opencontainers.image.description="Keep a Hugging Face Space, model or dataset repo in sync with a git repository" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/hfsync/hfsync" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

SHELL ["/bin/sh", "-eu", "-c"]

# git depends on perl, which nothing hfsync runs needs (git's own commands are built in; its perl
# scripts are for e-mail, svn, gitweb); git's server-side programs and scalar are never run, nor
# is tini's static copy. dpkg leaves these files out (as the slim base leaves out manuals), so
# the packages stay whole for apt: about 60 MB less (an image built on this one that needs them
# deletes /etc/dpkg/dpkg.cfg.d/hfsync-lean and reinstalls). Same pinning as the first stage.
# hadolint ignore=DL3008
RUN printf 'path-exclude=%s\n' \
        '/usr/share/perl/*' '/usr/lib/*/perl/*' '/usr/lib/*/libperl.so*' '/usr/share/gitweb/*' \
        '/usr/lib/git-core/git-daemon' '/usr/lib/git-core/git-http-backend' \
        '/usr/lib/git-core/git-http-push' '/usr/lib/git-core/git-imap-send' \
        '/usr/lib/git-core/git-shell' '/usr/bin/git-shell' '/usr/lib/git-core/git-instaweb' \
        '/usr/lib/git-core/scalar' '/usr/bin/scalar' '/usr/bin/tini-static' \
        >/etc/dpkg/dpkg.cfg.d/hfsync-lean \
    && apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git python3 tini \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /opt/hfsync /opt/hfsync

ENV VIRTUAL_ENV=/opt/hfsync \
    PATH=/opt/hfsync/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# A mounted checkout belongs to the host's user: without this git refuses it ("dubious
# ownership"). --system, so that it holds for any --user.
RUN git config --system --add safe.directory /repo \
    && mkdir -p /state /repo \
    && chown 10001:0 /state \
    && chmod 0770 /state

# Numeric, so that Kubernetes' runAsNonRoot can check it; group 0 lets platforms that pick a
# random uid (OpenShift) write /state too.
USER 10001:0
WORKDIR /repo

# Everything hfsync and the Hub client write goes to /state (the root file system may be
# read-only); HOME too, as the user has no home folder.
ENV HFSYNC_STATE=/state \
    HFSYNC_HTTP=0.0.0.0:8080 \
    HF_HOME=/state/huggingface \
    HOME=/state
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request as u; p = os.environ.get('HFSYNC_HTTP', ':8080').rpartition(':')[2]; u.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=4)"]

ENTRYPOINT ["/usr/bin/tini", "--", "hfsync"]
CMD ["serve"]
