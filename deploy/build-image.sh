#!/usr/bin/env bash
# Build deploy/Dockerfile and run its command, with no container registry and no package index
# during the build: the base image is made with mmdebstrap from the machine's Debian mirror, the
# dependencies come from a local wheelhouse, and podman builds with chroot isolation (no daemon).
# Then the image's own CMD runs and /healthz must answer 200 and the seeds' feed must list them.
#
#   sudo deploy/build-image.sh        # needs: podman, runc, mmdebstrap (apt-get install them)
#
# Environment: WORK (scratch folder, default /var/tmp/feedsvc-image), SUITE (Debian release whose
# python3 is the .python-version one, default bookworm), MIRROR (default: apt's first source),
# PORT (host port for the run, default 18080), KEEP_BASE=0 to rebuild the base image, PYTHON (the
# interpreter that makes the wheelhouse, default python3).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/var/tmp/feedsvc-image}
SUITE=${SUITE:-bookworm}
PORT=${PORT:-18080}
PYTHON=${PYTHON:-python3}
BASE=localhost/feedsvc-base:$SUITE
IMAGE=localhost/feedsvc:check-$$
PYVER=$(tr -d '[:space:]' < "$ROOT/.python-version")
# Running a container here: crun refuses this host's hybrid cgroups and podman's default rlimits
# exceed the hard limits a sandboxed root may set, so runc with cgroupfs and lowered limits.
RUN_ARGS=(--runtime runc --cgroup-manager cgroupfs)
LIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

say() { printf '== %s\n' "$*"; }
for tool in podman runc mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing (apt-get install $tool)" >&2; exit 2; }
done
mkdir -p "$WORK"

# 1. The base image: a minimal Debian with python3 and its venv module, imported as a local image.
# (mmdebstrap, not debootstrap: it resolves with apt and downloads in parallel, twice as fast here.)
if [[ "${KEEP_BASE:-1}" == 0 ]] || ! podman image exists "$BASE"; then
  mirror=${MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)}
  [[ -n "$mirror" ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
  say "mmdebstrap $SUITE"
  mmdebstrap --quiet --variant=minbase --include=python3,python3-venv \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' "$SUITE" "$WORK/base.tar" "$mirror"
  say "import $BASE"
  podman import --quiet "$WORK/base.tar" "$BASE" >/dev/null
  rm -f "$WORK/base.tar"
fi
base_python=$(podman "${RUN_ARGS[@]}" run --rm "${LIMITS[@]}" "$BASE" \
  python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [[ "$base_python" != "$PYVER" ]]; then
  echo "build-image: $BASE has Python $base_python, .python-version says $PYVER (set SUITE)" >&2
  exit 1
fi

# 2. The wheelhouse: every pinned dependency as a wheel (feedgen ships only an sdist: pip builds it),
# made by this machine's Python, which must be the image's release for the binary wheels to fit.
host_python=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [[ "$host_python" != "$PYVER" ]]; then
  echo "build-image: $PYTHON is Python $host_python; the wheelhouse needs Python $PYVER" >&2
  exit 1
fi
say "wheelhouse for Python $PYVER"
rm -rf "$WORK/wheelhouse"
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --wheel-dir "$WORK/wheelhouse" \
  -r "$ROOT/requirements.txt" 2> >(grep -v "^WARNING: Location" >&2)

# 3. The build: the working tree as context (as `fly deploy` sends it), pip offline from the wheelhouse.
say "podman build $IMAGE"
podman build --quiet --isolation chroot "${LIMITS[@]}" --file "$ROOT/deploy/Dockerfile" --tag "$IMAGE" \
  --build-arg "BASE_IMAGE=$BASE" --build-arg "PIP_INSTALL_ARGS=--no-index --find-links /wheelhouse" \
  --volume "$WORK/wheelhouse:/wheelhouse:ro" "$ROOT" >/dev/null

# 4. The run: the image's CMD, on the host network, as the image's user.
say "podman run $IMAGE on port $PORT"
name=feedsvc-image-check-$$
trap 'podman "${RUN_ARGS[@]}" stop --time 25 "$name" >/dev/null 2>&1; podman rmi --force "$IMAGE" >/dev/null 2>&1 || true' EXIT
podman "${RUN_ARGS[@]}" run --detach --rm --name "$name" --network host "${LIMITS[@]}" \
  --env "PORT=$PORT" --env WEB_CONCURRENCY=2 "$IMAGE" >/dev/null
status=000
deadline=$((SECONDS + 120))  # a loaded CI machine: the container's interpreters start slowly
while (( SECONDS < deadline )); do
  status=$("$PYTHON" - "$PORT" <<'EOF'
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError:
    print("000")
EOF
)
  [[ "$status" == 200 ]] && break
  sleep 0.2
done
podman logs "$name" 2>&1 | sed -n 1,8p  # reads it all: head would close the pipe, and pipefail fail the script
[[ "$status" == 200 ]] || { echo "build-image: /healthz answered $status" >&2; exit 1; }
user=$(podman exec "$name" id -u)
index=$(podman exec "$name" sh -c 'ls /app/instance' | tr '\n' ' ')  # the parse index, written as that user
items=$("$PYTHON" - "$PORT" <<'EOF'
import json, sys, urllib.request
print(len(json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/feeds/all.json", timeout=5))["items"]))
EOF
)
seeds=$(find "$ROOT/seeds" -name '*.txt' | wc -l)
say "GET /healthz: $status; uid in the container: $user; items in /feeds/all.json: $items (seeds: $seeds); /app/instance: $index"
[[ "$user" != 0 ]] || { echo "build-image: the container runs as root" >&2; exit 1; }
[[ "$index" == *.sqlite3* ]] || { echo "build-image: no parse index in /app/instance" >&2; exit 1; }
[[ "$items" == "$seeds" ]] || { echo "build-image: the feed has $items items, seeds/ has $seeds files" >&2; exit 1; }
say "ok"
