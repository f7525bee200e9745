/*
 * dict_t: a chained hash table with two tables and incremental rehashing.
 * The table owns the keys and values it holds and frees them through its
 * dict_type_t callbacks (NULL callbacks free nothing). A dict made with
 * dict_new_embedded instead keeps each key inside its entry's allocation, so
 * an entry and its key are one allocation and key_free is never called.
 * SCAN-style cursors (dict_scan) return every element present for the whole
 * iteration at least once, even across resizes and rehashing.
 */
#ifndef RH_CORE_DICT_H
#define RH_CORE_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"

typedef struct dict_type {
    uint64_t (*hash)(const void *key);
    /* Nonzero when a and b are the same key. NULL compares pointers. */
    int (*key_eq)(const void *a, const void *b);
    void (*key_free)(void *key);
    void (*val_free)(void *val);
} dict_type_t;

typedef struct dict_entry {
    void *key;
    union {
        void *val;
        int64_t s64;
        uint64_t u64;
        double d;
    } v;
    struct dict_entry *next;
} dict_entry_t;

/* A table's size is 0 or a power of two, kept as its exponent plus one
 * (0 for no table) beside the entry count, so that a dict_t fits 56 bytes:
 * small collections are dicts by the million, and every byte of their
 * header counts (it is what Redis's own dict costs). */
typedef struct dict_table {
    dict_entry_t **slots;
    uint64_t used : 56;
    uint64_t exp : 8;
} dict_table_t;

#define TSIZE(t) ((t)->exp == 0 ? (uint64_t)0 : (uint64_t)1 << ((t)->exp - 1))
#define TMASK(t) ((t)->exp == 0 ? (uint64_t)0 : TSIZE(t) - 1)

typedef struct dict {
    const dict_type_t *type;
    dict_table_t t[2];
    int64_t rehash_idx;   /* -1 when not rehashing. */
    int16_t pause_rehash; /* >0 while a safe iterator or scan forbids steps. */
    bool embed_keys;      /* Keys live inside their entries (dict_new_embedded). */
} dict_t;

typedef struct dict_iter {
    dict_t *d;
    int table;
    int64_t index;
    bool safe;
    bool started;
    dict_entry_t *entry, *next_entry;
    uint64_t fingerprint;
} dict_iter_t;

typedef void dict_scan_cb(void *arg, const dict_entry_t *e);

dict_t *dict_new(const dict_type_t *type);
/* A dict whose keys are copied into their entries by dict_add_embedded (the
 * only way to insert into it). The type's key_free is never called: a key's
 * bytes go away with its entry, so a key pointer borrowed from an entry is
 * valid only until that entry is deleted. */
dict_t *dict_new_embedded(const dict_type_t *type);
/* Frees every entry (through the type's callbacks) and the table. */
void dict_free(dict_t *d);
/* Removes every entry; calls progress(arg) every 65536 buckets if not NULL. */
void dict_empty(dict_t *d, void (*progress)(void *arg), void *arg);

static inline size_t dict_size(const dict_t *d)
{
    return (size_t)(d->t[0].used + d->t[1].used);
}
static inline size_t dict_slots(const dict_t *d)
{
    return (size_t)(TSIZE(&d->t[0]) + TSIZE(&d->t[1]));
}
static inline bool dict_is_rehashing(const dict_t *d)
{
    return d->rehash_idx != -1;
}

/* Adds key -> val and takes ownership of both. Returns 0, or -EEXIST (and
 * takes nothing) when the key exists. Not for embedded dicts. */
int dict_add(dict_t *d, void *key, void *val) MUST_CHECK;
/* Adds key with an unset value and returns the new entry; takes ownership of
 * key. When the key exists returns NULL, takes nothing, and sets *existing
 * (if not NULL) to the existing entry. Not for embedded dicts. */
dict_entry_t *dict_add_raw(dict_t *d, void *key, dict_entry_t **existing);
/* Adds a key to a dict_new_embedded dict: key points to key_size bytes that
 * are one complete key object (for a str_t: header, bytes and NUL), which is
 * hashed and compared as it is, then copied after the entry in the same
 * allocation (aligned as a pointer); e->key points at the copy. The value is
 * unset. When the key exists returns NULL and sets *existing (if not NULL). */
dict_entry_t *dict_add_embedded(dict_t *d, const void *key, size_t key_size,
                                dict_entry_t **existing);
/* Sets the value of an existing entry, freeing the old one first. */
void dict_set_val(dict_t *d, dict_entry_t *e, void *val);

dict_entry_t *dict_find(dict_t *d, const void *key);
/* The value stored for key, or NULL. */
void *dict_fetch(dict_t *d, const void *key);

/* Removes key, freeing key and value. Returns 0 or -ENOENT. */
int dict_delete(dict_t *d, const void *key);
/* Removes key without freeing it; the caller later frees the entry with
 * dict_free_unlinked (which frees key and value through the type, or the
 * single allocation of an embedded entry). */
dict_entry_t *dict_unlink(dict_t *d, const void *key);
void dict_free_unlinked(dict_t *d, dict_entry_t *e);

/* A random entry, or NULL when empty. */
dict_entry_t *dict_random(dict_t *d);
/*
 * A uniformly random entry of a non-empty dict. Picking a random bucket and
 * then an entry of its chain would favour entries alone in their bucket, so
 * this draws a bucket (of either table while rehashing) and a position below
 * a fixed chain length, and retries when that position is past the chain's
 * end: every entry at a position below it is equally likely. With the table
 * between 10% and 100% full this takes a few dozen draws at most, and longer
 * chains are too rare to matter (they are still served). SRANDMEMBER,
 * ZRANDMEMBER and SPOP use it.
 */
dict_entry_t *dict_fair_random(dict_t *d);
/* Up to count entries sampled from random buckets (may repeat none, may
 * return fewer than count); returns how many were stored in out. */
size_t dict_sample(dict_t *d, dict_entry_t **out, size_t count);

/* Visits the elements of one cursor step; returns the next cursor, 0 at the
 * end. Safe to call while the table grows or shrinks between calls. */
uint64_t dict_scan(dict_t *d, uint64_t cursor, dict_scan_cb *fn, void *arg);

/* Grows so that at least size entries fit; 0 or -EINVAL. */
int dict_expand(dict_t *d, size_t size);
/* Shrinks to the smallest power of two that fits (minimum 4). */
int dict_shrink_to_fit(dict_t *d);
/* Moves up to n buckets from the old table; returns 1 if more remain. */
int dict_rehash(dict_t *d, int n);
/* Rehashes in steps of 100 buckets for about ms milliseconds. */
int dict_rehash_ms(dict_t *d, int ms);
/* Allows or forbids automatic resizing (forbidden while a fork child is alive,
 * unless the load factor passes 5). */
void dict_set_resize_allowed(bool allowed);

/* Iteration. A safe iterator allows dict_delete of the current entry and
 * pauses rehashing; an unsafe one asserts the table was not touched. */
void dict_iter_init(dict_iter_t *it, dict_t *d, bool safe);
dict_entry_t *dict_iter_next(dict_iter_t *it);
void dict_iter_destroy(dict_iter_t *it);

/* SipHash-1-2 of the bytes with the process seed; the _nocase form folds
 * ASCII case first. */
uint64_t dict_hash_bytes(const void *p, size_t len);
uint64_t dict_hash_bytes_nocase(const void *p, size_t len);
void dict_set_hash_seed(const uint8_t seed[16]);

#endif
