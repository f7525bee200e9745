#include <config.h>
#include "resp/req_parse.h"

#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "tap.h"

/*
 * Most cases are checked through a transcript: every command the parser
 * yields, as "argc[arg][arg]...\n" with unprintable bytes and "[]\" written
 * as \xHH, then "ERR <text>\n" after a protocol error or "rest N\n" when N
 * bytes are left unparsed. The same message must give the same transcript
 * however it is split into reads, with or without the caller compacting its
 * buffer (req_parser_shift) between reads.
 */

#define MAX_BULK_DEFAULT (512ULL * 1024 * 1024)

typedef struct driver {
    req_parser_t p;
    req_limits_t lim;
    str_t *t;
    bool failed;
    size_t base; /* Offset in the message of the parser's buffer start. */
} driver_t;

static void driver_init(driver_t *d, const req_limits_t *lim)
{
    req_parser_init(&d->p);
    d->lim = *lim;
    d->t = str_new("", 0);
    d->failed = false;
    d->base = 0;
}

static void emit_cmd(str_t **t, const char *buf, const req_parser_t *p)
{
    *t = str_catfmt(*t, "%zu", p->argc);
    for (size_t i = 0; i < p->argc; i++) {
        const unsigned char *a = (const unsigned char *)buf + p->argv[i].off;
        *t = str_cat(*t, "[", 1);
        for (size_t j = 0; j < p->argv[i].len; j++) {
            unsigned char c = a[j];
            if (c < 0x20 || c >= 0x7f || c == '[' || c == ']' || c == '\\')
                *t = str_catfmt(*t, "\\x%02x", c);
            else
                *t = str_cat(*t, &c, 1);
        }
        *t = str_cat(*t, "]", 1);
    }
    *t = str_cat(*t, "\n", 1);
}

/* Parses everything buf[0..len) holds, recording each result. */
static void drain(driver_t *d, char *buf, size_t len)
{
    if (d->failed)
        return;
    for (;;) {
        req_status_t st = req_parse(&d->p, buf, len, &d->lim);
        if (st == REQ_NEED_MORE)
            return;
        if (st == REQ_PROTO_ERROR) {
            d->t = str_catfmt(d->t, "ERR %s\n", d->p.error);
            d->failed = true;
            return;
        }
        emit_cmd(&d->t, buf, &d->p);
        req_parser_reset(&d->p);
    }
}

/* Feeds msg[base..end) from a heap copy of exactly that size, so that ASan
 * catches any read past len. */
static void feed_copy(driver_t *d, const char *msg, size_t end)
{
    size_t n = end - d->base;
    char *b = malloc(n ? n : 1);
    memcpy(b, msg + d->base, n);
    drain(d, b, n);
    free(b);
}

/* The caller's compaction: drop everything before the current command. */
static void compact(driver_t *d)
{
    size_t c = req_parser_cmd_start(&d->p);
    req_parser_shift(&d->p, c);
    d->base += c;
}

/* Ends a run and returns its transcript (caller frees). */
static str_t *driver_finish(driver_t *d, size_t msglen)
{
    if (!d->failed) {
        size_t rest = msglen - d->base - req_parser_cmd_start(&d->p);
        if (rest)
            d->t = str_catfmt(d->t, "rest %zu\n", rest);
    }
    req_parser_destroy(&d->p);
    str_t *t = d->t;
    d->t = NULL;
    return t;
}

static str_t *run_split(const char *msg, size_t n, const req_limits_t *lim,
                        size_t k, bool compacting)
{
    driver_t d;
    driver_init(&d, lim);
    feed_copy(&d, msg, k);
    if (compacting)
        compact(&d);
    feed_copy(&d, msg, n);
    return driver_finish(&d, n);
}

/* Feeds growing prefixes, step bytes more each time. */
static str_t *run_steps(const char *msg, size_t n, const req_limits_t *lim,
                        size_t step, bool compacting)
{
    driver_t d;
    driver_init(&d, lim);
    for (size_t k = step < n ? step : n;; k = k + step < n ? k + step : n) {
        feed_copy(&d, msg, k);
        if (compacting)
            compact(&d);
        if (k == n)
            break;
    }
    return driver_finish(&d, n);
}

/* Byte by byte over one buffer that only grows its len (no copies). */
static str_t *run_same_buffer(const char *msg, size_t n,
                              const req_limits_t *lim)
{
    driver_t d;
    char *b = malloc(n ? n : 1);
    memcpy(b, msg, n);
    driver_init(&d, lim);
    for (size_t k = 0; k <= n; k++)
        drain(&d, b, k);
    free(b);
    return driver_finish(&d, n);
}

