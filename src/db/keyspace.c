#include <config.h>
#include "db/keyspace.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"

db_env_t db_env = {.lfu_log_factor = 10, .lfu_decay_time = 1};

/* ---- dict types ------------------------------------------------------- */

static uint64_t str_hash(const void *k)
{
    const str_t *s = k;
    return dict_hash_bytes(s->buf, s->len);
}

static int str_eq(const void *a, const void *b)
{
    const str_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->buf, y->buf, x->len) == 0;
}

static void str_key_free(void *k)
{
    str_free(k);
}

static void obj_val_free(void *v)
{
    obj_decref(v);
}

const dict_type_t db_keys_type = {str_hash, str_eq, str_key_free, obj_val_free};
const dict_type_t db_expires_type = {str_hash, str_eq, NULL, NULL};
const dict_type_t str_set_type = {str_hash, str_eq, str_key_free, NULL};

/* A str_t built on the stack (or the heap when long) to look up key bytes
 * without keeping an allocation. */
typedef struct key_tmp {
    str_t *s;
    union {
        str_t hdr;
        char raw[sizeof(str_t) + 128];
    } u;
} key_tmp_t;

static const str_t *key_tmp_make(key_tmp_t *t, key_ref_t k)
{
    if (k.n < 128) {
        t->s = &t->u.hdr;
        t->s->len = (uint32_t)k.n;
        t->s->cap = (uint32_t)k.n;
        memcpy(t->s->buf, k.p, k.n);
        t->s->buf[k.n] = '\0';
    } else {
        t->s = str_new(k.p, k.n);
    }
    return t->s;
}

static void key_tmp_done(key_tmp_t *t)
{
    if (t->s != &t->u.hdr)
        str_free(t->s);
}

static dict_entry_t *find_entry(dict_t *d, key_ref_t k)
{
    key_tmp_t t;
    dict_entry_t *e = dict_find(d, key_tmp_make(&t, k));
    key_tmp_done(&t);
    return e;
}

/*
 * Adds a key that must not exist to a keys dict, with the key's str_t copied
 * into the entry itself: one allocation per key instead of two, and the key
 * bytes sit next to the chain pointer that lookups already read. The expires
 * dict borrows that same str_t, so its entry must always go first.
 */
static dict_entry_t *add_key(dict_t *keys, key_ref_t k, obj_t *val)
{
    key_tmp_t t;
    const str_t *s = key_tmp_make(&t, k);
    dict_entry_t *e = dict_add_embedded(keys, s, sizeof(str_t) + k.n + 1, NULL);
    key_tmp_done(&t);
    REQUIRE(e != NULL);
    e->v.val = val;
    return e;
}

/* ---- databases -------------------------------------------------------- */

void db_env_set_defaults(void)
{
    db_env.hash_max_listpack_entries = 128;
    db_env.hash_max_listpack_value = 64;
    db_env.set_max_intset_entries = 512;
    db_env.zset_max_listpack_entries = 128;
    db_env.zset_max_listpack_value = 64;
    db_env.list_max_listpack_size = -2;
    db_env.list_compress_depth = 0;
    db_env.hll_sparse_max_bytes = 3000;
}

db_t *db_array_new(int count)
{
    db_t *dbs = alloc_calloc(sizeof(db_t) * (size_t)count);
    for (int i = 0; i < count; i++) {
        dbs[i].keys = dict_new_embedded(&db_keys_type);
        dbs[i].expires = dict_new(&db_expires_type);
        dbs[i].id = i;
    }
    return dbs;
}

void db_array_free(db_t *dbs, int count)
{
    for (int i = 0; i < count; i++) {
        dict_free(dbs[i].expires);
        dict_free(dbs[i].keys);
    }
    alloc_free(dbs);
}

/* ---- access clock ----------------------------------------------------- */

uint32_t db_lru_clock_now(void)
{
    return (uint32_t)((db_env.now_ms / 1000) & OBJ_LRU_MAX);
}

static unsigned lfu_minutes(void)
{
    return (unsigned)((db_env.now_ms / 60000) & 0xffff);
}

