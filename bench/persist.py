#!/usr/bin/python3
"""Persistence benchmark (issue 4): redis-ha against Debian's redis-server 7.0.15.

For each round and each server (the order alternates between rounds), on
the same machine, with the same flags (--save "" --appendonly no) and a data
directory of the same kind:

  1. start the server on an empty directory and write --keys keys of mixed
     types through `redis-cli --pipe` (the same RESP file for both servers,
     generated once per run from --seed);
  2. BGSAVE: wall time from the BGSAVE reply until INFO persistence shows
     rdb_bgsave_in_progress:0 (polled every 10 ms), the time of the BGSAVE
     round trip (the fork, which blocks the server), the lifetime and CPU
     time of the saving child (its /proc entry polled every 2 ms until it
     exits or turns zombie);
  3. SAVE: round-trip time and the server's CPU time for it; the size of the
     RDB file (rdbcompression yes, the default);
  4. BGREWRITEAOF (aof-use-rdb-preamble yes, then no) when the server has the
     command, timed as BGSAVE; skipped, with the reason, when it does not;
  5. restart on the file: wall time from process start to the first PING
     answered with something other than -LOADING, the server's own "DB loaded
     from disk: X seconds" log line, CPU time and resident memory at that
     moment; then the same from the preamble-less AOF of step 4.

Prints, per row, the median and the minimum over --rounds rounds for each
server, with the ratios redis-ha / Redis (every row is a cost: below 1.00
means redis-ha is faster or smaller), then every round's values. DEBUG DIGEST
checks that both servers hold the same data after each restart, and at the
end each server loads the other's file (again checked by digest).

    bench/persist.py [--build DIR] [--keys N] [--rounds N] [--seed N]
                     [--dir DIR] [--port-base P] [--pin] [--no-aof]
                     [--no-cross] [--callgrind DIR]

--dir picks where the servers' directories go (default: a new directory
under /tmp); use /dev/shm to leave the disk out. --pin runs the servers (and
so their saving children) on CPU 1 and redis-cli on CPU 0. --callgrind also
counts the instructions of the start-up load and of SAVE under valgrind
(minutes per server): figures that other processes on the machine cannot
blur. Ports come from [--port-base, +100).

Benchmarks are not tests: nothing here asserts a figure.
"""
import argparse
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THEIRS = "/usr/bin/redis-server"
PIN_SERVER = []
PIN_CLIENT = []
now = time.monotonic


# ---- a minimal RESP client ---------------------------------------------------------


class RespError(str):
    """An error reply (returned, not raised: -LOADING is an expected answer)."""


def resp(*args):
    out = ["*%d\r\n" % len(args)]
    for a in args:
        a = str(a)
        out.append("$%d\r\n%s\r\n" % (len(a), a))
    return "".join(out)


class Conn:
    def __init__(self, port, timeout=600):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.sock.makefile("rb")

    def call(self, *args):
        self.sock.sendall(resp(*args).encode())
        return self.read()

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode("latin-1")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line)

    def info(self, section):
        out = {}
        for ln in self.call("INFO", section).splitlines():
            if ":" in ln:
                k, v = ln.split(":", 1)
                out[k] = v
        return out

    def close(self):
        self.f.close()
        self.sock.close()


# ---- the data set ------------------------------------------------------------------


