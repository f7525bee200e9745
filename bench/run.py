#!/usr/bin/python3
"""Side-by-side benchmark: redis-ha against Debian's redis-server 7.0.15.

Starts both servers on free loopback ports with the same settings (no
persistence), runs Debian's redis-benchmark against each with identical
flags, and prints the median requests/second per row over --rounds runs (the order
of the two servers alternates between runs) and the ratio ours/theirs. Then
loads 1M keys (SET key:N value) into each through redis-cli --pipe and
compares resident memory per key, and, for each collection type in --types,
loads --type-keys keys of 10 elements each into freshly started servers and
compares resident memory.

    bench/run.py [--build DIR] [-n REQUESTS] [--keys N] [--rows ping,set,...]
                 [--types hash,set,zset,list] [--type-keys N] [--pin] [--cpu]

--pin runs the servers on CPU 1 and the client on CPU 0; --cpu adds, per row,
the CPU seconds each server spent on the same requests. --server-cpu PCT
caps each server at PCT% of one core (a cgroup v1 CPU quota with a 10 ms
period, the same for both): on a machine too small for the client to
saturate a server, this makes the server the bottleneck, so that requests
per second compare the servers and not the client.

The persistence benchmark (BGSAVE, SAVE, RDB size, start-up load time and
BGREWRITEAOF for 1M keys of mixed types) is bench/persist.py, run the same way.

Benchmarks are not tests: nothing here asserts a figure.
"""
import argparse
import csv
import io
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# With --pin, servers run on CPU 1 and redis-benchmark on CPU 0, so that the
# client does not compete with the server it measures for the same core.
PIN_SERVER = []
PIN_CLIENT = []


