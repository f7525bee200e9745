#include <config.h>
#include "server/client.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/multi.h"
#include "server/pubsub.h"
#include "server/repl.h"
#include "server/replica.h"
#include "server/server.h"

/* Stop reading a client whose pending output passes the high mark; resume
 * once it drains below the low mark. */
#define OBUF_HIGH_WATER (4 * 1024 * 1024)
#define OBUF_LOW_WATER (1024 * 1024)

static void on_read(conn_t *conn);
static bool query_limit_passed(client_t *c);
static void on_error(conn_t *conn, int status);
static void on_close(conn_t *conn);
static void on_drained(conn_t *conn);

static const conn_cbs_t client_conn_cbs = {on_read, on_error, on_close, on_drained};

/* ---- reply hooks ------------------------------------------------------ */

static void reply_notify(reply_t *r)
{
    client_t *c = r->data;
    if (c->conn != NULL)
        conn_mark_dirty(c->conn);
}

static void reply_on_error(reply_t *r, const char *msg, size_t len)
{
    client_t *c = r->data;
    c->cmd_error = "error";
    server_count_error(msg, len);
}

/* ---- lifecycle -------------------------------------------------------- */

/* Adds a closing connection's bytes to INFO's totals. */
static void client_count_traffic(const client_t *c, const conn_t *conn)
{
    if (c->flags & CLIENT_MASTER) {
        srv.stat_net_repl_in += conn->bytes_in;
        srv.stat_net_out += conn->bytes_out;
    } else if (c->flags & CLIENT_REPLICA) {
        srv.stat_net_in += conn->bytes_in;
        srv.stat_net_repl_out += conn->bytes_out;
    } else {
        srv.stat_net_in += conn->bytes_in;
        srv.stat_net_out += conn->bytes_out;
    }
}

static client_t *client_alloc(void)
{
    client_t *c = alloc_calloc(sizeof(*c));
    c->id = ++srv.next_client_id;
    req_parser_init(&c->parser);
    c->db = &srv.dbs[0];
    c->resp = 2;
    c->reply.proto = 2;
    c->reply.data = c;
    c->reply.notify = reply_notify;
    c->reply.on_error = reply_on_error;
    c->ctime_ms = clock_wall_ms();
    c->last_interaction = clock_mono_ms();
    c->authenticated = cfg.requirepass == NULL || cfg.requirepass[0] == '\0';
    buf_chain_init(&c->fake_out);
    return c;
}

client_t *client_new(conn_t *conn)
{
    client_t *c = client_alloc();
    c->conn = conn;
    conn->data = c;
    conn->cbs = &client_conn_cbs;
    c->reply.out = &conn->out;
    if (conn->kind == CONN_KIND_UNIX)
        c->flags |= CLIENT_UNIX;
    c->magic = CLIENT_MAGIC;
    TAILQ_INSERT_TAIL(&srv.clients, c, link);
    srv.nclients++;
    return c;
}

client_t *client_new_fake(void)
{
    client_t *c = client_alloc();
    c->flags |= CLIENT_FAKE;
    c->reply.out = &c->fake_out;
    c->magic = CLIENT_MAGIC;
    return c;
}

