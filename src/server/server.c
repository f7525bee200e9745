#include <config.h>
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "db/evict.h"
#include "server/blocking.h"
#include "server/commands.h"
#include "server/dispatch.h"
#include "server/multi.h"
#include "server/notify.h"
#include "server/aof.h"
#include "server/persist.h"
#include "server/propagate.h"
#include "server/repl.h"
#include "server/replica.h"
#include "server/pubsub.h"
#include "server/supervise.h"

server_t srv;

/* ======================== clocks and uptime ========================== */

void server_update_clocks(void)
{
    db_env.now_ms = clock_wall_ms();
    db_env.lru_clock = db_lru_clock_now();
}

int64_t server_uptime(void)
{
    return (clock_mono_ms() - srv.start_mono_ms) / 1000;
}

size_t server_used_memory(void)
{
    return alloc_used();
}

/* ============================ accepting ============================== */

static bool is_loopback(const char *peer, conn_kind_t kind)
{
    if (kind == CONN_KIND_UNIX)
        return true;
    return strncmp(peer, "127.", 4) == 0 || strncmp(peer, "::1:", 4) == 0 ||
           strncmp(peer, "::ffff:127.", 11) == 0;
}

static const char protected_msg[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled "
    "and no password is set for the default user. In this mode connections are only "
    "accepted from the loopback interface. If you want to connect from external "
    "computers to Redis you may adopt one of the following solutions: 1) Just disable "
    "protected mode sending the command 'CONFIG SET protected-mode no' from the "
    "loopback interface by connecting to Redis from the same host the server is "
    "running, however MAKE SURE Redis is not publicly accessible from internet if you "
    "do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can "
    "just disable the protected mode by editing the Redis configuration file, and "
    "setting the protected mode option to 'no', and then restarting the server. 3) If "
    "you started the server manually just for testing, restart it with the "
    "'--protected-mode no' option. 4) Set up an authentication password for the "
    "default user. NOTE: You only need to do one of the above things in order for the "
    "server to start accepting connections from the outside.\r\n";

static void reject_cb(conn_t *c)
{
    UNUSED(c);
}

static void reject_error_cb(conn_t *c, int status)
{
    UNUSED(status);
    conn_close(c, false);
}

static const conn_cbs_t reject_cbs = {reject_cb, reject_error_cb, NULL, NULL};

/* Answers a connection we refuse with one error line, then closes it. */
static void refuse(conn_t *conn, const char *msg)
{
    conn->cbs = &reject_cbs;
    conn_write(conn, msg, strlen(msg));
    conn_close(conn, true);
}

static void accept_cb(listener_t *l)
{
    conn_t *conn;
    int r = conn_accept(&srv.loop, &l->h.stream, l->kind, &reject_cbs, NULL, &conn);
    if (r != 0) {
        log_msg(LOG_LEVEL_VERBOSE, "accepting client connection: %s", uv_strerror(r));
        return;
    }
    srv.stat_connections++;
    if (srv.nclients >= cfg.maxclients) {
        srv.stat_rejected_conn++;
        refuse(conn, "-ERR max number of clients reached\r\n");
        return;
    }
    bool no_password = cfg.requirepass == NULL || cfg.requirepass[0] == '\0';
    if (cfg.protected_mode && no_password && !is_loopback(conn->peer, conn->kind)) {
        srv.stat_rejected_conn++;
        refuse(conn, protected_msg);
        return;
    }
    if (cfg.tcp_keepalive > 0)
        conn_set_keepalive(conn, (int)cfg.tcp_keepalive);
    client_t *c = client_new(conn);
    log_msg(LOG_LEVEL_VERBOSE, "accepted %s", conn->peer);
    UNUSED(c);
}

static int open_tcp_listeners(void)
{
    if (cfg.port == 0)
        return 0;
    for (int i = 0; i < cfg.bind_count; i++) {
        const char *addr = cfg.bind[i];
        bool optional = addr[0] == '-';
        if (optional)
            addr++;
        listener_t *l;
        int r = listener_tcp_open(&srv.loop, addr, (int)cfg.port, (int)cfg.tcp_backlog,
                                  accept_cb, NULL, &l);
        if (r != 0) {
            if (optional || r == UV_EADDRNOTAVAIL || r == UV_EAFNOSUPPORT) {
                log_msg(LOG_LEVEL_WARNING, "could not create server TCP listening socket %s:%lld: %s",
                        addr, cfg.port, uv_strerror(r));
                if (optional || r == UV_EAFNOSUPPORT)
                    continue;
            }
            log_msg(LOG_LEVEL_WARNING, "Warning: Could not create server TCP listening socket %s:%lld: %s",
                    addr, cfg.port, uv_strerror(r));
            return -1;
        }
        srv.listeners[srv.nlisteners++] = l;
    }
    return 0;
}

int server_adopt_listener(int fd, bool is_unix, const char *name)
{
    if (srv.nlisteners >= SERVER_MAX_LISTENERS)
        return UV_EMFILE;
    listener_t *l;
    int r = listener_fd_open(&srv.loop, fd, is_unix ? CONN_KIND_UNIX : CONN_KIND_TCP, name,
                             accept_cb, NULL, &l);
    if (r != 0)
        return r;
    srv.listeners[srv.nlisteners++] = l;
    srv.sockets_inherited = true;
    return 0;
}

int server_listen(void)
{
    int adopted = supervise_adopt_sockets();
    if (adopted < 0)
        return -1;
    if (adopted > 0)
        return 0;
    if (open_tcp_listeners() != 0)
        return -1;
    if (cfg.unixsocket != NULL && cfg.unixsocket[0] != '\0') {
        listener_t *l;
        int r = listener_unix_open(&srv.loop, cfg.unixsocket, (unsigned)cfg.unixsocketperm,
                                   (int)cfg.tcp_backlog, accept_cb, NULL, &l);
        if (r != 0) {
            log_msg(LOG_LEVEL_WARNING, "Failed opening Unix socket: %s", uv_strerror(r));
            return -1;
        }
        srv.listeners[srv.nlisteners++] = l;
        log_msg(LOG_LEVEL_NOTICE, "The server is now ready to accept connections at %s",
                cfg.unixsocket);
    }
    if (srv.nlisteners == 0) {
        log_msg(LOG_LEVEL_WARNING, "Configured to not listen anywhere, exiting.");
        return -1;
    }
    return 0;
}

int server_apply_bind(str_t **err)
{
    if (srv.sockets_inherited) {
        *err = str_new_cstr("the listeners come from socket activation; change the socket "
                            "unit instead");
        return -1;
    }
    for (int i = 0; i < srv.nlisteners; i++) {
        if (srv.listeners[i]->kind == CONN_KIND_TCP) {
            listener_close(srv.listeners[i]);
            srv.listeners[i] = srv.listeners[--srv.nlisteners];
            i--;
        }
    }
    if (open_tcp_listeners() != 0) {
        *err = str_new_cstr("Failed to bind to specified addresses.");
        return -1;
    }
    return 0;
}

/* ============================ safe points ============================ */

static void before_flush(void *arg)
{
    UNUSED(arg);
    blocking_resume_clients();
    repl_before_flush();
    /* Written (and fsynced when appendfsync is always) before the replies
     * that acknowledge the writes are flushed. */
    aof_flush(false);
    client_free_pending();
}

static void after_flush(void *arg)
{
    UNUSED(arg);
    client_free_pending();
    if (srv.shutdown_asap) {
        str_t *err = NULL;
        if (server_prepare_shutdown(srv.shutdown_flags, &err) == 0) {
            loop_stop(&srv.loop);
        } else {
            log_msg(LOG_LEVEL_WARNING, "SIGTERM received but errors trying to shut down "
                                       "the server, check the logs for more information");
            str_free(err);
            srv.shutdown_asap = false;
        }
    }
}

/* ============================== cron ================================= */

static void close_timed_out_clients(int64_t now)
{
    if (cfg.timeout <= 0)
        return;
    client_t *c;
    TAILQ_FOREACH(c, &srv.clients, link)
    {
        if (c->flags & (CLIENT_REPLICA | CLIENT_MASTER | CLIENT_BLOCKED | CLIENT_PUBSUB))
            continue;
        if (c->on_close_list)
            continue;
        if (now - c->last_interaction > cfg.timeout * 1000) {
            log_msg(LOG_LEVEL_VERBOSE, "Closing idle client");
            client_free_async(c);
        }
    }
}

static void check_obuf_soft_limits(void)
{
    client_t *c, *tmp;
    for (c = TAILQ_FIRST(&srv.clients); c != NULL; c = tmp) {
        tmp = TAILQ_NEXT(c, link);
        client_check_obuf_limits(c);
    }
}

void server_net_totals(net_totals_t *t)
{
    t->repl_in = srv.stat_net_repl_in;
    t->repl_out = srv.stat_net_repl_out;
    t->in = srv.stat_net_in + t->repl_in;
    t->out = srv.stat_net_out + t->repl_out;
    const client_t *c;
    TAILQ_FOREACH(c, &srv.clients, link)
    {
        if (c->conn == NULL)
            continue;
        t->in += c->conn->bytes_in;
        t->out += c->conn->bytes_out;
        if (c->flags & CLIENT_MASTER)
            t->repl_in += c->conn->bytes_in;
        if (c->flags & CLIENT_REPLICA)
            t->repl_out += c->conn->bytes_out;
    }
}

/* A smoothed rate in KB/s from a counter's growth over secs. */
static double kbps_sample(double prev, uint64_t now_total, uint64_t last_total, double secs)
{
    double rate = now_total >= last_total ? (double)(now_total - last_total) / 1024.0 / secs : 0;
    return prev * 0.5 + rate * 0.5;
}

static void sample_instantaneous(int64_t now)
{
    int64_t dt = now - srv.inst_last_ms;
    if (dt < 100)
        return;
    net_totals_t n;
    server_net_totals(&n);
    double secs = (double)dt / 1000.0;
    double ops = (double)(srv.stat_commands - srv.inst_last_cmds) / secs;
    srv.inst_ops = srv.inst_ops * 0.5 + ops * 0.5;
    srv.inst_in_kbps = kbps_sample(srv.inst_in_kbps, n.in - n.repl_in, srv.inst_last_in, secs);
    srv.inst_out_kbps = kbps_sample(srv.inst_out_kbps, n.out - n.repl_out, srv.inst_last_out, secs);
    srv.inst_repl_in_kbps = kbps_sample(srv.inst_repl_in_kbps, n.repl_in, srv.inst_last_repl_in, secs);
    srv.inst_repl_out_kbps =
        kbps_sample(srv.inst_repl_out_kbps, n.repl_out, srv.inst_last_repl_out, secs);
    srv.inst_last_cmds = srv.stat_commands;
    srv.inst_last_in = n.in - n.repl_in;
    srv.inst_last_out = n.out - n.repl_out;
    srv.inst_last_repl_in = n.repl_in;
    srv.inst_last_repl_out = n.repl_out;
    srv.inst_last_ms = now;
}

static void cron_cb(uv_timer_t *t)
{
    UNUSED(t);
    /* While loading, the loop only serves clients (who get -LOADING for
     * most commands); the periodic work waits for the dataset. */
    if (srv.loading)
        return;
    srv.cron_loops++;
    server_update_clocks();
    int64_t now = clock_mono_ms();
    size_t used = server_used_memory();
    if ((int64_t)used > srv.stat_peak_memory) {
        srv.stat_peak_memory = (int64_t)used;
        srv.stat_peak_time = clock_wall_ms() / 1000;
    }
    /* Keys expiring while FAILOVER holds writes would move the offset the
     * target replica must reach; they are deleted once it ends. */
    if (cfg.active_expire_enabled && !srv.pause_failover)
        db_active_expire(srv.dbs, srv.ndbs, 25000 / (cfg.hz > 0 ? cfg.hz : 10));
    db_cron_tables(srv.dbs, srv.ndbs);
    close_timed_out_clients(now);
    check_obuf_soft_limits();
    sample_instantaneous(now);
    if (srv.pause_end_ms != 0 && now >= srv.pause_end_ms)
        server_unpause_clients();
    if (cfg.maxmemory > 0)
        server_apply_maxmemory();
    persist_cron();
    aof_cron();
    repl_cron();
    replica_cron();
}

void server_apply_hz(void)
{
    long long hz = cfg.hz < 1 ? 1 : (cfg.hz > 500 ? 500 : cfg.hz);
    uint64_t period = (uint64_t)(1000 / hz);
    if (uv_is_active((uv_handle_t *)&srv.cron))
        uv_timer_set_repeat(&srv.cron, period);
}

void server_apply_maxmemory(void)
{
    if (cfg.maxmemory <= 0)
        return;
    db_env.lfu = cfg.maxmemory_policy == MAXMEMORY_ALLKEYS_LFU ||
                 cfg.maxmemory_policy == MAXMEMORY_VOLATILE_LFU;
    /* replica-ignore-maxmemory: a replica holds what its primary holds. */
    if (replica_active() && cfg.replica_ignore_maxmemory)
        return;
    evict_perform(srv.dbs, srv.ndbs, (size_t)cfg.maxmemory, cfg.maxmemory_policy,
                  (int)cfg.maxmemory_samples);
}

/* ============================== signals ============================== */

static void signal_cb(uv_signal_t *h, int signum)
{
    UNUSED(h);
    if (signum == SIGHUP) {
        log_reopen();
        return;
    }
    if (srv.shutdown_asap && signum == SIGINT) {
        log_msg(LOG_LEVEL_WARNING, "You insist... exiting now.");
        exit(1);
    }
    log_msg(LOG_LEVEL_WARNING, "Received %s scheduling shutdown...",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    server_request_shutdown(SHUTDOWN_NOFLAGS);
}

void server_request_shutdown(int flags)
{
    srv.shutdown_asap = true;
    srv.shutdown_flags = flags;
    /* Wake the loop so the prepare hook runs promptly. */
    uv_timer_again(&srv.cron);
}

int server_prepare_shutdown(int flags, str_t **err)
{
    log_msg(LOG_LEVEL_WARNING, "User requested shutdown...");
    if (srv.loading) {
        /* Never save a half-loaded dataset over the file it comes from:
         * stop loading, then exit. */
        srv.shutdown_after_loading = true;
    } else {
        bool force = (flags & SHUTDOWN_FORCE) != 0;
        int aof_rc = aof_shutdown(force);
        int rdb_rc = persist_shutdown((flags & SHUTDOWN_SAVE) != 0, (flags & SHUTDOWN_NOSAVE) != 0);
        if ((aof_rc != 0 || rdb_rc != 0) && !force) {
            *err = str_new_cstr("Errors trying to SHUTDOWN. Check logs.");
            return -1;
        }
    }
    supervise_stopping();
    if (cfg.pidfile != NULL && cfg.pidfile[0] != '\0')
        unlink(cfg.pidfile);
    log_msg(LOG_LEVEL_WARNING, "Redis is now ready to exit, bye bye...");
    return 0;
}

/* ============================== init ================================= */

static void make_run_id(void)
{
    unsigned char raw[20];
    int fd = open("/dev/urandom", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof(raw)) {
        for (size_t i = 0; i < sizeof(raw); i++)
            raw[i] = (unsigned char)(random() & 0xff);
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(raw); i++) {
        srv.run_id[i * 2] = hex[raw[i] >> 4];
        srv.run_id[i * 2 + 1] = hex[raw[i] & 15];
    }
    srv.run_id[40] = '\0';
    for (size_t i = 0; i < 40; i++)
        srv.replid[i] = hex[random() & 15];
    srv.replid[40] = '\0';
    memset(srv.replid2, '0', 40);
    srv.replid2[40] = '\0';
    uint8_t seed[16];
    memcpy(seed, raw, sizeof(seed));
    dict_set_hash_seed(seed);
}

int server_init(void)
{
    srv.pid = getpid();
    srv.start_wall_ms = clock_wall_ms();
    srv.start_mono_ms = clock_mono_ms();
    srv.inst_last_ms = srv.start_mono_ms;
    srv.lastsave = srv.start_wall_ms / 1000;
    srand((unsigned)(srv.start_wall_ms ^ srv.pid));
    srandom((unsigned)(srv.start_wall_ms ^ srv.pid));
    make_run_id();
    TAILQ_INIT(&srv.clients);
    TAILQ_INIT(&srv.clients_to_close);
    TAILQ_INIT(&srv.monitors);
    server_update_clocks();
    commands_init();
    srv.ndbs = (int)cfg.databases;
    srv.dbs = db_array_new(srv.ndbs);
    notify_init();
    propagate_init();
    repl_init();
    multi_init();
    db_env.lfu_log_factor = (int)cfg.lfu_log_factor;
    db_env.lfu_decay_time = (int)cfg.lfu_decay_time;
    db_env.lfu = cfg.maxmemory_policy == MAXMEMORY_ALLKEYS_LFU ||
                 cfg.maxmemory_policy == MAXMEMORY_VOLATILE_LFU;
    signal(SIGPIPE, SIG_IGN);
    if (loop_init(&srv.loop) != 0)
        return -1;
    loop_set_before_flush(&srv.loop, before_flush, NULL);
    loop_set_after_flush(&srv.loop, after_flush, NULL);
    blocking_init();
    uv_timer_init(srv.loop.uv, &srv.cron);
    long long hz = cfg.hz < 1 ? 1 : (cfg.hz > 500 ? 500 : cfg.hz);
    uv_timer_start(&srv.cron, cron_cb, (uint64_t)(1000 / hz), (uint64_t)(1000 / hz));
    uv_signal_init(srv.loop.uv, &srv.sigterm);
    uv_signal_init(srv.loop.uv, &srv.sigint);
    uv_signal_init(srv.loop.uv, &srv.sighup);
    uv_signal_start(&srv.sigterm, signal_cb, SIGTERM);
    uv_signal_start(&srv.sigint, signal_cb, SIGINT);
    uv_signal_start(&srv.sighup, signal_cb, SIGHUP);
    srv.startup_memory = server_used_memory();
    return 0;
}

void server_run(void)
{
    loop_run(&srv.loop);
}

void server_destroy(void)
{
    client_t *c;
    while ((c = TAILQ_FIRST(&srv.clients)) != NULL) {
        c->flags &= ~CLIENT_PROTECTED;
        client_free(c);
    }
    pubsub_destroy();
    multi_destroy();
    blocking_shutdown();
    replica_shutdown();
    repl_shutdown();
    for (int i = 0; i < srv.nlisteners; i++)
        listener_close(srv.listeners[i]);
    srv.nlisteners = 0;
    loop_destroy(&srv.loop);
    db_array_free(srv.dbs, srv.ndbs);
    srv.dbs = NULL;
    server_slowlog_reset();
    alloc_free(srv.slowlog);
    srv.slowlog = NULL;
    config_free();
}

/* ============================ error stats ============================ */

void server_count_error(const char *msg, size_t len)
{
    srv.stat_total_error_replies++;
    size_t n = 0;
    while (n < len && msg[n] != ' ' && n < 31)
        n++;
    for (int i = 0; i < srv.nerrors; i++) {
        if (strlen(srv.errors[i].code) == n && memcmp(srv.errors[i].code, msg, n) == 0) {
            srv.errors[i].count++;
            return;
        }
    }
    if (srv.nerrors >= (int)ARRAY_LEN(srv.errors))
        return;
    memcpy(srv.errors[srv.nerrors].code, msg, n);
    srv.errors[srv.nerrors].code[n] = '\0';
    srv.errors[srv.nerrors].count = 1;
    srv.nerrors++;
}

/* ============================ slow log =============================== */

static void slowlog_entry_free(slowlog_entry_t *e)
{
    for (int i = 0; i < e->argc; i++)
        str_free(e->argv[i]);
    alloc_free(e->argv);
    str_free(e->peer);
    str_free(e->name);
    alloc_free(e);
}

void server_slowlog_push(client_t *c, int argc, const arg_t *argv, int64_t usec)
{
    if (cfg.slowlog_log_slower_than < 0 || usec < cfg.slowlog_log_slower_than)
        return;
    if (cfg.slowlog_max_len <= 0)
        return;
    slowlog_entry_t *e = alloc_calloc(sizeof(*e));
    int n = argc > SERVER_SLOWLOG_ENTRY_MAX_ARGC ? SERVER_SLOWLOG_ENTRY_MAX_ARGC : argc;
    e->argc = n;
    e->argv = alloc_malloc(sizeof(str_t *) * (size_t)n);
    for (int i = 0; i < n; i++) {
        if (n != argc && i == n - 1) {
            e->argv[i] = str_fmt("... (%d more arguments)", argc - n + 1);
        } else if (argv[i].n > SERVER_SLOWLOG_ENTRY_MAX_STRING) {
            e->argv[i] = str_new(argv[i].p, SERVER_SLOWLOG_ENTRY_MAX_STRING);
            e->argv[i] = str_catfmt(e->argv[i], "... (%zu more bytes)",
                                    argv[i].n - SERVER_SLOWLOG_ENTRY_MAX_STRING);
        } else {
            e->argv[i] = str_new(argv[i].p, argv[i].n);
        }
    }
    e->id = srv.slowlog_next_id++;
    e->time = clock_wall_ms() / 1000;
    e->duration = usec;
    e->peer = str_new_cstr(client_peer(c));
    e->name = str_new_cstr(c->name ? c->name->buf : "");
    /* srv.slowlog holds newest first. */
    srv.slowlog = alloc_realloc(srv.slowlog, sizeof(*srv.slowlog) * (size_t)(srv.slowlog_len + 1));
    memmove(srv.slowlog + 1, srv.slowlog, sizeof(*srv.slowlog) * (size_t)srv.slowlog_len);
    srv.slowlog[0] = e;
    srv.slowlog_len++;
    while (srv.slowlog_len > cfg.slowlog_max_len)
        slowlog_entry_free(srv.slowlog[--srv.slowlog_len]);
}

void server_slowlog_reset(void)
{
    for (long long i = 0; i < srv.slowlog_len; i++)
        slowlog_entry_free(srv.slowlog[i]);
    srv.slowlog_len = 0;
}

/* ========================== latency monitor ========================== */

void server_latency_add(const char *event, int64_t ms)
{
    latency_event_t *ev = NULL;
    for (int i = 0; i < srv.nlatency; i++)
        if (strcmp(srv.latency[i].name, event) == 0)
            ev = &srv.latency[i];
    if (ev == NULL) {
        if (srv.nlatency >= LATENCY_EVENTS_MAX)
            return;
        ev = &srv.latency[srv.nlatency++];
        memset(ev, 0, sizeof(*ev));
        snprintf(ev->name, sizeof(ev->name), "%s", event);
    }
    int32_t now = (int32_t)(clock_wall_ms() / 1000);
    int prev = (ev->idx + LATENCY_HISTORY - 1) % LATENCY_HISTORY;
    if (ev->used > 0 && ev->samples[prev].time == now) {
        if ((uint32_t)ms > ev->samples[prev].latency)
            ev->samples[prev].latency = (uint32_t)ms;
    } else {
        ev->samples[ev->idx].time = now;
        ev->samples[ev->idx].latency = (uint32_t)ms;
        ev->idx = (ev->idx + 1) % LATENCY_HISTORY;
        if (ev->used < LATENCY_HISTORY)
            ev->used++;
    }
    if (ms > ev->max)
        ev->max = (int32_t)ms;
}

int server_latency_reset(const char *event)
{
    for (int i = 0; i < srv.nlatency; i++) {
        if (strcasecmp(srv.latency[i].name, event) == 0) {
            srv.latency[i] = srv.latency[--srv.nlatency];
            return 1;
        }
    }
    return 0;
}

void server_latency_reset_all(void)
{
    srv.nlatency = 0;
}

/* ============================== pause ================================ */

bool server_pause_blocks(const client_t *c, const cmd_t *cmd)
{
    bool client_pause = srv.pause_end_ms != 0;
    if ((!client_pause && !srv.pause_failover) || (c->flags & (CLIENT_REPLICA | CLIENT_MASTER)))
        return false;
    if (client_pause && srv.pause_all)
        return true;
    /* WRITE pauses block writes and commands that may replicate. */
    return (cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) != 0;
}

void server_unpause_clients(void)
{
    srv.pause_end_ms = 0;
    server_resume_paused();
}

void server_resume_paused(void)
{
    client_t *c, *tmp;
    for (c = TAILQ_FIRST(&srv.clients); c != NULL; c = tmp) {
        tmp = TAILQ_NEXT(c, link);
        if (c->flags & CLIENT_PAUSED) {
            c->flags &= ~CLIENT_PAUSED;
            client_process_input(c);
        }
    }
}

/* ============================= monitor =============================== */

void server_feed_monitors(client_t *c, int dbid, int argc, const arg_t *argv)
{
    int64_t us = clock_wall_us();
    str_t *line = str_fmt("+%lld.%06lld [%d %s]", (long long)(us / 1000000),
                          (long long)(us % 1000000), dbid,
                          (c->flags & CLIENT_UNIX) ? "unix:" : client_peer(c));
    if (c->flags & CLIENT_UNIX)
        line = str_cat_cstr(line, c->conn ? c->conn->local : "");
    for (int i = 0; i < argc; i++) {
        line = str_cat_cstr(line, " \"");
        for (size_t j = 0; j < argv[i].n; j++) {
            unsigned char ch = (unsigned char)argv[i].p[j];
            switch (ch) {
            case '\\': line = str_cat_cstr(line, "\\\\"); break;
            case '"': line = str_cat_cstr(line, "\\\""); break;
            case '\n': line = str_cat_cstr(line, "\\n"); break;
            case '\r': line = str_cat_cstr(line, "\\r"); break;
            case '\t': line = str_cat_cstr(line, "\\t"); break;
            case '\a': line = str_cat_cstr(line, "\\a"); break;
            case '\b': line = str_cat_cstr(line, "\\b"); break;
            default:
                if (ch < 32 || ch > 126)
                    line = str_catfmt(line, "\\x%02x", ch);
                else
                    line = str_cat(line, &ch, 1);
            }
        }
        line = str_cat_cstr(line, "\"");
    }
    line = str_cat_cstr(line, "\r\n");
    client_t *m;
    TAILQ_FOREACH(m, &srv.monitors, monitor_link)
    {
        /* A monitor that is closing gets no more feed, as in Redis (not
         * even its own QUIT): its output must be able to drain. */
        if (m->conn != NULL && !m->on_close_list &&
            !(m->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)))
            conn_write(m->conn, line->buf, line->len);
    }
    str_free(line);
}
