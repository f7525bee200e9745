#!/usr/bin/python3
"""The append-only file (Redis 7.0's multi-part layout) end to end.

  1. appendonly yes creates appendonlydir with Redis's file names and
     manifest text; writes of every type, TTLs, several databases and
     MULTI/EXEC survive a restart (DEBUG DIGEST and key by key, absolute
     expiry times included) with appendfsync always, everysec and no,
     stopped by SIGTERM, SHUTDOWN and SHUTDOWN NOSAVE.
  2. An instance with a dump.rdb switched to appendonly yes keeps its data
     (redis-ha writes it as the first base; Redis 7.0 would start empty);
     CONFIG SET appendonly yes rewrites at runtime (also while a rewrite
     started with the AOF off runs), no closes the files; a BGREWRITEAOF
     with the AOF off drops the incremental files; switching it on again,
     also after a restart with appendonly no, continues the sequence
     numbers. An old-style appendonly.aof (before Redis 7.0, with an RDB
     preamble and commands after it) is migrated into the directory. Keys
     of a base that expired before it is loaded are loaded all the same.
  3. BGREWRITEAOF: the base sequence moves on, old files go, the manifest
     switches; writes made while the child runs (held open with the hidden
     rdb-key-save-delay) are kept, also through a kill -9 mid-rewrite;
     BGSAVE during the rewrite and BGSAVE SCHEDULE; a rewrite scheduled
     behind a BGSAVE; SIGTERM during a rewrite; the automatic rewrite;
     aof-use-rdb-preamble no.
  4. Damaged files: a truncated tail is forgiven with aof-load-truncated yes
     (and the file cut back), refused with no; a transaction cut before its
     EXEC is dropped whole; a corrupted byte, an unknown command, a bad
     manifest line (also with appendonly no), a manifest naming a missing
     file and a truncated file before the last refuse start-up with exit
     status 1 and a log line naming the problem.
  5. kill -9 under a write load: with appendfsync always every
     acknowledged write is there; with everysec at most ~1 s is lost.
  6. A full disk (a 2 MB tmpfs in a private mount namespace): MISCONF with
     everysec, SHUTDOWN refused meanwhile (Redis 7.0 would exit and lose
     the acknowledged write waiting in the buffer), recovery once space is
     back; exit status 1 with always. Either way a restart has every
     acknowledged write and no refused one.
  7. AOF directories move between Debian's redis-server 7.0.15 and redis-ha
     in both directions, with and without the RDB preamble (and #TS
     annotations).
  8. DEBUG LOADAOF.

Sanitizer reports in the log of any server that exits fail the test.
"""
import atexit
import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402
import redis  # noqa: E402

E = rhtest.Error
t = rhtest.Tap()
DEBUG = "enable-debug-command yes\n"
AOF = DEBUG + "appendonly yes\n"
DIRNAME = "appendonlydir"
MANIFEST = "appendonly.aof.manifest"
HAVE_REF = os.path.exists(rhtest.REF_SERVER)


# ---- helpers ---------------------------------------------------------------------

def adir(s):
    return os.path.join(s.dir, DIRNAME)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def manifest(s):
    try:
        return read(os.path.join(adir(s), MANIFEST))
    except OSError:
        return None


def files(s):
    try:
        return sorted(os.listdir(adir(s)))
    except OSError:
        return None


def manifest_text(base, incrs, kind="rdb"):
    """Redis's manifest: the base, then the incremental files."""
    text = "file appendonly.aof.%d.base.%s seq %d type b\n" % (base, kind, base) if base else ""
    for i in incrs:
        text += "file appendonly.aof.%d.incr.aof seq %d type i\n" % (i, i)
    return text


def layout(base, incrs, kind="rdb"):
    names = ["appendonly.aof.%d.incr.aof" % i for i in incrs] + [MANIFEST]
    if base:
        names.append("appendonly.aof.%d.base.%s" % (base, kind))
    return sorted(names)


def last_incr(s):
    """The path of the last incremental file the manifest names."""
    names = [ln.split()[1] for ln in manifest(s).splitlines() if ln.endswith("type i")]
    return os.path.join(adir(s), names[-1])


def info(r, field):
    return r.info("persistence")[field]


def digest(r):
    return r.execute_command("DEBUG", "DIGEST")


def value_of(r, key):
    kind = r.type(key).decode()
    if kind == "string":
        v = r.get(key)
    elif kind == "list":
        v = tuple(r.lrange(key, 0, -1))
    elif kind == "hash":
        v = tuple(sorted(r.hgetall(key).items()))
    elif kind == "set":
        v = tuple(sorted(r.smembers(key)))
    elif kind == "zset":
        v = tuple(r.zrange(key, 0, -1, withscores=True))
    else:
        v = None
    return kind, v, r.execute_command("PEXPIRETIME", key)


def snapshot(port):
    """{(db, key): (type, value, absolute expiry)} of every key."""
    out = {}
    r0 = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    for dbname in r0.info("keyspace"):
        db = int(dbname[2:])
        r = redis.Redis(host="127.0.0.1", port=port, db=db, socket_timeout=10)
        for key in r.scan_iter(count=1000):
            out[(db, key)] = value_of(r, key)
    return out


def same_data(s, want_digest, want_snap, what):
    """DEBUG DIGEST and every key (value, type, PEXPIRETIME) as before."""
    r = s.client()
    got = snapshot(s.port)
    good = t.is_(digest(r), want_digest, "%s: same DEBUG DIGEST" % what)
    if not t.ok(got == want_snap, "%s: every key with its value and expiry time" % what):
        missing = [k for k in want_snap if k not in got][:5]
        extra = [k for k in got if k not in want_snap][:5]
        differ = [(k, got[k], want_snap[k]) for k in want_snap
                  if k in got and got[k] != want_snap[k]][:3]
        t.diag("missing %r extra %r differ %r" % (missing, extra, differ))
        good = False
    return good


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def check_sanitizer(log, what):
    """A failed test point when a sanitizer build reported a problem."""
    bad = [m for m in SANITIZER_MARKS if m in log]
    if bad:
        t.ok(False, "%s: no sanitizer report" % what)
        t.diag(log[log.index(bad[0]) - 200:][:4000])


def set_conf(s, line):
    """Appends an option to s's config file (the last one wins)."""
    with open(s.conf, "a") as f:
        f.write(line + "\n")


