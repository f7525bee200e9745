#include <config.h>
#include "resp/req_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * libFuzzer target for req_parse. The first input byte picks the limits; the
 * rest is the request stream. The stream is parsed in one piece and again in
 * pseudo-random pieces (with and without the caller compacting its buffer);
 * every run must yield the same commands, the same error and the same unread
 * tail. Each piece is parsed from a heap copy of exactly its size, so ASan
 * flags any read past len.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct run {
    req_parser_t p;
    req_limits_t lim;
    uint64_t hash;
    bool failed;
    size_t base;
} run_t;

static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 1099511628211ULL;
    }
}

static void drain(run_t *r, char *buf, size_t len)
{
    if (r->failed)
        return;
    for (;;) {
        req_status_t st = req_parse(&r->p, buf, len, &r->lim);
        if (r->p.pos > len)
            abort();
        if (st == REQ_NEED_MORE) {
            size_t want = req_parser_want(&r->p);
            if (want != 0 && want <= r->p.pos)
                abort();
            return;
        }
        if (st == REQ_PROTO_ERROR) {
            mix(&r->hash, "E", 1);
            mix(&r->hash, r->p.error, strlen(r->p.error));
            r->failed = true;
            return;
        }
        mix(&r->hash, "C", 1);
        mix(&r->hash, &r->p.argc, sizeof(r->p.argc));
        for (size_t i = 0; i < r->p.argc; i++) {
            req_slice_t a = r->p.argv[i];
            if (a.off > len || a.len > len - a.off)
                abort();
            mix(&r->hash, &a.len, sizeof(a.len));
            mix(&r->hash, buf + a.off, a.len);
        }
        req_parser_reset(&r->p);
    }
}

static void feed(run_t *r, const char *msg, size_t end)
{
    size_t n = end - r->base;
    char *b = malloc(n ? n : 1);
    if (b == NULL)
        abort();
    memcpy(b, msg + r->base, n);
    drain(r, b, n);
    free(b);
}

static uint64_t finish(run_t *r, size_t len)
{
    if (!r->failed) {
        size_t rest = len - r->base - req_parser_cmd_start(&r->p);
        mix(&r->hash, "R", 1);
        mix(&r->hash, &rest, sizeof(rest));
    }
    req_parser_destroy(&r->p);
    return r->hash;
}

static uint64_t parse_run(const char *msg, size_t len, const req_limits_t *lim,
                          uint64_t seed, int mode)
{
    run_t r;
    req_parser_init(&r.p);
    r.lim = *lim;
    r.hash = 14695981039346656037ULL;
    r.failed = false;
    r.base = 0;

    size_t k = 0;
    do {
        if (mode == 0) {
            k = len;
        } else {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            size_t step = (seed & 3) == 0 ? 1 : (size_t)(seed >> 8) % 64 + 1;
            k = len - k < step ? len : k + step;
        }
        feed(&r, msg, k);
        if (mode == 2 || (mode == 3 && (seed & 16))) {
            size_t c = req_parser_cmd_start(&r.p);
            req_parser_shift(&r.p, c);
            r.base += c;
        }
    } while (k < len);
    return finish(&r, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    req_limits_t lim = {
        .unauthenticated = data[0] & 1,
        .max_bulk_len = (data[0] & 2) ? 16 : 512ULL * 1024 * 1024,
    };
    const char *msg = (const char *)data + 1;
    size_t len = size - 1;
    uint64_t seed = 88172645463325252ULL;
    mix(&seed, data, size);
    seed |= 1;

    uint64_t whole = parse_run(msg, len, &lim, seed, 0);
    for (int mode = 1; mode <= 3; mode++) {
        if (parse_run(msg, len, &lim, seed + (uint64_t)mode, mode) != whole)
            abort();
    }
    return 0;
}
