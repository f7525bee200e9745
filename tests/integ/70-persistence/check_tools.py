#!/usr/bin/python3
"""redis-check-aof and redis-check-rdb against Debian's 7.0.15 tools.

The reference redis-server writes the inputs: a multi-part AOF with a
command base (aof-use-rdb-preamble no, timestamp annotations, MULTI/EXEC in
the incremental file), one with an RDB base, and a dump.rdb. Both tools of
both implementations then check the same inputs: the good files (every
file alone too), every truncation of an incremental file, sampled
truncations and bit flips of the command base, malformed commands, MULTI
errors, truncated and bit-flipped RDB files and preambles, bad manifests,
--fix (answered yes and no, and on a file that is not the last) and
--truncate-to-timestamp. Exit statuses and output lines must be the same,
with three allowances: timestamps and pids of log lines, the second byte
redis-check-aof shows after a number cut by the end of the file (Redis
prints whatever its buffer held), and the reason line of an RDB error (the
RDB reader words reasons its own way).
"""
import os
import random
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
REF_AOF = "/usr/bin/redis-check-aof"
REF_RDB = "/usr/bin/redis-check-rdb"
OUR_AOF = os.path.join(rhtest.TOP_BUILDDIR, "src", "redis-check-aof")
OUR_RDB = os.path.join(rhtest.TOP_BUILDDIR, "src", "redis-check-rdb")
WORK = rhtest.tmpdir()

for path in (REF_AOF, REF_RDB, rhtest.REF_SERVER):
    if not os.path.exists(path):
        t.skip("checker comparison", "%s missing" % path)
        t.done()


# ---- running and comparing -------------------------------------------------

def run(exe, args, stdin=b""):
    p = subprocess.run([exe] + list(args), input=stdin, capture_output=True, cwd=WORK,
                       timeout=60)
    return p.returncode, (p.stdout + p.stderr).decode("latin-1")


