/*
 * listener_t: one listening socket (TCP address or unix path, or an fd
 * inherited from systemd) that hands accepted streams to a callback. The
 * owner frees it with listener_close; the handle is released asynchronously.
 */
#ifndef RH_NET_LISTEN_H
#define RH_NET_LISTEN_H

#include <stdbool.h>
#include <uv.h>

#include "net/conn.h"
#include "net/loop.h"

typedef struct listener listener_t;

/* Called once per pending connection; the callback accepts it with
 * conn_accept(l->loop, &l->h.stream, l->kind, ...). */
typedef void listener_cb(listener_t *l);

struct listener {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    loop_t *loop;
    conn_kind_t kind;
    listener_cb *cb;
    void *data;
    char name[128]; /* "127.0.0.1:6379" or the unix path, for logs. */
    char *unix_path; /* Owned; unlinked on close. */
};

/* Listens on addr:port. addr may be IPv4, IPv6, "*" (0.0.0.0) or "-::*"
 * style prefixes are left to the caller. Returns 0 or a negative libuv code;
 * on success *out is set. */
int listener_tcp_open(loop_t *lp, const char *addr, int port, int backlog,
                      listener_cb *cb, void *data, listener_t **out)
    __attribute__((warn_unused_result));
/* Listens on a unix socket path with the given permissions (0 = default). */
int listener_unix_open(loop_t *lp, const char *path, unsigned perm, int backlog,
                       listener_cb *cb, void *data, listener_t **out)
    __attribute__((warn_unused_result));
/* Adopts an already listening fd (socket activation). */
int listener_fd_open(loop_t *lp, int fd, conn_kind_t kind, const char *name,
                     listener_cb *cb, void *data, listener_t **out)
    __attribute__((warn_unused_result));
void listener_close(listener_t *l);

#endif
