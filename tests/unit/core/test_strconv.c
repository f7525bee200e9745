#include <config.h>
#include "core/strconv.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

/*
 * Expected values come from a real redis-server 7.0.15: INCR/INCRBY for
 * integers, ZADD/ZSCORE (RESP2 and RESP3) for doubles, INCRBYFLOAT for long
 * doubles, CONFIG SET maxmemory and INFO's maxmemory_human for sizes, KEYS
 * for globs and inline commands for argument splitting.
 */

/* A literal with its length, so cases may hold NUL bytes. */
#define S(lit) lit, sizeof(lit) - 1

/*
 * Renders bytes with C escapes so test names stay on one TAP line. Returns
 * one of a few rotating static buffers, enough for one message.
 */
static const char *vis(const char *p, size_t n)
{
    static char bufs[4][256];
    static unsigned next;
    char *out = bufs[next++ % 4];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof(bufs[0]); i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------------------ */

static void test_to_ll(void)
{
    static const struct {
        const char *s;
        size_t len;
        int rc;
        long long v;
    } cases[] = {
        {S("0"), 0, 0},
        {S("1"), 0, 1},
        {S("-1"), 0, -1},
        {S("12345"), 0, 12345},
        {S("9223372036854775807"), 0, LLONG_MAX},
        {S("-9223372036854775808"), 0, LLONG_MIN},
        {S("9223372036854775808"), -ERANGE, 0},
        {S("-9223372036854775809"), -ERANGE, 0},
        {S("18446744073709551615"), -ERANGE, 0},
        {S("18446744073709551616"), -ERANGE, 0},
        {S("99999999999999999999999"), -ERANGE, 0},
        {S(""), -EINVAL, 0},
        {S("-"), -EINVAL, 0},
        {S("-0"), -EINVAL, 0},
        {S("00"), -EINVAL, 0},
        {S("007"), -EINVAL, 0},
        {S("-07"), -EINVAL, 0},
        {S("+1"), -EINVAL, 0},
        {S(" 1"), -EINVAL, 0},
        {S("1 "), -EINVAL, 0},
        {S("1a"), -EINVAL, 0},
        {S("a1"), -EINVAL, 0},
        {S("1.0"), -EINVAL, 0},
        {S("1e3"), -EINVAL, 0},
        {S("--1"), -EINVAL, 0},
        {S("1\0"), -EINVAL, 0},
        {S("0x10"), -EINVAL, 0},
        /* Bad syntax wins over overflow. */
        {S("99999999999999999999x"), -EINVAL, 0},
    };
    subtest("strconv_to_ll");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        long long v = 4242;
        const char *name = vis(cases[i].s, cases[i].len);
        int rc = strconv_to_ll(cases[i].s, cases[i].len, &v);
        is_int(rc, cases[i].rc, "to_ll '%s' rc", name);
        is_int(v, cases[i].rc == 0 ? cases[i].v : 4242,
               "to_ll '%s' value (untouched on error)", name);
    }
    long long v = 0;
    /* A length shorter than the text parses only the prefix. */
    ok(strconv_to_ll("123", 2, &v) == 0 && v == 12, "to_ll honours len");
    ok(strconv_to_ll(NULL, 0, &v) == -EINVAL, "to_ll NULL,0");
    unsigned long long u;
    ok(strconv_to_ull(NULL, 0, &u) == -EINVAL, "to_ull NULL,0");
    double d;
    ok(strconv_to_double(NULL, 0, &d) == -EINVAL, "to_double NULL,0");
    long double ld;
    ok(strconv_to_ldouble(NULL, 0, &ld) == -EINVAL, "to_ldouble NULL,0");
    v = 5;
    ok(strconv_to_memory(NULL, 0, &v) == 0 && v == 0, "to_memory NULL,0");
    ok(strconv_glob_match(NULL, 0, NULL, 0, false), "glob NULL,0 NULL,0");
    ok(!strconv_glob_match(NULL, 0, "a", 1, false), "glob NULL,0 'a'");
}

