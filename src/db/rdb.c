#include <config.h>
#include "db/rdb.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/crc64.h"
#include "core/lzf.h"
#include "core/strconv.h"
#include "db/intset.h"
#include "db/listpack.h"
#include "db/t_hash.h"
#include "db/t_list.h"
#include "db/t_set.h"
#include "db/t_zset.h"

/* Strings over this size are offered to LZF when compression is on. */
#define COMPRESS_MIN 20
/* Strings up to this size are tried as integer encodings. */
#define INTENC_MAX 11
/* The largest string or blob read: what a str_t can hold. */
#define STRING_MAX ((uint64_t)UINT32_MAX - 64)
/* Stream reads are buffered in blocks of this size. */
#define READ_BUF (64 * 1024)
/* Strings of unknown backing are read (and allocated) in steps this big. */
#define READ_STEP (1024 * 1024)
/* One LZF input byte yields at most this many output bytes (264 / 3). */
#define LZF_MAX_RATIO 88
/* Special string encodings (the low bits after the 11 prefix). */
#define ENC_INT8 0
#define ENC_INT16 1
#define ENC_INT32 2
#define ENC_LZF 3
/* Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2). */
#define QL_PLAIN 1
#define QL_PACKED 2
/* Text double markers of RDB_TYPE_ZSET. */
#define DBL_NAN 253
#define DBL_POS_INF 254
#define DBL_NEG_INF 255

static void put_le(uint8_t *b, uint64_t v, int n)
{
    for (int i = 0; i < n; ++i)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i)
        v = v << 8 | b[i];
    return v;
}

static uint64_t get_be(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; ++i)
        v = v << 8 | b[i];
    return v;
}

/* ==== Writer: primitives ===================================================== */

void rdb_writer_init(rdb_writer_t *w, rdb_write_fn *fn, void *ctx)
{
    REQUIRE(fn != NULL);
    memset(w, 0, sizeof(*w));
    w->write = fn;
    w->ctx = ctx;
    w->compress = true;
    w->checksum = true;
    w->clock = RDB_CLOCK_NONE;
}

void rdb_writer_destroy(rdb_writer_t *w)
{
    alloc_free(w->zbuf);
    lzf_ctx_free(w->zctx);
    w->zbuf = NULL;
    w->zctx = NULL;
    w->zcap = 0;
}

/* Every byte goes through here: a failed sink makes the rest no-ops, so
 * callers check w->err once at the end of a record. */
static void w_raw(rdb_writer_t *w, const void *p, size_t n)
{
    if (w->err != 0 || n == 0)
        return;
    int rc = w->write(w->ctx, p, n);
    if (rc != 0) {
        w->err = rc < 0 ? rc : -EIO;
        return;
    }
    if (w->checksum)
        w->crc = crc64(w->crc, p, n);
    w->bytes += n;
}

static void w_u8(rdb_writer_t *w, unsigned v)
{
    uint8_t b = (uint8_t)v;
    w_raw(w, &b, 1);
}

/* Lengths: 6 bits, 14 bits, or a marker byte and 32 or 64 bits, with the
 * multi-byte forms big-endian. */
static void w_len(rdb_writer_t *w, uint64_t len)
{
    uint8_t b[9];
    if (len < 64) {
        b[0] = (uint8_t)len;
        w_raw(w, b, 1);
    } else if (len < 16384) {
        b[0] = (uint8_t)(0x40 | len >> 8);
        b[1] = (uint8_t)len;
        w_raw(w, b, 2);
    } else if (len <= UINT32_MAX) {
        b[0] = 0x80;
        for (int i = 0; i < 4; ++i)
            b[1 + i] = (uint8_t)(len >> (24 - 8 * i));
        w_raw(w, b, 5);
    } else {
        b[0] = 0x81;
        for (int i = 0; i < 8; ++i)
            b[1 + i] = (uint8_t)(len >> (56 - 8 * i));
        w_raw(w, b, 9);
    }
}

/* The int8/16/32 string encodings (little-endian); false when v needs more
 * than 32 bits, which then goes as text. */
static bool w_int(rdb_writer_t *w, long long v)
{
    uint8_t b[5];
    int n;
    if (v >= INT8_MIN && v <= INT8_MAX) {
        b[0] = 0xC0 | ENC_INT8;
        n = 1;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        b[0] = 0xC0 | ENC_INT16;
        n = 2;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        b[0] = 0xC0 | ENC_INT32;
        n = 4;
    } else {
        return false;
    }
    put_le(b + 1, (uint64_t)v, n);
    w_raw(w, b, (size_t)n + 1);
    return true;
}

static void w_lzf_blob(rdb_writer_t *w, const void *data, size_t clen, size_t raw_len)
{
    w_u8(w, 0xC0 | ENC_LZF);
    w_len(w, clen);
    w_len(w, raw_len);
    w_raw(w, data, clen);
}

/* LZF pays only when it saves at least 4 bytes, the rule Redis applies. */
static bool w_try_lzf(rdb_writer_t *w, const void *p, size_t n)
{
    size_t cap = n - 4;
    if (w->zcap < cap) {
        alloc_free(w->zbuf);
        w->zbuf = alloc_malloc(cap);
        w->zcap = cap;
    }
    /* The context (its match table) is made on first use and then serves
     * every string of the writer. */
    if (w->zctx == NULL)
        w->zctx = lzf_ctx_new();
    size_t c = lzf_compress_ctx(w->zctx, p, n, w->zbuf, cap);
    if (c == 0)
        return false;
    w_lzf_blob(w, w->zbuf, c, n);
    return true;
}

/* A string as Redis saves one: as an integer when it is the canonical text
 * of one that fits 32 bits, LZF-compressed when long and compressible,
 * else length and bytes. */
static void w_string(rdb_writer_t *w, const void *p, size_t n)
{
    long long v;
    if (n > 0 && n <= INTENC_MAX && strconv_to_ll(p, n, &v) == 0 && w_int(w, v))
        return;
    if (w->compress && n > COMPRESS_MIN && w_try_lzf(w, p, n))
        return;
    w_len(w, n);
    w_raw(w, p, n);
}

static void w_string_obj(rdb_writer_t *w, const obj_t *o)
{
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    w_string(w, p, n);
}

static void w_double_bin(rdb_writer_t *w, double d)
{
    uint64_t bits;
    uint8_t b[8];
    memcpy(&bits, &d, sizeof(bits));
    put_le(b, bits, 8);
    w_raw(w, b, 8);
}

/* ==== Writer: values ======================================================== */

int rdb_value_type(const obj_t *val)
{
    switch (val->type) {
    case OBJ_STRING:
        return RDB_TYPE_STRING;
    case OBJ_LIST:
        return RDB_TYPE_LIST_QUICKLIST_2;
    case OBJ_SET:
        return val->encoding == OBJ_ENC_INTSET ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET;
    case OBJ_ZSET:
        return val->encoding == OBJ_ENC_LISTPACK ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
    case OBJ_HASH:
        return val->encoding == OBJ_ENC_LISTPACK ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
    default:
        return -1;
    }
}

/* Each quicklist node: container "packed", then its listpack, written as
 * an LZF string directly when the node is held compressed. */
static int w_list_node(void *arg, const tlist_blob_t *b)
{
    rdb_writer_t *w = arg;
    w_len(w, QL_PACKED);
    if (b->compressed)
        w_lzf_blob(w, b->data, b->len, b->raw_len);
    else
        w_string(w, b->data, b->len);
    return w->err;
}

static int count_node(void *arg, const tlist_blob_t *b)
{
    UNUSED(b);
    ++*(uint64_t *)arg;
    return 0;
}

static void w_list(rdb_writer_t *w, obj_t *o)
{
    uint64_t nodes = 0;
    (void)tlist_foreach_node(o, count_node, &nodes);
    w_len(w, nodes);
    (void)tlist_foreach_node(o, w_list_node, w);
}

