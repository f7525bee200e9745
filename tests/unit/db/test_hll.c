/*
 * Unit tests for db/hll: the hash and register choice, the sparse and dense
 * byte formats (checked against bytes Redis 7.0 produced for the same
 * elements), register updates, promotion to dense, merging, the cached
 * cardinality, corrupt data, and the estimator's error.
 */
#include <config.h>
#include "db/hll.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

/* PFADD x <element> followed by PFDEBUG DECODE x on Redis 7.0.15:
 * "Z:<index> v:<value>,1 Z:..." gives the register and the value. */
static void test_pattern(void)
{
    static const struct {
        const char *ele;
        uint32_t index;
        uint8_t value;
    } cases[] = {
        {"a", 12711, 2},      {"b", 15780, 1},         {"hello", 9216, 1},
        {"", 5938, 2},        {"foobar12", 15489, 2}, {"the quick brown fox", 15795, 1},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        uint32_t index;
        uint8_t v = hll_pattern(cases[i].ele, strlen(cases[i].ele), &index);
        ok(index == cases[i].index && v == cases[i].value, "register of '%s'", cases[i].ele);
    }
    ok(hll_murmur64a("", 0, 0) == 0, "MurmurHash64A of nothing with seed 0 is 0");
    ok(hll_murmur64a("abcdefgh", 8, 1) != hll_murmur64a("abcdefgi", 8, 1), "last byte matters");
    ok(hll_murmur64a("abcdefghi", 9, 1) != hll_murmur64a("abcdefghj", 9, 1), "tail matters");
}

static bool bytes_are(const str_t *s, const char *want, size_t n)
{
    return s->len == n && memcmp(s->buf, want, n) == 0;
}

