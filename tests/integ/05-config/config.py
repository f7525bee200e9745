"""Configuration: file syntax, includes, overrides, errors, CONFIG GET/SET/REWRITE."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()

# --- a bad directive stops start-up naming the file, line and reason ----------
d = rhtest.tmpdir()
bad = os.path.join(d, "bad.conf")
with open(bad, "w") as f:
    f.write("# comment\nport 0\nnosuch-directive 1\n")
p = subprocess.run([rhtest.OUR_SERVER, bad], capture_output=True, text=True, timeout=20)
t.ok(p.returncode != 0, "unknown directive: non-zero exit")
t.ok("FATAL CONFIG FILE ERROR" in p.stderr and bad in p.stderr and "line 3" in p.stderr
     and "Bad directive or wrong number of arguments" in p.stderr,
     "unknown directive: file, line and reason reported")

with open(bad, "w") as f:
    f.write("port 0\nmaxmemory lots\n")
p = subprocess.run([rhtest.OUR_SERVER, bad], capture_output=True, text=True, timeout=20)
t.ok(p.returncode != 0 and "line 2" in p.stderr and "argument must be a memory value" in p.stderr,
     "invalid value: line and reason reported")

p = subprocess.run([rhtest.OUR_SERVER, "--port", "0", "--hz", "abc"], capture_output=True,
                   text=True, timeout=20)
t.ok(p.returncode != 0 and "argument couldn't be parsed into an integer" in p.stderr,
     "invalid command-line override reported")

p = subprocess.run([rhtest.OUR_SERVER, "--version"], capture_output=True, text=True, timeout=20)
t.ok(p.returncode == 0 and "v=7.0.15" in p.stdout, "--version")

# --- includes with globs, quoting, units, later directives win -------------------
inc_dir = rhtest.tmpdir()
with open(os.path.join(inc_dir, "a.conf"), "w") as f:
    f.write("maxmemory 1mb\nhz 20\n")
with open(os.path.join(inc_dir, "b.conf"), "w") as f:
    f.write("maxmemory 2mb\n")
srv = rhtest.Server(config='include %s/*.conf\nlatency-tracking-info-percentiles "50 99"\n'
                           'maxmemory-policy allkeys-lru\n# trailing comment\n' % inc_dir,
                    args=["--slowlog-max-len", "64"])
r = srv.client(decode_responses=True)
t.is_(r.config_get("maxmemory")["maxmemory"], str(2 * 1024 * 1024),
      "include glob: later file wins, units parsed")
t.is_(r.config_get("hz")["hz"], "20", "included value applied")
t.is_(r.config_get("slowlog-max-len")["slowlog-max-len"], "64", "command-line override")
t.is_(r.config_get("latency-tracking-info-percentiles")["latency-tracking-info-percentiles"],
      "50 99", "quoted multi-value argument")

# --- CONFIG GET globs and aliases ------------------------------------------------
g = r.config_get("maxmemory*")
t.ok("maxmemory" in g and "maxmemory-policy" in g and "maxmemory-samples" in g,
     "CONFIG GET glob")
t.ok("slave-read-only" in r.config_get("*read-only*"), "aliases listed")
allcfg = r.config_get("*")
t.ok(len(allcfg) > 150, "CONFIG GET * lists every option (%d)" % len(allcfg))
g2 = r.execute_command("CONFIG", "GET", "hz", "timeout")
t.ok("hz" in str(g2) and "timeout" in str(g2), "CONFIG GET with several patterns")

# --- CONFIG SET: several at once, atomically; errors ------------------------------
t.ok(r.execute_command("CONFIG", "SET", "timeout", "7", "hz", "15"), "CONFIG SET two options")
t.is_((r.config_get("timeout")["timeout"], r.config_get("hz")["hz"]), ("7", "15"),
      "both applied")
t.raises(lambda: r.execute_command("CONFIG", "SET", "timeout", "9", "hz", "abc"),
         "CONFIG SET failed (possibly related to argument 'hz')", "bad second value fails")
t.is_(r.config_get("timeout")["timeout"], "7", "failed CONFIG SET rolled back the first")
t.raises(lambda: r.config_set("nosuch", "1"),
         "Unknown option or number of arguments for CONFIG SET - 'nosuch'", "unknown option")
t.raises(lambda: r.config_set("daemonize", "yes"), "can't set immutable config", "immutable")
t.raises(lambda: r.config_set("maxmemory-policy", "bogus"),
         "argument(s) must be one of the following", "enum error")
t.raises(lambda: r.execute_command("CONFIG", "SET", "hz", "1", "hz", "2"),
         "duplicate parameter", "duplicate parameter")

# --- CONFIG REWRITE keeps comments and includes, writes only the main file --------
r.config_set("maxmemory-policy", "allkeys-lfu")
r.config_set("slowlog-log-slower-than", "12345")
t.ok(r.config_rewrite(), "CONFIG REWRITE")
text = open(srv.conf).read()
t.ok("# trailing comment" in text, "rewrite keeps comments")
t.ok("include %s/*.conf" % inc_dir in text, "rewrite keeps include lines")
t.ok("maxmemory-policy allkeys-lfu" in text, "rewrite updates a line in place")
t.ok("slowlog-log-slower-than 12345" in text, "rewrite appends a changed option")
t.is_(open(os.path.join(inc_dir, "b.conf")).read(), "maxmemory 2mb\n",
      "included files untouched")
t.ok(not [f for f in os.listdir(srv.dir) if ".tmp" in f], "no temporary files left")

# Restart from the rewritten file: the values survive.
srv.stop()
srv.start()
r = srv.client(decode_responses=True)
t.is_(r.config_get("maxmemory-policy")["maxmemory-policy"], "allkeys-lfu",
      "rewritten value survives restart")
t.is_(r.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"], "12345",
      "appended value survives restart")
t.done()
