#include <config.h>
#include "server/repl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/strconv.h"
#include "server/aof.h"
#include "server/blocking.h"
#include "server/cmd_handlers.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/failover.h"
#include "server/persist.h"
#include "server/propagate.h"
#include "server/repl_backlog.h"
#include "server/replica.h"
#include "server/server.h"

/* Output queued on a replica's connection before more of the stream (or of
 * the snapshot file) is copied to it: the rest waits in the shared backlog. */
#define PUMP_HIGH (256 * 1024)
#define FILE_CHUNK (64 * 1024)

const char repl_noreplicas_error[] = "NOREPLICAS Not enough good replicas to write.";

typedef enum replica_state {
    REPLICA_NONE,             /* Sent REPLCONF only. */
    REPLICA_WAIT_BGSAVE_START, /* Waits for the next snapshot. */
    REPLICA_WAIT_BGSAVE_END,   /* Its snapshot is being written. */
    REPLICA_SEND_BULK,         /* The file is being sent. */
    REPLICA_ONLINE,
} replica_state_t;

typedef struct repl_replica {
    client_t *c;
    TAILQ_ENTRY(repl_replica) link; /* R.replicas, once PSYNC/SYNC ran. */
    bool listed;
    replica_state_t state;
    bool old_sync;       /* SYNC: no +FULLRESYNC line. */
    bool capa_eof, capa_psync2;
    repl_cursor_t cur;   /* The stream still to send. */
    int fd;              /* Snapshot being sent, -1 when none. */
    uint64_t file_size, file_sent;
    long long port;      /* REPLCONF listening-port. */
    char ip[64];         /* REPLCONF ip-address, or "" for the peer's. */
    long long ack_off;
    int64_t ack_ms;      /* Monotonic ms of the last ACK (or of going online). */
    /* Full sync. */
    int64_t wait_since_ms; /* Entered WAIT_BGSAVE_START (repl-diskless-sync-delay). */
    bool diskless;       /* A target of the running transfer to sockets. */
    bool wait_ack;       /* The stream waits for its first ACK (diskless). */
    int64_t stall_ms;    /* Diskless: its output above PUMP_HIGH since, 0 if not. */
    uint64_t ack_seq;    /* R.ack_seq at the last ACK. */
} repl_replica_t;

/* A client blocked in WAIT. */
typedef struct repl_waiter {
    client_t *c;
    long long numreplicas;
    long long offset;
    int64_t deadline_ms; /* Monotonic; 0 = forever. */
    TAILQ_ENTRY(repl_waiter) link;
} repl_waiter_t;

static struct {
    repl_backlog_t *backlog;
    long long offset;       /* master_repl_offset. */
    long long second_offset; /* second_repl_offset, -1 when no replid2. */
    int seldb;              /* The stream's selected db, -1: SELECT next. */
    TAILQ_HEAD(, repl_replica) replicas;
    int nreplicas;
    int64_t no_replicas_since; /* Monotonic ms, for repl-backlog-ttl. */
    int64_t last_ping_ms;
    TAILQ_HEAD(, repl_waiter) waiters;
    client_t **resume;       /* WAIT clients answered, resumed at the safe point. */
    int nresume, resume_cap;
    bool getack;
    uint64_t ack_seq;        /* REPLCONF ACKs received, for FAILOVER. */
    bool following;          /* A replica: the backlog takes the primary's stream. */
    bool timer_init;
    uv_timer_t timer;
} R = {.second_offset = -1, .seldb = -1};

repl_stats_t repl_stats;

static void replica_drop(repl_replica_t *r, const char *why);
static void check_waiters(void);
static int good_replicas(void);
static void dl_target_gone(void);

/* ---- helpers ------------------------------------------------------------ */

static repl_replica_t *replica_of(client_t *c, bool create)
{
    repl_replica_t *r = c->repl;
    if (r == NULL && create) {
        r = alloc_calloc(sizeof(*r));
        r->c = c;
        r->fd = -1;
        c->repl = r;
    }
    return r;
}

static const char *replica_ip(const repl_replica_t *r, char *buf, size_t n)
{
    if (r->ip[0] != '\0')
        return r->ip;
    snprintf(buf, n, "%s", client_peer(r->c));
    char *colon = strrchr(buf, ':');
    if (colon != NULL)
        *colon = '\0';
    return buf;
}

static const char *replica_name(const repl_replica_t *r)
{
    static char name[96];
    char ip[64];
    snprintf(name, sizeof(name), "%s:%lld", replica_ip(r, ip, sizeof(ip)), r->port);
    return name;
}

long long repl_master_offset(void)
{
    return R.offset;
}

size_t repl_backlog_memory(void)
{
    return R.backlog != NULL ? R.backlog->alloc : 0;
}

/* ---- the stream ----------------------------------------------------------- */

static void feed(const char *p, size_t n)
{
    repl_backlog_append(R.backlog, p, n);
    R.offset = (long long)R.backlog->end - 1;
}

static void sink(int dbid, const char *resp, size_t n)
{
    if (R.backlog == NULL)
        return;
    if (dbid != R.seldb) {
        char sel[PROPAGATE_SELECT_BUF];
        feed(sel, propagate_select_resp(sel, dbid));
        R.seldb = dbid;
    }
    feed(resp, n);
}

static void random_replid(char *id)
{
    for (int i = 0; i < 40; i++)
        id[i] = "0123456789abcdef"[random() & 15];
    id[40] = '\0';
}

/* Creates the backlog for the first replica, with a new replication ID as
 * Redis does when no history can be continued. A replica keeps the ID and
 * offset of its primary's history instead. */
