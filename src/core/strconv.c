#include <config.h>
#include "core/strconv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/*
 * Character classes are spelled out instead of taken from <ctype.h> so the
 * results never depend on the locale or on the signedness of char.
 */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int strconv_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int fold_case(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* ------------------------------------------------------------------------
 * Integers
 * ------------------------------------------------------------------------ */

/*
 * Reads a non-empty run of decimal digits that fills s[0..len) into *out.
 * A leading zero is only allowed for "0" itself, so every integer has one
 * spelling; that is what lets Redis store such strings as integers and give
 * the same text back.
 */
static int parse_digits(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0)
        return -EINVAL;
    if (s[0] == '0' && len > 1)
        return -EINVAL;
    unsigned long long v = 0;
    bool overflow = false;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return -EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (overflow)
        return -ERANGE;
    *out = v;
    return 0;
}

int strconv_to_ll(const char *s, size_t len, long long *out)
{
    REQUIRE(s != NULL || len == 0);
    REQUIRE(out != NULL);
    if (len == 0)
        return -EINVAL;
    bool negative = s[0] == '-';
    unsigned long long mag;
    int rc = parse_digits(s + negative, len - negative, &mag);
    if (rc < 0)
        return rc;
    if (negative) {
        /* "-0" is a second spelling of zero, so it is not an integer here. */
        if (mag == 0)
            return -EINVAL;
        if (mag > (unsigned long long)LLONG_MAX + 1)
            return -ERANGE;
        *out = mag == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN
                                                        : -(long long)mag;
        return 0;
    }
    if (mag > (unsigned long long)LLONG_MAX)
        return -ERANGE;
    *out = (long long)mag;
    return 0;
}

int strconv_to_ull(const char *s, size_t len, unsigned long long *out)
{
    REQUIRE(s != NULL || len == 0);
    REQUIRE(out != NULL);
    unsigned long long v;
    int rc = parse_digits(s, len, &v);
    if (rc < 0)
        return rc;
    *out = v;
    return 0;
}

