"""HyperLogLog commands: replies and error texts, the string format (sparse,
dense, cached cardinality), PFDEBUG, dirty counts, notifications, corrupt
values, the estimator's error on 100k elements, and (when Debian's
redis-server is installed) byte-identical sketches and equal counts
against it for the same commands."""
import os
import random
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

E = rhtest.Error
NOT_HLL = E("WRONGTYPE Key is not a valid HyperLogLog string value.")
WRONGTYPE = E("WRONGTYPE Operation against a key holding the wrong kind of value")
INVALID = E("INVALIDOBJ Corrupted HLL object detected")
EMPTY = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
STALE_EMPTY = EMPTY[:15] + b"\x80" + EMPTY[16:]


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


def hdr(card=0, stale=True, enc=1):
    c = bytearray(card.to_bytes(8, "little"))
    if stale:
        c[7] |= 0x80
    return b"HYLL" + bytes([enc, 0, 0, 0]) + bytes(c)


# (command, expected reply) in order, from Redis 7.0.15.
CASES = [
    (("PFADD", "h", "a", "b", "c"), 1),
    (("PFADD", "h", "a"), 0),
    (("PFCOUNT", "h"), 3),
    (("PFDEBUG", "ENCODING", "h"), "sparse"),
    (("PFDEBUG", "DECODE", "h"), b"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"),
    (("OBJECT", "ENCODING", "h"), b"raw"),
    (("PFCOUNT", "nokey"), 0),
    (("PFCOUNT", "h", "nokey"), 3),
    (("PFADD", "e"), 1),
    (("GET", "e"), STALE_EMPTY),
    (("PFADD", "e"), 0),
    (("PFCOUNT", "e"), 0),
    (("GET", "e"), EMPTY),
    (("PFMERGE", "m"), "OK"),
    (("GET", "m"), STALE_EMPTY),
    (("PFMERGE", "m2", "nokey1", "nokey2"), "OK"),
    (("PFCOUNT", "m2"), 0),
    (("PFADD", "x", "x"), 1),
    (("GET", "x"), hdr() + b"\x7f\xf5\x84\x08"),
    (("PFCOUNT", "x"), 1),
    (("GET", "x"), hdr(1, False) + b"\x7f\xf5\x84\x08"),
    (("PFDEBUG", "TODENSE", "x"), 1),
    (("PFDEBUG", "TODENSE", "x"), 0),
    (("PFDEBUG", "ENCODING", "x"), "dense"),
    (("PFDEBUG", "DECODE", "x"), E("ERR HLL encoding is not sparse")),
    (("STRLEN", "x"), 12304),
    (("PFCOUNT", "x"), 1),
    (("PFADD", "x", "y", "z"), 1),
    (("PFCOUNT", "x"), 3),
    (("PFMERGE", "u", "h", "x"), "OK"),
    (("PFDEBUG", "ENCODING", "u"), "dense"),
    (("PFCOUNT", "u"), 6),
    (("PFCOUNT", "h", "x"), 6),
    (("PFMERGE", "h", "h"), "OK"),
    (("PFCOUNT", "h"), 3),
    (("PFDEBUG", "GETREG", "nokey"), E("ERR The specified key does not exist")),
    (("PFDEBUG", "FOO", "h"), E("ERR Unknown PFDEBUG subcommand 'FOO'")),
    (("SET", "s1", "123"), "OK"),
    (("PFADD", "s1", "a"), NOT_HLL),
    (("PFCOUNT", "s1"), NOT_HLL),
    (("PFMERGE", "s1"), NOT_HLL),
    (("PFDEBUG", "ENCODING", "s1"), NOT_HLL),
    (("SET", "s2", "HYLL"), "OK"),
    (("PFADD", "s2", "a"), NOT_HLL),
    (("SET", "s3", "HYLLxxxxxxxxxxxxxxxxxx"), "OK"),
    (("PFCOUNT", "s3"), NOT_HLL),
    (("PFCOUNT", "h", "s3"), NOT_HLL),
    (("SADD", "set", "1"), 1),
    (("PFADD", "set", "a"), WRONGTYPE),
    (("PFCOUNT", "set"), WRONGTYPE),
    (("PFCOUNT", "h", "set"), WRONGTYPE),
    (("PFMERGE", "set", "h"), WRONGTYPE),
    (("PFMERGE", "h", "set"), WRONGTYPE),
    (("PFSELFTEST",), "OK"),
    (("PFADD",), arity("pfadd")),
    (("PFCOUNT",), arity("pfcount")),
    (("PFMERGE",), arity("pfmerge")),
    (("PFDEBUG", "GETREG"), arity("pfdebug")),
    (("PFSELFTEST", "x"), arity("pfselftest")),
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


def check_format(t, c):
    c.cmd("FLUSHALL")
    c.cmd("PFADD", "h", *["e%d" % i for i in range(50)])
    regs = c.cmd("PFDEBUG", "GETREG", "h")
    t.ok(len(regs) == 16384 and 0 < sum(1 for r in regs if r) <= 50,
         "GETREG lists 16384 registers")
    t.is_(c.cmd("PFDEBUG", "ENCODING", "h"), "dense", "GETREG leaves the sketch dense")
    t.is_(c.cmd("STRLEN", "h"), 12304, "dense size")
    raw = c.cmd("GET", "h")
    got = [(int.from_bytes(raw[16:], "little") >> (6 * i)) & 63 for i in range(16384)]
    t.is_(got, regs, "dense registers are packed 6-bit little-endian fields")
    c.cmd("SET", "copy", raw)
    t.is_(c.cmd("OBJECT", "ENCODING", "copy"), b"raw", "a long string is raw")
    t.is_(c.cmd("PFCOUNT", "copy"), c.cmd("PFCOUNT", "h"), "a copied sketch counts the same")
    c.cmd("SET", "small", STALE_EMPTY)
    t.is_(c.cmd("OBJECT", "ENCODING", "small"), b"embstr", "a short sketch set with SET")
    t.is_(c.cmd("PFCOUNT", "small"), 0, "counts")
    t.is_(c.cmd("OBJECT", "ENCODING", "small"), b"raw", "and becomes raw for the cache")
    t.is_(c.cmd("GET", "small"), EMPTY, "with the cache filled in")
    c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "30")
    c.cmd("PFADD", "p", "a", "b", "c")
    t.is_(c.cmd("PFDEBUG", "ENCODING", "p"), "sparse", "small sketch is sparse")
    c.cmd("PFADD", "p", "d", "e", "f", "g")
    t.is_(c.cmd("PFDEBUG", "ENCODING", "p"), "dense", "past hll-sparse-max-bytes it is dense")
    c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    c.cmd("PFADD", "q", *["e%d" % i for i in range(500)])
    t.is_(c.cmd("PFDEBUG", "ENCODING", "q"), "sparse", "500 elements stay sparse at 3000 bytes")
    t.ok(c.cmd("STRLEN", "q") <= 3000, "within hll-sparse-max-bytes")
    c.cmd("PFADD", "q", *["f%d" % i for i in range(2000)])
    t.is_(c.cmd("PFDEBUG", "ENCODING", "q"), "dense", "2500 elements are dense")
    c.cmd("PFADD", "r", "a")
    c.cmd("EXPIRE", "r", "100")
    c.cmd("PFADD", "r", "b")
    c.cmd("PFCOUNT", "r")
    t.ok(c.cmd("TTL", "r") > 0, "PFADD and PFCOUNT keep the TTL")