static void backlog_create(void)
{
    if (!R.following) {
        random_replid(srv.replid);
        memset(srv.replid2, '0', 40);
        R.second_offset = -1;
    }
    R.backlog = repl_backlog_new((size_t)cfg.repl_backlog_size, (uint64_t)R.offset + 1, 0);
    R.seldb = -1;
    propagate_enable(PROPAGATE_REPL, !R.following);
    log_msg(LOG_LEVEL_NOTICE, "Replication backlog created, my new replication IDs are '%s' "
                              "and '%s'", srv.replid, srv.replid2);
}

static void backlog_free(void)
{
    propagate_enable(PROPAGATE_REPL, false);
    repl_backlog_free(R.backlog);
    R.backlog = NULL;
    /* A later replica cannot continue this history: new ID. */
    random_replid(srv.replid);
    memset(srv.replid2, '0', 40);
    R.second_offset = -1;
}

/* ---- a replica's history (server/replica.c) -------------------------------- */

void repl_set_following(bool following)
{
    R.following = following;
    propagate_enable(PROPAGATE_REPL, R.backlog != NULL && !following);
    /* Whatever this instance writes next as a primary starts with a
     * SELECT: the primary's stream left its own selected database. */
    R.seldb = -1;
}

void repl_feed_stream(const char *p, size_t n)
{
    REQUIRE(R.following);
    if (R.backlog == NULL)
        backlog_create();
    if (n > 0)
        feed(p, n);
}

void repl_drop_replicas(const char *why)
{
    repl_replica_t *r, *tmp;
    for (r = TAILQ_FIRST(&R.replicas); r != NULL; r = tmp) {
        tmp = TAILQ_NEXT(r, link);
        replica_drop(r, why);
    }
}

void repl_adopt_history(const char *replid, long long offset)
{
    repl_drop_replicas("the primary's history changed (full resynchronization)");
    memcpy(srv.replid, replid, 40);
    srv.replid[40] = '\0';
    memset(srv.replid2, '0', 40);
    R.second_offset = -1;
    if (R.backlog != NULL) {
        propagate_enable(PROPAGATE_REPL, false);
        repl_backlog_free(R.backlog);
        R.backlog = NULL;
    }
    R.offset = offset;
    backlog_create();
}

void repl_shift_replid(const char *newid)
{
    memcpy(srv.replid2, srv.replid, 40);
    R.second_offset = R.offset + 1;
    if (newid != NULL) {
        memcpy(srv.replid, newid, 40);
        srv.replid[40] = '\0';
    } else {
        random_replid(srv.replid);
    }
    log_msg(LOG_LEVEL_NOTICE, "Setting secondary replication ID to %s, valid up to offset: "
                              "%lld. New replication ID is %s", srv.replid2, R.second_offset,
            srv.replid);
}

void repl_restore_history(const char *replid, long long offset)
{
    memcpy(srv.replid, replid, 40);
    srv.replid[40] = '\0';
    R.offset = offset;
}

bool repl_has_backlog(void)
{
    return R.backlog != NULL;
}

/* Copies what the replica's connection can take now: the rest of the
 * snapshot file, then the stream from its cursor. */
static void pump_file(repl_replica_t *r)
{
    conn_t *conn = r->c->conn;
    while (r->file_sent < r->file_size && conn_pending_out(conn) < PUMP_HIGH) {
        size_t avail;
        char *dst = buf_chain_reserve(&conn->out, 1, &avail);
        uint64_t left = r->file_size - r->file_sent;
        size_t want = avail < FILE_CHUNK ? avail : FILE_CHUNK;
        if (want > left)
            want = (size_t)left;
        ssize_t got = read(r->fd, dst, want);
        if (got <= 0) {
            log_msg(LOG_LEVEL_WARNING, "Read error sending DB to replica: %s",
                    got < 0 ? strerror(errno) : "premature end of file");
            replica_drop(r, "snapshot read error");
            return;
        }
        buf_chain_commit(&conn->out, (size_t)got);
        r->file_sent += (uint64_t)got;
    }
    conn_mark_dirty(conn);
    if (r->file_sent < r->file_size)
        return;
    close(r->fd);
    r->fd = -1;
    r->state = REPLICA_ONLINE;
    r->ack_ms = clock_mono_ms();
    log_msg(LOG_LEVEL_NOTICE, "Synchronization with replica %s succeeded", replica_name(r));
}

static void pump(repl_replica_t *r)
{
    client_t *c = r->c;
    if (c->conn == NULL || c->on_close_list || (c->flags & CLIENT_CLOSE_ASAP))
        return;
    if (r->state == REPLICA_SEND_BULK)
        pump_file(r);
    if (r->state != REPLICA_ONLINE || r->wait_ack || r->cur.block == NULL)
        return;
    conn_t *conn = c->conn;
    const char *p;
    size_t n;
    bool wrote = false;
    while (conn_pending_out(conn) < PUMP_HIGH && (n = repl_backlog_peek(R.backlog, &r->cur, &p)) > 0) {
        if (n > PUMP_HIGH)
            n = PUMP_HIGH;
        buf_chain_append(&conn->out, p, n);
        repl_backlog_advance(R.backlog, &r->cur, n);
        wrote = true;
    }
    if (wrote)
        conn_mark_dirty(conn);
}

size_t repl_client_unsent(const client_t *c)
{
    const repl_replica_t *r = c->repl;
    if (r == NULL || R.backlog == NULL)
        return 0;
    return (size_t)repl_backlog_unread(R.backlog, &r->cur);
}

void repl_client_drained(client_t *c)
{
    if (c->repl != NULL && c->repl->listed)
        pump(c->repl);
}

/* ---- replicas' lifecycle -------------------------------------------------- */

static void replica_unlist(repl_replica_t *r)
{
    if (r->listed) {
        TAILQ_REMOVE(&R.replicas, r, link);
        r->listed = false;
        if (--R.nreplicas == 0)
            R.no_replicas_since = clock_mono_ms();
    }
    if (R.backlog != NULL)
        repl_backlog_cursor_close(R.backlog, &r->cur);
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    if (r->diskless) {
        r->diskless = false;
        dl_target_gone();
    }
}