def forget(s):
    """Takes a server that exited (or was killed) out of rhtest's list."""
    if s.proc is not None and s.proc.poll() is not None:
        text = s.log_text()
        check_sanitizer(text, "server on port %d" % s.port)
        # The next start appends to the log: a report must not count twice.
        with open(s.log + ".old", "a") as f:
            f.write(text)
        open(s.log, "w").close()
    s.proc = None
    if s in rhtest._started:
        rhtest._started.remove(s)


def shutdown(s, *args):
    """SHUTDOWN [args] on s; returns the exit status."""
    c = s.raw()
    c.send(rhtest.encode("SHUTDOWN", *args))
    c.closed(10)
    c.close()
    s.proc.wait(15)
    rc = s.proc.returncode
    forget(s)
    return rc


def start_fails(s, timeout=20):
    """Starts s expecting it to refuse; returns (exit status, log since)."""
    open(s.log, "w").close()
    s.start(wait=False)
    try:
        s.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        s.kill()
        return None, s.log_text()
    rc = s.proc.returncode
    log = s.log_text()
    forget(s)
    return rc, log


def stop(s):
    """SIGTERM; a failed test point when the exit was not clean."""
    problem = s.stop()
    if problem:
        t.ok(False, "server on port %d stops cleanly" % s.port)
        t.diag(problem)


def restart(s, how="SIGTERM"):
    if how == "SIGTERM":
        stop(s)
    elif how == "KILL":
        s.kill()
    else:
        shutdown(s, *how.split()[1:])
    s.start()
    return s.client()


def populate(s):
    """Writes of every type, with the commands that rewrite themselves on
    propagation, TTLs, several databases and transactions."""
    r = s.client()
    r.set("str", "hello")
    r.append("str", " world")
    r.setrange("str", 0, "J")
    r.set("int", 10)
    r.incrby("int", 32)
    r.decr("int")
    r.incrbyfloat("float", "1.25")
    r.set("bin", bytes(range(256)))
    r.setbit("bits", 1001, 1)
    r.mset({"m1": "a", "m2": "b"})
    r.getdel("m2")
    r.set("ttl:ex", "v", ex=100000)
    r.set("ttl:px", "v", px=99999999)
    r.set("ttl:keep", "x", ex=50000)
    r.set("ttl:keep", "y", keepttl=True)
    r.set("persisted", "p", ex=100)
    r.persist("persisted")
    r.set("soon", "gone soon", px=20)
    r.rpush("list", *range(10))
    r.lpush("list", "head")
    r.lpop("list")
    r.rpop("list")
    r.linsert("list", "BEFORE", 5, "five")
    r.lset("list", 0, "zero")
    r.ltrim("list", 0, 7)
    r.lmove("list", "list2", "LEFT", "RIGHT")
    r.rpush("list:big", *["element-%d" % i for i in range(1000)])
    r.hset("hash", mapping={"a": 1, "b": "two", "c": 3})
    r.hdel("hash", "c")
    r.hincrby("hash", "a", 5)
    r.hincrbyfloat("hash", "f", 0.5)
    r.hset("hash:big", mapping={"f%d" % i: "v" * (i % 7) for i in range(600)})
    r.sadd("set:int", 1, 2, 3, 70000, -5)
    r.srem("set:int", 2)
    r.sadd("set", "a", "b", "c", "d")
    r.smove("set", "set2", "a")
    r.sadd("set:pop", *range(20))
    r.spop("set:pop", 3)
    r.sadd("set:big", *["m%d" % i for i in range(600)])
    r.sinterstore("set:inter", ["set:big", "set"])
    r.zadd("zset", {"a": 1, "b": 2.5, "c": -3, "inf": float("inf"), "x": 0.1})
    r.zincrby("zset", 1.5, "a")
    r.zrem("zset", "b")
    r.zpopmin("zset")
    r.zadd("zset:big", {"m%d" % i: i / 3 for i in range(300)})
    r.zremrangebyscore("zset:big", 0, 10)
    r.zunionstore("zset:union", ["zset", "zset:big"])
    r.pfadd("hll", *["u%d" % i for i in range(200)])
    r.pfcount("hll")
    r.pfadd("hll2", "x", "y")
    r.pfmerge("hll:merged", "hll", "hll2")
    r.expire("list", 100000)
    r.pexpire("hash", 12345678)
    r.expireat("set:int", int(time.time()) + 100000)
    r.set("gone", 1)
    r.delete("gone")
    r.set("old", "v")
    r.rename("old", "new")
    r.copy("new", "copied")
    with r.pipeline(transaction=True) as p:
        p.set("tx:a", 1)
        p.incr("tx:a")
        p.rpush("tx:l", "x", "y")
        p.hset("tx:h", "f", "v")
        p.expire("tx:a", 100000)
        p.execute()
    s.client(db=3).set("db3", "three")
    s.client(db=3).rpush("db3:list", "a", "b")
    s.client(db=3).zadd("db3:z", {"m": 1})
    s.client(db=9).hset("db9:h", "f", "v")
    s.client(db=9).move("db9:h", 4)
    s.client(db=7).set("x", 1)
    s.client(db=7).flushdb()
    s.client(db=10).set("ten", 10)
    r.swapdb(10, 11)
    c = s.raw()
    c.cmd("MULTI")
    for args in (("SELECT", 5), ("SET", "tx5", "five"), ("SELECT", 0), ("INCR", "tx:a"),
                 ("SADD", "set", "z")):
        c.cmd(*args)
    c.cmd("EXEC")
    c.close()
    # The lazy expiry of "soon" writes a DEL to the AOF.
    rhtest.wait_for(lambda: r.exists("soon") == 0, what="the short TTL to expire")


def more_writes(s, tag):
    r = s.client()
    r.set("more:" + tag, tag)
    r.rpush("list:big", tag)
    r.hset("hash:big", "more", tag)
    r.zadd("zset:big", {tag: 1000})
    r.sadd("set:big", tag)
    r.incr("int")
    s.client(db=3).append("db3", tag)


def aof_server(config="", **kw):
    return rhtest.Server(config=AOF + config, **kw)


def rewrite_done(r, before):
    """Polls until a rewrite counted after `before` rewrites is done."""
    def done():
        p = r.info("persistence")
        return p["aof_rewrite_in_progress"] == 0 and p["aof_rewrite_scheduled"] == 0 and \
            p["aof_rewrites"] > before
    rhtest.wait_for(done, timeout=30, what="the AOF rewrite to finish")


