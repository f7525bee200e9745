#include <config.h>
#include "net/listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"

static void connection_cb(uv_stream_t *s, int status)
{
    listener_t *l = s->data;
    if (status != 0)
        return;
    l->cb(l);
}

static listener_t *listener_new(loop_t *lp, conn_kind_t kind, listener_cb *cb, void *data)
{
    listener_t *l = alloc_calloc(sizeof(*l));
    l->loop = lp;
    l->kind = kind;
    l->cb = cb;
    l->data = data;
    return l;
}

static void free_cb(uv_handle_t *h)
{
    listener_t *l = h->data;
    alloc_free(l->unix_path);
    alloc_free(l);
}

int listener_tcp_open(loop_t *lp, const char *addr, int port, int backlog,
                      listener_cb *cb, void *data, listener_t **out)
{
    struct sockaddr_storage ss;
    int r;
    bool v6 = strchr(addr, ':') != NULL;
    if (strcmp(addr, "*") == 0)
        addr = "0.0.0.0";
    if (v6)
        r = uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss);
    else
        r = uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss);
    if (r != 0)
        return r;
    listener_t *l = listener_new(lp, CONN_KIND_TCP, cb, data);
    snprintf(l->name, sizeof(l->name), v6 ? "[%s]:%d" : "%s:%d", addr, port);
    r = uv_tcp_init(lp->uv, &l->h.tcp);
    if (r != 0) {
        alloc_free(l);
        return r;
    }
    l->h.handle.data = l;
    r = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
    if (r == 0)
        r = uv_listen(&l->h.stream, backlog, connection_cb);
    if (r != 0) {
        uv_close(&l->h.handle, free_cb);
        return r;
    }
    *out = l;
    return 0;
}

int listener_unix_open(loop_t *lp, const char *path, unsigned perm, int backlog,
                       listener_cb *cb, void *data, listener_t **out)
{
    listener_t *l = listener_new(lp, CONN_KIND_UNIX, cb, data);
    snprintf(l->name, sizeof(l->name), "%s", path);
    int r = uv_pipe_init(lp->uv, &l->h.pipe, 0);
    if (r != 0) {
        alloc_free(l);
        return r;
    }
    l->h.handle.data = l;
    unlink(path);
    r = uv_pipe_bind(&l->h.pipe, path);
    if (r == 0) {
        l->unix_path = alloc_strdup(path);
        if (perm != 0 && chmod(path, perm) != 0)
            r = -errno;
    }
    if (r == 0)
        r = uv_listen(&l->h.stream, backlog, connection_cb);
    if (r != 0) {
        uv_close(&l->h.handle, free_cb);
        return r;
    }
    *out = l;
    return 0;
}

int listener_fd_open(loop_t *lp, int fd, conn_kind_t kind, const char *name,
                     listener_cb *cb, void *data, listener_t **out)
{
    listener_t *l = listener_new(lp, kind, cb, data);
    snprintf(l->name, sizeof(l->name), "%s", name);
    int r = kind == CONN_KIND_TCP ? uv_tcp_init(lp->uv, &l->h.tcp)
                                  : uv_pipe_init(lp->uv, &l->h.pipe, 0);
    if (r != 0) {
        alloc_free(l);
        return r;
    }
    l->h.handle.data = l;
    r = kind == CONN_KIND_TCP ? uv_tcp_open(&l->h.tcp, fd) : uv_pipe_open(&l->h.pipe, fd);
    if (r == 0)
        r = uv_listen(&l->h.stream, 511, connection_cb);
    if (r != 0) {
        uv_close(&l->h.handle, free_cb);
        return r;
    }
    *out = l;
    return 0;
}

void listener_close(listener_t *l)
{
    if (l == NULL)
        return;
    if (l->unix_path != NULL)
        unlink(l->unix_path);
    uv_close(&l->h.handle, free_cb);
}