/* Frees the replica's client at the next safe point; why (logged) may be
 * NULL when the caller logged Redis's own line. */
static void replica_drop(repl_replica_t *r, const char *why)
{
    if (why != NULL)
        log_msg(LOG_LEVEL_WARNING, "Dropping replica %s: %s", replica_name(r), why);
    replica_unlist(r);
    r->c->flags |= CLIENT_CLOSE_ASAP;
    client_free_async(r->c);
}

static void waiter_remove(client_t *c);

void repl_client_free(client_t *c)
{
    waiter_remove(c);
    if (c->flags & CLIENT_MASTER)
        replica_client_free(c);
    repl_replica_t *r = c->repl;
    if (r == NULL)
        return;
    if (r->listed)
        log_msg(LOG_LEVEL_NOTICE, "Connection with replica %s lost.", replica_name(r));
    replica_unlist(r);
    c->repl = NULL;
    alloc_free(r);
}

/* ---- full sync ------------------------------------------------------------ */

/* The running diskless transfer. The child writes the snapshot in the EOF
 * format ("$EOF:<mark>\r\n", the RDB, the mark) into a pipe; the loop reads
 * the pipe only while every target's connection has less than PUMP_HIGH
 * queued, and copies each chunk to all of them, so the snapshot is written
 * once and the slowest replica sets the pace (it is dropped when it makes
 * no progress for repl-timeout, or passes its output buffer limit). Once it
 * has written everything the child waits for the parent to close the exit
 * pipe, so the transfer has been read whole when the child is reaped. */
static struct {
    bool active;      /* The child was forked and not reaped yet. */
    bool eof;         /* The whole pipe was read. */
    bool reading;     /* The poll is started. */
    int rfd;          /* The pipe's read end, -1 once closed. */
    int exit_wfd;     /* Closing it lets the child exit. */
    int ntargets;     /* Replicas with .diskless set. */
    uv_poll_t *poll;  /* Freed by its close callback. */
} D = {.rfd = -1, .exit_wfd = -1};

/* What the child needs; its copy of D holds the parent's ends to close. */
typedef struct dl_child {
    int wfd;
    int exit_rfd;
    char mark[41];
} dl_child_t;

static int64_t last_newline_ms;

static bool writable(const client_t *c)
{
    return c->conn != NULL && !c->on_close_list && !(c->flags & CLIENT_CLOSE_ASAP);
}

/* Runs in the child: plain system calls only. */
static int dl_child_main(void *ctx)
{
    const dl_child_t *ch = ctx;
    close(D.rfd);
    close(D.exit_wfd);
    char pre[64];
    int n = snprintf(pre, sizeof(pre), "$EOF:%s\r\n", ch->mark);
    int rc = persist_write_all(ch->wfd, pre, (size_t)n);
    if (rc == 0)
        rc = persist_write_rdb_fd(ch->wfd, false);
    if (rc == 0)
        rc = persist_write_all(ch->wfd, ch->mark, 40);
    if (close(ch->wfd) != 0 && rc == 0)
        rc = -errno;
    /* read() returns 0 once the parent has read the pipe to its end (or
     * gave up, or died). */
    char b;
    while (rc == 0 && read(ch->exit_rfd, &b, 1) < 0 && errno == EINTR)
        continue;
    return rc;
}

static void poll_closed(uv_handle_t *h)
{
    alloc_free(h);
}

/* Stops reading the pipe and closes the parent's ends: the child exits. */
static void dl_close_pipe(void)
{
    if (D.poll != NULL) {
        uv_close((uv_handle_t *)D.poll, poll_closed);
        D.poll = NULL;
    }
    D.reading = false;
    if (D.rfd >= 0)
        close(D.rfd);
    if (D.exit_wfd >= 0)
        close(D.exit_wfd);
    D.rfd = D.exit_wfd = -1;
}

/* True when a target's connection holds PUMP_HIGH bytes or more: the pipe
 * waits. Notes since when each target has been behind. */
static bool dl_blocked(int64_t now)
{
    bool blocked = false;
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link)
    {
        if (!r->diskless || !writable(r->c))
            continue;
        if (conn_pending_out(r->c->conn) < PUMP_HIGH) {
            r->stall_ms = 0;
            continue;
        }
        blocked = true;
        if (r->stall_ms == 0)
            r->stall_ms = now;
    }
    return blocked;
}

static void dl_poll_cb(uv_poll_t *h, int status, int events);

static void dl_poll(bool on)
{
    if (D.poll == NULL || D.reading == on)
        return;
    D.reading = on;
    if (on)
        uv_poll_start(D.poll, UV_READABLE, dl_poll_cb);
    else
        uv_poll_stop(D.poll);
}

static void dl_feed(const char *p, size_t n)
{
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link)
    {
        if (r->diskless && writable(r->c)) {
            buf_chain_append(&r->c->conn->out, p, n);
            conn_mark_dirty(r->c->conn);
        }
    }
}