static void test_to_ull(void)
{
    static const struct {
        const char *s;
        size_t len;
        int rc;
        unsigned long long v;
    } cases[] = {
        {S("0"), 0, 0},
        {S("1"), 0, 1},
        {S("18446744073709551615"), 0, ULLONG_MAX},
        {S("18446744073709551616"), -ERANGE, 0},
        {S("99999999999999999999"), -ERANGE, 0},
        {S(""), -EINVAL, 0},
        {S("-1"), -EINVAL, 0},
        {S("-0"), -EINVAL, 0},
        {S("+1"), -EINVAL, 0},
        {S("007"), -EINVAL, 0},
        {S(" 1"), -EINVAL, 0},
        {S("1 "), -EINVAL, 0},
    };
    subtest("strconv_to_ull");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        unsigned long long v = 4242;
        const char *name = vis(cases[i].s, cases[i].len);
        int rc = strconv_to_ull(cases[i].s, cases[i].len, &v);
        is_int(rc, cases[i].rc, "to_ull '%s' rc", name);
        ok(v == (cases[i].rc == 0 ? cases[i].v : 4242), "to_ull '%s' value",
           name);
    }
}

static void test_format_int(void)
{
    static const struct {
        long long v;
        const char *want;
    } lls[] = {
        {0, "0"},
        {7, "7"},
        {-7, "-7"},
        {10, "10"},
        {-100, "-100"},
        {LLONG_MAX, "9223372036854775807"},
        {LLONG_MIN, "-9223372036854775808"},
    };
    char buf[STRCONV_BUF];
    subtest("strconv_ll / strconv_ull");
    for (size_t i = 0; i < ARRAY_LEN(lls); i++) {
        size_t n = strconv_ll(buf, lls[i].v);
        is_str(buf, lls[i].want, "ll %lld", lls[i].v);
        is_int(n, strlen(lls[i].want), "ll %lld length", lls[i].v);
        long long back;
        ok(strconv_to_ll(buf, n, &back) == 0 && back == lls[i].v,
           "ll %lld reads back", lls[i].v);
    }
    size_t n = strconv_ull(buf, ULLONG_MAX);
    is_str(buf, "18446744073709551615", "ull max");
    is_int(n, 20, "ull max length");
    strconv_ull(buf, 0);
    is_str(buf, "0", "ull 0");
}

/* ------------------------------------------------------------------------ */

enum { NUM, PINF, NINF, NEGZERO };

static void test_to_double(void)
{
    static const struct {
        const char *s;
        size_t len;
        int rc;
        int kind;
        double v;
    } cases[] = {
        {S("0"), 0, NUM, 0},
        {S("1.5"), 0, NUM, 1.5},
        {S("+1"), 0, NUM, 1},
        {S(".5"), 0, NUM, 0.5},
        {S("5."), 0, NUM, 5},
        {S("1E5"), 0, NUM, 1e5},
        {S("-2.5e-7"), 0, NUM, -2.5e-7},
        {S("007"), 0, NUM, 7},
        {S("0x10"), 0, NUM, 16},
        {S("0x1p3"), 0, NUM, 8},
        {S("1e-310"), 0, NUM, 1e-310},
        {S("0e99999"), 0, NUM, 0},
        {S("-0"), 0, NEGZERO, 0},
        {S("inf"), 0, PINF, 0},
        {S("+inf"), 0, PINF, 0},
        {S("INF"), 0, PINF, 0},
        {S("Infinity"), 0, PINF, 0},
        {S("-inf"), 0, NINF, 0},
        {S("-Infinity"), 0, NINF, 0},
        {S("1e400"), -ERANGE, NUM, 0},
        {S("-1e400"), -ERANGE, NUM, 0},
        {S("1e999999999999"), -ERANGE, NUM, 0},
        {S("1e-400"), -ERANGE, NUM, 0},
        {S(""), -EINVAL, NUM, 0},
        {S(" 1"), -EINVAL, NUM, 0},
        {S("\t1"), -EINVAL, NUM, 0},
        {S("1 "), -EINVAL, NUM, 0},
        {S("1e"), -EINVAL, NUM, 0},
        {S("1.5x"), -EINVAL, NUM, 0},
        {S("nan"), -EINVAL, NUM, 0},
        {S("NaN"), -EINVAL, NUM, 0},
        {S("-nan"), -EINVAL, NUM, 0},
        {S("nan(123)"), -EINVAL, NUM, 0},
        {S("1\0"), -EINVAL, NUM, 0},
        {S("1\0x"), -EINVAL, NUM, 0},
        {S("abc"), -EINVAL, NUM, 0},
        {S("--1"), -EINVAL, NUM, 0},
    };
    subtest("strconv_to_double");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        double v = 42;
        const char *name = vis(cases[i].s, cases[i].len);
        int rc = strconv_to_double(cases[i].s, cases[i].len, &v);
        is_int(rc, cases[i].rc, "to_double '%s' rc", name);
        bool good;
        if (cases[i].rc != 0)
            good = v == 42;
        else if (cases[i].kind == PINF)
            good = isinf(v) && v > 0;
        else if (cases[i].kind == NINF)
            good = isinf(v) && v < 0;
        else if (cases[i].kind == NEGZERO)
            good = v == 0 && signbit(v);
        else
            good = v == cases[i].v;
        ok(good, "to_double '%s' value", name);
    }

    /* Redis has no length limit here: long spellings go through the heap. */
    size_t big = 20000;
    char *s = malloc(big);
    s[0] = '1';
    s[1] = '.';
    memset(s + 2, '0', big - 2);
    double v = 0;
    ok(strconv_to_double(s, big, &v) == 0 && v == 1, "to_double 20000 chars");
    s[big - 1] = 'x';
    ok(strconv_to_double(s, big, &v) == -EINVAL, "to_double long garbage");
    free(s);
    /* The parser must not read past len, even without a NUL there. */
    char unterminated[3] = {'1', '2', '3'};
    ok(strconv_to_double(unterminated, 2, &v) == 0 && v == 12,
       "to_double honours len");
}

