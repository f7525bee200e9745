/*
 * The process allocator: thin wrappers over malloc (jemalloc when linked) that
 * keep the count of bytes in use for INFO memory and maxmemory. Allocation
 * failure aborts, except under the fault injector (alloc_fail_after), which
 * makes the Nth try_ call return NULL so tests can walk every OOM path.
 */
#ifndef RH_CORE_ALLOC_H
#define RH_CORE_ALLOC_H

#include <stddef.h>

void *alloc_malloc(size_t n);
void *alloc_calloc(size_t n);
void *alloc_realloc(void *p, size_t n);
void alloc_free(void *p);
char *alloc_strdup(const char *s);
void *alloc_memdup(const void *p, size_t n);

/* Like alloc_malloc, but returns NULL on failure or when injected to fail. */
void *alloc_try_malloc(size_t n);

/* Usable size of an allocation made here. */
size_t alloc_size(const void *p);

/* Bytes currently allocated through this module. */
size_t alloc_used(void);

/* Name of the allocator in use ("jemalloc-5.3.0", "libc"). */
const char *alloc_name(void);

/* Makes the Nth following alloc_try_malloc fail (0 disables). */
void alloc_fail_after(unsigned long n);

/* Resident set size of the process in bytes, 0 when unknown. */
size_t alloc_rss(void);

#endif
