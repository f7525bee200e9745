/*
 * Unit tests for db/listpack: every encoding class at its boundaries (with
 * blobs taken from Redis 7.0's DUMP output, so ours are byte-identical),
 * backlen sizes, iteration both ways, seeking, finding, inserting, replacing
 * and deleting against a model array, the unknown-count header, and the
 * validation of corrupt blobs. The module's .c is included to reach the
 * backlen helpers.
 */
#include <config.h>
#include "../../../src/db/listpack.c"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* ---- helpers ------------------------------------------------------------ */

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2)
        out[n++] = (uint8_t)(strconv_hex_digit(hex[0]) * 16 + strconv_hex_digit(hex[1]));
    return n;
}

static uint8_t *lp_from(const char *const *items, size_t n)
{
    uint8_t *lp = lp_new();
    for (size_t i = 0; i < n; i++)
        lp = lp_append(lp, items[i], strlen(items[i]));
    return lp;
}

static bool lp_same_as_hex(const uint8_t *lp, const char *hex)
{
    static uint8_t want[8192];
    size_t n = unhex(hex, want);
    return lp_bytes(lp) == n && memcmp(lp, want, n) == 0;
}

/* The entry's text, in a static buffer. */
static const char *text(const uint8_t *p)
{
    static char out[8192];
    char buf[LP_INTBUF];
    size_t n;
    const char *s = lp_get_bytes(p, buf, &n);
    if (n >= sizeof(out))
        n = sizeof(out) - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* ---- byte-exact encodings ------------------------------------------------ */

static const char *const int_items[] = {
    "0", "127", "128", "-1", "-4096", "4095", "4096", "-4097", "32767",
    "32768", "-32768", "-32769", "8388607", "8388608", "-8388608",
    "-8388609", "2147483647", "2147483648", "-2147483648", "-2147483649",
    "9223372036854775807", "-9223372036854775808",
};

/* From Redis 7.0.15: DUMP of a listpack hash holding int_items in order. */
static const char int_hex[] =
    "7b000000160000017f01c08002dfff02d00002cfff02f1001003f1ffef03f1ff"
    "7f03f200800004f1008003f2ff7fff04f2ffff7f04f30000800005f200008004"
    "f3ffff7fff05f3ffffff7f05f4000000800000000009f30000008005f4ffffff"
    "7fffffffff09f4ffffffffffffff7f09f4000000000000008009ff";

static const char *const str_items[] = {
    "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "01", "+1", "-0", " 1", "9223372036854775808", "1.5", "x",
};

static const char str_hex[] =
    "ba0000000a008001bf6161616161616161616161616161616161616161616161"
    "6161616161616161616161616161616161616161616161616161616161616161"
    "616161616161616140e040626262626262626262626262626262626262626262"
    "6262626262626262626262626262626262626262626262626262626262626262"
    "62626262626262626262624282303103822b3103822d30038220310393393232"
    "333337323033363835343737353830381483312e3504817802ff";

static void test_redis_vectors(void)
{
    subtest("blobs identical to Redis's");
    uint8_t *lp = lp_from(int_items, ARRAY_LEN(int_items));
    ok(lp_same_as_hex(lp, int_hex), "integer classes match Redis byte for byte");
    lp_free(lp);

    lp = lp_new();
    for (size_t i = 0; i < ARRAY_LEN(int_items); i++)
        lp = lp_append_int(lp, strtoll(int_items[i], NULL, 10));
    ok(lp_same_as_hex(lp, int_hex), "lp_append_int gives the same bytes");
    lp_free(lp);

    lp = lp_from(str_items, ARRAY_LEN(str_items));
    ok(lp_same_as_hex(lp, str_hex), "string classes and non-canonical numbers match Redis");
    is_int(lp_count(lp), ARRAY_LEN(str_items), "count");
    lp_free(lp);
}

/* A listpack holding "f" and a string of n bytes of c. */
static uint8_t *lp_pair_with(size_t n, char c)
{
    char *s = malloc(n);
    memset(s, c, n);
    uint8_t *lp = lp_append(lp_new(), "f", 1);
    lp = lp_append(lp, s, n);
    free(s);
    return lp;
}

static void test_large_vectors(void)
{
    subtest("12-bit, 32-bit strings and 2-byte backlens as Redis writes them");
    static const struct {
        size_t n;
        char c;
        size_t total;
        const char *head, *tail;
    } v[] = {
        {4095, 'c', 4109, "0d1000000200816602efff63", "632081ff"},
        {4096, 'd', 4113, "111000000200816602f000100000", "642085ff"},
        {125, 'e', 138, "8a0000000200816602e07d65", "657fff"},
        {126, 'e', 140, "8c0000000200816602e07e65", "650180ff"},
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        uint8_t *lp = lp_pair_with(v[i].n, v[i].c);
        uint8_t want[32];
        size_t hn = unhex(v[i].head, want);
        is_int(lp_bytes(lp), v[i].total, "string of %zu: total bytes", v[i].n);
        ok(memcmp(lp, want, hn) == 0, "string of %zu: header and encoding", v[i].n);
        size_t tn = unhex(v[i].tail, want);
        ok(memcmp(lp + lp_bytes(lp) - tn, want, tn) == 0, "string of %zu: backlen", v[i].n);
        lp_free(lp);
    }
}

/* ---- encoding classes ------------------------------------------------------ */

static void test_int_classes(void)
{
    subtest("integer size classes");
    static const struct {
        long long v;
        uint8_t first; /* First byte, masked by mask. */
        uint8_t mask;
        size_t size;   /* Entry bytes including backlen. */
    } v[] = {
        {0, 0x00, 0x80, 2},
        {127, 0x7F, 0xFF, 2},
        {128, 0xC0, 0xE0, 3},
        {-1, 0xC0, 0xE0, 3},
        {4095, 0xC0, 0xE0, 3},
        {-4096, 0xC0, 0xE0, 3},
        {4096, 0xF1, 0xFF, 4},
        {-4097, 0xF1, 0xFF, 4},
        {32767, 0xF1, 0xFF, 4},
        {-32768, 0xF1, 0xFF, 4},
        {32768, 0xF2, 0xFF, 5},
        {-32769, 0xF2, 0xFF, 5},
        {8388607, 0xF2, 0xFF, 5},
        {-8388608, 0xF2, 0xFF, 5},
        {8388608, 0xF3, 0xFF, 6},
        {-8388609, 0xF3, 0xFF, 6},
        {INT32_MAX, 0xF3, 0xFF, 6},
        {INT32_MIN, 0xF3, 0xFF, 6},
        {(long long)INT32_MAX + 1, 0xF4, 0xFF, 10},
        {(long long)INT32_MIN - 1, 0xF4, 0xFF, 10},
        {LLONG_MAX, 0xF4, 0xFF, 10},
        {LLONG_MIN, 0xF4, 0xFF, 10},
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        uint8_t *lp = lp_append_int(lp_new(), v[i].v);
        uint8_t *p = lp_first(lp);
        long long got = 0;
        ok(lp_get_int(p, &got) && got == v[i].v, "%lld round-trips", v[i].v);
        is_int(p[0] & v[i].mask, v[i].first, "%lld encoding byte", v[i].v);
        is_int(lp_entry_size(p), v[i].size, "%lld entry size", v[i].v);
        is_int(lp_encoded_size_int(v[i].v), v[i].size, "%lld encoded size", v[i].v);
        char txt[32];
        snprintf(txt, sizeof(txt), "%lld", v[i].v);
        is_int(lp_encoded_size(txt, strlen(txt)), v[i].size, "%s as text", txt);
        ok(lp_eq(p, txt, strlen(txt)), "%s compares equal to its text", txt);
        is_str(text(p), txt, "%s formats back", txt);
        lp_free(lp);
    }
}

static void test_str_classes(void)
{
    subtest("string size classes");
    static const struct {
        size_t n;
        uint8_t first, mask;
        size_t head;
    } v[] = {
        {0, 0x80, 0xFF, 1},   {1, 0x81, 0xFF, 1},   {63, 0xBF, 0xFF, 1},
        {64, 0xE0, 0xFF, 2},  {4095, 0xEF, 0xFF, 2}, {4096, 0xF0, 0xFF, 5},
        {70000, 0xF0, 0xFF, 5},
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        char *s = malloc(v[i].n + 1);
        for (size_t j = 0; j < v[i].n; j++)
            s[j] = (char)('a' + j % 26);
        uint8_t *lp = lp_append(lp_new(), s, v[i].n);
        uint8_t *p = lp_first(lp);
        lp_val_t val;
        lp_get(p, &val);
        ok(val.str != NULL && val.len == v[i].n &&
               (v[i].n == 0 || memcmp(val.str, s, v[i].n) == 0),
           "string of %zu round-trips", v[i].n);
        is_int(p[0] & v[i].mask, v[i].first, "string of %zu encoding byte", v[i].n);
        size_t payload = v[i].head + v[i].n;
        is_int(lp_entry_size(p), payload + backlen_size(payload), "string of %zu size", v[i].n);
        ok(!lp_get_int(p, &(long long){0}), "string of %zu is not an integer", v[i].n);
        is_int(lp_validate(lp, lp_bytes(lp), NULL, NULL), 0, "string of %zu validates", v[i].n);
        lp_free(lp);
        free(s);
    }
}

static void test_backlen(void)
{
    subtest("backlen sizes");
    static const struct {
        size_t len, size;
    } v[] = {
        {0, 1}, {1, 1}, {127, 1}, {128, 2}, {16382, 2}, {16383, 3},
        {2097150, 3}, {2097151, 4}, {268435454, 4}, {268435455, 5},
        {UINT32_MAX, 5},
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        uint8_t buf[5];
        size_t n = backlen_encode(buf, v[i].len);
        is_int(n, v[i].size, "backlen of %zu takes %zu bytes", v[i].len, v[i].size);
        size_t len = 0, size = 0;
        ok(backlen_decode(buf + n - 1, n, &len, &size) == 0 && len == v[i].len &&
               size == n,
           "backlen of %zu decodes", v[i].len);
        is_int(backlen_decode(buf + n - 1, n - 1, &len, &size), -EINVAL,
               "backlen of %zu needs all its bytes", v[i].len);
    }

    /* Real entries at the backlen boundaries, walked both ways. */
    static const size_t strs[] = {125, 126, 16377, 16378, 2097145, 2097146};
    static const size_t want[] = {1, 2, 2, 3, 3, 4};
    for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
        uint8_t *lp = lp_pair_with(strs[i], 'z');
        lp = lp_append_int(lp, 7);
        uint8_t *p = lp_seek(lp, 1);
        size_t payload = payload_size(p);
        is_int(lp_entry_size(p) - payload, want[i], "string of %zu has a %zu-byte backlen",
               strs[i], want[i]);
        ok(lp_prev(lp, lp_last(lp)) == p && lp_prev(lp, p) == lp_first(lp),
           "string of %zu: backwards walk", strs[i]);
        is_int(lp_validate(lp, lp_bytes(lp), NULL, NULL), 0, "string of %zu validates",
               strs[i]);
        lp_free(lp);
    }
}