static void w_set(rdb_writer_t *w, obj_t *o)
{
    if (o->encoding == OBJ_ENC_INTSET) {
        const intset_t *is = o->ptr;
        w_string(w, intset_blob(is), intset_blob_len(is));
        return;
    }
    w_len(w, tset_size(o));
    tset_iter_t it;
    tset_member_t m;
    tset_iter_init(&it, o);
    while (w->err == 0 && tset_iter_next(&it, &m))
        w_string(w, m.p, m.n);
    tset_iter_destroy(&it);
}

/* Skiplists are saved from the highest score down, as Redis does, so that
 * a loader inserting each member meets the smallest first. */
static void w_zset(rdb_writer_t *w, obj_t *o)
{
    if (o->encoding == OBJ_ENC_LISTPACK) {
        w_string(w, o->ptr, lp_bytes(o->ptr));
        return;
    }
    w_len(w, tzset_len(o));
    tzset_iter_t it;
    tzset_elem_t e;
    tzset_iter_init(&it, o, true);
    while (w->err == 0 && tzset_iter_next(&it, &e)) {
        w_string(w, e.p, e.n);
        w_double_bin(w, e.score);
    }
}

static void w_hash(rdb_writer_t *w, obj_t *o)
{
    if (o->encoding == OBJ_ENC_LISTPACK) {
        w_string(w, o->ptr, lp_bytes(o->ptr));
        return;
    }
    w_len(w, thash_len(o));
    thash_iter_t it;
    thash_str_t f, v;
    thash_iter_init(&it, o);
    while (w->err == 0 && thash_iter_next(&it, &f, &v)) {
        w_string(w, f.p, f.n);
        w_string(w, v.p, v.n);
    }
    thash_iter_destroy(&it);
}

/* The value's encoding, after its type byte. */
static void w_value_body(rdb_writer_t *w, obj_t *val)
{
    switch (val->type) {
    case OBJ_STRING:
        w_string_obj(w, val);
        break;
    case OBJ_LIST:
        w_list(w, val);
        break;
    case OBJ_SET:
        w_set(w, val);
        break;
    case OBJ_ZSET:
        w_zset(w, val);
        break;
    default:
        w_hash(w, val);
        break;
    }
}

int rdb_write_value(rdb_writer_t *w, obj_t *val)
{
    int type = rdb_value_type(val);
    if (type < 0)
        return -ENOTSUP;
    w_u8(w, (unsigned)type);
    w_value_body(w, val);
    return w->err;
}

/* ==== Writer: records ======================================================= */

int rdb_write_key(rdb_writer_t *w, const char *key, size_t keylen, obj_t *val,
                  int64_t expire_ms)
{
    if (rdb_value_type(val) < 0)
        return -ENOTSUP;
    if (w->key_delay_us > 0)
        usleep((useconds_t)w->key_delay_us);
    if (expire_ms != -1) {
        uint8_t b[8];
        w_u8(w, RDB_OPCODE_EXPIRETIME_MS);
        put_le(b, (uint64_t)expire_ms, 8);
        w_raw(w, b, 8);
    }
    if (w->clock == RDB_CLOCK_LRU) {
        w_u8(w, RDB_OPCODE_IDLE);
        w_len(w, db_idle_ms(val) / 1000);
    } else if (w->clock == RDB_CLOCK_LFU) {
        w_u8(w, RDB_OPCODE_FREQ);
        w_u8(w, db_lfu_count(val));
    }
    w_u8(w, (unsigned)rdb_value_type(val));
    w_string(w, key, keylen);
    w_value_body(w, val);
    return w->err;
}

static void w_aux(rdb_writer_t *w, const char *key, const void *val, size_t n)
{
    w_u8(w, RDB_OPCODE_AUX);
    w_string(w, key, strlen(key));
    w_string(w, val, n);
}

int rdb_write_aux(rdb_writer_t *w, const char *key, const void *val, size_t n)
{
    w_aux(w, key, val, n);
    return w->err;
}

static void w_aux_int(rdb_writer_t *w, const char *key, long long v)
{
    char buf[STRCONV_BUF];
    size_t n = strconv_ll(buf, v);
    w_aux(w, key, buf, n);
}

static void w_aux_str(rdb_writer_t *w, const char *key, const char *v)
{
    w_aux(w, key, v, strlen(v));
}

int rdb_write_header(rdb_writer_t *w, const rdb_aux_t *aux)
{
    char magic[16];
    snprintf(magic, sizeof(magic), "REDIS%04d", RDB_VERSION);
    w_raw(w, magic, 9);
    w_aux_str(w, "redis-ver", aux->redis_ver ? aux->redis_ver : REDIS_COMPAT_VERSION);
    w_aux_int(w, "redis-bits", (long long)sizeof(void *) * 8);
    w_aux_int(w, "ctime", aux->ctime);
    w_aux_int(w, "used-mem", (long long)aux->used_mem);
    if (aux->repl_id != NULL) {
        w_aux_int(w, "repl-stream-db", aux->repl_stream_db);
        w_aux_str(w, "repl-id", aux->repl_id);
        w_aux_int(w, "repl-offset", aux->repl_offset);
    }
    w_aux_int(w, "aof-base", aux->aof_base);
    return w->err;
}

int rdb_write_db(rdb_writer_t *w, db_t *db)
{
    size_t n = db_size(db);
    if (n == 0)
        return w->err;
    w_u8(w, RDB_OPCODE_SELECTDB);
    w_len(w, (uint64_t)db->id);
    w_u8(w, RDB_OPCODE_RESIZEDB);
    w_len(w, n);
    w_len(w, dict_size(db->expires));
    dict_iter_t it;
    dict_entry_t *e;
    dict_iter_init(&it, db->keys, false);
    int rc = w->err;
    while (rc == 0 && (e = dict_iter_next(&it)) != NULL) {
        const str_t *k = e->key;
        int64_t when = db_get_expire(db, key_ref_str(k));
        rc = rdb_write_key(w, k->buf, k->len, e->v.val, when);
    }
    dict_iter_destroy(&it);
    return rc;
}

int rdb_write_footer(rdb_writer_t *w)
{
    uint8_t b[8];
    w_u8(w, RDB_OPCODE_EOF);
    put_le(b, w->checksum ? w->crc : 0, 8);
    w_raw(w, b, 8);
    return w->err;
}

int rdb_save(rdb_writer_t *w, db_t *dbs, int ndbs, const rdb_aux_t *aux)
{
    int rc = rdb_write_header(w, aux);
    for (int i = 0; rc == 0 && i < ndbs; ++i)
        rc = rdb_write_db(w, &dbs[i]);
    return rc != 0 ? rc : rdb_write_footer(w);
}

/* ==== Reader: primitives ==================================================== */

void rdb_reader_init(rdb_reader_t *r, rdb_read_fn *fn, void *ctx)
{
    REQUIRE(fn != NULL);
    memset(r, 0, sizeof(*r));
    r->read = fn;
    r->ctx = ctx;
    r->cap = READ_BUF;
    r->buf = alloc_malloc(r->cap);
    r->limit = UINT64_MAX;
    r->verify_checksum = true;
    r->deep_check = true;
}

void rdb_reader_init_mem(rdb_reader_t *r, const void *p, size_t n)
{
    memset(r, 0, sizeof(*r));
    r->p = p;
    r->crc_from = p;
    r->avail = n;
    r->limit = n;
    r->verify_checksum = true;
    r->deep_check = true;
}

void rdb_reader_destroy(rdb_reader_t *r)
{
    alloc_free(r->buf);
    str_t **scratch[] = {&r->key, &r->s1, &r->s2, &r->zin};
    for (size_t i = 0; i < ARRAY_LEN(scratch); ++i) {
        if (*scratch[i] != NULL)
            str_free(*scratch[i]);
        *scratch[i] = NULL;
    }
    r->buf = NULL;
}

int rdb_reader_fail(rdb_reader_t *r, int code, const char *fmt, ...)
{
    if (r->err != 0)
        return r->err;
    r->err = code < 0 ? code : -EINVAL;
    r->err_offset = r->offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof(r->err_msg), fmt, ap);
    va_end(ap);
    return r->err;
}

