#include <config.h>
#include "db/listpack.h"

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strconv.h"

/*
 * Entry encodings, named by the first byte's bit pattern as in the listpack
 * specification. Integers are two's complement of the given width; multi-byte
 * fields are little endian.
 *
 *   0xxxxxxx                    7-bit unsigned integer
 *   10llllll + data             string of up to 63 bytes
 *   110xxxxx xxxxxxxx           13-bit integer (high bits first)
 *   1110llll llllllll + data    string of up to 4095 bytes (high bits first)
 *   11110000 l32 + data         string, 32-bit length
 *   11110001..11110100          16, 24, 32 and 64-bit integers
 *   11111111                    the terminator
 *
 * Each entry ends with its backlen: the size of encoding plus data, in 1 to 5
 * bytes read right to left, 7 bits per byte, the high bit meaning "another
 * byte to the left". It lets iteration run backwards.
 */
#define ENC_7BIT_UINT_MASK 0x80
#define ENC_7BIT_UINT 0x00
#define ENC_6BIT_STR_MASK 0xC0
#define ENC_6BIT_STR 0x80
#define ENC_13BIT_INT_MASK 0xE0
#define ENC_13BIT_INT 0xC0
#define ENC_12BIT_STR_MASK 0xF0
#define ENC_12BIT_STR 0xE0
#define ENC_32BIT_STR 0xF0
#define ENC_16BIT_INT 0xF1
#define ENC_24BIT_INT 0xF2
#define ENC_32BIT_INT 0xF3
#define ENC_64BIT_INT 0xF4

/* Longest decimal text of an int64 ("-9223372036854775808"). */
#define INT64_TEXT_MAX 20

/* A new entry before it is written: its encoding bytes (with the data of an
 * integer), the string bytes that follow them, and the backlen. */
typedef struct entry_enc {
    uint8_t head[9];
    size_t head_len;
    const void *data;
    size_t data_len;
    uint8_t back[5];
    size_t back_len;
} entry_enc_t;

/* ------------------------------------------------------------------------
 * Header and little-endian fields
 * ------------------------------------------------------------------------ */

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v & 0xFF);
        v >>= 8;
    }
}

static uint32_t hdr_total(const uint8_t *lp)
{
    return (uint32_t)get_le(lp, 4);
}

static uint16_t hdr_count(const uint8_t *lp)
{
    return (uint16_t)get_le(lp + 4, 2);
}

static void set_total(uint8_t *lp, size_t total)
{
    REQUIRE(total <= UINT32_MAX);
    put_le(lp, total, 4);
}

static void set_count(uint8_t *lp, size_t count)
{
    put_le(lp + 4, count < LP_COUNT_UNKNOWN ? count : LP_COUNT_UNKNOWN, 2);
}

/* Adjusts a known count by delta; an unknown count stays unknown until
 * lp_count walks the entries. */
static void adjust_count(uint8_t *lp, long long delta)
{
    uint16_t c = hdr_count(lp);
    if (c == LP_COUNT_UNKNOWN)
        return;
    INSIST((long long)c + delta >= 0);
    set_count(lp, (size_t)((long long)c + delta));
}

/* ------------------------------------------------------------------------
 * Backlen
 * ------------------------------------------------------------------------ */

/* The number of backlen bytes for an entry of len bytes. The 2-byte form
 * stops one short of its 14-bit range, as Redis writes it, so that blobs we
 * write are byte-identical to Redis's. */
static size_t backlen_size(size_t len)
{
    if (len <= 127)
        return 1;
    if (len < 16383)
        return 2;
    if (len < 2097151)
        return 3;
    if (len < 268435455)
        return 4;
    return 5;
}

/* Writes the backlen of len into out, leftmost byte first, and returns its
 * size. Every byte but the leftmost has its high bit set. */
static size_t backlen_encode(uint8_t *out, size_t len)
{
    size_t n = backlen_size(len);
    for (size_t i = 0; i < n; i++) {
        size_t shift = 7 * (n - 1 - i);
        uint8_t b = (uint8_t)((len >> shift) & 127);
        out[i] = i == 0 ? b : (uint8_t)(b | 128);
    }
    return n;
}

