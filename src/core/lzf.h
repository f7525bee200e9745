/*
 * lzf: the LZF compression format that Redis uses for strings in RDB files.
 * A compressed stream is a sequence of chunks. A control byte below 32 is a
 * run of (byte + 1) literal bytes that follow it. Any other control byte is
 * a back-reference: its top three bits plus 2 give the length (the value 7
 * means one more byte follows whose value is added), and its low five bits
 * with the next byte give the distance back from the output position, minus
 * one. Callers own both buffers; only a compression context (its match
 * table, reused between calls) is allocated, by lzf_ctx_new.
 */
#ifndef RH_CORE_LZF_H
#define RH_CORE_LZF_H

#include <stddef.h>

/*
 * Compresses in_len bytes of in into out (out_cap bytes). Returns the size
 * of the compressed stream, or 0 when it would not fit in out_cap (or when
 * in_len is 0). Matches are found through a hash table of 3-byte prefixes:
 * fast and deterministic, not optimal.
 */
size_t lzf_compress(const void *in, size_t in_len, void *out, size_t out_cap);

/* A compression context: a larger match table than lzf_compress can keep on
 * its stack, never cleared between calls. Not shared between threads. */
typedef struct lzf_ctx lzf_ctx_t;
lzf_ctx_t *lzf_ctx_new(void);
void lzf_ctx_free(lzf_ctx_t *ctx);
/* lzf_compress through ctx: the same contract and parse, no per-call table
 * set-up, and a larger table (up to 2^16 slots), so fewer missed matches. */
size_t lzf_compress_ctx(lzf_ctx_t *ctx, const void *in, size_t in_len, void *out,
                        size_t out_cap);

/*
 * Decompresses in_len bytes of in into out (out_cap bytes). Returns the
 * decompressed size, or 0 when the input is corrupt (a truncated chunk or a
 * reference before the start of the output) or when out_cap is too small.
 * Safe on arbitrary input: it never reads or writes outside the buffers.
 */
size_t lzf_decompress(const void *in, size_t in_len, void *out,
                      size_t out_cap);

#endif
