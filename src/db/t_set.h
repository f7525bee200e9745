/*
 * t_set: set values (OBJ_SET) and the set algebra behind the S* commands.
 * As in Redis 7.0 a set is an intset (OBJ_ENC_INTSET, ptr is an intset_t)
 * while every member is a canonical integer and there are at most
 * db_env.set_max_intset_entries of them, and a hashtable otherwise
 * (OBJ_ENC_HT, ptr is an embedded-key dict_t whose keys are the members in
 * a compact length-prefixed form private to t_set.c, without values). A set object owns its members; members handed
 * to readers are borrowed until the set next changes.
 */
#ifndef RH_DB_T_SET_H
#define RH_DB_T_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dict.h"
#include "core/str.h"
#include "db/intset.h"
#include "db/object.h"

/* One member as readers see it: its bytes, and for members of an intset
 * also the integer (whose text then lives in buf). */
typedef struct tset_member {
    const char *p;
    size_t n;
    bool is_int;
    int64_t v;
    char buf[24];
} tset_member_t;

/* A set holding no members yet, in the encoding Redis picks for a set
 * whose first member is p: intset if it is an integer, else hashtable. */
obj_t *tset_new(const char *p, size_t n);
obj_t *tset_new_intset(void);
/* An empty hashtable set with room for hint members. */
obj_t *tset_new_ht(size_t hint);

size_t tset_size(const obj_t *o);
/* Returns true when p was not a member and was added. The set may change
 * encoding (intset to hashtable) as a side effect. */
bool tset_add(obj_t *o, const char *p, size_t n);
/* Returns true when p was a member. An emptied set stays a valid object. */
bool tset_remove(obj_t *o, const char *p, size_t n);
bool tset_contains(obj_t *o, const char *p, size_t n);
bool tset_contains_member(obj_t *o, const tset_member_t *m);
/* Converts an intset set to a hashtable (no-op for a hashtable). */
void tset_convert_to_ht(obj_t *o);

/* Iteration over every member; the set must not change meanwhile. An
 * intset yields its members in ascending order. */
typedef struct tset_iter {
    obj_t *o;
    uint32_t pos;
    dict_iter_t di;
} tset_iter_t;

void tset_iter_init(tset_iter_t *it, obj_t *o);
bool tset_iter_next(tset_iter_t *it, tset_member_t *m);
void tset_iter_destroy(tset_iter_t *it);

/* Sets *m to a random member of a non-empty set. */
void tset_random(obj_t *o, tset_member_t *m);
/* Removes a random member of a non-empty set and returns it (caller owns). */
str_t *tset_pop_random(obj_t *o);

typedef void tset_visit_fn(void *arg, const tset_member_t *m);

/*
 * One SSCAN step from cursor: visits the members found and returns the next
 * cursor (0 at the end). An intset is visited whole in one step, whatever
 * the cursor; a hashtable is scanned until count members were visited or
 * ten times count buckets were walked.
 */
uint64_t tset_scan(obj_t *o, uint64_t cursor, size_t count, tset_visit_fn *fn, void *arg);

/* Visits count distinct random members of o, in random order; count must
 * be smaller than the set's size. */
void tset_random_distinct(obj_t *o, size_t count, tset_visit_fn *fn, void *arg);

/*
 * Moves keep random members of o (keep < size) into a new set, created as
 * tset_new would for the first one moved, and returns it; o keeps the
 * others. SPOP uses it when popping most of a set: the caller replies
 * with what stays in o and stores the returned set instead.
 */
obj_t *tset_split_random(obj_t *o, size_t keep);

/*
 * Intersection of the n sets (all non-NULL): visits each member of the
 * result (fn may be NULL) in the iteration order of the smallest set and
 * returns how many there were, stopping once limit were found (0: no
 * limit). Sorts sets by size as a side effect.
 */
size_t tset_inter(obj_t **sets, size_t n, size_t limit, tset_visit_fn *fn, void *arg);
/* Union and difference (members of sets[0] in none of the others) of n
 * sets, where NULL stands for a missing key: a new set the caller owns,
 * possibly empty, built as SUNIONSTORE/SDIFFSTORE build theirs. */
obj_t *tset_union(obj_t *const *sets, size_t n);
obj_t *tset_diff(obj_t *const *sets, size_t n);

/* Registers the set type's free, copy and memory-usage functions with the
 * object module. Idempotent; the constructors above call it. */
void tset_register(void);

#endif
