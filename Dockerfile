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
# The base is pinned by digest; scripts/container-check.sh builds an identical base from Debian's
# packages (no registry here) and passes it as BASE_IMAGE.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim@sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c
FROM ${BASE_IMAGE}

LABEL org.opencontainers.image.title="hfsync" \
      org.opencontainers.image.description="Keep a Hugging Face Space, model or dataset repo in sync with a git repository" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/hfsync/hfsync" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

SHELL ["/bin/sh", "-eu", "-c"]

# Debian's stable packages get security fixes under new versions, and an old version leaves the
# archive: the base image's digest is the pin, the packages follow it.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git python3 python3-venv tini \
    && rm -rf /var/lib/apt/lists/*

ENV VIRTUAL_ENV=/opt/hfsync \
    PATH=/opt/hfsync/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY pyproject.toml README.md LICENSE /tmp/hfsync-src/
COPY hfsync /tmp/hfsync-src/hfsync
RUN python3 -m venv /opt/hfsync \
    && /opt/hfsync/bin/pip install --no-compile /tmp/hfsync-src \
    && rm -rf /tmp/hfsync-src

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
