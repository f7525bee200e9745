#include <config.h>
#include "core/lzf.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

/* Limits of the format: literal runs, back-reference distance and length. */
#define LIT_MAX   32
#define DIST_MAX  8192
#define MATCH_MIN 3
#define MATCH_MAX 264

/* Table sizes, in bits: the most a context grows to, the table
 * lzf_compress keeps on the stack, and the least either uses. */
#define HASH_BITS_MAX   16
#define HASH_BITS_STACK 14
#define HASH_BITS_MIN   6

/* Greedy parsing takes matches at least this long without looking one byte
 * further. */
#define LAZY_MAX 32

/*
 * The table maps a hash of three bytes to the latest position that had it.
 * Positions are stored as base + offset, base growing with every call, so
 * that entries of earlier calls (below base) read as empty: the table never
 * needs clearing between calls, only when base would wrap or the table
 * grows.
 */
struct lzf_ctx {
    uint32_t *table;
    unsigned bits; /* The table has 1 << bits slots. */
    uint32_t base;
};

/* One compression: input, output cursor, pending literals, table. */
typedef struct lzf_run {
    const uint8_t *in;
    size_t in_len;
    uint8_t *op, *oend;
    size_t lit_start, lit_len;
    int full;
    uint32_t *table;
    unsigned bits;
    uint32_t base;
} lzf_run_t;

lzf_ctx_t *lzf_ctx_new(void)
{
    lzf_ctx_t *z = alloc_calloc(sizeof(*z));
    z->base = 1;
    return z;
}

void lzf_ctx_free(lzf_ctx_t *z)
{
    if (z == NULL)
        return;
    alloc_free(z->table);
    alloc_free(z);
}

/*
 * About eight slots per input byte keep collisions rare; small inputs use
 * the low part of the table only, which stays in cache when a save
 * compresses millions of short strings in a row.
 */
static unsigned hash_bits(size_t in_len, unsigned max)
{
    unsigned bits = HASH_BITS_MIN;
    while (bits < max && ((size_t)1 << bits) < in_len * 8)
        ++bits;
    return bits;
}

static uint32_t hash3(const uint8_t *p, unsigned bits)
{
    uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return (v * 2654435761u) >> (32 - bits);
}

/* Writes the pending literals as runs of at most LIT_MAX bytes. */
static void flush_literals(lzf_run_t *z)
{
    while (z->lit_len > 0 && !z->full) {
        size_t n = z->lit_len < LIT_MAX ? z->lit_len : LIT_MAX;
        if ((size_t)(z->oend - z->op) < n + 1) {
            z->full = 1;
            return;
        }
        *z->op++ = (uint8_t)(n - 1);
        memcpy(z->op, z->in + z->lit_start, n);
        z->op += n;
        z->lit_start += n;
        z->lit_len -= n;
    }
}

/* Writes a back-reference of len bytes (MATCH_MIN..MATCH_MAX) at dist,
 * after the pending literals. */
static void emit_ref(lzf_run_t *z, size_t len, size_t dist)
{
    flush_literals(z);
    size_t f = len - 2, off = dist - 1;
    size_t need = f < 7 ? 2 : 3;
    if (z->full || (size_t)(z->oend - z->op) < need) {
        z->full = 1;
        return;
    }
    *z->op++ = (uint8_t)((f < 7 ? f : 7) << 5 | off >> 8);
    if (f >= 7)
        *z->op++ = (uint8_t)(f - 7);
    *z->op++ = (uint8_t)(off & 0xff);
}

static void add_literal(lzf_run_t *z, size_t i)
{
    if (z->lit_len == 0)
        z->lit_start = i;
    ++z->lit_len;
}

/* The length of the common prefix of a and b, up to max bytes; eight bytes
 * at a time where the first differing byte is the lowest one of the XOR. */
static size_t match_len(const uint8_t *a, const uint8_t *b, size_t max)
{
    size_t n = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (n + 8 <= max) {
        uint64_t x, y;
        memcpy(&x, a + n, 8);
        memcpy(&y, b + n, 8);
        if (x != y)
            return n + (size_t)(__builtin_ctzll(x ^ y) >> 3);
        n += 8;
    }
#endif
    while (n < max && a[n] == b[n])
        ++n;
    return n;
}

static size_t max_len_at(const lzf_run_t *z, size_t i)
{
    size_t max = z->in_len - i;
    return max > MATCH_MAX ? MATCH_MAX : max;
}

/* ---- greedy parsing ------------------------------------------------------- */

