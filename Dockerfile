# hfsync in a container: `hfsync watch` on a checkout mounted at /repo.
#
#   docker build -t hfsync .
#   docker run --rm --init -e HF_TOKEN -v "$PWD:/repo" hfsync                 # hfsync watch
#   docker run --rm --init -e HF_TOKEN -v "$PWD:/repo" hfsync run --worktree  # any command
#
# HF_TOKEN is read from the environment at run time only; it is never part of the image. hfsync
# writes its caches to the checkout's .git, so the container's user must be able to write there:
# the image's user has uid 1000; otherwise pass `--user "$(id -u):$(id -g)"`. `--init` reaps git's
# child processes, which hfsync, as PID 1, would not; `docker stop` (SIGTERM) lets a sync in
# flight finish before hfsync exits.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

# The mounted checkout is owned by the host's user, not the container's: without this, git
# refuses it as "dubious ownership". --system, so that it holds for any --user too.
RUN git config --system --add safe.directory /repo

COPY pyproject.toml README.md /tmp/hfsync-src/
COPY hfsync /tmp/hfsync-src/hfsync
RUN pip install /tmp/hfsync-src && rm -rf /tmp/hfsync-src

RUN useradd --create-home --uid 1000 hfsync
USER hfsync
WORKDIR /repo

ENTRYPOINT ["hfsync"]
CMD ["watch"]
