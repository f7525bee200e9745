/*
 * conn_t: one client or peer connection over a libuv stream (TCP or unix).
 * It owns its input buffer (reads land in its free tail), its output chain
 * (flushed once per loop pass by loop.c) and its libuv handle. The owner
 * (conn->data) learns of input through cbs->read and of the end through
 * cbs->close, after which the conn is freed: never free a conn directly,
 * call conn_close and drop the pointer in the close callback.
 */
#ifndef RH_NET_CONN_H
#define RH_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/buf.h"
#include "core/queue.h"
#include "net/loop.h"

#define CONN_MAGIC 0x434f4e4eU /* "CONN" */
#define VALID_CONN(c) ((c) != NULL && (c)->magic == CONN_MAGIC)

/* How much a read asks for when no big argument is expected. */
#define CONN_READ_CHUNK (16 * 1024)

typedef enum conn_kind {
    CONN_KIND_TCP,
    CONN_KIND_UNIX,
} conn_kind_t;

typedef struct conn conn_t;

/* Called once an outgoing connection is established (status 0) or failed
 * (a libuv error; the owner then calls conn_close). */
typedef void conn_connect_cb(conn_t *c, int status);

typedef struct conn_cbs {
    /* New bytes are in c->ibuf[0..c->ilen). */
    void (*read)(conn_t *c);
    /* The peer closed (status UV_EOF) or the stream failed. The owner should
     * call conn_close. */
    void (*error)(conn_t *c, int status);
    /* The conn is closed and about to be freed. */
    void (*close)(conn_t *c);
    /* All queued output was written (optional). */
    void (*drained)(conn_t *c);
} conn_cbs_t;

struct conn {
    uint32_t magic;
    conn_kind_t kind;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    loop_t *loop;
    const conn_cbs_t *cbs;
    void *data; /* The owner, borrowed. */

    char *ibuf;   /* Input buffer, owned. */
    size_t ilen;  /* Bytes in ibuf. */
    size_t icap;  /* Capacity of ibuf (one spare byte beyond). */
    size_t iwant; /* Capacity wanted for a big argument, 0 if none. */

    buf_chain_t out;      /* Queued output. */
    size_t inflight;      /* Bytes of out handed to a uv_write. */
    uv_write_t wreq;
    uv_shutdown_t sreq;
    uint64_t bytes_out;   /* Total bytes written, for stats. */
    uint64_t bytes_in;

    bool reading;
    bool writing;         /* A uv_write is in flight. */
    bool closing;         /* uv_close was called. */
    bool close_after_flush;
    bool dirty;           /* On loop->dirty. */
    TAILQ_ENTRY(conn) dirty_link;
    TAILQ_ENTRY(conn) conn_link; /* loop->conns, from accept until freed. */

    uv_connect_t creq;    /* conn_connect's request. */
    conn_connect_cb *on_connect;

    int fd;
    char peer[64];        /* "ip:port" or the unix path. */
    char local[64];
};

/* Makes a conn around a stream accepted from server (a listener). On success
 * the conn is reading and *out is set; on failure nothing is left open. */
int conn_accept(loop_t *l, uv_stream_t *server, conn_kind_t kind,
                const conn_cbs_t *cbs, void *data, conn_t **out)
    __attribute__((warn_unused_result));

/* Starts a TCP connection to addr (IPv4 or IPv6). The conn exists at once
 * (so it can be closed while connecting); reading starts when it is up. */
int conn_connect(loop_t *l, const struct sockaddr *addr, const conn_cbs_t *cbs, void *data,
                 conn_connect_cb *done, conn_t **out) __attribute__((warn_unused_result));

/* Queues bytes for the peer and marks the conn dirty. */
void conn_write(conn_t *c, const void *p, size_t n);
/* Marks the conn as having new output to flush in this loop pass. */
void conn_mark_dirty(conn_t *c);
/* Bytes queued and not yet written. */
static inline size_t conn_pending_out(const conn_t *c)
{
    return c->out.bytes;
}
/* Writes what the socket takes now and starts one uv_write for the rest. */
void conn_flush(conn_t *c);

/* Stops and restarts reading (backpressure). */
void conn_read_stop(conn_t *c);
void conn_read_start(conn_t *c);

/* Drops the first n bytes of the input buffer. */
void conn_input_discard(conn_t *c, size_t n);
/* Puts n bytes back in front of the input buffer, as if they had not been
 * consumed yet (a reader that read the socket itself returns what it read
 * beyond its own message). */
void conn_input_unread(conn_t *c, const void *p, size_t n);
/* Asks that the buffer can hold want bytes from offset 0 before the next
 * read (the big-argument path). */
void conn_input_want(conn_t *c, size_t want);
/* Frees the input buffer when it is empty and large (idle clients). */
void conn_input_trim(conn_t *c);

/* Closes now, or after the queued output is written when after_flush. */
void conn_close(conn_t *c, bool after_flush);
/* shutdown(2) the socket first, so a forked child's copy of the fd cannot
 * keep the connection open. */
void conn_close_hard(conn_t *c);

/* Socket options. */
int conn_set_keepalive(conn_t *c, int seconds);
int conn_set_nodelay(conn_t *c, bool on);

#endif
