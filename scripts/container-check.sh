#!/usr/bin/env bash
# Build the hfsync image and prove it works, without a Docker daemon: buildah (chroot isolation)
# builds it, podman with runc runs it.
#
#   sudo apt-get install -y buildah podman runc debootstrap    # Debian's packages
#   scripts/container-check.sh                                 # as root; takes a few minutes
#
# Registry images cannot be pulled here, so the Dockerfile's base is built from Debian's packages
# as debian:bookworm-slim is (debootstrap --variant=minbase bookworm, then made "slim" as
# Debian's image build makes it: see slim_rootfs) and tagged with the same name as the
# Dockerfile's FROM; BASE_IMAGE points the build at it instead of the digest. The machine's own
# extra CA certificates (an egress proxy's) go into that base only, so that pip inside the build
# can reach the package index.
#
# Then: the image's size, at most MAX_MIB (200) MiB; `hfsync --help` in the image; every
# program and native library finds the libraries it links to; `hfsync serve` in the image against a local source repo and
# the test Hub (run on the host, host network); /healthz and /metrics; a signed webhook after a
# push and the commit landing on the Hub; SIGTERM and exit 0 within 10 s. Prints the image size.
# Not part of .ci/run (it needs root, buildah and podman, and several minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}     # with hfsync installed (the test Hub runs on the host)
IMAGE=${IMAGE:-localhost/hfsync:check}
BASE_TAG=docker.io/library/debian:bookworm-slim
BASE_CACHE=${BASE_CACHE:-/var/tmp/hfsync-base}
BASE_RECIPE=minbase-slim-1    # a base imported by an older recipe of this script is made again
MAX_MIB=${MAX_MIB:-200}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# runc sets the container's limits (open files, processes) to podman's defaults unless told; a
# process cannot raise its own hard limits, so every container gets the limits this shell has.
nofile=$(ulimit -Hn)
nproc=4096   # at this shell's own hard limit runc is refused (EPERM); below it, it is not
PODMAN=(podman --runtime runc)
# The image's HEALTHCHECK would need a systemd timer to run on its own; here it runs on demand
# (`podman healthcheck run`) instead.
RUN=(run --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" --health-interval=disable)
work=$(mktemp -d)
container=""
hub_pid=""

cleanup() {
    [[ -n $container ]] && podman rm -f "$container" >/dev/null 2>&1 || true
    [[ -n $hub_pid ]] && kill "$hub_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n--- %s\n' "$*"; }
fail() { printf 'container-check: FAILED: %s\n' "$*" >&2; exit 1; }

# What debian:bookworm-slim adds to debootstrap's minbase (Debian's image build, debuerreotype,
# does the same): documentation, manuals and translations are deleted, and dpkg rules keep them
# out of every later install; apt deletes the packages it downloaded once they are installed.
# Without it the base and each apt-get install of the Dockerfile weigh more here than on the
# real base, and the size printed below would be wrong.
slim_rootfs() {
    local root=$1 dir
    {
        echo '# The "slim" variant: files a container does not need stay out.'
        printf 'path-exclude %s\n' '/usr/share/doc/*' '/usr/share/info/*' '/usr/share/linda/*' \
            '/usr/share/lintian/overrides/*' '/usr/share/locale/*' '/usr/share/man/*' \
            '/usr/share/doc/kde/HTML/*/*' '/usr/share/gnome/help/*/*' '/usr/share/omf/*/*-*.emf'
        printf 'path-include %s\n' '/usr/share/doc/*/copyright' '/usr/share/doc/kde/HTML/C/*' \
            '/usr/share/gnome/help/*/C/*' /usr/share/locale/all_languages \
            '/usr/share/locale/currency/*' '/usr/share/locale/l10n/*' /usr/share/locale/languages \
            /usr/share/locale/locale.alias '/usr/share/omf/*/*-C.emf'
    } >"$root/etc/dpkg/dpkg.cfg.d/docker"
    for dir in doc info linda lintian/overrides locale man gnome/help omf; do
        [[ -d $root/usr/share/$dir ]] || continue
        find "$root/usr/share/$dir" -mindepth 1 ! -type d \
            ! -path "$root/usr/share/doc/*/copyright" ! -path "$root/usr/share/locale/locale.alias" \
            ! -path "$root/usr/share/locale/languages" ! -path "$root/usr/share/locale/all_languages" \
            -delete
    done
    local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
    printf 'DPkg::Post-Invoke { %s };\nAPT::Update::Post-Invoke { %s };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' \
        "$clean" "$clean" >"$root/etc/apt/apt.conf.d/docker-clean"
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
}

ulimit -n "$nofile"

step "base image $BASE_TAG from Debian packages"
if [[ "$(podman image inspect --format '{{index .Labels "hfsync.base"}}' "$BASE_TAG" 2>/dev/null)" != "$BASE_RECIPE" ]]; then
    if [[ ! -x $BASE_CACHE/rootfs/bin/sh ]]; then
        mkdir -p "$BASE_CACHE"
        debootstrap --variant=minbase bookworm "$BASE_CACHE/rootfs.partial" "$MIRROR"
        mv "$BASE_CACHE/rootfs.partial" "$BASE_CACHE/rootfs"
    fi
    rootfs=$BASE_CACHE/rootfs
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/*
    slim_rootfs "$rootfs"
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
    tar -C "$rootfs" -c . | podman import --change "LABEL hfsync.base=$BASE_RECIPE" - "$BASE_TAG" >/dev/null
fi
base_size=$(podman image inspect --format '{{.Size}}' "$BASE_TAG")
echo "base size: $(( base_size / 1024 / 1024 )) MiB"

step "build $IMAGE (buildah bud --isolation=chroot)"
started=$(date +%s)
buildah bud --isolation=chroot --format docker --layers \
    --build-arg "BASE_IMAGE=$BASE_TAG" -t "$IMAGE" . >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log"; fail "the image does not build"; }
echo "built in $(( $(date +%s) - started )) s"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "image size: $size bytes ($(( size / 1024 / 1024 )) MiB; the base $(( base_size / 1024 / 1024 )) MiB, hfsync's layers $(( (size - base_size) / 1024 / 1024 )) MiB)"
(( size <= MAX_MIB * 1024 * 1024 )) || fail "the image is over $MAX_MIB MiB"

step "hfsync --help in the image"
"${PODMAN[@]}" "${RUN[@]}" --rm "$IMAGE" --help >"$work/help.txt"
grep -q "serve" "$work/help.txt" || fail "hfsync --help does not list serve"
"${PODMAN[@]}" "${RUN[@]}" --rm --entrypoint /bin/sh "$IMAGE" -c \
    'test "$(id -u)" = 10001 && ! python3 -c "import hfsync.testing" 2>/dev/null' \
    || fail "the image must run as uid 10001 and hold no test Hub"

step "every program and native library finds its libraries"
# shellcheck disable=SC2016  # expanded in the container
"${PODMAN[@]}" "${RUN[@]}" --rm --entrypoint /bin/sh "$IMAGE" -c \
    'for f in /usr/bin/git /usr/lib/git-core/* /usr/bin/python3 $(find /opt/hfsync -name "*.so"); do
         [ -f "$f" ] && [ ! -L "$f" ] && head -c 4 "$f" | grep -q ELF || continue
         ldd "$f" | grep "not found" | sed "s|^|$f: |"
     done' >"$work/ldd.txt"
[[ ! -s $work/ldd.txt ]] || { cat "$work/ldd.txt"; fail "missing libraries"; }
"${PODMAN[@]}" "${RUN[@]}" --rm --entrypoint git "$IMAGE" --version

step "watch on a root-owned checkout: one clear line, exit 2"
mkdir -p "$work/rootrepo" && git init -q "$work/rootrepo"
printf '[[targets]]\nname = "t"\nurl = "/tmp/t.git"\ncreate = true\n' >"$work/rootrepo/hfsync.toml"
set +e
"${PODMAN[@]}" "${RUN[@]}" --rm -v "$work/rootrepo:/repo" "$IMAGE" watch >"$work/watch.out" 2>&1
code=$?
set -e
cat "$work/watch.out"
[[ $code == 2 ]] && grep -q -- "--user" "$work/watch.out" \
    || fail "watch on a root-owned checkout: exit $code, no clear message"

step "test Hub on the host"
"$PYTHON" -m hfsync.testing.hub --root "$work/hub" --token hf_check@user --port 0 \
    >"$work/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 100); do grep -qo 'http://[0-9.:]*' "$work/hub.log" && break; sleep 0.1; done
hub_url=$(grep -o 'http://[0-9.:]*' "$work/hub.log" | head -1)
[[ -n $hub_url ]] || { cat "$work/hub.log"; fail "the test Hub did not start"; }
echo "test Hub at $hub_url"

step "a source repository"
src=$work/src
git init -q -b main "$src/work"
printf '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\npaths = ["app/**"]\n' \
    >"$src/work/hfsync.toml"
mkdir -p "$src/work/app" && echo "print('hello')" >"$src/work/app/main.py"
git -C "$src/work" add -A
git -C "$src/work" -c user.name=check -c user.email=check@example.com commit -qm first
git clone -q --bare "$src/work" "$src/source.git"
git -C "$src/work" remote add origin "$src/source.git"
chown -R 10001:0 "$src/source.git"   # git refuses a repository owned by another user

step "hfsync serve in the image"
port=$(( 20000 + RANDOM % 20000 ))
secret=$("$PYTHON" -c "import secrets; print(secrets.token_hex(16))")  # serve wants 16 characters or more
container=$("${PODMAN[@]}" "${RUN[@]}" -d --network host \
    -v "$src:/src:ro" \
    -e HFSYNC_SOURCE=/src/source.git -e HFSYNC_POLL=600 -e "HFSYNC_HTTP=127.0.0.1:$port" \
    -e "HFSYNC_WEBHOOK_SECRET=$secret" -e "HF_ENDPOINT=$hub_url" -e HF_TOKEN=hf_check \
    -e HF_HUB_DISABLE_TELEMETRY=1 "$IMAGE")
ok=""
for _ in $(seq 300); do   # ready: the first round (clone, config, first sync) is done
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
done
[[ -n $ok ]] || { podman logs "$container"; fail "/readyz never answered 200"; }
curl -fsS "http://127.0.0.1:$port/healthz" >"$work/health.json" \
    || { podman logs "$container"; fail "/healthz is not 200"; }
echo "/healthz: $(cat "$work/health.json")"
podman healthcheck run "$container" >/dev/null || fail "the image's HEALTHCHECK fails"
echo "the image's HEALTHCHECK passes"
[[ "$(podman inspect --format '{{.State.Pid}}' "$container")" != "" ]]
pid1=$(podman exec "$container" cat /proc/1/comm)
[[ $pid1 == tini ]] || fail "PID 1 is $pid1, not tini"
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
grep -q '^hfsync_commits_total{target="space"} 1.0' "$work/metrics.txt" \
    || { grep '^hfsync_' "$work/metrics.txt"; fail "/metrics does not count the first commit"; }
echo "/metrics: $(grep -c '^hfsync_' "$work/metrics.txt") samples"

step "a push and its signed webhook"
echo "print('pushed')" >"$src/work/app/pushed.py"
git -C "$src/work" add -A
git -C "$src/work" -c user.name=check -c user.email=check@example.com commit -qm push
chown -R 0:0 "$src/source.git"    # this side's git, too, wants its own repository
git -C "$src/work" push -q origin HEAD:main
chown -R 10001:0 "$src/source.git"
body='{"ref": "refs/heads/main"}'
signature=$("$PYTHON" -c 'import sys; from hfsync.daemons.webhook import sign; print(sign(sys.argv[1].encode(), sys.argv[2].encode()))' "$secret" "$body")
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=0000" \
    --data "$body" "http://127.0.0.1:$port/webhook")
[[ $code == 401 ]] || fail "a badly signed delivery got $code, not 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: $signature" \
    --data "$body" "http://127.0.0.1:$port/webhook")
[[ $code == 202 ]] || fail "the signed delivery got $code, not 202"
landed=""
for _ in $(seq 150); do
    if curl -fsS "$hub_url/api/spaces/user/demo/tree/main/app" 2>/dev/null | grep -q 'app/pushed.py'; then
        landed=1; break
    fi
    sleep 0.2
done
[[ -n $landed ]] || { podman logs "$container"; fail "the pushed file never reached the Space"; }
echo "the pushed commit landed on the Space"

step "SIGTERM: exit 0 within 10 s"
started=$(date +%s.%N)
podman kill --signal TERM "$container" >/dev/null
code=$(timeout 15 podman wait "$container" || echo timeout)
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
podman logs "$container" >"$work/serve.log" 2>&1
tail -5 "$work/serve.log"
[[ $code == 0 ]] || fail "exit code $code after SIGTERM"
(( $(echo "$elapsed < 10" | bc) )) || fail "took $elapsed s to stop"
echo "stopped with exit 0 in ${elapsed} s"

printf '\ncontainer-check: OK (image %s, %s MiB)\n' "$IMAGE" "$(( size / 1024 / 1024 ))"
