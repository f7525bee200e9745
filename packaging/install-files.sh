#!/bin/sh
# Installs the files that surround the server binary into a staging root,
# for both packagings (debian/rules and rpm.spec) so that the deb and the rpm
# lay out the same files:
#
#   packaging/install-files.sh --destdir DIR [--unitdir /lib/systemd/system]
#
# Run from the top of the source tree (the unpacked dist tarball).
#   units        UNITDIR/redis@.service redis@.socket redis-unix@.socket
#                redis.target redis-disable-thp.service
#   launcher     /usr/libexec/redis-ha/redis-instance
#   checkers     /usr/libexec/redis-ha/redis-check-aof, redis-check-rdb, moved
#                there from /usr/bin (where `make install` puts them) because
#                Debian's redis-tools, which operators keep for redis-cli,
#                ships Redis's own checkers (they read our files too) at
#                /usr/bin
#   drop-ins     /usr/lib/sysctl.d/60-redis-ha.conf
#                /usr/lib/sysusers.d/redis-ha.conf
#                /usr/lib/tmpfiles.d/redis-ha.conf
#   config       /etc/redis/redis-common.conf
#   example      /usr/share/redis-ha/redis-PORT.conf.example
set -eu

destdir=
unitdir=/usr/lib/systemd/system
while [ $# -gt 0 ]; do
    case "$1" in
        --destdir) destdir="$2"; shift 2 ;;
        --unitdir) unitdir="$2"; shift 2 ;;
        *) echo "install-files.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$destdir" ]; then
    echo "usage: install-files.sh --destdir DIR [--unitdir DIR]" >&2
    exit 2
fi

top="$(cd "$(dirname "$0")/.." && pwd)"

inst() {
    mode="$1" src="$2" dst="$3"
    install -D -m "$mode" "$top/$src" "$destdir$dst"
}

for unit in 'redis@.service' 'redis@.socket' 'redis-unix@.socket' redis.target \
    redis-disable-thp.service; do
    inst 0644 "systemd/$unit" "$unitdir/$unit"
done
inst 0755 systemd/redis-instance /usr/libexec/redis-ha/redis-instance
inst 0644 systemd/sysctl.conf /usr/lib/sysctl.d/60-redis-ha.conf
inst 0644 systemd/sysusers.conf /usr/lib/sysusers.d/redis-ha.conf
inst 0644 systemd/tmpfiles.conf /usr/lib/tmpfiles.d/redis-ha.conf
inst 0644 etc/redis-common.conf /etc/redis/redis-common.conf
inst 0644 etc/redis-PORT.conf.example /usr/share/redis-ha/redis-PORT.conf.example
for tool in redis-check-aof redis-check-rdb; do
    if [ -f "$destdir/usr/bin/$tool" ]; then
        install -d "$destdir/usr/libexec/redis-ha"
        mv "$destdir/usr/bin/$tool" "$destdir/usr/libexec/redis-ha/$tool"
    fi
done
