/*
 * commands: the command table as data. commands.def lists every command and
 * subcommand with its arity, flags, ACL categories, key specs and handler;
 * this module builds the lookup dict from it and answers COMMAND. The table
 * is static; runtime counters live beside each entry.
 */
#ifndef RH_SERVER_COMMANDS_H
#define RH_SERVER_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct client;
typedef void cmd_proc(struct client *c);

/*
 * Command flags (the gates in dispatch.c read these, never names):
 * WRITE     may modify the dataset (refused on read-only replicas, OOM gate
 *           for DENYOOM, propagated).
 * READONLY  only reads the dataset.
 * DENYOOM   may grow memory: refused with -OOM when over maxmemory.
 * ADMIN     administrative (ACL @admin, @dangerous).
 * PUBSUB    a pub/sub command (allowed in RESP2 subscriber context).
 * NOSCRIPT  not allowed from scripts.
 * BLOCKING  may block the client.
 * LOADING   allowed while the dataset loads.
 * STALE     allowed on a replica with a broken link.
 * SKIP_MONITOR  not shown to MONITOR clients.
 * SKIP_SLOWLOG  not recorded in the slow log.
 * FAST      O(1) or O(log N) (ACL @fast).
 * NO_AUTH   allowed before authentication.
 * MAY_REPLICATE, SENTINEL, ONLY_SENTINEL, NO_MANDATORY_KEYS, PROTECTED,
 * NO_ASYNC_LOADING, NO_MULTI, MOVABLE_KEYS, ALLOW_BUSY: as in Redis 7.0.
 * Our own flags, which COMMAND never shows:
 * SUBSCRIBER_OK  allowed in the RESP2 subscriber context: the (P|S)SUBSCRIBE
 *                family, PING, QUIT and RESET.
 * TX_CONTROL     runs at once inside MULTI instead of being queued (MULTI,
 *                EXEC, DISCARD, WATCH, QUIT, RESET); not refused for memory
 *                inside MULTI.
 */
enum cmd_flag {
    CMD_WRITE = 1ULL << 0,
    CMD_READONLY = 1ULL << 1,
    CMD_DENYOOM = 1ULL << 2,
    CMD_MODULE = 1ULL << 3,
    CMD_ADMIN = 1ULL << 4,
    CMD_PUBSUB = 1ULL << 5,
    CMD_NOSCRIPT = 1ULL << 6,
    CMD_BLOCKING = 1ULL << 8,
    CMD_LOADING = 1ULL << 9,
    CMD_STALE = 1ULL << 10,
    CMD_SKIP_MONITOR = 1ULL << 11,
    CMD_SKIP_SLOWLOG = 1ULL << 12,
    CMD_ASKING = 1ULL << 13,
    CMD_FAST = 1ULL << 14,
    CMD_NO_AUTH = 1ULL << 15,
    CMD_MAY_REPLICATE = 1ULL << 16,
    CMD_SENTINEL = 1ULL << 17,
    CMD_ONLY_SENTINEL = 1ULL << 18,
    CMD_NO_MANDATORY_KEYS = 1ULL << 19,
    CMD_PROTECTED = 1ULL << 20,
    CMD_MODULE_GETKEYS = 1ULL << 21,
    CMD_MODULE_NO_CLUSTER = 1ULL << 22,
    CMD_NO_ASYNC_LOADING = 1ULL << 23,
    CMD_NO_MULTI = 1ULL << 24,
    CMD_MOVABLE_KEYS = 1ULL << 25,
    CMD_ALLOW_BUSY = 1ULL << 26,
    CMD_SUBSCRIBER_OK = 1ULL << 27,
    CMD_TX_CONTROL = 1ULL << 28,
};

/* ACL categories, in Redis's order and names. */
enum acl_category {
    ACL_KEYSPACE = 1ULL << 0,
    ACL_READ = 1ULL << 1,
    ACL_WRITE = 1ULL << 2,
    ACL_SET = 1ULL << 3,
    ACL_SORTEDSET = 1ULL << 4,
    ACL_LIST = 1ULL << 5,
    ACL_HASH = 1ULL << 6,
    ACL_STRING = 1ULL << 7,
    ACL_BITMAP = 1ULL << 8,
    ACL_HYPERLOGLOG = 1ULL << 9,
    ACL_GEO = 1ULL << 10,
    ACL_STREAM = 1ULL << 11,
    ACL_PUBSUB = 1ULL << 12,
    ACL_ADMIN = 1ULL << 13,
    ACL_FAST = 1ULL << 14,
    ACL_SLOW = 1ULL << 15,
    ACL_BLOCKING = 1ULL << 16,
    ACL_DANGEROUS = 1ULL << 17,
    ACL_CONNECTION = 1ULL << 18,
    ACL_TRANSACTION = 1ULL << 19,
    ACL_SCRIPTING = 1ULL << 20,
};

