"""DEBUG: enable-debug-command gating, SLEEP, OBJECT, SET-ACTIVE-EXPIRE,
PROTOCOL, DIGEST, DIGEST-VALUE, POPULATE, HELP and error texts, compared
with the reference redis-server 7.0.15 where the reply is deterministic."""
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

NOT_ALLOWED = ("ERR DEBUG command not allowed. If the enable-debug-command option is set "
               "to \"local\", you can run it from a local connection, otherwise you need "
               "to set this option in the configuration file, and then restart the server.")


class TypedConn(rhtest.RawConn):
    """Replies as (type, payload) pairs; attributes as ('|', pairs, reply)."""

    def typed(self, *args):
        self.send(rhtest.encode(*args))
        return self.typed_reply()

    def typed_reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-", b":", b",", b"#", b"(", b"_"):
            return (t.decode(), rest)
        if t in (b"$", b"="):
            n = int(rest)
            return (t.decode(), None if n < 0 else self._exact(n))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return (t.decode(), None if n < 0 else [self.typed_reply() for _ in range(n)])
        if t in (b"%", b"|"):
            items = [(self.typed_reply(), self.typed_reply()) for _ in range(int(rest))]
            if t == b"|":
                return ("|", items, self.typed_reply())
            return ("%", items)
        raise ValueError("unknown reply %r" % line)


t = rhtest.Tap()

# --- gating ---------------------------------------------------------------------
off = rhtest.Server()
c = off.raw()
t.is_(c.cmd("DEBUG", "HELP"), NOT_ALLOWED, "DEBUG refused by default")
t.is_(c.cmd("DEBUG", "DIGEST"), NOT_ALLOWED, "every subcommand refused")
t.is_(c.cmd("DEBUG"), "ERR wrong number of arguments for 'debug' command",
      "arity is checked first")
c.close()
off.stop()

