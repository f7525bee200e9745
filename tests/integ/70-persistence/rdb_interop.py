#!/usr/bin/python3
"""RDB files written by redis-ha load in the reference redis-server 7.0.15.

tests/unit/db/test_rdb --write DIR loads every fixture of tests/fixtures/rdb
(files the reference wrote) and saves it again with redis-ha's writer, and
also saves a file of values it builds itself (with their content in
built.txt). Each file is then loaded by the reference server, whose view of
the keys must be the content the fixture's NAME.txt (or built.txt) records.
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

FIXTURES = os.path.join(rhtest.TOP_SRCDIR, "tests", "fixtures", "rdb")
sys.path.insert(0, FIXTURES)
import gen_fixtures  # noqa: E402

NAMES = ["strings", "hashes", "sets", "lists", "lists-compressed", "lists-plain",
         "zsets", "clock-lru", "clock-lfu", "uncompressed", "nochecksum", "legacy"]

t = rhtest.Tap()
writer = os.path.join(rhtest.TOP_BUILDDIR, "tests", "unit", "db", "test_rdb")
if not os.path.exists(rhtest.REF_SERVER):
    t.skip("reference interop", "no reference redis-server")
    t.done()
if not os.path.exists(writer):
    t.skip("reference interop", "tests/unit/db/test_rdb not built")
    t.done()

out = rhtest.tmpdir()
env = dict(os.environ, top_srcdir=rhtest.TOP_SRCDIR)
proc = subprocess.run([writer, "--write", out], env=env, capture_output=True, timeout=120)
t.is_(proc.returncode, 0, "test_rdb --write produced the files")
if proc.returncode != 0:
    t.diag(proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace"))
    t.done()


def ref_view(path):
    """The canonical content of an RDB file as the reference loads it."""
    srv = rhtest.Server(binary=rhtest.REF_SERVER, start=False)
    shutil.copy(path, os.path.join(srv.dir, "dump.rdb"))
    try:
        srv.start()
    except (RuntimeError, TimeoutError) as e:
        return None, str(e)[-1500:]
    try:
        return gen_fixtures.canon(srv.client()), None
    finally:
        srv.stop()


def first_diff(a, b):
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    return "at %d: got %r, want %r" % (i, a[max(0, i - 80):i + 80], b[max(0, i - 80):i + 80])


for name in NAMES + ["built"]:
    want_path = os.path.join(out if name == "built" else FIXTURES, name + ".txt")
    with open(want_path) as f:
        want = f.read()
    got, err = ref_view(os.path.join(out, name + ".rdb"))
    if got is None:
        t.ok(False, "reference loads redis-ha's %s.rdb" % name)
        t.diag(err)
        continue
    if not t.ok(got == want, "reference loads redis-ha's %s.rdb with the same content" % name):
        t.diag(first_diff(got, want))

t.done()
