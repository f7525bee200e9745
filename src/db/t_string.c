#include <config.h>
#include "db/t_string.h"

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"

/* ---- ranges ----------------------------------------------------------- */

bool tstr_range(long long len, bool reject_reversed_negatives, long long *start,
                long long *end)
{
    REQUIRE(len >= 0);
    long long s = *start, e = *end;
    if (reject_reversed_negatives && s < 0 && e < 0 && s > e)
        return false;
    /* len is small next to LLONG_MAX, so these additions cannot overflow. */
    if (s < 0)
        s += len;
    if (e < 0)
        e += len;
    if (s < 0)
        s = 0;
    if (e < 0)
        e = 0;
    if (e >= len)
        e = len - 1;
    if (s > e)
        return false;
    *start = s;
    *end = e;
    return true;
}

/* ---- values in the keyspace ------------------------------------------- */

obj_t *tstr_writable(db_t *db, key_ref_t key, obj_t *o)
{
    REQUIRE(o->type == OBJ_STRING);
    if (o->encoding == OBJ_ENC_RAW && o->refcount == 1)
        return o;
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    obj_t *copy = obj_new_raw(p, n);
    /* The copy is made before the keyspace drops our reference to o. The
     * data stays the same, so this is not a change (WATCH ignores it). */
    db_replace_encoding(db, key, copy);
    return copy;
}

/* ---- byte and bit edits ----------------------------------------------- */

str_t *tstr_setrange(str_t *s, size_t offset, const void *p, size_t n)
{
    if (offset + n > s->len)
        s = str_grow_zero(s, offset + n);
    if (n > 0)
        memcpy(s->buf + offset, p, n);
    return s;
}

int tstr_getbit(const uint8_t *p, size_t len, uint64_t bit)
{
    uint64_t byte = bit >> 3;
    if (byte >= len)
        return 0;
    return (p[byte] >> (7 - (bit & 7))) & 1;
}

str_t *tstr_setbit(str_t *s, uint64_t bit, int on, int *old, bool *grown)
{
    size_t byte = (size_t)(bit >> 3);
    *grown = byte >= s->len;
    if (*grown)
        s = str_grow_zero(s, byte + 1);
    uint8_t mask = (uint8_t)(1u << (7 - (bit & 7)));
    uint8_t *b = (uint8_t *)s->buf + byte;
    *old = (*b & mask) != 0;
    if (on)
        *b |= mask;
    else
        *b &= (uint8_t)~mask;
    return s;
}

uint64_t tstr_popcount(const uint8_t *p, size_t n)
{
    uint64_t count = 0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, sizeof(w));
        count += (uint64_t)(__builtin_popcountll(w[0]) + __builtin_popcountll(w[1]) +
                            __builtin_popcountll(w[2]) + __builtin_popcountll(w[3]));
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof(w));
        count += (uint64_t)__builtin_popcountll(w);
    }
    for (; i < n; i++)
        count += (uint64_t)__builtin_popcount(p[i]);
    return count;
}

/* Mask of the bits of a byte from bit position k (0 = MSB) to the end. */
static uint8_t mask_from(unsigned k)
{
    return (uint8_t)(0xffu >> k);
}

/* Mask of the bits of a byte from its start up to bit position k. */
static uint8_t mask_upto(unsigned k)
{
    return (uint8_t)(0xffu << (7 - k));
}

uint64_t tstr_bitcount(const uint8_t *p, uint64_t first, uint64_t last)
{
    REQUIRE(first <= last);
    size_t fb = (size_t)(first >> 3), lb = (size_t)(last >> 3);
    uint8_t fm = mask_from((unsigned)(first & 7)), lm = mask_upto((unsigned)(last & 7));
    if (fb == lb)
        return (uint64_t)__builtin_popcount(p[fb] & fm & lm);
    return (uint64_t)__builtin_popcount(p[fb] & fm) + tstr_popcount(p + fb + 1, lb - fb - 1) +
           (uint64_t)__builtin_popcount(p[lb] & lm);
}

/* Index of the most significant set bit of a non-zero byte (0 = MSB). */
static int first_set(uint8_t v)
{
    return __builtin_clz((unsigned)v) - (int)(8 * (sizeof(unsigned) - 1));
}

/* The first bit equal to bit in the whole bytes p[from..to), or -1. Skips
 * uninteresting bytes a word at a time. */
static long long scan_bytes(const uint8_t *p, size_t from, size_t to, int bit)
{
    uint8_t skip = bit ? 0x00 : 0xff;
    uint64_t skipw = bit ? 0 : UINT64_MAX;
    size_t i = from;
    for (; i + 8 <= to; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof(w));
        if (w != skipw)
            break;
    }
    for (; i < to; i++) {
        if (p[i] != skip) {
            uint8_t v = bit ? p[i] : (uint8_t)~p[i];
            return (long long)i * 8 + first_set(v);
        }
    }
    return -1;
}

