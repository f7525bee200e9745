#include <config.h>
#include "db/aof_format.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/dict.h"
#include "core/strconv.h"
#include "db/t_hash.h"
#include "db/t_list.h"
#include "db/t_set.h"
#include "db/t_zset.h"

/* Reads are buffered in blocks of this size. */
#define READ_BUF (64 * 1024)
/* Redis reads RESP header lines with fgets into 128 bytes: 127 at most. */
#define HEADER_LINE_MAX 127
/* Argument storage above this size is released between commands. */
#define DATA_KEEP (4 * 1024 * 1024)
#define ARGV_KEEP 4096
/* The writer's buffer; longer arguments go to the sink directly. */
#define WRITE_BUF (16 * 1024)

/* ==== Reader: input ========================================================== */

void aof_reader_init(aof_reader_t *r, aof_read_fn *fn, void *ctx)
{
    REQUIRE(fn != NULL);
    memset(r, 0, sizeof(*r));
    r->read = fn;
    r->ctx = ctx;
    r->cap = READ_BUF;
    r->buf = alloc_malloc(r->cap);
    r->max_bulk = AOF_MAX_BULK_DEFAULT;
    r->line = 1;
}

void aof_reader_preload(aof_reader_t *r, const void *p, size_t n)
{
    REQUIRE(r->pos == 0 && r->state == 0);
    if (r->len + n > r->cap) {
        r->cap = r->len + n;
        r->buf = alloc_realloc(r->buf, r->cap);
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
}

void aof_reader_destroy(aof_reader_t *r)
{
    alloc_free(r->buf);
    alloc_free(r->argv);
    alloc_free(r->data);
    r->buf = NULL;
    r->argv = NULL;
    r->data = NULL;
}

static size_t avail(const aof_reader_t *r)
{
    return r->len - r->pos;
}

/* Makes n bytes available at buf + pos unless the input ends first (n must
 * fit the buffer). Returns 0 (check avail()) or the source's error. */
static int want(aof_reader_t *r, size_t n)
{
    INSIST(n <= r->cap);
    while (avail(r) < n && !r->eof) {
        if (r->cap - r->pos < n) {
            memmove(r->buf, r->buf + r->pos, avail(r));
            r->len -= r->pos;
            r->pos = 0;
        }
        long got = r->read(r->ctx, r->buf + r->len, r->cap - r->len);
        if (got < 0)
            return (int)got;
        if (got == 0)
            r->eof = true;
        r->len += (size_t)got;
    }
    return 0;
}

static void consume(aof_reader_t *r, size_t n)
{
    r->pos += n;
    r->cur += n;
}

/* Ends the stream with a final state and a message about offset at. */
static int finish(aof_reader_t *r, int state, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int finish(aof_reader_t *r, int state, uint64_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof(r->err_msg), fmt, ap);
    va_end(ap);
    r->state = state;
    r->err_offset = at;
    return state;
}

static int fail_read(aof_reader_t *r, int rc)
{
    finish(r, rc, r->cur, "read error: %s", strerror(-rc));
    return rc;
}

/* One line of at most max bytes, '\n' included. Returns 0 with *n bytes at
 * *line and *complete telling whether they end with '\n' (if not, the line
 * was too long or the input ended), or the source's error. */
static int peek_line(aof_reader_t *r, size_t max, const uint8_t **line, size_t *n,
                     bool *complete)
{
    size_t scanned = 0;
    for (;;) {
        size_t have = avail(r) < max ? avail(r) : max;
        const uint8_t *nl = memchr(r->buf + r->pos + scanned, '\n', have - scanned);
        if (nl != NULL) {
            *n = (size_t)(nl - (r->buf + r->pos)) + 1;
            *complete = true;
            break;
        }
        scanned = have;
        if (have == max || r->eof) {
            *n = have;
            *complete = false;
            break;
        }
        int rc = want(r, have + 1);
        if (rc != 0)
            return rc;
    }
    *line = r->buf + r->pos;
    return 0;
}

/* ==== Reader: commands ======================================================= */

/* redis-check-aof prints bytes as promoted chars ("%02x" of a signed char). */
static int byte_shown(const uint8_t *p, size_t n, size_t i)
{
    return i < n ? (int)(signed char)p[i] : 0;
}

/* strtol's view of the text after a header's prefix: optional spaces and
 * sign, then digits (clamped on overflow, which sets *range when not
 * NULL). Returns the index just past the number, or start when there are
 * no digits, as strtol's end pointer. */
static size_t scan_long(const uint8_t *p, size_t n, size_t start, long long *v, bool *range)
{
    size_t i = start;
    while (i < n && p[i] != '\0' && isspace(p[i]))
        i++;
    bool neg = false;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    size_t digits = i;
    unsigned long long acc = 0;
    bool over = false;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (acc > (ULLONG_MAX - d) / 10)
            over = true;
        else
            acc = acc * 10 + d;
    }
    if (i == digits) {
        *v = 0;
        return start;
    }
    unsigned long long lim = (unsigned long long)LLONG_MAX + (neg ? 1 : 0);
    if (over || acc > lim) {
        acc = lim;
        if (range != NULL)
            *range = true;
    }
    *v = !neg ? (long long)acc : acc == lim ? LLONG_MIN : -(long long)acc;
    return i;
}