void client_free(client_t *c)
{
    REQUIRE(VALID_CLIENT(c));
    if (c->on_close_list) {
        TAILQ_REMOVE(&srv.clients_to_close, c, close_link);
        c->on_close_list = false;
    }
    if (c->flags & CLIENT_MONITOR)
        TAILQ_REMOVE(&srv.monitors, c, monitor_link);
    multi_client_free(c);
    pubsub_client_free(c);
    blocking_forget(c);
    repl_client_free(c);
    if (!(c->flags & CLIENT_FAKE)) {
        TAILQ_REMOVE(&srv.clients, c, link);
        srv.nclients--;
    }
    if (c->conn != NULL) {
        conn_t *conn = c->conn;
        /* Keep the traffic of closed connections in INFO's totals. */
        client_count_traffic(c, conn);
        c->conn = NULL;
        conn->data = NULL;
        /* Unsent output is dropped, as Redis's freeClient does. A client
         * closing after its reply is only scheduled once that reply was
         * written (on_drained), so nothing of it is lost here; flushing
         * after the free instead would leave a conn that no CLIENT LIST,
         * CLIENT KILL or timeout can see, held open by a peer that never
         * reads. */
        conn_close(conn, false);
    }
    req_parser_destroy(&c->parser);
    buf_chain_destroy(&c->fake_out);
    alloc_free(c->argv);
    if (c->name != NULL)
        str_free(c->name);
    if (c->lib_name != NULL)
        str_free(c->lib_name);
    if (c->lib_ver != NULL)
        str_free(c->lib_ver);
    c->magic = 0;
    alloc_free(c);
}

void client_free_async(client_t *c)
{
    REQUIRE(VALID_CLIENT(c));
    if (c->on_close_list)
        return;
    c->on_close_list = true;
    TAILQ_INSERT_TAIL(&srv.clients_to_close, c, close_link);
    if (c->conn != NULL)
        conn_read_stop(c->conn);
}

void client_free_pending(void)
{
    client_t *c;
    while ((c = TAILQ_FIRST(&srv.clients_to_close)) != NULL) {
        if (c->flags & CLIENT_PROTECTED)
            break;
        client_free(c);
    }
}

/* ---- connection callbacks --------------------------------------------- */

static void on_error(conn_t *conn, int status)
{
    client_t *c = conn->data;
    if (c == NULL) {
        conn_close(conn, false);
        return;
    }
    if (status != UV_EOF)
        log_msg(LOG_LEVEL_VERBOSE, "client '%s' closed: %s", conn->peer, uv_strerror(status));
    c->flags &= ~CLIENT_CLOSE_AFTER_REPLY;
    client_free_async(c);
}

static void on_close(conn_t *conn)
{
    client_t *c = conn->data;
    if (c != NULL) {
        /* The connection went away under the client. */
        client_count_traffic(c, conn);
        c->conn = NULL;
        c->reply.out = NULL;
        client_free_async(c);
    }
}

static void on_drained(conn_t *conn)
{
    client_t *c = conn->data;
    if (c == NULL)
        return;
    c->obuf_soft_since = 0;
    if (c->flags & CLIENT_REPLICA)
        repl_client_drained(c);
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
        client_free_async(c);
        return;
    }
    if (c->flags & CLIENT_READ_PAUSED) {
        c->flags &= ~CLIENT_READ_PAUSED;
        client_process_input(c);
        if (!(c->flags & (CLIENT_READ_PAUSED | CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)) &&
            !c->on_close_list && c->conn != NULL)
            conn_read_start(c->conn);
    }
}

static void on_read(conn_t *conn)
{
    client_t *c = conn->data;
    if (c == NULL)
        return;
    c->last_interaction = clock_mono_ms();
    srv.stat_io_reads++;
    /* A client held by CLIENT PAUSE or blocked keeps reading (so a
     * disconnect is seen) without parsing, so the query buffer limit is enforced here. */
    if ((c->flags & (CLIENT_PAUSED | CLIENT_BLOCKED)) && query_limit_passed(c)) {
        client_free_async(c);
        return;
    }
    client_process_input(c);
}

/* ---- input processing ------------------------------------------------- */

void client_refresh_argv(client_t *c)
{
    req_parser_t *p = &c->parser;
    if ((int)p->argc > c->argv_cap) {
        c->argv_cap = (int)p->argc;
        c->argv = alloc_realloc(c->argv, sizeof(arg_t) * (size_t)c->argv_cap);
    }
    for (size_t i = 0; i < p->argc; i++) {
        c->argv[i].p = c->conn->ibuf + p->argv[i].off;
        c->argv[i].n = p->argv[i].len;
    }
    c->argc = (int)p->argc;
}