# Corrupt sketches: (value, command, expected reply).
STALE = hdr()
CORRUPT = [
    (STALE + b"\x7f\xfe", ("PFCOUNT", "c"), INVALID),
    (STALE + b"\x7f\xff\x00", ("PFCOUNT", "c"), INVALID),
    (STALE + b"\x7f\xfe", ("PFCOUNT", "c", "nokey"), INVALID),
    (STALE + b"\x7f\xfe", ("PFMERGE", "d", "c"), INVALID),
    (STALE + b"\x7f\xfe", ("PFDEBUG", "GETREG", "c"), INVALID),
    (STALE + b"\x7f\xfe", ("PFDEBUG", "TODENSE", "c"), INVALID),
    (hdr(5, False) + b"\x7f\xfe", ("PFCOUNT", "c"), 5),
    (STALE + b"\x7f\xf0" + b"\xfc" * 4, ("PFCOUNT", "c"), INVALID),
    (b"HYLL\x00" + b"\x00" * 11 + b"\x00" * 12287, ("PFCOUNT", "c"), NOT_HLL),
    (b"HYLL\x02" + b"\x00" * 11 + b"\x7f\xff", ("PFADD", "c", "a"), NOT_HLL),
    (b"HYLX\x01" + b"\x00" * 11 + b"\x7f\xff", ("PFCOUNT", "c"), NOT_HLL),
    (STALE, ("PFADD", "c", "a"), INVALID),
    (STALE, ("PFCOUNT", "c"), INVALID),
]


