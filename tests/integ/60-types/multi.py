"""Transactions: MULTI/EXEC/DISCARD queueing, EXECABORT after errors while
queueing versus runtime errors inside EXEC, nested MULTI and WATCH inside
MULTI, WATCH invalidation by writes, FLUSHDB/FLUSHALL/SWAPDB (only for keys
present), expiry of a key that was live when watched (but not of one that
was already expired), UNWATCH, CLIENT LIST
multi=/multi-mem=, MONITOR and SUBSCRIBE inside EXEC, the memory gate,
command statistics, and redis-py pipelines with transaction=True.

Set RH_REF=1 to run the same checks against the reference redis-server."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import redis  # noqa: E402
import rhtest  # noqa: E402

t = rhtest.Tap()
BINARY = rhtest.REF_SERVER if os.environ.get("RH_REF") else None
srv = rhtest.Server(config="enable-debug-command yes\n", binary=BINARY)
r = srv.client()
E = rhtest.Error
a = srv.raw()
b = srv.raw()


def fields(conn):
    line = conn.cmd("CLIENT", "INFO").decode().strip()
    return dict(kv.split("=", 1) for kv in line.split(" "))


def other_fields(conn_id):
    for line in r.execute_command("CLIENT", "LIST").decode().strip().split("\n"):
        f = dict(kv.split("=", 1) for kv in line.split(" "))
        if f["id"] == str(conn_id):
            return f
    return None


# --- queueing and EXEC ----------------------------------------------------------
t.is_(a.cmd("MULTI"), "OK", "MULTI")
t.is_(a.cmd("SET", "k", "1"), "QUEUED", "SET queued")
t.is_(a.cmd("INCR", "k"), "QUEUED", "INCR queued")
t.is_(r.get("k"), None, "queued commands have not run")
t.is_(a.cmd("EXEC"), ["OK", 2], "EXEC returns every reply")
t.is_(r.get("k"), b"2", "EXEC applied the writes")
t.is_(a.cmd("EXEC"), E("ERR EXEC without MULTI"), "EXEC without MULTI")
t.is_(a.cmd("DISCARD"), E("ERR DISCARD without MULTI"), "DISCARD without MULTI")
a.cmd("MULTI")
t.is_(a.cmd("EXEC"), [], "empty transaction: empty array")

a.cmd("MULTI")
t.is_(a.cmd("MULTI"), E("ERR MULTI calls can not be nested"), "nested MULTI refused")
t.is_(a.cmd("WATCH", "k"), E("ERR WATCH inside MULTI is not allowed"), "WATCH inside MULTI refused")
a.cmd("SET", "n", "1")
t.is_(a.cmd("EXEC"), ["OK"], "nested MULTI and WATCH errors do not abort the transaction")

# Errors while queueing abort; errors while running do not.
a.cmd("MULTI")
t.is_(a.cmd("NOSUCHCMD", "x"),
      E("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' "),
      "unknown command inside MULTI: error at once")
t.is_(a.cmd("SET", "aborted", "1"), "QUEUED", "later commands still queue")
t.is_(a.cmd("GET"), E("ERR wrong number of arguments for 'get' command"), "arity error at once")
t.is_(a.cmd("EXEC"), E("EXECABORT Transaction discarded because of previous errors."),
      "EXECABORT after errors while queueing")
t.is_(r.get("aborted"), None, "nothing of an aborted transaction ran")
t.is_(fields(a)["flags"], "N", "EXECABORT leaves the transaction")
a.cmd("MULTI")
a.cmd("SHUTDOWN")
t.is_(a.cmd("EXEC"), E("EXECABORT Transaction discarded because of previous errors."),
      "a no-multi command (SHUTDOWN) aborts the transaction")

r.set("str", "abc")
a.cmd("MULTI")
a.cmd("SET", "r1", "1")
a.cmd("INCR", "str")
a.cmd("SET", "r2", "2")
t.is_(a.cmd("EXEC"), ["OK", E("ERR value is not an integer or out of range"), "OK"],
      "a runtime error inside EXEC is one reply; the rest run")
t.is_(r.mget("r1", "r2"), [b"1", b"2"], "commands after the failing one ran")

# DISCARD.
a.cmd("MULTI")
a.cmd("SET", "d", "1")
t.is_(a.cmd("DISCARD"), "OK", "DISCARD")
t.is_(r.get("d"), None, "DISCARD drops the queue")
t.is_(a.cmd("GET", "d"), None, "DISCARD leaves the transaction")

# RESET and QUIT are not queued.
a.cmd("MULTI")
a.cmd("SET", "rs", "1")
t.is_(a.cmd("RESET"), "RESET", "RESET inside MULTI runs at once")
t.is_((a.cmd("GET", "rs"), r.get("rs")), (None, None), "RESET discards the transaction")
q = srv.raw()
q.cmd("MULTI")
q.cmd("SET", "qq", "1")
t.is_(q.cmd("QUIT"), "OK", "QUIT inside MULTI runs at once")
t.ok(q.closed(), "QUIT closes the connection")
t.is_(r.get("qq"), None, "QUIT discards the queue")

# Queued arguments outlive the input buffer they came in.
big = "v" * 100000
a.send(rhtest.encode("MULTI") + b"".join(rhtest.encode("SET", "big%d" % i, big + str(i))
                                       for i in range(20)))
t.is_([a.reply() for _ in range(21)], ["OK"] + ["QUEUED"] * 20, "pipelined big commands queued")
t.is_(a.cmd("EXEC"), ["OK"] * 20, "EXEC of big queued commands")
t.ok(all(r.get("big%d" % i) == (big + str(i)).encode() for i in range(20)),
     "big queued arguments stored intact")

# --- CLIENT LIST multi= and multi-mem= -------------------------------------------
aid = a.cmd("CLIENT", "ID")
f = other_fields(aid)
t.is_((f["multi"], f["multi-mem"], f["flags"]), ("-1", "0", "N"), "outside MULTI: multi=-1")
a.cmd("MULTI")
f = other_fields(aid)
t.is_((f["multi"], f["multi-mem"], f["flags"]), ("0", "0", "x"), "after MULTI: multi=0, flag x")
a.cmd("SET", "key", "value")
f = other_fields(aid)
t.is_((f["multi"], f["multi-mem"]), ("1", "35"), "one queued command: multi=1, multi-mem=35")
a.cmd("SET", "key2", "value12345678901234567890")
t.is_(other_fields(aid)["multi-mem"], "91", "multi-mem adds argument bytes and pointers")
a.cmd("CLIENT", "INFO")
res = a.cmd("EXEC")
inner = dict(kv.split("=", 1) for kv in res[2].decode().strip().split(" "))
t.is_((inner["multi"], inner["flags"], inner["cmd"]), ("3", "x", "exec"),
      "inside EXEC the client is still in MULTI and shows cmd=exec")
t.is_(other_fields(aid)["multi"], "-1", "after EXEC: multi=-1")

# MONITOR is refused inside EXEC.
a.cmd("MULTI")
a.cmd("MONITOR")
t.is_(a.cmd("EXEC"), [E("ERR MONITOR isn't allowed for DENY BLOCKING client")],
      "MONITOR inside EXEC refused")

# --- WATCH ------------------------------------------------------------------------


def watched_exec(setup, between, watch=("k",)):
    """WATCHes keys after setup, runs between on another client, and returns
    EXEC's reply for a transaction of one PING."""
    r.flushall()
    for cmd in setup:
        if cmd == "sleep":
            time.sleep(0.15)
        else:
            a.cmd(*cmd)
    t_ok = a.cmd("WATCH", *watch)
    assert t_ok == "OK", t_ok
    for cmd in between:
        if cmd == "sleep":
            time.sleep(0.15)
        else:
            b.cmd(*cmd)
    a.cmd("MULTI")
    a.cmd("PING")
    return a.cmd("EXEC")