/* The first bit equal to bit in byte index i restricted to mask, or -1. */
static long long scan_masked(const uint8_t *p, size_t i, uint8_t mask, int bit)
{
    uint8_t v = (uint8_t)((bit ? p[i] : (uint8_t)~p[i]) & mask);
    return v ? (long long)i * 8 + first_set(v) : -1;
}

long long tstr_bitpos(const uint8_t *p, uint64_t first, uint64_t last, int bit)
{
    REQUIRE(first <= last);
    size_t fb = (size_t)(first >> 3), lb = (size_t)(last >> 3);
    uint8_t fm = mask_from((unsigned)(first & 7)), lm = mask_upto((unsigned)(last & 7));
    if (fb == lb)
        return scan_masked(p, fb, fm & lm, bit);
    long long pos = scan_masked(p, fb, fm, bit);
    if (pos < 0)
        pos = scan_bytes(p, fb + 1, lb, bit);
    if (pos < 0)
        pos = scan_masked(p, lb, lm, bit);
    return pos;
}

/* Applies one source to dst under op: its first n bytes, then its zero
 * padding up to dlen. */
static void bitop_apply(int op, uint8_t *dst, size_t dlen, const uint8_t *s, size_t n)
{
    size_t m = n < dlen ? n : dlen;
    size_t i;
    switch (op) {
    case TSTR_BITOP_AND:
        for (i = 0; i < m; i++)
            dst[i] &= s[i];
        memset(dst + m, 0, dlen - m);
        break;
    case TSTR_BITOP_OR:
        for (i = 0; i < m; i++)
            dst[i] |= s[i];
        break;
    case TSTR_BITOP_XOR:
        for (i = 0; i < m; i++)
            dst[i] ^= s[i];
        break;
    default:
        INSIST(false);
    }
}

void tstr_bitop(int op, uint8_t *dst, size_t dlen, const tstr_span_t *src, size_t n)
{
    REQUIRE(n >= 1);
    REQUIRE(op != TSTR_BITOP_NOT || n == 1);
    size_t m = src[0].n < dlen ? src[0].n : dlen;
    if (m > 0)
        memcpy(dst, src[0].p, m);
    memset(dst + m, 0, dlen - m);
    if (op == TSTR_BITOP_NOT) {
        for (size_t i = 0; i < dlen; i++)
            dst[i] = (uint8_t)~dst[i];
        return;
    }
    for (size_t k = 1; k < n; k++)
        bitop_apply(op, dst, dlen, src[k].p, src[k].n);
}

/* ---- BITFIELD --------------------------------------------------------- */

uint64_t tstr_bf_get(const uint8_t *p, size_t len, uint64_t offset, int bits)
{
    REQUIRE(bits >= 1 && bits <= 64);
    uint64_t v = 0;
    for (int j = 0; j < bits; j++) {
        uint64_t pos = offset + (uint64_t)j;
        uint64_t byte = pos >> 3;
        unsigned b = byte < len ? (p[byte] >> (7 - (pos & 7))) & 1u : 0u;
        v = (v << 1) | b;
    }
    return v;
}

void tstr_bf_set(uint8_t *p, uint64_t offset, int bits, uint64_t v)
{
    REQUIRE(bits >= 1 && bits <= 64);
    for (int j = 0; j < bits; j++) {
        uint64_t pos = offset + (uint64_t)j;
        uint8_t mask = (uint8_t)(1u << (7 - (pos & 7)));
        if ((v >> (bits - 1 - j)) & 1)
            p[pos >> 3] |= mask;
        else
            p[pos >> 3] &= (uint8_t)~mask;
    }
}

/* The low bits of v. */
static uint64_t low_bits(uint64_t v, int bits)
{
    return bits == 64 ? v : v & ((UINT64_C(1) << bits) - 1);
}

int64_t tstr_bf_signed(uint64_t raw, int bits)
{
    REQUIRE(bits >= 1 && bits <= 64);
    raw = low_bits(raw, bits);
    if (bits < 64 && (raw & (UINT64_C(1) << (bits - 1))))
        raw |= UINT64_MAX << bits;
    return (int64_t)raw;
}

