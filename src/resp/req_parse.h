/*
 * req_parse: the incremental request parser. It knows nothing of sockets: it
 * takes the connection's input buffer and returns NEED_MORE, DONE (argv ready)
 * or PROTO_ERROR (with Redis's error text). Arguments are slices of the buffer
 * given as offsets, so the caller may move the buffer between calls; inline
 * arguments are unescaped in place. The parser owns only its argv array.
 */
#ifndef RH_RESP_REQ_PARSE_H
#define RH_RESP_REQ_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"

/* Bulk arguments at least this long are read into a buffer sized for them. */
#define REQ_BIG_ARG (32 * 1024)
/* The longest inline request or multibulk header line. */
#define REQ_INLINE_MAX (64 * 1024)
/* The largest multibulk count accepted. */
#define REQ_MULTIBULK_MAX (1024 * 1024)
/* Limits for a client that has not authenticated. */
#define REQ_UNAUTH_MULTIBULK_MAX 10
#define REQ_UNAUTH_BULK_MAX 16384

typedef enum req_status {
    REQ_NEED_MORE = 0,
    REQ_DONE,
    REQ_PROTO_ERROR,
} req_status_t;

typedef struct req_limits {
    uint64_t max_bulk_len; /* proto-max-bulk-len */
    bool unauthenticated;  /* apply the REQ_UNAUTH_* limits */
} req_limits_t;

typedef struct req_slice {
    size_t off; /* Offset of the first byte in the buffer. */
    size_t len;
} req_slice_t;

typedef enum req_kind {
    REQ_KIND_NONE = 0,
    REQ_KIND_MULTIBULK,
    REQ_KIND_INLINE,
} req_kind_t;

typedef struct req_parser {
    req_kind_t kind;     /* NONE until the command's first byte is seen. */
    size_t pos;          /* Parse cursor: offset of the next unread byte. */
    size_t start;        /* Offset of the command being parsed. */
    size_t line_scan;    /* Bytes after pos already searched for a line end. */
    bool line_nul;       /* A NUL came before the line end (see req_parse.c). */
    bool done;           /* DONE was returned; req_parser_reset is due. */
    int64_t args_left;   /* Multibulk arguments still to read, -1 if the
                            count line is not read yet. */
    int64_t bulk_len;    /* Length of the bulk being read, -1 if unknown. */
    req_slice_t *argv;   /* Owned by the parser. */
    size_t argc;
    size_t argv_cap;
    const char *error;   /* Text after REQ_PROTO_ERROR: static or errbuf. */
    char errbuf[64];
} req_parser_t;

void req_parser_init(req_parser_t *p);
void req_parser_destroy(req_parser_t *p);

/*
 * Parses from p->pos in buf[0..len). On REQ_DONE, p->argv/p->argc describe the
 * command and p->pos is just past it; the caller runs the command, then calls
 * req_parser_reset before parsing the next one. An empty request (a blank
 * inline line or "*0\r\n") is consumed and yields DONE with argc 0. The buffer
 * must be writable (inline unescaping); nothing at or past buf[len] is read.
 * Between calls the caller may move the buffer or append to it, but must not
 * change bytes before len. After REQ_PROTO_ERROR every call returns it again
 * and the caller closes the connection once the error is sent.
 */
req_status_t req_parse(req_parser_t *p, char *buf, size_t len,
                       const req_limits_t *lim);

/* Forgets the last command's argv; keeps p->pos. */
void req_parser_reset(req_parser_t *p);

/* The buffer's first n bytes were discarded: shifts every offset by -n.
 * Requires n <= the start of the command being parsed. */
void req_parser_shift(req_parser_t *p, size_t n);

/* Offset where the command being parsed starts (nothing before it is
 * needed any more). */
size_t req_parser_cmd_start(const req_parser_t *p);

/* How many bytes the buffer should hold, from offset 0, for the bulk being
 * read to be complete; 0 when no big bulk is pending. */
size_t req_parser_want(const req_parser_t *p);

#endif
