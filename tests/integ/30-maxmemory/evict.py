"""maxmemory: every eviction policy keeps used_memory under the limit while
a server is filled well past it, counts evicted_keys, spares keys without a
TTL under volatile policies, and noeviction refuses writes with Redis's OOM
error while reads and deletions still work."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import redis  # noqa: E402
import rhtest  # noqa: E402

LIMIT = 4 * 1024 * 1024
# Redis's own tests allow a little over the limit: the write that crossed
# it completes before the next eviction runs.
SLACK = LIMIT // 50
VALUE = "x" * 1000
KEYS = 12000  # About three times the limit.
OOM = "OOM command not allowed when used memory > 'maxmemory'."

t = rhtest.Tap()
srv = rhtest.Server(config="maxmemory 4mb\nmaxmemory-samples 5\n")
r = srv.client()


def used():
    return r.info("memory")["used_memory"]


def evicted():
    return r.info("stats")["evicted_keys"]


def fill(prefix, n, ttl=None, start=0):
    """Writes n keys in pipelined batches; returns the highest used_memory
    seen between batches."""
    peak = 0
    for base in range(start, start + n, 500):
        p = r.pipeline(transaction=False)
        for i in range(base, min(base + 500, start + n)):
            if ttl is None:
                p.set("%s:%d" % (prefix, i), VALUE)
            else:
                p.set("%s:%d" % (prefix, i), VALUE, ex=ttl + i)
        p.execute()
        peak = max(peak, used())
    return peak


for policy in ("allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
               "volatile-lfu", "volatile-random", "volatile-ttl"):
    r.flushall()
    r.config_set("maxmemory-policy", policy)
    volatile = policy.startswith("volatile")
    before = evicted()
    if volatile:
        for i in range(100):
            r.set("keep:%d" % i, "persistent")
    peak = fill("k", KEYS, ttl=10000 if volatile else None)
    after = evicted()
    size = r.dbsize()
    t.ok(peak <= LIMIT + SLACK, "%s: used_memory stays under maxmemory (peak %d)"
         % (policy, peak))
    t.ok(used() <= LIMIT + SLACK, "%s: under maxmemory at the end" % policy)
    t.ok(size < KEYS, "%s: keys were evicted (%d left)" % (policy, size))
    expected = KEYS + (100 if volatile else 0) - size
    t.is_(after - before, expected, "%s: evicted_keys counts every eviction" % policy)
    if volatile:
        kept = sum(1 for i in range(100) if r.exists("keep:%d" % i))
        t.is_(kept, 100, "%s: keys without a TTL are never evicted" % policy)

# volatile-ttl evicts the keys closest to expiring first.
r.flushall()
r.config_set("maxmemory-policy", "volatile-ttl")
fill("t", KEYS, ttl=1000)
first = sum(1 for i in range(0, 1000) if r.exists("t:%d" % i))
last = sum(1 for i in range(KEYS - 1000, KEYS) if r.exists("t:%d" % i))
t.ok(last > first, "volatile-ttl: late-expiring keys survive more (%d vs %d of 1000)"
     % (last, first))

# Lowering maxmemory at run time evicts down to the new limit.
r.config_set("maxmemory-policy", "allkeys-random")
r.flushall()
fill("k", 3000)
r.config_set("maxmemory", str(2 * 1024 * 1024))
rhtest.wait_for(lambda: used() <= 2 * 1024 * 1024 + SLACK, timeout=10,
                what="eviction after lowering maxmemory")
t.ok(True, "lowering maxmemory evicts down to the new limit")
r.config_set("maxmemory", str(LIMIT))

# A volatile policy with no volatile keys cannot free anything.
r.flushall()
r.config_set("maxmemory-policy", "volatile-lru")
err = None
try:
    fill("p", KEYS)
except redis.exceptions.ResponseError as e:
    err = str(e)
t.ok(err is not None and err.endswith(OOM),
     "volatile-lru without volatile keys refuses writes when full")

# noeviction refuses writes but serves reads and deletions.
r.flushall()
r.config_set("maxmemory-policy", "noeviction")
before = evicted()
err = None
written = 0
try:
    for i in range(KEYS):
        r.set("n:%d" % i, VALUE)
        written += 1
except redis.exceptions.ResponseError as e:
    err = str(e)
t.is_(err, OOM, "noeviction: writes refused with the OOM error")
t.ok(0 < written < KEYS, "noeviction: refused once full (%d written)" % written)
t.is_(evicted(), before, "noeviction: nothing evicted")
t.is_(r.get("n:0"), VALUE.encode(), "noeviction: reads still work")
t.ok(used() <= LIMIT + SLACK, "noeviction: memory stays near the limit")
t.raises(lambda: r.set("more", VALUE), OOM, "noeviction: still full")
t.is_(r.delete(*["n:%d" % i for i in range(200)]), 200, "noeviction: DEL works when full")
t.is_(r.set("more", VALUE), True, "noeviction: writes work again after freeing memory")

# Without maxmemory nothing is evicted.
r.config_set("maxmemory", "0")
r.config_set("maxmemory-policy", "allkeys-lru")
r.flushall()
before = evicted()
fill("z", 6000)
t.is_(r.dbsize(), 6000, "maxmemory 0: every key kept")
t.is_(evicted(), before, "maxmemory 0: nothing evicted")

t.done()