int tstr_bf_add_signed(int64_t value, int64_t incr, int bits, int policy,
                       int64_t *out)
{
    REQUIRE(bits >= 1 && bits <= 64);
    int64_t max = bits == 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << (bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t sum = 0;
    int dir = 0;
    if (value > max)
        dir = 1;
    else if (value < min)
        dir = -1;
    else if (__builtin_add_overflow(value, incr, &sum))
        dir = incr > 0 ? 1 : -1;
    else if (sum > max)
        dir = 1;
    else if (sum < min)
        dir = -1;
    if (dir == 0)
        *out = sum;
    else if (policy == TSTR_OVERFLOW_WRAP)
        *out = tstr_bf_signed((uint64_t)value + (uint64_t)incr, bits);
    else if (policy == TSTR_OVERFLOW_SAT)
        *out = dir > 0 ? max : min;
    return dir;
}

int tstr_bf_add_unsigned(uint64_t value, int64_t incr, int bits, int policy,
                         uint64_t *out)
{
    REQUIRE(bits >= 1 && bits <= 64);
    uint64_t max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    /* |incr| without overflowing on INT64_MIN. */
    uint64_t mag = incr < 0 ? (uint64_t)(-(incr + 1)) + 1 : (uint64_t)incr;
    int dir = 0;
    if (value > max || (incr > 0 && mag > max - value))
        dir = 1;
    else if (incr < 0 && mag > value)
        dir = -1;
    if (dir == 0)
        *out = value + (uint64_t)incr;
    else if (policy == TSTR_OVERFLOW_WRAP)
        *out = low_bits(value + (uint64_t)incr, bits);
    else if (policy == TSTR_OVERFLOW_SAT)
        *out = dir > 0 ? max : 0;
    return dir;
}

/* ---- LCS -------------------------------------------------------------- */

#define LCS_AT(l, i, j) ((l)->tab[(size_t)(i) * ((size_t)(l)->blen + 1) + (size_t)(j)])

uint64_t tstr_lcs_table_bytes(size_t alen, size_t blen)
{
    /* Lengths stay below UINT32_MAX so that cells and indexes fit. */
    if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1)
        return UINT64_MAX;
    uint64_t cells = ((uint64_t)alen + 1) * ((uint64_t)blen + 1);
    if (cells > UINT64_MAX / sizeof(uint32_t))
        return UINT64_MAX;
    return cells * sizeof(uint32_t);
}

int tstr_lcs_init(tstr_lcs_t *l, const char *a, size_t alen, const char *b,
                  size_t blen)
{
    uint64_t bytes = tstr_lcs_table_bytes(alen, blen);
    if (bytes == UINT64_MAX || bytes > SIZE_MAX)
        return -ENOMEM;
    uint32_t *tab = alloc_try_malloc((size_t)bytes);
    if (tab == NULL)
        return -ENOMEM;
    l->tab = tab;
    l->a = a;
    l->b = b;
    l->alen = (uint32_t)alen;
    l->blen = (uint32_t)blen;
    for (uint32_t j = 0; j <= l->blen; j++)
        LCS_AT(l, 0, j) = 0;
    for (uint32_t i = 1; i <= l->alen; i++) {
        LCS_AT(l, i, 0) = 0;
        for (uint32_t j = 1; j <= l->blen; j++) {
            if (a[i - 1] == b[j - 1]) {
                LCS_AT(l, i, j) = LCS_AT(l, i - 1, j - 1) + 1;
            } else {
                uint32_t up = LCS_AT(l, i - 1, j), left = LCS_AT(l, i, j - 1);
                LCS_AT(l, i, j) = up > left ? up : left;
            }
        }
    }
    return 0;
}

void tstr_lcs_destroy(tstr_lcs_t *l)
{
    alloc_free(l->tab);
    l->tab = NULL;
}

uint32_t tstr_lcs_len(const tstr_lcs_t *l)
{
    return LCS_AT(l, l->alen, l->blen);
}

/* The run of matches being collected by the walk, extended backwards. */
typedef struct lcs_run {
    bool open;
    uint32_t a0, a1, b0, b1;
} lcs_run_t;

uint32_t tstr_lcs_walk(const tstr_lcs_t *l, char *out, uint32_t minlen,
                       tstr_lcs_match_cb *cb, void *arg)
{
    uint32_t i = l->alen, j = l->blen, idx = tstr_lcs_len(l), reported = 0;
    lcs_run_t run = {false, 0, 0, 0, 0};
    while (i > 0 && j > 0) {
        bool close = false;
        if (l->a[i - 1] == l->b[j - 1]) {
            if (out != NULL)
                out[idx - 1] = l->a[i - 1];
            if (!run.open) {
                run = (lcs_run_t){true, i - 1, i - 1, j - 1, j - 1};
            } else {
                /* A run only continues diagonally: any other step closed it. */
                INSIST(run.a0 == i && run.b0 == j);
                run.a0--;
                run.b0--;
            }
            /* A run touching the start of either string ends the walk. */
            close = run.a0 == 0 || run.b0 == 0;
            idx--;
            i--;
            j--;
        } else {
            /* Follow the larger sub-result; ties move along b, as Redis does. */
            if (LCS_AT(l, i - 1, j) > LCS_AT(l, i, j - 1))
                i--;
            else
                j--;
            close = run.open;
        }
        if (close) {
            uint32_t len = run.a1 - run.a0 + 1;
            if (minlen == 0 || len >= minlen) {
                if (cb != NULL)
                    cb(arg, run.a0, run.a1, run.b0, run.b1);
                reported++;
            }
            run.open = false;
        }
    }
    return reported;
}