static void protocol_error(client_t *c)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "ERR %s", c->parser.error);
    log_msg(LOG_LEVEL_VERBOSE, "protocol error from client '%s': %s", client_peer(c),
            c->parser.error);
    reply_error(&c->reply, msg);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* Drops consumed input: all of it when everything was parsed, else only
 * once the cursor passed half of the buffer. */
static void compact_input(client_t *c)
{
    conn_t *conn = c->conn;
    size_t start = req_parser_cmd_start(&c->parser);
    if (start == 0)
        return;
    if (start == conn->ilen || start > conn->icap / 2) {
        conn_input_discard(conn, start);
        req_parser_shift(&c->parser, start);
    }
}

static bool query_limit_passed(client_t *c)
{
    /* The primary's stream is never cut (Redis exempts it too). */
    if ((c->flags & CLIENT_MASTER) || c->conn->ilen <= (size_t)cfg.client_query_buffer_limit)
        return false;
    /* A big argument being read into a buffer sized for it is allowed up to
     * its declared length, which proto-max-bulk-len already bounds. */
    log_msg(LOG_LEVEL_WARNING,
            "closing client that reached max query buffer length: '%s' (qbuf=%zu, limit=%lld)",
            client_peer(c), c->conn->ilen, cfg.client_query_buffer_limit);
    srv.stat_client_qbuf_limit_disconnections++;
    return true;
}

/* Runs the parsed command with CLIENT REPLY applied; returns the dispatch
 * result. */
static int handle_command(client_t *c)
{
    if (c->argc == 0)
        return DISPATCH_DONE;
    if (c->flags & CLIENT_REPLY_SKIP_NEXT) {
        c->flags &= ~CLIENT_REPLY_SKIP_NEXT;
        c->flags |= CLIENT_REPLY_SKIP;
    }
    if (c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP))
        c->reply.out = NULL;
    c->flags |= CLIENT_PROTECTED;
    int r = dispatch_command(c);
    c->flags &= ~CLIENT_PROTECTED;
    if (c->conn != NULL)
        c->reply.out = (c->flags & CLIENT_REPLY_OFF) ? NULL : &c->conn->out;
    if (r == DISPATCH_DONE)
        c->flags &= ~CLIENT_REPLY_SKIP;
    return r;
}

void client_process_input(client_t *c)
{
    REQUIRE(VALID_CLIENT(c));
    while (c->conn != NULL && !c->on_close_list &&
           !(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_PAUSED |
                         CLIENT_BLOCKED))) {
        if (conn_pending_out(c->conn) > OBUF_HIGH_WATER) {
            /* Backpressure: stop reading until the peer drains replies. */
            c->flags |= CLIENT_READ_PAUSED;
            conn_read_stop(c->conn);
            break;
        }
        if (!(c->flags & CLIENT_PENDING_COMMAND)) {
            req_limits_t lim = {(uint64_t)cfg.proto_max_bulk_len, !c->authenticated};
            req_status_t st = req_parse(&c->parser, c->conn->ibuf, c->conn->ilen, &lim);
            if (st == REQ_NEED_MORE) {
                size_t want = req_parser_want(&c->parser);
                if (want > 0)
                    conn_input_want(c->conn, want);
                if (query_limit_passed(c)) {
                    client_free_async(c);
                    return;
                }
                break;
            }
            if (st == REQ_PROTO_ERROR) {
                protocol_error(c);
                break;
            }
            c->flags |= CLIENT_PENDING_COMMAND;
        }
        client_refresh_argv(c);
        if (handle_command(c) == DISPATCH_DEFER) {
            /* Keep the command (and the buffer under it) until unpaused
             * or, for a blocked client, served. */
            if (!(c->flags & CLIENT_BLOCKED))
                c->flags |= CLIENT_PAUSED;
            return;
        }
        c->flags &= ~CLIENT_PENDING_COMMAND;
        if ((c->flags & CLIENT_MASTER) && c->conn != NULL)
            replica_applied(c, c->conn->ibuf + c->parser.start, c->parser.pos - c->parser.start);
        req_parser_reset(&c->parser);
        c->argc = 0;
        if (client_check_obuf_limits(c))
            return;
    }
    if (c->conn != NULL && !(c->flags & CLIENT_PENDING_COMMAND)) {
        compact_input(c);
        conn_input_trim(c->conn);
    }
    if (c->conn != NULL && (c->flags & CLIENT_CLOSE_AFTER_REPLY)) {
        /* Stop reading; the client stays listed (flag c) until its replies
         * are written, then on_drained schedules the free. */
        conn_read_stop(c->conn);
        if (conn_pending_out(c->conn) == 0)
            client_free_async(c);
    }
}

