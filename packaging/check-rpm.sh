#!/bin/sh
# Checks the redis-ha-server rpm's file list, attributes and scriptlets:
#   packaging/check-rpm.sh redis-ha-server-X.Y.Z-N.ARCH.rpm
# Prints one line per check and fails when any check fails.
set -u

rpm_file="$1"
files="$(rpm -qlp "$rpm_file" 2>/dev/null)"
dump="$(rpm -qp --dump "$rpm_file" 2>/dev/null)"
scripts="$(rpm -qp --scripts "$rpm_file" 2>/dev/null)"
configs="$(rpm -qcp "$rpm_file" 2>/dev/null)"
failed=0

check() { # description command...
    desc="$1"
    shift
    if "$@" >/dev/null 2>&1; then
        echo "ok - $desc"
    else
        echo "not ok - $desc"
        failed=1
    fi
}
has_file() { printf '%s\n' "$files" | grep -q -x "$1"; }
script_has() { printf '%s\n' "$scripts" | grep -q -e "$1"; }

for f in /usr/bin/redis-server /usr/libexec/redis-ha/redis-instance \
    /usr/libexec/redis-ha/redis-check-aof /usr/libexec/redis-ha/redis-check-rdb \
    /usr/lib/systemd/system/redis@.service /usr/lib/systemd/system/redis@.socket \
    /usr/lib/systemd/system/redis-unix@.socket /usr/lib/systemd/system/redis.target \
    /usr/lib/systemd/system/redis-disable-thp.service \
    /usr/lib/sysctl.d/60-redis-ha.conf /usr/lib/sysusers.d/redis-ha.conf \
    /usr/lib/tmpfiles.d/redis-ha.conf /etc/redis/redis-common.conf \
    /usr/share/redis-ha/redis-PORT.conf.example /var/lib/redis; do
    check "ships $f" has_file "$f"
done
check "redis-common.conf is %config(noreplace)" \
    sh -c "printf '%s\n' \"$configs\" | grep -q -x /etc/redis/redis-common.conf"
check "redis-common.conf is root:redis 0640" \
    sh -c "printf '%s\n' \"$dump\" | grep '^/etc/redis/redis-common.conf ' | grep -q ' 0100640 root redis '"
check "/var/lib/redis is redis:redis 0750" \
    sh -c "printf '%s\n' \"$dump\" | grep '^/var/lib/redis ' | grep -q ' 040750 redis redis '"
check "%pre creates the redis user with systemd-sysusers" script_has 'systemd-sysusers --replace=/usr/lib/sysusers.d/redis-ha.conf -'
check "%pre falls back to useradd" script_has 'useradd -r -g redis'
top="$(cd "$(dirname "$0")/.." && pwd)"
sysusers_line="$(grep '^u redis' "$top/systemd/sysusers.conf")"
check "%pre uses the line of systemd/sysusers.conf" script_has "echo '$sysusers_line'"
check "%post applies the sysctl drop-in" script_has 'systemd-sysctl .*60-redis-ha.conf'
check "%post creates the tmpfiles directories" script_has 'systemd-tmpfiles --create'
check "%post does not start an instance" sh -c "! printf '%s\n' \"\$0\" | sed -n '/^postinstall/,/^preuninstall/p' | grep -q -E 'systemctl (start|restart|enable)'" "$scripts"
check "%preun stops the instances on erase" script_has "systemctl stop 'redis@\*.service'"
check "%posttrans restarts running instances" script_has 'systemctl restart "$unit"'
check "%postun reports the kept data" script_has '/var/lib/redis was NOT removed'
exit $failed
