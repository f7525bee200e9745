"""Replication, replica side, repl-diskless-load: our replica in swapdb and
on-empty-db mode parses the snapshot straight from the socket, with Redis
7.0.15 primaries in diskless (EOF framing) and disk-based ($len framing)
mode; datasets compared, no RDB file written; clients served while a slow
transfer loads (-LOADING, INFO loading fields); swapdb keeps the old data
when the primary dies mid-transfer, on-empty-db is left empty, and both
retry; on-empty-db with data falls back to disk; scripted primaries that
send bad data, a broken EOF mark, go silent (repl-timeout), or send the
stream right after the payload; SHUTDOWN during the load."""
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402
import repltest  # noqa: E402
from repltest import FakePrimary, digest, keys_equal, populate, stream_writes, valid_rdb  # noqa: E402

t = rhtest.Tap()
DEBUG = "enable-debug-command yes\n"
DISKLESS = "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n"

if not os.path.exists(rhtest.REF_SERVER):
    t.skip("diskless load tests", "no reference redis-server")
    t.done()


def ours(mode, primary=None, extra=""):
    conf = DEBUG + "repl-diskless-load %s\n" % mode + extra
    if primary is not None:
        conf += "replicaof 127.0.0.1 %d\n" % primary.port
    return rhtest.Server(config=conf)


def synced(p, r, what, timeout=30):
    return repltest.wait_synced(t, p, r, what, timeout)


def eventually(cond, what, timeout=15):
    return repltest.waits(t, cond, timeout, what)


def rdb_files(server):
    """RDB files (final or temporary) in the server's directory."""
    return [f for f in os.listdir(server.dir) if f.endswith(".rdb")]


def loading(r):
    return r.info("persistence")["loading"] == 1


def log_order(server, lines):
    """The lines appear in the log in this order."""
    text = server.log_text()
    pos = 0
    for line in lines:
        i = text.find(line, pos)
        if i < 0:
            t.diag("missing after offset %d: %r" % (pos, line))
            return False
        pos = i + len(line)
    return True


# ---- Redis 7.0.15 primary, diskless: EOF framing -------------------------------------
rp = rhtest.ref_server(config=DEBUG + DISKLESS)
p = rp.client()
populate(p)
for mode in ("swapdb", "on-empty-db"):
    rep = ours(mode)
    r = rep.client()
    r.set("old", "data")
    if mode == "on-empty-db":
        r.delete("old")
    r.execute_command("REPLICAOF", "127.0.0.1", rp.port)
    t.ok(synced(p, r, mode + " EOF"), "%s: full sync from Redis 7.0.15 with EOF framing" % mode)
    t.ok("receiving streamed RDB from master with EOF to parser" in rep.log_text(),
         "%s: the snapshot goes to the parser" % mode)
    t.is_(digest(r), digest(p), "%s: digest equal after the full sync" % mode)
    t.is_(keys_equal(p, r), None, "%s: key by key equal" % mode)
    t.is_(r.get("old"), None, "%s: the replica's previous data is gone" % mode)
    if mode == "swapdb":
        t.ok(log_order(rep, ["MASTER <-> REPLICA sync: Loading DB in memory",
                             "Done loading RDB, keys loaded: ",
                             "Discarding previously cached master state.",
                             "MASTER <-> REPLICA sync: Swapping active DB with loaded DB",
                             "MASTER <-> REPLICA sync: Discarding old DB in background",
                             "MASTER <-> REPLICA sync: Finished with success"]),
             "swapdb: Redis's log lines in Redis's order")
    else:
        t.ok(log_order(rep, ["Discarding previously cached master state.",
                             "MASTER <-> REPLICA sync: Flushing old data",
                             "MASTER <-> REPLICA sync: Loading DB in memory",
                             "Done loading RDB, keys loaded: ",
                             "MASTER <-> REPLICA sync: Finished with success"]),
             "on-empty-db: Redis's log lines in Redis's order")
    for n in range(10):
        stream_writes(p, n)
    t.ok(synced(p, r, mode + " stream"), "%s: the stream is applied after the load" % mode)
    t.is_(digest(r), digest(p), "%s: digest equal after the stream" % mode)
    t.is_(rdb_files(rep), [], "%s: no RDB file written by the replica" % mode)
    t.is_(rep.stop(), None, "%s: clean shutdown (no sanitizer report)" % mode)