/*
 * The long double cases expect x87 80-bit arithmetic, which is what Redis
 * has on x86-64. Valgrind runs it in 64 bits, and other targets have other
 * formats, so there the cases are skipped rather than failed.
 */
static bool long_double_is_x87(void)
{
    volatile long double one = 1, eps = LDBL_EPSILON;
    return LDBL_MANT_DIG == 64 && one + eps != one;
}

static void test_to_ldouble(void)
{
    static const struct {
        const char *s;
        size_t len;
        int rc;
        long double v;
    } cases[] = {
        {S("0"), 0, 0},
        {S("10.5"), 0, 10.5L},
        {S("+1.5"), 0, 1.5L},
        {S("-.5"), 0, -0.5L},
        {S("3.0e3"), 0, 3000},
        {S("0x10"), 0, 16},
        {S("0x1p-3"), 0, 0.125L},
        /* Beyond double, within long double: accepted. */
        {S("1e4000"), 0, 1e4000L},
        {S("1e-310"), 0, 1e-310L},
        {S("1e5000"), -EINVAL, 0},
        {S("1e-5000"), -EINVAL, 0},
        /* Valid infinities are a different failure for INCRBYFLOAT. */
        {S("inf"), -ERANGE, 0},
        {S("+inf"), -ERANGE, 0},
        {S("-inf"), -ERANGE, 0},
        {S("infinity"), -ERANGE, 0},
        {S("nan"), -EINVAL, 0},
        {S(""), -EINVAL, 0},
        {S(" 1"), -EINVAL, 0},
        {S("1 "), -EINVAL, 0},
        {S("1\0"), -EINVAL, 0},
        {S("1\0x"), -EINVAL, 0},
        {S("1x"), -EINVAL, 0},
    };
    subtest("strconv_to_ldouble");
    if (!long_double_is_x87()) {
        skip(1, "long double is not x87 extended precision here");
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        long double v = 42;
        const char *name = vis(cases[i].s, cases[i].len);
        int rc = strconv_to_ldouble(cases[i].s, cases[i].len, &v);
        is_int(rc, cases[i].rc, "to_ldouble '%s' rc", name);
        ok(v == (cases[i].rc == 0 ? cases[i].v : 42), "to_ldouble '%s' value",
           name);
    }

    /* Redis refuses 5120 bytes or more. */
    char *s = malloc(5121);
    s[0] = '1';
    s[1] = '.';
    memset(s + 2, '0', 5119);
    long double v = 0;
    ok(strconv_to_ldouble(s, 5119, &v) == 0 && v == 1, "to_ldouble 5119 chars");
    ok(strconv_to_ldouble(s, 5120, &v) == -EINVAL, "to_ldouble 5120 chars");
    free(s);
}