def gen_dataset(path, nkeys, seed, large_every):
    """Writes the RESP commands creating nkeys keys of mixed types to path;
    returns the number of keys. Fixed seed, fixed expiry base: both servers
    get byte-identical input. Mix: 40% strings (a quarter integers, half
    short, a quarter 40..1000-byte text), 15% each hashes of 10 fields, sets
    of 10 (half integers: intset, half strings: listpack), sorted sets of 10,
    lists of 8..12; every large_every-th key is a large collection above the
    compact-encoding thresholds (hash/set/zset of 1000, intset-overflowing
    set of 1000 integers, list of 2000); 10% of keys have a TTL of 1..24 h."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(2000)]
    # Expiry times are absolute (PEXPIREAT) so both servers store the same
    # values and DEBUG DIGEST can compare them.
    ttl_base = (int(time.time()) + 3600) * 1000
    out = []
    with open(path, "w") as f:
        for i in range(nkeys):
            k = "key:%d" % i
            if large_every and i % large_every == large_every - 1:
                out.append(large_key(rng, words, k, (i // large_every) % 5))
            else:
                out.append(small_key(rng, words, k))
            if rng.random() < 0.10:
                out.append(resp("PEXPIREAT", k, ttl_base + rng.randrange(86400 * 1000)))
            if len(out) >= 20000:
                f.write("".join(out))
                out = []
        f.write("".join(out))
    return nkeys


def small_key(rng, words, k):
    r = rng.random()
    if r < 0.40:
        s = rng.random()
        if s < 0.25:
            return resp("SET", k, rng.randint(-10**6, 10**12))
        if s < 0.75:
            return resp("SET", k, "value:%d" % rng.randrange(10**9))
        return resp("SET", k, " ".join(rng.choice(words) for _ in range(rng.randint(8, 180))))
    if r < 0.55:
        args = []
        for j in range(10):
            v = rng.randrange(10**6) if j % 3 == 0 else rng.choice(words)
            args += ["field:%d" % j, v]
        return resp("HSET", k, *args)
    if r < 0.70:
        if rng.random() < 0.5:
            return resp("SADD", k, *[rng.randrange(10**6) for _ in range(10)])
        return resp("SADD", k, *["member:%d" % rng.randrange(10**7) for _ in range(10)])
    if r < 0.85:
        args = []
        for _ in range(10):
            score = rng.randrange(10**4) if rng.random() < 0.5 else round(rng.uniform(0, 1e4), 3)
            args += [score, "m:%d" % rng.randrange(10**7)]
        return resp("ZADD", k, *args)
    return resp("RPUSH", k, *[rng.choice(words) if rng.random() < 0.6 else rng.randrange(10**6)
                              for _ in range(rng.randint(8, 12))])


def large_key(rng, words, k, kind):
    """One large collection, written 100 elements per command."""
    cmds = []
    if kind == 0:
        for c in range(10):
            args = []
            for j in range(c * 100, c * 100 + 100):
                args += ["field:%d" % j, rng.choice(words)]
            cmds.append(resp("HSET", k, *args))
    elif kind == 1:
        for c in range(10):
            cmds.append(resp("SADD", k, *["member:%d" % (c * 100 + j) for j in range(100)]))
    elif kind == 2:
        for c in range(10):
            cmds.append(resp("SADD", k, *[rng.randrange(10**9) for _ in range(100)]))
    elif kind == 3:
        for c in range(10):
            args = []
            for j in range(100):
                args += [round(rng.uniform(0, 1e6), 2), "m:%d" % (c * 100 + j)]
            cmds.append(resp("ZADD", k, *args))
    else:
        for c in range(20):
            cmds.append(resp("RPUSH", k, *[rng.choice(words) for _ in range(100)]))
    return "".join(cmds)


# ---- servers -----------------------------------------------------------------------


class Ports:
    """Hands out ports of the range [base, base+100) that are free now."""

    def __init__(self, base):
        self.base = base
        self.next = 0

    def take(self):
        for _ in range(100):
            p = self.base + self.next
            self.next = (self.next + 1) % 100
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
            finally:
                s.close()
        raise RuntimeError("no free port in %d..%d" % (self.base, self.base + 99))


def proc_stat(pid):
    """(state, cpu seconds) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) * 1024
    return 0


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except FileNotFoundError:
        pass
    return out


