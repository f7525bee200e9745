/*
 * t_zset: sorted set values (OBJ_ZSET) and the algebra behind the Z*
 * commands. As in Redis 7.0 a sorted set is a listpack (OBJ_ENC_LISTPACK,
 * ptr is the listpack: member and score entries alternating, ordered by
 * score then member bytes; scores that are whole numbers within +-2^62 are
 * integer entries, the others "%.17g" text, so the blob is what Redis
 * stores in RDB) while it has at most db_env.zset_max_listpack_entries
 * members of at most db_env.zset_max_listpack_value bytes, and a skiplist
 * with a member index otherwise (OBJ_ENC_SKIPLIST, ptr is private to
 * t_zset.c). A set converts from listpack to skiplist when it grows past a
 * threshold and never back; new values (store results, loads) take the
 * encoding their content fits. A sorted set owns its members; elements
 * handed to readers are borrowed until the set next changes.
 */
#ifndef RH_DB_T_ZSET_H
#define RH_DB_T_ZSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"
#include "db/listpack.h"
#include "db/object.h"

/* One element as readers see it: the member's bytes (pointing into the set,
 * or into buf for a listpack integer member) and its score. */
typedef struct tzset_elem {
    const char *p;
    size_t n;
    double score;
    char buf[LP_INTBUF];
} tzset_elem_t;

/* A score interval; the ex flags exclude the bound itself. */
typedef struct tzset_srange {
    double min, max;
    bool minex, maxex;
} tzset_srange_t;

/* A lexicographic bound: "-" (below every member), "+" (above every
 * member), "[member" (inclusive) or "(member" (exclusive). The bytes are
 * borrowed from the parsed argument. */
enum tzset_lex_kind {
    TZSET_LEX_NEG_INF = 0,
    TZSET_LEX_POS_INF = 1,
    TZSET_LEX_INCL = 2,
    TZSET_LEX_EXCL = 3,
};

typedef struct tzset_lbound {
    enum tzset_lex_kind kind;
    const char *p;
    size_t n;
} tzset_lbound_t;

typedef struct tzset_lrange {
    tzset_lbound_t min, max;
} tzset_lrange_t;

/* ---- Parsing ------------------------------------------------------------- */

/* A score range bound pair as ZRANGEBYSCORE reads it: "(" makes a bound
 * exclusive, the rest goes through strtod (leading spaces, hex and the
 * empty string accepted as Redis does; NaN refused). 0 or -EINVAL. */
int tzset_parse_srange(const char *min, size_t minn, const char *max, size_t maxn,
                       tzset_srange_t *out) MUST_CHECK;
/* A lex range ("-", "+", "[x", "(x"); the result borrows the bytes. */
int tzset_parse_lrange(const char *min, size_t minn, const char *max, size_t maxn,
                       tzset_lrange_t *out) MUST_CHECK;

/* ---- Creating, reading ------------------------------------------------------ */

/* A new empty sorted set in the encoding Redis 7.0 gives one whose first
 * member is first_len bytes long: listpack unless that member or an empty
 * threshold rules it out. */
obj_t *tzset_new(size_t first_len);
/* The value ZRANGESTORE starts from for count results (-1 when unknown):
 * a skiplist when count passes zset_max_listpack_entries, else a listpack
 * (which tzset_add converts as it grows). */
obj_t *tzset_new_sized(long long count);
obj_t *tzset_new_listpack(void);
/* An empty skiplist set with room for hint members in its index. */
obj_t *tzset_new_skiplist(size_t hint);

size_t tzset_len(const obj_t *o);
/* Finds member m; sets *score when found and score is not NULL. */
bool tzset_score(obj_t *o, const char *m, size_t n, double *score);
/* The 0-based rank of m counted from the lowest score (from the highest
 * when reverse), or -1 when it is not a member. */
long long tzset_rank(obj_t *o, const char *m, size_t n, bool reverse);

/* ---- Adding and removing ---------------------------------------------------- */

