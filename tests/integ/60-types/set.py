"""Set commands: replies and error texts, RESP3 reply types, intset and
hashtable encodings at set-max-intset-entries, WRONGTYPE, dirty counts,
keyspace notifications, SPOP/SRANDMEMBER properties, SSCAN, TTLs, generic
key commands on sets, and (when Debian's redis-server is installed) a
seeded differential run against it in RESP2 and RESP3 comparing replies,
encodings and DEBUG DIGEST-VALUE."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

E = rhtest.Error
SYNTAX = E("ERR syntax error")
NOT_INT = E("ERR value is not an integer or out of range")
WRONGTYPE = E("WRONGTYPE Operation against a key holding the wrong kind of value")
POSITIVE = E("ERR value is out of range, must be positive")
CONFIG = "enable-debug-command yes\n"


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


# (command, expected reply) in order, from Redis 7.0.15. Replies whose order
# Redis leaves to the hash table are not listed here (the differential run
# compares them sorted); intsets reply in ascending order.
CASES = [
    (("SADD", "s", "3", "1", "2", "1"), 3),
    (("SADD", "s", "2"), 0),
    (("SMEMBERS", "s"), [b"1", b"2", b"3"]),
    (("SCARD", "s"), 3),
    (("SCARD", "nokey"), 0),
    (("SISMEMBER", "s", "2"), 1),
    (("SISMEMBER", "s", "02"), 0),
    (("SISMEMBER", "nokey", "2"), 0),
    (("SMISMEMBER", "s", "1", "x", "3"), [1, 0, 1]),
    (("SMISMEMBER", "nokey", "a", "b"), [0, 0]),
    (("SREM", "s", "1", "x", "1"), 1),
    (("SREM", "nokey", "1"), 0),
    (("SMEMBERS", "nokey"), []),
    (("SADD", "a", "5", "3", "1", "-7", "100000"), 5),
    (("SADD", "b", "3", "100000", "9", "1"), 4),
    (("SUNION", "a", "b"), [b"-7", b"1", b"3", b"5", b"9", b"100000"]),
    (("SINTER", "a", "b"), [b"1", b"3", b"100000"]),
    (("SDIFF", "a", "b"), [b"-7", b"5"]),
    (("SDIFF", "b", "a"), [b"9"]),
    (("SINTER", "a", "nokey"), []),
    (("SINTER", "nokey"), []),
    (("SUNION", "nokey", "a"), [b"-7", b"1", b"3", b"5", b"100000"]),
    (("SDIFF", "nokey", "a"), []),
    (("SDIFF", "a", "a"), []),
    (("SDIFF", "a", "nokey"), [b"-7", b"1", b"3", b"5", b"100000"]),
    (("SINTERCARD", "2", "a", "b"), 3),
    (("SINTERCARD", "2", "a", "b", "LIMIT", "2"), 2),
    (("SINTERCARD", "2", "a", "b", "limit", "0"), 3),
    (("SINTERCARD", "1", "nokey"), 0),
    (("SINTERCARD", "0", "a"), E("ERR numkeys should be greater than 0")),
    (("SINTERCARD", "x", "a"), E("ERR numkeys should be greater than 0")),
    (("SINTERCARD", "-1", "a"), E("ERR numkeys should be greater than 0")),
    (("SINTERCARD", "3", "a", "b"),
     E("ERR Number of keys can't be greater than number of args")),
    (("SINTERCARD", "1", "a", "LIMIT", "-1"), E("ERR LIMIT can't be negative")),
    (("SINTERCARD", "1", "a", "LIMIT", "x"), E("ERR LIMIT can't be negative")),
    (("SINTERCARD", "1", "a", "LIMIT"), SYNTAX),
    (("SINTERCARD", "1", "a", "foo"), SYNTAX),
    (("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "2"), 2),
    (("SINTERSTORE", "d", "a", "b"), 3),
    (("SMEMBERS", "d"), [b"1", b"3", b"100000"]),
    (("SINTERSTORE", "d", "a", "nokey"), 0),
    (("EXISTS", "d"), 0),
    (("SUNIONSTORE", "d", "a", "b"), 6),
    (("SDIFFSTORE", "d", "a", "b"), 2),
    (("SMEMBERS", "d"), [b"-7", b"5"]),
    (("SDIFFSTORE", "d", "a", "a"), 0),
    (("EXISTS", "d"), 0),
    (("SUNIONSTORE", "d", "nokey"), 0),
    (("SMOVE", "a", "b", "5"), 1),
    (("SMOVE", "a", "b", "5"), 0),
    (("SMOVE", "a", "b", "100000"), 1),
    (("SISMEMBER", "b", "5"), 1),
    (("SMOVE", "a", "a", "1"), 1),
    (("SMOVE", "a", "a", "2"), 0),
    (("SMOVE", "nokey", "a", "1"), 0),
    (("SMOVE", "a", "new", "-7"), 1),
    (("SMEMBERS", "new"), [b"-7"]),
    (("SMOVE", "new", "new2", "-7"), 1),
    (("EXISTS", "new"), 0),
    (("SSCAN", "a", "0"), [b"0", [b"1", b"3"]]),
    (("SSCAN", "a", "12345", "COUNT", "1"), [b"0", [b"1", b"3"]]),
    (("SSCAN", "b", "0", "MATCH", "1*"), [b"0", [b"1", b"100000"]]),
    (("SSCAN", "nokey", "0"), [b"0", []]),
    (("SSCAN", "nokey", "0", "COUNT", "0"), [b"0", []]),
    (("SSCAN", "a", "x"), E("ERR invalid cursor")),
    (("SSCAN", "a", " 1"), E("ERR invalid cursor")),
    (("SSCAN", "a", "18446744073709551616"), E("ERR invalid cursor")),
    (("SSCAN", "a", "-1"), [b"0", [b"1", b"3"]]),
    (("SSCAN", "a", ""), [b"0", [b"1", b"3"]]),
    (("SSCAN", "a", "0", "COUNT"), SYNTAX),
    (("SSCAN", "a", "0", "COUNT", "x"), NOT_INT),
    (("SSCAN", "a", "0", "COUNT", "0"), SYNTAX),
    (("SSCAN", "a", "0", "TYPE", "set"), SYNTAX),
    (("SSCAN", "a", "0", "MATCH"), SYNTAX),
    (("SRANDMEMBER", "nokey"), None),
    (("SRANDMEMBER", "nokey", "5"), []),
    (("SRANDMEMBER", "nokey", "-5"), []),
    (("SRANDMEMBER", "a", "0"), []),
    (("SRANDMEMBER", "a", "5"), [b"1", b"3"]),
    (("SRANDMEMBER", "a", "x"), NOT_INT),
    (("SRANDMEMBER", "a", "-9223372036854775808"),
     E("ERR value is out of range, value must between -9223372036854775807 and "
       "9223372036854775807")),
    (("SRANDMEMBER", "a", "1", "2"), SYNTAX),
    (("SPOP", "nokey"), None),
    (("SPOP", "nokey", "3"), []),
    (("SPOP", "a", "0"), []),
    (("SPOP", "a", "-1"), POSITIVE),
    (("SPOP", "a", "x"), POSITIVE),
    (("SPOP", "a", "1", "2"), SYNTAX),
    (("SPOP", "a", "5"), [b"1", b"3"]),
    (("EXISTS", "a"), 0),
    (("SADD", "a"), arity("sadd")),
    (("SREM", "a"), arity("srem")),
    (("SMOVE", "a", "b"), arity("smove")),
    (("SINTERCARD", "1"), arity("sintercard")),
    (("SINTERSTORE", "d"), arity("sinterstore")),
    (("SMEMBERS",), arity("smembers")),
    (("SSCAN", "a"), arity("sscan")),
]


def same(got, want):
    return got == want and isinstance(got, E) == isinstance(want, E)


def check_cases(t, c):
    c.cmd("FLUSHALL")
    for args, want in CASES:
        got = c.cmd(*args)
        if not t.ok(same(got, want), " ".join(args)[:100]):
            t.diag("got:  %r" % (got,))
            t.diag("want: %r" % (want,))


def reply_kind(conn, *args):
    """The first byte (RESP type) of a reply, consuming the whole reply."""
    conn.send(rhtest.encode(*args))
    while not conn.buf:
        conn._fill()
    kind = conn.buf[:1]
    conn.reply()
    return kind


def check_resp3(t, srv):
    c = srv.raw()
    c.cmd("HELLO", "3")
    c.cmd("FLUSHALL")
    c.cmd("SADD", "s", "1", "2", "3")
    c.cmd("SADD", "h", "a", "b")
    want = [
        (("SMEMBERS", "s"), b"~"), (("SMEMBERS", "nokey"), b"~"),
        (("SINTER", "s", "h"), b"~"), (("SUNION", "s", "h"), b"~"), (("SDIFF", "s"), b"~"),
        (("SPOP", "nokey", "2"), b"~"), (("SPOP", "s", "0"), b"~"),
        (("SRANDMEMBER", "s", "2"), b"*"), (("SRANDMEMBER", "s", "10"), b"*"),
        (("SRANDMEMBER", "s", "-10"), b"*"), (("SRANDMEMBER", "nokey", "2"), b"*"),
        (("SRANDMEMBER", "nokey"), b"_"), (("SPOP", "nokey"), b"_"),
        (("SMISMEMBER", "s", "1"), b"*"), (("SSCAN", "s", "0"), b"*"),
        (("SINTERCARD", "1", "s"), b":"), (("SPOP", "h", "5"), b"~"),
    ]
    for args, kind in want:
        t.is_(reply_kind(c, *args), kind, "RESP3 %s replies with %r" % (" ".join(args), kind))
    c.close()


def encoding(c, key):
    return c.cmd("OBJECT", "ENCODING", key)


def check_encodings(t, c):
    c.cmd("FLUSHALL")
    c.cmd("SADD", "i", *range(512))
    t.is_(encoding(c, "i"), b"intset", "512 integers: intset")
    c.cmd("SADD", "i", "512")
    t.is_(encoding(c, "i"), b"hashtable", "513 integers: hashtable")
    c.cmd("SADD", "j", "1", "x")
    t.is_(encoding(c, "j"), b"hashtable", "a non-integer member: hashtable")
    c.cmd("SADD", "k", "x")
    c.cmd("SADD", "k", "1")
    c.cmd("SREM", "k", "x")
    t.is_(encoding(c, "k"), b"hashtable", "a hashtable never turns back into an intset")
    for member in ("007", "+1", "-0", " 1", "1.5", "9223372036854775808"):
        c.cmd("DEL", "n")
        c.cmd("SADD", "n", "1", member)
        t.is_(encoding(c, "n"), b"hashtable", "%r is not an integer member" % member)
    c.cmd("DEL", "n")
    c.cmd("SADD", "n", "-9223372036854775808", "9223372036854775807")
    t.is_(encoding(c, "n"), b"intset", "int64 limits fit an intset")
    c.cmd("CONFIG", "SET", "set-max-intset-entries", "3")
    c.cmd("SADD", "t", "1", "2", "3")
    t.is_(encoding(c, "t"), b"intset", "threshold 3: three integers")
    c.cmd("SADD", "t", "4")
    t.is_(encoding(c, "t"), b"hashtable", "threshold 3: the fourth converts")
    c.cmd("SINTERSTORE", "u", "i", "i")
    t.is_(encoding(c, "u"), b"hashtable", "SINTERSTORE result follows the threshold")
    c.cmd("SUNIONSTORE", "u", "t")
    t.is_(encoding(c, "u"), b"hashtable", "SUNIONSTORE of 4 integers with threshold 3")
    c.cmd("CONFIG", "SET", "set-max-intset-entries", "512")
    c.cmd("SUNIONSTORE", "u", "t")
    t.is_(encoding(c, "u"), b"intset", "SUNIONSTORE builds an intset when it can")
    c.cmd("SADD", "p", "a", "b", "1", "2", "3", "4", "5", "6", "7", "8")
    c.cmd("SREM", "p", "a", "b")
    c.cmd("SPOP", "p", "6")
    t.is_(encoding(c, "p"), b"hashtable", "SPOP leaving more than a fifth pops one by one")
    c.cmd("DEL", "p")
    c.cmd("SADD", "p", "a", "b", "1", "2", "3", "4", "5", "6", "7", "8")
    c.cmd("SREM", "p", "a", "b")
    c.cmd("SPOP", "p", "7")
    t.is_(encoding(c, "p"), b"intset",
          "SPOP leaving at most a fifth rebuilds the rest in the encoding it fits")
    c.cmd("SADD", "q", "a", "b", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
    c.cmd("SREM", "q", "a", "b")
    c.cmd("SPOP", "q", "1")
    t.is_(encoding(c, "q"), b"hashtable", "SPOP of a few members keeps the encoding")
    # SPOP removed a random member: move one that is certainly still there.
    c.cmd("SMOVE", "q", "r", c.cmd("SRANDMEMBER", "q"))
    t.is_(encoding(c, "r"), b"intset", "SMOVE creates the destination for its member")


WRONGTYPE_CMDS = [
    ("SADD", "str", "a"), ("SREM", "str", "a"), ("SMEMBERS", "str"), ("SISMEMBER", "str", "a"),
    ("SMISMEMBER", "str", "a"), ("SCARD", "str"), ("SPOP", "str"), ("SPOP", "str", "0"),
    ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "-1"), ("SMOVE", "str", "s", "a"),
    ("SMOVE", "s", "str", "1"), ("SINTER", "s", "str"), ("SINTER", "nokey", "str"),
    ("SINTERCARD", "2", "nokey", "str"), ("SINTERSTORE", "d", "s", "str"),
    ("SUNION", "nokey", "str"), ("SUNIONSTORE", "d", "str"), ("SDIFF", "nokey", "str"),
    ("SDIFF", "s", "str"), ("SDIFFSTORE", "d", "s", "str"), ("SSCAN", "str", "0"),
]


def check_wrongtype(t, c):
    c.cmd("FLUSHALL")
    c.cmd("SET", "str", "x")
    c.cmd("SADD", "s", "1")
    for args in WRONGTYPE_CMDS:
        t.ok(same(c.cmd(*args), WRONGTYPE), "WRONGTYPE from %s" % " ".join(args))
    t.is_(c.cmd("SMOVE", "nokey", "str", "1"), 0, "SMOVE from a missing key ignores the type")
    t.is_(c.cmd("SUNIONSTORE", "str", "s"), 1, "SUNIONSTORE overwrites another type")
    t.is_(c.cmd("TYPE", "str"), "set", "now a set")
    t.is_(c.cmd("GET", "s"), WRONGTYPE, "GET of a set")


# (command, change of rdb_changes_since_last_save), from Redis 7.0.15.
DIRTY = [
    (("SADD", "s", "a", "b", "c"), 3), (("SADD", "s", "a"), 0), (("SREM", "s", "a", "x"), 1),
    (("SREM", "s", "x"), 0), (("SMOVE", "s", "t", "b"), 2), (("SMOVE", "s", "t", "b"), 0),
    (("SADD", "t", "c"), 1), (("SMOVE", "s", "t", "c"), 1), (("SADD", "p", "1", "2", "3"), 3),
    (("SPOP", "p"), 1), (("SPOP", "p", "10"), 2), (("SPOP", "p", "10"), 0),
    (("SADD", "p", *range(10)), 10), (("SPOP", "p", "3"), 3), (("SPOP", "p", "6"), 6),
    (("SINTERSTORE", "d", "t"), 1), (("SINTERSTORE", "d", "nokey"), 1),
    (("SINTERSTORE", "d", "nokey"), 0), (("SUNIONSTORE", "d", "t"), 1),
    (("SDIFFSTORE", "d", "t", "t"), 1), (("SRANDMEMBER", "t", "2"), 0),
    (("SMEMBERS", "t"), 0),
]


def dirty(c):
    for line in c.cmd("INFO", "persistence").decode().splitlines():
        if line.startswith("rdb_changes_since_last_save:"):
            return int(line.split(":")[1])
    return None


def check_dirty(t, c):
    c.cmd("FLUSHALL")
    for args, want in DIRTY:
        before = dirty(c)
        c.cmd(*args)
        t.is_(dirty(c) - before, want, "dirty delta of %s" % " ".join(map(str, args)))


# (command, keyevent notifications it publishes), from Redis 7.0.15.
NOTIFICATIONS = [
    (("SADD", "s", "1", "2"), [("sadd", "s")]),
    (("SADD", "s", "1"), []),
    (("SREM", "s", "1"), [("srem", "s")]),
    (("SREM", "s", "2"), [("srem", "s"), ("del", "s")]),
    (("SADD", "a", "x", "y"), [("sadd", "a")]),
    (("SMOVE", "a", "b", "x"), [("srem", "a"), ("sadd", "b")]),
    (("SMOVE", "a", "b", "y"), [("srem", "a"), ("del", "a"), ("sadd", "b")]),
    (("SMOVE", "b", "b", "x"), []),
    (("SADD", "c", "1", "2", "3"), [("sadd", "c")]),
    (("SPOP", "c"), [("spop", "c")]),
    (("SPOP", "c", "5"), [("spop", "c"), ("del", "c")]),
    (("SADD", "d", *range(10)), [("sadd", "d")]),
    (("SPOP", "d", "2"), [("spop", "d")]),
    (("SPOP", "d", "7"), [("spop", "d")]),
    (("SINTERSTORE", "e", "b", "d"), []),
    (("SUNIONSTORE", "e", "b", "d"), [("sunionstore", "e")]),
    (("SINTERSTORE", "e", "b", "nokey"), [("del", "e")]),
    (("SDIFFSTORE", "f", "b"), [("sdiffstore", "f")]),
    (("SRANDMEMBER", "f", "1"), []),
    (("DEL", "f"), [("del", "f")]),
]


def check_notifications(t, srv):
    rhtest.check_keyevents(t, srv, NOTIFICATIONS, "set commands")


def check_random(t, c):
    """SPOP and SRANDMEMBER: sizes, distinctness, and a fair spread."""
    c.cmd("FLUSHALL")
    for enc, members in (("intset", [str(i) for i in range(100)]),
                         ("hashtable", ["m%d" % i for i in range(100)])):
        c.cmd("DEL", "s")
        c.cmd("SADD", "s", *members)
        t.is_(encoding(c, "s"), enc.encode(), "%s: encoding" % enc)
        full = set(m.encode() for m in members)
        good = True
        for count in (1, 2, 10, 33, 34, 50, 99, 100, 150):
            got = c.cmd("SRANDMEMBER", "s", count)
            good &= len(got) == min(count, 100) and len(set(got)) == len(got)
            good &= set(got) <= full
        t.ok(good, "%s: SRANDMEMBER positive counts give distinct members" % enc)
        got = c.cmd("SRANDMEMBER", "s", "-500")
        t.ok(len(got) == 500 and set(got) <= full and len(set(got)) < 500,
             "%s: SRANDMEMBER negative count repeats members" % enc)
        got = c.cmd("SRANDMEMBER", "s", "-5000")
        t.ok(chi_square(got, 100) < 200, "%s: SRANDMEMBER -5000 spreads evenly" % enc)
        picks = []
        for _ in range(250):
            picks.extend(c.cmd("SRANDMEMBER", "s", "20"))
        t.ok(chi_square(picks, 100) < 200, "%s: SRANDMEMBER 20 spreads evenly" % enc)
        popped = set()
        for count in (1, 5, 20, 30):
            got = c.cmd("SPOP", "s", count)
            popped |= set(got)
            good &= len(got) == count
        t.ok(good and len(popped) == 56 and c.cmd("SCARD", "s") == 44,
             "%s: SPOP with count removes distinct members" % enc)
        rest = set(c.cmd("SMEMBERS", "s"))
        t.ok(not rest & popped and rest | popped == full, "%s: popped and left partition" % enc)
        got = c.cmd("SPOP", "s", "1000")
        t.ok(set(got) == rest and c.cmd("EXISTS", "s") == 0,
             "%s: SPOP of more than the set takes it all" % enc)
    c.cmd("SADD", "one", "x")
    t.is_(c.cmd("SPOP", "one"), b"x", "SPOP of the last member")
    t.is_(c.cmd("EXISTS", "one"), 0, "deletes the key")


def chi_square(values, buckets):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    expected = len(values) / buckets
    return sum((counts.get(k, 0) - expected) ** 2 / expected for k in set(counts)) + \
        expected * (buckets - len(counts))


def check_sscan(t, c):
    c.cmd("FLUSHALL")
    members = ["member:%d" % i for i in range(2000)]
    for i in range(0, 2000, 500):
        c.cmd("SADD", "big", *members[i:i + 500])
    for opts, want in (((), set(members)), (("COUNT", "100"), set(members)),
                       (("MATCH", "member:1?"), set("member:1%d" % i for i in range(10)))):
        cursor, seen, calls = b"0", [], 0
        while True:
            cursor, found = c.cmd("SSCAN", "big", cursor, *opts)
            seen.extend(found)
            calls += 1
            if cursor == b"0" or calls > 5000:
                break
        t.ok(set(m.decode() for m in seen) == want and calls > 1,
             "SSCAN %s visits every member (%d calls)" % (" ".join(opts) or "(no options)",
                                                           calls))
    cursor, found = c.cmd("SSCAN", "big", "0", "COUNT", "10")
    t.ok(cursor != b"0" and 1 <= len(found) <= 40, "SSCAN steps are bounded by COUNT")


def check_ttls_and_keys(t, c):
    c.cmd("FLUSHALL")
    c.cmd("SADD", "s", "1", "2", "3", "a")
    c.cmd("SADD", "d", "x")
    c.cmd("EXPIRE", "d", "100")
    c.cmd("SINTERSTORE", "d", "s", "s")
    t.is_(c.cmd("TTL", "d"), -1, "SINTERSTORE drops the destination's TTL")
    c.cmd("SADD", "p", *range(20))
    c.cmd("EXPIRE", "p", "100")
    c.cmd("SPOP", "p", "15")
    t.ok(c.cmd("TTL", "p") > 0, "SPOP keeps the TTL")
    c.cmd("EXPIRE", "s", "100")
    c.cmd("SADD", "s", "b")
    t.ok(c.cmd("TTL", "s") > 0, "SADD keeps the TTL")
    t.is_(c.cmd("TYPE", "s"), "set", "TYPE set")
    t.is_(c.cmd("SCAN", "0", "TYPE", "set", "COUNT", "100")[1].__len__(), 3, "SCAN TYPE set")
    t.is_(c.cmd("COPY", "s", "s2"), 1, "COPY a set")
    t.is_(sorted(c.cmd("SMEMBERS", "s2")), sorted(c.cmd("SMEMBERS", "s")), "copy has the members")
    c.cmd("SADD", "s2", "new")
    t.is_(c.cmd("SISMEMBER", "s", "new"), 0, "copy is independent")
    t.is_(c.cmd("COPY", "p", "p2"), 1, "COPY an intset")
    t.is_(encoding(c, "p2"), b"intset", "copy keeps the encoding")
    t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "p2"), c.cmd("DEBUG", "DIGEST-VALUE", "p"),
          "copy has the same digest")
    c.cmd("RENAME", "s2", "s3")
    t.is_(c.cmd("SCARD", "s3"), 6, "RENAME a set")
    t.is_(c.cmd("MOVE", "s3", "1"), 1, "MOVE a set")
    c.cmd("SELECT", "1")
    t.is_(c.cmd("SCARD", "s3"), 6, "moved set is whole")
    c.cmd("SELECT", "0")
    t.ok(isinstance(c.cmd("MEMORY", "USAGE", "s"), int), "MEMORY USAGE of a set")
    t.ok(isinstance(c.cmd("MEMORY", "USAGE", "p", "SAMPLES", "0"), int),
         "MEMORY USAGE of an intset")
    c.cmd("SADD", "x1", "b", "a", "1")
    c.cmd("SADD", "x2", "1", "a", "b")
    t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "x1"), c.cmd("DEBUG", "DIGEST-VALUE", "x2"),
          "digest ignores insertion order")
    c.cmd("SADD", "y1", "1", "2")
    c.cmd("SADD", "y2", "x", "1", "2")
    c.cmd("SREM", "y2", "x")
    t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "y1"), c.cmd("DEBUG", "DIGEST-VALUE", "y2"),
          "digest ignores the encoding")


# ---- differential run against the reference -------------------------------

class Typed(rhtest.RawConn):
    """Replies as (type byte, value) trees, so RESP types are compared too."""

    def typed(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"$", b"="):
            n = int(rest)
            return (kind, None if n < 0 else self._exact(n))
        if kind in (b"*", b"~", b"%", b">"):
            n = int(rest)
            if n < 0:
                return (kind, None)
            n *= 2 if kind == b"%" else 1
            return (kind, [self.typed() for _ in range(n)])
        return (kind, rest)

    def typed_cmd(self, *args):
        self.send(rhtest.encode(*args))
        return self.typed()


UNORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF"}
RANDOM = {"SPOP", "SRANDMEMBER"}


def canonical(args, rep):
    """Makes replies whose order or choice is random comparable."""
    cmd = args[0].upper()
    kind, val = rep
    if cmd in UNORDERED and isinstance(val, list):
        return (kind, sorted(val))
    if cmd == "SSCAN" and isinstance(val, list) and len(val) == 2:
        return (kind, [val[0], (val[1][0], sorted(val[1][1]))])
    if cmd in RANDOM and isinstance(val, list):
        return (kind, len(val))
    if cmd in RANDOM and kind == b"$":
        return (kind, "member")
    return rep


def random_member(rng):
    r = rng.random()
    if r < 0.5:
        return str(rng.randint(-20, 40))
    if r < 0.6:
        return rng.choice(["70000", "-70000", "5000000000", "-9223372036854775808",
                           "9223372036854775807", "007", "+1", "-0", "1.0", " 1", ""])
    return rng.choice("abcdefgh") * rng.randint(1, 3)


def random_command(rng, keys):
    k = rng.choice(keys)
    ks = rng.sample(keys, rng.randint(1, 4))
    m = lambda: random_member(rng)  # noqa: E731
    pick = rng.randrange(17)
    if pick < 4:
        return ["SADD", k] + [m() for _ in range(rng.randint(1, 6))]
    if pick == 4:
        return ["SREM", k] + [m() for _ in range(rng.randint(1, 6))]
    if pick == 5:
        return ["SMOVE", k, rng.choice(keys), m()]
    if pick == 6:
        return rng.choice([["SISMEMBER", k, m()], ["SMISMEMBER", k, m(), m()], ["SCARD", k]])
    if pick == 7:
        return [rng.choice(["SMEMBERS", "TYPE", "EXISTS"]), k]
    if pick == 8:
        return rng.choice([["SINTER"] + ks, ["SINTERCARD", len(ks)] + ks,
                           ["SINTERCARD", len(ks)] + ks + ["LIMIT", rng.randint(0, 3)]])
    if pick == 9:
        return [rng.choice(["SUNION", "SDIFF"])] + ks
    if pick == 10:
        return [rng.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), k] + ks
    if pick == 11:
        return ["SSCAN", k, rng.choice(["0", "x"])] + rng.choice(
            [["COUNT", "1000"], ["MATCH", "*1*", "COUNT", "1000"], ["COUNT", "0"]])
    if pick == 12:
        # Only the deterministic forms: a random pop would make the two
        # datasets drift apart.
        return ["SPOP", k] + rng.choice([["0"], ["x"], ["-1"], ["100"]])
    if pick == 13:
        return ["SRANDMEMBER", k] + rng.choice([[], ["0"], ["2"], ["-3"], ["100"], ["x"]])
    if pick == 14:
        return ["EXPIRE", k, "100"]
    if pick == 15:
        return ["DEBUG", "DIGEST-VALUE"] + ks
    return ["OBJECT", "ENCODING", k]


def check_against_reference(t, ours):
    ref = rhtest.ref_server(config=CONFIG)
    if ref is None:
        t.skip("differential run", "no reference redis-server")
        return
    for proto in (2, 3):
        a, b = Typed(ref.port), Typed(ours.port)
        keys = ["s0", "s1", "s2", "s3", "str", "nokey"]
        for conn in (a, b):
            if proto == 3:
                conn.typed_cmd("HELLO", "3")
            conn.typed_cmd("FLUSHALL")
            conn.typed_cmd("SET", "str", "x")
        rng = random.Random(6000 + proto)
        diffs = []
        for i in range(4000):
            if i % 500 == 0:
                limit = rng.choice(["0", "1", "3", "16", "512"])
                for conn in (a, b):
                    conn.typed_cmd("CONFIG", "SET", "set-max-intset-entries", limit)
            args = random_command(rng, keys)
            ra, rb = a.typed_cmd(*args), b.typed_cmd(*args)
            if canonical(args, ra) != canonical(args, rb):
                diffs.append((args, ra, rb))
            da, db = a.typed_cmd("DEBUG", "DIGEST"), b.typed_cmd("DEBUG", "DIGEST")
            if da != db:
                diffs.append((["DEBUG", "DIGEST", "after"] + args, da, db))
        if not t.is_(len(diffs), 0, "RESP%d: 4000 random set commands reply as Redis does" % proto):
            for d in diffs[:10]:
                t.diag("%r\n  ref:  %r\n  ours: %r" % d)
        for conn in (a, b):
            conn.typed_cmd("CONFIG", "SET", "set-max-intset-entries", "512")
            conn.close()
    ref.stop()


def main():
    t = rhtest.Tap()
    srv = rhtest.Server(config=CONFIG)
    c = srv.raw()
    check_cases(t, c)
    check_resp3(t, srv)
    check_encodings(t, c)
    check_wrongtype(t, c)
    check_dirty(t, c)
    check_notifications(t, srv)
    check_random(t, c)
    check_sscan(t, c)
    check_ttls_and_keys(t, c)
    check_against_reference(t, srv)
    t.done()


main()