# ---- Redis primary with repl-diskless-sync no: $len framing ------------------------
p.config_set("repl-diskless-sync", "no")
# A slow BGSAVE while writes go on: the primary sends the writes right
# after the payload.
p.execute_command("DEBUG", "POPULATE", 3000, "pad", 20)
for mode in ("swapdb", "on-empty-db"):
    p.config_set("rdb-key-save-delay", 200)
    rep = ours(mode, rp)
    r = rep.client()
    n = 100
    while r.info("replication").get("master_link_status") != "up" and n < 2000:
        stream_writes(p, n)
        n += 1
    p.config_set("rdb-key-save-delay", 0)
    t.ok(synced(p, r, mode + " $len"), "%s: full sync from Redis 7.0.15 with $len framing" % mode)
    t.ok(re.search(r"receiving \d+ bytes from master to parser", rep.log_text()) is not None,
         "%s: length framing to the parser" % mode)
    t.is_(digest(r), digest(p), "%s: digest equal with writes during the transfer" % mode)
    t.is_(rdb_files(rep), [], "%s: no RDB file written ($len)" % mode)
    rep.kill()

# ---- on-empty-db with data: the disk path ------------------------------------------
rep = ours("on-empty-db")
r = rep.client()
r.set("mine", "x")
r.execute_command("REPLICAOF", "127.0.0.1", rp.port)
t.ok(synced(p, r, "fallback"), "on-empty-db with data: full sync")
t.ok(re.search(r"receiving \d+ bytes from master to disk", rep.log_text()) is not None,
     "on-empty-db with data: the snapshot goes to disk")
t.is_(digest(r), digest(p), "on-empty-db with data: digest equal")
rep.kill()
rp.kill()

# ---- a slow transfer, then the primary dies ------------------------------------------
# Both replicas share one transfer (max-replicas 2), slowed by the primary.
rp = rhtest.ref_server(config=DEBUG + "repl-diskless-sync yes\nrepl-diskless-sync-delay 10\n"
                       "repl-diskless-sync-max-replicas 2\n")
p = rp.client()
p.execute_command("DEBUG", "POPULATE", 50000, "big", 100)
p.config_set("rdb-key-save-delay", 20)
swap = ours("swapdb")
empty = ours("on-empty-db")
rs, re_ = swap.client(), empty.client()
rs.set("mine", "kept")
rs.execute_command("SELECT", 4)
rs.set("db4", "kept too")
rs.execute_command("SELECT", 0)
rs.execute_command("REPLICAOF", "127.0.0.1", rp.port)
re_.execute_command("REPLICAOF", "127.0.0.1", rp.port)
t.ok(eventually(lambda: loading(rs) and loading(re_), "both loading", 20),
     "both replicas load the slow transfer")
time.sleep(0.5)  # let some keys arrive: the partial data is what must not show.
for name, rc in (("swapdb", rs), ("on-empty-db", re_)):
    start = time.monotonic()
    srv_ = swap if rc is rs else empty
    t.is_(srv_.raw().cmd("PING"), rhtest.Error("LOADING Redis is loading the dataset in memory"),
          "%s: PING while loading gets -LOADING" % name)
    pers, repl = rc.info("persistence"), rc.info("replication")
    t.ok(time.monotonic() - start < 2, "%s: answered at once while loading" % name)
    t.ok(pers["loading"] == 1 and pers["async_loading"] == 0 and pers["loading_total_bytes"] == 0
         and pers["loading_rdb_used_mem"] > 0 and pers["loading_loaded_bytes"] > 0
         and 0 < float(pers["loading_loaded_perc"]) < 100,
         "%s: INFO persistence loading fields" % name)
    t.ok(repl["master_sync_in_progress"] == 1 and repl["master_link_status"] == "down"
         and repl["master_sync_total_bytes"] == 0 and repl["master_sync_read_bytes"] == 0
         and float(repl["master_sync_perc"]) == 0,
         "%s: INFO replication during the load" % name)
    t.raises(lambda: rc.get("mine"), "Redis is loading the dataset in memory",
             "%s: reads get -LOADING" % name)
t.is_(rs.info("keyspace"), {"db0": {"keys": 1, "expires": 0, "avg_ttl": 0},
                            "db4": {"keys": 1, "expires": 0, "avg_ttl": 0}},
      "swapdb: INFO keyspace shows the old data while the new loads")
rp.kill()
t.ok(eventually(lambda: not loading(rs) and not loading(re_), "load aborted"),
     "the loads end when the primary dies")