static void test_format_double(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.1, "0.10000000000000001"},
        {1.5, "1.5"},
        {3, "3"},
        {0, "0"},
        {-0.0, "-0"},
        {-3, "-3"},
        {1e16, "10000000000000000"},
        {1e17, "1e+17"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {1e-5, "1.0000000000000001e-05"},
        {0.0001, "0.0001"},
        {2.5e-7, "2.4999999999999999e-07"},
        {1e-310, "9.9999999999999694e-311"},
        {4503599627370497.0, "4503599627370497"},
        {-4503599627370495.0, "-4503599627370495"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-2.2250738585072014e-308, "-2.2250738585072014e-308"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
        {-NAN, "nan"},
    };
    char buf[STRCONV_BUF];
    subtest("strconv_double / strconv_double_resp3");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t n = strconv_double(buf, cases[i].v);
        is_str(buf, cases[i].want, "double case %zu", i);
        is_int(n, strlen(cases[i].want), "double case %zu length", i);
        /* Redis 7.0 writes the same digits in RESP3 ',' replies. */
        n = strconv_double_resp3(buf, cases[i].v);
        is_str(buf, cases[i].want, "resp3 double case %zu", i);
        is_int(n, strlen(cases[i].want), "resp3 double case %zu length", i);
    }
}

/* Runs INCRBYFLOAT's arithmetic: parse both sides, add, format. */
static const char *incrbyfloat(const char *cur, const char *incr, char *buf)
{
    long double a, b;
    if (strconv_to_ldouble(cur, strlen(cur), &a) < 0 ||
        strconv_to_ldouble(incr, strlen(incr), &b) < 0)
        return "error";
    long double sum = a + b;
    if (isnan(sum) || isinf(sum))
        return "error";
    strconv_ldouble(buf, sum, true);
    return buf;
}

static void test_format_ldouble(void)
{
    static const struct {
        const char *cur, *incr, *want;
    } sums[] = {
        {"10.5", "0.1", "10.6"},
        {"0", "3.0e3", "3000"},
        {"5.0e3", "2.0e2", "5200"},
        {"0", "0.1", "0.1"},
        {"0.1", "0.2", "0.3"},
        {"0", "-0", "0"},
        {"-0", "0", "0"},
        {"1", "-1", "0"},
        {"3", "-3.0", "0"},
        {"0", "1e20", "100000000000000000000"},
        {"0", "1e-20", "0"},
        {"0", "1e-17", "0.00000000000000001"},
        {"0", "5e-18", "0"},
        {"0", "-5e-18", "0"},
        {"0", "-4e-18", "0"},
        {"0", "123456789.123456789", "123456789.12345678899873747"},
        {"0", "+1.5", "1.5"},
        {"0", "-.5", "-0.5"},
        {"0", "0x10", "16"},
        {"0.125", "1e-4940", "0.125"},
        {"0", "1.7976931348623157e308",
         "1797693134862315699959210467741044340483864469443291784853144207"
         "6517662852312439635470186860838708556442879341942552068930870836"
         "3451136055357897278026477617073498977686288394835618163294045594"
         "4349295374472906274806694173846488791227762183335989538528321032"
         "82504751611691208117720159985926376802466863339536384"},
    };
    char buf[STRCONV_LDOUBLE_BUF];
    subtest("strconv_ldouble");
    if (!long_double_is_x87()) {
        skip(1, "long double is not x87 extended precision here");
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(sums); i++)
        is_str(incrbyfloat(sums[i].cur, sums[i].incr, buf), sums[i].want,
               "incrbyfloat %s + %s", sums[i].cur, sums[i].incr);

    /* The largest results need the big buffer; Redis prints them whole. */
    long double v;
    ok(strconv_to_ldouble(S("1e4000"), &v) == 0, "parse 1e4000");
    size_t n = strconv_ldouble(buf, v, true);
    is_int(n, 4000, "1e4000 prints 4000 digits");
    ok(strncmp(buf, "99999999999999999999654638730996", 32) == 0,
       "1e4000 digits");
    n = strconv_ldouble(buf, -LDBL_MAX, true);
    is_int(n, 4934, "-LDBL_MAX fits");
    is_int(strlen(buf), n, "-LDBL_MAX terminated");

    static const struct {
        long double v;
        bool human;
        const char *want;
    } forms[] = {
        {INFINITY, true, "inf"},
        {-INFINITY, true, "-inf"},
        {INFINITY, false, "inf"},
        {-INFINITY, false, "-inf"},
        {1.5L, true, "1.5"},
        {-2.0L, true, "-2"},
        {100.0L, true, "100"},
        {0.0L, true, "0"},
        {-0.0L, true, "0"},
        {1.5L, false, "1.5"},
        {0.1L, false, "0.1"},
        {1e20L, false, "1e+20"},
        {1.0L / 3, false, "0.33333333333333333"},
        {-0.0L, false, "-0"},
        {3000.0L, false, "3000"},
    };
    for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
        n = strconv_ldouble(buf, forms[i].v, forms[i].human);
        is_str(buf, forms[i].want, "ldouble %s (%s)", forms[i].want,
               forms[i].human ? "human" : "%.17Lg");
        is_int(n, strlen(forms[i].want), "ldouble %s length", forms[i].want);
    }
    /* The %.17Lg form fits the small buffer even at the extremes. */
    n = strconv_ldouble(buf, -LDBL_MAX, false);
    ok(n < STRCONV_BUF, "%%.17Lg of -LDBL_MAX fits STRCONV_BUF (%zu)", n);
}

