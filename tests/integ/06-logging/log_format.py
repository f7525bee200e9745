"""Logging: Redis's line format, loglevel, logfile, journal priorities."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
LINE = re.compile(r"^(<\d>)?\d+:M \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] .+$")

# --- stderr, Redis's format ------------------------------------------------------
srv = rhtest.Server()
lines = [l for l in srv.log_text().splitlines() if l.strip()]
t.ok(lines and all(LINE.match(l) for l in lines), "every line in Redis's format")
t.ok(any("pid=%d, just started" % srv.pid in l for l in lines), "start line carries the PID")
t.ok(any(l.endswith("Ready to accept connections") for l in lines), "ready milestone")
t.ok(not any(l.startswith("<") for l in lines), "no priority prefixes outside the journal")

# --- loglevel at run time ------------------------------------------------------
r = srv.client()
r.config_set("loglevel", "verbose")
c = srv.raw()
c.cmd("PING")
c.close()
rhtest.wait_for(lambda: "accepted 127.0.0.1" in srv.log_text(), what="verbose line")
t.ok(True, "verbose lines appear after CONFIG SET loglevel verbose")
srv.stop()

# --- logfile ---------------------------------------------------------------------
d = rhtest.tmpdir()
logfile = os.path.join(d, "redis.log")
srv2 = rhtest.Server(config="logfile %s\n" % logfile)
t.ok(os.path.exists(logfile) and "Ready to accept connections" in open(logfile).read(),
     "logfile receives the log")
srv2.stop()

# --- under the journal: syslog priority prefixes ---------------------------------
d = rhtest.tmpdir()
errpath = os.path.join(d, "stderr")
port = rhtest.free_port()
with open(errpath, "wb") as f:
    st = os.fstat(f.fileno())
    env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    p = subprocess.Popen([rhtest.OUR_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                          "--save", ""], stdout=f, stderr=f, env=env, cwd=d)
try:
    rhtest.wait_for(lambda: "Ready to accept" in open(errpath).read(), what="journal start")
    text = open(errpath).read().splitlines()
    t.ok(any(l.startswith("<4>") for l in text), "warnings carry priority 4")
    t.ok(any(l.startswith("<5>") and "Ready to accept connections" in l for l in text),
         "notices carry priority 5")
finally:
    p.terminate()
    p.wait(15)
t.is_(p.returncode, 0, "journal-mode server stopped cleanly")
t.done()