/* Copies what the pipe holds to the targets while none is behind. */
static void dl_pump(void)
{
    char buf[16 * 1024];
    int64_t now = clock_mono_ms();
    while (D.rfd >= 0) {
        if (dl_blocked(now)) {
            dl_poll(false);
            return;
        }
        ssize_t n = read(D.rfd, buf, sizeof(buf));
        if (n > 0) {
            dl_feed(buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            dl_poll(true);
            return;
        }
        if (n == 0) {
            D.eof = true;
            log_msg(LOG_LEVEL_WARNING, "Diskless rdb transfer, done reading from pipe, %d "
                                       "replicas still up.", D.ntargets);
        } else {
            log_msg(LOG_LEVEL_WARNING, "Diskless rdb transfer, read error from pipe: %s",
                    strerror(errno));
        }
        dl_close_pipe();
    }
}

static void dl_poll_cb(uv_poll_t *h, int status, int events)
{
    UNUSED(h);
    UNUSED(events);
    if (status < 0) {
        log_msg(LOG_LEVEL_WARNING, "Diskless rdb transfer, poll error: %s", uv_strerror(status));
        dl_close_pipe();
        return;
    }
    dl_pump();
}

/* Resumes reading the pipe once every target has caught up. */
static void dl_resume(void)
{
    if (D.rfd >= 0 && !D.reading && !dl_blocked(clock_mono_ms()))
        dl_poll(true);
}

/* A target left (dropped or disconnected): the others go on; without any,
 * the child is stopped. */
static void dl_target_gone(void)
{
    INSIST(D.ntargets > 0);
    /* At shutdown the child was stopped already. */
    if (--D.ntargets > 0 || !D.active || D.eof || !persist_child_running())
        return;
    log_msg(LOG_LEVEL_WARNING, "Diskless rdb transfer, last replica dropped, killing fork child.");
    persist_kill_child();
    dl_close_pipe();
}

/* Forks the child that writes the snapshot into the pipe. Returns 0, or -1
 * with *err set. */
static int dl_start(str_t **err)
{
    REQUIRE(!D.active && D.rfd < 0 && D.exit_wfd < 0);
    int data[2], ex[2];
    if (pipe2(data, O_CLOEXEC) != 0) {
        *err = str_fmt("ERR Can't create the pipe for the child: %s", strerror(errno));
        return -1;
    }
    if (pipe2(ex, O_CLOEXEC) != 0) {
        *err = str_fmt("ERR Can't create the pipe for the child: %s", strerror(errno));
        close(data[0]);
        close(data[1]);
        return -1;
    }
    dl_child_t ch = {.wfd = data[1], .exit_rfd = ex[0]};
    for (int i = 0; i < 40; i++)
        ch.mark[i] = "0123456789abcdef"[random() & 15];
    ch.mark[40] = '\0';
    D.rfd = data[0];
    D.exit_wfd = ex[1];
    int rc = persist_bgsave_stream(dl_child_main, &ch, err);
    close(data[1]);
    close(ex[0]);
    if (rc != 0) {
        dl_close_pipe();
        return -1;
    }
    D.active = true;
    D.eof = false;
    D.ntargets = 0;
    D.poll = alloc_malloc(sizeof(*D.poll));
    int prc = uv_poll_init(srv.loop.uv, D.poll, D.rfd);
    INSIST(prc == 0);
    return 0;
}

/* The child ended: on success the targets go online, their stream held
 * until their first ACK (the replica detects the end of the snapshot by its
 * last bytes, so nothing may follow them before it has loaded it). */
static void dl_done(bool ok)
{
    bool good = ok && D.eof;
    D.active = false;
    D.eof = false;
    dl_close_pipe();
    int64_t now = clock_mono_ms();
    repl_replica_t *r, *tmp;
    for (r = TAILQ_FIRST(&R.replicas); r != NULL; r = tmp) {
        tmp = TAILQ_NEXT(r, link);
        if (!r->diskless)
            continue;
        r->diskless = false;
        D.ntargets--;
        if (!good || r->c->conn == NULL) {
            replica_drop(r, "SYNC failed. BGSAVE child returned an error");
            continue;
        }
        r->state = REPLICA_ONLINE;
        r->ack_ms = now;
        log_msg(LOG_LEVEL_NOTICE, "Streamed RDB transfer with replica %s succeeded (socket). "
                                  "Waiting for REPLCONF ACK from slave to enable streaming",
                replica_name(r));
        log_msg(LOG_LEVEL_NOTICE, "Synchronization with replica %s succeeded", replica_name(r));
    }
    INSIST(D.ntargets == 0);
}

static bool diskless_enabled(void)
{
    return cfg.repl_diskless_sync;
}

/* A transfer to sockets starts repl-diskless-sync-delay seconds after the
 * first replica asked for it, or as soon as
 * repl-diskless-sync-max-replicas are waiting, so that one snapshot feeds
 * the replicas arriving together. */
static bool diskless_due(int waiting, int64_t oldest_ms)
{
    long long max = cfg.repl_diskless_sync_max_replicas;
    if (max > 0 && waiting >= max)
        return true;
    long long delay = cfg.repl_diskless_sync_delay;
    return clock_mono_ms() - oldest_ms >= delay * 1000;
}

/* Moves the waiting replicas to WAIT_BGSAVE_END, fed by the snapshot just
 * started, and tells them where the stream resumes. */
static void setup_full_sync(bool socket)
{
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link)
    {
        if (r->state != REPLICA_WAIT_BGSAVE_START)
            continue;
        int rc = repl_backlog_cursor_open(R.backlog, &r->cur, R.backlog->end);
        INSIST(rc == 0);
        r->state = REPLICA_WAIT_BGSAVE_END;
        r->stall_ms = 0;
        if (socket) {
            r->diskless = true;
            r->wait_ack = true;
            D.ntargets++;
        }
        if (!r->old_sync && r->c->conn != NULL) {
            char line[128];
            int n = snprintf(line, sizeof(line), "+FULLRESYNC %s %lld\r\n", srv.replid, R.offset);
            conn_write(r->c->conn, line, (size_t)n);
        }
    }
}

/* Starts the snapshot replicas waiting for one need, when no child runs:
 * to their sockets when repl-diskless-sync is on and all of them declared
 * capa eof, else to disk. */
