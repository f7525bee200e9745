/*
 * libFuzzer target for db/aof_format: arbitrary bytes as an AOF command
 * file must give items and then a clean final state, never a crash, a leak
 * or an out-of-bounds access, and the same items whatever the read sizes
 * (the first byte picks them); every command read must survive being
 * written and read again. The same bytes as a manifest must parse or be
 * refused with a message, and a parsed manifest must format and parse back
 * to the same text.
 */
#include <config.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/str.h"
#include "db/aof_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct src {
    const uint8_t *p;
    size_t n, at, chunk;
} src_t;

static long src_read(void *ctx, void *buf, size_t cap)
{
    src_t *s = ctx;
    size_t k = s->n - s->at;
    if (k > s->chunk)
        k = s->chunk;
    if (k > cap)
        k = cap;
    memcpy(buf, s->p + s->at, k);
    s->at += k;
    return (long)k;
}

static int str_sink(void *ctx, const void *p, size_t n)
{
    str_t **s = ctx;
    *s = str_cat(*s, p, n);
    return 0;
}

/* Writes the command just read and checks it reads back the same. */
static void round_trip(const aof_reader_t *r)
{
    str_t *img = str_new_cap(64);
    aof_writer_t w;
    aof_writer_init(&w, str_sink, &img);
    if (aof_write_command(&w, r->argc, r->argv) != 0)
        abort();
    aof_writer_destroy(&w);
    src_t s = {(const uint8_t *)img->buf, img->len, 0, img->len};
    aof_reader_t back;
    aof_reader_init(&back, src_read, &s);
    if (aof_reader_next(&back) != AOF_ITEM_COMMAND || back.argc != r->argc)
        abort();
    for (int i = 0; i < r->argc; i++)
        if (back.argv[i].n != r->argv[i].n ||
            memcmp(back.argv[i].p, r->argv[i].p, r->argv[i].n) != 0)
            abort();
    if (aof_reader_next(&back) != AOF_ITEM_END)
        abort();
    aof_reader_destroy(&back);
    str_free(img);
}

/* A digest of every item and the final state, to compare two readings. */
static uint64_t read_all(const uint8_t *data, size_t size, size_t chunk, bool check)
{
    src_t s = {data, size, 0, chunk};
    aof_reader_t r;
    aof_reader_init(&r, src_read, &s);
    r.max_bulk = 1 << 20;
    uint64_t h = 1469598103934665603ULL;
    int rc;
    while ((rc = aof_reader_next(&r)) == AOF_ITEM_COMMAND || rc == AOF_ITEM_ANNOTATION) {
        h = (h ^ (uint64_t)rc ^ r.offset ^ (uint64_t)r.argc << 32) * 1099511628211ULL;
        if (rc == AOF_ITEM_COMMAND && check)
            round_trip(&r);
        if (r.offset > size)
            abort();
    }
    if (aof_reader_next(&r) != rc || r.offset > size)
        abort();
    h = (h ^ (uint64_t)rc ^ r.err_offset ^ r.line) * 1099511628211ULL;
    aof_reader_destroy(&r);
    return h;
}

static void fuzz_reader(const uint8_t *data, size_t size)
{
    size_t chunk = size > 0 ? 1 + data[0] % 23 : 1;
    if (read_all(data, size, chunk, true) != read_all(data, size, size + 1, false))
        abort();
}

/* Names that Redis's own quoting cannot bring back (empty, or starting
 * with a single quote) are left out of the round trip. */
static bool unquotable(const char *name)
{
    return name[0] == '\0' || name[0] == '\'';
}

/* Quoting may make a line too long for Redis's reader, then it is left
 * out too. */
static bool short_lines(const str_t *text)
{
    size_t start = 0;
    for (size_t i = 0; i < text->len; i++) {
        if (text->buf[i] == '\n') {
            if (i + 1 - start >= AOF_MANIFEST_LINE_MAX)
                return false;
            start = i + 1;
        }
    }
    return true;
}

static bool formats_back(const aof_manifest_t *m)
{
    if (m->base.name != NULL && unquotable(m->base.name))
        return false;
    for (int i = 0; i < m->nhist; i++)
        if (unquotable(m->hist[i].name))
            return false;
    for (int i = 0; i < m->nincr; i++)
        if (unquotable(m->incr[i].name))
            return false;
    return true;
}

static void fuzz_manifest(const uint8_t *data, size_t size)
{
    aof_manifest_t m;
    aof_manifest_error_t err;
    aof_manifest_init(&m);
    if (aof_manifest_parse((const char *)data, size, &m, &err) != 0) {
        if (err.msg == NULL || m.base.name != NULL || m.nincr != 0 || m.nhist != 0)
            abort();
        return;
    }
    str_t *text = aof_manifest_format(&m);
    if (formats_back(&m) && short_lines(text)) {
        aof_manifest_t back;
        aof_manifest_init(&back);
        if (aof_manifest_parse(text->buf, text->len, &back, &err) != 0 && text->len > 0)
            abort();
        str_t *again = aof_manifest_format(&back);
        if (again->len != text->len || memcmp(again->buf, text->buf, text->len) != 0)
            abort();
        str_free(again);
        aof_manifest_destroy(&back);
    }
    str_free(text);
    aof_manifest_destroy(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader(data, size);
    fuzz_manifest(data, size);
    return 0;
}