OKX = ["PONG"]
cases = [
    ("nothing changes", [("SET", "k", "v")], [], OKX),
    ("a write by another client", [("SET", "k", "v")], [("SET", "k", "v2")], None),
    ("a write of the same value", [("SET", "k", "v")], [("SET", "k", "v")], None),
    ("creating a missing key", [], [("SET", "k", "v")], None),
    ("DEL of a missing key", [], [("DEL", "k")], OKX),
    ("DEL", [("SET", "k", "v")], [("DEL", "k")], None),
    ("EXPIRE", [("SET", "k", "v")], [("EXPIRE", "k", "100")], None),
    ("PERSIST without a TTL", [("SET", "k", "v")], [("PERSIST", "k")], OKX),
    ("SET NX that fails", [("SET", "k", "v")], [("SET", "k", "x", "NX")], OKX),
    ("APPEND of nothing", [("SET", "k", "v")], [("APPEND", "k", "")], None),
    ("SETRANGE of nothing", [("SET", "k", "v")], [("SETRANGE", "k", "0", "")], OKX),
    ("SETBIT to the same value", [("SET", "k", "v")], [("SETBIT", "k", "0", "0")], OKX),
    ("RENAME onto it", [("SET", "j", "v")], [("RENAME", "j", "k")], None),
    ("RENAME away", [("SET", "k", "v")], [("RENAME", "k", "j")], None),
    ("RENAME onto itself", [("SET", "k", "v")], [("RENAME", "k", "k")], OKX),
    ("MOVE away", [("SET", "k", "v")], [("MOVE", "k", "2")], None),
    ("COPY onto it", [("SET", "j", "v")], [("COPY", "j", "k")], None),
    ("a write in another database", [("SET", "k", "v")],
     [("SELECT", "3"), ("SET", "k", "x"), ("SELECT", "0")], OKX),
    ("FLUSHDB with the key", [("SET", "k", "v")], [("FLUSHDB",)], None),
    ("FLUSHDB without the key", [("SET", "other", "v")], [("FLUSHDB",)], OKX),
    ("FLUSHALL with the key", [("SET", "k", "v")], [("FLUSHALL",)], None),
    ("FLUSHALL without the key", [], [("FLUSHALL",)], OKX),
    ("FLUSHALL with the key only in another db",
     [("SELECT", "1"), ("SET", "k", "v"), ("SELECT", "0")], [("FLUSHALL",)], OKX),
    ("SWAPDB moving the key out", [("SET", "k", "v")], [("SWAPDB", "0", "1")], None),
    ("SWAPDB moving the key in", [("SELECT", "1"), ("SET", "k", "v"), ("SELECT", "0")],
     [("SWAPDB", "0", "1")], None),
    ("SWAPDB of databases without it", [], [("SWAPDB", "0", "1")], OKX),
    ("expiry, key still there (logically expired)",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "50")], ["sleep"], None),
    ("expiry, key removed on access",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "50")],
     ["sleep", ("GET", "k")], None),
    ("expiry, then FLUSHDB", [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "50")],
     ["sleep", ("FLUSHDB",)], None),
    ("already expired when watched, nothing else",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "20"), "sleep"], [], OKX),
    ("already expired when watched, removed on access",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "20"), "sleep"],
     [("GET", "k")], OKX),
    ("already expired when watched, then FLUSHDB",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "20"), "sleep"],
     [("FLUSHDB",)], OKX),
    ("already expired when watched, SWAPDB brings a live key",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "20"), ("SELECT", "1"),
      ("SET", "k", "v"), ("SELECT", "0"), "sleep"], [("SWAPDB", "0", "1")], None),
    ("already expired when watched, SWAPDB brings an expired key",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "20"), ("SELECT", "1"),
      ("SET", "k", "v", "PX", "20"), ("SELECT", "0"), "sleep"], [("SWAPDB", "0", "1")], OKX),
    ("expiry, then a write", [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "50")],
     ["sleep", ("SET", "k", "x")], None),
    ("already expired when watched, then a write",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "20"), "sleep"],
     [("SET", "k", "x")], None),
    ("SWAPDB bringing in an expired key",
     [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SELECT", "1"), ("SET", "k", "v", "PX", "20"),
      ("SELECT", "0"), "sleep"], [("SWAPDB", "0", "1")], OKX),
    ("own write before MULTI", [("SET", "k", "v"), ("WATCH", "k"), ("SET", "k", "w")], [], None),
]
for name, setup, between, want in cases:
    t.is_(watched_exec(setup, between), want, "WATCH: %s -> %s" % (
        name, "runs" if want else "null array"))
