/*
 * DEBUG: the testing hooks of Redis 7.0 that make sense here (SLEEP, OBJECT,
 * SET-ACTIVE-EXPIRE, PROTOCOL, DIGEST, DIGEST-VALUE, POPULATE, ERROR, LOG,
 * CHANGE-REPL-ID, RELOAD, LOADAOF), guarded by enable-debug-command.
 * Digests follow Redis's scheme, so two servers holding the same data
 * report the same digest whatever the encodings and insertion order.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/log.h"
#include "core/strconv.h"
#include "db/keyspace.h"
#include "db/t_hash.h"
#include "db/t_list.h"
#include "db/t_set.h"
#include "db/t_zset.h"
#include "server/aof.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/persist.h"
#include "server/propagate.h"
#include "server/server.h"

#define DIGEST_LEN 20

/* ============================ access ================================== */

static bool local_client(const client_t *c)
{
    if (c->conn == NULL || (c->flags & CLIENT_UNIX) || c->conn->kind == CONN_KIND_UNIX)
        return true;
    const char *peer = c->conn->peer;
    return strncmp(peer, "127.", 4) == 0 || strncmp(peer, "::1:", 4) == 0 ||
           strncmp(peer, "[::1]", 5) == 0 || strncmp(peer, "::ffff:127.", 11) == 0;
}

static bool debug_allowed(const client_t *c)
{
    if (cfg.enable_debug_command == DEBUG_CMD_YES)
        return true;
    return cfg.enable_debug_command == DEBUG_CMD_LOCAL && local_client(c);
}

bool client_may_set_protected(const client_t *c)
{
    return cfg.enable_protected_configs == 1 ||
           (cfg.enable_protected_configs == 2 && local_client(c));
}

/* ============================ digests ================================= */

/* digest ^= SHA1(p): order-independent combination. */
static void digest_xor(unsigned char *digest, const void *p, size_t n)
{
    unsigned char h[DIGEST_LEN];
    SHA1(p, n, h);
    for (int i = 0; i < DIGEST_LEN; i++)
        digest[i] ^= h[i];
}

/* digest = SHA1(digest ^ SHA1(p)): order-dependent combination. */
static void digest_mix(unsigned char *digest, const void *p, size_t n)
{
    digest_xor(digest, p, n);
    SHA1(digest, DIGEST_LEN, digest);
}

/* Mixes the canonical content of a value into digest. Strings use their
 * bytes, whatever the encoding. Each further type adds its case here with
 * Redis's scheme: lists mix each element in order; sets xor each member;
 * hashes and sorted sets xor, per element, a digest that mixes the field
 * (member) and the value (the score as "%.17g"). */
static void digest_value_content(const obj_t *o, unsigned char *digest)
{
    switch (o->type) {
    case OBJ_STRING: {
        char tmp[STRCONV_BUF];
        size_t len;
        const char *p = obj_string_bytes(o, tmp, &len);
        digest_mix(digest, p, len);
        break;
    }
    case OBJ_LIST: {
        tlist_iter_t it;
        tlist_ent_t e;
        tlist_iter_init(&it, (obj_t *)o, 0, true);
        while (tlist_iter_next(&it, &e)) {
            char buf[LP_INTBUF];
            size_t n;
            const char *p = tlist_ent_bytes(&e, buf, &n);
            digest_mix(digest, p, n);
        }
        tlist_iter_destroy(&it);
        break;
    }
    case OBJ_SET: {
        tset_iter_t it;
        tset_member_t m;
        tset_iter_init(&it, (obj_t *)o);
        while (tset_iter_next(&it, &m))
            digest_xor(digest, m.p, m.n);
        tset_iter_destroy(&it);
        break;
    }
    case OBJ_HASH: {
        thash_iter_t it;
        thash_str_t f, v;
        thash_iter_init(&it, (obj_t *)o);
        while (thash_iter_next(&it, &f, &v)) {
            unsigned char pair[DIGEST_LEN] = {0};
            digest_mix(pair, f.p, f.n);
            digest_mix(pair, v.p, v.n);
            digest_xor(digest, pair, DIGEST_LEN);
        }
        thash_iter_destroy(&it);
        break;
    }
    case OBJ_ZSET: {
        tzset_iter_t it;
        tzset_elem_t e;
        tzset_iter_init(&it, (obj_t *)o, false);
        while (tzset_iter_next(&it, &e)) {
            unsigned char pair[DIGEST_LEN] = {0};
            char score[STRCONV_BUF];
            digest_mix(pair, e.p, e.n);
            digest_mix(pair, score, strconv_double(score, e.score));
            digest_xor(digest, pair, DIGEST_LEN);
        }
        break;
    }
    default:
        break;
    }
}