t.ok("Failed trying to load the MASTER synchronization DB from socket" in swap.log_text(),
     "swapdb: the failure is logged")
t.ok("MASTER <-> REPLICA sync: Discarding temporary DB in background" in swap.log_text(),
     "swapdb: the temporary DB is discarded")
t.is_(rs.get("mine"), b"kept", "swapdb: the old data is served again")
rs.execute_command("SELECT", 4)
t.is_(rs.get("db4"), b"kept too", "swapdb: ... in every database")
rs.execute_command("SELECT", 0)
t.is_(rs.dbsize(), 1, "swapdb: nothing of the partial transfer is left")
t.is_(re_.dbsize(), 0, "on-empty-db: the replica is left empty")
t.ok(eventually(lambda: swap.log_text().count("Connecting to MASTER") >= 2
                and empty.log_text().count("Connecting to MASTER") >= 2, "retries"),
     "both replicas retry")
rp.start()
p = rp.client()
populate(p)
t.ok(synced(p, rs, "swapdb retry") and synced(p, re_, "on-empty-db retry"),
     "both sync once the primary is back")
t.is_(digest(rs), digest(p), "swapdb: digest equal after the retry")
t.is_(digest(re_), digest(p), "on-empty-db: digest equal after the retry")
t.is_(rdb_files(swap) + rdb_files(empty), [], "no RDB file left by the failed or the good transfer")
t.is_(swap.stop(), None, "swapdb: clean shutdown after the failed and the good transfer")
t.is_(empty.stop(), None, "on-empty-db: clean shutdown after the failed and the good transfer")
rp.kill()

# ---- scripted primaries ----------------------------------------------------------------
RDB = valid_rdb()
RID = b"a" * 40
MARK = b"m" * 40


def fullresync(rest):
    return b"+FULLRESYNC %s 0\r\n" % RID + rest


def eof_framed(payload, mark=MARK):
    return fullresync(b"$EOF:%s\r\n" % MARK + payload + mark)


def len_framed(payload):
    return fullresync(b"$%d\r\n" % len(payload) + payload)


