"""Limits: output buffer limits, backpressure, query buffer limit, protected mode."""
import os
import socket
import subprocess
import sys
import textwrap

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
srv = rhtest.Server()
r = srv.client()
r.set("big", b"x" * (100 * 1024))

# --- backpressure: a client that does not read stops being served -----------
c = srv.raw()
n = 400  # 400 x 100KB = 40MB of replies if nobody pushed back
c.send(rhtest.encode("GET", "big") * n)


def held_back():
    """True once the server stopped serving the reader with commands left
    unprocessed in its query buffer."""
    for cl in r.client_list():
        if cl.get("cmd") == "get" and int(cl.get("qbuf", 0)) > 0:
            return True
    return False


rhtest.wait_for(held_back, what="commands held back in the query buffer")
used = r.info("memory")["used_memory"]
t.ok(used < 30 * 1024 * 1024, "output held back while the client does not read (%d)" % used)
got = sum(1 for _ in range(n) if len(c.reply()) == 100 * 1024)
t.is_(got, n, "every reply delivered once the client reads")
c.close()

# --- hard output buffer limit closes the client -----------------------------
r.config_set("client-output-buffer-limit", "normal 1mb 0 0")
before = r.info("stats").get("client_output_buffer_limit_disconnections", 0)
c = srv.raw()
c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
c.send(rhtest.encode("GET", "big") * 200)
t.ok(c.closed(timeout=15), "client over the hard limit is closed")
after = r.info("stats").get("client_output_buffer_limit_disconnections", 0)
t.ok(after > before, "client_output_buffer_limit_disconnections counted")
t.ok("overcoming of output buffer limits" in srv.log_text(), "the closing is logged")

# --- soft limit: closed after staying over it for the given seconds ----------
r.config_set("client-output-buffer-limit", "normal 0 512kb 1")
c = srv.raw()
c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
c.send(rhtest.encode("GET", "big") * 100)
t.ok(c.closed(timeout=15), "client over the soft limit for longer than 1s is closed")
r.config_set("client-output-buffer-limit", "normal 0 0 0")

# --- query buffer limit --------------------------------------------------------
r.config_set("client-query-buffer-limit", "1mb")
c = srv.raw()
try:
    c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (4 * 1024 * 1024))
    c.send(b"y" * (2 * 1024 * 1024))
except OSError:
    pass
t.ok(c.closed(timeout=15), "client past client-query-buffer-limit is closed")
t.ok("max query buffer length" in srv.log_text(), "query buffer closing logged")
r.config_set("client-query-buffer-limit", "1gb")

# --- protected mode, from a non-loopback address in a private namespace ------
ns_script = textwrap.dedent("""
    import socket, subprocess, sys, time
    sys.path.insert(0, %(lib)r)
    import rhtest
    subprocess.run("ip link set lo up && ip link add v0 type veth peer name v1 && "
                   "ip addr add 192.0.2.1/24 dev v0 && ip link set v0 up && "
                   "ip link set v1 up", shell=True, check=True)
    srv = rhtest.Server(config="bind 127.0.0.1 192.0.2.1\\nprotected-mode yes\\n")
    def first_reply(password=None):
        s = socket.create_connection(("192.0.2.1", srv.port), timeout=10)
        s.bind if False else None
        s.sendall(b"*1\\r\\n$4\\r\\nPING\\r\\n")
        data = b""
        while not data.endswith(b"\\r\\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.decode()
    print("DENIED" if first_reply().startswith("-DENIED Redis is running in protected mode")
          else "ALLOWED")
    srv.client().config_set("requirepass", "pw")
    print("AUTH" if first_reply().startswith("-NOAUTH") else "OTHER")
    srv.client(password="pw").config_set("requirepass", "")
    srv.client().config_set("protected-mode", "no")
    print("PONG" if first_reply().startswith("+PONG") else "OTHER")
    print("PROBLEM %%s" %% srv.stop())
""") % {"lib": os.path.join(os.path.dirname(__file__), "..", "lib")}
if os.geteuid() == 0 and subprocess.run(["unshare", "--net", "true"]).returncode == 0:
    p = subprocess.run(["unshare", "--net", "/usr/bin/python3", "-c", ns_script],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ))
    lines = p.stdout.split()
    t.ok("DENIED" in lines, "protected mode refuses a non-loopback client with Redis's text")
    t.ok("AUTH" in lines, "with a password set, non-loopback clients are accepted")
    t.ok("PONG" in lines, "protected-mode no accepts non-loopback clients")
    t.ok("PROBLEM None" in p.stdout, "namespace server stopped cleanly")
    if p.returncode != 0 or "PROBLEM None" not in p.stdout:
        t.diag(p.stdout + p.stderr)
else:
    for name in ("protected mode denied", "password accepted", "protected-mode no",
                 "namespace server"):
        t.skip(name, "needs root and network namespaces")
t.done()