/* The digest of one value: its type, its content and whether it has a TTL
 * (not the TTL itself, as in Redis). */
static void digest_object(db_t *db, const str_t *key, const obj_t *o, unsigned char *digest)
{
    uint32_t type = htonl((uint32_t)o->type);
    digest_mix(digest, &type, sizeof(type));
    digest_value_content(o, digest);
    if (db_get_expire(db, key_ref_str(key)) != -1)
        digest_xor(digest, "!!expire!!", 10);
}

/* The digest of the whole dataset: per database with keys, the database
 * number is mixed in, then each key's digest (key and value) is xored in.
 * Logically expired keys not yet removed count, as in Redis. All zeros for
 * an empty dataset. */
static void digest_dataset(unsigned char *final)
{
    memset(final, 0, DIGEST_LEN);
    for (int j = 0; j < srv.ndbs; j++) {
        db_t *db = &srv.dbs[j];
        if (db_size(db) == 0)
            continue;
        uint32_t id = htonl((uint32_t)j);
        digest_mix(final, &id, sizeof(id));
        dict_iter_t it;
        dict_iter_init(&it, db->keys, false);
        dict_entry_t *e;
        while ((e = dict_iter_next(&it)) != NULL) {
            const str_t *key = e->key;
            unsigned char d[DIGEST_LEN] = {0};
            digest_mix(d, key->buf, key->len);
            digest_object(db, key, e->v.val, d);
            digest_xor(final, d, DIGEST_LEN);
        }
        dict_iter_destroy(&it);
    }
}

static void digest_hex(const unsigned char *d, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < DIGEST_LEN; i++) {
        out[i * 2] = hex[d[i] >> 4];
        out[i * 2 + 1] = hex[d[i] & 15];
    }
    out[DIGEST_LEN * 2] = '\0';
}

/* The stored value of a key without expiring it, or NULL. */
static obj_t *raw_value(db_t *db, const arg_t *a, const str_t **key)
{
    str_t *probe = str_new(a->p, a->n);
    dict_entry_t *e = dict_find(db->keys, probe);
    str_free(probe);
    if (e == NULL)
        return NULL;
    *key = e->key;
    return e->v.val;
}

static void debug_digest(client_t *c)
{
    unsigned char d[DIGEST_LEN];
    char hex[DIGEST_LEN * 2 + 1];
    digest_dataset(d);
    digest_hex(d, hex);
    reply_status(&c->reply, hex);
}

static void debug_digest_value(client_t *c)
{
    reply_array(&c->reply, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        unsigned char d[DIGEST_LEN] = {0};
        char hex[DIGEST_LEN * 2 + 1];
        const str_t *key = NULL;
        obj_t *o = raw_value(c->db, &c->argv[i], &key);
        if (o != NULL)
            digest_object(c->db, key, o, d);
        digest_hex(d, hex);
        reply_status(&c->reply, hex);
    }
}

/* ============================ OBJECT ================================== */

/* Bytes of an RDB length prefix. */
static size_t rdb_len_size(size_t n)
{
    if (n < (1u << 6))
        return 1;
    if (n < (1u << 14))
        return 2;
    if (n <= UINT32_MAX)
        return 5;
    return 9;
}

