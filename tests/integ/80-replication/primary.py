"""Replication, primary side, with Debian's redis-server 7.0.15 as the
replica: full sync of every type with TTLs and databases (DEBUG DIGEST and
key by key), the write stream afterwards, partial resync after CLIENT KILL
TYPE replica, a second replica, WAIT, ROLE, INFO replication's fields,
min-replicas-to-write, and a stopped replica dropped by its output buffer
limit that resyncs once it runs again."""
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402
from repltest import digest, keys_equal, populate, stream_writes  # noqa: E402
import repltest  # noqa: E402

t = rhtest.Tap()
DEBUG = "enable-debug-command yes\n"
# Redis replicas declare capa eof: these primaries sync through a file on
# disk (diskless.py tests the transfer to sockets).
DISK = "repl-diskless-sync no\n"

if not os.path.exists(rhtest.REF_SERVER):
    t.skip("replication tests", "no reference redis-server")
    t.done()


def replica_of(primary):
    return rhtest.ref_server(config=DEBUG + "replicaof 127.0.0.1 %d\n" % primary.port)


# ---- full sync ------------------------------------------------------------------
prim = rhtest.Server(config=DEBUG + DISK)
p = prim.client()
populate(p)
info0 = p.info("replication")
t.is_(info0["repl_backlog_active"], 0, "no backlog before the first replica")
rep1 = replica_of(prim)
r1 = rep1.client()
t.ok(repltest.wait_synced(t, p, r1, "first replica synced"), "full sync completes")
t.is_(p.info("stats")["sync_full"], 1, "sync_full counted")
t.is_(digest(r1), digest(p), "digest equal after full sync")
t.is_(keys_equal(p, r1), None, "key by key equal after full sync")
t.is_(r1.info("replication")["master_replid"], p.info("replication")["master_replid"],
      "replica took the primary's replication ID")
t.ok(os.path.exists(os.path.join(prim.dir, "dump.rdb")),
   "rdb-del-sync-files no: the snapshot that fed the replica is kept")

# ---- the stream -------------------------------------------------------------------
for n in range(50):
    stream_writes(p, n)
t.ok(repltest.wait_synced(t, p, r1, "stream applied"), "replica caught up with the stream")
t.is_(digest(r1), digest(p), "digest equal after streamed writes")
t.is_(keys_equal(p, r1), None, "key by key equal after streamed writes")

# ---- INFO replication and ROLE ----------------------------------------------------
ref = rhtest.ref_server()
rinfo = ref.raw().cmd("INFO", "replication").decode()
ours = prim.raw().cmd("INFO", "replication").decode()
names = [line.split(":")[0] for line in rinfo.splitlines() if ":" in line]
our_names = [line.split(":")[0] for line in ours.splitlines()
             if ":" in line and not line.startswith("slave")]
t.is_(our_names, names, "INFO replication fields in Redis's order")
m = re.search(r"^slave0:ip=127\.0\.0\.1,port=(\d+),state=online,offset=(\d+),lag=(\d+)\r?$",
              ours, re.M)
t.ok(m is not None and int(m.group(1)) == rep1.port, "slave0 line as Redis")
ri = p.info("replication")
t.ok(ri["connected_slaves"] == 1 and ri["repl_backlog_active"] == 1
     and ri["repl_backlog_histlen"] > 0 and ri["second_repl_offset"] == -1,
     "INFO replication values with one replica")
role = p.execute_command("ROLE")
t.ok(role[0] == b"master" and role[1] == ri["master_repl_offset"] and len(role[2]) == 1
     and role[2][0][1] == str(rep1.port).encode(), "ROLE on the primary")
ref.stop()

# ---- WAIT ---------------------------------------------------------------------------
p.set("waited", 1)
t.is_(p.execute_command("WAIT", 1, 0), 1, "WAIT 1 0 after a write returns 1")
start = time.monotonic()
got = p.execute_command("WAIT", 2, 100)
took = time.monotonic() - start
t.ok(got == 1 and 0.09 <= took < 1.5, "WAIT 2 100 with one replica returns 1 after ~100 ms")
t.raises(lambda: p.execute_command("WAIT", 1, -1), "timeout is negative", "WAIT negative timeout")

# ---- partial resync -----------------------------------------------------------------
ok_before = p.info("stats")["sync_partial_ok"]
t.is_(p.execute_command("CLIENT", "KILL", "TYPE", "replica"), 1, "CLIENT KILL TYPE replica kills one")
for n in range(50, 60):
    stream_writes(p, n)
