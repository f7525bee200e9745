#include <config.h>
#include "server/replica_load.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/dict.h"
#include "core/log.h"
#include "server/aof.h"
#include "server/config.h"
#include "server/persist.h"
#include "server/server.h"

/* Longest wait in poll() before clients are served again. */
#define POLL_SLICE_MS 50
/* A newline goes to the primary this often while loading, so that it
 * counts the replica as alive (as Redis replicas do). */
#define NEWLINE_MS 1000

/* The socket as the RDB reader's byte source. */
typedef struct sock_src {
    conn_t *conn;
    long long left;          /* Length framing: payload bytes unread; -1 with EOF framing. */
    int64_t timeout_ms;      /* repl-timeout: the longest silence. */
    int64_t newline_ms;      /* When the last keepalive newline was queued. */
    const rdb_load_stats_t *st;
    const char *why;         /* Set when the link, not the data, failed. */
} sock_src_t;

bool replica_load_diskless(void)
{
    if (cfg.repl_diskless_load == REPL_DISKLESS_LOAD_SWAPDB)
        return true;
    if (cfg.repl_diskless_load != REPL_DISKLESS_LOAD_ON_EMPTY_DB)
        return false;
    for (int i = 0; i < srv.ndbs; i++)
        if (db_size(&srv.dbs[i]) > 0)
            return false;
    return true;
}

/* ---- reading the socket ------------------------------------------------------ */

/* Between reads: progress for INFO, the keepalive newline, and clients.
 * Returns false when a shutdown was asked for. */
static bool between_reads(sock_src_t *s)
{
    srv.loading_rdb_used_mem = s->st->used_mem;
    persist.last_load_keys = s->st->keys;
    int64_t now = clock_mono_ms();
    if (now - s->newline_ms >= NEWLINE_MS) {
        s->newline_ms = now;
        conn_write(s->conn, "\n", 1);
    }
    if (persist_loading_events())
        return true;
    s->why = "a shutdown was requested";
    return false;
}

/* Bytes the link had already received before the load began. */
static size_t take_buffered(conn_t *conn, void *buf, size_t cap)
{
    size_t n = conn->ilen < cap ? conn->ilen : cap;
    if (n > 0) {
        memcpy(buf, conn->ibuf, n);
        conn_input_discard(conn, n);
    }
    return n;
}

/* One read of the (non-blocking) socket, waiting in short polls so that
 * clients are served, for at most repl-timeout of silence. */
static long read_socket(sock_src_t *s, void *buf, size_t cap)
{
    int64_t deadline = clock_mono_ms() + s->timeout_ms;
    for (;;) {
        ssize_t n = read(s->conn->fd, buf, cap);
        if (n > 0) {
            s->conn->bytes_in += (uint64_t)n;
            return (long)n;
        }
        if (n == 0) {
            s->why = "connection closed by the MASTER";
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            s->why = strerror(errno);
            return -errno;
        }
        int64_t now = clock_mono_ms();
        if (now >= deadline) {
            s->why = strerror(ETIMEDOUT);
            return -ETIMEDOUT;
        }
        struct pollfd pfd = {.fd = s->conn->fd, .events = POLLIN};
        int64_t wait = deadline - now < POLL_SLICE_MS ? deadline - now : POLL_SLICE_MS;
        if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR) {
            s->why = strerror(errno);
            return -errno;
        }
        if (!between_reads(s))
            return -ECANCELED;
    }
}

/* rdb_read_fn: the buffered bytes first, then the socket; never beyond the
 * payload with length framing. */
static long src_read(void *ctx, void *buf, size_t cap)
{
    sock_src_t *s = ctx;
    if (!between_reads(s))
        return -ECANCELED;
    if (s->left >= 0) {
        if (s->left == 0)
            return 0;
        if ((long long)cap > s->left)
            cap = (size_t)s->left;
    }
    long n = (long)take_buffered(s->conn, buf, cap);
    if (n == 0)
        n = read_socket(s, buf, cap);
    if (n > 0) {
        srv.loading_loaded_bytes += (uint64_t)n;
        if (s->left >= 0)
            s->left -= n;
    }
    return n;
}

/* n bytes after what the parser consumed: first those it read ahead, then
 * the source's. Returns 0 or -1. */
static int read_after(sock_src_t *s, rdb_reader_t *r, char *dst, size_t n)
{
    size_t k = r->avail < n ? r->avail : n;
    memcpy(dst, r->p, k);
    r->p += k;
    r->avail -= k;
    while (k < n) {
        long got = src_read(s, dst + k, n - k);
        if (got <= 0)
            return -1;
        k += (size_t)got;
    }
    return 0;
}

/* After the RDB: checks the EOF mark, or skips what is left of a length-
 * framed payload; then returns what was read beyond the payload to the
 * link. Returns 0, or -1 with *why set. */
static int payload_end(sock_src_t *s, rdb_reader_t *r, const replica_load_req_t *req,
                       const char **why)
{
    if (req->eof_framing) {
        char mark[REPLICA_LOAD_MARK_LEN];
        if (read_after(s, r, mark, sizeof(mark)) != 0) {
            *why = s->why != NULL ? s->why : "the EOF mark is missing";
            return -1;
        }
        if (memcmp(mark, req->eof_mark, sizeof(mark)) != 0) {
            /* Redis logs this line alone. */
            log_msg(LOG_LEVEL_WARNING, "Replication stream EOF marker is broken");
            *why = "";
            return -1;
        }
        conn_input_unread(s->conn, r->p, r->avail);
        return 0;
    }
    /* Bytes of the payload after the RDB's checksum: not part of the stream. */
    char scratch[4096];
    r->avail = 0;
    while (s->left > 0) {
        size_t want = s->left < (long long)sizeof(scratch) ? (size_t)s->left : sizeof(scratch);
        if (read_after(s, r, scratch, want) != 0) {
            *why = s->why != NULL ? s->why : "the payload is cut short";
            return -1;
        }
    }
    return 0;
}