def check_corrupt(t, c):
    c.cmd("FLUSHALL")
    for value, args, want in CORRUPT:
        c.cmd("SET", "c", value)
        got = c.cmd(*args)
        if not t.ok(same(got, want), "%s on %r" % (" ".join(args), value[:20])):
            t.diag("got: %r" % (got,))
    t.is_(c.cmd("PING"), "PONG", "server alive after corrupt sketches")


def dirty(c):
    for line in c.cmd("INFO", "persistence").decode().splitlines():
        if line.startswith("rdb_changes_since_last_save:"):
            return int(line.split(":")[1])
    return None


# (command, change of rdb_changes_since_last_save), from Redis 7.0.15.
DIRTY = [
    (("PFADD", "h", "a", "b", "c"), 4), (("PFADD", "h", "a"), 0), (("PFADD", "h"), 0),
    (("PFADD", "h", "a", "d"), 1), (("PFCOUNT", "h"), 1), (("PFCOUNT", "h"), 0),
    (("PFCOUNT", "h", "nokey"), 0), (("PFMERGE", "m", "h"), 1), (("PFMERGE", "m"), 1),
    (("PFDEBUG", "TODENSE", "m"), 1), (("PFDEBUG", "TODENSE", "m"), 0),
    (("PFDEBUG", "GETREG", "h"), 1), (("PFDEBUG", "ENCODING", "h"), 0),
]


def check_dirty(t, c):
    c.cmd("FLUSHALL")
    for args, want in DIRTY:
        before = dirty(c)
        c.cmd(*args)
        t.is_(dirty(c) - before, want, "dirty delta of %s" % " ".join(args))


def check_notifications(t, srv):
    c = srv.raw()
    c.cmd("FLUSHALL")
    c.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = srv.raw()
    sub.cmd("PSUBSCRIBE", "__keyevent@0__:*")
    for args in (("PFADD", "h", "a"), ("PFADD", "h", "a"), ("PFCOUNT", "h"),
                 ("PFMERGE", "m", "h"), ("PFADD", "n")):
        c.cmd(*args)
    c.cmd("PUBLISH", "__keyevent@0__:end", "end")
    sub.sock.settimeout(5)
    got = []
    try:
        while True:
            msg = sub.reply()
            if isinstance(msg, list) and msg[0] == b"pmessage":
                got.append((msg[2].decode().split(":", 1)[1], msg[3].decode()))
                if got[-1][0] == "end":
                    break
    except (socket.timeout, ConnectionError):
        pass
    t.is_(got, [("pfadd", "h"), ("pfadd", "m"), ("pfadd", "n"), ("end", "end")],
          "PFADD and PFMERGE publish pfadd")
    c.cmd("CONFIG", "SET", "notify-keyspace-events", "")
    sub.close()
    c.close()


def check_error_bound(t, r):
    r.flushall()
    for lo in range(0, 100000, 5000):
        r.pfadd("big", *["elem:%d" % i for i in range(lo, lo + 5000)])
    n = r.pfcount("big")
    t.ok(abs(n - 100000) / 100000 < 0.03, "PFCOUNT of 100000 elements is %d (error < 3%%)" % n)
    r.pfadd("big2", *["elem:%d" % i for i in range(50000, 150000, 2)])
    u = r.pfcount("big", "big2")
    t.ok(abs(u - 125000) / 125000 < 0.03, "PFCOUNT of a union of 125000 is %d" % u)
    r.pfmerge("both", "big", "big2")
    t.is_(r.pfcount("both"), u, "PFMERGE counts as the union")


# ---- differential run against the reference -------------------------------

def random_element(rng):
    if rng.random() < 0.7:
        return b"x%d" % rng.randint(0, 10 ** 6)
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 20)))


