#!/usr/bin/python3
"""The write stream: what each write command appends to the AOF, compared
with Debian's redis-server 7.0.15 step by step.

Both servers run with appendonly yes and appendfsync always, so a step's
commands are in the incremental file before their replies arrive. Every
step runs on the reference, then on redis-ha; what the step appended to
each server's incremental file (the manifest names it) is parsed and the
two command lists must be equal, except:
  * absolute times (SET ... PXAT t, PEXPIREAT key t, RESTORE key t ...
    ABSTTL), computed from each server's clock, agree within TIME_SLACK_MS;
  * SPOP picks members at random: each SREM's member is checked against
    that server's own reply instead of against the other server.
The steps cover every write command, each rewrite (SET EX to SET PXAT,
EXPIRE to PEXPIREAT, INCRBYFLOAT to SET KEEPTTL, SPOP to SREM/DEL, the
blocking and multi-key pops to LPOP/RPOP/LMOVE/ZPOPMIN..., RESTORE to
ABSTTL, GETEX/GETDEL), commands that change nothing (not propagated), MULTI
/EXEC, several databases, blocking pops served at once and after blocking,
and lazy expiry followed by a write. At each "restart" the two datasets
must be equal (DEBUG DIGEST) and each server, restarted, must load its AOF
back to the same dataset.

Keys deleted by expiry or eviction propagate as DEL, or UNLINK when
lazyfree-lazy-expire / lazyfree-lazy-eviction is on (server/propagate.c);
the commands' own deletions (EXPIRE or GETEX with a past time, GETDEL)
follow the same options and are checked.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
CONF = ("appendonly yes\nappendfsync always\nenable-debug-command yes\n")
TIME_SLACK_MS = 5000
FAR = "99999999999999"  # An absolute ms time far in the future.

if not os.path.exists(rhtest.REF_SERVER):
    t.skip("AOF stream against the reference", "no reference redis-server")
    t.done()


# ---- actions -----------------------------------------------------------------
# A step is (name, [action ...], options), or "restart". A bare tuple of
# strings is a command on client "a"; the classes below do the rest.
# Options: "spop" (SREM members are SPOP's random picks), "any_reply" (the
# replies may differ: random members, or contents that depend on them).

class On:
    """A command on a named client (its reply is read at once)."""

    def __init__(self, client, *args):
        self.client, self.args = client, args


class Send:
    """A command that blocks, sent on a named client whose reply is read
    later. Waits until the server counts one more blocked client, so that
    clients block (and are served) in the order of the steps."""

    def __init__(self, client, *args):
        self.client, self.args = client, args


class Reply:
    """Reads the pending reply of a client that used Send."""

    def __init__(self, client):
        self.client = client


class Blocked:
    """Waits until n clients are blocked on keys."""

    def __init__(self, n):
        self.n = n


class Elapse:
    """Waits until the server's clock (TIME) moved ms milliseconds on."""

    def __init__(self, ms):
        self.ms = ms


def select(db, *clients):
    """SELECT db on each client: a new client starts in database 0."""
    return [On(c, "SELECT", db) for c in clients]


class Dump:
    """A DUMP payload taken from the reference once and used on both
    servers (RESTORE must then write the same bytes)."""

    def __init__(self, key):
        self.key = key


# ---- the two servers -----------------------------------------------------------

def parse_commands(data):
    """Parses RESP multibulk commands; returns (commands, bytes consumed)."""
    cmds, i = [], 0
    while i < len(data):
        start = i
        try:
            if data[i:i + 1] != b"*":
                raise ValueError("not a multibulk at %d: %r" % (i, data[i:i + 20]))
            j = data.index(b"\r\n", i)
            n, i, args = int(data[i + 1:j]), j + 2, []
            for _ in range(n):
                j = data.index(b"\r\n", i)
                ln = int(data[i + 1:j])
                i = j + 2
                if i + ln + 2 > len(data):
                    raise IndexError
                args.append(data[i:i + ln])
                i += ln + 2
        except (IndexError, ValueError) as e:
            if isinstance(e, ValueError) and "multibulk" in str(e):
                raise
            return cmds, start  # An incomplete command: read it next time.
        cmds.append(args)
    return cmds, i