static void start_full_sync(void)
{
    int waiting = 0;
    bool eof = true;
    int64_t oldest = 0;
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link)
    {
        if (r->state != REPLICA_WAIT_BGSAVE_START)
            continue;
        waiting++;
        eof &= r->capa_eof;
        if (oldest == 0 || r->wait_since_ms < oldest)
            oldest = r->wait_since_ms;
    }
    if (waiting == 0 || persist_child_running() || aof_child_running())
        return;
    bool socket = eof && diskless_enabled();
    if (socket && !diskless_due(waiting, oldest))
        return;
    /* The stream after the snapshot starts with a SELECT. */
    R.seldb = -1;
    log_msg(LOG_LEVEL_NOTICE, "Starting BGSAVE for SYNC with target: %s",
            socket ? "replicas sockets" : "disk");
    str_t *err = NULL;
    if ((socket ? dl_start(&err) : persist_bgsave(&err)) != 0) {
        log_msg(LOG_LEVEL_WARNING, "BGSAVE for replication failed: %s", err ? err->buf : "?");
        str_free(err);
        repl_replica_t *tmp;
        for (r = TAILQ_FIRST(&R.replicas); r != NULL; r = tmp) {
            tmp = TAILQ_NEXT(r, link);
            if (r->state == REPLICA_WAIT_BGSAVE_START)
                replica_drop(r, "BGSAVE for replication failed");
        }
        return;
    }
    setup_full_sync(socket);
    if (socket)
        dl_pump();
}

/* Why a replica that asked for a full sync waits, as Redis logs it. */
static void log_sync_wait(void)
{
    const char *why;
    if (D.active)
        why = "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC";
    else if (persist_child_running())
        why = "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC";
    else if (aof_child_running())
        why = "No BGSAVE in progress, but another BG operation is active. BGSAVE for "
              "replication delayed";
    else
        why = "Delay next BGSAVE for diskless SYNC";
    log_msg(LOG_LEVEL_NOTICE, "%s", why);
}

/* Once per cron pass: a newline a second to the replicas waiting for a
 * snapshot on disk (their repl-timeout counts it as traffic; it precedes
 * the +FULLRESYNC or $ line), and the repl-timeout of the primary's side. */
static void cron_replicas(int64_t now)
{
    long long timeout_ms = cfg.repl_timeout * 1000;
    bool newline = now - last_newline_ms >= 1000;
    if (newline)
        last_newline_ms = now;
    repl_replica_t *r, *tmp;
    for (r = TAILQ_FIRST(&R.replicas); r != NULL; r = tmp) {
        tmp = TAILQ_NEXT(r, link);
        if (!writable(r->c))
            continue;
        bool presync = r->state == REPLICA_WAIT_BGSAVE_START ||
                       (r->state == REPLICA_WAIT_BGSAVE_END && !r->diskless);
        if (presync && newline) {
            conn_write(r->c->conn, "\n", 1);
        } else if (r->state == REPLICA_ONLINE && !r->old_sync && now - r->ack_ms > timeout_ms) {
            log_msg(LOG_LEVEL_WARNING, "Disconnecting timedout replica (streaming sync): %s",
                    replica_name(r));
            replica_drop(r, NULL);
        } else if (r->diskless && r->stall_ms != 0 && now - r->stall_ms > timeout_ms) {
            log_msg(LOG_LEVEL_WARNING, "Disconnecting timedout replica (full sync): %s",
                    replica_name(r));
            replica_drop(r, NULL);
        }
    }
}

void repl_fill_aux(rdb_aux_t *aux)
{
    if (R.backlog == NULL)
        return;
    aux->repl_id = srv.replid;
    aux->repl_offset = R.offset;
    /* A replica's stream continues in its primary's selected database. */
    if (R.following)
        aux->repl_stream_db = replica_stream_db();
    else
        aux->repl_stream_db = R.seldb < 0 ? 0 : R.seldb;
}

/* The snapshot is ready: every replica waiting for it gets the file. */
static void send_snapshot(repl_replica_t *r)
{
    int fd = open(cfg.dbfilename, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        replica_drop(r, "cannot open the snapshot");
        return;
    }
    r->fd = fd;
    r->file_size = (uint64_t)st.st_size;
    r->file_sent = 0;
    r->state = REPLICA_SEND_BULK;
    char hdr[32];
    int n = snprintf(hdr, sizeof(hdr), "$%llu\r\n", (unsigned long long)r->file_size);
    conn_write(r->c->conn, hdr, (size_t)n);
    pump(r);
}

void repl_bgsave_done(bool ok)
{
    if (D.active) {
        dl_done(ok);
        return;
    }
    repl_replica_t *r, *tmp;
    for (r = TAILQ_FIRST(&R.replicas); r != NULL; r = tmp) {
        tmp = TAILQ_NEXT(r, link);
        if (r->state != REPLICA_WAIT_BGSAVE_END)
            continue;
        if (!ok || r->c->conn == NULL)
            replica_drop(r, "BGSAVE for replication failed");
        else
            send_snapshot(r);
    }
    /* rdb-del-sync-files: an instance without persistence keeps no
     * snapshot it wrote only to feed replicas. The replicas being fed hold
     * the file open, so it can go now. */
    if (ok && cfg.rdb_del_sync_files && cfg.save_count == 0 && !cfg.appendonly &&
        unlink(cfg.dbfilename) == 0)
        log_msg(LOG_LEVEL_NOTICE, "Removing the RDB file used to feed replicas in a "
                                  "persistence-less instance");
}

/* ---- PSYNC / SYNC --------------------------------------------------------- */

