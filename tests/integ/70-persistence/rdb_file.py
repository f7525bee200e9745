"""RDB snapshots on disk: SAVE, BGSAVE, LASTSAVE, loading at start-up with
every type, encoding, TTL and database intact (DEBUG DIGEST), files moving
between redis-ha and Debian's redis-server 7.0.15 in both directions,
`save` points, the final save on SIGTERM, MISCONF after a failed background
save (and recovery), and refusal to start on a truncated, bit-flipped or
wrong-version file with the file and offset in the log."""
import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402
import repltest  # noqa: E402

E = rhtest.Error
t = rhtest.Tap()
DEBUG = "enable-debug-command yes\n"


def populate(r):
    """repltest's data set of every type, plus a negative integer, a
    compressible string and infinite scores."""
    repltest.populate(r)
    r.set("neg", -7)
    r.set("compressible", "abc" * 2000)
    r.zadd("zset:inf", {"lo": float("-inf"), "hi": float("inf")})


def digest(r):
    return r.execute_command("DEBUG", "DIGEST")


def info(r, field):
    return r.info("persistence")[field]


# ---- SAVE and restart ------------------------------------------------------
s = rhtest.Server(config=DEBUG)
r = s.client()
populate(r)
want = digest(r)
before = r.lastsave()
t.is_(r.execute_command("SAVE"), True, "SAVE replies OK")
t.ok(os.path.exists(os.path.join(s.dir, "dump.rdb")), "dump.rdb written in dir")
t.ok(not [f for f in os.listdir(s.dir) if f.startswith("temp-")], "no temporary file is left")
t.ok(r.lastsave() >= before, "LASTSAVE advances")
t.is_(info(r, "rdb_changes_since_last_save"), 0, "SAVE resets the change count")
t.is_(info(r, "rdb_last_bgsave_status"), "ok", "status ok")
s.stop()
s.start()
r = s.client()
t.is_(digest(r), want, "a restart loads every type, encoding and database (DEBUG DIGEST)")
t.ok(0 < r.pttl("ttl:str") <= 10 ** 7, "TTLs survive")
t.is_(r.object("encoding", "list:big"), b"quicklist", "list encoding")
t.is_(r.object("encoding", "hash:small"), b"listpack", "small hash stays listpack")
t.is_(r.object("encoding", "set:int"), b"intset", "intset stays intset")
t.is_(r.object("encoding", "zset:big"), b"skiplist", "big zset is a skiplist")
t.is_(info(r, "rdb_last_load_keys_loaded"), 19, "INFO counts the keys loaded")

# ---- BGSAVE ----------------------------------------------------------------
r.set("after", "restart")
want = digest(r)
saves = info(r, "rdb_saves")
raw = s.raw()
t.is_(raw.cmd("BGSAVE"), "Background saving started", "BGSAVE starts a child")
rhtest.wait_for(lambda: info(r, "rdb_bgsave_in_progress") == 0 and
                info(r, "rdb_saves") > saves, what="the background save to finish")
t.is_(info(r, "rdb_last_bgsave_status"), "ok", "the background save succeeded")
t.ok(r.info("stats")["total_forks"] >= 1, "INFO stats counts the fork")
t.ok("Background saving terminated with success" in s.log_text(), "logged like Redis")
t.is_(raw.cmd("BGSAVE", "SCHEDULE"), "Background saving started", "BGSAVE SCHEDULE")
rhtest.wait_for(lambda: info(r, "rdb_bgsave_in_progress") == 0, what="the scheduled save")
t.raises(lambda: r.execute_command("BGSAVE", "NOW"), "syntax error", "BGSAVE bad argument")
# A save held open by rdb-key-save-delay: a second one is refused, and
# writes made meanwhile are still counted as unsaved afterwards.
r.config_set("rdb-key-save-delay", 100000)
t.is_(raw.cmd("BGSAVE"), "Background saving started", "a slow BGSAVE starts")
t.is_(info(r, "rdb_bgsave_in_progress"), 1, "INFO shows it in progress")
t.is_(raw.cmd("BGSAVE"), E("ERR Background save already in progress"), "a second BGSAVE is refused")
t.is_(raw.cmd("SAVE"), E("ERR Background save already in progress"), "SAVE is refused meanwhile")
r.set("during", "save")
r.config_set("rdb-key-save-delay", 0)
os.kill(int(s.log_text().split("Background saving started by pid ")[-1].split()[0]), signal.SIGKILL)
rhtest.wait_for(lambda: info(r, "rdb_bgsave_in_progress") == 0, what="the killed child reaped")
t.is_(info(r, "rdb_last_bgsave_status"), "err", "a killed child is a failed save")
t.ok(not [f for f in os.listdir(s.dir) if f.startswith("temp-")], "its temporary file is removed")
t.ok(info(r, "rdb_changes_since_last_save") >= 1, "the write made during the save is unsaved")
t.is_(raw.cmd("BGSAVE"), "Background saving started", "a new BGSAVE")
rhtest.wait_for(lambda: info(r, "rdb_bgsave_in_progress") == 0 and
                info(r, "rdb_last_bgsave_status") == "ok", what="the new save")
