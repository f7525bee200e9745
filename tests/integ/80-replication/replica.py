"""Replication, replica side: our replica of Debian's redis-server 7.0.15
(diskless EOF framing and disk $len framing), the stream of every type's
writes, INFO replication and ROLE as a Redis replica shows them,
read-only and stale-data gates, partial resync after a link drop and after
a restart, chained replicas with the same IDs and offsets, a promotion
with the other replica and the old primary continuing partially, expiry
on replicas, masterauth, repl-timeout, and a primary that sends garbage
or disappears mid-snapshot."""
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402
import repltest  # noqa: E402
from repltest import FakePrimary, digest, keys_equal, populate, stream_writes, valid_rdb  # noqa: E402

t = rhtest.Tap()
DEBUG = "enable-debug-command yes\n"

if not os.path.exists(rhtest.REF_SERVER):
    t.skip("replica tests", "no reference redis-server")
    t.done()


def ours_of(primary, extra=""):
    return rhtest.Server(config=DEBUG + extra + "replicaof 127.0.0.1 %d\n" % primary.port)


def synced(p, r, what, timeout=20):
    return repltest.wait_synced(t, p, r, what, timeout)


def stat(r, name):
    return r.info("stats")[name]


def eventually(cond, what, timeout=15):
    return repltest.waits(t, cond, timeout, what)


# ---- ours as the replica of Redis 7.0.15 (diskless: EOF framing) -------------------
rp = rhtest.ref_server(config=DEBUG + "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n")
p = rp.client()
populate(p)
rep = ours_of(rp)
r = rep.client()
t.ok(synced(p, r, "full sync from Redis (diskless)"), "full sync from Redis 7.0.15, EOF framing")
t.ok("receiving streamed RDB from master with EOF" in rep.log_text(), "EOF framing used")
t.is_(digest(r), digest(p), "digest equal after the full sync")
t.is_(keys_equal(p, r), None, "key by key equal after the full sync")
for n in range(40):
    stream_writes(p, n)
t.ok(synced(p, r, "stream from Redis"), "the stream of every type is applied")
t.is_(digest(r), digest(p), "digest equal after the stream")
t.is_(keys_equal(p, r), None, "key by key equal after the stream")
ri, pi = r.info("replication"), p.info("replication")
t.ok(ri["master_replid"] == pi["master_replid"] and ri["master_repl_offset"] == pi["master_repl_offset"],
     "the replica has the primary's replication ID and offset")

# INFO replication and ROLE against a Redis replica of the same primary.
refrep = rhtest.ref_server(config="replicaof 127.0.0.1 %d\n" % rp.port)
rr = refrep.client()
synced(p, rr, "Redis replica")
ref_names = [line.split(":")[0] for line in refrep.raw().cmd("INFO", "replication").decode().splitlines()
             if ":" in line]
our_names = [line.split(":")[0] for line in rep.raw().cmd("INFO", "replication").decode().splitlines()
             if ":" in line]
t.is_(our_names, ref_names, "INFO replication fields of a replica in Redis's order")
ri = r.info("replication")
t.ok(ri["role"] == "slave" and ri["master_host"] == "127.0.0.1" and ri["master_port"] == rp.port
     and ri["master_link_status"] == "up" and ri["master_sync_in_progress"] == 0
     and ri["slave_read_only"] == 1 and ri["slave_priority"] == 100,
     "INFO replication values on the replica")
role = r.execute_command("ROLE")
t.ok(role[0] == b"slave" and role[1] == b"127.0.0.1" and role[2] == rp.port
     and role[3] == b"connected" and role[4] == ri["slave_repl_offset"], "ROLE on the replica")
t.is_(type(rr.execute_command("ROLE")[2]), type(role[2]), "ROLE's port has Redis's type")
refrep.kill()

# Gates.
try:
    r.execute_command("SET", "k", "v")
    err = None
except Exception as e:  # noqa: BLE001
    err = str(e)
t.is_(err, "You can't write against a read only replica.", "writes refused: READONLY")
t.is_(rep.raw().cmd("SET", "k", "v"), rhtest.Error("READONLY You can't write against a read only replica."),
      "the error's code is READONLY")
t.raises(lambda: r.execute_command("WAIT", 0, 0), "WAIT cannot be used with replica instances",
         "WAIT refused on a replica")
t.is_(r.get("int"), b"12345", "reads served")
t.raises(lambda: r.execute_command("REPLICAOF", "127.0.0.1", "70000"), "Invalid master port",
         "REPLICAOF with a bad port")
t.is_(r.execute_command("REPLICAOF", "127.0.0.1", rp.port), b"OK Already connected to specified master",
      "REPLICAOF of the current primary")
