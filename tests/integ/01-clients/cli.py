"""Real clients: Debian's redis-cli and redis-benchmark against redis-ha."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
unix_dir = rhtest.tmpdir()
sock = os.path.join(unix_dir, "redis.sock")
srv = rhtest.Server(config="unixsocket %s\nunixsocketperm 700\n" % sock)
r = srv.client()


def cli(*args, stdin=None):
    p = subprocess.run(["redis-cli", "-p", str(srv.port)] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.stdout.strip()


t.is_(cli("PING"), "PONG", "redis-cli PING")
t.is_(cli("SET", "k", "v"), "OK", "redis-cli SET")
t.is_(cli("GET", "k"), "v", "redis-cli GET")
t.is_(cli("GET", "missing"), "", "redis-cli nil")
t.ok("redis_version:7.0.15" in cli("INFO", "server"), "redis-cli INFO server")
t.is_(cli("-3", "HELLO", "3").splitlines()[:3], ["server redis", "version 7.0.15", "proto 3"], "redis-cli -3 HELLO map")
t.is_(cli("--no-raw", "INCR", "counter"), "(integer) 1", "redis-cli integer reply")
t.ok("ERR unknown command" in cli("NOSUCHCMD"), "redis-cli shows errors")

# Interactive mode through stdin.
out = cli(stdin="SET a 1\nINCR a\nGET a\n")
t.is_(out.splitlines(), ["OK", "2", "2"], "redis-cli reading commands from stdin")

# Mass insertion with --pipe.
lines = "".join("SET pipe:%d %d\r\n" % (i, i) for i in range(20000))
out = cli("--pipe", stdin=lines)
t.ok("errors: 0, replies: 20000" in out, "redis-cli --pipe: 20000 replies, no errors")
t.is_(r.dbsize(), 20000 + 3, "keys from --pipe present")

# Unix socket with its permissions.
mode = os.stat(sock).st_mode & 0o777
t.is_(oct(mode), oct(0o700), "unixsocketperm applied")
p = subprocess.run(["redis-cli", "-s", sock, "PING"], capture_output=True, text=True, timeout=30)
t.is_(p.stdout.strip(), "PONG", "redis-cli over the unix socket")

# redis-benchmark: every request answered, no errors.
p = subprocess.run(["redis-benchmark", "-p", str(srv.port), "-n", "2000", "-c", "10",
                    "-t", "ping,set,get,incr,mset", "-q", "--csv"],
                   capture_output=True, text=True, timeout=120)
t.ok(p.returncode == 0 and '"SET"' in p.stdout and '"MSET (10 keys)"' in p.stdout,
     "redis-benchmark runs its tests")
t.ok("ERR" not in p.stderr and "error" not in p.stdout.lower(), "redis-benchmark saw no errors")
p = subprocess.run(["redis-benchmark", "-p", str(srv.port), "-n", "20000", "-P", "16",
                    "-t", "set,get", "-q", "--csv"], capture_output=True, text=True, timeout=120)
t.ok(p.returncode == 0 and '"GET"' in p.stdout, "redis-benchmark pipelined (-P 16)")

# IPv6 loopback listener.
srv6 = rhtest.Server(config="bind 127.0.0.1 ::1\n")
p = subprocess.run(["redis-cli", "-h", "::1", "-p", str(srv6.port), "PING"],
                   capture_output=True, text=True, timeout=30)
t.is_(p.stdout.strip(), "PONG", "IPv6 listener on ::1")

# SIGTERM shuts down gracefully and logs Redis's milestones.
log = srv6.log_text()
t.ok("Ready to accept connections" in log, "start-up milestone logged")
problem = srv6.stop()
t.ok(problem is None, "SIGTERM: clean exit")
t.ok("Redis is now ready to exit, bye bye..." in srv6.log_text(), "shutdown milestone logged")

t.done()
