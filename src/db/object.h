/*
 * obj_t: a value in the keyspace, with its type, encoding, access clock
 * (LRU seconds or LFU time+counter) and reference count. String values come
 * in three encodings, as in Redis: int (the number lives in ptr), embstr (one
 * allocation holding the object, a length byte and the bytes; ptr points at
 * the bytes and is NOT a str_t) and raw (ptr owns a str_t). Read strings with
 * obj_string_bytes/obj_string_len whatever the encoding; modify only raw ones.
 * obj_decref frees the value when the count reaches zero.
 */
#ifndef RH_DB_OBJECT_H
#define RH_DB_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "core/strconv.h"

/* Type numbers are Redis's (TYPE, RDB and OBJECT use them). */
enum obj_type {
    OBJ_STRING = 0,
    OBJ_LIST = 1,
    OBJ_SET = 2,
    OBJ_ZSET = 3,
    OBJ_HASH = 4,
    OBJ_MODULE = 5,
    OBJ_STREAM = 6,
};

enum obj_encoding {
    OBJ_ENC_RAW = 0,
    OBJ_ENC_INT = 1,
    OBJ_ENC_HT = 2,
    OBJ_ENC_ZIPMAP = 3,
    OBJ_ENC_LINKEDLIST = 4,
    OBJ_ENC_ZIPLIST = 5,
    OBJ_ENC_INTSET = 6,
    OBJ_ENC_SKIPLIST = 7,
    OBJ_ENC_EMBSTR = 8,
    OBJ_ENC_QUICKLIST = 9,
    OBJ_ENC_STREAM = 10,
    OBJ_ENC_LISTPACK = 11,
};

/* Strings up to this length are stored embstr. */
#define OBJ_EMBSTR_MAX 44
/* The refcount reported for immortal shared objects. */
#define OBJ_SHARED_REFCOUNT 2147483647

#define OBJ_LRU_BITS 24
#define OBJ_LRU_MAX ((1u << OBJ_LRU_BITS) - 1)

typedef struct obj {
    unsigned type : 4;
    unsigned encoding : 4;
    unsigned lru : OBJ_LRU_BITS;
    int refcount;
    void *ptr;
} obj_t;

/* Type-specific destructors, registered by each type module. */
typedef void obj_free_fn(obj_t *o);
void obj_register_free(int type, obj_free_fn *fn);

/* Type-specific deep copies (COPY), registered by each type module: return
 * a new value with refcount 1 and the same type and encoding as o. */
typedef obj_t *obj_dup_fn(const obj_t *o);
void obj_register_dup(int type, obj_dup_fn *fn);

/* Type-specific MEMORY USAGE estimates, registered by each type module:
 * bytes used by the value including its obj_t, measuring up to samples
 * elements and extrapolating (0: all elements). */
typedef size_t obj_mem_fn(const obj_t *o, size_t samples);
void obj_register_mem_usage(int type, obj_mem_fn *fn);

obj_t *obj_new(int type, int encoding, void *ptr);
/* A string value in the smallest encoding: int if the bytes are a canonical
 * integer, embstr if short, raw otherwise. */
obj_t *obj_new_string(const void *p, size_t n);
/* A string value as embstr when short and raw otherwise, never int: the
 * encoding Redis gives values computed as text (INCRBYFLOAT). */
obj_t *obj_new_string_noint(const void *p, size_t n);
/* A raw string (never int or embstr), for values about to be modified. */
obj_t *obj_new_raw(const void *p, size_t n);
/* Takes ownership of s. */
obj_t *obj_new_raw_str(str_t *s);
obj_t *obj_new_int(long long v);

/* A deep copy of o that the caller owns (refcount 1, access clock 0), or
 * NULL when o's type has no copy function. Strings keep their encoding. */
obj_t *obj_dup(const obj_t *o);

void obj_incref(obj_t *o);
void obj_decref(obj_t *o);

/* The bytes of a string value. tmp (STRCONV_BUF bytes) holds int forms. */
const char *obj_string_bytes(const obj_t *o, char *tmp, size_t *len);
size_t obj_string_len(const obj_t *o);
/* The value as an integer if it is one (int encoding or parsable). */
int obj_string_to_ll(const obj_t *o, long long *out);

/* Bytes used by the value, for MEMORY USAGE and eviction estimates. */
size_t obj_mem_usage(const obj_t *o, size_t samples);

const char *obj_type_name(int type);
const char *obj_encoding_name(int encoding);

#endif