#define BAD(r, ...) rdb_reader_fail((r), -EINVAL, __VA_ARGS__)

static int fail_eof(rdb_reader_t *r)
{
    return BAD(r, "unexpected end of input");
}

/* Bytes a memory source still holds; UINT64_MAX for a stream. */
static uint64_t remaining(const rdb_reader_t *r)
{
    return r->limit == UINT64_MAX ? UINT64_MAX : r->limit - r->offset;
}

/* Folds the bytes consumed from the buffer since the last call into the
 * CRC: once per buffer rather than once per small read. */
static void crc_sync(rdb_reader_t *r)
{
    if (r->crc_from != NULL && r->p > r->crc_from)
        r->crc = crc64(r->crc, r->crc_from, (size_t)(r->p - r->crc_from));
    r->crc_from = r->p;
}

static int fill(rdb_reader_t *r)
{
    if (r->avail > 0)
        return 0;
    if (r->read == NULL)
        return fail_eof(r);
    crc_sync(r);
    long got = r->read(r->ctx, r->buf, r->cap);
    if (got < 0)
        return rdb_reader_fail(r, (int)got, "read error: %s", strerror((int)-got));
    if (got == 0)
        return fail_eof(r);
    r->p = r->buf;
    r->crc_from = r->buf;
    r->avail = (size_t)got;
    return 0;
}

static void consume(rdb_reader_t *r, size_t k)
{
    r->p += k;
    r->avail -= k;
    r->offset += k;
}

static int rd_bytes(rdb_reader_t *r, void *dst, size_t n)
{
    uint8_t *d = dst;
    if (n <= r->avail) {
        memcpy(d, r->p, n);
        consume(r, n);
        return 0;
    }
    while (n > 0) {
        int rc = fill(r);
        if (rc != 0)
            return rc;
        size_t k = n < r->avail ? n : r->avail;
        memcpy(d, r->p, k);
        consume(r, k);
        d += k;
        n -= k;
    }
    return 0;
}

static int rd_u8(rdb_reader_t *r, uint8_t *v)
{
    if (r->avail > 0) {
        *v = *r->p;
        consume(r, 1);
        return 0;
    }
    return rd_bytes(r, v, 1);
}

static int rd_le(rdb_reader_t *r, int n, uint64_t *v)
{
    uint8_t b[8];
    int rc = rd_bytes(r, b, (size_t)n);
    if (rc == 0)
        *v = get_le(b, n);
    return rc;
}

/* A length, or with *enc set the number of a special string encoding. */
static int rd_len_enc(rdb_reader_t *r, uint64_t *len, bool *enc)
{
    uint8_t b, x[8];
    int rc = rd_u8(r, &b);
    if (rc != 0)
        return rc;
    *enc = false;
    switch (b >> 6) {
    case 0:
        *len = b & 0x3f;
        return 0;
    case 1:
        rc = rd_u8(r, x);
        if (rc == 0)
            *len = (uint64_t)(b & 0x3f) << 8 | x[0];
        return rc;
    case 2:
        if (b != 0x80 && b != 0x81)
            return BAD(r, "bad length encoding 0x%02x", b);
        rc = rd_bytes(r, x, b == 0x80 ? 4 : 8);
        if (rc == 0)
            *len = get_be(x, b == 0x80 ? 4 : 8);
        return rc;
    default:
        *enc = true;
        *len = b & 0x3f;
        return 0;
    }
}

static int rd_len(rdb_reader_t *r, uint64_t *len)
{
    bool enc;
    int rc = rd_len_enc(r, len, &enc);
    if (rc == 0 && enc)
        return BAD(r, "string encoding where a length was expected");
    return rc;
}

/* A count of items that each take at least one byte: more than the
 * memory source still holds is corrupt, whatever the items are. */
static int rd_count(rdb_reader_t *r, uint64_t *n)
{
    int rc = rd_len(r, n);
    if (rc == 0 && *n > remaining(r))
        return BAD(r, "unexpected end of input: count %llu exceeds the remaining bytes",
                   (unsigned long long)*n);
    return rc;
}

/* Appends len bytes of input to *sp, growing it with the data actually
 * read, so that a corrupt length cannot allocate far beyond the input. */
static int rd_append(rdb_reader_t *r, str_t **sp, uint64_t len)
{
    if (len > STRING_MAX || (*sp)->len + len > STRING_MAX)
        return BAD(r, "string of %llu bytes is too long", (unsigned long long)len);
    if (len > remaining(r))
        return fail_eof(r);
    while (len > 0) {
        size_t step = len < READ_STEP ? (size_t)len : READ_STEP;
        *sp = str_reserve(*sp, step);
        int rc = rd_bytes(r, (*sp)->buf + (*sp)->len, step);
        if (rc != 0)
            return rc;
        str_setlen(*sp, (*sp)->len + step);
        len -= step;
    }
    return 0;
}

static void scratch_reset(str_t **sp)
{
    if (*sp == NULL)
        *sp = str_new_cap(64);
    str_setlen(*sp, 0);
}

/* The lengths of an LZF string, checked against each other. */
static int rd_lzf_lens(rdb_reader_t *r, uint64_t *clen, uint64_t *ulen)
{
    int rc = rd_len(r, clen);
    if (rc == 0)
        rc = rd_len(r, ulen);
    if (rc != 0)
        return rc;
    if (*clen == 0 || *ulen == 0 || *ulen / LZF_MAX_RATIO > *clen || *ulen > STRING_MAX)
        return BAD(r, "bad LZF string lengths (%llu compressed, %llu plain)",
                   (unsigned long long)*clen, (unsigned long long)*ulen);
    return 0;
}

/* The clen compressed bytes of an LZF string: in the read buffer when they
 * are all there, else read into r->zin. Valid until the next read. Only
 * then is the plain size allocated: at most LZF_MAX_RATIO times data that
 * was actually read. */
static int rd_lzf_src(rdb_reader_t *r, uint64_t clen, const uint8_t **src)
{
    if (clen <= r->avail) {
        *src = r->p;
        consume(r, (size_t)clen);
        return 0;
    }
    scratch_reset(&r->zin);
    int rc = rd_append(r, &r->zin, clen);
    *src = (const uint8_t *)r->zin->buf;
    return rc;
}

static int rd_lzf_decode(rdb_reader_t *r, const uint8_t *src, uint64_t clen, void *dst,
                         size_t ulen)
{
    if (lzf_decompress(src, (size_t)clen, dst, ulen) != ulen)
        return BAD(r, "invalid LZF compressed string");
    return 0;
}

static int rd_lzf_into(rdb_reader_t *r, str_t **sp)
{
    uint64_t clen, ulen;
    int rc = rd_lzf_lens(r, &clen, &ulen);
    if (rc != 0)
        return rc;
    const uint8_t *src;
    rc = rd_lzf_src(r, clen, &src);
    if (rc != 0)
        return rc;
    *sp = str_reserve(*sp, (size_t)ulen);
    rc = rd_lzf_decode(r, src, clen, (*sp)->buf, (size_t)ulen);
    if (rc == 0)
        str_setlen(*sp, (size_t)ulen);
    return rc;
}

/* The rest of a string whose length byte said len (or, with enc, which
 * special encoding), into the scratch string *sp. */
static int rd_string_body(rdb_reader_t *r, str_t **sp, uint64_t len, bool enc)
{
    uint64_t v;
    scratch_reset(sp);
    if (!enc)
        return rd_append(r, sp, len);
    if (len == ENC_LZF)
        return rd_lzf_into(r, sp);
    if (len > ENC_INT32)
        return BAD(r, "unknown string encoding %u", (unsigned)len);
    int width = 1 << len;
    int rc = rd_le(r, width, &v);
    if (rc != 0)
        return rc;
    long long n = width == 1 ? (int8_t)v : width == 2 ? (int16_t)v : (int32_t)v;
    char buf[STRCONV_BUF];
    *sp = str_cat(*sp, buf, strconv_ll(buf, n));
    return 0;
}