try:
    rhtest.wait_for(lambda: p.info("stats")["sync_partial_ok"] == ok_before + 1, 15,
                    what="partial resync")
    partial = True
except Exception:  # noqa: BLE001
    partial = False
t.ok(partial, "replica reconnected with PSYNC: sync_partial_ok incremented")
t.is_(p.info("stats")["sync_full"], 1, "no second full sync")
t.ok(repltest.wait_synced(t, p, r1, "after partial resync"), "caught up after partial resync")
t.is_(digest(r1), digest(p), "digest equal after partial resync")

# ---- a second replica ---------------------------------------------------------------
rep2 = replica_of(prim)
r2 = rep2.client()
for n in range(60, 70):
    stream_writes(p, n)
t.ok(repltest.wait_synced(t, p, r2, "second replica"), "second replica synced")
t.ok(repltest.wait_synced(t, p, r1, "first replica"), "first replica still in sync")
t.is_(digest(r2), digest(p), "second replica digest equal")
t.is_(keys_equal(p, r2), None, "second replica key by key equal")
t.is_(p.info("replication")["connected_slaves"], 2, "connected_slaves:2")
p.set("waited", 2)
t.is_(p.execute_command("WAIT", 2, 5000), 2, "WAIT 2 with two replicas returns 2")
# WAIT counts the replicas that have the calling client's own writes.
os.kill(rep1.pid, signal.SIGSTOP)
p.set("unacked", 1)
other = prim.client()
t.is_(other.execute_command("WAIT", 2, 0), 2,
      "WAIT from a client that wrote nothing counts every replica at once")
t.is_(p.execute_command("WAIT", 2, 200), 1, "WAIT from the writer counts only the replica that has its write")
os.kill(rep1.pid, signal.SIGCONT)
rep2.kill()
rep1.kill()

# repl-backlog-ttl: the backlog goes once no replica was attached for that long.
t.ok(repltest.waits(t, lambda: p.info("replication")["connected_slaves"] == 0, 15, "replicas gone"),
     "the killed replicas are gone")
id_before = p.info("replication")["master_replid"]
p.config_set("repl-backlog-ttl", 1)
t.ok(repltest.waits(t, lambda: p.info("replication")["repl_backlog_active"] == 0, 10, "backlog freed"),
     "repl-backlog-ttl 1 frees the backlog a second after the last replica left")
t.ok(p.info("replication")["master_replid"] != id_before,
     "a new replication ID: no replica can continue the freed history")
t.ok("Replication backlog freed after 1 seconds" in prim.log_text(), "the log says why")

# ---- min-replicas-to-write ----------------------------------------------------------
prim2 = rhtest.Server(config=DEBUG + DISK +
                      "min-replicas-to-write 1\nmin-replicas-max-lag 10\n"
                      "rdb-del-sync-files yes\n"
                      "client-output-buffer-limit replica 1mb 0 0\n")
q = prim2.client()
t.raises(lambda: q.set("k", "v"), "NOREPLICAS Not enough good replicas to write.",
         "write refused without a replica")
t.is_(q.get("k"), None, "reads still served")
rep3 = replica_of(prim2)
r3 = rep3.client()
try:
    rhtest.wait_for(lambda: q.info("replication").get("slave0", {}).get("state") == "online",
                    15, what="replica online")
except Exception as e:  # noqa: BLE001
    t.diag(str(e))
t.is_(q.set("k", "v"), True, "write accepted with one good replica")
t.ok(repltest.wait_synced(t, q, r3, "min-replicas replica"), "replica synced")
t.ok(not os.path.exists(os.path.join(prim2.dir, "dump.rdb")),
   "rdb-del-sync-files yes without persistence: the sync snapshot is removed")

# ---- a stopped replica is dropped by its output buffer limit ------------------------
q.config_set("min-replicas-to-write", 0)
os.kill(rep3.pid, signal.SIGSTOP)
big = "x" * 100000
for i in range(300):
    q.set("big:%d" % (i % 50), big + str(i))
try:
    rhtest.wait_for(lambda: q.info("replication")["connected_slaves"] == 0, 15,
                    what="replica dropped")
    dropped = True
except Exception:  # noqa: BLE001
    dropped = False
t.ok(dropped, "stopped replica dropped")
t.ok("client-output-buffer-limit replica" in prim2.log_text(),
     "the log names the replica output buffer limit")
os.kill(rep3.pid, signal.SIGCONT)
t.ok(repltest.wait_synced(t, q, r3, "resync after SIGCONT", timeout=30), "replica resyncs after SIGCONT")
t.is_(digest(r3), digest(q), "digest equal after resync")
rep3.kill()

t.done()
