#!/usr/bin/python3
"""DUMP and RESTORE against the reference redis-server 7.0.15.

Payloads move both ways between redis-ha and the reference for every type
and encoding (the restored value must have the same content and encoding),
simple payloads are byte-identical, and RESTORE's options, checks and error
texts match the reference's.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

sys.path.insert(0, os.path.join(rhtest.TOP_SRCDIR, "tests", "fixtures", "rdb"))
import gen_fixtures  # noqa: E402

import redis  # noqa: E402

t = rhtest.Tap()
ours = rhtest.Server()
ref = rhtest.ref_server()
r = ours.client()
if ref is None:
    t.skip("DUMP/RESTORE interop", "no reference redis-server")
    t.done()
rr = ref.client()


def fill(c):
    c.set("s-short", "hello")
    c.set("s-int", 12345)
    c.set("s-bigint", 9999999999)
    c.set("s-lzf", "compressible text " * 40)
    c.set("s-binary", bytes(range(256)))
    c.set("s-empty", "")
    c.hset("h-listpack", mapping={"a": 1, "b": "hello"})
    c.hset("h-ht", mapping={"f%d" % i: i for i in range(600)})
    c.hset("h-longval", mapping={"f": "v" * 100})
    c.sadd("set-intset", 1, 2, 300, -70000, 2 ** 40)
    c.sadd("set-ht", "a", "b", "c")
    c.sadd("set-bigint", *range(600))
    c.zadd("z-listpack", {"a": 1, "b": 2.5, "c": float("inf"), "d": float("-inf")})
    c.zadd("z-skiplist", {"m%d" % i: i / 3 for i in range(200)})
    c.zadd("z-longmember", {"m" * 80: 1})
    c.rpush("l-small", "x", "y", 7, -3)
    c.rpush("l-big", *["element-%d" % i for i in range(3000)])
    c.config_set("list-compress-depth", 1)
    c.config_set("list-max-listpack-size", 8)
    c.rpush("l-compressed", *["compressible-%d" % (i % 5) for i in range(200)])
    c.config_set("list-compress-depth", 0)
    c.config_set("list-max-listpack-size", -2)


fill(r)
fill(rr)
keys = sorted(k.decode() for k in rr.keys("*"))
t.is_(sorted(k.decode() for k in r.keys("*")), keys, "the same keys on both servers")


def view(c, key):
    """Type, encoding, TTL and items of key (the canonical line without
    the database number and the key)."""
    return gen_fixtures.canon_key(c, 0, key.encode()).split(" ", 2)[2]


for key in keys:
    t.is_(view(r, key), view(rr, key), "%s: same value and encoding on both" % key)
    mine, theirs = r.dump(key), rr.dump(key)
    rr.restore(key + ":from-ha", 0, mine)
    t.is_(view(rr, key + ":from-ha"), view(rr, key),
          "%s: the reference restores redis-ha's payload" % key)
    r.restore(key + ":from-ref", 0, theirs)
    t.is_(view(r, key + ":from-ref"), view(r, key),
          "%s: redis-ha restores the reference's payload" % key)

# Payloads without LZF-compressed parts are byte-identical (LZF output
# depends on the compressor's match finder, which is not Redis's).
for key in ["s-short", "s-int", "s-bigint", "s-binary", "s-empty", "h-listpack",
            "z-listpack", "l-small"]:
    t.is_(r.dump(key), rr.dump(key), "%s: byte-identical payload" % key)

t.is_(r.dump("missing"), None, "DUMP of a missing key is nil")


def outcome(c, *args):
    try:
        return c.execute_command(*args)
    except redis.ResponseError as e:
        return "error: %s" % e


payload = rr.dump("s-short")
bad_crc = payload[:-1] + bytes([payload[-1] ^ 1])
v11 = payload[:-10] + b"\x0b\x00" + payload[-8:]
cases = [
    ("RESTORE", "s-short", 0, payload),
    ("RESTORE", "s-short", -1, b"x"),
    ("RESTORE", "new", -1, payload),
    ("RESTORE", "new", "x", payload),
    ("RESTORE", "new", 0, b"x"),
    ("RESTORE", "new", 0, bad_crc),
    ("RESTORE", "new", 0, v11),
    ("RESTORE", "new", 0, payload, "IDLETIME", -1),
    ("RESTORE", "new", 0, payload, "IDLETIME", "x"),
    ("RESTORE", "new", 0, payload, "IDLETIME"),
    ("RESTORE", "new", 0, payload, "FREQ", 256),
    ("RESTORE", "new", 0, payload, "FREQ", -1),
    ("RESTORE", "new", 0, payload, "IDLETIME", 1, "FREQ", 1),
    ("RESTORE", "new", 0, payload, "FREQ", 1, "IDLETIME", 1),
    ("RESTORE", "new", 0, payload, "BOGUS"),
    ("RESTORE", "s-short", 0, payload, "BOGUS"),
    ("RESTORE", "new"),
    ("DUMP",),
    ("DUMP", "a", "b"),
]
for args in cases:
    shown = " ".join(str(a)[:20] for a in args)
    t.is_(outcome(r, *args), outcome(rr, *args), "same reply: %s" % shown)


def make_bad(prefix):
    """A payload with a valid footer around a truncated value."""
    body = prefix + b"\x0a\x00"
    import struct
    crc = 0
    poly = 0x95ac9329ac4bc9b5
    for byte in body:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return body + struct.pack("<Q", crc)


# A value may run into the footer's bytes, as Redis reads the payload whole.
for name, body in [("string into the footer", b"\x00\x05he"),
                   ("string past the footer", b"\x00\x0fhe"),
                   ("empty set", b"\x02\x00"), ("unknown type", b"\x08\x01x"),
                   ("module type", b"\x07\x00"), ("bad listpack", b"\x10\x03abc")]:
    p = make_bad(body)
    key = "bad-" + name
    t.is_(outcome(r, "RESTORE", key, 0, p), outcome(rr, "RESTORE", key, 0, p),
          "same reply for a payload with bad data (%s)" % name)
t.is_(outcome(r, "RESTORE", "bad", 0, make_bad(b"\x02\x00")), "error: Bad data format",
      "bad data is reported as such")

# Options: TTL (relative and absolute), REPLACE, IDLETIME, expired TTLs.
for c in (r, rr):
    c.restore("ttl", 100000, payload)
    c.restore("abs", 4102444800000, payload, absttl=True)
    c.restore("idle", 0, payload, idletime=1000)
    c.set("gone", "x")
    c.restore("gone", 1, payload, replace=True, absttl=True)
    c.restore("never", 1, payload, absttl=True)
    c.set("repl", "old")
    c.restore("repl", 0, rr.dump("h-listpack"), replace=True)
for c, who in ((r, "redis-ha"), (rr, "reference")):
    pttl = c.pttl("ttl")
    t.ok(99000 < pttl <= 100000, "%s: relative TTL (%d ms)" % (who, pttl))
    t.is_(c.execute_command("PEXPIRETIME", "abs"), 4102444800000, "%s: ABSTTL" % who)
    idle = c.object("idletime", "idle")
    t.ok(1000 <= idle <= 1002, "%s: IDLETIME sets the idle time (%d)" % (who, idle))
    t.is_((c.exists("gone"), c.exists("never")), (0, 0),
          "%s: a TTL in the past deletes (with REPLACE) instead of restoring" % who)
    t.is_(c.type("repl"), b"hash", "%s: REPLACE overwrites a key of another type" % who)

# FREQ under an LFU policy.
for c in (r, rr):
    c.config_set("maxmemory-policy", "allkeys-lfu")
    c.restore("freq", 0, payload, frequency=77)
    t.is_(c.object("freq", "freq"), 77, "FREQ sets the LFU counter")
    c.config_set("maxmemory-policy", "noeviction")

# The keyspace event.
r.config_set("notify-keyspace-events", "KEg")
ps = r.pubsub()
ps.psubscribe("__keyspace@0__:ev")
rhtest.wait_for(lambda: ps.get_message(timeout=1), what="psubscribe confirmation")
r.restore("ev", 0, payload)
msg = rhtest.wait_for(lambda: ps.get_message(timeout=1), what="restore event")
t.is_(msg["data"], b"restore", "RESTORE fires the 'restore' keyspace event")
ps.close()

for sub in (("INFO", "dump", "restore"), ("DOCS", "dump", "restore")):
    t.is_(ours.raw().cmd("COMMAND", *sub), ref.raw().cmd("COMMAND", *sub),
          "COMMAND %s as the reference" % sub[0])

t.done()
