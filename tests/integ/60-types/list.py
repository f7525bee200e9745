"""List commands: replies and error texts (Redis 7.0.15's, with negative and
out-of-range indices and every count variant), RESP2 and RESP3 reply
shapes (the null forms in particular), WRONGTYPE from every command and
argument-checking order, empty lists deleting their key, dirty counts,
keyspace notifications, node shapes and compression under CONFIG SET
list-max-listpack-size / list-compress-depth as DEBUG OBJECT, OBJECT
ENCODING and MEMORY USAGE show them, the blocking commands' basic paths,
generic key commands on lists, and (when Debian's redis-server is
installed) a seeded differential run against it in RESP2 and RESP3
comparing replies, DEBUG DIGEST and the quicklist's node shapes."""
import os
import random
import re
import shlex
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

E = rhtest.Error
SYNTAX = E("ERR syntax error")
NOT_INT = E("ERR value is not an integer or out of range")
WRONGTYPE = E("WRONGTYPE Operation against a key holding the wrong kind of value")
POSITIVE = E("ERR value is out of range, must be positive")
RANK_ZERO = E("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
              "second ... or use negative to start from the end of the list")
CONFIG = "enable-debug-command yes\n"


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


# (command line, expected reply) in order, from Redis 7.0.15.
CASES = [
    ('RPUSH l a b c', 3),
    ('LPUSH l z y', 5),
    ('LRANGE l 0 -1', [b'y', b'z', b'a', b'b', b'c']),
    ('LLEN l', 5),
    ('LLEN nokey', 0),
    ("RPUSH n 1 -5 007 9223372036854775807 -9223372036854775808 9223372036854775808 1.5 ''", 8),
    ('LRANGE n 0 -1', [b'1', b'-5', b'007', b'9223372036854775807', b'-9223372036854775808',
                       b'9223372036854775808', b'1.5', b'']),
    ('LPUSHX nokey a', 0),
    ('RPUSHX nokey a', 0),
    ('EXISTS nokey', 0),
    ('LPUSHX l x0', 6),
    ('RPUSHX l x1 x2', 8),
    ('LRANGE l 0 -1', [b'x0', b'y', b'z', b'a', b'b', b'c', b'x1', b'x2']),
    ('LRANGE l -3 -1', [b'c', b'x1', b'x2']),
    ('LRANGE l -100 1', [b'x0', b'y']),
    ('LRANGE l 5 2', []),
    ('LRANGE l 100 200', []),
    ('LRANGE l 2 100', [b'z', b'a', b'b', b'c', b'x1', b'x2']),
    ('LRANGE l -1 -2', []),
    ('LRANGE l 0 -9223372036854775808', []),
    ('LRANGE l -9223372036854775808 9223372036854775807',
     [b'x0', b'y', b'z', b'a', b'b', b'c', b'x1', b'x2']),
    ('LRANGE nokey 0 -1', []),
    ('LRANGE l x 1', NOT_INT),
    ('LRANGE l 0 y', NOT_INT),
    ('LINDEX l 0', b'x0'),
    ('LINDEX l -1', b'x2'),
    ('LINDEX l 7', b'x2'),
    ('LINDEX l 8', None),
    ('LINDEX l -8', b'x0'),
    ('LINDEX l -9', None),
    ('LINDEX l x', NOT_INT),
    ('LINDEX nokey 0', None),
    ('LINDEX nokey x', None),
    ('LINDEX n 3', b'9223372036854775807'),
    ('LSET l 0 first', 'OK'),
    ('LSET l -1 last', 'OK'),
    ('LSET l 8 x', E('ERR index out of range')),
    ('LSET l -9 x', E('ERR index out of range')),
    ('LSET l x x', NOT_INT),
    ('LSET nokey 0 x', E('ERR no such key')),
    ('LRANGE l 0 -1', [b'first', b'y', b'z', b'a', b'b', b'c', b'x1', b'last']),
    ('LINSERT l BEFORE a A', 9),
    ('LINSERT l after a B', 10),
    ('LINSERT l AFTER last C', 11),
    ('LINSERT l before first D', 12),
    ('LINSERT l before nope X', -1),
    ('LINSERT l middle a X', SYNTAX),
    ('LINSERT nokey before a X', 0),
    ('LINSERT n after 9223372036854775807 mid', 9),
    ('LINSERT n after 07 mid2', -1),
    ('LRANGE l 0 -1', [b'D', b'first', b'y', b'z', b'A', b'a', b'B', b'b', b'c', b'x1', b'last',
                       b'C']),
    ('LRANGE n 0 -1', [b'1', b'-5', b'007', b'9223372036854775807', b'mid',
                       b'-9223372036854775808', b'9223372036854775808', b'1.5', b'']),
    ('RPUSH r a b a c a d a', 7),
    ('LREM r 2 a', 2),
    ('LRANGE r 0 -1', [b'b', b'c', b'a', b'd', b'a']),
    ('LREM r -1 a', 1),
    ('LRANGE r 0 -1', [b'b', b'c', b'a', b'd']),
    ('LREM r 0 a', 1),
    ('LREM r 0 zz', 0),
    ('LREM r x a', NOT_INT),
    ('LREM nokey 0 a', 0),
    ('LRANGE r 0 -1', [b'b', b'c', b'd']),
    ('LREM r 0 b', 1),
    ('LREM r 0 c', 1),
    ('LREM r 0 d', 1),
    ('EXISTS r', 0),
    ('RPUSH t 0 1 2 3 4 5 6 7 8 9', 10),
    ('LTRIM t 1 -2', 'OK'),
    ('LRANGE t 0 -1', [b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8']),
    ('LTRIM t -3 100', 'OK'),
    ('LRANGE t 0 -1', [b'6', b'7', b'8']),
    ('LTRIM t x 1', NOT_INT),
    ('LTRIM nokey 0 1', 'OK'),
    ('LTRIM t 5 1', 'OK'),
    ('EXISTS t', 0),
    ('RPUSH t a b c', 3),
    ('LTRIM t -100 -3', 'OK'),
    ('LRANGE t 0 -1', [b'a']),
    ('LTRIM t 1 0', 'OK'),
    ('EXISTS t', 0),
    ('RPUSH p a b c a b c a', 7),
    ('LPOS p a', 0),
    ('LPOS p b', 1),
    ('LPOS p zz', None),
    ('LPOS p a RANK 2', 3),
    ('LPOS p a RANK -1', 6),
    ('LPOS p a RANK -2', 3),
    ('LPOS p a RANK 5', None),
    ('LPOS p a RANK -5', None),
    ('LPOS p a COUNT 0', [0, 3, 6]),
    ('LPOS p a COUNT 2', [0, 3]),
    ('LPOS p a COUNT 2 RANK -1', [6, 3]),
    ('LPOS p a COUNT 0 RANK 2', [3, 6]),
    ('LPOS p a MAXLEN 3', 0),
    ('LPOS p a MAXLEN 3 COUNT 0', [0]),
    ('LPOS p c MAXLEN 2', None),
    ('LPOS p c MAXLEN 3 RANK -1', 5),
    ('LPOS p c MAXLEN 2 RANK -1', 5),
    ('LPOS p a COUNT 5 MAXLEN 0', [0, 3, 6]),
    ('LPOS p zz COUNT 1', []),
    ('LPOS nokey a', None),
    ('LPOS nokey a COUNT 1', []),
    ('LPOS nokey a COUNT 0', []),
    ('LPOS p a RANK 0', RANK_ZERO),
    ('LPOS p a RANK x', NOT_INT),
    ('LPOS p a RANK -9223372036854775808', 6),
    ('LPOS p a RANK -9223372036854775808 COUNT 1', [6, 3, 0]),
    ('LPOS p a RANK 9223372036854775807', None),
    ('LPOS p a COUNT -1', E("ERR COUNT can't be negative")),
    ('LPOS p a COUNT x', E("ERR COUNT can't be negative")),
    ('LPOS p a MAXLEN -1', E("ERR MAXLEN can't be negative")),
    ('LPOS p a MAXLEN x', E("ERR MAXLEN can't be negative")),
    ('LPOS p a RANK', SYNTAX),
    ('LPOS p a COUNT', SYNTAX),
    ('LPOS p a BOGUS 1', SYNTAX),
    ('LPOS p a RANK 1 RANK 2', 3),
    ('RPUSH q a b c d e', 5),
    ('LPOP q', b'a'),
    ('RPOP q', b'e'),
    ('LPOP q 2', [b'b', b'c']),
    ('RPOP q 0', []),
    ('LPOP q 0', []),
    ('RPUSH q x y z', 4),
    ('RPOP q 2', [b'z', b'y']),
    ('LRANGE q 0 -1', [b'd', b'x']),
    ('LPOP q 10', [b'd', b'x']),
    ('EXISTS q', 0),
    ('LPOP nokey', None),
    ('RPOP nokey', None),
    ('LPOP nokey 3', None),
    ('RPOP nokey 0', None),
    ('LPOP nokey x', POSITIVE),
    ('LPOP nokey -1', POSITIVE),
    ('LPOP l -1', POSITIVE),
    ('LPOP l x', POSITIVE),
    ('LPOP l 1 2', arity('lpop')),
    ('RPUSH m1 a b c', 3),
    ('RPUSH m2 x', 1),
    ('LMOVE m1 m2 LEFT RIGHT', b'a'),
    ('LMOVE m1 m2 right left', b'c'),
    ('LRANGE m1 0 -1', [b'b']),
    ('LRANGE m2 0 -1', [b'c', b'x', b'a']),
    ('LMOVE m1 m1 left right', b'b'),
    ('LMOVE m1 new left left', b'b'),
    ('EXISTS m1', 0),
    ('LRANGE new 0 -1', [b'b']),
    ('LMOVE nokey m2 left left', None),
    ('LMOVE m2 m2 up left', SYNTAX),
    ('LMOVE m2 m2 left down', SYNTAX),
    ('RPOPLPUSH m2 m3', b'a'),
    ('RPOPLPUSH m2 m2', b'x'),
    ('LRANGE m2 0 -1', [b'x', b'c']),
    ('RPOPLPUSH nokey m2', None),
    ('LRANGE m3 0 -1', [b'a']),
    ('RPUSH mp1 a b c', 3),
    ('RPUSH mp2 x y', 2),
    ('LMPOP 2 nokey mp1 LEFT', [b'mp1', [b'a']]),
    ('LMPOP 2 mp2 mp1 RIGHT COUNT 5', [b'mp2', [b'y', b'x']]),
    ('EXISTS mp2', 0),
    ('LMPOP 1 mp1 left count 1', [b'mp1', [b'b']]),
    ('LMPOP 2 nokey nokey2 left', None),
    ('LMPOP 1 mp1 LEFT COUNT 0', E('ERR count should be greater than 0')),
    ('LMPOP 1 mp1 LEFT COUNT -1', E('ERR count should be greater than 0')),
    ('LMPOP 1 mp1 LEFT COUNT x', E('ERR count should be greater than 0')),
    ('LMPOP 1 mp1 LEFT COUNT', SYNTAX),
    ('LMPOP 1 mp1 LEFT COUNT 1 COUNT 2', SYNTAX),
    ('LMPOP 1 mp1 LEFT foo', SYNTAX),
    ('LMPOP 1 mp1 UP', SYNTAX),
    ('LMPOP 0 mp1 LEFT', E('ERR numkeys should be greater than 0')),
    ('LMPOP -1 mp1 LEFT', E('ERR numkeys should be greater than 0')),
    ('LMPOP x mp1 LEFT', E('ERR numkeys should be greater than 0')),
    ('LMPOP 3 mp1 LEFT', SYNTAX),
    ('LMPOP 2 mp1 LEFT', SYNTAX),
    ('LMPOP 9223372036854775807 mp1 LEFT', SYNTAX),
    ('LRANGE mp1 0 -1', [b'c']),
    ('BLPOP l 0', [b'l', b'D']),
    ('BRPOP nokey l 0', [b'l', b'C']),
    ('BLPOP l x', E('ERR timeout is not a float or out of range')),
    ('BLPOP l -1', E('ERR timeout is negative')),
    ('BLPOP l 0.001', [b'l', b'first']),
    ('BLMOVE l nokey2 LEFT RIGHT 0', b'y'),
    ('BLMOVE l nokey2 LEFT UP 0', SYNTAX),
    ('BLMOVE l nokey2 LEFT RIGHT x', E('ERR timeout is not a float or out of range')),
    ('BRPOPLPUSH l nokey2 0', b'last'),
    ('BRPOPLPUSH l nokey2 -1', E('ERR timeout is negative')),
    ('BLMPOP 0 2 nokey l RIGHT COUNT 2', [b'l', [b'x1', b'c']]),
    ('BLMPOP 0 1 l LEFT', [b'l', [b'z']]),
    ('BLMPOP x 1 l LEFT', E('ERR timeout is not a float or out of range')),
    ('BLMPOP -1 1 l LEFT', E('ERR timeout is negative')),
    ('BLMPOP 0 0 l LEFT', E('ERR numkeys should be greater than 0')),
    ('BLMPOP 0 1 l UP', SYNTAX),
    ('BLMPOP 0 1 l LEFT COUNT 0', E('ERR count should be greater than 0')),
    ('BLMPOP x 0 l LEFT', E('ERR numkeys should be greater than 0')),
    ('BLMPOP 0 5 l LEFT', SYNTAX),
    ('LRANGE nokey2 0 -1', [b'last', b'y']),
    ('LPUSH l', arity('lpush')),
    ('RPUSH l', arity('rpush')),
    ('LPUSHX l', arity('lpushx')),
    ('LPOP', arity('lpop')),
    ('LLEN', arity('llen')),
    ('LRANGE l 0', arity('lrange')),
    ('LINDEX l', arity('lindex')),
    ('LSET l 0', arity('lset')),
    ('LINSERT l before a', arity('linsert')),
    ('LREM l 0', arity('lrem')),
    ('LTRIM l 0', arity('ltrim')),
    ('LPOS l', arity('lpos')),
    ('LMOVE a b left', arity('lmove')),
    ('RPOPLPUSH a', arity('rpoplpush')),
    ('LMPOP 1 a', arity('lmpop')),
    ('BLPOP l', arity('blpop')),
    ('BLMOVE a b left right', arity('blmove')),
    ('BRPOPLPUSH a b', arity('brpoplpush')),
    ('BLMPOP 0 1 a', arity('blmpop')),
]


def same(got, want):
    return got == want and isinstance(got, E) == isinstance(want, E)


def check_cases(t, c):
    c.cmd("FLUSHALL")
    for line, want in CASES:
        got = c.cmd(*shlex.split(line))
        if not t.ok(same(got, want), line[:100]):
            t.diag("got:  %r" % (got,))
            t.diag("want: %r" % (want,))


# ---- reply shapes ----------------------------------------------------------

def raw_reply(conn):
    """One reply as the exact bytes the server sent."""
    line = conn._line()
    kind, rest = line[:1], line[1:]
    out = line + b"\r\n"
    if kind in (b"$", b"=") and int(rest) >= 0:
        return out + conn._exact(int(rest)) + b"\r\n"
    if kind in (b"*", b"~", b">", b"%") and int(rest) >= 0:
        n = int(rest) * (2 if kind == b"%" else 1)
        return out + b"".join(raw_reply(conn) for _ in range(n))
    return out


def raw_cmd(conn, *args):
    conn.send(rhtest.encode(*args))
    return raw_reply(conn)


# (command, RESP2 reply, RESP3 reply) with "l" holding a, b, c.
SHAPES = [
    (("LPOP", "nokey"), b"$-1\r\n", b"_\r\n"),
    (("LPOP", "nokey", "2"), b"*-1\r\n", b"_\r\n"),
    (("RPOP", "nokey", "0"), b"*-1\r\n", b"_\r\n"),
    (("LPOP", "l", "0"), b"*0\r\n", b"*0\r\n"),
    (("LRANGE", "l", "0", "0"), b"*1\r\n$1\r\na\r\n", b"*1\r\n$1\r\na\r\n"),
    (("LRANGE", "nokey", "0", "-1"), b"*0\r\n", b"*0\r\n"),
    (("LINDEX", "nokey", "0"), b"$-1\r\n", b"_\r\n"),
    (("LINDEX", "l", "99"), b"$-1\r\n", b"_\r\n"),
    (("LPOS", "nokey", "a"), b"$-1\r\n", b"_\r\n"),
    (("LPOS", "l", "zz"), b"$-1\r\n", b"_\r\n"),
    (("LPOS", "l", "b"), b":1\r\n", b":1\r\n"),
    (("LPOS", "nokey", "a", "COUNT", "0"), b"*0\r\n", b"*0\r\n"),
    (("LMOVE", "nokey", "d", "LEFT", "LEFT"), b"$-1\r\n", b"_\r\n"),
    (("RPOPLPUSH", "nokey", "d"), b"$-1\r\n", b"_\r\n"),
    (("LMPOP", "1", "nokey", "LEFT"), b"*-1\r\n", b"_\r\n"),
    (("LMPOP", "1", "l", "RIGHT"), b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\nc\r\n",
     b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\nc\r\n"),
    (("RPUSH", "l", "c"), b":3\r\n", b":3\r\n"),
    (("BLPOP", "nokey", "l", "0"), b"*2\r\n$1\r\nl\r\n$1\r\na\r\n",
     b"*2\r\n$1\r\nl\r\n$1\r\na\r\n"),
    (("LPUSH", "l", "a"), b":3\r\n", b":3\r\n"),
    (("BLPOP", "nokey", "0.01"), b"*-1\r\n", b"_\r\n"),
    (("BLMPOP", "0.01", "1", "nokey", "LEFT"), b"*-1\r\n", b"_\r\n"),
    (("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01"), b"*-1\r\n", b"_\r\n"),
    (("BRPOPLPUSH", "nokey", "d", "0.01"), b"*-1\r\n", b"_\r\n"),
]

# Inside MULTI the blocking commands answer at once: the list pops with a
# null array, the moves with a null bulk string.
MULTI_SHAPE = (b"*4\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n", b"*4\r\n_\r\n_\r\n_\r\n_\r\n")


def check_shapes(t, srv):
    for proto in (2, 3):
        c = srv.raw()
        c.cmd("HELLO", str(proto))
        c.cmd("FLUSHALL")
        c.cmd("RPUSH", "l", "a", "b", "c")
        for args, resp2, resp3 in SHAPES:
            want = resp2 if proto == 2 else resp3
            t.is_(raw_cmd(c, *args), want, "RESP%d %s" % (proto, " ".join(args)))
        c.cmd("MULTI")
        for args in (("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"),
                     ("BRPOPLPUSH", "nokey", "d", "0"), ("BLPOP", "nokey", "0"),
                     ("BLMPOP", "0", "1", "nokey", "LEFT")):
            c.cmd(*args)
        t.is_(raw_cmd(c, "EXEC"), MULTI_SHAPE[proto - 2],
              "RESP%d blocking commands inside MULTI answer at once" % proto)
        c.close()


# ---- WRONGTYPE and checking order ------------------------------------------

WRONGTYPE_CMDS = [
    "LPUSH str a", "RPUSH str a", "LPUSHX str a", "RPUSHX str a", "LPOP str", "RPOP str",
    "LPOP str 0", "RPOP str 2", "LLEN str", "LRANGE str 0 -1", "LINDEX str 0", "LINDEX str x",
    "LSET str 0 a", "LSET str x a", "LINSERT str BEFORE a b", "LREM str 0 a", "LTRIM str 0 1",
    "LPOS str a", "LPOS str a COUNT 0", "LMOVE str l LEFT LEFT", "LMOVE l str LEFT LEFT",
    "RPOPLPUSH str l", "RPOPLPUSH l str", "LMPOP 1 str LEFT", "LMPOP 2 nokey str LEFT",
    "BLPOP str 0", "BLPOP nokey str 0", "BRPOP str 0", "BLMOVE str l LEFT LEFT 0",
    "BLMOVE l str LEFT LEFT 0", "BRPOPLPUSH str l 0", "BLMPOP 0 1 str LEFT",
    "BLMPOP 0 2 nokey str RIGHT COUNT 3",
]

# What wins when a command meets both a bad argument and a key of another
# type, from Redis 7.0.15.
ORDER_CASES = [
    ("LRANGE str x 1", NOT_INT), ("LTRIM str x 1", NOT_INT), ("LREM str x a", NOT_INT),
    ("LPOP str x", POSITIVE), ("LPOS str a RANK 0", RANK_ZERO), ("LINSERT str UP a b", SYNTAX),
    ("LMOVE str l UP LEFT", SYNTAX), ("LMPOP 1 str UP", SYNTAX),
    ("BLPOP str x", E("ERR timeout is not a float or out of range")),
    ("BLMPOP x 1 str LEFT", E("ERR timeout is not a float or out of range")),
    ("LMOVE nokey str LEFT LEFT", None), ("RPOPLPUSH nokey str", None),
    ("LMPOP 2 l str LEFT", [b"l", [b"a"]]), ("LPUSHX nokey a", 0), ("LINSERT nokey BEFORE a b", 0),
    ("LINDEX nokey x", None), ("LSET nokey x a", E("ERR no such key")),
]


def check_wrongtype(t, c):
    c.cmd("FLUSHALL")
    c.cmd("SET", "str", "x")
    c.cmd("RPUSH", "l", "a", "b")
    for line in WRONGTYPE_CMDS:
        t.ok(same(c.cmd(*shlex.split(line)), WRONGTYPE), "WRONGTYPE from %s" % line)
    t.is_(c.cmd("LRANGE", "l", "0", "-1"), [b"a", b"b"], "failed moves left the source alone")
    for line, want in ORDER_CASES:
        got = c.cmd(*shlex.split(line))
        if not t.ok(same(got, want), "checking order: %s" % line):
            t.diag("got %r, want %r" % (got, want))
    t.is_(c.cmd("GET", "l"), WRONGTYPE, "GET of a list")
    t.is_(c.cmd("TYPE", "str"), "string", "the string is untouched")


# ---- dirty counts and notifications -------------------------------------------

# (command, change of rdb_changes_since_last_save), from Redis 7.0.15.
DIRTY = [
    ('RPUSH l a b c', 3),
    ('LPUSH l x', 1),
    ('LPUSHX nokey a', 0),
    ('RPUSHX l y z', 2),
    ('LPOP l', 1),
    ('RPOP l 2', 2),
    ('LPOP l 0', 0),
    ('LPOP nokey', 0),
    ('LSET l 0 v', 1),
    ('LSET l 9 v', 0),
    ('LINSERT l before v w', 1),
    ('LINSERT l before nope w', 0),
    ('RPUSH r a b a a', 4),
    ('LREM r 0 a', 3),
    ('LREM r 0 zz', 0),
    ('RPUSH t 1 2 3 4 5', 5),
    ('LTRIM t 1 2', 3),
    ('LTRIM t 0 -1', 0),
    ('LTRIM t 5 1', 2),
    ('LMOVE l m left right', 1),
    ('LMOVE l l left right', 1),
    ('RPOPLPUSH nokey m', 0),
    ('RPOPLPUSH m m2', 1),
    ('RPUSH p 1 2 3', 3),
    ('LMPOP 1 p left count 2', 2),
    ('LMPOP 1 nokey left', 0),
    ('RPUSH b 1 2 3', 3),
    ('BLPOP b 0', 1),
    ('BRPOP b 0', 1),
    ('BLMPOP 0 1 b left', 1),
    ('RPUSH b 1 2', 2),
    ('BLMOVE b b2 left left 0', 1),
    ('BRPOPLPUSH b b2 0', 1),
    ('LRANGE b2 0 -1', 0),
    ('LINDEX b2 0', 0),
    ('LLEN b2', 0),
    ('LPOS b2 1', 0),
]


def dirty(c):
    for line in c.cmd("INFO", "persistence").decode().splitlines():
        if line.startswith("rdb_changes_since_last_save:"):
            return int(line.split(":")[1])
    return None


def check_dirty(t, c):
    c.cmd("FLUSHALL")
    for line, want in DIRTY:
        before = dirty(c)
        c.cmd(*shlex.split(line))
        t.is_(dirty(c) - before, want, "dirty delta of %s" % line)


# (command, keyevent notifications it publishes), from Redis 7.0.15.
NOTIFICATIONS = [
    ('RPUSH l a b c', [('rpush', 'l')]),
    ('LPUSH l x', [('lpush', 'l')]),
    ('LPUSHX nokey a', []),
    ('RPUSHX l y', [('rpush', 'l')]),
    ('LPOP l', [('lpop', 'l')]),
    ('RPOP l 2', [('rpop', 'l')]),
    ('LPOP l 0', []),
    ('LSET l 0 v', [('lset', 'l')]),
    ('LINSERT l after v w', [('linsert', 'l')]),
    ('LINSERT l after nope w', []),
    ('RPUSH r a b', [('rpush', 'r')]),
    ('LREM r 0 zz', []),
    ('LREM r 0 a', [('lrem', 'r')]),
    ('LREM r 0 b', [('lrem', 'r'), ('del', 'r')]),
    ('RPUSH t 1 2 3', [('rpush', 't')]),
    ('LTRIM t 0 -1', [('ltrim', 't')]),
    ('LTRIM t 1 1', [('ltrim', 't')]),
    ('LTRIM t 3 1', [('ltrim', 't'), ('del', 't')]),
    ('LMOVE l m left right', [('rpush', 'm'), ('lpop', 'l')]),
    ('LMOVE l l right left', [('lpush', 'l'), ('rpop', 'l')]),
    ('RPOPLPUSH l m', [('lpush', 'm'), ('rpop', 'l')]),
    ('RPOPLPUSH l m', [('lpush', 'm'), ('rpop', 'l'), ('del', 'l')]),
    ('RPUSH p 1 2', [('rpush', 'p')]),
    ('LMPOP 2 nokey p right count 5', [('rpop', 'p'), ('del', 'p')]),
    ('RPUSH b 1 2 3', [('rpush', 'b')]),
    ('BLPOP b 0', [('lpop', 'b')]),
    ('BRPOP nokey b 0', [('rpop', 'b')]),
    ('BLMOVE b b2 left left 0', [('lpush', 'b2'), ('lpop', 'b'), ('del', 'b')]),
    ('BLMPOP 0 1 b2 left', [('lpop', 'b2'), ('del', 'b2')]),
    ('RPUSH b x', [('rpush', 'b')]),
    ('BRPOPLPUSH b b 0', [('lpush', 'b'), ('rpop', 'b')]),
    ('LRANGE b 0 -1', []),
    ('DEL b', [('del', 'b')]),
]


def check_notifications(t, srv):
    rhtest.check_keyevents(t, srv, [(shlex.split(line), events) for line, events in NOTIFICATIONS], "list commands")


# ---- node shapes, compression, configuration ------------------------------------

def ql(c, key):
    """The quicklist fields of DEBUG OBJECT as a dict of strings."""
    text = c.cmd("DEBUG", "OBJECT", key)
    if isinstance(text, E):
        return text
    return dict(re.findall(r"(ql_\w+):(\S+)", text))


def build(c, key, fill, depth, elements):
    c.cmd("CONFIG", "SET", "list-max-listpack-size", str(fill))
    c.cmd("CONFIG", "SET", "list-compress-depth", str(depth))
    for i in range(0, len(elements), 500):
        c.cmd("RPUSH", key, *elements[i:i + 500])


def check_shapes_and_config(t, c):
    c.cmd("FLUSHALL")
    c.cmd("RPUSH", "one", "x")
    t.is_(c.cmd("OBJECT", "ENCODING", "one"), b"quicklist", "one element: quicklist")
    build(c, "a", 4, 0, [str(i) for i in range(10)])
    t.is_((ql(c, "a")["ql_nodes"], ql(c, "a")["ql_listpack_max"]), ("3", "4"),
          "fill 4: ten elements in three nodes")
    t.is_(ql(c, "a")["ql_avg_node"], "3.33", "average node")
    c.cmd("CONFIG", "SET", "list-max-listpack-size", "-2")
    c.cmd("RPUSH", "a", *[str(i) for i in range(10)])
    t.is_((ql(c, "a")["ql_nodes"], ql(c, "a")["ql_listpack_max"]), ("5", "4"),
          "an existing list keeps the fill it was created with")
    c.cmd("RPUSH", "b", "x")
    t.is_(ql(c, "b")["ql_listpack_max"], "-2", "a new list takes the new fill")
    for value, want in (("-10", "-5"), ("100000", "32767"), ("0", "0")):
        build(c, "c" + value, value, 0, ["x", "y"])
        t.is_(ql(c, "c" + value)["ql_listpack_max"], want, "fill %s is used as %s" % (value, want))
    t.is_(ql(c, "c0")["ql_nodes"], "2", "fill 0: one element per node")
    build(c, "bytes", -1, 0, ["v" * 100] * 100)
    t.is_((ql(c, "bytes")["ql_nodes"], ql(c, "bytes")["ql_uncompressed_size"]),
          ("3", str(2 * (7 + 39 * 103) + 7 + 22 * 103)),
          "fill -1: 39 elements of 100 bytes per 4 KB node")
    build(c, "safety", 100, 0, ["v" * 1000] * 20)
    t.is_(ql(c, "safety")["ql_nodes"], "3", "fill 100: the 8 KB safety limit")
    big = ["element number %06d of a long compressible list" % i for i in range(20000)]
    build(c, "plain", -2, 0, big)
    build(c, "packed", -2, 1, big)
    t.is_(ql(c, "packed")["ql_compressed"], "1", "depth 1: ql_compressed:1")
    t.is_(ql(c, "plain")["ql_compressed"], "0", "depth 0: ql_compressed:0")
    t.is_(ql(c, "packed")["ql_nodes"], ql(c, "plain")["ql_nodes"], "same nodes either way")
    plain = c.cmd("MEMORY", "USAGE", "plain", "SAMPLES", "0")
    packed = c.cmd("MEMORY", "USAGE", "packed", "SAMPLES", "0")
    t.ok(packed * 2 < plain, "compressed nodes use less memory (%d < %d)" % (packed, plain))
    t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "packed"), c.cmd("DEBUG", "DIGEST-VALUE", "plain"),
          "same content")
    for key in ("plain", "packed"):
        c.cmd("LSET", key, "10000", "set")
        c.cmd("LINSERT", key, "AFTER", big[7000], "inserted")
        c.cmd("LREM", key, "0", big[5000])
        c.cmd("LTRIM", key, "100", "-100")
    t.is_(c.cmd("LINDEX", "packed", "9900"), b"set", "LSET in a compressed node")
    t.is_(c.cmd("LRANGE", "packed", "6899", "6900"), [big[7000].encode(), b"inserted"],
          "LINSERT in a compressed node")
    t.is_(c.cmd("LPOS", "packed", big[5000]), None, "LREM in a compressed node")
    t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "packed"), c.cmd("DEBUG", "DIGEST-VALUE", "plain"),
          "compressed and plain lists stay equal through changes")
    t.is_(c.cmd("LRANGE", "packed", "0", "-1"), c.cmd("LRANGE", "plain", "0", "-1"),
          "LRANGE through compressed nodes")
    c.cmd("CONFIG", "SET", "list-compress-depth", "0")
    keys = ["a", "b", "c-10", "c100000", "c0", "bytes", "safety", "plain", "packed"]
    keys += build_sweep(c)
    c.cmd("CONFIG", "SET", "list-max-listpack-size", "-2")
    return keys


