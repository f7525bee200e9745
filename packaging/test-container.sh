#!/bin/bash
# The package test: installs the built .deb into a booted Debian 12 container
# and drives it with systemctl, as an operator would (make check-package).
#
#   packaging/test-container.sh [--debs DIR] [--keep]
#
#   --debs DIR  directory with redis-ha-server_*.deb and redis-ha_*_all.deb
#               (default: build them with packaging/build-deb.sh)
#   --keep      keep the container's root directory after the run
#
# Needs root, debootstrap and systemd-nspawn (installed when missing), and a
# host that can boot a container: a VM or a privileged container (root with
# CAP_SYS_ADMIN and cgroups systemd-nspawn can use); systemd need not be the
# host's init. Where the container cannot boot, the test FAILS and says why;
# it never skips. The Debian 12 root made by debootstrap, and Debian's own
# redis-server packages (for the "replaces Debian's redis-server" test), are
# cached outside the source tree in $REDIS_HA_TEST_CACHE (default
# /var/cache/redis-ha-test, about 350 MB) and copied for each run, so only the
# first run downloads them (two to three minutes with a good mirror).
# Everything else lives in a temporary directory (/var/tmp/redis-ha-container-
# test.*), and the tmpfs on /run/systemd/nspawn and the cgroups the test
# creates on a host without systemd as init are removed at the end.
# The container has a private network: the instances use their usual ports
# (6379-6383) without touching the host's. Every step has a deadline and the
# container is always stopped. Prints TAP and a closing "N passed, N failed";
# the exit status is 0 only when every check passed.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=packaging/lib.sh
. "$here/lib.sh"

debs=
keep=no
while [ $# -gt 0 ]; do
    case "$1" in
        --debs) debs="$2"; shift 2 ;;
        --keep) keep=yes; shift ;;
        *) die "unknown argument '$1'" ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, systemd-nspawn)"
need_commands debootstrap:debootstrap systemd-nspawn:systemd-container \
    nsenter:util-linux dpkg-deb:dpkg flock:util-linux findmnt:util-linux mount:mount \
    pgrep:procps redis-cli:redis-tools python3:python3

SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE="${REDIS_HA_TEST_CACHE:-/var/cache/redis-ha-test}"
# What the container needs besides the package's own dependencies: systemd
# as init and D-Bus for systemd-analyze. Not Debian's redis-tools: it would
# create the redis user itself. redis-cli runs from the host, inside the
# container's network namespace (TCP) or through /proc/PID/root (unix socket).
INCLUDE="systemd,systemd-sysv,dbus,procps,libuv1,libssl3,libjemalloc2"
STEP_TIMEOUT=90

started=$SECONDS
step_start=$SECONDS
step() {
    echo "# $* (at $((SECONDS - started)) s, previous step $((SECONDS - step_start)) s)"
    step_start=$SECONDS
}

