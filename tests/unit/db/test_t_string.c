/*
 * Unit tests for db/t_string: ranges, SETRANGE/SETBIT growth, bit counting
 * and searching, BITOP, BITFIELD overflow rules and LCS, checked against
 * results taken from Redis 7.0.
 */
#include <config.h>
#include "db/t_string.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

static const uint8_t *u8(const char *s)
{
    return (const uint8_t *)s;
}

/* GETRANGE "Hello World" results from Redis, as "start:end" or "" (empty). */
static const char *getrange(const char *s, long long start, long long end)
{
    static char out[64];
    long long n = (long long)strlen(s);
    if (!tstr_range(n, true, &start, &end))
        return "";
    snprintf(out, sizeof(out), "%.*s", (int)(end - start + 1), s + start);
    return out;
}

static void test_range(void)
{
    const char *hw = "Hello World";
    is_str(getrange(hw, 0, -1), "Hello World", "range 0 -1");
    is_str(getrange(hw, -3, -1), "rld", "range -3 -1");
    is_str(getrange(hw, -1, -3), "", "reversed negatives are empty");
    is_str(getrange(hw, 5, 3), "", "start after end");
    is_str(getrange(hw, -100, 100), "Hello World", "clamped both ways");
    is_str(getrange(hw, 100, 200), "", "start past the end");
    is_str(getrange(hw, 0, -100), "H", "end clamps to 0");
    is_str(getrange(hw, 3, -100), "", "end clamps below start");
    is_str(getrange(hw, LLONG_MIN, LLONG_MIN), "H", "LLONG_MIN pair");
    is_str(getrange(hw, LLONG_MAX, LLONG_MAX), "", "LLONG_MAX pair");
    is_str(getrange("", 0, -1), "", "empty string");

    long long s = -100, e = -200;
    ok(tstr_range(16, false, &s, &e) && s == 0 && e == 0,
       "without the negative check -100 -200 becomes 0 0 (BITPOS)");
    s = -100;
    e = -200;
    ok(!tstr_range(16, true, &s, &e), "with it the range is empty (BITCOUNT)");
}

static void test_setrange(void)
{
    str_t *s = str_new("Hello World", 11);
    s = tstr_setrange(s, 1, "a", 1);
    is_mem(s->buf, s->len, "Hallo World", 11, "overwrite inside");
    s = tstr_setrange(s, 15, "x", 1);
    is_mem(s->buf, s->len, "Hallo World\0\0\0\0x", 16, "zero-filled gap");
    s = tstr_setrange(s, 14, "yz", 2);
    is_mem(s->buf, s->len, "Hallo World\0\0\0yz", 16, "overwrite at the end");
    str_free(s);
}

static void test_bits(void)
{
    str_t *s = str_new_cap(0);
    int old;
    bool grown;
    s = tstr_setbit(s, 7, 1, &old, &grown);
    ok(old == 0 && grown && s->len == 1 && (uint8_t)s->buf[0] == 0x01, "setbit 7 grows");
    s = tstr_setbit(s, 7, 0, &old, &grown);
    ok(old == 1 && !grown && s->buf[0] == 0, "setbit 7 0 returns old 1");
    s = tstr_setbit(s, 100, 1, &old, &grown);
    ok(grown && s->len == 13, "setbit 100 makes 13 bytes");
    is_int(tstr_getbit(u8(s->buf), s->len, 100), 1, "getbit 100");
    is_int(tstr_getbit(u8(s->buf), s->len, 99), 0, "getbit 99");
    is_int(tstr_getbit(u8(s->buf), s->len, 100000), 0, "getbit past end");
    str_free(s);

    const uint8_t *fb = u8("foobar");
    is_int(tstr_popcount(fb, 6), 26, "popcount foobar");
    is_int(tstr_bitcount(fb, 0, 7), 4, "bitcount byte 0");
    is_int(tstr_bitcount(fb, 8, 15), 6, "bitcount byte 1");
    is_int(tstr_bitcount(fb, 5, 30), 17, "bitcount bits 5..30");
    is_int(tstr_bitcount(fb, 46, 47), 1, "bitcount bits 46..47");
    is_int(tstr_bitcount(fb, 47, 47), 0, "bitcount bit 47");
    uint8_t big[100];
    memset(big, 0xff, sizeof(big));
    is_int(tstr_popcount(big, sizeof(big)), 800, "popcount over words");
    is_int(tstr_bitcount(big, 3, 795), 793, "bitcount over words with edges");

    is_int(tstr_bitpos(fb, 0, 47, 1), 1, "bitpos 1 in foobar");
    is_int(tstr_bitpos(fb, 0, 47, 0), 0, "bitpos 0 in foobar");
    is_int(tstr_bitpos(fb, 16, 47, 1), 17, "bitpos 1 from byte 2");
    is_int(tstr_bitpos(fb, 7, 15, 1), 9, "bitpos 1 in bits 7..15");
    is_int(tstr_bitpos(fb, 7, 15, 0), 7, "bitpos 0 in bits 7..15");
    const uint8_t m[3] = {0x00, 0x01, 0x80};
    is_int(tstr_bitpos(m, 0, 14, 1), -1, "no 1 in bits 0..14");
    is_int(tstr_bitpos(m, 0, 15, 1), 15, "1 at bit 15");
    is_int(tstr_bitpos(m, 16, 23, 1), 16, "1 at bit 16");
    is_int(tstr_bitpos(m, 8, 14, 0), 8, "0 at bit 8");
    is_int(tstr_bitpos(big, 0, 799, 0), -1, "no 0 in all ones");
    big[77] = 0xfe;
    is_int(tstr_bitpos(big, 0, 799, 0), 77 * 8 + 7, "0 found past whole words");
    is_int(tstr_bitpos(big, 0, 77 * 8 + 6, 0), -1, "0 just past the range");
}