/* ------------------------------------------------------------------------ */

static void test_to_memory(void)
{
    static const struct {
        const char *s;
        size_t len;
        int rc;
        long long v;
    } cases[] = {
        {S("100"), 0, 100},
        {S("0"), 0, 0},
        {S("007"), 0, 7},
        {S("1b"), 0, 1},
        {S("1B"), 0, 1},
        {S("5k"), 0, 5000},
        {S("5K"), 0, 5000},
        {S("5kb"), 0, 5120},
        {S("5KB"), 0, 5120},
        {S("1kB"), 0, 1024},
        {S("1m"), 0, 1000000},
        {S("1mb"), 0, 1048576},
        {S("1g"), 0, 1000000000},
        {S("1G"), 0, 1000000000},
        {S("1gb"), 0, 1073741824},
        {S("1Gb"), 0, 1073741824},
        /* Redis reads a missing number as zero. */
        {S(""), 0, 0},
        {S("b"), 0, 0},
        {S("kb"), 0, 0},
        {S("gb"), 0, 0},
        {S("9223372036854775807"), 0, LLONG_MAX},
        {S("8589934591gb"), 0, 8589934591LL * 1073741824LL},
        {S("9223372036854775808"), -ERANGE, 0},
        {S("8589934592gb"), -ERANGE, 0},
        {S("99999999999999999999"), -ERANGE, 0},
        {S("-1"), -EINVAL, 0},
        {S("-1kb"), -EINVAL, 0},
        {S("+5"), -EINVAL, 0},
        {S(" 5"), -EINVAL, 0},
        {S("5 "), -EINVAL, 0},
        {S("5 kb"), -EINVAL, 0},
        {S("1.5gb"), -EINVAL, 0},
        {S("5t"), -EINVAL, 0},
        {S("5tb"), -EINVAL, 0},
        {S("5bb"), -EINVAL, 0},
        {S("5kbb"), -EINVAL, 0},
        {S("5k\0"), -EINVAL, 0},
        {S("k5"), -EINVAL, 0},
    };
    subtest("strconv_to_memory");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        long long v = 4242;
        const char *name = vis(cases[i].s, cases[i].len);
        int rc = strconv_to_memory(cases[i].s, cases[i].len, &v);
        is_int(rc, cases[i].rc, "to_memory '%s' rc", name);
        is_int(v, cases[i].rc == 0 ? cases[i].v : 4242, "to_memory '%s' value",
               name);
    }
    /* Redis refuses a digit run of 128 or more, even of zeros. */
    char zeros[130];
    memset(zeros, '0', sizeof(zeros));
    long long v = 1;
    ok(strconv_to_memory(zeros, 127, &v) == 0 && v == 0, "127 zeros");
    ok(strconv_to_memory(zeros, 128, &v) == -EINVAL, "128 zeros");
}