/* Decodes the backlen whose last byte is at end, reading at most limit
 * bytes leftwards; returns 0 and sets *len and *size, or -EINVAL. */
static int backlen_decode(const uint8_t *end, size_t limit, size_t *len,
                          size_t *size)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 5 && i < limit; i++) {
        const uint8_t b = end[-(ptrdiff_t)i];
        v |= (uint64_t)(b & 127) << (7 * i);
        if (!(b & 128)) {
            *len = (size_t)v;
            *size = i + 1;
            return 0;
        }
    }
    return -EINVAL;
}

/* ------------------------------------------------------------------------
 * Encoding new entries
 * ------------------------------------------------------------------------ */

static void finish_enc(entry_enc_t *e)
{
    e->back_len = backlen_encode(e->back, e->head_len + e->data_len);
}

static void encode_int(entry_enc_t *e, long long v)
{
    e->data = NULL;
    e->data_len = 0;
    uint64_t u = (uint64_t)v;
    if (v >= 0 && v <= 127) {
        e->head[0] = (uint8_t)v;
        e->head_len = 1;
    } else if (v >= -4096 && v <= 4095) {
        u &= 0x1FFF;
        e->head[0] = (uint8_t)(ENC_13BIT_INT | (u >> 8));
        e->head[1] = (uint8_t)(u & 0xFF);
        e->head_len = 2;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        e->head[0] = ENC_16BIT_INT;
        put_le(e->head + 1, u, 2);
        e->head_len = 3;
    } else if (v >= -8388608 && v <= 8388607) {
        e->head[0] = ENC_24BIT_INT;
        put_le(e->head + 1, u, 3);
        e->head_len = 4;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        e->head[0] = ENC_32BIT_INT;
        put_le(e->head + 1, u, 4);
        e->head_len = 5;
    } else {
        e->head[0] = ENC_64BIT_INT;
        put_le(e->head + 1, u, 8);
        e->head_len = 9;
    }
    finish_enc(e);
}

/* Strings that are canonical integers become integer entries. */
static void encode_str(entry_enc_t *e, const void *s, size_t n)
{
    long long v;
    if (n > 0 && n <= INT64_TEXT_MAX && strconv_to_ll(s, n, &v) == 0) {
        encode_int(e, v);
        return;
    }
    REQUIRE(n <= UINT32_MAX);
    if (n <= 63) {
        e->head[0] = (uint8_t)(ENC_6BIT_STR | n);
        e->head_len = 1;
    } else if (n <= 4095) {
        e->head[0] = (uint8_t)(ENC_12BIT_STR | (n >> 8));
        e->head[1] = (uint8_t)(n & 0xFF);
        e->head_len = 2;
    } else {
        e->head[0] = ENC_32BIT_STR;
        put_le(e->head + 1, n, 4);
        e->head_len = 5;
    }
    e->data = s;
    e->data_len = n;
    finish_enc(e);
}

static size_t enc_size(const entry_enc_t *e)
{
    return e->head_len + e->data_len + e->back_len;
}

static void enc_write(uint8_t *dst, const entry_enc_t *e)
{
    memcpy(dst, e->head, e->head_len);
    dst += e->head_len;
    if (e->data_len > 0)
        memmove(dst, e->data, e->data_len);
    memcpy(dst + e->data_len, e->back, e->back_len);
}

size_t lp_encoded_size(const void *s, size_t n)
{
    entry_enc_t e;
    encode_str(&e, s, n);
    return enc_size(&e);
}

size_t lp_encoded_size_int(long long v)
{
    entry_enc_t e;
    encode_int(&e, v);
    return enc_size(&e);
}

/* ------------------------------------------------------------------------
 * Decoding entries
 * ------------------------------------------------------------------------ */

/* The size of the entry's encoding bytes, or 0 for an invalid first byte
 * (the terminator or an unused encoding). */
