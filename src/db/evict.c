#include <config.h>
#include "db/evict.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/dict.h"

/* Policy numbers, in the order of enum maxmemory_policy (config.h), which
 * this layer may not include. */
enum {
    POLICY_NOEVICTION = 0,
    POLICY_ALLKEYS_LRU,
    POLICY_ALLKEYS_LFU,
    POLICY_ALLKEYS_RANDOM,
    POLICY_VOLATILE_LRU,
    POLICY_VOLATILE_LFU,
    POLICY_VOLATILE_RANDOM,
    POLICY_VOLATILE_TTL,
    POLICY_COUNT,
};

static const char *const policy_names[POLICY_COUNT] = {
    "noeviction",   "allkeys-lru",   "allkeys-lfu",     "allkeys-random",
    "volatile-lru", "volatile-lfu",  "volatile-random", "volatile-ttl",
};

int evict_policy_parse(const char *name)
{
    for (int i = 0; i < POLICY_COUNT; i++)
        if (strcasecmp(name, policy_names[i]) == 0)
            return i;
    return -1;
}

const char *evict_policy_name(int policy)
{
    return policy >= 0 && policy < POLICY_COUNT ? policy_names[policy] : NULL;
}

static bool policy_volatile(int policy)
{
    return policy >= POLICY_VOLATILE_LRU;
}

static bool policy_random(int policy)
{
    return policy == POLICY_ALLKEYS_RANDOM || policy == POLICY_VOLATILE_RANDOM;
}

/* ============================ the pool ================================= */

/*
 * The eviction pool keeps the best candidates seen so far across calls and
 * databases, sorted by ascending score (the best, highest score, last). A
 * candidate's key is copied: by the time it is chosen the key may be gone,
 * which is checked then. Short keys live in the entry itself so that the
 * pool allocates nothing in the common case.
 */
#define POOL_SIZE 16
#define POOL_INLINE_KEY 48

typedef struct pool_entry {
    uint64_t score;
    int dbid;
    size_t len;
    char *key; /* inline or heap (len >= POOL_INLINE_KEY) */
    char inline_key[POOL_INLINE_KEY];
} pool_entry_t;

static pool_entry_t pool[POOL_SIZE];
static int pool_len;
static int pool_policy = -1;

static void entry_release(pool_entry_t *e)
{
    if (e->key != NULL && e->key != e->inline_key)
        alloc_free(e->key);
    e->key = NULL;
}

/* Moves an entry between slots, keeping an inline key pointing inside its
 * own slot. */
static void entry_move(pool_entry_t *to, pool_entry_t *from)
{
    bool inl = from->key == from->inline_key;
    *to = *from;
    if (inl)
        to->key = to->inline_key;
    from->key = NULL;
}

static void pool_remove(int i)
{
    entry_release(&pool[i]);
    for (int j = i; j < pool_len - 1; j++)
        entry_move(&pool[j], &pool[j + 1]);
    pool_len--;
}

static void pool_reset(void)
{
    while (pool_len > 0)
        pool_remove(pool_len - 1);
}

static bool pool_has(int dbid, const str_t *key)
{
    for (int i = 0; i < pool_len; i++)
        if (pool[i].dbid == dbid && pool[i].len == key->len &&
            memcmp(pool[i].key, key->buf, key->len) == 0)
            return true;
    return false;
}

/* Inserts a candidate in score order, dropping the worst one when full. */
static void pool_insert(int dbid, const str_t *key, uint64_t score)
{
    if (pool_len == POOL_SIZE && score <= pool[0].score)
        return;
    if (pool_has(dbid, key))
        return;
    if (pool_len == POOL_SIZE)
        pool_remove(0);
    int pos = pool_len;
    while (pos > 0 && pool[pos - 1].score > score) {
        entry_move(&pool[pos], &pool[pos - 1]);
        pos--;
    }
    pool_entry_t *e = &pool[pos];
    e->score = score;
    e->dbid = dbid;
    e->len = key->len;
    e->key = key->len < POOL_INLINE_KEY ? e->inline_key : alloc_malloc(key->len);
    memcpy(e->key, key->buf, key->len);
    pool_len++;
}

/* ============================ sampling ================================= */

/* How good a candidate is: higher means evict sooner. */
static uint64_t score_of(int policy, obj_t *val, int64_t expire_ms)
{
    switch (policy) {
    case POLICY_ALLKEYS_LRU:
    case POLICY_VOLATILE_LRU:
        return db_idle_ms(val);
    case POLICY_ALLKEYS_LFU:
    case POLICY_VOLATILE_LFU:
        return 255 - db_lfu_count(val);
    case POLICY_VOLATILE_TTL:
        return UINT64_MAX - (uint64_t)expire_ms;
    default:
        return 0;
    }
}