static bool same(const str_t *t, const char *want)
{
    return strlen(want) == t->len && memcmp(t->buf, want, t->len) == 0;
}

static void check_run(const char *name, const char *mode, size_t k, str_t *t,
                      const char *want)
{
    is_str(t->buf, want, "%s: %s %zu", name, mode, k);
    str_free(t);
}

/*
 * A message holding exactly one command or one error must give NEED_MORE
 * for every proper prefix and its result only at full length.
 */
static void check_prefixes(const char *name, const char *msg, size_t n,
                           const req_limits_t *lim, size_t from)
{
    size_t bad = 0;
    for (size_t k = from; k < n; k++) {
        req_parser_t p;
        char *b = malloc(k ? k : 1);
        memcpy(b, msg, k);
        req_parser_init(&p);
        if (req_parse(&p, b, k, lim) != REQ_NEED_MORE && !bad)
            bad = k;
        req_parser_destroy(&p);
        free(b);
    }
    ok(bad == 0, "%s: NEED_MORE for every proper prefix (first bad %zu)",
       name, bad);

    req_parser_t p;
    char *b = malloc(n ? n : 1);
    memcpy(b, msg, n);
    req_parser_init(&p);
    req_status_t st = req_parse(&p, b, n, lim);
    ok(st != REQ_NEED_MORE, "%s: complete at full length", name);
    if (st == REQ_DONE)
        is_int(p.pos, n, "%s: cursor past the command", name);
    req_parser_destroy(&p);
    free(b);
}

static bool is_single(const char *want)
{
    const char *nl = strchr(want, '\n');
    return nl != NULL && nl[1] == '\0' && strncmp(want, "rest ", 5) != 0;
}

/* Every split point, with and without compaction, and byte by byte. */
static void check_all_splits(const char *name, const char *msg, size_t n,
                             const req_limits_t *lim, const char *want)
{
    check_run(name, "whole", n, run_split(msg, n, lim, n, false), want);
    check_run(name, "same buffer", 1, run_same_buffer(msg, n, lim), want);
    check_run(name, "bytewise", 1, run_steps(msg, n, lim, 1, false), want);
    check_run(name, "bytewise compacting", 1, run_steps(msg, n, lim, 1, true),
              want);
    check_run(name, "steps of 3 compacting", 3,
              run_steps(msg, n, lim, 3, true), want);
    for (size_t k = 0; k <= n; k++) {
        str_t *a = run_split(msg, n, lim, k, false);
        str_t *b = run_split(msg, n, lim, k, true);
        if (!ok(same(a, want) && same(b, want), "%s: split at %zu", name, k))
            diag("got '%s' / '%s'", a->buf, b->buf);
        str_free(a);
        str_free(b);
    }
    if (is_single(want))
        check_prefixes(name, msg, n, lim, 0);
}

/* For messages too long for every split: a sample of splits and steps. */
static void check_some_splits(const char *name, const char *msg, size_t n,
                              const req_limits_t *lim, const char *want)
{
    size_t cuts[] = {0, 1, 2, 5, n / 3, n / 2, n - 2, n - 1, n};
    check_run(name, "same buffer", 1, run_same_buffer(msg, n, lim), want);
    check_run(name, "steps of 4093", 4093, run_steps(msg, n, lim, 4093, false),
              want);
    check_run(name, "steps of 16384 compacting", 16384,
              run_steps(msg, n, lim, 16384, true), want);
    for (size_t i = 0; i < ARRAY_LEN(cuts); i++) {
        if (cuts[i] > n)
            continue;
        check_run(name, "split", cuts[i],
                  run_split(msg, n, lim, cuts[i], false), want);
        check_run(name, "split compacting", cuts[i],
                  run_split(msg, n, lim, cuts[i], true), want);
    }
    if (is_single(want) && n >= 4)
        check_prefixes(name, msg, n, lim, n - 3);
}

/* ------------------------------------------------------------------------ */
/* The table                                                                */
/* ------------------------------------------------------------------------ */

typedef struct tcase {
    const char *name;
    const char *msg;
    size_t len;
    const char *want;
    bool unauth;
    uint64_t max_bulk; /* 0: the default 512 MB. */
} tcase_t;

#define TC(n, m, w) {n, m, sizeof(m) - 1, w, false, 0}
#define TCU(n, m, w) {n, m, sizeof(m) - 1, w, true, 0}
#define TCB(n, m, w, mb) {n, m, sizeof(m) - 1, w, false, mb}

#define E(text) "ERR Protocol error: " text "\n"