size_t strconv_ull(char *buf, unsigned long long v)
{
    REQUIRE(buf != NULL);
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

size_t strconv_ll(char *buf, long long v)
{
    REQUIRE(buf != NULL);
    if (v >= 0)
        return strconv_ull(buf, (unsigned long long)v);
    /* Negating in unsigned arithmetic keeps LLONG_MIN defined. */
    buf[0] = '-';
    return 1 + strconv_ull(buf + 1, 0ULL - (unsigned long long)v);
}

/* ------------------------------------------------------------------------
 * Floating point
 * ------------------------------------------------------------------------ */

/*
 * Longest argument INCRBYFLOAT accepts, plus one: Redis parses it in a
 * fixed buffer of this size and rejects anything that does not fit.
 */
#define LDOUBLE_MAX_INPUT 5120

/*
 * strtod and strtold need a terminated string, and our arguments are
 * (pointer, length) slices. Copies s into stack (of size cap) when it fits,
 * else into a heap block that the caller frees. Fails on an embedded NUL,
 * which the libc parser would silently treat as the end.
 */
static char *terminated_copy(const char *s, size_t len, char *stack,
                             size_t cap)
{
    if (memchr(s, '\0', len) != NULL)
        return NULL;
    char *dst = len < cap ? stack : alloc_malloc(len + 1);
    memcpy(dst, s, len);
    dst[len] = '\0';
    return dst;
}

int strconv_to_double(const char *s, size_t len, double *out)
{
    REQUIRE(s != NULL || len == 0);
    REQUIRE(out != NULL);
    /* strtod would skip leading blanks; Redis refuses them. */
    if (len == 0 || is_space(s[0]))
        return -EINVAL;
    char stack[STRCONV_BUF];
    char *text = terminated_copy(s, len, stack, sizeof(stack));
    if (text == NULL)
        return -EINVAL;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    int err = errno;
    bool whole = (size_t)(end - text) == len;
    if (text != stack)
        alloc_free(text);
    if (!whole || isnan(v))
        return -EINVAL;
    /* Overflow to infinity and underflow to zero are refused; a result
     * that lost precision as a subnormal is still a number. */
    if (err == ERANGE && (isinf(v) || v == 0))
        return -ERANGE;
    *out = v;
    return 0;
}

int strconv_to_ldouble(const char *s, size_t len, long double *out)
{
    REQUIRE(s != NULL || len == 0);
    REQUIRE(out != NULL);
    if (len == 0 || len >= LDOUBLE_MAX_INPUT || is_space(s[0]))
        return -EINVAL;
    char stack[STRCONV_BUF];
    char *text = terminated_copy(s, len, stack, sizeof(stack));
    if (text == NULL)
        return -EINVAL;
    char *end;
    errno = 0;
    long double v = strtold(text, &end);
    int err = errno;
    bool whole = (size_t)(end - text) == len;
    if (text != stack)
        alloc_free(text);
    if (!whole || isnan(v))
        return -EINVAL;
    if (err == ERANGE && (isinf(v) || v == 0))
        return -EINVAL;
    /* Literal infinity parses in Redis, and INCRBYFLOAT then fails with
     * "would produce NaN or Infinity"; -ERANGE lets the handler say so. */
    if (isinf(v))
        return -ERANGE;
    *out = v;
    return 0;
}

/*
 * Redis 7.0 replies with %.17g in both RESP2 and RESP3; only the
 * non-finite values are spelled by hand, so no libc can print "-nan" or
 * "Infinity" instead.
 */
static size_t format_double(char *buf, double v)
{
    REQUIRE(buf != NULL);
    const char *fixed = NULL;
    if (isnan(v))
        fixed = "nan";
    else if (isinf(v))
        fixed = v > 0 ? "inf" : "-inf";
    if (fixed != NULL) {
        size_t n = strlen(fixed);
        memcpy(buf, fixed, n + 1);
        return n;
    }
    int n = snprintf(buf, STRCONV_BUF, "%.17g", v);
    ENSURE(n > 0 && n < STRCONV_BUF);
    return (size_t)n;
}

size_t strconv_double(char *buf, double v)
{
    return format_double(buf, v);
}

size_t strconv_double_resp3(char *buf, double v)
{
    return format_double(buf, v);
}

size_t strconv_ldouble(char *buf, long double v, bool humanfriendly)
{
    REQUIRE(buf != NULL);
    if (isinf(v)) {
        const char *s = v > 0 ? "inf" : "-inf";
        size_t n = strlen(s);
        memcpy(buf, s, n + 1);
        return n;
    }
    if (!humanfriendly) {
        int n = snprintf(buf, STRCONV_BUF, "%.17Lg", v);
        ENSURE(n > 0 && n < STRCONV_BUF);
        return (size_t)n;
    }
    /* Seventeen fixed decimals round away the binary noise of most short
     * decimal inputs (10.5 + 0.1 prints as 10.6), and trimming the zeros
     * makes whole results look like integers. */
    int r = snprintf(buf, STRCONV_LDOUBLE_BUF, "%.17Lf", v);
    ENSURE(r > 0 && r < STRCONV_LDOUBLE_BUF);
    size_t n = (size_t)r;
    if (memchr(buf, '.', n) != NULL) {
        while (buf[n - 1] == '0')
            n--;
        if (buf[n - 1] == '.')
            n--;
    }
    /* A tiny negative value rounds to "-0"; Redis shows it as "0". */
    if (n == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        n = 1;
    }
    buf[n] = '\0';
    return n;
}

/* ------------------------------------------------------------------------
 * Memory sizes
 * ------------------------------------------------------------------------ */

/* Digit runs this long or longer are refused outright, as Redis does. */
#define MEMORY_MAX_DIGITS 128

static bool unit_is(const char *u, size_t ulen, const char *name)
{
    size_t n = strlen(name);
    if (ulen != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (fold_case((unsigned char)u[i]) != name[i])
            return false;
    return true;
}

static int memory_unit(const char *u, size_t ulen, unsigned long long *mul)
{
    static const struct {
        const char *name;
        unsigned long long mul;
    } units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1000ULL},
        {"kb", 1024ULL},
        {"m", 1000ULL * 1000},
        {"mb", 1024ULL * 1024},
        {"g", 1000ULL * 1000 * 1000},
        {"gb", 1024ULL * 1024 * 1024},
    };
    for (size_t i = 0; i < ARRAY_LEN(units); i++) {
        if (unit_is(u, ulen, units[i].name)) {
            *mul = units[i].mul;
            return 0;
        }
    }
    return -EINVAL;
}