/* ---- a model to check iteration and modifications against ------------------ */

#define MODEL_MAX 2048

typedef struct model {
    char *item[MODEL_MAX];
    size_t n;
} model_t;

static char *random_item(void)
{
    char buf[600];
    int kind = rand() % 6;
    if (kind == 0)
        snprintf(buf, sizeof(buf), "%d", rand() % 200);
    else if (kind == 1)
        snprintf(buf, sizeof(buf), "%lld", (long long)rand() * (rand() % 2 ? -1 : 1) * rand());
    else if (kind == 2)
        snprintf(buf, sizeof(buf), "-%d", rand() % 70000);
    else {
        size_t n = kind == 3 ? (size_t)(rand() % 600) : (size_t)(rand() % 70);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)('A' + rand() % 58);
        buf[n] = '\0';
    }
    return strdup(buf);
}

static bool lp_matches(uint8_t *lp, const model_t *m)
{
    if (lp_count(lp) != m->n)
        return false;
    size_t i = 0;
    LP_FOREACH(lp, p) {
        if (i >= m->n || !lp_eq(p, m->item[i], strlen(m->item[i])))
            return false;
        i++;
    }
    if (i != m->n)
        return false;
    uint8_t *p = lp_last(lp);
    for (size_t j = m->n; j > 0; j--) {
        if (p == NULL || !lp_eq(p, m->item[j - 1], strlen(m->item[j - 1])))
            return false;
        p = lp_prev(lp, p);
    }
    return p == NULL && lp_validate(lp, lp_bytes(lp), NULL, NULL) == 0;
}

