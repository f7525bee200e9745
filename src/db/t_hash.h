/*
 * t_hash: hash values (OBJ_HASH). As in Redis 7.0 a hash is a listpack
 * (OBJ_ENC_LISTPACK, ptr is the listpack, fields and values alternating in
 * insertion order) while it has at most db_env.hash_max_listpack_entries
 * fields and no field or value longer than db_env.hash_max_listpack_value
 * bytes, and a hashtable otherwise (OBJ_ENC_HT, ptr is an embedded-key
 * dict_t whose str_t keys are the fields and whose values are str_t). The
 * conversion only goes from listpack to hashtable. A hash owns its fields
 * and values; strings handed to readers are borrowed until the hash next
 * changes.
 */
#ifndef RH_DB_T_HASH_H
#define RH_DB_T_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dict.h"
#include "db/listpack.h"
#include "db/object.h"

/* A field or a value as readers see it: its bytes, which point into the
 * hash, or into buf for an integer stored in a listpack. */
typedef struct thash_str {
    const char *p;
    size_t n;
    char buf[LP_INTBUF];
} thash_str_t;

/* A new empty hash in the listpack encoding. */
obj_t *thash_new(void);

size_t thash_len(obj_t *o);
/* Finds field f; when found and v is not NULL, *v receives its value. */
bool thash_get(obj_t *o, const char *f, size_t fn, thash_str_t *v);
bool thash_exists(obj_t *o, const char *f, size_t fn);

/*
 * Converts a listpack hash to a hashtable ahead of a write whose longest
 * string (field or value) is max_len bytes and whose strings total sum_len
 * bytes, when those could not stay in a listpack: HSET checks its arguments
 * once this way before setting them, as Redis does.
 */
void thash_prepare(obj_t *o, size_t max_len, size_t sum_len);
/* Sets field f to v and returns true when f is new. Converts to a
 * hashtable when a string is too long or the fields become too many. */
bool thash_set(obj_t *o, const char *f, size_t fn, const char *v, size_t vn);
/* Returns true when f existed and was removed. A hash may become empty:
 * the caller deletes the key then. */
bool thash_delete(obj_t *o, const char *f, size_t fn);
/* Converts a listpack hash to a hashtable (no-op for a hashtable). */
void thash_convert_to_ht(obj_t *o);

/* Iteration over every field and value; the hash must not change
 * meanwhile. A listpack yields its fields in insertion order. */
typedef struct thash_iter {
    obj_t *o;
    uint8_t *p;
    dict_iter_t di;
} thash_iter_t;

void thash_iter_init(thash_iter_t *it, obj_t *o);
/* Sets the next field and (when v is not NULL) its value; false at the end. */
bool thash_iter_next(thash_iter_t *it, thash_str_t *f, thash_str_t *v);
void thash_iter_destroy(thash_iter_t *it);

typedef void thash_visit_fn(void *arg, const thash_str_t *f, const thash_str_t *v);

/* Sets *f and *v to a random field of a non-empty hash and its value. */
void thash_random(obj_t *o, thash_str_t *f, thash_str_t *v);
/* Visits count random fields of a non-empty hash, with repetitions, until
 * done or fn returns false (the caller's output was cut off). */
void thash_random_pairs(obj_t *o, uint64_t count,
                        bool (*fn)(void *arg, const thash_str_t *f, const thash_str_t *v),
                        void *arg);
/* Visits count distinct random fields, count smaller than the size. */
void thash_random_distinct(obj_t *o, size_t count, thash_visit_fn *fn, void *arg);

/*
 * One step of HSCAN over a hashtable: visits the fields and values of
 * buckets from cursor on until at least count strings (fields and values
 * both count, as in Redis) were visited, ten times count buckets were
 * scanned, or the table ended, and returns the next cursor (0 at the end).
 * A listpack hash is visited whole and returns 0.
 */
uint64_t thash_scan(obj_t *o, uint64_t cursor, uint64_t count, thash_visit_fn *fn,
                    void *arg);

/* Checks that size bytes at blob form a listpack of field/value pairs with
 * no field twice, as an RDB or RESTORE payload must. Returns 0 or -EINVAL. */
int thash_validate_listpack(const uint8_t *blob, size_t size) MUST_CHECK;
/* A hash taking ownership of a validated listpack, converted to a
 * hashtable when it passes this server's thresholds, as loading does. */
obj_t *thash_from_listpack(uint8_t *lp);
/* The same for a listpack the caller knows to be within the thresholds
 * (entries and value sizes): adopted without a walk. */
obj_t *thash_adopt_listpack(uint8_t *lp);

/* Registers the hash type's free, copy and memory-usage functions with the
 * object module. Idempotent; thash_new calls it. */
void thash_register(void);

#endif