/*
 * Looks up the candidate for the three bytes at position i and records i
 * in its place. Returns the match length there (0 when none is usable) and
 * its distance.
 */
static size_t find_match(lzf_run_t *z, size_t i, size_t *dist)
{
    if (z->in_len - i < MATCH_MIN)
        return 0;
    uint32_t h = hash3(z->in + i, z->bits);
    uint32_t cand = z->table[h];
    z->table[h] = z->base + (uint32_t)i;
    if (cand < z->base)
        return 0;
    size_t c = cand - z->base;
    if (i - c > DIST_MAX)
        return 0;
    size_t n = match_len(z->in + c, z->in + i, max_len_at(z, i));
    *dist = i - c;
    return n >= MATCH_MIN ? n : 0;
}

/* Records the last positions a match covered. Indexing every one of them
 * would replace older candidates that give longer matches later (records
 * such as listpacks repeat whole entries); the last two let the next data
 * continue from the end of the match. */
static void index_covered(lzf_run_t *z, size_t from, size_t to)
{
    if (to > z->in_len - MATCH_MIN + 1)
        to = z->in_len - MATCH_MIN + 1;
    for (size_t j = from; j < to; ++j)
        z->table[hash3(z->in + j, z->bits)] = z->base + (uint32_t)j;
}

/*
 * Greedy parsing with one step of lazy evaluation: a short match is given
 * up for a literal when the next position starts a longer one.
 */
static void greedy_parse(lzf_run_t *z)
{
    size_t i = 0, n = 0, dist = 0;
    bool have = false; /* n and dist already hold the match at i. */
    while (i < z->in_len && !z->full) {
        if (!have)
            n = find_match(z, i, &dist);
        have = false;
        if (n == 0) {
            add_literal(z, i++);
            continue;
        }
        size_t next = i + 1; /* The first position not yet indexed. */
        if (n < LAZY_MAX && i + 1 < z->in_len) {
            size_t dist1 = 0, n1 = find_match(z, i + 1, &dist1);
            if (n1 > n) {
                add_literal(z, i++);
                n = n1;
                dist = dist1;
                have = true;
                continue;
            }
            next = i + 2;
        }
        emit_ref(z, n, dist);
        index_covered(z, i + n - 2 > next ? i + n - 2 : next, i + n);
        i += n;
    }
    flush_literals(z);
}

/* ---- entry points --------------------------------------------------------- */

size_t lzf_compress(const void *in, size_t in_len, void *out, size_t out_cap)
{
    uint32_t table[1u << HASH_BITS_STACK];
    /* Positions are stored as offset + 1, so inputs must fit in 32 bits. */
    if (in_len == 0 || in_len >= UINT32_MAX - 1 || out_cap == 0)
        return 0;
    unsigned bits = hash_bits(in_len, HASH_BITS_STACK);
    memset(table, 0, sizeof(table[0]) << bits);
    lzf_run_t z = {in, in_len, out, (uint8_t *)out + out_cap, 0, 0, 0, table, bits, 1};
    greedy_parse(&z);
    return z.full ? 0 : (size_t)(z.op - (uint8_t *)out);
}

/* Grows the table to bits, cleared: a larger table starts over from base
 * 1. */
static void ctx_reserve(lzf_ctx_t *ctx, unsigned bits)
{
    if (ctx->table == NULL || bits > ctx->bits) {
        alloc_free(ctx->table);
        ctx->table = alloc_calloc(sizeof(ctx->table[0]) << bits);
        ctx->bits = bits;
        ctx->base = 1;
    }
}

size_t lzf_compress_ctx(lzf_ctx_t *ctx, const void *in, size_t in_len, void *out,
                        size_t out_cap)
{
    if (in_len == 0 || in_len >= UINT32_MAX - 1 || out_cap == 0)
        return 0;
    unsigned bits = hash_bits(in_len, HASH_BITS_MAX);
    ctx_reserve(ctx, bits);
    if (in_len > UINT32_MAX - ctx->base) {
        /* The base would wrap: start over from a clear table. */
        memset(ctx->table, 0, sizeof(ctx->table[0]) << ctx->bits);
        ctx->base = 1;
    }
    lzf_run_t z = {in, in_len, out, (uint8_t *)out + out_cap, 0, 0, 0, ctx->table, bits,
                   ctx->base};
    greedy_parse(&z);
    ctx->base += (uint32_t)in_len;
    return z.full ? 0 : (size_t)(z.op - (uint8_t *)out);
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
