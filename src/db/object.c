#include <config.h>
#include "db/object.h"

#include <string.h>

#include "core/alloc.h"
#include "core/check.h"

static obj_free_fn *free_fns[8];
static obj_dup_fn *dup_fns[8];
static obj_mem_fn *mem_fns[8];

void obj_register_free(int type, obj_free_fn *fn)
{
    REQUIRE(type >= 0 && type < (int)ARRAY_LEN(free_fns));
    free_fns[type] = fn;
}

void obj_register_dup(int type, obj_dup_fn *fn)
{
    REQUIRE(type >= 0 && type < (int)ARRAY_LEN(dup_fns));
    dup_fns[type] = fn;
}

void obj_register_mem_usage(int type, obj_mem_fn *fn)
{
    REQUIRE(type >= 0 && type < (int)ARRAY_LEN(mem_fns));
    mem_fns[type] = fn;
}

obj_t *obj_new(int type, int encoding, void *ptr)
{
    obj_t *o = alloc_malloc(sizeof(*o));
    o->type = (unsigned)type;
    o->encoding = (unsigned)encoding;
    o->lru = 0;
    o->refcount = 1;
    o->ptr = ptr;
    return o;
}

/*
 * An embstr is one allocation: the obj_t, a length byte, the bytes and a NUL
 * (16 + 1 + n + 1 bytes, so up to 44 bytes of text fit in 62). ptr points at
 * the bytes, with the length just before them. There is no str_t header:
 * readers go through obj_string_bytes, and writers convert to raw first.
 */
static obj_t *new_embstr(const void *p, size_t n)
{
    REQUIRE(n <= OBJ_EMBSTR_MAX);
    obj_t *o = alloc_malloc(sizeof(obj_t) + 1 + n + 1);
    uint8_t *len = (uint8_t *)(o + 1);
    char *buf = (char *)(len + 1);
    *len = (uint8_t)n;
    if (n > 0)
        memcpy(buf, p, n);
    buf[n] = '\0';
    o->type = OBJ_STRING;
    o->encoding = OBJ_ENC_EMBSTR;
    o->lru = 0;
    o->refcount = 1;
    o->ptr = buf;
    return o;
}

obj_t *obj_new_int(long long v)
{
    return obj_new(OBJ_STRING, OBJ_ENC_INT, (void *)(intptr_t)v);
}

obj_t *obj_new_string(const void *p, size_t n)
{
    long long v;
    if (n <= 20 && strconv_to_ll(p, n, &v) == 0)
        return obj_new_int(v);
    if (n <= OBJ_EMBSTR_MAX)
        return new_embstr(p, n);
    return obj_new_raw(p, n);
}

obj_t *obj_new_string_noint(const void *p, size_t n)
{
    if (n <= OBJ_EMBSTR_MAX)
        return new_embstr(p, n);
    return obj_new_raw(p, n);
}

obj_t *obj_new_raw(const void *p, size_t n)
{
    return obj_new(OBJ_STRING, OBJ_ENC_RAW, str_new(p, n));
}

obj_t *obj_new_raw_str(str_t *s)
{
    return obj_new(OBJ_STRING, OBJ_ENC_RAW, s);
}

/* Strings are copied here rather than through the table because their
 * encodings are this module's own. */
static obj_t *dup_string(const obj_t *o)
{
    if (o->encoding == OBJ_ENC_INT)
        return obj_new_int((long long)(intptr_t)o->ptr);
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    if (o->encoding == OBJ_ENC_EMBSTR)
        return new_embstr(p, n);
    return obj_new_raw(p, n);
}

obj_t *obj_dup(const obj_t *o)
{
    if (o->type == OBJ_STRING)
        return dup_string(o);
    if (dup_fns[o->type] == NULL)
        return NULL;
    obj_t *copy = dup_fns[o->type](o);
    ENSURE(copy != NULL && copy->type == o->type && copy->refcount == 1);
    return copy;
}

void obj_incref(obj_t *o)
{
    if (o->refcount != OBJ_SHARED_REFCOUNT)
        o->refcount++;
}

void obj_decref(obj_t *o)
{
    if (o->refcount == OBJ_SHARED_REFCOUNT)
        return;
    INSIST(o->refcount > 0);
    if (--o->refcount > 0)
        return;
    if (o->type == OBJ_STRING) {
        if (o->encoding == OBJ_ENC_RAW)
            str_free(o->ptr);
    } else if (free_fns[o->type] != NULL) {
        free_fns[o->type](o);
    }
    alloc_free(o);
}

const char *obj_string_bytes(const obj_t *o, char *tmp, size_t *len)
{
    REQUIRE(o->type == OBJ_STRING);
    if (o->encoding == OBJ_ENC_INT) {
        *len = strconv_ll(tmp, (long long)(intptr_t)o->ptr);
        return tmp;
    }
    if (o->encoding == OBJ_ENC_EMBSTR) {
        const char *buf = o->ptr;
        *len = (uint8_t)buf[-1];
        return buf;
    }
    const str_t *s = o->ptr;
    *len = s->len;
    return s->buf;
}

size_t obj_string_len(const obj_t *o)
{
    char tmp[STRCONV_BUF];
    size_t n;
    obj_string_bytes(o, tmp, &n);
    return n;
}

int obj_string_to_ll(const obj_t *o, long long *out)
{
    if (o->encoding == OBJ_ENC_INT) {
        *out = (long long)(intptr_t)o->ptr;
        return 0;
    }
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    return strconv_to_ll(p, n, out);
}

size_t obj_mem_usage(const obj_t *o, size_t samples)
{
    UNUSED(samples);
    if (o->type == OBJ_STRING) {
        if (o->encoding == OBJ_ENC_RAW)
            return alloc_size(o) + alloc_size(o->ptr);
        return alloc_size(o);
    }
    if (mem_fns[o->type] != NULL)
        return mem_fns[o->type](o, samples);
    return alloc_size(o);
}

const char *obj_type_name(int type)
{
    switch (type) {
    case OBJ_STRING: return "string";
    case OBJ_LIST: return "list";
    case OBJ_SET: return "set";
    case OBJ_ZSET: return "zset";
    case OBJ_HASH: return "hash";
    case OBJ_STREAM: return "stream";
    case OBJ_MODULE: return "module";
    default: return "unknown";
    }
}

const char *obj_encoding_name(int encoding)
{
    switch (encoding) {
    case OBJ_ENC_RAW: return "raw";
    case OBJ_ENC_INT: return "int";
    case OBJ_ENC_HT: return "hashtable";
    case OBJ_ENC_ZIPMAP: return "zipmap";
    case OBJ_ENC_LINKEDLIST: return "linkedlist";
    case OBJ_ENC_ZIPLIST: return "ziplist";
    case OBJ_ENC_INTSET: return "intset";
    case OBJ_ENC_SKIPLIST: return "skiplist";
    case OBJ_ENC_EMBSTR: return "embstr";
    case OBJ_ENC_QUICKLIST: return "quicklist";
    case OBJ_ENC_STREAM: return "stream";
    case OBJ_ENC_LISTPACK: return "listpack";
    default: return "unknown";
    }
}