/* Bytes a string takes in an RDB file: small integers in 1, 2 or 4 bytes
 * after a type byte, anything else as a length and the bytes (without LZF
 * compression, which Redis applies to strings over 20 bytes). */
static size_t rdb_string_size(const obj_t *o)
{
    long long v;
    char tmp[STRCONV_BUF];
    size_t len;
    const char *p = obj_string_bytes(o, tmp, &len);
    if (len <= 11 && strconv_to_ll(p, len, &v) == 0) {
        if (v >= -(1 << 7) && v <= (1 << 7) - 1)
            return 2;
        if (v >= -(1 << 15) && v <= (1 << 15) - 1)
            return 3;
        if (v >= -(1LL << 31) && v <= (1LL << 31) - 1)
            return 5;
    }
    return rdb_len_size(len) + len;
}

static void debug_object(client_t *c)
{
    obj_t *o = db_lookup_quiet(c->db, arg_key(&c->argv[2]));
    if (o == NULL) {
        reply_error(&c->reply, "ERR no such key");
        return;
    }
    size_t serialized = o->type == OBJ_STRING ? rdb_string_size(o) : obj_mem_usage(o, 0);
    char extra[160] = "";
    if (o->type == OBJ_LIST) {
        /* Redis adds the quicklist's shape for lists. */
        tlist_stats_t st;
        tlist_stats(o, &st);
        snprintf(extra, sizeof(extra),
                 " ql_nodes:%zu ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d "
                 "ql_uncompressed_size:%zu",
                 st.nodes, st.nodes ? (double)st.count / (double)st.nodes : 0.0, st.fill,
                 st.depth != 0, st.raw_bytes);
    }
    char line[400];
    snprintf(line, sizeof(line),
             "Value at:%p refcount:%d encoding:%s serializedlength:%zu lru:%u "
             "lru_seconds_idle:%llu%s",
             (void *)o, o->refcount, obj_encoding_name(o->encoding), serialized,
             (unsigned)o->lru, (unsigned long long)(db_idle_ms(o) / 1000), extra);
    reply_status(&c->reply, line);
}

/* ============================ PROTOCOL ================================ */

static void protocol_map(reply_t *r)
{
    reply_map(r, 3);
    for (int i = 0; i < 3; i++) {
        reply_int(r, i);
        reply_bool(r, i == 1);
    }
}

static void protocol_attrib(reply_t *r)
{
    if (r->proto >= 3) {
        reply_raw(r, "|1\r\n", 4);
        reply_bulk_cstr(r, "key-popularity");
        reply_array(r, 2);
        reply_bulk_cstr(r, "key:123");
        reply_int(r, 90);
    }
    reply_bulk_cstr(r, "Some real reply following the attribute");
}

static void protocol_push(client_t *c)
{
    reply_t *r = &c->reply;
    if (r->proto < 3) {
        reply_error(r, "ERR RESP2 is not supported by this command");
        return;
    }
    reply_push(r, 2);
    reply_bulk_cstr(r, "server-cpu-usage");
    reply_int(r, 42);
    reply_bulk_cstr(r, "Some real reply following the push reply");
}

static void protocol_sequence(reply_t *r, bool set)
{
    if (set)
        reply_set(r, 3);
    else
        reply_array(r, 3);
    for (int i = 0; i < 3; i++)
        reply_int(r, i);
}

