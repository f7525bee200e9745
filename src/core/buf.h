/*
 * buf_chain_t: an output chain of fixed-size blocks. Appends never move bytes
 * already queued, so a write in flight may keep pointing into the chain while
 * more output is appended; consumed bytes are released from the head. A
 * deferred slot reserves room for a header (such as an array length) that is
 * only known after the elements were appended. The chain owns its blocks.
 */
#ifndef RH_CORE_BUF_H
#define RH_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define BUF_BLOCK_SIZE (16 * 1024)

typedef struct buf_block {
    struct buf_block *next;
    uint32_t size; /* Capacity of data. */
    uint32_t used; /* Bytes written into data. */
    uint32_t off;  /* Bytes of data already consumed. */
    uint32_t sealed; /* Nonzero: nothing more may be appended here. */
    char data[];
} buf_block_t;

typedef struct buf_chain {
    buf_block_t *head, *tail;
    size_t bytes;   /* Bytes queued and not yet consumed. */
    size_t blocks;  /* Number of blocks. */
    size_t alloc;   /* Bytes allocated for blocks. */
} buf_chain_t;

/* A reserved header slot, filled by buf_chain_fill_deferred. */
typedef struct buf_defer {
    buf_block_t *block;
} buf_defer_t;

void buf_chain_init(buf_chain_t *c);
void buf_chain_destroy(buf_chain_t *c);

void buf_chain_append(buf_chain_t *c, const void *p, size_t n);
/* Returns room for at least min contiguous bytes at the tail; the caller then
 * writes up to *avail bytes and calls buf_chain_commit with the count. */
char *buf_chain_reserve(buf_chain_t *c, size_t min, size_t *avail);
void buf_chain_commit(buf_chain_t *c, size_t n);

/* Reserves a slot of up to max bytes for a header appended later in place. */
buf_defer_t buf_chain_defer(buf_chain_t *c, size_t max);
void buf_chain_fill_deferred(buf_chain_t *c, buf_defer_t d, const void *p, size_t n);

/* Fills up to max iovecs with the queued bytes, starting skip bytes past the
 * head; returns how many were used. */
int buf_chain_iov(const buf_chain_t *c, size_t skip, struct iovec *iov, int max);
/* Releases n bytes from the head. */
void buf_chain_consume(buf_chain_t *c, size_t n);

#endif
