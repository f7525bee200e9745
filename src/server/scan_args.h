/*
 * scan_args: the parts the *SCAN commands of the collection types share:
 * parsing MATCH/COUNT (replying Redis's errors), the MATCH test, and the
 * list of elements one step found with the [cursor, elements] reply. The
 * found list owns its copies until scan_found_reply frees them.
 */
#ifndef RH_SERVER_SCAN_ARGS_H
#define RH_SERVER_SCAN_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "server/client.h"

typedef struct scan_opts {
    long long count;
    const arg_t *pat; /* NULL: no MATCH, or MATCH "*". */
} scan_opts_t;

typedef struct scan_found {
    str_t **v;
    size_t n, cap;
} scan_found_t;

/* Parses [MATCH pattern] [COUNT count] from argv[first]; replies with the
 * error and returns false when they are wrong. */
bool scan_opts_parse(client_t *c, int first, scan_opts_t *o);
/* True when the element passes MATCH. */
bool scan_opts_match(const scan_opts_t *o, const char *p, size_t n);
/* Keeps a copy of one element. */
void scan_found_add(scan_found_t *f, const char *p, size_t n);
/* Replies [cursor, [elements...]] and frees the kept copies. */
void scan_found_reply(client_t *c, uint64_t cursor, scan_found_t *f);

#endif
