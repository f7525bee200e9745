/*
 * libFuzzer target for the LZF codec: decompressing arbitrary bytes must
 * stay inside its buffers (checked by ASan through exact-size heap copies),
 * and compressing the same bytes must decompress back to them.
 */
#include <config.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/lzf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decompress(const uint8_t *data, size_t size)
{
    /* Exact-size heap copies make any overread or overwrite an ASan error. */
    uint8_t *in = malloc(size ? size : 1);
    memcpy(in, data, size);
    size_t cap = size > 0 ? data[0] * 4u : 0;
    uint8_t *out = malloc(cap ? cap : 1);
    size_t n = lzf_decompress(in + (size > 0), size - (size > 0), out, cap);
    if (n > cap)
        abort();
    free(out);
    free(in);
}

/* Shared by every input, as a save shares one across its strings. */
static lzf_ctx_t *ctx;

static void check_round_trip(const uint8_t *data, size_t size, bool with_ctx)
{
    size_t cap = size + size / 16 + 64;
    uint8_t *comp = malloc(cap), *back = malloc(size ? size : 1);
    size_t c = with_ctx ? lzf_compress_ctx(ctx, data, size, comp, cap)
                        : lzf_compress(data, size, comp, cap);
    if (size > 0 && c == 0)
        abort();
    uint8_t *exact = malloc(c ? c : 1);
    memcpy(exact, comp, c);
    size_t d = c ? lzf_decompress(exact, c, back, size) : 0;
    if (d != size || (size && memcmp(back, data, size) != 0))
        abort();
    free(exact);
    free(back);
    free(comp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ctx == NULL)
        ctx = lzf_ctx_new();
    check_decompress(data, size);
    check_round_trip(data, size, false);
    check_round_trip(data, size, true);
    return 0;
}