/* A string in any encoding into the scratch string *sp (integers as their
 * decimal text). */
static int rd_string(rdb_reader_t *r, str_t **sp)
{
    uint64_t len;
    bool enc;
    int rc = rd_len_enc(r, &len, &enc);
    return rc != 0 ? rc : rd_string_body(r, sp, len, enc);
}

/* Whether a plain string of len bytes may be allocated before it is read:
 * a corrupt length must not allocate far beyond the input. */
static bool alloc_ahead(const rdb_reader_t *r, uint64_t len)
{
    return len <= READ_STEP && len <= remaining(r);
}

/*
 * A string as a new allocation of exactly its size (listpacks, intsets,
 * ziplists), which the caller owns. Plain and LZF strings are read or
 * decompressed straight into it.
 */
static int rd_blob(rdb_reader_t *r, uint8_t **out, size_t *n)
{
    uint64_t len, clen = 0;
    bool enc;
    const uint8_t *src = NULL;
    int rc = rd_len_enc(r, &len, &enc);
    if (rc != 0)
        return rc;
    bool lzf = enc && len == ENC_LZF;
    if (lzf && ((rc = rd_lzf_lens(r, &clen, &len)) != 0 || (rc = rd_lzf_src(r, clen, &src)) != 0))
        return rc;
    if (lzf || (!enc && alloc_ahead(r, len))) {
        uint8_t *b = alloc_malloc(len ? (size_t)len : 1);
        rc = lzf ? rd_lzf_decode(r, src, clen, b, (size_t)len) : rd_bytes(r, b, (size_t)len);
        if (rc != 0) {
            alloc_free(b);
            return rc;
        }
        *out = b;
        *n = (size_t)len;
        return 0;
    }
    rc = rd_string_body(r, &r->s1, len, enc);
    if (rc != 0)
        return rc;
    *n = r->s1->len;
    *out = alloc_memdup(r->s1->buf, r->s1->len ? r->s1->len : 1);
    return 0;
}

/* A string value as a new str_t of exactly its size, read or decompressed
 * straight into it; NULL in *out (and 0) for a length that may not be
 * allocated ahead or a special encoding, which the caller reads through the
 * scratch string after all (len and enc tell it what was read). */
static int rd_str_direct(rdb_reader_t *r, str_t **out, uint64_t *len, bool *enc)
{
    uint64_t clen = 0;
    const uint8_t *src = NULL;
    *out = NULL;
    int rc = rd_len_enc(r, len, enc);
    if (rc != 0)
        return rc;
    bool lzf = *enc && *len == ENC_LZF;
    if (lzf && ((rc = rd_lzf_lens(r, &clen, len)) != 0 || (rc = rd_lzf_src(r, clen, &src)) != 0))
        return rc;
    if (!lzf && (*enc || *len <= OBJ_EMBSTR_MAX || !alloc_ahead(r, *len)))
        return 0;
    str_t *s = str_new_cap((size_t)*len);
    rc = lzf ? rd_lzf_decode(r, src, clen, s->buf, (size_t)*len)
             : rd_bytes(r, s->buf, (size_t)*len);
    if (rc != 0) {
        str_free(s);
        return rc;
    }
    str_setlen(s, (size_t)*len);
    *out = s;
    return 0;
}

static int rd_double_bin(rdb_reader_t *r, double *d)
{
    uint64_t bits;
    int rc = rd_le(r, 8, &bits);
    if (rc == 0)
        memcpy(d, &bits, sizeof(*d));
    return rc;
}

/* The text form of old sorted sets: a length byte, with three values
 * standing for NaN and the infinities, then that many characters. */
static int rd_double_text(rdb_reader_t *r, double *d)
{
    uint8_t len;
    char buf[256];
    int rc = rd_u8(r, &len);
    if (rc != 0)
        return rc;
    if (len >= DBL_NAN) {
        *d = len == DBL_NAN ? NAN : len == DBL_POS_INF ? INFINITY : -INFINITY;
        return 0;
    }
    rc = rd_bytes(r, buf, len);
    if (rc != 0)
        return rc;
    buf[len] = '\0';
    char *end;
    *d = strtod(buf, &end);
    if (end == buf)
        return BAD(r, "bad double value");
    return 0;
}

/* ==== Ziplists and zipmaps (loaded, converted to listpacks) ================= */

/*
 * A ziplist: total bytes (uint32 LE), offset of the last entry (uint32 LE),
 * entry count (uint16 LE, 65535 when unknown), entries, and 0xFF. Each entry
 * holds the previous entry's size (1 byte below 254, else 0xFE and uint32
 * LE), an encoding and the data. Every field is checked against the blob.
 */
typedef struct zl_cursor {
    const uint8_t *zl;
    size_t end; /* Offset of the 0xFF terminator. */
    size_t pos;
} zl_cursor_t;

/* Decodes the encoding at c->pos: *hdr and *len are the sizes of the
 * encoding and the data; *num is set for integers. Returns 1 for a string,
 * 0 for an integer, -1 when invalid or out of bounds. */
static int zl_decode(const zl_cursor_t *c, size_t *hdr, size_t *len, long long *num)
{
    const uint8_t *p = c->zl + c->pos;
    size_t room = c->end - c->pos;
    uint8_t e = p[0];
    static const struct { uint8_t enc; uint8_t width; } ints[] = {
        {0xC0, 2}, {0xD0, 4}, {0xE0, 8}, {0xF0, 3}, {0xFE, 1},
    };
    if (e >> 6 != 3) {
        *hdr = e >> 6 == 0 ? 1 : e >> 6 == 1 ? 2 : 5;
        if (room < *hdr || (e >> 6 == 2 && e != 0x80))
            return -1;
        *len = *hdr == 1 ? (size_t)(e & 0x3f)
             : *hdr == 2 ? (size_t)(e & 0x3f) << 8 | p[1]
             : (size_t)get_be(p + 1, 4);
        return room - *hdr < *len ? -1 : 1;
    }
    *hdr = 1;
    if (e >= 0xF1 && e <= 0xFD) {
        *len = 0;
        *num = (e & 0x0f) - 1;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(ints); ++i) {
        if (e != ints[i].enc)
            continue;
        *len = ints[i].width;
        if (room - 1 < *len)
            return -1;
        uint64_t v = get_le(p + 1, (int)*len);
        int shift = 64 - 8 * (int)*len;
        *num = (long long)(v << shift) >> shift;
        return 0;
    }
    return -1;
}

/* Converts a ziplist blob into a new listpack with the same entries, or
 * returns NULL when the blob is malformed. */
static uint8_t *ziplist_to_listpack(const uint8_t *zl, size_t n)
{
    if (n < 11 || get_le(zl, 4) != n || zl[n - 1] != 0xFF)
        return NULL;
    uint64_t tail = get_le(zl + 4, 4), header_count = get_le(zl + 8, 2);
    zl_cursor_t c = {zl, n - 1, 10};
    size_t prev_size = 0, last = 10, count = 0;
    uint8_t *lp = lp_new();
    while (c.pos < c.end) {
        size_t start = c.pos, prevlen, hdr, len;
        long long num = 0;
        if (zl[c.pos] < 254) {
            prevlen = zl[c.pos++];
        } else if (zl[c.pos] == 254 && c.end - c.pos > 5) {
            prevlen = (size_t)get_le(zl + c.pos + 1, 4);
            c.pos += 5;
        } else {
            goto bad;
        }
        if (prevlen != prev_size || c.pos >= c.end)
            goto bad;
        int kind = zl_decode(&c, &hdr, &len, &num);
        if (kind < 0)
            goto bad;
        if (kind == 1)
            lp = lp_append(lp, zl + c.pos + hdr, len);
        else
            lp = lp_append_int(lp, num);
        c.pos += hdr + len;
        prev_size = c.pos - start;
        last = start;
        ++count;
    }
    if (tail != last || (header_count != 65535 && header_count != count))
        goto bad;
    return lp;
bad:
    lp_free(lp);
    return NULL;
}