def check_against_reference(t, ours):
    ref = rhtest.ref_server()
    if ref is None:
        t.skip("differential run", "no reference redis-server")
        return
    a, b = ref.raw(), ours.raw()
    rng = random.Random(4242)
    diffs, compared = [], 0
    keys = ["k0", "k1", "k2", "k3"]
    for rnd in range(25):
        limit = rng.choice(["0", "1", "20", "100", "500", "3000", "5000", "12000"])
        for conn in (a, b):
            conn.cmd("FLUSHALL")
            conn.cmd("CONFIG", "SET", "hll-sparse-max-bytes", limit)
        for _ in range(60):
            k = rng.choice(keys)
            op = rng.random()
            if op < 0.6:
                n = rng.choice([0, 1, 1, 2, 5, 30, 200])
                args = ["PFADD", k] + [random_element(rng) for _ in range(n)]
            elif op < 0.75:
                args = ["PFCOUNT", k]
            elif op < 0.85:
                args = ["PFCOUNT"] + rng.sample(keys, rng.randint(1, 4))
            else:
                args = ["PFMERGE", k] + rng.sample(keys, rng.randint(0, 3))
            for cmd in (args,) + tuple(["GET", kk] for kk in keys):
                ra, rb = a.cmd(*cmd), b.cmd(*cmd)
                compared += 1
                if ra != rb:
                    diffs.append((cmd[:3], ra, rb))
    if not t.is_(len(diffs), 0, "%d replies and sketch bytes equal Redis's" % compared):
        for args, ra, rb in diffs[:5]:
            t.diag("%r\n  ref:  %r\n  ours: %r" % (args, ra[:80] if isinstance(ra, bytes) else ra,
                                                   rb[:80] if isinstance(rb, bytes) else rb))
    for conn in (a, b):
        conn.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
        conn.cmd("FLUSHALL")
    for lo in range(0, 100000, 5000):
        chunk = ["elem:%d" % i for i in range(lo, lo + 5000)]
        a.cmd("PFADD", "big", *chunk)
        b.cmd("PFADD", "big", *chunk)
    t.is_(b.cmd("GET", "big"), a.cmd("GET", "big"), "100000 elements: same dense bytes")
    t.is_(b.cmd("PFCOUNT", "big"), a.cmd("PFCOUNT", "big"), "100000 elements: same count")
    t.is_(b.cmd("GET", "big"), a.cmd("GET", "big"), "same cached cardinality")
    check_mutants(t, a, b)
    a.close()
    b.close()
    ref.stop()


def mutate(rng, value):
    v = bytearray(value)
    for _ in range(rng.randint(1, 4)):
        op, pos = rng.random(), rng.randrange(16, len(v) + 1)
        if op < 0.4 and pos < len(v):
            v[pos] = rng.randrange(256)
        elif op < 0.6 and pos < len(v):
            del v[pos]
        elif op < 0.8:
            v.insert(pos, rng.randrange(256))
        else:
            v = v[:pos]
    return bytes(v)


def check_mutants(t, a, b):
    """Damaged sparse sketches get the same replies and leave the same bytes
    as in Redis, even where Redis reads past a cut-off opcode."""
    rng = random.Random(77)
    bases = []
    for n in (1, 3, 10, 50, 200):
        a.cmd("DEL", "t")
        a.cmd("PFADD", "t", *["e%d" % i for i in range(n)])
        bases.append(a.cmd("GET", "t"))
    diffs = 0
    for _ in range(600):
        value = mutate(rng, rng.choice(bases))
        seq = []
        for _ in range(rng.randint(1, 3)):
            seq.append(rng.choice([
                ["PFCOUNT", "c"], ["PFCOUNT", "c", "nokey"], ["PFMERGE", "d", "c"],
                ["PFADD", "c"] + ["z%d" % rng.randrange(1000) for _ in range(rng.randint(1, 20))],
                ["PFDEBUG", "DECODE", "c"], ["PFDEBUG", "GETREG", "c"], ["PFMERGE", "c", "c"]]))
        results = []
        for conn in (a, b):
            conn.cmd("SET", "c", value)
            conn.cmd("DEL", "d")
            results.append([(conn.cmd(*cmd), conn.cmd("GET", "c"), conn.cmd("GET", "d"))
                            for cmd in seq])
        if results[0] != results[1]:
            diffs += 1
            if diffs <= 3:
                t.diag("value %s, commands %r" % (value.hex(), [c[:2] for c in seq]))
    t.is_(diffs, 0, "600 damaged sketches behave as in Redis")


def main():
    t = rhtest.Tap()
    srv = rhtest.Server()
    c = srv.raw()
    check_cases(t, c)
    check_format(t, c)
    check_corrupt(t, c)
    check_dirty(t, c)
    check_notifications(t, srv)
    check_error_bound(t, srv.client())
    check_against_reference(t, srv)
    t.done()


main()
