/*
 * info: the INFO report (sections, field names and formats of Redis 7.0)
 * and the memory accounting shared by INFO memory, MEMORY STATS and MEMORY
 * DOCTOR. Everything here reads global state (srv, cfg, db_env) and
 * allocates only the strings it returns, which the caller frees.
 */
#ifndef RH_SERVER_INFO_H
#define RH_SERVER_INFO_H

#include <stddef.h>

#include "core/str.h"
#include "server/client.h"

#if defined(HAVE_JEMALLOC) && !defined(HAVE_SANITIZERS)
#define INFO_JEMALLOC 1
#else
#define INFO_JEMALLOC 0
#endif

/* A snapshot of the memory figures INFO memory and MEMORY STATS report. */
typedef struct info_mem {
    size_t used;             /* Bytes allocated through core/alloc. */
    size_t peak;             /* Highest used seen. */
    size_t startup;          /* Used once the server was initialised. */
    size_t rss;              /* Resident set size of the process. */
    size_t clients_normal;   /* Buffers and state of normal clients. */
    size_t clients_replicas; /* The same for replicas. */
    size_t db_overhead;      /* Hash tables of every database. */
    size_t overhead;         /* Everything above that is not the dataset. */
    size_t dataset;          /* used - overhead. */
    size_t keys;             /* Keys in every database. */
    size_t alloc_allocated;  /* Allocator's own view of the process. */
    size_t alloc_active;
    size_t alloc_resident;
    size_t total_system;     /* Physical memory of the machine. */
} info_mem_t;

/* Fills m with current figures (and raises the recorded peak if needed). */
void info_mem_collect(info_mem_t *m);

/* Bytes used by the two hash tables of one database. */
void info_db_overhead(const db_t *db, size_t *main_bytes, size_t *expires_bytes);

/* Formats n as Redis does in *_human fields ("0B", "894.77K", "1.50M"). */
void info_bytes_human(char *buf, size_t len, unsigned long long n);

/* The INFO text for the section names in args (none: the default set);
 * unknown names are ignored. Caller frees the result. */
str_t *info_render(const arg_t *args, int nargs);

#endif