# --- TAP --------------------------------------------------------------------
ntests=0
nfail=0
result() { # status description
    ntests=$((ntests + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $ntests - $2"
    else
        nfail=$((nfail + 1))
        echo "not ok $ntests - $2"
    fi
}
check() { # description command...: passes when the command succeeds
    local desc="$1"
    shift
    "$@" >>"$work/checks.log" 2>&1
    result $? "$desc"
}
is() { # description got expected
    if [ "$2" = "$3" ]; then
        result 0 "$1"
    else
        result 1 "$1"
        echo "#   got:      '$2'"
        echo "#   expected: '$3'"
    fi
}

# --- the cached root ------------------------------------------------------------
rootfs_cache() {
    local key
    key="$(printf '%s %s' "$SUITE" "$INCLUDE" | sha1sum | cut -c1-12)"
    echo "$CACHE/$SUITE-$key"
}

# Creates the cached root once (under a lock, so parallel runs wait).
ensure_rootfs() {
    local cached="$1"
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock -w 1800 9 || die "could not lock $CACHE"
    if [ ! -x "$cached/sbin/init" ]; then
        step "debootstrap $SUITE into $cached (first run only)"
        rm -rf "$cached.tmp"
        mkdir -p "$CACHE/debs"
        timeout 1800 debootstrap --variant=minbase --include="$INCLUDE" \
            --cache-dir="$CACHE/debs" "$SUITE" "$cached.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
            die "debootstrap failed; see $CACHE/debootstrap.log"
        # An empty machine-id: each copy gets its own at first boot.
        : >"$cached.tmp/etc/machine-id"
        rm -rf "$cached.tmp/var/cache/apt/archives/"*.deb
        mv "$cached.tmp" "$cached"
    fi
}

# Installs the packages' dependencies into the cached root when it lacks
# some (the booted container has no network), with the host's network.
ensure_deps() {
    local cached="$1" missing="" dep
    for dep in $(for d in "$debs"/*.deb; do dpkg-deb -f "$d" Depends; done |
        tr ',' '\n' | sed -e 's/(.*)//' -e 's/|.*//' -e 's/ //g' | grep -v -e '^$' -e '^redis-ha' | sort -u); do
        chroot "$cached" dpkg-query -W -f='${Status}\n' "$dep" 2>/dev/null |
            grep -q "install ok installed" || missing="$missing $dep"
    done
    [ -z "$missing" ] && return 0
    step "installing missing dependencies into the cached root:$missing"
    prepare_nspawn
    run_nspawn_cached "$cached" \
        "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing && apt-get clean" ||
        die "could not install$missing into $cached; see $CACHE/debootstrap.log"
}

# Debian's own redis-server and the packages it needs beyond the cached root,
# downloaded once into the cache (for the test that installs redis-ha over it).
ensure_debian_redis() { # cached-root
    local cached="$1" dir
    dir="$(debian_redis_cache)"
    if ! ls "$dir"/redis-server_*.deb >/dev/null 2>&1; then
        step "downloading Debian's redis-server into $dir (first run only)"
        prepare_nspawn
        rm -f "$cached/var/cache/apt/archives/"*.deb
        run_nspawn_cached "$cached" \
            "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --download-only --no-install-recommends redis-server" ||
            die "could not download Debian's redis-server; see $CACHE/debootstrap.log"
        rm -rf "$dir.tmp"
        mkdir -p "$dir.tmp"
        local f
        for f in "$cached/var/cache/apt/archives/"*.deb; do
            # apt's names escape the epoch's colon (5%3a7.0.15): drop it.
            mv "$f" "$dir.tmp/$(basename "$f" | sed 's/_[0-9]*%3a/_/')"
        done
        mv "$dir.tmp" "$dir"
    fi
}
debian_redis_cache() { echo "$CACHE/debian-redis-server-$SUITE"; }

# Runs a shell command in the cached root with the host's network, not booted.
run_nspawn_cached() { # cached-root command
    new_cgroups
    run_nspawn 900 -q -D "$1" --register=no --keep-unit --pipe /bin/sh -c "$2" \
        >>"$CACHE/debootstrap.log" 2>&1 </dev/null
    local rc=$?
    remove_cgroups
    return $rc
}

# A copy of the package with a higher version (for the upgrade test).
bump_deb() { # in.deb out-dir suffix
    local tmp version
    tmp="$(mktemp -d "$work/bump.XXXXXX")"
    dpkg-deb -R "$1" "$tmp/pkg"
    version="$(dpkg-deb -f "$1" Version)"
    sed -i "s/^Version: .*/Version: $version$3/" "$tmp/pkg/DEBIAN/control"
    dpkg-deb -b --root-owner-group "$tmp/pkg" "$2/" >/dev/null
    rm -rf "$tmp"
}

# --- the container ----------------------------------------------------------------
nspawn_pid=
leader=
mounted_nspawn_tmpfs=no
created_nspawn_dir=no
created_run_systemd=no

# systemd-nspawn creates payload/ and supervisor/ cgroups below the cgroup it
# runs in. With systemd as the host's init they go with the caller's unit;
# elsewhere nobody would remove them. There each systemd-nspawn runs in a
# cgroup of its own, rhtest-PID-N below this script's, in the hierarchies
# nspawn uses (cgroup2 and the named "systemd" one); remove_cgroups deletes
# them once the container has stopped.
cgroup_seq=0
cgroup_dirs=()
cgroup_new=()
cgroup_created=()

# The directory of a cgroup of this process, from /proc/self/mountinfo
# (controllers "" for cgroup2, "name=systemd" for the named hierarchy).
cgroup_mount_dir() { # controllers path-in-hierarchy
    awk -v ctrls="$1" -v path="$2" '
        {
            for (i = 7; $i != "-"; i++) {}
            fstype = $(i + 1)
            opts = "," $(i + 3) ","
            if (ctrls == "") {
                if (fstype != "cgroup2") next
            } else if (fstype != "cgroup" || index(opts, "," ctrls ",") == 0) {
                next
            }
            rel = path
            if ($4 != "/") {
                if (index(path, $4) != 1) next
                rel = substr(path, length($4) + 1)
            }
            if (rel == "/") rel = ""
            print $5 rel
            exit
        }' /proc/self/mountinfo
}

new_cgroups() {
    cgroup_new=()
    [ -d /run/systemd/system ] && return 0
    cgroup_seq=$((cgroup_seq + 1))
    local ctrls path dir
    while IFS=: read -r _ ctrls path; do
        case "$ctrls" in
            '' | name=systemd) ;;
            *) continue ;;
        esac
        dir="$(cgroup_mount_dir "$ctrls" "$path")"
        if [ -z "$dir" ] || [ ! -d "$dir" ]; then
            continue
        fi
        dir="$dir/rhtest-$$-$cgroup_seq"
        mkdir "$dir" 2>/dev/null || continue
        cgroup_new+=("$dir")
        cgroup_dirs+=("$dir")
        cgroup_created+=("$dir")
    done </proc/self/cgroup
}

# Kills what is left in the test's cgroups (nothing, after a clean stop) and
# removes them, innermost first.
remove_cgroups() {
    local d p tries
    for d in "${cgroup_dirs[@]}"; do
        tries=10
        while [ -d "$d" ] && [ $tries -gt 0 ]; do
            find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r p; do
                kill -KILL "$p" 2>/dev/null
            done
            find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
            [ -d "$d" ] && sleep 0.2
            tries=$((tries - 1))
        done
        [ -d "$d" ] && say "could not remove the cgroup $d"
    done
    cgroup_dirs=()
}

# systemd-nspawn in the cgroups made by the last new_cgroups (called in this
# shell, not in a subshell that runs this in the background), killed after
# SECONDS unless SECONDS is 0; the PID it runs as is the PID of systemd-nspawn.
run_nspawn() { # seconds systemd-nspawn-arguments...
    local seconds="$1"
    shift
    # shellcheck disable=SC2016
    bash -c 'n=$1 seconds=$2; shift 2
             while [ "$n" -gt 0 ]; do echo $$ 2>/dev/null >"$1/cgroup.procs"; shift; n=$((n - 1)); done
             if [ "$seconds" -gt 0 ]; then exec timeout "$seconds" systemd-nspawn "$@"; fi
             exec systemd-nspawn "$@"' \
        run_nspawn "${#cgroup_new[@]}" "$seconds" "${cgroup_new[@]}" "$@"
}

# Runs a command inside the container (all of its namespaces), bounded.
cexec() {
    timeout "$STEP_TIMEOUT" nsenter --target "$leader" --all -- \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb "$@"
}
csh() { cexec /bin/sh -c "$*"; }

# PID 1 of the container: the descendant of systemd-nspawn whose PID in its
# own namespace is 1.
find_leader() {
    local p c
    for p in $(pgrep -P "$nspawn_pid"); do
        for c in "$p" $(pgrep -P "$p"); do
            if awk '/^NSpid:/ { exit !($NF == 1 && NF > 2) }' "/proc/$c/status" 2>/dev/null; then
                echo "$c"
                return 0
            fi
        done
    done
    return 1
}

# nspawn keeps its propagation directories under /run/systemd/nspawn, which
# must be on a tmpfs: a host without systemd as init may have /run on disk,
# or no /run/systemd at all.
prepare_nspawn() {
    if [ ! -d /run/systemd/nspawn ]; then
        [ -d /run/systemd ] || created_run_systemd=yes
        mkdir -p /run/systemd/nspawn || die "cannot create /run/systemd/nspawn"
        created_nspawn_dir=yes
    fi
    if [ "$(findmnt -n -o FSTYPE -T /run/systemd/nspawn 2>/dev/null)" != tmpfs ]; then
        mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn ||
            die "cannot mount a tmpfs on /run/systemd/nspawn, so systemd-nspawn cannot" \
                "run here: the package test needs a VM or a privileged container (root" \
                "with CAP_SYS_ADMIN)"
        mounted_nspawn_tmpfs=yes
    fi
}

boot_container() {
    prepare_nspawn
    echo "redis-ha-test" >"$root/etc/hostname"
    new_cgroups
    run_nspawn 0 --boot --directory="$root" --machine="rhtest-$$" \
        --private-network --register=no --keep-unit --console=read-only \
        </dev/null >"$work/console.log" 2>&1 &
    nspawn_pid=$!
    local deadline=$((SECONDS + 60))
    until leader="$(find_leader)"; do
        kill -0 "$nspawn_pid" 2>/dev/null || return 1
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
    local state
    deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        state="$(cexec systemctl is-system-running 2>/dev/null)"
        case "$state" in
            running | degraded) return 0 ;;
        esac
        sleep 0.5
    done
    return 1
}

