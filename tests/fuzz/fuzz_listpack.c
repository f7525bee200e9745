#include <config.h>
#include "db/listpack.h"

/*
 * libFuzzer target for db/listpack. The first input byte picks a mode:
 *  - even: the rest is an untrusted blob for lp_validate; when it is
 *    accepted, walking it both ways, decoding every entry, seeking and
 *    finding must stay in bounds and agree with each other;
 *  - odd: the rest is a script of appends, inserts, replaces and deletes,
 *    after each of which the listpack must validate and match a model.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE
 *        -Isrc -I<dir with config.h> tests/fuzz/fuzz_listpack.c
 *        src/db/listpack.c src/core/strconv.c src/core/alloc.c
 *        src/core/check.c -lm
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                         \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static void check_blob(const uint8_t *data, size_t size)
{
    if (lp_validate(data, size, NULL, NULL) != 0)
        return;
    uint8_t *lp = alloc_memdup(data, size);
    size_t fwd = 0, back = 0;
    LP_FOREACH(lp, p) {
        char buf[LP_INTBUF];
        size_t n;
        const char *s = lp_get_bytes(p, buf, &n);
        FUZZ_ASSERT(lp_eq(p, s, n) && lp_compare(p, s, n) == 0);
        FUZZ_ASSERT(lp_find(lp, lp_first(lp), s, n, 0) != NULL);
        fwd++;
    }
    for (uint8_t *p = lp_last(lp); p != NULL; p = lp_prev(lp, p))
        back++;
    FUZZ_ASSERT(fwd == back && fwd == lp_count(lp));
    if (fwd > 0)
        FUZZ_ASSERT(lp_seek(lp, -1) == lp_last(lp) && lp_seek(lp, 0) == lp_first(lp));
    alloc_free(lp);
}

#define MODEL_MAX 64

typedef struct model {
    char item[MODEL_MAX][80];
    size_t len[MODEL_MAX];
    size_t n;
} model_t;

static bool matches(uint8_t *lp, const model_t *m)
{
    if (lp_validate(lp, lp_bytes(lp), NULL, NULL) != 0 || lp_count(lp) != m->n)
        return false;
    size_t i = 0;
    LP_FOREACH(lp, p) {
        if (!lp_eq(p, m->item[i], m->len[i]))
            return false;
        i++;
    }
    return i == m->n;
}

static void run_script(const uint8_t *data, size_t size)
{
    model_t *m = calloc(1, sizeof(*m));
    uint8_t *lp = lp_new();
    size_t i = 0;
    while (i + 2 <= size) {
        uint8_t op = data[i], arg = data[i + 1];
        size_t len = (size_t)(op >> 3) % 80;
        i += 2;
        if (len > size - i)
            len = size - i;
        const char *s = (const char *)data + i;
        i += len;
        if ((op & 7) < 3 && m->n < MODEL_MAX) {
            size_t at = arg % (m->n + 1);
            uint8_t *p = at < m->n ? lp_seek(lp, (long long)at) : lp + lp_bytes(lp) - 1;
            lp = lp_insert(lp, p, LP_BEFORE, s, len, NULL);
            memmove(m->item + at + 1, m->item + at, (m->n - at) * sizeof(m->item[0]));
            memmove(m->len + at + 1, m->len + at, (m->n - at) * sizeof(m->len[0]));
            memcpy(m->item[at], s, len);
            m->len[at] = len;
            m->n++;
        } else if ((op & 7) < 5 && m->n > 0) {
            size_t at = arg % m->n;
            uint8_t *p = lp_seek(lp, (long long)at);
            lp = lp_replace(lp, &p, s, len);
            memcpy(m->item[at], s, len);
            m->len[at] = len;
        } else if (m->n > 0) {
            size_t at = arg % m->n;
            size_t count = 1 + arg % 3;
            if (count > m->n - at)
                count = m->n - at;
            lp = lp_delete_range(lp, (long long)at, count);
            memmove(m->item + at, m->item + at + count,
                    (m->n - at - count) * sizeof(m->item[0]));
            memmove(m->len + at, m->len + at + count, (m->n - at - count) * sizeof(m->len[0]));
            m->n -= count;
        }
        FUZZ_ASSERT(matches(lp, m));
    }
    lp_free(lp);
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        check_blob(data + 1, size - 1);
    else
        run_script(data + 1, size - 1);
    return 0;
}
