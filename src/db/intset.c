#include <config.h>
#include "db/intset.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* The header fields are little-endian on every host, as in the blob. */
struct intset {
    uint32_t encoding;
    uint32_t length;
    uint8_t contents[];
};

#define HDR_SIZE sizeof(struct intset)

static uint32_t enc_of(const intset_t *is)
{
    return le32toh(is->encoding);
}

uint32_t intset_len(const intset_t *is)
{
    return le32toh(is->length);
}

uint32_t intset_encoding(const intset_t *is)
{
    return enc_of(is);
}

/* The smallest width that holds v. */
static uint32_t value_encoding(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX)
        return INTSET_ENC_INT16;
    if (v >= INT32_MIN && v <= INT32_MAX)
        return INTSET_ENC_INT32;
    return INTSET_ENC_INT64;
}

/* Reads element pos as if the set had width enc (used while widening). */
static int64_t get_enc(const uint8_t *contents, uint32_t pos, uint32_t enc)
{
    const uint8_t *p = contents + (size_t)pos * enc;
    if (enc == INTSET_ENC_INT16) {
        uint16_t x;
        memcpy(&x, p, sizeof(x));
        return (int16_t)le16toh(x);
    }
    if (enc == INTSET_ENC_INT32) {
        uint32_t x;
        memcpy(&x, p, sizeof(x));
        return (int32_t)le32toh(x);
    }
    uint64_t x;
    memcpy(&x, p, sizeof(x));
    return (int64_t)le64toh(x);
}

static void set_enc(uint8_t *contents, uint32_t pos, uint32_t enc, int64_t v)
{
    uint8_t *p = contents + (size_t)pos * enc;
    if (enc == INTSET_ENC_INT16) {
        uint16_t x = htole16((uint16_t)(int16_t)v);
        memcpy(p, &x, sizeof(x));
    } else if (enc == INTSET_ENC_INT32) {
        uint32_t x = htole32((uint32_t)(int32_t)v);
        memcpy(p, &x, sizeof(x));
    } else {
        uint64_t x = htole64((uint64_t)v);
        memcpy(p, &x, sizeof(x));
    }
}

int64_t intset_get(const intset_t *is, uint32_t pos)
{
    REQUIRE(pos < intset_len(is));
    return get_enc(is->contents, pos, enc_of(is));
}

int64_t intset_min(const intset_t *is)
{
    return intset_get(is, 0);
}

int64_t intset_max(const intset_t *is)
{
    return intset_get(is, intset_len(is) - 1);
}

int64_t intset_random(const intset_t *is)
{
    uint32_t n = intset_len(is);
    REQUIRE(n > 0);
    return intset_get(is, (uint32_t)((unsigned long)random() % n));
}

/* Reallocates for len elements of width enc and stores both in the header. */
static intset_t *resize(intset_t *is, uint32_t len, uint32_t enc)
{
    is = alloc_realloc(is, HDR_SIZE + (size_t)len * enc);
    is->encoding = htole32(enc);
    is->length = htole32(len);
    return is;
}

intset_t *intset_new(void)
{
    intset_t *is = alloc_malloc(HDR_SIZE);
    is->encoding = htole32(INTSET_ENC_INT16);
    is->length = 0;
    return is;
}

intset_t *intset_dup(const intset_t *is)
{
    return alloc_memdup(is, intset_blob_len(is));
}

void intset_free(intset_t *is)
{
    alloc_free(is);
}

/*
 * Binary search. Returns true when v is present, with *pos its index;
 * otherwise *pos is where v would be inserted to keep the order. The ends
 * are checked first because appending ascending values is common.
 */
