#include <config.h>
#include "core/lzf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/*
 * The compressed bytes of a 1024-byte string, as redis-server 7.0.15 wrote
 * them into an RDB file (SET k <value>; SAVE). make_interop_plain() rebuilds
 * the original value.
 */
static const uint8_t redis_lzf_fixture[] = {
    0x18, 0x72, 0x65, 0x64, 0x69, 0x73, 0x2d, 0x68, 0x61, 0x20, 0x6c, 0x7a,
    0x66, 0x20, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x6f, 0x70, 0x20, 0x30, 0x3b,
    0x20, 0x72, 0xe0, 0x0b, 0x17, 0x00, 0x31, 0xe0, 0x0e, 0x17, 0x00, 0x32,
    0xe0, 0x0e, 0x17, 0x00, 0x33, 0xe0, 0x0e, 0x17, 0x00, 0x34, 0xe0, 0x0e,
    0x17, 0x00, 0x35, 0xe0, 0x0e, 0x17, 0x00, 0x36, 0xe0, 0x0e, 0x17, 0xe0,
    0xff, 0xa7, 0xe1, 0xff, 0x4f, 0xe2, 0xea, 0x9f, 0x02, 0x61, 0x62, 0x63,
    0xe0, 0x0c, 0x02, 0x1f, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x07, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
};

static size_t make_interop_plain(uint8_t *out)
{
    size_t n = 0;
    for (int i = 0; i < 40; ++i)
        n += (size_t)sprintf((char *)out + n, "redis-ha lzf interop %d; ",
                             i % 7);
    memcpy(out + n, "abcabcabcabcabcabcabcabc", 24);
    n += 24;
    for (int i = 0; i < 40; ++i)
        out[n++] = (uint8_t)i;
    return n;
}

static void test_interop(void)
{
    uint8_t plain[1100], out[1100];
    size_t n = make_interop_plain(plain);
    is_int(n, 1024, "interop value rebuilt");
    size_t got = lzf_decompress(redis_lzf_fixture, sizeof(redis_lzf_fixture),
                                out, sizeof(out));
    is_mem(out, got, plain, n, "decodes redis-server's LZF output");
    is_int(lzf_decompress(redis_lzf_fixture, sizeof(redis_lzf_fixture), out,
                          1023),
           0, "exact output size is required");
    is_int(lzf_decompress(redis_lzf_fixture, sizeof(redis_lzf_fixture), out,
                          1024),
           1024, "exact output size suffices");
    /* Our own compression of the same value must decode to it as well. */
    uint8_t comp[1100];
    size_t c = lzf_compress(plain, n, comp, sizeof(comp));
    ok(c > 0 && c < 300, "compresses the repetitive value (%zu bytes)", c);
    got = lzf_decompress(comp, c, out, sizeof(out));
    is_mem(out, got, plain, n, "round trip of the interop value");
}

/* Hand-made streams exercising each chunk kind of the format. */
static void test_vectors(void)
{
    uint8_t out[600];
    static const uint8_t lit[] = { 0x02, 'a', 'b', 'c' };
    is_mem(out, lzf_decompress(lit, sizeof(lit), out, sizeof(out)), "abc", 3,
           "literal run");
    /* 'a' then a reference of length 3 at distance 1: run-length style. */
    static const uint8_t rle[] = { 0x00, 'a', 0x20, 0x00 };
    is_mem(out, lzf_decompress(rle, sizeof(rle), out, sizeof(out)), "aaaa", 4,
           "overlapping short reference");
    /* Length field 7 plus extra byte 1: 7 + 1 + 2 = 10 bytes copied. */
    static const uint8_t longref[] = { 0x01, 'x', 'y', 0xe0, 0x01, 0x01 };
    is_mem(out, lzf_decompress(longref, sizeof(longref), out, sizeof(out)),
           "xyxyxyxyxyxy", 12, "extended length reference");
    /* Largest length: 7 + 255 + 2 = 264 bytes. */
    static const uint8_t maxref[] = { 0x00, 'z', 0xe0, 0xff, 0x00 };
    size_t n = lzf_decompress(maxref, sizeof(maxref), out, sizeof(out));
    is_int(n, 265, "longest reference is 264 bytes");
    ok(out[0] == 'z' && out[264] == 'z', "filled with the byte");
    /* Distance uses the 5 high bits too: (1 << 8 | 0) + 1 = 257. */
    uint8_t far[300];
    size_t fl = 0;
    far[fl++] = 0x00;
    far[fl++] = 'S';
    for (int r = 0; r < 8; ++r) {
        far[fl++] = 0x1f;
        for (int i = 0; i < 32; ++i)
            far[fl++] = (uint8_t)(r * 32 + i);
    }
    far[fl++] = 0x21;
    far[fl++] = 0x00;
    n = lzf_decompress(far, fl, out, sizeof(out));
    is_int(n, 260, "far reference decoded");
    ok(out[257] == 'S' && out[258] == 0 && out[259] == 1,
       "far reference copies from distance 257");
}