r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")

r.flushall()
r.set("k", "v")
a.cmd("SET", "k", "v")
r.set("k", "v", px=60)
a.cmd("WATCH", "k")
rhtest.wait_for(lambda: r.dbsize() == 0, what="active expiry of the watched key")
a.cmd("MULTI")
a.cmd("PING")
t.is_(a.cmd("EXEC"), None, "WATCH: active expiry of the watched key is a change")

r.set("k", "v")
a.cmd("WATCH", "k")
a.cmd("MULTI")
b.cmd("SET", "k", "during")
a.cmd("SET", "k", "mine")
t.is_(a.cmd("EXEC"), None, "a write after MULTI still fails EXEC")
t.is_(r.get("k"), b"during", "the transaction did not run")

a.cmd("WATCH", "k")
a.cmd("UNWATCH")
b.cmd("SET", "k", "x")
a.cmd("MULTI")
a.cmd("PING")
t.is_(a.cmd("EXEC"), OKX, "UNWATCH forgets the keys")

a.cmd("WATCH", "k")
b.cmd("SET", "k", "y")
a.cmd("UNWATCH")
a.cmd("MULTI")
a.cmd("PING")
t.is_(a.cmd("EXEC"), OKX, "UNWATCH also forgets a change already seen")

a.cmd("WATCH", "k")
a.cmd("MULTI")
a.cmd("DISCARD")
b.cmd("SET", "k", "z")
a.cmd("MULTI")
a.cmd("PING")
t.is_(a.cmd("EXEC"), OKX, "DISCARD unwatches")