static const tcase_t cases[] = {
    /* Multibulk. */
    TC("set", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
       "3[SET][key][value]\n"),
    TC("empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", "2[ECHO][]\n"),
    TC("binary bulk", "*2\r\n$4\r\nECHO\r\n$7\r\na\0\r\n\r\n\xff\r\n",
       "2[ECHO][a\\x00\\x0d\\x0a\\x0d\\x0a\\xff]\n"),
    TC("bulk of CRLFs", "*1\r\n$4\r\n\r\n\r\n\r\n",
       "1[\\x0d\\x0a\\x0d\\x0a]\n"),
    TC("count 0", "*0\r\n", "0\n"),
    TC("count -1", "*-1\r\n", "0\n"),
    TC("count int64 min", "*-9223372036854775808\r\n", "0\n"),
    TC("one empty arg", "*1\r\n$0\r\n\r\n", "1[]\n"),
    TC("bulk CRLF unchecked", "*1\r\n$3\r\nfooXY", "1[foo]\n"),
    TC("header LF unchecked", "*1\rX$3\rYfoo\r\n", "1[foo]\n"),
    TC("partial second", "*1\r\n$3\r\nfoo\r\n*1\r\n$3\r\nbar",
       "1[foo]\nrest 11\n"),
    TC("header only", "*2\r\n", "rest 4\n"),
    TC("count max", "*1048576\r\n", "rest 10\n"),
    TC("bulk len = max_bulk_len default", "*1\r\n$536870912\r\n",
       "rest 16\n"),
    TC("two commands", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
       "1[PING]\n2[ECHO][hi]\n"),

    /* Multibulk errors. */
    TC("count letters", "*abc\r\n", E("invalid multibulk length")),
    TC("count empty", "*\r\n", E("invalid multibulk length")),
    TC("count leading zero", "*01\r\n", E("invalid multibulk length")),
    TC("count -0", "*-0\r\n", E("invalid multibulk length")),
    TC("count plus", "*+1\r\n", E("invalid multibulk length")),
    TC("count space", "* 1\r\n", E("invalid multibulk length")),
    TC("count trailing space", "*1 \r\n", E("invalid multibulk length")),
    TC("count minus only", "*-\r\n", E("invalid multibulk length")),
    TC("count overflow", "*9223372036854775808\r\n",
       E("invalid multibulk length")),
    TC("count underflow", "*-9223372036854775809\r\n",
       E("invalid multibulk length")),
    TC("count huge", "*99999999999999999999999\r\n",
       E("invalid multibulk length")),
    TC("count over max", "*1048577\r\n", E("invalid multibulk length")),
    TC("expected $ got f", "*1\r\nfoo\r\n", E("expected '$', got 'f'")),
    TC("expected $ got :", "*1\r\n:1\r\n", E("expected '$', got ':'")),
    TC("expected $ got CR", "*1\r\n\r\n", E("expected '$', got ' '")),
    TC("expected $ got LF", "*1\r\n\n\r\n", E("expected '$', got ' '")),
    TC("expected $ in 2nd arg", "*2\r\n$1\r\na\r\n*1\r\n",
       E("expected '$', got '*'")),
    TC("bulk len -1", "*1\r\n$-1\r\n", E("invalid bulk length")),
    TC("bulk len letters", "*1\r\n$abc\r\n", E("invalid bulk length")),
    TC("bulk len empty", "*1\r\n$\r\n", E("invalid bulk length")),
    TC("bulk len leading zero", "*1\r\n$03\r\n", E("invalid bulk length")),
    TC("bulk len space", "*1\r\n$ 3\r\n", E("invalid bulk length")),
    TC("bulk len overflow", "*1\r\n$9223372036854775808\r\n",
       E("invalid bulk length")),
    TC("bulk len over default max", "*1\r\n$536870913\r\n",
       E("invalid bulk length")),
    TC("error after good command", "PING\r\n*1\r\nx\r\n",
       "1[PING]\n" E("expected '$', got 'x'")),
    TC("error mid pipeline", "*1\r\n$1\r\na\r\n*x\r\n*1\r\n$1\r\nb\r\n",
       "1[a]\n" E("invalid multibulk length")),

    /* max_bulk_len. */
    TCB("bulk = max", "*1\r\n$10\r\n0123456789\r\n", "1[0123456789]\n", 10),
    TCB("bulk > max", "*1\r\n$11\r\n", E("invalid bulk length"), 10),
    TCB("bulk > max, 2nd arg", "*2\r\n$1\r\na\r\n$11\r\n",
        E("invalid bulk length"), 10),
    TCB("max 1, empty ok", "*1\r\n$0\r\n\r\n", "1[]\n", 1),

    /* Unauthenticated limits. */
    TCU("unauth count 10", "*10\r\n", "rest 5\n"),
    TCU("unauth count 11", "*11\r\n", E("unauthenticated multibulk length")),
    TC("auth count 11", "*11\r\n", "rest 5\n"),
    TCU("unauth count over max", "*1048577\r\n",
        E("invalid multibulk length")),
    TCU("unauth count bad", "*x\r\n", E("invalid multibulk length")),
    TCU("unauth count -5", "*-5\r\n", "0\n"),
    TCU("unauth bulk 16384", "*1\r\n$16384\r\n", "rest 12\n"),
    TCU("unauth bulk 16385", "*1\r\n$16385\r\n",
        E("unauthenticated bulk length")),
    TC("auth bulk 16385", "*1\r\n$16385\r\n", "rest 12\n"),
    TCU("unauth bulk -5", "*1\r\n$-5\r\n", E("invalid bulk length")),
    TCU("unauth small command", "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n",
        "2[AUTH][pw]\n"),
    {"unauth bulk over max first", "*1\r\n$20000\r\n", 12,
     E("invalid bulk length"), true, 100},

    /* Inline. */
    TC("inline crlf", "PING\r\n", "1[PING]\n"),
    TC("inline lf", "PING\n", "1[PING]\n"),
    TC("inline empty crlf", "\r\n", "0\n"),
    TC("inline empty lf", "\n", "0\n"),
    TC("inline blanks", " \t \r\n", "0\n"),
    TC("inline spacing", "  set  a   b \t\r\n", "3[set][a][b]\n"),
    TC("inline quotes", "set \"a b\" 'c d'\r\n", "3[set][a b][c d]\n"),
    TC("inline dq escapes",
       "echo \"\\n\\r\\t\\b\\a\\\\\\\"\\x41\\x4a\\xff\\xzz\\q\"\r\n",
       "2[echo][\\x0a\\x0d\\x09\\x08\\x07\\x5c\"AJ\\xffxzzq]\n"),
    TC("inline hex nul", "echo \"a\\x00b\"\n", "2[echo][a\\x00b]\n"),
    TC("inline hex lower upper", "\"\\xAb\\xcD\"\n", "1[\\xab\\xcd]\n"),
    TC("inline hex short", "echo \"\\x4\"\n", "2[echo][x4]\n"),
    TC("inline hex upper X", "\"\\X41\"\n", "1[X41]\n"),
    TC("inline escaped CR", "\"a\\\rb\"\n", "1[a\\x0db]\n"),
    TC("inline sq escapes", "echo 'it\\'s' 'a\\nb' 'x\\\\y' 'q\"'\n",
       "5[echo][it's][a\\x5cnb][x\\x5c\\x5cy][q\"]\n"),
    TC("inline dq with sq", "\"it's\"\n", "1[it's]\n"),
    TC("inline empty quotes", "echo \"\" '' x\n", "4[echo][][][x]\n"),
    TC("inline quote mid token", "a\"b c\" d\n", "2[ab c][d]\n"),
    TC("inline sq mid token", "a'b c'\n", "1[ab c]\n"),
    TC("inline quote then VT", "\"a\"\vb\n", "2[a][b]\n"),
    TC("inline quote then tab", "'a'\tb\n", "2[a][b]\n"),
    TC("inline VT inside token", "\va\vb\n", "1[a\\x0bb]\n"),
    TC("inline FF leading", "\f\fa\n", "1[a]\n"),
    TC("inline lone CR splits", "a\rb\n", "2[a][b]\n"),
    TC("inline CR CR LF", "a\r\r\n", "1[a]\n"),
    TC("inline backslash plain", "a\\nb\n", "1[a\\x5cnb]\n"),
    TC("inline dollar", "$3\r\n", "1[$3]\n"),
    TC("inline star after blank", " *1\r\n", "1[*1]\n"),
    TC("inline high bytes", "\xff\xfe \x80\n", "2[\\xff\\xfe][\\x80]\n"),
    TC("inline pipeline", "PING\nPING\r\n\nECHO x\n",
       "1[PING]\n1[PING]\n0\n2[ECHO][x]\n"),
    TC("inline partial", "PING\nECH", "1[PING]\nrest 3\n"),

    /* Inline errors. */
    TC("unterminated dq", "\"abc\n", E("unbalanced quotes in request")),
    TC("unterminated sq", "'abc\n", E("unbalanced quotes in request")),
    TC("dq then char", "\"a\"b\n", E("unbalanced quotes in request")),
    TC("sq then char", "'a'b\n", E("unbalanced quotes in request")),
    TC("dq then quote", "\"a\"\"b\"\n", E("unbalanced quotes in request")),
    TC("dq escaped close", "\"abc\\\"\n", E("unbalanced quotes in request")),
    TC("dq backslash at end", "\"abc\\\r\n",
       E("unbalanced quotes in request")),
    TC("sq escaped close", "'abc\\'\n", E("unbalanced quotes in request")),
    TC("mid token quote then char", "a\"b c\"d\n",
       E("unbalanced quotes in request")),
    TC("unbalanced after good", "PING\n\"x\n",
       "1[PING]\n" E("unbalanced quotes in request")),

    /* NUL before a line end hides it, as with Redis's strchr. */
    TC("inline NUL", "GET a\0b\r\n", "rest 9\n"),
    TC("count NUL", "*1\0\r\n$1\r\na\r\n", "rest 12\n"),
    TC("bulk len NUL", "*1\r\n$1\0\r\na\r\n", "rest 12\n"),
    TC("NUL after line", "PING\n\0", "1[PING]\nrest 1\n"),

    /* Mixed pipeline. */
    TC("mixed pipeline",
       "PING\r\n*1\r\n$4\r\nPING\r\n*0\r\n\nSET a b\n*2\r\n$0\r\n\r\n"
       "$2\r\n\0\n\r\nECHO \"x\"\r\n*-1\r\n",
       "1[PING]\n1[PING]\n0\n0\n3[SET][a][b]\n2[][\\x00\\x0a]\n"
       "2[ECHO][x]\n0\n"),
};

