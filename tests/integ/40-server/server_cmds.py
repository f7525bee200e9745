"""TIME, MONITOR, SLOWLOG, LATENCY, MEMORY and SHUTDOWN."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
srv = rhtest.Server(config="enable-debug-command yes\n")
r = srv.client()
c = srv.raw()

# --- TIME ---------------------------------------------------------------------------
sec, usec = c.cmd("TIME")
t.ok(abs(int(sec) - time.time()) < 5 and 0 <= int(usec) < 1000000, "TIME: seconds, usec")
t.is_(c.cmd("TIME", "x"), "ERR wrong number of arguments for 'time' command", "TIME arity")

# --- MONITOR --------------------------------------------------------------------------
m = srv.raw()
t.is_(m.cmd("MONITOR"), "OK", "MONITOR")
c.cmd("SET", "mk", "a b\"\n")
c.cmd("CONFIG", "GET", "maxmemory")  # admin commands are not shown
c.cmd("GET", "mk")
line = m.reply()
t.ok(re.match(r'^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "mk" "a b\\"\\n"$', line),
     "MONITOR line format and escaping: %s" % line)
t.ok(m.reply().endswith('"GET" "mk"'), "admin commands are not fed to monitors")
t.ok("flags=O" in c.cmd("CLIENT", "LIST").decode(), "monitor shows flag O")
m.send(rhtest.encode("MONITOR"))
m.send(rhtest.encode("PING"))
t.is_(m.reply(), "PONG", "a second MONITOR gets no reply")
t.ok(m.reply().endswith('"PING"'), "a monitor sees its own commands")
t.is_(m.cmd("RESET"), "RESET", "RESET leaves monitor mode")
c.cmd("PING")
t.is_(m.cmd("ECHO", "x"), b"x", "no feed after RESET")
m.close()

# --- SLOWLOG --------------------------------------------------------------------------
r.config_set("slowlog-log-slower-than", "0")
t.is_(c.cmd("SLOWLOG", "RESET"), "OK", "SLOWLOG RESET")
c.cmd("CLIENT", "SETNAME", "slowpoke")
c.cmd("SET", "sk", "x" * 200)
log = c.cmd("SLOWLOG", "GET", "2")
t.is_(len(log), 2, "SLOWLOG GET 2")
e = log[0]
t.ok(isinstance(e[0], int) and isinstance(e[1], int) and isinstance(e[2], int),
     "entry: id, timestamp, duration")
t.is_(e[3][:2], [b"SET", b"sk"], "entry: arguments")
t.is_(e[3][2], b"x" * 128 + b"... (72 more bytes)", "long argument is cut")
t.ok(re.match(rb"^127\.0\.0\.1:\d+$", e[4]) and e[5] == b"slowpoke", "entry: peer and name")
t.ok(log[0][0] > log[1][0], "newest first")
t.ok(c.cmd("SLOWLOG", "LEN") >= 3, "SLOWLOG LEN")
t.is_(len(c.cmd("SLOWLOG", "GET", "-1")), c.cmd("SLOWLOG", "LEN") - 1, "GET -1: all")
t.is_(c.cmd("SLOWLOG", "GET", "0"), [], "GET 0: empty")
t.is_(c.cmd("SLOWLOG", "GET", "-2"), "ERR count should be greater than or equal to -1",
      "GET -2")
t.is_(c.cmd("SLOWLOG", "GET", "1", "2"),
      "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.",
      "GET with two counts")
t.is_(c.cmd("SLOWLOG", "LEN", "x"), "ERR wrong number of arguments for 'slowlog|len' command",
      "LEN arity")
t.is_(c.cmd("SLOWLOG", "HELP")[1], "GET [<count>]", "SLOWLOG HELP")
c.cmd("SLOWLOG", "RESET")
r.execute_command("MSET", *sum([["m%d" % i, "v"] for i in range(20)], []))
r.config_set("slowlog-log-slower-than", "1000000")
entries = c.cmd("SLOWLOG", "GET", "-1")
mset = [x for x in entries if x[3][0] == b"MSET"][0]
t.is_(len(mset[3]), 32, "at most 32 arguments kept")
t.is_(mset[3][31], b"... (10 more arguments)", "the last one counts the rest")
t.is_(len(r.slowlog_get()), min(10, len(entries)), "redis-py parses SLOWLOG GET")

# --- LATENCY --------------------------------------------------------------------------
t.is_(c.cmd("LATENCY", "RESET"), 0, "LATENCY RESET with no events: 0")
t.is_(c.cmd("LATENCY", "LATEST"), [], "LATENCY LATEST empty")
t.is_(c.cmd("LATENCY", "HISTORY", "command"), [], "LATENCY HISTORY unknown event: empty")
t.ok(c.cmd("LATENCY", "DOCTOR").startswith(b"I'm sorry, Dave, I can't do that."),
     "LATENCY DOCTOR with the monitor disabled")
r.config_set("latency-monitor-threshold", "1000")
t.ok(c.cmd("LATENCY", "DOCTOR").startswith(b"Dave, no latency spike"), "LATENCY DOCTOR idle")
t.is_(c.cmd("LATENCY", "GRAPH", "command"), "ERR No samples available for event 'command'",
      "LATENCY GRAPH without samples")
r.config_set("latency-monitor-threshold", "5")
slept = c.cmd("DEBUG", "SLEEP", "0.02")
if slept != "OK":
    t.skip("latency events", "DEBUG SLEEP unavailable: %s" % slept)
else:
    latest = c.cmd("LATENCY", "LATEST")
    t.is_(len(latest), 1, "one event")
    ev = latest[0]
    t.ok(ev[0] == b"command" and ev[2] >= 20 and ev[3] >= 20 and
         abs(ev[1] - time.time()) < 5, "LATEST: name, time, latency, max")
    hist = c.cmd("LATENCY", "HISTORY", "command")
    t.ok(len(hist) == 1 and hist[0][1] >= 20, "HISTORY: [time, latency]")
    t.ok(b"1. command: 1 latency spikes" in c.cmd("LATENCY", "DOCTOR"), "DOCTOR names it")
    t.ok(c.cmd("LATENCY", "GRAPH", "command").startswith(b"command - high "), "GRAPH")
    t.is_(c.cmd("LATENCY", "RESET", "command", "nosuch"), 1, "RESET one event")
    t.is_(c.cmd("LATENCY", "LATEST"), [], "gone")
r.config_set("latency-monitor-threshold", "0")
h = c.cmd("LATENCY", "HISTOGRAM", "set", "nosuchcmd")
t.ok(len(h) == 2 and h[0] == b"set" and h[1][0] == b"calls" and h[1][2] == b"histogram_usec",
     "LATENCY HISTOGRAM set")
t.ok(h[1][1] >= 1 and h[1][3][-1] == h[1][1], "histogram is cumulative up to calls")
t.is_(c.cmd("LATENCY", "HELP")[1], "DOCTOR", "LATENCY HELP")

# --- MEMORY --------------------------------------------------------------------------
c.cmd("SET", "foo", "bar")
u = c.cmd("MEMORY", "USAGE", "foo")
t.ok(isinstance(u, int) and 16 < u < 200, "MEMORY USAGE small string (%s)" % u)
big = c.cmd("SET", "big", "x" * 10000) and c.cmd("MEMORY", "USAGE", "big")
t.ok(10000 < big < 12000, "MEMORY USAGE 10k string (%s)" % big)
t.is_(c.cmd("MEMORY", "USAGE", "nokey"), None, "MEMORY USAGE missing key: nil")
t.is_(c.cmd("MEMORY", "USAGE", "foo", "SAMPLES", "0"), u, "SAMPLES 0")
t.is_(c.cmd("MEMORY", "USAGE", "foo", "SAMPLES"), "ERR syntax error", "SAMPLES without count")
t.is_(c.cmd("MEMORY", "USAGE", "foo", "SAMPLES", "x"),
      "ERR value is not an integer or out of range", "SAMPLES not a number")
t.is_(c.cmd("MEMORY", "USAGE", "foo", "SAMPLES", "-1"), "ERR syntax error", "SAMPLES negative")
t.is_(c.cmd("MEMORY", "USAGE", "foo", "BOGUS", "1"), "ERR syntax error", "bad option")
stats = c.cmd("MEMORY", "STATS")
keys = stats[::2]
t.is_(keys[:10], [b"peak.allocated", b"total.allocated", b"startup.allocated",
                  b"replication.backlog", b"clients.slaves", b"clients.normal",
                  b"cluster.links", b"aof.buffer", b"lua.caches", b"functions.caches"],
      "MEMORY STATS: leading fields")
t.ok(b"db.0" in keys and keys[-1] == b"fragmentation.bytes" and len(keys) == 28,
     "MEMORY STATS: db.0 and the trailing fields")
d = dict(zip(stats[::2], stats[1::2]))
t.ok(d[b"keys.count"] >= 3 and float(d[b"dataset.percentage"]) >= 0, "MEMORY STATS values")
c3 = srv.raw()
c3.cmd("HELLO", "3")
s3 = c3.cmd("MEMORY", "STATS")
t.ok(isinstance(s3, dict) and isinstance(s3[b"fragmentation"], float), "RESP3: map of doubles")
c3.close()
t.ok(c.cmd("MEMORY", "DOCTOR").startswith(b"Hi Sam"), "MEMORY DOCTOR")
t.ok(len(c.cmd("MEMORY", "MALLOC-STATS")) > 0, "MEMORY MALLOC-STATS")
t.is_(c.cmd("MEMORY", "PURGE"), "OK", "MEMORY PURGE")
t.is_(c.cmd("MEMORY", "HELP")[-1], "    Prints this help.", "MEMORY HELP")
t.is_(c.cmd("MEMORY", "STATS", "x"), "ERR wrong number of arguments for 'memory|stats' command",
      "MEMORY STATS arity")

# --- SHUTDOWN -----------------------------------------------------------------------
t.is_(c.cmd("SHUTDOWN", "bogus"), "ERR syntax error", "SHUTDOWN bad flag")
t.is_(c.cmd("SHUTDOWN", "SAVE", "NOSAVE"), "ERR syntax error", "SAVE and NOSAVE")
t.is_(c.cmd("SHUTDOWN", "NOW", "ABORT"), "ERR syntax error", "ABORT with others")
t.is_(c.cmd("SHUTDOWN", "ABORT"), "ERR No shutdown in progress.", "ABORT without a shutdown")
c.send(rhtest.encode("SHUTDOWN", "NOSAVE", "NOW") + rhtest.encode("SET", "after", "1"))
t.ok(c.closed(), "SHUTDOWN closes the connection without a reply")
t.is_(c.buf, b"", "nothing was replied")
proc = srv.proc
try:
    proc.wait(10)
    t.is_(proc.returncode, 0, "the server exits with status 0")
except Exception:  # noqa: BLE001
    t.ok(False, "the server exits after SHUTDOWN")
log = srv.log_text()
t.ok("ready to exit" in log, "shutdown logged")
t.ok("Sanitizer" not in log and "runtime error:" not in log, "no sanitizer report at exit")
srv.proc = None
t.done()