/* ---- output limits ---------------------------------------------------- */

size_t client_obuf_size(const client_t *c)
{
    return c->conn != NULL ? c->conn->out.alloc : 0;
}

int client_class(const client_t *c)
{
    if (c->flags & CLIENT_REPLICA)
        return CLIENT_CLASS_REPLICA;
    if (c->flags & CLIENT_PUBSUB)
        return CLIENT_CLASS_PUBSUB;
    return CLIENT_CLASS_NORMAL;
}

bool client_check_obuf_limits(client_t *c)
{
    if (c->conn == NULL || c->on_close_list)
        return c->on_close_list;
    size_t used = conn_pending_out(c->conn);
    /* A replica's share of the stream not yet copied to its conn counts. */
    if (c->flags & CLIENT_REPLICA)
        used += repl_client_unsent(c);
    if (used > c->obuf_peak)
        c->obuf_peak = used;
    const obuf_limit_t *lim = &cfg.obuf_limits[client_class(c)];
    bool hard = lim->hard_bytes > 0 && used >= (size_t)lim->hard_bytes;
    bool soft = false;
    if (lim->soft_bytes > 0 && used >= (size_t)lim->soft_bytes) {
        int64_t now = clock_mono_ms();
        if (c->obuf_soft_since == 0)
            c->obuf_soft_since = now;
        else if (now - c->obuf_soft_since > lim->soft_seconds * 1000)
            soft = true;
    } else {
        c->obuf_soft_since = 0;
    }
    if (!hard && !soft)
        return false;
    str_t *info = client_info_line(str_new_cap(256), c);
    log_msg(LOG_LEVEL_WARNING,
            "client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
            info->buf);
    str_free(info);
    if (c->flags & CLIENT_REPLICA)
        log_msg(LOG_LEVEL_WARNING,
                "replica %s dropped: %zu bytes of output passed client-output-buffer-limit "
                "replica %lld %lld %lld",
                client_peer(c), used, lim->hard_bytes, lim->soft_bytes, lim->soft_seconds);
    srv.stat_client_outbuf_limit_disconnections++;
    c->flags |= CLIENT_CLOSE_ASAP;
    client_free_async(c);
    return true;
}

const char *client_peer(const client_t *c)
{
    return c->conn != NULL ? c->conn->peer : "?:0";
}

/* The flag letters of CLIENT LIST, in Redis's order. */
static str_t *flags_string(str_t *s, const client_t *c)
{
    static const struct {
        uint32_t flag;
        char letter;
    } letters[] = {
        {CLIENT_MONITOR, 'O'},          {CLIENT_REPLICA, 'S'},
        {CLIENT_MASTER, 'M'},           {CLIENT_PUBSUB, 'P'},
        {CLIENT_MULTI, 'x'},            {CLIENT_BLOCKED, 'b'},
        {CLIENT_CLOSE_AFTER_REPLY, 'c'}, {CLIENT_CLOSE_ASAP, 'A'},
        {CLIENT_UNIX, 'U'},             {CLIENT_NO_EVICT, 'e'},
    };
    char buf[ARRAY_LEN(letters) + 2];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(letters); i++) {
        /* A monitor is shown as O only, never also as a replica. */
        if (letters[i].flag == CLIENT_REPLICA && (c->flags & CLIENT_MONITOR))
            continue;
        if (c->flags & letters[i].flag)
            buf[n++] = letters[i].letter;
    }
    if (n == 0)
        buf[n++] = 'N';
    buf[n] = '\0';
    return str_cat_cstr(s, buf);
}

