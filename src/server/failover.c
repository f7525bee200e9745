#include <config.h>
#include "server/failover.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/strconv.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/repl.h"
#include "server/replica.h"
#include "server/server.h"

static struct {
    failover_state_t state;
    char *host;         /* The target, or NULL for the first replica in sync. */
    long long port;
    bool force;         /* At the deadline, fail over anyway. */
    int64_t end_ms;     /* Monotonic deadline, 0 = none. */
    bool check;         /* An ACK arrived: look again at the next safe point. */
    /* Our REPLCONF GETACK: the stream's offset before and after it. A
     * replica answers it with the offset before it, having consumed it. */
    long long getack_from, getack_to;
    uint64_t getack_seq; /* repl_ack_seq() when it was sent. */
    bool resume;        /* Clients held by the pause run at the next safe point. */
} F = {.getack_from = -1, .getack_to = -1};

failover_state_t failover_state(void)
{
    return F.state;
}

const char *failover_state_name(void)
{
    switch (F.state) {
    case FAILOVER_WAIT_FOR_SYNC:
        return "waiting-for-sync";
    case FAILOVER_IN_PROGRESS:
        return "failover-in-progress";
    default:
        return "no-failover";
    }
}

/* Ends the failover, whatever its outcome: writes resume (at the next safe
 * point, so that held commands never run nested in the one ending it). */
static void clear_state(void)
{
    alloc_free(F.host);
    F.host = NULL;
    F.port = 0;
    F.force = false;
    F.end_ms = 0;
    F.check = false;
    F.getack_from = F.getack_to = -1;
    F.state = FAILOVER_NONE;
    srv.pause_failover = false;
    F.resume = true;
}

static void abort_failover(const char *why)
{
    if (F.state == FAILOVER_NONE)
        return;
    if (F.host != NULL)
        log_msg(LOG_LEVEL_NOTICE, "FAILOVER to %s:%lld aborted: %s", F.host, F.port, why);
    else
        log_msg(LOG_LEVEL_NOTICE, "FAILOVER to any replica aborted: %s", why);
    /* Already following the target: become a primary again, which (as
     * REPLICAOF NO ONE) starts a new replication ID. */
    if (F.state == FAILOVER_IN_PROGRESS)
        replica_promote();
    clear_state();
}

/* ---- waiting for a replica --------------------------------------------------- */

static bool caught_up(const repl_replica_view_t *v)
{
    long long offset = repl_master_offset();
    if (!v->online)
        return false;
    if (v->ack_off >= offset)
        return true;
    /* Nothing was written after our GETACK, and the replica acknowledged
     * everything before it since it was sent. */
    return F.getack_to == offset && v->ack_seq > F.getack_seq && v->ack_off >= F.getack_from;
}

/* The target, or the first replica in sync when none was named (it then
 * becomes the target). */
static bool target_caught_up(void)
{
    int n = 0;
    repl_replica_view_t *list = repl_replicas_list(&n);
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        const repl_replica_view_t *v = &list[i];
        if (F.host != NULL) {
            if (v->port == F.port && strcasecmp(v->ip, F.host) == 0)
                found = caught_up(v);
            continue;
        }
        if (caught_up(v)) {
            F.host = alloc_malloc(strlen(v->ip) + 1);
            memcpy(F.host, v->ip, strlen(v->ip) + 1);
            F.port = v->port;
            found = true;
        }
    }
    alloc_free(list);
    return found;
}

/* This instance follows the target; its handshake sends PSYNC ... FAILOVER.
 * Its own replicas stay: they continue from our backlog. */
static void fail_over(void)
{
    F.state = FAILOVER_IN_PROGRESS;
    replica_set_primary(F.host, strlen(F.host), F.port, true);
}

/* The step of waiting-for-sync: the deadline first, then the replicas. */
static void update(void)
{
    if (F.state != FAILOVER_WAIT_FOR_SYNC)
        return;
    F.check = false;
    if (F.end_ms != 0 && clock_mono_ms() >= F.end_ms) {
        if (!F.force) {
            abort_failover("Replica never caught up before timeout");
            return;
        }
        log_msg(LOG_LEVEL_NOTICE, "FAILOVER to %s:%lld time out exceeded, failing over.", F.host,
                F.port);
        fail_over();
        return;
    }
    if (!target_caught_up())
        return;
    log_msg(LOG_LEVEL_NOTICE, "Failover target %s:%lld is synced, failing over.", F.host,
            F.port);
    fail_over();
}

void failover_replica_acked(void)
{
    if (F.state == FAILOVER_WAIT_FOR_SYNC)
        F.check = true;
}

void failover_before_flush(void)
{
    if (F.resume) {
        F.resume = false;
        server_resume_paused();
    }
    if (F.state == FAILOVER_WAIT_FOR_SYNC && F.check)
        update();
    if (F.state != FAILOVER_WAIT_FOR_SYNC)
        return;
    /* Writes are held, so the stream only grows by what we add (or a rare
     * expired key): ask the replicas for their offset now rather than wait
     * for their once-a-second ACK. */
    if (repl_master_offset() != F.getack_to) {
        F.getack_from = repl_master_offset();
        F.getack_seq = repl_ack_seq();
        repl_feed_getack();
        F.getack_to = repl_master_offset();
    }
}

void failover_cron(void)
{
    update();
}

/* ---- PSYNC FAILOVER ------------------------------------------------------------ */