static void test_table(void)
{
    subtest("table at every split point");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const tcase_t *c = &cases[i];
        req_limits_t lim = {
            .max_bulk_len = c->max_bulk ? c->max_bulk : MAX_BULK_DEFAULT,
            .unauthenticated = c->unauth,
        };
        check_all_splits(c->name, c->msg, c->len, &lim, c->want);
    }
}

/* ------------------------------------------------------------------------ */
/* Long lines                                                               */
/* ------------------------------------------------------------------------ */

static char *make(const char *head, char fill, size_t n, const char *tail,
                  size_t *len)
{
    size_t h = strlen(head), t = strlen(tail);
    char *m = malloc(h + n + t + 1);
    memcpy(m, head, h);
    memset(m + h, fill, n);
    memcpy(m + h + n, tail, t + 1);
    *len = h + n + t;
    return m;
}

static void check_long(const char *name, const char *head, char fill,
                       size_t n, const char *tail, const char *want)
{
    req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
    size_t len;
    char *m = make(head, fill, n, tail, &len);
    check_some_splits(name, m, len, &lim, want);
    free(m);
}

static void test_long_lines(void)
{
    const size_t max = REQ_INLINE_MAX;
    subtest("too big lines");

    check_long("inline max, no LF", "", 'a', max, "", "rest 65536\n");
    check_long("inline max+1, no LF", "", 'a', max + 1, "",
               E("too big inline request"));
    check_long("inline after a command", "PING\n", 'a', max + 1, "",
               "1[PING]\n" E("too big inline request"));
    {
        /* A NUL hides the line end; the line then fails as too big. */
        size_t len;
        char *m = make("GET ", 'a', max - 4, "\n", &len);
        m[4] = '\0';
        req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
        check_some_splits("inline NUL then LF at max+1", m, len, &lim,
                          E("too big inline request"));
        free(m);
        m = make("GET ", 'a', max - 4, "", &len);
        m[4] = '\0';
        check_some_splits("inline NUL, max bytes", m, len, &lim,
                          "rest 65536\n");
        free(m);
        m = make("GET a", 'a', 10, "\n", &len);
        m[4] = '\0';
        check_some_splits("inline NUL, short line", m, len, &lim,
                          "rest 16\n");
        free(m);
    }
    check_long("count line max", "*", '1', max - 1, "", "rest 65536\n");
    check_long("count line max+1", "*", '1', max, "",
               E("too big mbulk count string"));
    check_long("count line long but complete", "*", '1', 40, "\r\n",
               E("invalid multibulk length"));
    check_long("bulk count line max", "*1\r\n$", '1', max - 1, "",
               "rest 65540\n");
    check_long("bulk count line max+1", "*1\r\n$", '1', max, "",
               E("too big bulk count string"));
    check_long("no $ and too big", "*1\r\n", 'x', max + 1, "",
               E("too big bulk count string"));
    check_long("expected $ on a long line", "*1\r\n", 'x', max - 1, "\r\n",
               E("expected '$', got 'x'"));

    /* The longest lines accepted, and the line lengths that fail. */
    {
        size_t len;
        char *m = make("", 'a', max, "\n", &len);
        req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
        req_parser_t p;
        req_parser_init(&p);
        is_int(req_parse(&p, m, len, &lim), REQ_DONE, "inline of max bytes");
        is_int(p.argc, 1, "one argument");
        is_int(p.argv[0].len, max, "of max bytes");
        req_parser_destroy(&p);
        free(m);

        m = make("", 'a', max - 1, "\r\n", &len);
        req_parser_init(&p);
        is_int(req_parse(&p, m, len, &lim), REQ_DONE,
               "inline of max-1 bytes + CRLF");
        is_int(p.argv[0].len, max - 1, "CR stripped");
        req_parser_destroy(&p);
        free(m);

        m = make("", 'a', max, "\r\n", &len);
        req_parser_init(&p);
        is_int(req_parse(&p, m, len, &lim), REQ_PROTO_ERROR,
               "inline of max bytes + CRLF is too big");
        req_parser_destroy(&p);
        free(m);

        m = make("*", '0', max - 2, "1\r\n$1\r\na\r\n", &len);
        req_parser_init(&p);
        is_int(req_parse(&p, m, len, &lim), REQ_PROTO_ERROR,
               "count line of max bytes is read");
        is_str(p.error, "Protocol error: invalid multibulk length",
               "and judged by its number");
        req_parser_destroy(&p);
        free(m);
    }
    {
        /* A long quoted inline argument, fed byte by byte. */
        size_t len;
        char *m = make("SET k \"", 'v', 60000, "\"\r\n", &len);
        str_t *want = str_new("3[SET][k][", 10);
        for (size_t i = 0; i < 60000; i++)
            want = str_cat(want, "v", 1);
        want = str_cat(want, "]\n", 2);
        req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
        check_some_splits("long quoted inline", m, len, &lim, want->buf);
        str_free(want);
        free(m);
    }
}

