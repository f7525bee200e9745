/*
 * config: the server's options as one table (name, type, bounds, default,
 * storage field, apply callback) and the values they control (cfg). Loads
 * redis.conf syntax with includes and --name value overrides, and serves
 * CONFIG GET/SET/REWRITE. Values live in the global cfg; strings in it are
 * owned by this module.
 */
#ifndef RH_SERVER_CONFIG_H
#define RH_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

#define CFG_MAX_BIND 16

/* Output buffer limit classes (client-output-buffer-limit). */
enum client_class {
    CLIENT_CLASS_NORMAL = 0,
    CLIENT_CLASS_REPLICA = 1,
    CLIENT_CLASS_PUBSUB = 2,
    CLIENT_CLASS_COUNT = 3,
};

typedef struct obuf_limit {
    long long hard_bytes;
    long long soft_bytes;
    long long soft_seconds;
} obuf_limit_t;

typedef struct save_point {
    long long seconds;
    long long changes;
} save_point_t;

enum maxmemory_policy {
    MAXMEMORY_NOEVICTION = 0,
    MAXMEMORY_ALLKEYS_LRU,
    MAXMEMORY_ALLKEYS_LFU,
    MAXMEMORY_ALLKEYS_RANDOM,
    MAXMEMORY_VOLATILE_LRU,
    MAXMEMORY_VOLATILE_LFU,
    MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_VOLATILE_TTL,
};

enum debug_cmd_mode {
    DEBUG_CMD_NO = 0,
    DEBUG_CMD_YES,
    DEBUG_CMD_LOCAL,
};

enum supervised_mode {
    SUPERVISED_NO = 0,
    SUPERVISED_SYSTEMD,
    SUPERVISED_AUTO,
    SUPERVISED_UPSTART,
};

typedef struct server_config {
    /* Network. */
    char *bind[CFG_MAX_BIND];
    int bind_count;
    long long port;
    long long tcp_backlog;
    char *unixsocket;
    long long unixsocketperm;
    bool protected_mode;
    long long timeout;
    long long tcp_keepalive;
    long long maxclients;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    obuf_limit_t obuf_limits[CLIENT_CLASS_COUNT];

    /* General. */
    bool daemonize;
    int supervised;
    char *pidfile;
    int loglevel;
    char *logfile;
    long long databases;
    long long hz;
    bool dynamic_hz;
    char *dir;
    char *requirepass; /* NULL or "" = no password. */
    int enable_debug_command;
    int enable_protected_configs; /* 0 no, 1 yes, 2 local */
    bool active_expire_enabled; /* DEBUG SET-ACTIVE-EXPIRE */
    bool disable_thp;

    /* Memory. */
    long long maxmemory;
    int maxmemory_policy;
    long long maxmemory_samples;
    long long maxmemory_eviction_tenacity;
    long long lfu_log_factor;
    long long lfu_decay_time;
    bool lazyfree_lazy_eviction; /* Evicted keys propagate as UNLINK. */
    bool lazyfree_lazy_expire;   /* Expired keys propagate as UNLINK. */
    bool lazyfree_lazy_user_del;
    bool lazyfree_lazy_user_flush;

    /* Monitoring. */
    long long slowlog_log_slower_than;
    long long slowlog_max_len;
    long long latency_monitor_threshold;
    bool latency_tracking;
    char *latency_tracking_info_percentiles; /* "50 99 99.9" */

    /* Persistence (used by later work; accepted and kept now). */
    save_point_t save_points[16];
    int save_count;
    char *dbfilename;
    bool rdbcompression; /* LZF for long strings in RDB and DUMP payloads. */
    bool rdbchecksum;    /* CRC-64 at the end of RDB files. */
    bool stop_writes_on_bgsave_error;
    long long rdb_key_save_delay; /* Test hook: microseconds per key saved. */
    long long key_load_delay;     /* Test hook: microseconds per key loaded. */
    int sanitize_dump_payload;    /* 0 no, 1 yes, 2 clients. */
    bool appendonly;
    char *appendfilename;
    char *appenddirname;
    int appendfsync; /* AOF_FSYNC_* (server/aof.h). */
    bool no_appendfsync_on_rewrite;
    long long auto_aof_rewrite_percentage;
    long long auto_aof_rewrite_min_size;
    bool aof_load_truncated;
    bool aof_use_rdb_preamble;
    bool aof_rewrite_incremental_fsync;
    bool aof_timestamp_enabled;
    bool aof_disable_auto_gc;
    bool rdb_del_sync_files;
    char *notify_keyspace_events;

    /* Replication settings accepted for the common file. */
    char *masterauth;
    char *masteruser;
    long long repl_backlog_size;
    long long min_replicas_to_write;
    long long min_replicas_max_lag;
    bool replica_read_only;
    bool replica_serve_stale_data;
    long long replica_priority;
    char *replicaof_host; /* NULL: this instance is a primary. */
    long long replicaof_port;
    bool replica_ignore_maxmemory;
    bool replica_announced;
    char *replica_announce_ip;
    long long replica_announce_port;
    long long repl_timeout;
    long long repl_backlog_ttl;
    long long repl_ping_replica_period;
    bool repl_diskless_sync;
    long long repl_diskless_sync_delay;
    long long repl_diskless_sync_max_replicas;
    int repl_diskless_load; /* enum repl_diskless_load */
} server_config_t;

enum repl_diskless_load {
    REPL_DISKLESS_LOAD_DISABLED = 0,
    REPL_DISKLESS_LOAD_ON_EMPTY_DB = 1,
    REPL_DISKLESS_LOAD_SWAPDB = 2,
};

extern server_config_t cfg;

/* Path of the main config file (absolute), NULL when none was given. */
extern char *cfg_file_path;

/*
 * Sets defaults, then reads the file named by path (if not NULL) and applies
 * the overrides (text in redis.conf syntax, one directive per line, from the
 * command line). On error returns -1 with a message naming the file, line
 * and reason in err.
 */
int config_load(const char *path, const char *overrides, str_t **err)
    __attribute__((warn_unused_result));

/* Sets one option at run time: 0, or -1 with Redis's error text in err. */
/* Set by CONFIG SET for the duration of a call: the client may change
 * protected options (enable-protected-configs). */
extern bool config_protected_allowed;

int config_set(const char *name, const char *const *values, int nvalues, str_t **err)
    __attribute__((warn_unused_result));

/* Sets several options at once, atomically: all or none. */
int config_set_many(int n, const char *const *names, const char *const *values, str_t **err)
    __attribute__((warn_unused_result));

/* Calls fn for every option name (and alias) matching the glob pattern;
 * fn takes ownership of value. */
void config_foreach_match(const char *pattern,
                          void (*fn)(void *arg, const char *name, str_t *value), void *arg);

/* Formats the current value of an option, or NULL if unknown. Caller frees. */
str_t *config_get_value(const char *name);

/* CONFIG REWRITE: 0, or -1 with a reason in err. */
int config_rewrite(str_t **err) __attribute__((warn_unused_result));

void config_free(void);

#endif
