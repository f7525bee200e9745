#include <config.h>
#include "db/hll.h"

#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

/* The seed Redis documents for hashing HyperLogLog elements. */
#define HLL_HASH_SEED 0xadc83b19ULL
/* The estimator's constant, 1 / (2 ln 2). */
#define HLL_ALPHA_INF 0.721347520444481703680

/* Header layout: magic[4], encoding, three unused bytes, card[8]. */
#define HDR_ENCODING 4
#define HDR_CARD 8
#define CARD_STALE_BIT 0x80

/*
 * Sparse opcodes (one or two bytes each, in register order):
 *   ZERO   00xxxxxx           a run of x+1 zero registers (1..64)
 *   XZERO  01xxxxxx yyyyyyyy  a run of (x<<8|y)+1 zero registers (1..16384)
 *   VAL    1vvvvvxx           a run of x+1 registers (1..4) of value v+1 (1..32)
 */
#define ZERO_MAX_RUN 64
#define XZERO_MAX_RUN 16384
#define VAL_MAX_RUN 4

static bool op_is_zero(uint8_t b)
{
    return (b & 0xc0) == 0x00;
}

static bool op_is_xzero(uint8_t b)
{
    return (b & 0xc0) == 0x40;
}

static bool op_is_val(uint8_t b)
{
    return (b & 0x80) != 0;
}

static uint32_t zero_run(uint8_t b)
{
    return (uint32_t)(b & 0x3f) + 1;
}

static uint32_t xzero_run(uint8_t b0, uint8_t b1)
{
    return ((uint32_t)(b0 & 0x3f) << 8 | b1) + 1;
}

static uint8_t val_value(uint8_t b)
{
    return (uint8_t)(((b >> 2) & 0x1f) + 1);
}

static uint32_t val_run(uint8_t b)
{
    return (uint32_t)(b & 0x03) + 1;
}

static uint8_t op_val(uint8_t value, uint32_t run)
{
    return (uint8_t)(0x80 | (value - 1) << 2 | (run - 1));
}

/*
 * The second byte of an XZERO at offset i of an n-byte body. When a corrupt
 * body ends inside an XZERO, Redis reads the byte after the string (its
 * terminator, or what an earlier update left there, see sparse_raise), so
 * that byte is read here too: every sketch handed to this module is a
 * string followed by one readable byte, as str_t and embedded strings are.
 */
static uint8_t xzero_low(const uint8_t *b, size_t i, size_t n)
{
    UNUSED(n);
    return b[i + 1];
}

/* Writes a run of zeros as ZERO when it fits, else XZERO; returns bytes. */
static size_t put_zeros(uint8_t *out, uint32_t run)
{
    if (run <= ZERO_MAX_RUN) {
        out[0] = (uint8_t)(run - 1);
        return 1;
    }
    out[0] = (uint8_t)(0x40 | (run - 1) >> 8);
    out[1] = (uint8_t)((run - 1) & 0xff);
    return 2;
}

/* ====================================================================== */
/* Hashing                                                                */
/* ====================================================================== */

/* MurmurHash64A: 8-byte little-endian words mixed into the state by
 * multiply-xorshift-multiply, the 1..7 tail bytes folded in, then a final
 * avalanche. */