# Powers the container off; when it does not stop in time (or never booted
# far enough to be asked), systemd-nspawn is told to end it (SIGTERM), and
# then the container's PID 1 and systemd-nspawn are killed.
stop_container() {
    [ -n "$nspawn_pid" ] || return 0
    if kill -0 "$nspawn_pid" 2>/dev/null; then
        if [ -n "$leader" ]; then
            timeout 20 nsenter --target "$leader" --all -- /bin/systemctl poweroff >/dev/null 2>&1
        else
            kill -TERM "$nspawn_pid" 2>/dev/null
        fi
        local deadline=$((SECONDS + 30))
        while kill -0 "$nspawn_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
            sleep 0.2
        done
        if kill -0 "$nspawn_pid" 2>/dev/null; then
            echo "# the container did not power off in 30 s: killing it"
            [ -z "$leader" ] && leader="$(find_leader)"
            [ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
            sleep 1
            kill -KILL "$nspawn_pid" 2>/dev/null
        fi
        wait "$nspawn_pid" 2>/dev/null
    fi
    nspawn_pid=
    remove_cgroups
}

cleanup() {
    stop_container
    remove_cgroups
    if [ "$mounted_nspawn_tmpfs" = yes ]; then
        umount /run/systemd/nspawn 2>/dev/null || say "could not unmount /run/systemd/nspawn"
        mounted_nspawn_tmpfs=no
    fi
    if [ "$created_nspawn_dir" = yes ]; then
        rmdir /run/systemd/nspawn 2>/dev/null
        [ "$created_run_systemd" = no ] || rmdir /run/systemd 2>/dev/null
        created_nspawn_dir=no
    fi
    if [ -n "${work:-}" ] && [ -d "$work" ]; then
        if [ "$keep" = yes ]; then
            echo "# kept $work"
        else
            rm -rf "$work"
        fi
    fi
}

# --- helpers over systemctl and redis-cli inside the container -------------------
prop() { cexec systemctl show -p "$2" --value "$1" 2>/dev/null; }
# The host's redis-cli in the container's network namespace.
cli() { timeout "$STEP_TIMEOUT" nsenter --target "$leader" --net -- redis-cli "$@" 2>&1; }
# The path of a unix socket inside the container, as seen from the host.
csock() { echo "/proc/$leader/root$1"; }
active() { [ "$(cexec systemctl is-active "$1" 2>/dev/null)" = active ]; }
exe_current() { # pid: the process runs the installed binary, not a deleted one
    local exe
    exe="$(cexec readlink "/proc/$1/exe")"
    [ "$exe" = /usr/bin/redis-server ]
}
wait_until() { # seconds command...
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.3
    done
}
pid_changed() { # unit old-pid
    local now
    now="$(prop "$1" MainPID)"
    [ -n "$now" ] && [ "$now" != 0 ] && [ "$now" != "$2" ]
}
# Checks the priorities journald recorded for the server's log lines: each
# line carries its level mark ("PID:ROLE DATE TIME MARK text"), and the
# priority must be the matching syslog one (the server prefixes "<N>" when
# its stderr is the journal's stream). Prints "#:N *:N -:N .:N wrong:N" and
# the wrong lines.
journal_priorities() { # unit
    cexec journalctl -u "$1" -o json --no-pager 2>/dev/null | python3 -c '
import json, sys
prio = {"#": "4", "*": "5", "-": "6", ".": "7"}
seen = dict.fromkeys(prio, 0)
wrong = []
for line in sys.stdin:
    e = json.loads(line)
    m = e.get("MESSAGE")
    if e.get("SYSLOG_IDENTIFIER") != "redis-server" or not isinstance(m, str):
        continue
    f = m.split(" ")
    mark = f[5] if len(f) > 5 else ""
    if mark not in prio:
        wrong.append("unparsed: %r" % m)
        continue
    seen[mark] += 1
    if e.get("PRIORITY") != prio[mark]:
        wrong.append("priority %s: %r" % (e.get("PRIORITY"), m))
print(" ".join("%s:%d" % kv for kv in seen.items()), "wrong:%d" % len(wrong))
for w in wrong[:5]:
    print("#  ", w)
'
}

# What a package test must leave as it was on the host: the kernel settings
# the package changes (which the container must not reach) and the cgroups.
host_state() {
    local f
    for f in /sys/kernel/mm/transparent_hugepage/enabled /proc/sys/vm/overcommit_memory \
        /proc/sys/net/core/somaxconn; do
        printf '%s=%s\n' "$f" "$(cat "$f" 2>/dev/null)"
    done
}

status_loading() { [[ "$(prop "$1" StatusText)" == "Loading the dataset"* ]]; }

apt_install() { # log-name apt-get arguments...
    local name="$1"
    shift
    cexec env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" \
        >"$work/$name.log" 2>&1 </dev/null
}

# Connects, PINGs and disconnects in a loop from inside the container's
# network namespace (with the host's python3) while the instance restarts,
# and reports "ok refused other".
load_during_restart() { # port unit
    local out="$work/load.out"
    nsenter --target "$leader" --net -- timeout 30 /usr/bin/python3 - "$1" >"$out" 2>&1 <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
ok = refused = other = 0
end = time.monotonic() + 6
while time.monotonic() < end:
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
    except ConnectionRefusedError:
        refused += 1
        continue
    except OSError:
        other += 1
        continue
    try:
        s.sendall(b"PING\r\n")
        if s.recv(64).startswith(b"+PONG"):
            ok += 1
        else:
            other += 1
    except OSError:
        other += 1  # reset by the old server while it shut down
    finally:
        s.close()
print(ok, refused, other)
EOF
    local load=$!
    sleep 1.5
    cexec systemctl restart "$2" >>"$work/checks.log" 2>&1
    wait "$load"
    cat "$out"
}

# --- the tests ----------------------------------------------------------------------
work="$(mktemp -d /var/tmp/redis-ha-container-test.XXXXXX)"
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$debs" ]; then
    step "building the packages"
    "$here/build-deb.sh" --outdir "$work/debs" >&2 || die "build-deb.sh failed"
    debs="$work/debs"
fi
debs="$(cd "$debs" && pwd)"
server_deb="$(find "$debs" -maxdepth 1 -name 'redis-ha-server_*.deb' | sort | tail -1)"
meta_deb="$(find "$debs" -maxdepth 1 -name 'redis-ha_*_all.deb' | sort | tail -1)"
if [ -z "$server_deb" ] || [ -z "$meta_deb" ]; then
    die "no redis-ha-server/redis-ha .deb in $debs"
fi
v1="$(dpkg-deb -f "$server_deb" Version)"
v2="$v1+rhtest1"
arch="$(dpkg-deb -f "$server_deb" Architecture)"
debs_v1=("/root/debs/v1/redis-ha-server_${v1}_$arch.deb" "/root/debs/v1/redis-ha_${v1}_all.deb")
debs_v2=("/root/debs/v2/redis-ha-server_${v2}_$arch.deb" "/root/debs/v2/redis-ha_${v2}_all.deb")

cached="$(rootfs_cache)"
ensure_rootfs "$cached"
ensure_deps "$cached"
ensure_debian_redis "$cached"

step "copying the cached root"
root="$work/root"
cp -a "$cached" "$root" || die "could not copy $cached"
flock -u 9
mkdir -p "$root/root/debs/v1" "$root/root/debs/v2" "$root/root/debs/debian"
cp "$server_deb" "$meta_deb" "$root/root/debs/v1/"
cp "$(debian_redis_cache)"/*.deb "$root/root/debs/debian/"
bump_deb "$server_deb" "$root/root/debs/v2" "+rhtest1"
bump_deb "$meta_deb" "$root/root/debs/v2" "+rhtest1"

host_before="$(host_state)"
step "booting the container"
if ! boot_container; then
    echo "# the container did not boot; its console:"
    sed 's/^/#   /' "$work/console.log" | tail -40
    die "systemd-nspawn --boot could not boot the Debian 12 container (its console is above)." \
        "The package test needs a host that can run one: a VM or a privileged container," \
        "as root with CAP_SYS_ADMIN and cgroups systemd-nspawn can use."
fi
echo "# container PID 1 is host PID $leader"

step "install"
# A listen backlog below the package's value, to see the sysctl drop-in applied
# (net.core.somaxconn belongs to the container's network namespace).
cexec sysctl -q -w net.core.somaxconn=128 >/dev/null 2>&1
check "apt-get install of redis-ha-server $v1 and redis-ha" \
    apt_install install-v1 "${debs_v1[@]}"
is "no instance was started by the install" \
    "$(cexec systemctl list-units --plain --no-legend --all 'redis@*' | wc -l)" 0
check "the redis user exists (sysusers)" cexec getent passwd redis
is "sysusers drop-in installed" "$(csh 'cat /usr/lib/sysusers.d/redis-ha.conf | grep -c "^u redis"')" 1
is "sysctl drop-in installed" \
    "$(csh 'grep -c -E "^(vm.overcommit_memory = 1|net.core.somaxconn = 4096)$" /usr/lib/sysctl.d/60-redis-ha.conf')" 2
is "sysctl drop-in applied on install (net.core.somaxconn)" "$(cexec sysctl -n net.core.somaxconn)" 4096
is "tmpfiles drop-in installed" \
    "$(csh 'grep -c "^d /var/lib/redis 0750 redis redis" /usr/lib/tmpfiles.d/redis-ha.conf')" 1
is "tmpfiles drop-in applied: /var/lib/redis" "$(cexec stat -c '%U:%G %a' /var/lib/redis)" "redis:redis 750"
is "common configuration is root:redis 0640" "$(cexec stat -c '%U:%G %a' /etc/redis/redis-common.conf)" "root:redis 640"
check "the units pass systemd-analyze verify" \
    csh 'out=$(systemd-analyze verify redis@6380.service redis@6380.socket redis-unix@6380.socket \
              redis.target redis-disable-thp.service 2>&1); echo "$out"; [ -z "$out" ]'

step "redis@6380 without a per-instance file"
check "systemctl start redis@6380" cexec systemctl start redis@6380
check "redis@6380 is active" active redis@6380.service
is "StatusText after READY=1" "$(prop redis@6380.service StatusText)" "Ready to accept connections"
is "WatchdogUSec is set" "$(prop redis@6380.service WatchdogUSec)" "1min"
is "redis-cli PING over TCP" "$(cli -p 6380 PING)" PONG
is "redis-cli PING over the unix socket" "$(cli -s "$(csock /run/redis-6380/redis.sock)" PING)" PONG
is "data directory /var/lib/redis/6380" "$(cexec stat -c '%U:%G %a' /var/lib/redis/6380)" "redis:redis 750"
is "the server uses it" "$(cli -p 6380 CONFIG GET dir | tail -1)" /var/lib/redis/6380
is "the AOF is on (common file)" "$(cli -p 6380 INFO persistence | grep -c '^aof_enabled:1')" 1
# The common file asks for one acknowledging replica; an instance without one
# refuses writes (a standalone instance sets min-replicas-to-write 0).
is "a write without a replica is refused (min-replicas-to-write 1)" \
    "$(cli -p 6380 SET aof-key v)" "NOREPLICAS Not enough good replicas to write."
check "the server logs to the journal" \
    csh 'journalctl -u redis@6380 --no-pager | grep -q "Ready to accept connections"'
# A verbose line too: each new connection is logged at verbose.
cli -p 6380 CONFIG SET loglevel verbose >/dev/null
cli -p 6380 PING >/dev/null
cli -p 6380 CONFIG SET loglevel notice >/dev/null
cexec journalctl --sync >/dev/null 2>&1
prios="$(journal_priorities redis@6380.service)"
echo "# journal priorities of redis@6380's lines by level mark: $(head -1 <<<"$prios")"
tail -n +2 <<<"$prios"
check "journal: every line has its level's priority (# 4, * 5, - 6, . 7)" \
    grep -q -E ' wrong:0$' <<<"$(head -1 <<<"$prios")"
check "journal: warnings logged with priority 4" grep -q -E '#:[1-9]' <<<"$prios"
check "journal: notices logged with priority 5" grep -q -E '\*:[1-9]' <<<"$prios"
check "journal: verbose lines logged with priority 6" grep -q -E -- '-:[1-9]' <<<"$prios"
exposure="$(cexec systemd-analyze security --no-pager redis@6380.service 2>&1 |
    sed -n 's/.*Overall exposure level for redis@6380.service: \([0-9.]*\).*/\1/p')"
echo "# systemd-analyze security exposure: ${exposure:-none}"
check "systemd-analyze security exposure <= 1.1" \
    awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 1.1) }'