static unsigned lfu_decayed(const obj_t *o)
{
    unsigned ldt = o->lru >> 8, counter = o->lru & 0xff;
    unsigned now = lfu_minutes();
    unsigned elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    unsigned periods = db_env.lfu_decay_time ? elapsed / (unsigned)db_env.lfu_decay_time : 0;
    return periods > counter ? 0 : counter - periods;
}

unsigned db_lfu_count(obj_t *o)
{
    return lfu_decayed(o);
}

void db_touch(obj_t *o)
{
    if (db_env.no_touch)
        return;
    if (!db_env.lfu) {
        o->lru = db_env.lru_clock;
        return;
    }
    unsigned counter = lfu_decayed(o);
    if (counter < 255) {
        double base = counter > 5 ? counter - 5 : 0;
        double p = 1.0 / (base * db_env.lfu_log_factor + 1);
        if ((double)random() / RAND_MAX < p)
            counter++;
    }
    o->lru = (lfu_minutes() << 8) | counter;
}

static void init_clock(obj_t *o)
{
    if (db_env.lfu)
        o->lru = (lfu_minutes() << 8) | 5;
    else
        o->lru = db_env.lru_clock;
}

uint64_t db_idle_ms(const obj_t *o)
{
    uint32_t now = db_env.lru_clock;
    uint32_t then = o->lru;
    uint64_t secs = now >= then ? now - then : (OBJ_LRU_MAX - then) + now;
    return secs * 1000;
}

/* ---- expiry ----------------------------------------------------------- */

int64_t db_get_expire(db_t *db, key_ref_t key)
{
    if (dict_size(db->expires) == 0)
        return -1;
    dict_entry_t *e = find_entry(db->expires, key);
    return e ? e->v.s64 : -1;
}

static void delete_expired(db_t *db, key_ref_t key)
{
    dict_entry_t *ke = find_entry(db->keys, key);
    INSIST(ke != NULL);
    str_t *k = ke->key;
    if (db_env.expired != NULL)
        db_env.expired(db, k);
    db_env.stat_expired++;
    if (db_env.modified != NULL)
        db_env.modified(db, k);
    dict_delete(db->expires, k);
    dict_delete(db->keys, k);
}

bool db_expire_if_needed(db_t *db, key_ref_t key)
{
    if (db_env.no_expire)
        return false;
    int64_t when = db_get_expire(db, key);
    if (when < 0 || when > db_env.now_ms)
        return false;
    if (!db_env.replica_mode)
        delete_expired(db, key);
    return true;
}

void db_set_expire(db_t *db, key_ref_t key, int64_t when_ms)
{
    dict_entry_t *ke = find_entry(db->keys, key);
    REQUIRE(ke != NULL);
    dict_entry_t *existing = NULL;
    dict_entry_t *e = dict_add_raw(db->expires, ke->key, &existing);
    if (e == NULL)
        e = existing;
    e->v.s64 = when_ms;
}

bool db_remove_expire(db_t *db, key_ref_t key)
{
    if (dict_size(db->expires) == 0)
        return false;
    key_tmp_t t;
    int r = dict_delete(db->expires, key_tmp_make(&t, key));
    key_tmp_done(&t);
    return r == 0;
}

/* ---- lookups ---------------------------------------------------------- */

obj_t *db_lookup_quiet(db_t *db, key_ref_t key)
{
    if (db_expire_if_needed(db, key))
        return NULL;
    dict_entry_t *e = find_entry(db->keys, key);
    return e ? e->v.val : NULL;
}

obj_t *db_lookup_read(db_t *db, key_ref_t key)
{
    obj_t *o = db_lookup_quiet(db, key);
    if (o == NULL) {
        db_env.stat_misses++;
        if (db_env.missed != NULL)
            db_env.missed(db, key.p, key.n);
        return NULL;
    }
    db_env.stat_hits++;
    db_touch(o);
    return o;
}

obj_t *db_lookup_write(db_t *db, key_ref_t key)
{
    obj_t *o = db_lookup_quiet(db, key);
    if (o != NULL)
        db_touch(o);
    return o;
}

const str_t *db_key_str(db_t *db, key_ref_t key)
{
    dict_entry_t *e = find_entry(db->keys, key);
    return e ? e->key : NULL;
}

size_t db_key_mem_usage(db_t *db, key_ref_t key)
{
    dict_entry_t *e = find_entry(db->keys, key);
    return e ? alloc_size(e) : 0;
}

