/*
 * Unit tests for db/rdb: files written by redis-server 7.0.15 (the
 * fixtures in tests/fixtures/rdb, with the content the reference server
 * reported in NAME.txt) load with identical content and encodings; every
 * type and encoding round-trips through the writer and the reader, large
 * values and LZF strings included; DUMP payloads match the reference's
 * bytes; every truncation point and every single-bit flip of a small file
 * is rejected cleanly; corrupt ziplists, zipmaps and records give errors
 * with offsets and reasons; streams read through 1-byte reads load the
 * same as memory.
 *
 * With "--write DIR", the program instead loads each fixture, saves it
 * again with this writer as DIR/NAME.rdb (and a value-built file as
 * DIR/built.rdb with its content in DIR/built.txt), so that
 * tests/integ/70-persistence/rdb_interop.py can load them into the
 * reference server.
 */
#include <config.h>
#include "db/rdb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/crc64.h"
#include "db/t_hash.h"
#include "db/t_list.h"
#include "db/t_set.h"
#include "db/t_zset.h"
#include "tap.h"

#define NDBS 16

static const char *fixtures[] = {
    "strings", "hashes", "sets", "lists", "lists-compressed", "lists-plain", "zsets",
    "clock-lru", "clock-lfu", "uncompressed", "nochecksum", "legacy",
};

static void defaults(void)
{
    db_env.hash_max_listpack_entries = 512;
    db_env.hash_max_listpack_value = 64;
    db_env.set_max_intset_entries = 512;
    db_env.zset_max_listpack_entries = 128;
    db_env.zset_max_listpack_value = 64;
    db_env.list_max_listpack_size = -2;
    db_env.list_compress_depth = 0;
    db_env.now_ms = (int64_t)time(NULL) * 1000;
    db_env.lru_clock = db_lru_clock_now();
    db_env.lfu = false;
}

/* ---- helpers: files, sinks, loading ---------------------------------------- */

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    str_t *s = str_new_cap(4096);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
        s = str_cat(s, buf, k);
    fclose(f);
    char *out = malloc(s->len + 1);
    memcpy(out, s->buf, s->len + 1);
    *n = s->len;
    str_free(s);
    return out;
}

static char *fixture_path(const char *name, const char *ext)
{
    static char path[4096];
    const char *top = getenv("top_srcdir");
    snprintf(path, sizeof(path), "%s/tests/fixtures/rdb/%s.%s", top ? top : ".", name, ext);
    return path;
}

static int str_sink(void *ctx, const void *p, size_t n)
{
    str_t **s = ctx;
    *s = str_cat(*s, p, n);
    return 0;
}

/* Saves every database to memory; the caller frees the result. */
static str_t *save_all(db_t *dbs, bool compress, int clock)
{
    str_t *s = str_new_cap(256);
    rdb_writer_t w;
    rdb_writer_init(&w, str_sink, &s);
    w.compress = compress;
    w.clock = clock;
    rdb_aux_t aux = {.ctime = 1700000000, .used_mem = 1000000};
    int rc = rdb_save(&w, dbs, NDBS, &aux);
    rdb_writer_destroy(&w);
    if (rc != 0)
        diag("save failed: %d", rc);
    return s;
}

/* Loads a memory image into dbs; *msg receives the reader's message. */
static int load_mem(const void *p, size_t n, db_t *dbs, unsigned flags, char *msg,
                    uint64_t *offset)
{
    rdb_reader_t r;
    rdb_reader_init_mem(&r, p, n);
    int rc = rdb_load_into(&r, dbs, NDBS, flags, NULL);
    if (msg != NULL)
        snprintf(msg, 256, "%s", r.err_msg);
    if (offset != NULL)
        *offset = r.err_offset;
    rdb_reader_destroy(&r);
    return rc;
}

/* ---- canonical text (the format of gen_fixtures.py) ------------------------ */

static str_t *esc(str_t *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x21 && c < 0x7f && c != '\\' && c != '=' && c != ' ')
            out = str_cat(out, &p[i], 1);
        else
            out = str_catfmt(out, "\\x%02x", c);
    }
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    const str_t *x = *(str_t *const *)a, *y = *(str_t *const *)b;
    return bytes_cmp(x->buf, x->len, y->buf, y->len);
}

/* A growable array of strings, sorted before output. */
typedef struct strvec {
    str_t **v;
    size_t n, cap;
} strvec_t;

static void vec_push(strvec_t *sv, str_t *s)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 16;
        sv->v = realloc(sv->v, sv->cap * sizeof(*sv->v));
    }
    sv->v[sv->n++] = s;
}

static str_t *vec_flush(strvec_t *sv, str_t *out, bool sort)
{
    if (sort && sv->n > 1)
        qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
    for (size_t i = 0; i < sv->n; ++i) {
        out = str_cat(out, " ", 1);
        out = str_cat(out, sv->v[i]->buf, sv->v[i]->len);
        str_free(sv->v[i]);
    }
    free(sv->v);
    memset(sv, 0, sizeof(*sv));
    return out;
}

static str_t *escaped(const char *p, size_t n)
{
    return esc(str_new_cap(n + 8), p, n);
}

