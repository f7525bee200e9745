#include <config.h>

#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "tap.h"

static size_t gather(const buf_chain_t *c, char *out, size_t max)
{
    struct iovec iov[64];
    int n = buf_chain_iov(c, 0, iov, 64);
    size_t off = 0;
    for (int i = 0; i < n && off < max; i++) {
        memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    return off;
}

int main(void)
{
    size_t base = alloc_used();
    buf_chain_t c;
    buf_chain_init(&c);
    buf_chain_append(&c, "hello ", 6);
    buf_defer_t d = buf_chain_defer(&c, 16);
    buf_chain_append(&c, "world", 5);
    buf_chain_fill_deferred(&c, d, "*2\r\n", 4);
    char out[100000];
    size_t n = gather(&c, out, sizeof(out));
    is_mem(out, n, "hello *2\r\nworld", 15, "deferred header lands in place");
    is_int(c.bytes, 15, "byte count includes deferred header");
    buf_chain_consume(&c, 7);
    n = gather(&c, out, sizeof(out));
    is_mem(out, n, "2\r\nworld", 8, "consume across blocks");

    /* Appends larger than a block, then partial consumption. */
    static char big[3 * BUF_BLOCK_SIZE + 17];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    buf_chain_append(&c, big, sizeof(big));
    is_int(c.bytes, 8 + sizeof(big), "big append counted");
    buf_chain_consume(&c, 8 + 100);
    n = gather(&c, out, sizeof(out));
    ok(n == sizeof(big) - 100 && memcmp(out, big + 100, n) == 0, "big append content");

    /* Reserve/commit writes in place. */
    size_t avail;
    char *w = buf_chain_reserve(&c, 10, &avail);
    ok(avail >= 10, "reserve gives room");
    memcpy(w, "0123456789", 10);
    buf_chain_commit(&c, 10);
    n = gather(&c, out, sizeof(out));
    ok(n >= 10 && memcmp(out + n - 10, "0123456789", 10) == 0, "committed bytes at tail");
    buf_chain_consume(&c, c.bytes);
    is_int(c.bytes, 0, "all consumed");
    ok(c.blocks <= 1, "at most one block kept for reuse");
    buf_chain_destroy(&c);
    is_int(alloc_used(), base, "no memory left");
    return done_testing();
}