/* ---- writes ----------------------------------------------------------- */

void db_add(db_t *db, key_ref_t key, obj_t *val)
{
    init_clock(val);
    dict_entry_t *e = add_key(db->keys, key, val);
    if (db_env.added != NULL)
        db_env.added(db, e->key);
    if (db_env.modified != NULL)
        db_env.modified(db, e->key);
}

bool db_add_new(db_t *db, key_ref_t key, obj_t *val, int64_t expire_ms)
{
    key_tmp_t t;
    const str_t *s = key_tmp_make(&t, key);
    dict_entry_t *e = dict_add_embedded(db->keys, s, sizeof(str_t) + key.n + 1, NULL);
    key_tmp_done(&t);
    if (e == NULL)
        return false;
    init_clock(val);
    e->v.val = val;
    if (expire_ms != -1) {
        dict_entry_t *x = dict_add_raw(db->expires, e->key, NULL);
        INSIST(x != NULL);
        x->v.s64 = expire_ms;
    }
    if (db_env.added != NULL)
        db_env.added(db, e->key);
    if (db_env.modified != NULL)
        db_env.modified(db, e->key);
    return true;
}

void db_overwrite(db_t *db, key_ref_t key, obj_t *val)
{
    dict_entry_t *e = find_entry(db->keys, key);
    REQUIRE(e != NULL);
    obj_t *old = e->v.val;
    if (db_env.lfu)
        val->lru = old->lru;
    else
        init_clock(val);
    e->v.val = val;
    obj_decref(old);
    if (db_env.modified != NULL)
        db_env.modified(db, e->key);
}

void db_replace_encoding(db_t *db, key_ref_t key, obj_t *val)
{
    dict_entry_t *e = find_entry(db->keys, key);
    REQUIRE(e != NULL);
    obj_t *old = e->v.val;
    val->lru = old->lru;
    e->v.val = val;
    obj_decref(old);
}

void db_set(db_t *db, key_ref_t key, obj_t *val, bool keep_ttl)
{
    dict_entry_t *e = find_entry(db->keys, key);
    if (e == NULL) {
        db_add(db, key, val);
        return;
    }
    if (!keep_ttl)
        db_remove_expire(db, key);
    db_overwrite(db, key, val);
}

bool db_delete(db_t *db, key_ref_t key)
{
    dict_entry_t *e = find_entry(db->keys, key);
    if (e == NULL)
        return false;
    if (db_env.modified != NULL)
        db_env.modified(db, e->key);
    str_t *k = e->key;
    if (dict_size(db->expires) > 0)
        dict_delete(db->expires, k);
    dict_delete(db->keys, k);
    return true;
}

void db_move_key(db_t *from, key_ref_t src, db_t *to, key_ref_t dst)
{
    dict_entry_t *e = find_entry(from->keys, src);
    REQUIRE(e != NULL);
    REQUIRE(from != to || src.n != dst.n || memcmp(src.p, dst.p, src.n) != 0);
    obj_t *val = e->v.val;
    int64_t when = db_get_expire(from, src);
    /* The new entry holds a second reference until the old key is gone. */
    obj_incref(val);
    dict_entry_t *ne = add_key(to->keys, dst, val);
    if (when >= 0)
        db_set_expire(to, dst, when);
    if (db_env.added != NULL)
        db_env.added(to, ne->key);
    if (db_env.modified != NULL)
        db_env.modified(to, ne->key);
    bool deleted = db_delete(from, src);
    INSIST(deleted);
}

void db_signal_modified(db_t *db, key_ref_t key)
{
    if (db_env.modified == NULL)
        return;
    dict_entry_t *e = find_entry(db->keys, key);
    if (e != NULL) {
        db_env.modified(db, e->key);
    } else {
        key_tmp_t t;
        db_env.modified(db, key_tmp_make(&t, key));
        key_tmp_done(&t);
    }
}

/* ---- whole-db operations --------------------------------------------- */

size_t db_size(const db_t *db)
{
    return dict_size(db->keys);
}