/* "r" while reading, "w" while output waits, as CLIENT LIST shows. */
static const char *conn_events(const conn_t *conn)
{
    if (conn == NULL)
        return "";
    bool w = conn_pending_out(conn) > 0;
    if (conn->reading)
        return w ? "rw" : "r";
    return w ? "w" : "";
}

/* Bytes of the arguments of the command being run (argv-mem). */
static size_t argv_mem(const client_t *c)
{
    size_t n = 0;
    for (int i = 0; i < c->argc; i++)
        n += c->argv[i].n;
    return n;
}

str_t *client_info_line(str_t *s, const client_t *c)
{
    int64_t now_wall = clock_wall_ms();
    int64_t now_mono = clock_mono_ms();
    const conn_t *conn = c->conn;
    const char *laddr = conn ? conn->local : "";
    int fd = conn ? conn->fd : -1;
    /* The command the client sent last, set when it is looked up: the
     * running one, and EXEC (not the queued command) inside a transaction,
     * as in Redis. */
    const char *cmd = c->lastcmd ? c->lastcmd->fullname : "NULL";
    size_t qbuf = conn ? conn->ilen : 0;
    size_t qbuf_free = conn ? conn->icap - conn->ilen : 0;
    size_t omem = conn ? conn->out.alloc : 0;
    size_t oll = conn ? conn->out.blocks : 0;
    const char *events = conn_events(conn);
    s = str_catfmt(s, "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=",
                   (unsigned long long)c->id, client_peer(c), laddr, fd,
                   c->name ? c->name->buf : "",
                   (long long)((now_wall - c->ctime_ms) / 1000),
                   (long long)((now_mono - c->last_interaction) / 1000));
    s = flags_string(s, c);
    size_t multi_mem = multi_queued_mem(c);
    s = str_catfmt(s, " db=%d sub=%zu psub=%zu ssub=%zu multi=%lld", c->db->id,
                   pubsub_client_count(c, PUBSUB_CHANNEL), pubsub_client_count(c, PUBSUB_PATTERN),
                   pubsub_client_count(c, PUBSUB_SHARD), multi_queued_count(c));
    s = str_catfmt(s,
                   " qbuf=%zu qbuf-free=%zu argv-mem=%zu "
                   "multi-mem=%zu rbs=%zu rbp=%zu obl=0 oll=%zu omem=%zu tot-mem=%zu "
                   "events=%s cmd=%s user=default redir=-1 resp=%d",
                   qbuf, qbuf_free, argv_mem(c), multi_mem, conn ? conn->icap : 0,
                   c->obuf_peak, oll, omem,
                   sizeof(*c) + omem + (conn ? conn->icap : 0) + multi_mem, events, cmd,
                   c->resp);
    if (c->lib_name != NULL || c->lib_ver != NULL)
        s = str_catfmt(s, " lib-name=%s lib-ver=%s", c->lib_name ? c->lib_name->buf : "",
                       c->lib_ver ? c->lib_ver->buf : "");
    return s;
}

void client_command_done(client_t *c)
{
    REQUIRE(VALID_CLIENT(c) && !(c->flags & CLIENT_BLOCKED));
    c->flags &= ~CLIENT_PENDING_COMMAND;
    req_parser_reset(&c->parser);
    c->argc = 0;
    if (client_check_obuf_limits(c))
        return;
    client_process_input(c);
}