/* ------------------------------------------------------------------------ */
/* argv growth, shift, want, errors, reset                                  */
/* ------------------------------------------------------------------------ */

static void test_argv_growth(void)
{
    subtest("argv growth");
    req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
    str_t *m = str_new("*3000\r\n", 7);
    str_t *want = str_new("3000", 4);
    for (int i = 0; i < 3000; i++) {
        m = str_catfmt(m, "$%d\r\n%d\r\n", i < 10 ? 1 : i < 100 ? 2
                                          : i < 1000 ? 3 : 4, i);
        want = str_catfmt(want, "[%d]", i);
    }
    want = str_cat(want, "\n", 1);
    check_some_splits("3000 args", m->buf, m->len, &lim, want->buf);

    req_parser_t p;
    req_parser_init(&p);
    is_int(req_parse(&p, m->buf, m->len, &lim), REQ_DONE, "3000 args parsed");
    is_int(p.argc, 3000, "argc 3000");
    is_int(p.argv_cap, 3000, "argv grew to the count, no further");
    req_parser_reset(&p);
    ok(p.argv_cap <= 1024, "reset frees a big argv");
    req_parser_destroy(&p);
    str_free(m);
    str_free(want);

    m = str_new("*1048576\r\n", 10);
    for (int i = 0; i < 5; i++)
        m = str_cat(m, "$1\r\na\r\n", 7);
    req_parser_init(&p);
    is_int(req_parse(&p, m->buf, m->len, &lim), REQ_NEED_MORE,
           "huge count waits");
    is_int(p.argc, 5, "five args so far");
    ok(p.argv_cap <= 1024, "argv not sized to the count (%zu)", p.argv_cap);
    is_int(p.args_left, 1048576 - 5, "args_left counts down");
    req_parser_destroy(&p);
    str_free(m);

    char inl[] = "a b c d e f g h i j k l m n o p q r s t\n";
    req_parser_init(&p);
    is_int(req_parse(&p, inl, sizeof(inl) - 1, &lim), REQ_DONE,
           "inline with 20 args");
    is_int(p.argc, 20, "argc 20");
    ok(p.argv[19].off == 38 && p.argv[19].len == 1, "last arg slice");
    req_parser_destroy(&p);
}

