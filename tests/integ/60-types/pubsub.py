"""Pub/sub and keyspace notifications: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and
their UNSUBSCRIBE forms, PUBLISH/SPUBLISH receiver counts, PUBSUB CHANNELS,
NUMSUB, NUMPAT, SHARDCHANNELS, SHARDNUMSUB, HELP, the RESP2 subscriber
context and its errors, RESP3 push messages on a raw socket, redis-py and
redis-cli subscribers, CLIENT LIST and INFO counters, cleanup on RESET and
disconnect, the pubsub output buffer class, and keyspace notifications for
every class letter of notify-keyspace-events.

Set RH_REF=1 to run the same checks against the reference redis-server."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
BINARY = rhtest.REF_SERVER if os.environ.get("RH_REF") else None
srv = rhtest.Server(config="enable-debug-command yes\n", binary=BINARY)
r = srv.client()
E = rhtest.Error


def typed(c):
    """Reads one reply keeping its RESP type: (type char, value)."""
    line = c._line()
    kind, rest = line[:1].decode(), line[1:]
    if kind in "*>~":
        n = int(rest)
        return (kind, None if n < 0 else [typed(c) for _ in range(n)])
    if kind == "$":
        n = int(rest)
        return (kind, None if n < 0 else c._exact(n))
    if kind == ":":
        return (kind, int(rest))
    if kind == "%":
        return (kind, [(typed(c), typed(c)) for _ in range(int(rest))])
    return (kind, rest.decode())


def plain(v):
    """Strips the type tags of a typed reply."""
    kind, val = v
    if isinstance(val, list):
        return [plain(x) if not isinstance(x, tuple) or len(x) != 2 or
                not isinstance(x[0], tuple) else (plain(x[0]), plain(x[1])) for x in val]
    return val


def get_msg(ps, timeout=5.0):
    """The next data message of a redis-py PubSub, polling with a deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = ps.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if m is not None:
            return m
    return None


def client_fields(conn):
    line = conn.cmd("CLIENT", "INFO").decode().strip()
    return dict(kv.split("=", 1) for kv in line.split(" "))


# --- redis-py subscribers ---------------------------------------------------------
ps = r.pubsub()
ps.subscribe("ch1", "ch2")
t.is_(ps.get_message(timeout=2)["type"], "subscribe", "redis-py: subscribe confirmation")
ps.get_message(timeout=2)
t.is_(r.publish("ch1", "hello"), 1, "PUBLISH returns the number of receivers")
m = get_msg(ps)
t.is_((m["type"], m["channel"], m["data"]), ("message", b"ch1", b"hello"),
      "redis-py: message received")
t.is_(r.publish("nobody", "x"), 0, "PUBLISH to a channel without subscribers: 0")
pp = r.pubsub()
pp.psubscribe("ch*")
pp.get_message(timeout=2)
ps.psubscribe("c?1")
ps.get_message(timeout=2)
t.is_(r.publish("ch1", "both"), 3, "PUBLISH counts channel and pattern deliveries")
m1, m2 = get_msg(ps), get_msg(ps)
t.is_(sorted([(m1["type"], m1["pattern"]), (m2["type"], m2["pattern"])]),
      [("message", None), ("pmessage", b"c?1")],
      "a client subscribed to a channel and a matching pattern gets both")
m = get_msg(pp)
t.is_((m["type"], m["pattern"], m["channel"], m["data"]), ("pmessage", b"ch*", b"ch1", b"both"),
      "pattern subscriber gets pmessage with pattern and channel")

# --- PUBSUB introspection ---------------------------------------------------------
t.is_(sorted(r.pubsub_channels()), [b"ch1", b"ch2"], "PUBSUB CHANNELS")
t.is_(r.pubsub_channels("*2"), [b"ch2"], "PUBSUB CHANNELS with a pattern")
t.is_(r.pubsub_numsub("ch1", "ch2", "none"), [(b"ch1", 1), (b"ch2", 1), (b"none", 0)],
      "PUBSUB NUMSUB")
t.is_(r.pubsub_numpat(), 2, "PUBSUB NUMPAT counts distinct patterns")
c = srv.raw()
t.is_(c.cmd("PUBSUB", "NUMSUB"), [], "PUBSUB NUMSUB without channels: empty array")
t.is_(c.cmd("PUBSUB", "CHANNELS", "a", "b"),
      E("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."),
      "PUBSUB CHANNELS with two patterns: Redis's error")
