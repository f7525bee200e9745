"""Replication, primary side: diskless full sync (repl-diskless-sync yes, the
default) with Debian's redis-server 7.0.15 as the replica, which declares
capa eof. The EOF-marked payload on the wire and the stream held until the
first ACK; data of every type; two replicas sharing one fork;
repl-diskless-sync-delay and -max-replicas; a replica killed mid-transfer
while another completes, and the child killed when the last one goes; a
stopped replica dropped without holding the other; the fallback to disk
(repl-diskless-sync no, or no capa eof); INFO persistence during and after a
transfer; keepalive newlines while a slow snapshot is written; the primary's
repl-timeout dropping a stopped replica that then resyncs."""
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402
import repltest  # noqa: E402
from repltest import digest, keys_equal, populate, synced  # noqa: E402,F401

t = rhtest.Tap()
DEBUG = "enable-debug-command yes\n"
SOCKETS = "Starting BGSAVE for SYNC with target: replicas sockets"

if not os.path.exists(rhtest.REF_SERVER):
    t.skip("replication tests", "no reference redis-server")
    t.done()


def wait_synced(p, rep, what, timeout=20):
    return repltest.wait_synced(t, p, rep, what, timeout)


def waits(cond, timeout, what):
    return repltest.waits(t, cond, timeout, what)


def replica_of(primary, extra=""):
    return rhtest.ref_server(config=DEBUG + extra +
                             "replicaof 127.0.0.1 %d\n" % primary.port)


def slave_states(p):
    ri = p.info("replication")
    return [ri[k]["state"] for k in sorted(ri) if re.match(r"slave\d+$", k)]


def persistence(p):
    return p.info("persistence")


def forks(p):
    return p.info("stats")["total_forks"]


problems = []


def stop(server):
    """Stops a primary, noting sanitizer reports or a bad exit."""
    why = server.stop()
    if why is not None:
        problems.append(why)


def big_populate(r, n, size):
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set("big:%d" % i, os.urandom(size))
    pipe.execute()


# ---- the wire format: $EOF:<mark>, the RDB, the mark; the stream after an ACK ---
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 0\n")
p = prim.client()
p.set("k", "v")
raw = prim.raw()
t.is_(raw.cmd("REPLCONF", "capa", "eof", "capa", "psync2"), "OK", "REPLCONF capa eof")
raw.send(rhtest.encode("PSYNC", "?", "-1"))
line = raw._line()
t.ok(line.startswith(b"+FULLRESYNC "), "PSYNC ? -1 answered +FULLRESYNC")
pre = raw._line()
m = re.match(rb"^\$EOF:([0-9a-f]{40})$", pre)
t.ok(m is not None, "the payload starts with $EOF:<40 hex chars>")
mark = m.group(1) if m else b"x" * 40
deadline = time.monotonic() + 10
while not raw.buf.endswith(mark) and time.monotonic() < deadline:
    raw._fill()
payload = raw.buf
t.ok(payload.startswith(b"REDIS0010") and payload.endswith(mark),
     "then an RDB v10, then the same mark")
t.ok(b"repl-id" in payload and b"repl-offset" in payload, "with the replication aux fields")
raw.buf = b""
p.set("after", "1")
raw.sock.settimeout(0.4)
try:
    early = raw.sock.recv(65536)
except socket.timeout:
    early = b""
t.is_(early, b"", "no stream before the replica's first ACK")
off = int(line.split()[2])
raw.send(rhtest.encode("REPLCONF", "ACK", off))
raw.sock.settimeout(5)
waits(lambda: (raw._fill() or True) and b"after" in raw.buf, 5, "stream after ACK")
t.ok(b"SELECT" in raw.buf and b"after" in raw.buf, "the stream flows after REPLCONF ACK")
raw.close()
t.ok(SOCKETS in prim.log_text(), "the log names the sockets target")
t.ok("Waiting for REPLCONF ACK from slave to enable streaming" in prim.log_text(),
     "the log says the stream waits for the ACK")

