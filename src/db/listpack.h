/*
 * listpack: Redis's compact sequence of strings and integers in one
 * allocation, in the documented binary format (so RDB can store it as it is):
 * a 6-byte header (total bytes as uint32 LE, element count as uint16 LE, or
 * 65535 when unknown), the entries (encoding + data + backlen), and a 0xFF
 * terminator. Strings that are canonical integers are stored as integers, as
 * Redis does. The caller owns a listpack and frees it with lp_free.
 *
 * A position (uint8_t *p) points at an entry inside a listpack. Functions
 * that modify a listpack return it, possibly moved (like realloc): the old
 * pointer and every position taken before the call are invalid afterwards,
 * except the ones a function hands back.
 */
#ifndef RH_DB_LISTPACK_H
#define RH_DB_LISTPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"

/* Bytes of the header and of the terminator. */
#define LP_HDR_SIZE 6
#define LP_EOF 0xFF
/* The element count stored when it does not fit in the header. */
#define LP_COUNT_UNKNOWN 65535
/* Room for an integer entry formatted as text (lp_get_bytes), NUL included. */
#define LP_INTBUF 24

/* A decoded entry. String entries point into the listpack and stay valid
 * until it is modified or freed. */
typedef struct lp_val {
    const char *str; /* The bytes of a string entry; NULL for an integer. */
    size_t len;      /* The length of a string entry. */
    long long num;   /* The value of an integer entry. */
} lp_val_t;

/* Where lp_insert puts the new entry relative to the given position. */
enum lp_where {
    LP_BEFORE = 0,
    LP_AFTER = 1,
    LP_REPLACE = 2,
};

/* ---- Whole listpacks ---------------------------------------------------- */

/* A new empty listpack. */
uint8_t *lp_new(void);
void lp_free(uint8_t *lp);
/* A copy the caller owns. */
uint8_t *lp_dup(const uint8_t *lp);
/* Total bytes (header and terminator included): the blob RDB stores. */
size_t lp_bytes(const uint8_t *lp);
/* Number of entries. When the header holds LP_COUNT_UNKNOWN the entries are
 * counted, and the count is stored back if it now fits. */
size_t lp_count(uint8_t *lp);

/*
 * Checks that size bytes at blob form a well-formed listpack before it is
 * trusted (RDB, RESTORE): the header's total matches size, every entry's
 * encoding and length stay inside the blob, every backlen matches its entry,
 * the count matches (unless unknown) and the terminator is last. When cb is
 * not NULL it is called for each entry in order with its index; a nonzero
 * return rejects the blob (types use it to check pairs, duplicates, scores).
 * Returns 0 or -EINVAL. Nothing is allocated or modified.
 */
typedef int lp_validate_cb(const uint8_t *p, size_t index, void *arg);
int lp_validate(const uint8_t *blob, size_t size, lp_validate_cb *cb,
                void *arg) MUST_CHECK;

/* ---- Positions and iteration ------------------------------------------- */

/* The first or last entry, NULL when empty. */
uint8_t *lp_first(uint8_t *lp);
uint8_t *lp_last(uint8_t *lp);
/* The entry after or before p, NULL past either end. */
uint8_t *lp_next(uint8_t *lp, uint8_t *p);
uint8_t *lp_prev(uint8_t *lp, uint8_t *p);
/* The entry at index (negative counts from the end, -1 is the last), or NULL
 * when out of range. Walks from the nearer end. */
uint8_t *lp_seek(uint8_t *lp, long long index);

/* ---- Reading entries ---------------------------------------------------- */

/* Decodes the entry at p. */
void lp_get(const uint8_t *p, lp_val_t *v);
/* The entry's value as bytes: a string entry's own bytes, or an integer
 * formatted into buf (LP_INTBUF bytes). */
const char *lp_get_bytes(const uint8_t *p, char *buf, size_t *len);
/* True (and *out set) when the entry holds an integer. String entries are
 * never canonical integers, so they give false. */
bool lp_get_int(const uint8_t *p, long long *out);
/* True when the entry's value equals the n bytes at s (an integer entry
 * equals its decimal text). */
bool lp_eq(const uint8_t *p, const void *s, size_t n);
/* Orders the entry's text against s as memcmp does, shorter first on a tie. */
int lp_compare(const uint8_t *p, const void *s, size_t n);
/* Bytes the entry at p occupies (encoding, data and backlen). */
size_t lp_entry_size(const uint8_t *p);

/*
 * Finds the first entry equal to s, starting at p and testing it, then every
 * (skip + 1)th entry after it: skip 1 visits only the fields of field/value
 * pairs. Returns NULL when there is none (or p is NULL).
 */
uint8_t *lp_find(uint8_t *lp, uint8_t *p, const void *s, size_t n,
                 unsigned skip);

/* Bytes an entry holding s (as it would be encoded) or v occupies: lets
 * callers check size limits before inserting. */
size_t lp_encoded_size(const void *s, size_t n);
size_t lp_encoded_size_int(long long v);

/* ---- Modifying ------------------------------------------------------------ */

/*
 * Inserts s (or v) before or after the entry at p, or replaces it; p may also
 * point at the terminator with LP_BEFORE to append. When newp is not NULL it
 * receives the position of the new entry in the returned listpack.
 */
uint8_t *lp_insert(uint8_t *lp, uint8_t *p, enum lp_where where,
                   const void *s, size_t n, uint8_t **newp);
uint8_t *lp_insert_int(uint8_t *lp, uint8_t *p, enum lp_where where,
                       long long v, uint8_t **newp);
uint8_t *lp_append(uint8_t *lp, const void *s, size_t n);
uint8_t *lp_append_int(uint8_t *lp, long long v);
uint8_t *lp_prepend(uint8_t *lp, const void *s, size_t n);
uint8_t *lp_prepend_int(uint8_t *lp, long long v);
/* Replaces the entry at *p; *p becomes the new entry's position. */
uint8_t *lp_replace(uint8_t *lp, uint8_t **p, const void *s, size_t n);
uint8_t *lp_replace_int(uint8_t *lp, uint8_t **p, long long v);

/* Appends the entries of b after those of a (b is not changed) and returns
 * a, possibly moved: entries are self-contained, so this is a byte copy. */
uint8_t *lp_concat(uint8_t *a, const uint8_t *b);

/* Deletes the entry at *p; *p becomes the entry that followed it, or NULL
 * when it was the last. */
uint8_t *lp_delete(uint8_t *lp, uint8_t **p);
/* Deletes up to count entries starting at *p; *p as for lp_delete. */
uint8_t *lp_delete_range_at(uint8_t *lp, uint8_t **p, size_t count);
/* Deletes up to count entries starting at index (negative from the end);
 * an index out of range deletes nothing. */
uint8_t *lp_delete_range(uint8_t *lp, long long index, size_t count);

#define LP_FOREACH(lp, p) \
    for (uint8_t *p = lp_first(lp); p != NULL; p = lp_next((lp), p))

#endif
