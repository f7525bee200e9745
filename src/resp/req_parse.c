#include <config.h>
#include "resp/req_parse.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strconv.h"

/*
 * Compatibility notes. The rules below follow Redis 7.0's request reader:
 *
 * - A header line ("*N" or "$N") ends at the first '\r'; the byte after it is
 *   skipped without being checked, and so are the two bytes after bulk data.
 * - Line ends are searched for as C strings are: a NUL before the line end
 *   hides it, so such a line never completes and eventually fails as "too
 *   big". No well-formed client sends a NUL outside bulk data.
 * - Redis accepts a line longer than REQ_INLINE_MAX when its end happens to
 *   arrive in the same read. Here the line end must lie within the first
 *   REQ_INLINE_MAX + 1 bytes of the line, so the outcome never depends on how
 *   the input was split into reads.
 */

/* Argument slots reserved when a multibulk count is read, at most. */
#define REQ_ARGV_RESERVE 1024
/* An argv array larger than this is freed by req_parser_reset. */
#define REQ_ARGV_KEEP 1024

typedef enum line_status {
    LINE_FOUND,
    LINE_MORE,
    LINE_TOO_BIG,
} line_status_t;

void req_parser_init(req_parser_t *p)
{
    REQUIRE(p != NULL);
    memset(p, 0, sizeof(*p));
    p->kind = REQ_KIND_NONE;
    p->args_left = -1;
    p->bulk_len = -1;
}

void req_parser_destroy(req_parser_t *p)
{
    REQUIRE(p != NULL);
    alloc_free(p->argv);
    p->argv = NULL;
    p->argc = 0;
    p->argv_cap = 0;
}

void req_parser_reset(req_parser_t *p)
{
    REQUIRE(p != NULL);
    if (p->argv_cap > REQ_ARGV_KEEP) {
        alloc_free(p->argv);
        p->argv = NULL;
        p->argv_cap = 0;
    }
    p->kind = REQ_KIND_NONE;
    p->start = p->pos;
    p->line_scan = 0;
    p->line_nul = false;
    p->done = false;
    p->args_left = -1;
    p->bulk_len = -1;
    p->argc = 0;
}

size_t req_parser_cmd_start(const req_parser_t *p)
{
    REQUIRE(p != NULL);
    return p->kind == REQ_KIND_NONE ? p->pos : p->start;
}

void req_parser_shift(req_parser_t *p, size_t n)
{
    REQUIRE(p != NULL);
    REQUIRE(n <= req_parser_cmd_start(p));
    INSIST(n <= p->pos);
    p->pos -= n;
    INSIST(n <= p->start);
    p->start -= n;
    for (size_t i = 0; i < p->argc; i++) {
        INSIST(p->argv[i].off >= n);
        p->argv[i].off -= n;
    }
}