class Side:
    """One server with its clients and the part of its AOF already read."""

    def __init__(self, name, binary):
        self.name = name
        self.srv = rhtest.Server(config=CONF, binary=binary)
        self.conns = {}
        self.offset = 0

    def conn(self, name):
        if name not in self.conns:
            self.conns[name] = self.srv.raw()
        return self.conns[name]

    def close_all(self):
        for c in self.conns.values():
            c.close()
        self.conns = {}

    def incr_file(self):
        d = os.path.join(self.srv.dir, "appendonlydir")
        with open(os.path.join(d, "appendonly.aof.manifest")) as f:
            for line in f:
                fields = line.split()
                entry = dict(zip(fields[::2], fields[1::2]))
                if entry.get("type") == "i":
                    return os.path.join(d, entry["file"])
        raise RuntimeError("no incremental file in the manifest")

    def new_commands(self):
        """The commands appended to the AOF since the last call."""
        with open(self.incr_file(), "rb") as f:
            f.seek(self.offset)
            data = f.read()
        cmds, used = parse_commands(data)
        self.offset += used
        return cmds

    def digest(self):
        return self.conn("a").cmd("DEBUG", "DIGEST")

    def server_ms(self):
        sec, usec = self.conn("time").cmd("TIME")
        return int(sec) * 1000 + int(usec) // 1000

    def run(self, actions, payloads):
        """Runs a step's actions; returns the replies in order."""
        replies = []
        for act in actions:
            if isinstance(act, tuple):
                act = On("a", *act)
            if isinstance(act, (On, Send)):
                args = [payloads[a.key] if isinstance(a, Dump) else a for a in act.args]
                if isinstance(act, On):
                    replies.append(self.conn(act.client).cmd(*args))
                else:
                    n = self.blocked()
                    self.conn(act.client).send(rhtest.encode(*args))
                    rhtest.wait_for(lambda: self.blocked() == n + 1,
                                    what="%s to block on %s" % (act.args[0], self.name))
            elif isinstance(act, Reply):
                replies.append(self.conn(act.client).reply())
            elif isinstance(act, Blocked):
                rhtest.wait_for(lambda: self.blocked() == act.n,
                                what="%d blocked clients on %s" % (act.n, self.name))
            elif isinstance(act, Elapse):
                until = self.server_ms() + act.ms
                rhtest.wait_for(lambda: self.server_ms() >= until, interval=0.005,
                                what="%s's clock" % self.name)
        return replies

    def blocked(self):
        text = self.conn("info").cmd("INFO", "clients").decode()
        for line in text.splitlines():
            if line.startswith("blocked_clients:"):
                return int(line.split(":")[1])
        return -1


# ---- comparing streams -----------------------------------------------------------

def time_positions(cmd):
    """Indexes of the absolute-time arguments of a propagated command."""
    name = cmd[0].upper()
    if name == b"SET":
        return [i + 1 for i in range(3, len(cmd) - 1) if cmd[i].upper() == b"PXAT"]
    if name == b"PEXPIREAT":
        return [2]
    if name == b"RESTORE" and any(a.upper() == b"ABSTTL" for a in cmd[4:]):
        return [2]
    return []


def same_command(a, b):
    if len(a) != len(b):
        return False
    times = time_positions(a)
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        if i in times and x.isdigit() and y.isdigit() and abs(int(x) - int(y)) <= TIME_SLACK_MS:
            continue
        return False
    return True


def same_stream(ref, ours):
    return len(ref) == len(ours) and all(same_command(a, b) for a, b in zip(ref, ours))


def spop_members(replies):
    """Every member SPOP replied with in a step."""
    out = []
    for r in replies:
        if isinstance(r, bytes):
            out.append(r)
        elif isinstance(r, list):
            out.extend(m for m in r if isinstance(m, bytes))
    return out


def mask_srem(cmds):
    """SREM members replaced by '*', and the members removed."""
    masked, members = [], []
    for c in cmds:
        if c[0].upper() == b"SREM" and len(c) == 3:
            members.append(c[2])
            c = c[:2] + [b"*"]
        masked.append(c)
    return masked, members


def show(cmds):
    return "\n".join("  " + " ".join(a.decode(errors="replace")[:60] for a in c) for c in cmds)