static void debug_protocol(client_t *c)
{
    static const char bignum[] = "1234567999999999999999999999999999999";
    static const char verbatim[] = "This is a verbatim\nstring";
    reply_t *r = &c->reply;
    const arg_t *t = &c->argv[2];
    if (arg_is(t, "string")) {
        reply_bulk_cstr(r, "Hello World");
    } else if (arg_is(t, "integer")) {
        reply_int(r, 12345);
    } else if (arg_is(t, "double")) {
        reply_double(r, 3.141);
    } else if (arg_is(t, "bignum")) {
        if (r->proto >= 3) {
            char line[64];
            int n = snprintf(line, sizeof(line), "(%s\r\n", bignum);
            reply_raw(r, line, (size_t)n);
        } else {
            reply_bulk_cstr(r, bignum);
        }
    } else if (arg_is(t, "null")) {
        reply_null(r);
    } else if (arg_is(t, "array") || arg_is(t, "set")) {
        protocol_sequence(r, arg_is(t, "set"));
    } else if (arg_is(t, "map")) {
        protocol_map(r);
    } else if (arg_is(t, "attrib")) {
        protocol_attrib(r);
    } else if (arg_is(t, "push")) {
        protocol_push(c);
    } else if (arg_is(t, "verbatim")) {
        reply_verbatim(r, verbatim, sizeof(verbatim) - 1, "txt");
    } else if (arg_is(t, "true") || arg_is(t, "false")) {
        reply_bool(r, arg_is(t, "true"));
    } else {
        reply_error(r, "ERR Wrong protocol type name. Please use one of the following: "
                       "string|integer|double|bignum|null|array|set|map|attrib|push|"
                       "verbatim|true|false");
    }
}

/* ============================ POPULATE ================================ */

/* Parses a count argument as Redis's getPositiveLong does for DEBUG. */
static bool positive_arg(client_t *c, const arg_t *a, long long *out)
{
    if (strconv_to_ll(a->p, a->n, out) != 0 || *out < 0) {
        reply_error(&c->reply, "ERR value is out of range, must be positive");
        return false;
    }
    return true;
}

/* A "value:N" string, zero-padded or cut to size when size is not 0. */
static obj_t *populate_value(long long j, long long size)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "value:%lld", j);
    if (size == 0)
        return obj_new_string(buf, (size_t)n);
    str_t *s = str_new_cap((size_t)size);
    s = str_grow_zero(s, (size_t)size);
    memcpy(s->buf, buf, (size_t)size < (size_t)n ? (size_t)size : (size_t)n);
    return obj_new_raw_str(s);
}

static void debug_populate(client_t *c)
{
    long long count, size = 0;
    if (!positive_arg(c, &c->argv[2], &count))
        return;
    if (c->argc == 5 && !positive_arg(c, &c->argv[4], &size))
        return;
    const char *prefix = "key";
    size_t plen = 3;
    if (c->argc >= 4) {
        prefix = c->argv[3].p;
        plen = c->argv[3].n;
    }
    str_t *key = str_new_cap(plen + 24);
    for (long long j = 0; j < count; j++) {
        str_setlen(key, 0);
        key = str_cat(key, prefix, plen);
        key = str_catfmt(key, ":%lld", j);
        key_ref_t k = key_ref_str(key);
        if (db_lookup_write(c->db, k) != NULL)
            continue;
        db_add(c->db, k, populate_value(j, size));
    }
    str_free(key);
    reply_ok(&c->reply);
}

/* ============================ small ones ============================== */

/* Copies an argument into a NUL-terminated buffer for the C parsers. */
static void arg_cstr(const arg_t *a, char *buf, size_t cap)
{
    size_t n = a->n < cap - 1 ? a->n : cap - 1;
    memcpy(buf, a->p, n);
    buf[n] = '\0';
}

/* Blocks the whole server, as Redis does: fractions of seconds allowed,
 * unparsable or negative values sleep not at all. */