common_sum="$(cexec md5sum /etc/redis/redis-common.conf)"
check "CONFIG REWRITE cannot write the common file" \
    grep -q ERR <<<"$(cli -p 6380 CONFIG REWRITE)"
is "the common file is unchanged" "$(cexec md5sum /etc/redis/redis-common.conf)" "$common_sum"
thp_state="$(prop redis-disable-thp.service ActiveState)"
check "redis-disable-thp.service ran or was skipped, not failed ($thp_state)" \
    test "$thp_state" != failed

step "redis@6379 with a per-instance file"
csh 'install -o redis -g redis -m 0640 /usr/share/redis-ha/redis-PORT.conf.example /etc/redis/redis-6379.conf &&
     printf "maxmemory 64mb\nmin-replicas-to-write 0\n" >>/etc/redis/redis-6379.conf'
check "systemctl start redis@6379" cexec systemctl start redis@6379
check "redis@6379 is active" active redis@6379.service
is "redis@6379 StatusText" "$(prop redis@6379.service StatusText)" "Ready to accept connections"
is "the per-instance file is read" "$(cli -p 6379 CONFIG GET maxmemory | tail -1)" 67108864
is "the common file is included" "$(cli -p 6379 CONFIG GET repl-backlog-size | tail -1)" 268435456
is "CONFIG SET maxmemory-policy" "$(cli -p 6379 CONFIG SET maxmemory-policy allkeys-lru)" OK
is "CONFIG REWRITE writes the per-instance file" "$(cli -p 6379 CONFIG REWRITE)" OK
check "the rewritten file has the new setting and keeps the include" \
    csh 'grep -q "^maxmemory-policy allkeys-lru" /etc/redis/redis-6379.conf &&
         grep -q "^include /etc/redis/redis-common.conf" /etc/redis/redis-6379.conf'