static void test_bytes_human(void)
{
    static const struct {
        unsigned long long n;
        const char *want;
    } cases[] = {
        {0, "0B"},
        {1, "1B"},
        {1023, "1023B"},
        {1024, "1.00K"},
        {1025, "1.00K"},
        {1535, "1.50K"},
        {1536, "1.50K"},
        {5119, "5.00K"},
        {10240, "10.00K"},
        {951922, "929.61K"},
        {1048570, "1023.99K"},
        {1048575, "1024.00K"},
        {1048576, "1.00M"},
        {1572864, "1.50M"},
        {1073741823, "1024.00M"},
        {1073741824, "1.00G"},
        {1610612736, "1.50G"},
        {1099511627776ULL, "1.00T"},
        {1125899906842624ULL, "1.00P"},
        {1152921504606846975ULL, "1024.00P"},
        {1152921504606846976ULL, "1152921504606846976B"},
        {ULLONG_MAX, "18446744073709551615B"},
    };
    char buf[STRCONV_BUF];
    subtest("strconv_bytes_human");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t n = strconv_bytes_human(buf, cases[i].n);
        is_str(buf, cases[i].want, "human %llu", cases[i].n);
        is_int(n, strlen(cases[i].want), "human %llu length", cases[i].n);
    }
}

/* ------------------------------------------------------------------------ */

