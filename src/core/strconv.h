/*
 * strconv: exact conversions between numbers and their Redis text forms.
 * Parsers return 0 and write *out only on success, else -EINVAL (or -ERANGE);
 * formatters write into a caller buffer and return the length.
 */
#ifndef RH_CORE_STRCONV_H
#define RH_CORE_STRCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"

/* Longest text any formatter here produces, NUL included, except
 * strconv_ldouble with humanfriendly set, which needs STRCONV_LDOUBLE_BUF. */
#define STRCONV_BUF 128
/* Room for "%.17Lf" of any finite long double (LDBL_MAX has 4933 digits). */
#define STRCONV_LDOUBLE_BUF 5120

/* Strict decimal int64: no spaces, no '+', no leading zeros ("0" is fine),
 * no "-0", no overflow (-ERANGE). The form Redis accepts for integers and
 * encodes as int. strconv_to_ull applies the same rules without a sign. */
int strconv_to_ll(const char *s, size_t len, long long *out) MUST_CHECK;
int strconv_to_ull(const char *s, size_t len, unsigned long long *out) MUST_CHECK;
/* A double as Redis parses command arguments: strtod over the whole string,
 * no spaces, "inf"/"+inf"/"-inf" accepted, NaN rejected, overflow and
 * underflow to zero rejected with -ERANGE. */
int strconv_to_double(const char *s, size_t len, double *out) MUST_CHECK;
/* A long double for INCRBYFLOAT (same rules, at most 5119 bytes). Text
 * that is a valid infinity gives -ERANGE, everything else invalid -EINVAL,
 * so the caller can answer "increment would produce NaN or Infinity". */
int strconv_to_ldouble(const char *s, size_t len, long double *out) MUST_CHECK;

size_t strconv_ll(char *buf, long long v);
size_t strconv_ull(char *buf, unsigned long long v);
/* Redis's reply form of a double: "inf", "-inf", "nan", else %.17g (so 3 is
 * "3" and 0.1 is "0.10000000000000001"). */
size_t strconv_double(char *buf, double v);
/* The RESP3 ',' double body. Redis 7.0 uses the same %.17g text as RESP2
 * (shortest round-trip output only arrived in 7.2). */
size_t strconv_double_resp3(char *buf, double v);
/* INCRBYFLOAT's form: %.17Lf with trailing zeros (and a trailing point)
 * removed, "-0" shown as "0"; buf needs STRCONV_LDOUBLE_BUF bytes.
 * humanfriendly=false gives %.17Lg and fits STRCONV_BUF. */
size_t strconv_ldouble(char *buf, long double v, bool humanfriendly);

/* Memory sizes with units ("1gb", "100mb", "5k"): b=1, k=1000, kb=1024, m,
 * mb, g, gb, case-insensitive; digits only (leading zeros allowed, no sign),
 * and an empty number ("", "kb") is 0 as in Redis. Results past LLONG_MAX
 * give -ERANGE. */
int strconv_to_memory(const char *s, size_t len, long long *out) MUST_CHECK;
/* "1.50M"-style human form used by INFO's *_human fields. */
size_t strconv_bytes_human(char *buf, unsigned long long n);

/* A SCAN cursor as Redis reads it with strtoul: an optional sign and decimal
 * digits (a minus wraps around), the empty string meaning 0, the text ending
 * at its first NUL byte; anything else, or more than 64 bits, is refused. */
int strconv_to_cursor(const char *s, size_t len, uint64_t *out) MUST_CHECK;

/* The value of one hexadecimal digit (either case), or -1. */
int strconv_hex_digit(char c);

/* Glob-style matching with Redis's rules (*, ?, [abc], [^a-z], \x),
 * iterative; the empty string matches only the empty pattern. */
bool strconv_glob_match(const char *pat, size_t plen, const char *s,
                        size_t slen, bool nocase);

/*
 * Splits a configuration or inline line into arguments with Redis's rules:
 * spaces separate, "double quotes" support \n \r \t \b \a \\ \" and \xHH,
 * 'single quotes' support \' only, and a closing quote must be followed by a
 * space or the end. Returns the count (>= 0) and sets *argv (allocated with
 * alloc_malloc, NULL for no words; free with strconv_free_args), or -EINVAL
 * on unbalanced quotes. Each word is also NUL-terminated.
 */
typedef struct strconv_arg {
    char *ptr;
    size_t len;
} strconv_arg_t;
int strconv_split_args(const char *line, strconv_arg_t **argv) MUST_CHECK;
void strconv_free_args(strconv_arg_t *argv, int argc);

#endif
