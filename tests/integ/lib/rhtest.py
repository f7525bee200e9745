"""rhtest: the integration-test toolkit for redis-ha.

Starts real server processes on 127.0.0.1 with free ports inside a private
temporary directory, talks to them with redis-py or raw sockets, waits by
polling with deadlines, prints TAP, and cleans up every process it started
(by PID) and its directory when the test ends.

Typical use:

    import rhtest
    t = rhtest.Tap()
    srv = rhtest.Server()            # our redis-server
    r = srv.client()                 # redis.Redis
    t.is_(r.ping(), True, "ping")
    t.done()                         # prints the plan, stops servers, exits
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import redis  # Debian's python3-redis

TOP_BUILDDIR = os.environ.get("top_builddir") or os.getcwd()
TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUR_SERVER = os.path.join(TOP_BUILDDIR, "src", "redis-server")
REF_SERVER = "/usr/bin/redis-server"

_started = []
_tmpdirs = []


def _cleanup():
    for s in list(_started):
        s.kill()
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def tmpdir():
    """A private directory removed when the test ends."""
    d = tempfile.mkdtemp(prefix="rhtest-")
    _tmpdirs.append(d)
    return d


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, timeout=10.0, interval=0.02, what="condition"):
    """Polls cond() until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - polling tolerates transient errors
            last_exc = e
        time.sleep(interval)
    raise TimeoutError("timed out waiting for %s (last error: %r)" % (what, last_exc))


class Tap:
    """A TAP producer. done() prints the plan and exits with the status."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        sys.stdout.reconfigure(line_buffering=True)

    def ok(self, cond, name):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name))
        return bool(cond)

    def is_(self, got, want, name):
        good = got == want
        self.ok(good, name)
        if not good:
            self.diag("got:  %r" % (got,))
            self.diag("want: %r" % (want,))
        return good

    def raises(self, fn, text, name):
        """fn() must raise an exception whose message contains text."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            good = text in str(e)
            self.ok(good, name)
            if not good:
                self.diag("error was: %s" % e)
            return good
        self.ok(False, name)
        self.diag("no error raised")
        return False

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why))

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line)

    def done(self):
        for s in list(_started):
            problem = s.stop()
            if problem:
                self.ok(False, "server %s exited cleanly" % s.port)
                self.diag(problem)
        print("1..%d" % self.n)
        sys.stdout.flush()
        _cleanup()
        sys.exit(1 if self.failed else 0)


class Server:
    """A redis-server process (ours by default) on a free port.

    config: extra redis.conf text written to the config file.
    args: extra command-line arguments (after the config file).
    """

    def __init__(self, config="", args=(), binary=None, port=None, start=True,
                 wait=True, conf_name="redis.conf"):
        self.binary = binary or OUR_SERVER
        self.dir = tmpdir()
        self.port = port or free_port()
        self.conf = os.path.join(self.dir, conf_name)
        self.log = os.path.join(self.dir, "server.log")
        with open(self.conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndir %s\nsave \"\"\nappendonly no\n"
                    % (self.port, self.dir))
            f.write(config)
        self.args = list(args)
        self.proc = None
        if start:
            self.start(wait=wait)

    def start(self, wait=True):
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen([self.binary, self.conf] + self.args,
                                         stdout=logf, stderr=logf, cwd=self.dir,
                                         env=env)
        _started.append(self)
        if wait:
            self.wait_ready()
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def wait_ready(self, timeout=15.0):
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s"
                                   % (self.proc.returncode, self.log_text()))
            return redis.Redis(port=self.port, socket_timeout=1).ping()
        wait_for(ready, timeout, what="server on port %d" % self.port)

    def client(self, **kw):
        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def raw(self):
        return RawConn(self.port)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Stops the server; returns a problem description or None."""
        if self.proc is None:
            return None
        if self in _started:
            _started.remove(self)
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "server did not stop within %.0fs" % timeout
        rc = self.proc.returncode
        self.proc = None
        text = self.log_text()
        if "ERROR: AddressSanitizer" in text or "runtime error:" in text or \
                "ERROR: LeakSanitizer" in text:
            return "sanitizer report:\n" + text[-4000:]
        if sig == signal.SIGTERM and rc not in (0, None):
            return "exit status %s\n%s" % (rc, text[-2000:])
        return None

    def kill(self):
        if self in _started:
            _started.remove(self)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def ref_server(config="", args=()):
    """Debian's redis-server 7.0.15 (the reference), or None if missing."""
    if not os.path.exists(REF_SERVER):
        return None
    return Server(config=config, args=args, binary=REF_SERVER)


class RawConn:
    """A raw RESP connection for protocol-level tests."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def cmd(self, *args):
        """Sends one command as a multibulk and returns its reply."""
        self.send(encode(*args))
        return self.reply()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        """Reads one reply: bytes, int, None, list, dict, or Error."""
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+",):
            return rest.decode()
        if t == b"-":
            return Error(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        if t == b"%":
            n = int(rest)
            return {_hashable(self.reply()): self.reply() for _ in range(n)}
        if t == b"_":
            return None
        if t == b",":
            return float(rest)
        if t == b"#":
            return rest == b"t"
        if t == b"=":
            data = self._exact(int(rest))
            return data[4:]
        raise ValueError("unknown reply type %r" % line)

    def closed(self, timeout=5.0):
        """True when the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionError:
            return True

    def close(self):
        self.sock.close()


def read_events(conn, n, timeout=5.0):
    """Reads n pmessage keyevent notifications from conn as (event, key);
    stops early on a timeout."""
    conn.sock.settimeout(timeout)
    events = []
    try:
        while len(events) < n:
            msg = conn.reply()
            if isinstance(msg, list) and msg[0] == b"pmessage":
                events.append((msg[2].decode().split(":", 1)[1], msg[3].decode()))
    except (socket.timeout, ConnectionError):
        pass
    return events


def check_keyevents(t, srv, cases, what):
    """Runs each (args, events) case on a flushed srv with every keyspace
    notification class on, and checks that the keyevent channel carried
    exactly the listed (event, key) pairs, in order."""
    c = srv.raw()
    c.cmd("FLUSHALL")
    c.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = srv.raw()
    sub.cmd("PSUBSCRIBE", "__keyevent@0__:*")
    want = []
    for args, events in cases:
        c.cmd(*args)
        want.extend(events)
    c.cmd("PUBLISH", "__keyevent@0__:end", "end")
    got = read_events(sub, len(want) + 1)
    t.is_(got, want + [("end", "end")], "keyspace notifications of %s" % what)
    c.cmd("CONFIG", "SET", "notify-keyspace-events", "")
    sub.close()
    c.close()


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


class Error(str):
    """An error reply."""


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
