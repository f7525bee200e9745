#include <config.h>
#include "server/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/strconv.h"
#include "db/evict.h"
#include "server/aof.h"
#include "server/notify.h"
#include "server/server.h"

server_config_t cfg;
char *cfg_file_path;

/* ======================== option table types ========================= */

typedef enum opt_type {
    OPT_BOOL,
    OPT_INT,     /* long long with bounds */
    OPT_MEMORY,  /* long long, units accepted */
    OPT_STRING,  /* char *, "" allowed */
    OPT_ENUM,    /* int index into a name list */
    OPT_SPECIAL, /* parse/format callbacks */
} opt_type_t;

/*
 * Option flags:
 * IMMUTABLE  only from the config file or command line.
 * PROTECTED  CONFIG SET refused unless enable-protected-configs (never here).
 * SENSITIVE  value not logged.
 * ALIAS      name is a compatibility alias of the next entry's option.
 * MULTI      file directives accumulate (save) instead of replacing.
 */
enum {
    O_IMMUTABLE = 1 << 0,
    O_PROTECTED = 1 << 1,
    O_SENSITIVE = 1 << 2,
    O_MULTI = 1 << 3,
    O_HIDDEN = 1 << 4, /* Test hooks: CONFIG GET finds them by exact name only. */
    O_CHECK_LOAD = 1 << 5, /* apply also vets the value read from a file. */
};

typedef struct enum_item {
    const char *name;
    int value;
} enum_item_t;

typedef struct opt opt_t;
struct opt {
    const char *name;
    const char *alias;
    opt_type_t type;
    unsigned flags;
    void *field;
    long long min, max;
    const char *def;
    const enum_item_t *enums;
    /* OPT_SPECIAL: parse tokens into the field; format the field. */
    int (*parse)(const opt_t *o, int argc, char **argv, bool from_file, str_t **err);
    str_t *(*format)(const opt_t *o);
    /* Run after a successful CONFIG SET. Returns 0 or -1 with err. */
    int (*apply)(str_t **err);
};

#define LL(v) (&(long long){(v)})
#define BOOLF(v) (&(bool){(v)})
#define STRF (&(char *){NULL})
#define INTF (&(int){0})

static const enum_item_t loglevel_enum[] = {
    {"debug", LOG_LEVEL_DEBUG}, {"verbose", LOG_LEVEL_VERBOSE}, {"notice", LOG_LEVEL_NOTICE},
    {"warning", LOG_LEVEL_WARNING}, {"nothing", LOG_LEVEL_NOTHING}, {NULL, 0}};
static const enum_item_t maxmemory_enum[] = {
    {"volatile-lru", MAXMEMORY_VOLATILE_LRU}, {"volatile-lfu", MAXMEMORY_VOLATILE_LFU},
    {"volatile-random", MAXMEMORY_VOLATILE_RANDOM}, {"volatile-ttl", MAXMEMORY_VOLATILE_TTL},
    {"allkeys-lru", MAXMEMORY_ALLKEYS_LRU}, {"allkeys-lfu", MAXMEMORY_ALLKEYS_LFU},
    {"allkeys-random", MAXMEMORY_ALLKEYS_RANDOM}, {"noeviction", MAXMEMORY_NOEVICTION},
    {NULL, 0}};
static const enum_item_t supervised_enum[] = {
    {"upstart", SUPERVISED_UPSTART}, {"systemd", SUPERVISED_SYSTEMD},
    {"auto", SUPERVISED_AUTO}, {"no", SUPERVISED_NO}, {NULL, 0}};
static const enum_item_t debug_enum[] = {
    {"no", DEBUG_CMD_NO}, {"yes", DEBUG_CMD_YES}, {"local", DEBUG_CMD_LOCAL}, {NULL, 0}};
static const enum_item_t appendfsync_enum[] = {
    {"everysec", 1}, {"always", 2}, {"no", 0}, {NULL, 0}};
static const enum_item_t diskless_load_enum[] = {
    {"disabled", 0}, {"on-empty-db", 1}, {"swapdb", 2}, {NULL, 0}};
static const enum_item_t pubsub_default_enum[] = {
    {"allchannels", 1}, {"resetchannels", 0}, {NULL, 0}};