def pipe(c, commands):
    """Sends commands in one write and returns their replies."""
    c.send(b"".join(rhtest.encode(*args) for args in commands))
    return [c.reply() for _ in commands]


def build_sweep(c):
    """Lists of elements of many sizes under byte and count limits, then
    insertions in the middle and removals: node splits and merges at every
    size boundary. Returns the keys, whose shapes are compared with Redis's."""
    keys = []
    for fill, sizes in (("-1", range(1, 200, 3)), ("-2", (70, 300, 1000, 3000, 5000)),
                        ("7", range(400, 1400, 25)), ("100", (60, 80, 100, 120))):
        c.cmd("CONFIG", "SET", "list-max-listpack-size", fill)
        for size in sizes:
            key = "sweep:%s:%d" % (fill, size)
            keys.append(key)
            elements = [("e%d-" % i).ljust(size, "x") for i in range(150)]
            commands = [["RPUSH", key] + elements]
            for i in range(3, 150, 11):
                commands.append(["LINSERT", key, "BEFORE", elements[i], "i%d" % i])
                commands.append(["LINSERT", key, "AFTER", elements[i + 2], "j" * (i % 90)])
            commands += [["LREM", key, "0", elements[i]] for i in range(0, 150, 9)]
            commands += [["LINSERT", key, "AFTER", elements[i], "k%d" % i] for i in range(1, 150, 9)]
            commands.append(["LSET", key, "40", "s" * size * 2])
            pipe(c, commands)
    return keys