t.is_(r.config_get("replicaof")["replicaof"], "127.0.0.1 %d" % rp.port, "CONFIG GET replicaof")

# Partial resync after the link drops.
ok0 = stat(p, "sync_partial_ok")
full0 = stat(p, "sync_full")
t.is_(r.execute_command("CLIENT", "KILL", "TYPE", "master"), 1, "CLIENT KILL TYPE master")
for n in range(40, 50):
    stream_writes(p, n)
t.ok(eventually(lambda: stat(p, "sync_partial_ok") == ok0 + 1, "partial resync"),
     "the replica continues with PSYNC after a link drop (sync_partial_ok)")
t.is_(stat(p, "sync_full"), full0, "no full sync after the link drop")
t.ok(synced(p, r, "after the partial resync"), "caught up after the partial resync")
t.is_(digest(r), digest(p), "digest equal after the partial resync")

# A transaction is applied whole.
pipe = p.pipeline(transaction=True)
for i in range(20):
    pipe.incr("tx:counter")
pipe.execute()
t.ok(synced(p, r, "transaction"), "transaction replicated")
t.is_(r.get("tx:counter"), b"20", "the transaction's effect on the replica")

# Expiry on a replica: logically expired keys read as absent, removed by the
# primary's DEL.
p.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", 0)
p.set("short", "v", px=300)
synced(p, r, "short key")
time.sleep(0.4)  # the key's own TTL must pass: there is no condition to poll before it.
t.is_(r.get("short"), None, "an expired key reads as absent on the replica")
keys_before = r.dbsize()
t.is_(keys_before, p.dbsize(), "... but it is held until the primary deletes it (DBSIZE)")
t.is_(p.get("short"), None, "the primary expires it on access")
t.ok(eventually(lambda: r.dbsize() == keys_before - 1, "DEL reached the replica"),
     "the primary's DEL removes it from the replica")
p.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", 1)

# ---- disk framing ($len) --------------------------------------------------------------
rp.client().config_set("repl-diskless-sync", "no")
rep2 = ours_of(rp)
r2 = rep2.client()
t.ok(synced(p, r2, "disk sync"), "full sync from Redis 7.0.15 with $len framing")
t.ok(re.search(r"receiving \d+ bytes from master to disk", rep2.log_text()) is not None,
     "length framing used")
t.is_(digest(r2), digest(p), "digest equal after the disk-based sync")
rep2.kill()
rep.kill()
rp.kill()

# ---- ours to ours: chained replicas, restart, promotion -----------------------------
prim = rhtest.Server(config=DEBUG)
p = prim.client()
populate(p)
a = ours_of(prim, "save 3600 1\n")
ra = a.client()
t.ok(synced(p, ra, "replica A"), "our replica of our primary")
chained = ours_of(a)
rc = chained.client()
for n in range(20):
    stream_writes(p, n)
t.ok(synced(p, ra, "A streamed"), "A applies the stream")
t.ok(synced(ra, rc, "chained streamed"), "a chained replica applies A's stream")
ci, ai, pi = rc.info("replication"), ra.info("replication"), p.info("replication")
t.ok(ci["master_replid"] == ai["master_replid"] == pi["master_replid"]
     and ci["master_repl_offset"] == ai["master_repl_offset"] == pi["master_repl_offset"],
     "the chain shares one replication ID and offset")
t.is_(digest(rc), digest(p), "chained replica digest equal")
ps, rs = p.info("stats"), ra.info("stats")
t.ok(ps["total_net_repl_output_bytes"] >= pi["master_repl_offset"]
     and rs["total_net_repl_input_bytes"] >= pi["master_repl_offset"]
     and rs["total_net_input_bytes"] >= rs["total_net_repl_input_bytes"],
     "total_net_repl_* count the replication traffic on both sides")
t.is_(ai["connected_slaves"], 1, "A lists its replica")

# A restart continues from the RDB's replication fields.
ok0 = stat(p, "sync_partial_ok")
try:
    ra.shutdown(save=True)
except Exception:  # noqa: BLE001  (the connection closes)
    pass
a.proc.wait(15)
for n in range(20, 25):
    stream_writes(p, n)
a.start()
ra = a.client()
t.ok(eventually(lambda: stat(p, "sync_partial_ok") == ok0 + 1, "partial after restart"),
     "a restarted replica continues partially (replication fields in its RDB)")
t.ok(synced(p, ra, "A after restart"), "A caught up after its restart")
t.is_(digest(ra), digest(p), "digest equal after the restart")
t.ok(synced(ra, rc, "chained after A's restart"), "the chained replica follows again")