def norm(text):
    """Output lines without what legitimately differs between runs."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\d+:C \d+ \w+ \d+ [\d:.]+ #", "LOG #", line)
        line = re.sub(r"(got: [0-9a-f]{2})[0-9a-f]*", r"\1", line)
        line = re.sub(r"^Usage: \S+", "Usage: PROG", line)
        out.append(line)
    return out


def rdb_view(lines, counts=True):
    """An RDB report without the error's reason and additional info (and,
    for corrupt rather than cut files, without the counts and the progress
    lines: the reader validates values more deeply than Redis does by
    default, so it can stop at a damaged value that Redis reads past)."""
    out, in_error = [], False
    for line in lines:
        if not counts and line.startswith("[offset") and "Checking RDB file" not in line:
            continue
        if line == "--- RDB ERROR DETECTED ---":
            in_error = True
            out.append(line)
            continue
        if in_error and (line.startswith("[offset") or line.startswith("[additional info]")):
            continue
        if line.startswith("[info]") and in_error and not counts:
            continue
        if "Terminating server after rdb file reading failure" in line or \
                line == "RDB preamble of AOF file is not sane, aborting.":
            continue
        out.append(line)
    return out


def same(ref, ours, what, view=None):
    a = (ref[0], view(norm(ref[1])) if view else norm(ref[1]))
    b = (ours[0], view(norm(ours[1])) if view else norm(ours[1]))
    if a != b:
        t.diag("%s differs:\n--- redis-check (exit %d)\n%s\n--- ours (exit %d)\n%s"
               % (what, ref[0], "\n".join(a[1]), ours[0], "\n".join(b[1])))
    return a == b


def both(args, setup=None, stdin=b"", tool="aof", measure=None):
    """Runs the reference and ours on the same input (setup() recreates it
    before each run, for tools that change files). With measure, returns
    also what measure() says after each run (e.g. a file's size)."""
    exes = (REF_AOF, OUR_AOF) if tool == "aof" else (REF_RDB, OUR_RDB)
    results, after = [], []
    for exe in exes:
        if setup:
            setup()
        results.append(run(exe, args, stdin))
        if measure:
            after.append(measure())
    return (results, after) if measure else results


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def compare_many(name, inputs, args_for, view=None, tool="aof"):
    """Each (label, bytes) input written to one file and checked by both."""
    bad = 0
    path = os.path.join(WORK, name)
    for label, data in inputs:
        ref, ours = both(args_for(path), setup=lambda: write(path, data), tool=tool)
        if not same(ref, ours, "%s %s" % (name, label), view):
            bad += 1
            if bad >= 3:
                break
    return bad == 0


def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


# ---- inputs from the reference server ----------------------------------------

def populate(r):
    r.set("str", "hello")
    r.set("int", 12345)
    r.set("bin", b"a\r\nb\x00c")
    r.rpush("list", *["e%d" % i for i in range(150)])
    r.rpush("small-list", 1, 2, "three")
    r.sadd("intset", *range(20))
    r.sadd("set", *["m%d" % i for i in range(100)])
    r.zadd("zset", {"a": 1, "b": 2.5, "c": float("inf"), "d": -0.1})
    r.zadd("big-zset", {"m%d" % i: i / 3 for i in range(200)})
    r.hset("hash", mapping={"f1": "v1", "f2": 2})
    r.hset("big-hash", mapping={"f%d" % i: "v%d" % i for i in range(140)})
    r.set("ttl", "x", px=10 ** 9)
    r.set("gone", "x", px=1)
    r.execute_command("SELECT", 5)
    r.set("db5", "yes")
    r.execute_command("SELECT", 0)


def manifest_name(d):
    return os.path.join(d, "appendonlydir", "appendonly.aof.manifest")


def rewrite(srv, r):
    before = read(manifest_name(srv.dir))
    r.bgrewriteaof()
    rhtest.wait_for(lambda: read(manifest_name(srv.dir)) != before and
                    r.info("persistence")["aof_rewrite_in_progress"] == 0,
                    what="BGREWRITEAOF")


def next_second():
    now = int(time.time())
    rhtest.wait_for(lambda: int(time.time()) > now, what="the next second")


def incr_writes(r):
    """Writes in three more seconds (so three timestamp annotations), with a
    transaction among them."""
    next_second()
    r.set("after", "1")
    next_second()
    p = r.pipeline(transaction=True)
    p.set("m1", "a")
    p.incr("counter")
    p.execute()
    next_second()
    r.rpush("list", "tail")


def reference_dir(preamble):
    srv = rhtest.Server(binary=rhtest.REF_SERVER, config=(
        "appendonly yes\nappendfsync always\naof-use-rdb-preamble %s\n"
        "aof-timestamp-enabled yes\nenable-debug-command yes\n"
        % ("yes" if preamble else "no")))
    r = srv.client()
    rhtest.wait_for(lambda: os.path.exists(manifest_name(srv.dir)), what="the manifest")
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    populate(r)
    rewrite(srv, r)
    incr_writes(r)
    r.save()
    dest = os.path.join(WORK, "preamble" if preamble else "resp")
    shutil.copytree(os.path.join(srv.dir, "appendonlydir"), dest)
    shutil.copy(os.path.join(srv.dir, "dump.rdb"), os.path.join(WORK, "dump-%s.rdb"
                                                                 % ("p" if preamble else "r")))
    srv.stop()
    return dest


def files_of(d):
    names = sorted(os.listdir(d))
    base = [n for n in names if ".base." in n][0]
    incr = [n for n in names if n.endswith(".incr.aof")][0]
    return os.path.join(d, base), os.path.join(d, incr), os.path.join(d,
                                                                      "appendonly.aof.manifest")


RESP = reference_dir(False)
PRE = reference_dir(True)
r_base, r_incr, r_man = files_of(RESP)
p_base, p_incr, p_man = files_of(PRE)
DUMP = os.path.join(WORK, "dump-r.rdb")
t.ok(read(r_base).startswith(b"#TS:") and b"REDIS" not in read(r_base)[:5],
     "reference wrote a command base with a timestamp")
t.ok(read(p_base).startswith(b"REDIS"), "reference wrote an RDB base")
t.ok(read(r_incr).count(b"#TS:") >= 3 and b"MULTI" in read(r_incr),
     "incremental file with three timestamps and a transaction")

# ---- good files ----------------------------------------------------------------
for label, args in (("command-base manifest", [r_man]), ("RDB-base manifest", [p_man]),
                    ("command base alone", [r_base]), ("incremental file alone", [r_incr]),
                    ("RDB base as an old-style preamble AOF", [p_base])):
    ref, ours = both(args)
    t.ok(ref[0] == 0 and same(ref, ours, label), "good %s: same report, exit 0" % label)
old_style = os.path.join(WORK, "old-style.aof")
write(old_style, read(p_base) + read(p_incr))
ref, ours = both([old_style])
t.ok(ref[0] == 0 and same(ref, ours, "old-style"), "RDB preamble and command tail in one file")
ref, ours = both([DUMP], tool="rdb")
t.ok(ref[0] == 0 and same(ref, ours, "dump.rdb"), "redis-check-rdb on a good dump.rdb")
ref, ours = both([os.path.join(WORK, "dump-p.rdb")], tool="rdb")
t.ok(ref[0] == 0 and same(ref, ours, "dump.rdb"), "redis-check-rdb on a second dump.rdb")

# ---- truncations and flips of command files ------------------------------------------
incr = read(r_incr)
# Every cut in the first commands and around the transaction, every 6th elsewhere.
tx = (incr.index(b"MULTI") - 16, incr.index(b"EXEC") + 8)
cuts = [i for i in range(len(incr) + 1) if i < 60 or tx[0] <= i <= tx[1] or i % 6 == 0]
t.ok(compare_many("cut.aof", [("cut at %d" % i, incr[:i]) for i in cuts], lambda p: [p]),
     "truncations of the incremental file (%d of %d bytes)" % (len(cuts), len(incr)))
base = read(r_base)
cuts = sorted(set(list(range(0, 40, 3)) + list(range(0, len(base), max(1, len(base) // 40)))))
t.ok(compare_many("cut-base.aof", [("cut at %d" % i, base[:i]) for i in cuts], lambda p: [p]),
     "sampled truncations of the command base (%d)" % len(cuts))
rng = random.Random(7)


def flipped(data, n):
    out = []
    for _ in range(n):
        i = rng.randrange(len(data))
        b = bytearray(data)
        b[i] ^= 1 << rng.randrange(8)
        out.append(("flip at %d" % i, bytes(b)))
    return out


t.ok(compare_many("flip.aof", flipped(incr, 30) + flipped(base, 30), lambda p: [p]),
     "bit flips of command files")
SET_A = cmd("SET", "a", "1")
malformed = [
    ("garbage", SET_A + b"xyz\r\n" + SET_A),
    ("bad prefix", SET_A + b"*2\r\n$3\r\nGET\r\n%1\r\na\r\n"),
    ("no CRLF", SET_A + b"*2\r\n$3\r\nGETxx$1\r\na\r\n"),
    ("high bytes", SET_A + b"*2\r\n$3\r\nGET\xff\xfe$1\r\na\r\n"),
    ("negative length", SET_A + b"*2\r\n$-3\r\nGET\r\n"),
    ("spaces and signs", b"* 2\r\n$ 3\r\nGET\r\n$+1\r\na\r\n"),
    ("MULTI left open", SET_A + cmd("MULTI") + SET_A),
    ("MULTI twice", SET_A + cmd("MULTI") + SET_A + cmd("multi") + cmd("EXEC")),
    ("EXEC alone", SET_A + cmd("EXEC") + SET_A),
    ("transaction", SET_A + cmd("MULTI") + SET_A + cmd("EXEC")),
    ("transaction cut", SET_A + cmd("MULTI") + SET_A + cmd("EXEC")[:5]),
    ("annotation cut", SET_A + b"#TS:17"),
    ("annotations only", b"#TS:1\r\n#x\r\n"),
    ("empty", b""),
    ("manifest-like comment only", b"# nothing\n"),
]
t.ok(compare_many("bad.aof", malformed, lambda p: [p]),
     "malformed commands, transactions, annotations, empty files")

# ---- RDB files and preambles -----------------------------------------------------------
dump = read(DUMP)
cuts = sorted(set(list(range(0, 100, 7)) + list(range(0, len(dump), max(1, len(dump) // 40)))))
t.ok(compare_many("cut.rdb", [("cut at %d" % i, dump[:i]) for i in cuts], lambda p: [p],
                  view=rdb_view, tool="rdb"),
     "redis-check-rdb on sampled truncations: same exit and lines")
t.ok(compare_many("flip.rdb", flipped(dump, 30), lambda p: [p],
                  view=lambda lines: rdb_view(lines, counts=False), tool="rdb"),
     "redis-check-rdb on bit flips: same exit and lines")
pre = read(old_style)
t.ok(compare_many("cut-pre.aof", [("cut at %d" % i, pre[:i])
                                  for i in range(0, len(pre), max(1, len(pre) // 30))],
                  lambda p: [p], view=rdb_view),
     "truncated preamble AOFs")
t.ok(compare_many("flip-pre.aof", flipped(pre, 20), lambda p: [p],
                  view=lambda lines: rdb_view(lines, counts=False)),
     "bit-flipped preamble AOFs")

# ---- manifests -------------------------------------------------------------------------


def manifest_case(text, label, files=None):
    d = os.path.join(WORK, "man")
    shutil.rmtree(d, ignore_errors=True)
    os.mkdir(d)
    for name, data in (files or {}).items():
        write(os.path.join(d, name), data)
    write(os.path.join(d, "m.manifest"), text)
    return same(*both([os.path.join(d, "m.manifest")]), label)


good_files = {"a.aof": SET_A, "b.aof": b"#TS:100\r\n" + SET_A + b"#TS:200\r\n" + SET_A}
cases = [
    (b"file a.aof seq 1 type b\nfile b.aof seq 1 type i\n", "base and incr"),
    (b"file a.aof seq 1 type b\n\n", "empty line"),
    (b"file a.aof seq 1 type b", "no final newline"),
    (b"file a.aof seq 1 type x\n", "unknown type"),
    (b"file a.aof seq 1\n", "too few pairs"),
    (b"file dir/a.aof seq 1 type b\n", "a path"),
    (b"file a.aof seq 1 type b\nfile b.aof seq 2 type b\n", "two bases"),
    (b"file a.aof seq 2 type i\nfile b.aof seq 1 type i\n", "seq going down"),
    (b"file a.aof seq 0 type i\n", "seq 0"),
    (b"file \"a.aof seq 1 type i\n", "unbalanced quote"),
    (b"# comment\nfile a.aof seq 1 type h\nfile b.aof seq 3 type i\n", "comment and history"),
    (b"file a.aof seq 1 type b\nfile missing.aof seq 2 type i\n", "missing file"),
    (b"file \"x y.aof\" seq 1 type i\n", "quoted name"),
]
t.ok(all(manifest_case(text, label, good_files) for text, label in cases),
     "manifest errors: same messages, lines and exits")

# ---- --fix -------------------------------------------------------------------------------


def fix_case(data, answer, label):
    path = os.path.join(WORK, "fix.aof")
    (ref, ours), sizes = both(["--fix", path], setup=lambda: write(path, data), stdin=answer,
                              measure=lambda: len(read(path)))
    return same(ref, ours, label) and sizes[0] == sizes[1]


fix_inputs = [incr[:n] for n in (len(incr) - 1, len(incr) - 9, len(incr) // 2, 20)] + \
    [SET_A + cmd("MULTI") + SET_A, SET_A + b"junk\r\n", incr]
t.ok(all(fix_case(d, b"y\n", "fix yes") for d in fix_inputs),
     "--fix answered y truncates to the same size")
t.ok(all(fix_case(d, b"n\n", "fix no") for d in fix_inputs[:3]) and
     fix_case(fix_inputs[0], b"", "fix eof"),
     "--fix answered n (or nothing) leaves the file")
fixdir = os.path.join(WORK, "fixman")


def broken_manifest_dir(which):
    shutil.rmtree(fixdir, ignore_errors=True)
    shutil.copytree(RESP, fixdir)
    b, i, _ = files_of(fixdir)
    victim = b if which == "base" else i
    data = read(victim)
    write(victim, data[:len(data) - 5])


for which in ("base", "incr"):
    (ref, ours), sizes = both(["--fix", os.path.join(fixdir, "appendonly.aof.manifest")],
                              setup=lambda w=which: broken_manifest_dir(w), stdin=b"y\n",
                              measure=lambda w=which: len(read(files_of(fixdir)[
                                  0 if w == "base" else 1])))
    t.ok(same(ref, ours, "fix manifest " + which) and sizes[0] == sizes[1],
         "--fix on a manifest whose %s file is cut: same report and size" % which)
ref, ours = both(["--fix", p_man])
t.ok(same(ref, ours, "fix good"), "--fix on a good manifest")

# ---- --truncate-to-timestamp -------------------------------------------------------------
stamps = sorted(int(m) for m in re.findall(rb"#TS:(\d+)", incr))
tsdir = os.path.join(WORK, "tsman")


def ts_setup():
    shutil.rmtree(tsdir, ignore_errors=True)
    shutil.copytree(RESP, tsdir)


bad = []
for ts in [stamps[0] - 1000, stamps[0], stamps[1], stamps[-1] - 1, stamps[-1], stamps[-1] + 5,
           0, -5]:
    (ref, ours), sizes = both(["--truncate-to-timestamp", str(ts),
                               os.path.join(tsdir, "appendonly.aof.manifest")],
                              setup=ts_setup, measure=lambda: len(read(files_of(tsdir)[1])))
    if not same(ref, ours, "truncate to %d" % ts) or sizes[0] != sizes[1]:
        bad.append(ts)
t.ok(not bad, "--truncate-to-timestamp: same reports and sizes (%s)" % (bad or "all"))
ts_file = os.path.join(WORK, "ts.aof")
ts_data = b"#TS:100\r\n" + SET_A + b"#TS:200\r\n" + SET_A + b"#TS:3x0\r\n" + SET_A
t.ok(all(same(*both(["--truncate-to-timestamp", ts, ts_file],
                    setup=lambda: write(ts_file, ts_data)), "ts " + ts)
         for ts in ("50", "150", "250", "abc", "")),
     "--truncate-to-timestamp on one file, a bad annotation, a bad argument")

# ---- arguments -----------------------------------------------------------------------------
t.ok(all(same(*both(args), "args %r" % (args,)) for args in
         ([], ["--fix"], ["--fix", "a", "b"], ["--foo", "x"], ["missing.aof"], [WORK])),
     "usage and open errors")
ref, ours = both([], tool="rdb")
t.ok(ref[0] == ours[0] == 1, "redis-check-rdb without a file exits 1")
t.ok(same(*both(["missing.rdb"], tool="rdb"), "missing rdb"), "redis-check-rdb on a missing file")
t.done()