want = digest(r)
raw.close()
s.stop()
s.start()
r = s.client()
t.is_(digest(r), want, "the BGSAVE file loads back identically")
s.stop()
ours_file = os.path.join(s.dir, "dump.rdb")

# ---- DEBUG RELOAD -------------------------------------------------------------
s.start()
r = s.client()
r.config_set("notify-keyspace-events", "En")
sub = s.raw()
sub.cmd("PSUBSCRIBE", "__keyevent@*__:new")
t.is_(r.execute_command("DEBUG", "RELOAD"), b"OK", "DEBUG RELOAD saves, flushes and loads back")
t.is_(digest(r), want, "... the same dataset")
r.set("brand-new", 1)
t.is_(rhtest.read_events(sub, 1), [("new", "brand-new")],
      "loaded keys raise no 'new' keyspace event (a key set afterwards does), as in Redis")
r.delete("brand-new")
sub.close()
r.config_set("notify-keyspace-events", "")
r.set("only-in-memory", "x")
t.is_(r.execute_command("DEBUG", "RELOAD", "NOSAVE"), b"OK", "DEBUG RELOAD NOSAVE")
t.is_(r.exists("only-in-memory"), 0, "... replaces memory with the file")
r.set("only-in-memory", "x")
r.set("after", "changed")
t.is_(r.execute_command("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"), b"OK",
      "DEBUG RELOAD NOSAVE NOFLUSH MERGE")
t.is_((r.get("only-in-memory"), r.get("after")), (b"x", b"restart"),
      "... keeps other keys and takes the file's values for conflicting ones")
t.raises(lambda: r.execute_command("DEBUG", "RELOAD", "BOGUS"),
         "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options", "bad option")
r.execute_command("DEBUG", "RELOAD")
want = digest(r)
s.stop()

# ---- interop with Debian's redis-server ------------------------------------
ref = rhtest.ref_server(config=DEBUG)
if ref is None:
    t.skip("interop", "Debian's redis-server is not installed")
else:
    rr = ref.client()
    ref.stop()
    shutil.copy(ours_file, os.path.join(ref.dir, "dump.rdb"))
    ref.start()
    rr = ref.client()
    t.is_(digest(rr), want, "redis-server 7.0.15 loads our file identically")
    rr.flushall()
    populate(rr)
    rr.zadd("extra", {"x": 0.1})
    ref_digest = digest(rr)
    rr.execute_command("SAVE")
    ref.stop()
    shutil.copy(os.path.join(ref.dir, "dump.rdb"), ours_file)
    s.start()
    r = s.client()
    t.is_(digest(r), ref_digest, "we load redis-server 7.0.15's file identically")
    s.stop()

# ---- save points and the final save ----------------------------------------
p = rhtest.Server(config=DEBUG + 'save "1 1"\nenable-protected-configs yes\n')
r = p.client()
r.set("k", "v")
rhtest.wait_for(lambda: info(r, "rdb_changes_since_last_save") == 0, timeout=20,
                what="the save point to fire")
t.ok(info(r, "rdb_saves") >= 1, "a save point triggers a background save")
t.ok("changes in 1 seconds. Saving..." in p.log_text(), "... logged as Redis does")
r.config_set("save", "3600 1")
r.set("last", "write")
t.is_(p.stop(), None, "SIGTERM exits cleanly")
p.start()
r = p.client()
t.is_(r.get("last"), b"write", "SIGTERM with save points saves the last write")

# ---- MISCONF after a failed background save --------------------------------
gone = os.path.join(p.dir, "gone")
os.mkdir(gone)
r.config_set("dir", gone)
os.rmdir(gone)
r.config_set("save", "1 1")
r.set("x", "1")
rhtest.wait_for(lambda: info(r, "rdb_last_bgsave_status") == "err", timeout=20,
                what="the background save to fail")
t.raises(lambda: r.set("y", "2"), "MISCONF Redis is configured to save RDB snapshots",
         "writes are refused with MISCONF")
