/*
 * Unit tests of server/repl_backlog.c: offsets, trimming to the history
 * size, cursors pinning blocks, reading across blocks, and resizing. The
 * module depends on src/core only.
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "server/repl_backlog.h"
#include "tap.h"

/* Reads everything the cursor has into out; returns the count. */
static size_t drain(repl_backlog_t *b, repl_cursor_t *cur, char *out, size_t cap)
{
    size_t total = 0;
    const char *p;
    size_t n;
    while ((n = repl_backlog_peek(b, cur, &p)) > 0 && total + n <= cap) {
        memcpy(out + total, p, n);
        total += n;
        repl_backlog_advance(b, cur, n);
    }
    return total;
}

static void test_offsets(void)
{
    repl_backlog_t *b = repl_backlog_new(100, 1, 16);
    is_int((long long)b->first, 1, "empty backlog starts at offset 1");
    is_int((long long)repl_backlog_histlen(b), 0, "no history");
    repl_backlog_append(b, "0123456789", 10);
    is_int((long long)b->end, 11, "end advanced");
    is_int((long long)repl_backlog_histlen(b), 10, "histlen 10");
    ok(repl_backlog_has(b, 1) && repl_backlog_has(b, 11) && !repl_backlog_has(b, 12),
       "has() bounds");
    repl_cursor_t cur = {0};
    ok(repl_backlog_cursor_open(b, &cur, 12) == -ERANGE, "open past end refused");
    ok(repl_backlog_cursor_open(b, &cur, 4) == 0, "open inside");
    char out[64];
    size_t n = drain(b, &cur, out, sizeof(out));
    ok(n == 7 && memcmp(out, "3456789", 7) == 0, "read from offset 4");
    is_int((long long)repl_backlog_unread(b, &cur), 0, "nothing unread");
    repl_backlog_cursor_close(b, &cur);
    repl_backlog_free(b);
}

static void test_trim(void)
{
    repl_backlog_t *b = repl_backlog_new(32, 1, 16);
    char data[200];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    repl_backlog_append(b, data, sizeof(data));
    uint64_t h = repl_backlog_histlen(b);
    ok(h >= 32 && h < 32 + 16, "history trimmed to limit plus at most a block");
    is_int((long long)b->end, 201, "end offset");
    ok(b->nblocks <= 4, "old blocks freed");
    repl_cursor_t cur = {0};
    ok(repl_backlog_cursor_open(b, &cur, 1) == -ERANGE, "trimmed offset refused");
    ok(repl_backlog_cursor_open(b, &cur, b->first) == 0, "first offset accepted");
    char out[256];
    size_t n = drain(b, &cur, out, sizeof(out));
    ok(n == h && memcmp(out, data + (sizeof(data) - h), n) == 0, "history content");
    repl_backlog_cursor_close(b, &cur);
    repl_backlog_free(b);
}

static void test_pin(void)
{
    repl_backlog_t *b = repl_backlog_new(16, 1, 16);
    repl_cursor_t slow = {0};
    ok(repl_backlog_cursor_open(b, &slow, 1) == 0, "slow reader at the start");
    char data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)i;
    for (int i = 0; i < 10; i++)
        repl_backlog_append(b, data + i * 100, 100);
    is_int((long long)b->first, 1, "pinned history kept");
    is_int((long long)repl_backlog_unread(b, &slow), 1000, "slow reader unread");
    char out[1000];
    size_t n = drain(b, &slow, out, 500);
    ok(n <= 500 && memcmp(out, data, n) == 0, "first part read");
    ok(b->first > 1 && b->first <= 1 + n, "trimmed up to the reader");
    n += drain(b, &slow, out + n, sizeof(out) - n);
    ok(n == 1000 && memcmp(out, data, 1000) == 0, "whole stream read in order");
    repl_backlog_cursor_close(b, &slow);
    ok(repl_backlog_histlen(b) < 16 + 16, "trimmed after close");
    repl_backlog_free(b);
}

static void test_readers_share(void)
{
    repl_backlog_t *b = repl_backlog_new(64, 1001, 0);
    repl_cursor_t c1 = {0}, c2 = {0};
    ok(repl_backlog_cursor_open(b, &c1, 1001) == 0 && repl_backlog_cursor_open(b, &c2, 1001) == 0,
       "two readers at the end");
    static char big[100000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    repl_backlog_append(b, big, sizeof(big));
    static char o1[100000], o2[100000];
    size_t n1 = drain(b, &c1, o1, sizeof(o1));
    ok(n1 == sizeof(big) && memcmp(o1, big, n1) == 0, "reader 1 got the stream");
    ok(b->first == 1001, "reader 2 still pins the start");
    size_t n2 = drain(b, &c2, o2, sizeof(o2));
    ok(n2 == sizeof(big) && memcmp(o2, big, n2) == 0, "reader 2 got the stream");
    ok(b->first > 1001 && repl_backlog_histlen(b) >= 64, "trimmed once both read");
    repl_backlog_resize(b, 1);
    ok(repl_backlog_histlen(b) <= REPL_BACKLOG_BLOCK, "resize trims");
    /* A reader at the end of a full block moves on when more arrives. */
    repl_backlog_append(b, big, REPL_BACKLOG_BLOCK * 2);
    size_t n3 = drain(b, &c1, o1, sizeof(o1));
    ok(n3 == REPL_BACKLOG_BLOCK * 2 && memcmp(o1, big, n3) == 0, "reader follows new blocks");
    repl_backlog_cursor_close(b, &c1);
    repl_backlog_cursor_close(b, &c2);
    repl_backlog_free(b);
}

int main(void)
{
    test_offsets();
    test_trim();
    test_pin();
    test_readers_share();
    return done_testing();
}