bad_crc = RDB[:-1] + bytes([RDB[-1] ^ 0xFF])
garbage = b"REDIS0010" + b"\x07" * 40
cases = [
    ("EOF framing, bad checksum", eof_framed(bad_crc), "wrong RDB checksum"),
    ("EOF framing, broken mark", eof_framed(RDB, b"x" * 40), "EOF marker is broken"),
    ("$len framing, garbage", len_framed(garbage), "from socket"),
    ("$len framing, cut short", fullresync(b"$%d\r\n" % len(RDB) + RDB[:len(RDB) // 2]),
     "connection closed by the MASTER"),
]
victim = ours("swapdb")
v = victim.client()
v.set("mine", "kept")
for name, data, logged in cases:
    fake = FakePrimary(lambda c, data=data: c.sendall(data))
    v.execute_command("REPLICAOF", "127.0.0.1", fake.port)
    t.ok(eventually(lambda: fake.conns >= 2, "retries: " + name), "swapdb, %s: the replica retries" % name)
    t.ok(logged in victim.log_text(), "swapdb, %s: the reason is logged" % name)
    t.is_(v.get("mine"), b"kept", "swapdb, %s: the old data is served" % name)
    v.execute_command("REPLICAOF", "NO", "ONE")
    fake.close()

# A primary that goes silent mid-transfer: repl-timeout.
v.config_set("repl-timeout", 2)
fake = FakePrimary(lambda c: (c.sendall(eof_framed(RDB[:20], b"")), time.sleep(5)))
v.execute_command("REPLICAOF", "127.0.0.1", fake.port)
t.ok(eventually(lambda: loading(v), "silent loading"), "swapdb: loading a silent transfer")
t.is_(victim.raw().cmd("PING"), rhtest.Error("LOADING Redis is loading the dataset in memory"),
      "swapdb: PING answered while waiting for the primary")
t.ok(eventually(lambda: "socket: Connection timed out" in victim.log_text(), "timeout"),
     "swapdb: a silent primary is timed out after repl-timeout")
t.ok(eventually(lambda: not loading(v), "not loading"), "the load ends")
t.is_(v.get("mine"), b"kept", "swapdb: the old data is served after the timeout")
v.execute_command("REPLICAOF", "NO", "ONE")
fake.close()
t.is_(rdb_files(victim), [], "no RDB file written by the failed transfers")
t.ok(victim.proc.poll() is None, "the replica survived every scripted primary")
t.is_(victim.stop(), None, "clean shutdown after the scripted primaries")

# on-empty-db: a failed transfer leaves the replica empty; the next attempt
# does not continue the old history.
victim = ours("on-empty-db")
v = victim.client()
fake = FakePrimary(lambda c: c.sendall(eof_framed(bad_crc)))
v.execute_command("REPLICAOF", "127.0.0.1", fake.port)
t.ok(eventually(lambda: fake.conns >= 2, "on-empty-db retries"), "on-empty-db, bad data: the replica retries")
t.is_(v.dbsize(), 0, "on-empty-db, bad data: the replica stays empty")
t.ok(eventually(lambda: "Partial resynchronization not possible (no cached master)" in victim.log_text(),
                "second PSYNC"),
     "on-empty-db, bad data: the next attempt asks for a full sync")
v.execute_command("REPLICAOF", "NO", "ONE")
fake.close()
victim.kill()

# The stream right after the payload, in the same packet.
SET = b"*3\r\n$3\r\nSET\r\n$6\r\nstream\r\n$3\r\nyes\r\n"
for mode in ("swapdb", "on-empty-db"):
    for framing, data in (("EOF", eof_framed(RDB) + SET), ("$len", len_framed(RDB) + SET)):
        done = threading.Event()
        fake = FakePrimary(lambda c, data=data: (c.sendall(data), done.wait(15)))
        victim = ours(mode, fake)
        v = victim.client()
        t.ok(eventually(lambda: v.get("stream") == b"yes", "stream after " + framing),
             "%s, %s framing: the command after the payload is applied" % (mode, framing))
        t.is_(v.get("from-fake"), b"x", "%s, %s framing: the snapshot is loaded" % (mode, framing))
        t.is_(v.info("replication")["master_link_status"], "up", "%s, %s: link up" % (mode, framing))
        done.set()
        victim.kill()
        fake.close()

# SHUTDOWN while loading stops the server.
fake = FakePrimary(lambda c: (c.sendall(eof_framed(RDB[:20], b"")), time.sleep(10)))
victim = ours("swapdb", fake)
v = victim.client()
t.ok(eventually(lambda: loading(v), "loading before shutdown"), "loading a stalled transfer")
try:
    v.execute_command("SHUTDOWN", "NOSAVE")
except Exception:  # noqa: BLE001  (the connection closes)
    pass
t.ok(eventually(lambda: victim.proc.poll() is not None, "exit"), "SHUTDOWN during the load stops the server")
t.is_(victim.stop(), None, "... with exit status 0 and no sanitizer report")
fake.close()

# ---- a swapdb replica with the AOF on ------------------------------------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync-delay 0\n")
p = prim.client()
p.execute_command("DEBUG", "POPULATE", 1000)
aofrep = ours("swapdb", extra="appendonly yes\nappendfsync always\n")
ra = aofrep.client()
ra.set("old", "data")
ra.execute_command("REPLICAOF", "127.0.0.1", prim.port)
t.ok(synced(p, ra, "AOF replica"), "swapdb with appendonly yes: synced")
t.ok(eventually(lambda: ra.info("persistence")["aof_rewrite_in_progress"] == 0
                and ra.info("persistence")["aof_rewrite_scheduled"] == 0, "AOF rewritten"),
     "swapdb with appendonly yes: the AOF is rewritten from the loaded data")
p.set("after-sync", "streamed")
synced(p, ra, "AOF replica streamed")
aofrep.kill()
aofrep.start()
ra = aofrep.client()
t.ok(ra.dbsize() == 1001 and ra.get("after-sync") == b"streamed" and ra.get("old") is None,
     "swapdb with appendonly yes: after kill -9 the AOF holds the new data and the stream")
aofrep.kill()
prim.kill()

# ---- ours to ours ----------------------------------------------------------------------
prim = rhtest.Server(config=DEBUG + "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n")
p = prim.client()
populate(p)
rep = ours("swapdb", prim)
r = rep.client()
t.ok(synced(p, r, "ours"), "swapdb: our replica of our primary")
for n in range(10):
    stream_writes(p, n)
t.ok(synced(p, r, "ours stream"), "swapdb: our primary's stream applied")
t.is_(digest(r), digest(p), "swapdb: digest equal with our primary")
rep.kill()
prim.kill()

t.done()