# ---- 1. files, every type, and a restart per fsync policy ---------------------------

def case_files_and_restart(fsync, how):
    s = aof_server("appendfsync %s\n" % fsync)
    r = s.client()
    if fsync == "always":
        t.ok(os.path.isdir(adir(s)), "appendonly yes creates %s in dir" % DIRNAME)
        t.is_(settled_files(s, layout(1, [1])), layout(1, [1]), "a base, an incremental file and the manifest")
        t.is_(manifest(s), manifest_text(1, [1]), "the manifest's text is Redis's")
        t.is_(info(r, "aof_enabled"), 1, "INFO aof_enabled:1")
    populate(s)
    if fsync == "always":
        sizes = sum(os.path.getsize(os.path.join(adir(s), f)) for f in files(s)
                    if f != MANIFEST)
        t.is_(info(r, "aof_current_size"), sizes, "aof_current_size is the files' size")
        t.is_(info(r, "aof_base_size"),
              os.path.getsize(os.path.join(adir(s), "appendonly.aof.1.base.rdb")),
              "aof_base_size is the base's size")
        t.is_(info(r, "aof_buffer_length"), 0, "nothing is left in the buffer (always)")
        with open(os.path.join(adir(s), "appendonly.aof.1.base.rdb"), "rb") as f:
            head = f.read(256)
        t.ok(b"\x08aof-base\xc0\x01" in head and b"repl-id" not in head,
             "the base's aux fields say aof-base 1 and carry no replication history (as Redis)")
        if HAVE_REF:
            ref = aof_server(binary=rhtest.REF_SERVER)
            t.is_(list(r.info("persistence")), list(ref.client().info("persistence")),
                  "INFO persistence has redis-server 7.0.15's fields, in its order")
            stop(ref)
    want_d, want_s = digest(r), snapshot(s.port)
    t.ok(len(want_s) > 30, "the dataset has %d keys" % len(want_s))
    restart(s, how)
    what = "appendfsync %s, %s" % (fsync, how)
    same_data(s, want_d, want_s, what)
    t.is_(manifest(s), manifest_text(1, [1]), "%s: a restart keeps the same files" % what)
    if fsync == "always":
        log = s.log_text()
        t.ok("DB loaded from append only file" in log, "the log says the AOF was loaded")
        # Writes after the restart go on in the same incremental file.
        more_writes(s, "after-restart")
        want_d, want_s = digest(s.client()), snapshot(s.port)
        restart(s, "SIGTERM")
        same_data(s, want_d, want_s, "writes after a restart, restarted again")
    stop(s)


# ---- 2. from dump.rdb to the AOF and back --------------------------------------------

def case_switch_from_rdb():
    s = rhtest.Server(config=DEBUG)
    populate(s)
    r = s.client()
    r.save()
    want_d, want_s = digest(r), snapshot(s.port)
    stop(s)
    set_conf(s, "appendonly yes")
    s.start()
    same_data(s, want_d, want_s, "dump.rdb, then appendonly yes")
    t.is_(settled_files(s, layout(1, [1])), layout(1, [1]), "the RDB's data is written as the first base")
    t.ok("Creating AOF base file appendonly.aof.1.base.rdb on server start" in s.log_text(),
          "... and logged as Redis does")
    os.unlink(os.path.join(s.dir, "dump.rdb"))
    restart(s)
    same_data(s, want_d, want_s, "the new AOF alone, without dump.rdb")
    stop(s)