static const enum_item_t oom_adj_enum[] = {
    {"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}, {NULL, 0}};
static const enum_item_t endpoint_enum[] = {
    {"ip", 0}, {"hostname", 1}, {"unknown-endpoint", 2}, {NULL, 0}};
static const enum_item_t propagation_enum[] = {
    {"ignore", 0}, {"panic", 1}, {"panic-on-replicas", 2}, {NULL, 0}};
static const enum_item_t sanitize_enum[] = {
    {"no", 0}, {"yes", 1}, {"clients", 2}, {NULL, 0}};
static const enum_item_t protected_cfg_enum[] = {
    {"no", 0}, {"yes", 1}, {"local", 2}, {NULL, 0}};
static const enum_item_t facility_enum[] = {
    {"user", 0}, {"local0", 1}, {"local1", 2}, {"local2", 3}, {"local3", 4},
    {"local4", 5}, {"local5", 6}, {"local6", 7}, {"local7", 8}, {NULL, 0}};
static const enum_item_t shutdown_sig_enum[] = {
    {"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}, {NULL, 0}};

/* ===================== special option callbacks ====================== */

static int parse_bind(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    UNUSED(o);
    UNUSED(from_file);
    if (argc > CFG_MAX_BIND) {
        *err = str_fmt("Too many bind addresses specified.");
        return -1;
    }
    if (argc == 0) {
        *err = str_new_cstr("Too few bind addresses specified.");
        return -1;
    }
    for (int i = 0; i < cfg.bind_count; i++)
        alloc_free(cfg.bind[i]);
    for (int i = 0; i < argc; i++)
        cfg.bind[i] = alloc_strdup(argv[i]);
    cfg.bind_count = argc;
    return 0;
}

static str_t *format_bind(const opt_t *o)
{
    UNUSED(o);
    str_t *s = str_new_cap(32);
    for (int i = 0; i < cfg.bind_count; i++)
        s = str_catfmt(s, "%s%s", i ? " " : "", cfg.bind[i]);
    return s;
}

static int parse_save(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    UNUSED(o);
    static bool file_seen;
    if (argc == 1 && argv[0][0] == '\0') {
        cfg.save_count = 0;
        file_seen = from_file;
        return 0;
    }
    if (argc % 2 != 0 || argc == 0) {
        *err = str_new_cstr("Invalid save parameters");
        return -1;
    }
    save_point_t pts[16];
    int n = 0;
    for (int i = 0; i < argc; i += 2) {
        long long secs, changes;
        if (strconv_to_ll(argv[i], strlen(argv[i]), &secs) != 0 ||
            strconv_to_ll(argv[i + 1], strlen(argv[i + 1]), &changes) != 0 || secs < 1 ||
            changes < 0 || n >= 16) {
            *err = str_new_cstr("Invalid save parameters");
            return -1;
        }
        pts[n].seconds = secs;
        pts[n].changes = changes;
        n++;
    }
    /* The first save line of the files replaces the defaults; later lines
     * add points. CONFIG SET replaces. */
    if (!from_file || !file_seen)
        cfg.save_count = 0;
    if (from_file)
        file_seen = true;
    for (int i = 0; i < n && cfg.save_count < 16; i++)
        cfg.save_points[cfg.save_count++] = pts[i];
    return 0;
}

static str_t *format_save(const opt_t *o)
{
    UNUSED(o);
    str_t *s = str_new_cap(32);
    for (int i = 0; i < cfg.save_count; i++)
        s = str_catfmt(s, "%s%lld %lld", i ? " " : "", cfg.save_points[i].seconds,
                       cfg.save_points[i].changes);
    return s;
}

static int class_from_name(const char *name)
{
    if (strcasecmp(name, "normal") == 0)
        return CLIENT_CLASS_NORMAL;
    if (strcasecmp(name, "replica") == 0 || strcasecmp(name, "slave") == 0)
        return CLIENT_CLASS_REPLICA;
    if (strcasecmp(name, "pubsub") == 0)
        return CLIENT_CLASS_PUBSUB;
    return -1;
}

static int parse_obuf(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    UNUSED(o);
    UNUSED(from_file);
    if (argc % 4 != 0 || argc == 0) {
        *err = str_new_cstr("Wrong number of arguments in buffer limit configuration.");
        return -1;
    }
    obuf_limit_t limits[CLIENT_CLASS_COUNT];
    memcpy(limits, cfg.obuf_limits, sizeof(limits));
    for (int i = 0; i < argc; i += 4) {
        int cls = class_from_name(argv[i]);
        long long hard, soft, secs;
        if (cls < 0) {
            *err = str_new_cstr("Invalid client class specified in buffer limit configuration.");
            return -1;
        }
        if (strconv_to_memory(argv[i + 1], strlen(argv[i + 1]), &hard) != 0 ||
            strconv_to_memory(argv[i + 2], strlen(argv[i + 2]), &soft) != 0 ||
            strconv_to_ll(argv[i + 3], strlen(argv[i + 3]), &secs) != 0 || hard < 0 ||
            soft < 0 || secs < 0) {
            *err = str_new_cstr("Error in hard, soft or soft_seconds setting in buffer limit "
                                "configuration.");
            return -1;
        }
        limits[cls].hard_bytes = hard;
        limits[cls].soft_bytes = soft;
        limits[cls].soft_seconds = secs;
    }
    memcpy(cfg.obuf_limits, limits, sizeof(limits));
    return 0;
}

static str_t *format_obuf(const opt_t *o)
{
    UNUSED(o);
    static const char *const names[] = {"normal", "slave", "pubsub"};
    str_t *s = str_new_cap(96);
    for (int i = 0; i < CLIENT_CLASS_COUNT; i++)
        s = str_catfmt(s, "%s%s %lld %lld %lld", i ? " " : "", names[i],
                       cfg.obuf_limits[i].hard_bytes, cfg.obuf_limits[i].soft_bytes,
                       cfg.obuf_limits[i].soft_seconds);
    return s;
}

static int parse_notify(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    UNUSED(o);
    UNUSED(from_file);
    if (argc != 1) {
        *err = str_new_cstr("wrong number of arguments");
        return -1;
    }
    int classes = notify_parse_classes(argv[0]);
    if (classes < 0) {
        *err = str_new_cstr("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
        return -1;
    }
    alloc_free(cfg.notify_keyspace_events);
    cfg.notify_keyspace_events = alloc_strdup(argv[0]);
    /* Takes effect at once, for CONFIG SET as for the config file. */
    notify_set_classes(classes);
    return 0;
}

/* Redis prints the classes in its canonical order. */
static str_t *format_notify(const opt_t *o)
{
    UNUSED(o);
    const char *v = cfg.notify_keyspace_events ? cfg.notify_keyspace_events : "";
    char buf[NOTIFY_FORMAT_MAX];
    int classes = notify_parse_classes(v);
    notify_format_classes(classes < 0 ? 0 : classes, buf);
    return str_new_cstr(buf);
}

static int parse_octal(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    UNUSED(from_file);
    if (argc != 1) {
        *err = str_new_cstr("wrong number of arguments");
        return -1;
    }
    char *end;
    errno = 0;
    long v = strtol(argv[0], &end, 8);
    if (*argv[0] == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 0777) {
        *err = str_new_cstr("argument couldn't be parsed into an integer");
        return -1;
    }
    *(long long *)o->field = v;
    return 0;
}

static str_t *format_octal(const opt_t *o)
{
    long long v = *(long long *)o->field;
    return v ? str_fmt("%llo", v) : str_new_cstr("0");
}

static int parse_ints3(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    UNUSED(from_file);
    long long *vals = o->field;
    if (argc != 3) {
        *err = str_new_cstr("Invalid oom-score-adj-values, please use 3 values");
        return -1;
    }
    long long tmp[3];
    for (int i = 0; i < 3; i++) {
        if (strconv_to_ll(argv[i], strlen(argv[i]), &tmp[i]) != 0 || tmp[i] < -2000 ||
            tmp[i] > 2000) {
            *err = str_new_cstr("Invalid oom-score-adj-values, elements must be between "
                                "-2000 and 2000.");
            return -1;
        }
    }
    memcpy(vals, tmp, sizeof(tmp));
    return 0;
}

static str_t *format_ints3(const opt_t *o)
{
    const long long *v = o->field;
    return str_fmt("%lld %lld %lld", v[0], v[1], v[2]);
}

static int parse_percentiles(const opt_t *o, int argc, char **argv, bool from_file,
                             str_t **err)
{
    UNUSED(o);
    UNUSED(from_file);
    str_t *s = str_new_cap(32);
    for (int i = 0; i < argc; i++) {
        double d;
        if (argv[i][0] == '\0' && argc == 1)
            break;
        if (strconv_to_double(argv[i], strlen(argv[i]), &d) != 0 || d < 0 || d > 100) {
            *err = str_new_cstr("latency-tracking-info-percentiles should be between 0.0 "
                                "and 100.0");
            str_free(s);
            return -1;
        }
        s = str_catfmt(s, "%s%s", s->len ? " " : "", argv[i]);
    }
    alloc_free(cfg.latency_tracking_info_percentiles);
    cfg.latency_tracking_info_percentiles = alloc_strdup(s->buf);
    str_free(s);
    return 0;
}

static str_t *format_percentiles(const opt_t *o)
{
    UNUSED(o);
    str_t *s = str_new_cap(32);
    const char *v = cfg.latency_tracking_info_percentiles;
    strconv_arg_t *argv = NULL;
    int argc = strconv_split_args(v ? v : "", &argv);
    for (int i = 0; i < argc; i++) {
        double d = 0;
        char buf[STRCONV_BUF];
        if (strconv_to_double(argv[i].ptr, argv[i].len, &d) == 0)
            snprintf(buf, sizeof(buf), "%g", d);
        else
            snprintf(buf, sizeof(buf), "%s", argv[i].ptr);
        s = str_catfmt(s, "%s%s", i ? " " : "", buf);
    }
    if (argc > 0)
        strconv_free_args(argv, argc);
    return s;
}

/* replicaof / slaveof: cfg.replicaof_host/port (NULL: a primary), which
 * REPLICAOF also sets at runtime; "no one" clears. */
static int parse_replicaof(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    UNUSED(o);
    UNUSED(from_file);
    if (argc == 1 && argv[0][0] == '\0') {
        alloc_free(cfg.replicaof_host);
        cfg.replicaof_host = NULL;
        cfg.replicaof_port = 0;
        return 0;
    }
    if (argc != 2) {
        *err = str_new_cstr("wrong number of arguments");
        return -1;
    }
    alloc_free(cfg.replicaof_host);
    cfg.replicaof_host = NULL;
    cfg.replicaof_port = 0;
    if (strcasecmp(argv[0], "no") == 0 && strcasecmp(argv[1], "one") == 0)
        return 0;
    long long port;
    if (strconv_to_ll(argv[1], strlen(argv[1]), &port) != 0 || port < 0 || port > 65535) {
        *err = str_new_cstr("Invalid master port");
        return -1;
    }
    cfg.replicaof_host = alloc_strdup(argv[0]);
    cfg.replicaof_port = port;
    return 0;
}

static str_t *format_replicaof(const opt_t *o)
{
    UNUSED(o);
    if (cfg.replicaof_host == NULL)
        return str_new_cstr("");
    return str_fmt("%s %lld", cfg.replicaof_host, cfg.replicaof_port);
}

static int parse_dir(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    UNUSED(o);
    UNUSED(from_file);
    if (argc != 1) {
        *err = str_new_cstr("wrong number of arguments");
        return -1;
    }
    if (chdir(argv[0]) != 0) {
        *err = str_fmt("No such file or directory");
        if (errno != ENOENT)
            *err = str_cat_cstr(str_new_cap(0), strerror(errno));
        return -1;
    }
    char buf[PATH_MAX];
    alloc_free(cfg.dir);
    cfg.dir = alloc_strdup(getcwd(buf, sizeof(buf)) ? buf : argv[0]);
    return 0;
}

static str_t *format_dir(const opt_t *o)
{
    UNUSED(o);
    char buf[PATH_MAX];
    return str_new_cstr(getcwd(buf, sizeof(buf)) ? buf : (cfg.dir ? cfg.dir : ""));
}

/* ========================== apply callbacks ========================== */

static int apply_loglevel(str_t **err)
{
    UNUSED(err);
    log_set_level(cfg.loglevel);
    return 0;
}

static int apply_hz(str_t **err)
{
    UNUSED(err);
    if (cfg.hz > 500)
        cfg.hz = 500;
    if (cfg.hz < 1)
        cfg.hz = 1;
    server_apply_hz();
    return 0;
}

static int apply_maxmemory(str_t **err)
{
    UNUSED(err);
    if (cfg.maxmemory > 0 && (size_t)cfg.maxmemory < server_used_memory())
        log_msg(LOG_LEVEL_WARNING,
                "WARNING: the new maxmemory value set via CONFIG SET (%lld) is smaller than "
                "the current memory usage (%zu). This will result in key eviction and/or the "
                "inability to accept new write commands depending on the maxmemory-policy.",
                cfg.maxmemory, server_used_memory());
    server_apply_maxmemory();
    return 0;
}

static int apply_lfu(str_t **err)
{
    UNUSED(err);
    db_env.lfu_log_factor = (int)cfg.lfu_log_factor;
    db_env.lfu_decay_time = (int)cfg.lfu_decay_time;
    db_env.lfu = cfg.maxmemory_policy == MAXMEMORY_ALLKEYS_LFU ||
                 cfg.maxmemory_policy == MAXMEMORY_VOLATILE_LFU;
    return 0;
}

/* CONFIG SET appendonly: turning the AOF on starts the rewrite that
 * writes its base; turning it off closes it. */
static int apply_appendonly(str_t **err)
{
    return aof_set_enabled(cfg.appendonly, err);
}

/* appendfilename and appenddirname name files inside `dir`, never paths. */
static int check_aof_names(str_t **err)
{
    if (strchr(cfg.appenddirname, '/') != NULL) {
        *err = str_new_cstr("appenddirname can't be a path, just a dirname");
        return -1;
    }
    if (strchr(cfg.appendfilename, '/') != NULL) {
        *err = str_new_cstr("appendfilename can't be a path, just a filename");
        return -1;
    }
    return 0;
}

static int apply_bind(str_t **err)
{
    return server_apply_bind(err);
}

/* ============================ the table ============================== */

#define BOOL_OPT(n, f, d) {n, NULL, OPT_BOOL, 0, f, 0, 0, d, NULL, NULL, NULL, NULL}
#define BOOL_OPT_A(n, a, f, d, fl, ap) {n, a, OPT_BOOL, fl, f, 0, 0, d, NULL, NULL, NULL, ap}
#define INT_OPT(n, f, lo, hi, d) {n, NULL, OPT_INT, 0, f, lo, hi, d, NULL, NULL, NULL, NULL}
#define INT_OPT_X(n, a, f, lo, hi, d, fl, ap)                                  \
    {n, a, OPT_INT, fl, f, lo, hi, d, NULL, NULL, NULL, ap}
#define MEM_OPT(n, f, lo, hi, d, ap) {n, NULL, OPT_MEMORY, 0, f, lo, hi, d, NULL, NULL, NULL, ap}
#define STR_OPT(n, f, d, fl) {n, NULL, OPT_STRING, fl, f, 0, 0, d, NULL, NULL, NULL, NULL}
#define STR_OPT_A(n, f, d, fl, ap) {n, NULL, OPT_STRING, fl, f, 0, 0, d, NULL, NULL, NULL, ap}
#define ENUM_OPT(n, f, e, d, fl, ap) {n, NULL, OPT_ENUM, fl, f, 0, 0, d, e, NULL, NULL, ap}
#define SPECIAL_OPT(n, a, f, d, fl, p, fm, ap) {n, a, OPT_SPECIAL, fl, f, 0, 0, d, NULL, p, fm, ap}

#define LLMAX LLONG_MAX
#define IMAX INT_MAX

static long long oom_values[3];

static const opt_t options[] = {
    /* Network. */
    SPECIAL_OPT("bind", NULL, NULL, "* -::*", 0, parse_bind, format_bind, apply_bind),
    INT_OPT_X("port", NULL, &cfg.port, 0, 65535, "6379", O_IMMUTABLE, NULL),
    INT_OPT_X("tcp-backlog", NULL, &cfg.tcp_backlog, 0, IMAX, "511", O_IMMUTABLE, NULL),
    STR_OPT("unixsocket", &cfg.unixsocket, "", O_IMMUTABLE),
    SPECIAL_OPT("unixsocketperm", NULL, &cfg.unixsocketperm, "0", O_IMMUTABLE, parse_octal,
                format_octal, NULL),
    BOOL_OPT("protected-mode", &cfg.protected_mode, "yes"),
    INT_OPT("timeout", &cfg.timeout, 0, IMAX, "0"),
    INT_OPT("tcp-keepalive", &cfg.tcp_keepalive, 0, IMAX, "300"),
    INT_OPT_X("maxclients", NULL, &cfg.maxclients, 1, UINT_MAX, "10000", 0, NULL),
    MEM_OPT("proto-max-bulk-len", &cfg.proto_max_bulk_len, 1024 * 1024, LLMAX, "512mb", NULL),
    MEM_OPT("client-query-buffer-limit", &cfg.client_query_buffer_limit, 1024 * 1024, LLMAX,
            "1gb", NULL),
    SPECIAL_OPT("client-output-buffer-limit", NULL, NULL,
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", 0,
                parse_obuf, format_obuf, NULL),
    STR_OPT("bind-source-addr", STRF, "", 0),
    INT_OPT("socket-mark-id", LL(0), 0, UINT_MAX, "0"),

    /* General. */
    BOOL_OPT_A("daemonize", NULL, &cfg.daemonize, "no", O_IMMUTABLE, NULL),
    ENUM_OPT("supervised", &cfg.supervised, supervised_enum, "no", O_IMMUTABLE, NULL),
    STR_OPT("pidfile", &cfg.pidfile, "", O_IMMUTABLE),
    ENUM_OPT("loglevel", &cfg.loglevel, loglevel_enum, "notice", 0, apply_loglevel),
    STR_OPT("logfile", &cfg.logfile, "", O_IMMUTABLE),
    BOOL_OPT_A("syslog-enabled", NULL, BOOLF(false), "no", O_IMMUTABLE, NULL),
    STR_OPT("syslog-ident", STRF, "redis", O_IMMUTABLE),
    ENUM_OPT("syslog-facility", INTF, facility_enum, "local0", O_IMMUTABLE, NULL),
    INT_OPT_X("databases", NULL, &cfg.databases, 1, IMAX, "16", O_IMMUTABLE, NULL),
    INT_OPT_X("hz", NULL, &cfg.hz, 0, IMAX, "10", 0, apply_hz),
    BOOL_OPT("dynamic-hz", &cfg.dynamic_hz, "yes"),
    SPECIAL_OPT("dir", NULL, NULL, "", O_PROTECTED, parse_dir, format_dir, NULL),
    STR_OPT("requirepass", &cfg.requirepass, "", O_SENSITIVE),
    ENUM_OPT("enable-debug-command", &cfg.enable_debug_command, debug_enum, "no",
             O_IMMUTABLE | O_PROTECTED, NULL),
    ENUM_OPT("enable-protected-configs", &cfg.enable_protected_configs, protected_cfg_enum, "no",
             O_IMMUTABLE | O_PROTECTED, NULL),
    ENUM_OPT("enable-module-command", INTF, protected_cfg_enum, "no",
             O_IMMUTABLE | O_PROTECTED, NULL),
    BOOL_OPT_A("disable-thp", NULL, &cfg.disable_thp, "yes", O_IMMUTABLE, NULL),
    BOOL_OPT_A("always-show-logo", NULL, BOOLF(false), "no", O_IMMUTABLE, NULL),
    BOOL_OPT("set-proc-title", BOOLF(true), "yes"),
    STR_OPT("proc-title-template", STRF, "{title} {listen-addr} {server-mode}", 0),
    BOOL_OPT_A("crash-log-enabled", NULL, BOOLF(true), "yes", 0, NULL),
    BOOL_OPT_A("crash-memcheck-enabled", NULL, BOOLF(true), "yes", 0, NULL),
    INT_OPT_X("io-threads", NULL, LL(1), 1, 128, "1", O_IMMUTABLE, NULL),
    BOOL_OPT_A("io-threads-do-reads", NULL, BOOLF(false), "no", O_IMMUTABLE, NULL),
    STR_OPT("ignore-warnings", STRF, "", 0),
    STR_OPT("server_cpulist", STRF, "", O_IMMUTABLE),
    STR_OPT("bio_cpulist", STRF, "", O_IMMUTABLE),
    STR_OPT("aof_rewrite_cpulist", STRF, "", O_IMMUTABLE),
    STR_OPT("bgsave_cpulist", STRF, "", O_IMMUTABLE),
    ENUM_OPT("oom-score-adj", INTF, oom_adj_enum, "no", 0, NULL),
    SPECIAL_OPT("oom-score-adj-values", NULL, oom_values, "0 200 800", 0, parse_ints3,
                format_ints3, NULL),
    ENUM_OPT("shutdown-on-sigint", INTF, shutdown_sig_enum, "default", 0, NULL),
    ENUM_OPT("shutdown-on-sigterm", INTF, shutdown_sig_enum, "default", 0, NULL),
    INT_OPT("shutdown-timeout", LL(10), 0, IMAX, "10"),
    INT_OPT("busy-reply-threshold", LL(5000), 0, LLMAX, "5000"),
    INT_OPT_X("lua-time-limit", NULL, LL(5000), 0, LLMAX, "5000", 0, NULL),
    BOOL_OPT("activerehashing", BOOLF(true), "yes"),
    INT_OPT("active-expire-effort", LL(1), 1, 10, "1"),
    BOOL_OPT("jemalloc-bg-thread", BOOLF(true), "yes"),

    /* Memory. */
    MEM_OPT("maxmemory", &cfg.maxmemory, 0, LLMAX, "0", apply_maxmemory),
    ENUM_OPT("maxmemory-policy", &cfg.maxmemory_policy, maxmemory_enum, "noeviction", 0,
             apply_lfu),
    INT_OPT("maxmemory-samples", &cfg.maxmemory_samples, 1, 64, "5"),
    INT_OPT("maxmemory-eviction-tenacity", &cfg.maxmemory_eviction_tenacity, 0, 100, "10"),
    MEM_OPT("maxmemory-clients", LL(0), LLONG_MIN, LLMAX, "0", NULL),
    INT_OPT_X("lfu-log-factor", NULL, &cfg.lfu_log_factor, 0, IMAX, "10", 0, apply_lfu),
    INT_OPT_X("lfu-decay-time", NULL, &cfg.lfu_decay_time, 0, IMAX, "1", 0, apply_lfu),
    BOOL_OPT("lazyfree-lazy-eviction", &cfg.lazyfree_lazy_eviction, "no"),
    BOOL_OPT("lazyfree-lazy-expire", &cfg.lazyfree_lazy_expire, "no"),
    BOOL_OPT("lazyfree-lazy-server-del", BOOLF(false), "no"),
    BOOL_OPT("lazyfree-lazy-user-del", &cfg.lazyfree_lazy_user_del, "no"),
    BOOL_OPT("lazyfree-lazy-user-flush", &cfg.lazyfree_lazy_user_flush, "no"),
    BOOL_OPT("activedefrag", BOOLF(false), "no"),
    MEM_OPT("active-defrag-ignore-bytes", LL(104857600), 1, LLMAX, "100mb", NULL),
    INT_OPT("active-defrag-threshold-lower", LL(10), 0, 1000, "10"),
    INT_OPT("active-defrag-threshold-upper", LL(100), 0, 1000, "100"),
    INT_OPT("active-defrag-cycle-min", LL(1), 1, 99, "1"),
    INT_OPT("active-defrag-cycle-max", LL(25), 1, 99, "25"),
    INT_OPT("active-defrag-max-scan-fields", LL(1000), 1, LLMAX, "1000"),

    /* Monitoring. */
    INT_OPT("slowlog-log-slower-than", &cfg.slowlog_log_slower_than, -1, LLMAX, "10000"),
    INT_OPT("slowlog-max-len", &cfg.slowlog_max_len, 0, LLMAX, "128"),
    INT_OPT("latency-monitor-threshold", &cfg.latency_monitor_threshold, 0, LLMAX, "0"),
    BOOL_OPT("latency-tracking", &cfg.latency_tracking, "yes"),
    SPECIAL_OPT("latency-tracking-info-percentiles", NULL, NULL, "50 99 99.9", 0,
                parse_percentiles, format_percentiles, NULL),
    SPECIAL_OPT("notify-keyspace-events", NULL, NULL, "", 0, parse_notify, format_notify,
                NULL),
    INT_OPT("acllog-max-len", LL(128), 0, LLMAX, "128"),
    STR_OPT("aclfile", STRF, "", O_IMMUTABLE),
    ENUM_OPT("acl-pubsub-default", INTF, pubsub_default_enum, "resetchannels", 0, NULL),
    INT_OPT("tracking-table-max-keys", LL(1000000), 0, LLMAX, "1000000"),

    /* Persistence. */
    SPECIAL_OPT("save", NULL, NULL, "3600 1 300 100 60 10000", O_MULTI, parse_save,
                format_save, NULL),
    STR_OPT("dbfilename", &cfg.dbfilename, "dump.rdb", O_PROTECTED),
    BOOL_OPT("stop-writes-on-bgsave-error", &cfg.stop_writes_on_bgsave_error, "yes"),
    BOOL_OPT("rdbcompression", &cfg.rdbcompression, "yes"),
    BOOL_OPT("rdbchecksum", &cfg.rdbchecksum, "yes"),
    BOOL_OPT("rdb-del-sync-files", &cfg.rdb_del_sync_files, "no"),
    {"rdb-key-save-delay", NULL, OPT_INT, O_HIDDEN, &cfg.rdb_key_save_delay, -IMAX, IMAX, "0",
     NULL, NULL, NULL, NULL},
    {"key-load-delay", NULL, OPT_INT, O_HIDDEN, &cfg.key_load_delay, -IMAX, IMAX, "0", NULL,
     NULL, NULL, NULL},
    BOOL_OPT("rdb-save-incremental-fsync", BOOLF(true), "yes"),
    ENUM_OPT("sanitize-dump-payload", &cfg.sanitize_dump_payload, sanitize_enum, "no", 0, NULL),
    BOOL_OPT_A("appendonly", NULL, &cfg.appendonly, "no", 0, apply_appendonly),
    STR_OPT_A("appendfilename", &cfg.appendfilename, "appendonly.aof", O_IMMUTABLE | O_CHECK_LOAD, check_aof_names),
    STR_OPT_A("appenddirname", &cfg.appenddirname, "appendonlydir", O_IMMUTABLE | O_CHECK_LOAD, check_aof_names),
    ENUM_OPT("appendfsync", &cfg.appendfsync, appendfsync_enum, "everysec", 0, NULL),
    BOOL_OPT("no-appendfsync-on-rewrite", &cfg.no_appendfsync_on_rewrite, "no"),
    INT_OPT("auto-aof-rewrite-percentage", &cfg.auto_aof_rewrite_percentage, 0, IMAX, "100"),
    MEM_OPT("auto-aof-rewrite-min-size", &cfg.auto_aof_rewrite_min_size, 0, LLMAX, "64mb", NULL),
    BOOL_OPT("aof-load-truncated", &cfg.aof_load_truncated, "yes"),
    BOOL_OPT("aof-use-rdb-preamble", &cfg.aof_use_rdb_preamble, "yes"),
    BOOL_OPT("aof-rewrite-incremental-fsync", &cfg.aof_rewrite_incremental_fsync, "yes"),
    BOOL_OPT("aof-timestamp-enabled", &cfg.aof_timestamp_enabled, "no"),
    BOOL_OPT("aof-disable-auto-gc", &cfg.aof_disable_auto_gc, "no"),

    /* Replication. */
    SPECIAL_OPT("replicaof", "slaveof", NULL, "", O_IMMUTABLE, parse_replicaof,
                format_replicaof, NULL),
    STR_OPT("masterauth", &cfg.masterauth, "", O_SENSITIVE),
    STR_OPT("masteruser", &cfg.masteruser, "", 0),
    MEM_OPT("repl-backlog-size", &cfg.repl_backlog_size, 1, LLMAX, "1mb", NULL),
    INT_OPT("repl-backlog-ttl", &cfg.repl_backlog_ttl, 0, IMAX, "3600"),
    INT_OPT_X("min-replicas-to-write", "min-slaves-to-write", &cfg.min_replicas_to_write, 0,
              IMAX, "0", 0, NULL),
    INT_OPT_X("min-replicas-max-lag", "min-slaves-max-lag", &cfg.min_replicas_max_lag, 0,
              IMAX, "10", 0, NULL),
    BOOL_OPT_A("replica-read-only", "slave-read-only", &cfg.replica_read_only, "yes", 0, NULL),
    BOOL_OPT_A("replica-serve-stale-data", "slave-serve-stale-data",
               &cfg.replica_serve_stale_data, "yes", 0, NULL),
    INT_OPT_X("replica-priority", "slave-priority", &cfg.replica_priority, 0, IMAX, "100", 0,
              NULL),
    BOOL_OPT_A("replica-lazy-flush", "slave-lazy-flush", BOOLF(false), "no", 0, NULL),
    BOOL_OPT_A("replica-ignore-maxmemory", "slave-ignore-maxmemory",
               &cfg.replica_ignore_maxmemory, "yes", 0, NULL),
    BOOL_OPT_A("replica-announced", NULL, &cfg.replica_announced, "yes", 0, NULL),
    BOOL_OPT_A("replica-ignore-disk-write-errors", NULL, BOOLF(false), "no", 0, NULL),
    {"replica-announce-ip", "slave-announce-ip", OPT_STRING, 0, &cfg.replica_announce_ip, 0, 0,
     "", NULL, NULL, NULL, NULL},
    INT_OPT_X("replica-announce-port", "slave-announce-port", &cfg.replica_announce_port, 0,
              65535, "0", 0, NULL),
    INT_OPT_X("repl-ping-replica-period", "repl-ping-slave-period",
              &cfg.repl_ping_replica_period, 1, IMAX, "10", 0, NULL),
    INT_OPT("repl-timeout", &cfg.repl_timeout, 1, IMAX, "60"),
    BOOL_OPT("repl-disable-tcp-nodelay", BOOLF(false), "no"),
    BOOL_OPT("repl-diskless-sync", &cfg.repl_diskless_sync, "yes"),
    INT_OPT("repl-diskless-sync-delay", &cfg.repl_diskless_sync_delay, 0, IMAX, "5"),
    INT_OPT("repl-diskless-sync-max-replicas", &cfg.repl_diskless_sync_max_replicas, 0, IMAX,
            "0"),
    ENUM_OPT("repl-diskless-load", &cfg.repl_diskless_load, diskless_load_enum, "disabled", 0,
             NULL),
    ENUM_OPT("propagation-error-behavior", INTF, propagation_enum, "ignore", 0, NULL),

    /* Encodings (used by the data types work). */
    INT_OPT_X("hash-max-listpack-entries", "hash-max-ziplist-entries", &db_env.hash_max_listpack_entries, 0, LLMAX,
              "512", 0, NULL),
    MEM_OPT("hash-max-listpack-value", &db_env.hash_max_listpack_value, 0, LLMAX, "64", NULL),
    INT_OPT_X("list-max-listpack-size", "list-max-ziplist-size", &db_env.list_max_listpack_size, INT_MIN, IMAX, "-2",
              0, NULL),
    INT_OPT("list-compress-depth", &db_env.list_compress_depth, 0, IMAX, "0"),
    INT_OPT("set-max-intset-entries", &db_env.set_max_intset_entries, 0, LLMAX, "512"),
    INT_OPT_X("zset-max-listpack-entries", "zset-max-ziplist-entries", &db_env.zset_max_listpack_entries, 0, LLMAX,
              "128", 0, NULL),
    MEM_OPT("zset-max-listpack-value", &db_env.zset_max_listpack_value, 0, LLMAX, "64", NULL),
    MEM_OPT("hll-sparse-max-bytes", &db_env.hll_sparse_max_bytes, 0, LLMAX, "3000", NULL),
    MEM_OPT("stream-node-max-bytes", LL(4096), 0, LLMAX, "4096", NULL),
    INT_OPT("stream-node-max-entries", LL(100), 0, LLMAX, "100"),

    /* TLS (accepted; served by the TLS work). */
    INT_OPT("tls-port", LL(0), 0, 65535, "0"),
    STR_OPT("tls-cert-file", STRF, "", 0),
    STR_OPT("tls-key-file", STRF, "", 0),
    STR_OPT("tls-key-file-pass", STRF, "", O_SENSITIVE),
    STR_OPT("tls-client-cert-file", STRF, "", 0),
    STR_OPT("tls-client-key-file", STRF, "", 0),
    STR_OPT("tls-client-key-file-pass", STRF, "", O_SENSITIVE),
    STR_OPT("tls-dh-params-file", STRF, "", 0),
    STR_OPT("tls-ca-cert-file", STRF, "", 0),
    STR_OPT("tls-ca-cert-dir", STRF, "", 0),
    STR_OPT("tls-protocols", STRF, "", 0),
    STR_OPT("tls-ciphers", STRF, "", 0),
    STR_OPT("tls-ciphersuites", STRF, "", 0),
    ENUM_OPT("tls-auth-clients", INTF, protected_cfg_enum, "yes", 0, NULL),
    BOOL_OPT("tls-replication", BOOLF(false), "no"),
    BOOL_OPT("tls-cluster", BOOLF(false), "no"),
    BOOL_OPT("tls-prefer-server-ciphers", BOOLF(false), "no"),
    BOOL_OPT("tls-session-caching", BOOLF(true), "yes"),
    INT_OPT("tls-session-cache-size", LL(20480), 0, IMAX, "20480"),
    INT_OPT("tls-session-cache-timeout", LL(300), 0, IMAX, "300"),

    /* Cluster (not supported; accepted so shared files load). */
    BOOL_OPT_A("cluster-enabled", NULL, BOOLF(false), "no", O_IMMUTABLE, NULL),
    STR_OPT("cluster-config-file", STRF, "nodes.conf", O_IMMUTABLE),
    INT_OPT("cluster-node-timeout", LL(15000), 0, LLMAX, "15000"),
    INT_OPT("cluster-port", LL(0), 0, 65535, "0"),
    INT_OPT_X("cluster-replica-validity-factor", "cluster-slave-validity-factor", LL(10), 0,
              IMAX, "10", 0, NULL),
    INT_OPT("cluster-migration-barrier", LL(1), 0, IMAX, "1"),
    BOOL_OPT("cluster-allow-replica-migration", BOOLF(true), "yes"),
    BOOL_OPT("cluster-require-full-coverage", BOOLF(true), "yes"),
    BOOL_OPT_A("cluster-replica-no-failover", "cluster-slave-no-failover", BOOLF(false), "no",
               0, NULL),
    BOOL_OPT("cluster-allow-reads-when-down", BOOLF(false), "no"),
    BOOL_OPT("cluster-allow-pubsubshard-when-down", BOOLF(true), "yes"),
    STR_OPT("cluster-announce-ip", STRF, "", 0),
    STR_OPT("cluster-announce-hostname", STRF, "", 0),
    INT_OPT("cluster-announce-port", LL(0), 0, 65535, "0"),
    INT_OPT("cluster-announce-bus-port", LL(0), 0, 65535, "0"),
    INT_OPT("cluster-announce-tls-port", LL(0), 0, 65535, "0"),
    ENUM_OPT("cluster-preferred-endpoint-type", INTF, endpoint_enum, "ip", 0, NULL),
    MEM_OPT("cluster-link-sendbuf-limit", LL(0), 0, LLMAX, "0", NULL),
};

#define NOPTIONS ((int)ARRAY_LEN(options))

/* Which options were set explicitly (file or CONFIG SET), for REWRITE. */
static bool opt_set[ARRAY_LEN(options)];

/* ============================ the engine ============================= */

static int find_option(const char *name)
{
    for (int i = 0; i < NOPTIONS; i++) {
        if (strcasecmp(options[i].name, name) == 0 ||
            (options[i].alias != NULL && strcasecmp(options[i].alias, name) == 0))
            return i;
    }
    return -1;
}

static str_t *enum_choices(const enum_item_t *e)
{
    str_t *s = str_new_cstr("argument(s) must be one of the following: ");
    for (int i = 0; e[i].name != NULL; i++)
        s = str_catfmt(s, "%s%s", i ? ", " : "", e[i].name);
    return s;
}

static int parse_int_value(const opt_t *o, const char *v, long long *out, str_t **err)
{
    long long x;
    int r = o->type == OPT_MEMORY ? strconv_to_memory(v, strlen(v), &x)
                                  : strconv_to_ll(v, strlen(v), &x);
    if (r != 0) {
        *err = str_new_cstr(o->type == OPT_MEMORY ? "argument must be a memory value"
                                                  : "argument couldn't be parsed into an integer");
        return -1;
    }
    if (x < o->min || x > o->max) {
        *err = str_fmt("argument must be between %lld and %lld inclusive", o->min, o->max);
        return -1;
    }
    *out = x;
    return 0;
}

/* Parses tokens into option o. */
static int opt_parse(const opt_t *o, int argc, char **argv, bool from_file, str_t **err)
{
    if (o->type == OPT_SPECIAL)
        return o->parse(o, argc, argv, from_file, err);
    if (argc != 1) {
        *err = str_new_cstr("wrong number of arguments");
        return -1;
    }
    const char *v = argv[0];
    switch (o->type) {
    case OPT_BOOL:
        if (strcasecmp(v, "yes") == 0) {
            *(bool *)o->field = true;
        } else if (strcasecmp(v, "no") == 0) {
            *(bool *)o->field = false;
        } else {
            *err = str_new_cstr("argument must be 'yes' or 'no'");
            return -1;
        }
        return 0;
    case OPT_INT:
    case OPT_MEMORY: {
        long long x;
        if (parse_int_value(o, v, &x, err) != 0)
            return -1;
        *(long long *)o->field = x;
        return 0;
    }
    case OPT_STRING:
        alloc_free(*(char **)o->field);
        *(char **)o->field = alloc_strdup(v);
        return 0;
    case OPT_ENUM:
        for (int i = 0; o->enums[i].name != NULL; i++) {
            if (strcasecmp(o->enums[i].name, v) == 0) {
                *(int *)o->field = o->enums[i].value;
                return 0;
            }
        }
        *err = enum_choices(o->enums);
        return -1;
    default:
        INSIST(0);
    }
    return -1;
}

static int opt_parse_text(const opt_t *o, const char *text, bool from_file, str_t **err)
{
    if (o->type != OPT_SPECIAL) {
        char *argv[1] = {(char *)text};
        return opt_parse(o, 1, argv, from_file, err);
    }
    strconv_arg_t *args = NULL;
    int argc = strconv_split_args(text, &args);
    if (argc < 0) {
        *err = str_new_cstr("Unbalanced quotes");
        return -1;
    }
    char *argv[64];
    char empty[1] = "";
    int n = 0;
    for (int i = 0; i < argc && n < 64; i++)
        argv[n++] = args[i].ptr;
    if (n == 0)
        argv[n++] = empty;
    int r = opt_parse(o, n, argv, from_file, err);
    if (argc > 0)
        strconv_free_args(args, argc);
    return r;
}

static str_t *opt_format(const opt_t *o)
{
    switch (o->type) {
    case OPT_BOOL:
        return str_new_cstr(*(bool *)o->field ? "yes" : "no");
    case OPT_INT:
    case OPT_MEMORY:
        return str_fmt("%lld", *(long long *)o->field);
    case OPT_STRING: {
        const char *v = *(char **)o->field;
        return str_new_cstr(v ? v : "");
    }
    case OPT_ENUM: {
        int v = *(int *)o->field;
        for (int i = 0; o->enums[i].name != NULL; i++)
            if (o->enums[i].value == v)
                return str_new_cstr(o->enums[i].name);
        return str_new_cstr("");
    }
    case OPT_SPECIAL:
        return o->format(o);
    }
    return str_new_cstr("");
}

static void set_defaults(void)
{
    for (int i = 0; i < NOPTIONS; i++) {
        const opt_t *o = &options[i];
        if (strcmp(o->name, "dir") == 0)
            continue;
        str_t *err = NULL;
        int r = opt_parse_text(o, o->def, false, &err);
        if (r != 0)
            fprintf(stderr, "bad default for '%s': %s\n", o->name, err ? err->buf : "?");
        INSIST(r == 0);
    }
    char buf[PATH_MAX];
    cfg.dir = alloc_strdup(getcwd(buf, sizeof(buf)) ? buf : ".");
    cfg.active_expire_enabled = true;
}

static int file_line_cb(void *arg, const conf_line_t *line, str_t **err)
{
    UNUSED(arg);
    int idx = find_option(line->argv[0].ptr);
    if (idx < 0 || line->argc < 2) {
        *err = str_new_cstr("Bad directive or wrong number of arguments");
        return -1;
    }
    const opt_t *o = &options[idx];
    int r;
    if (o->type == OPT_SPECIAL && line->argc == 2) {
        /* A single quoted value of a multi-value option ("50 99") is split
         * like CONFIG SET's value. */
        r = opt_parse_text(o, line->argv[1].ptr, true, err);
    } else {
        char *argv[64];
        int n = 0;
        for (int i = 1; i < line->argc && n < 64; i++)
            argv[n++] = line->argv[i].ptr;
        r = opt_parse(o, n, argv, true, err);
    }
    if (r != 0)
        return -1;
    if ((o->flags & O_CHECK_LOAD) && o->apply(err) != 0)
        return -1;
    opt_set[idx] = true;
    return 0;
}

int config_load(const char *path, const char *overrides, str_t **err)
{
    set_defaults();
    if (path != NULL) {
        char buf[PATH_MAX];
        cfg_file_path = alloc_strdup(realpath(path, buf) ? buf : path);
        if (conf_parse_file(path, file_line_cb, NULL, err) != 0)
            return -1;
    }
    if (overrides != NULL && overrides[0] != '\0' &&
        conf_parse_text(overrides, NULL, file_line_cb, NULL, err) != 0)
        return -1;
    if (cfg.hz > 500)
        cfg.hz = 500;
    if (cfg.hz < 1)
        cfg.hz = 1;
    return 0;
}

/* ============================ CONFIG SET ============================= */

bool config_protected_allowed;

int config_set(const char *name, const char *const *values, int nvalues, str_t **err)
{
    REQUIRE(nvalues == 1);
    int idx = find_option(name);
    if (idx < 0) {
        *err = str_fmt("Unknown option or number of arguments for CONFIG SET - '%s'", name);
        return -1;
    }
    const opt_t *o = &options[idx];
    str_t *reason = NULL;
    if (o->flags & O_IMMUTABLE) {
        reason = str_new_cstr("can't set immutable config");
    } else if ((o->flags & O_PROTECTED) && !config_protected_allowed) {
        reason = str_new_cstr("can't set protected config");
    } else if (opt_parse_text(o, values[0], false, &reason) == 0) {
        opt_set[idx] = true;
        if (o->apply == NULL || o->apply(&reason) == 0)
            return 0;
    }
    *err = str_fmt("CONFIG SET failed (possibly related to argument '%s') - %s", name,
                   reason ? reason->buf : "error");
    str_free(reason);
    return -1;
}

/* Sets several options at once, all or none: on any failure every option
 * touched so far gets its old value back. */
int config_set_many(int n, const char *const *names, const char *const *values, str_t **err)
{
    int idx[64];
    if (n > 64) {
        *err = str_new_cstr("too many parameters");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        idx[i] = find_option(names[i]);
        if (idx[i] < 0) {
            *err = str_fmt("Unknown option or number of arguments for CONFIG SET - '%s'",
                           names[i]);
            return -1;
        }
        for (int j = 0; j < i; j++) {
            if (idx[j] == idx[i]) {
                *err = str_fmt("CONFIG SET failed (possibly related to argument '%s') - "
                               "duplicate parameter", names[i]);
                return -1;
            }
        }
    }
    str_t *old[64];
    bool was_set[64];
    for (int i = 0; i < n; i++) {
        old[i] = opt_format(&options[idx[i]]);
        was_set[i] = opt_set[idx[i]];
    }
    int failed = -1;
    for (int i = 0; i < n && failed < 0; i++)
        if (config_set(names[i], &values[i], 1, err) != 0)
            failed = i;
    if (failed >= 0) {
        for (int i = 0; i <= failed; i++) {
            str_t *ignored = NULL;
            if (opt_parse_text(&options[idx[i]], old[i]->buf, false, &ignored) == 0 &&
                options[idx[i]].apply != NULL)
                options[idx[i]].apply(&ignored);
            str_free(ignored);
            opt_set[idx[i]] = was_set[i];
        }
    }
    for (int i = 0; i < n; i++)
        str_free(old[i]);
    return failed >= 0 ? -1 : 0;
}

str_t *config_get_value(const char *name)
{
    int idx = find_option(name);
    return idx < 0 ? NULL : opt_format(&options[idx]);
}

/* Calls fn for every option name (and alias) matching pattern. */
void config_foreach_match(const char *pattern, void (*fn)(void *arg, const char *name, str_t *value),
                          void *arg)
{
    bool literal = strpbrk(pattern, "*?[") == NULL;
    for (int i = 0; i < NOPTIONS; i++) {
        const opt_t *o = &options[i];
        const char *names[2] = {o->name, o->alias};
        for (int k = 0; k < 2; k++) {
            const char *nm = names[k];
            if (nm == NULL)
                continue;
            bool match = literal ? strcasecmp(pattern, nm) == 0
                                 : !(o->flags & O_HIDDEN) &&
                                       strconv_glob_match(pattern, strlen(pattern), nm,
                                                          strlen(nm), true);
            if (match)
                fn(arg, nm, opt_format(o));
        }
    }
}

void config_free(void)
{
    for (int i = 0; i < NOPTIONS; i++) {
        const opt_t *o = &options[i];
        if (o->type == OPT_STRING) {
            alloc_free(*(char **)o->field);
            *(char **)o->field = NULL;
        }
    }
    for (int i = 0; i < cfg.bind_count; i++)
        alloc_free(cfg.bind[i]);
    cfg.bind_count = 0;
    alloc_free(cfg.dir);
    alloc_free(cfg.notify_keyspace_events);
    alloc_free(cfg.latency_tracking_info_percentiles);
    alloc_free(cfg.replicaof_host);
    alloc_free(cfg_file_path);
    cfg.dir = cfg.notify_keyspace_events = cfg.latency_tracking_info_percentiles = NULL;
    cfg.replicaof_host = cfg_file_path = NULL;
}

/* =========================== CONFIG REWRITE =========================== */

static bool needs_quotes(const char *v)
{
    if (*v == '\0')
        return true;
    for (const char *p = v; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '\'' || *p == '\\' || (unsigned char)*p >= 127)
            return true;
    return false;
}

static str_t *cat_value(str_t *s, const char *v)
{
    if (!needs_quotes(v))
        return str_cat_cstr(s, v);
    s = str_cat_cstr(s, "\"");
    for (const char *p = v; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            s = str_catfmt(s, "\\%c", ch);
        else if (ch < ' ' || ch >= 127)
            s = str_catfmt(s, "\\x%02x", ch);
        else
            s = str_cat(s, p, 1);
    }
    return str_cat_cstr(s, "\"");
}

/* Appends the directive line(s) that express option o's current value. */
static str_t *cat_option_lines(str_t *s, const opt_t *o)
{
    str_t *v = opt_format(o);
    if (strcmp(o->name, "client-output-buffer-limit") == 0) {
        strconv_arg_t *a = NULL;
        int n = strconv_split_args(v->buf, &a);
        for (int i = 0; i + 3 < n; i += 4)
            s = str_catfmt(s, "%s %s %s %s %s\n", o->name, a[i].ptr, a[i + 1].ptr,
                           a[i + 2].ptr, a[i + 3].ptr);
        if (n > 0)
            strconv_free_args(a, n);
    } else if (o->type == OPT_SPECIAL && v->len > 0 && strcmp(o->name, "dir") != 0 &&
               strcmp(o->name, "notify-keyspace-events") != 0) {
        s = str_catfmt(s, "%s %s\n", o->name, v->buf);
    } else {
        s = str_catfmt(s, "%s ", o->name);
        s = cat_value(s, v->buf);
        s = str_cat_cstr(s, "\n");
    }
    str_free(v);
    return s;
}

static bool differs_from_default(const opt_t *o)
{
    if (strcmp(o->name, "dir") == 0)
        return false;
    str_t *cur = opt_format(o);
    str_t *saved = str_dup(cur);
    str_t *err = NULL;
    /* Format the default through the same path to compare canonical forms. */
    bool differs = true;
    if (opt_parse_text(o, o->def, false, &err) == 0) {
        str_t *def = opt_format(o);
        differs = strcmp(def->buf, cur->buf) != 0;
        str_free(def);
    }
    str_free(err);
    err = NULL;
    int r = opt_parse_text(o, saved->buf, false, &err);
    INSIST(r == 0);
    str_free(err);
    str_free(saved);
    str_free(cur);
    return differs;
}

static int line_option(const char *line)
{
    strconv_arg_t *a = NULL;
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '#' || *p == '\0')
        return -1;
    int n = strconv_split_args(p, &a);
    int idx = n > 0 ? find_option(a[0].ptr) : -1;
    if (n > 0)
        strconv_free_args(a, n);
    return idx;
}

#define REWRITE_MARKER "# Generated by CONFIG REWRITE"

int config_rewrite(str_t **err)
{
    if (cfg_file_path == NULL) {
        *err = str_new_cstr("The server is running without a config file");
        return -1;
    }
    str_t *old = conf_read_file(cfg_file_path);
    if (old == NULL && errno != ENOENT) {
        *err = str_fmt("Rewriting config file: %s", strerror(errno));
        return -1;
    }
    bool in_file[ARRAY_LEN(options)] = {false};
    bool emitted[ARRAY_LEN(options)] = {false};
    str_t *out = str_new_cap(old ? old->len + 256 : 256);
    const char *p = old ? old->buf : "";
    bool have_marker = false;
    /* Pass 1: which options the file mentions. */
    for (const char *q = p; *q;) {
        const char *nl = strchr(q, '\n');
        size_t len = nl ? (size_t)(nl - q) : strlen(q);
        str_t *line = str_new(q, len);
        int idx = line_option(line->buf);
        if (idx >= 0)
            in_file[idx] = true;
        str_free(line);
        q += len + (nl ? 1 : 0);
    }
    /* Pass 2: keep comments and includes, replace option lines in place. */
    for (const char *q = p; *q;) {
        const char *nl = strchr(q, '\n');
        size_t len = nl ? (size_t)(nl - q) : strlen(q);
        str_t *line = str_new(q, len);
        int idx = line_option(line->buf);
        if (idx < 0) {
            if (strcmp(line->buf, REWRITE_MARKER) == 0)
                have_marker = true;
            out = str_cat(out, line->buf, line->len);
            out = str_cat_cstr(out, "\n");
        } else if (!emitted[idx]) {
            out = cat_option_lines(out, &options[idx]);
            emitted[idx] = true;
        }
        str_free(line);
        q += len + (nl ? 1 : 0);
    }
    /* Pass 3: options changed from their defaults that the file lacks. */
    for (int i = 0; i < NOPTIONS; i++) {
        if (emitted[i] || in_file[i] || !differs_from_default(&options[i]))
            continue;
        if (!have_marker) {
            out = str_cat_cstr(out, REWRITE_MARKER "\n");
            have_marker = true;
        }
        out = cat_option_lines(out, &options[i]);
    }
    int r = conf_write_atomic(cfg_file_path, out->buf, out->len);
    str_free(out);
    if (old != NULL)
        str_free(old);
    if (r != 0) {
        *err = str_fmt("Rewriting config file: %s", strerror(-r));
        return -1;
    }
    return 0;
}