static void debug_sleep(client_t *c)
{
    char buf[64];
    arg_cstr(&c->argv[2], buf, sizeof(buf));
    double secs = strtod(buf, NULL);
    long long usec = (long long)(secs * 1000000);
    if (usec > 0) {
        struct timespec ts = {(time_t)(usec / 1000000), (long)(usec % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    reply_ok(&c->reply);
}

static void debug_set_active_expire(client_t *c)
{
    char buf[64];
    arg_cstr(&c->argv[2], buf, sizeof(buf));
    cfg.active_expire_enabled = atoi(buf) != 0;
    reply_ok(&c->reply);
}

static void debug_log(client_t *c)
{
    log_msg(LOG_LEVEL_WARNING, "DEBUG LOG: %.*s", (int)c->argv[2].n, c->argv[2].p);
    reply_ok(&c->reply);
}

static void debug_error(client_t *c)
{
    char *msg = alloc_malloc(c->argv[2].n + 1);
    arg_cstr(&c->argv[2], msg, c->argv[2].n + 1);
    reply_error(&c->reply, msg);
    alloc_free(msg);
}

static void debug_change_repl_id(client_t *c)
{
    log_msg(LOG_LEVEL_NOTICE, "changing replication IDs after receiving DEBUG change-repl-id");
    reply_ok(&c->reply);
}

static void debug_help(client_t *c)
{
    static const char *const lines[] = {
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        NULL,
    };
    reply_help(&c->reply, "DEBUG", lines);
}

/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, flush and load back. */
static void debug_reload(client_t *c)
{
    bool save = true, flush = true, merge = false;
    for (int i = 2; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "merge")) {
            merge = true;
        } else if (arg_is(&c->argv[i], "noflush")) {
            flush = false;
        } else if (arg_is(&c->argv[i], "nosave")) {
            save = false;
        } else {
            reply_error(&c->reply,
                        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    str_t *err = NULL;
    if (persist_reload(save, flush, merge, &err) != 0) {
        reply_error(&c->reply, err->buf);
        str_free(err);
        return;
    }
    reply_ok(&c->reply);
}

/* DEBUG LOADAOF: writes what the AOF buffer holds, empties the databases
 * and replays the AOF. The replayed commands are not propagated again, and
 * the changes count is reset as after loading at start-up. */
static void debug_loadaof(client_t *c)
{
    propagate_prevent();
    str_t *err = NULL;
    if (aof_debug_reload(&err) != 0) {
        reply_error(&c->reply, err->buf);
        str_free(err);
        return;
    }
    srv.dirty = 0;
    log_msg(LOG_LEVEL_WARNING, "Append Only File loaded by DEBUG LOADAOF");
    reply_ok(&c->reply);
}

/* ============================ dispatch ================================ */

typedef struct debug_sub {
    const char *name;
    void (*fn)(client_t *c);
    int min_argc, max_argc; /* Including DEBUG and the subcommand name. */
} debug_sub_t;

static const debug_sub_t debug_subs[] = {
    {"help", debug_help, 2, 2},
    {"sleep", debug_sleep, 3, 3},
    {"object", debug_object, 3, 3},
    {"set-active-expire", debug_set_active_expire, 3, 3},
    {"protocol", debug_protocol, 3, 3},
    {"digest", debug_digest, 2, 2},
    {"digest-value", debug_digest_value, 2, INT_MAX},
    {"populate", debug_populate, 3, 5},
    {"change-repl-id", debug_change_repl_id, 2, 2},
    {"log", debug_log, 3, 3},
    {"error", debug_error, 3, 3},
    {"reload", debug_reload, 2, 5},
    {"loadaof", debug_loadaof, 2, 2},
};

void cmd_debug(client_t *c)
{
    if (!debug_allowed(c)) {
        reply_error(&c->reply,
                    "ERR DEBUG command not allowed. If the enable-debug-command option is "
                    "set to \"local\", you can run it from a local connection, otherwise "
                    "you need to set this option in the configuration file, and then "
                    "restart the server.");
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(debug_subs); i++) {
        const debug_sub_t *s = &debug_subs[i];
        if (arg_is(&c->argv[1], s->name) && c->argc >= s->min_argc &&
            c->argc <= s->max_argc) {
            s->fn(c);
            return;
        }
    }
    reply_errorf(&c->reply,
                 "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                 "Try DEBUG HELP.",
                 (int)(c->argv[1].n > 128 ? 128 : c->argv[1].n), c->argv[1].p);
}