/* Samples one database into the pool; returns how many keys were seen. */
static size_t pool_fill(db_t *db, int policy, int samples)
{
    dict_t *d = policy_volatile(policy) ? db->expires : db->keys;
    dict_entry_t *found[64];
    size_t want = samples > (int)ARRAY_LEN(found) ? ARRAY_LEN(found) : (size_t)samples;
    size_t n = dict_sample(d, found, want);
    for (size_t i = 0; i < n; i++) {
        const str_t *key = found[i]->key;
        obj_t *val;
        int64_t expire = -1;
        if (policy_volatile(policy)) {
            expire = found[i]->v.s64;
            val = dict_fetch(db->keys, key);
            if (val == NULL)
                continue;
        } else {
            val = found[i]->v.val;
        }
        pool_insert(db->id, key, score_of(policy, val, expire));
    }
    return n;
}

/* Takes the best pool entry whose key still exists (and, for volatile
 * policies, still has a TTL) into *out. */
static bool pool_take(db_t *dbs, int count, int policy, pool_entry_t *out)
{
    while (pool_len > 0) {
        pool_entry_t *e = &pool[pool_len - 1];
        bool alive = false;
        if (e->dbid < count) {
            db_t *db = &dbs[e->dbid];
            key_ref_t k = key_ref(e->key, e->len);
            alive = policy_volatile(policy) ? db_get_expire(db, k) >= 0
                                            : db_key_str(db, k) != NULL;
        }
        if (alive) {
            entry_move(out, e);
            pool_len--;
            return true;
        }
        pool_remove(pool_len - 1);
    }
    return false;
}

static bool pick_pooled(db_t *dbs, int count, int policy, int samples, pool_entry_t *out)
{
    for (int round = 0; round < 16; round++) {
        size_t seen = 0;
        for (int i = 0; i < count; i++)
            seen += pool_fill(&dbs[i], policy, samples);
        if (seen == 0 && pool_len == 0)
            return false;
        if (pool_take(dbs, count, policy, out))
            return true;
    }
    return false;
}

/* Random policies visit the databases in turn so that each gives keys. */
static bool pick_random(db_t *dbs, int count, int policy, pool_entry_t *out)
{
    static unsigned next_db;
    for (int i = 0; i < count; i++) {
        db_t *db = &dbs[next_db++ % (unsigned)count];
        dict_t *d = policy_volatile(policy) ? db->expires : db->keys;
        if (dict_size(d) == 0)
            continue;
        dict_entry_t *e = dict_random(d);
        if (e == NULL)
            continue;
        const str_t *key = e->key;
        out->dbid = db->id;
        out->len = key->len;
        out->key = key->len < POOL_INLINE_KEY ? out->inline_key : alloc_malloc(key->len);
        memcpy(out->key, key->buf, key->len);
        return true;
    }
    return false;
}

/* ============================ eviction ================================= */

/* The most time one call spends evicting. Past it the caller sees memory
 * still over the limit, and the next call (or the cron) goes on. */
#define EVICT_TIME_LIMIT_US 25000

int evict_perform(db_t *dbs, int count, size_t maxmemory, int policy, int samples)
{
    if (alloc_used() <= maxmemory)
        return 0;
    if (policy <= POLICY_NOEVICTION || policy >= POLICY_COUNT)
        return -1;
    if (policy != pool_policy) {
        pool_reset();
        pool_policy = policy;
    }
    if (samples <= 0)
        samples = 5;
    int64_t start = clock_mono_us();
    long evicted = 0;
    while (alloc_used() > maxmemory) {
        pool_entry_t victim = {0};
        bool ok = policy_random(policy) ? pick_random(dbs, count, policy, &victim)
                                        : pick_pooled(dbs, count, policy, samples, &victim);
        if (!ok)
            return -1;
        if (victim.key == NULL || victim.dbid >= count)
            continue;
        if (db_delete(&dbs[victim.dbid], key_ref(victim.key, victim.len))) {
            db_env.stat_evicted++;
            if (db_env.evicted != NULL)
                db_env.evicted(&dbs[victim.dbid], victim.key, victim.len);
        }
        entry_release(&victim);
        if (++evicted % 16 == 0 && clock_mono_us() - start > EVICT_TIME_LIMIT_US)
            break;
    }
    return alloc_used() <= maxmemory ? 0 : -1;
}