static void test_shift(void)
{
    subtest("req_parser_shift");
    req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
    char m[] = "PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    size_t n = sizeof(m) - 1, part = 6 + 8 + 5 + 4 + 3 + 2;
    req_parser_t p;
    req_parser_init(&p);

    is_int(req_parser_cmd_start(&p), 0, "fresh: start 0");
    is_int(req_parse(&p, m, part, &lim), REQ_DONE, "PING");
    is_int(req_parser_cmd_start(&p), 0, "done: start is the command's");
    req_parser_reset(&p);
    is_int(req_parser_cmd_start(&p), 6, "after reset: start is pos");
    is_int(req_parse(&p, m, part, &lim), REQ_NEED_MORE, "SET partial");
    is_int(p.argc, 2, "two args read");
    is_int(req_parser_cmd_start(&p), 6, "mid command: its start");
    is_int(p.argv[0].off, 14, "SET at 14");
    is_int(p.argv[1].off, 23, "k at 23");

    req_parser_shift(&p, 2);
    is_int(req_parser_cmd_start(&p), 4, "shift 2: start 4");
    is_int(p.argv[0].off, 12, "SET at 12");
    is_int(p.argv[1].off, 21, "k at 21");
    is_int(p.pos, part - 4, "pos shifted");

    req_parser_shift(&p, 4);
    is_int(req_parser_cmd_start(&p), 0, "shift 4 more: start 0");
    is_int(p.argv[0].off, 8, "SET at 8");
    is_int(p.pos, part - 8, "pos shifted again");

    char *b = m + 6;
    is_int(req_parse(&p, b, n - 6, &lim), REQ_DONE, "SET complete");
    is_int(p.argc, 3, "argc 3");
    ok(memcmp(b + p.argv[0].off, "SET", 3) == 0 &&
           memcmp(b + p.argv[1].off, "k", 1) == 0 &&
           memcmp(b + p.argv[2].off, "v", 1) == 0,
       "slices point at SET k v");
    is_int(p.pos, n - 6, "pos at end");
    req_parser_reset(&p);
    req_parser_shift(&p, n - 6);
    is_int(p.pos, 0, "shift all after reset");
    is_int(req_parser_cmd_start(&p), 0, "start 0");
    is_int(req_parse(&p, b, 0, &lim), REQ_NEED_MORE, "empty buffer");
    req_parser_shift(&p, 0);
    is_int(p.pos, 0, "shift 0 is a no-op");
    req_parser_destroy(&p);

    /* An inline line half read, shifted, then completed. */
    char s[] = "PING\nECHO \"a b\"\n";
    req_parser_init(&p);
    is_int(req_parse(&p, s, 5, &lim), REQ_DONE, "PING inline");
    req_parser_reset(&p);
    is_int(req_parse(&p, s, 12, &lim), REQ_NEED_MORE, "ECHO partial");
    req_parser_shift(&p, 5);
    is_int(p.pos, 0, "pos at the line start");
    is_int(req_parse(&p, s + 5, sizeof(s) - 1 - 5, &lim), REQ_DONE,
           "ECHO done");
    ok(p.argc == 2 && p.argv[1].len == 3 &&
           memcmp(s + 5 + p.argv[1].off, "a b", 3) == 0,
       "ECHO 'a b' after shift");
    req_parser_destroy(&p);
}

