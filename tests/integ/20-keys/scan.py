"""SCAN: reply shape, cursor parsing, MATCH/COUNT/TYPE, and the guarantee
that every key present for the whole iteration is returned while the keys
table grows (rehashing between calls) and shrinks (in the server cron)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
srv = rhtest.Server(config="hz 50\n")
r = srv.client()
c = srv.raw()


def scan_all(conn, *opts):
    """Runs a whole iteration; returns (keys seen as a list, calls made)."""
    cursor, seen, calls = b"0", [], 0
    while True:
        rep = conn.cmd("SCAN", cursor, *opts)
        cursor, keys = rep
        seen.extend(keys)
        calls += 1
        if cursor == b"0":
            return seen, calls


def fill(prefix, start, n, chunk=1000):
    for lo in range(start, start + n, chunk):
        hi = min(lo + chunk, start + n)
        r.mset({"%s:%d" % (prefix, i): "v" for i in range(lo, hi)})


def delete(prefix, start, n, chunk=1000):
    for lo in range(start, start + n, chunk):
        hi = min(lo + chunk, start + n)
        r.delete(*["%s:%d" % (prefix, i) for i in range(lo, hi)])


def table_is_small(limit):
    """True when a fresh SCAN step returns a cursor below limit: cursors are
    bucket indexes of the larger table, so this shows the shrink finished."""
    cursor, _ = c.cmd("SCAN", "0", "COUNT", "1")
    return int(cursor) < limit


# --- reply shape and argument errors -----------------------------------------
t.is_(c.cmd("SCAN", "0"), [b"0", []], "SCAN of an empty db: [cursor, []]")
r.mset({"a": "1", "b": "2", "c": "3"})
rep = c.cmd("SCAN", "0")
t.ok(isinstance(rep, list) and rep[0] == b"0" and sorted(rep[1]) == [b"a", b"b", b"c"],
     "SCAN returns the cursor as a bulk string and the keys")
c3 = srv.raw()
c3.cmd("HELLO", "3")
rep = c3.cmd("SCAN", "0")
t.ok(rep[0] == b"0" and sorted(rep[1]) == [b"a", b"b", b"c"], "SCAN in RESP3")
c3.close()
for bad, err in ((["abc"], "ERR invalid cursor"), ([" 5"], "ERR invalid cursor"),
                 (["18446744073709551616"], "ERR invalid cursor"),
                 (["-"], "ERR invalid cursor"),
                 (["0", "COUNT", "0"], "ERR syntax error"),
                 (["0", "COUNT", "-1"], "ERR syntax error"),
                 (["0", "COUNT", "x"], "ERR value is not an integer or out of range"),
                 (["0", "MATCH"], "ERR syntax error"),
                 (["0", "FOO", "bar"], "ERR syntax error"),
                 (["abc", "COUNT", "0"], "ERR invalid cursor")):
    t.is_(c.cmd("SCAN", *bad), err, "SCAN %s" % " ".join(bad))
for ok_cursor in ("-1", "+5", "", "18446744073709551615"):
    rep = c.cmd("SCAN", ok_cursor)
    t.ok(isinstance(rep, list) and len(rep) == 2, "SCAN accepts cursor %r as strtoul does"
         % ok_cursor)
t.is_(c.cmd("SCAN", "0", "TYPE", "STRING")[1] != [], True, "TYPE is case-insensitive")
t.is_(c.cmd("SCAN", "0", "TYPE", "list"), [b"0", []], "TYPE filters other types out")
t.is_(c.cmd("SCAN", "0", "TYPE", "nosuchtype"), [b"0", []], "an unknown TYPE matches nothing")

# --- MATCH and COUNT ------------------------------------------------------------
r.flushall()
fill("m", 0, 1000)
fill("other", 0, 200)
seen, calls = scan_all(c, "MATCH", "m:1*", "COUNT", "50")
want = {("m:%d" % i).encode() for i in range(1000) if str(i).startswith("1")}
t.is_(set(seen), want, "SCAN MATCH returns exactly the matching keys")
seen, calls = scan_all(c, "COUNT", "100")
t.is_(len(set(seen)), 1200, "SCAN COUNT 100 visits every key")
t.ok(calls <= 30, "COUNT 100 takes few calls (%d)" % calls)
seen, calls10 = scan_all(c)
t.ok(calls10 > calls, "the default COUNT of 10 takes more calls (%d)" % calls10)

# --- growth: keys added between calls force resizes and rehashing ----------------
r.flushall()
fill("base", 0, 300)
cursor, seen, step, grown = b"0", set(), 0, 0
while True:
    cursor, keys = c.cmd("SCAN", cursor, "COUNT", "20")
    seen.update(keys)
    step += 1
    if step % 2 == 0 and grown < 40000:
        fill("grow", grown, 1500)
        grown += 1500
    if cursor == b"0":
        break
base = {("base:%d" % i).encode() for i in range(300)}
t.is_(base - seen, set(), "every key present throughout was returned while the table grew")
t.ok(grown >= 3000, "the table grew during the scan (%d keys added)" % grown)

# --- shrink: deleting most keys lets the cron shrink the table mid-scan ----------
r.flushall()
fill("keep", 0, 100)
fill("big", 0, 30000)
cursor, seen = b"0", set()
for _ in range(5):
    cursor, keys = c.cmd("SCAN", cursor, "COUNT", "100")
    seen.update(keys)
t.ok(cursor != b"0", "scan still in progress before the shrink")
t.ok(not table_is_small(1024), "the table is large before the deletions")
delete("big", 0, 30000)
try:
    rhtest.wait_for(lambda: table_is_small(1024), timeout=20, what="the table to shrink")
    t.ok(True, "the cron shrank the table")
except TimeoutError as e:
    t.ok(False, "the cron shrank the table")
    t.diag(str(e))
while cursor != b"0":
    cursor, keys = c.cmd("SCAN", cursor, "COUNT", "10")
    seen.update(keys)
keep = {("keep:%d" % i).encode() for i in range(100)}
t.is_(keep - seen, set(), "every key present throughout was returned across the shrink")
seen_after, _ = scan_all(c)
t.is_(set(seen_after), keep, "a new scan after the shrink returns exactly the survivors")

# --- expired keys are not returned ---------------------------------------------
r.flushall()
fill("live", 0, 50)
for i in range(50):
    r.set("gone:%d" % i, "v", px=1)
rhtest.wait_for(lambda: r.pttl("gone:0") == -2 and not r.keys("gone:*"), timeout=5,
                what="the short TTLs to pass")
seen, _ = scan_all(c)
t.is_(sorted(set(seen)), sorted({("live:%d" % i).encode() for i in range(50)}),
      "SCAN filters out expired keys")

c.close()
t.done()