/* A header line: prefix, a number, CRLF. Returns 0 with *v, a final state,
 * or the source's error. */
static int read_header(aof_reader_t *r, char prefix, long long *v)
{
    const uint8_t *line;
    size_t n;
    bool complete;
    int rc = peek_line(r, HEADER_LINE_MAX, &line, &n, &complete);
    if (rc != 0)
        return fail_read(r, rc);
    uint64_t at = r->cur;
    if (n == 0)
        return finish(r, AOF_ITEM_TRUNCATED, at, "%s", "");
    if (line[0] != (uint8_t)prefix)
        return finish(r, AOF_ITEM_BAD, at, "Expected prefix '%c', got: '%c'", prefix, line[0]);
    size_t e = scan_long(line, n, 1, v, NULL);
    if (!(e + 2 == n && line[e] == '\r' && line[e + 1] == '\n'))
        return finish(r, complete || n == HEADER_LINE_MAX ? AOF_ITEM_BAD : AOF_ITEM_TRUNCATED,
                      at, "Expected \\r\\n, got: %02x%02x", byte_shown(line, n, e),
                      byte_shown(line, n, e + 1));
    consume(r, n);
    r->line++;
    return 0;
}

/* Room for more argument bytes, grown as they arrive (never ahead of the
 * data, whatever a header claims). */
static void data_reserve(aof_reader_t *r, size_t more)
{
    if (r->data_cap - r->data_len >= more)
        return;
    size_t cap = r->data_cap < 256 ? 256 : r->data_cap;
    while (cap - r->data_len < more)
        cap *= 2;
    r->data = alloc_realloc(r->data, cap);
    r->data_cap = cap;
}

static void argv_push(aof_reader_t *r, size_t len)
{
    if (r->argc == r->argv_cap) {
        r->argv_cap = r->argv_cap == 0 ? 8 : r->argv_cap * 2;
        r->argv = alloc_realloc(r->argv, (size_t)r->argv_cap * sizeof(*r->argv));
    }
    r->argv[r->argc].p = NULL;
    r->argv[r->argc].n = len;
    r->argc++;
}

/* The len bytes of an argument and their CRLF. */
static int read_bulk_data(aof_reader_t *r, size_t len)
{
    uint64_t at = r->cur;
    size_t need = len + 2, got = 0;
    uint8_t tail[2] = {0, 0};
    while (got < need) {
        int rc = want(r, 1);
        if (rc != 0)
            return fail_read(r, rc);
        if (avail(r) == 0)
            return finish(r, AOF_ITEM_TRUNCATED, at, "Expected to read %zu bytes, got %zu bytes",
                          need, got);
        size_t k = avail(r) < need - got ? avail(r) : need - got;
        const uint8_t *src = r->buf + r->pos;
        size_t body = got < len ? (k < len - got ? k : len - got) : 0;
        if (body > 0) {
            data_reserve(r, body + 1);
            memcpy(r->data + r->data_len, src, body);
            r->data_len += body;
        }
        for (size_t idx = got + body; idx < got + k; idx++)
            tail[idx - len] = src[idx - got];
        consume(r, k);
        got += k;
    }
    if (tail[0] != '\r' || tail[1] != '\n')
        return finish(r, AOF_ITEM_BAD, at, "Expected \\r\\n, got: %02x%02x",
                      (int)(signed char)tail[0], (int)(signed char)tail[1]);
    data_reserve(r, 1);
    r->data[r->data_len++] = '\0';
    r->line++;
    return 0;
}

