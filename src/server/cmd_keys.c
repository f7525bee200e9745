/*
 * Generic keyspace commands: DEL UNLINK EXISTS TYPE TOUCH, the EXPIRE and TTL
 * families, PERSIST, KEYS, SCAN, RANDOMKEY, RENAME(NX), COPY, MOVE, SWAPDB,
 * DBSIZE, FLUSHDB, FLUSHALL and OBJECT. The handlers parse arguments, call
 * the keyspace (db/keyspace.h) and reply; every write adds the changes it
 * made to srv.dirty, counting as Redis 7.0 does, which decides whether it
 * is propagated. The EXPIRE family propagates absolute times (PEXPIREAT);
 * FLUSHDB and FLUSHALL propagate even when there was nothing to remove.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/strconv.h"
#include "db/keyspace.h"
#include "db/object.h"
#include "server/cmd_handlers.h"
#include "server/client.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/notify.h"
#include "server/propagate.h"
#include "server/server.h"

/* ============================== helpers ============================== */

/* Publishes a keyspace event for key in database db. */
static void notify(db_t *db, int cls, const char *event, key_ref_t key)
{
    notify_keyspace_event(cls, event, key.p, key.n, db->id);
}

/* A read lookup that leaves the access clock alone but counts a keyspace
 * hit or miss, like Redis's LOOKUP_NOTOUCH (OBJECT). */
static obj_t *lookup_nonotify(db_t *db, key_ref_t key)
{
    obj_t *o = db_lookup_quiet(db, key);
    if (o != NULL)
        db_env.stat_hits++;
    else
        db_env.stat_misses++;
    return o;
}

/* The same, with the "keymiss" event of a miss (EXISTS, TYPE, TTL). */
static obj_t *lookup_notouch(db_t *db, key_ref_t key)
{
    obj_t *o = lookup_nonotify(db, key);
    if (o == NULL)
        notify(db, NOTIFY_KEY_MISS, "keymiss", key);
    return o;
}

/* True when the key has a TTL in the past. Unlike db_expire_if_needed this
 * deletes nothing, so it is safe while iterating over the keys table. */
static bool key_is_expired(db_t *db, const str_t *key)
{
    if (dict_size(db->expires) == 0)
        return false;
    int64_t when = db_get_expire(db, key_ref_str(key));
    return when >= 0 && when <= db_env.now_ms;
}

static bool args_equal(const arg_t *a, const arg_t *b)
{
    return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Parses an argument as a C int, as Redis's getIntFromObjectOrReply. On
 * failure replies with msg if given, else with the integer or range error,
 * and returns -1. */
static int parse_int(client_t *c, const arg_t *a, const char *msg, int *out)
{
    long long v;
    bool number = strconv_to_ll(a->p, a->n, &v) == 0;
    if (number && v >= INT_MIN && v <= INT_MAX) {
        *out = (int)v;
        return 0;
    }
    if (msg != NULL)
        reply_errorf(&c->reply, "ERR %s", msg);
    else if (!number)
        reply_not_integer(c);
    else
        reply_errorf(&c->reply, "ERR value is out of range, value must between %d and %d",
                     INT_MIN, INT_MAX);
    return -1;
}

/* The database numbered id, or NULL when there is none. */
static db_t *db_at(int id)
{
    if (id < 0 || id >= srv.ndbs)
        return NULL;
    return &srv.dbs[id];
}

static void reply_db_out_of_range(client_t *c)
{
    reply_error(&c->reply, "ERR DB index is out of range");
}

static void reply_same_object(client_t *c)
{
    reply_error(&c->reply, "ERR source and destination objects are the same");
}

/* ========================= existence and type ======================== */

/* DEL and UNLINK: values are freed at once either way. A key that expired
 * is first removed as an expiry, so it is not counted as deleted. */
static void del_generic(client_t *c)
{
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        key_ref_t key = arg_key(&c->argv[j]);
        db_expire_if_needed(c->db, key);
        if (db_delete(c->db, key)) {
            srv.dirty++;
            deleted++;
            notify(c->db, NOTIFY_GENERIC, "del", key);
        }
    }
    reply_int(&c->reply, deleted);
}

void cmd_del(client_t *c)
{
    del_generic(c);
}

void cmd_unlink(client_t *c)
{
    del_generic(c);
}

