#include <config.h>
#include "net/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"

/* At most this many iovecs go to one write call. */
#define CONN_IOV_MAX 64

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
    }
    snprintf(out, n, "%s:%d", ip, port);
}

static void fill_names(conn_t *c)
{
    if (c->kind == CONN_KIND_UNIX) {
        size_t n = sizeof(c->local);
        if (uv_pipe_getsockname(&c->h.pipe, c->local, &n) != 0)
            c->local[0] = '\0';
        else
            c->local[n < sizeof(c->local) ? n : sizeof(c->local) - 1] = '\0';
        snprintf(c->peer, sizeof(c->peer), "%.60s:0", c->local);
        return;
    }
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, c->peer, sizeof(c->peer));
    len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (uv_tcp_getsockname(&c->h.tcp, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, c->local, sizeof(c->local));
}

/* Hands libuv the free tail of the input buffer. While a big argument is
 * expected the buffer is sized to exactly what it needs (iwant) and the read
 * is capped there; otherwise the buffer grows whenever its free tail is
 * shorter than one read chunk. The short-tail rule must not apply to a big
 * argument: near its end the tail is always short, and growing there would
 * double a buffer that already has room for the whole argument. */
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    UNUSED(suggested);
    conn_t *c = h->data;
    bool big = c->iwant > c->ilen;
    size_t want = big ? c->iwant : c->ilen + CONN_READ_CHUNK;
    if (c->icap < want) {
        c->ibuf = alloc_realloc(c->ibuf, want + 1);
        c->icap = want;
    }
    size_t room = c->icap - c->ilen;
    if (big && c->iwant - c->ilen < room)
        room = c->iwant - c->ilen;
    *out = uv_buf_init(c->ibuf + c->ilen, (unsigned int)room);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    UNUSED(b);
    conn_t *c = s->data;
    if (c->closing)
        return;
    if (nread > 0) {
        c->ilen += (size_t)nread;
        c->bytes_in += (uint64_t)nread;
        if (c->iwant != 0 && c->ilen >= c->iwant)
            c->iwant = 0;
        c->cbs->read(c);
    } else if (nread < 0) {
        conn_read_stop(c);
        c->cbs->error(c, (int)nread);
    }
}

/* Frees a conn whose accept failed; its handle is not at the start of the
 * struct, so the handle pointer itself must not be passed to alloc_free. */
static void close_now(conn_t *c);

static void free_unaccepted(uv_handle_t *h)
{
    alloc_free(h->data);
}

int conn_accept(loop_t *l, uv_stream_t *server, conn_kind_t kind,
                const conn_cbs_t *cbs, void *data, conn_t **out)
{
    conn_t *c = alloc_calloc(sizeof(*c));
    c->kind = kind;
    c->loop = l;
    c->cbs = cbs;
    c->data = data;
    buf_chain_init(&c->out);
    int r = kind == CONN_KIND_TCP ? uv_tcp_init(l->uv, &c->h.tcp)
                                  : uv_pipe_init(l->uv, &c->h.pipe, 0);
    if (r != 0) {
        alloc_free(c);
        return r;
    }
    c->h.handle.data = c;
    r = uv_accept(server, &c->h.stream);
    if (r == 0)
        r = uv_fileno(&c->h.handle, &c->fd);
    if (r != 0) {
        c->closing = true;
        uv_close(&c->h.handle, free_unaccepted);
        return r;
    }
    if (kind == CONN_KIND_TCP)
        uv_tcp_nodelay(&c->h.tcp, 1);
    fill_names(c);
    TAILQ_INSERT_TAIL(&l->conns, c, conn_link);
    c->magic = CONN_MAGIC;
    conn_read_start(c);
    *out = c;
    return 0;
}

static void connect_cb(uv_connect_t *req, int status)
{
    conn_t *c = req->data;
    if (c->closing)
        return;
    if (status == 0)
        status = uv_fileno(&c->h.handle, &c->fd);
    if (status == 0) {
        uv_tcp_nodelay(&c->h.tcp, 1);
        fill_names(c);
        conn_read_start(c);
    }
    c->on_connect(c, status);
}

int conn_connect(loop_t *l, const struct sockaddr *addr, const conn_cbs_t *cbs, void *data,
                 conn_connect_cb *done, conn_t **out)
{
    conn_t *c = alloc_calloc(sizeof(*c));
    c->kind = CONN_KIND_TCP;
    c->loop = l;
    c->cbs = cbs;
    c->data = data;
    c->fd = -1;
    c->on_connect = done;
    buf_chain_init(&c->out);
    int r = uv_tcp_init(l->uv, &c->h.tcp);
    if (r != 0) {
        alloc_free(c);
        return r;
    }
    c->h.handle.data = c;
    c->creq.data = c;
    TAILQ_INSERT_TAIL(&l->conns, c, conn_link);
    c->magic = CONN_MAGIC;
    r = uv_tcp_connect(&c->creq, &c->h.tcp, addr, connect_cb);
    if (r != 0) {
        close_now(c);
        return r;
    }
    *out = c;
    return 0;
}

void conn_read_start(conn_t *c)
{
    REQUIRE(VALID_CONN(c));
    if (c->reading || c->closing)
        return;
    if (uv_read_start(&c->h.stream, alloc_cb, read_cb) == 0)
        c->reading = true;
}

