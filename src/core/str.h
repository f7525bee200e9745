/*
 * str_t: a binary-safe, length-prefixed, NUL-terminated byte string.
 * Functions that may grow a string return the new pointer and invalidate the
 * old one (like a realloc). The caller owns every str_t it gets back and frees
 * it with str_free.
 */
#ifndef RH_CORE_STR_H
#define RH_CORE_STR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct str {
    uint32_t len;
    uint32_t cap; /* Bytes available in buf, not counting the NUL. */
    char buf[];
} str_t;

str_t *str_new(const void *p, size_t len);
str_t *str_new_cstr(const char *s);
str_t *str_new_cap(size_t cap); /* Empty, with room for cap bytes. */
str_t *str_dup(const str_t *s);
void str_free(str_t *s);

/* Appends n bytes; returns the (maybe moved) string. */
str_t *str_cat(str_t *s, const void *p, size_t n);
str_t *str_cat_cstr(str_t *s, const char *c);
str_t *str_catfmt(str_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
str_t *str_catvfmt(str_t *s, const char *fmt, va_list ap);
/* Ensures room for extra more bytes, growing geometrically. */
str_t *str_reserve(str_t *s, size_t extra);
/* Sets the length to n (n <= cap), writing the terminating NUL. */
void str_setlen(str_t *s, size_t n);
/* Shrinks the allocation to the length. */
str_t *str_shrink(str_t *s);
/* Sets the length to len, zero-filling new bytes. */
str_t *str_grow_zero(str_t *s, size_t len);
str_t *str_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int str_cmp(const str_t *a, const str_t *b);
int str_eq_cstr_nocase(const str_t *a, const char *c);
/* Compares raw byte ranges like memcmp, shorter first on a tie. */
int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Bytes the allocation uses, header included. */
size_t str_alloc_size(const str_t *s);

#endif