is "SET a key (through the AOF)" "$(cli -p 6379 SET upgrade-key kept)" OK
check "redis-check-aof accepts the instance's AOF" \
    cexec /usr/libexec/redis-ha/redis-check-aof /var/lib/redis/6379/appendonlydir/appendonly.aof.manifest
csh 'echo marker >/var/lib/redis/6379/data-marker && chown redis:redis /var/lib/redis/6379/data-marker'

step "redis@6381 as a replica of redis@6379"
csh 'printf "include /etc/redis/redis-common.conf\nreplicaof 127.0.0.1 6379\n" >/etc/redis/redis-6381.conf &&
     chown redis:redis /etc/redis/redis-6381.conf && chmod 0640 /etc/redis/redis-6381.conf'
check "systemctl start redis@6381 (replicaof 127.0.0.1 6379)" cexec systemctl start redis@6381
link_up() { [ "$(cli -p 6381 INFO replication | tr -d '\r' | grep '^master_link_status:')" = master_link_status:up ]; }
check "the replica's link comes up" wait_until 30 link_up
is "the replica serves the primary's data" "$(cli -p 6381 GET upgrade-key)" kept
is "the replica is read-only" "$(cli -p 6381 SET k v)" "READONLY You can't write against a read only replica."
cli -p 6379 CONFIG SET min-replicas-to-write 1 >/dev/null
is "with its replica acknowledging, min-replicas-to-write 1 accepts writes" \
    "$(cli -p 6379 SET replicated-key r)" OK