static void test_glob(void)
{
    static const struct {
        const char *pat;
        size_t plen;
        const char *s;
        size_t slen;
        bool nocase, want;
    } cases[] = {
        {S(""), S(""), false, true},
        {S(""), S("a"), false, false},
        {S("a"), S(""), false, false},
        /* The empty string matches no pattern but the empty one. */
        {S("*"), S(""), false, false},
        {S("**"), S(""), false, false},
        {S("*"), S("anything"), false, true},
        {S("hello"), S("hello"), false, true},
        {S("hello"), S("hell"), false, false},
        {S("hello"), S("Hello"), false, false},
        {S("hello"), S("HeLLo"), true, true},
        {S("h?llo"), S("hallo"), false, true},
        {S("h?llo"), S("hllo"), false, false},
        {S("h*llo"), S("hllo"), false, true},
        {S("h*llo"), S("heeeello"), false, true},
        {S("h*llo"), S("heeeellox"), false, false},
        {S("a*"), S("a"), false, true},
        {S("a**"), S("a"), false, true},
        {S("a*?"), S("a"), false, false},
        {S("a*b*c"), S("aXbYc"), false, true},
        {S("a*b*c"), S("abc"), false, true},
        {S("a*b*c"), S("acb"), false, false},
        {S("*a*b"), S("xaxbxab"), false, true},
        {S("*.txt"), S("a.txt.txt"), false, true},
        {S("h[ae]llo"), S("hello"), false, true},
        {S("h[ae]llo"), S("hallo"), false, true},
        {S("h[ae]llo"), S("hillo"), false, false},
        {S("h[^e]llo"), S("hallo"), false, true},
        {S("h[^e]llo"), S("hello"), false, false},
        {S("h[a-b]llo"), S("hbllo"), false, true},
        {S("h[a-b]llo"), S("hcllo"), false, false},
        {S("[z-a]"), S("m"), false, true},
        {S("[^a-c]"), S("b"), false, false},
        {S("[^a-c]"), S("d"), false, true},
        {S("[A-C]"), S("b"), false, false},
        {S("[A-C]"), S("b"), true, true},
        {S("[a-c]"), S("B"), true, true},
        /* Folding happens after ordering: Z(90)-a(97) becomes z-a. */
        {S("[Z-a]"), S("_"), false, true},
        {S("[Z-a]"), S("_"), true, false},
        {S("[abc]"), S("B"), true, true},
        /* An empty class matches nothing, a negated empty one anything. */
        {S("[]"), S("]"), false, false},
        {S("[]a]"), S("a]"), false, false},
        {S("[]a]"), S("a"), false, false},
        {S("[^]"), S("x"), false, true},
        /* A range end may be ']', which then does not close the class. */
        {S("[a-]"), S("_"), false, true},
        {S("[a-]"), S("]"), false, true},
        {S("[a-]"), S("-"), false, false},
        {S("[a-]x]"), S("_"), false, true},
        {S("[--0]"), S("/"), false, true},
        /* A class without ']' runs to the end of the pattern. */
        {S("["), S("["), false, false},
        {S("[^"), S("q"), false, true},
        {S("[^"), S("qq"), false, false},
        {S("[a"), S("a"), false, true},
        {S("[ab"), S("b"), false, true},
        {S("[ab"), S("ab"), false, false},
        {S("a["), S("a["), false, false},
        /* Escapes. */
        {S("\\*"), S("*"), false, true},
        {S("\\*"), S("a"), false, false},
        {S("\\?"), S("?"), false, true},
        {S("\\?"), S("x"), false, false},
        {S("\\["), S("["), false, true},
        {S("\\\\"), S("\\"), false, true},
        {S("\\a"), S("a"), false, true},
        {S("\\a"), S("A"), true, true},
        {S("a\\"), S("a\\"), false, true},
        {S("\\**"), S("*abc"), false, true},
        {S("[\\]]"), S("]"), false, true},
        {S("[\\-]"), S("-"), false, true},
        {S("[\\a-z]"), S("-"), false, true},
        {S("[\\a-z]"), S("m"), false, false},
        /* Escapes inside a class compare exactly, even with nocase. */
        {S("[\\a]"), S("A"), true, false},
        {S("[a\\"), S("\\"), false, true},
        {S("[*]"), S("*"), false, true},
        {S("[?]"), S("x"), false, false},
        /* Binary safety: NULs and high bytes; ranges compare as signed. */
        {S("a\0b"), S("a\0b"), false, true},
        {S("a?b"), S("a\0b"), false, true},
        {S("[\x80-\xff]"), S("\x90"), false, true},
        {S("[a-\xff]"), S("\x00"), false, true},
        {S("[a-\xff]"), S("\xff"), false, true},
        {S("[a-\xff]"), S("b"), false, false},
        {S("[a-\xff]"), S("\x90"), false, false},
        {S("\xe4"), S("\xc4"), true, false},
    };
    subtest("strconv_glob_match");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        bool got = strconv_glob_match(cases[i].pat, cases[i].plen, cases[i].s,
                                      cases[i].slen, cases[i].nocase);
        ok(got == cases[i].want, "glob '%s' %s '%s'%s",
           vis(cases[i].pat, cases[i].plen),
           cases[i].want ? "matches" : "does not match",
           vis(cases[i].s, cases[i].slen),
           cases[i].nocase ? " (nocase)" : "");
    }

    /* Redis stops after 1000 inner star groups and reports no match. */
    size_t cap = 2 * 1002 + 1;
    char *pat = malloc(cap);
    char *str = malloc(2000);
    memset(str, 'a', 2000);
    for (size_t groups = 999; groups <= 1001; groups++) {
        for (size_t g = 0; g < groups; g++) {
            pat[2 * g] = '*';
            pat[2 * g + 1] = 'a';
        }
        bool want = groups <= 1000;
        ok(strconv_glob_match(pat, 2 * groups, str, 2000, false) == want,
           "%zu x '*a' %s", groups, want ? "matches" : "is refused");
        /* A trailing star group costs nothing. */
        pat[2 * groups] = '*';
        ok(strconv_glob_match(pat, 2 * groups + 1, str, 2000, false) == want,
           "%zu x '*a' + '*'", groups);
    }
    for (size_t g = 0; g < 1001; g++) {
        pat[2 * g] = 'a';
        pat[2 * g + 1] = '*';
    }
    ok(strconv_glob_match(pat, 2002, str, 1001, false),
       "1001 x 'a*': 1000 inner groups and a trailing one");
    ok(!strconv_glob_match(pat, 2002, str, 1000, false),
       "1001 x 'a*' needs 1001 bytes");

    /* A pattern that makes naive recursion exponential stays fast. */
    memset(pat, 0, cap);
    for (size_t g = 0; g < 40; g++) {
        pat[2 * g] = '*';
        pat[2 * g + 1] = 'a';
    }
    pat[80] = 'b';
    ok(!strconv_glob_match(pat, 81, str, 2000, false),
       "40 x '*a' + 'b' against 2000 a's fails quickly");
    free(pat);
    free(str);
}

/* ------------------------------------------------------------------------ */

#define MAX_WORDS 6

struct word {
    const char *p;
    size_t len;
};