a.cmd("WATCH", "k")
a.cmd("MULTI")
a.cmd("NOSUCH")
b.cmd("SET", "k", "w")
t.is_(a.cmd("EXEC"), E("EXECABORT Transaction discarded because of previous errors."),
      "EXECABORT wins over a changed key")

a.cmd("WATCH", "k", "k", "j")
a.cmd("MULTI")
a.cmd("PING")
t.is_(a.cmd("EXEC"), OKX, "WATCH of the same key twice")
a.cmd("WATCH", "k")
a.cmd("MULTI")
a.cmd("PING")
a.cmd("EXEC")
b.cmd("SET", "k", "after")
a.cmd("MULTI")
a.cmd("PING")
t.is_(a.cmd("EXEC"), OKX, "EXEC unwatches")

# A watcher that disconnects leaves nothing behind.
w = srv.raw()
w.cmd("WATCH", "k", "j")
w.close()
rhtest.wait_for(lambda: r.client_list() and len(r.client_list()) == 3, what="watcher gone")
r.set("k", "after-close")
t.ok(True, "writing a key watched by a closed client")

# --- statistics ---------------------------------------------------------------------
r.config_resetstat()
a.cmd("MULTI")
a.cmd("SET", "s", "1")
a.cmd("AUTH", "x")
a.cmd("EXEC")
st = r.info("commandstats")
t.is_((st["cmdstat_exec"]["failed_calls"], st["cmdstat_auth"]["failed_calls"],
       st["cmdstat_set"]["calls"]), (0, 1, 1),
      "an error inside EXEC fails the command, not EXEC")
r.config_resetstat()
a.cmd("MULTI")
a.cmd("SET")
a.cmd("EXEC")
st = r.info("commandstats")
t.is_((st["cmdstat_exec"]["failed_calls"], st["cmdstat_set"]["rejected_calls"]), (1, 1),
      "EXECABORT: EXEC failed, SET rejected")
