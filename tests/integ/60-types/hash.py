"""Hash commands: replies and error texts, RESP3 reply types, listpack and
hashtable encodings at hash-max-listpack-entries/value, WRONGTYPE, dirty
counts, keyspace notifications, HRANDFIELD and HSCAN properties, generic key
commands on hashes, DEBUG DIGEST-VALUE, and (when Debian's redis-server is
installed) encodings at the thresholds and a seeded differential run
against it in RESP2 and RESP3."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

E = rhtest.Error
SYNTAX = E("ERR syntax error")
NOT_INT = E("ERR value is not an integer or out of range")
NOT_FLOAT = E("ERR value is not a valid float")
COUNT_RANGE = E("ERR value is out of range, value must between -9223372036854775807 "
                "and 9223372036854775807")
WRONGTYPE = E("WRONGTYPE Operation against a key holding the wrong kind of value")
I64MAX = "9223372036854775807"
I64MIN = "-9223372036854775808"
CONFIG = "enable-debug-command yes\n"
ENTRIES = "512"  # The default hash-max-listpack-entries.


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


# (command, expected reply) in order, from Redis 7.0.15. The hashes here are
# listpacks, whose replies come in insertion order.
CASES = [
    (("HSET", "h", "f1", "v1"), 1),
    (("HSET", "h", "f1", "v2", "f2", "2", "f3", "-3"), 2),
    (("HSET", "h", "f4", "x", "f4", "y"), 1),
    (("HGET", "h", "f1"), b'v2'),
    (("HGET", "h", "f4"), b'y'),
    (("HGET", "h", "nofield"), None),
    (("HGET", "nokey", "f1"), None),
    (("HMGET", "h", "f1", "nofield", "f2"), [b'v2', None, b'2']),
    (("HMGET", "nokey", "a", "b"), [None, None]),
    (("HLEN", "h"), 4),
    (("HLEN", "nokey"), 0),
    (("HEXISTS", "h", "f2"), 1),
    (("HEXISTS", "h", "F2"), 0),
    (("HEXISTS", "nokey", "f2"), 0),
    (("HSTRLEN", "h", "f3"), 2),
    (("HSTRLEN", "h", "nofield"), 0),
    (("HSTRLEN", "nokey", "f1"), 0),
    (("HKEYS", "h"), [b'f1', b'f2', b'f3', b'f4']),
    (("HVALS", "h"), [b'v2', b'2', b'-3', b'y']),
    (("HGETALL", "h"), [b'f1', b'v2', b'f2', b'2', b'f3', b'-3', b'f4', b'y']),
    (("HKEYS", "nokey"), []),
    (("HVALS", "nokey"), []),
    (("HGETALL", "nokey"), []),
    (("HSETNX", "h", "f1", "new"), 0),
    (("HSETNX", "h", "f5", "new"), 1),
    (("HSETNX", "nx", "a", "b"), 1),
    (("HGET", "nx", "a"), b'b'),
    (("HMSET", "h", "f6", "6", "f7", "7"), "OK"),
    (("HMSET", "h", "f6"), arity("hmset")),
    (("HSET", "h", "f6"), arity("hset")),
    (("HSET", "h"), arity("hset")),
    (("HMGET", "h"), arity("hmget")),
    (("HDEL", "h"), arity("hdel")),
    (("HDEL", "h", "f6", "f7", "nofield", "f6"), 2),
    (("HDEL", "nokey", "a"), 0),
    (("HDEL", "nx", "a", "b"), 1),
    (("EXISTS", "nx"), 0),
    (("HINCRBY", "n", "c", "5"), 5),
    (("HINCRBY", "n", "c", "-10"), -5),
    (("HINCRBY", "n", "c", "x"), NOT_INT),
    (("HINCRBY", "n", "c", "1.5"), NOT_INT),
    (("HINCRBY", "n", "c", ""), NOT_INT),
    (("HINCRBY", "n", "c", I64MAX), 9223372036854775802),
    (("HINCRBY", "n", "c", "9223372036854775803"), E("ERR increment or decrement would overflow")),
    (("HINCRBY", "n", "c", "1"), 9223372036854775803),
    (("HINCRBY", "n", "m", I64MIN), -9223372036854775808),
    (("HINCRBY", "n", "m", "-1"), E("ERR increment or decrement would overflow")),
    (("HINCRBY", "n", "c", "9223372036854775808"), NOT_INT),
    (("HSET", "n", "s", "abc", "sp", " 1", "lz", "01", "fl", "1.5", "big", "9223372036854775808"),
     5),
    (("HINCRBY", "n", "s", "1"), E("ERR hash value is not an integer")),
    (("HINCRBY", "n", "sp", "1"), E("ERR hash value is not an integer")),
    (("HINCRBY", "n", "lz", "1"), E("ERR hash value is not an integer")),
    (("HINCRBY", "n", "fl", "1"), E("ERR hash value is not an integer")),
    (("HINCRBY", "n", "big", "1"), E("ERR hash value is not an integer")),
    (("HINCRBY", "nokey2", "a", "x"), NOT_INT),
    (("EXISTS", "nokey2"), 0),
    (("HINCRBYFLOAT", "n", "f", "1.5"), b'1.5'),
    (("HINCRBYFLOAT", "n", "f", "-0.5"), b'1'),
    (("HINCRBYFLOAT", "n", "f", "1e10"), b'10000000001'),
    (("HINCRBYFLOAT", "n", "f", "-10000000001"), b'0'),
    (("HINCRBYFLOAT", "n", "f", "0.1"), b'0.1'),
    (("HINCRBYFLOAT", "n", "f", "x"), NOT_FLOAT),
    (("HINCRBYFLOAT", "n", "f", "inf"), E("ERR value is NaN or Infinity")),
    (("HINCRBYFLOAT", "n", "f", "-inf"), E("ERR value is NaN or Infinity")),
    (("HINCRBYFLOAT", "n", "f", "nan"), NOT_FLOAT),
    (("HINCRBYFLOAT", "n", "f", ""), NOT_FLOAT),
    (("HINCRBYFLOAT", "n", "f", " 1"), NOT_FLOAT),
    (("HINCRBYFLOAT", "n", "f", "1e5000"), NOT_FLOAT),
    (("HINCRBYFLOAT", "n", "s", "1"), E("ERR hash value is not a float")),
    (("HINCRBYFLOAT", "n", "fl", "1"), b'2.5'),
    (("HINCRBYFLOAT", "n", "lz", "1"), b'2'),
    (("HINCRBYFLOAT", "n", "sp", "1"), E("ERR hash value is not a float")),
    (("HINCRBYFLOAT", "n", "c", "0.5"), b'9223372036854775803.5'),
    (("HSET", "n", "i", "inf"), 1),
    (("HINCRBYFLOAT", "n", "i", "1"), E("ERR increment would produce NaN or Infinity")),
    (("HINCRBYFLOAT", "n", "e", "5.0e3"), b'5000'),
    (("HINCRBYFLOAT", "n", "e", "1.0e1"), b'5010'),
    (("HINCRBYFLOAT", "nokey3", "a", "nan"), NOT_FLOAT),
    (("EXISTS", "nokey3"), 0),
    (("HGET", "n", "e"), b'5010'),
    (("HRANDFIELD", "nokey"), None),
    (("HRANDFIELD", "nokey", "3"), []),
    (("HRANDFIELD", "nokey", "3", "WITHVALUES"), []),
    (("HRANDFIELD", "nokey", "x"), NOT_INT),
    (("HRANDFIELD", "nokey", "3", "foo"), SYNTAX),
    (("HRANDFIELD", "h", "0"), []),
    (("HRANDFIELD", "h", "0", "WITHVALUES"), []),
    (("HRANDFIELD", "h", "x"), NOT_INT),
    (("HRANDFIELD", "h", "1", "withvalue"), SYNTAX),
    (("HRANDFIELD", "h", "1", "WITHVALUES", "x"), SYNTAX),
    (("HRANDFIELD", "h", "x", "foo"), NOT_INT),
    (("HRANDFIELD", "h", I64MIN), COUNT_RANGE),
    (("HRANDFIELD", "h", I64MIN, "foo"), COUNT_RANGE),
    (("HRANDFIELD", "h", I64MAX, "WITHVALUES"), E("ERR value is out of range")),
    (("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"), E("ERR value is out of range")),
    (("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"), E("ERR value is out of range")),
    (("HRANDFIELD", "h", "100"), [b'f1', b'f2', b'f3', b'f4', b'f5']),
    (("HRANDFIELD", "h", "5", "WITHVALUES"),
     [b'f1', b'v2', b'f2', b'2', b'f3', b'-3', b'f4', b'y', b'f5', b'new']),
    (("HRANDFIELD", "h", "4611686018427387903", "withvalues"),
     [b'f1', b'v2', b'f2', b'2', b'f3', b'-3', b'f4', b'y', b'f5', b'new']),
    (("HSCAN", "h", "0"),
     [b'0', [b'f1', b'v2', b'f2', b'2', b'f3', b'-3', b'f4', b'y', b'f5', b'new']]),
    (("HSCAN", "h", "x"), E("ERR invalid cursor")),
    (("HSCAN", "h", "0x1"), E("ERR invalid cursor")),
    (("HSCAN", "h", "18446744073709551616"), E("ERR invalid cursor")),
    (("HSCAN", "h", "-1"),
     [b'0', [b'f1', b'v2', b'f2', b'2', b'f3', b'-3', b'f4', b'y', b'f5', b'new']]),
    (("HSCAN", "h", "+5"),
     [b'0', [b'f1', b'v2', b'f2', b'2', b'f3', b'-3', b'f4', b'y', b'f5', b'new']]),
    (("HSCAN", "h", "0", "MATCH", "f[12]"), [b'0', [b'f1', b'v2', b'f2', b'2']]),
    (("HSCAN", "h", "0", "MATCH", "*", "COUNT", "1"),
     [b'0', [b'f1', b'v2', b'f2', b'2', b'f3', b'-3', b'f4', b'y', b'f5', b'new']]),
    (("HSCAN", "h", "0", "COUNT", "0"), SYNTAX),
    (("HSCAN", "h", "0", "COUNT", "-1"), SYNTAX),
    (("HSCAN", "h", "0", "COUNT", "x"), NOT_INT),
    (("HSCAN", "h", "0", "COUNT"), SYNTAX),
    (("HSCAN", "h", "0", "MATCH"), SYNTAX),
    (("HSCAN", "h", "0", "TYPE", "hash"), SYNTAX),
    (("HSCAN", "h", "0", "NOVALUES"), SYNTAX),
    (("HSCAN", "h", "0", "foo", "bar"), SYNTAX),
    (("HSCAN", "nokey", "0"), [b'0', []]),
    (("HSCAN", "nokey", "0", "foo"), [b'0', []]),
    (("HSCAN", "nokey", "x"), E("ERR invalid cursor")),
    (("HSET", "e", "", ""), 1),
    (("HGET", "e", ""), b''),
    (("HSTRLEN", "e", ""), 0),
    (("HGETALL", "e"), [b'', b'']),
    (("HSET", "bin", b'a\x00b', b'\x00\xff'), 1),
    (("HGET", "bin", b'a\x00b'), b'\x00\xff'),
    (("HGET", "bin", "a"), None),
    (("HGETALL", "bin"), [b'a\x00b', b'\x00\xff']),
    (("HSET", "ints", "1", "1", "-1", "-1", "0", "0", I64MAX, I64MAX, I64MIN, I64MIN), 5),
    (("HGETALL", "ints"),
     [b"1", b"1", b"-1", b"-1", b"0", b"0", I64MAX.encode(), I64MAX.encode(),
      I64MIN.encode(), I64MIN.encode()]),
    (("HGET", "ints", I64MAX), b'9223372036854775807'),
    (("HSTRLEN", "ints", I64MIN), 20),
    (("HDEL", "ints", "1", "-1", "0", I64MAX, I64MIN), 5),
    (("EXISTS", "ints"), 0),
    (("TYPE", "h"), "hash"),
    (("OBJECT", "ENCODING", "h"), b'listpack'),
    (("HGET", "h"), arity("hget")),
    (("HLEN", "h", "x"), arity("hlen")),
    (("HINCRBY", "h", "a"), arity("hincrby")),
    (("HSETNX", "h", "a"), arity("hsetnx")),
    (("HSTRLEN", "h"), arity("hstrlen")),
    (("HEXISTS", "h"), arity("hexists")),
    (("HKEYS", "h", "x"), arity("hkeys")),
    (("HRANDFIELD",), arity("hrandfield")),
    (("HSCAN", "h"), arity("hscan")),
]


def same(got, want):
    return got == want and isinstance(got, E) == isinstance(want, E)


def check_cases(t, c):
    c.cmd("FLUSHALL")
    for args, want in CASES:
        got = c.cmd(*args)
        name = " ".join(a if isinstance(a, str) else repr(a) for a in args)
        if not t.ok(same(got, want), name[:100]):
            t.diag("got:  %r" % (got,))
            t.diag("want: %r" % (want,))


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


def shape(rep):
    """The RESP types of a typed reply, without the values."""
    kind, val = rep
    if isinstance(val, list):
        return (kind, [shape(v) for v in val])
    return kind


B = b"$"


def check_resp3(t, srv):
    c = Typed(srv.port)
    c.typed_cmd("HELLO", "3")
    c.typed_cmd("FLUSHALL")
    c.typed_cmd("HSET", "h", "a", "1", "b", "2")
    pair = (b"*", [B, B])
    want = [
        (("HGETALL", "h"), (b"%", [B, B, B, B])),
        (("HGETALL", "nokey"), (b"%", [])),
        (("HKEYS", "h"), (b"*", [B, B])),
        (("HVALS", "nokey"), (b"*", [])),
        (("HGET", "h", "x"), b"_"),
        (("HMGET", "h", "a", "x"), (b"*", [B, b"_"])),
        (("HRANDFIELD", "nokey"), b"_"),
        (("HRANDFIELD", "h"), B),
        (("HRANDFIELD", "nokey", "2"), (b"*", [])),
        (("HRANDFIELD", "h", "1", "WITHVALUES"), (b"*", [pair])),
        (("HRANDFIELD", "h", "-3", "WITHVALUES"), (b"*", [pair, pair, pair])),
        (("HRANDFIELD", "h", "5", "WITHVALUES"), (b"*", [pair, pair])),
        (("HRANDFIELD", "h", "-3"), (b"*", [B, B, B])),
        (("HSCAN", "h", "0"), (b"*", [B, (b"*", [B, B, B, B])])),
        (("HINCRBYFLOAT", "h", "a", "1.5"), B),
        (("HINCRBY", "h", "b", "1"), b":"),
    ]
    for args, kind in want:
        t.is_(shape(c.typed_cmd(*args)), kind, "RESP3 shape of %s" % " ".join(args))
    c.typed_cmd("HELLO", "2")
    t.is_(shape(c.typed_cmd("HRANDFIELD", "h", "-2", "WITHVALUES")), (b"*", [B, B, B, B]),
          "RESP2 HRANDFIELD WITHVALUES is flat")
    t.is_(shape(c.typed_cmd("HGETALL", "h")), (b"*", [B, B, B, B]), "RESP2 HGETALL is flat")
    c.close()


# ---- encodings ----------------------------------------------------------------

def encoding(c, key):
    return c.cmd("OBJECT", "ENCODING", key)


def fields(n, prefix="f"):
    out = []
    for i in range(n):
        out += ["%s%d" % (prefix, i), str(i)]
    return out


F64, F65 = "f" * 64, "f" * 65

# (commands run in order, then the encoding of key "h"), with the default
# thresholds (512 entries, 64 bytes); from Redis 7.0.15.
ENCODINGS = [
    ([("HSET", "h") + tuple(fields(512))], b"listpack"),
    ([("HSET", "h") + tuple(fields(513))], b"hashtable"),
    ([("HSET", "h") + tuple(fields(512)), ("HSET", "h", "f0", "new")], b"listpack"),
    ([("HSET", "h") + tuple(fields(512)), ("HSETNX", "h", "x", "y")], b"hashtable"),
    ([("HSET", "h") + tuple(fields(512)), ("HINCRBY", "h", "new", "1")], b"hashtable"),
    ([("HSET", "h", "a", F64)], b"listpack"),
    ([("HSET", "h", F64, "a")], b"listpack"),
    ([("HSET", "h", "a", F65)], b"hashtable"),
    ([("HSET", "h", F65, "a")], b"hashtable"),
    ([("HSET", "h", "a", "1"), ("HSET", "h", "b", F65)], b"hashtable"),
    ([("HMSET", "h", "a", "1", "b", F65)], b"hashtable"),
    ([("HSET", "h", "a", "1"), ("HSETNX", "h", "a", F65)], b"listpack"),
    ([("HSET", "h", "a", "1"), ("HSETNX", "h", "b", F65)], b"hashtable"),
    ([("HSET", "h", "a", "1"), ("HINCRBY", "h", F65, "1")], b"hashtable"),
    ([("HSET", "h", "a", "1"), ("HINCRBYFLOAT", "h", "a", "1e70")], b"hashtable"),
    ([("HSET", "h", "a", "1"), ("HINCRBYFLOAT", "h", "a", "1e60")], b"listpack"),
    ([("HSET", "h", "a", F65), ("HDEL", "h", "a"), ("HSET", "h", "a", "1")], b"listpack"),
    ([("HSET", "h", "a", F65, "b", "1"), ("HDEL", "h", "a")], b"hashtable"),
    ([("HSET", "h") + tuple(fields(600)), ("HDEL", "h") + tuple(fields(599)[::2])],
     b"hashtable"),
    ([("HINCRBYFLOAT", "h", "a", "1")], b"listpack"),
    ([("HSETNX", "h", "a", "1")], b"listpack"),
]

# Threshold settings for the runs compared with the reference.
THRESHOLDS = [(ENTRIES, "64"), ("128", "64"), ("0", "64"), ("1", "0"), ("3", "5"), ("2", "1")]


def encoding_steps():
    """Command sequences whose encodings the reference decides."""
    return [
        [("HSET", "h", "a", "1")],
        [("HSET", "h", "", "")],
        [("HSET", "h", "a", "")],
        [("HSET", "h", "", "b")],
        [("HSET", "h", "ab", "12345")],
        [("HSET", "h", "ab", "123456")],
        [("HSET", "h", "a", "1", "b", "2")],
        [("HSET", "h", "a", "1", "b", "2", "c", "3")],
        [("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")],
        [("HSET", "h", "a", "1"), ("HINCRBY", "h", "a", "100000")],
        [("HSET", "h", "a", "1"), ("HINCRBYFLOAT", "h", "a", "0.5")],
        [("HSETNX", "h", "x", "y"), ("HSETNX", "h", "y", "z")],
        [("HSET", "h") + tuple(fields(4)), ("HDEL", "h", "f0", "f1", "f2")],
    ]


def check_encodings(t, c):
    for steps, want in ENCODINGS:
        c.cmd("DEL", "h")
        for args in steps:
            c.cmd(*args)
        desc = "; ".join(" ".join(a[:4]) + (" ..." if len(a) > 4 else "") for a in steps)
        t.is_(encoding(c, "h"), want, "encoding after %s" % desc[:90])
    # Values survive the conversion and changing the limits converts nothing.
    c.cmd("DEL", "h")
    c.cmd("HSET", "h", *fields(512))
    c.cmd("HSET", "h", "last", "x")
    got = c.cmd("HGETALL", "h")
    t.is_(dict(zip(got[::2], got[1::2])),
          dict(zip([f.encode() for f in fields(512)[::2] + ["last"]],
                   [v.encode() for v in fields(512)[1::2] + ["x"]])),
          "all 513 fields survive the conversion")
    c.cmd("DEL", "h")
    c.cmd("HSET", "h", "a", "1")
    c.cmd("CONFIG", "SET", "hash-max-listpack-entries", "0")
    t.is_(encoding(c, "h"), b"listpack", "lowering the limit leaves existing hashes alone")
    c.cmd("HSET", "h", "a", "2")
    t.is_(encoding(c, "h"), b"listpack", "an update below the new limit does not convert")
    c.cmd("HSET", "h", "b", "2")
    t.is_(encoding(c, "h"), b"hashtable", "a new field past the new limit converts")
    c.cmd("CONFIG", "SET", "hash-max-listpack-entries", ENTRIES)


def check_encodings_vs_reference(t, c, ref):
    if ref is None:
        t.skip("encodings at the thresholds vs the reference", "no reference redis-server")
        return
    diffs = []
    for entries, value in THRESHOLDS:
        for conn in (c, ref):
            conn.cmd("CONFIG", "SET", "hash-max-listpack-entries", entries)
            conn.cmd("CONFIG", "SET", "hash-max-listpack-value", value)
        for steps in encoding_steps():
            got = []
            for conn in (c, ref):
                conn.cmd("DEL", "h")
                for args in steps:
                    conn.cmd(*args)
                got.append((encoding(conn, "h"), conn.cmd("DEBUG", "DIGEST-VALUE", "h")))
            if got[0] != got[1]:
                diffs.append((entries, value, steps, got))
    if not t.is_(len(diffs), 0, "encodings and digests at %d threshold settings match Redis"
                 % len(THRESHOLDS)):
        for d in diffs[:10]:
            t.diag(repr(d))
    for conn in (c, ref):
        conn.cmd("CONFIG", "SET", "hash-max-listpack-entries", ENTRIES)
        conn.cmd("CONFIG", "SET", "hash-max-listpack-value", "64")


# ---- WRONGTYPE, dirty counts, notifications ------------------------------------

HASH_READS = [("HGET", "k", "f"), ("HMGET", "k", "f"), ("HLEN", "k"), ("HSTRLEN", "k", "f"),
              ("HEXISTS", "k", "f"), ("HKEYS", "k"), ("HVALS", "k"), ("HGETALL", "k"),
              ("HRANDFIELD", "k"), ("HRANDFIELD", "k", "2"), ("HSCAN", "k", "0")]
HASH_WRITES = [("HSET", "k", "f", "v"), ("HMSET", "k", "f", "v"), ("HSETNX", "k", "f", "v"),
               ("HDEL", "k", "f"), ("HINCRBY", "k", "f", "1"),
               ("HINCRBYFLOAT", "k", "f", "1")]


def check_wrongtype(t, c):
    c.cmd("FLUSHALL")
    c.cmd("SET", "k", "x")
    for args in HASH_READS + HASH_WRITES:
        t.is_(c.cmd(*args), WRONGTYPE, "%s on a string" % args[0])
    t.is_(c.cmd("GET", "k"), b"x", "the string is untouched")
    c.cmd("DEL", "k")
    c.cmd("HSET", "k", "f", "v")
    for args in [("GET", "k"), ("INCR", "k"), ("APPEND", "k", "x"), ("SADD", "k", "m"),
                 ("SMEMBERS", "k"), ("STRLEN", "k")]:
        t.is_(c.cmd(*args), WRONGTYPE, "%s on a hash" % args[0])


def dirty(c):
    info = c.cmd("INFO", "persistence").decode()
    for line in info.splitlines():
        if line.startswith("rdb_changes_since_last_save:"):
            return int(line.split(":")[1])
    return None


DIRTY = [
    (("HSET", "h", "a", "1", "b", "2", "c", "3"), 3),
    (("HSET", "h", "a", "1", "a", "2"), 2),
    (("HMSET", "h", "d", "4", "e", "5"), 2),
    (("HSETNX", "h", "a", "x"), 0),
    (("HSETNX", "h", "z", "x"), 1),
    (("HDEL", "h", "a", "b", "nofield"), 2),
    (("HDEL", "h", "nofield"), 0),
    (("HDEL", "nokey", "a"), 0),
    (("HINCRBY", "h", "n", "5"), 1),
    (("HINCRBY", "h", "z", "5"), 0),
    (("HINCRBYFLOAT", "h", "n", "0.5"), 1),
    (("HINCRBYFLOAT", "h", "z", "0.5"), 0),
    (("HGETALL", "h"), 0),
    (("HDEL", "h", "c", "d", "e", "z", "n"), 5),
]


def check_dirty(t, c):
    c.cmd("FLUSHALL")
    for args, want in DIRTY:
        before = dirty(c)
        c.cmd(*args)
        t.is_(dirty(c) - before, want, "dirty delta of %s" % " ".join(args))


NOTIFICATIONS = [
    (("HSET", "h", "a", "1", "b", "2"), [("hset", "h")]),
    (("HMSET", "h", "c", "3"), [("hset", "h")]),
    (("HSETNX", "h", "a", "x"), []),
    (("HSETNX", "h", "d", "x"), [("hset", "h")]),
    (("HINCRBY", "h", "a", "2"), [("hincrby", "h")]),
    (("HINCRBY", "h", "d", "2"), []),
    (("HINCRBYFLOAT", "h", "a", "0.5"), [("hincrbyfloat", "h")]),
    (("HDEL", "h", "nofield"), []),
    (("HDEL", "h", "a", "b"), [("hdel", "h")]),
    (("HGET", "h", "c"), []),
    (("HDEL", "h", "c", "d", "x"), [("hdel", "h"), ("del", "h")]),
    (("HINCRBY", "n", "x", "1"), [("hincrby", "n")]),
]


def check_notifications(t, srv):
    rhtest.check_keyevents(t, srv, NOTIFICATIONS, "hash commands")


# ---- HRANDFIELD and HSCAN properties -------------------------------------------

def make_hash(c, key, n, ht):
    c.cmd("DEL", key)
    if ht:
        c.cmd("CONFIG", "SET", "hash-max-listpack-entries", "0")
    for i in range(0, n, 100):
        args = []
        for j in range(i, min(n, i + 100)):
            args += ["f%d" % j, "v%d" % j]
        c.cmd("HSET", key, *args)
    c.cmd("CONFIG", "SET", "hash-max-listpack-entries", ENTRIES)
    return {b"f%d" % j: b"v%d" % j for j in range(n)}


def check_hrandfield(t, c):
    for n, ht in ((10, False), (100, True), (1000, True)):
        enc = "hashtable" if ht else "listpack"
        content = make_hash(c, "r", n, ht)
        t.is_(encoding(c, "r"), enc.encode(), "%s of %d built" % (enc, n))
        seen = set()
        for _ in range(40 * n if n <= 100 else 2000):
            seen.add(c.cmd("HRANDFIELD", "r"))
        t.ok(seen <= set(content) and (n > 100 or seen == set(content)),
             "%s of %d: single picks are fields and reach them all" % (enc, n))
        for count in (1, n // 3, n // 3 + 1, n - 1, n, n + 5):
            got = c.cmd("HRANDFIELD", "r", str(count), "WITHVALUES")
            pairs = list(zip(got[::2], got[1::2]))
            keys = [f for f, _ in pairs]
            t.ok(len(keys) == min(count, n) and len(set(keys)) == len(keys) and
                 all(content.get(f) == v for f, v in pairs),
                 "%s of %d: HRANDFIELD %d WITHVALUES gives distinct pairs" % (enc, n, count))
        got = c.cmd("HRANDFIELD", "r", str(-3 * n))
        t.ok(len(got) == 3 * n and set(got) <= set(content) and len(set(got)) < len(got),
             "%s of %d: a negative count repeats" % (enc, n))
        got = c.cmd("HRANDFIELD", "r", "-5", "WITHVALUES")
        t.ok(len(got) == 10 and all(content.get(f) == v for f, v in zip(got[::2], got[1::2])),
             "%s of %d: negative count with values" % (enc, n))


def hscan_all(c, key, *opts):
    cursor, out, calls = b"0", [], 0
    while True:
        cursor, items = c.cmd("HSCAN", key, cursor, *opts)
        out += items
        calls += 1
        if cursor == b"0" or calls > 10000:
            return out, calls


def check_hscan(t, c):
    content = make_hash(c, "sc", 1000, True)
    items, calls = hscan_all(c, "sc", "COUNT", "10")
    got = dict(zip(items[::2], items[1::2]))
    t.ok(got == content and len(items) // 2 >= 1000, "HSCAN of a hashtable returns every field")
    t.ok(calls > 20, "in several calls (%d)" % calls)
    items, _ = hscan_all(c, "sc", "MATCH", "f1??", "COUNT", "50")
    got = sorted(items[::2])
    t.is_(got, sorted(b"f%d" % i for i in range(100, 200)), "HSCAN MATCH filters fields")
    content = make_hash(c, "lp", 20, False)
    cursor, items = c.cmd("HSCAN", "lp", "0", "COUNT", "1")
    t.ok(cursor == b"0" and len(items) == 40, "a listpack returns everything at once")
    t.is_(c.cmd("HSCAN", "lp", "12345")[0], b"0", "any cursor on a listpack ends the scan")


# ---- generic key commands on hashes ------------------------------------------

def check_keys(t, c):
    c.cmd("FLUSHALL")
    c.cmd("HSET", "a", "x", "1", "y", "2")
    make_hash(c, "big", 300, True)
    t.is_(c.cmd("TYPE", "a"), "hash", "TYPE")
    t.is_(sorted(c.cmd("SCAN", "0", "TYPE", "hash", "COUNT", "100")[1]), [b"a", b"big"],
          "SCAN TYPE hash")
    for key in ("a", "big"):
        t.is_(c.cmd("COPY", key, key + "2"), 1, "COPY %s" % key)
        t.is_(c.cmd("DEBUG", "DIGEST-VALUE", key), c.cmd("DEBUG", "DIGEST-VALUE", key + "2"),
              "the copy of %s has the same content" % key)
        t.is_(encoding(c, key + "2"), encoding(c, key), "the copy of %s keeps its encoding" % key)
        c.cmd("HSET", key + "2", "x", "changed")
        t.ok(c.cmd("HGET", key, "x") != b"changed", "the copy of %s is independent" % key)
        usage = c.cmd("MEMORY", "USAGE", key)
        t.ok(isinstance(usage, int) and usage > 20, "MEMORY USAGE %s is %r" % (key, usage))
    t.ok(c.cmd("MEMORY", "USAGE", "big") > c.cmd("MEMORY", "USAGE", "a"), "bigger hash, more memory")
    t.is_(c.cmd("RENAME", "a", "b"), "OK", "RENAME")
    t.is_(c.cmd("HGETALL", "b"), [b"x", b"1", b"y", b"2"], "renamed hash")
    t.is_(c.cmd("MOVE", "b", "1"), 1, "MOVE")
    c.cmd("SELECT", "1")
    t.is_(c.cmd("HGET", "b", "y"), b"2", "moved hash")
    c.cmd("SELECT", "0")
    # The digest ignores insertion order and encoding.
    c.cmd("HSET", "d1", "a", "1", "b", "2", "c", "3")
    c.cmd("HSET", "d2", "c", "3", "a", "1", "b", "2")
    c.cmd("CONFIG", "SET", "hash-max-listpack-entries", "0")
    c.cmd("HSET", "d3", "b", "2", "c", "3", "a", "1")
    c.cmd("CONFIG", "SET", "hash-max-listpack-entries", ENTRIES)
    d = [c.cmd("DEBUG", "DIGEST-VALUE", k) for k in ("d1", "d2", "d3")]
    t.ok(d[0] == d[1] == d[2] and encoding(c, "d3") == b"hashtable",
         "DIGEST-VALUE ignores order and encoding")
    c.cmd("HSET", "d3", "a", "2")
    t.ok(c.cmd("DEBUG", "DIGEST-VALUE", "d3") != d[0], "DIGEST-VALUE sees a changed value")
    c.cmd("EXPIRE", "d1", "100")
    c.cmd("HSET", "d1", "z", "1")
    t.ok(0 < c.cmd("TTL", "d1") <= 100, "HSET keeps the TTL")
    c.cmd("HDEL", "d1", "a", "b", "c", "z")
    t.is_(c.cmd("EXISTS", "d1"), 0, "deleting the last field removes the key")
    t.is_(c.cmd("TTL", "d1"), -2, "and its TTL")


# ---- differential run against the reference -----------------------------------

UNORDERED = {"HKEYS", "HVALS"}
PAIRED = {"HGETALL"}


def pairs_sorted(items):
    return sorted(zip(items[::2], items[1::2]))


def canonical(args, rep, size):
    """Makes replies whose order or choice is up to the hash table comparable.
    size is the hash's length before the command (from the reference)."""
    cmd = args[0].upper()
    kind, val = rep
    if not isinstance(val, list):
        if cmd == "HRANDFIELD" and kind == b"$":
            return (kind, "field")
        return rep
    if cmd in UNORDERED:
        return (kind, sorted(val))
    if cmd in PAIRED:
        return (kind, pairs_sorted(val))
    if cmd == "HSCAN" and len(val) == 2:
        return (kind, [val[0], (val[1][0], pairs_sorted(val[1][1]))])
    if cmd == "HRANDFIELD":
        count = int(args[2])
        if size is not None and count > 0 and count >= size:
            withvalues = len(args) > 3
            if val and isinstance(val[0][1], list):
                return (kind, sorted(v[1][0][1] + v[1][1][1] for v in val))
            return (kind, pairs_sorted(val) if withvalues else sorted(val))
        return (kind, len(val))
    return rep