class Quiet:
    """A Tap stand-in that checks nothing, to replay a check's commands."""

    def ok(self, *args, **kw):
        return True

    is_ = skip = diag = ok


def check_shapes_match_reference(t, c, keys):
    """Replays check_shapes_and_config on the reference and compares the
    quicklist fields of DEBUG OBJECT key by key."""
    ref = rhtest.ref_server(config=CONFIG)
    if ref is None:
        t.skip("node shapes against the reference", "no reference redis-server")
        return
    rc = ref.raw()
    check_shapes_and_config(Quiet(), rc)
    for key in keys:
        t.is_(ql(c, key), ql(rc, key), "%s: node shapes as in Redis" % key)
    rc.close()
    ref.stop()


# ---- blocking ----------------------------------------------------------------

def check_blocking(t, srv):
    c = srv.raw()
    c.cmd("FLUSHALL")
    waiter = srv.raw()
    waiter.send(rhtest.encode("BLPOP", "q", "5"))
    rhtest.wait_for(lambda: b"blocked_clients:1" in c.cmd("INFO", "clients"), 5,
                    what="a blocked client")
    t.is_(c.cmd("RPUSH", "q", "x", "y"), 2, "push to a waited-on key")
    t.is_(waiter.reply(), [b"q", b"x"], "BLPOP is served the first element")
    t.is_(c.cmd("LRANGE", "q", "0", "-1"), [b"y"], "and only that")
    start = time.monotonic()
    t.is_(waiter.cmd("BRPOP", "nokey", "0.1"), None, "BRPOP times out with a null array")
    t.ok(time.monotonic() - start >= 0.09, "after its timeout")
    waiter.send(rhtest.encode("BLMPOP", "5", "2", "m1", "m2", "RIGHT", "COUNT", "2"))
    rhtest.wait_for(lambda: b"blocked_clients:1" in c.cmd("INFO", "clients"), 5,
                    what="a blocked client")
    c.cmd("RPUSH", "m2", "a", "b", "c")
    t.is_(waiter.reply(), [b"m2", [b"c", b"b"]], "BLMPOP is served with COUNT")
    waiter.send(rhtest.encode("BLMOVE", "src", "dst", "LEFT", "RIGHT", "5"))
    rhtest.wait_for(lambda: b"blocked_clients:1" in c.cmd("INFO", "clients"), 5,
                    what="a blocked client")
    c.cmd("RPUSH", "src", "v1", "v2")
    t.is_(waiter.reply(), b"v1", "BLMOVE is served")
    t.is_((c.cmd("LRANGE", "src", "0", "-1"), c.cmd("LRANGE", "dst", "0", "-1")),
          ([b"v2"], [b"v1"]), "and moved the element")
    waiter.close()
    c.close()


