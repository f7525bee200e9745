/*
 * Unit tests for db/intset: order, widening, removal, searching, random
 * elements, and the binary blob, checked against the bytes Redis 7.0
 * writes for the same sets (taken from DUMP) and against a model.
 */
#include <config.h>
#include "db/intset.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

static intset_t *from_values(const int64_t *v, size_t n)
{
    intset_t *is = intset_new();
    for (size_t i = 0; i < n; i++)
        is = intset_add(is, v[i], NULL);
    return is;
}

static bool blob_is(const intset_t *is, const char *want, size_t wlen)
{
    return intset_blob_len(is) == wlen && memcmp(intset_blob(is), want, wlen) == 0;
}

/* Blobs from DUMP of SADD a 3 1 2 / SADD b 5 -70000 1 / SADD c 1 5000000000 -2. */
static void test_blobs(void)
{
    static const char a[] = "\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00";
    static const char b[] = "\x04\x00\x00\x00\x03\x00\x00\x00\x90\xee\xfe\xff"
                            "\x01\x00\x00\x00\x05\x00\x00\x00";
    static const char c[] = "\x08\x00\x00\x00\x03\x00\x00\x00"
                            "\xfe\xff\xff\xff\xff\xff\xff\xff"
                            "\x01\x00\x00\x00\x00\x00\x00\x00"
                            "\x00\xf2\x05\x2a\x01\x00\x00\x00";
    intset_t *is = from_values((const int64_t[]){3, 1, 2}, 3);
    ok(blob_is(is, a, sizeof(a) - 1), "16-bit blob as Redis writes it");
    intset_free(is);
    is = from_values((const int64_t[]){5, -70000, 1}, 3);
    ok(blob_is(is, b, sizeof(b) - 1), "32-bit blob after widening");
    is_int(intset_encoding(is), INTSET_ENC_INT32, "widened to 32 bits");
    intset_free(is);
    is = from_values((const int64_t[]){1, 5000000000LL, -2}, 3);
    ok(blob_is(is, c, sizeof(c) - 1), "64-bit blob after widening");
    ok(intset_validate(c, sizeof(c) - 1, true), "Redis blob validates");
    intset_t *copy = intset_from_blob(c, sizeof(c) - 1);
    ok(intset_find(copy, 5000000000LL) && intset_find(copy, -2), "blob copy is usable");
    intset_free(copy);
    intset_free(is);
}

static void test_add_remove(void)
{
    intset_t *is = intset_new();
    is_int(intset_len(is), 0, "new set is empty");
    is_int(intset_blob_len(is), 8, "empty blob is the header");
    bool added;
    is = intset_add(is, 5, &added);
    ok(added, "add new value");
    is = intset_add(is, 5, &added);
    ok(!added, "add existing value");
    is = intset_add(is, -3, &added);
    is = intset_add(is, 10, &added);
    is = intset_add(is, 7, &added);
    is_int(intset_len(is), 4, "four values");
    is_int(intset_get(is, 0), -3, "sorted 0");
    is_int(intset_get(is, 1), 5, "sorted 1");
    is_int(intset_get(is, 2), 7, "sorted 2");
    is_int(intset_get(is, 3), 10, "sorted 3");
    is_int(intset_min(is), -3, "min");
    is_int(intset_max(is), 10, "max");
    ok(intset_find(is, 7) && !intset_find(is, 6), "find");
    ok(!intset_find(is, 1LL << 40), "a wider value is never found");
    bool removed;
    is = intset_remove(is, 6, &removed);
    ok(!removed, "remove missing");
    is = intset_remove(is, 1LL << 40, &removed);
    ok(!removed, "remove wider missing");
    is = intset_remove(is, 5, &removed);
    ok(removed && intset_len(is) == 3 && intset_get(is, 1) == 7, "remove middle");
    is = intset_remove(is, 10, &removed);
    is = intset_remove(is, -3, &removed);
    is_int(intset_len(is), 1, "one left");
    is = intset_remove(is, 7, &removed);
    ok(removed && intset_len(is) == 0, "empty again");
    is_int(intset_encoding(is), INTSET_ENC_INT16, "width kept");
    intset_free(is);
}