/* Key spec flags (Redis 7.0 names). */
enum keyspec_flag {
    KS_RO = 1 << 0,
    KS_RW = 1 << 1,
    KS_OW = 1 << 2,
    KS_RM = 1 << 3,
    KS_ACCESS = 1 << 4,
    KS_UPDATE = 1 << 5,
    KS_INSERT = 1 << 6,
    KS_DELETE = 1 << 7,
    KS_NOT_KEY = 1 << 8,
    KS_INCOMPLETE = 1 << 9,
    KS_VARIABLE_FLAGS = 1 << 10,
};

enum keyspec_begin { KSB_INVALID = 0, KSB_UNKNOWN, KSB_INDEX, KSB_KEYWORD };
enum keyspec_find { KSF_INVALID = 0, KSF_UNKNOWN, KSF_RANGE, KSF_KEYNUM };

typedef struct keyspec {
    unsigned flags;
    int begin;            /* enum keyspec_begin */
    int bs_pos;           /* INDEX: position; KEYWORD: startfrom. */
    const char *bs_keyword;
    int find;             /* enum keyspec_find */
    int fk_a, fk_b, fk_c; /* RANGE: lastkey, keystep, limit.
                           * KEYNUM: keynumidx, firstkey, keystep. */
} keyspec_t;

/* Latency histogram buckets: powers of two of microseconds. */
#define CMD_HIST_BUCKETS 40

typedef struct cmd cmd_t;
struct cmd {
    const char *name;     /* Lower case; subcommands without the parent. */
    const char *fullname; /* "config|get" for subcommands. */
    cmd_proc *proc;       /* NULL for containers (they have subcommands). */
    int arity;            /* Negative: at least -arity. */
    uint64_t flags;
    uint64_t acl;
    const keyspec_t *keyspecs;
    int nkeyspecs;
    const char *group;    /* "string", "generic", "server", ... */
    const char *since;
    const char *summary;
    const char *complexity;
    cmd_t *parent;
    cmd_t **subs;         /* NULL-terminated, or NULL. */
    int nsubs;
    int id;               /* Index for ACL bitmaps. */

    /* Runtime counters. */
    uint64_t calls, usec, rejected_calls, failed_calls;
    uint64_t hist[CMD_HIST_BUCKETS];
};

/* Builds the lookup tables; call once at start. */
void commands_init(void);
/* Finds a top-level command by name (case-insensitive), or NULL. */
cmd_t *commands_lookup(const char *name, size_t len);
/* Finds a subcommand of a container, or NULL. */
cmd_t *commands_lookup_sub(const cmd_t *parent, const char *name, size_t len);
/* Number of top-level commands; iteration by index. */
int commands_count(void);
cmd_t *commands_at(int i);
/* Resets the runtime counters of every command (CONFIG RESETSTAT). */
void commands_reset_stats(void);
/* Records one call's duration. */
void commands_record(cmd_t *cmd, uint64_t usec);

/* Names of flags and ACL categories, for COMMAND INFO. */
const char *commands_flag_name(uint64_t flag);
const char *commands_acl_name(uint64_t cat);

/* Key positions: fills keys[] (argv indexes) up to max, returns the count,
 * using the key specs (COMMAND GETKEYS, ACL key checks). Specs that do not
 * fit the arguments are skipped. */
int commands_get_keys(const cmd_t *cmd, int argc, const char *const *argv,
                      const size_t *lens, int *keys, int max);

/* One key argument of a call: its argv index and key spec flags. */
typedef struct cmd_key {
    int pos;
    unsigned flags; /* enum keyspec_flag */
} cmd_key_t;

struct arg;
/*
 * Finds the key arguments of a call (argv[0] is the command name, argv[1]
 * the subcommand name for subcommands) as COMMAND GETKEYS does: stores up to
 * max keys and returns their number, or -1 when the arguments do not fit a
 * key spec (a bad key count, a range past the end). The _partial form skips
 * such specs instead and never fails.
 */
int commands_find_keys(const cmd_t *cmd, int argc, const struct arg *argv,
                       cmd_key_t *keys, int max);
int commands_find_keys_partial(const cmd_t *cmd, int argc, const struct arg *argv,
                               cmd_key_t *keys, int max);
/* True when a key spec of cmd names real keys (not only NOT_KEY ones). */
bool commands_has_keys(const cmd_t *cmd);
/* The (first, last, step) triple COMMAND INFO reports, derived from the key
 * specs as Redis derives its legacy range; all 0 when there is none. */
void commands_legacy_range(const cmd_t *cmd, int *first, int *last, int *step);

#endif