/* +CONTINUE when the replica's history is ours and still in the backlog. */
static bool try_partial(client_t *c, repl_replica_t *r)
{
    const arg_t *id = &c->argv[1];
    long long off;
    if (R.backlog == NULL || strconv_to_ll(c->argv[2].p, c->argv[2].n, &off) != 0)
        return false;
    bool ours = id->n == 40 && memcmp(id->p, srv.replid, 40) == 0;
    bool prev = id->n == 40 && memcmp(id->p, srv.replid2, 40) == 0 && off <= R.second_offset;
    if (!ours && !prev)
        return false;
    if (off < 0 || repl_backlog_cursor_open(R.backlog, &r->cur, (uint64_t)off) != 0)
        return false;
    r->state = REPLICA_ONLINE;
    r->ack_ms = clock_mono_ms();
    char line[80];
    int n = r->capa_psync2 ? snprintf(line, sizeof(line), "+CONTINUE %s\r\n", srv.replid)
                           : snprintf(line, sizeof(line), "+CONTINUE\r\n");
    conn_write(c->conn, line, (size_t)n);
    repl_stats.sync_partial_ok++;
    log_msg(LOG_LEVEL_NOTICE,
            "Partial resynchronization request from %s accepted. Sending %llu bytes of backlog "
            "starting from offset %lld.",
            replica_name(r), (unsigned long long)repl_backlog_unread(R.backlog, &r->cur), off);
    return true;
}

static void sync_common(client_t *c, bool psync)
{
    if (c->flags & CLIENT_REPLICA)
        return;
    /* PSYNC <replid> <offset> FAILOVER: the primary hands over to us. */
    if (psync && c->argc > 3 && arg_is(&c->argv[3], "failover") && !failover_psync_request(c))
        return;
    if (failover_state() != FAILOVER_NONE) {
        reply_error(&c->reply, "NOMASTERLINK Can't SYNC while failing over");
        return;
    }
    if (R.following && !replica_link_up()) {
        reply_error(&c->reply, "NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    if (c->conn == NULL || conn_pending_out(c->conn) > 0) {
        reply_error(&c->reply, "ERR SYNC and PSYNC are invalid with pending output");
        return;
    }
    repl_replica_t *r = replica_of(c, true);
    c->flags |= CLIENT_REPLICA | CLIENT_REPLY_OFF;
    TAILQ_INSERT_TAIL(&R.replicas, r, link);
    r->listed = true;
    R.nreplicas++;
    r->ack_ms = clock_mono_ms();
    if (psync && try_partial(c, r))
        return;
    if (psync && !(c->argv[1].n == 1 && c->argv[1].p[0] == '?'))
        repl_stats.sync_partial_err++;
    r->old_sync = !psync;
    if (R.backlog == NULL)
        backlog_create();
    repl_stats.sync_full++;
    log_msg(LOG_LEVEL_NOTICE, "Full resync requested by replica %s", replica_name(r));
    r->state = REPLICA_WAIT_BGSAVE_START;
    r->wait_since_ms = clock_mono_ms();
    start_full_sync();
    if (r->listed && r->state == REPLICA_WAIT_BGSAVE_START)
        log_sync_wait();
}

void cmd_psync(client_t *c)
{
    sync_common(c, true);
}

void cmd_sync(client_t *c)
{
    sync_common(c, false);
}

/* ---- REPLCONF ------------------------------------------------------------- */

static void replconf_ack(client_t *c, const arg_t *val)
{
    repl_replica_t *r = c->repl;
    long long off;
    if (r == NULL || !r->listed || strconv_to_ll(val->p, val->n, &off) != 0)
        return;
    if (off > r->ack_off)
        r->ack_off = off;
    r->ack_ms = clock_mono_ms();
    /* After a diskless transfer the stream starts once the replica has
     * loaded the snapshot and says so. */
    r->wait_ack = false;
    r->ack_seq = ++R.ack_seq;
    if (!TAILQ_EMPTY(&R.waiters))
        check_waiters();
    failover_replica_acked();
}

/* One option of REPLCONF; returns false after replying with an error. */
static bool replconf_option(client_t *c, const arg_t *opt, const arg_t *val)
{
    if (arg_is(opt, "listening-port")) {
        long long port;
        if (strconv_to_ll(val->p, val->n, &port) != 0) {
            reply_not_integer(c);
            return false;
        }
        replica_of(c, true)->port = port;
    } else if (arg_is(opt, "ip-address")) {
        repl_replica_t *r = replica_of(c, true);
        if (val->n >= sizeof(r->ip)) {
            reply_errorf(&c->reply,
                         "ERR REPLCONF ip-address provided by replica instance is too long: "
                         "%zu bytes",
                         val->n);
            return false;
        }
        memcpy(r->ip, val->p, val->n);
        r->ip[val->n] = '\0';
    } else if (arg_is(opt, "capa")) {
        repl_replica_t *r = replica_of(c, true);
        if (arg_is(val, "eof"))
            r->capa_eof = true;
        else if (arg_is(val, "psync2"))
            r->capa_psync2 = true;
    } else if (!arg_is(opt, "rdb-only")) {
        reply_errorf(&c->reply, "ERR Unrecognized REPLCONF option: %.*s", (int)opt->n, opt->p);
        return false;
    }
    return true;
}

void cmd_replconf(client_t *c)
{
    if (c->argc % 2 == 0) {
        reply_syntax_error(c);
        return;
    }
    for (int i = 1; i < c->argc; i += 2) {
        const arg_t *opt = &c->argv[i];
        if (arg_is(opt, "ack")) {
            /* No reply: the primary never answers ACKs. */
            replconf_ack(c, &c->argv[i + 1]);
            return;
        }
        if (arg_is(opt, "getack")) {
            /* A replica answers its primary's GETACK with an ACK, even
             * though it sends it no replies. */
            replica_getack(c);
            return;
        }
        if (!replconf_option(c, opt, &c->argv[i + 1]))
            return;
    }
    reply_ok(&c->reply);
}

/* ---- WAIT ----------------------------------------------------------------- */

static int acked_replicas(long long offset)
{
    int n = 0;
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link) n += r->state == REPLICA_ONLINE && r->ack_off >= offset;
    return n;
}

static void timer_cb(uv_timer_t *t)
{
    UNUSED(t);
    check_waiters();
}

