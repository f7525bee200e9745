#!/usr/bin/python3
"""Replication benchmark (issue 5): redis-ha against Debian's redis-server 7.0.15.

For each round and each implementation (the order alternates between
rounds), on the same machine with the same flags, a primary and its
replicas all of the same implementation:

  1. start a primary (--save "" --appendonly no, repl-diskless-sync-delay 0)
     and write --keys keys of mixed types through `redis-cli --pipe` (the
     data set of bench/persist.py, generated once per run from --seed);
  2. full sync, diskless (repl-diskless-sync yes, both servers' default)
     then disk-based (no): wall time from starting a replica process with
     --replicaof until its INFO replication shows master_link_status:up and
     slave_repl_offset equal to the primary's master_repl_offset (polled
     every 10 ms); the replica's DBSIZE is checked against the primary's;
  3. write throughput of the primary: `redis-benchmark -t set -P 16 -c 50
     -d 16 -r 100000 -n --requests`, first with no replica attached, then
     with two replicas attached and in sync; reported as microseconds per SET
     (1e6 / requests per second) so that, like every row, lower is better.
     After the run with replicas, both replicas must reach the primary's
     offset (checked, and the time it took is printed).

Prints the median and minimum per row for each implementation and their
ratios (redis-ha / Redis), then every round's values.

    bench/repl.py [--build DIR] [--keys N] [--rounds N] [--seed N]
                  [--requests N] [--dir DIR] [--port-base P]

Benchmarks are not tests: nothing here asserts a figure.
"""
import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import persist  # noqa: E402  (the data set, servers and reporting are shared)

now = time.monotonic


def repl_offset(srv):
    return int(srv.conn.info("replication")["master_repl_offset"])


def wait_synced(primary, replica, timeout=600):
    """Seconds until replica is linked and has applied the primary's stream."""
    t0 = now()
    conn = replica.conn
    while now() - t0 < timeout:
        if conn is None:
            try:
                conn = persist.Conn(replica.port)
            except OSError:
                time.sleep(0.01)
                continue
        info = conn.info("replication")
        if isinstance(info, dict) and info.get("master_link_status") == "up" and \
                int(info.get("slave_repl_offset", -1)) == repl_offset(primary):
            replica.conn = conn
            return now() - t0
        time.sleep(0.01)
    raise RuntimeError("%s: replica not in sync after %d s:\n%s"
                       % (replica.name, timeout, replica.log_tail()))


def start_replica(impl, ports, workdir, primary):
    """Starts a replica process (not waiting for PING: it may be loading)."""
    os.makedirs(workdir, exist_ok=True)
    rep = persist.Server(impl.name + "-replica", impl.binary, ports)
    rep.port = ports.take()
    rep.log = os.path.join(workdir, "replica.log")
    cmd = [rep.binary, "--port", str(rep.port), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", "--dir", workdir, "--logfile", rep.log,
           "--replicaof", "127.0.0.1", str(primary.port), "--daemonize", "no"]
    rep.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return rep


def benchmark_set(srv, requests):
    out = subprocess.run(["redis-benchmark", "-p", str(srv.port), "-t", "set", "-P", "16",
                          "-c", "50", "-d", "16", "-r", "100000", "-n", str(requests), "-q"],
                         capture_output=True, text=True).stdout
    m = re.findall(r"SET: ([0-9.]+) requests per second", out)
    if not m:
        raise RuntimeError("%s: redis-benchmark: %s" % (srv.name, out.strip()))
    return float(m[-1])


def session(impl, ports, data, work, requests):
    res = {}
    pdir = os.path.join(work, impl.name, "primary")
    shutil.rmtree(os.path.join(work, impl.name), ignore_errors=True)
    os.makedirs(pdir)
    impl.start(pdir, extra=["--repl-diskless-sync-delay", "0"])
    try:
        persist.pipe_load(impl, data)
        keys = impl.conn.call("DBSIZE")
        for mode in ("yes", "no"):
            impl.conn.call("CONFIG", "SET", "repl-diskless-sync", mode)
            rep = start_replica(impl, ports, os.path.join(work, impl.name, "sync-" + mode), impl)
            try:
                secs = wait_synced(impl, rep)
                got = rep.conn.call("DBSIZE")
                if got != keys:
                    raise RuntimeError("%s: replica has %s keys, primary %s" % (impl.name, got, keys))
                res["full sync s (%s)" % ("diskless" if mode == "yes" else "disk")] = secs
            finally:
                rep.stop()
        impl.conn.call("CONFIG", "SET", "repl-diskless-sync", "yes")
        res["us per SET -P16, 0 replicas"] = 1e6 / benchmark_set(impl, requests)
        reps = [start_replica(impl, ports, os.path.join(work, impl.name, "rep%d" % i), impl)
                for i in range(2)]
        try:
            for rep in reps:
                wait_synced(impl, rep)
            res["us per SET -P16, 2 replicas"] = 1e6 / benchmark_set(impl, requests)
            catch_up = max(wait_synced(impl, rep) for rep in reps)
            print("# %s: replicas caught up %.3f s after the benchmark" % (impl.name, catch_up))
        finally:
            for rep in reps:
                rep.stop()
    finally:
        impl.stop()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--large-every", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=2000000)
    ap.add_argument("--dir", default="/tmp", help="parent of the servers' directories")
    ap.add_argument("--port-base", type=int, default=7600,
                    help="ports are taken from [P, P+100)")
    args = ap.parse_args()
    ours = os.path.join(args.build, "src", "redis-server")
    work = tempfile.mkdtemp(prefix="rh-repl-", dir=args.dir)
    ports = persist.Ports(args.port_base)
    impls = [persist.Server("redis-ha", ours, ports), persist.Server("redis", persist.THEIRS, ports)]
    print("# machine: %s, %s, %d cores, %.1f GB" % (
        platform.node(), platform.machine(), os.cpu_count(),
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30))
    for s in impls:
        print("# %s: %s" % (s.name, subprocess.run([s.binary, "--version"], capture_output=True,
                                                  text=True).stdout.strip()))
    data = os.path.join(work, "data.resp")
    t0 = now()
    nkeys = persist.gen_dataset(data, args.keys, args.seed, args.large_every)
    print("# data set: %d keys, seed %d, %.1f MB of RESP, generated in %.1f s" %
          (nkeys, args.seed, os.path.getsize(data) / 1e6, now() - t0))
    rounds = []
    try:
        for i in range(args.rounds):
            order = impls if i % 2 == 0 else impls[::-1]
            load0 = os.getloadavg()[0]
            rounds.append({s.name: session(s, ports, data, work, args.requests) for s in order})
            print("# round %d (%s first): load average %.2f before, %.2f after" %
                  (i + 1, order[0].name, load0, os.getloadavg()[0]), flush=True)
        persist.report(rounds, [s.name for s in impls])
    finally:
        for s in impls:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