uint64_t hll_murmur64a(const void *p, size_t n, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    const uint8_t *data = p;
    uint64_t h = seed ^ ((uint64_t)n * m);
    size_t words = n / 8;
    for (size_t i = 0; i < words; i++, data += 8) {
        uint64_t k;
        memcpy(&k, data, sizeof(k));
        k = le64toh(k);
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    size_t tail = n & 7;
    if (tail > 0) {
        for (size_t i = tail; i-- > 0;)
            h ^= (uint64_t)data[i] << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

uint8_t hll_pattern(const void *p, size_t n, uint32_t *index)
{
    uint64_t hash = hll_murmur64a(p, n, HLL_HASH_SEED);
    *index = (uint32_t)(hash & (HLL_REGISTERS - 1));
    /* The bit above the Q remaining bits bounds the count at Q+1. */
    uint64_t rest = hash >> HLL_P | 1ULL << HLL_Q;
    uint8_t count = 1;
    while ((rest & 1) == 0) {
        count++;
        rest >>= 1;
    }
    return count;
}

/* ====================================================================== */
/* Header                                                                 */
/* ====================================================================== */

str_t *hll_new(void)
{
    uint8_t b[HLL_HDR_SIZE + 2] = {'H', 'Y', 'L', 'L', HLL_SPARSE};
    put_zeros(b + HLL_HDR_SIZE, XZERO_MAX_RUN);
    return str_new(b, sizeof(b));
}

bool hll_is_valid(const void *p, size_t n)
{
    const uint8_t *b = p;
    if (n < HLL_HDR_SIZE || memcmp(b, "HYLL", 4) != 0)
        return false;
    if (b[HDR_ENCODING] != HLL_DENSE && b[HDR_ENCODING] != HLL_SPARSE)
        return false;
    return b[HDR_ENCODING] != HLL_DENSE || n == HLL_DENSE_SIZE;
}

int hll_encoding_of(const void *p)
{
    return ((const uint8_t *)p)[HDR_ENCODING];
}

bool hll_cache_get(const void *p, uint64_t *card)
{
    const uint8_t *c = (const uint8_t *)p + HDR_CARD;
    if (c[7] & CARD_STALE_BIT)
        return false;
    uint64_t v;
    memcpy(&v, c, sizeof(v));
    *card = le64toh(v);
    return true;
}

void hll_cache_set(void *p, uint64_t card)
{
    uint64_t v = htole64(card);
    memcpy((uint8_t *)p + HDR_CARD, &v, sizeof(v));
}

void hll_cache_invalidate(void *p)
{
    ((uint8_t *)p)[HDR_CARD + 7] |= CARD_STALE_BIT;
}

/* ====================================================================== */
/* Dense registers                                                        */
/* ====================================================================== */

/* Register i occupies bits i*6 .. i*6+5 of the little-endian bit stream:
 * the low bits in one byte, the high bits (if any) in the next. */
static uint8_t dense_get(const uint8_t *regs, uint32_t i)
{
    size_t bit = (size_t)i * HLL_BITS, byte = bit / 8;
    unsigned fb = (unsigned)(bit & 7);
    unsigned v = regs[byte] >> fb;
    if (fb > 8 - HLL_BITS)
        v |= (unsigned)regs[byte + 1] << (8 - fb);
    return (uint8_t)(v & HLL_REGISTER_MAX);
}

static void dense_put(uint8_t *regs, uint32_t i, uint8_t val)
{
    size_t bit = (size_t)i * HLL_BITS, byte = bit / 8;
    unsigned fb = (unsigned)(bit & 7);
    regs[byte] = (uint8_t)((regs[byte] & ~(HLL_REGISTER_MAX << fb)) | (unsigned)val << fb);
    if (fb > 8 - HLL_BITS) {
        unsigned hi = 8 - fb;
        regs[byte + 1] =
            (uint8_t)((regs[byte + 1] & ~(HLL_REGISTER_MAX >> hi)) | (unsigned)val >> hi);
    }
}

/* Raises a dense register: 1 if it grew, 0 if not. */
static int dense_raise(uint8_t *regs, uint32_t i, uint8_t val)
{
    if (val <= dense_get(regs, i))
        return 0;
    dense_put(regs, i, val);
    return 1;
}

/* ====================================================================== */
/* Sparse walking and conversion                                          */
/* ====================================================================== */

/* Called for each VAL run of a sparse sketch. */
typedef void sparse_run_fn(void *arg, uint32_t first, uint32_t run, uint8_t val);

/* Walks the opcodes of a sparse body; valid only if the runs cover exactly
 * HLL_REGISTERS registers. */
static int sparse_walk(const uint8_t *ops, size_t n, sparse_run_fn *fn, void *arg)
{
    uint32_t idx = 0;
    size_t i = 0;
    while (i < n) {
        uint8_t b = ops[i];
        uint32_t run;
        uint8_t val = 0;
        if (op_is_xzero(b)) {
            run = xzero_run(b, xzero_low(ops, i, n));
            i += 2;
        } else if (op_is_zero(b)) {
            run = zero_run(b);
            i++;
        } else {
            run = val_run(b);
            val = val_value(b);
            i++;
        }
        if (run > HLL_REGISTERS - idx)
            return -EINVAL;
        if (val != 0 && fn != NULL)
            fn(arg, idx, run, val);
        idx += run;
    }
    return idx == HLL_REGISTERS ? 0 : -EINVAL;
}

static void run_to_dense(void *arg, uint32_t first, uint32_t run, uint8_t val)
{
    for (uint32_t i = first; i < first + run; i++)
        dense_put(arg, i, val);
}

static void run_to_max(void *arg, uint32_t first, uint32_t run, uint8_t val)
{
    uint8_t *max = arg;
    for (uint32_t i = first; i < first + run; i++)
        if (val > max[i])
            max[i] = val;
}

int hll_to_dense(str_t **sp)
{
    str_t *s = *sp;
    if (hll_encoding_of(s->buf) == HLL_DENSE)
        return 0;
    str_t *d = str_grow_zero(str_new_cap(HLL_DENSE_SIZE), HLL_DENSE_SIZE);
    /* The header is kept whole: magic, unused bytes and cached value. */
    memcpy(d->buf, s->buf, HLL_HDR_SIZE);
    d->buf[HDR_ENCODING] = HLL_DENSE;
    const uint8_t *ops = (const uint8_t *)s->buf + HLL_HDR_SIZE;
    if (sparse_walk(ops, s->len - HLL_HDR_SIZE, run_to_dense, d->buf + HLL_HDR_SIZE) != 0) {
        str_free(d);
        return -EINVAL;
    }
    str_free(s);
    *sp = d;
    return 1;
}

int hll_merge_registers(uint8_t *max, const void *p, size_t n)
{
    const uint8_t *b = p;
    if (b[HDR_ENCODING] == HLL_DENSE) {
        for (uint32_t i = 0; i < HLL_REGISTERS; i++) {
            uint8_t v = dense_get(b + HLL_HDR_SIZE, i);
            if (v > max[i])
                max[i] = v;
        }
        return 0;
    }
    return sparse_walk(b + HLL_HDR_SIZE, n - HLL_HDR_SIZE, run_to_max, max);
}

int hll_registers(const void *p, size_t n, uint8_t *regs)
{
    memset(regs, 0, HLL_REGISTERS);
    return hll_merge_registers(regs, p, n);
}

/* ====================================================================== */
/* Sparse updates                                                         */
/* ====================================================================== */

/* Converts to dense and raises the register there; the caller knows the
 * register must grow. */
static int promote_and_raise(str_t **sp, uint32_t index, uint8_t val)
{
    if (hll_to_dense(sp) < 0)
        return -EINVAL;
    int rc = dense_raise((uint8_t *)(*sp)->buf + HLL_HDR_SIZE, index, val);
    INSIST(rc == 1);
    return rc;
}

/*
 * After an update, adjacent VAL opcodes of equal value may be merged into
 * one when their runs fit. Starting at the opcode before the changed one,
 * up to five steps are taken (a merge is a step and is retried at the same
 * place, so chains collapse).
 */
static void merge_adjacent(str_t *s, size_t from)
{
    uint8_t *b = (uint8_t *)s->buf;
    size_t end = s->len, p = from;
    int steps = 5;
    while (p < end && steps-- > 0) {
        if (op_is_xzero(b[p])) {
            p += 2;
            continue;
        }
        if (op_is_zero(b[p])) {
            p++;
            continue;
        }
        if (p + 1 < end && op_is_val(b[p + 1]) && val_value(b[p]) == val_value(b[p + 1])) {
            uint32_t run = val_run(b[p]) + val_run(b[p + 1]);
            if (run <= VAL_MAX_RUN) {
                b[p + 1] = op_val(val_value(b[p]), run);
                memmove(b + p, b + p + 1, end - p - 1);
                end--;
                continue;
            }
        }
        p++;
    }
    if (end != s->len)
        str_setlen(s, end);
}

/* The opcode holding register index: its offset, the offset of the one
 * before it (or SIZE_MAX), and the first register it covers. */
typedef struct sparse_pos {
    size_t at, prev;
    uint32_t first, run;
} sparse_pos_t;

static int sparse_find(const str_t *s, uint32_t index, sparse_pos_t *pos)
{
    const uint8_t *b = (const uint8_t *)s->buf;
    size_t p = HLL_HDR_SIZE, prev = SIZE_MAX, end = s->len;
    uint32_t first = 0;
    while (p < end) {
        size_t oplen = 1;
        uint32_t run;
        if (op_is_zero(b[p])) {
            run = zero_run(b[p]);
        } else if (op_is_val(b[p])) {
            run = val_run(b[p]);
        } else {
            run = xzero_run(b[p], xzero_low(b, p, end));
            oplen = 2;
        }
        if (index <= first + run - 1) {
            *pos = (sparse_pos_t){p, prev, first, run};
            return 0;
        }
        prev = p;
        p += oplen;
        first += run;
    }
    return -EINVAL;
}

/* The opcodes replacing a run that holds register index, now val: the part
 * before (same kind as the old run), one VAL, and the part after. */
static size_t split_run(const uint8_t *b, const sparse_pos_t *pos, uint32_t index, uint8_t val,
                        uint8_t *seq)
{
    uint32_t last = pos->first + pos->run - 1;
    size_t n = 0;
    if (op_is_val(b[pos->at])) {
        uint8_t cur = val_value(b[pos->at]);
        if (index != pos->first)
            seq[n++] = op_val(cur, index - pos->first);
        seq[n++] = op_val(val, 1);
        if (index != last)
            seq[n++] = op_val(cur, last - index);
        return n;
    }
    if (index != pos->first)
        n += put_zeros(seq + n, index - pos->first);
    seq[n++] = op_val(val, 1);
    if (index != last)
        n += put_zeros(seq + n, last - index);
    return n;
}

static int sparse_raise(str_t **sp, uint32_t index, uint8_t val, size_t sparse_max)
{
    if (val > HLL_SPARSE_VAL_MAX)
        return promote_and_raise(sp, index, val);
    sparse_pos_t pos;
    if (sparse_find(*sp, index, &pos) != 0)
        return -EINVAL;
    uint8_t *b = (uint8_t *)(*sp)->buf;
    uint8_t op = b[pos.at];
    if (op_is_val(op) && val_value(op) >= val)
        return 0;
    if ((op_is_val(op) || op_is_zero(op)) && pos.run == 1) {
        /* A single register: overwrite the opcode in place. */
        b[pos.at] = op_val(val, 1);
    } else {
        uint8_t seq[5];
        size_t seqlen = split_run(b, &pos, index, val, seq);
        size_t oldlen = op_is_xzero(op) ? 2 : 1;
        size_t len = (*sp)->len;
        if (seqlen > oldlen && len + seqlen - oldlen > sparse_max)
            return promote_and_raise(sp, index, val);
        *sp = str_reserve(*sp, seqlen);
        b = (uint8_t *)(*sp)->buf;
        if (pos.at + oldlen <= len)
            memmove(b + pos.at + seqlen, b + pos.at + oldlen, len - pos.at - oldlen);
        memcpy(b + pos.at, seq, seqlen);
        str_setlen(*sp, len + seqlen - oldlen);
        /* An XZERO cut short by the end of a corrupt body counted as two
         * bytes: Redis then leaves the sequence's last byte just past the
         * new end, where the next read of a cut XZERO finds it. */
        if (pos.at + oldlen > len)
            (*sp)->buf[len + seqlen - oldlen] = (char)seq[seqlen - 1];
    }
    merge_adjacent(*sp, pos.prev != SIZE_MAX ? pos.prev : HLL_HDR_SIZE);
    hll_cache_invalidate((*sp)->buf);
    return 1;
}

int hll_set_register(str_t **sp, uint32_t index, uint8_t val, size_t sparse_max)
{
    REQUIRE(index < HLL_REGISTERS && val <= HLL_REGISTER_MAX);
    str_t *s = *sp;
    if (hll_encoding_of(s->buf) == HLL_DENSE)
        return dense_raise((uint8_t *)s->buf + HLL_HDR_SIZE, index, val);
    return sparse_raise(sp, index, val, sparse_max);
}

int hll_add(str_t **sp, const void *ele, size_t n, size_t sparse_max)
{
    uint32_t index;
    uint8_t val = hll_pattern(ele, n, &index);
    return hll_set_register(sp, index, val, sparse_max);
}

/* ====================================================================== */
/* Estimation                                                             */
/* ====================================================================== */

/*
 * The estimator of O. Ertl, "New cardinality estimation algorithms for
 * HyperLogLog sketches" (arXiv:1702.01284), from the histogram C of
 * register values: sigma and tau are the series of its algorithm, summed
 * until the value stops changing.
 */
static double ertl_sigma(double x)
{
    if (x == 1.0)
        return INFINITY;
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

static double ertl_tau(double x)
{
    if (x == 0.0 || x == 1.0)
        return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= pow(1.0 - x, 2) * y;
    } while (prev != z);
    return z / 3.0;
}

static uint64_t estimate(const uint32_t *histo)
{
    double m = HLL_REGISTERS;
    double z = m * ertl_tau((m - histo[HLL_Q + 1]) / m);
    for (int k = HLL_Q; k >= 1; k--) {
        z += histo[k];
        z *= 0.5;
    }
    z += m * ertl_sigma(histo[0] / m);
    return (uint64_t)llroundl(HLL_ALPHA_INF * m * m / z);
}

uint64_t hll_count_registers(const uint8_t *regs)
{
    uint32_t histo[64] = {0};
    for (uint32_t i = 0; i < HLL_REGISTERS; i++)
        histo[regs[i] & 63]++;
    return estimate(histo);
}

static void run_to_histo(void *arg, uint32_t first, uint32_t run, uint8_t val)
{
    UNUSED(first);
    ((uint32_t *)arg)[val] += run;
}

int hll_count(const void *p, size_t n, uint64_t *card)
{
    const uint8_t *b = p;
    uint32_t histo[64] = {0};
    if (b[HDR_ENCODING] == HLL_DENSE) {
        for (uint32_t i = 0; i < HLL_REGISTERS; i++)
            histo[dense_get(b + HLL_HDR_SIZE, i)]++;
    } else {
        if (sparse_walk(b + HLL_HDR_SIZE, n - HLL_HDR_SIZE, run_to_histo, histo) != 0)
            return -EINVAL;
        uint32_t nonzero = 0;
        for (int k = 1; k < 64; k++)
            nonzero += histo[k];
        histo[0] = HLL_REGISTERS - nonzero;
    }
    *card = estimate(histo);
    return 0;
}

/* ====================================================================== */
/* PFDEBUG and PFSELFTEST                                                 */
/* ====================================================================== */

str_t *hll_decode_sparse(const void *p, size_t n)
{
    const uint8_t *b = p;
    if (b[HDR_ENCODING] != HLL_SPARSE)
        return NULL;
    str_t *out = str_new_cap(64);
    for (size_t i = HLL_HDR_SIZE; i < n;) {
        const char *sep = out->len > 0 ? " " : "";
        if (op_is_zero(b[i])) {
            out = str_catfmt(out, "%sz:%u", sep, zero_run(b[i]));
            i++;
        } else if (op_is_xzero(b[i])) {
            out = str_catfmt(out, "%sZ:%u", sep, xzero_run(b[i], xzero_low(b, i, n)));
            i += 2;
        } else {
            out = str_catfmt(out, "%sv:%u,%u", sep, val_value(b[i]), val_run(b[i]));
            i++;
        }
    }
    return out;
}

/* Packing: random values written to every register read back intact. */
static const char *selftest_packing(void)
{
    static uint8_t regs[HLL_DENSE_SIZE - HLL_HDR_SIZE], shadow[HLL_REGISTERS];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 100; round++) {
        for (uint32_t i = 0; i < HLL_REGISTERS; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            shadow[i] = (uint8_t)(x & HLL_REGISTER_MAX);
            dense_put(regs, i, shadow[i]);
        }
        for (uint32_t i = 0; i < HLL_REGISTERS; i++)
            if (dense_get(regs, i) != shadow[i])
                return "TESTFAILED Register error";
    }
    return NULL;
}

/* Estimates: a sparse sketch (promoted on the way) and a dense one fed the
 * same elements agree, and stay within five standard errors. */
static const char *selftest_estimates(void)
{
    static char msg[128];
    str_t *sparse = hll_new(), *dense = hll_new();
    const char *err = NULL;
    if (hll_to_dense(&dense) != 1)
        err = "TESTFAILED conversion error";
    double maxerr = 1.04 / sqrt((double)HLL_REGISTERS) * 5;
    for (uint64_t j = 1; j <= 100000 && err == NULL; j++) {
        uint8_t ele[8];
        memcpy(ele, &j, sizeof(ele));
        if (hll_add(&sparse, ele, sizeof(ele), 3000) < 0 ||
            hll_add(&dense, ele, sizeof(ele), 3000) < 0) {
            err = "TESTFAILED add error";
            break;
        }
        if (j % 1000 != 0 && j > 100)
            continue;
        uint64_t cs, cd;
        if (hll_count(sparse->buf, sparse->len, &cs) != 0 ||
            hll_count(dense->buf, dense->len, &cd) != 0 || cs != cd) {
            err = "TESTFAILED dense/sparse estimates differ";
        } else if (fabs((double)cd - (double)j) / (double)j > maxerr && j > 10) {
            snprintf(msg, sizeof(msg), "TESTFAILED too big error. card:%llu abserr:%f",
                     (unsigned long long)j, fabs((double)cd - (double)j));
            err = msg;
        }
    }
    str_free(sparse);
    str_free(dense);
    return err;
}

const char *hll_selftest(void)
{
    const char *err = selftest_packing();
    return err != NULL ? err : selftest_estimates();
}