static size_t head_size(uint8_t b)
{
    if ((b & ENC_7BIT_UINT_MASK) == ENC_7BIT_UINT)
        return 1;
    if ((b & ENC_6BIT_STR_MASK) == ENC_6BIT_STR)
        return 1;
    if ((b & ENC_13BIT_INT_MASK) == ENC_13BIT_INT)
        return 2;
    if ((b & ENC_12BIT_STR_MASK) == ENC_12BIT_STR)
        return 2;
    switch (b) {
    case ENC_32BIT_STR: return 5;
    case ENC_16BIT_INT: return 3;
    case ENC_24BIT_INT: return 4;
    case ENC_32BIT_INT: return 5;
    case ENC_64BIT_INT: return 9;
    default: return 0;
    }
}

/* The string length of a string entry whose head_size bytes are readable,
 * or 0 for integers. */
static size_t str_len(const uint8_t *p)
{
    if ((p[0] & ENC_6BIT_STR_MASK) == ENC_6BIT_STR)
        return p[0] & 0x3F;
    if ((p[0] & ENC_12BIT_STR_MASK) == ENC_12BIT_STR)
        return ((size_t)(p[0] & 0x0F) << 8) | p[1];
    if (p[0] == ENC_32BIT_STR)
        return (size_t)get_le(p + 1, 4);
    return 0;
}

/* Encoding plus data bytes of the entry at p. */
static size_t payload_size(const uint8_t *p)
{
    size_t h = head_size(p[0]);
    INSIST(h != 0);
    return h + str_len(p);
}

size_t lp_entry_size(const uint8_t *p)
{
    size_t len = payload_size(p);
    return len + backlen_size(len);
}

/* Sign-extends the low bits of u. */
static long long sign_extend(uint64_t u, int bits)
{
    if (bits == 64)
        return (long long)u;
    const uint64_t sign = 1ULL << (bits - 1);
    if (u & sign)
        return (long long)(u | ~((sign << 1) - 1));
    return (long long)u;
}

void lp_get(const uint8_t *p, lp_val_t *v)
{
    REQUIRE(p != NULL && p[0] != LP_EOF);
    const uint8_t b = p[0];
    v->str = NULL;
    v->len = 0;
    v->num = 0;
    if ((b & ENC_7BIT_UINT_MASK) == ENC_7BIT_UINT) {
        v->num = b;
    } else if ((b & ENC_6BIT_STR_MASK) == ENC_6BIT_STR) {
        v->str = (const char *)p + 1;
        v->len = str_len(p);
    } else if ((b & ENC_13BIT_INT_MASK) == ENC_13BIT_INT) {
        v->num = sign_extend(((uint64_t)(b & 0x1F) << 8) | p[1], 13);
    } else if ((b & ENC_12BIT_STR_MASK) == ENC_12BIT_STR) {
        v->str = (const char *)p + 2;
        v->len = str_len(p);
    } else if (b == ENC_32BIT_STR) {
        v->str = (const char *)p + 5;
        v->len = str_len(p);
    } else if (b == ENC_16BIT_INT) {
        v->num = sign_extend(get_le(p + 1, 2), 16);
    } else if (b == ENC_24BIT_INT) {
        v->num = sign_extend(get_le(p + 1, 3), 24);
    } else if (b == ENC_32BIT_INT) {
        v->num = sign_extend(get_le(p + 1, 4), 32);
    } else {
        INSIST(b == ENC_64BIT_INT);
        v->num = sign_extend(get_le(p + 1, 8), 64);
    }
}

const char *lp_get_bytes(const uint8_t *p, char *buf, size_t *len)
{
    lp_val_t v;
    lp_get(p, &v);
    if (v.str != NULL) {
        *len = v.len;
        return v.str;
    }
    *len = strconv_ll(buf, v.num);
    return buf;
}

bool lp_get_int(const uint8_t *p, long long *out)
{
    lp_val_t v;
    lp_get(p, &v);
    if (v.str != NULL)
        return false;
    *out = v.num;
    return true;
}

