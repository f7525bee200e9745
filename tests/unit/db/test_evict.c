#include <config.h>
#include "db/evict.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "db/keyspace.h"
#include "db/object.h"
#include "tap.h"

/* Policy numbers (enum maxmemory_policy order). */
enum {
    NOEVICTION, ALLKEYS_LRU, ALLKEYS_LFU, ALLKEYS_RANDOM,
    VOLATILE_LRU, VOLATILE_LFU, VOLATILE_RANDOM, VOLATILE_TTL,
};

#define NDBS 2

static void add_key(db_t *db, const char *prefix, int i)
{
    char k[64];
    int n = snprintf(k, sizeof(k), "%s:%d", prefix, i);
    db_add(db, key_ref(k, (size_t)n), obj_new_string("some value here", 15));
}

static bool has_key(db_t *db, const char *prefix, int i)
{
    char k[64];
    int n = snprintf(k, sizeof(k), "%s:%d", prefix, i);
    return db_key_str(db, key_ref(k, (size_t)n)) != NULL;
}

static int count_present(db_t *db, const char *prefix, int n)
{
    int found = 0;
    for (int i = 0; i < n; i++)
        found += has_key(db, prefix, i);
    return found;
}

static void test_policy_names(void)
{
    static const char *const names[] = {
        "noeviction",   "allkeys-lru",  "allkeys-lfu",     "allkeys-random",
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    };
    for (int i = 0; i < 8; i++) {
        is_int(evict_policy_parse(names[i]), i, "parse %s", names[i]);
        is_str(evict_policy_name(i), names[i], "name of %d", i);
    }
    is_int(evict_policy_parse("ALLKEYS-LRU"), ALLKEYS_LRU, "names are case-insensitive");
    is_int(evict_policy_parse("lru"), -1, "unknown name");
    ok(evict_policy_name(8) == NULL, "no name past the last policy");
}

static void test_under_limit_and_noeviction(void)
{
    db_t *dbs = db_array_new(NDBS);
    for (int i = 0; i < 100; i++)
        add_key(&dbs[0], "k", i);
    uint64_t before = db_env.stat_evicted;
    is_int(evict_perform(dbs, NDBS, alloc_used() + 4096, ALLKEYS_LRU, 5), 0,
           "under the limit: success");
    is_int(db_size(&dbs[0]), 100, "under the limit: nothing evicted");
    is_int(evict_perform(dbs, NDBS, alloc_used() - 500, NOEVICTION, 5), -1,
           "noeviction over the limit fails");
    is_int(db_size(&dbs[0]), 100, "noeviction removes nothing");
    ok(db_env.stat_evicted == before, "no eviction counted");
    db_array_free(dbs, NDBS);
}

/* Calls evict_perform until it succeeds; one call may stop at its time
 * budget on a slow build, so success may take several. */
static int evict_until(db_t *dbs, int count, size_t target, int policy, int samples)
{
    int r = -1;
    for (int tries = 0; tries < 50 && r != 0; tries++)
        r = evict_perform(dbs, count, target, policy, samples);
    return r;
}

/* Every policy brings memory under the limit and counts what it removed. */
static void test_each_policy_reaches_limit(void)
{
    for (int policy = ALLKEYS_LRU; policy <= VOLATILE_TTL; policy++) {
        db_t *dbs = db_array_new(NDBS);
        for (int i = 0; i < 2000; i++) {
            db_t *db = &dbs[i % NDBS];
            add_key(db, "k", i);
            char k[32];
            int n = snprintf(k, sizeof(k), "k:%d", i);
            db_set_expire(db, key_ref(k, (size_t)n), db_env.now_ms + 100000 + i);
        }
        size_t target = alloc_used() - 50000;
        uint64_t before = db_env.stat_evicted;
        int r = evict_until(dbs, NDBS, target, policy, 5);
        size_t left = db_size(&dbs[0]) + db_size(&dbs[1]);
        is_int(r, 0, "%s: success", evict_policy_name(policy));
        ok(alloc_used() <= target, "%s: memory under the limit", evict_policy_name(policy));
        is_int(db_env.stat_evicted - before, 2000 - left, "%s: evictions counted",
               evict_policy_name(policy));
        ok(db_size(&dbs[0]) < 1000 && db_size(&dbs[1]) < 1000,
           "%s: keys taken from both databases", evict_policy_name(policy));
        db_array_free(dbs, NDBS);
    }
}