static void test_bitop(void)
{
    tstr_span_t src[2] = {{u8("\x0f\xf0\xaa"), 3}, {u8("\xff"), 1}};
    uint8_t d[3];
    tstr_bitop(TSTR_BITOP_AND, d, 3, src, 2);
    is_mem(d, 3, "\x0f\x00\x00", 3, "and pads with zeros");
    tstr_bitop(TSTR_BITOP_OR, d, 3, src, 2);
    is_mem(d, 3, "\xff\xf0\xaa", 3, "or");
    tstr_bitop(TSTR_BITOP_XOR, d, 3, src, 2);
    is_mem(d, 3, "\xf0\xf0\xaa", 3, "xor");
    tstr_bitop(TSTR_BITOP_NOT, d, 3, src, 1);
    is_mem(d, 3, "\xf0\x0f\x55", 3, "not");
    tstr_span_t empty[2] = {{u8(""), 0}, {u8("\x0f\xf0\xaa"), 3}};
    tstr_bitop(TSTR_BITOP_AND, d, 3, empty, 2);
    is_mem(d, 3, "\x00\x00\x00", 3, "and with a missing key");
}

static void test_bitfield_rw(void)
{
    uint8_t b[8] = {0};
    tstr_bf_set(b, 0, 8, 255);
    is_int(tstr_bf_get(b, 8, 0, 8), 255, "u8 get");
    is_int(tstr_bf_signed(tstr_bf_get(b, 8, 0, 8), 8), -1, "i8 get");
    memset(b, 0xff, sizeof(b));
    is_int(tstr_bf_get(b, 8, 0, 63), INT64_MAX, "u63 of all ones");
    is_int(tstr_bf_signed(tstr_bf_get(b, 8, 0, 64), 64), -1, "i64 of all ones");
    memset(b, 0, sizeof(b));
    tstr_bf_set(b, 3, 5, (uint64_t)-3);
    is_int(tstr_bf_signed(tstr_bf_get(b, 8, 3, 5), 5), -3, "i5 at 3");
    is_int(tstr_bf_get(b, 8, 3, 5), 29, "u5 at 3");
    is_int(tstr_bf_get(b, 1, 4, 8), 0xd0, "reads past the end as zero");
}

static void test_bitfield_overflow(void)
{
    int64_t s = 0;
    uint64_t u = 0;
    is_int(tstr_bf_add_signed(200, 0, 8, TSTR_OVERFLOW_WRAP, &s), 1, "i8 set 200 overflows");
    is_int(s, -56, "wraps to -56");
    tstr_bf_add_signed(200, 0, 8, TSTR_OVERFLOW_SAT, &s);
    is_int(s, 127, "saturates to 127");
    tstr_bf_add_signed(-128, -1000, 8, TSTR_OVERFLOW_WRAP, &s);
    is_int(s, -104, "i8 -128 - 1000 wraps to -104");
    is_int(tstr_bf_add_signed(-104, -1, 8, TSTR_OVERFLOW_FAIL, &s), 0, "no overflow");
    is_int(s, -105, "sum");
    is_int(tstr_bf_add_signed(INT64_MAX, 1, 64, TSTR_OVERFLOW_SAT, &s), 1, "i64 overflow");
    is_int(s, INT64_MAX, "saturates at INT64_MAX");
    tstr_bf_add_signed(INT64_MAX, 1, 64, TSTR_OVERFLOW_WRAP, &s);
    is_int(s, INT64_MIN, "i64 wraps to INT64_MIN");
    s = 7;
    is_int(tstr_bf_add_signed(INT64_MIN, -1, 64, TSTR_OVERFLOW_FAIL, &s), -1, "i64 underflow");
    is_int(s, 7, "FAIL leaves out alone");

    is_int(tstr_bf_add_unsigned((uint64_t)-5, 0, 8, TSTR_OVERFLOW_SAT, &u), 1,
           "u8 set -5 is an overflow");
    is_int(u, 255, "saturates to the max");
    tstr_bf_add_unsigned((uint64_t)-5, 0, 8, TSTR_OVERFLOW_WRAP, &u);
    is_int(u, 251, "wraps to 251");
    is_int(tstr_bf_add_unsigned(0, -1000, 8, TSTR_OVERFLOW_SAT, &u), -1, "u8 underflow");
    is_int(u, 0, "saturates to 0");
    tstr_bf_add_unsigned(0, -1, 8, TSTR_OVERFLOW_WRAP, &u);
    is_int(u, 255, "0 - 1 wraps to 255");
    tstr_bf_add_unsigned(UINT64_C(1) << 62, INT64_MAX, 63, TSTR_OVERFLOW_SAT, &u);
    is_int(u, INT64_MAX, "u63 saturates");
    tstr_bf_add_unsigned(0, -1, 63, TSTR_OVERFLOW_WRAP, &u);
    is_int(u, INT64_MAX, "u63 wraps");
    is_int(tstr_bf_add_unsigned(9, INT64_MIN, 8, TSTR_OVERFLOW_SAT, &u), -1,
           "INT64_MIN increment underflows");
    is_int(tstr_bf_add_unsigned(245, 10, 8, TSTR_OVERFLOW_FAIL, &u), 0, "255 fits");
    is_int(u, 255, "sum");
}