# Without capa eof the same primary sends a file on disk.
raw = prim.raw()
t.is_(raw.cmd("REPLCONF", "capa", "psync2"), "OK", "REPLCONF capa psync2 only")
raw.send(rhtest.encode("PSYNC", "?", "-1"))
line = raw._line()
while line == b"":
    line = raw._line()
bulk = raw._line()
t.ok(re.match(rb"^\$\d+$", bulk.lstrip(b"\n")) is not None,
     "a replica without capa eof gets $<length> (disk)")
t.ok("Starting BGSAVE for SYNC with target: disk" in prim.log_text(), "target: disk logged")
raw.close()
stop(prim)

# ---- full sync of every type, then the stream ----------------------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 0\n")
p = prim.client()
populate(p)
rep1 = replica_of(prim)
r1 = rep1.client()
t.ok(wait_synced(p, r1, "diskless full sync"), "diskless full sync completes")
t.is_(p.info("stats")["sync_full"], 1, "sync_full:1")
t.is_(digest(r1), digest(p), "digest equal after the diskless sync")
t.is_(keys_equal(p, r1), None, "key by key equal after the diskless sync")
t.ok(not os.path.exists(os.path.join(prim.dir, "dump.rdb")), "no RDB file written")
t.ok("receiving streamed RDB from master with EOF" in rep1.log_text(),
     "the replica received the EOF format")
# The replica can be in sync before the primary has reaped the child.
waits(lambda: persistence(p)["rdb_bgsave_in_progress"] == 0, 10, "child reaped")
pi = persistence(p)
t.ok(pi["rdb_saves"] == 0 and pi["rdb_last_bgsave_status"] == "ok"
     and pi["rdb_bgsave_in_progress"] == 0 and pi["rdb_last_bgsave_time_sec"] >= 0,
     "INFO persistence after a transfer: no save counted, status ok, time set")
for n in range(30):
    p.incr("counter")
    p.rpush("list:small", n)
    p.hset("hash:small", "n%d" % n, n)
t.ok(wait_synced(p, r1, "stream"), "the stream follows the diskless sync")
t.is_(digest(r1), digest(p), "digest equal after streamed writes")
rep1.kill()
stop(prim)

# ---- two replicas share one snapshot; repl-diskless-sync-delay ------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 2\n")
p = prim.client()
populate(p)
repA = replica_of(prim)
repB = replica_of(prim)
waits(lambda: p.info("replication")["connected_slaves"] == 2, 10, "two replicas waiting")
t0 = time.monotonic()
states_before = slave_states(p)
forks_before = forks(p)
waits(lambda: forks(p) == 1, 10, "the fork")
waited = time.monotonic() - t0
t.ok(forks_before == 0 and states_before == ["wait_bgsave", "wait_bgsave"],
     "both replicas wait without a fork during the delay")
t.ok(1.0 <= waited <= 4.0, "the fork comes after repl-diskless-sync-delay (%.2f s)" % waited)
rA, rB = repA.client(), repB.client()
t.ok(wait_synced(p, rA, "replica A") and wait_synced(p, rB, "replica B"), "both synced")
t.is_(p.info("stats")["sync_full"], 2, "sync_full:2")
t.is_(forks(p), 1, "one fork for both")
t.is_(prim.log_text().count(SOCKETS), 1, "one BGSAVE for SYNC in the log")
t.is_(digest(rA), digest(p), "replica A digest equal")
t.is_(digest(rB), digest(p), "replica B digest equal")
t.ok("Delay next BGSAVE for diskless SYNC" in prim.log_text(), "the delay is logged")
repA.kill()
repB.kill()
stop(prim)

# ---- repl-diskless-sync-max-replicas cuts the delay short -----------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 60\n"
                     "repl-diskless-sync-max-replicas 2\n")