def check_step(name, ref, ours, opts, replies):
    """Compares one step's streams (and replies); prints a TAP line."""
    if opts.get("spop"):
        ref, ref_members = mask_srem(ref)
        ours, our_members = mask_srem(ours)
        good = (same_stream(ref, ours) and
                sorted(our_members) == sorted(spop_members(replies[1])) and
                sorted(ref_members) == sorted(spop_members(replies[0])))
    else:
        good = same_stream(ref, ours)
    if not opts.get("any_reply") and replies[0] != replies[1]:
        t.ok(False, "%s: same replies" % name)
        t.diag("reference: %r\nredis-ha:  %r" % (replies[0], replies[1]))
    if not t.ok(good, "%s: %s" % (name, "nothing propagated" if not ref and good else
                                  "same stream")):
        t.diag("reference appended:\n" + show(ref))
        t.diag("redis-ha appended:\n" + show(ours))


# ---- the steps ---------------------------------------------------------------------

STEPS = [
    # Strings (database 0).
    ("SET as is, SET with expires as SET PXAT", [
        ("SELECT", "0"),
        ("SET", "s1", "v"), ("SET", "s2", "v", "EX", "100"), ("SET", "s2", "v", "PX", "100000", "NX"),
        ("SET", "s2", "w", "PX", "100000", "XX", "GET"), ("SET", "s3", "v", "EXAT", "99999999999"),
        ("SET", "s4", "v", "pxat", FAR), ("SET", "s4", "x", "KEEPTTL", "GET"),
        ("SET", "s4", "y", "GET"), ("set", "s4", "z", "xx"), ("SET", "s5", "v", "NX", "GET"),
        ("SET", "s5", "v2", "GET", "GET"), ("SET", "s5", "v3", "keepttl", "xx"),
        ("SET", "s1", "v", "NX"), ("SET", "s6", "v", "XX"), ("SET", "s6", "v", "EX", "0"),
        ("SET", "s7", "v", "EXAT", "1"), ("GET", "s7"),
    ], {}),
    ("SETEX, PSETEX, SETNX, GETSET, MSET, MSETNX", [
        ("SETEX", "x1", "100", "v"), ("PSETEX", "x2", "100000", "v"), ("SETEX", "x3", "-1", "v"),
        ("SETNX", "x4", "v"), ("SETNX", "x4", "w"), ("GETSET", "x4", "w"), ("GETSET", "x5", "new"),
        ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m1", "1", "m3", "3"), ("MSETNX", "m3", "3", "m4", "4"),
    ], {}),
    ("GETEX as PEXPIREAT/PERSIST/DEL, GETDEL as DEL", [
        ("SET", "g1", "v"), ("GETEX", "g1"), ("GETEX", "g1", "EX", "100"), ("GETEX", "g1", "PXAT", FAR),
        ("GETEX", "g1", "exat", "99999999999"), ("GETEX", "g1", "PERSIST"), ("GETEX", "g1", "PERSIST"),
        ("GETEX", "nokey", "EX", "100"), ("GETEX", "g1", "PX", "1", "PX", "200000"),
        ("GETEX", "g1", "EXAT", "1"), ("SET", "g2", "v"), ("GETDEL", "g2"), ("GETDEL", "g2"),
        ("CONFIG", "SET", "lazyfree-lazy-user-del", "yes"), ("SET", "g3", "v"), ("GETDEL", "g3"),
        ("CONFIG", "SET", "lazyfree-lazy-user-del", "no"),
        ("CONFIG", "SET", "lazyfree-lazy-expire", "yes"), ("SET", "g4", "v"),
        ("GETEX", "g4", "PXAT", "1"), ("SET", "g5", "v"), ("EXPIRE", "g5", "-10"),
        ("CONFIG", "SET", "lazyfree-lazy-expire", "no"),
    ], {}),
    ("INCRBYFLOAT as SET KEEPTTL, the INCR family as is", [
        ("INCRBYFLOAT", "f1", "1.5"), ("INCRBYFLOAT", "f1", "1e2"), ("INCRBYFLOAT", "f1", "0.1"),
        ("INCRBYFLOAT", "f1", "0.2"), ("INCRBYFLOAT", "f1", "-101.8"), ("SET", "f2", "3", "EX", "100"),
        ("INCRBYFLOAT", "f2", "5.0e3"), ("INCRBYFLOAT", "f2", "abc"), ("SET", "f3", "x"),
        ("INCRBYFLOAT", "f3", "1"), ("INCR", "i1"), ("INCRBY", "i1", "10"), ("DECR", "i1"),
        ("DECRBY", "i1", "-4"), ("INCR", "f3"),
    ], {}),
    ("APPEND, SETRANGE", [
        ("APPEND", "a1", "x"), ("APPEND", "a1", "yz"), ("APPEND", "a2", ""), ("SETRANGE", "a3", "0", ""),
        ("SETRANGE", "a1", "1", ""), ("SETRANGE", "a1", "1", "Q"), ("SETRANGE", "a4", "3", "abc"),
    ], {}),
    # Keys (database 1).
    ("the EXPIRE family as PEXPIREAT, past times as DEL", [
        ("SELECT", "1"), ("SET", "e", "v"),
        ("EXPIRE", "e", "100"), ("EXPIRE", "e", "100", "NX"), ("EXPIRE", "e", "200", "xx"),
        ("EXPIRE", "e", "50", "GT"), ("EXPIRE", "e", "50", "LT"), ("PEXPIRE", "e", "100000"),
        ("EXPIREAT", "e", "99999999999"), ("PEXPIREAT", "e", FAR), ("pexpireat", "e", FAR, "gt"),
        ("EXPIRE", "nokey", "10"), ("PERSIST", "e"), ("PERSIST", "e"), ("EXPIRE", "e", "-1"),
        ("SET", "e", "v"), ("EXPIREAT", "e", "1"), ("SET", "e", "v"), ("PEXPIREAT", "e", "1", "GT"),
        ("PEXPIRE", "e", "0", "NX"), ("SET", "e", "v"), ("PEXPIREAT", "e", "1"),
    ], {}),
    ("DEL, UNLINK, RENAME, RENAMENX, COPY, MOVE", [
        ("DEL", "nokey"), ("DEL", "k1", "k2"), ("SET", "k1", "1"), ("SET", "k2", "2"),
        ("DEL", "k1", "k2", "k3"), ("SET", "k1", "1"), ("UNLINK", "k1", "k2"), ("UNLINK", "k1"),
        ("SET", "k1", "1"), ("RENAME", "k1", "k2"), ("RENAME", "k2", "k2"), ("RENAMENX", "k2", "k3"),
        ("SET", "k4", "4"), ("RENAMENX", "k3", "k4"), ("RENAME", "nokey", "k5"),
        ("COPY", "k4", "k5"), ("COPY", "k4", "k5"), ("COPY", "k4", "k5", "REPLACE"),
        ("COPY", "k4", "k5", "DB", "3"), ("COPY", "nokey", "k6"), ("MOVE", "k4", "2"),
        ("MOVE", "k4", "2"), ("SET", "k4", "again"), ("MOVE", "k4", "2"),
    ], {}),
    # Lists (database 2).
    ("list pushes, pops and edits as is", [
        ("SELECT", "2"),
        ("RPUSH", "l", "a", "b", "c", "d", "e", "f", "g", "h"), ("LPUSH", "l", "z"),
        ("LPUSHX", "nokey", "a"), ("RPUSHX", "l", "y"), ("LPOP", "l"), ("RPOP", "l"),
        ("LPOP", "l", "2"), ("RPOP", "l", "0"), ("LPOP", "nokey"), ("LSET", "l", "0", "q"),
        ("LSET", "l", "99", "q"), ("LINSERT", "l", "BEFORE", "zz", "yy"),
        ("LINSERT", "l", "AFTER", "q", "r"), ("LREM", "l", "0", "zz"), ("LREM", "l", "1", "r"),
        ("LTRIM", "l", "0", "-1"), ("LTRIM", "l", "0", "2"), ("LTRIM", "nokey", "0", "1"),
        ("LPOP", "l", "100"),
    ], {}),
    ("LMOVE, RPOPLPUSH as is; LMPOP as LPOP/RPOP key count", [
        ("RPUSH", "l", "a", "b", "c", "d"), ("LMOVE", "l", "m", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "l", "m"), ("LMOVE", "nokey", "m", "left", "left"),
        ("LMPOP", "2", "nokey", "l", "LEFT"), ("LMPOP", "2", "nokey", "l", "right", "COUNT", "10"),
        ("LMPOP", "1", "m", "RIGHT", "COUNT", "1"), ("LMPOP", "1", "nokey", "LEFT"),
    ], {}),
    ("blocking list pops served at once as LPOP/RPOP/LMOVE/RPOPLPUSH", [
        ("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ("BLPOP", "nokey", "l", "0"),
        ("BRPOP", "l", "0"), ("BLMOVE", "l", "m", "RIGHT", "LEFT", "0"),
        ("blmove", "l", "m", "left", "right", "0"), ("BRPOPLPUSH", "m", "l", "0"),
        ("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "10"), ("DEL", "m"),
    ], {}),
    ("blocking list pops served after blocking", [
        *select("2", "b", "c", "d", "e", "f"),
        Send("b", "BLMOVE", "bl", "bm", "LEFT", "RIGHT", "0"),
        Send("c", "BLMPOP", "0", "2", "bx", "bl", "RIGHT", "COUNT", "10"),
        Send("d", "BLPOP", "bx", "bl", "0"), Send("e", "BRPOPLPUSH", "by", "bm", "0"),
        Send("f", "BRPOP", "bz", "0"), Blocked(5),
        ("RPUSH", "bl", "1", "2", "3", "4"), Reply("b"), Reply("c"), Blocked(3),
        ("RPUSH", "bx", "x"), Reply("d"),
        ("MULTI",), ("RPUSH", "by", "1", "2"), ("SET", "k", "v"), ("RPUSH", "bz", "z"), ("EXEC",),
        Reply("e"), Reply("f"),
    ], {}),
    ("a chain of BLMOVEs served in one pass", [
        Send("b", "BLMOVE", "c1", "c2", "LEFT", "LEFT", "0"),
        Send("c", "BLMOVE", "c2", "c3", "RIGHT", "RIGHT", "0"),
        Send("d", "BLPOP", "c3", "0"), Blocked(3), ("LPUSH", "c1", "v"),
        Reply("b"), Reply("c"), Reply("d"),
    ], {}),
    ("a blocking pop in another database, and one inside MULTI", [
        On("b", "SELECT", "3"), Send("b", "BRPOP", "db3list", "0"), Blocked(1),
        ("SELECT", "3"), ("LPUSH", "db3list", "x", "y"), Reply("b"), ("SELECT", "2"),
        ("MULTI",), ("BLPOP", "nokey", "0"), ("BRPOPLPUSH", "nokey", "l", "0"), ("EXEC",),
        ("BLPOP", "nokey", "0.01"),
    ], {}),
    # Sets (database 3).
    ("SADD, SREM, SMOVE and the STORE forms as is", [
        ("SELECT", "3"),
        ("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "zz"), ("SREM", "s", "a", "zz"),
        ("SADD", "t", "1", "2", "3"), ("SMOVE", "t", "s", "1"), ("SMOVE", "t", "s", "zz"),
        ("SMOVE", "s", "s", "b"), ("SINTERSTORE", "dst", "t", "s"), ("SINTERSTORE", "dst", "nokey", "s"),
        ("SINTERSTORE", "dst", "nokey", "s"), ("SUNIONSTORE", "dst", "nokey"),
        ("SUNIONSTORE", "dst", "t", "s"), ("SDIFFSTORE", "dst", "t", "s"),
        ("SDIFFSTORE", "dst", "s", "s"), ("SDIFFSTORE", "dst", "s", "s"), ("SREM", "t", "2", "3"),
    ], {}),
    ("SPOP without count as SREM", [
        ("SADD", "p1", "a", "b", "c"), ("SPOP", "p1"), ("SPOP", "nokey"), ("SADD", "p2", "only"),
        ("SPOP", "p2"),
    ], {"spop": True, "any_reply": True}),
    ("SPOP with count as SREMs in MULTI, or DEL for the whole set", [
        ("SADD", "p3", *"abcdefghijklmnopqrstuvwxyz"), ("SPOP", "p3", "0"), ("SPOP", "p3", "3"),
        ("SPOP", "p3", "20"), ("SPOP", "p3", "1"), ("SADD", "p4", *[str(i) for i in range(1, 11)]),
        ("SPOP", "p4", "9"),
    ], {"spop": True, "any_reply": True}),
    ("SPOP of the whole set as DEL", [("SPOP", "p1", "100")], {"any_reply": True}),
    ("SPOP'd sets dropped", [("DEL", "p3", "p4")], {"any_reply": True}),
    # Sorted sets (database 4).
    ("ZADD, ZINCRBY, ZREM and ZREMRANGEBY* as is when they change something", [
        ("SELECT", "4"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "NX", "5", "a"),
        ("ZADD", "z", "XX", "CH", "5", "a"), ("ZADD", "z", "INCR", "1", "a"), ("ZADD", "z", "GT", "1", "a"),
        ("ZINCRBY", "z", "1", "b"), ("ZREM", "z", "zz"), ("ZREM", "z", "a", "zz"),
        ("ZADD", "z", "1", "a", "4", "d", "5", "e"), ("ZREMRANGEBYRANK", "z", "5", "6"),
        ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
        ("ZREMRANGEBYSCORE", "z", "2", "3"), ("ZADD", "y", "0", "a", "0", "b"),
        ("ZREMRANGEBYLEX", "y", "[x", "[y"), ("ZREMRANGEBYLEX", "y", "[a", "[a"),
    ], {}),
    ("ZRANGESTORE and the ZSTORE forms as is when they change something", [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "y", "2", "b", "7", "q"),
        ("ZRANGESTORE", "dst", "z", "0", "-1"), ("ZRANGESTORE", "dst", "nokey", "0", "-1"),
        ("ZRANGESTORE", "dst", "nokey", "0", "-1"), ("ZUNIONSTORE", "u", "2", "z", "y"),
        ("ZINTERSTORE", "i", "2", "z", "y", "WEIGHTS", "2", "3"), ("ZINTERSTORE", "i2", "2", "z", "nokey"),
        ("ZDIFFSTORE", "d", "2", "z", "y"), ("ZDIFFSTORE", "d", "1", "nokey"),
        ("ZDIFFSTORE", "d", "1", "nokey"),
    ], {}),
    ("ZPOPMIN/ZPOPMAX as is, ZMPOP and BZ* served at once as ZPOPMIN/ZPOPMAX", [
        ("ZPOPMIN", "z"), ("ZPOPMIN", "z", "0"), ("ZPOPMAX", "z", "10"), ("ZPOPMIN", "nokey"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"),
        ("ZMPOP", "1", "z", "MIN", "COUNT", "2"), ("ZMPOP", "2", "nokey", "z", "MAX"),
        ("BZPOPMIN", "z", "0"), ("BZPOPMAX", "nokey", "z", "0"),
        ("BZMPOP", "0", "1", "z", "MAX", "COUNT", "10"), ("ZMPOP", "1", "nokey", "MIN"),
    ], {}),
    ("blocking sorted-set pops served after blocking", [
        *select("4", "b", "c", "d", "e"),
        Send("b", "BZPOPMIN", "bz", "0"), Send("c", "BZMPOP", "0", "1", "bz", "MIN", "COUNT", "10"),
        Send("d", "BZMPOP", "0", "2", "nokey", "bz", "MAX"), Send("e", "BZPOPMAX", "bz", "0"),
        Blocked(4), ("ZADD", "bz", "1", "a", "2", "b", "3", "c", "4", "d"), Reply("b"), Reply("c"),
        Blocked(2), ("ZADD", "bz", "1", "a", "2", "b", "3", "c"), Reply("d"), Reply("e"),
    ], {}),
    # Hashes (database 5).
    ("hash writes as is, HINCRBYFLOAT as HSET", [
        ("SELECT", "5"),
        ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HSETNX", "h", "a", "2"),
        ("HSETNX", "h", "c", "2"), ("HMSET", "h", "a", "1"), ("HDEL", "h", "zz"), ("HDEL", "h", "a", "zz"),
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "b", "-7"), ("HINCRBYFLOAT", "h", "f", "1.5"),
        ("HINCRBYFLOAT", "h", "f", "2e3"), ("HINCRBYFLOAT", "h", "f", "0.1"),
        ("HINCRBYFLOAT", "h2", "x", "-3.25"), ("HINCRBYFLOAT", "h", "c", "x"), ("HDEL", "h2", "x"),
    ], {}),
    # Bitmaps and HyperLogLogs (database 6).
    ("SETBIT, BITOP, BITFIELD as is when they change something", [
        ("SELECT", "6"),
        ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "100", "0"),
        ("BITOP", "AND", "dst", "b", "nokey"), ("BITOP", "AND", "dst2", "nokey", "nokey2"),
        ("BITOP", "OR", "dst", "nokey", "nokey2"), ("BITOP", "NOT", "dst3", "b"),
        ("BITFIELD", "bf", "GET", "u8", "0"), ("BITFIELD", "bf", "SET", "u8", "0", "255"),
        ("BITFIELD", "bf", "SET", "u8", "0", "255"),
        ("BITFIELD", "bf", "INCRBY", "u8", "0", "10", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "250"),
        ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "250"),
        ("BITFIELD_RO", "bf", "GET", "u8", "0"),
    ], {}),
    ("PFADD, PFMERGE; PFCOUNT when it caches its estimate", [
        ("PFADD", "h", "a", "b", "c"), ("PFADD", "h", "a"), ("PFADD", "h2"), ("PFADD", "h2"),
        ("PFCOUNT", "h"), ("PFCOUNT", "h"), ("PFADD", "h", "d"), ("PFCOUNT", "h", "h2"),
        ("PFCOUNT", "h"), ("PFMERGE", "hm", "h", "h2"), ("PFMERGE", "hm"), ("PFMERGE", "hm2"),
    ], {}),
    # SORT, RESTORE, PUBLISH (database 7).
    ("SORT ... STORE as is when it changes something", [
        ("SELECT", "7"),
        ("RPUSH", "sl", "3", "1", "2"), ("SADD", "ss", "c", "a", "b"), ("MSET", "w_1", "3", "w_2", "1", "w_3", "2"),
        ("SORT", "sl", "STORE", "out"), ("SORT", "sl", "LIMIT", "5", "5", "STORE", "out2"),
        ("SORT", "nokey", "STORE", "out"), ("SORT", "nokey", "STORE", "out3"),
        ("SORT", "ss", "BY", "nosort", "STORE", "out4"), ("SORT", "sl", "BY", "w_*", "GET", "#", "STORE", "out5"),
        ("SORT_RO", "sl"), ("SORT", "sl"),
    ], {}),
    ("RESTORE with a relative TTL as ABSTTL, an expired TTL as DEL or nothing", [
        ("RESTORE", "r1", "0", Dump("payload")), ("RESTORE", "r2", "100000", Dump("payload")),
        ("RESTORE", "r3", FAR, Dump("payload"), "ABSTTL"), ("RESTORE", "r4", "1", Dump("payload"), "ABSTTL"),
        ("RESTORE", "r1", "0", Dump("payload"), "REPLACE"),
        ("RESTORE", "r2", "200000", Dump("payload"), "REPLACE", "IDLETIME", "10"),
        ("RESTORE", "r1", "1", Dump("payload"), "REPLACE", "ABSTTL"),
        ("RESTORE", "r5", "0", Dump("payload"), "IDLETIME", "100"), ("RESTORE", "r5", "0", Dump("payload")),
    ], {}),
    ("PUBLISH and SPUBLISH never reach the AOF", [
        ("PUBLISH", "ch", "hi"), ("SPUBLISH", "ch", "hi"), ("MULTI",), ("SET", "pk", "1"),
        ("PUBLISH", "ch", "x"), ("EXEC",),
    ], {}),
    # Transactions and databases.
    ("MULTI/EXEC: one write as is, several wrapped, SELECT inside", [
        ("SELECT", "0"),
        ("MULTI",), ("SET", "t1", "1"), ("GET", "nokey"), ("EXEC",),
        ("MULTI",), ("SET", "t1", "1"), ("SELECT", "8"), ("SET", "t2", "2"),
        ("INCRBYFLOAT", "t3", "1"), ("SPOP", "nokey"), ("SELECT", "0"), ("LPUSH", "t4", "x"), ("EXEC",),
        ("MULTI",), ("GET", "t1"), ("EXEC",), ("MULTI",), ("SET", "t5", "v", "EX", "100"),
        ("EXPIRE", "t1", "100"), ("GETDEL", "t4"), ("EXEC",),
        ("MULTI",), ("DEL", "nokey"), ("EXEC",),
    ], {}),
    ("lazy expiry: DEL first, then the write in the same MULTI/EXEC", [
        ("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
        ("SET", "x1", "v", "PX", "50"), ("SET", "x2", "v", "PX", "50"), ("RPUSH", "x3", "a"),
        ("PEXPIRE", "x3", "50"), ("SET", "x4", "1", "PX", "50"), ("SET", "x5", "v", "PX", "50"),
        ("SADD", "x6", "m"), ("PEXPIRE", "x6", "50"), ("SET", "x7", "v", "PX", "50"),
        ("SET", "x8", "v", "PX", "50"), ("HSET", "x9", "f", "v"), ("PEXPIRE", "x9", "50"),
        Elapse(80),
        ("GET", "x1"), ("DEL", "x2"), ("RPUSH", "x3", "b"), ("INCR", "x4"), ("EXPIRE", "x5", "100"),
        ("SADD", "x6", "n"), ("MULTI",), ("GET", "x7"), ("SET", "x7", "w"), ("EXEC",),
        ("EXISTS", "x8"), ("HINCRBYFLOAT", "x9", "f", "1"),
        ("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
    ], {}),
    "restart",
    ("SWAPDB, FLUSHDB (even empty), FLUSHALL with SYNC/ASYNC as is", [
        ("SELECT", "9"), ("SET", "f", "1"), ("SWAPDB", "9", "10"), ("SWAPDB", "9", "9"), ("FLUSHDB",),
        ("SELECT", "10"), ("FLUSHDB", "ASYNC"), ("flushdb", "sync"), ("FLUSHDB", "bogus"),
        ("SELECT", "8"), ("FLUSHALL", "bogus"), ("SET", "before", "flushall"),
    ], {}),
    ("FLUSHALL", [("FLUSHALL", "SYNC"), ("FLUSHALL",), ("flushall", "async")], {}),
    ("a dataset to restart with", [
        ("SELECT", "0"), ("SET", "str", "v", "EX", "1000"), ("RPUSH", "list", "a", "b"),
        ("SADD", "set", "1", "2"), ("ZADD", "zset", "1", "a"), ("HSET", "hash", "f", "v"),
        ("PFADD", "hll", "a"), ("INCRBYFLOAT", "float", "1.25"), ("SELECT", "3"),
        ("SET", "db3", "x", "PXAT", FAR), ("HINCRBYFLOAT", "h", "f", "0.5"), ("SELECT", "0"),
        ("RESTORE", "restored", "100000", Dump("payload")), ("SADD", "popped", "a", "b"),
        ("SPOP", "popped", "2"), ("SETEX", "setex", "1000", "v"),
    ], {"any_reply": True}),
    "restart",
]


# ---- running ------------------------------------------------------------------------

ref = Side("reference", rhtest.REF_SERVER)
ours = Side("redis-ha", rhtest.OUR_SERVER)
# Both streams start with the same writes (and so the same SELECT).
payloads = {}
for side in (ref, ours):
    side.conn("a").cmd("SET", "payload", "hello world")
payloads["payload"] = ref.conn("a").cmd("DUMP", "payload")
for side in (ref, ours):
    side.conn("a").cmd("DEL", "payload")
    side.new_commands()



def restart(label):
    """Both servers must hold the same dataset, and each must load it back
    from its AOF (everything appended so far) after a restart."""
    want = {}
    for side in (ref, ours):
        want[side.name] = side.digest()
    t.is_(want["redis-ha"], want["reference"], "%s: both servers hold the same dataset" % label)
    for side in (ref, ours):
        side.close_all()
        problem = side.srv.stop()
        if not t.ok(problem is None, "%s: %s stops cleanly" % (label, side.name)):
            t.diag(problem)
        side.srv.start()
        t.is_(side.digest(), want[side.name],
              "%s: %s loads its AOF back to the same dataset" % (label, side.name))
        side.offset = 0
        side.new_commands()  # The incremental file may have been replaced.


restarts = 0
for step in STEPS:
    if step == "restart":
        restarts += 1
        restart("restart %d" % restarts)
        continue
    name, actions, opts = step
    replies = (ref.run(actions, payloads), ours.run(actions, payloads))
    check_step(name, ref.new_commands(), ours.new_commands(), opts, replies)

t.ok(0 < ours.conn("a").cmd("PTTL", "restored") <= 100000, "RESTORE's TTL survives as ABSTTL")
t.ok(0 < ours.conn("a").cmd("TTL", "setex") <= 1000, "SETEX's TTL survives as PXAT")
for side in (ref, ours):
    side.close_all()
t.done()