static int read_arg(aof_reader_t *r, int i, int argc)
{
    long long len;
    uint64_t at = r->cur;
    int rc = read_header(r, '$', &len);
    if (rc != 0)
        return rc;
    if (len < 0 || len > r->max_bulk)
        return finish(r, AOF_ITEM_BAD, at,
                      "Expected to read string of %lld bytes, which is not in the suitable range",
                      len);
    if (i == 0)
        r->first_arg_offset = r->cur;
    if (i == argc - 1)
        r->last_arg_offset = r->cur;
    argv_push(r, (size_t)len);
    return read_bulk_data(r, (size_t)len);
}

/* Drops storage a huge command left behind, then empties the argv. */
static void argv_reset(aof_reader_t *r)
{
    if (r->data_cap > DATA_KEEP) {
        alloc_free(r->data);
        r->data = NULL;
        r->data_cap = 0;
    }
    if (r->argv_cap > ARGV_KEEP) {
        alloc_free(r->argv);
        r->argv = NULL;
        r->argv_cap = 0;
    }
    r->argc = 0;
    r->data_len = 0;
}

static int read_command(aof_reader_t *r)
{
    long long argc;
    uint64_t at = r->cur;
    int rc = read_header(r, '*', &argc);
    if (rc != 0)
        return rc;
    if (argc < 1 || argc > INT_MAX)
        return finish(r, AOF_ITEM_BAD, at, "Invalid multibulk length %lld", argc);
    for (int i = 0; i < (int)argc; i++) {
        rc = read_arg(r, i, (int)argc);
        if (rc != 0)
            return rc;
    }
    /* The arguments lie one after the other, each with its NUL. */
    const char *p = r->data;
    for (int i = 0; i < r->argc; i++) {
        r->argv[i].p = p;
        p += r->argv[i].n + 1;
    }
    return AOF_ITEM_COMMAND;
}

static int read_annotation(aof_reader_t *r)
{
    const uint8_t *line;
    size_t n;
    bool complete;
    int rc = peek_line(r, AOF_ANNOTATION_LINE_MAX - 1, &line, &n, &complete);
    if (rc != 0)
        return fail_read(r, rc);
    if (!complete && n < AOF_ANNOTATION_LINE_MAX - 1) {
        r->err_in_annotation = true;
        r->annotation = (const char *)line + 1;
        r->annotation_len = n - 1;
        return finish(r, AOF_ITEM_TRUNCATED, r->cur, "%s", "");
    }
    if (!complete)
        return finish(r, AOF_ITEM_BAD, r->cur, "Annotation line longer than %d bytes",
                      AOF_ANNOTATION_LINE_MAX - 2);
    r->annotation = (const char *)line + 1;
    r->annotation_len = n - 2;
    consume(r, n);
    return AOF_ITEM_ANNOTATION;
}

int aof_reader_next(aof_reader_t *r)
{
    if (r->state != 0)
        return r->state;
    if (!r->started) {
        r->started = true;
        r->cur = r->offset;
    }
    argv_reset(r);
    r->annotation = NULL;
    r->annotation_len = 0;
    r->item_offset = r->cur;
    int rc = want(r, 1);
    if (rc != 0)
        return fail_read(r, rc);
    if (avail(r) == 0) {
        r->state = AOF_ITEM_END;
        return AOF_ITEM_END;
    }
    uint8_t c = r->buf[r->pos];
    if (c == '#')
        rc = read_annotation(r);
    else if (c == '*')
        rc = read_command(r);
    else {
        r->err_at_start = true;
        rc = finish(r, AOF_ITEM_BAD, r->cur, "Expected prefix '*', got: '%c'", c);
    }
    if (rc == AOF_ITEM_COMMAND || rc == AOF_ITEM_ANNOTATION)
        r->offset = r->cur;
    return rc;
}

/* ==== Reader: annotations ==================================================== */

int aof_annotation_timestamp(const char *p, size_t n, long long *ts)
{
    if (n < 3 || memcmp(p, "TS:", 3) != 0)
        return -ENOENT;
    /* strtol's rules: no digits read as 0 (with the '\r' right after the
     * colon), out of range is refused. */
    long long v;
    bool range = false;
    size_t e = scan_long((const uint8_t *)p, n, 3, &v, &range);
    if (e >= n || p[e] != '\r' || range)
        return -EINVAL;
    *ts = v;
    return 0;
}