# Promotion: B follows the promoted A partially; the old primary too.
b = ours_of(prim)
rb = b.client()
t.ok(synced(p, rb, "replica B"), "second replica B")
p.set("before-failover", 1)
synced(p, ra, "A before promotion")
synced(p, rb, "B before promotion")
old_id = p.info("replication")["master_replid"]
t.is_(ra.execute_command("REPLICAOF", "NO", "ONE"), b"OK", "REPLICAOF NO ONE")
ai = ra.info("replication")
t.ok(ai["role"] == "master" and ai["master_replid2"] == old_id
     and ai["second_repl_offset"] == ai["master_repl_offset"] + 1,
     "the promoted replica keeps the old ID as replid2")
full_a = stat(ra, "sync_full")
rb.execute_command("REPLICAOF", "127.0.0.1", a.port)
ra.set("after-failover", 1)
t.ok(eventually(lambda: stat(ra, "sync_partial_ok") >= 1 and
                rb.info("replication").get("master_link_status") == "up", "B partial"),
     "B continues partially with the promoted A")
p.execute_command("REPLICAOF", "127.0.0.1", a.port)
t.ok(eventually(lambda: p.info("replication").get("master_link_status") == "up", "old primary"),
     "the old primary follows the new one")
t.is_(stat(ra, "sync_full"), full_a, "no full sync for B nor for the old primary")
t.ok(synced(ra, rb, "B after failover") and synced(ra, p, "old primary after failover"),
     "both caught up")
t.is_(rb.get("after-failover"), b"1", "a write on the new primary reaches B")
t.is_(digest(p), digest(ra), "the old primary's digest equals the new primary's")
t.ok(eventually(lambda: rc.info("replication").get("master_link_status") == "up"
                and synced(ra, rc, "chained after promotion"), "chained"),
     "A's own replica follows it through the promotion")
t.raises(lambda: p.set("x", 1), "read only replica", "the old primary is read-only now")
for s in (chained, b, a, prim):
    s.kill()

# ---- a replica with the AOF on -----------------------------------------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 0\n")
p = prim.client()
p.execute_command("DEBUG", "POPULATE", 1000)
aofrep = ours_of(prim, "appendonly yes\nappendfsync always\n")
ra = aofrep.client()
t.ok(synced(p, ra, "AOF replica"), "a replica with appendonly yes syncs")
t.ok(eventually(lambda: ra.info("persistence")["aof_rewrite_in_progress"] == 0
                and ra.info("persistence")["aof_rewrite_scheduled"] == 0, "AOF rewritten"),
     "its AOF is rewritten from the loaded snapshot")
p.set("after-sync", "streamed")
synced(p, ra, "AOF replica streamed")
aofrep.kill()
with open(aofrep.conf) as f:
    conf = f.read()
with open(aofrep.conf, "w") as f:
    f.write(conf.replace("replicaof 127.0.0.1 %d\n" % prim.port, ""))
aofrep.start()
ra = aofrep.client()
t.ok(ra.dbsize() == 1001 and ra.get("after-sync") == b"streamed",
     "after kill -9 its AOF holds the snapshot and the stream")
aofrep.kill()
prim.kill()

# ---- stale data, masterauth ---------------------------------------------------------
prim = rhtest.Server(config=DEBUG)
prim.client().config_set("requirepass", "s3cret")
p = prim.client(password="s3cret")
p.set("k", "v")
bad = ours_of(prim, "masterauth wrong\n")
t.ok(eventually(lambda: "Unable to AUTH to MASTER" in bad.log_text(), "auth refused"),
     "a wrong masterauth is logged")
t.is_(bad.client().info("replication")["master_link_status"], "down", "... and the link stays down")
bad.kill()
rep = ours_of(prim, "masterauth s3cret\nreplica-serve-stale-data no\n")
r = rep.client()
t.ok(synced(p, r, "masterauth"), "masterauth lets the replica sync")
t.is_(r.get("k"), b"v", "data synced through AUTH")
prim.kill()
t.ok(eventually(lambda: r.info("replication")["master_link_status"] == "down", "link down"),
     "the link goes down with the primary")
t.raises(lambda: r.get("k"),
         "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
         "replica-serve-stale-data no: MASTERDOWN")
t.ok(r.info("replication")["master_link_down_since_seconds"] >= 0, "master_link_down_since_seconds")
t.raises(lambda: r.ping(), "MASTERDOWN", "PING too gets MASTERDOWN, as in Redis 7.0")
r.config_set("replica-serve-stale-data", "yes")
t.is_(r.get("k"), b"v", "replica-serve-stale-data yes: stale data served")
rep.kill()


# ---- a primary that misbehaves ------------------------------------------------------
RDB = valid_rdb()
RID = "a" * 40