p = prim.client()
populate(p)
repA = replica_of(prim)
waits(lambda: p.info("replication")["connected_slaves"] == 1, 10, "one replica waiting")
time.sleep(0.5)
t.is_(forks(p), 0, "one replica of two: still waiting")
start = time.monotonic()
repB = replica_of(prim)
rA, rB = repA.client(), repB.client()
ok = wait_synced(p, rA, "A") and wait_synced(p, rB, "B")
t.ok(ok and time.monotonic() - start < 20, "the second replica starts the sync at once")
t.is_(forks(p), 1, "one fork for the two")
repA.kill()
repB.kill()
stop(prim)

# ---- a replica killed mid-transfer; the last one gone kills the child -----------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 1\n"
                     "repl-diskless-sync-max-replicas 2\nrdb-key-save-delay 10000\n")
p = prim.client()
populate(p)
p.execute_command("DEBUG", "POPULATE", 300)
repA = replica_of(prim)
repB = replica_of(prim)
waits(lambda: persistence(p)["rdb_bgsave_in_progress"] == 1, 10, "transfer started")
pi = persistence(p)
t.ok(pi["rdb_bgsave_in_progress"] == 1 and pi["rdb_current_bgsave_time_sec"] >= 0,
     "INFO persistence during a transfer: rdb_bgsave_in_progress:1")
time.sleep(0.5)
repA.kill()
rB = repB.client()
t.ok(wait_synced(p, rB, "replica B after A died", timeout=30),
     "the other replica completes after one is killed mid-transfer")
t.is_(digest(rB), digest(p), "its digest is equal")
t.is_(forks(p), 1, "one fork")
log = prim.log_text()
t.ok("Connection with replica" in log and "killing fork child" not in log,
     "the dead replica was dropped, the child went on")
# The first transfer's child must be gone, or the wait below would see it.
waits(lambda: persistence(p)["rdb_bgsave_in_progress"] == 0, 10, "first child reaped")
repC = replica_of(prim)
waits(lambda: persistence(p)["rdb_bgsave_in_progress"] == 1, 10, "second transfer")
time.sleep(0.5)
start = time.monotonic()
repC.kill()
t.ok(waits(lambda: persistence(p)["rdb_bgsave_in_progress"] == 0, 5, "child killed"),
     "the last replica gone: the child stops (%.2f s)" % (time.monotonic() - start))
log = prim.log_text()
t.ok("Diskless rdb transfer, last replica dropped, killing fork child." in log,
     "the kill is logged")
t.ok("Background transfer terminated by signal 10" in log, "the child ended by SIGUSR1")
pi = persistence(p)
t.ok(pi["rdb_last_bgsave_status"] == "ok" and pi["rdb_saves"] == 0,
     "a cancelled transfer is not a save error")
t.ok(synced(p, rB), "the online replica was not disturbed")
p.set("still", "streaming")
t.ok(wait_synced(p, rB, "B after C"), "and keeps receiving the stream")
repB.kill()
stop(prim)

# ---- a stopped replica is dropped without holding the other ---------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 1\n"
                     "repl-diskless-sync-max-replicas 2\nrepl-timeout 2\n"
                     "rdb-key-save-delay 5000\n")
p = prim.client()
big_populate(p, 300, 100000)
repA = replica_of(prim)
repB = replica_of(prim)
waits(lambda: persistence(p)["rdb_bgsave_in_progress"] == 1, 10, "transfer started")
os.kill(repA.pid, signal.SIGSTOP)
rB = repB.client()
t.ok(wait_synced(p, rB, "replica B while A is stopped", timeout=40),
     "a stopped replica does not hold the other")
t.ok("Disconnecting timedout replica (full sync)" in prim.log_text(),
     "the stopped one is dropped after repl-timeout")
t.is_(digest(rB), digest(p), "the other's digest is equal")
os.kill(repA.pid, signal.SIGCONT)
rA = repA.client()
t.ok(wait_synced(p, rA, "A after SIGCONT", timeout=40), "the stopped one resyncs after SIGCONT")
repA.kill()
repB.kill()
stop(prim)