t.is_(c.cmd("PUBSUB", "NUMPAT", "x"),
      E("ERR wrong number of arguments for 'pubsub|numpat' command"), "PUBSUB NUMPAT arity")
t.is_(c.cmd("PUBSUB", "FOO"), E("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."),
      "PUBSUB unknown subcommand")
hlp = c.cmd("PUBSUB", "HELP")
t.is_((len(hlp), hlp[0], hlp[-2]),
      (14, "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "HELP"),
      "PUBSUB HELP")
info = r.info("stats")
t.is_((info["pubsub_channels"], info["pubsub_patterns"], info["pubsubshard_channels"]),
      (2, 2, 0), "INFO pubsub_channels and pubsub_patterns")
ps.close()
pp.close()
rhtest.wait_for(lambda: r.pubsub_numsub("ch1") == [(b"ch1", 0)] and r.pubsub_numpat() == 0,
                what="subscriptions dropped on disconnect")
t.ok(True, "a closed subscriber's channels and patterns are dropped")
t.is_(r.info("stats")["pubsub_channels"], 0, "INFO pubsub_channels back to 0")

# --- RESP2 subscriber context -----------------------------------------------------
a = srv.raw()
t.is_(a.cmd("SUBSCRIBE", "c1"), [b"subscribe", b"c1", 1], "RESP2 SUBSCRIBE reply")
t.is_(a.cmd("GET", "x"), E("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE "
                           "/ PING / QUIT / RESET are allowed in this context"),
      "RESP2 subscriber: GET refused with Redis's text")
t.is_(a.cmd("PUBLISH", "c1", "x"),
      E("ERR Can't execute 'publish': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        "RESET are allowed in this context"), "RESP2 subscriber: PUBLISH refused")
t.is_(a.cmd("PUBSUB", "CHANNELS"),
      E("ERR Can't execute 'pubsub|channels': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
        "QUIT / RESET are allowed in this context"), "RESP2 subscriber: subcommand full name")
t.is_(a.cmd("PING"), [b"pong", b""], "RESP2 subscriber: PING answers [pong, '']")
t.is_(a.cmd("PING", "hi"), [b"pong", b"hi"], "RESP2 subscriber: PING msg")
t.is_(a.cmd("PSUBSCRIBE", "c*"), [b"psubscribe", b"c*", 2], "PSUBSCRIBE count includes channels")
t.is_(a.cmd("SSUBSCRIBE", "s1"), [b"ssubscribe", b"s1", 1],
      "SSUBSCRIBE counts shard channels alone")
lst = r.client_list()
me = [x for x in lst if x["sub"] == "1"][0]
t.is_((me["flags"], me["sub"], me["psub"], me["ssub"]), ("P", "1", "1", "1"),
      "CLIENT LIST: flags P and sub/psub/ssub counts")
t.is_(r.publish("c1", "m"), 2, "PUBLISH to a RESP2 subscriber")
t.is_(a.reply(), [b"message", b"c1", b"m"], "RESP2 message array")
t.is_(a.reply(), [b"pmessage", b"c*", b"c1", b"m"], "RESP2 pmessage array")
t.is_(r.execute_command("SPUBLISH", "s1", "sm"), 1, "SPUBLISH receivers")
t.is_(a.reply(), [b"smessage", b"s1", b"sm"], "smessage array")
t.is_(r.execute_command("PUBSUB", "SHARDCHANNELS"), [b"s1"], "PUBSUB SHARDCHANNELS")
t.is_(r.execute_command("PUBSUB", "SHARDNUMSUB", "s1", "s2"), [b"s1", 1, b"s2", 0],
      "PUBSUB SHARDNUMSUB")
t.is_(r.info("stats")["pubsubshard_channels"], 1, "INFO pubsubshard_channels")
t.is_(r.publish("s1", "x"), 0, "shard channels are not channels")
t.is_(a.cmd("UNSUBSCRIBE"), [b"unsubscribe", b"c1", 1], "UNSUBSCRIBE all: one per channel")
t.is_(a.cmd("UNSUBSCRIBE"), [b"unsubscribe", None, 1], "UNSUBSCRIBE without channels: nil name")
t.is_(a.cmd("PUNSUBSCRIBE", "c*", "zz"), [b"punsubscribe", b"c*", 0],
      "PUNSUBSCRIBE with names: one reply each (1)")
t.is_(a.reply(), [b"punsubscribe", b"zz", 0], "PUNSUBSCRIBE with names: one reply each (2)")
t.ok(isinstance(a.cmd("GET", "x"), E), "still in subscriber context while a shard channel is left")
t.is_(a.cmd("SUNSUBSCRIBE"), [b"sunsubscribe", b"s1", 0], "SUNSUBSCRIBE all")
t.is_(a.cmd("GET", "x"), None, "no subscriptions left: normal commands again")
t.is_(a.cmd("UNSUBSCRIBE", "never"), [b"unsubscribe", b"never", 0],
      "UNSUBSCRIBE of an unknown channel outside pubsub")
t.is_(a.cmd("GET", "x"), None, "UNSUBSCRIBE does not enter the subscriber context")
t.is_(client_fields(a)["flags"], "N", "flag P cleared")
t.is_(a.cmd("SUBSCRIBE"), E("ERR wrong number of arguments for 'subscribe' command"),
      "SUBSCRIBE arity")

# RESET leaves the context and drops every subscription.
a.cmd("SUBSCRIBE", "r1")
a.cmd("PSUBSCRIBE", "r*")
t.is_(a.cmd("RESET"), "RESET", "RESET allowed in subscriber context")
t.is_((r.pubsub_numsub("r1"), r.pubsub_numpat()), ([(b"r1", 0)], 0),
      "RESET drops channels and patterns")
t.is_(a.cmd("GET", "x"), None, "RESET leaves the subscriber context")
a.cmd("SUBSCRIBE", "q1")
t.is_(a.cmd("QUIT"), "OK", "QUIT allowed in subscriber context")
rhtest.wait_for(lambda: r.pubsub_numsub("q1") == [(b"q1", 0)], what="QUIT drops subscriptions")
t.ok(True, "QUIT drops subscriptions")

# Inside MULTI: SUBSCRIBE runs at EXEC; SSUBSCRIBE is refused there.
m = srv.raw()
m.cmd("MULTI")
t.is_(m.cmd("SUBSCRIBE", "mq"), "QUEUED", "SUBSCRIBE is queued in MULTI")
t.is_(m.cmd("EXEC"), [[b"subscribe", b"mq", 1]], "EXEC returns the subscribe confirmation")
t.ok(isinstance(m.cmd("GET", "x"), E), "after EXEC the client is a subscriber")
m.cmd("RESET")
m.cmd("MULTI")
m.cmd("SSUBSCRIBE", "sq")
t.is_(m.cmd("EXEC"), [E("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")],
      "SSUBSCRIBE refused inside EXEC")

# --- RESP3 push messages on a raw socket ------------------------------------------
p3 = srv.raw()
p3.cmd("HELLO", "3")
p3.send(rhtest.encode("SUBSCRIBE", "p3"))
t.is_(typed(p3), (">", [("$", b"subscribe"), ("$", b"p3"), (":", 1)]),
      "RESP3 SUBSCRIBE confirmation is a push")
p3.send(rhtest.encode("GET", "nokey"))
t.is_(typed(p3), ("_", ""), "RESP3 subscriber may run GET")
p3.send(rhtest.encode("PING"))
t.is_(typed(p3), ("+", "PONG"), "RESP3 subscriber PING answers +PONG")
t.is_(r.publish("p3", "hi"), 1, "PUBLISH to a RESP3 subscriber")
t.is_(typed(p3), (">", [("$", b"message"), ("$", b"p3"), ("$", b"hi")]),
      "RESP3 message is a push")
p3.send(rhtest.encode("PUBLISH", "p3", "self"))
t.is_((typed(p3), typed(p3)), ((">", [("$", b"message"), ("$", b"p3"), ("$", b"self")]),
                               (":", 1)),
      "publishing to itself: the push comes before the reply")
p3.send(rhtest.encode("UNSUBSCRIBE"))
t.is_(typed(p3), (">", [("$", b"unsubscribe"), ("$", b"p3"), (":", 0)]),
      "RESP3 UNSUBSCRIBE is a push")
p3.send(rhtest.encode("PUNSUBSCRIBE"))
t.is_(typed(p3), (">", [("$", b"punsubscribe"), ("_", ""), (":", 0)]),
      "RESP3 PUNSUBSCRIBE without patterns: null name")
p3.send(rhtest.encode("PUBSUB", "NUMSUB", "p3"))
t.is_(typed(p3), ("*", [("$", b"p3"), (":", 0)]), "RESP3 PUBSUB NUMSUB is a flat array")

# --- redis-cli SUBSCRIBE ----------------------------------------------------------
out_path = os.path.join(srv.dir, "cli.out")
with open(out_path, "wb") as out:
    cli = subprocess.Popen(["redis-cli", "-p", str(srv.port), "SUBSCRIBE", "clich"],
                           stdout=out, stderr=subprocess.STDOUT)
try:
    rhtest.wait_for(lambda: r.pubsub_numsub("clich") == [(b"clich", 1)],
                    what="redis-cli subscribed")
    r.publish("clich", "from-test")

    def cli_text():
        with open(out_path, "rb") as f:
            return f.read()
    rhtest.wait_for(lambda: b"from-test" in cli_text(), what="redis-cli output")
    t.is_(cli_text().split(b"\n")[:6],
          [b"subscribe", b"clich", b"1", b"message", b"clich", b"from-test"],
          "redis-cli SUBSCRIBE prints the confirmation and the message")
finally:
    cli.kill()
    cli.wait()

# --- the pubsub output buffer class -----------------------------------------------
r.config_set("client-output-buffer-limit", "pubsub 64kb 0 0")
slow = srv.raw()
slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
slow.cmd("SUBSCRIBE", "flood")
big = "x" * 65536
for _ in range(200):
    if r.publish("flood", big) == 0:
        break
rhtest.wait_for(lambda: r.pubsub_numsub("flood") == [(b"flood", 0)], timeout=10,
                what="slow subscriber closed")
t.ok(True, "a subscriber over the pubsub hard limit is closed")
r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")

# --- keyspace notifications -------------------------------------------------------
t.is_(r.config_get("notify-keyspace-events")["notify-keyspace-events"], "",
      "notifications off by default")
for given, shown in [("KEA", "AKE"), ("AmnKE", "AKEm"), ("g$lshzxetd", "A"),
                     ("xg$", "g$x"), ("KEx", "xKE"), ("Ad", "A"), ("", "")]:
    r.config_set("notify-keyspace-events", given)
    t.is_(r.config_get("notify-keyspace-events")["notify-keyspace-events"], shown,
          "CONFIG GET notify-keyspace-events shows %r as %r" % (given, shown))
t.is_(c.cmd("CONFIG", "SET", "notify-keyspace-events", "KQ"),
      E("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
        "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
      "a bad class letter is refused")

ev = srv.raw()
ev.cmd("PSUBSCRIBE", "__key*__:*")


def events(flags, *cmds, db=0, settle=None):
    """Runs cmds with notify-keyspace-events set to flags and returns the
    (channel, message) pairs that arrived, in order."""
    r.config_set("notify-keyspace-events", flags)
    cl = srv.raw()
    if db:
        cl.cmd("SELECT", str(db))
    for cmd in cmds:
        cl.cmd(*cmd)
    if settle:
        settle()
    r.config_set("notify-keyspace-events", "")
    # A marker message tells where this batch ends.
    r.publish("__key_end__:x", "end")
    got = []
    while True:
        msg = ev.reply()
        if msg[2] == b"__key_end__:x":
            break
        got.append((msg[2].decode(), msg[3].decode()))
    cl.close()
    return got


def ks(key, event, db=0):
    return [("__keyspace@%d__:%s" % (db, key), event), ("__keyevent@%d__:%s" % (db, event), key)]


r.flushall()
t.is_(events("KEA", ("SET", "k", "v")), ks("k", "set"), "$: SET -> set on both channels")
t.is_(events("K$", ("SET", "k", "v")), [("__keyspace@0__:k", "set")], "K only: keyspace channel")
t.is_(events("E$", ("SET", "k", "v")), [("__keyevent@0__:set", "k")], "E only: keyevent channel")
t.is_(events("$", ("SET", "k", "v")), [], "neither K nor E: nothing")
t.is_(events("KA", ("SET", "k", "v")), [("__keyspace@0__:k", "set")], "A includes $")
t.is_(events("Kg", ("SET", "k", "v"), ("DEL", "k")), [("__keyspace@0__:k", "del")],
      "g: DEL -> del, and $ is off")
t.is_(events("KEA", ("SET", "k", "v"), db=3), ks("k", "set", db=3),
      "the database number is in the channel")
t.is_(events("Kn", ("SET", "nk", "v"), ("SET", "nk", "w")), [("__keyspace@0__:nk", "new")],
      "n: new key only once")
t.is_(events("KA", ("GET", "missing")), [], "A does not include m")
t.is_(events("Km", ("GET", "missing"), ("EXISTS", "missing"), ("OBJECT", "ENCODING", "missing")),
      [("__keyspace@0__:missing", "keymiss")] * 2, "m: read misses, but not OBJECT")
r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
r.set("ex", "1", px=1)
time.sleep(0.01)
t.is_(events("Kx", ("GET", "ex")), [("__keyspace@0__:ex", "expired")], "x: lazy expiry")
r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
r.delete("ax")
size = r.dbsize()
t.is_(events("Ex", ("SET", "ax", "1", "PX", "20"),
             settle=lambda: rhtest.wait_for(lambda: r.dbsize() == size, what="active expiry")),
      [("__keyevent@0__:expired", "ax")], "x: active expiry")
t.is_(events("KEA", ("SET", "e", "v", "EX", "100"), ("PERSIST", "e"), ("EXPIRE", "e", "-1")),
      ks("e", "set") + ks("e", "expire") + ks("e", "persist") + ks("e", "del"),
      "g: expire, persist, del for an expire in the past")
t.is_(events("KEA", ("SET", "r", "1"), ("RENAME", "r", "r2")),
      ks("r", "set") + ks("r", "rename_from") + ks("r2", "rename_to"), "g: rename_from/rename_to")
t.is_(events("KEA", ("MOVE", "r2", "5")), ks("r2", "move_from") + ks("r2", "move_to", db=5),
      "g: move_from/move_to in each database")
r.set("cs", "1")
t.is_(events("KEA", ("COPY", "cs", "cd")), ks("cd", "copy_to"), "g: copy_to")
t.is_(events("E$", ("APPEND", "cs", "x"), ("SETRANGE", "cs", "0", "y"), ("INCRBY", "n", "2"),
             ("INCRBYFLOAT", "f", "1.5"), ("SETBIT", "b", "3", "1"), ("GETDEL", "cs")),
      [("__keyevent@0__:append", "cs"), ("__keyevent@0__:setrange", "cs"),
       ("__keyevent@0__:incrby", "n"), ("__keyevent@0__:incrbyfloat", "f"),
       ("__keyevent@0__:setbit", "b")], "$: append, setrange, incrby, incrbyfloat, setbit")

# The type classes whose commands exist in this build.
type_cases = [("l", ("LPUSH", "li", "a"), "lpush"), ("s", ("SADD", "se", "a"), "sadd"),
              ("h", ("HSET", "ha", "f", "v"), "hset"), ("z", ("ZADD", "zs", "1", "a"), "zadd"),
              ("t", ("XADD", "st", "*", "f", "v"), "xadd")]
for letter, cmd, name in type_cases:
    if c.cmd("COMMAND", "INFO", cmd[0])[0] is None:
        t.skip("%s: %s -> %s" % (letter, cmd[0], name), "%s not implemented" % cmd[0])
        continue
    t.is_(events("K" + letter, ("SET", "plain", "v"), cmd), [("__keyspace@0__:%s" % cmd[1], name)],
          "%s: %s -> %s, other classes off" % (letter, cmd[0], name))
t.is_(events("Kd", ("SET", "k", "v")), [], "d: module events only (none from commands)")

# Evictions.
r.flushall()
r.config_resetstat()
for i in range(300):
    r.set("evict:%d" % i, "x" * 200)
r.config_set("maxmemory-policy", "allkeys-random")


def fill_and_evict():
    used = r.info("memory")["used_memory"]
    r.config_set("maxmemory", str(used - 20000))
    rhtest.wait_for(lambda: r.info("stats")["evicted_keys"] > 0, what="evictions")
    r.config_set("maxmemory", "0")


got = events("Ee", settle=fill_and_evict)
t.ok(len(got) > 0 and all(ch == "__keyevent@0__:evicted" for ch, _ in got),
     "e: evicted events (%d)" % len(got))
t.ok(len(got) <= r.info("stats")["evicted_keys"], "no more evicted events than evicted keys")
r.config_set("maxmemory-policy", "noeviction")

t.done()
