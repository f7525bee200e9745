/*
 * intset: a sorted set of integers in one allocation, in the binary layout
 * Redis documents and stores in RDB files: a uint32 element width (2, 4 or
 * 8 bytes), a uint32 element count, then the elements in ascending order,
 * all little-endian. Every element has the set's width; adding a value that
 * needs more bytes widens the whole set, and the width never shrinks. The
 * caller owns the intset_t it gets back; functions that change the size
 * return the (maybe moved) set and invalidate the old pointer.
 */
#ifndef RH_DB_INTSET_H
#define RH_DB_INTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"

/* Element widths in bytes, as stored in the encoding field. */
enum intset_enc {
    INTSET_ENC_INT16 = 2,
    INTSET_ENC_INT32 = 4,
    INTSET_ENC_INT64 = 8,
};

typedef struct intset intset_t;

/* An empty set of 16-bit width. */
intset_t *intset_new(void);
intset_t *intset_dup(const intset_t *is);
void intset_free(intset_t *is);

/* Adds v unless present; *added (if not NULL) tells whether it was. */
intset_t *intset_add(intset_t *is, int64_t v, bool *added) MUST_CHECK;
/* Removes v if present; *removed (if not NULL) tells whether it was. */
intset_t *intset_remove(intset_t *is, int64_t v, bool *removed) MUST_CHECK;
bool intset_find(const intset_t *is, int64_t v);

uint32_t intset_len(const intset_t *is);
/* The width of the elements (enum intset_enc). */
uint32_t intset_encoding(const intset_t *is);
/* The element at pos (0-based, ascending order); pos < intset_len. */
int64_t intset_get(const intset_t *is, uint32_t pos);
/* The smallest and largest elements; the set must not be empty. */
int64_t intset_min(const intset_t *is);
int64_t intset_max(const intset_t *is);
/* A uniformly chosen element (random()); the set must not be empty. */
int64_t intset_random(const intset_t *is);

/* The blob: the set's bytes exactly as RDB stores them, and their size. */
const void *intset_blob(const intset_t *is);
size_t intset_blob_len(const intset_t *is);

/*
 * Checks an untrusted blob (from an RDB file or a replica stream) before it
 * is used as an intset: a known width, a count that matches the size, and
 * at least one element. With deep, also that the elements strictly ascend.
 */
bool intset_validate(const void *p, size_t n, bool deep);
/* A copy of a blob that passed intset_validate. */
intset_t *intset_from_blob(const void *p, size_t n);
/* The intset that is blob itself (n bytes from alloc_malloc that passed
 * intset_validate), taking ownership of it: no copy. */
intset_t *intset_adopt_blob(void *blob, size_t n);

#endif