void failover_psync_result(bool accepted)
{
    if (F.state != FAILOVER_IN_PROGRESS)
        return;
    if (accepted)
        clear_state();
    else
        abort_failover("Failover target rejected psync request");
}

bool failover_psync_request(client_t *c)
{
    const arg_t *id = &c->argv[1];
    log_msg(LOG_LEVEL_WARNING, "Failover request received for replid %.*s.", (int)id->n, id->p);
    if (!replica_active()) {
        reply_error(&c->reply, "ERR PSYNC FAILOVER can't be sent to a master.");
        return false;
    }
    if (id->n != 40 || strncasecmp(id->p, srv.replid, 40) != 0) {
        reply_error(&c->reply, "ERR PSYNC FAILOVER replid must match my replid.");
        return false;
    }
    replica_promote();
    str_t *info = client_info_line(str_new_cap(256), c);
    log_msg(LOG_LEVEL_NOTICE, "MASTER MODE enabled (failover request from '%s')", info->buf);
    str_free(info);
    return true;
}

/* ---- FAILOVER ----------------------------------------------------------------- */

typedef struct failover_args {
    const arg_t *host;
    long long port;
    long long timeout;
    bool force, abort;
} failover_args_t;

/* Parses the options as Redis does: each at most once, and ABORT alone.
 * Returns false after replying with an error. */
static bool parse_args(client_t *c, failover_args_t *a)
{
    for (int j = 1; j < c->argc; j++) {
        const arg_t *opt = &c->argv[j];
        int more = c->argc - j - 1;
        if (arg_is(opt, "to") && a->host == NULL && !a->abort && more >= 2) {
            if (strconv_to_ll(c->argv[j + 2].p, c->argv[j + 2].n, &a->port) != 0) {
                reply_not_integer(c);
                return false;
            }
            a->host = &c->argv[j + 1];
            j += 2;
        } else if (arg_is(opt, "timeout") && a->timeout == 0 && !a->abort && more >= 1) {
            if (strconv_to_ll(c->argv[j + 1].p, c->argv[j + 1].n, &a->timeout) != 0) {
                reply_not_integer(c);
                return false;
            }
            if (a->timeout <= 0) {
                reply_error(&c->reply, "ERR FAILOVER timeout must be greater than 0");
                return false;
            }
            j++;
        } else if (arg_is(opt, "force") && !a->force && !a->abort) {
            a->force = true;
        } else if (arg_is(opt, "abort") && !a->abort && a->host == NULL && a->timeout == 0 &&
                   !a->force) {
            a->abort = true;
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    return true;
}

/* The checks after parsing, in Redis's order; returns the error or NULL. */
static const char *refusal(const failover_args_t *a)
{
    if (F.state != FAILOVER_NONE)
        return "ERR FAILOVER already in progress.";
    if (replica_active())
        return "ERR FAILOVER is not valid when server is a replica.";
    if (repl_replica_count() == 0)
        return "ERR FAILOVER requires connected replicas.";
    if (a->force && (a->timeout == 0 || a->host == NULL))
        return "ERR FAILOVER with force option requires both a timeout and target HOST and IP.";
    if (a->host == NULL)
        return NULL;
    int n = 0;
    repl_replica_view_t *list = repl_replicas_list(&n);
    const char *err = "ERR FAILOVER target HOST and PORT is not a replica.";
    for (int i = 0; i < n; i++) {
        const repl_replica_view_t *v = &list[i];
        if (v->port == a->port && strlen(v->ip) == a->host->n &&
            strncasecmp(v->ip, a->host->p, a->host->n) == 0) {
            err = v->online ? NULL : "ERR FAILOVER target replica is not online.";
            break;
        }
    }
    alloc_free(list);
    return err;
}

static void start(client_t *c, const failover_args_t *a)
{
    if (a->host != NULL) {
        F.host = alloc_malloc(a->host->n + 1);
        memcpy(F.host, a->host->p, a->host->n);
        F.host[a->host->n] = '\0';
        F.port = a->port;
        log_msg(LOG_LEVEL_NOTICE, "FAILOVER requested to %s:%lld.", F.host, F.port);
    } else {
        log_msg(LOG_LEVEL_NOTICE, "FAILOVER requested to any replica.");
    }
    int64_t now = clock_mono_ms();
    F.end_ms = a->timeout > 0 ? (a->timeout > INT64_MAX - now ? INT64_MAX : now + a->timeout) : 0;
    F.force = a->force;
    F.state = FAILOVER_WAIT_FOR_SYNC;
    F.getack_from = F.getack_to = -1;
    /* Writes wait (as with CLIENT PAUSE WRITE, which CLIENT UNPAUSE does not
     * end) so that the stream stops growing and a replica can catch up. */
    srv.pause_failover = true;
    F.check = true;
    reply_ok(&c->reply);
}

void cmd_failover(client_t *c)
{
    failover_args_t a = {0};
    if (!parse_args(c, &a))
        return;
    if (a.abort) {
        if (F.state == FAILOVER_NONE) {
            reply_error(&c->reply, "ERR No failover in progress.");
            return;
        }
        abort_failover("Failover manually aborted");
        reply_ok(&c->reply);
        return;
    }
    const char *err = refusal(&a);
    if (err != NULL) {
        reply_error(&c->reply, err);
        return;
    }
    start(c, &a);
}

void failover_shutdown(void)
{
    alloc_free(F.host);
    F.host = NULL;
    F.state = FAILOVER_NONE;
}