size_t aof_format_timestamp(char *buf, long long unix_s)
{
    int n = snprintf(buf, AOF_TS_BUF, "#TS:%lld\r\n", unix_s);
    ENSURE(n > 0 && n < AOF_TS_BUF);
    return (size_t)n;
}

/* ==== Writer: primitives ===================================================== */

void aof_writer_init(aof_writer_t *w, aof_write_fn *fn, void *ctx)
{
    REQUIRE(fn != NULL);
    memset(w, 0, sizeof(*w));
    w->write = fn;
    w->ctx = ctx;
    w->buf = alloc_malloc(WRITE_BUF);
}

void aof_writer_destroy(aof_writer_t *w)
{
    alloc_free(w->buf);
    w->buf = NULL;
}

static void sink(aof_writer_t *w, const void *p, size_t n)
{
    if (w->err != 0 || n == 0)
        return;
    int rc = w->write(w->ctx, p, n);
    if (rc != 0)
        w->err = rc < 0 ? rc : -EIO;
    else
        w->bytes += n;
}

/* Hands the buffered bytes to the sink; public calls end with it, so the
 * sink has everything once they return. */
static int w_flush(aof_writer_t *w)
{
    sink(w, w->buf, w->used);
    w->used = 0;
    return w->err;
}

static void w_raw(aof_writer_t *w, const void *p, size_t n)
{
    if (w->err != 0)
        return;
    if (w->used + n > WRITE_BUF) {
        w_flush(w);
        if (n > WRITE_BUF / 2) {
            sink(w, p, n);
            return;
        }
    }
    memcpy(w->buf + w->used, p, n);
    w->used += n;
}

/* "*<n>\r\n" or "$<n>\r\n". */
static void w_header(aof_writer_t *w, char prefix, unsigned long long n)
{
    char b[STRCONV_BUF + 3];
    b[0] = prefix;
    size_t len = 1 + strconv_ull(b + 1, n);
    b[len++] = '\r';
    b[len++] = '\n';
    w_raw(w, b, len);
}

static void w_bulk(aof_writer_t *w, const void *p, size_t n)
{
    w_header(w, '$', n);
    w_raw(w, p, n);
    w_raw(w, "\r\n", 2);
}

static void w_bulk_ll(aof_writer_t *w, long long v)
{
    char b[STRCONV_BUF];
    w_bulk(w, b, strconv_ll(b, v));
}

/* Scores as the rewrite writes them: %.17g, "inf" and "-inf". */
static void w_bulk_double(aof_writer_t *w, double d)
{
    char b[STRCONV_BUF];
    w_bulk(w, b, strconv_double(b, d));
}

int aof_write_command(aof_writer_t *w, int argc, const aof_arg_t *argv)
{
    REQUIRE(argc > 0);
    w_header(w, '*', (unsigned long long)argc);
    for (int i = 0; i < argc; i++)
        w_bulk(w, argv[i].p, argv[i].n);
    return w_flush(w);
}

static void w_select(aof_writer_t *w, int db)
{
    w_raw(w, "*2\r\n$6\r\nSELECT\r\n", 16);
    w_bulk_ll(w, db);
}

int aof_write_select(aof_writer_t *w, int db)
{
    w_select(w, db);
    return w_flush(w);
}

/* ==== Writer: values ========================================================= */

/* Collections go out as one command per AOF_ITEMS_PER_CMD items, each
 * command announcing how many items it carries. */
typedef struct batch {
    aof_writer_t *w;
    const char *cmd;
    const char *key;
    size_t keylen;
    size_t left;   /* Items not yet written. */
    int per_item;  /* Arguments per item (2 for a score and a member). */
    int in_cmd;    /* Items written in the current command. */
} batch_t;

static void batch_init(batch_t *b, aof_writer_t *w, const char *cmd, const char *key,
                       size_t keylen, size_t items, int per_item)
{
    *b = (batch_t){w, cmd, key, keylen, items, per_item, 0};
}

