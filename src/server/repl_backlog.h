/*
 * repl_backlog: the replication stream kept in memory, one copy shared by
 * the backlog (what a reconnecting replica may resume from) and by every
 * replica's pending output. It is a chain of fixed-size blocks; each byte has
 * an offset (1-based, as Redis's master_repl_offset counts). Replicas read it
 * through cursors: a cursor pins the block it points into, so the chain is
 * trimmed to `limit` bytes only from the head and never past a block a
 * cursor still needs. The backlog owns its blocks; cursors are embedded in
 * their owners and must be closed before the backlog is freed.
 * Depends on src/core only.
 */
#ifndef RH_SERVER_REPL_BACKLOG_H
#define RH_SERVER_REPL_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPL_BACKLOG_BLOCK (16 * 1024)

typedef struct repl_block {
    struct repl_block *next;
    uint64_t start; /* Offset of data[0]. */
    uint32_t used;
    uint32_t size;
    uint32_t refs; /* Cursors pointing into this block. */
    char data[];
} repl_block_t;

typedef struct repl_backlog {
    repl_block_t *head, *tail;
    uint64_t first;     /* Offset of the oldest byte kept. */
    uint64_t end;       /* Offset the next appended byte gets. */
    size_t limit;       /* repl-backlog-size: history kept without readers. */
    size_t block_size;
    size_t nblocks;
    size_t alloc;       /* Bytes allocated for blocks. */
} repl_backlog_t;

/* A reader's position: off is the next offset it reads. */
typedef struct repl_cursor {
    repl_block_t *block; /* NULL when closed. */
    uint64_t off;
} repl_cursor_t;

/* A backlog whose next byte will have offset start (master_repl_offset + 1)
 * keeping limit bytes of history. block_size 0 means REPL_BACKLOG_BLOCK. */
repl_backlog_t *repl_backlog_new(size_t limit, uint64_t start, size_t block_size);
/* Frees the backlog; no cursor may be open. */
void repl_backlog_free(repl_backlog_t *b);

/* Appends n bytes (copied once), then trims the history. */
void repl_backlog_append(repl_backlog_t *b, const void *p, size_t n);
/* Changes the history size (CONFIG SET repl-backlog-size) and trims. */
void repl_backlog_resize(repl_backlog_t *b, size_t limit);

/* Bytes of history (repl_backlog_histlen). */
static inline uint64_t repl_backlog_histlen(const repl_backlog_t *b)
{
    return b->end - b->first;
}
/* True when a reader may start at off: first <= off <= end. */
static inline bool repl_backlog_has(const repl_backlog_t *b, uint64_t off)
{
    return off >= b->first && off <= b->end;
}

/* Opens a cursor at off. Returns 0, or -ERANGE when off is not in the
 * backlog (the cursor stays closed). */
int repl_backlog_cursor_open(repl_backlog_t *b, repl_cursor_t *cur, uint64_t off)
    __attribute__((warn_unused_result));
/* Releases the cursor's pin (no-op when closed) and trims. */
void repl_backlog_cursor_close(repl_backlog_t *b, repl_cursor_t *cur);
/* Bytes the cursor has not read yet. */
static inline uint64_t repl_backlog_unread(const repl_backlog_t *b, const repl_cursor_t *cur)
{
    return cur->block != NULL ? b->end - cur->off : 0;
}
/* The contiguous bytes readable at the cursor: sets *p and returns their
 * count (0 at the end). */
size_t repl_backlog_peek(repl_backlog_t *b, repl_cursor_t *cur, const char **p);
/* Moves the cursor n bytes on (n <= unread), releasing blocks it leaves. */
void repl_backlog_advance(repl_backlog_t *b, repl_cursor_t *cur, size_t n);

#endif
