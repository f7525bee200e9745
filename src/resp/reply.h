/*
 * reply: the RESP2/RESP3 reply encoder. A reply_t names an output chain
 * (borrowed), the protocol version, and hooks the owner uses to mark its
 * connection dirty and to count errors. The same call produces the right
 * form for either protocol (a map is a flat array in RESP2, a null is $-1 or
 * _, a double is a bulk string or a ',' line).
 */
#ifndef RH_RESP_REPLY_H
#define RH_RESP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

typedef struct reply reply_t;

struct reply {
    buf_chain_t *out; /* Borrowed; NULL discards every reply. */
    int proto;        /* 2 or 3. */
    void (*notify)(reply_t *r);  /* After output was added. */
    void (*on_error)(reply_t *r, const char *msg, size_t len);
    void *data;
};

typedef struct reply_defer {
    buf_defer_t d;
    bool valid;
} reply_defer_t;

void reply_raw(reply_t *r, const void *p, size_t n);
void reply_status(reply_t *r, const char *s);
void reply_ok(reply_t *r);
/* msg starts with the error code ("ERR ...", "WRONGTYPE ..."); newlines in
 * it are replaced by spaces. */
void reply_error(reply_t *r, const char *msg);
void reply_errorf(reply_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(reply_t *r, long long v);
void reply_bulk(reply_t *r, const void *p, size_t n);
void reply_bulk_cstr(reply_t *r, const char *s);
void reply_bulk_ll(reply_t *r, long long v);
/* A double: RESP2 bulk string in Redis's text form, RESP3 ',' type. */
void reply_double(reply_t *r, double d);
/* A double always as a bulk string in Redis's form (ZSCORE-like RESP2). */
void reply_bulk_double(reply_t *r, double d);
void reply_null(reply_t *r);
/* Null array: *-1 in RESP2, _ in RESP3. */
void reply_null_array(reply_t *r);
void reply_bool(reply_t *r, bool b);
void reply_array(reply_t *r, long long n);
void reply_map(reply_t *r, long long n);
void reply_set(reply_t *r, long long n);
void reply_push(reply_t *r, long long n);
void reply_empty_array(reply_t *r);
/* Verbatim text (RESP3 '=' with a 3-letter format), a bulk in RESP2. */
void reply_verbatim(reply_t *r, const char *p, size_t n, const char *fmt);
/* Help text: an array of status lines. */
void reply_help(reply_t *r, const char *cmd, const char *const *lines);

/* Deferred lengths: reserve now, fill once the count is known. */
reply_defer_t reply_defer(reply_t *r);
void reply_defer_array(reply_t *r, reply_defer_t d, long long n);
void reply_defer_map(reply_t *r, reply_defer_t d, long long n);
void reply_defer_set(reply_t *r, reply_defer_t d, long long n);

#endif