/* Before each item: a new command header when the last one is full. */
static void batch_item(batch_t *b)
{
    INSIST(b->left > 0);
    if (b->in_cmd == 0) {
        size_t n = b->left < AOF_ITEMS_PER_CMD ? b->left : AOF_ITEMS_PER_CMD;
        w_header(b->w, '*', 2 + n * (size_t)b->per_item);
        w_bulk(b->w, b->cmd, strlen(b->cmd));
        w_bulk(b->w, b->key, b->keylen);
    }
    if (++b->in_cmd == AOF_ITEMS_PER_CMD)
        b->in_cmd = 0;
    b->left--;
}

static void w_string_key(aof_writer_t *w, const char *key, size_t keylen, const obj_t *o)
{
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    w_raw(w, "*3\r\n$3\r\nSET\r\n", 13);
    w_bulk(w, key, keylen);
    w_bulk(w, p, n);
}

static void w_list(aof_writer_t *w, const char *key, size_t keylen, obj_t *o)
{
    batch_t b;
    batch_init(&b, w, "RPUSH", key, keylen, tlist_len(o), 1);
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, 0, true);
    while (b.left > 0 && w->err == 0 && tlist_iter_next(&it, &e)) {
        batch_item(&b);
        if (e.p != NULL)
            w_bulk(w, e.p, e.n);
        else
            w_bulk_ll(w, e.num);
    }
    tlist_iter_destroy(&it);
}

static void w_set(aof_writer_t *w, const char *key, size_t keylen, obj_t *o)
{
    batch_t b;
    batch_init(&b, w, "SADD", key, keylen, tset_size(o), 1);
    tset_iter_t it;
    tset_member_t m;
    tset_iter_init(&it, o);
    while (b.left > 0 && w->err == 0 && tset_iter_next(&it, &m)) {
        batch_item(&b);
        w_bulk(w, m.p, m.n);
    }
    tset_iter_destroy(&it);
}

static void w_zset(aof_writer_t *w, const char *key, size_t keylen, obj_t *o)
{
    batch_t b;
    batch_init(&b, w, "ZADD", key, keylen, tzset_len(o), 2);
    tzset_iter_t it;
    tzset_elem_t e;
    tzset_iter_init(&it, o, false);
    while (b.left > 0 && w->err == 0 && tzset_iter_next(&it, &e)) {
        batch_item(&b);
        w_bulk_double(w, e.score);
        w_bulk(w, e.p, e.n);
    }
}

static void w_hash(aof_writer_t *w, const char *key, size_t keylen, obj_t *o)
{
    batch_t b;
    batch_init(&b, w, "HMSET", key, keylen, thash_len(o), 2);
    thash_iter_t it;
    thash_str_t f, v;
    thash_iter_init(&it, o);
    while (b.left > 0 && w->err == 0 && thash_iter_next(&it, &f, &v)) {
        batch_item(&b);
        w_bulk(w, f.p, f.n);
        w_bulk(w, v.p, v.n);
    }
    thash_iter_destroy(&it);
}

/* One key without flushing (aof_write_db flushes once per buffer). */
static int w_key(aof_writer_t *w, const char *key, size_t keylen, obj_t *val,
                 int64_t expire_ms)
{
    switch (val->type) {
    case OBJ_STRING:
        w_string_key(w, key, keylen, val);
        break;
    case OBJ_LIST:
        w_list(w, key, keylen, val);
        break;
    case OBJ_SET:
        w_set(w, key, keylen, val);
        break;
    case OBJ_ZSET:
        w_zset(w, key, keylen, val);
        break;
    case OBJ_HASH:
        w_hash(w, key, keylen, val);
        break;
    default:
        return -ENOTSUP;
    }
    if (expire_ms != -1) {
        w_raw(w, "*3\r\n$9\r\nPEXPIREAT\r\n", 19);
        w_bulk(w, key, keylen);
        w_bulk_ll(w, expire_ms);
    }
    w->keys++;
    return w->err;
}

int aof_write_key(aof_writer_t *w, const char *key, size_t keylen, obj_t *val,
                  int64_t expire_ms)
{
    int rc = w_key(w, key, keylen, val, expire_ms);
    int frc = w_flush(w);
    return rc != 0 ? rc : frc;
}