cli -p 6379 CONFIG SET min-replicas-to-write 0 >/dev/null
replicated() { [ "$(cli -p 6381 GET replicated-key)" = r ]; }
check "the write reaches the replica" wait_until 15 replicated
cexec systemctl stop redis@6381 >/dev/null 2>&1
csh 'rm -f /etc/redis/redis-6381.conf'
persistence=no
if [ "$(cli -p 6379 SAVE)" = OK ]; then
    persistence=yes
fi
echo "# persistence (SAVE) available: $persistence"

step "watchdog: a stopped event loop is restarted"
csh 'mkdir -p /etc/systemd/system/redis@6382.service.d &&
     printf "[Service]\nWatchdogSec=2s\nTimeoutAbortSec=2s\n" >/etc/systemd/system/redis@6382.service.d/test.conf &&
     systemctl daemon-reload'
# The THP unit is easy to turn off: an instance starts with it masked.
check "systemctl mask redis-disable-thp.service" cexec systemctl mask redis-disable-thp.service
check "systemctl start redis@6382 (WatchdogSec=2s, THP unit masked)" cexec systemctl start redis@6382
check "systemctl unmask redis-disable-thp.service" cexec systemctl unmask redis-disable-thp.service
pid6382="$(prop redis@6382.service MainPID)"
if [ -n "$pid6382" ] && [ "$pid6382" != 0 ]; then
    cexec kill -STOP "$pid6382"
fi
check "systemd restarts redis@6382 after its watchdog timeout" \
    wait_until 30 pid_changed redis@6382.service "$pid6382"
check "redis@6382 is active again" wait_until 15 active redis@6382.service
check "the journal names the watchdog" \
    csh 'journalctl -u redis@6382 --no-pager | grep -q -i watchdog'
cexec systemctl stop redis@6382 >/dev/null 2>&1

step "a slow load extends the start timeout"
# 24 keys loaded at 0.25 s each take 6 s, three times TimeoutStartSec=2s: the
# server's EXTEND_TIMEOUT_USEC keeps systemd from failing the start.
csh 'install -o redis -g redis -m 0640 /usr/share/redis-ha/redis-PORT.conf.example /etc/redis/redis-6383.conf &&
     printf "min-replicas-to-write 0\n" >>/etc/redis/redis-6383.conf'
check "systemctl start redis@6383" cexec systemctl start redis@6383
for i in $(seq 1 24); do echo "SET load-key-$i v"; done |
    timeout "$STEP_TIMEOUT" nsenter --target "$leader" --net -- redis-cli -p 6383 >/dev/null 2>&1