class Server:
    def __init__(self, name, binary, ports):
        self.name = name
        self.binary = binary
        self.ports = ports
        self.proc = None
        self.conn = None
        self.starts = 0

    def start(self, workdir, extra=(), wrapper=(), poll=0.002):
        """Starts the server on workdir; returns the wall seconds from process
        start to the first PING answered with something other than -LOADING."""
        self.port = self.ports.take()
        self.starts += 1
        self.log = os.path.join(workdir, "server-%d.log" % self.starts)
        cmd = PIN_SERVER + list(wrapper) + [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", workdir, "--dbfilename", "dump.rdb",
            "--logfile", self.log, "--enable-debug-command", "local", "--daemonize", "no"]
        cmd += list(extra)
        t0 = now()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = t0 + 600 * (10 if wrapper else 1)
        conn = None
        while now() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited at start-up:\n%s" % (self.name, self.log_tail()))
            if conn is None:
                try:
                    conn = Conn(self.port)
                except OSError:
                    time.sleep(poll)
                    continue
            r = conn.call("PING")
            if r == "PONG":
                self.conn = conn
                return now() - t0
            if not (isinstance(r, RespError) and r.startswith("LOADING")):
                raise RuntimeError("%s: PING answered %r" % (self.name, r))
            time.sleep(poll)
        raise RuntimeError("%s did not start in time" % self.name)

    def stop(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_tail(self):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def logged_load_seconds(self):
        with open(self.log) as f:
            found = re.findall(r"DB loaded from (?:disk|append only file): ([0-9.]+) seconds",
                               f.read())
        return float(found[-1]) if found else float("nan")

    def cpu(self):
        return proc_stat(self.proc.pid)[1]


def pipe_load(srv, path):
    """Writes the data set through redis-cli --pipe; returns wall seconds."""
    t0 = now()
    with open(path, "rb") as f:
        out = subprocess.run(PIN_CLIENT + ["redis-cli", "-p", str(srv.port), "--pipe"],
                             stdin=f, capture_output=True, text=True).stdout
    elapsed = now() - t0
    m = re.search(r"errors: (\d+), replies: (\d+)", out)
    if not m or m.group(1) != "0":
        raise RuntimeError("%s: redis-cli --pipe: %s" % (srv.name, out.strip()))
    return elapsed


def wait_background(srv, flag_fields, t_reply):
    """Polls INFO persistence every 10 ms until every field in flag_fields is
    0 and the child's /proc entry every 2 ms until it exits or is a zombie.
    Returns (seconds from t_reply to done, child lifetime, child cpu)."""
    kids = children(srv.proc.pid)
    child = kids[0] if kids else None
    child_end, child_cpu = None, float("nan")
    next_info = t_reply
    while True:
        t = now()
        if child is not None and child_end is None:
            st = proc_stat(child)
            if st is None or st[0] == "Z":
                child_end = t
            if st is not None:
                child_cpu = st[1]
        if t >= next_info:
            next_info = t + 0.010
            info = srv.conn.info("persistence")
            if all(info.get(f) == "0" for f in flag_fields):
                done = now()
                if child_end is None:
                    child_end = done
                return done - t_reply, child_end - t_reply, child_cpu
        time.sleep(0.002)


def measure_bgsave(srv, res):
    t_send = now()
    r = srv.conn.call("BGSAVE")
    t_reply = now()
    if isinstance(r, RespError):
        raise RuntimeError("%s: BGSAVE: %s" % (srv.name, r))
    wall, child, cpu = wait_background(srv, ["rdb_bgsave_in_progress"], t_reply)
    info = srv.conn.info("persistence")
    if info.get("rdb_last_bgsave_status") != "ok":
        raise RuntimeError("%s: BGSAVE failed:\n%s" % (srv.name, srv.log_tail()))
    res["bgsave s (reply -> in_progress:0)"] = wall
    res["bgsave child lifetime s"] = child
    res["bgsave child cpu s"] = cpu
    res["bgsave reply ms (fork)"] = (t_reply - t_send) * 1000
    res["latest_fork_usec"] = int(srv.conn.info("stats").get("latest_fork_usec", "0"))


def measure_save(srv, workdir, res):
    cpu0 = srv.cpu()
    t0 = now()
    r = srv.conn.call("SAVE")
    res["save s"] = now() - t0
    res["save server cpu s"] = srv.cpu() - cpu0
    if r != "OK":
        raise RuntimeError("%s: SAVE: %r" % (srv.name, r))
    res["rdb file bytes"] = os.path.getsize(os.path.join(workdir, "dump.rdb"))


def aof_dir_bytes(workdir, kind):
    d = os.path.join(workdir, "appendonlydir")
    total = 0
    for name in os.listdir(d) if os.path.isdir(d) else []:
        if kind in name:
            total += os.path.getsize(os.path.join(d, name))
    return total


def measure_rewrite(srv, workdir, res, skipped):
    """BGREWRITEAOF with and without the RDB preamble, when supported."""
    for preamble in ("yes", "no"):
        r = srv.conn.call("CONFIG", "SET", "aof-use-rdb-preamble", preamble)
        if isinstance(r, RespError):
            skipped[srv.name] = "CONFIG SET aof-use-rdb-preamble: " + r
            return
        r = srv.conn.call("BGREWRITEAOF")
        t_reply = now()
        if isinstance(r, RespError):
            skipped[srv.name] = "BGREWRITEAOF: " + r
            return
        wall, child, cpu = wait_background(
            srv, ["aof_rewrite_in_progress", "aof_rewrite_scheduled"], t_reply)
        info = srv.conn.info("persistence")
        if info.get("aof_last_bgrewrite_status") != "ok":
            skipped[srv.name] = "BGREWRITEAOF failed: " + srv.log_tail()
            return
        tag = "preamble %s" % preamble
        res["bgrewriteaof s (reply -> done), %s" % tag] = wall
        res["bgrewriteaof child lifetime s, %s" % tag] = child
        res["bgrewriteaof child cpu s, %s" % tag] = cpu
        res["aof base bytes, %s" % tag] = aof_dir_bytes(workdir, ".base.")


def measure_restart(srv, workdir, res, extra=(), tag=""):
    res["start-up s (to first PONG)" + tag] = srv.start(workdir, extra)
    res["start-up cpu s" + tag] = srv.cpu()
    res["rss after load MB" + tag] = vm_rss(srv.proc.pid) / 1e6
    res["logged 'DB loaded' s" + tag] = srv.logged_load_seconds()


def session(srv, data, nkeys, workdir, skipped, with_aof):
    """One round for one server; returns ({row: value}, digest)."""
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    res = {}
    srv.start(workdir)
    try:
        cpu0 = srv.cpu()
        res["pipelined write s"] = pipe_load(srv, data)
        res["pipelined write server cpu s"] = srv.cpu() - cpu0
        n = srv.conn.call("DBSIZE")
        if n != nkeys:
            raise RuntimeError("%s: DBSIZE %r after loading, want %d" % (srv.name, n, nkeys))
        res["rss after writes MB"] = vm_rss(srv.proc.pid) / 1e6
        written = srv.conn.call("DEBUG", "DIGEST")
        measure_bgsave(srv, res)
        measure_save(srv, workdir, res)
        if with_aof:
            measure_rewrite(srv, workdir, res, skipped)
    finally:
        srv.stop()
    try:
        measure_restart(srv, workdir, res)
        digest = srv.conn.call("DEBUG", "DIGEST")
        if digest != written:
            raise RuntimeError("%s: digest %s after the restart, %s before" %
                               (srv.name, digest, written))
    finally:
        srv.stop()
    if "aof base bytes, preamble no" in res and not skipped.get(srv.name):
        # The last rewrite had no preamble: start-up from a pure command AOF.
        try:
            measure_restart(srv, workdir, res, ["--appendonly", "yes"], ", from AOF")
            if srv.conn.call("DEBUG", "DIGEST") != written:
                raise RuntimeError("%s: digest differs after loading the AOF" % srv.name)
        finally:
            srv.stop()
    return res, written


# The functions that load and save the RDB file in each server, for
# callgrind's --toggle-collect (neither calls the other).
CALLGRIND_FNS = {"redis-ha": ("persist_load", "persist_save"), "redis": ("rdbLoad", "rdbSave")}


def callgrind_totals(path):
    with open(path) as f:
        for ln in f:
            if ln.startswith("totals:") or ln.startswith("summary:"):
                return int(ln.split()[1])
    return 0


def callgrind_counts(srv, workdir, outdir):
    """Instructions executed (callgrind Ir) by the start-up load of the
    dump.rdb in workdir and by a SAVE of the same data: deterministic
    counts that the machine's other load cannot blur."""
    load_fn, save_fn = CALLGRIND_FNS[srv.name]
    out = os.path.join(outdir, "callgrind.%s" % srv.name)
    srv.start(workdir, wrapper=["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                                "--toggle-collect=" + load_fn, "--toggle-collect=" + save_fn],
              poll=0.5)
    try:
        res = {}
        for phase in ("start-up load", "save"):
            if phase == "save" and srv.conn.call("SAVE") != "OK":
                raise RuntimeError("%s: SAVE failed under callgrind" % srv.name)
            before = set(os.listdir(outdir))
            subprocess.run(["callgrind_control", "-d", str(srv.proc.pid)],
                           capture_output=True, check=True)
            new = sorted(set(os.listdir(outdir)) - before)
            if not new:
                raise RuntimeError("%s: callgrind wrote no dump" % srv.name)
            path = os.path.join(outdir, new[-1])
            res[phase + " Ir (callgrind, millions)"] = callgrind_totals(path) / 1e6
            os.rename(path, "%s.%s" % (out, phase.replace(" ", "-").replace("start-up-", "")))
        return res
    finally:
        srv.stop()


def cross_load(servers, dirs, want):
    """Each server loads the other's RDB file; returns lines to print."""
    lines = []
    for srv, other in ((servers[0], servers[1]), (servers[1], servers[0])):
        d = dirs[other.name]
        try:
            srv.start(d)
            digest = srv.conn.call("DEBUG", "DIGEST")
            lines.append("# %s loads %s's RDB: digest %s" %
                         (srv.name, other.name, "as written" if digest == want else
                          "DIFFERENT (%s, want %s)" % (digest, want)))
        except RuntimeError as e:
            lines.append("# %s cannot load %s's RDB: %s" % (srv.name, other.name, e))
        finally:
            srv.stop()
    return lines


# ---- reporting ---------------------------------------------------------------------


def report(rounds, names):
    a, b = names
    rows = [r for r in rounds[0][a] if all(r in rr[a] and r in rr[b] for rr in rounds)]
    print()
    print("%d rounds; ratio = %s / %s of the medians (and of the minima: on a shared "
          "machine noise only adds); every row is a cost: below 1.00 means %s is "
          "faster or smaller." % (len(rounds), a, b, a))
    print()
    print("| row | %s median | %s median | ratio | %s min | %s min | ratio of min |"
          % (a, b, a, b))
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    raw = []
    for row in rows:
        va = [rr[a][row] for rr in rounds]
        vb = [rr[b][row] for rr in rounds]
        fmt = ("%.0f" if "usec" in row or "bytes" in row else
               "%.1f" if "MB" in row or "ms" in row else "%.3f")
        ma, mb = statistics.median(va), statistics.median(vb)
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            row, fmt % ma, fmt % mb, ratio(ma, mb), fmt % min(va), fmt % min(vb),
            ratio(min(va), min(vb))))
        raw.append("# %s: %s: %s; %s: %s" % (row, a, " ".join(fmt % v for v in va),
                                             b, " ".join(fmt % v for v in vb)))
    print()
    print("# every round, in order:")
    print("\n".join(raw))