typedef struct matches {
    char text[512];
    size_t len;
} matches_t;

static void collect(void *arg, uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    matches_t *m = arg;
    m->len += (size_t)snprintf(m->text + m->len, sizeof(m->text) - m->len,
                               "[%u,%u][%u,%u] ", a0, a1, b0, b1);
}

static void lcs_check(const char *a, const char *b, const char *want, uint32_t minlen,
                      const char *want_idx)
{
    tstr_lcs_t l;
    int r = tstr_lcs_init(&l, a, strlen(a), b, strlen(b));
    if (!ok(r == 0, "lcs table for '%s' '%s'", a, b))
        return;
    char out[256];
    uint32_t n = tstr_lcs_len(&l);
    matches_t m = {{0}, 0};
    tstr_lcs_walk(&l, out, minlen, collect, &m);
    out[n] = '\0';
    is_str(out, want, "lcs string");
    is_str(m.text, want_idx, "lcs matches");
    tstr_lcs_destroy(&l);
}

static void test_lcs(void)
{
    lcs_check("ohmytext", "mynewtext", "mytext", 0, "[4,7][5,8] [2,3][0,1] ");
    lcs_check("ohmytext", "mynewtext", "mytext", 4, "[4,7][5,8] ");
    lcs_check("ohmytext", "", "", 0, "");
    lcs_check("ohmytext", "ohmytext", "ohmytext", 0, "[0,7][0,7] ");
    lcs_check("12345", "2345", "2345", 0, "[1,4][0,3] ");
    lcs_check("ACCGGTCGAGTGCGCGGAAGCCGGCCGAA", "GTCGTTCGGAATGCCGTTGCTCTGTAAA",
              "GTCGTCGGAAGCCGGCCGAA", 0,
              "[27,28][26,27] [26,26][23,23] [25,25][21,21] [23,24][18,19] "
              "[19,22][12,15] [14,18][6,10] [9,10][3,4] [4,6][0,2] ");
    is_int(tstr_lcs_table_bytes(600, 600), 601 * 601 * 4, "table bytes");
    ok(tstr_lcs_table_bytes(UINT32_MAX, 1) == UINT64_MAX, "too long for a table");
}

static void test_writable(void)
{
    db_t *db = db_array_new(1);
    key_ref_t k = key_ref("k", 1);
    db_add(db, k, obj_new_string("12345", 5));
    db_set_expire(db, k, INT64_MAX);
    obj_t *o = db_lookup_write(db, k);
    ok(o->encoding == OBJ_ENC_INT, "starts int");
    obj_t *w = tstr_writable(db, k, o);
    ok(w->encoding == OBJ_ENC_RAW && db_lookup_write(db, k) == w, "replaced by raw");
    is_mem(((str_t *)w->ptr)->buf, ((str_t *)w->ptr)->len, "12345", 5, "same bytes");
    ok(db_get_expire(db, k) == INT64_MAX, "TTL kept");
    ok(tstr_writable(db, k, w) == w, "raw and unshared is kept");
    obj_incref(w);
    obj_t *w2 = tstr_writable(db, k, w);
    ok(w2 != w, "shared is copied");
    obj_decref(w);
    db_array_free(db, 1);
}

int main(void)
{
    test_range();
    test_setrange();
    test_bits();
    test_bitop();
    test_bitfield_rw();
    test_bitfield_overflow();
    test_lcs();
    test_writable();
    return done_testing();
}
