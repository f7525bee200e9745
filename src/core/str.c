#include <config.h>
#include "core/str.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/check.h"

#define STR_MAX ((size_t)UINT32_MAX - 1)

str_t *str_new_cap(size_t cap)
{
    REQUIRE(cap <= STR_MAX);
    str_t *s = alloc_malloc(sizeof(str_t) + cap + 1);
    s->len = 0;
    s->cap = (uint32_t)cap;
    s->buf[0] = '\0';
    return s;
}

str_t *str_new(const void *p, size_t len)
{
    str_t *s = str_new_cap(len);
    if (len > 0 && p != NULL)
        memcpy(s->buf, p, len);
    else if (len > 0)
        memset(s->buf, 0, len);
    s->len = (uint32_t)len;
    s->buf[len] = '\0';
    return s;
}

str_t *str_new_cstr(const char *c)
{
    return str_new(c, strlen(c));
}

str_t *str_dup(const str_t *s)
{
    return str_new(s->buf, s->len);
}

void str_free(str_t *s)
{
    alloc_free(s);
}

str_t *str_reserve(str_t *s, size_t extra)
{
    size_t need = (size_t)s->len + extra;
    REQUIRE(need <= STR_MAX);
    if (need <= s->cap)
        return s;
    size_t cap = need < 1024 * 1024 ? need * 2 : need + 1024 * 1024;
    if (cap > STR_MAX)
        cap = STR_MAX;
    s = alloc_realloc(s, sizeof(str_t) + cap + 1);
    s->cap = (uint32_t)cap;
    return s;
}

void str_setlen(str_t *s, size_t n)
{
    REQUIRE(n <= s->cap);
    s->len = (uint32_t)n;
    s->buf[n] = '\0';
}

str_t *str_cat(str_t *s, const void *p, size_t n)
{
    s = str_reserve(s, n);
    memcpy(s->buf + s->len, p, n);
    str_setlen(s, s->len + n);
    return s;
}

str_t *str_cat_cstr(str_t *s, const char *c)
{
    return str_cat(s, c, strlen(c));
}

str_t *str_catvfmt(str_t *s, const char *fmt, va_list ap)
{
    char small[256];
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(small, sizeof(small), fmt, cp);
    va_end(cp);
    INSIST(n >= 0);
    if ((size_t)n < sizeof(small))
        return str_cat(s, small, (size_t)n);
    s = str_reserve(s, (size_t)n);
    vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
    str_setlen(s, s->len + (size_t)n);
    return s;
}

str_t *str_catfmt(str_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s = str_catvfmt(s, fmt, ap);
    va_end(ap);
    return s;
}

str_t *str_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    str_t *s = str_catvfmt(str_new_cap(32), fmt, ap);
    va_end(ap);
    return s;
}

str_t *str_shrink(str_t *s)
{
    if (s->cap == s->len)
        return s;
    s = alloc_realloc(s, sizeof(str_t) + s->len + 1);
    s->cap = s->len;
    return s;
}

str_t *str_grow_zero(str_t *s, size_t len)
{
    if (len <= s->len)
        return s;
    size_t old = s->len;
    s = str_reserve(s, len - old);
    memset(s->buf + old, 0, len - old);
    str_setlen(s, len);
    return s;
}

int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

int str_cmp(const str_t *a, const str_t *b)
{
    return bytes_cmp(a->buf, a->len, b->buf, b->len);
}

int str_eq_cstr_nocase(const str_t *a, const char *c)
{
    size_t n = strlen(c);
    return a->len == n && strncasecmp(a->buf, c, n) == 0;
}

size_t str_alloc_size(const str_t *s)
{
    return alloc_size(s);
}
