/*
 * tap.h: a tiny TAP producer for C unit tests. Each test program calls
 * ok()/is()/... and ends with done_testing(), which prints the plan and
 * returns the exit status. Header-only; include it from one file.
 */
#ifndef RH_TESTS_TAP_H
#define RH_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap__n, tap__failed;

static int tap__vok(int cond, const char *file, int line, const char *fmt,
                    va_list ap)
{
    ++tap__n;
    if (!cond)
        ++tap__failed;
    printf("%s %d - ", cond ? "ok" : "not ok", tap__n);
    vprintf(fmt, ap);
    printf("\n");
    if (!cond)
        printf("#   failed at %s:%d\n", file, line);
    fflush(stdout);
    return cond;
}

static inline int tap__ok(int cond, const char *file, int line,
                          const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int tap__ok(int cond, const char *file, int line,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = tap__vok(cond, file, line, fmt, ap);
    va_end(ap);
    return r;
}

#define ok(cond, ...) tap__ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                 \
    do {                                                                       \
        long long g__ = (long long)(got), w__ = (long long)(want);             \
        if (!ok(g__ == w__, __VA_ARGS__))                                      \
            printf("#   got %lld, want %lld\n", g__, w__);                     \
    } while (0)

#define is_str(got, want, ...)                                                 \
    do {                                                                       \
        const char *g__ = (got), *w__ = (want);                                \
        int c__ = (g__ && w__) ? strcmp(g__, w__) == 0 : g__ == w__;           \
        if (!ok(c__, __VA_ARGS__))                                             \
            printf("#   got '%s', want '%s'\n", g__ ? g__ : "(null)",          \
                   w__ ? w__ : "(null)");                                      \
    } while (0)

#define is_mem(got, glen, want, wlen, ...)                                     \
    ok((size_t)(glen) == (size_t)(wlen) &&                                     \
           memcmp((got), (want), (size_t)(wlen)) == 0,                         \
       __VA_ARGS__)

static inline void diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static inline void skip(int n, const char *why)
{
    for (int i = 0; i < n; i++)
        printf("ok %d # SKIP %s\n", ++tap__n, why);
}

#define subtest(name) diag("subtest: %s", name)

static inline int done_testing(void)
{
    printf("1..%d\n", tap__n);
    fflush(stdout);
    return tap__failed ? 1 : 0;
}

#endif