/* A zipmap length: one byte below 254, else 254 and a uint32 LE. */
static bool zm_len(const uint8_t *zm, size_t n, size_t *pos, size_t *len)
{
    if (*pos >= n || zm[*pos] == 255)
        return false;
    if (zm[*pos] < 254) {
        *len = zm[(*pos)++];
        return true;
    }
    if (n - *pos < 5)
        return false;
    *len = (size_t)get_le(zm + *pos + 1, 4);
    *pos += 5;
    return true;
}

/*
 * Converts a zipmap (the hash encoding before Redis 2.6) into a listpack of
 * field/value pairs, or returns NULL when malformed. Layout: a count byte
 * (254 or more: unknown), then per pair the field's length and bytes, the
 * value's length, a count of free bytes, the value and the free bytes;
 * 0xFF ends it.
 */
static uint8_t *zipmap_to_listpack(const uint8_t *zm, size_t n)
{
    if (n < 2 || zm[n - 1] != 0xFF)
        return NULL;
    size_t pos = 1, pairs = 0;
    uint8_t *lp = lp_new();
    while (pos < n - 1) {
        size_t klen, vlen;
        if (!zm_len(zm, n, &pos, &klen) || n - pos < klen)
            goto bad;
        const uint8_t *k = zm + pos;
        pos += klen;
        if (!zm_len(zm, n, &pos, &vlen) || pos >= n)
            goto bad;
        size_t free_bytes = zm[pos++];
        if (n - pos < vlen || n - pos - vlen < free_bytes)
            goto bad;
        lp = lp_append(lp, k, klen);
        lp = lp_append(lp, zm + pos, vlen);
        pos += vlen + free_bytes;
        ++pairs;
    }
    if (pos != n - 1 || (zm[0] < 254 && zm[0] != pairs))
        goto bad;
    return lp;
bad:
    lp_free(lp);
    return NULL;
}

/* Reads a ziplist (zipmap when zipmap is set) and converts it. */
static int rd_legacy_blob(rdb_reader_t *r, bool zipmap, uint8_t **lp)
{
    int rc = rd_string(r, &r->s1);
    if (rc != 0)
        return rc;
    const uint8_t *p = (const uint8_t *)r->s1->buf;
    *lp = zipmap ? zipmap_to_listpack(p, r->s1->len) : ziplist_to_listpack(p, r->s1->len);
    if (*lp == NULL)
        return BAD(r, "invalid %s", zipmap ? "zipmap" : "ziplist");
    return 0;
}

/* ==== Reader: values ======================================================== */

/* Each loader returns 0 with *out set, 0 with *out NULL for an empty
 * collection (the key is skipped), or an error. */

static int load_string(rdb_reader_t *r, obj_t **out)
{
    uint64_t len;
    bool enc;
    str_t *direct;
    int rc = rd_str_direct(r, &direct, &len, &enc);
    if (rc != 0)
        return rc;
    if (direct != NULL && direct->len > OBJ_EMBSTR_MAX) {
        *out = obj_new_raw_str(direct);
        return 0;
    }
    if (direct != NULL) {
        *out = obj_new_string(direct->buf, direct->len);
        str_free(direct);
        return 0;
    }
    rc = rd_string_body(r, &r->s1, len, enc);
    if (rc != 0)
        return rc;
    if (r->s1->len <= OBJ_EMBSTR_MAX) {
        *out = obj_new_string(r->s1->buf, r->s1->len);
        return 0;
    }
    /* Long values take the scratch string over instead of copying it. */
    str_t *s = str_shrink(r->s1);
    r->s1 = NULL;
    *out = obj_new_raw_str(s);
    return 0;
}