static bool search(const intset_t *is, int64_t v, uint32_t *pos)
{
    uint32_t n = intset_len(is), enc = enc_of(is);
    if (n == 0) {
        *pos = 0;
        return false;
    }
    if (v > get_enc(is->contents, n - 1, enc)) {
        *pos = n;
        return false;
    }
    if (v < get_enc(is->contents, 0, enc)) {
        *pos = 0;
        return false;
    }
    uint32_t lo = 0, hi = n; /* The answer lies in [lo, hi). */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = get_enc(is->contents, mid, enc);
        if (cur == v) {
            *pos = mid;
            return true;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return false;
}

bool intset_find(const intset_t *is, int64_t v)
{
    uint32_t pos;
    return value_encoding(v) <= enc_of(is) && search(is, v, &pos);
}

/*
 * Widens the set to hold v, which is outside the current width's range and
 * therefore either smaller or larger than every element: it goes first or
 * last. Elements are moved from the back so none is overwritten before it
 * is read.
 */
static intset_t *widen_and_add(intset_t *is, int64_t v)
{
    uint32_t old_enc = enc_of(is), new_enc = value_encoding(v);
    uint32_t n = intset_len(is);
    uint32_t shift = v < 0 ? 1 : 0;
    is = resize(is, n + 1, new_enc);
    for (uint32_t i = n; i-- > 0;)
        set_enc(is->contents, i + shift, new_enc, get_enc(is->contents, i, old_enc));
    set_enc(is->contents, shift ? 0 : n, new_enc, v);
    return is;
}

intset_t *intset_add(intset_t *is, int64_t v, bool *added)
{
    if (added != NULL)
        *added = true;
    if (value_encoding(v) > enc_of(is))
        return widen_and_add(is, v);
    uint32_t pos;
    if (search(is, v, &pos)) {
        if (added != NULL)
            *added = false;
        return is;
    }
    uint32_t n = intset_len(is), enc = enc_of(is);
    is = resize(is, n + 1, enc);
    if (pos < n)
        memmove(is->contents + (size_t)(pos + 1) * enc, is->contents + (size_t)pos * enc,
                (size_t)(n - pos) * enc);
    set_enc(is->contents, pos, enc, v);
    return is;
}

intset_t *intset_remove(intset_t *is, int64_t v, bool *removed)
{
    uint32_t pos, enc = enc_of(is);
    bool found = value_encoding(v) <= enc && search(is, v, &pos);
    if (removed != NULL)
        *removed = found;
    if (!found)
        return is;
    uint32_t n = intset_len(is);
    if (pos + 1 < n)
        memmove(is->contents + (size_t)pos * enc, is->contents + (size_t)(pos + 1) * enc,
                (size_t)(n - pos - 1) * enc);
    return resize(is, n - 1, enc);
}

const void *intset_blob(const intset_t *is)
{
    return is;
}

size_t intset_blob_len(const intset_t *is)
{
    return HDR_SIZE + (size_t)intset_len(is) * enc_of(is);
}

bool intset_validate(const void *p, size_t n, bool deep)
{
    if (p == NULL || n < HDR_SIZE)
        return false;
    struct intset hdr;
    memcpy(&hdr, p, HDR_SIZE);
    uint32_t enc = le32toh(hdr.encoding), count = le32toh(hdr.length);
    if (enc != INTSET_ENC_INT16 && enc != INTSET_ENC_INT32 && enc != INTSET_ENC_INT64)
        return false;
    if ((uint64_t)HDR_SIZE + (uint64_t)count * enc != (uint64_t)n || count == 0)
        return false;
    if (!deep)
        return true;
    const uint8_t *contents = (const uint8_t *)p + HDR_SIZE;
    int64_t prev = get_enc(contents, 0, enc);
    for (uint32_t i = 1; i < count; i++) {
        int64_t cur = get_enc(contents, i, enc);
        if (cur <= prev)
            return false;
        prev = cur;
    }
    return true;
}

intset_t *intset_from_blob(const void *p, size_t n)
{
    REQUIRE(intset_validate(p, n, false));
    return alloc_memdup(p, n);
}

intset_t *intset_adopt_blob(void *blob, size_t n)
{
    REQUIRE(intset_validate(blob, n, false));
    return blob;
}