static void model_insert(model_t *m, size_t at, char *s)
{
    memmove(m->item + at + 1, m->item + at, (m->n - at) * sizeof(char *));
    m->item[at] = s;
    m->n++;
}

static void model_delete(model_t *m, size_t at, size_t count)
{
    if (at + count > m->n)
        count = m->n - at;
    for (size_t i = 0; i < count; i++)
        free(m->item[at + i]);
    memmove(m->item + at, m->item + at + count, (m->n - at - count) * sizeof(char *));
    m->n -= count;
}

static void model_clear(model_t *m)
{
    model_delete(m, 0, m->n);
}

static void test_iteration_and_seek(void)
{
    subtest("iteration both ways and seek");
    model_t m = {.n = 0};
    uint8_t *lp = lp_new();
    ok(lp_first(lp) == NULL && lp_last(lp) == NULL, "empty has no first or last");
    ok(lp_seek(lp, 0) == NULL && lp_seek(lp, -1) == NULL, "empty seeks nowhere");
    is_int(lp_bytes(lp), 7, "empty is 7 bytes");
    for (int i = 0; i < 500; i++) {
        char *s = random_item();
        lp = lp_append(lp, s, strlen(s));
        m.item[m.n++] = s;
    }
    ok(lp_matches(lp, &m), "500 appended entries iterate forwards and backwards");
    bool seek_ok = true;
    for (long long i = 0; i < (long long)m.n; i++) {
        uint8_t *p = lp_seek(lp, i), *q = lp_seek(lp, i - (long long)m.n);
        if (p == NULL || p != q || !lp_eq(p, m.item[i], strlen(m.item[i])))
            seek_ok = false;
    }
    ok(seek_ok, "seek by every index, positive and negative");
    ok(lp_seek(lp, (long long)m.n) == NULL, "seek past the end");
    ok(lp_seek(lp, -(long long)m.n - 1) == NULL, "seek before the start");
    ok(lp_seek(lp, LLONG_MIN) == NULL && lp_seek(lp, LLONG_MAX) == NULL, "seek extremes");
    lp_free(lp);
    model_clear(&m);

    lp = lp_new();
    for (int i = 0; i < 300; i++) {
        char *s = random_item();
        lp = lp_prepend(lp, s, strlen(s));
        model_insert(&m, 0, s);
    }
    ok(lp_matches(lp, &m), "300 prepended entries");
    lp_free(lp);
    model_clear(&m);
}

