/*
 * server: the process-wide state of redis-server (databases, listeners,
 * clients, counters, cron) and its lifecycle: init, run, shutdown. Modules
 * keep their own state in their own structs; this one holds what is truly
 * global. Owned by main; one instance (srv).
 */
#ifndef RH_SERVER_SERVER_H
#define RH_SERVER_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/queue.h"
#include "db/keyspace.h"
#include "net/listen.h"
#include "net/loop.h"
#include "server/client.h"
#include "server/config.h"

#define SERVER_MAX_LISTENERS (CFG_MAX_BIND + 2)
#define SERVER_SLOWLOG_ENTRY_MAX_ARGC 32
#define SERVER_SLOWLOG_ENTRY_MAX_STRING 128

typedef struct slowlog_entry {
    long long id;
    int64_t time;      /* Unix seconds. */
    int64_t duration;  /* Microseconds. */
    int argc;
    str_t **argv;
    str_t *peer;
    str_t *name;
} slowlog_entry_t;

typedef struct latency_sample {
    int32_t time;
    uint32_t latency;  /* ms */
} latency_sample_t;

#define LATENCY_HISTORY 160
#define LATENCY_EVENTS_MAX 32

typedef struct latency_event {
    char name[48];
    latency_sample_t samples[LATENCY_HISTORY];
    int idx;
    int32_t max;
    int used;
} latency_event_t;

/* Error counters for INFO errorstats, keyed by the error code. */
typedef struct error_stat {
    char code[32];
    uint64_t count;
} error_stat_t;

typedef struct server {
    loop_t loop;
    db_t *dbs;
    int ndbs;
    listener_t *listeners[SERVER_MAX_LISTENERS];
    int nlisteners;
    uv_timer_t cron;
    uv_signal_t sigterm, sigint, sighup;

    TAILQ_HEAD(, client) clients;
    TAILQ_HEAD(, client) clients_to_close;
    TAILQ_HEAD(, client) monitors;
    long long nclients;
    uint64_t next_client_id;
    client_t *current_client;

    pid_t pid;
    char run_id[41];
    char replid[41];      /* Replication ID (INFO master_replid). */
    char replid2[41];     /* The previous one, zeros when none. */
    size_t startup_memory; /* Used memory once initialised (INFO used_memory_startup). */
    int64_t start_wall_ms;
    int64_t start_mono_ms;
    char *executable;
    char *config_file;
    int64_t cron_loops;
    bool shutdown_asap;
    /* The dataset is being loaded at start-up (INFO loading, -LOADING). */
    bool loading;
    bool shutdown_after_loading; /* A shutdown was asked for meanwhile. */
    int64_t loading_start;       /* Unix seconds. */
    uint64_t loading_total_bytes, loading_loaded_bytes;
    /* The used-mem aux field of the RDB being loaded (INFO's progress when
     * the total is unknown, as with a streamed snapshot). */
    uint64_t loading_rdb_used_mem;
    bool sockets_inherited; /* Listeners came from socket activation. */
    int shutdown_flags;
    int exit_code;

    /* Client pause (CLIENT PAUSE). */
    int64_t pause_end_ms; /* Monotonic ms; 0 = not paused. */
    bool pause_all;       /* ALL vs WRITE. */
    /* FAILOVER holds writes (as a WRITE pause) until it ends; CLIENT
     * UNPAUSE does not lift it (server/failover.c). */
    bool pause_failover;

    /* Counters for INFO stats. */
    uint64_t stat_connections;
    uint64_t stat_commands;
    uint64_t stat_rejected_conn;
    uint64_t stat_net_in, stat_net_out;         /* Of closed client connections. */
    uint64_t stat_net_repl_in, stat_net_repl_out; /* Of closed replication links. */
    uint64_t stat_evicted_clients;
    uint64_t stat_client_qbuf_limit_disconnections;
    uint64_t stat_client_outbuf_limit_disconnections;
    uint64_t stat_total_error_replies;
    uint64_t stat_unexpected_error_replies;
    uint64_t stat_io_reads, stat_io_writes;
    uint64_t stat_numcommands_at_last_sample;
    int64_t stat_peak_memory;
    int64_t stat_peak_time;
    uint64_t dirty; /* Changes since the last save. */
    int64_t lastsave;
    int64_t stat_fork_time_us; /* Duration of the latest fork. */
    uint64_t stat_total_forks;
    /* Instantaneous metrics (ops/sec etc.). */
    double inst_ops, inst_in_kbps, inst_out_kbps, inst_repl_in_kbps, inst_repl_out_kbps;
    uint64_t inst_last_cmds, inst_last_in, inst_last_out, inst_last_repl_in, inst_last_repl_out;
    int64_t inst_last_ms;

    error_stat_t errors[128];
    int nerrors;

    slowlog_entry_t **slowlog; /* Ring, newest first order by id. */
    long long slowlog_len;
    long long slowlog_next_id;

    latency_event_t latency[LATENCY_EVENTS_MAX];
    int nlatency;
} server_t;

extern server_t srv;

/* Shutdown flags (SHUTDOWN arguments). */
enum shutdown_flag {
    SHUTDOWN_NOFLAGS = 0,
    SHUTDOWN_SAVE = 1 << 0,
    SHUTDOWN_NOSAVE = 1 << 1,
    SHUTDOWN_NOW = 1 << 2,
    SHUTDOWN_FORCE = 1 << 3,
};

int server_init(void) __attribute__((warn_unused_result));
int server_listen(void) __attribute__((warn_unused_result));
/* Adopts an inherited listening socket (socket activation). */
int server_adopt_listener(int fd, bool is_unix, const char *name)
    __attribute__((warn_unused_result));
void server_run(void);
void server_destroy(void);
/* Starts the orderly shutdown; returns 0, or -1 with a reason. */
int server_prepare_shutdown(int flags, str_t **err);
/* Requests the loop to stop after this pass. */
void server_request_shutdown(int flags);

/* Refreshes db_env's cached clocks. */
void server_update_clocks(void);
/* Seconds since start. */
int64_t server_uptime(void);

/* Records an error reply (errorstats). */
void server_count_error(const char *msg, size_t len);
/* Slow log and latency monitor. */
void server_slowlog_push(client_t *c, int argc, const arg_t *argv, int64_t usec);
void server_slowlog_reset(void);
void server_latency_add(const char *event, int64_t ms);
void server_latency_reset_all(void);
int server_latency_reset(const char *event);

/* True when a client pause blocks this command for this client. */
bool server_pause_blocks(const client_t *c, const cmd_t *cmd);
/* Called when the pause ends or a client may continue. */
void server_unpause_clients(void);
/* Runs the commands of paused clients again (those still held by a pause
 * wait again): after a pause other than CLIENT PAUSE ended. Call it at a
 * safe point, never from inside a command. */
void server_resume_paused(void);

/* Feeds MONITOR clients with a command. */
void server_feed_monitors(client_t *c, int dbid, int argc, const arg_t *argv);

/* Memory accounting. */
size_t server_used_memory(void);
/* Applies options changed at run time. */
int server_apply_bind(str_t **err);
void server_apply_hz(void);
/* Network bytes so far: every connection's (in/out, as INFO's totals)
 * and the replication links' part of them (the primary's stream into a
 * replica, the stream and snapshots out to replicas). */
typedef struct net_totals {
    uint64_t in, out, repl_in, repl_out;
} net_totals_t;
void server_net_totals(net_totals_t *t);
void server_apply_maxmemory(void);

#endif