int strconv_to_memory(const char *s, size_t len, long long *out)
{
    REQUIRE(s != NULL || len == 0);
    REQUIRE(out != NULL);
    if (len == 0) {
        /* Redis reads an empty size as zero. */
        *out = 0;
        return 0;
    }
    size_t ndigits = 0;
    while (ndigits < len && is_digit(s[ndigits]))
        ndigits++;
    unsigned long long mul;
    if (memory_unit(s + ndigits, len - ndigits, &mul) < 0)
        return -EINVAL;
    if (ndigits >= MEMORY_MAX_DIGITS)
        return -EINVAL;
    /* Unlike integers, sizes may have leading zeros, and Redis reads an
     * empty number ("" or "kb") as zero. */
    unsigned long long v = 0;
    for (size_t i = 0; i < ndigits; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > ((unsigned long long)LLONG_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    if (v > (unsigned long long)LLONG_MAX / mul)
        return -ERANGE;
    *out = (long long)(v * mul);
    return 0;
}

size_t strconv_bytes_human(char *buf, unsigned long long n)
{
    REQUIRE(buf != NULL);
    static const char units[] = "KMGTP";
    int r;
    if (n < 1024) {
        r = snprintf(buf, STRCONV_BUF, "%lluB", n);
        ENSURE(r > 0 && r < STRCONV_BUF);
        return (size_t)r;
    }
    unsigned long long scale = 1024;
    for (size_t i = 0; i < sizeof(units) - 1; i++, scale *= 1024) {
        if (n / 1024 < scale) {
            r = snprintf(buf, STRCONV_BUF, "%.2f%c", (double)n / (double)scale,
                         units[i]);
            ENSURE(r > 0 && r < STRCONV_BUF);
            return (size_t)r;
        }
    }
    /* Past 1024P Redis falls back to plain bytes. */
    r = snprintf(buf, STRCONV_BUF, "%lluB", n);
    ENSURE(r > 0 && r < STRCONV_BUF);
    return (size_t)r;
}

/* ------------------------------------------------------------------------
 * Glob matching
 *
 * Every pattern element other than '*' consumes exactly one byte, so a
 * single backtracking point (the last star seen) is enough to find a match
 * when one exists, in O(plen * slen) time and no recursion. The quirks
 * below are Redis's and are kept on purpose, since KEYS, SCAN MATCH,
 * PSUBSCRIBE and ACL patterns must select the same names.
 * ------------------------------------------------------------------------ */

/*
 * Redis gives up (reports no match) once a pattern needs more than this
 * many non-trailing star groups, to bound its recursion.
 */
#define GLOB_MAX_STARS 1000

/*
 * Scans a bracket class body that starts at pat[i] (after '[' and an
 * optional '^') and returns the index just past it. *hit says whether c is
 * a member. Rules, in order: "\x" is x compared exactly (even when nocase);
 * ']' closes; "a-z" is a range whose ends may come in either order and
 * whose end may be any byte, ']' included; anything else is a literal. A
 * class with no ']' runs to the end of the pattern. Range bounds compare as
 * signed chars, which is what Redis does on the platforms we ship for.
 */
static size_t glob_class(const char *pat, size_t plen, size_t i, char c,
                         bool nocase, bool *hit)
{
    *hit = false;
    while (i < plen) {
        if (pat[i] == '\\' && i + 1 < plen) {
            if (pat[i + 1] == c)
                *hit = true;
            i += 2;
        } else if (pat[i] == ']') {
            return i + 1;
        } else if (i + 2 < plen && pat[i + 1] == '-') {
            int lo = (signed char)pat[i], hi = (signed char)pat[i + 2];
            int x = (signed char)c;
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            if (nocase) {
                lo = fold_case(lo);
                hi = fold_case(hi);
                x = fold_case(x);
            }
            if (x >= lo && x <= hi)
                *hit = true;
            i += 3;
        } else {
            if (nocase ? fold_case((unsigned char)pat[i]) ==
                             fold_case((unsigned char)c)
                       : pat[i] == c)
                *hit = true;
            i++;
        }
    }
    return plen;
}

/*
 * Matches the single-byte element at pat[p] (anything but a star) against
 * c, and sets *next to the index after the element.
 */
static bool glob_element(const char *pat, size_t plen, size_t p, char c,
                         bool nocase, size_t *next)
{
    char lit;
    switch (pat[p]) {
    case '?':
        *next = p + 1;
        return true;
    case '[': {
        bool negate = p + 1 < plen && pat[p + 1] == '^';
        bool hit;
        *next = glob_class(pat, plen, p + 1 + negate, c, nocase, &hit);
        return hit != negate;
    }
    case '\\':
        /* A trailing backslash stands for itself. */
        if (p + 1 < plen) {
            lit = pat[p + 1];
            *next = p + 2;
            break;
        }
        /* fall through */
    default:
        lit = pat[p];
        *next = p + 1;
        break;
    }
    if (nocase)
        return fold_case((unsigned char)lit) == fold_case((unsigned char)c);
    return lit == c;
}

/* Counts star groups that are followed by some other element. */
static size_t glob_inner_stars(const char *pat, size_t plen)
{
    size_t groups = 0, p = 0;
    while (p < plen) {
        if (pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p < plen)
                groups++;
            continue;
        }
        (void)glob_element(pat, plen, p, '\0', false, &p);
    }
    return groups;
}

bool strconv_glob_match(const char *pat, size_t plen, const char *s,
                        size_t slen, bool nocase)
{
    REQUIRE(pat != NULL || plen == 0);
    REQUIRE(s != NULL || slen == 0);
    /* In Redis the empty string matches only the empty pattern, so "*"
     * does not match it (KEYS special-cases a lone "*" before matching). */
    if (slen == 0)
        return plen == 0;
    /* Each inner group takes at least two pattern bytes. */
    if (plen > 2 * GLOB_MAX_STARS &&
        glob_inner_stars(pat, plen) > GLOB_MAX_STARS)
        return false;

    size_t p = 0, i = 0;
    size_t star_p = SIZE_MAX, star_i = 0;
    while (i < slen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p == plen)
                return true;
            star_p = p;
            star_i = i;
            continue;
        }
        size_t next;
        if (p < plen && glob_element(pat, plen, p, s[i], nocase, &next)) {
            p = next;
            i++;
            continue;
        }
        if (star_p == SIZE_MAX)
            return false;
        /* Let the last star swallow one more byte and retry from there;
         * earlier stars never need to be revisited. */
        p = star_p;
        i = ++star_i;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

/* ------------------------------------------------------------------------
 * Argument splitting
 * ------------------------------------------------------------------------ */

/* Outside quotes only these end a word; \v and \f are kept as bytes even
 * though they are skipped as blanks between words, as in Redis. */
static bool ends_word(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0';
}

static char unescape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/*
 * A closing quote must end the word: it may be followed only by a blank or
 * the end of the line, so "a"b is an error rather than two words.
 */
static bool quote_may_close(const char *p)
{
    return p[1] == '\0' || is_space(p[1]);
}

/*
 * Reads one word starting at *pp (not a blank, not the end) into out, a
 * buffer at least as long as the rest of the line, since unescaping only
 * shrinks text. Advances *pp past the word.
 */
static int split_word(const char **pp, char *out, size_t *outlen)
{
    enum { PLAIN, DOUBLE, SINGLE } mode = PLAIN;
    const char *p = *pp;
    size_t n = 0;
    for (;;) {
        if (mode == PLAIN) {
            if (ends_word(*p))
                break;
            if (*p == '"')
                mode = DOUBLE;
            else if (*p == '\'')
                mode = SINGLE;
            else
                out[n++] = *p;
            p++;
        } else if (*p == '\0') {
            return -EINVAL;
        } else if (mode == DOUBLE) {
            int hi = p[0] == '\\' && p[1] == 'x' ? strconv_hex_digit(p[2]) : -1;
            int lo = hi >= 0 ? strconv_hex_digit(p[3]) : -1;
            if (lo >= 0) {
                out[n++] = (char)(hi * 16 + lo);
                p += 4;
            } else if (p[0] == '\\' && p[1] != '\0') {
                out[n++] = unescape(p[1]);
                p += 2;
            } else if (*p == '"') {
                if (!quote_may_close(p))
                    return -EINVAL;
                p++;
                break;
            } else {
                out[n++] = *p++;
            }
        } else {
            if (p[0] == '\\' && p[1] == '\'') {
                out[n++] = '\'';
                p += 2;
            } else if (*p == '\'') {
                if (!quote_may_close(p))
                    return -EINVAL;
                p++;
                break;
            } else {
                out[n++] = *p++;
            }
        }
    }
    *pp = p;
    *outlen = n;
    return 0;
}

int strconv_split_args(const char *line, strconv_arg_t **argv)
{
    REQUIRE(line != NULL);
    REQUIRE(argv != NULL);
    char *scratch = alloc_malloc(strlen(line) + 1);
    strconv_arg_t *vec = NULL;
    int argc = 0, cap = 0, rc = 0;
    const char *p = line;
    for (;;) {
        while (is_space(*p))
            p++;
        if (*p == '\0')
            break;
        size_t n;
        rc = split_word(&p, scratch, &n);
        if (rc < 0)
            break;
        if (argc == cap) {
            cap = cap ? cap * 2 : 8;
            vec = alloc_realloc(vec, (size_t)cap * sizeof(*vec));
        }
        vec[argc].ptr = alloc_malloc(n + 1);
        memcpy(vec[argc].ptr, scratch, n);
        vec[argc].ptr[n] = '\0';
        vec[argc].len = n;
        argc++;
    }
    alloc_free(scratch);
    if (rc < 0) {
        strconv_free_args(vec, argc);
        return rc;
    }
    *argv = vec;
    return argc;
}

void strconv_free_args(strconv_arg_t *argv, int argc)
{
    REQUIRE(argc >= 0);
    REQUIRE(argv != NULL || argc == 0);
    for (int i = 0; i < argc; i++)
        alloc_free(argv[i].ptr);
    alloc_free(argv);
}

int strconv_to_cursor(const char *s, size_t len, uint64_t *out)
{
    size_t n = strnlen(s, len), i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
        if (n == 1)
            return -EINVAL;
    }
    uint64_t v = 0;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch < '0' || ch > '9')
            return -EINVAL;
        uint64_t digit = (uint64_t)(ch - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -ERANGE;
        v = v * 10 + digit;
    }
    *out = neg ? (uint64_t)0 - v : v;
    return 0;
}
