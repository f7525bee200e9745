"""SORT and SORT_RO: numeric and ALPHA order, DESC, LIMIT windows, BY
patterns on strings and hash fields (and BY nosort on lists, sets and sorted
sets), GET patterns including '#', STORE (empty results delete the
destination), errors, WRONGTYPE, keyspace notifications, and the sorted-set
conversion Redis 7.0 performs. Every case has its expected reply from Redis
7.0.15; when Debian's redis-server is installed the same cases also run
against it, so the expectations are checked too."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

E = rhtest.Error
t = rhtest.Tap()
WRONGTYPE = E("WRONGTYPE Operation against a key holding the wrong kind of value")
SYNTAX = E("ERR syntax error")

SETUP = [
    ("RPUSH", "l", "3", "10", "1", "2.5", "-4"),
    ("RPUSH", "words", "pear", "apple", "fig", "banana"),
    ("SADD", "s", "5", "1", "3"),
    ("ZADD", "z", "3", "c", "1", "a", "2", "b"),
    ("MSET", "w_pear", "2", "w_apple", "9", "w_fig", "1", "w_banana", "5"),
    ("MSET", "name_pear", "Pear", "name_apple", "Apple", "name_banana", "Banana"),
    ("HSET", "h_pear", "price", "3", "origin", "es"),
    ("HSET", "h_apple", "price", "1", "origin", "fr"),
    ("HSET", "h_fig", "price", "7"),
    ("RPUSH", "bad", "1", "two", "3"),
    ("RPUSH", "odd", "", " 1", "0x10", "inf", "-inf"),
    ("SET", "str", "x"),
    ("ZADD", "bigz", "1", "m1", "2", "m2", "3", "m3", "4", "m4"),
]

CASES = [
    (("SORT", "l"), [b"-4", b"1", b"2.5", b"3", b"10"]),
    (("SORT", "l", "DESC"), [b"10", b"3", b"2.5", b"1", b"-4"]),
    (("SORT", "l", "ALPHA"), [b"-4", b"1", b"10", b"2.5", b"3"]),
    (("SORT", "l", "LIMIT", "1", "2"), [b"1", b"2.5"]),
    (("SORT", "l", "LIMIT", "-5", "-1"), [b"-4", b"1", b"2.5", b"3", b"10"]),
    (("SORT", "l", "LIMIT", "10", "2"), []),
    (("SORT", "l", "LIMIT", "1", "0"), []),
    (("SORT", "l", "LIMIT", "3", "100"), [b"3", b"10"]),
    (("SORT", "l", "LIMIT", "x", "1"), E("ERR value is not an integer or out of range")),
    (("SORT", "l", "LIMIT", "1"), SYNTAX),
    (("SORT", "l", "BOGUS"), SYNTAX),
    (("SORT", "words"), E("ERR One or more scores can't be converted into double")),
    (("SORT", "bad"), E("ERR One or more scores can't be converted into double")),
    (("SORT", "odd"), [b"-inf", b"", b" 1", b"0x10", b"inf"]),
    (("SORT", "words", "ALPHA"), [b"apple", b"banana", b"fig", b"pear"]),
    (("SORT", "words", "ALPHA", "DESC", "LIMIT", "0", "2"), [b"pear", b"fig"]),
    (("SORT", "words", "BY", "w_*"), [b"fig", b"pear", b"banana", b"apple"]),
    (("SORT", "words", "BY", "w_*", "DESC"), [b"apple", b"banana", b"pear", b"fig"]),
    (("SORT", "words", "BY", "name_*", "ALPHA"), [b"fig", b"apple", b"banana", b"pear"]),
    (("SORT", "words", "BY", "h_*->price"), [b"banana", b"apple", b"pear", b"fig"]),
    (("SORT", "words", "BY", "w_*", "GET", "#", "GET", "h_*->origin", "GET", "name_*"),
     [b"fig", None, None, b"pear", b"es", b"Pear", b"banana", None, b"Banana",
      b"apple", b"fr", b"Apple"]),
    (("SORT", "words", "BY", "nosort"), [b"pear", b"apple", b"fig", b"banana"]),
    (("SORT", "words", "BY", "nosort", "DESC"), [b"banana", b"fig", b"apple", b"pear"]),
    (("SORT", "words", "BY", "nosort", "LIMIT", "1", "2"), [b"apple", b"fig"]),
    (("SORT", "words", "BY", "nosort", "DESC", "LIMIT", "1", "2"), [b"fig", b"apple"]),
    (("SORT", "words", "BY", "nosort", "GET", "w_*"), [b"2", b"9", b"1", b"5"]),
    (("SORT", "words", "ALPHA", "GET", "nostar"), [None, None, None, None]),
    (("SORT", "s"), [b"1", b"3", b"5"]),
    (("SORT", "s", "DESC", "LIMIT", "0", "1"), [b"5"]),
    (("SORT", "z"), E("ERR One or more scores can't be converted into double")),
    (("SORT", "z", "ALPHA", "DESC"), [b"c", b"b", b"a"]),
    (("OBJECT", "ENCODING", "z"), b"skiplist"),
    (("SORT", "bigz", "BY", "nosort"), [b"m1", b"m2", b"m3", b"m4"]),
    (("SORT", "bigz", "BY", "nosort", "DESC", "LIMIT", "1", "2"), [b"m3", b"m2"]),
    (("SORT", "nokey"), []),
    (("SORT", "str"), WRONGTYPE),
    (("SORT", "str", "BOGUS"), SYNTAX),
    (("SORT_RO", "l", "LIMIT", "0", "2"), [b"-4", b"1"]),
    (("SORT_RO", "l", "STORE", "x"), SYNTAX),
    (("SORT", "l", "STORE", "dst"), 5),
    (("LRANGE", "dst", "0", "-1"), [b"-4", b"1", b"2.5", b"3", b"10"]),
    (("SORT", "words", "BY", "w_*", "GET", "h_*->origin", "STORE", "dst"), 4),
    (("LRANGE", "dst", "0", "-1"), [b"", b"es", b"", b"fr"]),
    (("EXPIRE", "dst", "100"), 1),
    (("SORT", "l", "STORE", "dst"), 5),
    (("TTL", "dst"), -1),
    (("SORT", "nokey", "STORE", "dst"), 0),
    (("EXISTS", "dst"), 0),
    (("SORT", "s", "BY", "nosort", "STORE", "dst"), 3),
    (("LRANGE", "dst", "0", "-1"), [b"1", b"3", b"5"]),
    (("SORT", "l", "STORE", "str"), 5),
    (("TYPE", "str"), "list"),
]


def run(tag, server):
    c = rhtest.RawConn(server.port)
    for cmd in SETUP:
        c.cmd(*cmd)
    for cmd, want in CASES:
        t.is_(c.cmd(*cmd), want, "%s %s" % (tag, " ".join(cmd)))
    # Notifications of STORE.
    c.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = rhtest.RawConn(server.port)
    sub.cmd("PSUBSCRIBE", "__keyspace@0__:*")
    c.cmd("SORT", "l", "STORE", "n1")
    t.is_(sub.reply(), [b"pmessage", b"__keyspace@0__:*", b"__keyspace@0__:n1", b"sortstore"],
          "%s SORT STORE notifies sortstore" % tag)
    c.cmd("SORT", "nokey", "STORE", "n1")
    t.is_(sub.reply(), [b"pmessage", b"__keyspace@0__:*", b"__keyspace@0__:n1", b"del"],
          "%s an empty SORT STORE deletes with del" % tag)
    sub.close()
    # RESP3 shapes: nulls of missing GET values.
    c.cmd("HELLO", "3")
    c.send(rhtest.encode("SORT", "words", "BY", "nosort", "GET", "name_*", "LIMIT", "2", "1"))
    t.is_(c._line(), b"*1", "%s RESP3 array header" % tag)
    t.is_(c._line(), b"_", "%s RESP3 null for a missing GET value" % tag)
    # Larger input: a 1000-element list sorted as Python sorts it.
    import random
    rng = random.Random(7)
    vals = [str(rng.randint(-10 ** 6, 10 ** 6)) for _ in range(1000)]
    c.cmd("DEL", "big")
    c.cmd("RPUSH", "big", *vals)
    want = sorted(vals, key=lambda v: (int(v), v.encode()))
    t.is_(c.cmd("SORT", "big"), [v.encode() for v in want], "%s 1000 numbers" % tag)
    t.is_(c.cmd("SORT", "big", "ALPHA", "DESC", "LIMIT", "10", "5"),
          sorted((v.encode() for v in vals), reverse=True)[10:15], "%s ALPHA DESC window" % tag)
    c.close()


run("[ours]", rhtest.Server())
ref = rhtest.ref_server()
if ref is not None:
    run("[ref]", ref)
else:
    t.skip("reference run", "Debian's redis-server is not installed")
t.done()