static void test_want(void)
{
    subtest("req_parser_want");
    req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
    req_parser_t p;
    size_t big = 40000;
    str_t *m = str_new("PING\n*2\r\n$3\r\nSET\r\n", 18);
    m = str_catfmt(m, "$%zu\r\n", big);
    size_t head = m->len; /* 26 */
    m = str_grow_zero(m, head + big + 2);
    memcpy(m->buf + head + big, "\r\n", 2);

    req_parser_init(&p);
    is_int(req_parser_want(&p), 0, "fresh: 0");
    is_int(req_parse(&p, m->buf, 5, &lim), REQ_DONE, "PING");
    is_int(req_parser_want(&p), 0, "after a command: 0");
    req_parser_reset(&p);
    is_int(req_parse(&p, m->buf, head - 1, &lim), REQ_NEED_MORE,
           "length line incomplete");
    is_int(req_parser_want(&p), 0, "length unknown: 0");
    is_int(req_parse(&p, m->buf, head, &lim), REQ_NEED_MORE, "length read");
    is_int(req_parser_want(&p), head + big + 2, "want covers bulk + CRLF");
    is_int(req_parse(&p, m->buf, head + 100, &lim), REQ_NEED_MORE,
           "part of the bulk");
    is_int(req_parser_want(&p), head + big + 2, "want unchanged");
    req_parser_shift(&p, 5);
    is_int(req_parser_want(&p), head + big + 2 - 5, "want follows shift");
    is_int(req_parse(&p, m->buf + 5, head + big + 1 - 5, &lim), REQ_NEED_MORE,
           "one byte short");
    is_int(req_parse(&p, m->buf + 5, head + big + 2 - 5, &lim), REQ_DONE,
           "bulk complete");
    is_int(p.argv[1].len, big, "bulk length");
    is_int(req_parser_want(&p), 0, "done: 0");
    req_parser_destroy(&p);
    str_free(m);

    char small[] = "*1\r\n$32767\r\n";
    req_parser_init(&p);
    is_int(req_parse(&p, small, sizeof(small) - 1, &lim), REQ_NEED_MORE,
           "32767 read");
    is_int(req_parser_want(&p), 0, "below REQ_BIG_ARG: 0");
    req_parser_destroy(&p);

    char edge[] = "*1\r\n$32768\r\n";
    req_parser_init(&p);
    is_int(req_parse(&p, edge, sizeof(edge) - 1, &lim), REQ_NEED_MORE,
           "32768 read");
    is_int(req_parser_want(&p), 12 + 32768 + 2, "at REQ_BIG_ARG: wanted");
    req_parser_destroy(&p);

    char inl[] = "GET aaaaaaaa";
    req_parser_init(&p);
    is_int(req_parse(&p, inl, sizeof(inl) - 1, &lim), REQ_NEED_MORE,
           "inline partial");
    is_int(req_parser_want(&p), 0, "inline: 0");
    req_parser_destroy(&p);
}

