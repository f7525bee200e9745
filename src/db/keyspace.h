/*
 * keyspace: the numbered databases (db_t), each a dict of key -> obj_t plus
 * an expires dict sharing the same key strings. The key strings live inside
 * the keys dict's entries, so an expire entry must never outlive its key's
 * entry. Lookups apply lazy expiry and update the access clock; writes go
 * through db_add/db_set/db_delete so that the environment's hooks see every
 * change (WATCH, notifications, propagation of expirations). The keyspace
 * owns keys and values.
 */
#ifndef RH_DB_KEYSPACE_H
#define RH_DB_KEYSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dict.h"
#include "core/str.h"
#include "db/object.h"

typedef struct db {
    dict_t *keys;
    dict_t *expires;
    int id;
    long long avg_ttl;
    uint64_t expires_cursor;
} db_t;

/* Process-wide inputs and counters of the data layer, set by the server. */
typedef struct db_env {
    int64_t now_ms;      /* Cached wall-clock ms, refreshed per command. */
    uint32_t lru_clock;  /* Seconds, OBJ_LRU_BITS wide. */
    bool lfu;            /* The eviction policy is LFU: keep LFU counters. */
    int lfu_log_factor;
    int lfu_decay_time;
    bool replica_mode;   /* Keys expire only by the primary's DEL. */
    bool no_touch;       /* Lookups do not update the access clock. */
    /* Nothing expires, not even logically: replaying a stream (the AOF at
     * start-up) whose own DELs say when keys went away. */
    bool no_expire;
    /* A key is about to be deleted because it expired (before removal). */
    void (*expired)(db_t *db, const str_t *key);
    /* A key was modified (written, deleted, expired). */
    void (*modified)(db_t *db, const str_t *key);
    /* Every key of db is about to be removed (with == NULL: db_empty), or
     * db's contents are about to be exchanged with with's (db_swap, called
     * once for each side). WATCH uses it as Redis's touchAllWatchedKeysInDb. */
    void (*replacing)(db_t *db, db_t *with);
    /* A key was added (db_add, or the destination of db_move_key), after
     * the addition: keyspace notifications' "new" event. */
    void (*added)(db_t *db, const str_t *key);
    /* A read lookup (db_lookup_read) found no key: the "keymiss" event. */
    void (*missed)(db_t *db, const char *key, size_t len);
    /* evict_perform removed a key (after its removal): "evicted". */
    void (*evicted)(db_t *db, const char *key, size_t len);

    /* Encoding thresholds of the collection types (the server's options
     * store directly into these). */
    long long hash_max_listpack_entries;
    long long hash_max_listpack_value;
    long long list_max_listpack_size;
    long long list_compress_depth;
    long long set_max_intset_entries;
    long long zset_max_listpack_entries;
    long long zset_max_listpack_value;
    long long hll_sparse_max_bytes;

    uint64_t stat_hits, stat_misses, stat_expired, stat_evicted;
    uint64_t stat_expired_stale_perc_x100;
    uint64_t stat_expire_cycle_time_used_us;
} db_env_t;

extern db_env_t db_env;

/* A borrowed view of key bytes for lookups that need no allocation. */
typedef struct key_ref {
    const char *p;
    size_t n;
} key_ref_t;

/* Sets db_env's encoding thresholds to Redis 7.0's defaults (for programs
 * and tests that build values without the server's configuration). */
void db_env_set_defaults(void);

db_t *db_array_new(int count);
void db_array_free(db_t *dbs, int count);

/* Dict types for string-keyed tables other modules use. */
/* db->keys is a dict_new_embedded dict of this type: its keys live in the
 * entries. Used with dict_new, the type frees str_t keys. */
extern const dict_type_t db_keys_type;    /* str_t keys freed, obj_t values decref'd */
extern const dict_type_t db_expires_type; /* keys shared with keys, no frees */
extern const dict_type_t str_set_type;    /* str_t keys freed, no values */

/* Lookups return a borrowed value or NULL (missing or expired). */
obj_t *db_lookup_read(db_t *db, key_ref_t key);
obj_t *db_lookup_write(db_t *db, key_ref_t key);
/* Without touching the access clock or counting hits. */
obj_t *db_lookup_quiet(db_t *db, key_ref_t key);
/* The stored key string of an existing key, or NULL. It lives inside the
 * key's dict entry: valid until the key is deleted, never to be freed. */
const str_t *db_key_str(db_t *db, key_ref_t key);
/* Bytes of the allocation holding the key's dict entry and its key string,
 * or 0 for a missing key (MEMORY USAGE). */
size_t db_key_mem_usage(db_t *db, key_ref_t key);

/* Adds a key that does not exist; takes val. */
void db_add(db_t *db, key_ref_t key, obj_t *val);
/* Adds key with val and its expiry (absolute ms, -1 for none) unless the
 * key exists, with one lookup (loading). Returns false, taking nothing,
 * when it exists. */
bool db_add_new(db_t *db, key_ref_t key, obj_t *val, int64_t expire_ms);
/* Replaces the value of an existing key, keeping its TTL; takes val. */
void db_overwrite(db_t *db, key_ref_t key, obj_t *val);
/* Replaces the value of an existing key with val holding the same data in
 * another representation (a private raw copy before an in-place edit).
 * Not a change: no hook fires; the TTL and the access clock are kept.
 * Takes val. */
void db_replace_encoding(db_t *db, key_ref_t key, obj_t *val);
/* Adds or replaces; the TTL is removed unless keep_ttl. Takes val. */
void db_set(db_t *db, key_ref_t key, obj_t *val, bool keep_ttl);
/* Returns true if the key existed. */
bool db_delete(db_t *db, key_ref_t key);
/* Moves the value and TTL of the existing key src in from to the key dst in
 * to, which must not exist there (from == to renames). The value keeps its
 * access clock. The modified hook fires for dst, then for src. */
void db_move_key(db_t *from, key_ref_t src, db_t *to, key_ref_t dst);
/* Tells the hooks a key changed (for writes that modify values in place). */
void db_signal_modified(db_t *db, key_ref_t key);

/* Expire times are absolute wall-clock ms; -1 = none. */
void db_set_expire(db_t *db, key_ref_t key, int64_t when_ms);
int64_t db_get_expire(db_t *db, key_ref_t key);
bool db_remove_expire(db_t *db, key_ref_t key);
/* True if the key exists and is logically expired. On a primary the key is
 * also deleted (and the expired hook called). */
bool db_expire_if_needed(db_t *db, key_ref_t key);

/* A random non-expired key (borrowed), or NULL. */
const str_t *db_random_key(db_t *db);
size_t db_size(const db_t *db);
/* Removes every key; returns how many there were. */
long long db_empty(db_t *db);
void db_swap(db_t *a, db_t *b);

/* Runs the active expiry cycle over the databases for at most budget_us;
 * returns keys expired. */
long long db_active_expire(db_t *dbs, int count, int64_t budget_us);
/* Resizes and rehashes tables when idle (server cron). */
void db_cron_tables(db_t *dbs, int count);

/* Access clock. */
void db_touch(obj_t *o);
/* Idle time in ms of a value (LRU mode). */
uint64_t db_idle_ms(const obj_t *o);
/* LFU counter after decay. */
unsigned db_lfu_count(obj_t *o);
uint32_t db_lru_clock_now(void);

static inline key_ref_t key_ref(const char *p, size_t n)
{
    key_ref_t k = {p, n};
    return k;
}
static inline key_ref_t key_ref_str(const str_t *s)
{
    key_ref_t k = {s->buf, s->len};
    return k;
}

#endif