is "24 keys written" "$(cli -p 6383 DBSIZE)" 24
check "systemctl stop redis@6383 saves them" \
    csh 'systemctl stop redis@6383 && test -s /var/lib/redis/6383/dump.rdb'
csh 'printf "key-load-delay 250000\n" >>/etc/redis/redis-6383.conf &&
     mkdir -p /etc/systemd/system/redis@6383.service.d &&
     printf "[Service]\nTimeoutStartSec=2s\n" >/etc/systemd/system/redis@6383.service.d/test.conf &&
     systemctl daemon-reload'
load_started=$SECONDS
check "systemctl start --no-block redis@6383 (TimeoutStartSec=2s)" \
    cexec systemctl start --no-block redis@6383
check "StatusText shows the loading progress" wait_until 10 status_loading redis@6383.service
check "redis@6383 becomes active after loading" wait_until 60 active redis@6383.service
load_took=$((SECONDS - load_started))
echo "# redis@6383 took ${load_took} s to start (TimeoutStartSec=2s)"
check "the start outlasted TimeoutStartSec" test "$load_took" -ge 4
is "redis@6383 was not restarted" "$(prop redis@6383.service NRestarts)" 0
is "StatusText after loading" "$(prop redis@6383.service StatusText)" "Ready to accept connections"
is "every key was loaded" "$(cli -p 6383 DBSIZE)" 24
cexec systemctl stop redis@6383 >/dev/null 2>&1

step "socket activation"
check "systemctl start redis@6381.socket" cexec systemctl start redis@6381.socket
check "redis-unix@6381.socket came with it" active redis-unix@6381.socket
check "redis@6381.service is not running yet" test "$(cexec systemctl is-active redis@6381.service)" != active
is "a connection starts the instance: PING" "$(cli -p 6381 PING)" PONG
check "redis@6381.service is active" wait_until 15 active redis@6381.service
# 127.0.0.1 and ::1 from redis@6381.socket, the unix socket from redis-unix@6381.socket.
check "the server adopted the three sockets" \
    csh 'journalctl -u redis@6381 --no-pager | grep -q "adopted 3 listening socket"'
is "PING over the activated unix socket" "$(cli -s "$(csock /run/redis-6381/redis.sock)" PING)" PONG
pid6381="$(prop redis@6381.service MainPID)"
read -r load_ok load_refused load_other <<<"$(load_during_restart 6381 redis@6381.service)"
echo "# during the restart: ${load_ok:-?} PINGs answered, ${load_refused:-?} connections refused, ${load_other:-?} reset"
check "clients were served during the restart" test "${load_ok:-0}" -gt 0
is "no connection refused during a restart" "${load_refused:-?}" 0
check "the restart replaced the process" pid_changed redis@6381.service "$pid6381"

step "redis.target groups the instances"
declare -A before
for unit in redis@6379.service redis@6380.service redis@6381.service; do
    before[$unit]="$(prop "$unit" MainPID)"
done
check "systemctl restart redis.target" cexec systemctl restart redis.target
# systemctl waits for the target's job; the instances' restarts may still run.
for unit in redis@6379.service redis@6380.service redis@6381.service; do
    check "$unit was restarted with the target" wait_until 15 pid_changed "$unit" "${before[$unit]}"
    check "$unit is active" wait_until 15 active "$unit"
done
check "a stopped instance was not started by the target" \
    test "$(prop redis@6382.service ActiveState)" = inactive

step "upgrade to $v2"
for unit in redis@6379.service redis@6380.service redis@6381.service; do
    before[$unit]="$(prop "$unit" MainPID)"
done
check "apt-get install of $v2 (upgrade)" \
    apt_install upgrade "${debs_v2[@]}"
is "installed version" "$(cexec dpkg-query -W -f='${Version}' redis-ha-server)" "$v2"
for unit in redis@6379.service redis@6380.service redis@6381.service; do
    check "$unit was restarted by the upgrade" pid_changed "$unit" "${before[$unit]}"
    check "$unit runs the new binary" exe_current "$(prop "$unit" MainPID)"
done
check "redis@6381.socket still listens" active redis@6381.socket
check "no instance was started by the upgrade" test "$(prop redis@6382.service ActiveState)" = inactive
is "data directory kept" "$(cexec cat /var/lib/redis/6379/data-marker)" marker
if [ "$persistence" = yes ]; then
    is "the dataset survived the upgrade" "$(cli -p 6379 GET upgrade-key)" kept
fi

step "downgrade back to $v1"
for unit in redis@6379.service redis@6380.service; do
    before[$unit]="$(prop "$unit" MainPID)"
done
check "apt-get install --allow-downgrades of $v1" \
    apt_install downgrade --allow-downgrades "${debs_v1[@]}"
is "installed version" "$(cexec dpkg-query -W -f='${Version}' redis-ha-server)" "$v1"
for unit in redis@6379.service redis@6380.service; do
    check "$unit was restarted by the downgrade" pid_changed "$unit" "${before[$unit]}"
done
is "data directory kept" "$(cexec cat /var/lib/redis/6379/data-marker)" marker
is "per-instance file kept" "$(csh 'grep -c "^maxmemory-policy allkeys-lru" /etc/redis/redis-6379.conf')" 1
if [ "$persistence" = yes ]; then
    is "the dataset survived the downgrade" "$(cli -p 6379 GET upgrade-key)" kept
