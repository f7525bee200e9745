"""systemd integration without systemd: READY/STATUS/WATCHDOG/STOPPING through a
notify socket of our own, and socket activation through LISTEN_FDS."""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
d = rhtest.tmpdir()

built_with_systemd = b"HAVE_SYSTEMD 1" in open(
    os.path.join(rhtest.TOP_BUILDDIR, "config.h"), "rb").read()

# --- sd_notify -------------------------------------------------------------------
nsock_path = os.path.join(d, "notify.sock")
nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
nsock.bind(nsock_path)
nsock.settimeout(0.2)
messages = []


def drain():
    while True:
        try:
            messages.append(nsock.recv(4096).decode())
        except socket.timeout:
            return


def seen(text):
    drain()
    return any(text in m for m in messages)


port = rhtest.free_port()
env = dict(os.environ, NOTIFY_SOCKET=nsock_path, WATCHDOG_USEC="400000")
log = open(os.path.join(d, "notify.log"), "wb")
p = subprocess.Popen([rhtest.OUR_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                      "--save", "", "--supervised", "auto"], stdout=log, stderr=log,
                     env=env, cwd=d)
try:
    if built_with_systemd:
        rhtest.wait_for(lambda: seen("READY=1"), what="READY=1")
        t.ok(True, "READY=1 sent")
        t.ok(seen("STATUS=Ready to accept connections"), "STATUS= sent with READY")
        t.is_(rhtest.RawConn(port).cmd("PING"), "PONG", "listening when READY=1 arrives")
        messages.clear()
        rhtest.wait_for(lambda: sum("WATCHDOG=1" in m for m in messages) >= 3 or
                        (drain() and False), timeout=10, what="watchdog beats")
        t.ok(True, "WATCHDOG=1 sent periodically")
        # A stuck loop stops the heartbeat.
        os.kill(p.pid, signal.SIGSTOP)
        time.sleep(0.5)
        drain()
        messages.clear()
        time.sleep(1.0)
        drain()
        t.ok(not any("WATCHDOG=1" in m for m in messages), "no heartbeat while stopped")
        os.kill(p.pid, signal.SIGCONT)
        p.terminate()
        p.wait(15)
        t.ok(seen("STOPPING=1"), "STOPPING=1 on shutdown")
    else:
        rhtest.wait_for(lambda: b"built without libsystemd" in
                        open(os.path.join(d, "notify.log"), "rb").read(), what="warning")
        t.ok(True, "a build without libsystemd warns when NOTIFY_SOCKET is set")
finally:
    if p.poll() is None:
        os.kill(p.pid, signal.SIGCONT)
        p.terminate()
        p.wait(15)
t.is_(p.returncode, 0, "notify-mode server exited cleanly")

# --- a slow load: STATUS progress and EXTEND_TIMEOUT_USEC, then READY -------------
if built_with_systemd:
    seed = rhtest.Server(config="")
    sc = seed.client()
    for i in range(12):
        sc.rpush("k%d" % i, "v")
    sc.execute_command("SAVE")
    seed.stop()
    messages.clear()
    drain()
    messages.clear()
    p = subprocess.Popen([rhtest.OUR_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                          "--save", "", "--supervised", "systemd", "--dir", seed.dir,
                          "--key-load-delay", "250000"], stdout=log, stderr=log, env=env, cwd=d)
    try:
        rhtest.wait_for(lambda: seen("READY=1"), timeout=30, what="READY=1 after loading")
        ready_at = next(i for i, m in enumerate(messages) if "READY=1" in m)
        before = messages[:ready_at]
        t.ok(any("STATUS=Loading the dataset" in m for m in before),
             "STATUS= reports loading progress before READY")
        t.ok(any("EXTEND_TIMEOUT_USEC=" in m for m in before),
             "EXTEND_TIMEOUT_USEC= is sent while loading, before READY")
        t.is_(rhtest.RawConn(port).cmd("LLEN", "k11"), 1, "READY=1 only once the dataset is loaded")
    finally:
        p.terminate()
        p.wait(15)
    t.is_(p.returncode, 0, "the slow-loading server exited cleanly")

# --- socket activation -------------------------------------------------------------
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(128)
aport = lsock.getsockname()[1]
unused_port = rhtest.free_port()


# subprocess closes descriptors not in pass_fds after preexec_fn runs, so fd 3
# must be listed too for the dup2 below to survive.
def as_fd3():
    os.dup2(lsock.fileno(), 3)
    os.set_inheritable(3, True)


env = dict(os.environ, LISTEN_FDS="1", LISTEN_FDNAMES="tcp")
env.pop("NOTIFY_SOCKET", None)
log2 = open(os.path.join(d, "activation.log"), "wb")
p = subprocess.Popen(["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', rhtest.OUR_SERVER,
                      "--port", str(unused_port), "--save", ""],
                     stdout=log2, stderr=log2, env=env, cwd=d, preexec_fn=as_fd3,
                     pass_fds=(3, lsock.fileno()))
try:
    if built_with_systemd:
        # Connections queue in the inherited socket even before the server runs.
        c = socket.create_connection(("127.0.0.1", aport), timeout=10)
        c.sendall(b"PING\r\n")
        t.is_(c.recv(100), b"+PONG\r\n", "served on the inherited socket")
        c.close()
        refused = False
        try:
            socket.create_connection(("127.0.0.1", unused_port), timeout=2).close()
        except OSError:
            refused = True
        t.ok(refused, "configured port ignored when sockets are inherited")
        t.ok(b"socket activation: adopted 1" in open(os.path.join(d, "activation.log"),
                                                         "rb").read(), "adoption logged")
    else:
        for n in ("inherited socket", "port ignored", "logged"):
            t.skip(n, "built without libsystemd")
finally:
    p.terminate()
    p.wait(15)
t.is_(p.returncode, 0, "socket-activated server exited cleanly")
t.done()