static void test_modify_random(void)
{
    subtest("random inserts, replaces and deletes against a model");
    model_t m = {.n = 0};
    uint8_t *lp = lp_new();
    bool good = true;
    for (int step = 0; step < 4000 && good; step++) {
        int op = rand() % 10;
        if (m.n == 0 || op < 4) {
            size_t at = m.n ? (size_t)rand() % (m.n + 1) : 0;
            char *s = random_item();
            uint8_t *newp = NULL;
            if (at == m.n)
                lp = lp_insert(lp, lp + lp_bytes(lp) - 1, LP_BEFORE, s, strlen(s), &newp);
            else if (rand() % 2 && at > 0)
                lp = lp_insert(lp, lp_seek(lp, (long long)at - 1), LP_AFTER, s, strlen(s), &newp);
            else
                lp = lp_insert(lp, lp_seek(lp, (long long)at), LP_BEFORE, s, strlen(s), &newp);
            good = newp == lp_seek(lp, (long long)at);
            model_insert(&m, at, s);
        } else if (op < 6) {
            size_t at = (size_t)rand() % m.n;
            char *s = random_item();
            uint8_t *p = lp_seek(lp, (long long)at);
            lp = lp_replace(lp, &p, s, strlen(s));
            good = p == lp_seek(lp, (long long)at) && lp_eq(p, s, strlen(s));
            free(m.item[at]);
            m.item[at] = s;
        } else if (op < 8) {
            size_t at = (size_t)rand() % m.n;
            uint8_t *p = lp_seek(lp, (long long)at);
            lp = lp_delete(lp, &p);
            model_delete(&m, at, 1);
            good = at < m.n ? p == lp_seek(lp, (long long)at) : p == NULL;
        } else if (op == 8) {
            size_t at = (size_t)rand() % m.n, count = (size_t)rand() % 4;
            lp = lp_delete_range(lp, (long long)at - (long long)m.n, count);
            model_delete(&m, at, count);
        } else {
            long long v = (long long)rand() - RAND_MAX / 2;
            size_t at = (size_t)rand() % m.n;
            uint8_t *p = lp_seek(lp, (long long)at);
            lp = lp_replace_int(lp, &p, v);
            char buf[32];
            snprintf(buf, sizeof(buf), "%lld", v);
            free(m.item[at]);
            m.item[at] = strdup(buf);
        }
        if (step % 97 == 0 || !good)
            good = good && lp_matches(lp, &m);
    }
    ok(good && lp_matches(lp, &m), "4000 random modifications keep the model");
    lp_free(lp);
    model_clear(&m);
}

