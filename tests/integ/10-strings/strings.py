"""String and bitmap commands: replies and error texts, encodings, TTL
handling, dirty counts, size limits, WRONGTYPE, and (when Debian's
redis-server is installed) a seeded differential run against it in RESP2 and
RESP3."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

E = rhtest.Error
SYNTAX = E("ERR syntax error")
NOT_INT = E("ERR value is not an integer or out of range")
NOT_FLOAT = E("ERR value is not a valid float")
BIT_OFFSET = E("ERR bit offset is not an integer or out of range")
TOO_BIG = E("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
WRONGTYPE = E("WRONGTYPE Operation against a key holding the wrong kind of value")
BAD_TYPE = E("ERR Invalid bitfield type. Use something like i16 u8. "
             "Note that u64 is not supported but i64 is.")


def expire_err(cmd):
    return E("ERR invalid expire time in '%s' command" % cmd)


# (command, expected reply) in order; taken from Redis 7.0.15.
CASES = [
    # SET and its options.
    (("SET", "k", "v"), "OK"),
    (("GET", "k"), b"v"),
    (("SET", "k", "v2", "NX"), None),
    (("SET", "k", "v2", "NX", "GET"), b"v"),
    (("SET", "k", "v3", "XX", "GET"), b"v"),
    (("SET", "nx1", "v", "XX"), None),
    (("SET", "nx1", "v", "XX", "GET"), None),
    (("EXISTS", "nx1"), 0),
    (("SET", "nx1", "v", "NX", "GET"), None),
    (("GET", "nx1"), b"v"),
    (("SET", "k", "v", "NX", "XX"), SYNTAX),
    (("SET", "k", "v", "EX", "10", "PX", "100"), SYNTAX),
    (("SET", "k", "v", "EXAT", "10", "PXAT", "100"), SYNTAX),
    (("SET", "k", "v", "KEEPTTL", "EX", "10"), SYNTAX),
    (("SET", "k", "v", "PERSIST"), SYNTAX),
    (("SET", "k", "v", "EX"), SYNTAX),
    (("SET", "k", "v", "foo"), SYNTAX),
    (("SET", "k", "v", "EX", "x", "foo"), SYNTAX),
    (("SET", "k", "v", "EX", "0"), expire_err("set")),
    (("SET", "k", "v", "PX", "-1"), expire_err("set")),
    (("SET", "k", "v", "EX", "x"), NOT_INT),
    (("SET", "k", "v", "EX", "+10"), NOT_INT),
    (("SET", "k", "v", "EX", "9223372036854775"), expire_err("set")),
    (("SET", "k", "v", "PX", "9223372036854775807"), expire_err("set")),
    (("SET", "k", "v", "PXAT", "9223372036854775807"), "OK"),
    (("SET", "k", "v", "EX", "100", "EX", "200"), "OK"),
    (("TTL", "k"), 200),
    (("SET", "k", "v", "KEEPTTL"), "OK"),
    (("TTL", "k"), 200),
    (("SET", "k", "v"), "OK"),
    (("TTL", "k"), -1),
    (("SET", "k", "v", "PX", "5000", "GET", "nx"), b"v"),
    (("TTL", "k"), -1),
    (("SETNX", "k", "x"), 0),
    (("SETNX", "snx", "x"), 1),
    (("SETEX", "k", "0", "v"), expire_err("setex")),
    (("SETEX", "k", "x", "v"), NOT_INT),
    (("PSETEX", "k", "-5", "v"), expire_err("psetex")),
    (("SETEX", "k", "9223372036854775", "v"), expire_err("setex")),
    (("SETEX", "k", "100", "v"), "OK"),
    (("TTL", "k"), 100),
    (("GETSET", "k", "new"), b"v"),
    (("TTL", "k"), -1),
    (("GETSET", "gsnew", "v"), None),
    (("GETDEL", "k"), b"new"),
    (("GETDEL", "k"), None),
    (("EXISTS", "k"), 0),
    # GETEX: syntax is checked first, the expire value only for a string.
    (("SET", "g", "v"), "OK"),
    (("GETEX", "g", "EX", "100"), b"v"),
    (("TTL", "g"), 100),
    (("GETEX", "g"), b"v"),
    (("TTL", "g"), 100),
    (("GETEX", "g", "PERSIST"), b"v"),
    (("TTL", "g"), -1),
    (("GETEX", "g", "EX", "10", "PERSIST"), SYNTAX),
    (("GETEX", "g", "KEEPTTL"), SYNTAX),
    (("GETEX", "g", "GET"), SYNTAX),
    (("GETEX", "nosuch", "foo"), SYNTAX),
    (("GETEX", "g", "EX", "0"), expire_err("getex")),
    (("GETEX", "nosuch", "EX", "0"), None),
    (("GETEX", "g", "PXAT", "1"), b"v"),
    (("EXISTS", "g"), 0),
    # MGET, MSET, MSETNX.
    (("MSET", "a", "1", "b", "2"), "OK"),
    (("MSET", "a", "1", "b"), E("ERR wrong number of arguments for 'mset' command")),
    (("MGET", "a", "b", "nosuch"), [b"1", b"2", None]),
    (("MSETNX", "a", "1", "c", "3"), 0),
    (("MSETNX", "c", "3", "d", "4"), 1),
    (("MSETNX", "e", "1", "e", "2"), 1),
    (("MGET", "c", "d", "e"), [b"3", b"4", b"2"]),
    # Counters.
    (("SET", "n", "10"), "OK"),
    (("INCR", "n"), 11),
    (("DECR", "n"), 10),
    (("INCRBY", "n", "100"), 110),
    (("DECRBY", "n", "50"), 60),
    (("INCRBY", "n", "x"), NOT_INT),
    (("DECRBY", "n", "-9223372036854775808"), E("ERR decrement would overflow")),
    (("INCRBY", "n", "9223372036854775807"),
     E("ERR increment or decrement would overflow")),
    (("SET", "n", "9223372036854775807"), "OK"),
    (("INCR", "n"), E("ERR increment or decrement would overflow")),
    (("SET", "n", "-9223372036854775808"), "OK"),
    (("DECR", "n"), E("ERR increment or decrement would overflow")),
    (("SET", "n", " 1"), "OK"),
    (("INCR", "n"), NOT_INT),
    (("SET", "n", "1.5"), "OK"),
    (("INCR", "n"), NOT_INT),
    (("INCR", "fresh"), 1),
    (("DECRBY", "fresh2", "5"), -5),
    (("SET", "f", "10.5"), "OK"),
    (("INCRBYFLOAT", "f", "0.1"), b"10.6"),
    (("INCRBYFLOAT", "f", "-5"), b"5.6"),
    (("INCRBYFLOAT", "f", "5.0e3"), b"5005.60000000000000009"),
    (("INCRBYFLOAT", "f", "abc"), NOT_FLOAT),
    (("INCRBYFLOAT", "f", " 1"), NOT_FLOAT),
    (("INCRBYFLOAT", "f", "inf"), E("ERR increment would produce NaN or Infinity")),
    (("INCRBYFLOAT", "f", "1e5000"), NOT_FLOAT),
    (("SET", "f", "inf"), "OK"),
    (("INCRBYFLOAT", "f", "1"), E("ERR increment would produce NaN or Infinity")),
    (("SET", "f", "abc"), "OK"),
    (("INCRBYFLOAT", "f", "1"), NOT_FLOAT),
    (("INCRBYFLOAT", "ffresh", "3.0"), b"3"),
    # APPEND, STRLEN, GETRANGE, SETRANGE.
    (("APPEND", "ap", "Hello"), 5),
    (("APPEND", "ap", " World"), 11),
    (("STRLEN", "ap"), 11),
    (("STRLEN", "nosuch"), 0),
    (("SET", "num", "-123"), "OK"),
    (("STRLEN", "num"), 4),
    (("APPEND", "num", "4"), 5),
    (("GET", "num"), b"-1234"),
    (("GETRANGE", "ap", "0", "4"), b"Hello"),
    (("GETRANGE", "ap", "-5", "-1"), b"World"),
    (("GETRANGE", "ap", "-1", "-5"), b""),
    (("GETRANGE", "ap", "0", "-100"), b"H"),
    (("GETRANGE", "ap", "-100", "-200"), b""),
    (("GETRANGE", "ap", "5", "1"), b""),
    (("GETRANGE", "ap", "100", "200"), b""),
    (("GETRANGE", "ap", "-9223372036854775808", "-9223372036854775808"), b"H"),
    (("GETRANGE", "nosuch", "0", "-1"), b""),
    (("GETRANGE", "nosuch", "x", "1"), NOT_INT),
    (("GETRANGE", "ap", "x", "1"), NOT_INT),
    (("SUBSTR", "ap", "6", "-1"), b"World"),
    (("GETRANGE", "num", "1", "2"), b"12"),
    (("SETRANGE", "ap", "6", "Redis"), 11),
    (("GET", "ap"), b"Hello Redis"),
    (("SETRANGE", "ap", "20", "!"), 21),
    (("GET", "ap"), b"Hello Redis" + b"\x00" * 9 + b"!"),
    (("SETRANGE", "ap", "-1", "x"), E("ERR offset is out of range")),
    (("SETRANGE", "ap", "x", "x"), NOT_INT),
    (("SETRANGE", "sr", "0", ""), 0),
    (("EXISTS", "sr"), 0),
    (("SETRANGE", "sr", "3", "abc"), 6),
    (("GET", "sr"), b"\x00\x00\x00abc"),
    (("SETRANGE", "sr", "536870912", "x"), TOO_BIG),
    (("SETRANGE", "sr", "9223372036854775807", "x"), TOO_BIG),
    (("SETRANGE", "sr", "536870912", ""), 6),
    # SETBIT, GETBIT, BITCOUNT, BITPOS.
    (("SETBIT", "bm", "7", "1"), 0),
    (("GET", "bm"), b"\x01"),
    (("SETBIT", "bm", "7", "0"), 1),
    (("SETBIT", "bm", "7", "2"), E("ERR bit is not an integer or out of range")),
    (("SETBIT", "bm", "7", "01"), E("ERR bit is not an integer or out of range")),
    (("SETBIT", "bm", "-1", "1"), BIT_OFFSET),
    (("SETBIT", "bm", "4294967296", "1"), BIT_OFFSET),
    (("GETBIT", "bm", "7"), 0),
    (("GETBIT", "bm", "1000"), 0),
    (("GETBIT", "nosuch", "0"), 0),
    (("GETBIT", "bm", "x"), BIT_OFFSET),
    (("SET", "fb", "foobar"), "OK"),
    (("BITCOUNT", "fb"), 26),
    (("BITCOUNT", "fb", "1", "1"), 6),
    (("BITCOUNT", "fb", "1", "1", "byte"), 6),
    (("BITCOUNT", "fb", "5", "30", "BIT"), 17),
    (("BITCOUNT", "fb", "-2", "-1"), 7),
    (("BITCOUNT", "fb", "-1", "-2", "foo"), 0),
    (("BITCOUNT", "fb", "0"), SYNTAX),
    (("BITCOUNT", "fb", "0", "1", "foo"), SYNTAX),
    (("BITCOUNT", "fb", "x", "1"), NOT_INT),
    (("BITCOUNT", "nosuch", "0", "1", "foo"), 0),
    (("BITPOS", "fb", "1"), 1),
    (("BITPOS", "fb", "0"), 0),
    (("BITPOS", "fb", "1", "2"), 17),
    (("BITPOS", "fb", "1", "7", "15", "BIT"), 9),
    (("BITPOS", "fb", "0", "7", "15", "bit"), 7),
    (("BITPOS", "fb", "1", "2", "1"), -1),
    (("BITPOS", "fb", "1", "0", "x", "foo"), SYNTAX),
    (("BITPOS", "fb", "1", "0", "1", "bit", "5"), SYNTAX),
    (("BITPOS", "fb", "2"), E("ERR The bit argument must be 1 or 0.")),
    (("BITPOS", "fb", "x"), NOT_INT),
    (("BITPOS", "nosuch", "0"), 0),
    (("BITPOS", "nosuch", "1"), -1),
    (("BITPOS", "nosuch", "1", "x"), -1),
    (("SET", "ff", b"\xff\xff"), "OK"),
    (("BITPOS", "ff", "0"), 16),
    (("BITPOS", "ff", "0", "0", "-1"), -1),
    (("BITPOS", "ff", "0", "0", "-1", "BIT"), -1),
    (("BITPOS", "ff", "1", "-1", "-1", "BIT"), 15),
    (("SET", "z", b"\x00\x00"), "OK"),
    (("BITPOS", "z", "0", "3", "14", "bit"), 3),
    (("BITPOS", "z", "0", "-100", "-200"), 0),
    (("SET", "e", ""), "OK"),
    (("BITPOS", "e", "0"), -1),
    (("BITCOUNT", "e", "0", "-1"), 0),
    # BITOP.
    (("SET", "b1", b"\x0f\xf0\xaa"), "OK"),
    (("SET", "b2", b"\xff"), "OK"),
    (("BITOP", "AND", "dst", "b1", "b2"), 3),
    (("GET", "dst"), b"\x0f\x00\x00"),
    (("BITOP", "OR", "dst", "b1", "b2"), 3),
    (("GET", "dst"), b"\xff\xf0\xaa"),
    (("BITOP", "XOR", "dst", "b1", "b2"), 3),
    (("GET", "dst"), b"\xf0\xf0\xaa"),
    (("BITOP", "NOT", "dst", "b1"), 3),
    (("GET", "dst"), b"\xf0\x0f\x55"),
    (("BITOP", "AND", "dst", "b1", "nosuch"), 3),
    (("GET", "dst"), b"\x00\x00\x00"),
    (("SET", "i12", "12"), "OK"),
    (("BITOP", "AND", "dst", "i12", "b1"), 3),
    (("GET", "dst"), b"\x01\x30\x00"),
    (("BITOP", "NOT", "dst", "b1", "b2"),
     E("ERR BITOP NOT must be called with a single source key.")),
    (("BITOP", "NAND", "dst", "b1"), SYNTAX),
    (("BITOP", "AND", "dst", "nosuch"), 0),
    (("EXISTS", "dst"), 0),
    # BITFIELD.
    (("BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0", "GET", "i8", "0"),
     [0, 255, -1]),
    (("BITFIELD", "bf", "INCRBY", "u8", "0", "10"), [9]),
    (("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300"), [255]),
    (("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "GET", "u8", "0"),
     [None, 255]),
    (("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "i8", "0", "200", "GET", "u8", "0"),
     [-1, 127]),
    (("BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "-1000"), [-105]),
    (("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-5", "GET", "u8", "0"),
     [151, 255]),
    (("BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "u8", "0", "-5", "GET", "u8", "0"),
     [255, 251]),
    (("BITFIELD", "bf", "SET", "u8", "#1", "7", "GET", "u4", "#3"), [0, 7]),
    (("BITFIELD", "bf", "SET", "i64", "0", "-1", "GET", "u63", "0",
      "INCRBY", "i64", "0", "1"), [-358317645352665088, 9223372036854775807, 0]),
    (("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "i64", "0", "9223372036854775807",
      "INCRBY", "i64", "0", "1"), [0, 9223372036854775807]),
    (("BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "1"),
     [-9223372036854775808]),
    (("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1"), [None]),
    (("BITFIELD", "bf", "GET", "u64", "0"), BAD_TYPE),
    (("BITFIELD", "bf", "GET", "I8", "0"), BAD_TYPE),
    (("BITFIELD", "bf", "GET", "u8", "-1"), BIT_OFFSET),
    (("BITFIELD", "bf", "GET", "u8", "#-1"), BIT_OFFSET),
    (("BITFIELD", "bf", "GET", "u8", "4294967296"), BIT_OFFSET),
    (("BITFIELD", "bf", "OVERFLOW", "X", "GET", "u8", "0"),
     E("ERR Invalid OVERFLOW type specified")),
    (("BITFIELD", "bf", "SET", "u8", "0"), SYNTAX),
    (("BITFIELD", "bf", "SET", "u8", "0", "x"), NOT_INT),
    (("BITFIELD", "bf", "OVERFLOW"), SYNTAX),
    (("BITFIELD", "bf"), []),
    (("BITFIELD", "nosuch", "GET", "u8", "0"), [0]),
    (("EXISTS", "nosuch"), 0),
    (("BITFIELD", "bf2", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "1000"), [None]),
    (("STRLEN", "bf2"), 14),
    (("BITFIELD_RO", "bf", "GET", "u8", "8"), [0]),
    (("BITFIELD_RO", "bf", "SET", "u8", "0", "1"),
     E("ERR BITFIELD_RO only supports the GET subcommand")),
    # LCS.
    (("MSET", "la", "ohmytext", "lb", "mynewtext"), "OK"),
    (("LCS", "la", "lb"), b"mytext"),
    (("LCS", "la", "lb", "LEN"), 6),
    (("LCS", "la", "lb", "IDX"),
     [b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]),
    (("LCS", "la", "lb", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
     [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]),
    (("LCS", "la", "lb", "IDX", "LEN"),
     E("ERR If you want both the length and indexes, please just use IDX.")),
    (("LCS", "la", "lb", "MINMATCHLEN", "x"), NOT_INT),
    (("LCS", "la", "lb", "foo"), SYNTAX),
    (("LCS", "la", "nosuch", "IDX"), [b"matches", [], b"len", 0]),
    (("MSET", "lx", "ACCGGTCGAGTGCGCGGAAGCCGGCCGAA", "ly", "GTCGTTCGGAATGCCGTTGCTCTGTAAA"),
     "OK"),
    (("LCS", "lx", "ly"), b"GTCGTCGGAAGCCGGCCGAA"),
    # Arity.
    (("GET",), E("ERR wrong number of arguments for 'get' command")),
    (("SET", "k"), E("ERR wrong number of arguments for 'set' command")),
    (("MSETNX", "a"), E("ERR wrong number of arguments for 'msetnx' command")),
    (("BITOP", "AND", "dst"), E("ERR wrong number of arguments for 'bitop' command")),
    (("SUBSTR", "a", "0"), E("ERR wrong number of arguments for 'substr' command")),
]


def same(got, want):
    """Equal values, and an error only where an error is expected."""
    return got == want and isinstance(got, E) == isinstance(want, E)


def check_cases(t, c):
    c.cmd("FLUSHALL")
    for args, want in CASES:
        got = c.cmd(*args)
        name = " ".join(a if isinstance(a, str) else repr(a) for a in args)
        if not t.ok(same(got, want), name[:120]):
            t.diag("got:  %r" % (got,))
            t.diag("want: %r" % (want,))


# (command, OBJECT ENCODING of its key afterwards).
ENCODINGS = [
    (("SET", "x", "12345"), "int"),
    (("SET", "x", "0123"), "embstr"),
    (("SET", "x", "a" * 44), "embstr"),
    (("SET", "x", "a" * 45), "raw"),
    (("SET", "x", "-9223372036854775808"), "int"),
    (("SET", "x", "9223372036854775808"), "embstr"),
    (("INCR", "x"), None),
    (("SET", "x", "5"), "int"),
    (("INCR", "x"), "int"),
    (("INCRBYFLOAT", "x", "1"), "embstr"),
    (("INCR", "x"), "int"),
    (("APPEND", "x", ""), "raw"),
    (("INCR", "x"), "int"),
    (("SET", "x", "abc"), "embstr"),
    (("GETRANGE", "x", "0", "1"), "embstr"),
    (("SETRANGE", "x", "0", ""), "embstr"),
    (("GETBIT", "x", "0"), "embstr"),
    (("SETBIT", "x", "0", "0"), "raw"),
    (("SET", "x", "7"), "int"),
    (("BITFIELD", "x", "SET", "u8", "0", "55"), "raw"),
    (("SET", "x", "7"), "int"),
    (("SETRANGE", "x", "0", "8"), "raw"),
    (("DEL", "x"), None),
    (("APPEND", "x", "123"), "int"),
    (("DEL", "x"), None),
    (("APPEND", "x", "abc"), "embstr"),
    (("DEL", "x"), None),
    (("SETRANGE", "x", "1", "1"), "raw"),
    (("DEL", "x"), None),
    (("SETBIT", "x", "1", "1"), "raw"),
    (("MSET", "x", "1", "y", "2"), "int"),
    (("GETSET", "x", "zz"), "embstr"),
    (("SETEX", "x", "100", "42"), "int"),
    (("INCRBYFLOAT", "fx", "2"), None),
    (("OBJECT", "ENCODING", "fx"), None),
]


def check_encodings(t, c):
    c.cmd("FLUSHALL")
    for args, want in ENCODINGS:
        c.cmd(*args)
        if want is None:
            continue
        t.is_(c.cmd("OBJECT", "ENCODING", "x"), want.encode(),
              "encoding after %s" % " ".join(args)[:60])
    t.is_(c.cmd("OBJECT", "ENCODING", "fx"), b"embstr", "INCRBYFLOAT result is embstr")


# (command, rdb_changes_since_last_save delta), from Redis 7.0.15.
DIRTY = [
    (("SET", "k", "v"), 1),
    (("SETBIT", "k", "0", "0"), 0),
    (("SETBIT", "k", "0", "1"), 1),
    (("SETBIT", "k", "0", "1"), 0),
    (("SETBIT", "k", "100", "0"), 1),
    (("SETBIT", "b", "0", "0"), 1),
    (("BITFIELD", "k", "GET", "u8", "0"), 0),
    (("BITFIELD", "k", "SET", "u8", "0", "1", "SET", "u8", "8", "2"), 2),
    (("BITFIELD", "k", "SET", "u8", "0", "1", "SET", "u8", "0", "1"), 0),
    (("BITFIELD", "k", "INCRBY", "u8", "0", "0"), 0),
    (("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"), 0),
    (("BITFIELD", "k4", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"), 0),
    (("BITFIELD", "q1", "INCRBY", "u8", "0", "0"), 1),
    (("BITFIELD", "q2", "SET", "u8", "0", "0", "SET", "u8", "8", "0"), 2),
    (("BITFIELD", "q2", "SET", "u8", "0", "0", "OVERFLOW", "FAIL", "SET", "u8", "32", "1000"), 1),
    (("MSET", "a", "1", "b", "2", "c", "3"), 3),
    (("MSETNX", "a", "1", "b", "2"), 0),
    (("MSETNX", "x", "1", "y", "2"), 2),
    (("BITOP", "AND", "d", "a"), 1),
    (("BITOP", "AND", "d", "nosuch"), 1),
    (("BITOP", "AND", "d", "nosuch"), 0),
    (("SETRANGE", "k", "0", ""), 0),
    (("SETRANGE", "k", "0", "a"), 1),
    (("APPEND", "k", ""), 1),
    (("GETEX", "k"), 0),
    (("GETEX", "k", "PERSIST"), 0),
    (("GETEX", "k", "EX", "100"), 1),
    (("GETEX", "k", "PERSIST"), 1),
    (("GETEX", "k", "PXAT", "1"), 1),
    (("GETDEL", "a"), 1),
    (("GETDEL", "a"), 0),
    (("INCR", "b"), 1),
    (("INCRBY", "b", "0"), 1),
    (("INCRBYFLOAT", "b", "1.5"), 1),
    (("SETNX", "b", "1"), 0),
    (("SET", "b", "1", "NX"), 0),
    (("SET", "b", "1", "XX", "GET"), 1),
    (("GETSET", "b", "1"), 1),
    (("LCS", "a", "b"), 0),
]


def dirty(c):
    info = c.cmd("INFO", "persistence").decode()
    for line in info.splitlines():
        if line.startswith("rdb_changes_since_last_save:"):
            return int(line.split(":")[1])
    return None


def check_dirty(t, c):
    c.cmd("FLUSHALL")
    if dirty(c) is None:
        t.skip("dirty counts", "INFO has no rdb_changes_since_last_save")
        return
    for args, want in DIRTY:
        before = dirty(c)
        c.cmd(*args)
        t.is_(dirty(c) - before, want, "dirty delta of %s" % " ".join(args)[:70])


def check_ttls(t, c, r):
    """Writes that keep or drop a TTL, and expiry through the commands."""
    c.cmd("FLUSHALL")
    keep = [("INCR",), ("INCRBY", "2"), ("DECR",), ("INCRBYFLOAT", "1.5"),
            ("APPEND", "x"), ("SETRANGE", "0", "9"), ("SETBIT", "0", "1"),
            ("BITFIELD", "SET", "u8", "0", "7"), ("SET", "5", "KEEPTTL")]
    for cmd in keep:
        c.cmd("SET", "t", "1", "EX", "100")
        c.cmd(cmd[0], "t", *cmd[1:])
        t.is_(c.cmd("TTL", "t"), 100, "%s keeps the TTL" % cmd[0])
    drop = [("SET", "t", "2"), ("GETSET", "t", "2"), ("MSET", "t", "2"),
            ("BITOP", "OR", "t", "t"), ("SET", "t", "2", "GET")]
    for cmd in drop:
        c.cmd("SET", "t", "1", "EX", "100")
        c.cmd(*cmd)
        t.is_(c.cmd("TTL", "t"), -1, "%s drops the TTL" % cmd[0])
    c.cmd("SET", "t", "v", "PX", "100")
    t.is_(c.cmd("GET", "t"), b"v", "value with PX 100 readable at once")
    rhtest.wait_for(lambda: c.cmd("GET", "t") is None, 5, what="PX expiry")
    t.ok(True, "SET PX expires")
    c.cmd("SET", "t", "v")
    c.cmd("GETEX", "t", "PX", "100")
    rhtest.wait_for(lambda: c.cmd("EXISTS", "t") == 0, 5, what="GETEX expiry")
    t.ok(True, "GETEX PX expires")
    c.cmd("PSETEX", "t", "100", "v")
    rhtest.wait_for(lambda: c.cmd("EXISTS", "t") == 0, 5, what="PSETEX expiry")
    t.ok(True, "PSETEX expires")
    t.is_(c.cmd("SET", "t", "v", "EXAT", "1"), "OK", "SET with a past EXAT is accepted")
    t.is_(c.cmd("GET", "t"), None, "but the key is gone")
    t.is_(r.set("t", "v", pxat=1, get=True), None, "redis-py SET PXAT GET")


def check_limits(t, c):
    """Size limits follow proto-max-bulk-len."""
    c.cmd("FLUSHALL")
    if c.cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb") != "OK":
        t.skip("proto-max-bulk-len limits", "CONFIG SET not available")
        return
    t.is_(c.cmd("SETRANGE", "k", "1048575", "x"), 1048576, "SETRANGE up to the limit")
    t.ok(same(c.cmd("SETRANGE", "k", "1048576", "x"), TOO_BIG), "SETRANGE past the limit")
    t.ok(same(c.cmd("APPEND", "k", "y"), TOO_BIG), "APPEND past the limit")
    t.is_(c.cmd("SETBIT", "b", "8388607", "1"), 0, "SETBIT on the last bit")
    t.ok(same(c.cmd("SETBIT", "b", "8388608", "1"), BIT_OFFSET), "SETBIT past the limit")
    t.is_(c.cmd("BITFIELD", "f", "GET", "u8", "8388601"), [0], "BITFIELD GET near the limit")
    t.ok(same(c.cmd("BITFIELD", "f", "GET", "u8", "#1048576"), BIT_OFFSET),
         "BITFIELD # offset past the limit")
    c.cmd("SET", "la", "x" * 600)
    c.cmd("SET", "lb", "x" * 600)
    t.ok(same(c.cmd("LCS", "la", "lb", "LEN"),
              E("ERR Insufficient memory, transient memory for LCS exceeds "
                "proto-max-bulk-len")), "LCS table past the limit")
    c.cmd("SET", "lb", "x" * 300)
    t.is_(c.cmd("LCS", "la", "lb", "LEN"), 300, "LCS table under the limit")
    c.cmd("CONFIG", "SET", "proto-max-bulk-len", "512mb")
    c.cmd("FLUSHALL")


def make_other_type(c, key):
    """Creates a non-string value; returns the command that did, or None when
    no such type exists yet."""
    for cmd in (("LPUSH", key, "a"), ("SADD", key, "a"), ("HSET", key, "a", "b"),
                ("ZADD", key, "1", "a")):
        if not isinstance(c.cmd(*cmd), E):
            return cmd
    return None


WRONGTYPE_CMDS = [
    ("GET", "l"), ("SET", "l", "v", "GET"), ("GETSET", "l", "v"), ("GETDEL", "l"),
    ("GETEX", "l"), ("GETEX", "l", "EX", "0"), ("APPEND", "l", "x"), ("STRLEN", "l"),
    ("INCR", "l"), ("DECRBY", "l", "1"), ("INCRBYFLOAT", "l", "x"),
    ("GETRANGE", "l", "0", "1"), ("SETRANGE", "l", "0", ""), ("SETBIT", "l", "0", "1"),
    ("GETBIT", "l", "0"), ("BITCOUNT", "l"), ("BITCOUNT", "l", "0"), ("BITPOS", "l", "1"),
    ("BITOP", "AND", "d", "a", "l"), ("BITFIELD", "l"), ("BITFIELD", "l", "SET", "u8", "0", "1"),
    ("BITFIELD_RO", "l", "GET", "u8", "0"),
]


def check_wrongtype(t, c):
    c.cmd("FLUSHALL")
    if not make_other_type(c, "l"):
        t.skip("WRONGTYPE replies", "no non-string type implemented yet")
        return
    c.cmd("SET", "a", "x")
    for args in WRONGTYPE_CMDS:
        t.ok(same(c.cmd(*args), WRONGTYPE), "WRONGTYPE from %s" % " ".join(args))
    t.ok(same(c.cmd("LCS", "a", "l"), E("ERR The specified keys must contain string values")),
         "LCS on a non-string")
    t.is_(c.cmd("MGET", "a", "l"), [b"x", None], "MGET reads a non-string as nil")
    t.is_(c.cmd("SET", "l", "v"), "OK", "SET overwrites any type")
    t.is_(c.cmd("TYPE", "l"), "string", "now a string")


# ---- differential run against the reference -------------------------------

class Raw(rhtest.RawConn):
    """Replies as canonical bytes, so RESP2 and RESP3 types are compared exactly."""

    def raw_reply(self):
        line = self._line()
        kind = line[:1]
        if kind in (b"$", b"=", b"!"):
            n = int(line[1:])
            return line if n < 0 else line + b"|" + self._exact(n)
        if kind in (b"*", b"%", b"~", b">"):
            n = int(line[1:])
            if n < 0:
                return line
            n *= 2 if kind == b"%" else 1
            return line + b"[" + b",".join(self.raw_reply() for _ in range(n)) + b"]"
        return line

    def raw_cmd(self, *args):
        self.send(rhtest.encode(*args))
        return self.raw_reply()


def random_command(rng, keys):
    """One string or bitmap command with edge-case arguments."""
    k = rng.choice(keys)
    num = lambda: rng.choice([0, 1, -1, 2, -2, 3, 7, 8, 9, 15, 16, 17, 31, 47, 63, 64, 100,
                              -100, -7, -9, 1000, 9223372036854775807,
                              -9223372036854775808, "x", "#1", "#3", "+1", "01", "",
                              4294967295, 4294967296])
    val = lambda: rng.choice(["", "a", "foobar", "12", "-7", "3.5", "inf", "1e300",
                              b"\xff\x00\xf0\x0f", b"\x00" * 5, b"\xff" * 9, "x" * 50,
                              "9223372036854775807", "hello world"])
    ftype = lambda: rng.choice(["u1", "u5", "u8", "u16", "u63", "i1", "i7", "i8", "i32",
                                "i64", "u64", "i65", "x8", "u0"])
    unit = lambda: rng.choice(["bit", "byte", "BIT", "foo"])
    pick = rng.randrange(20)
    if pick == 0:
        opts = rng.sample([("NX",), ("XX",), ("GET",), ("KEEPTTL",), ("EX", "100"),
                           ("PX", "100000"), ("EXAT", "1"), ("PERSIST",)], rng.randrange(3))
        return ["SET", k, val()] + [a for o in opts for a in o]
    if pick == 1:
        return ["GETRANGE", k, num(), num()]
    if pick == 2:
        return ["SETRANGE", k, rng.choice([0, 1, 3, 10, -1, "x"]), val()]
    if pick == 3:
        return ["BITCOUNT", k] + rng.choice([[], [num()], [num(), num()],
                                            [num(), num(), unit()]])
    if pick == 4:
        return ["BITPOS", k, rng.choice([0, 1, 2, "x"])] + rng.choice(
            [[], [num()], [num(), num()], [num(), num(), unit()], [1, 2, "bit", 4]])
    if pick == 5:
        args = ["BITFIELD", k]
        for _ in range(rng.randrange(4)):
            op = rng.randrange(4)
            off = rng.choice([0, 3, 7, 8, 13, 64, 100, "#2", -1])
            if op == 0:
                args += ["GET", ftype(), off]
            elif op == 1:
                args += ["SET", ftype(), off, num()]
            elif op == 2:
                args += ["INCRBY", ftype(), off, num()]
            else:
                args += ["OVERFLOW", rng.choice(["wrap", "sat", "fail", "x"])]
        return args
    if pick == 6:
        return ["SETBIT", k, rng.choice([0, 1, 7, 8, 100, -1, "x"]), rng.choice([0, 1, 2])]
    if pick == 7:
        return ["GETBIT", k, rng.choice([0, 1, 7, 8, 100, -1, "x"])]
    if pick == 8:
        return (["BITOP", rng.choice(["and", "or", "xor", "not", "x"]), rng.choice(keys)] +
                [rng.choice(keys) for _ in range(rng.randrange(1, 4))])
    if pick == 9:
        return ["APPEND", k, val()]
    if pick == 10:
        return ["INCRBYFLOAT", k, rng.choice(["1", "-1.5", "0.1", "inf", "x", "1e10", "3"])]
    if pick == 11:
        return [rng.choice(["INCRBY", "DECRBY"]), k, num()]
    if pick == 12:
        return (["LCS", rng.choice(keys), rng.choice(keys)] +
                rng.sample(["IDX", "LEN", "WITHMATCHLEN", "MINMATCHLEN", "2"],
                           rng.randrange(3)))
    if pick == 13:
        return [rng.choice(["GET", "STRLEN", "TTL", "GETDEL", "INCR", "DECR"]), k]
    if pick == 14:
        return ["GETEX", k] + rng.choice([[], ["PERSIST"], ["EX", num()], ["PX", "100000"],
                                          ["EXAT", "1"], ["EX", "5", "PX", "5"]])
    if pick == 15:
        return ["MGET"] + rng.sample(keys, 3)
    if pick == 16:
        return [rng.choice(["MSET", "MSETNX"]), k, val(), rng.choice(keys), val()]
    if pick == 17:
        return [rng.choice(["SETNX", "GETSET"]), k, val()]
    if pick == 18:
        return ["BITFIELD_RO", k, "GET", ftype(), rng.choice([0, 5, 64])]
    return ["OBJECT", "ENCODING", k]


def check_against_reference(t, ours):
    ref = rhtest.ref_server()
    if ref is None:
        t.skip("differential run", "no reference redis-server")
        return
    for proto in (2, 3):
        a, b = Raw(ref.port), Raw(ours.port)
        keys = ["s1", "s2", "n1", "e1", "nokey"]
        for conn in (a, b):
            if proto == 3:
                conn.raw_cmd("HELLO", "3")
            conn.raw_cmd("FLUSHALL")
        # The reference gets the same type as ours, whichever we have.
        made = make_other_type(b, "l1")
        if made is not None and not isinstance(a.cmd(*made), E):
            keys.append("l1")
        rng = random.Random(7000 + proto)
        diffs = []
        for _ in range(3000):
            args = random_command(rng, keys)
            ra, rb = a.raw_cmd(*args), b.raw_cmd(*args)
            if ra != rb:
                diffs.append((args, ra[:200], rb[:200]))
        if not t.is_(len(diffs), 0, "RESP%d: 3000 random commands reply as Redis does" % proto):
            for args, ra, rb in diffs[:10]:
                t.diag("%r\n  ref:  %r\n  ours: %r" % (args, ra, rb))
        a.close()
        b.close()
    ref.stop()


def main():
    t = rhtest.Tap()
    srv = rhtest.Server()
    c = srv.raw()
    check_cases(t, c)
    check_encodings(t, c)
    check_dirty(t, c)
    check_ttls(t, c, srv.client())
    check_limits(t, c)
    check_wrongtype(t, c)
    c.cmd("SET", "f", "1")
    big = c.cmd("INCRBYFLOAT", "f", "1e4900")
    t.ok(len(big) == 4901 and big.startswith(b"100000000000000000002708"),
         "INCRBYFLOAT prints huge values in full")
    c3 = srv.raw()
    c3.cmd("HELLO", "3")
    t.is_(c3.cmd("GET", "nosuch"), None, "RESP3 GET of a missing key")
    t.is_(c3.cmd("LCS", "la", "lb", "IDX"), {b"matches": [], b"len": 0},
          "RESP3 LCS IDX is a map")
    check_against_reference(t, srv)
    t.done()


main()