fi

step "purge"
check "apt-get purge redis-ha redis-ha-server" \
    csh 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q redis-ha redis-ha-server >/root/purge.log 2>&1'
cexec cat /root/purge.log >"$work/purge.log" 2>/dev/null
check "purge says that /var/lib/redis was kept" grep -q "/var/lib/redis was NOT removed" "$work/purge.log"
check "no redis-server process is left" csh '! pgrep -x redis-server'
check "no socket unit is left listening" csh '! systemctl is-active -q redis@6381.socket'
check "the common configuration is gone" csh '! test -e /etc/redis/redis-common.conf'
check "the per-instance configuration is gone" csh '! test -e /etc/redis/redis-6379.conf'
is "the data is still there" "$(cexec cat /var/lib/redis/6379/data-marker)" marker
check "the units are gone" csh '! test -e /lib/systemd/system/redis@.service'

step "installing over Debian's redis-server"
# With dpkg: the directory holds every package it needs, and apt would
# rather fetch packages it also finds in its lists.
check "dpkg -i of Debian's redis-server $(dpkg-deb -f "$(debian_redis_cache)"/redis-server_*.deb Version)" \
    csh 'DEBIAN_FRONTEND=noninteractive dpkg -i /root/debs/debian/*.deb >/root/debian.log 2>&1'
cexec cat /root/debian.log >"$work/debian.log" 2>/dev/null
check "Debian's redis-server.service is active" wait_until 15 active redis-server.service
is "Debian's server answers on 6379" "$(cli -p 6379 SET moved-key moved)" OK
debian_saved=no
if [ "$(cli -p 6379 SAVE)" = OK ]; then
    debian_saved=yes
fi
check "apt-get install of redis-ha $v1 over it" apt_install replace "${debs_v1[@]}"
is "Debian's redis-server is removed, its configuration kept" \
    "$(cexec dpkg-query -W -f='${Status}' redis-server)" "deinstall ok config-files"
is "/usr/bin/redis-server is redis-ha's" "$(cexec dpkg-query -S /usr/bin/redis-server)" \
    "redis-ha-server: /usr/bin/redis-server"
check "Debian's redis-server.service is stopped" csh '! systemctl is-active -q redis-server.service'
check "no server runs after the install" csh '! pgrep -x redis-server'
check "Debian's /etc/redis/redis.conf is kept" cexec test -f /etc/redis/redis.conf
is "redis-ha's common configuration is root:redis 0640" \
    "$(cexec stat -c '%U:%G %a' /etc/redis/redis-common.conf)" "root:redis 640"
if [ "$debian_saved" = yes ]; then
    check "Debian's /var/lib/redis/dump.rdb is kept" cexec test -f /var/lib/redis/dump.rdb
fi
check "systemctl start redis@6379 after the switch" cexec systemctl start redis@6379
is "redis@6379 answers" "$(cli -p 6379 PING)" PONG
check "apt-get purge of Debian's leftover redis-server configuration" \
    csh 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q redis-server >/root/debian-purge.log 2>&1'
check "redis-ha's files and the data are still there" \
    cexec test -f /etc/redis/redis-common.conf -a -f /usr/bin/redis-server -a -f /var/lib/redis/6379/data-marker
check "redis@6379 still runs" active redis@6379.service
if [ "$debian_saved" = yes ] && [ "$persistence" = yes ]; then
    # The operator's guide's steps (the stop saves the instance's own
    # dataset, which the moved file then replaces).
    check "the guide's data move from Debian's redis-server" \
        csh 'systemctl stop redis@6379 &&
             install -d -o redis -g redis -m 0750 /var/lib/redis/6379 &&
             { mv /var/lib/redis/6379/appendonlydir /var/lib/redis/6379/appendonlydir.old 2>/dev/null || true; } &&
             mv /var/lib/redis/dump.rdb /var/lib/redis/6379/ &&
             systemctl start redis@6379'
    is "the dataset written by Debian's redis-server is served" "$(cli -p 6379 GET moved-key)" moved
    check "it became the instance's first AOF base" \
        csh 'ls /var/lib/redis/6379/appendonlydir/ | grep -q "base.rdb$"'
fi

if [ "$nfail" -gt 0 ]; then
    echo "# the instances' journal (last 60 lines):"
    csh 'journalctl --no-pager -n 60 -u "redis*"' 2>&1 | sed 's/^/#   /'
    echo "# the failed checks' output (last 40 lines of checks.log):"
    tail -40 "$work/checks.log" | sed 's/^/#   /'
    if [ -f "$work/debian.log" ] && ! grep -q "^Setting up redis-server" "$work/debian.log"; then
        echo "# dpkg -i of Debian's redis-server:"
        tail -20 "$work/debian.log" | sed 's/^/#   /'
    fi
fi

step "stopping the container"
stop_container
is "the host's kernel settings are unchanged" "$(host_state)" "$host_before"
leftover="$(for d in "${cgroup_created[@]}"; do [ -d "$d" ] && echo "$d"; done)"
is "no cgroup of the test is left" "$leftover" ""
echo "1..$ntests"
echo "# package test took $((SECONDS - started)) s"
echo "$((ntests - nfail)) passed, $nfail failed"
[ "$nfail" -eq 0 ]
