#!/usr/bin/env bash
# Build the image the Docker sandbox backend runs (`--sandbox docker`), with no image registry:
# a Debian rootfs made by `debootstrap --variant=minbase --include=python3`, tarred into `docker import`.
#
# Usage: scripts/build-sandbox-image.sh [IMAGE]
#   IMAGE  defaults to $RECODE_SANDBOX_IMAGE, else pytest-recode-sandbox:latest (the backend's default).
# Environment: RECODE_SANDBOX_SUITE (default bookworm), RECODE_SANDBOX_MIRROR (default
#   http://deb.debian.org/debian), DOCKERD_LOG (default /var/log/recode-dockerd.log).
#
# Idempotent, each step skipped when already done: install docker.io and debootstrap with apt-get if
# missing; start dockerd in the background if no engine answers (no systemd needed); build the image
# unless it exists; check that it runs python3 with the modules the sandbox worker needs.
# Needs root for the installs, dockerd and debootstrap. Takes about 70 s the first time, 1 s after.
set -euo pipefail

IMAGE="${1:-${RECODE_SANDBOX_IMAGE:-pytest-recode-sandbox:latest}}"
SUITE="${RECODE_SANDBOX_SUITE:-bookworm}"
MIRROR="${RECODE_SANDBOX_MIRROR:-http://deb.debian.org/debian}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/recode-dockerd.log}"

say() { echo "build-sandbox-image: $*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "'$*' needs root (run this script as root, or install sudo)"; fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. The engine and the bootstrapper.
if ! command -v dockerd >/dev/null 2>&1; then
    say "installing docker.io"
    apt_install docker.io
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    apt_install debootstrap
fi

# 2. An engine that answers.
if ! docker info >/dev/null 2>&1; then
    say "starting dockerd in the background (log: $DOCKERD_LOG)"
    as_root sh -c "nohup dockerd >'$DOCKERD_LOG' 2>&1 &"
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || die "dockerd did not answer within 60 s; see $DOCKERD_LOG"
fi

# 3. The image.
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    say "image $IMAGE already exists"
else
    rootfs="$(mktemp -d /var/tmp/recode-rootfs.XXXXXX)"
    trap 'as_root rm -rf "$rootfs"' EXIT
    say "debootstrap $SUITE (minbase + python3) into $rootfs"
    as_root debootstrap --variant=minbase --include=python3 "$SUITE" "$rootfs" "$MIRROR" >/dev/null
    # Nothing the sandbox needs: package lists, caches, documentation.
    as_root rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* \
        "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
    say "importing the rootfs as $IMAGE"
    as_root tar -C "$rootfs" -c . | docker import \
        --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' - "$IMAGE" >/dev/null
fi

# 4. It runs what the worker needs, without a network.
docker run --rm --network none --read-only --user 65534:65534 "$IMAGE" \
    python3 -c "import ctypes, json, resource, select, socket; print('python', __import__('sys').version.split()[0])" \
    >/dev/null || die "image $IMAGE does not run python3 with ctypes and resource"
say "ready: $IMAGE"