static void test_deletes(void)
{
    subtest("deletes in the middle and at the ends");
    static const char *const items[] = {"a", "1", "bb", "-5000", "ccc", "70000", "d"};
    uint8_t *lp = lp_from(items, ARRAY_LEN(items));
    uint8_t *p = lp_seek(lp, 3);
    lp = lp_delete(lp, &p);
    is_str(text(p), "ccc", "deleting -5000 leaves p at ccc");
    is_int(lp_count(lp), 6, "count after one delete");
    lp = lp_delete_range_at(lp, &p, 2);
    is_str(text(p), "d", "deleting two from ccc leaves p at d");
    lp = lp_delete(lp, &p);
    ok(p == NULL, "deleting the last entry leaves p NULL");
    is_str(text(lp_last(lp)), "bb", "last is bb");
    lp = lp_delete_range(lp, 0, 100);
    is_int(lp_count(lp), 0, "deleting past the end empties");
    is_int(lp_bytes(lp), 7, "back to the empty size");
    lp = lp_delete_range(lp, 0, 1);
    is_int(lp_count(lp), 0, "deleting from empty is a no-op");
    lp = lp_append(lp, "x", 1);
    lp = lp_delete_range(lp, 5, 1);
    is_int(lp_count(lp), 1, "out-of-range index deletes nothing");
    lp = lp_delete_range(lp, -1, 1);
    is_int(lp_count(lp), 0, "delete by negative index");
    lp_free(lp);
}

