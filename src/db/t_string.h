/*
 * t_string: the logic behind the string and bitmap commands, kept apart from
 * clients and replies: index range normalisation, SETRANGE and SETBIT growth,
 * bit counting and searching over bit ranges, BITOP, BITFIELD reads and
 * writes with overflow policies, and the LCS table with its match walk.
 * Callers own every buffer they pass; functions that grow a str_t return the
 * (maybe moved) string like str_cat does.
 */
#ifndef RH_DB_T_STRING_H
#define RH_DB_T_STRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"
#include "core/str.h"
#include "db/keyspace.h"

/* ---- ranges ----------------------------------------------------------- */

/*
 * Normalises an inclusive [start, end] index pair against a length len:
 * negative indexes count from the end, both are clamped to [0, len-1].
 * With reject_reversed_negatives, a pair of negative indexes with
 * start > end is empty before any clamping (GETRANGE and BITCOUNT do
 * that; BITPOS does not). Returns false when the range is empty.
 */
bool tstr_range(long long len, bool reject_reversed_negatives, long long *start,
                long long *end);

/* ---- values in the keyspace ------------------------------------------- */

/*
 * Returns a string value of key that may be modified in place: o itself if
 * it is raw and unshared, else a raw copy stored under key with
 * db_replace_encoding (the TTL is kept; no change is signalled). o must be
 * the current value of key.
 */
obj_t *tstr_writable(db_t *db, key_ref_t key, obj_t *o);

/* ---- byte and bit edits ----------------------------------------------- */

/* Writes n bytes of p at offset, zero-filling any gap past the end. */
str_t *tstr_setrange(str_t *s, size_t offset, const void *p, size_t n);

/* Bit numbering: bit 0 is the most significant bit of byte 0. */

/* The bit at position bit of p[0..len), 0 past the end. */
int tstr_getbit(const uint8_t *p, size_t len, uint64_t bit);
/* Sets or clears one bit, growing s with zero bytes to reach it; *old gets
 * the previous value of the bit and *grown whether s became longer. */
str_t *tstr_setbit(str_t *s, uint64_t bit, int on, int *old, bool *grown);

/* Set bits in p[0..n). */
uint64_t tstr_popcount(const uint8_t *p, size_t n);
/* Set bits in the inclusive bit range [first, last]; last < len * 8. */
uint64_t tstr_bitcount(const uint8_t *p, uint64_t first, uint64_t last);
/* Position of the first bit equal to bit (0 or 1) in the inclusive range
 * [first, last], or -1 when there is none. */
long long tstr_bitpos(const uint8_t *p, uint64_t first, uint64_t last, int bit);

enum tstr_bitop { TSTR_BITOP_AND, TSTR_BITOP_OR, TSTR_BITOP_XOR, TSTR_BITOP_NOT };

/* A borrowed byte range. */
typedef struct tstr_span {
    const uint8_t *p;
    size_t n;
} tstr_span_t;

/*
 * Combines n sources into dst[0..dlen) (dlen is the longest source length);
 * shorter sources read as zero bytes past their end. NOT takes one source.
 */
void tstr_bitop(int op, uint8_t *dst, size_t dlen, const tstr_span_t *src, size_t n);

/* ---- BITFIELD --------------------------------------------------------- */

enum tstr_overflow { TSTR_OVERFLOW_WRAP, TSTR_OVERFLOW_SAT, TSTR_OVERFLOW_FAIL };

/* Reads bits (1..64) bits at offset as an unsigned number, big-endian;
 * bits past len read as zero. */
uint64_t tstr_bf_get(const uint8_t *p, size_t len, uint64_t offset, int bits);
/* Writes the low bits of v at offset; p must hold offset + bits bits. */
void tstr_bf_set(uint8_t *p, uint64_t offset, int bits, uint64_t v);
/* The signed value of a bits-wide two's complement field. */
int64_t tstr_bf_signed(uint64_t raw, int bits);

/*
 * Adds incr to value in a signed (bits 1..64) or unsigned (bits 1..63)
 * field. Returns 0 when the sum fits, 1 on overflow (including a value
 * already above the maximum, as SET may pass), -1 on underflow. *out gets
 * the value to store: the sum, or the wrapped or saturated one; it is not
 * written on an overflow under TSTR_OVERFLOW_FAIL.
 */
int tstr_bf_add_signed(int64_t value, int64_t incr, int bits, int policy,
                       int64_t *out);
int tstr_bf_add_unsigned(uint64_t value, int64_t incr, int bits, int policy,
                         uint64_t *out);

/* ---- LCS -------------------------------------------------------------- */

/* The dynamic programming table of two strings: entry (i, j) is the LCS
 * length of a[0..i) and b[0..j). The strings are borrowed. */
typedef struct tstr_lcs {
    uint32_t *tab;
    const char *a, *b;
    uint32_t alen, blen;
} tstr_lcs_t;

/* Bytes the table of two strings of these lengths needs; UINT64_MAX when
 * they are too long to build one. */
uint64_t tstr_lcs_table_bytes(size_t alen, size_t blen);
/* Builds the table; -ENOMEM when it cannot be allocated. */
int tstr_lcs_init(tstr_lcs_t *l, const char *a, size_t alen, const char *b,
                  size_t blen) MUST_CHECK;
void tstr_lcs_destroy(tstr_lcs_t *l);
uint32_t tstr_lcs_len(const tstr_lcs_t *l);

/* One run of matching bytes: a[a_start..a_end] == b[b_start..b_end]. */
typedef void tstr_lcs_match_cb(void *arg, uint32_t a_start, uint32_t a_end,
                               uint32_t b_start, uint32_t b_end);

/*
 * Walks the table back from the ends of both strings. Writes the common
 * subsequence to out (tstr_lcs_len bytes; NULL to skip) and reports each
 * run of contiguous matches of at least minlen bytes (0 = all) to cb (may
 * be NULL), last run first, as Redis's LCS IDX lists them. Returns the
 * number of runs reported.
 */
uint32_t tstr_lcs_walk(const tstr_lcs_t *l, char *out, uint32_t minlen,
                       tstr_lcs_match_cb *cb, void *arg);

#endif