# ---- generic key commands ------------------------------------------------------

def check_keys(t, c):
    c.cmd("FLUSHALL")
    c.cmd("RPUSH", "l", "a", "1", "b")
    t.is_(c.cmd("TYPE", "l"), "list", "TYPE list")
    c.cmd("SET", "s", "x")
    t.is_(c.cmd("SCAN", "0", "TYPE", "list", "COUNT", "100"), [b"0", [b"l"]], "SCAN TYPE list")
    c.cmd("EXPIRE", "l", "100")
    c.cmd("LPUSH", "l", "z")
    t.ok(c.cmd("TTL", "l") > 0, "LPUSH keeps the TTL")
    t.is_(c.cmd("COPY", "l", "l2"), 1, "COPY a list")
    t.is_(c.cmd("LRANGE", "l2", "0", "-1"), [b"z", b"a", b"1", b"b"], "the copy's elements")
    t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "l2"), c.cmd("DEBUG", "DIGEST-VALUE", "l"),
          "the copy's digest")
    c.cmd("RPUSH", "l2", "new")
    t.is_(c.cmd("LLEN", "l"), 4, "the copy is independent")
    t.is_(c.cmd("RENAME", "l2", "l3"), "OK", "RENAME a list")
    t.is_(c.cmd("MOVE", "l3", "1"), 1, "MOVE a list")
    c.cmd("SELECT", "1")
    t.is_(c.cmd("LRANGE", "l3", "0", "-1"), [b"z", b"a", b"1", b"b", b"new"], "moved whole")
    c.cmd("SELECT", "0")
    t.ok(isinstance(c.cmd("MEMORY", "USAGE", "l"), int), "MEMORY USAGE of a list")
    c.cmd("RPUSH", "d1", "a", "b")
    c.cmd("RPUSH", "d2", "b", "a")
    t.ok(c.cmd("DEBUG", "DIGEST-VALUE", "d1") != c.cmd("DEBUG", "DIGEST-VALUE", "d2"),
         "a list's digest depends on the order")
    c.cmd("LTRIM", "l", "1", "0")
    t.is_((c.cmd("EXISTS", "l"), c.cmd("TTL", "l")), (0, -2), "an emptied list goes with its TTL")
    c.cmd("RPUSH", "l", "x")
    t.is_(c.cmd("TTL", "l"), -1, "a new list has no TTL")