/* ---- the load --------------------------------------------------------------- */

/* Parses the payload into dbs. Returns 0, or -1 with the reason in why. */
static int parse_payload(sock_src_t *s, const replica_load_req_t *req, db_t *dbs,
                         rdb_load_stats_t *st, char *why, size_t whylen)
{
    rdb_reader_t r;
    rdb_reader_init(&r, src_read, s);
    r.verify_checksum = cfg.rdbchecksum;
    int rc = rdb_load_into(&r, dbs, srv.ndbs, persist_load_flags(), st);
    if (rc != 0) {
        log_msg(LOG_LEVEL_WARNING, "Short read or corrupt RDB from the MASTER at offset %llu: %s",
                (unsigned long long)r.err_offset, r.err_msg);
        snprintf(why, whylen, "%s", s->why != NULL ? s->why : r.err_msg);
        rdb_reader_destroy(&r);
        return -1;
    }
    log_msg(LOG_LEVEL_NOTICE, "Done loading RDB, keys loaded: %llu, keys expired: %llu.",
            (unsigned long long)st->keys, (unsigned long long)st->expired_skipped);
    persist.last_load_keys = st->keys;
    persist.last_load_expired = st->expired_skipped;
    const char *end_why = NULL;
    rc = payload_end(s, &r, req, &end_why);
    if (rc != 0)
        snprintf(why, whylen, "%s", end_why);
    rdb_reader_destroy(&r);
    return rc;
}

void replica_load_empty_all(void)
{
    for (int i = 0; i < srv.ndbs; i++)
        db_empty(&srv.dbs[i]);
}

/* dict_empty's progress callback: freeing millions of keys takes long
 * enough that clients (and the primary's keepalive) must not wait for it. */
static void free_progress(void *arg)
{
    (void)between_reads(arg);
}

/* Frees a whole array of databases that no client can reach (the old data
 * after a swap, or a partial load), serving clients meanwhile. */
static void free_detached(sock_src_t *s, db_t *dbs)
{
    for (int i = 0; i < srv.ndbs; i++) {
        dict_empty(dbs[i].expires, free_progress, s);
        dict_empty(dbs[i].keys, free_progress, s);
    }
    db_array_free(dbs, srv.ndbs);
}

/* swapdb: the loaded databases take the place of the current ones. The
 * db_t structs stay where they are (clients point at them); only their
 * tables move. */
static void swap_in(sock_src_t *s, db_t *loaded)
{
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
    for (int i = 0; i < srv.ndbs; i++)
        db_swap(&srv.dbs[i], &loaded[i]);
    /* Redis frees the old data in a thread; here it goes while clients
     * are served between steps (still -LOADING). */
    free_detached(s, loaded);
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Discarding old DB in background");
}

static void discard_history(const replica_load_req_t *req)
{
    if (req->had_history)
        log_msg(LOG_LEVEL_NOTICE, "Discarding previously cached master state.");
}

/* After a failed load (why: the reason, "" when already logged): swapdb
 * drops the partial data (the old data never left); otherwise the
 * databases are emptied. */
static void load_failed(sock_src_t *s, bool swapdb, db_t *target, const char *why)
{
    if (why[0] != '\0')
        log_msg(LOG_LEVEL_WARNING, "Failed trying to load the MASTER synchronization DB from "
                                   "socket: %s", why);
    if (swapdb) {
        free_detached(s, target);
        log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Discarding temporary DB in "
                                  "background");
    } else {
        replica_load_empty_all();
    }
}

bool replica_load_quiesce(void)
{
    persist_kill_child();
    bool aof_was_on = cfg.appendonly;
    if (aof_was_on)
        (void)aof_set_enabled(false, NULL);
    return aof_was_on;
}

void replica_load_resume(bool aof_was_on)
{
    if (!aof_was_on)
        return;
    str_t *err = NULL;
    if (aof_set_enabled(true, &err) != 0)
        str_free(err);
}

int replica_load_socket(const replica_load_req_t *req, rdb_load_stats_t *st)
{
    REQUIRE(VALID_CONN(req->conn));
    bool swapdb = cfg.repl_diskless_load == REPL_DISKLESS_LOAD_SWAPDB;
    bool aof_was_on = replica_load_quiesce();
    /* swapdb holds both datasets until the new one is complete: the memory
     * peak is the old data plus the new, as in Redis. */
    db_t *target = srv.dbs;
    if (swapdb) {
        target = db_array_new(srv.ndbs);
    } else {
        discard_history(req);
        log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Flushing old data");
        replica_load_empty_all();
    }
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Loading DB in memory");
    conn_read_stop(req->conn);
    memset(st, 0, sizeof(*st));
    sock_src_t s = {
        .conn = req->conn,
        .left = req->eof_framing ? -1 : req->size,
        .timeout_ms = cfg.repl_timeout * 1000,
        .newline_ms = clock_mono_ms(),
        .st = st,
    };
    persist_loading_begin(req->eof_framing ? 0 : (uint64_t)req->size);
    char why[256];
    int rc = parse_payload(&s, req, target, st, why, sizeof(why));
    if (rc != 0) {
        load_failed(&s, swapdb, target, why);
    } else {
        if (swapdb) {
            discard_history(req);
            swap_in(&s, target);
        }
        srv.dirty++; /* The dataset changed without a save. */
    }
    persist_loading_end();
    replica_load_resume(aof_was_on);
    if (srv.shutdown_after_loading)
        loop_stop(&srv.loop); /* The stop asked for inside the load was used up there. */
    return rc;
}