def cpu_seconds(pid):
    """User + system CPU time a process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# With --server-cpu, each server runs in a cgroup of its own with this CPU
# quota (microseconds per 10 ms period); the groups are removed at exit.
CPU_QUOTA_US = [0]
CGROUPS = []
CGROUP_ROOT = "/sys/fs/cgroup/cpu"


def cap_cpu(pid):
    d = os.path.join(CGROUP_ROOT, "rh-bench-%d" % pid)
    os.mkdir(d)
    CGROUPS.append(d)
    for name, value in (("cpu.cfs_period_us", 10000), ("cpu.cfs_quota_us", CPU_QUOTA_US[0]),
                        ("cgroup.procs", pid)):
        with open(os.path.join(d, name), "w") as f:
            f.write(str(value))


def remove_cgroups():
    for d in CGROUPS:
        try:
            os.rmdir(d)
        except OSError:
            pass


def start(binary, workdir):
    port = free_port()
    proc = subprocess.Popen(PIN_SERVER + [binary, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if CPU_QUOTA_US[0]:
        cap_cpu(proc.pid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            out = subprocess.run(["redis-cli", "-p", str(port), "PING"],
                                 capture_output=True, text=True, timeout=2).stdout
            if "PONG" in out:
                return proc, port
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server %s did not start" % binary)


def bench(port, rows, n, pipeline, clients):
    cmd = PIN_CLIENT + ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c",
                        str(clients), "-n", str(n), "-P", str(pipeline), "-t", rows, "--csv",
                        "-q"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {}
    for rec in csv.reader(io.StringIO(out)):
        if not rec or rec[0] == "test":
            continue
        res[rec[0]] = float(rec[1])
    return res


def cpu_rows(proc, port, rows, n, pipeline, clients):
    """Server CPU seconds for each row run alone (the keyspace flushed
    first): how much work the server does for the same requests, which
    scheduling noise on a small machine does not blur."""
    res = {}
    for row in rows.split(","):
        subprocess.run(["redis-cli", "-p", str(port), "FLUSHALL"], capture_output=True)
        before = cpu_seconds(proc.pid)
        bench(port, row, n, pipeline, clients)
        res[row] = cpu_seconds(proc.pid) - before
    return res


def info_field(port, section, field):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", section],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    return 0


def resp(*args):
    out = ["*%d\r\n" % len(args)]
    for a in args:
        out.append("$%d\r\n%s\r\n" % (len(a), a))
    return "".join(out)


# One command creating key k with 10 elements, per collection type.
COLLECTIONS = {
    "hash": lambda k: resp("HSET", k, *[x for j in range(10) for x in ("field:%d" % j, "v%d" % j)]),
    "set": lambda k: resp("SADD", k, *["member:%d" % j for j in range(10)]),
    "zset": lambda k: resp("ZADD", k, *[x for j in range(10) for x in (str(j), "member:%d" % j)]),
    "list": lambda k: resp("RPUSH", k, *["element:%d" % j for j in range(10)]),
}


def load_keys(port, nkeys, make=lambda k, i: resp("SET", k, "value:%d" % i)):
    """Loads nkeys keys key:N through redis-cli --pipe (SET key:N value:N by
    default); returns the RSS delta, the RSS and the key count."""
    before = info_field(port, "memory", "used_memory_rss")
    proc = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    chunk = []
    for i in range(nkeys):
        k = "key:%d" % i
        chunk.append(make(k, i))
        if len(chunk) == 10000:
            proc.stdin.write("".join(chunk).encode())
            chunk = []
    proc.stdin.write("".join(chunk).encode())
    proc.stdin.close()
    proc.wait()
    time.sleep(1)
    after = info_field(port, "memory", "used_memory_rss")
    dbsize = int(subprocess.run(["redis-cli", "-p", str(port), "DBSIZE"],
                                capture_output=True, text=True).stdout.strip() or 0)
    return after - before, after, dbsize


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rows", default="ping,set,get,incr,mset,lpush,rpush,lpop,rpop,sadd,"
                    "hset,spop,zadd,zpopmin,lrange")
    ap.add_argument("--types", default="hash,set,zset,list",
                    help="collection types for the memory comparison ('' for none)")
    ap.add_argument("--type-keys", type=int, default=1000000)
    ap.add_argument("--pin", action="store_true",
                    help="servers on CPU 1, redis-benchmark on CPU 0 (taskset)")
    ap.add_argument("--cpu", action="store_true",
                    help="also report server CPU seconds per row (lower is better)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs per server and row; the median is reported")
    ap.add_argument("--server-cpu", type=int, default=0, metavar="PCT",
                    help="cap each server at PCT%% of a core (cgroup v1 cpu quota)")
    args = ap.parse_args()
    CPU_QUOTA_US[0] = args.server_cpu * 100
    if args.pin:
        PIN_SERVER.extend(["taskset", "-c", "1"])
        PIN_CLIENT.extend(["taskset", "-c", "0"])
    ours = os.path.join(args.build, "src", "redis-server")
    theirs = "/usr/bin/redis-server"
    work = tempfile.mkdtemp(prefix="rh-bench-")
    print("# machine: %s, %s, %d cores" % (platform.node(), platform.processor() or
                                            platform.machine(), os.cpu_count()))
    print("# ours: %s" % subprocess.run([ours, "--version"], capture_output=True,
                                         text=True).stdout.strip())
    print("# theirs: %s" % subprocess.run([theirs, "--version"], capture_output=True,
                                           text=True).stdout.strip())
    if args.server_cpu:
        print("# each server capped at %d%% of one core" % args.server_cpu)
    procs = []
    try:
        p1, port1 = start(ours, work)
        procs.append(p1)
        p2, port2 = start(theirs, work)
        procs.append(p2)
        print("%-28s %14s %14s %7s" % ("row", "redis-ha rps", "redis rps", "ratio"))
        for pipeline in (1, 16):
            runs_a, runs_b = [], []
            for i in range(args.rounds):
                # Alternate the order so neither server always runs second.
                if i % 2 == 0:
                    runs_a.append(bench(port1, args.rows, args.n, pipeline, args.c))
                    runs_b.append(bench(port2, args.rows, args.n, pipeline, args.c))
                else:
                    runs_b.append(bench(port2, args.rows, args.n, pipeline, args.c))
                    runs_a.append(bench(port1, args.rows, args.n, pipeline, args.c))
            for row in runs_a[0]:
                if row not in runs_b[0]:
                    continue
                a = statistics.median(r[row] for r in runs_a)
                b = statistics.median(r[row] for r in runs_b)
                print("%-28s %14.0f %14.0f %7.2f" % ("%s -P %d" % (row, pipeline), a, b, a / b))
        if args.cpu:
            print("%-28s %14s %14s %7s" % ("server cpu s", "redis-ha", "redis", "ratio"))
            for pipeline in (1, 16):
                c1 = cpu_rows(p1, port1, args.rows, args.n, pipeline, args.c)
                c2 = cpu_rows(p2, port2, args.rows, args.n, pipeline, args.c)
                for row in c1:
                    # Ratio as for throughput: above 1.00, redis-ha does the
                    # same work with less CPU.
                    print("%-28s %14.2f %14.2f %7.2f" % ("%s -P %d" % (row, pipeline), c1[row],
                                                         c2[row], c2[row] / max(c1[row], 1e-9)))
        for p in (port1, port2):
            subprocess.run(["redis-cli", "-p", str(p), "FLUSHALL"], capture_output=True)
        d1, rss1, n1 = load_keys(port1, args.keys)
        d2, rss2, n2 = load_keys(port2, args.keys)
        print("%-28s %14.1f %14.1f %7.2f" % ("rss bytes/key (%d keys)" % args.keys,
                                             d1 / max(n1, 1), d2 / max(n2, 1),
                                             (d1 / max(n1, 1)) / max(d2 / max(n2, 1), 1e-9)))
        print("%-28s %14d %14d" % ("rss total bytes", rss1, rss2))
        for kind in [k for k in args.types.split(",") if k]:
            for p in procs:
                p.send_signal(signal.SIGTERM)
                p.wait(30)
            procs = []
            p1, port1 = start(ours, work)
            procs.append(p1)
            p2, port2 = start(theirs, work)
            procs.append(p2)
            make = COLLECTIONS[kind]
            d1, _, n1 = load_keys(port1, args.type_keys, lambda k, i: make(k))
            d2, _, n2 = load_keys(port2, args.type_keys, lambda k, i: make(k))
            plural = {"hash": "hashes"}.get(kind, kind + "s")
            print("%-28s %14.1f %14.1f %7.2f" % ("rss MB, %d %s of 10" % (n1, plural),
                                                 d1 / 1e6, d2 / 1e6, d1 / max(d2, 1)))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        remove_cgroups()


if __name__ == "__main__":
    sys.exit(main())