static void test_find_and_compare(void)
{
    subtest("find with skip, eq and compare");
    static const char *const pairs[] = {"f1", "v1", "v1", "f1", "10", "-3",
                                        "-3", "10", "", "empty", "big", "9223372036854775807"};
    uint8_t *lp = lp_from(pairs, ARRAY_LEN(pairs));
    uint8_t *first = lp_first(lp);
    ok(lp_find(lp, first, "f1", 2, 1) == lp_seek(lp, 0), "field f1 at 0");
    ok(lp_find(lp, first, "v1", 2, 1) == lp_seek(lp, 2), "field v1 at 2, skipping value v1");
    ok(lp_find(lp, first, "v1", 2, 0) == lp_seek(lp, 1), "any entry v1 at 1");
    ok(lp_find(lp, first, "-3", 2, 1) == lp_seek(lp, 6), "integer field -3 at 6");
    ok(lp_find(lp, first, "10", 2, 1) == lp_seek(lp, 4), "integer field 10 at 4");
    ok(lp_find(lp, first, "010", 3, 0) == NULL, "010 is not 10");
    ok(lp_find(lp, first, "", 0, 1) == lp_seek(lp, 8), "empty field");
    ok(lp_find(lp, first, "missing", 7, 1) == NULL, "missing field");
    ok(lp_find(lp, first, "9223372036854775807", 19, 1) == NULL, "value is not a field");
    ok(lp_find(lp, lp_seek(lp, 1), "9223372036854775807", 19, 1) == lp_seek(lp, 11),
       "values found with skip from the first value");
    ok(lp_find(lp, NULL, "f1", 2, 1) == NULL, "NULL start finds nothing");

    uint8_t *ten = lp_seek(lp, 4);
    ok(lp_compare(ten, "10", 2) == 0, "compare equal");
    ok(lp_compare(ten, "9", 1) < 0, "\"10\" < \"9\" as bytes");
    ok(lp_compare(ten, "1", 1) > 0, "longer sorts after prefix");
    ok(lp_compare(lp_seek(lp, 8), "", 0) == 0, "empty compares equal");
    ok(lp_compare(lp_seek(lp, 8), "a", 1) < 0, "empty sorts first");
    ok(!lp_eq(ten, "10 ", 3) && !lp_eq(ten, "", 0), "eq is exact");
    lp_free(lp);
}

static void test_replace_self(void)
{
    subtest("replace with bytes from the same listpack");
    static const char *const items[] = {"short",
                                        "a much longer string that needs moving around"};
    uint8_t *lp = lp_from(items, 2);
    uint8_t *p = lp_first(lp);
    lp_val_t v;
    lp_get(lp_last(lp), &v);
    lp = lp_replace(lp, &p, v.str, v.len);
    ok(lp_eq(p, items[1], strlen(items[1])), "first now holds the second's text");
    lp_get(lp_last(lp), &v);
    p = lp_last(lp);
    lp = lp_insert(lp, p, LP_AFTER, v.str, v.len, &p);
    ok(lp_eq(p, items[1], strlen(items[1])) && lp_count(lp) == 3, "insert of own bytes");
    lp_free(lp);
}

/* A listpack of the integers 0..n-1 written in one pass, as appending them
 * one by one is quadratic under the sanitizers' copying realloc. */
static uint8_t *lp_of_ints(size_t n)
{
    size_t total = LP_HDR_SIZE + 1;
    for (size_t i = 0; i < n; i++)
        total += lp_encoded_size_int((long long)i);
    uint8_t *lp = alloc_malloc(total);
    set_total(lp, total);
    set_count(lp, n);
    uint8_t *w = lp + LP_HDR_SIZE;
    for (size_t i = 0; i < n; i++) {
        entry_enc_t e;
        encode_int(&e, (long long)i);
        enc_write(w, &e);
        w += enc_size(&e);
    }
    *w = LP_EOF;
    return lp;
}

static void test_unknown_count(void)
{
    subtest("counts past 65535");
    uint8_t *lp = lp_of_ints(70000);
    lp = lp_append_int(lp, 70000);
    lp = lp_delete_range(lp, -1, 1);
    is_int(hdr_count(lp), LP_COUNT_UNKNOWN, "header holds unknown");
    is_int(lp_count(lp), 70000, "counted");
    ok(lp_seek(lp, -1) != NULL && text(lp_seek(lp, -1))[0] == '6', "seek from the end");
    is_int(lp_validate(lp, lp_bytes(lp), NULL, NULL), 0, "validates");
    lp = lp_delete_range(lp, 0, 10000);
    is_int(hdr_count(lp), LP_COUNT_UNKNOWN, "still unknown after deleting");
    is_int(lp_count(lp), 60000, "recounted");
    is_int(hdr_count(lp), 60000, "recount stored");
    is_int(lp_validate(lp, lp_bytes(lp), NULL, NULL), 0, "validates after");
    uint8_t *copy = lp_dup(lp);
    ok(memcmp(copy, lp, lp_bytes(lp)) == 0, "dup is identical");
    lp_free(copy);
    lp_free(lp);
}

/* ---- validation ---------------------------------------------------------- */