# ---- repl-diskless-sync no: disk ------------------------------------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync no\n")
p = prim.client()
populate(p)
rep1 = replica_of(prim)
r1 = rep1.client()
t.ok(wait_synced(p, r1, "disk sync"), "repl-diskless-sync no: full sync completes")
t.ok("Starting BGSAVE for SYNC with target: disk" in prim.log_text(), "target: disk")
t.ok(os.path.exists(os.path.join(prim.dir, "dump.rdb")), "through dump.rdb")
t.ok("receiving streamed RDB from master with EOF" not in rep1.log_text(),
     "the replica received a sized payload")
t.is_(digest(r1), digest(p), "digest equal")
rep1.kill()
stop(prim)

# ---- keepalive newlines while a slow snapshot is written ------------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync no\nrdb-key-save-delay 20000\n"
                     "repl-ping-replica-period 1\n")
p = prim.client()
p.execute_command("DEBUG", "POPULATE", 250)
start = time.monotonic()
rep1 = replica_of(prim, "repl-timeout 2\n")
r1 = rep1.client()
t.ok(wait_synced(p, r1, "slow disk sync", timeout=30), "a slow disk sync completes")
took = time.monotonic() - start
t.ok(took > 4, "the snapshot took longer than the replica's repl-timeout (%.1f s)" % took)
t.is_(p.info("stats")["sync_full"], 1, "in one attempt (sync_full:1)")
t.ok("Timeout" not in rep1.log_text() and "timeout" not in rep1.log_text(),
     "the replica never timed out")
rep1.kill()
raw = prim.raw()
raw.cmd("REPLCONF", "capa", "psync2")
raw.send(rhtest.encode("PSYNC", "?", "-1"))
raw.sock.settimeout(10)
waits(lambda: (raw._fill() or True) and b"$" in raw.buf, 15, "the $ line")
head = raw.buf[:raw.buf.index(b"$")] if b"$" in raw.buf else raw.buf
m = re.match(rb"^(\n*)\+FULLRESYNC [0-9a-f]{40} \d+\r\n(\n*)$", head)
t.ok(m is not None and len(m.group(2)) >= 3,
     "newlines precede the $ line while the snapshot is written (%r)" % head[-12:])
raw.close()
stop(prim)

# ---- the primary's repl-timeout drops a stopped replica -------------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 0\nrepl-timeout 3\n")
p = prim.client()
populate(p)
rep1 = replica_of(prim)
r1 = rep1.client()
t.ok(wait_synced(p, r1, "before SIGSTOP"), "replica synced")
ok_before = p.info("stats")["sync_partial_ok"]
os.kill(rep1.pid, signal.SIGSTOP)
start = time.monotonic()
try:
    dropped = waits(lambda: p.info("replication")["connected_slaves"] == 0, 15,
                    "timed out replica dropped")
    took = time.monotonic() - start
    t.ok(dropped and 2 <= took <= 8, "a stopped replica is dropped after repl-timeout "
         "(%.1f s)" % took)
    t.ok("Disconnecting timedout replica (streaming sync): 127.0.0.1:%d" % rep1.port
         in prim.log_text(), "logged as Redis does")
    p.set("while", "stopped")
finally:
    os.kill(rep1.pid, signal.SIGCONT)
t.ok(wait_synced(p, r1, "resync after SIGCONT", timeout=30), "it resyncs after SIGCONT")
st = p.info("stats")
t.ok(st["sync_partial_ok"] == ok_before + 1 or st["sync_full"] == 2,
     "by a partial or full resync")
t.is_(digest(r1), digest(p), "digest equal after the resync")
rep1.kill()
stop(prim)

# ---- SIGTERM during a transfer ----------------------------------------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 0\nrdb-key-save-delay 10000\n")
p = prim.client()
p.execute_command("DEBUG", "POPULATE", 300)
rep1 = replica_of(prim)
waits(lambda: persistence(p)["rdb_bgsave_in_progress"] == 1, 10, "transfer started")
time.sleep(0.3)
stop(prim)
rep1.kill()
for why in problems:
    t.diag(why)
t.is_(len(problems), 0, "every primary stopped cleanly (also during a transfer)")

t.done()