bool lp_eq(const uint8_t *p, const void *s, size_t n)
{
    lp_val_t v;
    lp_get(p, &v);
    if (v.str != NULL)
        return v.len == n && (n == 0 || memcmp(v.str, s, n) == 0);
    long long x;
    if (n == 0 || n > INT64_TEXT_MAX || strconv_to_ll(s, n, &x) != 0)
        return false;
    return x == v.num;
}

int lp_compare(const uint8_t *p, const void *s, size_t n)
{
    char buf[LP_INTBUF];
    size_t len;
    const char *bytes = lp_get_bytes(p, buf, &len);
    size_t m = len < n ? len : n;
    int c = m > 0 ? memcmp(bytes, s, m) : 0;
    if (c != 0)
        return c;
    return len < n ? -1 : len > n ? 1 : 0;
}

/* ------------------------------------------------------------------------
 * Whole listpacks and positions
 * ------------------------------------------------------------------------ */

uint8_t *lp_new(void)
{
    uint8_t *lp = alloc_malloc(LP_HDR_SIZE + 1);
    set_total(lp, LP_HDR_SIZE + 1);
    set_count(lp, 0);
    lp[LP_HDR_SIZE] = LP_EOF;
    return lp;
}

void lp_free(uint8_t *lp)
{
    alloc_free(lp);
}

uint8_t *lp_dup(const uint8_t *lp)
{
    return alloc_memdup(lp, lp_bytes(lp));
}

size_t lp_bytes(const uint8_t *lp)
{
    return hdr_total(lp);
}

size_t lp_count(uint8_t *lp)
{
    uint16_t c = hdr_count(lp);
    if (c != LP_COUNT_UNKNOWN)
        return c;
    size_t n = 0;
    LP_FOREACH(lp, p)
        n++;
    if (n < LP_COUNT_UNKNOWN)
        set_count(lp, n);
    return n;
}

static uint8_t *eof_pos(uint8_t *lp)
{
    return lp + hdr_total(lp) - 1;
}

uint8_t *lp_first(uint8_t *lp)
{
    uint8_t *p = lp + LP_HDR_SIZE;
    return p[0] == LP_EOF ? NULL : p;
}

uint8_t *lp_last(uint8_t *lp)
{
    return lp_prev(lp, eof_pos(lp));
}

uint8_t *lp_next(uint8_t *lp, uint8_t *p)
{
    REQUIRE(p != NULL && p[0] != LP_EOF);
    uint8_t *q = p + lp_entry_size(p);
    INSIST(q <= eof_pos(lp));
    return q[0] == LP_EOF ? NULL : q;
}

/* p may be the terminator, whose previous entry is the last one. */
uint8_t *lp_prev(uint8_t *lp, uint8_t *p)
{
    REQUIRE(p != NULL);
    if (p == lp + LP_HDR_SIZE)
        return NULL;
    size_t len, size;
    int rc = backlen_decode(p - 1, (size_t)(p - lp - LP_HDR_SIZE), &len, &size);
    INSIST(rc == 0);
    INSIST(len + size <= (size_t)(p - lp - LP_HDR_SIZE));
    return p - size - len;
}

uint8_t *lp_seek(uint8_t *lp, long long index)
{
    long long n = (long long)lp_count(lp);
    if (index < 0)
        index += n;
    if (index < 0 || index >= n)
        return NULL;
    uint8_t *p;
    if (index <= n / 2) {
        p = lp_first(lp);
        for (long long i = 0; i < index; i++)
            p = lp_next(lp, p);
    } else {
        p = lp_last(lp);
        for (long long i = n - 1; i > index; i--)
            p = lp_prev(lp, p);
    }
    return p;
}