static void arm_timer(void)
{
    int64_t next = 0;
    repl_waiter_t *w;
    TAILQ_FOREACH(w, &R.waiters, link)
    {
        if (w->deadline_ms != 0 && (next == 0 || w->deadline_ms < next))
            next = w->deadline_ms;
    }
    if (!R.timer_init) {
        uv_timer_init(srv.loop.uv, &R.timer);
        R.timer_init = true;
    }
    uv_timer_stop(&R.timer);
    if (next != 0) {
        int64_t delay = next - clock_mono_ms();
        uv_timer_start(&R.timer, timer_cb, delay > 0 ? (uint64_t)delay : 0, 0);
    }
}

/* The WAIT client was answered: it resumes at the next safe point. */
static void waiter_done(repl_waiter_t *w)
{
    client_t *c = w->c;
    TAILQ_REMOVE(&R.waiters, w, link);
    alloc_free(w);
    c->flags &= ~CLIENT_BLOCKED;
    if (R.nresume == R.resume_cap) {
        R.resume_cap = R.resume_cap ? R.resume_cap * 2 : 8;
        R.resume = alloc_realloc(R.resume, sizeof(*R.resume) * (size_t)R.resume_cap);
    }
    R.resume[R.nresume++] = c;
}

/* Answers the WAIT clients whose replicas acknowledged enough or whose
 * timeout passed; they resume at the next safe point. */
static void check_waiters(void)
{
    int64_t now = clock_mono_ms();
    repl_waiter_t *w, *tmp;
    for (w = TAILQ_FIRST(&R.waiters); w != NULL; w = tmp) {
        tmp = TAILQ_NEXT(w, link);
        int n = acked_replicas(w->offset);
        if (n < w->numreplicas && (w->deadline_ms == 0 || now < w->deadline_ms))
            continue;
        reply_int(&w->c->reply, n);
        waiter_done(w);
    }
    arm_timer();
}

void repl_unblock_waiters(const char *error)
{
    repl_waiter_t *w;
    while ((w = TAILQ_FIRST(&R.waiters)) != NULL) {
        reply_error(&w->c->reply, error);
        w->c->flags |= CLIENT_CLOSE_AFTER_REPLY;
        waiter_done(w);
    }
    arm_timer();
}

static void waiter_remove(client_t *c)
{
    repl_waiter_t *w;
    TAILQ_FOREACH(w, &R.waiters, link)
    {
        if (w->c == c) {
            TAILQ_REMOVE(&R.waiters, w, link);
            alloc_free(w);
            c->flags &= ~CLIENT_BLOCKED;
            break;
        }
    }
    for (int i = 0; i < R.nresume; i++) {
        if (R.resume[i] == c)
            R.resume[i] = NULL;
    }
}

void cmd_wait(client_t *c)
{
    long long num, timeout;
    if (R.following) {
        reply_error(&c->reply,
                    "ERR WAIT cannot be used with replica instances. Please also note that since "
                    "Redis 4.0 if a replica is configured to be writable (which is not the "
                    "default) writes to replicas are just local and are not propagated.");
        return;
    }
    if (strconv_to_ll(c->argv[1].p, c->argv[1].n, &num) != 0) {
        reply_not_integer(c);
        return;
    }
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &timeout) != 0) {
        reply_error(&c->reply, "ERR timeout is not an integer or out of range");
        return;
    }
    if (timeout < 0) {
        reply_error(&c->reply, "ERR timeout is negative");
        return;
    }
    /* The offset of the client's own last write, as Redis's WAIT. */
    long long offset = c->woff;
    int acked = acked_replicas(offset);
    if (acked >= num || !blocking_allowed(c)) {
        reply_int(&c->reply, acked);
        return;
    }
    repl_waiter_t *w = alloc_calloc(sizeof(*w));
    w->c = c;
    w->numreplicas = num;
    w->offset = offset;
    w->deadline_ms = timeout > 0 ? clock_mono_ms() + timeout : 0;
    TAILQ_INSERT_TAIL(&R.waiters, w, link);
    c->flags |= CLIENT_BLOCKED;
    R.getack = true;
    arm_timer();
}

/* ---- ROLE and INFO -------------------------------------------------------- */

void cmd_role(client_t *c)
{
    if (R.following) {
        replica_role(c);
        return;
    }
    reply_array(&c->reply, 3);
    reply_bulk_cstr(&c->reply, "master");
    reply_int(&c->reply, R.offset);
    int n = 0;
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link) n += r->state == REPLICA_ONLINE;
    reply_array(&c->reply, n);
    TAILQ_FOREACH(r, &R.replicas, link)
    {
        if (r->state != REPLICA_ONLINE)
            continue;
        char ip[64];
        reply_array(&c->reply, 3);
        reply_bulk_cstr(&c->reply, replica_ip(r, ip, sizeof(ip)));
        reply_bulk_ll(&c->reply, r->port);
        reply_bulk_ll(&c->reply, r->ack_off);
    }
}

static const char *state_name(replica_state_t s)
{
    switch (s) {
    case REPLICA_SEND_BULK:
        return "send_bulk";
    case REPLICA_ONLINE:
        return "online";
    default:
        return "wait_bgsave";
    }
}

str_t *repl_info(str_t *s)
{
    if (R.following)
        s = replica_info(str_cat_cstr(s, "role:slave\r\n"));
    else
        s = str_cat_cstr(s, "role:master\r\n");
    s = str_catfmt(s, "connected_slaves:%d\r\n", R.nreplicas);
    int i = 0;
    int64_t now = clock_mono_ms();
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link)
    {
        char ip[64];
        s = str_catfmt(s, "slave%d:ip=%s,port=%lld,state=%s,offset=%lld,lag=%lld\r\n", i++,
                       replica_ip(r, ip, sizeof(ip)), r->port, state_name(r->state), r->ack_off,
                       (long long)((now - r->ack_ms) / 1000));
    }
    if (!R.following && cfg.min_replicas_to_write > 0 && cfg.min_replicas_max_lag > 0)
        s = str_catfmt(s, "min_slaves_good_slaves:%d\r\n", good_replicas());
    uint64_t first = R.backlog != NULL ? R.backlog->first : 0;
    uint64_t hist = R.backlog != NULL ? repl_backlog_histlen(R.backlog) : 0;
    return str_catfmt(s,
                      "master_failover_state:%s\r\nmaster_replid:%s\r\n"
                      "master_replid2:%s\r\nmaster_repl_offset:%lld\r\nsecond_repl_offset:%lld\r\n"
                      "repl_backlog_active:%d\r\nrepl_backlog_size:%lld\r\n"
                      "repl_backlog_first_byte_offset:%llu\r\nrepl_backlog_histlen:%llu\r\n",
                      failover_state_name(), srv.replid, srv.replid2, R.offset, R.second_offset,
                      R.backlog != NULL,
                      cfg.repl_backlog_size, (unsigned long long)first, (unsigned long long)hist);
}

