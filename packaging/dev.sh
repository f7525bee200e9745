#!/bin/bash
# Developer entry point for a fresh Debian 12 machine (run as root):
#   packaging/dev.sh run    install build dependencies, build, run redis-server
#                           on 127.0.0.1:6379 in the foreground (data in ./data)
#   packaging/dev.sh test   install dependencies, build, and run the whole test
#                           suite: make check, the sanitizer build's make check,
#                           the fuzzers, make distcheck, make rpm (rpmlint, file
#                           list and scriptlets) and make check-package (the .deb
#                           installed into a booted Debian 12 container)
#
# make check-package boots a container with systemd-nspawn, so `test` needs a
# machine that can run one: a VM, or a privileged container (root with
# CAP_SYS_ADMIN, writable cgroups). Elsewhere that step fails and says why.
# It caches a Debian 12 root in /var/cache/redis-ha-test (about 350 MB; the
# first run downloads it, which takes a few minutes); everything else it
# creates lives in temporary directories and is removed.
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
          clang libclang-rt-14-dev
          # make deb: dpkg-buildpackage, dh, lintian; systemd for the unit
          # directory (Build-Depends: systemd-dev | systemd).
          dpkg-dev debhelper lintian systemd
          # make rpm: rpmbuild and rpmlint.
          rpm rpmlint
          # make check-package: the Debian root, the booted container, and
          # pgrep/findmnt/mount/nsenter/flock around it.
          debootstrap debian-archive-keyring gpgv systemd-container
          procps mount)

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

# Prints a phase's name and, from the second phase on, how long the
# previous one took, so that a slow CI run shows where the time went.
phase_start=$SECONDS
phase_name=
phase() {
    if [ -n "$phase_name" ]; then
        echo "=== $phase_name took $((SECONDS - phase_start)) s" >&2
    fi
    phase_name="$*"
    phase_start=$SECONDS
    [ -z "$phase_name" ] || echo "=== $phase_name" >&2
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
    started=$SECONDS
    phase "installing dependencies"
    install_deps
    phase "build and make check"
    build "$BUILD"
    (cd "$BUILD" && make -j"$JOBS" check)
    phase "sanitizer build and make check"
    build "$SRC/build-sanitizers" --enable-sanitizers --without-jemalloc
    (cd "$SRC/build-sanitizers" && make -j"$JOBS" check)
    phase "make fuzz"
    (cd "$BUILD" && make fuzz)
    phase "make distcheck"
    (cd "$BUILD" && make -j"$JOBS" distcheck)
    phase "make rpm (rpmbuild -ta, rpmlint, file list and scriptlets)"
    (cd "$BUILD" && make rpm)
    phase "make check-package (deb, lintian, booted Debian 12 container)"
    (cd "$BUILD" && make check-package)
    phase ""
    echo "=== all tests passed in $((SECONDS - started)) s" >&2
    ;;
*)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