const str_t *db_random_key(db_t *db)
{
    for (int tries = 0; tries < 100; tries++) {
        dict_entry_t *e = dict_random(db->keys);
        if (e == NULL)
            return NULL;
        str_t *k = e->key;
        if (dict_size(db->expires) > 0 && db_get_expire(db, key_ref_str(k)) >= 0 &&
            db_get_expire(db, key_ref_str(k)) <= db_env.now_ms) {
            if (db_env.replica_mode)
                continue;
            db_expire_if_needed(db, key_ref_str(k));
            continue;
        }
        return k;
    }
    return NULL;
}

long long db_empty(db_t *db)
{
    long long n = (long long)dict_size(db->keys);
    if (db_env.replacing != NULL)
        db_env.replacing(db, NULL);
    dict_empty(db->expires, NULL, NULL);
    dict_empty(db->keys, NULL, NULL);
    db->avg_ttl = 0;
    db->expires_cursor = 0;
    return n;
}

void db_swap(db_t *a, db_t *b)
{
    if (db_env.replacing != NULL) {
        db_env.replacing(a, b);
        db_env.replacing(b, a);
    }
    dict_t *k = a->keys, *e = a->expires;
    long long ttl = a->avg_ttl;
    a->keys = b->keys;
    a->expires = b->expires;
    a->avg_ttl = b->avg_ttl;
    b->keys = k;
    b->expires = e;
    b->avg_ttl = ttl;
    a->expires_cursor = b->expires_cursor = 0;
}

/* ---- active expiry ---------------------------------------------------- */

typedef struct expire_scan {
    db_t *db;
    str_t *due[64];
    int ndue;
    long long sampled;
} expire_scan_t;

static void expire_scan_cb(void *arg, const dict_entry_t *e)
{
    expire_scan_t *s = arg;
    s->sampled++;
    if (e->v.s64 <= db_env.now_ms && s->ndue < (int)ARRAY_LEN(s->due))
        s->due[s->ndue++] = e->key;
}

/* Scans buckets of one db's expires table until about 20 keys were sampled;
 * returns (expired, sampled). */
static long long expire_db_step(db_t *db, long long *sampled)
{
    expire_scan_t s = {.db = db};
    int buckets = 0;
    do {
        db->expires_cursor = dict_scan(db->expires, db->expires_cursor, expire_scan_cb, &s);
        buckets++;
    } while (db->expires_cursor != 0 && s.sampled < 20 && buckets < 400 &&
             s.ndue < (int)ARRAY_LEN(s.due) - 8);
    for (int i = 0; i < s.ndue; i++)
        delete_expired(db, key_ref_str(s.due[i]));
    *sampled = s.sampled;
    return s.ndue;
}

long long db_active_expire(db_t *dbs, int count, int64_t budget_us)
{
    if (db_env.replica_mode || db_env.no_expire)
        return 0;
    int64_t start = clock_mono_us();
    long long total = 0, total_sampled = 0, total_expired_frac = 0;
    for (int i = 0; i < count; i++) {
        db_t *db = &dbs[i];
        long long expired, sampled;
        int iterations = 0;
        do {
            if (dict_size(db->expires) == 0)
                break;
            expired = expire_db_step(db, &sampled);
            total += expired;
            total_sampled += sampled;
            total_expired_frac += expired;
            if (++iterations % 16 == 0 && clock_mono_us() - start > budget_us)
                goto out;
            /* Keep going while more than 10% of the sample was stale. */
        } while (sampled > 0 && expired * 10 > sampled);
    }
out:
    db_env.stat_expire_cycle_time_used_us += (uint64_t)(clock_mono_us() - start);
    if (total_sampled > 0) {
        uint64_t perc = (uint64_t)(total_expired_frac * 10000 / total_sampled);
        db_env.stat_expired_stale_perc_x100 =
            (db_env.stat_expired_stale_perc_x100 * 95 + perc * 5) / 100;
    }
    return total;
}

void db_cron_tables(db_t *dbs, int count)
{
    for (int i = 0; i < count; i++) {
        dict_t *ds[2] = {dbs[i].keys, dbs[i].expires};
        for (int j = 0; j < 2; j++) {
            dict_t *d = ds[j];
            if (dict_slots(d) > 4 && dict_size(d) * 10 < dict_slots(d) &&
                !dict_is_rehashing(d))
                dict_shrink_to_fit(d);
            if (dict_is_rehashing(d))
                dict_rehash_ms(d, 1);
        }
    }
}
