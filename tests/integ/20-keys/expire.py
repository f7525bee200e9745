"""Expiry: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX XX GT LT, TTL/PTTL,
EXPIRETIME/PEXPIRETIME, PERSIST, times in the past, overflow errors, lazy
expiry on access and active expiry by the cron (bounded polling waits)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
srv = rhtest.Server(config="enable-debug-command yes\n")
r = srv.client()
c = srv.raw()


def dirty():
    return r.info("persistence")["rdb_changes_since_last_save"]


def dirty_delta(fn):
    before = dirty()
    res = fn()
    return res, dirty() - before


# --- basic forms ----------------------------------------------------------------
r.set("k", "v")
t.is_(r.ttl("k"), -1, "TTL without expiry is -1")
t.is_(r.pttl("k"), -1, "PTTL without expiry is -1")
t.is_(r.expiretime("k") if hasattr(r, "expiretime") else c.cmd("EXPIRETIME", "k"), -1,
      "EXPIRETIME without expiry is -1")
t.is_(c.cmd("PEXPIRETIME", "k"), -1, "PEXPIRETIME without expiry is -1")
for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
    t.is_(c.cmd(cmd, "nokey"), -2, "%s of a missing key is -2" % cmd)
res, d = dirty_delta(lambda: c.cmd("EXPIRE", "k", "100"))
t.is_((res, d), (1, 1), "EXPIRE sets a TTL, dirty +1")
t.ok(99 <= r.ttl("k") <= 100, "TTL after EXPIRE 100")
t.ok(99000 < r.pttl("k") <= 100000, "PTTL after EXPIRE 100")
t.is_(c.cmd("PEXPIRE", "k", "5400"), 1, "PEXPIRE")
t.is_(r.ttl("k"), 5, "TTL rounds 5.4s down")
c.cmd("PEXPIRE", "k", "5900")
t.is_(r.ttl("k"), 6, "TTL rounds 5.9s up")
now = int(time.time())
t.is_(c.cmd("EXPIREAT", "k", str(now + 1000)), 1, "EXPIREAT")
t.is_(c.cmd("EXPIRETIME", "k"), now + 1000, "EXPIRETIME returns the absolute time")
t.is_(c.cmd("PEXPIRETIME", "k"), (now + 1000) * 1000, "PEXPIRETIME in ms")
t.is_(c.cmd("PEXPIREAT", "k", "99999999999501"), 1, "PEXPIREAT")
t.is_(c.cmd("EXPIRETIME", "k"), 100000000000, "EXPIRETIME rounds half up")
t.is_(c.cmd("PEXPIREAT", "k", "9223372036854775807"), 1, "PEXPIREAT at INT64_MAX")
t.is_(c.cmd("EXPIRETIME", "k"), 9223372036854776, "EXPIRETIME near INT64_MAX does not wrap")
t.is_(c.cmd("EXPIRE", "nokey", "100"), 0, "EXPIRE of a missing key is 0")
res, d = dirty_delta(lambda: c.cmd("PERSIST", "k"))
t.is_((res, d), (1, 1), "PERSIST removes the TTL, dirty +1")
t.is_(r.ttl("k"), -1, "no TTL after PERSIST")
res, d = dirty_delta(lambda: c.cmd("PERSIST", "k"))
t.is_((res, d), (0, 0), "PERSIST without a TTL is 0")
t.is_(c.cmd("PERSIST", "nokey"), 0, "PERSIST of a missing key is 0")

# --- NX XX GT LT ------------------------------------------------------------------
r.set("f", "v")
t.is_(c.cmd("EXPIRE", "f", "100", "XX"), 0, "XX without a TTL fails")
t.is_(c.cmd("EXPIRE", "f", "100", "GT"), 0, "GT without a TTL fails (no TTL is infinite)")
t.is_(c.cmd("EXPIRE", "f", "100", "NX"), 1, "NX without a TTL sets it")
t.is_(c.cmd("EXPIRE", "f", "200", "NX"), 0, "NX with a TTL fails")
t.is_(c.cmd("EXPIRE", "f", "200", "LT"), 0, "LT with a larger time fails")
t.is_(c.cmd("EXPIRE", "f", "50", "lt"), 1, "LT with a smaller time succeeds")
t.is_(c.cmd("EXPIRE", "f", "40", "GT"), 0, "GT with a smaller time fails")
at = str(int(time.time() * 1000) + 60000)
t.is_(c.cmd("PEXPIREAT", "f", at, "GT"), 1, "GT with a later absolute time succeeds")
t.is_(c.cmd("PEXPIREAT", "f", at, "GT"), 0, "GT with an equal time fails")
t.is_(c.cmd("PEXPIREAT", "f", at, "LT"), 0, "LT with an equal time fails")
t.is_(c.cmd("EXPIRE", "f", "300", "XX", "GT"), 1, "XX GT with a larger time succeeds")
t.ok(299 <= r.ttl("f") <= 300, "the TTL is the GT one")
r.persist("f")
t.is_(c.cmd("EXPIRE", "f", "300", "LT"), 1, "LT without a TTL succeeds")
t.is_(c.cmd("EXPIRE", "f", "100", "nx", "xx"),
      "ERR NX and XX, GT or LT options at the same time are not compatible", "NX XX")
t.is_(c.cmd("EXPIRE", "f", "100", "NX", "GT"),
      "ERR NX and XX, GT or LT options at the same time are not compatible", "NX GT")
t.is_(c.cmd("EXPIRE", "f", "100", "GT", "LT"),
      "ERR GT and LT options at the same time are not compatible", "GT LT")
t.is_(c.cmd("EXPIRE", "f", "100", "FOO"), "ERR Unsupported option FOO", "unknown option")
t.is_(c.cmd("EXPIRE", "f", "abc", "FOO"), "ERR Unsupported option FOO",
      "options are checked before the time")
t.is_(c.cmd("EXPIRE", "f", "1.5"), "ERR value is not an integer or out of range",
      "non-integer time")
t.is_(c.cmd("EXPIRE", "f", "9223372036854775807"),
      "ERR invalid expire time in 'expire' command", "EXPIRE overflow")
t.is_(c.cmd("PEXPIRE", "f", "9223372036854775807"),
      "ERR invalid expire time in 'pexpire' command", "PEXPIRE overflow (base added)")
t.is_(c.cmd("EXPIREAT", "f", "-9223372036854775808"),
      "ERR invalid expire time in 'expireat' command", "EXPIREAT underflow")
t.is_(c.cmd("PEXPIREAT", "f", "9223372036854775807"), 1, "PEXPIREAT INT64_MAX fits")
t.is_(c.cmd("EXPIRE"), "ERR wrong number of arguments for 'expire' command", "arity")

# --- a time in the past deletes the key ----------------------------------------------
r.set("p", "v")
res, d = dirty_delta(lambda: c.cmd("EXPIRE", "p", "-1"))
t.is_((res, d), (1, 1), "EXPIRE in the past replies 1, dirty +1")
t.is_(r.exists("p"), 0, "and deletes the key")
for cmd, arg in (("PEXPIRE", "0"), ("EXPIREAT", "1"), ("PEXPIREAT", "1500"),
                 ("PEXPIRE", "-9223372036854775808")):
    r.set("p", "v")
    t.ok(c.cmd(cmd, "p", arg) == 1 and r.exists("p") == 0, "%s %s deletes the key" % (cmd, arg))
r.set("p", "v")
r.expire("p", 100)
t.ok(c.cmd("EXPIRE", "p", "-5", "LT") == 1 and r.exists("p") == 0,
     "LT with a past time deletes the key")

# --- active expiry ---------------------------------------------------------------------
r.flushall()
expired0 = r.info("stats")["expired_keys"]
for i in range(200):
    r.set("act:%d" % i, "v", px=50)
r.set("stay", "v")
try:
    rhtest.wait_for(lambda: r.dbsize() == 1, timeout=10, what="active expiry")
    t.ok(True, "the cron removes expired keys nobody accesses")
except TimeoutError as e:
    t.ok(False, "the cron removes expired keys nobody accesses")
    t.diag(str(e))
t.is_(r.info("stats")["expired_keys"] - expired0, 200, "expired_keys counts them")

# --- lazy expiry ------------------------------------------------------------------------
try:
    have_debug = r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") in (True, b"OK", "OK")
except Exception:  # noqa: BLE001 - DEBUG may be unavailable
    have_debug = False
if not have_debug:
    t.skip("lazy expiry keeps keys until accessed", "DEBUG SET-ACTIVE-EXPIRE unavailable")
else:
    r.flushall()
    for i in range(10):
        r.set("lazy:%d" % i, "v", px=30)
    # KEYS skips logically expired keys without deleting them.
    rhtest.wait_for(lambda: r.keys("lazy:*") == [], timeout=5, what="TTLs to pass")
    t.is_(r.dbsize(), 10, "with active expiry off, expired keys stay until accessed")
    t.is_(r.get("lazy:0"), None, "GET of an expired key is null")
    t.is_(r.dbsize(), 9, "the access deleted it")
    t.is_(r.exists("lazy:1", "lazy:2"), 0, "EXISTS deletes expired keys lazily")
    t.is_(r.delete("lazy:3"), 0, "DEL of an expired key counts 0")
    t.is_(r.ttl("lazy:4"), -2, "TTL of an expired key is -2")
    t.is_(c.cmd("RENAME", "lazy:5", "x"), "ERR no such key", "RENAME of an expired key")
    t.is_(r.dbsize(), 4, "each access deleted its key")
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    rhtest.wait_for(lambda: r.dbsize() == 0, timeout=10, what="active expiry to resume")
    t.ok(True, "active expiry resumes")

c.close()
t.done()
