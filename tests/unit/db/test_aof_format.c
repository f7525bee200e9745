/*
 * Unit tests for db/aof_format: the command-file reader gives the same
 * items whatever the source's read sizes (every split point, 1-byte
 * reads); every truncation point reports a truncated tail with the offset
 * of the last complete item; malformed input is refused with the offset
 * and redis-check-aof's message; absurd lengths allocate nothing ahead of
 * the data; annotations and their timestamps; the keyspace writer emits
 * Redis 7.0.15's bytes for known keys and round-trips every type and
 * encoding through the reader; the manifest parser accepts what Redis
 * writes and refuses what Redis refuses, with its messages and lines.
 */
#include <config.h>
#include "db/aof_format.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/strconv.h"
#include "db/t_hash.h"
#include "db/t_list.h"
#include "db/t_set.h"
#include "db/t_zset.h"
#include "tap.h"

#define NDBS 16
/* Where a literal (NULs included) occurs in a str_t, or NULL. */
#define HAS(s, lit) ((const char *)memmem((s)->buf, (s)->len, lit, sizeof(lit) - 1))

static void defaults(void)
{
    db_env_set_defaults();
    db_env.now_ms = 1700000000000LL;
}

/* ---- sources and sinks ------------------------------------------------------ */

/* A memory source that hands out at most chunk bytes per read, or first
 * bytes on the first read and the rest after (split points). */
typedef struct src {
    const char *p;
    size_t n, at;
    size_t chunk;
    size_t first; /* 0: not used. */
    int fail_at;  /* Fail with -EIO once this many bytes were read (-1: never). */
} src_t;

static long src_read(void *ctx, void *buf, size_t cap)
{
    src_t *s = ctx;
    if (s->fail_at >= 0 && s->at >= (size_t)s->fail_at)
        return -EIO;
    size_t k = s->n - s->at;
    size_t lim = s->chunk;
    if (s->first > 0)
        lim = s->at < s->first ? s->first - s->at : s->n;
    if (k > lim)
        k = lim;
    if (k > cap)
        k = cap;
    memcpy(buf, s->p + s->at, k);
    s->at += k;
    return (long)k;
}

static src_t src_mem(const char *p, size_t n, size_t chunk)
{
    src_t s = {p, n, 0, chunk, 0, -1};
    return s;
}

static int str_sink(void *ctx, const void *p, size_t n)
{
    str_t **s = ctx;
    *s = str_cat(*s, p, n);
    return 0;
}

static int failing_sink(void *ctx, const void *p, size_t n)
{
    UNUSED(p);
    size_t *left = ctx;
    if (n > *left)
        return -ENOSPC;
    *left -= n;
    return 0;
}

/* ---- reading everything as text ---------------------------------------------- */

/* Every item of a stream as one line each ("C argc a|b|c", "A text"), then
 * the final state; offsets of complete items are checked on the way. */
static str_t *read_all(src_t *s, aof_reader_t *r)
{
    str_t *out = str_new_cap(256);
    int rc;
    while ((rc = aof_reader_next(r)) == AOF_ITEM_COMMAND || rc == AOF_ITEM_ANNOTATION) {
        if (rc == AOF_ITEM_ANNOTATION) {
            out = str_cat_cstr(out, "A ");
            out = str_cat(out, r->annotation, r->annotation_len);
        } else {
            out = str_catfmt(out, "C %d", r->argc);
            for (int i = 0; i < r->argc; i++) {
                out = str_cat(out, i == 0 ? " " : "|", 1);
                out = str_cat(out, r->argv[i].p, r->argv[i].n);
                if (r->argv[i].p[r->argv[i].n] != '\0')
                    out = str_cat_cstr(out, "<no NUL>");
            }
        }
        out = str_catfmt(out, " @%llu\n", (unsigned long long)r->offset);
    }
    UNUSED(s);
    return str_catfmt(out, "= %d", rc);
}

static str_t *parse_with(const char *p, size_t n, size_t chunk, size_t first)
{
    src_t s = src_mem(p, n, chunk);
    s.first = first;
    aof_reader_t r;
    aof_reader_init(&r, src_read, &s);
    str_t *out = read_all(&s, &r);
    aof_reader_destroy(&r);
    return out;
}