static int load_hash_pairs(rdb_reader_t *r, obj_t **out)
{
    uint64_t len;
    int rc = rd_count(r, &len);
    if (rc != 0 || len == 0)
        return rc;
    obj_t *o = thash_new();
    if (len > (uint64_t)db_env.hash_max_listpack_entries)
        thash_convert_to_ht(o);
    for (uint64_t i = 0; i < len && rc == 0; ++i) {
        rc = rd_string(r, &r->s1);
        if (rc == 0)
            rc = rd_string(r, &r->s2);
        if (rc == 0 && !thash_set(o, r->s1->buf, r->s1->len, r->s2->buf, r->s2->len))
            rc = BAD(r, "duplicate hash field");
    }
    if (rc != 0) {
        obj_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/*
 * Listpacks from a file get a structural check (every entry's encoding,
 * length and backlen inside the blob, the count and the terminator: what
 * every accessor relies on) and, unless r->deep_check, no more: the file's
 * CRC-64 catches corruption before the server serves anything, as Redis
 * does without sanitize-dump-payload. The per-entry checks of the types
 * (duplicate fields or members, score order) run with deep_check, for
 * legacy encodings, and whenever the load converts the value, since a
 * conversion relies on them.
 */
typedef struct lp_shape {
    size_t n;             /* Entries. */
    size_t max_entry;     /* Bytes of the largest entry, encoding included. */
    const uint8_t *prev;  /* The entry before, while walking. */
} lp_shape_t;

static int shape_entry(const uint8_t *p, size_t index, void *arg)
{
    lp_shape_t *sh = arg;
    if (sh->prev != NULL && (size_t)(p - sh->prev) > sh->max_entry)
        sh->max_entry = (size_t)(p - sh->prev);
    sh->prev = p;
    sh->n = index + 1;
    return 0;
}

/* The structural check, with the entry count and an upper bound on the
 * size of each entry's value. */
static bool lp_shape(const uint8_t *lp, lp_shape_t *sh)
{
    memset(sh, 0, sizeof(*sh));
    size_t size = lp_bytes(lp);
    if (lp_validate(lp, size, shape_entry, sh) != 0)
        return false;
    if (sh->prev != NULL && (size_t)(lp + size - 1 - sh->prev) > sh->max_entry)
        sh->max_entry = (size_t)(lp + size - 1 - sh->prev);
    return true;
}

/* Whether count exceeds a threshold (a negative one holds nothing). */
static bool over(size_t count, long long max)
{
    return max < 0 || (unsigned long long)count > (unsigned long long)max;
}

/* Checks a hash listpack; *fits tells whether it stays a listpack. */
static bool hash_listpack_ok(const rdb_reader_t *r, const uint8_t *lp, bool deep, bool *fits)
{
    lp_shape_t sh;
    if (!lp_shape(lp, &sh) || sh.n % 2 != 0)
        return false;
    *fits = !over(sh.n / 2, db_env.hash_max_listpack_entries) &&
            !over(sh.max_entry, db_env.hash_max_listpack_value);
    if (deep || r->deep_check || !*fits)
        return thash_validate_listpack(lp, lp_bytes(lp)) == 0;
    return true;
}

/* A hash listpack (deep: converted from a ziplist or zipmap): validated,
 * then adopted. */
static int adopt_hash_listpack(rdb_reader_t *r, uint8_t *lp, bool deep, obj_t **out)
{
    bool fits;
    if (!hash_listpack_ok(r, lp, deep, &fits)) {
        lp_free(lp);
        return BAD(r, "invalid hash listpack");
    }
    if (lp_count(lp) == 0) {
        lp_free(lp);
        return 0;
    }
    /* The walk of thash_from_listpack finds nothing more when the largest
     * entry, encoding included, fits the value limit, and that limit holds
     * the text of any integer entry (at most 20 characters). */
    *out = fits && db_env.hash_max_listpack_value >= 20 ? thash_adopt_listpack(lp)
                                                        : thash_from_listpack(lp);
    return 0;
}

/* A listpack blob whose header must give its size before lp_bytes can be
 * trusted. */
static int rd_listpack(rdb_reader_t *r, uint8_t **lp, const char *what)
{
    size_t n;
    int rc = rd_blob(r, lp, &n);
    if (rc != 0)
        return rc;
    if (n < LP_HDR_SIZE + 1 || get_le(*lp, 4) != n) {
        alloc_free(*lp);
        return BAD(r, "invalid %s listpack", what);
    }
    return 0;
}

static int load_hash_listpack(rdb_reader_t *r, obj_t **out)
{
    uint8_t *lp;
    int rc = rd_listpack(r, &lp, "hash");
    return rc != 0 ? rc : adopt_hash_listpack(r, lp, false, out);
}

static int load_hash_legacy(rdb_reader_t *r, bool zipmap, obj_t **out)
{
    uint8_t *lp;
    int rc = rd_legacy_blob(r, zipmap, &lp);
    return rc != 0 ? rc : adopt_hash_listpack(r, lp, true, out);
}

static int load_set_members(rdb_reader_t *r, obj_t **out)
{
    uint64_t len;
    int rc = rd_count(r, &len);
    if (rc != 0 || len == 0)
        return rc;
    obj_t *o;
    if (len > (uint64_t)db_env.set_max_intset_entries)
        o = tset_new_ht(len < READ_STEP ? (size_t)len : READ_STEP);
    else
        o = tset_new_intset();
    for (uint64_t i = 0; i < len && rc == 0; ++i) {
        rc = rd_string(r, &r->s1);
        if (rc == 0 && !tset_add(o, r->s1->buf, r->s1->len))
            rc = BAD(r, "duplicate set member");
    }
    if (rc != 0) {
        obj_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

static int load_set_intset(rdb_reader_t *r, obj_t **out)
{
    uint8_t *p;
    size_t n;
    int rc = rd_blob(r, &p, &n);
    if (rc != 0)
        return rc;
    if (n == 8 && get_le(p + 4, 4) == 0) {
        alloc_free(p);
        return 0;
    }
    /* Order matters for lookups, not for memory safety: it is checked when
     * asked to, or when the set is converted. */
    bool ok = intset_validate(p, n, false);
    if (ok && (r->deep_check || over(get_le(p + 4, 4), db_env.set_max_intset_entries)))
        ok = intset_validate(p, n, true);
    if (!ok) {
        alloc_free(p);
        return BAD(r, "invalid intset");
    }
    tset_register();
    obj_t *o = obj_new(OBJ_SET, OBJ_ENC_INTSET, intset_adopt_blob(p, n));
    if (intset_len(o->ptr) > (uint64_t)db_env.set_max_intset_entries)
        tset_convert_to_ht(o);
    *out = o;
    return 0;
}

static int load_zset_pairs(rdb_reader_t *r, bool binary, obj_t **out)
{
    uint64_t len;
    int rc = rd_count(r, &len);
    if (rc != 0 || len == 0)
        return rc;
    obj_t *o = tzset_new_skiplist(len < READ_STEP ? (size_t)len : READ_STEP);
    for (uint64_t i = 0; i < len && rc == 0; ++i) {
        double score;
        rc = rd_string(r, &r->s1);
        if (rc == 0)
            rc = binary ? rd_double_bin(r, &score) : rd_double_text(r, &score);
        if (rc == 0 && !tzset_load_pair(o, r->s1->buf, r->s1->len, score))
            rc = BAD(r, isnan(score) ? "sorted set with a NaN score"
                                     : "duplicate sorted set member");
    }
    if (rc != 0) {
        obj_decref(o);
        return rc;
    }
    tzset_load_done(o);
    *out = o;
    return 0;
}

static bool zset_listpack_ok(const rdb_reader_t *r, const uint8_t *lp, bool deep)
{
    lp_shape_t sh;
    if (!lp_shape(lp, &sh) || sh.n % 2 != 0)
        return false;
    if (deep || r->deep_check || over(sh.n / 2, db_env.zset_max_listpack_entries))
        return tzset_validate_listpack(lp, lp_bytes(lp)) == 0;
    return true;
}

static int adopt_zset_listpack(rdb_reader_t *r, uint8_t *lp, bool deep, obj_t **out)
{
    if (!zset_listpack_ok(r, lp, deep)) {
        lp_free(lp);
        return BAD(r, "invalid sorted set listpack");
    }
    if (lp_count(lp) == 0) {
        lp_free(lp);
        return 0;
    }
    *out = tzset_from_listpack(lp);
    return 0;
}

static int load_zset_listpack(rdb_reader_t *r, obj_t **out)
{
    uint8_t *lp;
    int rc = rd_listpack(r, &lp, "sorted set");
    return rc != 0 ? rc : adopt_zset_listpack(r, lp, false, out);
}

static int load_zset_ziplist(rdb_reader_t *r, obj_t **out)
{
    uint8_t *lp;
    int rc = rd_legacy_blob(r, false, &lp);
    return rc != 0 ? rc : adopt_zset_listpack(r, lp, true, out);
}

/* Ends a list load: an empty list is dropped, a failed one freed. */
static int list_done(int rc, obj_t *o, obj_t **out)
{
    if (rc != 0 || tlist_len(o) == 0)
        obj_decref(o);
    else
        *out = o;
    return rc;
}

static int load_list_plain(rdb_reader_t *r, obj_t **out)
{
    uint64_t len;
    int rc = rd_count(r, &len);
    if (rc != 0)
        return rc;
    obj_t *o = tlist_new();
    for (uint64_t i = 0; i < len && rc == 0; ++i) {
        rc = rd_string(r, &r->s1);
        if (rc == 0)
            tlist_push(o, r->s1->buf, r->s1->len, TLIST_TAIL);
    }
    return list_done(rc, o, out);
}

/* A single ziplist (RDB_TYPE_LIST_ZIPLIST): its elements are pushed one by
 * one, so that the list gets nodes of this server's size. */
static int load_list_ziplist(rdb_reader_t *r, obj_t **out)
{
    uint8_t *lp;
    int rc = rd_legacy_blob(r, false, &lp);
    if (rc != 0)
        return rc;
    obj_t *o = tlist_new();
    LP_FOREACH(lp, p) {
        char buf[LP_INTBUF];
        size_t n;
        const char *s = lp_get_bytes(p, buf, &n);
        tlist_push(o, s, n, TLIST_TAIL);
    }
    lp_free(lp);
    return list_done(0, o, out);
}

static int add_list_node(rdb_reader_t *r, obj_t *o, uint8_t *lp)
{
    if (tlist_validate_listpack(lp, lp_bytes(lp)) != 0) {
        lp_free(lp);
        return BAD(r, "invalid list listpack");
    }
    tlist_append_listpack(o, lp);
    return 0;
}

/* One node of RDB_TYPE_LIST_QUICKLIST_2: a plain element or a listpack. */
static int load_quicklist2_node(rdb_reader_t *r, obj_t *o)
{
    uint64_t container;
    int rc = rd_len(r, &container);
    if (rc != 0)
        return rc;
    if (container == QL_PLAIN) {
        rc = rd_string(r, &r->s1);
        if (rc == 0)
            tlist_push(o, r->s1->buf, r->s1->len, TLIST_TAIL);
        return rc;
    }
    if (container != QL_PACKED)
        return BAD(r, "unknown quicklist container %llu", (unsigned long long)container);
    uint8_t *lp;
    rc = rd_listpack(r, &lp, "list");
    return rc != 0 ? rc : add_list_node(r, o, lp);
}

/* Quicklists: a node count, then nodes (ziplists in the old form). */
static int load_quicklist(rdb_reader_t *r, bool v2, obj_t **out)
{
    uint64_t nodes;
    int rc = rd_count(r, &nodes);
    if (rc != 0)
        return rc;
    obj_t *o = tlist_new();
    for (uint64_t i = 0; i < nodes && rc == 0; ++i) {
        if (v2) {
            rc = load_quicklist2_node(r, o);
            continue;
        }
        uint8_t *lp;
        rc = rd_legacy_blob(r, false, &lp);
        if (rc == 0)
            rc = add_list_node(r, o, lp);
    }
    return list_done(rc, o, out);
}

static int load_value(rdb_reader_t *r, int type, obj_t **out)
{
    *out = NULL;
    switch (type) {
    case RDB_TYPE_STRING: return load_string(r, out);
    case RDB_TYPE_LIST: return load_list_plain(r, out);
    case RDB_TYPE_SET: return load_set_members(r, out);
    case RDB_TYPE_ZSET: return load_zset_pairs(r, false, out);
    case RDB_TYPE_HASH: return load_hash_pairs(r, out);
    case RDB_TYPE_ZSET_2: return load_zset_pairs(r, true, out);
    case RDB_TYPE_HASH_ZIPMAP: return load_hash_legacy(r, true, out);
    case RDB_TYPE_LIST_ZIPLIST: return load_list_ziplist(r, out);
    case RDB_TYPE_SET_INTSET: return load_set_intset(r, out);
    case RDB_TYPE_ZSET_ZIPLIST: return load_zset_ziplist(r, out);
    case RDB_TYPE_HASH_ZIPLIST: return load_hash_legacy(r, false, out);
    case RDB_TYPE_LIST_QUICKLIST: return load_quicklist(r, false, out);
    case RDB_TYPE_HASH_LISTPACK: return load_hash_listpack(r, out);
    case RDB_TYPE_ZSET_LISTPACK: return load_zset_listpack(r, out);
    case RDB_TYPE_LIST_QUICKLIST_2: return load_quicklist(r, true, out);
    case RDB_TYPE_MODULE_PRE_GA:
    case RDB_TYPE_MODULE_2:
        return rdb_reader_fail(r, -ENOTSUP, "module values are not supported");
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
        return rdb_reader_fail(r, -ENOTSUP, "stream values are not supported");
    default:
        return BAD(r, "unknown value type %d", type);
    }
}

/* ==== Reader: records ======================================================= */

/* Per-key state collected from the opcodes that precede a key. */
typedef struct key_meta {
    int db;
    int64_t expire_ms;
    int64_t idle_s;
    int freq;
} key_meta_t;

static int rd_magic(rdb_reader_t *r)
{
    char magic[10];
    int rc = rd_bytes(r, magic, 9);
    if (rc != 0)
        return rc;
    magic[9] = '\0';
    if (memcmp(magic, "REDIS", 5) != 0)
        return BAD(r, "wrong signature: not an RDB stream");
    int v = 0;
    for (int i = 5; i < 9; ++i) {
        if (magic[i] < '0' || magic[i] > '9')
            return BAD(r, "bad RDB version '%.4s'", magic + 5);
        v = v * 10 + (magic[i] - '0');
    }
    if (v < 1 || v > RDB_VERSION)
        return BAD(r, "can't handle RDB format version %d", v);
    r->version = v;
    return 0;
}

/* Printable form of a key for error messages, cut at 64 bytes. */
static void key_context(rdb_reader_t *r)
{
    char k[64 * 4 + 1];
    size_t o = 0, n = r->key->len < 64 ? r->key->len : 64;
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)r->key->buf[i];
        o += (size_t)snprintf(k + o, sizeof(k) - o, c >= 0x20 && c < 0x7f && c != '\\'
                              ? "%c" : "\\x%02x", c);
    }
    size_t len = strlen(r->err_msg);
    snprintf(r->err_msg + len, sizeof(r->err_msg) - len, " (key '%s%s')", k,
             r->key->len > n ? "..." : "");
}

static int rd_key_value(rdb_reader_t *r, const rdb_load_cbs_t *cbs, int type,
                        key_meta_t *m)
{
    obj_t *val;
    int rc = rd_string(r, &r->key);
    if (rc != 0)
        return rc;
    rc = load_value(r, type, &val);
    if (rc != 0) {
        key_context(r);
        r->err_doing = "read-object-value";
        r->err_type = type;
        return rc;
    }
    if (val == NULL) {
        r->empty_keys++;
    } else {
        rdb_entry_t e = {m->db, r->key->buf, r->key->len, val, m->expire_ms, m->idle_s,
                         m->freq};
        r->keys++;
        rc = cbs->key(cbs->arg, r, &e);
        if (rc != 0)
            return rdb_reader_fail(r, rc, "the key callback failed");
    }
    m->expire_ms = -1;
    m->idle_s = -1;
    m->freq = -1;
    return 0;
}

static int rd_aux(rdb_reader_t *r, const rdb_load_cbs_t *cbs)
{
    int rc = rd_string(r, &r->s1);
    if (rc == 0)
        rc = rd_string(r, &r->s2);
    if (rc != 0 || cbs->aux == NULL)
        return rc;
    rc = cbs->aux(cbs->arg, r, r->s1->buf, r->s1->len, r->s2->buf, r->s2->len);
    return rc != 0 ? rdb_reader_fail(r, rc, "the aux callback failed") : 0;
}

static int rd_resizedb(rdb_reader_t *r, const rdb_load_cbs_t *cbs, int db)
{
    uint64_t keys, expires;
    int rc = rd_len(r, &keys);
    if (rc == 0)
        rc = rd_len(r, &expires);
    if (rc != 0 || cbs->resize == NULL)
        return rc;
    rc = cbs->resize(cbs->arg, r, db, keys, expires);
    return rc != 0 ? rdb_reader_fail(r, rc, "the resize callback failed") : 0;
}

static int rd_function(rdb_reader_t *r, const rdb_load_cbs_t *cbs)
{
    int rc = rd_string(r, &r->s1);
    if (rc != 0)
        return rc;
    if (cbs->function == NULL)
        return rdb_reader_fail(r, -ENOTSUP,
                               "function libraries are not supported (FUNCTION2 record)");
    rc = cbs->function(cbs->arg, r, r->s1->buf, r->s1->len);
    return rc != 0 ? rdb_reader_fail(r, rc, "the function callback failed") : 0;
}

/* After EOF: the CRC-64 of everything before it, from version 5 on. */
static int rd_checksum(rdb_reader_t *r)
{
    if (r->version < 5)
        return 0;
    crc_sync(r);
    uint64_t expected = r->crc, stored;
    int rc = rd_le(r, 8, &stored);
    if (rc != 0 || stored == 0 || !r->verify_checksum || stored == expected)
        return rc;
    r->offset -= 8;
    r->err_doing = "check-sum";
    return BAD(r, "wrong RDB checksum (expected %016llx, stored %016llx)",
               (unsigned long long)expected, (unsigned long long)stored);
}

static int rd_expire(rdb_reader_t *r, bool ms, key_meta_t *m)
{
    uint64_t v;
    int rc = rd_le(r, ms ? 8 : 4, &v);
    if (rc == 0)
        m->expire_ms = ms ? (int64_t)v : (int64_t)(int32_t)v * 1000;
    return rc;
}

static int rd_select(rdb_reader_t *r, const rdb_load_cbs_t *cbs, key_meta_t *m)
{
    uint64_t db;
    int rc = rd_len(r, &db);
    if (rc == 0 && db > INT32_MAX)
        return BAD(r, "database number %llu out of range", (unsigned long long)db);
    m->db = (int)db;
    if (rc != 0 || cbs->select == NULL)
        return rc;
    rc = cbs->select(cbs->arg, r, m->db);
    return rc != 0 ? rdb_reader_fail(r, rc, "the select callback failed") : 0;
}

/* One record; *done is set at EOF. */
static int rd_record(rdb_reader_t *r, const rdb_load_cbs_t *cbs, key_meta_t *m,
                     bool *done)
{
    uint8_t op, freq;
    uint64_t idle;
    int rc = rd_u8(r, &op);
    if (rc != 0)
        return rc;
    switch (op) {
    case RDB_OPCODE_EOF:
        *done = true;
        return rd_checksum(r);
    case RDB_OPCODE_SELECTDB: return rd_select(r, cbs, m);
    case RDB_OPCODE_RESIZEDB: return rd_resizedb(r, cbs, m->db);
    case RDB_OPCODE_EXPIRETIME_MS: return rd_expire(r, true, m);
    case RDB_OPCODE_EXPIRETIME: return rd_expire(r, false, m);
    case RDB_OPCODE_AUX: return rd_aux(r, cbs);
    case RDB_OPCODE_FUNCTION2: return rd_function(r, cbs);
    case RDB_OPCODE_IDLE:
        rc = rd_len(r, &idle);
        m->idle_s = idle > INT64_MAX ? INT64_MAX : (int64_t)idle;
        return rc;
    case RDB_OPCODE_FREQ:
        rc = rd_u8(r, &freq);
        m->freq = freq;
        return rc;
    case RDB_OPCODE_MODULE_AUX:
        return rdb_reader_fail(r, -ENOTSUP, "module data is not supported (MODULE_AUX record)");
    case RDB_OPCODE_FUNCTION_PRE_GA:
        return rdb_reader_fail(r, -ENOTSUP, "pre-release function records are not supported");
    default:
        if (op > RDB_TYPE_STREAM_LISTPACKS_2 || op == 8) {
            r->offset--;
            return BAD(r, "unknown record type %u", op);
        }
        return rd_key_value(r, cbs, op, m);
    }
}

int rdb_load(rdb_reader_t *r, const rdb_load_cbs_t *cbs)
{
    REQUIRE(cbs->key != NULL);
    key_meta_t m = {0, -1, -1, -1};
    bool done = false;
    int rc = rd_magic(r);
    while (rc == 0 && !done)
        rc = rd_record(r, cbs, &m, &done);
    return rc;
}

/* ==== Loading into databases ================================================ */

typedef struct load_into {
    db_t *dbs;
    int ndbs;
    unsigned flags;
    rdb_load_stats_t *st;
} load_into_t;

void rdb_set_clock(obj_t *o, int64_t idle_s, int freq)
{
    if (db_env.lfu && freq >= 0) {
        unsigned minutes = (unsigned)((db_env.now_ms / 60000) & 0xffff);
        o->lru = minutes << 8 | (unsigned)(freq & 0xff);
    } else if (!db_env.lfu && idle_s >= 0) {
        /* An idle time beyond the clock's current value is taken as half
         * the clock's range, the way Redis clamps it. */
        uint64_t now = db_env.lru_clock;
        o->lru = (uint64_t)idle_s <= now ? (unsigned)(now - (uint64_t)idle_s)
                                         : (unsigned)((now + OBJ_LRU_MAX / 2) % OBJ_LRU_MAX);
    }
}

static int into_key(void *arg, rdb_reader_t *r, rdb_entry_t *e)
{
    load_into_t *li = arg;
    if (e->db < 0 || e->db >= li->ndbs) {
        obj_decref(e->val);
        return rdb_reader_fail(r, -ERANGE, "database %d out of range (databases %d)", e->db,
                               li->ndbs);
    }
    if ((li->flags & RDB_LOAD_SKIP_EXPIRED) && e->expire_ms != -1 &&
        e->expire_ms < db_env.now_ms) {
        obj_decref(e->val);
        li->st->expired_skipped++;
        return 0;
    }
    db_t *db = &li->dbs[e->db];
    key_ref_t k = key_ref(e->key, e->keylen);
    if (!db_add_new(db, k, e->val, e->expire_ms)) {
        if (!(li->flags & RDB_LOAD_REPLACE)) {
            obj_decref(e->val);
            return rdb_reader_fail(r, -EEXIST, "duplicate key in database %d", e->db);
        }
        db_delete(db, k);
        bool added = db_add_new(db, k, e->val, e->expire_ms);
        INSIST(added);
    }
    rdb_set_clock(e->val, e->idle_s, e->freq);
    li->st->keys++;
    if (e->expire_ms != -1)
        li->st->expires++;
    return 0;
}

/* RESIZEDB: grow an empty database's table up front, within reason. */
static int into_resize(void *arg, rdb_reader_t *r, int dbid, uint64_t keys, uint64_t expires)
{
    load_into_t *li = arg;
    UNUSED(r);
    UNUSED(expires);
    if (dbid < 0 || dbid >= li->ndbs || keys > remaining(r) || keys > (1u << 26))
        return 0;
    db_t *db = &li->dbs[dbid];
    if (db_size(db) == 0)
        (void)dict_expand(db->keys, (size_t)keys);
    return 0;
}

/* The replication aux fields: the history a replica may continue. */
static int into_aux(void *arg, rdb_reader_t *r, const char *k, size_t kn, const char *v,
                    size_t vn)
{
    load_into_t *li = arg;
    UNUSED(r);
    long long n;
    if (kn == 7 && memcmp(k, "repl-id", 7) == 0 && vn == 40) {
        memcpy(li->st->repl_id, v, 40);
        li->st->repl_id[40] = '\0';
    } else if (kn == 11 && memcmp(k, "repl-offset", 11) == 0 &&
               strconv_to_ll(v, vn, &n) == 0) {
        li->st->repl_offset = n;
    } else if (kn == 14 && memcmp(k, "repl-stream-db", 14) == 0 &&
               strconv_to_ll(v, vn, &n) == 0 && n >= 0 && n < li->ndbs) {
        li->st->repl_stream_db = (int)n;
    } else if (kn == 8 && memcmp(k, "used-mem", 8) == 0 && strconv_to_ll(v, vn, &n) == 0 &&
               n > 0) {
        li->st->used_mem = (uint64_t)n;
    }
    return 0;
}

int rdb_load_into(rdb_reader_t *r, db_t *dbs, int ndbs, unsigned flags, rdb_load_stats_t *st)
{
    rdb_load_stats_t local;
    load_into_t li = {dbs, ndbs, flags, st != NULL ? st : &local};
    memset(li.st, 0, sizeof(*li.st));
    li.st->repl_offset = -1;
    li.st->repl_stream_db = -1;
    rdb_load_cbs_t cbs = {.key = into_key, .aux = into_aux, .resize = into_resize, .arg = &li};
    /* Keys loaded from a file are not "new" keys to keyspace
     * notifications, as in Redis. */
    void (*added)(db_t *, const str_t *) = db_env.added;
    db_env.added = NULL;
    int rc = rdb_load(r, &cbs);
    db_env.added = added;
    li.st->empty_skipped = r->empty_keys;
    return rc;
}

/* ==== DUMP and RESTORE ====================================================== */

static int str_sink(void *ctx, const void *p, size_t n)
{
    str_t **s = ctx;
    *s = str_cat(*s, p, n);
    return 0;
}

str_t *rdb_dump(obj_t *val, bool compress)
{
    str_t *s = str_new_cap(64);
    rdb_writer_t w;
    rdb_writer_init(&w, str_sink, &s);
    w.compress = compress;
    int rc = rdb_write_value(&w, val);
    INSIST(rc == 0);
    rdb_writer_destroy(&w);
    uint8_t footer[8];
    put_le(footer, RDB_VERSION, 2);
    s = str_cat(s, footer, 2);
    put_le(footer, crc64(0, s->buf, s->len), 8);
    return str_cat(s, footer, 8);
}

int rdb_dump_verify(const void *p, size_t n)
{
    if (n < 10)
        return -EBADMSG;
    const uint8_t *footer = (const uint8_t *)p + n - 10;
    if (get_le(footer, 2) > RDB_VERSION)
        return -EBADMSG;
    if (crc64(0, p, n - 8) != get_le(footer + 2, 8))
        return -EBADMSG;
    return 0;
}

/* The reader spans the whole payload, footer included: Redis reads a value
 * from the payload buffer as it is, so a value that runs into the footer's
 * bytes loads there too. */
int rdb_restore(const void *p, size_t n, obj_t **out)
{
    REQUIRE(n >= 10);
    rdb_reader_t r;
    uint8_t type;
    obj_t *o = NULL;
    rdb_reader_init_mem(&r, p, n);
    int rc = rd_u8(&r, &type);
    if (rc == 0 && (type > RDB_TYPE_STREAM_LISTPACKS_2 || type == 8))
        rc = -EINVAL;
    if (rc == 0)
        rc = load_value(&r, type, &o);
    rdb_reader_destroy(&r);
    if (rc != 0 || o == NULL)
        return -EINVAL;
    *out = o;
    return 0;
}
