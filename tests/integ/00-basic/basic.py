"""Protocol basics: RESP2/RESP3, inline, pipelining, limits, errors, timeouts."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
srv = rhtest.Server()
r = srv.client()

# --- basics with redis-py ----------------------------------------------------
t.is_(r.ping(), True, "PING")
t.is_(r.echo("hello"), b"hello", "ECHO")
c = srv.raw()
t.is_(c.cmd("PING", "x"), b"x", "PING with argument is a bulk")
t.is_(c.cmd("PING", "a", "b"),
      "ERR wrong number of arguments for 'ping' command", "PING arity error")
t.is_(c.cmd("NOSUCH", "a", "b"),
      "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ",
      "unknown command text")
t.is_(c.cmd("ECHO"), "ERR wrong number of arguments for 'echo' command",
      "ECHO arity error")
t.is_(c.cmd("SELECT", "16"), "ERR DB index is out of range", "SELECT out of range")
t.is_(c.cmd("SELECT", "x"), "ERR value is not an integer or out of range", "SELECT not int")

# --- inline commands ---------------------------------------------------------
c.send(b'ECHO "a b\\x41"\r\n')
t.is_(c.reply(), b"a bA", "inline command with quotes and escapes")
c.send(b"PING\n")
t.is_(c.reply(), "PONG", "inline command ended by LF alone")

# --- RESP3 -------------------------------------------------------------------
h = c.cmd("HELLO", "3")
t.ok(isinstance(h, dict) and h.get(b"proto") == 3 and h.get(b"version") == b"7.0.15",
     "HELLO 3 returns a map with proto 3")
t.is_(c.cmd("HELLO", "4"), "NOPROTO unsupported protocol version", "HELLO 4 refused")
c.close()

# --- pipelining 100k commands in one write ------------------------------------
c = srv.raw()
n = 100000
c.send(b"*1\r\n$4\r\nPING\r\n" * n)
got = 0
while got < n:
    rep = c.reply()
    if rep != "PONG":
        break
    got += 1
t.is_(got, n, "100k pipelined PINGs answered in order")
c.close()

# --- protocol errors close the connection -----------------------------------
c = srv.raw()
c.send(b"*1\r\n$abc\r\n")
t.is_(c.reply(), "ERR Protocol error: invalid bulk length", "bad bulk length text")
t.ok(c.closed(), "connection closed after protocol error")

c = srv.raw()
c.send(b"*3000000\r\n")
t.is_(c.reply(), "ERR Protocol error: invalid multibulk length",
      "oversized multibulk count rejected")
t.ok(c.closed(), "closed after oversized multibulk")

# A bulk length above proto-max-bulk-len is refused before any byte of it.
c = srv.raw()
c.send(b"*2\r\n$3\r\nSET\r\n$%d\r\n" % (600 * 1024 * 1024))
t.is_(c.reply(), "ERR Protocol error: invalid bulk length",
      "bulk above proto-max-bulk-len rejected")
t.ok(c.closed(), "closed after oversized bulk")
info_mem = r.info("memory")["used_memory"]
t.ok(info_mem < 100 * 1024 * 1024, "no memory reserved for the rejected bulk (%d)" % info_mem)

c = srv.raw()
c.send(b"x" * (70 * 1024))
t.is_(c.reply(), "ERR Protocol error: too big inline request", "too big inline request")
t.ok(c.closed(), "closed after too big inline")

c = srv.raw()
c.send(b'ECHO "unbalanced\r\n')
t.is_(c.reply(), "ERR Protocol error: unbalanced quotes in request", "unbalanced quotes")
c.close()

# --- big argument path ----------------------------------------------------------
c = srv.raw()
big = os.urandom(3 * 1024 * 1024)
c.send(rhtest.encode("ECHO", big))
t.ok(c.reply() == big, "3MB argument echoed intact")
c.close()

# --- QUIT -------------------------------------------------------------------------
c = srv.raw()
t.is_(c.cmd("QUIT"), "OK", "QUIT replies OK")
t.ok(c.closed(), "QUIT closes the connection")

# --- maxclients -------------------------------------------------------------------
r.config_set("maxclients", "3")
conns = [srv.raw() for _ in range(2)]  # with r, that is 3 clients
extra = srv.raw()
t.is_(extra.reply(), "ERR max number of clients reached", "maxclients error text")
t.ok(extra.closed(), "refused client is closed")
stats = r.info("stats")
t.ok(stats["rejected_connections"] >= 1, "rejected_connections counted")
for x in conns:
    x.close()
rhtest.wait_for(lambda: r.info("clients")["connected_clients"] == 1, what="clients gone")
r.config_set("maxclients", "10000")

# --- idle timeout -----------------------------------------------------------------
r.config_set("timeout", "1")
idle = srv.raw()
t.ok(idle.closed(timeout=8), "idle client closed after timeout")
r.config_set("timeout", "0")

# --- unauthenticated limits ---------------------------------------------------
r.config_set("requirepass", "secret")
c = srv.raw()
t.is_(c.cmd("GET", "x"), "NOAUTH Authentication required.", "NOAUTH before AUTH")
c.send(b"*20\r\n")
t.is_(c.reply(), "ERR Protocol error: unauthenticated multibulk length",
      "unauthenticated multibulk limit")
c = srv.raw()
t.is_(c.cmd("AUTH", "wrong"), "WRONGPASS invalid username-password pair or user is disabled.",
      "wrong password")
t.is_(c.cmd("AUTH", "secret"), "OK", "AUTH ok")
t.is_(c.cmd("PING"), "PONG", "commands after AUTH")
c.cmd("CONFIG", "SET", "requirepass", "")
c.close()

t.done()