t.is_(r.info("errorstats").get("errorstat_EXECABORT"), "count=1",
      "errorstat_EXECABORT")

# --- the memory gate ------------------------------------------------------------------
a.cmd("MULTI")
a.cmd("SET", "oom", "1")
a.cmd("GET", "oom")
r.config_set("maxmemory", "1")
t.is_(a.cmd("EXEC"), E("EXECABORT Transaction discarded because of: OOM command not allowed "
                       "when used memory > 'maxmemory'."),
      "over maxmemory: EXEC of a write is aborted")
t.is_(a.cmd("MULTI"), "OK", "MULTI is allowed over maxmemory")
t.is_(a.cmd("GET", "oom"), E("OOM command not allowed when used memory > 'maxmemory'."),
      "over maxmemory inside MULTI even reads are refused")
t.is_(a.cmd("EXEC"), E("EXECABORT Transaction discarded because of previous errors."),
      "and the transaction is aborted")
a.cmd("MULTI")
t.is_(a.cmd("DISCARD"), "OK", "DISCARD over maxmemory")
r.config_set("maxmemory", "0")

# --- keyspace notifications from inside EXEC, RESP3 --------------------------------------
p3 = srv.raw()
p3.cmd("HELLO", "3")
r.config_set("notify-keyspace-events", "K$")
p3.send(rhtest.encode("SUBSCRIBE", "__keyspace@0__:nk"))
p3.reply()
p3.cmd("MULTI")
p3.cmd("SET", "nk", "1")
p3.send(rhtest.encode("EXEC"))
t.is_((p3.reply(), p3.reply()), ([[b"message", b"__keyspace@0__:nk", b"set"]], "OK"),
      "RESP3: the push of a change EXEC makes lands inside EXEC's reply, as in Redis 7.0")
r.config_set("notify-keyspace-events", "")

# --- redis-py pipelines with transaction=True -------------------------------------------
r.set("counter", "10")
with r.pipeline(transaction=True) as pipe:
    pipe.incr("counter").incr("counter").get("counter")
    t.is_(pipe.execute(), [11, 12, b"12"], "redis-py transaction pipeline")


def add_one(pipe):
    v = int(pipe.get("counter"))
    pipe.multi()
    pipe.set("counter", v + 1)


t.is_(r.transaction(add_one, "counter"), [True], "redis-py transaction() with WATCH")
t.is_(r.get("counter"), b"13", "optimistic update applied")
with r.pipeline(transaction=True) as pipe:
    pipe.watch("counter")
    pipe.multi()
    pipe.set("counter", "999")
    r.set("counter", "changed")
    try:
        pipe.execute()
        t.ok(False, "redis-py raises WatchError when the watched key changed")
    except redis.WatchError:
        t.ok(True, "redis-py raises WatchError when the watched key changed")
t.is_(r.get("counter"), b"changed", "the failed transaction wrote nothing")
r.set("str", "abc")
with r.pipeline(transaction=True) as pipe:
    pipe.set("pa", "1").incr("str").set("pb", "2")
    try:
        pipe.execute()
        t.ok(False, "redis-py pipeline raises the runtime error")
    except redis.ResponseError as e:
        t.ok("not an integer" in str(e), "redis-py pipeline raises the runtime error")
t.is_(r.mget("pa", "pb"), [b"1", b"2"], "the other commands of that pipeline ran")
with r.pipeline(transaction=True) as pipe:
    pipe.execute_command("NOSUCHCMD")
    pipe.set("pc", "1")
    try:
        pipe.execute()
        t.ok(False, "redis-py pipeline with an unknown command: ExecAbortError")
    except redis.ResponseError as e:
        t.ok("EXECABORT" in str(e) or "unknown command" in str(e),
             "redis-py pipeline with an unknown command: ExecAbortError")
t.is_(r.get("pc"), None, "nothing of that pipeline ran")

t.done()