t.is_(r.get("x"), b"1", "reads still work")
t.raises(lambda: r.execute_command("SAVE"), "", "SAVE into a missing directory fails")
r.config_set("stop-writes-on-bgsave-error", "no")
t.is_(r.set("y", "2"), True, "stop-writes-on-bgsave-error no lets writes through")
r.config_set("stop-writes-on-bgsave-error", "yes")
r.config_set("dir", p.dir)
r.execute_command("BGSAVE")
rhtest.wait_for(lambda: info(r, "rdb_last_bgsave_status") == "ok", what="a good save")
t.is_(r.set("z", "3"), True, "a successful save ends MISCONF")
r.config_set("save", "")
p.stop()

# ---- bad files refuse to start -----------------------------------------------
with open(os.path.join(p.dir, "dump.rdb"), "rb") as f:
    good = f.read()


def refuses(data, what, needle):
    with open(os.path.join(p.dir, "dump.rdb"), "wb") as f:
        f.write(data)
    open(p.log, "w").close()
    p.start(wait=False)
    try:
        p.proc.wait(15)
    except Exception:  # noqa: BLE001
        p.kill()
        t.ok(False, "%s: the server refuses to start" % what)
        return
    rc = p.proc.returncode
    p.proc = None
    if p in rhtest._started:
        rhtest._started.remove(p)
    t.ok(rc != 0, "%s: the server refuses to start (exit %s)" % (what, rc))
    log = p.log_text()
    t.ok(needle in log and "dump.rdb" in log, "%s: the log names the file and the problem" % what)
    if needle not in log:
        t.diag(log[-1000:])


refuses(good[:len(good) // 2], "truncated file", "offset")
flipped = bytearray(good)
flipped[len(good) // 2] ^= 0x20
refuses(bytes(flipped), "bit flip", "offset")
refuses(b"REDIS0099" + good[9:], "unknown version", "offset")
refuses(b"NOTREDIS!" + good[9:], "not an RDB file", "offset")
with open(os.path.join(p.dir, "dump.rdb"), "wb") as f:
    f.write(good)
p.start()
t.is_(p.client().get("y"), b"2", "the good file loads again")

# ---- loading stays responsive ----------------------------------------------------
r = p.client()
r.config_set("save", "")
for i in range(20):
    r.rpush("slow:%d" % i, *range(10))
r.execute_command("SAVE")
want = digest(r)
p.stop()
with open(p.conf, "a") as f:
    f.write("key-load-delay 100000\n")  # 0.1 s per key: ~3 s for the file
p.start(wait=False)
raw = rhtest.wait_for(lambda: rhtest.RawConn(p.port), what="the listener during loading")
t.is_(raw.cmd("PING"), E("LOADING Redis is loading the dataset in memory"),
      "PING is answered while loading (with -LOADING, as Redis 7.0)")
t.is_(raw.cmd("GET", "y"), E("LOADING Redis is loading the dataset in memory"),
      "data commands get -LOADING")
inf = raw.cmd("INFO", "persistence").decode()
t.ok("loading:1" in inf and "loading_loaded_perc:" in inf and "loading_total_bytes:" in inf,
     "INFO shows loading:1 with the progress fields")
t.is_(raw.cmd("CONFIG", "GET", "key-load-delay"), [b"key-load-delay", b"100000"],
      "key-load-delay is a hidden option found by its name")
t.ok(b"key-load-delay" not in raw.cmd("CONFIG", "GET", "*"), "... not by patterns")
t.is_(raw.cmd("CONFIG", "SET", "key-load-delay", "0"), "OK", "the delay can be lifted")
rhtest.wait_for(lambda: raw.cmd("GET", "y") == b"2", what="loading to finish")
t.is_(digest(p.client()), want, "the dataset loaded while serving is complete")
raw.close()
# A shutdown during loading exits without saving the partial dataset.
p.stop()
p.start(wait=False)
raw = rhtest.wait_for(lambda: rhtest.RawConn(p.port), what="the listener during loading")
t.ok("loading:1" in raw.cmd("INFO", "persistence").decode(), "loading again")
mtime = os.path.getmtime(os.path.join(p.dir, "dump.rdb"))
raw.send(rhtest.encode("SHUTDOWN", "SAVE"))
rhtest.wait_for(lambda: p.proc.poll() is not None, what="the server to exit")
t.is_(p.proc.returncode, 0, "SHUTDOWN during loading exits cleanly")
t.is_(os.path.getmtime(os.path.join(p.dir, "dump.rdb")), mtime, "... without overwriting the file")
p.proc = None
t.done()
