#!/bin/sh
# Builds the redis-ha Debian source and binary packages from the dist tarball
# with dpkg-buildpackage, then checks them with lintian (errors fail):
#
#   packaging/build-deb.sh [--tarball redis-ha-X.Y.Z.tar.gz] [--outdir DIR]
#
# Without --tarball it runs `make dist` in a scratch build directory first.
# The packages (.deb, .dsc, .debian.tar.xz, .orig.tar.gz, .changes) land in
# DIR (default: ./pkg-out). The package's own test suite is skipped unless
# DEB_BUILD_OPTIONS is set without "nocheck" (CI runs `make check` itself).
# Missing build tools and build dependencies are installed when run as root.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
srcdir="$(dirname "$here")"
. "$here/lib.sh"

tarball=
outdir="$PWD/pkg-out"
while [ $# -gt 0 ]; do
    case "$1" in
        --tarball) tarball="$2"; shift 2 ;;
        --outdir) outdir="$2"; shift 2 ;;
        *) die "unknown argument '$1'" ;;
    esac
done
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"

need_commands dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS-nocheck}"
case " $DEB_BUILD_OPTIONS " in
    *" nocheck "*) profiles=nocheck ;;
    *) profiles= ;;
esac

if [ -z "$tarball" ]; then
    tarball="$(make_dist "$srcdir" "$outdir/dist")"
fi
[ -f "$tarball" ] || die "no tarball at $tarball"
tarball="$(cd "$(dirname "$tarball")" && pwd)/${tarball##*/}"
version="$(tarball_version "$tarball")"

work="$outdir/deb-build"
rm -rf "$work"
mkdir -p "$work"
cp "$tarball" "$work/redis-ha_$version.orig.tar.gz"
tar -C "$work" -xzf "$tarball"
tree="$work/redis-ha-$version"
[ -d "$tree" ] || die "$tarball does not unpack to redis-ha-$version/"
if [ ! -d "$tree/debian" ]; then
    # A tarball made before debian/ was distributed: use the source tree's.
    cp -a "$srcdir/debian" "$tree/debian"
fi

# The changelog's upstream version must be the tarball's; a snapshot of a
# newer upstream version gets an entry of its own.
deb_version="$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)"
if [ "${deb_version%-*}" != "$version" ]; then
    deb_version="$version-1"
    {
        printf 'redis-ha (%s) unstable; urgency=medium\n\n' "$deb_version"
        printf '  * Snapshot of upstream %s.\n\n' "$version"
        printf ' -- redis-ha maintainers <maintainers@redis-ha.org>  %s\n\n' "$(date -R)"
        cat "$tree/debian/changelog"
    } >"$tree/debian/changelog.new"
    mv "$tree/debian/changelog.new" "$tree/debian/changelog"
fi

# Build dependencies (apt-get build-dep understands the control file).
if ! (cd "$tree" && dpkg-checkbuilddeps ${profiles:+-P "$profiles"} >/dev/null 2>&1); then
    [ "$(id -u)" -eq 0 ] || die "unmet build dependencies: run dpkg-checkbuilddeps in $tree"
    say "installing build dependencies"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get build-dep -y -q ${profiles:+-P "$profiles"} "$tree" >/dev/null
fi

say "building redis-ha $deb_version (DEB_BUILD_OPTIONS='$DEB_BUILD_OPTIONS')"
(cd "$tree" && DEB_BUILD_PROFILES="$profiles" dpkg-buildpackage -us -uc \
    -j"$(nproc 2>/dev/null || echo 2)" >"$work/build.log" 2>&1) || {
    tail -40 "$work/build.log" >&2
    die "dpkg-buildpackage failed; the whole log is $work/build.log"
}

changes="$work/redis-ha_${deb_version}_$(dpkg --print-architecture).changes"
say "lintian $changes"
lintian --fail-on error --display-level '>=warning' "$changes" | tee "$work/lintian.log" >&2 || {
    die "lintian reported errors (see $work/lintian.log)"
}

for f in "$work"/*.deb "$work"/*.dsc "$work"/*.debian.tar.* "$work"/*.orig.tar.gz \
    "$changes" "$work"/*.buildinfo; do
    cp "$f" "$outdir/"
done
ls -1 "$outdir"/*.deb
