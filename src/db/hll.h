/*
 * hll: HyperLogLog sketches stored as plain strings in Redis's exact
 * representation, so the bytes are interchangeable with Redis 7.0 (GET,
 * DUMP, RDB, replication). A sketch is a 16-byte header ("HYLL", an
 * encoding byte, three zero bytes, and a little-endian cached cardinality
 * whose top bit marks it stale) followed by 16384 6-bit registers, either
 * dense (packed little-endian bit fields, 12288 bytes) or sparse (run
 * length opcodes ZERO, XZERO and VAL). Elements are hashed with
 * MurmurHash64A (seed 0xadc83b19); the estimate is Ertl's improved
 * estimator. Functions taking str_t ** may replace the string (growth, or
 * promotion from sparse to dense) and invalidate the old pointer; the
 * caller owns every string. Sketches passed as (p, n) must be followed by
 * one readable byte, as str_t and embedded string values are (see
 * xzero_low in hll.c for why).
 */
#ifndef RH_DB_HLL_H
#define RH_DB_HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"
#include "core/str.h"

#define HLL_P 14                          /* Index bits: 2^14 registers. */
#define HLL_Q (64 - HLL_P)                /* Bits left for the run length. */
#define HLL_REGISTERS (1 << HLL_P)
#define HLL_BITS 6                        /* Bits per dense register. */
#define HLL_REGISTER_MAX ((1 << HLL_BITS) - 1)
#define HLL_HDR_SIZE 16
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) / 8)
#define HLL_SPARSE_VAL_MAX 32             /* Largest value a VAL opcode holds. */

enum hll_encoding {
    HLL_DENSE = 0,
    HLL_SPARSE = 1,
};

/* MurmurHash64A of n bytes (little-endian word reads on every host). */
uint64_t hll_murmur64a(const void *p, size_t n, uint64_t seed);
/* The register an element updates (*index) and the value it offers: the
 * position of the first set bit of the rest of its hash, 1..HLL_Q+1. */
uint8_t hll_pattern(const void *p, size_t n, uint32_t *index);

/* A new empty sketch: sparse, one XZERO run, cached cardinality 0. */
str_t *hll_new(void);
/* The header checks Redis applies before treating a string as a sketch:
 * length, magic, a known encoding, and the exact dense size. */
bool hll_is_valid(const void *p, size_t n);
int hll_encoding_of(const void *p);

/* The cached cardinality, if it is valid. */
bool hll_cache_get(const void *p, uint64_t *card);
void hll_cache_set(void *p, uint64_t card);
void hll_cache_invalidate(void *p);

/*
 * Adds an element. Returns 1 when a register grew, 0 when nothing changed,
 * -EINVAL for a corrupt sparse sketch. A sparse sketch becomes dense when a
 * register needs a value above 32 or the string would grow past
 * sparse_max bytes.
 */
int hll_add(str_t **s, const void *ele, size_t n, size_t sparse_max) MUST_CHECK;
/* Raises register index to val if it is lower: 1 if it was, 0 if not,
 * -EINVAL if corrupt. Same promotion rules as hll_add. */
int hll_set_register(str_t **s, uint32_t index, uint8_t val, size_t sparse_max) MUST_CHECK;
/* Converts a sparse sketch to dense in place (header kept); 0 if it already
 * was dense, 1 if converted, -EINVAL if the sparse data is corrupt. */
int hll_to_dense(str_t **s) MUST_CHECK;

/* The estimate from the registers of a valid sketch (ignoring the cache);
 * -EINVAL for corrupt sparse data. */
int hll_count(const void *p, size_t n, uint64_t *card) MUST_CHECK;
/* max[i] = MAX(max[i], register i) over a valid sketch; -EINVAL if corrupt. */
int hll_merge_registers(uint8_t *max, const void *p, size_t n) MUST_CHECK;
/* The estimate from an array of HLL_REGISTERS register values. */
uint64_t hll_count_registers(const uint8_t *regs);
/* Every register of a valid sketch into regs; -EINVAL if corrupt. */
int hll_registers(const void *p, size_t n, uint8_t *regs) MUST_CHECK;

/* PFDEBUG DECODE's text for a sparse sketch ("z:N", "Z:N", "v:V,N"
 * separated by spaces); NULL if not sparse. The caller frees it. */
str_t *hll_decode_sparse(const void *p, size_t n);

/* PFSELFTEST: checks register packing and the estimator's error bounds;
 * returns NULL on success or a message for the error reply (static). */
const char *hll_selftest(void);

#endif