static int reject_third(const uint8_t *p, size_t index, void *arg)
{
    UNUSED(p);
    (*(int *)arg)++;
    return index == 2;
}

static int check_blob(const char *hex)
{
    uint8_t buf[256];
    size_t n = unhex(hex, buf);
    return lp_validate(buf, n, NULL, NULL);
}

static void test_validate(void)
{
    subtest("validation of corrupt blobs");
    is_int(check_blob("070000000000" "ff"), 0, "empty listpack");
    is_int(check_blob("090000000100" "0101ff"), 0, "one 7-bit entry");
    is_int(check_blob("09000000ffff" "0101ff"), 0, "unknown count is accepted");
    is_int(check_blob("0700000000ff"), -EINVAL, "too short");
    is_int(check_blob("080000000000" "ff"), -EINVAL, "total larger than the blob");
    is_int(check_blob("060000000000" "ff"), -EINVAL, "total smaller than the blob");
    is_int(check_blob("070000000000" "fe"), -EINVAL, "missing terminator");
    is_int(check_blob("090000000200" "0101ff"), -EINVAL, "count too high");
    is_int(check_blob("090000000000" "0101ff"), -EINVAL, "count too low");
    is_int(check_blob("090000000100" "0102ff"), -EINVAL, "backlen does not match");
    is_int(check_blob("090000000100" "0181ff"), -EINVAL, "backlen runs into the entry");
    is_int(check_blob("090000000100" "f501ff"), -EINVAL, "unused encoding 0xF5");
    is_int(check_blob("090000000100" "ff01ff"), -EINVAL, "terminator inside");
    is_int(check_blob("0b0000000100" "85616102ff"), -EINVAL, "6-bit string longer than blob");
    is_int(check_blob("0b0000000100" "e0ff0202ff"), -EINVAL, "12-bit string longer than blob");
    is_int(check_blob("0f0000000100" "f0ffffffff6106ff"), -EINVAL, "32-bit length overflow");
    is_int(check_blob("0a0000000100" "f10100ff"), -EINVAL, "16-bit int without backlen");
    is_int(check_blob("0c0000000100" "f101000300ff"), -EINVAL, "trailing garbage");
    is_int(check_blob("0b0000000100" "81610082ff"), -EINVAL, "backlen not canonical");
    ok(lp_validate(NULL, 0, NULL, NULL) == -EINVAL, "NULL blob");

    uint8_t *lp = lp_from(int_items, ARRAY_LEN(int_items));
    int calls = 0;
    is_int(lp_validate(lp, lp_bytes(lp), reject_third, &calls), -EINVAL, "callback rejects");
    is_int(calls, 3, "callback stopped at the third entry");
    is_int(lp_validate(lp, lp_bytes(lp) - 1, NULL, NULL), -EINVAL, "truncated by one");

    /* Every single-byte corruption and truncation either fails validation or
     * leaves a listpack that iterates safely (the sanitizer build checks). */
    size_t n = lp_bytes(lp), accepted = 0;
    uint8_t *copy = alloc_malloc(n);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, lp, n);
            copy[i] ^= (uint8_t)(1u << bit);
            if (lp_validate(copy, n, NULL, NULL) != 0)
                continue;
            accepted++;
            size_t fwd = 0, back = 0;
            LP_FOREACH(copy, p)
                fwd++;
            for (uint8_t *p = lp_last(copy); p != NULL; p = lp_prev(copy, p))
                back++;
            INSIST(fwd == back);
        }
    }
    for (size_t cut = 0; cut < n; cut++)
        INSIST(lp_validate(lp, cut, NULL, NULL) != 0);
    ok(true, "bit flips: %zu of %zu accepted blobs iterate safely", accepted, n * 8);
    alloc_free(copy);
    lp_free(lp);
}

int main(void)
{
    srand(12345);
    test_redis_vectors();
    test_large_vectors();
    test_int_classes();
    test_str_classes();
    test_backlen();
    test_iteration_and_seek();
    test_modify_random();
    test_deletes();
    test_find_and_compare();
    test_replace_self();
    test_unknown_count();
    test_validate();
    return done_testing();
}