static str_t *canon_items(str_t *out, obj_t *o)
{
    strvec_t sv = {0};
    char buf[STRCONV_BUF];
    size_t n;
    if (o->type == OBJ_STRING) {
        const char *p = obj_string_bytes(o, buf, &n);
        out = str_cat(out, " ", 1);
        return esc(out, p, n);
    }
    if (o->type == OBJ_LIST) {
        tlist_iter_t it;
        tlist_ent_t e;
        tlist_iter_init(&it, o, 0, true);
        while (tlist_iter_next(&it, &e)) {
            const char *p = tlist_ent_bytes(&e, buf, &n);
            vec_push(&sv, escaped(p, n));
        }
        tlist_iter_destroy(&it);
        return vec_flush(&sv, out, false);
    }
    if (o->type == OBJ_SET) {
        tset_iter_t it;
        tset_member_t m;
        tset_iter_init(&it, o);
        while (tset_iter_next(&it, &m))
            vec_push(&sv, str_new(m.p, m.n));
        tset_iter_destroy(&it);
        if (sv.n > 1)
            qsort(sv.v, sv.n, sizeof(*sv.v), cmp_str);
        for (size_t i = 0; i < sv.n; ++i) {
            str_t *e = escaped(sv.v[i]->buf, sv.v[i]->len);
            str_free(sv.v[i]);
            sv.v[i] = e;
        }
        return vec_flush(&sv, out, false);
    }
    if (o->type == OBJ_HASH) {
        /* Sorted by field: "field" and "field=value" strings side by side. */
        strvec_t fields = {0};
        thash_iter_t it;
        thash_str_t f, v;
        thash_iter_init(&it, o);
        while (thash_iter_next(&it, &f, &v)) {
            str_t *pair = escaped(f.p, f.n);
            pair = str_cat(pair, "=", 1);
            vec_push(&sv, esc(pair, v.p, v.n));
            vec_push(&fields, str_new(f.p, f.n));
        }
        thash_iter_destroy(&it);
        size_t *idx = malloc(sizeof(*idx) * (fields.n + 1));
        for (size_t i = 0; i < fields.n; ++i)
            idx[i] = i;
        /* Insertion sort of indexes by raw field (hashes here are small). */
        for (size_t i = 1; i < fields.n; ++i)
            for (size_t j = i; j > 0 && cmp_str(&fields.v[idx[j]], &fields.v[idx[j - 1]]) < 0; --j) {
                size_t t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
        for (size_t i = 0; i < sv.n; ++i) {
            out = str_cat(out, " ", 1);
            out = str_cat(out, sv.v[idx[i]]->buf, sv.v[idx[i]]->len);
        }
        for (size_t i = 0; i < sv.n; ++i) {
            str_free(sv.v[i]);
            str_free(fields.v[i]);
        }
        free(idx);
        free(sv.v);
        free(fields.v);
        return out;
    }
    tzset_iter_t it;
    tzset_elem_t e;
    tzset_iter_init(&it, o, false);
    while (tzset_iter_next(&it, &e)) {
        str_t *s = escaped(e.p, e.n);
        s = str_catfmt(s, "=%.17g", e.score);
        vec_push(&sv, s);
    }
    return vec_flush(&sv, out, false);
}

static str_t *canon(db_t *dbs)
{
    str_t *out = str_new_cap(1024);
    for (int d = 0; d < NDBS; ++d) {
        strvec_t keys = {0};
        dict_iter_t it;
        dict_entry_t *e;
        dict_iter_init(&it, dbs[d].keys, false);
        while ((e = dict_iter_next(&it)) != NULL)
            vec_push(&keys, str_dup(e->key));
        dict_iter_destroy(&it);
        if (keys.n > 1)
            qsort(keys.v, keys.n, sizeof(*keys.v), cmp_str);
        for (size_t i = 0; i < keys.n; ++i) {
            str_t *k = keys.v[i];
            obj_t *o = db_lookup_quiet(&dbs[d], key_ref_str(k));
            out = str_catfmt(out, "%d ", d);
            out = esc(out, k->buf, k->len);
            out = str_catfmt(out, " %s %s %lld", obj_type_name(o->type),
                             obj_encoding_name(o->encoding),
                             (long long)db_get_expire(&dbs[d], key_ref_str(k)));
            out = canon_items(out, o);
            out = str_cat(out, "\n", 1);
            str_free(k);
        }
        free(keys.v);
    }
    return out;
}

/* Where two texts first differ, for diagnostics. */
static void diff_diag(const str_t *got, const char *want, size_t wn)
{
    size_t i = 0;
    while (i < got->len && i < wn && got->buf[i] == want[i])
        ++i;
    size_t from = i > 60 ? i - 60 : 0;
    diag("first difference at byte %zu", i);
    diag("got:  ...%.*s", (int)(got->len - from < 160 ? got->len - from : 160), got->buf + from);
    diag("want: ...%.*s", (int)(wn - from < 160 ? wn - from : 160), want + from);
}

static bool same_text(const str_t *got, const char *want, size_t wn)
{
    bool same = got->len == wn && memcmp(got->buf, want, wn) == 0;
    if (!same)
        diff_diag(got, want, wn);
    return same;
}

/* ---- fixtures from redis-server 7.0.15 -------------------------------------- */

static void test_fixture(const char *name)
{
    size_t n, tn;
    char *data = slurp(fixture_path(name, "rdb"), &n);
    char *text = slurp(fixture_path(name, "txt"), &tn);
    if (data == NULL || text == NULL) {
        skip(3, "fixture files not found (set top_srcdir)");
        free(data);
        free(text);
        return;
    }
    db_t *dbs = db_array_new(NDBS);
    char msg[256];
    /* Expired keys are dropped, as the reference did as a primary. */
    int rc = load_mem(data, n, dbs, RDB_LOAD_SKIP_EXPIRED, msg, NULL);
    if (!ok(rc == 0, "%s.rdb loads", name))
        diag("error %d: %s", rc, msg);
    str_t *got = canon(dbs);
    ok(same_text(got, text, tn), "%s.rdb: content and encodings as the reference", name);

    /* Saved again by this writer and loaded back: the same content. */
    str_t *img = save_all(dbs, true, RDB_CLOCK_NONE);
    db_t *again = db_array_new(NDBS);
    rc = load_mem(img->buf, img->len, again, 0, msg, NULL);
    str_t *got2 = canon(again);
    ok(rc == 0 && same_text(got2, text, tn), "%s: round trip through the writer", name);
    str_free(got2);
    str_free(got);
    str_free(img);
    db_array_free(again, NDBS);
    db_array_free(dbs, NDBS);
    free(data);
    free(text);
}

typedef struct clock_seen {
    int idle, freq, keys;
} clock_seen_t;

static int clock_key(void *arg, rdb_reader_t *r, rdb_entry_t *e)
{
    clock_seen_t *cs = arg;
    UNUSED(r);
    cs->keys++;
    cs->idle += e->idle_s >= 0;
    cs->freq += e->freq >= 0;
    if (e->freq >= 0 && e->freq != 5)
        cs->freq += 100;
    obj_decref(e->val);
    return 0;
}

static void test_clock_fixtures(void)
{
    size_t n;
    const char *names[] = {"clock-lru", "clock-lfu"};
    for (int i = 0; i < 2; ++i) {
        char *data = slurp(fixture_path(names[i], "rdb"), &n);
        if (data == NULL) {
            skip(1, "fixture not found");
            continue;
        }
        clock_seen_t cs = {0};
        rdb_reader_t r;
        rdb_reader_init_mem(&r, data, n);
        rdb_load_cbs_t cbs = {.key = clock_key, .arg = &cs};
        int rc = rdb_load(&r, &cbs);
        if (i == 0)
            ok(rc == 0 && cs.keys == 6 && cs.idle == 6 && cs.freq == 0,
               "IDLE records before every key under LRU");
        else
            ok(rc == 0 && cs.keys == 6 && cs.freq == 6 && cs.idle == 0,
               "FREQ records (counter 5) before every key under LFU");
        rdb_reader_destroy(&r);
        free(data);
    }
}

static int function_cb(void *arg, rdb_reader_t *r, const char *code, size_t n)
{
    UNUSED(r);
    str_t **s = arg;
    *s = str_cat(*s, code, n);
    return 0;
}

static int drop_key(void *arg, rdb_reader_t *r, rdb_entry_t *e)
{
    UNUSED(arg);
    UNUSED(r);
    obj_decref(e->val);
    return 0;
}

static void test_functions_fixture(void)
{
    size_t n;
    char *data = slurp(fixture_path("functions", "rdb"), &n);
    if (data == NULL) {
        skip(3, "fixture not found");
        return;
    }
    db_t *dbs = db_array_new(NDBS);
    char msg[256];
    int rc = load_mem(data, n, dbs, 0, msg, NULL);
    is_int(rc, -ENOTSUP, "function libraries are refused without a callback");
    ok(strstr(msg, "function libraries are not supported") != NULL, "with a clear reason: %s",
       msg);
    str_t *code = str_new_cap(16);
    rdb_reader_t r;
    rdb_reader_init_mem(&r, data, n);
    rdb_load_cbs_t cbs = {.key = drop_key, .function = function_cb, .arg = &code};
    rc = rdb_load(&r, &cbs);
    ok(rc == 0 && r.keys == 1 && strstr(code->buf, "#!lua name=mylib") != NULL,
       "a function callback receives the library code");
    rdb_reader_destroy(&r);
    str_free(code);
    db_array_free(dbs, NDBS);
    free(data);
}

/* ---- values built here: every type and encoding ---------------------------- */

static void put(db_t *db, const char *key, obj_t *o, int64_t expire)
{
    db_add(db, key_ref(key, strlen(key)), o);
    if (expire != -1)
        db_set_expire(db, key_ref(key, strlen(key)), expire);
}

static void fill_strings(db_t *db)
{
    put(db, "int", obj_new_string("-123456", 7), -1);
    put(db, "int64", obj_new_string("-9223372036854775808", 20), -1);
    put(db, "embstr", obj_new_string("hello world", 11), -1);
    put(db, "empty", obj_new_string("", 0), -1);
    put(db, "notint", obj_new_string("0123", 4), 4102444800123LL);
    str_t *big = str_new_cap(300000);
    for (int i = 0; big->len < 300000; ++i)
        big = str_catfmt(big, "line %d of a compressible text; ", i % 50);
    put(db, "lzf", obj_new_raw_str(big), -1);
    char bin[256];
    for (int i = 0; i < 256; ++i)
        bin[i] = (char)i;
    put(db, "binary", obj_new_string(bin, sizeof(bin)), -1);
    char rnd[2000];
    for (size_t i = 0; i < sizeof(rnd); ++i)
        rnd[i] = (char)rand();
    put(db, "random", obj_new_string(rnd, sizeof(rnd)), -1);
    put(db, "123", obj_new_string("integer key", 11), -1);
}

static void fill_collections(db_t *db)
{
    char f[64], v[128];
    obj_t *h = thash_new();
    (void)thash_set(h, "a", 1, "1", 1);
    (void)thash_set(h, "b", 1, "-20", 3);
    put(db, "hash-lp", h, -1);
    h = thash_new();
    for (int i = 0; i < 1000; ++i) {
        snprintf(f, sizeof(f), "field-%d", i);
        snprintf(v, sizeof(v), "%d", i * 7);
        (void)thash_set(h, f, strlen(f), v, strlen(v));
    }
    put(db, "hash-ht", h, 4102444800000LL);
    obj_t *s = tset_new_intset();
    for (int i = -5; i < 300; i += 3)
        (void)tset_add(s, v, (size_t)snprintf(v, sizeof(v), "%d", i * 100000));
    put(db, "set-intset", s, -1);
    s = tset_new_intset();
    for (int i = 0; i < 2000; ++i)
        (void)tset_add(s, v, (size_t)snprintf(v, sizeof(v), "m%d", i));
    put(db, "set-ht", s, -1);
    obj_t *z = tzset_new_listpack();
    (void)tzset_add(z, 1.5, "a", 1, 0, NULL);
    (void)tzset_add(z, -INFINITY, "b", 1, 0, NULL);
    (void)tzset_add(z, INFINITY, "c", 1, 0, NULL);
    (void)tzset_add(z, 3, "7", 1, 0, NULL);
    put(db, "zset-lp", z, -1);
    z = tzset_new_skiplist(0);
    for (int i = 0; i < 500; ++i)
        (void)tzset_add(z, i * 0.25 - 3, v, (size_t)snprintf(v, sizeof(v), "member-%d", i), 0,
                        NULL);
    put(db, "zset-skiplist", z, -1);
    obj_t *l = tlist_new();
    for (int i = 0; i < 5; ++i)
        tlist_push(l, v, (size_t)snprintf(v, sizeof(v), "%d", i - 2), TLIST_TAIL);
    put(db, "list-small", l, -1);
    l = tlist_new_with(-2, 1);
    for (int i = 0; i < 5000; ++i)
        tlist_push(l, v, (size_t)snprintf(v, sizeof(v), "element number %d", i % 100),
                   TLIST_TAIL);
    put(db, "list-compressed", l, -1);
    l = tlist_new();
    memset(v, 'x', 100);
    tlist_push(l, v, 100, TLIST_HEAD);
    put(db, "list-long-elem", l, -1);
}

static void test_round_trip_built(void)
{
    db_t *dbs = db_array_new(NDBS);
    fill_strings(&dbs[0]);
    fill_collections(&dbs[0]);
    fill_strings(&dbs[9]);
    str_t *want = canon(dbs);
    for (int compress = 0; compress <= 1; ++compress) {
        str_t *img = save_all(dbs, compress, RDB_CLOCK_NONE);
        db_t *back = db_array_new(NDBS);
        char msg[256];
        int rc = load_mem(img->buf, img->len, back, 0, msg, NULL);
        if (rc != 0)
            diag("error %d: %s", rc, msg);
        str_t *got = canon(back);
        ok(rc == 0 && same_text(got, want->buf, want->len),
           "every type and encoding round-trips (compression %s, %zu bytes)",
           compress ? "on" : "off", (size_t)img->len);
        if (compress)
            ok(img->len < 200000, "LZF shrinks the compressible values");
        str_free(got);
        str_free(img);
        db_array_free(back, NDBS);
    }
    str_free(want);
    db_array_free(dbs, NDBS);
}

static void test_large_values(void)
{
    db_t *dbs = db_array_new(NDBS);
    char v[64];
    obj_t *l = tlist_new();
    for (int i = 0; i < 200000; ++i)
        tlist_push(l, v, (size_t)snprintf(v, sizeof(v), "%d", i), TLIST_TAIL);
    put(&dbs[0], "biglist", l, -1);
    str_t *s = str_grow_zero(str_new_cap(0), 5 << 20);
    for (size_t i = 0; i < s->len; i += 4096)
        s->buf[i] = (char)(i >> 12);
    put(&dbs[0], "bigstring", obj_new_raw_str(s), -1);
    obj_t *z = tzset_new_skiplist(0);
    for (int i = 0; i < 50000; ++i)
        (void)tzset_add(z, (double)(i % 1000), v, (size_t)snprintf(v, sizeof(v), "m%d", i), 0,
                        NULL);
    put(&dbs[0], "bigzset", z, -1);
    str_t *want = canon(dbs);
    str_t *img = save_all(dbs, true, RDB_CLOCK_NONE);
    db_t *back = db_array_new(NDBS);
    int rc = load_mem(img->buf, img->len, back, 0, NULL, NULL);
    str_t *got = canon(back);
    ok(rc == 0 && same_text(got, want->buf, want->len), "large values round-trip (%zu bytes)",
       (size_t)img->len);
    str_free(got);
    str_free(want);
    str_free(img);
    db_array_free(back, NDBS);
    db_array_free(dbs, NDBS);
}

/* ---- DUMP payloads ------------------------------------------------------------ */

static int unhex(const char *hex, uint8_t *out)
{
    int n = 0;
    for (; hex[0] && hex[1]; hex += 2)
        out[n++] = (uint8_t)strtol((char[]){hex[0], hex[1], 0}, NULL, 16);
    return n;
}

static void check_dump(obj_t *o, const char *ref_hex, const char *what)
{
    uint8_t ref[512];
    int n = unhex(ref_hex, ref);
    str_t *d = rdb_dump(o, true);
    if (!is_mem(d->buf, d->len, ref, n, "DUMP %s is byte-identical to the reference", what))
        diag("got %u bytes", d->len);
    obj_t *back = NULL;
    ok(rdb_dump_verify(ref, (size_t)n) == 0 && rdb_restore(ref, (size_t)n, &back) == 0 &&
           back->type == o->type,
       "RESTORE of the reference's %s payload", what);
    if (back != NULL)
        obj_decref(back);
    str_free(d);
    obj_decref(o);
}

static void test_dump(void)
{
    check_dump(obj_new_string("hello", 5), "000568656c6c6f0a006372df766534200a", "string");
    check_dump(obj_new_string("12345", 5), "00c139300a009d94ea2793fc08b9", "int");
    check_dump(obj_new_string("9999999999", 10),
               "000a393939393939393939390a00d26ac299df53efd2", "big int");
    obj_t *h = thash_new();
    (void)thash_set(h, "a", 1, "1", 1);
    (void)thash_set(h, "b", 1, "hello", 5);
    check_dump(h, "101616000000040081610201018162028568656c6c6f06ff0a00e8c5fe99ee07955d",
               "hash listpack");
    obj_t *s = tset_new_intset();
    (void)tset_add(s, "1", 1);
    (void)tset_add(s, "2", 1);
    (void)tset_add(s, "300", 3);
    check_dump(s, "0b0e0200000003000000010002002c010a00e510b28e7b9529aa", "intset");
    obj_t *z = tzset_new_listpack();
    (void)tzset_add(z, 1, "a", 1, 0, NULL);
    (void)tzset_add(z, 2.5, "b", 1, 0, NULL);
    check_dump(z, "1114140000000400816102010181620283322e3504ff0a00d44c6ea4f644d9d7",
               "zset listpack");
    obj_t *l = tlist_new();
    tlist_push(l, "x", 1, TLIST_TAIL);
    tlist_push(l, "y", 1, TLIST_TAIL);
    tlist_push(l, "7", 1, TLIST_TAIL);
    check_dump(l, "1201020f0f00000003008178028179020701ff0a008b57d83ced5ea709", "list");
    s = tset_new_ht(1);
    (void)tset_add(s, "abc", 3);
    check_dump(s, "0201036162630a00a3cbec4c8c2f31f0", "set");

    uint8_t p[64];
    int n = unhex("000568656c6c6f0a006372df766534200a", p);
    obj_t *o = NULL;
    p[2] ^= 1;
    is_int(rdb_dump_verify(p, (size_t)n), -EBADMSG, "a changed byte fails the CRC");
    p[2] ^= 1;
    p[7] = 11;
    is_int(rdb_dump_verify(p, (size_t)n), -EBADMSG, "version 11 is refused");
    /* Version 9 with a fresh CRC is accepted. */
    p[7] = 9;
    uint64_t crc = crc64(0, p, (size_t)n - 8);
    for (int i = 0; i < 8; ++i)
        p[n - 8 + i] = (uint8_t)(crc >> (8 * i));
    ok(rdb_dump_verify(p, (size_t)n) == 0 && rdb_restore(p, (size_t)n, &o) == 0,
       "older versions are accepted");
    if (o != NULL)
        obj_decref(o);
    is_int(rdb_dump_verify(p, 9), -EBADMSG, "too short for a footer");
    /* A value longer than the whole payload is bad data; one that runs
     * into the footer loads, as in Redis, which reads the payload whole. */
    uint8_t t[] = {0x00, 0x0f, 'h', 'e', 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    crc = crc64(0, t, sizeof(t) - 8);
    for (int i = 0; i < 8; ++i)
        t[sizeof(t) - 8 + i] = (uint8_t)(crc >> (8 * i));
    ok(rdb_dump_verify(t, sizeof(t)) == 0, "the footer of the truncated payload is right");
    is_int(rdb_restore(t, sizeof(t), &o), -EINVAL, "a truncated value is bad data");
    t[1] = 0x05;
    crc = crc64(0, t, sizeof(t) - 8);
    for (int i = 0; i < 8; ++i)
        t[sizeof(t) - 8 + i] = (uint8_t)(crc >> (8 * i));
    ok(rdb_restore(t, sizeof(t), &o) == 0 && obj_string_len(o) == 5,
       "a value may run into the footer, as in Redis");
    if (o != NULL)
        obj_decref(o);
    /* An empty set (count 0) is bad data for RESTORE. */
    uint8_t e[] = {0x02, 0x00, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    is_int(rdb_restore(e, sizeof(e), &o), -EINVAL, "an empty collection is bad data");
    uint8_t m[] = {0x07, 0x00, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    is_int(rdb_restore(m, sizeof(m), &o), -EINVAL, "module values are bad data");
}

/* ---- corruption ---------------------------------------------------------------- */

/* A small file with one key of each type. */
static str_t *small_file(void)
{
    db_t *dbs = db_array_new(NDBS);
    obj_t *h = thash_new();
    (void)thash_set(h, "f", 1, "v", 1);
    put(&dbs[0], "h", h, -1);
    obj_t *s = tset_new_intset();
    (void)tset_add(s, "5", 1);
    put(&dbs[0], "s", s, 4102444800000LL);
    obj_t *s2 = tset_new_ht(2);
    (void)tset_add(s2, "aa", 2);
    put(&dbs[0], "s2", s2, -1);
    obj_t *z = tzset_new_skiplist(1);
    (void)tzset_add(z, 2, "zz", 2, 0, NULL);
    put(&dbs[1], "z", z, -1);
    obj_t *l = tlist_new();
    tlist_push(l, "e", 1, TLIST_TAIL);
    put(&dbs[1], "l", l, -1);
    put(&dbs[2], "str", obj_new_string("a string value that LZF compresses compresses", 45),
        -1);
    str_t *img = save_all(dbs, true, RDB_CLOCK_LRU);
    db_array_free(dbs, NDBS);
    return img;
}

static void test_truncation(void)
{
    str_t *img = small_file();
    bool all = true, offsets = true;
    for (size_t cut = 0; cut < img->len; ++cut) {
        db_t *dbs = db_array_new(NDBS);
        char msg[256];
        uint64_t off;
        int rc = load_mem(img->buf, cut, dbs, 0, msg, &off);
        if (rc != -EINVAL || strstr(msg, "unexpected end of input") == NULL) {
            if (all)
                diag("cut at %zu: %d '%s'", cut, rc, msg);
            all = false;
        }
        offsets &= off <= cut;
        db_array_free(dbs, NDBS);
    }
    ok(all, "each of the %u truncation points is rejected as truncated", img->len);
    ok(offsets, "error offsets stay within the truncated input");
    db_t *dbs = db_array_new(NDBS);
    ok(load_mem(img->buf, img->len, dbs, 0, NULL, NULL) == 0, "the whole file loads");
    db_array_free(dbs, NDBS);
    str_free(img);
}

static void test_bit_flips(void)
{
    str_t *img = small_file();
    int missed = 0;
    for (size_t i = 0; i < img->len; ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            img->buf[i] ^= (char)(1 << bit);
            db_t *dbs = db_array_new(NDBS);
            if (load_mem(img->buf, img->len, dbs, 0, NULL, NULL) == 0)
                ++missed;
            db_array_free(dbs, NDBS);
            img->buf[i] ^= (char)(1 << bit);
        }
    }
    is_int(missed, 0, "all %u single-bit flips are caught", img->len * 8);
    str_free(img);
}

/* Builds "REDIS0010" + body + EOF + CRC. */
static str_t *wrap(const void *body, size_t n)
{
    str_t *s = str_new("REDIS0010", 9);
    s = str_cat(s, body, n);
    s = str_cat(s, "\xff", 1);
    uint64_t crc = crc64(0, s->buf, s->len);
    char b[8];
    for (int i = 0; i < 8; ++i)
        b[i] = (char)(crc >> (8 * i));
    return str_cat(s, b, 8);
}

static void expect_error(const void *body, size_t n, int code, const char *reason,
                         const char *what)
{
    str_t *s = wrap(body, n);
    db_t *dbs = db_array_new(NDBS);
    char msg[256];
    uint64_t off;
    int rc = load_mem(s->buf, s->len, dbs, 0, msg, &off);
    if (!ok(rc == code && strstr(msg, reason) != NULL, "%s: '%s' at offset %llu", what, msg,
            (unsigned long long)off))
        diag("rc %d, want %d and '%s'", rc, code, reason);
    db_array_free(dbs, NDBS);
    str_free(s);
}

#define BODY(lit) lit, sizeof(lit) - 1

static void test_record_errors(void)
{
    db_t *dbs = db_array_new(NDBS);
    char msg[256];
    is_int(load_mem("REDIS0011\xff", 10, dbs, 0, msg, NULL), -EINVAL, "version 11 refused");
    ok(strstr(msg, "can't handle RDB format version 11") != NULL, "%s", msg);
    is_int(load_mem("RADIS0010\xff", 10, dbs, 0, msg, NULL), -EINVAL, "bad signature");
    ok(strstr(msg, "wrong signature") != NULL, "%s", msg);
    str_t *s = wrap("", 0);
    s->buf[s->len - 1] ^= 0x40;
    uint64_t off;
    is_int(load_mem(s->buf, s->len, dbs, 0, msg, &off), -EINVAL, "wrong checksum");
    ok(strstr(msg, "wrong RDB checksum") != NULL && off == 10, "%s at %llu", msg,
       (unsigned long long)off);
    memset(s->buf + s->len - 8, 0, 8);
    is_int(load_mem(s->buf, s->len, dbs, 0, msg, NULL), 0, "a zero checksum is not checked");
    str_free(s);
    /* A version 4 file has no checksum at all. */
    is_int(load_mem(BODY("REDIS0004\xfe\x00\x00\x01k\x01v\xff"), dbs, 0, msg, NULL), 0,
           "version 4 without checksum");
    ok(db_size(&dbs[0]) == 1, "its key is loaded");
    is_int(load_mem(BODY("REDIS0010\xf9"), dbs, 0, msg, NULL), -EINVAL, "FREQ at the end");
    ok(strstr(msg, "unexpected end of input") != NULL, "%s", msg);
    db_array_free(dbs, NDBS);

    expect_error(BODY("\x08\x01k"), -EINVAL, "unknown record type 8", "type 8");
    expect_error(BODY("\xf7\x05hello"), -ENOTSUP, "MODULE_AUX", "module aux");
    expect_error(BODY("\x07\x01k\x00"), -ENOTSUP, "module values", "module value");
    expect_error(BODY("\x0f\x01k\x00"), -ENOTSUP, "stream values", "stream value");
    expect_error(BODY("\xf6\x00"), -ENOTSUP, "pre-release function", "FUNCTION pre-GA");
    expect_error(BODY("\xfe\x10\x00\x01k\x01v"), -ERANGE, "database 16 out of range",
                 "database out of range");
    expect_error(BODY("\x00\x01k\x01v\x00\x01k\x01w"), -EEXIST, "duplicate key",
                 "duplicate key");
    expect_error(BODY("\x00\x01k\xc5"), -EINVAL, "unknown string encoding 5 (key 'k')",
                 "unknown string encoding");
    expect_error(BODY("\x00\x01k\xc3\x02\x05\x00a"), -EINVAL, "invalid LZF",
                 "corrupt LZF data");
    expect_error(BODY("\x00\x01k\xc3\x01\x7f\xff\x00"), -EINVAL, "bad LZF string lengths",
                 "LZF expansion beyond the format's ratio");
    expect_error(BODY("\x00\x01k\x82"), -EINVAL, "bad length encoding 0x82",
                 "length marker 0x82");
    expect_error(BODY("\x02\x01k\x03\x01" "a\x01" "a\x01" "b"), -EINVAL,
                 "duplicate set member", "duplicate set member");
    expect_error(BODY("\x04\x01k\x02\x01" "a\x01" "1\x01" "a\x01" "2"), -EINVAL,
                 "duplicate hash field", "duplicate hash field");
    expect_error(BODY("\x03\x01k\x01\x01" "a\xfd"), -EINVAL, "NaN score", "NaN score");
    expect_error(BODY("\x03\x01k\x02\x01" "a\x01" "1\x01" "a\x01" "2"), -EINVAL,
                 "duplicate sorted set member", "duplicate zset member");
    expect_error(BODY("\x12\x01k\x01\x03\x00"), -EINVAL, "unknown quicklist container 3",
                 "bad container");
    expect_error(BODY("\x12\x01k\x01\x02\x07\x07\x00\x00\x00\x00\x00\xfe"), -EINVAL,
                 "invalid list listpack", "listpack without its terminator");
    expect_error(BODY("\x0b\x01k\x0a\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00"), -EINVAL,
                 "invalid intset", "intset count larger than its data");
    expect_error(BODY("\x02\x01k\x8f"), -EINVAL, "bad length encoding", "count marker");
    expect_error(BODY("\x02\x01k\x80\x10\x00\x00\x00"), -EINVAL, "exceeds the remaining",
                 "huge count");
    expect_error(BODY("\x00\x01k\x80\x7f\x00\x00\x00"), -EINVAL, "unexpected end",
                 "huge string length");
}

/* Ziplist and zipmap blobs inside a value of type t. */
static void expect_blob_error(int t, const uint8_t *blob, size_t n, const char *reason,
                              const char *what)
{
    str_t *body = str_new("\0\x01k", 3);
    body->buf[0] = (char)t;
    char len = (char)n;
    body = str_cat(body, &len, 1);
    body = str_cat(body, blob, n);
    expect_error(body->buf, body->len, -EINVAL, reason, what);
    str_free(body);
}

/* A file holding one key "k" of type t whose value is the string blob. */
static str_t *blob_file(int t, const uint8_t *blob, size_t n)
{
    REQUIRE(n < 64);
    str_t *body = str_new("\0\x01k", 3);
    body->buf[0] = (char)t;
    char len = (char)n;
    body = str_cat(body, &len, 1);
    body = str_cat(body, blob, n);
    str_t *s = wrap(body->buf, body->len);
    str_free(body);
    return s;
}

static int load_checked(const str_t *img, bool deep)
{
    rdb_reader_t r;
    rdb_reader_init_mem(&r, img->buf, img->len);
    r.deep_check = deep;
    db_t *dbs = db_array_new(NDBS);
    int rc = rdb_load_into(&r, dbs, NDBS, 0, NULL);
    db_array_free(dbs, NDBS);
    rdb_reader_destroy(&r);
    return rc;
}

/*
 * Without deep_check, listpacks and intsets get their structure checked
 * only; their per-entry rules still apply when the load converts them.
 */
static void test_shallow_checks(void)
{
    uint8_t *lp = lp_new();
    lp = lp_append(lp, "a", 1);
    lp = lp_append(lp, "1", 1);
    lp = lp_append(lp, "a", 1);
    lp = lp_append(lp, "2", 1);
    str_t *img = blob_file(RDB_TYPE_HASH_LISTPACK, lp, lp_bytes(lp));
    is_int(load_checked(img, true), -EINVAL, "deep: a hash listpack with a field twice");
    is_int(load_checked(img, false), 0, "shallow: its structure is enough");
    long long saved = db_env.hash_max_listpack_entries;
    db_env.hash_max_listpack_entries = 1;
    is_int(load_checked(img, false), -EINVAL, "shallow, but converted: rejected");
    db_env.hash_max_listpack_entries = saved;
    str_free(img);
    img = blob_file(RDB_TYPE_ZSET_LISTPACK, lp, lp_bytes(lp));
    is_int(load_checked(img, true), -EINVAL, "deep: a sorted set listpack with a member twice");
    is_int(load_checked(img, false), 0, "shallow: its structure is enough");
    saved = db_env.zset_max_listpack_entries;
    db_env.zset_max_listpack_entries = 1;
    is_int(load_checked(img, false), -EINVAL, "shallow, but converted: rejected");
    db_env.zset_max_listpack_entries = saved;
    str_free(img);
    /* An entry whose length runs past the terminator. */
    lp[LP_HDR_SIZE] = 0xbf;
    img = blob_file(RDB_TYPE_HASH_LISTPACK, lp, lp_bytes(lp));
    is_int(load_checked(img, false), -EINVAL, "shallow: a bad entry length is rejected");
    str_free(img);
    lp_free(lp);
    /* An intset of 3, 2 (int16). */
    const uint8_t is[] = {2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 2, 0};
    img = blob_file(RDB_TYPE_SET_INTSET, is, sizeof(is));
    is_int(load_checked(img, true), -EINVAL, "deep: an intset out of order");
    is_int(load_checked(img, false), 0, "shallow: its structure is enough");
    saved = db_env.set_max_intset_entries;
    db_env.set_max_intset_entries = 1;
    is_int(load_checked(img, false), -EINVAL, "shallow, but converted: rejected");
    db_env.set_max_intset_entries = saved;
    str_free(img);
}

static void test_ziplist_errors(void)
{
    /* A valid ziplist of "a", 5: header, entries, end. */
    const uint8_t good[] = {16, 0, 0, 0, 13, 0, 0, 0, 2, 0, 0x00, 0x01, 'a',
                            0x03, 0xf6, 0xff};
    INSIST(sizeof(good) == 16);
    uint8_t zl[16];
    memcpy(zl, good, 16);
    str_t *body = str_new("\x0a\x01k\x10", 4);
    body = str_cat(body, zl, 16);
    str_t *f = wrap(body->buf, body->len);
    db_t *dbs = db_array_new(NDBS);
    char msg[256];
    ok(load_mem(f->buf, f->len, dbs, 0, msg, NULL) == 0, "a hand-made ziplist loads: %s", msg);
    obj_t *o = db_lookup_quiet(&dbs[0], key_ref("k", 1));
    ok(o != NULL && o->type == OBJ_LIST && tlist_len(o) == 2, "as a list of two");
    db_array_free(dbs, NDBS);
    str_free(f);
    str_free(body);

    struct { size_t at; uint8_t v; const char *what; } cases[] = {
        {0, 17, "total bytes too big"},
        {4, 10, "tail offset wrong"},
        {8, 3, "count wrong"},
        {13, 2, "prevlen wrong"},
        {14, 0xf0, "int24 past the end"},
        {14, 0xff, "terminator inside"},
        {14, 0x80, "32-bit string length past the end"},
        {11, 0x05, "string past the end"},
        {15, 0x00, "no terminator"},
        {14, 0xf7 & 0x7f, "bad encoding"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); ++i) {
        memcpy(zl, good, 16);
        zl[cases[i].at] = cases[i].v;
        expect_blob_error(RDB_TYPE_LIST_ZIPLIST, zl, 16, "invalid ziplist", cases[i].what);
    }
    const uint8_t odd[] = {14, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0x00, 0x01, 'a', 0xff};
    expect_blob_error(RDB_TYPE_HASH_ZIPLIST, odd, sizeof(odd), "invalid hash listpack",
                      "a hash ziplist needs field/value pairs");

    /* Zipmap: count 1, "a" -> "1" with one free byte, end. */
    const uint8_t zm_good[] = {1, 1, 'a', 1, 1, '1', 0, 0xff};
    uint8_t zm[8];
    memcpy(zm, zm_good, 8);
    zm[0] = 2;
    expect_blob_error(RDB_TYPE_HASH_ZIPMAP, zm, 8, "invalid zipmap", "zipmap count wrong");
    memcpy(zm, zm_good, 8);
    zm[4] = 3;
    expect_blob_error(RDB_TYPE_HASH_ZIPMAP, zm, 8, "invalid zipmap", "zipmap free too big");
    memcpy(zm, zm_good, 8);
    zm[3] = 254;
    expect_blob_error(RDB_TYPE_HASH_ZIPMAP, zm, 8, "invalid zipmap", "zipmap long length");
    memcpy(zm, zm_good, 8);
    zm[1] = 255;
    expect_blob_error(RDB_TYPE_HASH_ZIPMAP, zm, 8, "invalid zipmap", "zipmap early end");
}

/* ---- expiry, replace, empty keys, streams ------------------------------------- */

static void test_load_flags(void)
{
    /* k1 expired long ago, k2 expires in 2100. */
    const char body[] = "\xfc\x01\x00\x00\x00\x00\x00\x00\x00\x00\x02k1\x01v"
                        "\xfc\x00\xd8\xc3\x2c\xbb\x03\x00\x00\x00\x02k2\x01v"
                        "\x02\x02k3\x00";
    str_t *f = wrap(body, sizeof(body) - 1);
    db_t *dbs = db_array_new(NDBS);
    rdb_reader_t r;
    rdb_load_stats_t st;
    rdb_reader_init_mem(&r, f->buf, f->len);
    int rc = rdb_load_into(&r, dbs, NDBS, RDB_LOAD_SKIP_EXPIRED, &st);
    ok(rc == 0 && st.keys == 1 && st.expired_skipped == 1 && st.empty_skipped == 1 &&
           st.expires == 1,
       "expired keys and empty collections are skipped and counted");
    ok(db_get_expire(&dbs[0], key_ref("k2", 2)) == 4102444800000LL, "expire kept");
    rdb_reader_destroy(&r);
    db_array_free(dbs, NDBS);

    dbs = db_array_new(NDBS);
    rdb_reader_init_mem(&r, f->buf, f->len);
    rc = rdb_load_into(&r, dbs, NDBS, 0, &st);
    ok(rc == 0 && st.keys == 2 && db_size(&dbs[0]) == 2, "a replica keeps expired keys");
    rdb_reader_destroy(&r);
    /* Loading the same file again replaces with RDB_LOAD_REPLACE. */
    rdb_reader_init_mem(&r, f->buf, f->len);
    rc = rdb_load_into(&r, dbs, NDBS, RDB_LOAD_REPLACE, &st);
    ok(rc == 0 && db_size(&dbs[0]) == 2, "duplicates replace with RDB_LOAD_REPLACE");
    rdb_reader_destroy(&r);
    db_array_free(dbs, NDBS);
    str_free(f);
}

static void test_clock_apply(void)
{
    db_t *dbs = db_array_new(NDBS);
    put(&dbs[0], "k", obj_new_string("v", 1), -1);
    db_env.lru_clock = (db_env.lru_clock + 100) & OBJ_LRU_MAX;
    str_t *img = save_all(dbs, true, RDB_CLOCK_LRU);
    db_t *back = db_array_new(NDBS);
    ok(load_mem(img->buf, img->len, back, 0, NULL, NULL) == 0, "LRU file loads");
    obj_t *o = db_lookup_quiet(&back[0], key_ref("k", 1));
    uint64_t idle = o ? db_idle_ms(o) : 0;
    ok(idle >= 99000 && idle <= 101000, "idle time restored (%llu ms)", (unsigned long long)idle);
    db_array_free(back, NDBS);
    str_free(img);

    db_env.lfu = true;
    o = db_lookup_quiet(&dbs[0], key_ref("k", 1));
    o->lru = (unsigned)((db_env.now_ms / 60000) & 0xffff) << 8 | 42;
    img = save_all(dbs, true, RDB_CLOCK_LFU);
    back = db_array_new(NDBS);
    ok(load_mem(img->buf, img->len, back, 0, NULL, NULL) == 0, "LFU file loads");
    o = db_lookup_quiet(&back[0], key_ref("k", 1));
    is_int(o ? db_lfu_count(o) : 0, 42, "LFU counter restored");
    db_array_free(back, NDBS);
    str_free(img);
    db_array_free(dbs, NDBS);
    defaults();
}

typedef struct drip {
    const char *p;
    size_t n, pos, step;
} drip_t;

static long drip_read(void *ctx, void *buf, size_t cap)
{
    drip_t *d = ctx;
    size_t k = d->n - d->pos;
    k = k < d->step ? k : d->step;
    k = k < cap ? k : cap;
    memcpy(buf, d->p + d->pos, k);
    d->pos += k;
    return (long)k;
}

static long failing_read(void *ctx, void *buf, size_t cap)
{
    UNUSED(ctx);
    UNUSED(buf);
    UNUSED(cap);
    return -EIO;
}

static void test_stream_source(void)
{
    db_t *dbs = db_array_new(NDBS);
    fill_strings(&dbs[0]);
    fill_collections(&dbs[3]);
    str_t *want = canon(dbs);
    str_t *img = save_all(dbs, true, RDB_CLOCK_NONE);
    db_array_free(dbs, NDBS);
    size_t steps[] = {1, 7, 100000};
    for (size_t i = 0; i < ARRAY_LEN(steps); ++i) {
        drip_t d = {img->buf, img->len, 0, steps[i]};
        rdb_reader_t r;
        rdb_reader_init(&r, drip_read, &d);
        db_t *back = db_array_new(NDBS);
        int rc = rdb_load_into(&r, back, NDBS, 0, NULL);
        str_t *got = canon(back);
        ok(rc == 0 && same_text(got, want->buf, want->len) && r.offset == img->len,
           "stream source with reads of %zu bytes", steps[i]);
        str_free(got);
        db_array_free(back, NDBS);
        rdb_reader_destroy(&r);
    }
    drip_t d = {img->buf, img->len / 2, 0, 4096};
    rdb_reader_t r;
    rdb_reader_init(&r, drip_read, &d);
    db_t *back = db_array_new(NDBS);
    ok(rdb_load_into(&r, back, NDBS, 0, NULL) == -EINVAL &&
           strstr(r.err_msg, "unexpected end") != NULL,
       "a stream that ends early: %s", r.err_msg);
    rdb_reader_destroy(&r);
    rdb_reader_init(&r, failing_read, NULL);
    ok(rdb_load_into(&r, back, NDBS, 0, NULL) == -EIO && strstr(r.err_msg, "read error"),
       "a failing source: %s", r.err_msg);
    rdb_reader_destroy(&r);
    db_array_free(back, NDBS);
    str_free(img);
    str_free(want);
}

static int failing_sink(void *ctx, const void *p, size_t n)
{
    UNUSED(p);
    size_t *left = ctx;
    if (*left < n)
        return -ENOSPC;
    *left -= n;
    return 0;
}

static void test_sink_error(void)
{
    db_t *dbs = db_array_new(NDBS);
    fill_collections(&dbs[0]);
    size_t left = 1000;
    rdb_writer_t w;
    rdb_writer_init(&w, failing_sink, &left);
    rdb_aux_t aux = {0};
    int rc = rdb_save(&w, dbs, NDBS, &aux);
    is_int(rc, -ENOSPC, "a sink error stops the save and is returned");
    rdb_writer_destroy(&w);
    db_array_free(dbs, NDBS);
}

/* ---- --write DIR: files for the reference server -------------------------------- */

static int write_file(const char *dir, const char *name, const char *ext, const void *p,
                      size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n) {
        perror(path);
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

static int write_mode(const char *dir)
{
    int bad = 0;
    for (size_t i = 0; i < ARRAY_LEN(fixtures); ++i) {
        size_t n;
        char *data = slurp(fixture_path(fixtures[i], "rdb"), &n);
        if (data == NULL) {
            fprintf(stderr, "missing fixture %s\n", fixtures[i]);
            return 1;
        }
        db_t *dbs = db_array_new(NDBS);
        bad |= load_mem(data, n, dbs, 0, NULL, NULL) != 0;
        str_t *img = save_all(dbs, true, RDB_CLOCK_NONE);
        bad |= write_file(dir, fixtures[i], "rdb", img->buf, img->len);
        str_free(img);
        db_array_free(dbs, NDBS);
        free(data);
    }
    db_t *dbs = db_array_new(NDBS);
    fill_strings(&dbs[0]);
    fill_collections(&dbs[0]);
    fill_strings(&dbs[5]);
    str_t *img = save_all(dbs, true, RDB_CLOCK_NONE);
    str_t *text = canon(dbs);
    bad |= write_file(dir, "built", "rdb", img->buf, img->len);
    bad |= write_file(dir, "built", "txt", text->buf, text->len);
    str_free(img);
    str_free(text);
    db_array_free(dbs, NDBS);
    return bad;
}

int main(int argc, char **argv)
{
    defaults();
    srand(11);
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_mode(argv[2]);
    for (size_t i = 0; i < ARRAY_LEN(fixtures); ++i)
        test_fixture(fixtures[i]);
    test_clock_fixtures();
    test_functions_fixture();
    test_round_trip_built();
    test_large_values();
    test_dump();
    test_truncation();
    test_bit_flips();
    test_record_errors();
    test_ziplist_errors();
    test_shallow_checks();
    test_load_flags();
    test_clock_apply();
    test_stream_source();
    test_sink_error();
    return done_testing();
}
