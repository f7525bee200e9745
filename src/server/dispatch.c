#include <config.h>
#include "server/dispatch.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "server/aof.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/multi.h"
#include "server/persist.h"
#include "server/propagate.h"
#include "server/repl.h"
#include "server/replica.h"
#include "server/server.h"

void reply_wrong_arity(client_t *c)
{
    char name[128];
    const cmd_t *cmd = c->cmd;
    snprintf(name, sizeof(name), "%s", cmd->fullname);
    reply_errorf(&c->reply, "ERR wrong number of arguments for '%s' command", name);
}

void reply_syntax_error(client_t *c)
{
    reply_error(&c->reply, "ERR syntax error");
}

void reply_wrongtype(client_t *c)
{
    reply_error(&c->reply,
                "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void reply_not_integer(client_t *c)
{
    reply_error(&c->reply, "ERR value is not an integer or out of range");
}

void reply_not_float(client_t *c)
{
    reply_error(&c->reply, "ERR value is not a valid float");
}

/* Builds the "unknown command" text with Redis's argument preview. */
static void reply_unknown(client_t *c, bool sub)
{
    char args[256];
    size_t off = 0;
    args[0] = '\0';
    for (int i = sub ? 2 : 1; i < c->argc && off < 128; i++) {
        int n = snprintf(args + off, sizeof(args) - off, "'%.*s' ",
                         (int)(c->argv[i].n > 128 ? 128 : c->argv[i].n), c->argv[i].p);
        if (n < 0 || (size_t)n >= sizeof(args) - off)
            break;
        off += (size_t)n;
    }
    int n0 = (int)(c->argv[0].n > 128 ? 128 : c->argv[0].n);
    if (sub) {
        /* Redis names the container in upper case ("Try CONFIG HELP."). */
        char upper[129];
        for (int i = 0; i < n0; i++)
            upper[i] = (char)toupper((unsigned char)c->argv[0].p[i]);
        upper[n0] = '\0';
        int n1 = (int)(c->argv[1].n > 128 ? 128 : c->argv[1].n);
        reply_errorf(&c->reply, "ERR unknown subcommand '%.*s'. Try %s HELP.", n1,
                     c->argv[1].p, upper);
        return;
    }
    reply_errorf(&c->reply, "ERR unknown command '%.*s', with args beginning with: %s",
                 n0, c->argv[0].p, args);
}

static bool arity_ok(const cmd_t *cmd, int argc)
{
    return (cmd->arity > 0 && argc == cmd->arity) ||
           (cmd->arity < 0 && argc >= -cmd->arity);
}

/* Looks up argv[0] (and argv[1] for containers). Replies and returns NULL
 * when the command does not exist. */
static cmd_t *lookup(client_t *c)
{
    cmd_t *cmd = commands_lookup(c->argv[0].p, c->argv[0].n);
    if (cmd == NULL) {
        reply_unknown(c, false);
        return NULL;
    }
    if (cmd->subs == NULL)
        return cmd;
    /* A container with a handler of its own (COMMAND) runs it when called
     * without a subcommand; the arity gate judges the rest. */
    if (c->argc < 2 && cmd->proc != NULL)
        return cmd;
    if (c->argc < 2) {
        c->cmd = cmd;
        cmd->rejected_calls++;
        reply_wrong_arity(c);
        return NULL;
    }
    cmd_t *sub = commands_lookup_sub(cmd, c->argv[1].p, c->argv[1].n);
    if (sub == NULL) {
        reply_unknown(c, true);
        return NULL;
    }
    return sub;
}

static bool auth_required(const client_t *c)
{
    return !c->authenticated && cfg.requirepass != NULL && cfg.requirepass[0] != '\0';
}

static bool over_maxmemory(void)
{
    if (cfg.maxmemory <= 0)
        return false;
    return server_used_memory() > (size_t)cfg.maxmemory;
}

/* Counts a refused command. Inside MULTI a refusal also dooms the
 * transaction: its EXEC answers EXECABORT. */
static void rejected(client_t *c, cmd_t *cmd)
{
    if (cmd != NULL)
        cmd->rejected_calls++;
    multi_flag_error(c);
}

/*
 * The memory gate: evicts first, then refuses commands that may grow memory.
 * Inside MULTI every queued command counts as such, since the queue itself
 * grows; EXEC counts as such when a queued command does, and is refused by
 * aborting the transaction. Returns false after replying.
 */
static bool memory_gate(client_t *c, cmd_t *cmd)
{
    static const char oom[] = "OOM command not allowed when used memory > 'maxmemory'.";
    server_apply_maxmemory();
    bool in_multi = (c->flags & CLIENT_MULTI) != 0;
    bool is_exec = in_multi && multi_is_exec(cmd);
    uint64_t flags = cmd->flags | (is_exec ? multi_queued_flags(c) : 0);
    bool denyoom = (flags & CMD_DENYOOM) || (in_multi && !(cmd->flags & CMD_TX_CONTROL));
    if (!denyoom || !over_maxmemory())
        return true;
    cmd->rejected_calls++;
    if (is_exec) {
        multi_abort_exec(c, oom);
        return false;
    }
    multi_flag_error(c);
    reply_error(&c->reply, oom);
    return false;
}

/* RESP2 clients with subscriptions may only (un)subscribe, ping, quit and
 * reset; RESP3 clients get messages as pushes and may run anything. */
static bool subscriber_refused(const client_t *c, const cmd_t *cmd)
{
    return (c->flags & CLIENT_PUBSUB) && c->resp == 2 && !(cmd->flags & CMD_SUBSCRIBER_OK);
}

int dispatch_command(client_t *c)
{
    c->cmd_error = NULL;
    /* Gate 1: the command exists. */
    cmd_t *cmd = lookup(c);
    /* CLIENT LIST shows this one (NULL when unknown) until the next
     * command, even while EXEC runs the queued ones. */
    c->lastcmd = cmd;
    if (cmd == NULL) {
        rejected(c, NULL);
        return DISPATCH_DONE;
    }
    c->cmd = cmd;
    /* Gate 2: arity. */
    if (!arity_ok(cmd, c->argc)) {
        rejected(c, cmd);
        reply_wrong_arity(c);
        return DISPATCH_DONE;
    }
    /* Gate 3: authentication. */
    if (auth_required(c) && !(cmd->flags & CMD_NO_AUTH)) {
        rejected(c, cmd);
        reply_error(&c->reply, "NOAUTH Authentication required.");
        return DISPATCH_DONE;
    }
    /* Gate 3b: the dataset is still loading. */
    if (srv.loading && !(cmd->flags & CMD_LOADING)) {
        rejected(c, cmd);
        reply_error(&c->reply, "LOADING Redis is loading the dataset in memory");
        return DISPATCH_DONE;
    }
    /* Gate 4: commands that never run inside a transaction. */
    if ((c->flags & CLIENT_MULTI) && (cmd->flags & CMD_NO_MULTI)) {
        rejected(c, cmd);
        reply_error(&c->reply, "ERR Command not allowed inside a transaction");
        return DISPATCH_DONE;
    }
    /* The primary's stream is applied as it comes: the gates below (memory,
     * disk errors, min-replicas, read-only replica) judge clients only. */
    bool obey = (c->flags & CLIENT_MASTER) != 0;
    uint64_t flags = cmd->flags | (multi_is_exec(cmd) ? multi_queued_flags(c) : 0);
    /* Gate 4b: a replica whose link is down (replica-serve-stale-data no)
     * or that is read-only. */
    const char *refusal = replica_active() ? replica_refusal(c, cmd, flags) : NULL;
    if (refusal != NULL) {
        rejected(c, cmd);
        reply_error(&c->reply, refusal);
        return DISPATCH_DONE;
    }
    /* Gate 5: memory. */
    if (cfg.maxmemory > 0 && !obey && !memory_gate(c, cmd))
        return DISPATCH_DONE;
    /* Gate 5b: the last background save failed (stop-writes-on-bgsave-error)
     * or the AOF cannot be written: writes, and PING as Redis does, are
     * refused. */
    const char *disk_error = persist_writes_refused() ? persist_misconf_error : aof_write_error();
    if (disk_error != NULL && !obey &&
        ((flags & CMD_WRITE) || strcmp(cmd->fullname, "ping") == 0)) {
        rejected(c, cmd);
        reply_error(&c->reply, disk_error);
        return DISPATCH_DONE;
    }
    /* Gate 5c: min-replicas-to-write: not enough good replicas. */
    if ((flags & CMD_WRITE) && !obey && repl_writes_refused()) {
        rejected(c, cmd);
        reply_error(&c->reply, repl_noreplicas_error);
        return DISPATCH_DONE;
    }
    /* Gate 6: RESP2 subscriber context (pub/sub). */
    if (subscriber_refused(c, cmd)) {
        rejected(c, cmd);
        reply_errorf(&c->reply,
                     "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                     "PING / QUIT / RESET are allowed in this context",
                     cmd->fullname);
        return DISPATCH_DONE;
    }
    /* Gate 7: client pause. */
    if (server_pause_blocks(c, cmd))
        return DISPATCH_DEFER;
    /* Gate 8: inside MULTI, commands are queued for EXEC. */
    if ((c->flags & CLIENT_MULTI) && !(cmd->flags & CMD_TX_CONTROL)) {
        multi_queue(c);
        reply_status(&c->reply, "QUEUED");
        return DISPATCH_DONE;
    }
    dispatch_call(c);
    /* Clients waiting on keys this command (or the transaction) added are
     * served now, before anything else runs. */
    blocking_serve_ready();
    return (c->flags & CLIENT_BLOCKED) ? DISPATCH_DEFER : DISPATCH_DONE;
}

/* Error replies counted by calls nested in the running one (the commands
 * EXEC runs), so that EXEC itself fails only for its own errors. */
static uint64_t nested_errors;
/* Calls in progress: more than one while EXEC runs its queue. */
static int call_depth;

void dispatch_call(client_t *c)
{
    cmd_t *cmd = c->cmd;
    uint64_t errors_before = srv.stat_total_error_replies;
    uint64_t nested_before = nested_errors;
    uint64_t dirty_before = srv.dirty;
    int dbid = c->db->id;
    /* A transaction sees one clock: keys cannot expire halfway through. */
    long long off_before = repl_master_offset();
    if (call_depth++ == 0) {
        server_update_clocks();
        propagate_unit_begin();
    }
    client_t *outer = srv.current_client;
    srv.current_client = c;
    /* The primary's commands see keys its clock has not expired yet: it
     * sends the DEL when they do. */
    bool no_expire = db_env.no_expire;
    if (c->flags & CLIENT_MASTER)
        db_env.no_expire = true;
    propagate_call_t pc;
    propagate_call_begin(&pc);
    int64_t start = clock_mono_us();
    cmd->proc(c);
    int64_t dur = clock_mono_us() - start;
    db_env.no_expire = no_expire;
    propagate_call_end(&pc, c, srv.dirty - dirty_before);
    srv.current_client = outer;
    if (--call_depth == 0) {
        propagate_unit_end();
        /* WAIT waits for the replicas to have what this client wrote. */
        if (repl_master_offset() != off_before)
            c->woff = repl_master_offset();
    }
    uint64_t errors = srv.stat_total_error_replies - errors_before;
    if (errors > nested_errors - nested_before)
        cmd->failed_calls++;
    nested_errors = nested_before + errors;
    commands_record(cmd, (uint64_t)dur);
    srv.stat_commands++;
    c->commands_processed++;
    if (!(cmd->flags & CMD_SKIP_SLOWLOG))
        server_slowlog_push(c, c->argc, c->argv, dur);
    if (!(cmd->flags & (CMD_SKIP_MONITOR | CMD_ADMIN)) && !TAILQ_EMPTY(&srv.monitors))
        server_feed_monitors(c, dbid, c->argc, c->argv);
    if (cfg.latency_monitor_threshold > 0 && dur / 1000 >= cfg.latency_monitor_threshold)
        server_latency_add((cmd->flags & CMD_FAST) ? "fast-command" : "command", dur / 1000);
}

void dispatch_rerun(client_t *c)
{
    cmd_t *cmd = c->cmd;
    REQUIRE(cmd != NULL && cmd->proc != NULL);
    uint64_t dirty_before = srv.dirty;
    long long off_before = repl_master_offset();
    if (call_depth++ == 0) {
        server_update_clocks();
        propagate_unit_begin();
    }
    client_t *outer = srv.current_client;
    srv.current_client = c;
    propagate_call_t pc;
    propagate_call_begin(&pc);
    /* Only the time is added: the call was counted when it blocked, as
     * Redis counts it. */
    int64_t start = clock_mono_us();
    cmd->proc(c);
    cmd->usec += (uint64_t)(clock_mono_us() - start);
    propagate_call_end(&pc, c, srv.dirty - dirty_before);
    srv.current_client = outer;
    if (--call_depth == 0) {
        propagate_unit_end();
        /* WAIT waits for the replicas to have what this client wrote. */
        if (repl_master_offset() != off_before)
            c->woff = repl_master_offset();
    }
}

int dispatch_replay(client_t *c)
{
    REQUIRE(c->flags & CLIENT_FAKE);
    cmd_t *cmd = lookup(c);
    int rc = 0;
    if (cmd == NULL || !arity_ok(cmd, c->argc)) {
        rc = -1;
    } else {
        c->cmd = cmd;
        if ((c->flags & CLIENT_MULTI) && !(cmd->flags & CMD_TX_CONTROL))
            multi_queue(c);
        else
            dispatch_call(c);
    }
    /* Nobody reads the replies. */
    buf_chain_consume(&c->fake_out, c->fake_out.bytes);
    return rc;
}
