#include <config.h>
#include "core/buf.h"

#include <string.h>

#include "core/alloc.h"
#include "core/check.h"

void buf_chain_init(buf_chain_t *c)
{
    memset(c, 0, sizeof(*c));
}

void buf_chain_destroy(buf_chain_t *c)
{
    buf_block_t *b = c->head;
    while (b != NULL) {
        buf_block_t *next = b->next;
        alloc_free(b);
        b = next;
    }
    memset(c, 0, sizeof(*c));
}

static buf_block_t *block_new(buf_chain_t *c, size_t size)
{
    buf_block_t *b = alloc_malloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = (uint32_t)(alloc_size(b) - sizeof(*b));
    b->used = 0;
    b->off = 0;
    b->sealed = 0;
    if (c->tail != NULL)
        c->tail->next = b;
    else
        c->head = b;
    c->tail = b;
    c->blocks++;
    c->alloc += alloc_size(b);
    return b;
}

char *buf_chain_reserve(buf_chain_t *c, size_t min, size_t *avail)
{
    buf_block_t *t = c->tail;
    if (t == NULL || t->sealed || t->size - t->used < min) {
        size_t size = min > BUF_BLOCK_SIZE ? min : BUF_BLOCK_SIZE;
        t = block_new(c, size);
    }
    *avail = t->size - t->used;
    return t->data + t->used;
}

void buf_chain_commit(buf_chain_t *c, size_t n)
{
    INSIST(c->tail != NULL && c->tail->used + n <= c->tail->size);
    c->tail->used += (uint32_t)n;
    c->bytes += n;
}

void buf_chain_append(buf_chain_t *c, const void *p, size_t n)
{
    const char *src = p;
    while (n > 0) {
        buf_block_t *t = c->tail;
        if (t == NULL || t->sealed || t->used == t->size)
            t = block_new(c, n > BUF_BLOCK_SIZE ? n : BUF_BLOCK_SIZE);
        size_t room = t->size - t->used;
        size_t k = n < room ? n : room;
        memcpy(t->data + t->used, src, k);
        t->used += (uint32_t)k;
        c->bytes += k;
        src += k;
        n -= k;
    }
}

buf_defer_t buf_chain_defer(buf_chain_t *c, size_t max)
{
    if (c->tail != NULL)
        c->tail->sealed = 1;
    buf_block_t *b = block_new(c, max);
    b->sealed = 1;
    buf_defer_t d = {b};
    return d;
}

void buf_chain_fill_deferred(buf_chain_t *c, buf_defer_t d, const void *p, size_t n)
{
    REQUIRE(d.block != NULL && d.block->used == 0 && n <= d.block->size);
    memcpy(d.block->data, p, n);
    d.block->used = (uint32_t)n;
    c->bytes += n;
}

int buf_chain_iov(const buf_chain_t *c, size_t skip, struct iovec *iov, int max)
{
    int n = 0;
    for (buf_block_t *b = c->head; b != NULL && n < max; b = b->next) {
        size_t len = b->used - b->off;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        iov[n].iov_base = b->data + b->off + skip;
        iov[n].iov_len = len - skip;
        skip = 0;
        n++;
    }
    return n;
}

void buf_chain_consume(buf_chain_t *c, size_t n)
{
    REQUIRE(n <= c->bytes);
    c->bytes -= n;
    while (c->head != NULL) {
        buf_block_t *b = c->head;
        size_t len = b->used - b->off;
        if (n < len || (n == len && b == c->tail && !b->sealed && n == 0)) {
            b->off += (uint32_t)n;
            return;
        }
        n -= len;
        if (b == c->tail && !b->sealed) {
            /* Keep the last block for reuse: an idle connection holds one
             * block instead of allocating a new one per reply. */
            b->off = b->used = 0;
            INSIST(n == 0);
            return;
        }
        c->head = b->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->blocks--;
        c->alloc -= alloc_size(b);
        alloc_free(b);
    }
    INSIST(n == 0);
}