/* Input flags of tzset_add (ZADD's options). */
enum tzset_add_flags {
    TZSET_ADD_INCR = 1 << 0, /* Add score to the current score (0 if new). */
    TZSET_ADD_NX = 1 << 1,   /* Only add new members. */
    TZSET_ADD_XX = 1 << 2,   /* Only update existing members. */
    TZSET_ADD_GT = 1 << 3,   /* Update only to a greater score. */
    TZSET_ADD_LT = 1 << 4,   /* Update only to a lower score. */
};

/* What tzset_add did (a set of these bits). */
enum tzset_add_result {
    TZSET_ADDED = 1 << 0,   /* m was new and was added. */
    TZSET_UPDATED = 1 << 1, /* m's score changed. */
    TZSET_NOP = 1 << 2,     /* Nothing done because of NX/XX/GT/LT. */
    TZSET_NAN = 1 << 3,     /* The (resulting) score is NaN: nothing done. */
};

/*
 * Adds m with score or updates its score, with ZADD's semantics for the
 * flags; returns the result bits. *newscore (when not NULL) receives the
 * member's score unless the result is TZSET_NOP or TZSET_NAN. A listpack
 * becomes a skiplist before a member is added that is too long or one too
 * many, as in Redis 7.0.
 */
int tzset_add(obj_t *o, double score, const char *m, size_t n, int flags, double *newscore);
/* Removes m; returns true when it was a member. A set may become empty:
 * the caller deletes the key then. */
bool tzset_delete(obj_t *o, const char *m, size_t n);
/* Converts a listpack set to a skiplist (no-op for a skiplist). */
void tzset_convert_to_skiplist(obj_t *o);
/* Converts a skiplist set to a listpack (no-op for a listpack): only for
 * sets known to fit (tests, loading). */
void tzset_convert_to_listpack(obj_t *o);

/* ---- Ranges ----------------------------------------------------------------- */

typedef void tzset_visit_fn(void *arg, const tzset_elem_t *e);

/*
 * Normalises ZRANGE-style ranks (negative counts from the end) for a set of
 * len members: returns false when the range is empty, else true with
 * 0 <= *start <= *end < len.
 */
bool tzset_clamp_ranks(size_t len, long long *start, long long *end);
/* Visits the elements of ranks start..end (normalised), counted from the
 * highest score when reverse, in that order. */
void tzset_range_rank(obj_t *o, size_t start, size_t end, bool reverse, tzset_visit_fn *fn,
                      void *arg);
/*
 * Visits the elements in the score range in ascending order (descending
 * when reverse), skipping the first offset of them and stopping after
 * limit (negative: no limit; a negative offset visits nothing, as in
 * Redis). Returns how many were visited.
 */
size_t tzset_range_score(obj_t *o, const tzset_srange_t *r, bool reverse, long long offset,
                         long long limit, tzset_visit_fn *fn, void *arg);
/* The same for a lex range. Lex ranges assume equal scores, as in Redis:
 * on other sets the result is well defined only for the listpack. */
size_t tzset_range_lex(obj_t *o, const tzset_lrange_t *r, bool reverse, long long offset,
                       long long limit, tzset_visit_fn *fn, void *arg);
size_t tzset_count_score(obj_t *o, const tzset_srange_t *r);
size_t tzset_count_lex(obj_t *o, const tzset_lrange_t *r);
/* Removals of ranges; each returns how many members went. */
size_t tzset_delete_rank(obj_t *o, size_t start, size_t end);
size_t tzset_delete_score(obj_t *o, const tzset_srange_t *r);
size_t tzset_delete_lex(obj_t *o, const tzset_lrange_t *r);
/* Removes the count lowest (highest when max) members after visiting
 * them in that order; returns how many there were. */
size_t tzset_pop(obj_t *o, bool max, size_t count, tzset_visit_fn *fn, void *arg);

/* ---- Iteration -------------------------------------------------------------- */

/* Every element in ascending order (descending when reverse). The set must
 * not change meanwhile; nothing needs to be released at the end. RDB saves
 * skiplists in descending order, so that loading inserts at the head. */
typedef struct tzset_iter {
    obj_t *o;
    bool reverse;
    uint8_t *p;  /* Listpack: the next member entry. */
    void *node;  /* Skiplist: the next node. */
} tzset_iter_t;

