# shellcheck shell=sh
# Shared helpers for the packaging scripts (sourced, not executed).

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "$*"; exit 1; }

# Installs the Debian packages that provide the given commands, when missing:
#   need_commands debootstrap:debootstrap systemd-nspawn:systemd-container
# Needs root and apt-get; otherwise reports what is missing and fails.
need_commands() {
    missing=
    for pair in "$@"; do
        cmd="${pair%%:*}"
        pkg="${pair#*:}"
        command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "missing packages:$missing (install them, or run as root on Debian)"
    fi
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# Builds the dist tarball from the source tree in a scratch build directory
# and prints its path.
make_dist() {
    srcdir="$1" scratch="$2"
    [ -x "$srcdir/configure" ] || (cd "$srcdir" && ./autogen.sh >/dev/null)
    rm -rf "$scratch"
    mkdir -p "$scratch"
    (cd "$scratch" && "$srcdir/configure" -q >/dev/null && make -s dist >/dev/null) ||
        die "make dist failed"
    ls "$scratch"/redis-ha-*.tar.gz
}

# The version in a dist tarball's name: redis-ha-0.1.0.tar.gz -> 0.1.0.
tarball_version() {
    base="${1##*/}"
    base="${base#redis-ha-}"
    echo "${base%.tar.gz}"
}