/* ---- FAILOVER's view ----------------------------------------------------------- */

repl_replica_view_t *repl_replicas_list(int *n)
{
    repl_replica_view_t *list = alloc_calloc(sizeof(*list) * (size_t)(R.nreplicas + 1));
    int i = 0;
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link)
    {
        repl_replica_view_t *v = &list[i++];
        char ip[64];
        snprintf(v->ip, sizeof(v->ip), "%s", replica_ip(r, ip, sizeof(ip)));
        v->port = r->port;
        v->online = r->state == REPLICA_ONLINE;
        v->ack_off = r->ack_off;
        v->ack_seq = r->ack_seq;
    }
    *n = i;
    return list;
}

int repl_replica_count(void)
{
    return R.nreplicas;
}

uint64_t repl_ack_seq(void)
{
    return R.ack_seq;
}

void repl_feed_getack(void)
{
    static const char getack[] = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
    if (R.backlog != NULL)
        feed(getack, sizeof(getack) - 1);
}

/* ---- gates and periodic work --------------------------------------------------- */

static int good_replicas(void)
{
    int n = 0;
    int64_t now = clock_mono_ms();
    repl_replica_t *r;
    TAILQ_FOREACH(r, &R.replicas, link)
    {
        if (r->state == REPLICA_ONLINE && (now - r->ack_ms) / 1000 <= cfg.min_replicas_max_lag)
            n++;
    }
    return n;
}

bool repl_writes_refused(void)
{
    /* A replica takes its primary's writes whatever its own replicas do. */
    if (R.following || cfg.min_replicas_to_write <= 0 || cfg.min_replicas_max_lag <= 0)
        return false;
    return good_replicas() < cfg.min_replicas_to_write;
}

void repl_init(void)
{
    TAILQ_INIT(&R.replicas);
    TAILQ_INIT(&R.waiters);
    R.no_replicas_since = clock_mono_ms();
    propagate_set_sink(PROPAGATE_REPL, sink);
    propagate_enable(PROPAGATE_REPL, false);
}

void repl_shutdown(void)
{
    if (R.timer_init) {
        uv_timer_stop(&R.timer);
        uv_close((uv_handle_t *)&R.timer, NULL);
        R.timer_init = false;
    }
    if (R.backlog != NULL) {
        propagate_enable(PROPAGATE_REPL, false);
        repl_backlog_free(R.backlog);
        R.backlog = NULL;
    }
    dl_close_pipe();
    D.active = false;
    alloc_free(R.resume);
    R.resume = NULL;
    R.nresume = R.resume_cap = 0;
    failover_shutdown();
}

static void feed_ping(void)
{
    static const char ping[] = "*1\r\n$4\r\nPING\r\n";
    feed(ping, sizeof(ping) - 1);
}

static void cron_backlog(int64_t now)
{
    if (R.backlog == NULL)
        return;
    if (R.backlog->limit != (size_t)cfg.repl_backlog_size)
        repl_backlog_resize(R.backlog, (size_t)cfg.repl_backlog_size);
    long long ttl = cfg.repl_backlog_ttl;
    /* A replica keeps its backlog: it is how it continues after a promotion. */
    if (!R.following && R.nreplicas == 0 && ttl > 0 && now - R.no_replicas_since > ttl * 1000) {
        log_msg(LOG_LEVEL_NOTICE, "Replication backlog freed after %lld seconds without "
                                  "connected replicas.", ttl);
        backlog_free();
    }
}

void repl_cron(void)
{
    int64_t now = clock_mono_ms();
    cron_backlog(now);
    start_full_sync();
    failover_cron();
    /* A replica's replicas get its primary's PINGs in the stream. While
     * FAILOVER holds writes, a PING would move the offset its replicas
     * must reach. */
    if (R.nreplicas == 0 || R.backlog == NULL || R.following)
        return;
    cron_replicas(now);
    long long period = cfg.repl_ping_replica_period;
    if (!srv.pause_failover && now - R.last_ping_ms >= period * 1000) {
        R.last_ping_ms = now;
        feed_ping();
    }
}

void repl_before_flush(void)
{
    for (int i = 0; i < R.nresume; i++) {
        if (R.resume[i] != NULL)
            client_command_done(R.resume[i]);
    }
    R.nresume = 0;
    failover_before_flush();
    if (R.backlog == NULL)
        return;
    /* WAIT's GETACK waits while FAILOVER holds writes, as Redis does for
     * any pause. */
    if (R.getack && !TAILQ_EMPTY(&R.waiters) && !srv.pause_failover)
        repl_feed_getack();
    if (!srv.pause_failover)
        R.getack = false;
    dl_resume();
    repl_replica_t *r, *tmp;
    for (r = TAILQ_FIRST(&R.replicas); r != NULL; r = tmp) {
        tmp = TAILQ_NEXT(r, link);
        pump(r);
        if (repl_client_unsent(r->c) > 0 || r->state != REPLICA_ONLINE)
            client_check_obuf_limits(r->c);
    }
}