void tzset_iter_init(tzset_iter_t *it, obj_t *o, bool reverse);
bool tzset_iter_next(tzset_iter_t *it, tzset_elem_t *e);

/* ---- Random members and scans ---------------------------------------------- */

/* Sets *e to a random element of a non-empty set. */
void tzset_random(obj_t *o, tzset_elem_t *e);
/* Visits count random elements, with repetitions, until done or fn
 * returns false (the caller's output was cut off). */
void tzset_random_pairs(obj_t *o, uint64_t count,
                        bool (*fn)(void *arg, const tzset_elem_t *e), void *arg);
/* Visits count distinct random elements, count smaller than the size. A
 * listpack yields them in score order, as Redis does. */
void tzset_random_distinct(obj_t *o, size_t count, tzset_visit_fn *fn, void *arg);

/*
 * One ZSCAN step: a listpack is visited whole (returns 0); a skiplist's
 * index is scanned from cursor until count strings (members and scores
 * both count, as in Redis) were visited, ten times count buckets were
 * walked, or the table ended. Returns the next cursor (0 at the end). The
 * score text fn receives is what Redis replies: a listpack's stored entry
 * as it is (1e17 is stored, and scanned, as an integer), else "%.17g".
 */
typedef void tzset_scan_fn(void *arg, const tzset_elem_t *e, const char *score, size_t len);
uint64_t tzset_scan(obj_t *o, uint64_t cursor, uint64_t count, tzset_scan_fn *fn, void *arg);

/* ---- Set algebra ------------------------------------------------------------ */

enum tzset_aggregate {
    TZSET_AGGR_SUM = 0,
    TZSET_AGGR_MIN = 1,
    TZSET_AGGR_MAX = 2,
};

/* One input of the algebra: a sorted set, a plain set (every member
 * scoring 1) or NULL for a missing key, with its weight. */
typedef struct tzset_src {
    obj_t *o;
    double weight;
} tzset_src_t;

/*
 * ZUNION, ZINTER and ZDIFF: a new sorted set the caller owns (possibly
 * empty). With fit, in the encoding its content fits (what the STORE forms
 * keep); without, always a skiplist, which keeps every computed score
 * exactly (a listpack turns -0 into 0), for replies. Weighted scores that
 * are NaN (0 * inf) count as 0 and so do sums of inf and -inf, as in
 * Redis. Union and intersection reorder srcs by size first (stable), as
 * Redis does before aggregating; the difference takes scores from srcs[0]
 * unweighted.
 */
obj_t *tzset_union(tzset_src_t *srcs, size_t n, enum tzset_aggregate aggr, bool fit);
obj_t *tzset_inter(tzset_src_t *srcs, size_t n, enum tzset_aggregate aggr, bool fit);
obj_t *tzset_diff(const tzset_src_t *srcs, size_t n, bool fit);
/* ZINTERCARD: the size of the intersection, counting up to limit (0: no
 * limit). Reorders srcs by size. */
size_t tzset_inter_card(tzset_src_t *srcs, size_t n, size_t limit);

/* ---- Persistence -------------------------------------------------------------- */

/* Checks that size bytes at blob form a listpack of member/score pairs in
 * the set's form (no member twice, every score a number that is not NaN),
 * as an RDB or RESTORE payload must. 0 or -EINVAL. */
int tzset_validate_listpack(const uint8_t *blob, size_t size) MUST_CHECK;
/* A sorted set taking ownership of a validated, non-empty listpack;
 * converted to a skiplist when it has more members than
 * zset_max_listpack_entries (the only check Redis makes on load). */
obj_t *tzset_from_listpack(uint8_t *lp);
/*
 * Loading (member, score) pairs, as RDB's skiplist form stores them: add
 * each to a tzset_new_skiplist() value with tzset_load_pair, which returns
 * false (adding nothing) for a NaN score or a member seen before, then call
 * tzset_load_done, which turns the set into a listpack when it fits.
 */
bool tzset_load_pair(obj_t *o, const char *m, size_t n, double score) MUST_CHECK;
void tzset_load_done(obj_t *o);

/* Registers the sorted set type's free, copy and memory-usage functions
 * with the object module. Idempotent; the constructors call it. */
void tzset_register(void);

#endif