# ---- differential run against the reference -----------------------------------

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


LONG = ["x" * 20, "y" * 100, "z" * 300, "w" * 700, "long text %d " * 40]


def random_element(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(["a", "b", "c", "d", "1", "2", "-3", "007", "", "1.5",
                           "9223372036854775807", "-9223372036854775808"])
    if r < 0.75:
        return str(rng.randint(-200, 70000))
    return rng.choice(LONG)


def random_index(rng):
    return str(rng.choice([0, 1, 2, -1, -2, rng.randint(-300, 300), 10 ** 6, -10 ** 6]))


def random_command(rng, keys):
    k, k2 = rng.choice(keys), rng.choice(keys)
    ks = rng.sample(keys, rng.randint(1, 3))
    e = lambda: random_element(rng)  # noqa: E731
    end = lambda: rng.choice(["LEFT", "RIGHT"])  # noqa: E731
    pick = rng.randrange(24)
    if pick < 6:
        return [rng.choice(["LPUSH", "RPUSH"]), k] + [e() for _ in range(rng.randint(1, 12))]
    if pick == 6:
        return [rng.choice(["LPUSHX", "RPUSHX"]), k] + [e() for _ in range(rng.randint(1, 3))]
    if pick == 7:
        return [rng.choice(["LPOP", "RPOP"]), k] + rng.choice(
            [[], ["0"], ["1"], ["3"], ["20"], ["x"], ["-1"]])
    if pick == 8:
        return rng.choice([["LLEN", k], ["LINDEX", k, random_index(rng)], ["TYPE", k]])
    if pick == 9:
        return ["LRANGE", k, random_index(rng), random_index(rng)]
    if pick == 10:
        return ["LSET", k, random_index(rng), e()]
    if pick in (11, 12):
        return ["LINSERT", k, rng.choice(["BEFORE", "AFTER"]), e(), e()]
    if pick == 13:
        return ["LREM", k, str(rng.randint(-3, 3)), e()]
    if pick == 14:
        return ["LTRIM", k, str(rng.choice([0, 0, 1, 2, -400])),
                str(rng.choice([-1, -1, -2, -3, 300, 2]))]
    if pick == 15:
        opts = []
        for name, values in (("RANK", [1, 2, -1, -2, 0]), ("COUNT", [0, 1, 2]),
                             ("MAXLEN", [0, 1, 5, 50])):
            if rng.random() < 0.4:
                opts += [name, str(rng.choice(values))]
        return ["LPOS", k, e()] + opts
    if pick == 16:
        return ["LMOVE", k, k2, end(), end()]
    if pick == 17:
        return ["RPOPLPUSH", k, k2]
    if pick == 18:
        return ["LMPOP", str(len(ks))] + ks + [end()] + rng.choice(
            [[], ["COUNT", "1"], ["COUNT", "5"], ["COUNT", "0"]])
    if pick == 19:
        # Timeouts only where a list is there to pop: equal timing is not
        # something to compare.
        return rng.choice([[rng.choice(["BLPOP", "BRPOP"])] + ks + ["0.01"],
                           ["BLMOVE", k, k2, end(), end(), "0.01"],
                           ["BRPOPLPUSH", k, k2, "0.01"],
                           ["BLMPOP", "0.01", str(len(ks))] + ks + [end(), "COUNT", "2"]])
    if pick == 20:
        return ["EXPIRE", k, "100"]
    if pick == 21:
        return ["DEBUG", "DIGEST-VALUE"] + ks
    if pick == 22:
        return ["OBJECT", "ENCODING", k]
    return ["EXISTS"] + ks


def shapes(conn, keys):
    out = []
    for k in keys:
        kind, text = conn.typed_cmd("DEBUG", "OBJECT", k)
        out.append(re.findall(rb"ql_\w+:\S+", text) if kind == b"+" else kind)
    return out


def check_against_reference(t, ours):
    ref = rhtest.ref_server(config=CONFIG)
    if ref is None:
        t.skip("differential run", "no reference redis-server")
        return
    lists = ["l0", "l1", "l2", "l3"]
    for proto in (2, 3):
        a, b = Typed(ref.port), Typed(ours.port)
        keys = lists + ["str", "nokey"]
        for conn in (a, b):
            if proto == 3:
                conn.typed_cmd("HELLO", "3")
            conn.typed_cmd("FLUSHALL")
            conn.typed_cmd("SET", "str", "x")
        rng = random.Random(7000 + proto)
        diffs = []
        most_nodes = 0
        for i in range(3000):
            if i % 300 == 0:
                fill = rng.choice(["-5", "-3", "-2", "-1", "1", "2", "3", "5", "16", "128"])
                depth = rng.choice(["0", "0", "1", "2"])
                for conn in (a, b):
                    conn.typed_cmd("CONFIG", "SET", "list-max-listpack-size", fill)
                    conn.typed_cmd("CONFIG", "SET", "list-compress-depth", depth)
            args = random_command(rng, keys)
            ra, rb = a.typed_cmd(*args), b.typed_cmd(*args)
            if ra != rb:
                diffs.append((args, ra, rb))
            da, db = a.typed_cmd("DEBUG", "DIGEST"), b.typed_cmd("DEBUG", "DIGEST")
            if da != db:
                diffs.append((["DEBUG", "DIGEST", "after"] + args, da, db))
            if i % 10 == 0:
                sa, sb = shapes(a, lists), shapes(b, lists)
                if sa != sb:
                    diffs.append((["DEBUG", "OBJECT", "after"] + args, sa, sb))
                for fields in sb:
                    for f in fields if isinstance(fields, list) else ():
                        if f.startswith(b"ql_nodes:"):
                            most_nodes = max(most_nodes, int(f.split(b":")[1]))
        if not t.is_(len(diffs), 0,
                     "RESP%d: 3000 random list commands reply as Redis does" % proto):
            for d in diffs[:8]:
                t.diag("%r\n  ref:  %r\n  ours: %r" % (d[0][:8], d[1], d[2]))
        t.ok(most_nodes >= 4, "RESP%d: the run built lists of several nodes (up to %d)"
             % (proto, most_nodes))
        for conn in (a, b):
            conn.typed_cmd("CONFIG", "SET", "list-max-listpack-size", "-2")
            conn.typed_cmd("CONFIG", "SET", "list-compress-depth", "0")
            conn.close()
    ref.stop()


def main():
    t = rhtest.Tap()
    srv = rhtest.Server(config=CONFIG)
    c = srv.raw()
    check_cases(t, c)
    check_shapes(t, srv)
    check_wrongtype(t, c)
    check_dirty(t, c)
    check_notifications(t, srv)
    keys = check_shapes_and_config(t, c)
    check_shapes_match_reference(t, c, keys)
    check_blocking(t, srv)
    check_keys(t, c)
    check_against_reference(t, srv)
    t.done()


main()