def ratio(x, y):
    return "%.3f" % (x / y) if y else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--large-every", type=int, default=1000,
                    help="every Nth key is a large collection (0: none)")
    ap.add_argument("--dir", default="/tmp", help="parent of the servers' directories")
    ap.add_argument("--port-base", type=int, default=7300,
                    help="ports are taken from [P, P+100)")
    ap.add_argument("--pin", action="store_true",
                    help="servers on CPU 1, redis-cli on CPU 0 (taskset)")
    ap.add_argument("--no-aof", action="store_true", help="skip the BGREWRITEAOF rows")
    ap.add_argument("--no-cross", action="store_true",
                    help="skip loading each server's file into the other")
    ap.add_argument("--callgrind", metavar="DIR",
                    help="also count the instructions of the start-up load and of SAVE "
                    "under callgrind (slow: minutes), keeping its output in DIR")
    args = ap.parse_args()
    if args.pin:
        PIN_SERVER.extend(["taskset", "-c", "1"])
        PIN_CLIENT.extend(["taskset", "-c", "0"])
    ours = os.path.join(args.build, "src", "redis-server")
    work = tempfile.mkdtemp(prefix="rh-persist-", dir=args.dir)
    ports = Ports(args.port_base)
    servers = [Server("redis-ha", ours, ports), Server("redis", THEIRS, ports)]
    names = [s.name for s in servers]
    print("# machine: %s, %s, %d cores, %.1f GB" % (
        platform.node(), platform.machine(), os.cpu_count(),
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30))
    for s in servers:
        print("# %s: %s" % (s.name, subprocess.run([s.binary, "--version"], capture_output=True,
                                                  text=True).stdout.strip()))
    print("# data directories under %s (%s)" % (work, fs_type(work)))
    data = os.path.join(work, "data.resp")
    t0 = now()
    nkeys = gen_dataset(data, args.keys, args.seed, args.large_every)
    print("# data set: %d keys, seed %d, %.1f MB of RESP, generated in %.1f s" %
          (nkeys, args.seed, os.path.getsize(data) / 1e6, now() - t0))
    rounds, skipped, digests = [], {}, set()
    dirs = {s.name: os.path.join(work, s.name) for s in servers}
    try:
        for i in range(args.rounds):
            order = servers if i % 2 == 0 else servers[::-1]
            load0 = os.getloadavg()[0]
            rr = {}
            for s in order:
                # Once a server lacks BGREWRITEAOF, the other's rows would
                # have nothing to compare with: skip them too.
                rr[s.name], digest = session(s, data, nkeys, dirs[s.name], skipped,
                                             not args.no_aof and not skipped)
                digests.add(digest)
            rounds.append(rr)
            print("# round %d (%s first): load average %.2f before, %.2f after" %
                  (i + 1, order[0].name, load0, os.getloadavg()[0]), flush=True)
        written = sorted(digests)[0]
        print("# DEBUG DIGEST after the restarts: %s" %
              ("identical on both servers (%s)" % written if len(digests) == 1
               else "DIFFERENT: %s" % sorted(digests)))
        for name, why in sorted(skipped.items()):
            print("# BGREWRITEAOF rows skipped for %s: %s" % (name, why.strip()))
        if not args.no_cross:
            for line in cross_load(servers, dirs, written):
                print(line)
        report(rounds, names)
        if args.callgrind:
            os.makedirs(args.callgrind, exist_ok=True)
            counts = {s.name: callgrind_counts(s, dirs[s.name], args.callgrind)
                      for s in servers}
            print()
            print("| row | %s | %s | ratio |" % tuple(names))
            print("| --- | ---: | ---: | ---: |")
            for row in counts[names[0]]:
                va, vb = counts[names[0]][row], counts[names[1]][row]
                print("| %s | %.0f | %.0f | %s |" % (row, va, vb, ratio(va, vb)))
            print("# callgrind output: %s" % args.callgrind)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


def fs_type(path):
    best, kind = "", "?"
    with open("/proc/mounts") as f:
        for ln in f:
            dev, mnt, typ = ln.split()[:3]
            if path.startswith(mnt) and len(mnt) > len(best):
                best, kind = mnt, typ
    return kind


if __name__ == "__main__":
    sys.exit(main())