def case_config_set():
    s = rhtest.Server(config=DEBUG + "appendfsync always\n")
    populate(s)
    r = s.client()
    t.is_(r.config_set("appendonly", "yes"), True, "CONFIG SET appendonly yes")
    rewrite_done(r, 0)
    t.is_(info(r, "aof_enabled"), 1, "the AOF is on once the rewrite is done")
    t.is_(settled_files(s, layout(1, [1])), layout(1, [1]), "the rewrite wrote the first base and incremental file")
    t.is_(manifest(s), manifest_text(1, [1]), "... named by the manifest")
    more_writes(s, "after-config-set")
    want_d, want_s = digest(r), snapshot(s.port)
    t.is_(r.config_set("appendonly", "no"), True, "CONFIG SET appendonly no")
    t.is_(info(r, "aof_enabled"), 0, "INFO aof_enabled:0")
    incr = last_incr(s)
    size = os.path.getsize(incr)
    r.set("not-in-the-aof", 1)
    t.is_(os.path.getsize(incr), size, "writes no longer reach the incremental file")
    r.delete("not-in-the-aof")
    # BGREWRITEAOF with the AOF off: a new base alone; the incremental file
    # is older than it and must not stay (it would be replayed twice).
    r.execute_command("BGREWRITEAOF")
    rewrite_done(r, 1)
    rhtest.wait_for(lambda: files(s) == layout(2, []), what="the old files to go")
    t.is_(manifest(s), manifest_text(2, []), "BGREWRITEAOF with the AOF off: a base alone")
    set_conf(s, "appendonly yes")
    r = restart(s)
    same_data(s, want_d, want_s, "that base, restarted with appendonly yes")
    t.is_(manifest(s), manifest_text(2, [1]), "... which adds an incremental file")
    r.save()
    set_conf(s, "appendonly no")
    r = restart(s)
    t.is_(r.config_set("appendonly", "yes"), True, "restarted with appendonly no, switched on")
    rewrite_done(r, 0)
    rhtest.wait_for(lambda: files(s) == layout(3, [2]), what="the old files to go")
    t.is_(manifest(s), manifest_text(3, [2]),
          "the sequence numbers go on from the manifest on disk and the old files go")
    set_conf(s, "appendonly yes")
    restart(s)
    same_data(s, want_d, want_s, "CONFIG SET appendonly yes, restarted with appendonly yes")

    # Switched on while a rewrite started with the AOF off runs: that child
    # does not gather the writes since its fork; a new rewrite replaces it.
    r = s.client()
    r.config_set("appendonly", "no")
    r.config_set("rdb-key-save-delay", 100000)
    before = info(r, "aof_rewrites")
    r.execute_command("BGREWRITEAOF")
    r.config_set("rdb-key-save-delay", 0)
    t.is_(info(r, "aof_rewrites"), before + 1, "aof_rewrites counts a rewrite when it starts")
    t.is_(r.config_set("appendonly", "yes"), True, "CONFIG SET appendonly yes during it")
    t.ok("Stopping background AOF and starting a rewrite now." in s.log_text(),
         "... stops it and starts a new rewrite, as Redis does")
    r.set("written", "while switching on")
    rewrite_done(r, before + 1)
    t.is_(info(r, "aof_enabled"), 1, "the AOF is on")
    want_d, want_s = digest(r), snapshot(s.port)
    restart(s, "KILL")
    same_data(s, want_d, want_s, "switched on during a rewrite, kill -9, restart")

    # SHUTDOWN while the first base is being written would leave no AOF:
    # refused, as Redis does, until the base is there.
    r = s.client()
    r.config_set("appendonly", "no")
    nkeys = sum(v["keys"] for v in r.info("keyspace").values())
    r.config_set("rdb-key-save-delay", 800000 // nkeys)
    before = info(r, "aof_rewrites")
    r.config_set("appendonly", "yes")
    r.config_set("rdb-key-save-delay", 0)
    more_writes(s, "during-the-first-base")  # To the temporary incremental file.
    want_d, want_s = digest(r), snapshot(s.port)
    raw = s.raw()
    t.is_(raw.cmd("SHUTDOWN"), E("ERR Errors trying to SHUTDOWN. Check logs."),
          "SHUTDOWN while the first base is written is refused")
    raw.close()
    t.ok("Writing initial AOF, can't exit." in s.log_text(), "... logged as Redis does")
    rewrite_done(r, before)
    t.is_(shutdown(s), 0, "... and done once the base is written")
    s.start()
    same_data(s, want_d, want_s, "the AOF written before SHUTDOWN")
    stop(s)


def case_old_style():
    """An appendonly.aof of Redis before 7.0 in `dir` (an RDB preamble and
    the commands appended after it) moves into the directory as the base,
    as Redis 7.0 migrates it."""
    s = rhtest.Server(config=DEBUG)
    populate(s)
    r = s.client()
    r.save()
    tail = [("SELECT", 0), ("SET", "old", "style"), ("RPUSH", "list:big", "tail"),
            ("SELECT", 3), ("SET", "db3:tail", "x"), ("SELECT", 0), ("DEL", "str")]
    c = s.raw()
    for args in tail:
        c.cmd(*args)
    c.close()
    want_d, want_s = digest(r), snapshot(s.port)
    stop(s)
    old = os.path.join(s.dir, "appendonly.aof")
    os.rename(os.path.join(s.dir, "dump.rdb"), old)
    with open(old, "ab") as f:
        f.write(b"".join(rhtest.encode(*args) for args in tail))
    set_conf(s, "appendonly yes")
    s.start()
    same_data(s, want_d, want_s, "an old-style appendonly.aof with an RDB preamble")
    t.ok("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory "
         "(appendonlydir)." in s.log_text(), "... is migrated, logged as Redis does")
    t.is_((files(s), os.path.exists(old)),
          (["appendonly.aof", "appendonly.aof.1.incr.aof", MANIFEST], False),
          "... moved into the directory")
    t.is_(manifest(s), "file appendonly.aof seq 1 type b\n" + manifest_text(0, [1]),
          "... and named by the manifest as the base")
    r = s.client()
    r.execute_command("BGREWRITEAOF")
    rewrite_done(r, 0)
    rhtest.wait_for(lambda: files(s) == layout(2, [2]), what="the old-style base to go")
    restart(s)
    same_data(s, want_d, want_s, "the migrated AOF, rewritten")
    stop(s)

    # A crash between the manifest and the move: finished on the next start.
    s = aof_server(start=False)
    os.mkdir(adir(s))
    with open(os.path.join(adir(s), MANIFEST), "w") as f:
        f.write("file appendonly.aof seq 1 type b\n")
    with open(os.path.join(s.dir, "appendonly.aof"), "wb") as f:
        f.write(rhtest.encode("SELECT", 0) + rhtest.encode("SET", "plain", "commands"))
    s.start()
    t.is_(s.client().get("plain"), b"commands", "an interrupted migration is finished")
    t.is_(manifest(s), "file appendonly.aof seq 1 type b\n" + manifest_text(0, [1]),
          "... with the same manifest")
    stop(s)


def case_expired_in_base():
    """Keys of the base that expired by the time it is loaded are loaded
    all the same: the incremental file may act on them (PERSIST, APPEND) as
    it did when it was written; they expire only afterwards."""
    s = aof_server()
    r = s.client()
    r.set("k", "v", px=1000)
    r.append("k2", "x")
    r.pexpire("k2", 1000)
    deadline = r.execute_command("PEXPIRETIME", "k")
    r.execute_command("BGREWRITEAOF")
    rewrite_done(r, 0)
    persisted = r.persist("k")
    r.append("k2", "y")
    stop(s)
    if not t.ok(persisted, "PERSIST before the key expired (else the machine was too slow)"):
        return
    rhtest.wait_for(lambda: time.time() * 1000 > deadline + 100, timeout=5,
                    what="the keys' expiry time to pass")
    s.start()
    r = s.client()
    t.is_((r.get("k"), r.pttl("k")), (b"v", -1),
          "a key PERSISTed after the rewrite survives though its base TTL passed")
    t.is_(r.exists("k2"), 0, "a key written to after the rewrite still expires")
    stop(s)


# ---- 3. BGREWRITEAOF -------------------------------------------------------------------

def settled_files(s, want, timeout=5):
    """The AOF directory's files once they equal want or the deadline
    passes: history files are removed by a background thread after the
    manifest switch, so a listing right after a rewrite can still hold them."""
    deadline = time.monotonic() + timeout
    got = files(s)
    while got != want and time.monotonic() < deadline:
        time.sleep(0.02)
        got = files(s)
    return got


def pid_from_log(s, text):
    return int(s.log_text().split(text)[-1].split()[0])


def case_bgrewriteaof():
    s = aof_server("appendfsync everysec\n")
    populate(s)
    r = s.client()
    raw = s.raw()
    before = info(r, "aof_rewrites")
    t.is_(raw.cmd("BGREWRITEAOF"), "Background append only file rewriting started",
          "BGREWRITEAOF")
    rewrite_done(r, before)
    t.is_(settled_files(s, layout(2, [2])), layout(2, [2]), "the base sequence moved on, the old files are gone")
    t.is_(manifest(s), manifest_text(2, [2]), "the manifest names the new base")
    t.is_(info(r, "aof_last_bgrewrite_status"), "ok", "aof_last_bgrewrite_status:ok")
    log = s.log_text()
    t.ok("Background AOF rewrite finished successfully" in log, "logged as Redis does")

    # A rewrite held open (~1.5 s) by rdb-key-save-delay; writes meanwhile.
    nkeys = sum(v["keys"] for v in r.info("keyspace").values())
    r.config_set("rdb-key-save-delay", 1500000 // nkeys)
    before = info(r, "aof_rewrites")
    t.is_(raw.cmd("BGREWRITEAOF"), "Background append only file rewriting started",
          "a slow BGREWRITEAOF")
    r.config_set("rdb-key-save-delay", 0)  # The child keeps its own copy.
    t.is_(info(r, "aof_rewrite_in_progress"), 1, "INFO aof_rewrite_in_progress:1")
    t.is_(info(r, "aof_rewrites"), before + 1, "aof_rewrites counts it from its start")
    t.is_(manifest(s), manifest_text(2, [2, 3]), "writes go to a new incremental file meanwhile")
    t.is_(raw.cmd("BGREWRITEAOF"),
          E("ERR Background append only file rewriting already in progress"),
          "a second BGREWRITEAOF is refused")
    t.is_(raw.cmd("BGSAVE"),
          E("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
            "SCHEDULE in order to schedule a BGSAVE whenever possible."),
          "BGSAVE during the rewrite: Redis's error")
    saves = info(r, "rdb_saves")
    t.is_(raw.cmd("BGSAVE", "SCHEDULE"), "Background saving scheduled", "BGSAVE SCHEDULE")
    for i in range(50):
        more_writes(s, "during-%d" % i)
    r.delete("hash:big")
    rewrite_done(r, before)
    rhtest.wait_for(lambda: info(r, "rdb_saves") > saves and
                    info(r, "rdb_bgsave_in_progress") == 0, what="the scheduled BGSAVE")
    t.ok(os.path.exists(os.path.join(s.dir, "dump.rdb")), "the scheduled BGSAVE ran after it")
    rhtest.wait_for(lambda: files(s) == layout(3, [3]), what="the old files to go")
    t.is_(manifest(s), manifest_text(3, [3]), "manifest after the slow rewrite")
    want_d, want_s = digest(r), snapshot(s.port)
    t.ok(want_s[(3, b"db3")][1].endswith(b"during-49"), "the writes made meanwhile are there")
    r = restart(s, "KILL")
    same_data(s, want_d, want_s, "writes during a rewrite, kill -9, restart")

    # kill -9 while a rewrite runs: the old base and both incremental files
    # are loaded.
    r.config_set("rdb-key-save-delay", 1000000)
    raw = s.raw()
    raw.cmd("BGREWRITEAOF")
    child = pid_from_log(s, "Background append only file rewriting started by pid ")
    for i in range(20):
        more_writes(s, "crash-%d" % i)
    want_d, want_s = digest(r), snapshot(s.port)
    t.is_(manifest(s), manifest_text(3, [3, 4]), "mid-rewrite manifest")
    s.kill()
    try:
        os.kill(child, signal.SIGKILL)  # An orphan child would sleep on.
    except ProcessLookupError:
        pass
    s.start()
    r = s.client()
    same_data(s, want_d, want_s, "kill -9 during a rewrite")

    # BGREWRITEAOF while a BGSAVE runs: scheduled, and run after it.
    r.config_set("rdb-key-save-delay", 20000)
    raw = s.raw()
    t.is_(raw.cmd("BGSAVE"), "Background saving started", "a slow BGSAVE")
    r.config_set("rdb-key-save-delay", 0)
    before = info(r, "aof_rewrites")
    t.is_(raw.cmd("BGREWRITEAOF"), "Background append only file rewriting scheduled",
          "BGREWRITEAOF during a BGSAVE is scheduled")
    t.is_(info(r, "aof_rewrite_scheduled"), 1, "INFO aof_rewrite_scheduled:1")
    rewrite_done(r, before)
    t.is_(manifest(s), manifest_text(4, [5]), "the scheduled rewrite ran after the save")

    # SIGTERM during a rewrite: the child is killed, its file removed (the
    # one of the child killed with its parent above stays, as in Redis).
    def temps():
        return set(f for f in files(s) + os.listdir(s.dir) if f.startswith("temp-"))
    stale = temps()
    r.config_set("rdb-key-save-delay", 1000000)
    raw.cmd("BGREWRITEAOF")
    r.config_set("rdb-key-save-delay", 0)
    raw.close()
    stop(s)
    t.ok("There is a child rewriting the AOF. Killing it!" in s.log_text(),
         "SIGTERM during a rewrite kills the child")
    t.is_(temps() - stale, set(), "... and leaves no temporary file")


def case_auto_rewrite():
    s = aof_server("auto-aof-rewrite-percentage 100\nauto-aof-rewrite-min-size 64kb\n")
    r = s.client()
    for i in range(200):
        r.set("k%d" % (i % 10), "x" * 1000)

    # However many rewrites the 200 KB written start, the AOF settles below
    # auto-aof-rewrite-min-size (the keys hold 10 KB).
    def settled():
        p = r.info("persistence")
        return p["aof_rewrite_in_progress"] == 0 and p["aof_rewrites"] >= 1 and \
            p["aof_current_size"] < 64 * 1024
    rhtest.wait_for(settled, timeout=30, what="the AOF to be rewritten and settle")
    t.ok("Starting automatic rewriting of AOF on" in s.log_text(),
         "the AOF grown past auto-aof-rewrite-min-size is rewritten automatically")
    base = int(manifest(s).split()[1].split(".")[2])
    t.ok(base >= 2, "... into a new base (appendonly.aof.%d.base.rdb)" % base)
    t.is_(s.client().get("k9"), b"x" * 1000, "... with the data")
    stop(s)


def case_no_preamble():
    s = aof_server("aof-use-rdb-preamble no\n")
    t.is_(settled_files(s, layout(1, [1], "aof")), layout(1, [1], "aof"), "aof-use-rdb-preamble no: a .base.aof first base")
    populate(s)
    r = s.client()
    r.config_set("aof-timestamp-enabled", "yes")
    more_writes(s, "with-timestamps")
    r.execute_command("BGREWRITEAOF")
    rewrite_done(r, 0)
    rhtest.wait_for(lambda: files(s) == layout(2, [2], "aof"), what="the old files to go")
    t.is_(manifest(s), manifest_text(2, [2], "aof"), "the manifest names a .base.aof")
    base = read(os.path.join(adir(s), "appendonly.aof.2.base.aof"), "rb")
    t.ok(base.startswith(b"*") and b"REDIS" not in base[:9], "the base is a command file")
    more_writes(s, "after-rewrite")
    want_d, want_s = digest(r), snapshot(s.port)
    restart(s, "SHUTDOWN")
    same_data(s, want_d, want_s, "a command-file base loads back")
    stop(s)


# ---- 4. damaged files ------------------------------------------------------------------

def case_damaged():
    s = aof_server("appendfsync always\n")
    r = s.client()
    for i in range(100):
        r.set("t:%d" % i, "value-%d" % i)
    s.kill()
    incr = last_incr(s)
    good = read(incr, "rb")
    cut = good[:-7]  # Inside the last SET's value.

    with open(incr, "wb") as f:
        f.write(cut)
    s.start()
    r = s.client()
    t.is_(r.dbsize(), 99, "truncated tail, aof-load-truncated yes: every complete command")
    t.is_((r.get("t:98"), r.exists("t:99")), (b"value-98", 0),
          "... up to the last complete one")
    log = s.log_text()
    t.ok("!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"
         in log, "the short read is logged naming the file")
    t.ok("AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"
         in log, "... and that it was loaded anyway")
    t.is_(os.path.getsize(incr), good.rindex(b"*", 0, good.index(b"t:99\r\n")),
          "the file is cut back to its last complete command")
    r.set("after", "truncation")
    restart(s)
    t.is_((s.client().dbsize(), s.client().get("after")), (100, b"truncation"),
          "writes appended after the cut load back")
    stop(s)

    def refused(what, needle):
        rc, log = start_fails(s)
        t.is_(rc, 1, "%s: refuses to start with exit status 1 (not a signal)" % what)
        ok = needle in log
        t.ok(ok, "%s: the log says %r" % (what, needle))
        if not ok:
            t.diag(log[-1500:])

    incr = last_incr(s)
    good = read(incr, "rb")
    man = read(os.path.join(adir(s), MANIFEST))
    with open(incr, "wb") as f:
        f.write(good[:-7])
    set_conf(s, "aof-load-truncated no")
    refused("truncated tail with aof-load-truncated no",
            "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof")
    mid = good.rindex(b"*", 0, good.index(b"t:50\r\n"))  # SET t:50's first byte.
    for off, what, needle in (
            (0, "a corrupted byte in the middle",
             "Bad file format reading the append only file appendonly.aof.1.incr.aof"),
            (8, "an unknown command in the middle",
             "Unknown command '?ET' reading the append only file appendonly.aof.1.incr.aof")):
        bad = bytearray(good)
        bad[mid + off] = ord("?")
        with open(incr, "wb") as f:
            f.write(bytes(bad))
        refused(what, needle)
    with open(incr, "wb") as f:
        f.write(good)
    with open(os.path.join(adir(s), MANIFEST), "w") as f:
        f.write(man + "this is not a manifest line\n")
    refused("a bad manifest line", "Invalid AOF manifest file format")
    set_conf(s, "appendonly no")
    refused("a bad manifest line with appendonly no (read all the same, as Redis)",
            "Invalid AOF manifest file format")
    set_conf(s, "appendonly yes")
    with open(os.path.join(adir(s), MANIFEST), "w") as f:
        f.write(man + "file appendonly.aof.9.incr.aof seq 9 type i\n")
    refused("a manifest naming a missing file", "appendonly.aof.9.incr.aof")
    # Only the last file may end early: a cut in an earlier one is fatal
    # whatever aof-load-truncated says.
    set_conf(s, "aof-load-truncated yes")
    with open(os.path.join(adir(s), "appendonly.aof.2.incr.aof"), "wb") as f:
        f.write(rhtest.encode("SET", "in-file-2", "x"))
    with open(os.path.join(adir(s), MANIFEST), "w") as f:
        f.write(man + "file appendonly.aof.2.incr.aof seq 2 type i\n")
    with open(incr, "wb") as f:
        f.write(good[:-7])
    refused("a truncated file before the last one", "appendonly.aof.1.incr.aof")
    with open(incr, "wb") as f:
        f.write(good)
    s.start()
    t.is_((s.client().dbsize(), s.client().get("in-file-2")), (101, b"x"),
          "the repaired files load again, the second incremental file too")
    stop(s)


def case_partial_multi():
    """A transaction cut before its EXEC is dropped whole."""
    s = aof_server("appendfsync always\n")
    r = s.client()
    r.set("before", 1)
    c = s.raw()
    for args in (("MULTI",), ("SET", "a", 1), ("SET", "b", 2), ("INCR", "before"), ("EXEC",)):
        c.cmd(*args)
    c.close()
    r.set("after", 1)
    s.kill()
    incr = last_incr(s)
    good = read(incr, "rb")
    with open(incr, "wb") as f:
        f.write(good[:good.rindex(b"*", 0, good.upper().index(b"EXEC"))])
    s.start()
    r = s.client()
    t.is_((sorted(r.keys("*")), r.get("before")), ([b"before"], b"1"),
          "a transaction without its EXEC at the end of the file is dropped whole")
    t.ok("Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof"
         in s.log_text(), "... as Redis logs it")
    stop(s)


# ---- 5. kill -9 under a write load ----------------------------------------------------

def case_crash(fsync, seconds=1.0):
    s = aof_server("appendfsync %s\n" % fsync)
    acked = {"incr": 0, "push": 0}

    def writer():
        w = s.client(socket_timeout=5)
        try:
            while True:
                v = w.incr("counter")
                acked["incr"] = v
                w.rpush("seq", v)
                acked["push"] = v
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            pass

    th = threading.Thread(target=writer, daemon=True)
    start = time.monotonic()
    th.start()
    rhtest.wait_for(lambda: time.monotonic() - start >= seconds and acked["push"] >= 50,
                    timeout=30, what="the writer to get going")
    s.proc.kill()
    elapsed = time.monotonic() - start
    th.join(10)
    acked_incr, acked_push = acked["incr"], acked["push"]
    rate = acked_push / elapsed
    s.kill()
    s.start()
    r = s.client()
    counter = int(r.get("counter") or 0)
    seq = [int(x) for x in r.lrange("seq", 0, -1)]
    what = "kill -9 with appendfsync %s (%d acknowledged, %.0f/s)" % (fsync, acked_push, rate)
    t.ok(seq == list(range(1, len(seq) + 1)) and len(seq) <= counter,
         "%s: the list is a gapless sequence no longer than the counter" % what)
    if fsync == "always":
        t.ok(counter >= acked_incr, "%s: counter %d >= last acknowledged %d"
             % (what, counter, acked_incr))
        t.ok(len(seq) >= acked_push, "%s: every acknowledged RPUSH is there (%d >= %d)"
             % (what, len(seq), acked_push))
    else:
        lost = max(0, acked_push - len(seq))
        t.ok(lost <= rate * 2, "%s: lost %d writes (at most ~1 s worth)" % (what, lost))
    stop(s)


# ---- 6. a full disk ------------------------------------------------------------------

NS_SCRIPT = r'''
mnt=$1 seed=$2 out=$3; shift 3
mount -t tmpfs -o size="$NS_SIZE" tmpfs "$mnt" || exit 97
cp -a "$seed"/. "$mnt"/ || exit 98
"$@"
rc=$?
rm -f "$mnt"/filler
rm -rf "$out" && mkdir "$out" && cp -a "$mnt"/. "$out"/
exit $rc
'''


class NsServer:
    """redis-server in its own mount namespace with `dir` on a tmpfs of
    `size`: the files of `seed` are copied in before it starts and those it
    leaves are copied out to self.out when it exits (the tmpfs dies with
    the namespace). self.proc is the shell waiting for the server, whose
    exit status it passes on; self.spid is the server."""

    def __init__(self, size, config):
        self.dir = rhtest.tmpdir()
        self.mnt, self.seed, self.out = (os.path.join(self.dir, n) for n in ("mnt", "seed", "out"))
        for d in (self.mnt, self.seed):
            os.mkdir(d)
        self.port = rhtest.free_port()
        self.conf = os.path.join(self.dir, "redis.conf")
        self.log = os.path.join(self.dir, "server.log")
        with open(self.conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndir %s\nsave \"\"\n%s%s"
                    % (self.port, self.mnt, AOF, config))
        env = dict(os.environ, NS_SIZE=size)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(
                ["unshare", "-m", "sh", "-c", NS_SCRIPT, "sh", self.mnt, self.seed, self.out,
                 rhtest.OUR_SERVER, self.conf], stdout=logf, stderr=logf, env=env)
        _ns_servers.append(self)
        self.spid = None

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("exited with %s" % self.proc.returncode)
            return self.client().ping()
        rhtest.wait_for(ready, 15, what="the namespaced server")
        self.spid = int(self.client().info("server")["process_id"])

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)

    def path(self, name):
        return "/proc/%d/root%s/%s" % (self.spid, self.mnt, name)

    def log_text(self):
        return read(self.log, "rb").decode(errors="replace")

    def exited(self, timeout=20):
        """Waits for the exit; returns the server's exit status."""
        rc = self.wait(timeout)
        check_sanitizer(self.log_text(), "namespaced server")
        return rc

    def wait(self, timeout=20):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None and self.spid is not None:
            try:
                with open("/proc/%d/cmdline" % self.spid, "rb") as f:
                    if b"redis-server" in f.read():
                        os.kill(self.spid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_ns_servers = []


def _kill_ns():
    for n in _ns_servers:
        n.kill()


def fill(path):
    """Writes path until the filesystem is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    chunk = b"\0" * 65536
    try:
        while True:
            os.write(fd, chunk)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)


def namespaces_work():
    probe = rhtest.tmpdir()
    p = subprocess.run(["unshare", "-m", "sh", "-c",
                        'mount -t tmpfs -o size=1m tmpfs "$1" && touch "$1"/x', "sh", probe],
                       capture_output=True, timeout=20)
    if p.returncode != 0:
        return (p.stderr.decode(errors="replace").strip() or "unshare -m failed")
    if os.path.exists(os.path.join(probe, "x")):
        return "the tmpfs mount leaked out of the namespace"
    return None


def reload_from(ns, config=""):
    """A normal server started on the files the namespaced one left."""
    s = rhtest.Server(config=AOF + config, start=False)
    shutil.copytree(os.path.join(ns.out, DIRNAME), adir(s))
    s.start()
    return s


BIG = "b" * 20000


def case_disk_full_everysec():
    ns = NsServer("2m", "appendfsync everysec\n")
    r = ns.client()
    acked, refused = {}, set()
    for i in range(20):
        r.set("pre:%d" % i, BIG)
        acked["pre:%d" % i] = BIG.encode()
    fill(ns.path("filler"))
    misconf = None
    for i in range(50):
        try:
            r.set("full:%d" % i, BIG)
            acked["full:%d" % i] = BIG.encode()
        except redis.exceptions.ResponseError as e:
            misconf = str(e)
            refused.add("full:%d" % i)
            break
    t.is_(misconf, "MISCONF Errors writing to the AOF file: No space left on device",
          "disk full, everysec: writes get MISCONF")
    t.is_(info(r, "aof_last_write_status"), "err", "INFO aof_last_write_status:err")
    t.is_(r.get("pre:3"), BIG.encode(), "reads still work")
    t.raises(lambda: r.ping(), "MISCONF", "PING is refused as Redis does")
    t.ok("full:0" in acked, "the write that met the full disk was acknowledged (it waits in "
         "the buffer, as in Redis)")
    log = ns.log_text()
    t.ok("Short write while writing to the AOF file" in log or
         "Error writing to the AOF file: No space left on device" in log,
         "the write error is logged in Redis's words")
    # Unlike Redis 7.0 (which exits and loses the acknowledged write that
    # waits in the buffer), SHUTDOWN fails while the AOF cannot be written.
    c = rhtest.RawConn(ns.port)
    t.is_(c.cmd("SHUTDOWN"), E("ERR Errors trying to SHUTDOWN. Check logs."),
          "SHUTDOWN is refused while the acknowledged writes cannot be written")
    c.close()
    t.is_(r.get("pre:0"), BIG.encode(), "... and the server goes on")
    os.unlink(ns.path("filler"))

    def writable():
        k = "retry:%d" % len(refused)
        try:
            r.set(k, "x")
        except redis.exceptions.ResponseError:
            refused.add(k)
            return False
        acked[k] = b"x"
        return True
    rhtest.wait_for(writable, timeout=10, interval=0.1, what="writes to be accepted again")
    t.is_(info(r, "aof_last_write_status"), "ok", "space back: writes succeed again")
    for i in range(5):
        r.set("post:%d" % i, i)
        acked["post:%d" % i] = str(i).encode()
    os.kill(ns.spid, signal.SIGTERM)
    t.is_(ns.exited(), 0, "SIGTERM exits cleanly")
    s = reload_from(ns)
    r = s.client()
    got = {k: r.get(k) for k in acked}
    t.ok(got == acked, "after a restart every acknowledged write is there (%d)" % len(acked))
    t.is_(sum(r.exists(k) for k in refused), 0,
          "no refused write appears (%d refused)" % len(refused))
    stop(s)


def case_disk_full_always():
    ns = NsServer("2m", "appendfsync always\n")
    r = ns.client()
    acked = {}
    for i in range(20):
        r.set("pre:%d" % i, BIG)
        acked["pre:%d" % i] = BIG.encode()
    fill(ns.path("filler"))
    err = None
    try:
        for i in range(50):
            r.set("full:%d" % i, BIG)
            acked["full:%d" % i] = BIG.encode()
    except redis.exceptions.ConnectionError as e:
        err = e
    t.ok(err is not None, "disk full, always: the write is not acknowledged")
    t.is_(ns.exited(), 1, "the server exits with status 1")
    t.ok("Can't recover from AOF write error when the AOF fsync policy is 'always'"
         in ns.log_text(), "... saying why, as Redis does")
    s = reload_from(ns)
    r = s.client()
    got = {k: r.get(k) for k in acked}
    t.ok(got == acked, "a restart with space has every acknowledged write (%d)" % len(acked))
    stop(s)


# ---- 7. interop with redis-server 7.0.15 --------------------------------------------------

def interop(writer_binary, reader_binary, preamble, what):
    conf = "aof-use-rdb-preamble %s\n" % preamble
    if preamble == "no":
        conf += "aof-timestamp-enabled yes\n"
    w = aof_server(conf, binary=writer_binary)
    populate(w)
    r = w.client()
    r.execute_command("BGREWRITEAOF")
    rewrite_done(r, 0)
    more_writes(w, "after-rewrite")
    want_d, want_s = digest(r), snapshot(w.port)
    kind = "rdb" if preamble == "yes" else "aof"
    rhtest.wait_for(lambda: files(w) == layout(2, [2], kind), what="the writer's layout")
    shutdown(w)
    rd = aof_server(binary=reader_binary, start=False)
    shutil.copytree(adir(w), adir(rd))
    rd.start()
    same_data(rd, want_d, want_s, "%s, aof-use-rdb-preamble %s" % (what, preamble))
    stop(rd)


# ---- 8. DEBUG LOADAOF ----------------------------------------------------------------

def case_debug_loadaof():
    s = aof_server("appendfsync everysec\n")
    populate(s)
    r = s.client()
    want_d, want_s = digest(r), snapshot(s.port)
    # DEBUG POPULATE is not propagated: LOADAOF must drop those keys.
    r.execute_command("DEBUG", "POPULATE", 10, "notpropagated")
    t.is_(r.execute_command("DEBUG", "LOADAOF"), b"OK", "DEBUG LOADAOF replies OK")
    same_data(s, want_d, want_s, "DEBUG LOADAOF")
    t.ok("Append Only File loaded by DEBUG LOADAOF" in s.log_text(), "... logged as Redis does")
    more_writes(s, "after-loadaof")
    want_d, want_s = digest(r), snapshot(s.port)
    restart(s)
    same_data(s, want_d, want_s, "writes after DEBUG LOADAOF, restarted")
    stop(s)


# ---- run ---------------------------------------------------------------------------------

atexit.register(_kill_ns)

T0 = time.monotonic()


def timed(name, fn, *args):
    t0 = time.monotonic()
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - one broken case must not hide the others
        t.ok(False, "%s ran to its end" % name)
        t.diag("%s: %r" % (name, e))
    t.diag("%s: %.1f s" % (name, time.monotonic() - t0))


timed("files/always", case_files_and_restart, "always", "SIGTERM")
timed("files/everysec", case_files_and_restart, "everysec", "SHUTDOWN")
timed("files/no", case_files_and_restart, "no", "SHUTDOWN NOSAVE")
timed("switch from rdb", case_switch_from_rdb)
timed("config set", case_config_set)
timed("old-style aof", case_old_style)
timed("expired keys in a base", case_expired_in_base)
timed("bgrewriteaof", case_bgrewriteaof)
timed("auto rewrite", case_auto_rewrite)
timed("no preamble", case_no_preamble)
timed("damaged files", case_damaged)
timed("partial multi", case_partial_multi)
timed("crash/always", case_crash, "always")
timed("crash/everysec", case_crash, "everysec")
why = namespaces_work()
if why:
    t.skip("disk full, appendfsync everysec", "no private tmpfs: %s" % why)
    t.skip("disk full, appendfsync always", "no private tmpfs: %s" % why)
else:
    timed("disk full/everysec", case_disk_full_everysec)
    timed("disk full/always", case_disk_full_always)
if HAVE_REF:
    for pre in ("yes", "no"):
        timed("interop ref->ours %s" % pre, interop, rhtest.REF_SERVER, rhtest.OUR_SERVER, pre,
              "redis-server 7.0.15's AOF loads into redis-ha")
        timed("interop ours->ref %s" % pre, interop, rhtest.OUR_SERVER, rhtest.REF_SERVER, pre,
              "redis-ha's AOF loads into redis-server 7.0.15")
else:
    t.skip("interop with redis-server 7.0.15", "no reference redis-server")
timed("debug loadaof", case_debug_loadaof)
t.diag("total %.1f s" % (time.monotonic() - T0))
t.done()