static void test_volatile_without_ttls(void)
{
    db_t *dbs = db_array_new(NDBS);
    for (int i = 0; i < 100; i++)
        add_key(&dbs[0], "k", i);
    for (int policy = VOLATILE_LRU; policy <= VOLATILE_TTL; policy++) {
        is_int(evict_perform(dbs, NDBS, alloc_used() - 500, policy, 5), -1,
               "%s without volatile keys fails", evict_policy_name(policy));
    }
    is_int(db_size(&dbs[0]), 100, "keys without a TTL are never evicted by volatile policies");
    db_array_free(dbs, NDBS);
}

/* Approximated LRU: with samples larger than the pool, the idle keys go
 * first. */
static void test_lru_prefers_idle(void)
{
    db_t *dbs = db_array_new(NDBS);
    db_env.lru_clock = 1000;
    for (int i = 0; i < 100; i++)
        add_key(&dbs[0], "old", i);
    db_env.lru_clock = 5000;
    for (int i = 0; i < 100; i++)
        add_key(&dbs[0], "new", i);
    size_t target = alloc_used() - 2000;
    is_int(evict_until(dbs, NDBS, target, ALLKEYS_LRU, 32), 0, "lru: success");
    ok(count_present(&dbs[0], "old", 100) < 100, "lru: idle keys evicted");
    is_int(count_present(&dbs[0], "new", 100), 100, "lru: recently used keys kept");
    db_array_free(dbs, NDBS);
}

static void test_lfu_prefers_cold(void)
{
    db_t *dbs = db_array_new(NDBS);
    db_env.lfu = true;
    for (int i = 0; i < 100; i++) {
        add_key(&dbs[0], "cold", i);
        add_key(&dbs[0], "hot", i);
        char k[32];
        int n = snprintf(k, sizeof(k), "hot:%d", i);
        obj_t *o = db_lookup_quiet(&dbs[0], key_ref(k, (size_t)n));
        o->lru = (o->lru & ~0xffu) | 200;
        n = snprintf(k, sizeof(k), "cold:%d", i);
        o = db_lookup_quiet(&dbs[0], key_ref(k, (size_t)n));
        o->lru = (o->lru & ~0xffu) | 1;
    }
    size_t target = alloc_used() - 2000;
    is_int(evict_until(dbs, NDBS, target, ALLKEYS_LFU, 32), 0, "lfu: success");
    ok(count_present(&dbs[0], "cold", 100) < 100, "lfu: rarely used keys evicted");
    is_int(count_present(&dbs[0], "hot", 100), 100, "lfu: frequently used keys kept");
    db_env.lfu = false;
    db_array_free(dbs, NDBS);
}

static void test_ttl_prefers_soonest(void)
{
    db_t *dbs = db_array_new(NDBS);
    for (int i = 0; i < 100; i++) {
        add_key(&dbs[1], "soon", i);
        add_key(&dbs[1], "late", i);
        char k[32];
        int n = snprintf(k, sizeof(k), "soon:%d", i);
        db_set_expire(&dbs[1], key_ref(k, (size_t)n), db_env.now_ms + 1000 + i);
        n = snprintf(k, sizeof(k), "late:%d", i);
        db_set_expire(&dbs[1], key_ref(k, (size_t)n), db_env.now_ms + 900000 + i);
    }
    add_key(&dbs[1], "forever", 0);
    size_t target = alloc_used() - 2000;
    is_int(evict_until(dbs, NDBS, target, VOLATILE_TTL, 32), 0, "ttl: success");
    ok(count_present(&dbs[1], "soon", 100) < 100, "ttl: keys expiring soon evicted");
    is_int(count_present(&dbs[1], "late", 100), 100, "ttl: keys expiring late kept");
    ok(has_key(&dbs[1], "forever", 0), "ttl: key without TTL kept");
    db_array_free(dbs, NDBS);
}

/* Emptying everything is possible; then there is nothing left to evict. */
static void test_nothing_left(void)
{
    db_t *dbs = db_array_new(NDBS);
    for (int i = 0; i < 10; i++)
        add_key(&dbs[0], "k", i);
    is_int(evict_perform(dbs, NDBS, 1, ALLKEYS_RANDOM, 5), -1,
           "an unreachable limit fails");
    is_int(db_size(&dbs[0]), 0, "after evicting every key");
    db_array_free(dbs, NDBS);
}

int main(void)
{
    db_env.now_ms = 1700000000000LL;
    db_env.lru_clock = db_lru_clock_now();
    test_policy_names();
    test_under_limit_and_noeviction();
    test_each_policy_reaches_limit();
    test_volatile_without_ttls();
    test_lru_prefers_idle();
    test_lfu_prefers_cold();
    test_ttl_prefers_soonest();
    test_nothing_left();
    return done_testing();
}