void conn_read_stop(conn_t *c)
{
    REQUIRE(VALID_CONN(c));
    if (!c->reading)
        return;
    uv_read_stop(&c->h.stream);
    c->reading = false;
}

void conn_mark_dirty(conn_t *c)
{
    if (c->dirty || c->closing)
        return;
    c->dirty = true;
    TAILQ_INSERT_TAIL(&c->loop->dirty, c, dirty_link);
}

void conn_write(conn_t *c, const void *p, size_t n)
{
    buf_chain_append(&c->out, p, n);
    conn_mark_dirty(c);
}

static void finish_close(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (c->cbs->close != NULL)
        c->cbs->close(c);
    TAILQ_REMOVE(&c->loop->conns, c, conn_link);
    buf_chain_destroy(&c->out);
    alloc_free(c->ibuf);
    c->ibuf = NULL;
    c->magic = 0;
    alloc_free(c);
}

static void close_now(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->dirty) {
        TAILQ_REMOVE(&c->loop->dirty, c, dirty_link);
        c->dirty = false;
    }
    uv_close(&c->h.handle, finish_close);
}

static void write_cb(uv_write_t *req, int status)
{
    conn_t *c = req->data;
    c->writing = false;
    if (status == 0) {
        buf_chain_consume(&c->out, c->inflight);
        c->bytes_out += c->inflight;
    }
    c->inflight = 0;
    if (c->closing)
        return;
    if (status != 0) {
        c->cbs->error(c, status);
        return;
    }
    if (c->out.bytes > 0) {
        conn_mark_dirty(c);
        return;
    }
    if (c->close_after_flush) {
        close_now(c);
        return;
    }
    if (c->cbs->drained != NULL)
        c->cbs->drained(c);
}

void conn_flush(conn_t *c)
{
    REQUIRE(VALID_CONN(c));
    if (c->writing || c->closing || c->out.bytes == 0) {
        if (!c->writing && !c->closing && c->close_after_flush)
            close_now(c);
        return;
    }
    struct iovec iov[CONN_IOV_MAX];
    int n = buf_chain_iov(&c->out, 0, iov, CONN_IOV_MAX);
    int w = uv_try_write(&c->h.stream, (uv_buf_t *)iov, (unsigned)n);
    if (w > 0) {
        buf_chain_consume(&c->out, (size_t)w);
        c->bytes_out += (uint64_t)w;
    } else if (w < 0 && w != UV_EAGAIN) {
        c->cbs->error(c, w);
        return;
    }
    if (c->out.bytes == 0) {
        if (c->close_after_flush)
            close_now(c);
        else if (c->cbs->drained != NULL)
            c->cbs->drained(c);
        return;
    }
    /* The rest goes out through one uv_write; its blocks stay pinned in the
     * chain until write_cb consumes them. */
    n = buf_chain_iov(&c->out, 0, iov, CONN_IOV_MAX);
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    c->wreq.data = c;
    int r = uv_write(&c->wreq, &c->h.stream, (uv_buf_t *)iov, (unsigned)n, write_cb);
    if (r != 0) {
        c->cbs->error(c, r);
        return;
    }
    c->writing = true;
    c->inflight = total;
}

void conn_input_discard(conn_t *c, size_t n)
{
    REQUIRE(n <= c->ilen);
    if (n == c->ilen) {
        c->ilen = 0;
        return;
    }
    memmove(c->ibuf, c->ibuf + n, c->ilen - n);
    c->ilen -= n;
}

void conn_input_unread(conn_t *c, const void *p, size_t n)
{
    REQUIRE(VALID_CONN(c));
    if (n == 0)
        return;
    if (c->icap < c->ilen + n) {
        c->ibuf = alloc_realloc(c->ibuf, c->ilen + n + 1);
        c->icap = c->ilen + n;
    }
    memmove(c->ibuf + n, c->ibuf, c->ilen);
    memcpy(c->ibuf, p, n);
    c->ilen += n;
}

void conn_input_want(conn_t *c, size_t want)
{
    c->iwant = want;
}

void conn_input_trim(conn_t *c)
{
    if (c->ilen == 0 && c->icap > 4 * CONN_READ_CHUNK) {
        alloc_free(c->ibuf);
        c->ibuf = NULL;
        c->icap = 0;
    }
}

void conn_close(conn_t *c, bool after_flush)
{
    REQUIRE(VALID_CONN(c));
    if (c->closing)
        return;
    conn_read_stop(c);
    if (after_flush && (c->out.bytes > 0 || c->writing)) {
        c->close_after_flush = true;
        conn_mark_dirty(c);
        return;
    }
    close_now(c);
}

void conn_close_hard(conn_t *c)
{
    REQUIRE(VALID_CONN(c));
    if (c->closing)
        return;
    if (c->fd >= 0)
        shutdown(c->fd, SHUT_RDWR);
    conn_read_stop(c);
    close_now(c);
}

int conn_set_keepalive(conn_t *c, int seconds)
{
    if (c->kind != CONN_KIND_TCP)
        return 0;
    return uv_tcp_keepalive(&c->h.tcp, seconds > 0, (unsigned)(seconds > 0 ? seconds : 0));
}

int conn_set_nodelay(conn_t *c, bool on)
{
    if (c->kind != CONN_KIND_TCP)
        return 0;
    return uv_tcp_nodelay(&c->h.tcp, on);
}