/* A command in RESP. */
static str_t *cmd(str_t *s, int argc, const char **argv)
{
    s = str_catfmt(s, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        s = str_catfmt(s, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    return s;
}

static str_t *sample_stream(void)
{
    str_t *s = str_new_cap(512);
    s = str_cat_cstr(s, "#TS:1700000000\r\n");
    s = cmd(s, 2, (const char *[]){"SELECT", "0"});
    s = cmd(s, 3, (const char *[]){"set", "key", "value"});
    s = str_cat(s, "*3\r\n$3\r\nSET\r\n$3\r\nbin\r\n$7\r\na\r\nb\0c\n\r\n", 35);
    s = str_cat_cstr(s, "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
    s = str_cat_cstr(s, "#TS:1700000001\r\n");
    s = cmd(s, 1, (const char *[]){"MULTI"});
    s = cmd(s, 3, (const char *[]){"INCRBY", "counter", "-12"});
    s = cmd(s, 1, (const char *[]){"EXEC"});
    return s;
}

static void test_valid_stream(void)
{
    str_t *s = sample_stream();
    str_t *want = parse_with(s->buf, s->len, 1 << 20, 0);
    ok(HAS(want, "A TS:1700000000\r @16\n") == want->buf,
       "annotation first");
    ok(HAS(want, "C 3 SET|bin|a\r\nb\0c\n @") != NULL,
       "binary argument kept");
    ok(HAS(want, "C 2 ECHO| @") != NULL, "empty argument");
    ok(HAS(want, "C 3 INCRBY|counter|-12") != NULL, "last commands");
    char end[32];
    int en = snprintf(end, sizeof(end), "@%u\n= 0", s->len);
    ok(want->len > (size_t)en && memcmp(want->buf + want->len - en, end, (size_t)en) == 0,
       "ends with END at the file size");
    str_t *bytewise = parse_with(s->buf, s->len, 1, 0);
    is_mem(bytewise->buf, bytewise->len, want->buf, want->len, "1-byte reads give the same items");
    int bad = 0;
    for (size_t k = 1; k < s->len; k++) {
        str_t *got = parse_with(s->buf, s->len, 1 << 20, k);
        if ((got->len != want->len || memcmp(got->buf, want->buf, want->len) != 0) && bad++ == 0)
            diag("split at %zu differs", k);
        str_free(got);
    }
    is_int(bad, 0, "every split point gives the same items");
    str_free(bytewise);
    str_free(want);
    str_free(s);
}

/* Item starts and ends of the sample stream, and which are annotations. */
static size_t items_of(const str_t *s, uint64_t *starts, uint64_t *ends, bool *ann, size_t max)
{
    src_t src = src_mem(s->buf, s->len, 7);
    aof_reader_t r;
    aof_reader_init(&r, src_read, &src);
    size_t n = 0;
    int rc;
    while (n < max && (rc = aof_reader_next(&r)) > 0 && r.state == 0) {
        starts[n] = r.item_offset;
        ends[n] = r.offset;
        ann[n++] = rc == AOF_ITEM_ANNOTATION;
    }
    aof_reader_destroy(&r);
    return n;
}

/* Reads the first cut bytes of s: items until the final state. */
static int read_cut(const str_t *s, size_t cut, size_t *items, aof_reader_t *r)
{
    src_t src = src_mem(s->buf, cut, 3);
    aof_reader_init(r, src_read, &src);
    int rc;
    *items = 0;
    while ((rc = aof_reader_next(r)) == AOF_ITEM_COMMAND || rc == AOF_ITEM_ANNOTATION)
        ++*items;
    int again = aof_reader_next(r);
    return again == rc ? rc : -1000;
}

static void test_truncation(void)
{
    str_t *s = sample_stream();
    uint64_t starts[32], ends[32];
    bool ann[32];
    size_t nitems = items_of(s, starts, ends, ann, 32);
    ok(nitems == 9 && ann[0] && ann[5], "nine items, two annotations");
    int bad = 0;
    for (size_t cut = 0; cut <= s->len; cut++) {
        /* The item the cut falls in (or after), and what should come out. */
        size_t whole = 0;
        while (whole < nitems && ends[whole] <= cut)
            whole++;
        uint64_t ok_to = whole > 0 ? ends[whole - 1] : 0;
        int want = cut == ok_to ? AOF_ITEM_END : AOF_ITEM_TRUNCATED;
        aof_reader_t r;
        size_t items;
        int rc = read_cut(s, cut, &items, &r);
        bool good = rc == want && items == whole && r.offset == ok_to &&
                    (want == AOF_ITEM_END || r.err_in_annotation == ann[whole]);
        if (!good && bad++ < 3)
            diag("cut %zu: rc %d offset %llu items %zu in_ann %d", cut, rc,
                 (unsigned long long)r.offset, items, r.err_in_annotation);
        aof_reader_destroy(&r);
    }
    is_int(bad, 0, "every cut gives END at item ends, else TRUNCATED at the last item end");
    UNUSED(starts);
    str_free(s);
}

/* The final state of one input read whole. */
typedef struct outcome {
    int rc;
    uint64_t offset, err_offset, line;
    char msg[160];
    bool at_start;
} outcome_t;

static outcome_t run(const char *p, size_t n)
{
    src_t s = src_mem(p, n, 5);
    aof_reader_t r;
    aof_reader_init(&r, src_read, &s);
    int rc;
    while ((rc = aof_reader_next(&r)) == AOF_ITEM_COMMAND || rc == AOF_ITEM_ANNOTATION)
        continue;
    outcome_t o = {rc, r.offset, r.err_offset, r.line, "", r.err_at_start};
    snprintf(o.msg, sizeof(o.msg), "%s", r.err_msg);
    aof_reader_destroy(&r);
    return o;
}

#define SET_A "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n" /* 27 bytes, 7 lines. */

static void expect(const char *in, size_t n, int rc, uint64_t offset, uint64_t err_offset,
                   uint64_t line, const char *msg, const char *what)
{
    outcome_t o = run(in, n);
    bool good = o.rc == rc && o.offset == offset && o.line == line && strcmp(o.msg, msg) == 0 &&
                (rc == AOF_ITEM_END || o.err_offset == err_offset);
    ok(good, "%s", what);
    if (!good)
        diag("rc %d offset %llu err_offset %llu line %llu msg '%s'", o.rc,
             (unsigned long long)o.offset, (unsigned long long)o.err_offset,
             (unsigned long long)o.line, o.msg);
}

#define E(s) s, sizeof(s) - 1

static void test_malformed(void)
{
    expect(E(SET_A), AOF_ITEM_END, 27, 0, 8, "", "a valid command: 7 lines");
    expect(E(SET_A "xyz\r\n"), AOF_ITEM_BAD, 27, 27, 8, "Expected prefix '*', got: 'x'",
           "garbage between commands");
    ok(run(E(SET_A "xyz")).at_start, "... flagged as a bad start");
    expect(E(SET_A "*2\r\n$3\r\nGET\r\n%1\r\na\r\n"), AOF_ITEM_BAD, 27, 40, 11,
           "Expected prefix '$', got: '%'", "wrong argument prefix");
    expect(E(SET_A "*2\r\n$3\r\nGETxx$1\r\na\r\n"), AOF_ITEM_BAD, 27, 35, 10,
           "Expected \\r\\n, got: 7878", "argument without CRLF");
    expect(E(SET_A "*2\r\n$3\r\nGET\xff\xfe"), AOF_ITEM_BAD, 27, 35, 10,
           "Expected \\r\\n, got: fffffffffffffffe", "bytes shown as redis-check-aof shows them");
    expect(E(SET_A "*2\r\n$-3\r\nGET\r\n"), AOF_ITEM_BAD, 27, 31, 10,
           "Expected to read string of -3 bytes, which is not in the suitable range",
           "negative length");
    expect(E(SET_A "*0\r\n"), AOF_ITEM_BAD, 27, 27, 9, "Invalid multibulk length 0",
           "zero arguments");
    expect(E("*-1\r\n"), AOF_ITEM_BAD, 0, 0, 2, "Invalid multibulk length -1",
           "negative count");
    expect(E("*2147483648\r\n"), AOF_ITEM_BAD, 0, 0, 2, "Invalid multibulk length 2147483648",
           "count beyond INT_MAX");
    expect(E("*1x\r\n"), AOF_ITEM_BAD, 0, 0, 1, "Expected \\r\\n, got: 780d", "junk after count");
    expect(E("*1\n$1\r\na\r\n"), AOF_ITEM_BAD, 0, 0, 1, "Expected \\r\\n, got: 0a00",
           "bare LF");
    expect(E("* 1\r\n$+1\r\na\r\n"), AOF_ITEM_END, 13, 0, 4, "", "strtol's spaces and signs");
    expect(E("*1\r\n$600000000\r\n"), AOF_ITEM_BAD, 0, 4, 3,
           "Expected to read string of 600000000 bytes, which is not in the suitable range",
           "a bulk beyond 512 MB");
    /* Truncations keep redis-check-aof's wording (empty at a line start). */
    expect(E(SET_A "*2\r\n"), AOF_ITEM_TRUNCATED, 27, 31, 9, "", "cut at a line start");
    expect(E(SET_A "*2\r"), AOF_ITEM_TRUNCATED, 27, 27, 8, "Expected \\r\\n, got: 0d00",
           "cut inside a header");
    expect(E(SET_A "*2\r\n$6\r\nSEL"), AOF_ITEM_TRUNCATED, 27, 35, 10,
           "Expected to read 8 bytes, got 3 bytes", "cut inside an argument");
    expect(E(SET_A "#TS:1"), AOF_ITEM_TRUNCATED, 27, 27, 8, "", "cut inside an annotation");
    char longann[1200];
    memset(longann, 'x', sizeof(longann));
    longann[0] = '#';
    longann[sizeof(longann) - 1] = '\n';
    expect(longann, sizeof(longann), AOF_ITEM_BAD, 0, 0, 1,
           "Annotation line longer than 1022 bytes", "annotation too long");
    char longhdr[200];
    memset(longhdr, '1', sizeof(longhdr));
    longhdr[0] = '*';
    outcome_t o = run(longhdr, sizeof(longhdr));
    ok(o.rc == AOF_ITEM_BAD, "a header line over 127 bytes is bad");
}

static void test_limits_and_errors(void)
{
    /* A count and a length announcing gigabytes allocate only what came. */
    const char *in = "*2000000000\r\n$1\r\na\r\n$400000000\r\nabc";
    src_t s = src_mem(in, strlen(in), 1 << 20);
    aof_reader_t r;
    aof_reader_init(&r, src_read, &s);
    size_t before = alloc_used();
    int rc = aof_reader_next(&r);
    ok(rc == AOF_ITEM_TRUNCATED && alloc_used() - before < 4096,
       "huge announced sizes allocate nothing ahead (rc %d, %zu bytes)", rc,
       alloc_used() - before);
    is_str(r.err_msg, "Expected to read 400000002 bytes, got 3 bytes", "truncated bulk message");
    aof_reader_destroy(&r);
    /* A lower max_bulk. */
    s = src_mem(E("*1\r\n$11\r\nhello world\r\n"), 1);
    aof_reader_init(&r, src_read, &s);
    r.max_bulk = 10;
    ok(aof_reader_next(&r) == AOF_ITEM_BAD, "max_bulk applies");
    aof_reader_destroy(&r);
    /* Read errors are final and returned as the source's errno. */
    s = src_mem(E(SET_A SET_A), 4);
    s.fail_at = 30;
    aof_reader_init(&r, src_read, &s);
    ok(aof_reader_next(&r) == AOF_ITEM_COMMAND, "first command before the error");
    ok(aof_reader_next(&r) == -EIO && aof_reader_next(&r) == -EIO && r.offset == 27,
       "read error returned, final, offset kept");
    aof_reader_destroy(&r);
    /* A big argument arrives intact, and its storage is released after. */
    size_t big = 5 * 1024 * 1024;
    str_t *b = str_fmt("*2\r\n$3\r\nSET\r\n$%zu\r\n", big);
    b = str_grow_zero(b, b->len + big);
    b = str_cat(b, "\r\n" SET_A, 29);
    s = src_mem(b->buf, b->len, 65536);
    aof_reader_init(&r, src_read, &s);
    ok(aof_reader_next(&r) == AOF_ITEM_COMMAND && r.argc == 2 && r.argv[1].n == big,
       "a 5 MB argument");
    ok(aof_reader_next(&r) == AOF_ITEM_COMMAND && r.data_cap <= 4096, "storage shrinks after");
    aof_reader_destroy(&r);
    str_free(b);
}

static void test_offsets_and_preload(void)
{
    /* A reader that starts where an RDB preamble ended. */
    const char *tail = SET_A "*1\r\n$4\r\nPING\r\n";
    src_t s = src_mem(tail + 10, strlen(tail) - 10, 3);
    aof_reader_t r;
    aof_reader_init(&r, src_read, &s);
    r.offset = 1000;
    r.line = 50;
    aof_reader_preload(&r, tail, 10);
    ok(aof_reader_next(&r) == AOF_ITEM_COMMAND && r.item_offset == 1000 && r.offset == 1027,
       "preloaded bytes come first, offsets from the start offset");
    ok(r.first_arg_offset == 1008 && r.last_arg_offset == 1024, "argument offsets (%llu, %llu)",
       (unsigned long long)r.first_arg_offset, (unsigned long long)r.last_arg_offset);
    ok(aof_reader_next(&r) == AOF_ITEM_COMMAND && strcmp(r.argv[0].p, "PING") == 0 &&
           r.first_arg_offset == 1035 && r.last_arg_offset == 1035,
       "second command");
    ok(aof_reader_next(&r) == AOF_ITEM_END && r.line == 60, "line count runs on (%llu)",
       (unsigned long long)r.line);
    aof_reader_destroy(&r);
}

static void test_timestamps(void)
{
    long long ts = -1;
    ok(aof_annotation_timestamp(E("TS:1700000000\r"), &ts) == 0 && ts == 1700000000,
       "TS annotation");
    ok(aof_annotation_timestamp(E("TS:-5\r"), &ts) == 0 && ts == -5, "negative, as strtol");
    ok(aof_annotation_timestamp(E("TS:\r"), &ts) == 0 && ts == 0, "no digits read as 0");
    ok(aof_annotation_timestamp(E("TS:12"), &ts) == -EINVAL, "no CR");
    ok(aof_annotation_timestamp(E("TS:12x\r"), &ts) == -EINVAL, "junk");
    ok(aof_annotation_timestamp(E("TS:99999999999999999999\r"), &ts) == -EINVAL, "overflow");
    ok(aof_annotation_timestamp(E("XX:12\r"), &ts) == -ENOENT, "other annotation");
    char buf[AOF_TS_BUF];
    size_t n = aof_format_timestamp(buf, 1700000000);
    is_str(buf, "#TS:1700000000\r\n", "formatted annotation");
    is_int(n, 16, "its length");
}

/* ---- writer ---------------------------------------------------------------------- */

static void put(db_t *db, const char *key, obj_t *o, int64_t expire)
{
    db_add(db, key_ref(key, strlen(key)), o);
    if (expire != -1)
        db_set_expire(db, key_ref(key, strlen(key)), expire);
}

static str_t *write_one(const char *key, obj_t *o, int64_t expire)
{
    str_t *out = str_new_cap(64);
    aof_writer_t w;
    aof_writer_init(&w, str_sink, &out);
    int rc = aof_write_key(&w, key, strlen(key), o, expire);
    INSIST(rc == 0);
    aof_writer_destroy(&w);
    obj_decref(o);
    return out;
}

static void test_exact_bytes(void)
{
    str_t *s = write_one("s1", obj_new_string("hello", 5), -1);
    is_str(s->buf, "*3\r\n$3\r\nSET\r\n$2\r\ns1\r\n$5\r\nhello\r\n", "SET");
    str_free(s);
    s = write_one("ttl1", obj_new_string("x", 1), 1795745216364LL);
    is_str(s->buf, "*3\r\n$3\r\nSET\r\n$4\r\nttl1\r\n$1\r\nx\r\n*3\r\n$9\r\nPEXPIREAT\r\n$4\r\nttl1"
                   "\r\n$13\r\n1795745216364\r\n",
           "SET and PEXPIREAT");
    str_free(s);
    s = write_one("sint", obj_new_string("12345", 5), -1);
    is_str(s->buf, "*3\r\n$3\r\nSET\r\n$4\r\nsint\r\n$5\r\n12345\r\n", "integer string");
    str_free(s);
    /* The reference's rewrite of ZADD z1 a 1 b 2.5 c -3 d inf e 0.1 f 1e20 g 0. */
    obj_t *z = tzset_new_listpack();
    const char *m = "abcdefg";
    double sc[] = {1, 2.5, -3, INFINITY, 0.1, 1e20, 0};
    for (int i = 0; i < 7; i++)
        (void)tzset_add(z, sc[i], m + i, 1, 0, NULL);
    s = write_one("z1", z, -1);
    is_str(s->buf, "*16\r\n$4\r\nZADD\r\n$2\r\nz1\r\n$2\r\n-3\r\n$1\r\nc\r\n$1\r\n0\r\n$1\r\ng\r\n"
                   "$19\r\n0.10000000000000001\r\n$1\r\ne\r\n$1\r\n1\r\n$1\r\na\r\n$3\r\n2.5\r\n"
                   "$1\r\nb\r\n$5\r\n1e+20\r\n$1\r\nf\r\n$3\r\ninf\r\n$1\r\nd\r\n",
           "ZADD as the reference writes it");
    str_free(s);
    obj_t *h = thash_new();
    (void)thash_set(h, "f1", 2, "v1", 2);
    (void)thash_set(h, "f2", 2, "2", 1);
    s = write_one("h1", h, -1);
    is_str(s->buf, "*6\r\n$5\r\nHMSET\r\n$2\r\nh1\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$1\r\n2\r\n",
           "HMSET");
    str_free(s);
    obj_t *set = tset_new_intset();
    for (int i = 9; i >= 0; i--) {
        char b[4];
        (void)tset_add(set, b, (size_t)snprintf(b, sizeof(b), "%d", i));
    }
    s = write_one("si", set, -1);
    is_str(s->buf, "*12\r\n$4\r\nSADD\r\n$2\r\nsi\r\n$1\r\n0\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
                   "$1\r\n4\r\n$1\r\n5\r\n$1\r\n6\r\n$1\r\n7\r\n$1\r\n8\r\n$1\r\n9\r\n",
           "SADD of an intset, ascending");
    str_free(s);
}

static void test_batches(void)
{
    obj_t *l = tlist_new();
    for (int i = 0; i < 150; i++) {
        char b[8];
        tlist_push(l, b, (size_t)snprintf(b, sizeof(b), "v%d", i), TLIST_TAIL);
    }
    str_t *s = write_one("lbig", l, -1);
    src_t src = src_mem(s->buf, s->len, 1 << 20);
    aof_reader_t r;
    aof_reader_init(&r, src_read, &src);
    int counts[4] = {0}, n = 0;
    while (n < 4 && aof_reader_next(&r) == AOF_ITEM_COMMAND)
        counts[n++] = r.argc;
    ok(n == 3 && counts[0] == 66 && counts[1] == 66 && counts[2] == 24,
       "150 elements: RPUSH of 64, 64 and 22 (%d %d %d)", counts[0], counts[1], counts[2]);
    aof_reader_destroy(&r);
    ok(strncmp(s->buf, "*66\r\n$5\r\nRPUSH\r\n$4\r\nlbig\r\n$2\r\nv0\r\n", 34) == 0, "RPUSH bytes");
    str_free(s);
}

/* Fills a database with every type and encoding. */
static void fill(db_t *db)
{
    char v[128];
    put(db, "str", obj_new_string("hello", 5), -1);
    put(db, "int", obj_new_string("-123456", 7), 4102444800000LL);
    put(db, "empty", obj_new_string("", 0), -1);
    char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (char)i;
    put(db, "bin\r\nkey", obj_new_string(bin, sizeof(bin)), -1);
    obj_t *l = tlist_new();
    for (int i = 0; i < 5; i++)
        tlist_push(l, v, (size_t)snprintf(v, sizeof(v), "%d", i - 2), TLIST_TAIL);
    put(db, "list-small", l, -1);
    l = tlist_new_with(-2, 1);
    for (int i = 0; i < 3000; i++)
        tlist_push(l, v, (size_t)snprintf(v, sizeof(v), "element %d", i % 100), TLIST_TAIL);
    put(db, "list-compressed", l, 4102444800001LL);
    obj_t *s = tset_new_intset();
    for (int i = -5; i < 300; i += 3)
        (void)tset_add(s, v, (size_t)snprintf(v, sizeof(v), "%d", i * 100000));
    put(db, "set-intset", s, -1);
    s = tset_new_intset();
    for (int i = 0; i < 700; i++)
        (void)tset_add(s, v, (size_t)snprintf(v, sizeof(v), "m%d", i));
    put(db, "set-ht", s, -1);
    obj_t *z = tzset_new_listpack();
    (void)tzset_add(z, 1.5, "a", 1, 0, NULL);
    (void)tzset_add(z, -INFINITY, "b", 1, 0, NULL);
    (void)tzset_add(z, INFINITY, "c", 1, 0, NULL);
    (void)tzset_add(z, 0.1, "7", 1, 0, NULL);
    put(db, "zset-lp", z, -1);
    z = tzset_new_skiplist(0);
    for (int i = 0; i < 500; i++)
        (void)tzset_add(z, i / 3.0 - 3, v, (size_t)snprintf(v, sizeof(v), "member-%d", i), 0,
                        NULL);
    put(db, "zset-skiplist", z, -1);
    obj_t *h = thash_new();
    (void)thash_set(h, "a", 1, "1", 1);
    (void)thash_set(h, "b", 1, "-20", 3);
    put(db, "hash-lp", h, -1);
    h = thash_new();
    for (int i = 0; i < 1000; i++) {
        char f[32];
        snprintf(f, sizeof(f), "field-%d", i);
        (void)thash_set(h, f, strlen(f), v, (size_t)snprintf(v, sizeof(v), "%d", i * 7));
    }
    put(db, "hash-ht", h, -1);
}

/* Replays what the writer emits, building values as the commands would. */
static void apply(db_t *dbs, int *cur, const aof_reader_t *r)
{
    const aof_arg_t *a = r->argv;
    long long n;
    if (strcasecmp(a[0].p, "SELECT") == 0) {
        INSIST(strconv_to_ll(a[1].p, a[1].n, &n) == 0);
        *cur = (int)n;
        return;
    }
    db_t *db = &dbs[*cur];
    key_ref_t k = key_ref(a[1].p, a[1].n);
    if (strcasecmp(a[0].p, "PEXPIREAT") == 0) {
        INSIST(strconv_to_ll(a[2].p, a[2].n, &n) == 0);
        db_set_expire(db, k, n);
        return;
    }
    if (strcasecmp(a[0].p, "SET") == 0) {
        db_set(db, k, obj_new_string(a[2].p, a[2].n), false);
        return;
    }
    obj_t *o = db_lookup_write(db, k);
    bool fresh = o == NULL;
    if (strcasecmp(a[0].p, "RPUSH") == 0) {
        o = fresh ? tlist_new() : o;
        for (int i = 2; i < r->argc; i++)
            tlist_push(o, a[i].p, a[i].n, TLIST_TAIL);
    } else if (strcasecmp(a[0].p, "SADD") == 0) {
        o = fresh ? tset_new(a[2].p, a[2].n) : o;
        for (int i = 2; i < r->argc; i++)
            (void)tset_add(o, a[i].p, a[i].n);
    } else if (strcasecmp(a[0].p, "ZADD") == 0) {
        o = fresh ? tzset_new(a[3].n) : o;
        for (int i = 2; i + 1 < r->argc; i += 2) {
            double d;
            INSIST(strconv_to_double(a[i].p, a[i].n, &d) == 0);
            (void)tzset_add(o, d, a[i + 1].p, a[i + 1].n, 0, NULL);
        }
    } else {
        INSIST(strcasecmp(a[0].p, "HMSET") == 0);
        o = fresh ? thash_new() : o;
        for (int i = 2; i + 1 < r->argc; i += 2)
            (void)thash_set(o, a[i].p, a[i].n, a[i + 1].p, a[i + 1].n);
    }
    if (fresh)
        db_add(db, k, o);
}

static int cmp_str(const void *x, const void *y)
{
    const str_t *a = *(str_t *const *)x, *b = *(str_t *const *)y;
    return bytes_cmp(a->buf, a->len, b->buf, b->len);
}

/* A value's content as sorted (sets, hashes) or ordered text lines. */
static str_t *canon_value(str_t *out, obj_t *o)
{
    str_t **v = NULL;
    size_t n = 0;
    char buf[STRCONV_BUF];
#define PUSH(s) (v = realloc(v, (n + 1) * sizeof(*v)), v[n++] = (s))
    if (o->type == OBJ_STRING) {
        size_t len;
        const char *p = obj_string_bytes(o, buf, &len);
        PUSH(str_new(p, len));
    } else if (o->type == OBJ_LIST) {
        tlist_iter_t it;
        tlist_ent_t e;
        tlist_iter_init(&it, o, 0, true);
        while (tlist_iter_next(&it, &e)) {
            size_t len;
            const char *p = tlist_ent_bytes(&e, buf, &len);
            PUSH(str_new(p, len));
        }
        tlist_iter_destroy(&it);
    } else if (o->type == OBJ_SET) {
        tset_iter_t it;
        tset_member_t m;
        tset_iter_init(&it, o);
        while (tset_iter_next(&it, &m))
            PUSH(str_new(m.p, m.n));
        tset_iter_destroy(&it);
    } else if (o->type == OBJ_ZSET) {
        tzset_iter_t it;
        tzset_elem_t e;
        tzset_iter_init(&it, o, false);
        while (tzset_iter_next(&it, &e))
            PUSH(str_catfmt(str_new(e.p, e.n), "=%.17g", e.score));
    } else {
        thash_iter_t it;
        thash_str_t f, val;
        thash_iter_init(&it, o);
        while (thash_iter_next(&it, &f, &val))
            PUSH(str_cat(str_cat(str_new(f.p, f.n), "=", 1), val.p, val.n));
        thash_iter_destroy(&it);
    }
#undef PUSH
    if (n > 1 && (o->type == OBJ_SET || o->type == OBJ_HASH))
        qsort(v, n, sizeof(*v), cmp_str);
    out = str_catfmt(out, " %s/%s", obj_type_name(o->type), obj_encoding_name(o->encoding));
    for (size_t i = 0; i < n; i++) {
        out = str_cat(str_cat(out, " ", 1), v[i]->buf, v[i]->len);
        str_free(v[i]);
    }
    free(v);
    return out;
}

static str_t *canon(db_t *dbs)
{
    str_t *out = str_new_cap(4096);
    for (int d = 0; d < NDBS; d++) {
        str_t **keys = NULL;
        size_t n = 0;
        dict_iter_t it;
        dict_entry_t *e;
        dict_iter_init(&it, dbs[d].keys, false);
        while ((e = dict_iter_next(&it)) != NULL) {
            keys = realloc(keys, (n + 1) * sizeof(*keys));
            keys[n++] = str_dup(e->key);
        }
        dict_iter_destroy(&it);
        if (n > 1)
            qsort(keys, n, sizeof(*keys), cmp_str);
        for (size_t i = 0; i < n; i++) {
            key_ref_t k = key_ref_str(keys[i]);
            out = str_catfmt(out, "%d %s %lld", d, keys[i]->buf, (long long)db_get_expire(&dbs[d], k));
            out = canon_value(out, db_lookup_quiet(&dbs[d], k));
            out = str_cat(out, "\n", 1);
            str_free(keys[i]);
        }
        free(keys);
    }
    return out;
}

static void test_round_trip(void)
{
    db_t *dbs = db_array_new(NDBS);
    fill(&dbs[0]);
    fill(&dbs[7]);
    str_t *want = canon(dbs);
    str_t *img = str_new_cap(1 << 16);
    aof_writer_t w;
    aof_writer_init(&w, str_sink, &img);
    ok(aof_write_dataset(&w, dbs, NDBS) == 0 && w.bytes == img->len && w.keys == 24,
       "dataset written (%u bytes, %llu keys)", img->len, (unsigned long long)w.keys);
    aof_writer_destroy(&w);
    ok(strncmp(img->buf, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", 23) == 0, "starts with SELECT 0");
    ok(HAS(img, "*2\r\n$6\r\nSELECT\r\n$1\r\n7\r\n") != NULL,
       "SELECT 7 for db 7");
    db_t *back = db_array_new(NDBS);
    for (size_t chunk = 1; chunk <= 4096; chunk *= 4096) {
        src_t s = src_mem(img->buf, img->len, chunk);
        aof_reader_t r;
        aof_reader_init(&r, src_read, &s);
        int cur = 0, rc, cmds = 0;
        while ((rc = aof_reader_next(&r)) == AOF_ITEM_COMMAND) {
            if (chunk > 1)
                apply(back, &cur, &r);
            cmds++;
        }
        ok(rc == AOF_ITEM_END && r.offset == img->len, "read back whole (%d commands, reads of %zu)",
           cmds, chunk);
        aof_reader_destroy(&r);
    }
    str_t *got = canon(back);
    is_str(got->buf, want->buf, "every type and encoding round-trips");
    str_free(got);
    str_free(want);
    str_free(img);
    db_array_free(back, NDBS);
    db_array_free(dbs, NDBS);
}

static void test_writer_options(void)
{
    db_t *dbs = db_array_new(2);
    put(&dbs[1], "old", obj_new_string("a", 1), 1000);
    put(&dbs[1], "new", obj_new_string("b", 1), 4102444800000LL);
    str_t *img = str_new_cap(64);
    aof_writer_t w;
    aof_writer_init(&w, str_sink, &img);
    ok(aof_write_dataset(&w, dbs, 2) == 0 && strstr(img->buf, "$3\r\nold\r\n") != NULL &&
           w.keys == 2,
       "expired keys written by default, as Redis 7.0 does");
    aof_writer_destroy(&w);
    str_free(img);
    img = str_new_cap(64);
    aof_writer_init(&w, str_sink, &img);
    w.skip_expired = true;
    w.now_ms = 2000;
    ok(aof_write_dataset(&w, dbs, 2) == 0 && strstr(img->buf, "$3\r\nold\r\n") == NULL &&
           w.keys == 1,
       "skip_expired drops them");
    aof_writer_destroy(&w);
    str_free(img);
    /* A failing sink: the error comes back and nothing more is written. */
    size_t room = 30;
    aof_writer_init(&w, failing_sink, &room);
    ok(aof_write_dataset(&w, dbs, 2) == -ENOSPC && w.err == -ENOSPC, "sink errors returned");
    ok(aof_write_select(&w, 3) == -ENOSPC, "and stay");
    aof_writer_destroy(&w);
    aof_writer_init(&w, failing_sink, &room);
    room = 1 << 20;
    aof_arg_t argv[] = {{"PING", 4}};
    ok(aof_write_command(&w, 1, argv) == 0 && w.bytes == 14, "a single command (14 bytes)");
    aof_writer_destroy(&w);
    db_array_free(dbs, 2);
}

/* ---- manifest -------------------------------------------------------------------- */

static int mparse(const char *text, aof_manifest_t *m, aof_manifest_error_t *err)
{
    aof_manifest_init(m);
    return aof_manifest_parse(text, strlen(text), m, err);
}

static void expect_manifest_error(const char *text, int line, const char *ltext, const char *msg)
{
    aof_manifest_t m;
    aof_manifest_error_t err;
    int rc = mparse(text, &m, &err);
    bool good = rc == -EINVAL && err.line == line && strcmp(err.msg, msg) == 0 &&
                (line == 0 || strcmp(err.text, ltext) == 0) && m.base.name == NULL &&
                m.nincr == 0 && m.nhist == 0;
    ok(good, "refused: %s (line %d)", msg, line);
    if (!good)
        diag("rc %d line %d text '%s' msg '%s'", rc, err.line, err.text, err.msg ? err.msg : "");
    aof_manifest_destroy(&m);
}

static void test_manifest_parse(void)
{
    aof_manifest_t m;
    aof_manifest_error_t err;
    const char *text = "file appendonly.aof.2.base.rdb seq 2 type b\n"
                       "file appendonly.aof.1.base.rdb seq 1 type h\n"
                       "file appendonly.aof.1.incr.aof seq 1 type h\n"
                       "file appendonly.aof.2.incr.aof seq 2 type i\n"
                       "file appendonly.aof.3.incr.aof seq 3 type i\n";
    ok(mparse(text, &m, &err) == 0, "a manifest as Redis writes it");
    ok(m.base.name != NULL && strcmp(m.base.name, "appendonly.aof.2.base.rdb") == 0 &&
           m.base.seq == 2 && m.base.type == 'b' && m.base_seq == 2,
       "base");
    ok(m.nhist == 2 && m.nincr == 2 && m.incr_seq == 3 &&
           strcmp(m.incr[1].name, "appendonly.aof.3.incr.aof") == 0,
       "history and incremental files");
    str_t *back = aof_manifest_format(&m);
    is_str(back->buf, text, "formats back to the same bytes");
    str_free(back);
    aof_manifest_destroy(&m);

    ok(mparse("# comment\n  FILE x.aof SEQ 7 TYPE i extra 1\r\n", &m, &err) == 0 && m.nincr == 1 &&
           m.incr[0].seq == 7,
       "comments, spaces, any case, unknown pairs");
    aof_manifest_destroy(&m);
    ok(mparse("file \"a b.aof\" seq 1 type b\n", &m, &err) == 0 &&
           strcmp(m.base.name, "a b.aof") == 0,
       "quoted name");
    aof_manifest_destroy(&m);
    ok(mparse("# nothing\n", &m, &err) == 0 && m.base.name == NULL && m.nincr == 0,
       "comments only: an empty manifest");
    aof_manifest_destroy(&m);

    expect_manifest_error("", 0, "", "Found an empty AOF manifest");
    expect_manifest_error("file a seq 1 type b\n\n", 2, "", "Invalid AOF manifest file format");
    expect_manifest_error("file a seq 1 type b", 0, "",
                          "The AOF manifest file contains too long line");
    expect_manifest_error("file a seq 1 type x\n", 1, "file a seq 1 type x",
                          "Unknown AOF file type");
    expect_manifest_error("file a seq 1\n", 1, "file a seq 1", "Invalid AOF manifest file format");
    expect_manifest_error("file d/a seq 1 type b\n", 1, "file d/a seq 1 type b",
                          "File can't be a path, just a filename");
    expect_manifest_error("file a seq 1 type b\nfile b seq 2 type b\n", 2,
                          "file b seq 2 type b", "Found duplicate base file information");
    expect_manifest_error("file a seq 2 type i\nfile b seq 1 type i\n", 2,
                          "file b seq 1 type i", "Found a non-monotonic sequence number");
    expect_manifest_error("file a seq 0 type i\n", 1, "file a seq 0 type i",
                          "Invalid AOF manifest file format");
    expect_manifest_error("file \"a seq 1 type i\n", 1, "file \"a seq 1 type i",
                          "Invalid AOF manifest file format");
    expect_manifest_error("file a seq 1 type i x\n", 1, "file a seq 1 type i x",
                          "Invalid AOF manifest file format");
    char longline[1100];
    memset(longline, 'a', sizeof(longline));
    memcpy(longline, "file ", 5);
    longline[sizeof(longline) - 2] = '\n';
    longline[sizeof(longline) - 1] = '\0';
    expect_manifest_error(longline, 0, "", "The AOF manifest file contains too long line");
}

static void test_manifest_format(void)
{
    aof_manifest_t m;
    aof_manifest_init(&m);
    aof_manifest_add(&m, "base name.rdb", 3, AOF_FILE_BASE);
    aof_manifest_add(&m, "q\"b s\t\x01\xff'.aof", 4, AOF_FILE_INCR);
    aof_manifest_add(&m, "old.aof", 2, AOF_FILE_HIST);
    str_t *s = aof_manifest_format(&m);
    is_str(s->buf, "file \"base name.rdb\" seq 3 type b\nfile old.aof seq 2 type h\n"
                   "file \"q\\\"b s\\t\\x01\\xff'.aof\" seq 4 type i\n",
           "quoted as sdscatrepr quotes, base, history, incr");
    aof_manifest_t back;
    aof_manifest_error_t err;
    aof_manifest_init(&back);
    ok(aof_manifest_parse(s->buf, s->len, &back, &err) == 0 &&
           strcmp(back.base.name, "base name.rdb") == 0 &&
           strcmp(back.incr[0].name, "q\"b s\t\x01\xff'.aof") == 0 && back.nhist == 1,
       "and parses back");
    str_free(s);
    aof_file_info_t f = {"a\\b\n\r\a\b.aof", 1, 'i'};
    s = aof_manifest_cat_entry(str_new_cap(16), &f);
    is_str(s->buf, "file \"a\\\\b\\n\\r\\a\\b.aof\" seq 1 type i\n", "escapes by letter");
    str_free(s);
    aof_manifest_destroy(&back);
    aof_manifest_destroy(&m);
}

int main(void)
{
    defaults();
    test_valid_stream();
    test_truncation();
    test_malformed();
    test_limits_and_errors();
    test_offsets_and_preload();
    test_timestamps();
    test_exact_bytes();
    test_batches();
    test_round_trip();
    test_writer_options();
    test_manifest_parse();
    test_manifest_format();
    return done_testing();
}