static void test_split_args(void)
{
    static const struct {
        const char *line;
        int argc; /* -1: error */
        struct word w[MAX_WORDS];
    } cases[] = {
        {"", 0, {{0}}},
        {"   \t \n ", 0, {{0}}},
        {"set k v", 3, {{S("set")}, {S("k")}, {S("v")}}},
        {"  set\t\tk  \r\n", 2, {{S("set")}, {S("k")}}},
        /* \v and \f are blanks between words but bytes inside one. */
        {"\va\vb\f", 1, {{S("a\vb\f")}}},
        {"\"\"", 1, {{S("")}}},
        {"''", 1, {{S("")}}},
        {"\"\" ''", 2, {{S("")}, {S("")}}},
        {"\"hello world\"", 1, {{S("hello world")}}},
        {"'hello world'", 1, {{S("hello world")}}},
        /* Quotes may start mid-word and continue it. */
        {"foo\"bar baz\"", 1, {{S("foobar baz")}}},
        {"a'b c'", 1, {{S("ab c")}}},
        {"\"a\"\t'b'\v\"c\"", 3, {{S("a")}, {S("b")}, {S("c")}}},
        {"\"\\n\\r\\t\\b\\a\"", 1, {{S("\n\r\t\b\a")}}},
        {"\"\\\\ \\\" \\' \\z\"", 1, {{S("\\ \" ' z")}}},
        {"\"\\x41\\x6a\\x6A\\xff\\x00z\"", 1, {{S("Ajj\xff\0z")}}},
        /* Half a hex escape is a plain escape of 'x'. */
        {"\"\\x4\" \"\\xg1\" \"\\x\"", 3, {{S("x4")}, {S("xg1")}, {S("x")}}},
        {"'\\x41 \\n \\\\ \\''", 1, {{S("\\x41 \\n \\\\ '")}}},
        /* Outside quotes backslashes are plain bytes. */
        {"a\\nb \\x41", 2, {{S("a\\nb")}, {S("\\x41")}}},
        {"'a\"b' \"a'b\"", 2, {{S("a\"b")}, {S("a'b")}}},
        {"a b c d e f", 6,
         {{S("a")}, {S("b")}, {S("c")}, {S("d")}, {S("e")}, {S("f")}}},
        /* Errors: unterminated quotes and closing quotes glued to text. */
        {"\"abc", -1, {{0}}},
        {"'abc", -1, {{0}}},
        {"\"", -1, {{0}}},
        {"'", -1, {{0}}},
        {"ok \"abc\\\"", -1, {{0}}},
        {"ok 'abc\\'", -1, {{0}}},
        {"\"abc\\", -1, {{0}}},
        {"\"abc\"def", -1, {{0}}},
        {"'abc'def", -1, {{0}}},
        {"\"a\"\"b\"", -1, {{0}}},
        {"'a''b'", -1, {{0}}},
        {"\"a\"'b'", -1, {{0}}},
        {"set k \"v", -1, {{0}}},
    };
    subtest("strconv_split_args");
    size_t before = alloc_used();
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *name = vis(cases[i].line, strlen(cases[i].line));
        strconv_arg_t *argv = (strconv_arg_t *)&argv;
        int argc = strconv_split_args(cases[i].line, &argv);
        if (cases[i].argc < 0) {
            is_int(argc, -EINVAL, "split '%s' fails", name);
            ok(argv == (strconv_arg_t *)&argv, "split '%s' leaves argv",
               name);
            continue;
        }
        is_int(argc, cases[i].argc, "split '%s' count", name);
        for (int a = 0; a < argc && a < MAX_WORDS; a++) {
            is_mem(argv[a].ptr, argv[a].len, cases[i].w[a].p, cases[i].w[a].len,
                   "split '%s' word %d", name, a);
            ok(argv[a].ptr[argv[a].len] == '\0',
               "split '%s' word %d ends in NUL", name, a);
        }
        strconv_free_args(argv, argc);
    }
    /* Many words grow the vector. */
    char line[2000];
    size_t n = 0;
    for (int a = 0; a < 500; a++) {
        line[n++] = (char)('a' + a % 26);
        line[n++] = ' ';
    }
    line[n] = '\0';
    strconv_arg_t *argv;
    int argc = strconv_split_args(line, &argv);
    is_int(argc, 500, "split 500 words");
    ok(argc == 500 && argv[499].len == 1 && argv[499].ptr[0] == 'a' + 499 % 26,
       "split 500 words: last word");
    strconv_free_args(argv, argc);
    strconv_free_args(NULL, 0);
    is_int(alloc_used(), before, "split/free leaves no allocation behind");
}

int main(void)
{
    test_to_ll();
    test_to_ull();
    test_format_int();
    test_to_double();
    test_to_ldouble();
    test_format_double();
    test_format_ldouble();
    test_to_memory();
    test_bytes_human();
    test_glob();
    test_split_args();
    return done_testing();
}
