#include "config.h"
#include "core/strconv.h"

/*
 * libFuzzer target for the strconv parsers, mainly strconv_split_args and
 * strconv_glob_match. Besides crashes and sanitizer reports it checks
 * properties that must hold for any input:
 *  - split_args words re-split to themselves after being re-quoted;
 *  - a pattern of every byte escaped, or of one '?' per byte, matches the
 *    string, and a leading '*' keeps any match a match;
 *  - integers that parse print back to the same bytes.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE
 *        -Isrc -I<dir with config.h> tests/fuzz/fuzz_strconv.c
 *        src/core/strconv.c src/core/alloc.c src/core/check.c -lm
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

/* Quotes each byte as \xHH inside double quotes, so any word survives. */
static size_t quote_word(char *out, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        out[o++] = '\\';
        out[o++] = 'x';
        out[o++] = hex[c >> 4];
        out[o++] = hex[c & 15];
    }
    out[o++] = '"';
    return o;
}

static void fuzz_split(const char *line, size_t len)
{
    strconv_arg_t *argv = NULL;
    int argc = strconv_split_args(line, &argv);
    if (argc < 0)
        return;
    size_t total = 0;
    for (int i = 0; i < argc; i++) {
        FUZZ_ASSERT(argv[i].len <= len);
        FUZZ_ASSERT(argv[i].ptr[argv[i].len] == '\0');
        total += argv[i].len * 4 + 3;
    }
    char *again = malloc(total + 1);
    size_t o = 0;
    for (int i = 0; i < argc; i++) {
        o += quote_word(again + o, argv[i].ptr, argv[i].len);
        again[o++] = ' ';
    }
    again[o] = '\0';
    strconv_arg_t *argv2 = NULL;
    int argc2 = strconv_split_args(again, &argv2);
    FUZZ_ASSERT(argc2 == argc);
    for (int i = 0; i < argc; i++) {
        FUZZ_ASSERT(argv2[i].len == argv[i].len);
        FUZZ_ASSERT(memcmp(argv2[i].ptr, argv[i].ptr, argv[i].len) == 0);
    }
    strconv_free_args(argv2, argc2);
    strconv_free_args(argv, argc);
    free(again);
}

static void fuzz_glob(const char *pat, size_t plen, const char *s,
                      size_t slen, bool nocase)
{
    bool m = strconv_glob_match(pat, plen, s, slen, nocase);
    /* Folding does not only add matches: Redis folds range ends after
     * ordering them, so "[Z-a]" matches '_' only without nocase. */
    if (slen == 0) {
        FUZZ_ASSERT(m == (plen == 0));
        return;
    }

    char *p2 = malloc(2 * slen + plen + 2);
    /* Every byte escaped: a literal pattern for s. */
    for (size_t i = 0; i < slen; i++) {
        p2[2 * i] = '\\';
        p2[2 * i + 1] = s[i];
    }
    FUZZ_ASSERT(strconv_glob_match(p2, 2 * slen, s, slen, nocase));
    /* One '?' per byte. */
    memset(p2, '?', slen + 1);
    FUZZ_ASSERT(strconv_glob_match(p2, slen, s, slen, nocase));
    FUZZ_ASSERT(!strconv_glob_match(p2, slen + 1, s, slen, nocase));
    /* A leading star may swallow nothing. */
    if (m && plen < 1000) {
        p2[0] = '*';
        memcpy(p2 + 1, pat, plen);
        FUZZ_ASSERT(strconv_glob_match(p2, plen + 1, s, slen, nocase));
    }
    free(p2);
}

static void fuzz_numbers(const char *s, size_t len)
{
    char buf[STRCONV_LDOUBLE_BUF];
    long long ll;
    if (strconv_to_ll(s, len, &ll) == 0) {
        size_t n = strconv_ll(buf, ll);
        FUZZ_ASSERT(n == len && memcmp(buf, s, len) == 0);
    }
    unsigned long long ull;
    if (strconv_to_ull(s, len, &ull) == 0) {
        size_t n = strconv_ull(buf, ull);
        FUZZ_ASSERT(n == len && memcmp(buf, s, len) == 0);
    }
    double d;
    if (strconv_to_double(s, len, &d) == 0) {
        strconv_double(buf, d);
        strconv_double_resp3(buf, d);
    }
    long double ld;
    if (strconv_to_ldouble(s, len, &ld) == 0) {
        strconv_ldouble(buf, ld, true);
        strconv_ldouble(buf, ld, false);
    }
    if (strconv_to_memory(s, len, &ll) == 0) {
        FUZZ_ASSERT(ll >= 0);
        strconv_bytes_human(buf, (unsigned long long)ll);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;

    switch (mode % 3) {
    case 0: {
        char *line = malloc(n + 1);
        memcpy(line, rest, n);
        line[n] = '\0';
        fuzz_split(line, strlen(line));
        free(line);
        break;
    }
    case 1: {
        /* The second byte splits the rest into pattern and string. Both
         * go to the heap at their exact size so ASan sees any overread. */
        if (n < 1)
            return 0;
        size_t plen = (size_t)(uint8_t)rest[0];
        rest++;
        n--;
        if (plen > n)
            plen = n;
        char *pat = malloc(plen ? plen : 1);
        char *s = malloc(n - plen ? n - plen : 1);
        memcpy(pat, rest, plen);
        memcpy(s, rest + plen, n - plen);
        fuzz_glob(pat, plen, s, n - plen, (mode & 4) != 0);
        free(pat);
        free(s);
        break;
    }
    default: {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, rest, n);
        fuzz_numbers(copy, n);
        free(copy);
        break;
    }
    }
    return 0;
}