uint8_t *lp_find(uint8_t *lp, uint8_t *p, const void *s, size_t n,
                 unsigned skip)
{
    /* Decoding the needle once lets integer entries compare as numbers. */
    long long x = 0;
    bool needle_int = n > 0 && n <= INT64_TEXT_MAX && strconv_to_ll(s, n, &x) == 0;
    while (p != NULL) {
        lp_val_t v;
        lp_get(p, &v);
        if (v.str == NULL ? needle_int && v.num == x
                          : v.len == n && (n == 0 || memcmp(v.str, s, n) == 0))
            return p;
        for (unsigned i = 0; i <= skip && p != NULL; i++)
            p = lp_next(lp, p);
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Modifying
 * ------------------------------------------------------------------------ */

/*
 * Replaces the old_size bytes at offset off with the entry e (old_size 0
 * inserts), moving the tail and resizing the allocation; returns the new
 * listpack. The count is not touched.
 */
static uint8_t *splice(uint8_t *lp, size_t off, size_t old_size,
                       const entry_enc_t *e)
{
    const size_t total = hdr_total(lp);
    const size_t new_size = e != NULL ? enc_size(e) : 0;
    const size_t new_total = total - old_size + new_size;
    const size_t tail = total - off - old_size;
    REQUIRE(new_total <= UINT32_MAX);
    /* The string may live inside this listpack (a caller replacing an entry
     * with its own bytes), so it is copied out before anything moves. */
    entry_enc_t local;
    uint8_t *copy = NULL;
    if (e != NULL && e->data_len > 0 && (const uint8_t *)e->data >= lp &&
        (const uint8_t *)e->data < lp + total) {
        local = *e;
        copy = alloc_memdup(e->data, e->data_len);
        local.data = copy;
        e = &local;
    }
    if (new_size > old_size)
        lp = alloc_realloc(lp, new_total);
    memmove(lp + off + new_size, lp + off + old_size, tail);
    if (new_size < old_size)
        lp = alloc_realloc(lp, new_total);
    if (e != NULL)
        enc_write(lp + off, e);
    set_total(lp, new_total);
    alloc_free(copy);
    return lp;
}

static uint8_t *insert_enc(uint8_t *lp, uint8_t *p, enum lp_where where,
                           const entry_enc_t *e, uint8_t **newp)
{
    REQUIRE(p != NULL && p >= lp + LP_HDR_SIZE && p <= eof_pos(lp));
    size_t off = (size_t)(p - lp);
    size_t old_size = 0;
    if (where == LP_AFTER) {
        REQUIRE(p[0] != LP_EOF);
        off += lp_entry_size(p);
    } else if (where == LP_REPLACE) {
        REQUIRE(p[0] != LP_EOF);
        old_size = lp_entry_size(p);
    }
    lp = splice(lp, off, old_size, e);
    if (where != LP_REPLACE)
        adjust_count(lp, 1);
    if (newp != NULL)
        *newp = lp + off;
    return lp;
}

uint8_t *lp_insert(uint8_t *lp, uint8_t *p, enum lp_where where,
                   const void *s, size_t n, uint8_t **newp)
{
    entry_enc_t e;
    encode_str(&e, s, n);
    return insert_enc(lp, p, where, &e, newp);
}

uint8_t *lp_insert_int(uint8_t *lp, uint8_t *p, enum lp_where where,
                       long long v, uint8_t **newp)
{
    entry_enc_t e;
    encode_int(&e, v);
    return insert_enc(lp, p, where, &e, newp);
}

uint8_t *lp_append(uint8_t *lp, const void *s, size_t n)
{
    return lp_insert(lp, eof_pos(lp), LP_BEFORE, s, n, NULL);
}

uint8_t *lp_append_int(uint8_t *lp, long long v)
{
    return lp_insert_int(lp, eof_pos(lp), LP_BEFORE, v, NULL);
}

uint8_t *lp_prepend(uint8_t *lp, const void *s, size_t n)
{
    return lp_insert(lp, lp + LP_HDR_SIZE, LP_BEFORE, s, n, NULL);
}

uint8_t *lp_prepend_int(uint8_t *lp, long long v)
{
    return lp_insert_int(lp, lp + LP_HDR_SIZE, LP_BEFORE, v, NULL);
}

uint8_t *lp_replace(uint8_t *lp, uint8_t **p, const void *s, size_t n)
{
    return lp_insert(lp, *p, LP_REPLACE, s, n, p);
}

uint8_t *lp_replace_int(uint8_t *lp, uint8_t **p, long long v)
{
    return lp_insert_int(lp, *p, LP_REPLACE, v, p);
}

uint8_t *lp_concat(uint8_t *a, const uint8_t *b)
{
    REQUIRE(a != b);
    const size_t total_a = hdr_total(a);
    const size_t body_b = hdr_total(b) - LP_HDR_SIZE - 1;
    const size_t total = total_a + body_b;
    REQUIRE(total <= UINT32_MAX);
    const uint16_t count_a = hdr_count(a), count_b = hdr_count(b);
    a = alloc_realloc(a, total);
    memcpy(a + total_a - 1, b + LP_HDR_SIZE, body_b);
    a[total - 1] = LP_EOF;
    set_total(a, total);
    if (count_a == LP_COUNT_UNKNOWN || count_b == LP_COUNT_UNKNOWN)
        set_count(a, LP_COUNT_UNKNOWN);
    else
        set_count(a, (size_t)count_a + count_b);
    return a;
}

uint8_t *lp_delete_range_at(uint8_t *lp, uint8_t **p, size_t count)
{
    REQUIRE(p != NULL && *p != NULL && (*p)[0] != LP_EOF);
    const size_t off = (size_t)(*p - lp);
    uint8_t *end = *p;
    size_t deleted = 0;
    while (deleted < count && end[0] != LP_EOF) {
        end += lp_entry_size(end);
        deleted++;
    }
    lp = splice(lp, off, (size_t)(end - (lp + off)), NULL);
    adjust_count(lp, -(long long)deleted);
    *p = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

uint8_t *lp_delete(uint8_t *lp, uint8_t **p)
{
    return lp_delete_range_at(lp, p, 1);
}

uint8_t *lp_delete_range(uint8_t *lp, long long index, size_t count)
{
    uint8_t *p = lp_seek(lp, index);
    if (p == NULL || count == 0)
        return lp;
    return lp_delete_range_at(lp, &p, count);
}

/* ------------------------------------------------------------------------
 * Validation of untrusted blobs
 * ------------------------------------------------------------------------ */

/* Checks the entry at p, which lies before end (the terminator's position),
 * and returns its size, or 0 when it is malformed. */
static size_t validate_entry(const uint8_t *p, const uint8_t *end)
{
    const size_t room = (size_t)(end - p);
    const size_t h = head_size(p[0]);
    if (h == 0 || h > room)
        return 0;
    const size_t slen = str_len(p);
    if (slen > room - h)
        return 0;
    const size_t len = h + slen;
    const size_t bsize = backlen_size(len);
    if (bsize > room - len)
        return 0;
    size_t got, got_size;
    if (backlen_decode(p + len + bsize - 1, bsize, &got, &got_size) != 0)
        return 0;
    if (got != len || got_size != bsize)
        return 0;
    return len + bsize;
}

int lp_validate(const uint8_t *blob, size_t size, lp_validate_cb *cb,
                void *arg)
{
    if (blob == NULL || size < LP_HDR_SIZE + 1)
        return -EINVAL;
    if (hdr_total(blob) != size || blob[size - 1] != LP_EOF)
        return -EINVAL;
    const uint8_t *end = blob + size - 1;
    const uint8_t *p = blob + LP_HDR_SIZE;
    size_t n = 0;
    while (p < end) {
        size_t esize = validate_entry(p, end);
        if (esize == 0)
            return -EINVAL;
        if (cb != NULL && cb(p, n, arg) != 0)
            return -EINVAL;
        p += esize;
        n++;
    }
    const uint16_t c = hdr_count(blob);
    /* An unknown count is fine at any size: it stays unknown after
     * deletions until something recounts. */
    if (c != LP_COUNT_UNKNOWN && c != n)
        return -EINVAL;
    return 0;
}