size_t req_parser_want(const req_parser_t *p)
{
    REQUIRE(p != NULL);
    if (p->kind != REQ_KIND_MULTIBULK || p->done || p->error != NULL ||
        p->args_left <= 0 || p->bulk_len < REQ_BIG_ARG)
        return 0;
    return p->pos + (size_t)p->bulk_len + 2;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static req_status_t fail(req_parser_t *p, const char *msg)
{
    p->error = msg;
    return REQ_PROTO_ERROR;
}

/*
 * Parses a length the way Redis's string2ll does: an optional '-', then
 * either "0" alone or digits without a leading zero, and no overflow. Returns
 * false (leaving *out alone) for anything else, including "" and "-0".
 */
static bool parse_len(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0;

    if (n == 0 || n > 20)
        return false;
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    if (s[0] == '-') {
        neg = true;
        s++;
        n--;
        if (n == 0)
            return false;
    }
    if (s[0] < '1' || s[0] > '9')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

/* The C locale's isspace, which decides where inline blanks end. */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

/* Appends a slice to argv, growing the array geometrically; a multibulk
 * never grows it past its announced count. */
static void argv_push(req_parser_t *p, size_t off, size_t len)
{
    if (p->argc == p->argv_cap) {
        size_t cap = p->argv_cap ? p->argv_cap * 2 : 8;
        if (p->kind == REQ_KIND_MULTIBULK) {
            size_t total = p->argc + (size_t)p->args_left;
            if (cap > total)
                cap = total;
        }
        INSIST(cap > p->argc);
        p->argv = alloc_realloc(p->argv, cap * sizeof(*p->argv));
        p->argv_cap = cap;
    }
    p->argv[p->argc].off = off;
    p->argv[p->argc].len = len;
    p->argc++;
}

static void argv_reserve(req_parser_t *p, size_t n)
{
    if (n > REQ_ARGV_RESERVE)
        n = REQ_ARGV_RESERVE;
    if (p->argv_cap >= n)
        return;
    p->argv = alloc_realloc(p->argv, n * sizeof(*p->argv));
    p->argv_cap = n;
}

/*
 * Looks for the byte term in the line starting at p->pos, within its first
 * REQ_INLINE_MAX + 1 bytes. Bytes already searched are remembered in
 * p->line_scan, so feeding a long line byte by byte stays linear. On
 * LINE_FOUND, *eol is the terminator's offset. A NUL before the terminator
 * hides it for good (Redis searches with strchr).
 */
static line_status_t find_line(req_parser_t *p, const char *buf, size_t len,
                               char term, size_t *eol)
{
    size_t avail = len - p->pos;
    size_t window = avail < REQ_INLINE_MAX + 1 ? avail : REQ_INLINE_MAX + 1;

    if (!p->line_nul && p->line_scan < window) {
        const char *s = buf + p->pos + p->line_scan;
        size_t n = window - p->line_scan;
        const char *t = memchr(s, term, n);
        size_t upto = t != NULL ? (size_t)(t - s) : n;
        const char *z = memchr(s, '\0', upto);

        if (z != NULL) {
            p->line_nul = true;
            p->line_scan += (size_t)(z - s);
        } else if (t != NULL) {
            p->line_scan += upto;
            *eol = p->pos + p->line_scan;
            return LINE_FOUND;
        } else {
            p->line_scan = window;
        }
    }
    return avail > REQ_INLINE_MAX ? LINE_TOO_BIG : LINE_MORE;
}

/* Moves the cursor to next, the start of a new line. */
static void line_consume(req_parser_t *p, size_t next)
{
    p->pos = next;
    p->line_scan = 0;
    p->line_nul = false;
}

/*
 * Finds a complete header line ("*N\r?" or "$N\r?"): the '\r' and one more
 * byte must be present. On DONE, *eol is the offset of the '\r'.
 */
static req_status_t find_header(req_parser_t *p, const char *buf, size_t len,
                                const char *too_big, size_t *eol)
{
    switch (find_line(p, buf, len, '\r', eol)) {
    case LINE_FOUND:
        return *eol + 2 <= len ? REQ_DONE : REQ_NEED_MORE;
    case LINE_TOO_BIG:
        return fail(p, too_big);
    case LINE_MORE:
        break;
    }
    return REQ_NEED_MORE;
}

/* ------------------------------------------------------------------------ */
/* Multibulk requests                                                       */
/* ------------------------------------------------------------------------ */

/* Reads the "*N" line. DONE here means the count is known (maybe <= 0). */
static req_status_t read_count(req_parser_t *p, const char *buf, size_t len,
                               const req_limits_t *lim)
{
    size_t eol;
    int64_t n;
    req_status_t st = find_header(p, buf, len,
                                  "Protocol error: too big mbulk count string",
                                  &eol);
    if (st != REQ_DONE)
        return st;
    INSIST(buf[p->pos] == '*');
    if (!parse_len(buf + p->pos + 1, eol - p->pos - 1, &n) ||
        n > REQ_MULTIBULK_MAX)
        return fail(p, "Protocol error: invalid multibulk length");
    if (n > REQ_UNAUTH_MULTIBULK_MAX && lim->unauthenticated)
        return fail(p, "Protocol error: unauthenticated multibulk length");
    line_consume(p, eol + 2);
    p->args_left = n > 0 ? n : 0;
    if (n > 0)
        argv_reserve(p, (size_t)n);
    return REQ_DONE;
}

/* Reads a "$N" line, leaving the length in p->bulk_len. */
static req_status_t read_bulk_len(req_parser_t *p, const char *buf,
                                  size_t len, const req_limits_t *lim)
{
    size_t eol;
    int64_t n;
    req_status_t st = find_header(p, buf, len,
                                  "Protocol error: too big bulk count string",
                                  &eol);
    if (st != REQ_DONE)
        return st;
    if (buf[p->pos] != '$') {
        char c = buf[p->pos];
        /* Like Redis, keep CR and LF out of the error line. */
        if (c == '\r' || c == '\n')
            c = ' ';
        snprintf(p->errbuf, sizeof(p->errbuf),
                 "Protocol error: expected '$', got '%c'", c);
        return fail(p, p->errbuf);
    }
    if (!parse_len(buf + p->pos + 1, eol - p->pos - 1, &n) || n < 0 ||
        (uint64_t)n > lim->max_bulk_len)
        return fail(p, "Protocol error: invalid bulk length");
    if (n > REQ_UNAUTH_BULK_MAX && lim->unauthenticated)
        return fail(p, "Protocol error: unauthenticated bulk length");
    line_consume(p, eol + 2);
    p->bulk_len = n;
    return REQ_DONE;
}

static req_status_t parse_multibulk(req_parser_t *p, const char *buf,
                                    size_t len, const req_limits_t *lim)
{
    req_status_t st;

    if (p->args_left < 0) {
        st = read_count(p, buf, len, lim);
        if (st != REQ_DONE)
            return st;
    }
    while (p->args_left > 0) {
        if (p->bulk_len < 0) {
            st = read_bulk_len(p, buf, len, lim);
            if (st != REQ_DONE)
                return st;
        }
        /* The data and the two bytes after it (unchecked, as in Redis). */
        if ((uint64_t)(len - p->pos) < (uint64_t)p->bulk_len + 2)
            return REQ_NEED_MORE;
        argv_push(p, p->pos, (size_t)p->bulk_len);
        p->pos += (size_t)p->bulk_len + 2;
        p->bulk_len = -1;
        p->args_left--;
    }
    return REQ_DONE;
}

/* ------------------------------------------------------------------------ */
/* Inline requests                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Reads one "double quoted" token body starting after the opening quote at
 * *r, writing the unescaped bytes at *w. Returns false when the quote is not
 * closed or its closing quote is followed by something other than a blank.
 */
static bool unquote_double(char *buf, size_t end, size_t *r, size_t *w)
{
    size_t i = *r, o = *w;

    for (;;) {
        if (i == end)
            return false;
        char c = buf[i];
        if (c == '\\' && i + 3 < end && buf[i + 1] == 'x' &&
            strconv_hex_digit(buf[i + 2]) >= 0 && strconv_hex_digit(buf[i + 3]) >= 0) {
            buf[o++] = (char)(strconv_hex_digit(buf[i + 2]) * 16 + strconv_hex_digit(buf[i + 3]));
            i += 4;
        } else if (c == '\\' && i + 1 < end) {
            switch (buf[i + 1]) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'a': c = '\a'; break;
            default: c = buf[i + 1]; break;
            }
            buf[o++] = c;
            i += 2;
        } else if (c == '"') {
            i++;
            if (i < end && !is_space(buf[i]))
                return false;
            break;
        } else {
            buf[o++] = c;
            i++;
        }
    }
    *r = i;
    *w = o;
    return true;
}

/* Like unquote_double for a 'single quoted' body, where only \' escapes. */
static bool unquote_single(char *buf, size_t end, size_t *r, size_t *w)
{
    size_t i = *r, o = *w;

    for (;;) {
        if (i == end)
            return false;
        char c = buf[i];
        if (c == '\\' && i + 1 < end && buf[i + 1] == '\'') {
            buf[o++] = '\'';
            i += 2;
        } else if (c == '\'') {
            i++;
            if (i < end && !is_space(buf[i]))
                return false;
            break;
        } else {
            buf[o++] = c;
            i++;
        }
    }
    *r = i;
    *w = o;
    return true;
}

/*
 * Splits buf[start..end) into arguments by Redis's inline rules, unescaping
 * in place: each token is written over its own source, which is never
 * shorter than the result. Returns false on unbalanced quotes.
 */
static bool split_inline(req_parser_t *p, char *buf, size_t start, size_t end)
{
    size_t r = start;

    for (;;) {
        while (r < end && is_space(buf[r]))
            r++;
        if (r == end)
            return true;
        size_t tok = r, w = r;
        bool done = false;
        while (!done) {
            if (r == end)
                break;
            char c = buf[r];
            switch (c) {
            case ' ':
            case '\n':
            case '\r':
            case '\t':
                r++;
                done = true;
                break;
            case '"':
                r++;
                if (!unquote_double(buf, end, &r, &w))
                    return false;
                done = true;
                break;
            case '\'':
                r++;
                if (!unquote_single(buf, end, &r, &w))
                    return false;
                done = true;
                break;
            default:
                buf[w++] = c;
                r++;
                break;
            }
        }
        INSIST(w <= r);
        argv_push(p, tok, w - tok);
    }
}

static req_status_t parse_inline(req_parser_t *p, char *buf, size_t len)
{
    size_t eol, end;

    switch (find_line(p, buf, len, '\n', &eol)) {
    case LINE_MORE:
        return REQ_NEED_MORE;
    case LINE_TOO_BIG:
        return fail(p, "Protocol error: too big inline request");
    case LINE_FOUND:
        break;
    }
    end = eol;
    if (end > p->pos && buf[end - 1] == '\r')
        end--;
    if (!split_inline(p, buf, p->pos, end))
        return fail(p, "Protocol error: unbalanced quotes in request");
    line_consume(p, eol + 1);
    return REQ_DONE;
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                              */
/* ------------------------------------------------------------------------ */

req_status_t req_parse(req_parser_t *p, char *buf, size_t len,
                       const req_limits_t *lim)
{
    req_status_t st;

    REQUIRE(p != NULL && lim != NULL);
    REQUIRE(buf != NULL || len == 0);
    REQUIRE(p->pos <= len);
    if (p->error != NULL)
        return REQ_PROTO_ERROR;
    REQUIRE(!p->done);

    if (p->kind == REQ_KIND_NONE) {
        if (p->pos == len)
            return REQ_NEED_MORE;
        p->start = p->pos;
        p->kind = buf[p->pos] == '*' ? REQ_KIND_MULTIBULK : REQ_KIND_INLINE;
    }
    if (p->kind == REQ_KIND_MULTIBULK)
        st = parse_multibulk(p, buf, len, lim);
    else
        st = parse_inline(p, buf, len);
    if (st == REQ_DONE)
        p->done = true;
    ENSURE(p->pos <= len);
    return st;
}
