#include <config.h>
#include "server/repl_backlog.h"

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"

static repl_block_t *block_new(repl_backlog_t *b, uint64_t start)
{
    repl_block_t *blk = alloc_malloc(sizeof(*blk) + b->block_size);
    blk->next = NULL;
    blk->start = start;
    blk->used = 0;
    blk->size = (uint32_t)b->block_size;
    blk->refs = 0;
    b->nblocks++;
    b->alloc += sizeof(*blk) + b->block_size;
    return blk;
}

static void block_free(repl_backlog_t *b, repl_block_t *blk)
{
    b->nblocks--;
    b->alloc -= sizeof(*blk) + blk->size;
    alloc_free(blk);
}

repl_backlog_t *repl_backlog_new(size_t limit, uint64_t start, size_t block_size)
{
    repl_backlog_t *b = alloc_calloc(sizeof(*b));
    b->limit = limit;
    b->block_size = block_size != 0 ? block_size : REPL_BACKLOG_BLOCK;
    b->first = b->end = start;
    /* The chain is never empty, so a cursor always has a block to pin. */
    b->head = b->tail = block_new(b, start);
    return b;
}

void repl_backlog_free(repl_backlog_t *b)
{
    if (b == NULL)
        return;
    repl_block_t *blk = b->head;
    while (blk != NULL) {
        repl_block_t *next = blk->next;
        INSIST(blk->refs == 0);
        block_free(b, blk);
        blk = next;
    }
    alloc_free(b);
}

/* Drops head blocks nobody reads while the rest still holds limit bytes.
 * The tail is always kept. */
static void trim(repl_backlog_t *b)
{
    while (b->head != b->tail && b->head->refs == 0 &&
           b->end - (b->head->start + b->head->used) >= b->limit) {
        repl_block_t *old = b->head;
        b->head = old->next;
        block_free(b, old);
    }
    b->first = b->head->start;
    /* A lone tail with no reader keeps only what it holds. */
}

void repl_backlog_append(repl_backlog_t *b, const void *p, size_t n)
{
    const char *src = p;
    while (n > 0) {
        repl_block_t *t = b->tail;
        if (t->used == t->size) {
            t->next = block_new(b, b->end);
            b->tail = t->next;
            t = b->tail;
        }
        size_t k = t->size - t->used;
        if (k > n)
            k = n;
        memcpy(t->data + t->used, src, k);
        t->used += (uint32_t)k;
        b->end += k;
        src += k;
        n -= k;
    }
    trim(b);
}

void repl_backlog_resize(repl_backlog_t *b, size_t limit)
{
    b->limit = limit;
    trim(b);
}

int repl_backlog_cursor_open(repl_backlog_t *b, repl_cursor_t *cur, uint64_t off)
{
    if (!repl_backlog_has(b, off))
        return -ERANGE;
    repl_block_t *blk = b->head;
    while (blk->next != NULL && off >= blk->start + blk->used)
        blk = blk->next;
    blk->refs++;
    cur->block = blk;
    cur->off = off;
    return 0;
}

void repl_backlog_cursor_close(repl_backlog_t *b, repl_cursor_t *cur)
{
    if (cur->block == NULL)
        return;
    INSIST(cur->block->refs > 0);
    cur->block->refs--;
    cur->block = NULL;
    trim(b);
}

/* Moves the cursor to the next block when it has read all of its own. */
static void step_block(repl_backlog_t *b, repl_cursor_t *cur)
{
    repl_block_t *blk = cur->block;
    UNUSED(b);
    while (cur->off == blk->start + blk->used && blk->next != NULL) {
        blk->refs--;
        blk = blk->next;
        blk->refs++;
    }
    cur->block = blk;
}

size_t repl_backlog_peek(repl_backlog_t *b, repl_cursor_t *cur, const char **p)
{
    REQUIRE(cur->block != NULL);
    step_block(b, cur);
    repl_block_t *blk = cur->block;
    size_t pos = (size_t)(cur->off - blk->start);
    *p = blk->data + pos;
    return blk->used - pos;
}

void repl_backlog_advance(repl_backlog_t *b, repl_cursor_t *cur, size_t n)
{
    REQUIRE(cur->block != NULL && n <= repl_backlog_unread(b, cur));
    while (n > 0) {
        step_block(b, cur);
        repl_block_t *blk = cur->block;
        size_t avail = (size_t)(blk->start + blk->used - cur->off);
        size_t k = avail < n ? avail : n;
        cur->off += k;
        n -= k;
    }
    step_block(b, cur);
    trim(b);
}