sock = os.path.join(rhtest.tmpdir(), "redis.sock")
local = rhtest.Server(config="enable-debug-command local\nunixsocket %s\n" % sock)
c = local.raw()
t.is_(c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK", "local: loopback TCP client allowed")
c.close()
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.connect(sock)
u.sendall(rhtest.encode("DEBUG", "SET-ACTIVE-EXPIRE", "1"))
t.is_(u.recv(100), b"+OK\r\n", "local: unix socket client allowed")
u.close()
local.stop()

# --- the rest against the reference -------------------------------------------------
ours = rhtest.Server(config="enable-debug-command yes\n")
ref = rhtest.ref_server(config="enable-debug-command yes\n")
O2, O3 = TypedConn(ours.port), TypedConn(ours.port)
O3.cmd("HELLO", "3")
R2 = R3 = None
if ref is not None:
    R2, R3 = TypedConn(ref.port), TypedConn(ref.port)
    R3.cmd("HELLO", "3")


def same(name, *args):
    """The reply of ours equals the reference's in RESP2 and RESP3."""
    if ref is None:
        t.skip(name, "no reference server")
        return
    for proto, o, r in ((2, O2, R2), (3, O3, R3)):
        got, want = o.typed(*args), r.typed(*args)
        if not t.is_(got, want, "%s (RESP%d)" % (name, proto)):
            return


for ty in ("string", "integer", "double", "bignum", "null", "array", "set", "map",
           "attrib", "push", "verbatim", "true", "false", "nosuch", "STRING"):
    same("DEBUG PROTOCOL %s" % ty, "DEBUG", "PROTOCOL", ty)

for args in (("DEBUG", "NOSUCH"), ("DEBUG", "OBJECT"), ("DEBUG", "SLEEP"),
             ("DEBUG", "PROTOCOL", "a", "b"), ("DEBUG", "DIGEST", "x"),
             ("DEBUG", "SET-ACTIVE-EXPIRE"), ("DEBUG", "POPULATE", "1", "a", "2", "x"),
             ("DEBUG", "POPULATE", "-1"), ("DEBUG", "POPULATE", "x"),
             ("DEBUG", "POPULATE", "1", "p", "-5"), ("DEBUG", "OBJECT", "nosuch"),
             ("DEBUG", "ERROR", "BOOM it failed"), ("DEBUG", "CHANGE-REPL-ID"),
             ("DEBUG", "DIGEST-VALUE"), ("DEBUG", "DIGEST-VALUE", "nosuch")):
    same(" ".join(args), *args)

# --- digests ------------------------------------------------------------------------
r = ours.client()
t.is_(r.execute_command("DEBUG", "DIGEST"), b"0" * 40, "empty dataset digest is zeros")


def load(client, order):
    for k in order:
        client.set("k%d" % k, "v%d" % k)
    client.set("int", "12345")
    client.set("long", "x" * 100)
    client.pexpireat("k3", 99999999999999)


load(r, range(10))
d1 = r.execute_command("DEBUG", "DIGEST")
t.ok(re.fullmatch(rb"[0-9a-f]{40}", d1) is not None and d1 != b"0" * 40,
     "digest is 40 hex digits")
dv = r.execute_command("DEBUG", "DIGEST-VALUE", "k1", "int", "nosuch")
t.is_(len(dv), 3, "DIGEST-VALUE gives one digest per key")
t.is_(dv[2], b"0" * 40, "DIGEST-VALUE of a missing key is zeros")
other = rhtest.Server(config="enable-debug-command yes\n")
ro = other.client()
load(ro, reversed(range(10)))
t.is_(ro.execute_command("DEBUG", "DIGEST"), d1, "same data in another order: same digest")
ro.set("int", "12346")
t.ok(ro.execute_command("DEBUG", "DIGEST") != d1, "a changed value changes the digest")
ro.set("int", "12345")
ro.persist("k3")
t.ok(ro.execute_command("DEBUG", "DIGEST") != d1, "a removed TTL changes the digest")
other.stop()
if ref is not None:
    rr = ref.client()
    load(rr, range(10))
    t.is_(d1, rr.execute_command("DEBUG", "DIGEST"), "digest equals the reference's")
    t.is_(dv, rr.execute_command("DEBUG", "DIGEST-VALUE", "k1", "int", "nosuch"),
          "DIGEST-VALUE equals the reference's")
r.flushall()
t.is_(r.execute_command("DEBUG", "DIGEST"), b"0" * 40, "digest is zeros after FLUSHALL")

# --- OBJECT -----------------------------------------------------------------------------
r.set("s", "hello")
r.set("n", "12345")
line = r.execute_command("DEBUG", "OBJECT", "s")
t.ok(re.fullmatch(rb"Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 "
                  rb"lru:\d+ lru_seconds_idle:\d+", line) is not None,
     "DEBUG OBJECT of an embstr: %s" % line.decode())
line = r.execute_command("DEBUG", "OBJECT", "n")
t.ok(re.search(rb" encoding:int serializedlength:3 ", line) is not None,
     "DEBUG OBJECT of an int: %s" % line.decode())
t.is_(O2.typed("DEBUG", "OBJECT", "s")[0], "+", "DEBUG OBJECT replies with a status")

# --- POPULATE ---------------------------------------------------------------------------
r.flushall()
t.is_(r.execute_command("DEBUG", "POPULATE", "100"), b"OK", "POPULATE 100")
t.is_(r.dbsize(), 100, "100 keys created")
t.is_(r.get("key:0"), b"value:0", "key:0 holds value:0")
t.is_(r.get("key:99"), b"value:99", "key:99 holds value:99")
r.set("key:5", "mine")
r.execute_command("DEBUG", "POPULATE", "10")
t.is_(r.get("key:5"), b"mine", "existing keys are left alone")
r.execute_command("DEBUG", "POPULATE", "2", "foo", "10")
t.is_(r.get("foo:1"), b"value:1\0\0\0", "size pads with zero bytes")
r.execute_command("DEBUG", "POPULATE", "1", "bar", "3")
t.is_(r.get("bar:0"), b"val", "size cuts longer values")
r.execute_command("DEBUG", "POPULATE", "1", "zero", "0")
t.is_(r.get("zero:0"), b"value:0", "size 0 means no size")
t.is_(r.execute_command("DEBUG", "POPULATE", "0"), b"OK", "POPULATE 0")

# --- SLEEP blocks the server -------------------------------------------------------
started = threading.Event()
slept = {}


def sleeper():
    c2 = ours.client()
    started.set()
    t0 = time.monotonic()
    c2.execute_command("DEBUG", "SLEEP", "0.5")
    slept["secs"] = time.monotonic() - t0


th = threading.Thread(target=sleeper)
th.start()
started.wait(5)
time.sleep(0.1)
t0 = time.monotonic()
r.ping()
blocked = time.monotonic() - t0
th.join(10)
t.ok(slept.get("secs", 0) >= 0.5, "DEBUG SLEEP 0.5 sleeps (%.2fs)" % slept.get("secs", 0))
t.ok(blocked >= 0.2, "another client waits meanwhile (%.2fs)" % blocked)
t.is_(r.execute_command("DEBUG", "SLEEP", "0"), b"OK", "DEBUG SLEEP 0")
t.is_(r.execute_command("DEBUG", "SLEEP", "x"), b"OK", "DEBUG SLEEP of junk sleeps not")

# --- SET-ACTIVE-EXPIRE ----------------------------------------------------------------
r.flushall()
t.is_(r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0"), b"OK", "active expiry off")
r.set("e", "1", px=50)
time.sleep(0.5)
t.is_(r.dbsize(), 1, "expired key stays while active expiry is off")
t.is_(r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1"), b"OK", "active expiry on")
rhtest.wait_for(lambda: r.dbsize() == 0, timeout=10, what="active expiry")
t.ok(True, "expired key removed once active expiry is back")

# --- HELP ---------------------------------------------------------------------------------
h = r.execute_command("DEBUG", "HELP")
t.is_(h[0], b"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "HELP header")
t.is_(h[-2:], [b"HELP", b"    Prints this help."], "HELP footer")
for word in (b"DIGEST", b"OBJECT <key>", b"SLEEP <seconds>", b"PROTOCOL <type>"):
    t.ok(any(line.startswith(word) for line in h), "HELP mentions %s" % word.decode())

t.done()
