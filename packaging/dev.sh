#!/bin/bash
# Developer entry point for a fresh Debian 12 machine (run as root):
#   packaging/dev.sh run    install build dependencies, build, run redis-server
#                           on 127.0.0.1:6379 in the foreground (data in ./data)
#   packaging/dev.sh test   install dependencies, build, and run the whole test
#                           suite: make check, the sanitizer build's make check,
#                           and make distcheck
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
MODE="${1:-}"
BUILD="$SRC/build"
JOBS="$(nproc 2>/dev/null || echo 2)"

# Debian packages the build and the tests need.
PACKAGES=(build-essential autoconf automake libtool pkg-config
          libuv1-dev libssl-dev libsystemd-dev libjemalloc-dev
          redis-server redis-tools python3 python3-redis
          prometheus-redis-exporter iproute2 util-linux
          clang libclang-rt-14-dev)

install_deps() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    # Debian's redis-server package may start its own service; the tests use
    # private ports, but a packaged instance on 6379 would block `run`.
    if command -v systemctl >/dev/null && systemctl is-active -q redis-server 2>/dev/null; then
        systemctl stop redis-server || true
    fi
}

build() {
    local dir="$1"
    shift
    (cd "$SRC" && ./autogen.sh >/dev/null)
    mkdir -p "$dir"
    (cd "$dir" && "$SRC/configure" -q "$@" && make -s -j"$JOBS")
}

case "$MODE" in
run)
    install_deps
    build "$BUILD"
    mkdir -p "$SRC/data"
    exec "$BUILD/src/redis-server" --bind 127.0.0.1 --port 6379 --dir "$SRC/data"
    ;;
test)
    install_deps
    build "$BUILD"
    (cd "$BUILD" && make -j"$JOBS" check)
    build "$SRC/build-sanitizers" --enable-sanitizers --without-jemalloc
    (cd "$SRC/build-sanitizers" && make -j"$JOBS" check)
    (cd "$BUILD" && make fuzz)
    (cd "$BUILD" && make -j"$JOBS" distcheck)
    ;;
*)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
