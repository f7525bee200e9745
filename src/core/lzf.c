#include <config.h>
#include "core/lzf.h"

#include <stdint.h>
#include <string.h>

/* Limits of the format: literal runs, back-reference distance and length. */
#define LIT_MAX   32
#define DIST_MAX  8192
#define MATCH_MIN 3
#define MATCH_MAX 264

/* The largest hash table, in bits; small inputs use smaller tables. */
#define HASH_BITS_MAX 14

/* The compressor's output cursor and pending literal run. */
typedef struct {
    const uint8_t *in;
    uint8_t *op, *oend;
    size_t lit_start, lit_len;
    int full;
} lzf_out_t;

/*
 * A table of about twice as many slots as input bytes keeps collisions low
 * without clearing a large table for short strings, which Redis compresses
 * by the thousand while saving.
 */
static unsigned hash_bits(size_t in_len)
{
    unsigned bits = 6;
    while (bits < HASH_BITS_MAX && ((size_t)1 << bits) < in_len * 2)
        ++bits;
    return bits;
}

static uint32_t hash3(const uint8_t *p, unsigned bits)
{
    uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return (v * 2654435761u) >> (32 - bits);
}

/* Writes the pending literals as runs of at most LIT_MAX bytes. */
static void flush_literals(lzf_out_t *o)
{
    while (o->lit_len > 0 && !o->full) {
        size_t n = o->lit_len < LIT_MAX ? o->lit_len : LIT_MAX;
        if ((size_t)(o->oend - o->op) < n + 1) {
            o->full = 1;
            return;
        }
        *o->op++ = (uint8_t)(n - 1);
        memcpy(o->op, o->in + o->lit_start, n);
        o->op += n;
        o->lit_start += n;
        o->lit_len -= n;
    }
}

/* Writes a back-reference of len bytes (MATCH_MIN..MATCH_MAX) at dist. */
static void emit_ref(lzf_out_t *o, size_t len, size_t dist)
{
    size_t f = len - 2, off = dist - 1;
    size_t need = f < 7 ? 2 : 3;
    if ((size_t)(o->oend - o->op) < need) {
        o->full = 1;
        return;
    }
    *o->op++ = (uint8_t)((f < 7 ? f : 7) << 5 | off >> 8);
    if (f >= 7)
        *o->op++ = (uint8_t)(f - 7);
    *o->op++ = (uint8_t)(off & 0xff);
}

static size_t match_len(const uint8_t *a, const uint8_t *b, size_t max)
{
    size_t n = 0;
    while (n < max && a[n] == b[n])
        ++n;
    return n;
}

/*
 * Looks up the candidate for the prefix at position i and records i in its
 * place. Returns the match length there (0 when none) and its distance.
 */
static size_t find_match(const uint8_t *in, size_t in_len, size_t i,
                         uint32_t *table, unsigned bits, size_t *dist)
{
    if (in_len - i < MATCH_MIN)
        return 0;
    uint32_t h = hash3(in + i, bits);
    uint32_t cand = table[h];
    table[h] = (uint32_t)(i + 1);
    if (cand == 0 || i - (cand - 1) > DIST_MAX)
        return 0;
    size_t c = cand - 1, max = in_len - i;
    if (max > MATCH_MAX)
        max = MATCH_MAX;
    size_t n = match_len(in + c, in + i, max);
    *dist = i - c;
    return n >= MATCH_MIN ? n : 0;
}

size_t lzf_compress(const void *in, size_t in_len, void *out, size_t out_cap)
{
    uint32_t table[1u << HASH_BITS_MAX];
    /* Positions are stored as offset + 1, so inputs must fit in 32 bits. */
    if (in_len == 0 || in_len >= UINT32_MAX || out_cap == 0)
        return 0;
    unsigned bits = hash_bits(in_len);
    memset(table, 0, sizeof(table[0]) << bits);
    lzf_out_t o = { in, out, (uint8_t *)out + out_cap, 0, 0, 0 };
    size_t i = 0;
    while (i < in_len && !o.full) {
        size_t dist = 0;
        size_t n = find_match(o.in, in_len, i, table, bits, &dist);
        if (n == 0) {
            if (o.lit_len == 0)
                o.lit_start = i;
            ++o.lit_len;
            ++i;
            continue;
        }
        flush_literals(&o);
        emit_ref(&o, n, dist);
        /* Index the covered positions so later data can refer to them. */
        for (size_t j = i + 1; j < i + n && in_len - j >= MATCH_MIN; ++j)
            table[hash3(o.in + j, bits)] = (uint32_t)(j + 1);
        i += n;
    }
    flush_literals(&o);
    return o.full ? 0 : (size_t)(o.op - (uint8_t *)out);
}

/* Copies a back-reference byte by byte when source and target overlap. */
static void copy_ref(uint8_t *op, size_t dist, size_t len)
{
    const uint8_t *ref = op - dist;
    if (dist >= len) {
        memcpy(op, ref, len);
        return;
    }
    for (size_t k = 0; k < len; ++k)
        op[k] = ref[k];
}

size_t lzf_decompress(const void *in, size_t in_len, void *out,
                      size_t out_cap)
{
    const uint8_t *ip = in, *iend = ip + in_len;
    uint8_t *o0 = out, *op = o0;
    size_t room = out_cap;
    while (ip < iend) {
        size_t ctrl = *ip++;
        size_t len;
        if (ctrl < 32) {
            len = ctrl + 1;
            if ((size_t)(iend - ip) < len || room < len)
                return 0;
            memcpy(op, ip, len);
            ip += len;
        } else {
            len = ctrl >> 5;
            if (len == 7) {
                if (ip >= iend)
                    return 0;
                len += *ip++;
            }
            if (ip >= iend)
                return 0;
            size_t dist = ((ctrl & 0x1f) << 8 | *ip++) + 1;
            len += 2;
            if (dist > (size_t)(op - o0) || room < len)
                return 0;
            copy_ref(op, dist, len);
        }
        op += len;
        room -= len;
    }
    return (size_t)(op - o0);
}
