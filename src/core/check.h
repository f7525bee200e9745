/*
 * Design-by-contract checks that stay on in every build.
 * REQUIRE is the caller's promise, INSIST our own invariant, ENSURE our promise
 * to the caller; all three abort with file and line. ALWAYS/NEVER mark
 * "cannot happen" conditions whose safe path is still taken.
 */
#ifndef RH_CORE_CHECK_H
#define RH_CORE_CHECK_H

#include <stdbool.h>

_Noreturn void check__fail(const char *file, int line, const char *kind,
                           const char *expr);

#define CHECK__(kind, cond)                                                    \
    ((cond) ? (void)0 : check__fail(__FILE__, __LINE__, kind, #cond))

#define REQUIRE(cond) CHECK__("REQUIRE", cond)
#define INSIST(cond)  CHECK__("INSIST", cond)
#define ENSURE(cond)  CHECK__("ENSURE", cond)

/* ALWAYS(x) is true when x is true; a false x is a bug but execution goes on. */
#define ALWAYS(x) (__builtin_expect(!!(x), 1))
#define NEVER(x)  (__builtin_expect(!!(x), 0))

#define MUST_CHECK __attribute__((warn_unused_result))
#define UNUSED(x) ((void)(x))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
