#!/bin/sh
# Builds the redis-ha rpms from the dist tarball with `rpmbuild -ta`, checks
# them with rpmlint (errors fail) and checks their file list and scriptlets:
#
#   packaging/build-rpm.sh [--tarball redis-ha-X.Y.Z.tar.gz] [--outdir DIR]
#
# Without --tarball it runs `make dist` in a scratch build directory first.
# The .rpm and .src.rpm files land in DIR (default: ./pkg-out). On a host
# that is not rpm-based (Debian's rpm package) the build dependencies cannot
# be checked against an rpm database, so rpmbuild runs with --nodeps there.
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

need_commands rpmbuild:rpm rpmlint:rpmlint
if [ -z "$tarball" ]; then
    tarball="$(make_dist "$srcdir" "$outdir/dist")"
fi
[ -f "$tarball" ] || die "no tarball at $tarball"
version="$(tarball_version "$tarball")"

spec_version="$(tar -xzOf "$tarball" "redis-ha-$version/rpm.spec" |
    sed -n 's/^Version:[[:space:]]*//p')" || die "$tarball has no rpm.spec"
[ "$spec_version" = "$version" ] ||
    die "rpm.spec says Version: $spec_version but the tarball is $version: update rpm.spec"

top="$outdir/rpm-build"
rm -rf "$top"
mkdir -p "$top"
# Only query an rpm database that exists. Debian's rpm keeps its (empty)
# database in ~/.rpmdb and creates it on first use, by rpmbuild, rpmlint or
# rpm -qp alike; there HOME points into the build directory, so that nothing
# is left behind in the real home.
nodeps=
if [ ! -d "$(rpm --eval '%_dbpath')" ] || ! rpm -q rpm >/dev/null 2>&1; then
    nodeps=--nodeps
    mkdir -p "$top/home"
    export HOME="$top/home"
fi
say "rpmbuild -ta ${nodeps:+$nodeps }$tarball"
rpmbuild -ta $nodeps --define "_topdir $top" "$tarball" >"$top/build.log" 2>&1 || {
    tail -40 "$top/build.log" >&2
    die "rpmbuild failed; the whole log is $top/build.log"
}

rpms="$(find "$top/RPMS" "$top/SRPMS" -name '*.rpm' | sort)"
tar -xzOf "$tarball" "redis-ha-$version/rpm.spec" >"$top/rpm.spec"
say "rpmlint"
# shellcheck disable=SC2086
rpmlint -r "$here/rpmlintrc" $rpms "$top/rpm.spec" >"$top/rpmlint.log" 2>&1
cat "$top/rpmlint.log" >&2
if grep -q -E '(^|[ ])E: ' "$top/rpmlint.log" || ! grep -q 'packages and 1 specfiles checked' "$top/rpmlint.log"; then
    die "rpmlint reported errors (see $top/rpmlint.log)"
fi

server_rpm="$(echo "$rpms" | grep '/redis-ha-server-[0-9]' | grep -v debug)"
sh "$here/check-rpm.sh" "$server_rpm" || die "the rpm's file list or scriptlets are wrong"

# shellcheck disable=SC2086
cp $rpms "$outdir/"
echo "$rpms" | sed 's|.*/|'"$outdir"'/|'