int aof_write_db(aof_writer_t *w, db_t *db)
{
    if (db_size(db) == 0)
        return w->err;
    w_select(w, db->id);
    dict_iter_t it;
    dict_entry_t *e;
    dict_iter_init(&it, db->keys, false);
    int rc = w->err;
    while (rc == 0 && (e = dict_iter_next(&it)) != NULL) {
        const str_t *k = e->key;
        int64_t when = db_get_expire(db, key_ref_str(k));
        if (w->skip_expired && when != -1 && when < w->now_ms)
            continue;
        if (w->key_delay_us > 0)
            usleep((useconds_t)w->key_delay_us);
        rc = w_key(w, k->buf, k->len, e->v.val, when);
    }
    dict_iter_destroy(&it);
    int frc = w_flush(w);
    return rc != 0 ? rc : frc;
}

int aof_write_dataset(aof_writer_t *w, db_t *dbs, int ndbs)
{
    int rc = w->err;
    for (int i = 0; rc == 0 && i < ndbs; i++)
        rc = aof_write_db(w, &dbs[i]);
    return rc;
}

/* ==== Manifest =============================================================== */

void aof_manifest_init(aof_manifest_t *m)
{
    memset(m, 0, sizeof(*m));
}

static void infos_free(aof_file_info_t *v, int n)
{
    for (int i = 0; i < n; i++)
        alloc_free(v[i].name);
    alloc_free(v);
}

void aof_manifest_destroy(aof_manifest_t *m)
{
    alloc_free(m->base.name);
    infos_free(m->hist, m->nhist);
    infos_free(m->incr, m->nincr);
    memset(m, 0, sizeof(*m));
}

static void info_push(aof_file_info_t **v, int *n, aof_file_info_t f)
{
    *v = alloc_realloc(*v, (size_t)(*n + 1) * sizeof(**v));
    (*v)[(*n)++] = f;
}

/* Files as entries: takes f.name. Returns NULL or Redis's complaint. */
static const char *manifest_take(aof_manifest_t *m, aof_file_info_t f)
{
    switch (f.type) {
    case AOF_FILE_BASE:
        if (m->base.name != NULL)
            return "Found duplicate base file information";
        m->base = f;
        m->base_seq = f.seq;
        return NULL;
    case AOF_FILE_HIST:
        info_push(&m->hist, &m->nhist, f);
        return NULL;
    case AOF_FILE_INCR:
        if (f.seq <= m->incr_seq)
            return "Found a non-monotonic sequence number";
        info_push(&m->incr, &m->nincr, f);
        m->incr_seq = f.seq;
        return NULL;
    default:
        return "Unknown AOF file type";
    }
}

void aof_manifest_add(aof_manifest_t *m, const char *name, long long seq, char type)
{
    REQUIRE(type != AOF_FILE_BASE || m->base.name == NULL);
    aof_file_info_t f = {alloc_strdup(name), seq, type};
    if (type == AOF_FILE_BASE) {
        m->base = f;
        m->base_seq = seq;
    } else if (type == AOF_FILE_INCR) {
        info_push(&m->incr, &m->nincr, f);
        m->incr_seq = seq;
    } else {
        REQUIRE(type == AOF_FILE_HIST);
        info_push(&m->hist, &m->nhist, f);
    }
}

/* The pairs of one (trimmed, non-empty) line as an entry. Returns NULL and
 * *f, or Redis's complaint. */
static const char *manifest_line(const char *text, aof_file_info_t *f)
{
    strconv_arg_t *argv = NULL;
    int argc = strconv_split_args(text, &argv);
    const char *msg = NULL;
    *f = (aof_file_info_t){NULL, 0, 0};
    /* At least three pairs, any further ones ignored (for newer files). */
    if (argc < 6 || argc % 2 != 0)
        msg = "Invalid AOF manifest file format";
    for (int i = 0; msg == NULL && i < argc; i += 2) {
        const char *k = argv[i].ptr, *v = argv[i + 1].ptr;
        long long seq;
        if (strcasecmp(k, "file") == 0) {
            alloc_free(f->name);
            f->name = alloc_strdup(v);
            if (strchr(v, '/') != NULL || strchr(v, '\\') != NULL)
                msg = "File can't be a path, just a filename";
        } else if (strcasecmp(k, "seq") == 0) {
            (void)scan_long((const uint8_t *)v, strlen(v), 0, &seq, NULL);
            f->seq = seq;
        } else if (strcasecmp(k, "type") == 0) {
            f->type = v[0];
        }
    }
    if (msg == NULL && (f->name == NULL || f->seq == 0 || f->type == 0))
        msg = "Invalid AOF manifest file format";
    if (argc > 0)
        strconv_free_args(argv, argc);
    if (msg != NULL) {
        alloc_free(f->name);
        f->name = NULL;
    }
    return msg;
}