cases = [
    ("garbage instead of +FULLRESYNC", lambda c: c.sendall(b"@#!garbage\r\n")),
    ("closes mid-snapshot", lambda c: c.sendall(b"+FULLRESYNC %s 0\r\n$%d\r\n" % (RID.encode(), len(RDB))
                                                   + RDB[:len(RDB) // 2])),
    ("a snapshot with a bad checksum",
     lambda c: c.sendall(b"+FULLRESYNC %s 0\r\n$%d\r\n" % (RID.encode(), len(RDB))
                         + RDB[:-1] + bytes([RDB[-1] ^ 0xFF]))),
    ("a bad $ line", lambda c: c.sendall(b"+FULLRESYNC %s 0\r\nnot-a-length\r\n" % RID.encode())),
    ("an EOF-framed snapshot cut short",
     lambda c: c.sendall(b"+FULLRESYNC %s 0\r\n$EOF:%s\r\n" % (RID.encode(), b"b" * 40) + RDB[:20])),
]
victim = rhtest.Server(config=DEBUG)
v = victim.client()
v.set("mine", "kept")
for name, script in cases:
    fake = FakePrimary(script)
    v.execute_command("REPLICAOF", "127.0.0.1", fake.port)
    retried = eventually(lambda: fake.conns >= 2, "retries: " + name)
    t.ok(retried, "%s: the replica retries" % name)
    t.is_(v.get("mine"), b"kept", "%s: the previous data is still served" % name)
    v.execute_command("REPLICAOF", "NO", "ONE")
    fake.close()
t.ok(victim.proc.poll() is None, "the replica survived every misbehaving primary")
leftovers = [f for f in os.listdir(victim.dir) if f.startswith("temp-")]
t.is_(leftovers, [], "no partial transfer file is left behind")

# A primary that goes silent after +CONTINUE is timed out (repl-timeout).
def silent(c):
    c.sendall(b"+CONTINUE %s\r\n" % v.info("replication")["master_replid"].encode())
    time.sleep(6)


# A primary that accepts the connection and says nothing: the handshake waits.
mute = socket.socket()
mute.bind(("127.0.0.1", 0))
mute.listen(1)
v.execute_command("REPLICAOF", "127.0.0.1", mute.getsockname()[1])
t.ok(eventually(lambda: v.execute_command("ROLE")[3] == b"handshake", "handshake state"),
     "ROLE shows the handshake state, as Redis does")
t.is_(v.info("replication")["master_link_status"], "down", "the link is down during the handshake")
v.execute_command("REPLICAOF", "NO", "ONE")
mute.close()

v.config_set("repl-timeout", 2)
fake = FakePrimary(silent)
v.execute_command("REPLICAOF", "127.0.0.1", fake.port)
t.ok(eventually(lambda: "MASTER timeout" in victim.log_text() and fake.conns >= 2, "timeout", 20),
     "a silent primary is timed out after repl-timeout and the replica reconnects")
v.execute_command("REPLICAOF", "NO", "ONE")
fake.close()
t.is_(v.get("mine"), b"kept", "data kept through the timeouts")
problem = victim.stop()
t.is_(problem, None, "clean shutdown")

# ---- a 1M-key full sync while writes continue ---------------------------------------
prim = rhtest.Server(config=DEBUG)
p = prim.client()
p.execute_command("DEBUG", "POPULATE", 1000000, "key", 16)
stop = threading.Event()


def writer():
    w = prim.client()
    i = 0
    while not stop.is_set():
        w.set("live:%d" % (i % 5000), i)
        w.incr("live:counter")
        i += 1


th = threading.Thread(target=writer, daemon=True)
th.start()
big = ours_of(prim)
rb = big.client()
t.ok(eventually(lambda: rb.info("replication")["master_link_status"] == "up", "1M sync", 120),
     "a 1M-key full sync completes while writes continue")
stop.set()
th.join(10)
t.ok(synced(p, rb, "1M caught up", 60), "the replica catches up after the writes stop")
t.is_(rb.dbsize(), p.dbsize(), "same number of keys")
# DEBUG DIGEST of 1M keys takes seconds (in Redis too): both at once.
digests = {}
workers = [threading.Thread(target=lambda n=n, s=s: digests.__setitem__(n, digest(s.client(socket_timeout=120))))
           for n, s in (("primary", prim), ("replica", big))]
for w in workers:
    w.start()
for w in workers:
    w.join(180)
t.ok(digests.get("primary") is not None and digests.get("primary") == digests.get("replica"),
     "digest equal after the 1M-key sync under writes")
big.kill()
prim.kill()

t.done()