static void test_widen(void)
{
    intset_t *is = from_values((const int64_t[]){1, 2, 3}, 3);
    is = intset_add(is, INT32_MAX + 1LL, NULL);
    is_int(intset_encoding(is), INTSET_ENC_INT64, "jump from 16 to 64 bits");
    is_int(intset_get(is, 3), INT32_MAX + 1LL, "wide value appended");
    is_int(intset_get(is, 0), 1, "old values kept");
    is = intset_add(is, INT64_MIN, NULL);
    is_int(intset_get(is, 0), INT64_MIN, "INT64_MIN first");
    is = intset_add(is, INT64_MAX, NULL);
    is_int(intset_max(is), INT64_MAX, "INT64_MAX last");
    is = intset_remove(is, INT64_MIN, NULL);
    is = intset_remove(is, INT64_MAX, NULL);
    is = intset_remove(is, INT32_MAX + 1LL, NULL);
    is_int(intset_encoding(is), INTSET_ENC_INT64, "width never shrinks");
    is_int(intset_blob_len(is), 8 + 3 * 8, "blob size at 64 bits");
    intset_free(is);

    is = from_values((const int64_t[]){100, 200}, 2);
    is = intset_add(is, INT16_MIN - 1LL, NULL);
    is_int(intset_encoding(is), INTSET_ENC_INT32, "negative widening to 32");
    is_int(intset_get(is, 0), INT16_MIN - 1LL, "negative prepended");
    is_int(intset_get(is, 2), 200, "others shifted");
    ok(intset_find(is, INT16_MAX) == false && intset_find(is, 100), "find after widening");
    intset_free(is);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t rand_value(void)
{
    switch (random() % 3) {
    case 0: return (int64_t)(random() % 2000) - 1000;
    case 1: return (int64_t)(random() % 200000) - 100000;
    default: return (int64_t)(((uint64_t)random() << 33) ^ (uint64_t)random());
    }
}

/* Random adds and removes against a sorted array model. */
static void test_model(void)
{
    enum { N = 3000 };
    int64_t *model = alloc_malloc(N * sizeof(int64_t));
    size_t mlen = 0;
    intset_t *is = intset_new();
    bool good = true;
    srandom(1234);
    for (int i = 0; i < 20000 && good; i++) {
        int64_t v = mlen > 0 && random() % 3 == 0 ? model[random() % mlen] : rand_value();
        int64_t *hit = bsearch(&v, model, mlen, sizeof(int64_t), cmp_i64);
        bool changed;
        if (random() % 3 != 0 && mlen < N) {
            is = intset_add(is, v, &changed);
            good = changed == (hit == NULL);
            if (hit == NULL) {
                model[mlen++] = v;
                qsort(model, mlen, sizeof(int64_t), cmp_i64);
            }
        } else {
            is = intset_remove(is, v, &changed);
            good = changed == (hit != NULL);
            if (hit != NULL) {
                memmove(hit, hit + 1, (size_t)(model + mlen - hit - 1) * sizeof(int64_t));
                mlen--;
            }
        }
    }
    ok(good, "add/remove results match the model");
    good = intset_len(is) == mlen;
    for (size_t i = 0; good && i < mlen; i++)
        good = intset_get(is, (uint32_t)i) == model[i] && intset_find(is, model[i]);
    ok(good, "contents match the model (%zu values)", mlen);
    ok(intset_validate(intset_blob(is), intset_blob_len(is), true), "result validates deeply");
    alloc_free(model);
    intset_free(is);
}

static void test_random(void)
{
    intset_t *is = from_values((const int64_t[]){10, 20, 30, 40}, 4);
    int seen[4] = {0};
    for (int i = 0; i < 400; i++) {
        int64_t v = intset_random(is);
        if (v % 10 == 0 && v >= 10 && v <= 40)
            seen[v / 10 - 1]++;
    }
    ok(seen[0] && seen[1] && seen[2] && seen[3] &&
           seen[0] + seen[1] + seen[2] + seen[3] == 400,
       "random returns every member and only members");
    intset_t *copy = intset_dup(is);
    ok(intset_blob_len(copy) == intset_blob_len(is) &&
           memcmp(intset_blob(copy), intset_blob(is), intset_blob_len(is)) == 0,
       "dup is identical");
    intset_free(copy);
    intset_free(is);
}

static void test_validate(void)
{
    static const char good[] = "\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x02\x00";
    static const char dup[] = "\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x02\x00";
    static const char desc[] = "\x02\x00\x00\x00\x02\x00\x00\x00\x03\x00\x02\x00";
    static const char badenc[] = "\x03\x00\x00\x00\x02\x00\x00\x00\x01\x00\x02\x00";
    static const char empty[] = "\x02\x00\x00\x00\x00\x00\x00\x00";
    static const char huge[] = "\x08\x00\x00\x00\xff\xff\xff\xff\x01\x00\x02\x00";
    ok(intset_validate(good, 12, true), "valid blob");
    ok(!intset_validate(good, 11, false), "short blob");
    ok(!intset_validate(good, 13, false), "long blob");
    ok(!intset_validate(good, 7, false), "truncated header");
    ok(!intset_validate(NULL, 0, false), "no blob");
    ok(intset_validate(dup, 12, false) && !intset_validate(dup, 12, true),
       "duplicates caught by the deep check only");
    ok(!intset_validate(desc, 12, true), "descending order caught");
    ok(!intset_validate(badenc, 12, false), "unknown width");
    ok(!intset_validate(empty, 8, false), "empty set refused");
    ok(!intset_validate(huge, 12, false), "count overflowing the size");
}

int main(void)
{
    test_blobs();
    test_add_remove();
    test_widen();
    test_model();
    test_random();
    test_validate();
    return done_testing();
}