def random_field(rng):
    r = rng.random()
    if r < 0.6:
        return rng.choice("abcdefghij")
    if r < 0.8:
        return str(rng.randint(-5, 20))
    if r < 0.97:
        return rng.choice(["", "007", "-0", I64MAX, I64MIN, "x" * 17, "long" * 5])
    return "f" * rng.choice([63, 64, 65, 70])


def random_value(rng):
    if rng.random() < 0.05:
        return rng.choice(["x" * 20, "y" * 64, "y" * 65])
    return rng.choice(["", "1", "-1", "0", "42", "3.5", "1e3", "inf", " 7", "007", "abc",
                       I64MAX, I64MIN, "9223372036854775806", "abcd", "hello",
                       str(rng.randint(-100000, 100000))])


def random_command(rng, keys):
    k = rng.choice(keys)
    f = lambda: random_field(rng)  # noqa: E731
    v = lambda: random_value(rng)  # noqa: E731
    pick = rng.randrange(20)
    if pick < 4:
        args = [rng.choice(["HSET", "HSET", "HMSET"]), k]
        for _ in range(rng.randint(1, 5)):
            args += [f(), v()]
        return args
    if pick == 4:
        return ["HSETNX", k, f(), v()]
    if pick == 5:
        return ["HDEL", k] + [f() for _ in range(rng.randint(1, 4))]
    if pick == 6:
        return rng.choice([["HGET", k, f()], ["HMGET", k, f(), f(), f()], ["HLEN", k],
                           ["HSTRLEN", k, f()], ["HEXISTS", k, f()]])
    if pick == 7:
        return [rng.choice(["HKEYS", "HVALS", "HGETALL"]), k]
    if pick == 8:
        return ["HINCRBY", k, f(), rng.choice(["1", "-1", "100", I64MAX, I64MIN, "x",
                                                "9223372036854775806", "0"])]
    if pick == 9:
        return ["HINCRBYFLOAT", k, f(), rng.choice(["1", "-1.5", "0.1", "inf", "x", "1e10",
                                                     "1e300", "-1e300", "5.0e3", "1e4000"])]
    if pick == 10:
        return ["HRANDFIELD", k] + rng.choice(
            [[], ["0"], ["1"], ["3"], ["-3"], ["100"], ["x"], ["2", "WITHVALUES"],
             ["-4", "WITHVALUES"], ["100", "WITHVALUES"], ["1", "foo"], [I64MIN]])
    if pick == 11:
        return ["HSCAN", k, rng.choice(["0", "x"])] + rng.choice(
            [["COUNT", "1000"], ["MATCH", "[a-e]*", "COUNT", "1000"], ["COUNT", "0"],
             ["TYPE", "hash"]])
    if pick == 12:
        return ["EXPIRE", k, "100"]
    if pick == 13:
        return ["DEBUG", "DIGEST-VALUE"] + rng.sample(keys, 2)
    if pick == 14:
        return [rng.choice(["TYPE", "EXISTS", "TTL"]), k]
    if pick == 15:
        return ["COPY", k, rng.choice(keys)] + rng.choice([[], ["REPLACE"]])
    if pick == 16:
        return ["DEL", k]
    return ["OBJECT", "ENCODING", k]


