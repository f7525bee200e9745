"""Generic keyspace commands: DEL/UNLINK/EXISTS/TYPE/TOUCH, RENAME(NX), COPY,
MOVE, SWAPDB, FLUSHDB/FLUSHALL, KEYS, RANDOMKEY, DBSIZE, OBJECT, the srv.dirty
counts of each write, and a replay of error cases against Redis 7.0.15."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
srv = rhtest.Server()
r = srv.client()
c = srv.raw()


def dirty():
    return r.info("persistence")["rdb_changes_since_last_save"]


def stats():
    s = r.info("stats")
    return s["keyspace_hits"], s["keyspace_misses"]


def dirty_delta(fn):
    """Runs fn and returns (its result, how much srv.dirty grew)."""
    before = dirty()
    res = fn()
    return res, dirty() - before


# --- DEL / UNLINK / EXISTS / TYPE / TOUCH -------------------------------------
r.flushall()
r.mset({"a": "1", "b": "2", "c": "3"})
t.is_(r.exists("a", "a", "b", "nokey"), 3, "EXISTS counts every mention of a key")
h0, m0 = stats()
r.exists("a", "nokey")
h1, m1 = stats()
t.is_((h1 - h0, m1 - m0), (1, 1), "EXISTS counts keyspace hits and misses")
t.is_(r.type("a"), b"string", "TYPE of a string")
t.is_(r.type("nokey"), b"none", "TYPE of a missing key")
t.is_(c.cmd("TYPE", "a"), "string", "TYPE replies with a status")
t.is_(r.touch("a", "b", "nokey", "a"), 3, "TOUCH counts existing keys")
res, d = dirty_delta(lambda: r.delete("a", "a", "nokey", "b"))
t.is_((res, d), (2, 2), "DEL counts each deleted key once, dirty by keys removed")
t.is_(r.exists("a", "b", "c"), 1, "DEL removed the keys")
r.mset({"u1": "x", "u2": "y"})
res, d = dirty_delta(lambda: r.unlink("u1", "u2", "u1", "nokey"))
t.is_((res, d), (2, 2), "UNLINK counts like DEL")
t.is_(r.delete("nokey"), 0, "DEL of a missing key")

# --- DBSIZE / KEYS / RANDOMKEY ------------------------------------------------
r.flushall()
t.is_(r.randomkey(), None, "RANDOMKEY on an empty db is null")
t.is_(r.dbsize(), 0, "DBSIZE empty")
r.mset({"user:1": "a", "user:2": "b", "user:10": "c", "other": "d", "h?llo": "e"})
t.is_(r.dbsize(), 5, "DBSIZE")
t.is_(sorted(r.keys("*")), sorted([b"user:1", b"user:2", b"user:10", b"other", b"h?llo"]),
      "KEYS *")
t.is_(sorted(r.keys("user:?")), [b"user:1", b"user:2"], "KEYS with ?")
t.is_(sorted(r.keys("user:[1]*")), [b"user:1", b"user:10"], "KEYS with a class")
t.is_(r.keys("h\\?llo"), [b"h?llo"], "KEYS with an escape")
t.is_(r.keys("nomatch*"), [], "KEYS without matches is an empty array")
t.ok(r.randomkey() in (b"user:1", b"user:2", b"user:10", b"other", b"h?llo"),
     "RANDOMKEY returns a key")
c3 = srv.raw()
c3.cmd("HELLO", "3")
t.is_(c3.cmd("RANDOMKEY") is not None, True, "RANDOMKEY in RESP3")
c3.cmd("FLUSHDB")
t.is_(c3.cmd("RANDOMKEY"), None, "RANDOMKEY null in RESP3")
c3.close()

# --- RENAME / RENAMENX --------------------------------------------------------
r.flushall()
t.is_(c.cmd("RENAME", "nokey", "x"), "ERR no such key", "RENAME of a missing key")
t.is_(c.cmd("RENAME", "nokey", "nokey"), "ERR no such key",
      "RENAME of a missing key onto itself is still an error")
t.is_(c.cmd("RENAMENX", "nokey", "nokey"), "ERR no such key", "RENAMENX missing onto itself")
r.set("k", "v")
r.pexpire("k", 100000)
res, d = dirty_delta(lambda: c.cmd("RENAME", "k", "k"))
t.is_((res, d), ("OK", 0), "RENAME onto itself is OK and changes nothing")
t.ok(r.get("k") == b"v" and r.pttl("k") > 0, "RENAME onto itself keeps value and TTL")
t.is_(c.cmd("RENAMENX", "k", "k"), 0, "RENAMENX onto itself replies 0")
res, d = dirty_delta(lambda: r.rename("k", "k2"))
t.is_((res, d), (True, 1), "RENAME moves the key, dirty +1")
t.ok(r.exists("k") == 0 and r.get("k2") == b"v", "RENAME: old name gone, new holds value")
t.ok(0 < r.pttl("k2") <= 100000, "RENAME carries the TTL")
r.set("dst", "old")
r.expire("dst", 1000)
r.set("src", "new")
r.rename("src", "dst")
t.ok(r.get("dst") == b"new" and r.ttl("dst") == -1,
     "RENAME over a key with a TTL replaces value and drops that TTL")
r.set("src", "x")
t.is_(r.renamenx("src", "dst"), False, "RENAMENX onto an existing key replies 0")
t.is_(r.get("src"), b"x", "RENAMENX failure leaves the source")
t.is_(r.renamenx("src", "fresh"), True, "RENAMENX onto a new name")
t.ok(r.exists("src") == 0 and r.get("fresh") == b"x", "RENAMENX moved the key")

# --- COPY ---------------------------------------------------------------------
r.flushall()
r.set("s", "hello")
r.pexpire("s", 100000)
res, d = dirty_delta(lambda: r.copy("s", "s2"))
t.is_((res, d), (True, 1), "COPY to a new key, dirty +1")
t.ok(r.get("s2") == b"hello" and 0 < r.pttl("s2") <= 100000, "COPY copies value and TTL")
t.is_(r.copy("s", "s2"), False, "COPY onto an existing key without REPLACE is 0")
r.set("s2", "other")
t.is_(r.copy("s", "s2", replace=True), True, "COPY REPLACE")
t.is_(r.get("s2"), b"hello", "COPY REPLACE overwrote the value")
t.is_(r.copy("nokey", "z"), False, "COPY of a missing key is 0")
t.is_(r.copy("s", "s", destination_db=1), True, "COPY to the same name in another db")
r1 = srv.client(db=1)
t.is_(r1.get("s"), b"hello", "COPY DB wrote into the other db")
for val, enc in (("12345", b"int"), ("short", b"embstr"), ("x" * 100, b"raw")):
    r.set("e", val)
    r.copy("e", "e2", replace=True)
    t.is_((r.get("e2"), r.object("encoding", "e2")), (val.encode(), enc),
          "COPY keeps the %s encoding" % enc.decode())
r.set("e", "abc")
r.copy("e", "e2", replace=True)
r.set("e", "changed")
t.is_(r.get("e2"), b"abc", "COPY makes an independent value")
t.is_(c.cmd("COPY", "s", "s"), "ERR source and destination objects are the same",
      "COPY onto itself")
t.is_(c.cmd("COPY", "s", "s", "DB", "0"), "ERR source and destination objects are the same",
      "COPY onto itself with an explicit DB")

# --- MOVE ---------------------------------------------------------------------
r.flushall()
r.set("m", "v")
r.pexpire("m", 100000)
res, d = dirty_delta(lambda: r.move("m", 1))
t.is_((res, d), (True, 1), "MOVE, dirty +1")
t.ok(r.exists("m") == 0 and r1.get("m") == b"v" and 0 < r1.pttl("m") <= 100000,
     "MOVE carries value and TTL to the other db")
t.is_(r.move("m", 1), False, "MOVE of a key missing here is 0")
r.set("m", "here")
t.is_(r.move("m", 1), False, "MOVE onto an existing key there is 0")
t.ok(r.get("m") == b"here" and r1.get("m") == b"v", "failed MOVE changes nothing")
t.is_(c.cmd("MOVE", "m", "0"), "ERR source and destination objects are the same",
      "MOVE to the current db")

# --- SWAPDB -------------------------------------------------------------------
r.flushall()
r.set("in0", "zero")
r1.set("in1", "one")
r1.expire("in1", 1000)
res, d = dirty_delta(lambda: r.swapdb(0, 1))
t.is_((res, d), (True, 1), "SWAPDB, dirty +1")
t.ok(r.get("in1") == b"one" and r.get("in0") is None and 0 < r.ttl("in1") <= 1000,
     "a client on db 0 sees db 1's keys (with TTLs) after SWAPDB")
t.ok(r1.get("in0") == b"zero" and r1.get("in1") is None, "and db 1 holds the old db 0")
res, d = dirty_delta(lambda: r.swapdb(1, 1))
t.is_((res, d), (True, 1), "SWAPDB of a db with itself is OK and counts")
t.is_(r.get("in1"), b"one", "SWAPDB with itself changes nothing")

# --- FLUSHDB / FLUSHALL -------------------------------------------------------
r.flushall()
r.mset({"f1": "1", "f2": "2", "f3": "3"})
r1.mset({"g1": "1", "g2": "2"})
res, d = dirty_delta(lambda: r.flushdb())
t.is_((res, d), (True, 3), "FLUSHDB: dirty grows by the keys removed")
t.ok(r.dbsize() == 0 and r1.dbsize() == 2, "FLUSHDB empties only the current db")
r.mset({"f1": "1"})
res, d = dirty_delta(lambda: r.flushall())
t.is_((res, d), (True, 3), "FLUSHALL: dirty grows by the keys removed in every db")
t.ok(r.dbsize() == 0 and r1.dbsize() == 0, "FLUSHALL empties every db")
r.mset({"f1": "1"})
t.is_(c.cmd("FLUSHALL", "ASYNC"), "OK", "FLUSHALL ASYNC")
t.is_(r.dbsize(), 0, "FLUSHALL ASYNC emptied the db")
r.mset({"f1": "1"})
t.is_(c.cmd("FLUSHDB", "sync"), "OK", "FLUSHDB SYNC")
t.is_(r.dbsize(), 0, "FLUSHDB SYNC emptied the db")
res, d = dirty_delta(lambda: r.flushall())
t.is_((res, d), (True, 0), "FLUSHALL of empty dbs adds nothing to dirty")

# --- OBJECT -------------------------------------------------------------------
r.flushall()
r.set("o", "12345")
t.is_(r.object("encoding", "o"), b"int", "OBJECT ENCODING int")
r.set("o", "hello")
t.is_(r.object("encoding", "o"), b"embstr", "OBJECT ENCODING embstr")
r.set("o", "x" * 45)
t.is_(r.object("encoding", "o"), b"raw", "OBJECT ENCODING raw")
t.is_(r.object("encoding", "nokey"), None, "OBJECT ENCODING of a missing key is null")
t.is_(c.cmd("OBJECT", "REFCOUNT", "nokey"), None, "OBJECT REFCOUNT missing is null")
t.ok(isinstance(r.object("refcount", "o"), int), "OBJECT REFCOUNT is an integer")
t.ok(r.object("idletime", "o") in (0, 1), "OBJECT IDLETIME of a fresh key")
t.is_(c.cmd("OBJECT", "FREQ", "o"),
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
      "note that when switching between policies at runtime LRU and LFU data will take "
      "some time to adjust.", "OBJECT FREQ without an LFU policy")
help_lines = c.cmd("OBJECT", "HELP")
t.ok(help_lines[0].startswith("OBJECT <subcommand>") and help_lines[-1] == "    Prints this help."
     and len(help_lines) == 15, "OBJECT HELP")
t.is_(c.cmd("OBJECT", "NOSUCH", "o"), "ERR unknown subcommand 'NOSUCH'. Try OBJECT HELP.",
      "OBJECT unknown subcommand")
t.is_(c.cmd("OBJECT", "ENCODING"), "ERR wrong number of arguments for 'object|encoding' command",
      "OBJECT ENCODING arity")
# OBJECT itself must not reset the access clock: idle time keeps growing
# while only OBJECT looks at the key.
r.set("idle", "v")
try:
    rhtest.wait_for(lambda: r.object("idletime", "idle") >= 2, timeout=8,
                    what="idle time to reach 2s")
    t.ok(True, "OBJECT IDLETIME grows while only OBJECT reads the key")
except TimeoutError as e:
    t.ok(False, "OBJECT IDLETIME grows while only OBJECT reads the key")
    t.diag(str(e))
r.get("idle")
t.ok(r.object("idletime", "idle") in (0, 1), "a read resets the idle time")
r.config_set("maxmemory-policy", "allkeys-lfu")
t.is_(c.cmd("OBJECT", "IDLETIME", "idle"),
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
      "switching between policies at runtime LRU and LFU data will take some time to adjust.",
      "OBJECT IDLETIME with an LFU policy")
t.ok(isinstance(c.cmd("OBJECT", "FREQ", "idle"), int), "OBJECT FREQ with an LFU policy")
t.is_(c.cmd("OBJECT", "IDLETIME", "nokey"), None, "a missing key is null before the policy check")
r.config_set("maxmemory-policy", "noeviction")

# --- error replies and dirty counts, replayed against Redis 7.0.15 -------------
# Each script runs on a fresh server of each kind; replies must be identical.
SCRIPT = [
    ("SET", "a", "1"), ("DEL",), ("EXISTS",), ("TYPE",), ("TYPE", "a", "b"),
    ("RENAME", "a"), ("COPY", "a"), ("MOVE", "a"), ("SWAPDB", "0"),
    ("MOVE", "a", "100"), ("MOVE", "a", "x"), ("MOVE", "a", "-1"),
    ("MOVE", "a", "99999999999"), ("MOVE", "nokey", "0"),
    ("COPY", "a", "b", "DB", "100"), ("COPY", "a", "b", "DB", "x"), ("COPY", "a", "b", "DB"),
    ("COPY", "a", "b", "FOO"), ("COPY", "nokey", "nokey"), ("COPY", "a", "b", "REPLACE",
                                                              "DB", "1", "REPLACE"),
    ("COPY", "a", "a", "DB", "1"), ("COPY", "a", "b", "db", "-1"),
    ("SWAPDB", "0", "x"), ("SWAPDB", "x", "0"), ("SWAPDB", "0", "100"),
    ("SWAPDB", "-1", "0"), ("SWAPDB", "0", "4294967296"), ("SWAPDB", "0", "1"),
    ("SWAPDB", "0", "1"), ("FLUSHALL", "foo"), ("FLUSHALL", "sync", "async"),
    ("FLUSHDB", "ASYNC", "x"), ("FLUSHDB", "Async"),
    ("SET", "a", "1"), ("RENAME", "a", "a"), ("RENAMENX", "a", "a"), ("RENAMENX", "a", "b"),
    ("RENAME", "b", "c"), ("EXISTS", "a", "b", "c", "c"),
    ("OBJECT",), ("OBJECT", "help", "x"), ("OBJECT", "encoding", "c", "d"),
    ("OBJECT", "freq", "nokey"), ("OBJECT", "Encoding", "c"),
    ("DBSIZE", "x"), ("RANDOMKEY", "x"), ("KEYS",), ("KEYS", "*", "x"),
    ("TOUCH",), ("UNLINK",), ("DEL", "c", "c"), ("DBSIZE",),
]


def replay(server):
    conn = server.raw()
    out = []
    for cmd in SCRIPT:
        out.append((cmd, conn.cmd(*cmd)))
    conn.close()
    info = server.client().info("persistence")["rdb_changes_since_last_save"]
    return out, info


ref = rhtest.ref_server()
if ref is None:
    t.skip("replay against Redis 7.0.15", "reference redis-server not installed")
else:
    ours_srv = rhtest.Server()
    ours, ours_dirty = replay(ours_srv)
    theirs, their_dirty = replay(ref)
    for (cmd, got), (_, want) in zip(ours, theirs):
        t.is_(got, want, "replay: %s" % " ".join(cmd))
    t.is_(ours_dirty, their_dirty, "replay: same dirty count as Redis")
    ref.stop()
    ours_srv.stop()

c.close()
t.done()