static void test_errors_sticky(void)
{
    subtest("errors are sticky");
    req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
    char m[] = "*1\r\nx\r\n*1\r\n$1\r\na\r\n";
    req_parser_t p;
    req_parser_init(&p);
    is_int(req_parse(&p, m, sizeof(m) - 1, &lim), REQ_PROTO_ERROR, "error");
    is_str(p.error, "Protocol error: expected '$', got 'x'", "text");
    is_int(req_parse(&p, m, sizeof(m) - 1, &lim), REQ_PROTO_ERROR, "again");
    is_str(p.error, "Protocol error: expected '$', got 'x'", "same text");
    is_int(req_parser_want(&p), 0, "want 0 after error");
    req_parser_destroy(&p);

    /* Each char, printable or not, appears in the text (CR/LF as space). */
    int bad = 0;
    for (int c = 1; c < 256; c++) {
        char buf[16] = "*1\r\n";
        size_t n = 4;
        if (c == '$' || c == '\r')
            continue;
        buf[n++] = (char)c;
        buf[n++] = '\r';
        buf[n++] = '\n';
        req_parser_init(&p);
        char want[64];
        snprintf(want, sizeof(want), "Protocol error: expected '$', got '%c'",
                 c == '\n' ? ' ' : c);
        if (req_parse(&p, buf, n, &lim) != REQ_PROTO_ERROR ||
            strcmp(p.error, want) != 0)
            bad = c;
        req_parser_destroy(&p);
    }
    is_int(bad, 0, "expected '$' text for every byte");
}

static void test_reuse(void)
{
    subtest("parser reuse and in-place unescaping");
    req_limits_t lim = {.max_bulk_len = MAX_BULK_DEFAULT};
    char m[] = "SET \"k\\x41\" 'v w'\n*1\r\n$2\r\nok\r\n";
    req_parser_t p;
    req_parser_init(&p);
    is_int(req_parse(&p, m, sizeof(m) - 1, &lim), REQ_DONE, "inline");
    is_int(p.argc, 3, "argc 3");
    ok(p.argv[1].off == 4 && p.argv[1].len == 2 &&
           memcmp(m + 4, "kA", 2) == 0,
       "unescaped over its own source");
    ok(p.argv[2].off == 12 && p.argv[2].len == 3 &&
           memcmp(m + 12, "v w", 3) == 0,
       "single-quoted in place");
    is_int(p.pos, 18, "pos past the line");
    req_parser_reset(&p);
    is_int(p.argc, 0, "reset clears argc");
    is_int(req_parse(&p, m, sizeof(m) - 1, &lim), REQ_DONE, "multibulk");
    ok(p.argc == 1 && memcmp(m + p.argv[0].off, "ok", 2) == 0, "ok");
    req_parser_reset(&p);
    is_int(req_parse(&p, m, sizeof(m) - 1, &lim), REQ_NEED_MORE,
           "nothing left");
    is_int(p.kind, REQ_KIND_NONE, "no command started");
    req_parser_destroy(&p);
    req_parser_destroy(&p);
    ok(p.argv == NULL, "destroy twice is safe");
}

int main(void)
{
    test_table();
    test_long_lines();
    test_argv_growth();
    test_shift();
    test_want();
    test_errors_sticky();
    test_reuse();
    return done_testing();
}
