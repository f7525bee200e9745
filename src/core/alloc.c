#include <config.h>
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif

#include "core/check.h"

#if defined(HAVE_JEMALLOC) && !defined(HAVE_SANITIZERS)
#include <jemalloc/jemalloc.h>
#endif

static size_t used_bytes;
static unsigned long fail_countdown;

static void oom(size_t n)
{
    fprintf(stderr, "out of memory allocating %zu bytes\n", n);
    abort();
}

size_t alloc_size(const void *p)
{
    if (p == NULL)
        return 0;
    return malloc_usable_size((void *)p);
}

void *alloc_try_malloc(size_t n)
{
    if (fail_countdown > 0 && --fail_countdown == 0)
        return NULL;
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        return NULL;
    __atomic_add_fetch(&used_bytes, alloc_size(p), __ATOMIC_RELAXED);
    return p;
}

void *alloc_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    __atomic_add_fetch(&used_bytes, alloc_size(p), __ATOMIC_RELAXED);
    return p;
}

void *alloc_calloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        oom(n);
    __atomic_add_fetch(&used_bytes, alloc_size(p), __ATOMIC_RELAXED);
    return p;
}

void *alloc_realloc(void *p, size_t n)
{
    if (p == NULL)
        return alloc_malloc(n);
    size_t old = alloc_size(p);
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    __atomic_sub_fetch(&used_bytes, old, __ATOMIC_RELAXED);
    __atomic_add_fetch(&used_bytes, alloc_size(q), __ATOMIC_RELAXED);
    return q;
}

void alloc_free(void *p)
{
    if (p == NULL)
        return;
    __atomic_sub_fetch(&used_bytes, alloc_size(p), __ATOMIC_RELAXED);
    free(p);
}

char *alloc_strdup(const char *s)
{
    return alloc_memdup(s, strlen(s) + 1);
}

void *alloc_memdup(const void *p, size_t n)
{
    void *q = alloc_malloc(n);
    memcpy(q, p, n);
    return q;
}

size_t alloc_used(void)
{
    return __atomic_load_n(&used_bytes, __ATOMIC_RELAXED);
}

const char *alloc_name(void)
{
#if defined(HAVE_JEMALLOC) && !defined(HAVE_SANITIZERS)
    static char name[64];
    if (name[0] == '\0') {
        const char *version = NULL;
        size_t len = sizeof(version);
        if (mallctl("version", &version, &len, NULL, 0) == 0 && version != NULL) {
            /* "5.3.0-0-g54eaed1d8b56..." -> "jemalloc-5.3.0" */
            size_t n = strcspn(version, "-");
            snprintf(name, sizeof(name), "jemalloc-%.*s", (int)n, version);
        } else {
            snprintf(name, sizeof(name), "jemalloc");
        }
    }
    return name;
#else
    return "libc";
#endif
}

void alloc_fail_after(unsigned long n)
{
    fail_countdown = n;
}

size_t alloc_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    unsigned long size = 0, rss = 0;
    int n = fscanf(f, "%lu %lu", &size, &rss);
    fclose(f);
    if (n != 2)
        return 0;
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}