static void test_sparse_bytes(void)
{
    str_t *s = hll_new();
    ok(bytes_are(s, "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18), "empty sketch");
    ok(hll_is_valid(s->buf, s->len), "empty sketch is valid");
    uint64_t card = 99;
    ok(hll_cache_get(s->buf, &card) && card == 0, "empty sketch caches 0");
    static const char *els[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    int changed = 0;
    for (size_t i = 0; i < ARRAY_LEN(els); i++)
        changed += hll_add(&s, els[i], 1, 3000);
    is_int(changed, 10, "ten new registers");
    /* GET after PFADD x a b c d e f g h i j on Redis 7.0.15. */
    static const char want[] =
        "\x48\x59\x4c\x4c\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
        "\x46\x6d\x80\x49\xe8\x80\x4c\x22\x80\x44\x3c\x84\x38\x80\x42\x3d"
        "\x80\x4b\x83\x80\x42\xed\x84\x49\x8c\x80\x42\x6d\x80\x42\x5a";
    ok(bytes_are(s, want, sizeof(want) - 1), "ten elements: Redis's bytes");
    ok(!hll_cache_get(s->buf, &card), "cache is stale after adds");
    is_int(hll_add(&s, "a", 1, 3000), 0, "adding again changes nothing");
    uint64_t est;
    ok(hll_count(s->buf, s->len, &est) == 0 && est == 10, "estimate 10");
    hll_cache_set(s->buf, est);
    ok(hll_cache_get(s->buf, &card) && card == 10, "cache holds 10");
    hll_cache_invalidate(s->buf);
    ok(!hll_cache_get(s->buf, &card), "invalidated");
    str_t *text = hll_decode_sparse(s->buf, s->len);
    ok(text != NULL && strncmp(text->buf, "Z:", 2) == 0, "decode starts with an XZERO");
    str_free(text);
    str_free(s);
}

/* Splitting runs, merging neighbours, and the exact opcode sequences. */
static void test_sparse_ops(void)
{
    str_t *s = hll_new();
    int rc = hll_set_register(&s, 100, 3, 3000);
    is_int(rc, 1, "raise register 100");
    str_t *t = hll_decode_sparse(s->buf, s->len);
    is_str(t->buf, "Z:100 v:3,1 Z:16283", "split an XZERO");
    str_free(t);
    rc = hll_set_register(&s, 101, 3, 3000);
    t = hll_decode_sparse(s->buf, s->len);
    is_str(t->buf, "Z:100 v:3,2 Z:16282", "equal neighbours merge");
    str_free(t);
    rc = hll_set_register(&s, 0, 1, 3000);
    t = hll_decode_sparse(s->buf, s->len);
    is_str(t->buf, "v:1,1 Z:99 v:3,2 Z:16282", "first register");
    str_free(t);
    rc = hll_set_register(&s, 16383, 32, 3000);
    t = hll_decode_sparse(s->buf, s->len);
    is_str(t->buf, "v:1,1 Z:99 v:3,2 Z:16281 v:32,1", "last register, largest sparse value");
    str_free(t);
    rc = hll_set_register(&s, 101, 2, 3000);
    is_int(rc, 0, "lower value is ignored");
    rc = hll_set_register(&s, 102, 3, 3000);
    rc = hll_set_register(&s, 103, 3, 3000);
    rc = hll_set_register(&s, 104, 3, 3000);
    t = hll_decode_sparse(s->buf, s->len);
    is_str(t->buf, "v:1,1 Z:99 v:3,4 v:3,1 Z:16278 v:32,1", "VAL runs stop at four");
    str_free(t);
    rc = hll_set_register(&s, 50, 5, 3000);
    t = hll_decode_sparse(s->buf, s->len);
    is_str(t->buf, "v:1,1 z:49 v:5,1 z:49 v:3,4 v:3,1 Z:16278 v:32,1", "short zero runs");
    str_free(t);
    is_int(hll_encoding_of(s->buf), HLL_SPARSE, "still sparse");
    rc = hll_set_register(&s, 7, 33, 3000);
    is_int(rc, 1, "value above 32 is set");
    is_int(hll_encoding_of(s->buf), HLL_DENSE, "and promotes to dense");
    is_int(s->len, HLL_DENSE_SIZE, "dense size");
    uint8_t *regs = alloc_malloc(HLL_REGISTERS);
    ok(hll_registers(s->buf, s->len, regs) == 0, "read registers");
    ok(regs[0] == 1 && regs[7] == 33 && regs[50] == 5 && regs[104] == 3 && regs[105] == 0 &&
           regs[16383] == 32,
       "registers kept through promotion");
    alloc_free(regs);
    str_free(s);
}

static void test_promotion_by_size(void)
{
    str_t *s = hll_new();
    size_t max = 40, before = 0;
    bool within = true;
    for (uint32_t reg = 0; hll_encoding_of(s->buf) == HLL_SPARSE; reg += 97) {
        before = s->len;
        int rc = hll_set_register(&s, reg, (uint8_t)(1 + reg % 3), max);
        within &= rc == 1 && (hll_encoding_of(s->buf) == HLL_DENSE || s->len <= max);
    }
    ok(within, "sparse sketches stay within hll-sparse-max-bytes");
    ok(before + 3 > max, "promoted when the next growth would pass the limit");
    str_free(s);
}

static void test_dense_roundtrip(void)
{
    str_t *s = hll_new();
    ok(hll_to_dense(&s) == 1, "convert empty to dense");
    ok(hll_to_dense(&s) == 0, "already dense");
    uint64_t card;
    ok(hll_cache_get(s->buf, &card) && card == 0, "header kept");
    uint8_t *want = alloc_calloc(HLL_REGISTERS), *got = alloc_malloc(HLL_REGISTERS);
    uint32_t x = 12345;
    for (uint32_t i = 0; i < HLL_REGISTERS; i++) {
        x = x * 1103515245u + 12345u;
        want[i] = (uint8_t)((x >> 16) % 64);
        int rc = hll_set_register(&s, i, want[i], 3000);
        UNUSED(rc);
    }
    ok(hll_registers(s->buf, s->len, got) == 0 && memcmp(want, got, HLL_REGISTERS) == 0,
       "every 6-bit register reads back");
    memset(got, 0, HLL_REGISTERS);
    ok(hll_merge_registers(got, s->buf, s->len) == 0 && memcmp(want, got, HLL_REGISTERS) == 0,
       "merge into zeros copies");
    alloc_free(want);
    alloc_free(got);
    str_free(s);
}

static void test_validity(void)
{
    ok(!hll_is_valid("HYLL", 4), "too short");
    ok(!hll_is_valid("HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18), "bad magic");
    ok(!hll_is_valid("HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18), "bad encoding");
    ok(!hll_is_valid("HYLL\x00\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18), "dense of wrong size");
    ok(hll_is_valid("HYLL\x01\0\0\0\0\0\0\0\0\0\0\0", 16), "header-only sparse passes the header check");
    uint64_t card;
    ok(hll_count("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe", 18, &card) != 0,
       "runs short of 16384 are corrupt");
    ok(hll_count("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff\x00", 19, &card) != 0,
       "runs past 16384 are corrupt");
    uint8_t *max = alloc_calloc(HLL_REGISTERS);
    ok(hll_merge_registers(max, "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xf0\xfc\xfc\xfc\xfc\xfc",
                           23) != 0,
       "merge detects corrupt data");
    alloc_free(max);
    str_t *s = str_new("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe", 18);
    ok(hll_to_dense(&s) < 0 && s->len == 18, "corrupt data is not converted");
    str_free(s);
    /* A body cut inside an XZERO reads its missing byte as zero, as Redis
     * (which reads the string's terminator) does. */
    s = str_new("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f", 17);
    str_t *t = hll_decode_sparse(s->buf, s->len);
    is_str(t->buf, "Z:16129", "truncated XZERO decodes like Redis");
    str_free(t);
    str_free(s);
}

/* Estimates of n distinct elements stay within a few standard errors. */
static void test_estimates(void)
{
    str_t *s = hll_new();
    char buf[32];
    uint64_t checkpoints[] = {1, 10, 100, 1000, 10000, 100000};
    size_t next = 0;
    double se = 1.04 / sqrt(HLL_REGISTERS);
    for (uint64_t i = 1; i <= 100000; i++) {
        int n = snprintf(buf, sizeof(buf), "element:%llu", (unsigned long long)i);
        int rc = hll_add(&s, buf, (size_t)n, 3000);
        UNUSED(rc);
        if (i != checkpoints[next])
            continue;
        uint64_t est;
        int crc = hll_count(s->buf, s->len, &est);
        double err = fabs((double)est - (double)i) / (double)i;
        ok(crc == 0 && err <= 5 * se, "estimate of %llu is %llu", (unsigned long long)i,
           (unsigned long long)est);
        next++;
    }
    is_int(hll_encoding_of(s->buf), HLL_DENSE, "dense after 100000 elements");
    str_free(s);
    is_str(hll_selftest(), NULL, "self test passes");
}

int main(void)
{
    test_pattern();
    test_sparse_bytes();
    test_sparse_ops();
    test_promotion_by_size();
    test_dense_roundtrip();
    test_validity();
    test_estimates();
    return done_testing();
}