static void test_corrupt(void)
{
    uint8_t out[64];
    static const uint8_t trunc_lit[] = { 0x05, 'a', 'b' };
    is_int(lzf_decompress(trunc_lit, sizeof(trunc_lit), out, sizeof(out)), 0,
           "truncated literal run");
    static const uint8_t trunc_ref[] = { 0x00, 'a', 0x20 };
    is_int(lzf_decompress(trunc_ref, sizeof(trunc_ref), out, sizeof(out)), 0,
           "truncated reference");
    static const uint8_t trunc_ext[] = { 0x00, 'a', 0xe0, 0x01 };
    is_int(lzf_decompress(trunc_ext, sizeof(trunc_ext), out, sizeof(out)), 0,
           "truncated extended reference");
    static const uint8_t before[] = { 0x00, 'a', 0x20, 0x01 };
    is_int(lzf_decompress(before, sizeof(before), out, sizeof(out)), 0,
           "reference before the output start");
    static const uint8_t first[] = { 0x20, 0x00 };
    is_int(lzf_decompress(first, sizeof(first), out, sizeof(out)), 0,
           "reference with no output yet");
    static const uint8_t big[] = { 0x00, 'a', 0xe0, 0xff, 0x00 };
    is_int(lzf_decompress(big, sizeof(big), out, sizeof(out)), 0,
           "output larger than the buffer");
    is_int(lzf_decompress(big, sizeof(big), NULL, 0), 0, "no output room");
    is_int(lzf_decompress("", 0, out, sizeof(out)), 0, "empty input");
}

/* One context for every round trip: its table keeps the positions of all
 * the earlier inputs, small and large, which must never be matched. */
static lzf_ctx_t *shared_ctx;

static void round_trip_with(const uint8_t *p, size_t n, const char *what, bool ctx)
{
    size_t cap = n + n / 16 + 64;
    uint8_t *c = malloc(cap), *d = malloc(n + 1);
    size_t cl = ctx ? lzf_compress_ctx(shared_ctx, p, n, c, cap) : lzf_compress(p, n, c, cap);
    size_t dl = cl ? lzf_decompress(c, cl, d, n + 1) : 0;
    ok(cl > 0 && dl == n && memcmp(d, p, n) == 0,
       "round trip %s%s (%zu -> %zu)", what, ctx ? " (context)" : "", n, cl);
    if (cl > 1)
        is_int(ctx ? lzf_compress_ctx(shared_ctx, p, n, c, cl - 1)
                   : lzf_compress(p, n, c, cl - 1),
               0, "%s: one byte short fails", what);
    free(c);
    free(d);
}

static void round_trip(const uint8_t *p, size_t n, const char *what)
{
    round_trip_with(p, n, what, false);
    round_trip_with(p, n, what, true);
}

static void test_round_trips(void)
{
    static uint8_t buf[200000];
    srand(7);
    for (size_t i = 0; i < sizeof(buf); ++i)
        buf[i] = (uint8_t)rand();
    round_trip(buf, sizeof(buf), "random");
    round_trip(buf, 1, "one byte");
    round_trip(buf, 2, "two bytes");
    round_trip(buf, 3, "three bytes");
    round_trip(buf, 33, "33 random bytes");
    memset(buf, 'q', sizeof(buf));
    round_trip(buf, sizeof(buf), "one repeated byte");
    size_t cl;
    uint8_t small[64];
    cl = lzf_compress(buf, 1000, small, sizeof(small));
    ok(cl > 0 && cl < 20, "1000 equal bytes compress to %zu", cl);
    for (size_t i = 0; i < sizeof(buf); ++i)
        buf[i] = (uint8_t)("hello world, "[i % 13] ^ (i % 5000 == 0));
    round_trip(buf, sizeof(buf), "repetitive text");
    for (size_t i = 0; i < sizeof(buf); ++i)
        buf[i] = (uint8_t)(rand() % 4);
    round_trip(buf, sizeof(buf), "low entropy");
    for (size_t n = 1; n < 300; n += 7) {
        for (size_t i = 0; i < n; ++i)
            buf[i] = (uint8_t)(i % 3 ? rand() : 'a');
        round_trip(buf, n, "mixed small");
    }
    is_int(lzf_compress(buf, 0, small, sizeof(small)), 0, "empty input");
    is_int(lzf_compress(buf, 10, small, 0), 0, "no output room");
}

/* Records like the listpacks of small sorted sets: the context's parse
 * must find at least as much as the greedy one on them. */
static void test_context_ratio(void)
{
    uint8_t in[4096], out[4096];
    size_t total_ctx = 0, total_plain = 0;
    bool same = true;
    srand(3);
    for (int rec = 0; rec < 200; ++rec) {
        size_t n = 0;
        for (int e = 0; e < 10; ++e)
            n += (size_t)sprintf((char *)in + n, "\x89m:%07d\n\x88%d.%03d\t", rand() % 10000000,
                                 rand() % 10000, rand() % 1000);
        size_t a = lzf_compress_ctx(shared_ctx, in, n, out, sizeof(out));
        size_t b = lzf_compress(in, n, out, sizeof(out));
        same &= a > 0 && b > 0 && lzf_compress_ctx(shared_ctx, in, n, out, sizeof(out)) == a;
        total_ctx += a;
        total_plain += b;
    }
    ok(same, "the context's output does not depend on earlier inputs");
    ok(total_ctx <= total_plain, "context parse: %zu bytes, greedy: %zu", total_ctx,
       total_plain);
    lzf_ctx_free(NULL);
}

int main(void)
{
    shared_ctx = lzf_ctx_new();
    test_interop();
    test_vectors();
    test_corrupt();
    test_round_trips();
    test_context_ratio();
    lzf_ctx_free(shared_ctx);
    return done_testing();
}