/* Copies a line without surrounding spaces, tabs, CRs and LFs, as a C
 * string (it ends at a NUL byte, as Redis's copy does). */
static void trim_into(char *dst, const char *p, size_t n)
{
    n = strnlen(p, n);
    while (n > 0 && strchr(" \t\r\n", p[0]) != NULL) {
        p++;
        n--;
    }
    while (n > 0 && strchr(" \t\r\n", p[n - 1]) != NULL)
        n--;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

static int manifest_fail(aof_manifest_t *m, aof_manifest_error_t *err, int line,
                         const char *msg)
{
    aof_manifest_destroy(m);
    err->line = line;
    if (line == 0)
        err->text[0] = '\0';
    err->msg = msg;
    return -EINVAL;
}

int aof_manifest_parse(const char *p, size_t n, aof_manifest_t *m, aof_manifest_error_t *err)
{
    REQUIRE(m->base.name == NULL && m->nhist == 0 && m->nincr == 0);
    memset(err, 0, sizeof(*err));
    int linenum = 0;
    size_t off = 0;
    while (off < n) {
        /* A piece as fgets returns it: through '\n', at most LINE_MAX bytes. */
        size_t lim = n - off < AOF_MANIFEST_LINE_MAX ? n - off : AOF_MANIFEST_LINE_MAX;
        const char *piece = p + off, *nl = memchr(piece, '\n', lim);
        size_t len = nl != NULL ? (size_t)(nl - piece) + 1 : lim;
        off += len;
        linenum++;
        if (piece[0] == '#')
            continue;
        if (memchr(piece, '\n', strnlen(piece, len)) == NULL)
            return manifest_fail(m, err, 0, "The AOF manifest file contains too long line");
        trim_into(err->text, piece, len);
        if (err->text[0] == '\0')
            return manifest_fail(m, err, linenum, "Invalid AOF manifest file format");
        aof_file_info_t f;
        const char *msg = manifest_line(err->text, &f);
        if (msg == NULL) {
            msg = manifest_take(m, f);
            if (msg != NULL)
                alloc_free(f.name);
        }
        if (msg != NULL)
            return manifest_fail(m, err, linenum, msg);
    }
    if (linenum == 0)
        return manifest_fail(m, err, 0, "Found an empty AOF manifest");
    err->text[0] = '\0';
    return 0;
}

/* Whether Redis writes a name quoted (sdsneedsrepr): for a backslash, a
 * double quote, a space or any byte that is not printable. */
static bool name_needs_quotes(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\' || c == '"' || c <= ' ' || c >= 0x7f)
            return true;
    }
    return false;
}

static str_t *cat_quoted(str_t *s, const char *name)
{
    s = str_cat(s, "\"", 1);
    for (const char *p = name; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        const char *esc = NULL;
        switch (c) {
        case '\\': esc = "\\\\"; break;
        case '"': esc = "\\\""; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        default: break;
        }
        if (esc != NULL)
            s = str_cat_cstr(s, esc);
        else if (c >= ' ' && c < 0x7f)
            s = str_cat(s, p, 1);
        else
            s = str_catfmt(s, "\\x%02x", c);
    }
    return str_cat(s, "\"", 1);
}

str_t *aof_manifest_cat_entry(str_t *s, const aof_file_info_t *f)
{
    s = str_cat_cstr(s, "file ");
    s = name_needs_quotes(f->name) ? cat_quoted(s, f->name) : str_cat_cstr(s, f->name);
    return str_catfmt(s, " seq %lld type %c\n", f->seq, f->type);
}

str_t *aof_manifest_format(const aof_manifest_t *m)
{
    str_t *s = str_new_cap(128);
    if (m->base.name != NULL)
        s = aof_manifest_cat_entry(s, &m->base);
    for (int i = 0; i < m->nhist; i++)
        s = aof_manifest_cat_entry(s, &m->hist[i]);
    for (int i = 0; i < m->nincr; i++)
        s = aof_manifest_cat_entry(s, &m->incr[i]);
    return s;
}