def check_against_reference(t, ours, ref):
    if ref is None:
        t.skip("differential run", "no reference redis-server")
        return
    for proto in (2, 3):
        a, b = Typed(ref.port), Typed(ours.port)
        keys = ["h0", "h1", "h2", "h3", "str", "nokey"]
        for conn in (a, b):
            if proto == 3:
                conn.typed_cmd("HELLO", "3")
            conn.typed_cmd("FLUSHALL")
            conn.typed_cmd("SET", "str", "x")
        rng = random.Random(6600 + proto)
        diffs = []
        for i in range(4000):
            if i % 400 == 0:
                entries = rng.choice(["0", "4", "16", "128", "128", ENTRIES])
                value = rng.choice(["0", "3", "16", "64", "64"])
                for conn in (a, b):
                    conn.typed_cmd("CONFIG", "SET", "hash-max-listpack-entries", entries)
                    conn.typed_cmd("CONFIG", "SET", "hash-max-listpack-value", value)
            args = random_command(rng, keys)
            size = None
            if args[0] == "HRANDFIELD":
                kind, val = a.typed_cmd("HLEN", args[1])
                size = int(val) if kind == b":" else None
            ra, rb = a.typed_cmd(*args), b.typed_cmd(*args)
            if canonical(args, ra, size) != canonical(args, rb, size):
                diffs.append((args, ra, rb))
            da, db = a.typed_cmd("DEBUG", "DIGEST"), b.typed_cmd("DEBUG", "DIGEST")
            if da != db:
                diffs.append((["DEBUG", "DIGEST", "after"] + args, da, db))
        if not t.is_(len(diffs), 0,
                     "RESP%d: 4000 random hash commands reply as Redis does" % proto):
            for d in diffs[:10]:
                t.diag("%r\n  ref:  %r\n  ours: %r" % d)
        for conn in (a, b):
            conn.typed_cmd("CONFIG", "SET", "hash-max-listpack-entries", ENTRIES)
            conn.typed_cmd("CONFIG", "SET", "hash-max-listpack-value", "64")
            conn.close()


def main():
    t = rhtest.Tap()
    srv = rhtest.Server(config=CONFIG)
    c = srv.raw()
    check_cases(t, c)
    check_resp3(t, srv)
    check_encodings(t, c)
    ref = rhtest.ref_server(config=CONFIG)
    check_encodings_vs_reference(t, c, ref.raw() if ref else None)
    check_wrongtype(t, c)
    check_dirty(t, c)
    check_notifications(t, srv)
    check_hrandfield(t, c)
    check_hscan(t, c)
    check_keys(t, c)
    check_against_reference(t, srv, ref)
    if ref is not None:
        ref.stop()
    t.done()


main()