/* Repeated keys are counted once per mention, as in Redis. */
void cmd_exists(client_t *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (lookup_notouch(c->db, arg_key(&c->argv[j])) != NULL)
            n++;
    reply_int(&c->reply, n);
}

void cmd_touch(client_t *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (db_lookup_read(c->db, arg_key(&c->argv[j])) != NULL)
            n++;
    reply_int(&c->reply, n);
}

void cmd_type(client_t *c)
{
    obj_t *o = lookup_notouch(c->db, arg_key(&c->argv[1]));
    reply_status(&c->reply, o != NULL ? obj_type_name(o->type) : "none");
}

/* ============================== expiry =============================== */

enum expire_flag {
    EXPIRE_NX = 1 << 0,
    EXPIRE_XX = 1 << 1,
    EXPIRE_GT = 1 << 2,
    EXPIRE_LT = 1 << 3,
};

/* Reads the NX/XX/GT/LT options after the time argument. Replies and
 * returns -1 on an unknown option or an impossible combination. */
static int parse_expire_flags(client_t *c, int *flags)
{
    int f = 0;
    for (int j = 3; j < c->argc; j++) {
        const arg_t *a = &c->argv[j];
        if (arg_is(a, "nx")) {
            f |= EXPIRE_NX;
        } else if (arg_is(a, "xx")) {
            f |= EXPIRE_XX;
        } else if (arg_is(a, "gt")) {
            f |= EXPIRE_GT;
        } else if (arg_is(a, "lt")) {
            f |= EXPIRE_LT;
        } else {
            reply_errorf(&c->reply, "ERR Unsupported option %.*s", (int)a->n, a->p);
            return -1;
        }
    }
    if ((f & EXPIRE_NX) && (f & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        reply_error(&c->reply,
                    "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((f & EXPIRE_GT) && (f & EXPIRE_LT)) {
        reply_error(&c->reply, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    *flags = f;
    return 0;
}

/* The absolute expire time in ms from argv[2], a count of seconds or ms
 * added to base. Replies and returns -1 when it is not a number or the
 * conversion overflows. */
static int parse_expire_time(client_t *c, int64_t base, bool seconds, int64_t *out)
{
    long long when;
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &when) != 0) {
        reply_not_integer(c);
        return -1;
    }
    bool overflow = false;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
            overflow = true;
        else
            when *= 1000;
    }
    if (!overflow && when > LLONG_MAX - base)
        overflow = true;
    if (overflow) {
        reply_errorf(&c->reply, "ERR invalid expire time in '%s' command", c->cmd->fullname);
        return -1;
    }
    *out = when + base;
    return 0;
}

/* Whether the NX/XX/GT/LT conditions let a new expire time replace the
 * current one (-1: none, which GT and LT treat as infinite). */
static bool expire_allowed(int flags, int64_t current, int64_t when)
{
    if ((flags & EXPIRE_NX) && current != -1)
        return false;
    if ((flags & EXPIRE_XX) && current == -1)
        return false;
    if ((flags & EXPIRE_GT) && (current == -1 || when <= current))
        return false;
    if ((flags & EXPIRE_LT) && current != -1 && when >= current)
        return false;
    return true;
}

/* Propagates an applied expire time as Redis 7.0 does: PEXPIREAT with the
 * absolute time in ms in place of the command name and time argument, the
 * NX/XX/GT/LT options kept; PEXPIREAT itself as it came. */
static void expire_propagate(client_t *c, int64_t when)
{
    if (!propagate_wanted() || c->cmd->proc == cmd_pexpireat)
        return;
    propagate_prevent();
    propagate_begin(c->db->id, PROPAGATE_ALL, c->argc);
    propagate_arg_cstr("PEXPIREAT");
    propagate_arg(c->argv[1].p, c->argv[1].n);
    propagate_arg_ll(when);
    for (int j = 3; j < c->argc; j++)
        propagate_arg(c->argv[j].p, c->argv[j].n);
}

/* A key deleted by an expire time in the past propagates as DEL, or as
 * UNLINK with lazyfree-lazy-expire. */
static void expire_propagate_del(client_t *c, key_ref_t key)
{
    if (!propagate_wanted())
        return;
    propagate_prevent();
    propagate_begin(c->db->id, PROPAGATE_ALL, 2);
    propagate_arg_cstr(cfg.lazyfree_lazy_expire ? "UNLINK" : "DEL");
    propagate_arg(key.p, key.n);
}

/* EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT. A time already in the past deletes
 * the key, except on a replica, which waits for its primary's DEL, and
 * while a stream is replayed (the AOF at start-up), where the time was in
 * the future when the command was written and later commands expect the
 * key. */
static void expire_generic(client_t *c, int64_t base, bool seconds)
{
    int flags;
    int64_t when;
    if (parse_expire_flags(c, &flags) != 0 || parse_expire_time(c, base, seconds, &when) != 0)
        return;
    key_ref_t key = arg_key(&c->argv[1]);
    if (db_lookup_write(c->db, key) == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    if (flags != 0 && !expire_allowed(flags, db_get_expire(c->db, key), when)) {
        reply_int(&c->reply, 0);
        return;
    }
    if (when <= db_env.now_ms && !db_env.replica_mode &&
        !db_env.no_expire) {
        bool deleted = db_delete(c->db, key);
        INSIST(deleted);
        notify(c->db, NOTIFY_GENERIC, "del", key);
        expire_propagate_del(c, key);
    } else {
        db_set_expire(c->db, key, when);
        db_signal_modified(c->db, key);
        notify(c->db, NOTIFY_GENERIC, "expire", key);
        expire_propagate(c, when);
    }
    srv.dirty++;
    reply_int(&c->reply, 1);
}

void cmd_expire(client_t *c)
{
    expire_generic(c, db_env.now_ms, true);
}

void cmd_pexpire(client_t *c)
{
    expire_generic(c, db_env.now_ms, false);
}

void cmd_expireat(client_t *c)
{
    expire_generic(c, 0, true);
}

void cmd_pexpireat(client_t *c)
{
    expire_generic(c, 0, false);
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without a
 * TTL, else the remaining time (or the absolute time) in s or ms; seconds
 * are rounded to the nearest. */
static void ttl_generic(client_t *c, bool ms, bool absolute)
{
    key_ref_t key = arg_key(&c->argv[1]);
    if (lookup_notouch(c->db, key) == NULL) {
        reply_int(&c->reply, -2);
        return;
    }
    int64_t when = db_get_expire(c->db, key);
    if (when < 0) {
        reply_int(&c->reply, -1);
        return;
    }
    int64_t t = absolute ? when : when - db_env.now_ms;
    if (t < 0)
        t = 0;
    /* Unsigned, so that rounding a time near INT64_MAX cannot overflow. */
    reply_int(&c->reply, ms ? t : (long long)(((uint64_t)t + 500) / 1000));
}

void cmd_ttl(client_t *c)
{
    ttl_generic(c, false, false);
}

void cmd_pttl(client_t *c)
{
    ttl_generic(c, true, false);
}

void cmd_expiretime(client_t *c)
{
    ttl_generic(c, false, true);
}

void cmd_pexpiretime(client_t *c)
{
    ttl_generic(c, true, true);
}

void cmd_persist(client_t *c)
{
    key_ref_t key = arg_key(&c->argv[1]);
    if (db_lookup_write(c->db, key) == NULL || !db_remove_expire(c->db, key)) {
        reply_int(&c->reply, 0);
        return;
    }
    db_signal_modified(c->db, key);
    srv.dirty++;
    notify(c->db, NOTIFY_GENERIC, "persist", key);
    reply_int(&c->reply, 1);
}

/* ============================ enumeration ============================ */

/* KEYS: logically expired keys are skipped but not deleted here, because
 * deleting would disturb the iteration. */
void cmd_keys(client_t *c)
{
    const arg_t *pat = &c->argv[1];
    bool all = pat->n == 1 && pat->p[0] == '*';
    reply_defer_t d = reply_defer(&c->reply);
    long long n = 0;
    dict_iter_t it;
    dict_iter_init(&it, c->db->keys, true);
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        const str_t *k = e->key;
        if (!all && !strconv_glob_match(pat->p, pat->n, k->buf, k->len, false))
            continue;
        if (key_is_expired(c->db, k))
            continue;
        reply_bulk(&c->reply, k->buf, k->len);
        n++;
    }
    dict_iter_destroy(&it);
    reply_defer_array(&c->reply, d, n);
}

/* Scan cursors are parsed by strconv_to_cursor (Redis's strtoul rules). */
static int parse_cursor(const arg_t *a, uint64_t *out)
{
    return strconv_to_cursor(a->p, a->n, out);
}

/* The options of one SCAN call. */
typedef struct scan_opts {
    long long count;
    const char *pat;
    size_t patlen;
    bool use_pattern;
    const char *type; /* NULL: any type. */
    size_t typelen;
} scan_opts_t;

/* Parses COUNT, MATCH and TYPE from argv[first]; replies and returns -1 on
 * a bad option. */
static int parse_scan_opts(client_t *c, int first, scan_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->count = 10;
    for (int i = first; i < c->argc; i += 2) {
        const arg_t *a = &c->argv[i];
        bool has_value = c->argc - i >= 2;
        if (has_value && arg_is(a, "count")) {
            if (strconv_to_ll(c->argv[i + 1].p, c->argv[i + 1].n, &o->count) != 0) {
                reply_not_integer(c);
                return -1;
            }
            if (o->count < 1) {
                reply_syntax_error(c);
                return -1;
            }
        } else if (has_value && arg_is(a, "match")) {
            o->pat = c->argv[i + 1].p;
            o->patlen = c->argv[i + 1].n;
            o->use_pattern = !(o->patlen == 1 && o->pat[0] == '*');
        } else if (has_value && arg_is(a, "type")) {
            /* Redis compares the type as a C string. */
            o->type = c->argv[i + 1].p;
            o->typelen = strnlen(o->type, c->argv[i + 1].n);
        } else {
            reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* Keys collected by one SCAN call: copies, because filtering may delete
 * expired keys from the table. */
typedef struct scan_keys {
    str_t **v;
    size_t n, cap;
} scan_keys_t;

static void scan_collect_cb(void *arg, const dict_entry_t *e)
{
    scan_keys_t *keys = arg;
    if (keys->n == keys->cap) {
        keys->cap = keys->cap ? keys->cap * 2 : 16;
        keys->v = alloc_realloc(keys->v, keys->cap * sizeof(str_t *));
    }
    keys->v[keys->n++] = str_dup(e->key);
}

/* Whether a collected key survives MATCH, TYPE and lazy expiry. The TYPE
 * check is a counted lookup, as in Redis. */
static bool scan_keep(db_t *db, const scan_opts_t *o, const str_t *k)
{
    if (o->use_pattern && !strconv_glob_match(o->pat, o->patlen, k->buf, k->len, false))
        return false;
    if (o->type != NULL) {
        obj_t *v = lookup_notouch(db, key_ref_str(k));
        const char *name = v != NULL ? obj_type_name(v->type) : "none";
        if (strlen(name) != o->typelen || strncasecmp(name, o->type, o->typelen) != 0)
            return false;
    }
    return !db_expire_if_needed(db, key_ref_str(k));
}

/* Runs dict_scan steps until count keys were collected, ten times count
 * buckets were visited, or the scan ended; filters; replies. */
static void scan_db(client_t *c, uint64_t cursor, const scan_opts_t *o)
{
    scan_keys_t keys = {NULL, 0, 0};
    uint64_t count = (uint64_t)o->count;
    uint64_t maxiter = count > UINT64_MAX / 10 ? UINT64_MAX : count * 10;
    do {
        cursor = dict_scan(c->db->keys, cursor, scan_collect_cb, &keys);
    } while (cursor != 0 && maxiter-- != 0 && keys.n < count);

    size_t kept = 0;
    for (size_t i = 0; i < keys.n; i++) {
        if (scan_keep(c->db, o, keys.v[i]))
            keys.v[kept++] = keys.v[i];
        else
            str_free(keys.v[i]);
    }
    reply_array(&c->reply, 2);
    char buf[STRCONV_BUF];
    size_t len = strconv_ull(buf, cursor);
    reply_bulk(&c->reply, buf, len);
    reply_array(&c->reply, (long long)kept);
    for (size_t i = 0; i < kept; i++) {
        reply_bulk(&c->reply, keys.v[i]->buf, keys.v[i]->len);
        str_free(keys.v[i]);
    }
    alloc_free(keys.v);
}

void cmd_scan(client_t *c)
{
    uint64_t cursor;
    if (parse_cursor(&c->argv[1], &cursor) != 0) {
        reply_error(&c->reply, "ERR invalid cursor");
        return;
    }
    scan_opts_t o;
    if (parse_scan_opts(c, 2, &o) != 0)
        return;
    scan_db(c, cursor, &o);
}

void cmd_randomkey(client_t *c)
{
    const str_t *k = db_random_key(c->db);
    if (k == NULL)
        reply_null(&c->reply);
    else
        reply_bulk(&c->reply, k->buf, k->len);
}

void cmd_dbsize(client_t *c)
{
    reply_int(&c->reply, (long long)db_size(c->db));
}

/* ======================== renaming and copying ======================= */

/* RENAME and RENAMENX. Renaming a key onto itself succeeds (RENAMENX says
 * 0) but a missing source is an error even then. */
static void rename_generic(client_t *c, bool nx)
{
    key_ref_t src = arg_key(&c->argv[1]), dst = arg_key(&c->argv[2]);
    if (db_lookup_write(c->db, src) == NULL) {
        reply_error(&c->reply, "ERR no such key");
        return;
    }
    if (args_equal(&c->argv[1], &c->argv[2])) {
        if (nx)
            reply_int(&c->reply, 0);
        else
            reply_ok(&c->reply);
        return;
    }
    if (db_lookup_write(c->db, dst) != NULL) {
        if (nx) {
            reply_int(&c->reply, 0);
            return;
        }
        db_delete(c->db, dst);
    }
    db_move_key(c->db, src, c->db, dst);
    srv.dirty++;
    notify(c->db, NOTIFY_GENERIC, "rename_from", src);
    notify(c->db, NOTIFY_GENERIC, "rename_to", dst);
    if (nx)
        reply_int(&c->reply, 1);
    else
        reply_ok(&c->reply);
}

void cmd_rename(client_t *c)
{
    rename_generic(c, false);
}

void cmd_renamenx(client_t *c)
{
    rename_generic(c, true);
}

/* Parses COPY's REPLACE and DB options into *replace and *dst. */
static int parse_copy_opts(client_t *c, bool *replace, db_t **dst)
{
    for (int j = 3; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "replace")) {
            *replace = true;
        } else if (arg_is(&c->argv[j], "db") && j + 1 < c->argc) {
            int id;
            if (parse_int(c, &c->argv[j + 1], NULL, &id) != 0)
                return -1;
            if ((*dst = db_at(id)) == NULL) {
                reply_db_out_of_range(c);
                return -1;
            }
            j++;
        } else {
            reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* COPY source destination [DB n] [REPLACE]. Values are deep-copied through
 * obj_dup, so a type without a copy function is refused. */
void cmd_copy(client_t *c)
{
    bool replace = false;
    db_t *dst = c->db;
    if (parse_copy_opts(c, &replace, &dst) != 0)
        return;
    if (dst == c->db && args_equal(&c->argv[1], &c->argv[2])) {
        reply_same_object(c);
        return;
    }
    key_ref_t from = arg_key(&c->argv[1]), to = arg_key(&c->argv[2]);
    obj_t *o = db_lookup_read(c->db, from);
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    int64_t when = db_get_expire(c->db, from);
    bool exists = db_lookup_write(dst, to) != NULL;
    if (exists && !replace) {
        reply_int(&c->reply, 0);
        return;
    }
    obj_t *copy = obj_dup(o);
    if (copy == NULL) {
        reply_error(&c->reply, "ERR unknown type object");
        return;
    }
    if (exists)
        db_delete(dst, to);
    db_add(dst, to, copy);
    if (when >= 0)
        db_set_expire(dst, to, when);
    srv.dirty++;
    notify(dst, NOTIFY_GENERIC, "copy_to", to);
    reply_int(&c->reply, 1);
}

/* MOVE key db: 0 when the key is missing here or present there. */
void cmd_move(client_t *c)
{
    int id;
    if (parse_int(c, &c->argv[2], NULL, &id) != 0)
        return;
    db_t *dst = db_at(id);
    if (dst == NULL) {
        reply_db_out_of_range(c);
        return;
    }
    if (dst == c->db) {
        reply_same_object(c);
        return;
    }
    key_ref_t key = arg_key(&c->argv[1]);
    if (db_lookup_write(c->db, key) == NULL || db_lookup_write(dst, key) != NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    db_move_key(c->db, key, dst, key);
    srv.dirty++;
    notify(c->db, NOTIFY_GENERIC, "move_from", key);
    notify(dst, NOTIFY_GENERIC, "move_to", key);
    reply_int(&c->reply, 1);
}

/* SWAPDB a b: clients stay on their database numbers and see the other
 * contents. Swapping a database with itself succeeds and counts. */
void cmd_swapdb(client_t *c)
{
    int a, b;
    if (parse_int(c, &c->argv[1], "invalid first DB index", &a) != 0 ||
        parse_int(c, &c->argv[2], "invalid second DB index", &b) != 0)
        return;
    db_t *da = db_at(a), *dbb = db_at(b);
    if (da == NULL || dbb == NULL) {
        reply_db_out_of_range(c);
        return;
    }
    if (da != dbb)
        db_swap(da, dbb);
    srv.dirty++;
    reply_ok(&c->reply);
}

/* ============================== flushing ============================= */

/* FLUSHDB and FLUSHALL take an optional SYNC or ASYNC. ASYNC frees at once
 * as well, so both reply the same; parsing still rejects anything else. */
static int parse_flush_opts(client_t *c)
{
    if (c->argc == 1)
        return 0;
    if (c->argc == 2 && (arg_is(&c->argv[1], "sync") || arg_is(&c->argv[1], "async")))
        return 0;
    reply_syntax_error(c);
    return -1;
}

/* FLUSHDB and FLUSHALL reach the stream even when there was nothing to
 * remove (srv.dirty did not change), as they do in Redis. */
static void flush_propagate(client_t *c)
{
    if (propagate_wanted())
        propagate_rewrite(c, c->argc, c->argv);
}

void cmd_flushdb(client_t *c)
{
    if (parse_flush_opts(c) != 0)
        return;
    srv.dirty += (uint64_t)db_empty(c->db);
    flush_propagate(c);
    reply_ok(&c->reply);
}

/* FLUSHALL. Redis also saves an RDB here when save points are configured;
 * that belongs to the persistence layer once it exists. */
void cmd_flushall(client_t *c)
{
    if (parse_flush_opts(c) != 0)
        return;
    long long removed = 0;
    for (int i = 0; i < srv.ndbs; i++)
        removed += db_empty(&srv.dbs[i]);
    srv.dirty += (uint64_t)removed;
    flush_propagate(c);
    reply_ok(&c->reply);
}

/* =============================== OBJECT ============================== */

static const char *const object_help[] = {
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    NULL,
};

void cmd_object_help(client_t *c)
{
    reply_help(&c->reply, "OBJECT", object_help);
}

/* The value named by argv[2] without touching its access clock, or NULL
 * after replying null. */
static obj_t *object_lookup(client_t *c)
{
    obj_t *o = lookup_nonotify(c->db, arg_key(&c->argv[2]));
    if (o == NULL)
        reply_null(&c->reply);
    return o;
}

static bool policy_is_lfu(void)
{
    return cfg.maxmemory_policy == MAXMEMORY_ALLKEYS_LFU ||
           cfg.maxmemory_policy == MAXMEMORY_VOLATILE_LFU;
}

void cmd_object_encoding(client_t *c)
{
    obj_t *o = object_lookup(c);
    if (o != NULL)
        reply_bulk_cstr(&c->reply, obj_encoding_name(o->encoding));
}

void cmd_object_refcount(client_t *c)
{
    obj_t *o = object_lookup(c);
    if (o != NULL)
        reply_int(&c->reply, o->refcount);
}

void cmd_object_idletime(client_t *c)
{
    obj_t *o = object_lookup(c);
    if (o == NULL)
        return;
    if (policy_is_lfu()) {
        reply_error(&c->reply,
                    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please "
                    "note that when switching between policies at runtime LRU and LFU data "
                    "will take some time to adjust.");
        return;
    }
    reply_int(&c->reply, (long long)(db_idle_ms(o) / 1000));
}

void cmd_object_freq(client_t *c)
{
    obj_t *o = object_lookup(c);
    if (o == NULL)
        return;
    if (!policy_is_lfu()) {
        reply_error(&c->reply,
                    "ERR An LFU maxmemory policy is not selected, access frequency not "
                    "tracked. Please note that when switching between policies at runtime "
                    "LRU and LFU data will take some time to adjust.");
        return;
    }
    reply_int(&c->reply, (long long)db_lfu_count(o));
}
