"""CLIENT subcommands: ID, INFO, LIST, SETNAME/GETNAME, KILL, PAUSE, REPLY, ..."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
srv = rhtest.Server()
r = srv.client()

LIST_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
               "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp",
               "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "redir", "resp"]


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split(" "))


a = srv.raw()
b = srv.raw()

# --- ID, INFO, GETNAME/SETNAME ---------------------------------------------------
ida = a.cmd("CLIENT", "ID")
idb = b.cmd("CLIENT", "ID")
t.ok(isinstance(ida, int) and idb > ida, "CLIENT ID grows")
info = a.cmd("CLIENT", "INFO").decode()
t.ok(info.endswith("\n") and info.count("\n") == 1, "CLIENT INFO: one line ending in LF")
f = fields(info.strip())
t.is_(list(f), LIST_FIELDS, "CLIENT INFO: Redis 7.0 fields in order")
t.is_(f["id"], str(ida), "CLIENT INFO: id")
t.is_(f["cmd"], "client|info", "CLIENT INFO: shows the running command")
t.is_(f["flags"], "N", "CLIENT INFO: flags N")
t.is_(f["laddr"], "127.0.0.1:%d" % srv.port, "CLIENT INFO: laddr")
t.is_(f["argv-mem"], "10", "CLIENT INFO: argv-mem of CLIENT INFO")
t.is_(a.cmd("CLIENT", "GETNAME"), None, "GETNAME without a name: nil")
t.is_(a.cmd("CLIENT", "SETNAME", "alpha"), "OK", "SETNAME")
t.is_(a.cmd("CLIENT", "GETNAME"), b"alpha", "GETNAME")
t.is_(a.cmd("CLIENT", "SETNAME", "a b"),
      "ERR Client names cannot contain spaces, newlines or special characters.",
      "SETNAME refuses spaces")
t.is_(a.cmd("CLIENT", "SETNAME", "x", "y"),
      "ERR wrong number of arguments for 'client|setname' command", "SETNAME arity")
t.is_(b.cmd("CLIENT", "SETNAME", "beta"), "OK", "SETNAME on b")
t.is_(b.cmd("CLIENT", "SETNAME", ""), "OK", "SETNAME '' clears")
t.is_(b.cmd("CLIENT", "GETNAME"), None, "cleared name is nil")
b.cmd("CLIENT", "SETNAME", "beta")
t.is_(a.cmd("CLIENT", "ID", "x"), "ERR wrong number of arguments for 'client|id' command",
      "CLIENT ID arity")
t.is_(a.cmd("CLIENT", "NOSUCH"), "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.",
      "unknown subcommand")
t.is_(a.cmd("CLIENT"), "ERR wrong number of arguments for 'client' command", "CLIENT arity")
help_ = a.cmd("CLIENT", "HELP")
t.ok(help_[0].startswith("CLIENT <subcommand>") and help_[-1] == "    Prints this help.",
     "CLIENT HELP")
t.is_(a.cmd("CLIENT", "SETINFO", "LIB-NAME", "mylib"), "OK", "SETINFO LIB-NAME")
t.is_(a.cmd("CLIENT", "SETINFO", "lib-ver", "1.2"), "OK", "SETINFO LIB-VER")
t.ok("lib-name=mylib lib-ver=1.2" in a.cmd("CLIENT", "INFO").decode(),
     "SETINFO shows in CLIENT INFO")
t.is_(a.cmd("CLIENT", "SETINFO", "bogus", "x"), "ERR Unrecognized option 'bogus'",
      "SETINFO unknown attribute")

# --- LIST -----------------------------------------------------------------------------
lines = a.cmd("CLIENT", "LIST").decode().splitlines()
names = {fields(l)["name"] for l in lines}
t.ok({"alpha", "beta"} <= names, "CLIENT LIST lists both clients")
t.ok(all(list(fields(l))[:28] == LIST_FIELDS for l in lines), "CLIENT LIST fields")
t.is_(len(a.cmd("CLIENT", "LIST", "TYPE", "normal").decode().splitlines()), len(lines),
      "LIST TYPE normal")
t.is_(a.cmd("CLIENT", "LIST", "TYPE", "pubsub"), b"", "LIST TYPE pubsub: empty")
t.is_(a.cmd("CLIENT", "LIST", "TYPE", "replica"), b"", "LIST TYPE replica: empty")
t.is_(a.cmd("CLIENT", "LIST", "TYPE", "bogus"), "ERR Unknown client type 'bogus'",
      "LIST TYPE bogus")
byid = a.cmd("CLIENT", "LIST", "ID", str(idb), "999999", str(ida)).decode().splitlines()
t.is_([fields(l)["id"] for l in byid], [str(idb), str(ida)], "LIST ID in the order asked")
t.is_(a.cmd("CLIENT", "LIST", "ID", "1", "x"), "ERR Invalid client ID", "LIST ID not a number")
t.is_(a.cmd("CLIENT", "LIST", "ID"), "ERR syntax error", "LIST ID without ids")
t.is_(a.cmd("CLIENT", "LIST", "TYPE", "normal", "ID", "3"), "ERR syntax error",
      "LIST TYPE and ID together")
t.is_(r.client_list(_type="normal")[0]["flags"], "N", "redis-py parses CLIENT LIST")

# --- NO-EVICT, REPLY ---------------------------------------------------------------------
t.is_(a.cmd("CLIENT", "NO-EVICT", "on"), "OK", "NO-EVICT on")
t.is_(fields(a.cmd("CLIENT", "INFO").decode().strip())["flags"], "e", "flag e")
t.is_(a.cmd("CLIENT", "NO-EVICT", "off"), "OK", "NO-EVICT off")
t.is_(a.cmd("CLIENT", "NO-EVICT", "maybe"), "ERR syntax error", "NO-EVICT bad value")

c = srv.raw()
c.send(rhtest.encode("CLIENT", "REPLY", "OFF") + rhtest.encode("PING") +
       rhtest.encode("CLIENT", "REPLY", "bogus") + rhtest.encode("CLIENT", "REPLY", "SKIP") +
       rhtest.encode("CLIENT", "REPLY", "ON") + rhtest.encode("ECHO", "after"))
t.is_(c.reply(), "OK", "REPLY OFF: nothing until REPLY ON answers OK")
t.is_(c.reply(), b"after", "REPLY ON: replies again")
c.send(rhtest.encode("CLIENT", "REPLY", "SKIP") + rhtest.encode("ECHO", "skipped") +
       rhtest.encode("ECHO", "shown"))
t.is_(c.reply(), b"shown", "REPLY SKIP skips only the next command")
t.is_(c.cmd("CLIENT", "REPLY", "bogus"), "ERR syntax error", "REPLY bad value")
c.close()

# --- KILL -----------------------------------------------------------------------------
t.is_(a.cmd("CLIENT", "KILL", "1.2.3.4:5"), "ERR No such client", "KILL old form: no client")
t.is_(a.cmd("CLIENT", "KILL", "ID", "999999"), 0, "KILL ID unknown: 0")
t.is_(a.cmd("CLIENT", "KILL", "ID", "abc"), "ERR client-id should be greater than 0",
      "KILL ID not a number")
t.is_(a.cmd("CLIENT", "KILL", "ID", "0"), "ERR client-id should be greater than 0", "KILL ID 0")
t.is_(a.cmd("CLIENT", "KILL", "bogus", "x"), "ERR syntax error", "KILL bad option")
t.is_(a.cmd("CLIENT", "KILL", "ID", "1", "SKIPME"), "ERR syntax error", "KILL option without value")
t.is_(a.cmd("CLIENT", "KILL", "SKIPME", "maybe"), "ERR syntax error", "KILL SKIPME bad value")
t.is_(a.cmd("CLIENT", "KILL", "TYPE", "bogus"), "ERR Unknown client type 'bogus'",
      "KILL TYPE bogus")
t.is_(a.cmd("CLIENT", "KILL", "TYPE", "master"), 0, "KILL TYPE master: 0")
t.is_(a.cmd("CLIENT", "KILL", "USER", "nobody"), "ERR No such user 'nobody'", "KILL USER unknown")
t.is_(a.cmd("CLIENT", "KILL", "MAXAGE", "10"), "ERR syntax error", "KILL MAXAGE is not 7.0")
t.is_(a.cmd("CLIENT", "KILL", "ID", str(idb)), 1, "KILL ID kills b")
t.ok(b.closed(), "killed client is disconnected")

d = srv.raw()
d_addr = fields(d.cmd("CLIENT", "INFO").decode().strip())["addr"]
t.is_(a.cmd("CLIENT", "KILL", d_addr), "OK", "KILL old form ip:port")
t.ok(d.closed(), "old form closes the client")

e = srv.raw()
e_addr = fields(e.cmd("CLIENT", "INFO").decode().strip())["addr"]
t.is_(a.cmd("CLIENT", "KILL", "ADDR", e_addr, "LADDR", "127.0.0.1:%d" % srv.port), 1,
      "KILL ADDR and LADDR")
t.ok(e.closed(), "ADDR kill closes it")

f1 = srv.raw()
t.is_(f1.cmd("CLIENT", "KILL", "ID", str(f1.cmd("CLIENT", "ID"))), 0,
      "KILL of oneself is skipped by default")
t.is_(f1.cmd("CLIENT", "KILL", "ID", str(f1.cmd("CLIENT", "ID")), "SKIPME", "no"), 1,
      "KILL SKIPME no: replies before closing")
t.ok(f1.closed(), "the caller is closed after its reply")

g = srv.raw()
g_addr = fields(g.cmd("CLIENT", "INFO").decode().strip())["addr"]
t.is_(g.cmd("CLIENT", "KILL", g_addr), "OK", "old form may kill the caller (OK first)")
t.ok(g.closed(), "old form self-kill closes after the reply")

h1, h2 = srv.raw(), srv.raw()
h1.cmd("PING")
h2.cmd("PING")
n = a.cmd("CLIENT", "KILL", "TYPE", "normal")
t.ok(n >= 3, "KILL TYPE normal kills all other normal clients (%s)" % n)
t.ok(h1.closed() and h2.closed(), "they are gone")
t.is_(a.cmd("PING"), "PONG", "the caller survives (SKIPME yes)")

# --- PAUSE / UNPAUSE -------------------------------------------------------------------
r = srv.client()
t.is_(a.cmd("CLIENT", "PAUSE"), "ERR wrong number of arguments for 'client|pause' command",
      "PAUSE arity")
t.is_(a.cmd("CLIENT", "PAUSE", "abc"), "ERR timeout is not an integer or out of range",
      "PAUSE bad timeout")
t.is_(a.cmd("CLIENT", "PAUSE", "-1"), "ERR timeout is negative", "PAUSE negative")
t.is_(a.cmd("CLIENT", "PAUSE", "10", "bogus"), "ERR CLIENT PAUSE mode must be WRITE or ALL",
      "PAUSE bad mode")
t.is_(a.cmd("CLIENT", "PAUSE", "abc", "bogus"), "ERR CLIENT PAUSE mode must be WRITE or ALL",
      "PAUSE checks the mode first")
t.is_(a.cmd("CLIENT", "PAUSE", "10", "all", "x"),
      "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.",
      "PAUSE too many arguments")

# WRITE pause: reads go on, writes wait until UNPAUSE.
t.is_(a.cmd("CLIENT", "PAUSE", "100000", "WRITE"), "OK", "PAUSE WRITE")
w = srv.raw()
t.is_(w.cmd("GET", "x"), None, "reads run during a WRITE pause")
w.send(rhtest.encode("SET", "x", "1"))
w.sock.settimeout(0.3)
try:
    w.reply()
    got_early = True
except OSError:
    got_early = False
w.sock.settimeout(10)
t.ok(not got_early, "a write waits during a WRITE pause")
start = time.monotonic()
t.is_(a.cmd("CLIENT", "UNPAUSE"), "OK", "UNPAUSE")
t.is_(w.reply(), "OK", "the write runs after UNPAUSE")
t.ok(time.monotonic() - start < 1.0, "promptly")

# ALL pause with a timeout: everything waits until it expires.
t.is_(a.cmd("CLIENT", "PAUSE", "300"), "OK", "PAUSE 300 (ALL)")
start = time.monotonic()
t.is_(w.cmd("GET", "x"), b"1", "a read runs once the pause ends")
waited = time.monotonic() - start
t.ok(0.2 <= waited < 3, "it waited for the pause (%.2fs)" % waited)

# A second, shorter pause does not shorten the first.
a.cmd("CLIENT", "PAUSE", "400", "WRITE")
a.cmd("CLIENT", "PAUSE", "10", "WRITE")
start = time.monotonic()
w.cmd("SET", "x", "2")
t.ok(time.monotonic() - start >= 0.25, "a shorter second pause keeps the first")

# During an ALL pause even UNPAUSE waits, as in Redis.
a.cmd("CLIENT", "PAUSE", "300", "ALL")
start = time.monotonic()
t.is_(w.cmd("CLIENT", "UNPAUSE"), "OK", "UNPAUSE during an ALL pause")
t.ok(time.monotonic() - start >= 0.2, "it waited for the ALL pause to end")
w.close()
a.close()
t.done()
