"""Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
BZPOPMAX, BZMPOP): served by pushes from other clients and from inside
MULTI/EXEC, FIFO order per key, BLMOVE chains, timeouts with decimals,
CLIENT UNBLOCK (TIMEOUT and ERROR), INFO blocked_clients and the 'b' flag,
wrong types and SWAPDB, disconnects, pipelined input after a blocked
command, timeout errors. Every scenario runs against our server and, when
Debian's redis-server is installed, against it too with the same
expectations, so the expectations are Redis 7.0.15's."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

E = rhtest.Error
t = rhtest.Tap()


def blocked(port):
    c = rhtest.RawConn(port)
    info = c.cmd("INFO", "clients").decode()
    c.close()
    for line in info.split("\r\n"):
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    return -1


def wait_blocked(port, n, what):
    rhtest.wait_for(lambda: blocked(port) == n, timeout=10, what=what)


def conns(port, n):
    return [rhtest.RawConn(port) for _ in range(n)]


def scenario_basic(tag, port):
    a, b = conns(port, 2)
    a.cmd("DEL", "k")
    a.send(rhtest.encode("BLPOP", "k", "0"))
    wait_blocked(port, 1, "BLPOP to block")
    t.is_(b.cmd("LPUSH", "k", "v"), 1, "%s LPUSH to a waited key" % tag)
    t.is_(a.reply(), [b"k", b"v"], "%s BLPOP is served [key, value]" % tag)
    t.is_(b.cmd("EXISTS", "k"), 0, "%s the served element left the list" % tag)
    t.is_(blocked(port), 0, "%s no client blocked afterwards" % tag)
    # Several keys: the first that gets a value serves.
    a.send(rhtest.encode("BRPOP", "k1", "k2", "0"))
    wait_blocked(port, 1, "BRPOP on two keys")
    b.cmd("RPUSH", "k2", "x", "y")
    t.is_(a.reply(), [b"k2", b"y"], "%s BRPOP on two keys pops the tail of the one pushed" % tag)
    b.cmd("DEL", "k2")
    # A key named twice is waited on once.
    a.send(rhtest.encode("BLPOP", "d", "d", "0"))
    wait_blocked(port, 1, "BLPOP d d")
    b.cmd("RPUSH", "d", "1", "2")
    t.is_(a.reply(), [b"d", b"1"], "%s a key named twice is served once" % tag)
    t.is_(b.cmd("LRANGE", "d", "0", "-1"), [b"2"], "%s the rest stays" % tag)
    b.cmd("DEL", "d")
    a.close()
    b.close()


def scenario_fifo(tag, port):
    cs = conns(port, 4)
    pusher = cs[3]
    for i, c in enumerate(cs[:3]):
        c.send(rhtest.encode("BLPOP", "q", "0"))
        wait_blocked(port, i + 1, "client %d to block" % i)
    pusher.cmd("RPUSH", "q", "a", "b", "c", "d")
    got = [c.reply() for c in cs[:3]]
    t.is_(got, [[b"q", b"a"], [b"q", b"b"], [b"q", b"c"]],
          "%s waiters are served oldest first, one element each" % tag)
    t.is_(pusher.cmd("LRANGE", "q", "0", "-1"), [b"d"], "%s the surplus stays in the list" % tag)
    pusher.cmd("DEL", "q")
    for c in cs:
        c.close()


def scenario_timeout(tag, port):
    a, b = conns(port, 2)
    start = time.monotonic()
    t.is_(a.cmd("BLPOP", "nokey", "0.2"), None, "%s BLPOP times out with a null array" % tag)
    took = time.monotonic() - start
    t.ok(took >= 0.19, "%s ... not before its 0.2 s timeout (%.3f s)" % (tag, took))
    t.is_(a.cmd("BLMOVE", "nokey", "dst", "LEFT", "RIGHT", "0.01"), None,
          "%s BLMOVE times out with null" % tag)
    t.is_(a.cmd("BZPOPMIN", "nokey", "0.01"), None, "%s BZPOPMIN times out with null" % tag)
    t.is_(a.cmd("BLMPOP", "0.01", "1", "nokey", "LEFT"), None, "%s BLMPOP times out" % tag)
    t.is_(a.cmd("BZMPOP", "0.01", "1", "nokey", "MIN"), None, "%s BZMPOP times out" % tag)
    a.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$4\r\n0.01\r\n")
    t.is_(a.reply(), None, "%s raw *-1 in RESP2" % tag)
    hello = a.cmd("HELLO", "3")
    t.is_(hello.get(b"proto") if isinstance(hello, dict) else hello, 3, "%s switch to RESP3" % tag)
    a.send(rhtest.encode("BLPOP", "nokey", "0.01"))
    line = a._line()
    t.is_(line, b"_", "%s RESP3 timeout is a null" % tag)
    for bad, err in (("abc", "ERR timeout is not a float or out of range"),
                     ("-1", "ERR timeout is negative"),
                     ("1e30", "ERR timeout is negative"),
                     ("inf", "ERR timeout is negative"),
                     ("-Infinity", "ERR timeout is negative"),
                     ("nan", "ERR timeout is not a float or out of range")):
        t.is_(b.cmd("BLPOP", "k", bad), E(err), "%s BLPOP timeout %s" % (tag, bad))
    t.is_(b.cmd("BZPOPMIN", "k", "-0.5"), E("ERR timeout is negative"),
          "%s BZPOPMIN negative timeout" % tag)
    a.close()
    b.close()


def scenario_unblock(tag, port):
    a, b = conns(port, 2)
    aid = a.cmd("CLIENT", "ID")
    t.is_(b.cmd("CLIENT", "UNBLOCK", str(aid)), 0, "%s CLIENT UNBLOCK of an idle client is 0" % tag)
    a.send(rhtest.encode("BLPOP", "k", "0"))
    wait_blocked(port, 1, "BLPOP forever")
    flags = [ln for ln in b.cmd("CLIENT", "LIST").decode().splitlines() if "id=%d " % aid in ln]
    t.ok(flags and " flags=b " in flags[0], "%s a blocked client has flag b in CLIENT LIST" % tag)
    t.is_(b.cmd("CLIENT", "UNBLOCK", str(aid)), 1, "%s CLIENT UNBLOCK of a blocked client is 1" % tag)
    t.is_(a.reply(), None, "%s ... which gets the timeout reply" % tag)
    a.send(rhtest.encode("BRPOPLPUSH", "k", "d", "0"))
    wait_blocked(port, 1, "BRPOPLPUSH forever")
    t.is_(b.cmd("CLIENT", "UNBLOCK", str(aid), "ERROR"), 1, "%s CLIENT UNBLOCK ERROR" % tag)
    t.is_(a.reply(), E("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
          "%s ... gets the UNBLOCKED error" % tag)
    t.is_(b.cmd("CLIENT", "UNBLOCK", str(aid), "maybe"),
          E("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"), "%s bad reason" % tag)
    t.is_(a.cmd("PING"), "PONG", "%s the unblocked client goes on" % tag)
    t.is_(blocked(port), 0, "%s INFO blocked_clients back to 0" % tag)
    a.close()
    b.close()


def scenario_multi(tag, port):
    a, b = conns(port, 2)
    b.cmd("DEL", "m")
    a.cmd("MULTI")
    a.cmd("BLPOP", "m", "0")
    t.is_(a.cmd("EXEC"), [None], "%s BLPOP inside MULTI on an empty key answers null at once" % tag)
    a.send(rhtest.encode("BLPOP", "m", "0"))
    wait_blocked(port, 1, "BLPOP before the transaction")
    b.cmd("MULTI")
    b.cmd("RPUSH", "m", "1")
    b.cmd("RPUSH", "m", "2")
    b.cmd("LPOP", "m")
    t.is_(b.cmd("EXEC"), [1, 2, b"1"], "%s a transaction pushes and pops" % tag)
    t.is_(a.reply(), [b"m", b"2"], "%s the waiter is served after EXEC with what remains" % tag)
    # Pushed and emptied within one transaction: the waiter stays blocked.
    a.send(rhtest.encode("BLPOP", "m", "0"))
    wait_blocked(port, 1, "BLPOP again")
    b.cmd("MULTI")
    b.cmd("RPUSH", "m", "1")
    b.cmd("DEL", "m")
    b.cmd("EXEC")
    t.is_(blocked(port), 1, "%s a key added and deleted in one EXEC serves nobody" % tag)
    b.cmd("RPUSH", "m", "z")
    t.is_(a.reply(), [b"m", b"z"], "%s ... until a later push" % tag)
    a.close()
    b.close()


def scenario_chain(tag, port):
    c1, c2, c3, p = conns(port, 4)
    p.cmd("DEL", "ca", "cb", "cc")
    c1.send(rhtest.encode("BLMOVE", "ca", "cb", "LEFT", "LEFT", "0"))
    wait_blocked(port, 1, "BLMOVE ca cb")
    c2.send(rhtest.encode("BRPOPLPUSH", "cb", "cc", "0"))
    wait_blocked(port, 2, "BRPOPLPUSH cb cc")
    c3.send(rhtest.encode("BLPOP", "cc", "0"))
    wait_blocked(port, 3, "BLPOP cc")
    p.cmd("LPUSH", "ca", "v")
    t.is_(c1.reply(), b"v", "%s BLMOVE is served with the element" % tag)
    t.is_(c2.reply(), b"v", "%s the element it pushed serves BRPOPLPUSH" % tag)
    t.is_(c3.reply(), [b"cc", b"v"], "%s ... whose push serves BLPOP: the chain resolves" % tag)
    t.is_(p.cmd("EXISTS", "ca", "cb", "cc"), 0, "%s nothing is left anywhere" % tag)
    # LMOVE (non-blocking) into a waited key serves the waiter too.
    c1.send(rhtest.encode("BLPOP", "cb", "0"))
    wait_blocked(port, 1, "BLPOP cb")
    p.cmd("RPUSH", "ca", "w")
    p.cmd("LMOVE", "ca", "cb", "LEFT", "RIGHT")
    t.is_(c1.reply(), [b"cb", b"w"], "%s LMOVE into a waited key serves it" % tag)
    # BLMPOP with COUNT.
    c1.send(rhtest.encode("BLMPOP", "0", "2", "e1", "e2", "RIGHT", "COUNT", "2"))
    wait_blocked(port, 1, "BLMPOP")
    p.cmd("RPUSH", "e2", "1", "2", "3")
    t.is_(c1.reply(), [b"e2", [b"3", b"2"]], "%s BLMPOP RIGHT COUNT 2" % tag)
    p.cmd("DEL", "e2")
    for c in (c1, c2, c3, p):
        c.close()


def scenario_zset(tag, port):
    a, b, c = conns(port, 3)
    b.cmd("DEL", "z")
    a.send(rhtest.encode("BZPOPMIN", "z", "0"))
    wait_blocked(port, 1, "BZPOPMIN")
    c.send(rhtest.encode("BZPOPMAX", "z", "0"))
    wait_blocked(port, 2, "BZPOPMAX")
    b.cmd("ZADD", "z", "1", "one", "2", "two", "3", "three")
    t.is_(a.reply(), [b"z", b"one", b"1"], "%s BZPOPMIN is served [key, member, score]" % tag)
    t.is_(c.reply(), [b"z", b"three", b"3"], "%s BZPOPMAX next" % tag)
    a.send(rhtest.encode("BZMPOP", "0", "1", "z2", "MAX", "COUNT", "5"))
    wait_blocked(port, 1, "BZMPOP")
    b.cmd("ZADD", "z2", "1.5", "x", "2.5", "y")
    t.is_(a.reply(), [b"z2", [[b"y", b"2.5"], [b"x", b"1.5"]]], "%s BZMPOP MAX COUNT 5" % tag)
    # A list on the key does not serve a sorted-set waiter.
    a.send(rhtest.encode("BZPOPMIN", "mix", "0"))
    wait_blocked(port, 1, "BZPOPMIN mix")
    b.cmd("RPUSH", "mix", "l")
    t.is_(blocked(port), 1, "%s a list does not serve a BZPOPMIN waiter" % tag)
    b.cmd("DEL", "mix")
    b.cmd("ZADD", "mix", "7", "m")
    t.is_(a.reply(), [b"mix", b"m", b"7"], "%s ... a sorted set later does" % tag)
    b.cmd("DEL", "z")
    for x in (a, b, c):
        x.close()


def scenario_types_and_swapdb(tag, port):
    a, b = conns(port, 2)
    b.cmd("DEL", "w")
    a.send(rhtest.encode("BLPOP", "w", "0"))
    wait_blocked(port, 1, "BLPOP w")
    b.cmd("SET", "w", "string")
    t.is_(blocked(port), 1, "%s a string created at the key leaves the waiter blocked" % tag)
    b.cmd("DEL", "w")
    # The destination of BLMOVE holding the wrong type: the waiter gets
    # WRONGTYPE once the source has an element, and the element stays.
    b.cmd("SET", "dst", "x")
    b.cmd("RPUSH", "w", "1")
    t.is_(a.reply(), [b"w", b"1"], "%s then a list serves it" % tag)
    a.send(rhtest.encode("BLMOVE", "src", "dst", "LEFT", "LEFT", "0"))
    wait_blocked(port, 1, "BLMOVE src dst")
    b.cmd("RPUSH", "src", "e")
    t.is_(a.reply(), E("WRONGTYPE Operation against a key holding the wrong kind of value"),
          "%s BLMOVE to a wrong-type destination errors when served" % tag)
    t.is_(b.cmd("LRANGE", "src", "0", "-1"), [b"e"], "%s ... and the element stays" % tag)
    b.cmd("DEL", "src", "dst")
    # SWAPDB brings a list into the waited database.
    a.send(rhtest.encode("BLPOP", "sw", "0"))
    wait_blocked(port, 1, "BLPOP sw")
    b.cmd("SELECT", "1")
    b.cmd("RPUSH", "sw", "from1")
    t.is_(blocked(port), 1, "%s a push in another database serves nobody" % tag)
    b.cmd("SWAPDB", "0", "1")
    t.is_(a.reply(), [b"sw", b"from1"], "%s SWAPDB serves the waiter" % tag)
    b.cmd("SELECT", "0")
    b.cmd("FLUSHALL")
    a.close()
    b.close()


def scenario_disconnect_and_pipeline(tag, port):
    a, b = conns(port, 2)
    a.send(rhtest.encode("BLPOP", "gone", "0"))
    wait_blocked(port, 1, "BLPOP gone")
    a.close()
    wait_blocked(port, 0, "the closed client to be dropped")
    b.cmd("RPUSH", "gone", "kept")
    t.is_(b.cmd("LRANGE", "gone", "0", "-1"), [b"kept"],
          "%s an element pushed after a waiter left is not lost" % tag)
    b.cmd("DEL", "gone")
    a = rhtest.RawConn(port)
    a.send(rhtest.encode("BLPOP", "pl", "0") + rhtest.encode("PING") + rhtest.encode("LLEN", "pl"))
    wait_blocked(port, 1, "pipelined BLPOP")
    b.cmd("RPUSH", "pl", "1", "2")
    t.is_([a.reply(), a.reply(), a.reply()], [[b"pl", b"1"], "PONG", 1],
          "%s commands pipelined after a blocked one run after it is served" % tag)
    b.cmd("DEL", "pl")
    a.close()
    b.close()


SCENARIOS = [scenario_basic, scenario_fifo, scenario_timeout, scenario_unblock,
             scenario_multi, scenario_chain, scenario_zset, scenario_types_and_swapdb,
             scenario_disconnect_and_pipeline]


def run(tag, server):
    for s in SCENARIOS:
        try:
            s(tag, server.port)
        except Exception as e:  # noqa: BLE001 - report and go on
            t.ok(False, "%s %s ran" % (tag, s.__name__))
            t.diag(repr(e))


ours = rhtest.Server()
run("[ours]", ours)
ref = rhtest.ref_server()
if ref is not None:
    run("[ref]", ref)
else:
    t.skip("reference scenarios", "Debian's redis-server is not installed")
t.done()
