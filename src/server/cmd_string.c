/*
 * String commands: GET, SET and its variants (SETNX, SETEX, PSETEX, GETSET,
 * GETDEL, GETEX), MGET, MSET, MSETNX, APPEND, STRLEN, the INCR family,
 * INCRBYFLOAT, GETRANGE/SUBSTR, SETRANGE and LCS. Handlers parse, call the
 * keyspace and db/t_string, and reply; GET and SET keep a lean path.
 * Commands whose arguments would not replay the same write (relative
 * expire times, GET options, increments of floats) propagate the form
 * Redis 7.0 propagates instead.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strconv.h"
#include "db/t_string.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/notify.h"
#include "server/propagate.h"
#include "server/server.h"

/* ---- shared helpers --------------------------------------------------- */

/* Publishes a keyspace event for key in the client's database. */
static void notify(client_t *c, int cls, const char *event, key_ref_t key)
{
    notify_keyspace_event(cls, event, key.p, key.n, c->db->id);
}

static void reply_value(client_t *c, const obj_t *o)
{
    if (o->encoding == OBJ_ENC_INT) {
        reply_bulk_ll(&c->reply, (long long)(intptr_t)o->ptr);
        return;
    }
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    reply_bulk(&c->reply, p, n);
}

/* Looks key up for reading. Returns false after replying WRONGTYPE when it
 * holds another type; *out is NULL for a missing key. */
static bool lookup_string(client_t *c, key_ref_t key, bool write, obj_t **out)
{
    obj_t *o = write ? db_lookup_write(c->db, key) : db_lookup_read(c->db, key);
    if (o != NULL && o->type != OBJ_STRING) {
        reply_wrongtype(c);
        return false;
    }
    *out = o;
    return true;
}

/* Refuses (with Redis's error) a string that would grow past
 * proto-max-bulk-len, or past what a str_t holds. The primary's stream is
 * exempt from the configured limit, as in Redis. */
static bool string_too_long(client_t *c, uint64_t len)
{
    uint64_t limit = (uint64_t)cfg.proto_max_bulk_len;
    if (c->flags & CLIENT_MASTER)
        limit = UINT64_MAX;
    if (limit > (uint64_t)UINT32_MAX - 1)
        limit = (uint64_t)UINT32_MAX - 1;
    if (len <= limit)
        return false;
    reply_error(&c->reply, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return true;
}

/* ---- GET and SET ------------------------------------------------------ */

void cmd_get(client_t *c)
{
    obj_t *o = db_lookup_read(c->db, arg_key(&c->argv[1]));
    if (o == NULL) {
        reply_null(&c->reply);
        return;
    }
    if (o->type != OBJ_STRING) {
        reply_wrongtype(c);
        return;
    }
    reply_value(c, o);
}

/* Options of SET and GETEX. */
enum set_flag {
    SET_NX = 1u << 0,
    SET_XX = 1u << 1,
    SET_GET = 1u << 2,
    SET_KEEPTTL = 1u << 3,
    SET_PERSIST = 1u << 4,
    SET_EX = 1u << 5,
    SET_PX = 1u << 6,
    SET_EXAT = 1u << 7,
    SET_PXAT = 1u << 8,
    SET_GETSET = 1u << 9, /* Not an option: GETSET, propagated as SET. */
};
#define SET_EXPIRE_ANY (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

typedef struct set_opts {
    unsigned flags;
    const arg_t *expire; /* The argument of EX/PX/EXAT/PXAT, or NULL. */
} set_opts_t;

static unsigned expire_unit(const arg_t *a)
{
    if (arg_is(a, "ex"))
        return SET_EX;
    if (arg_is(a, "px"))
        return SET_PX;
    if (arg_is(a, "exat"))
        return SET_EXAT;
    if (arg_is(a, "pxat"))
        return SET_PXAT;
    return 0;
}

/*
 * Parses the options of SET (for_set) or GETEX from argv[first]. Repeating
 * an option is fine (the last expire wins); combining exclusive ones is a
 * syntax error. Expire values are checked later, by expire_to_abs.
 */
static bool parse_set_opts(client_t *c, int first, bool for_set, set_opts_t *o)
{
    o->flags = 0;
    o->expire = NULL;
    for (int j = first; j < c->argc; j++) {
        const arg_t *a = &c->argv[j];
        unsigned f = o->flags, unit;
        if (for_set && arg_is(a, "nx") && !(f & SET_XX)) {
            o->flags |= SET_NX;
        } else if (for_set && arg_is(a, "xx") && !(f & SET_NX)) {
            o->flags |= SET_XX;
        } else if (for_set && arg_is(a, "get")) {
            o->flags |= SET_GET;
        } else if (for_set && arg_is(a, "keepttl") && !(f & SET_EXPIRE_ANY)) {
            o->flags |= SET_KEEPTTL;
        } else if (!for_set && arg_is(a, "persist") && !(f & SET_EXPIRE_ANY)) {
            o->flags |= SET_PERSIST;
        } else if (j + 1 < c->argc && (unit = expire_unit(a)) != 0 &&
                   !(f & (SET_KEEPTTL | SET_PERSIST | (SET_EXPIRE_ANY & ~unit)))) {
            o->flags |= unit;
            o->expire = &c->argv[++j];
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    return true;
}

/* Converts an expire argument in unit (one SET_EX..SET_PXAT flag) to an
 * absolute ms time. Replies and returns false when it is not a positive
 * integer or would overflow. */
static bool expire_to_abs(client_t *c, const arg_t *arg, unsigned unit, int64_t *when)
{
    long long v;
    if (strconv_to_ll(arg->p, arg->n, &v) != 0) {
        reply_not_integer(c);
        return false;
    }
    bool secs = (unit & (SET_EX | SET_EXAT)) != 0;
    bool relative = (unit & (SET_EX | SET_PX)) != 0;
    if (v <= 0 || (secs && v > LLONG_MAX / 1000))
        goto invalid;
    if (secs)
        v *= 1000;
    if (relative) {
        if (v > LLONG_MAX - db_env.now_ms)
            goto invalid;
        v += db_env.now_ms;
    }
    *when = v;
    return true;
invalid:
    reply_errorf(&c->reply, "ERR invalid expire time in '%s' command", c->cmd->fullname);
    return false;
}

/* Propagates "DEL key", or UNLINK when lazy is set, in place of the
 * running command (a write that deleted the key). */
static void del_propagate(client_t *c, key_ref_t key, bool lazy)
{
    if (!propagate_wanted())
        return;
    propagate_prevent();
    propagate_begin(c->db->id, PROPAGATE_ALL, 2);
    propagate_arg_cstr(lazy ? "UNLINK" : "DEL");
    propagate_arg(key.p, key.n);
}

/* Propagates a SET that wrote: with an expire as SET key value PXAT ms
 * (the NX/XX/GET/KEEPTTL options were settled here), GETSET as SET, and
 * otherwise the command without its GET options, which only shape the
 * reply. */
static void set_propagate(client_t *c, key_ref_t key, const arg_t *val, unsigned flags,
                          int64_t when)
{
    if (!propagate_wanted())
        return;
    if (when >= 0) {
        propagate_prevent();
        propagate_begin(c->db->id, PROPAGATE_ALL, 5);
        propagate_arg_cstr("SET");
        propagate_arg(key.p, key.n);
        propagate_arg(val->p, val->n);
        propagate_arg_cstr("PXAT");
        propagate_arg_ll(when);
    } else if (flags & SET_GETSET) {
        arg_t argv[3] = {{"SET", 3}, c->argv[1], c->argv[2]};
        propagate_rewrite(c, 3, argv);
    } else if (flags & SET_GET) {
        int argc = 0;
        for (int j = 0; j < c->argc; j++)
            if (j < 3 || !arg_is(&c->argv[j], "get"))
                argc++;
        propagate_prevent();
        propagate_begin(c->db->id, PROPAGATE_ALL, argc);
        for (int j = 0; j < c->argc; j++)
            if (j < 3 || !arg_is(&c->argv[j], "get"))
                propagate_arg(c->argv[j].p, c->argv[j].n);
    }
}

/* Stores val under key after the GET/NX/XX checks; when >= 0 is the new
 * absolute expire time. */
static void set_generic(client_t *c, key_ref_t key, const arg_t *val, unsigned flags,
                        int64_t when)
{
    bool found = false;
    if (flags & SET_GET) {
        /* The old value is the reply, whether or not NX/XX let the write
         * happen, so it is sent before the value is replaced. */
        obj_t *old;
        if (!lookup_string(c, key, false, &old))
            return;
        if (old != NULL)
            reply_value(c, old);
        else
            reply_null(&c->reply);
        found = old != NULL;
    } else if (flags & (SET_NX | SET_XX)) {
        found = db_lookup_write(c->db, key) != NULL;
    } else {
        /* As a write lookup would: an expired key goes first, so the
         * write below adds a new key. */
        db_expire_if_needed(c->db, key);
    }
    if (((flags & SET_NX) && found) || ((flags & SET_XX) && !found)) {
        if (!(flags & SET_GET))
            reply_null(&c->reply);
        return;
    }
    /* With a new expire the old TTL entry is simply overwritten. */
    db_set(c->db, key, obj_new_string(val->p, val->n), (flags & SET_KEEPTTL) || when >= 0);
    if (when >= 0)
        db_set_expire(c->db, key, when);
    srv.dirty++;
    notify(c, NOTIFY_STRING, "set", key);
    if (when >= 0)
        notify(c, NOTIFY_GENERIC, "expire", key);
    set_propagate(c, key, val, flags, when);
    if (!(flags & SET_GET))
        reply_ok(&c->reply);
}

void cmd_set(client_t *c)
{
    key_ref_t key = arg_key(&c->argv[1]);
    if (c->argc == 3) {
        db_expire_if_needed(c->db, key);
        db_set(c->db, key, obj_new_string(c->argv[2].p, c->argv[2].n), false);
        srv.dirty++;
        notify(c, NOTIFY_STRING, "set", key);
        reply_ok(&c->reply);
        return;
    }
    set_opts_t o;
    if (!parse_set_opts(c, 3, true, &o))
        return;
    int64_t when = -1;
    if (o.expire != NULL && !expire_to_abs(c, o.expire, o.flags & SET_EXPIRE_ANY, &when))
        return;
    set_generic(c, key, &c->argv[2], o.flags, when);
}

void cmd_setnx(client_t *c)
{
    key_ref_t key = arg_key(&c->argv[1]);
    if (db_lookup_write(c->db, key) != NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    db_add(c->db, key, obj_new_string(c->argv[2].p, c->argv[2].n));
    srv.dirty++;
    notify(c, NOTIFY_STRING, "set", key);
    reply_int(&c->reply, 1);
}

static void setex_generic(client_t *c, unsigned unit)
{
    int64_t when;
    if (!expire_to_abs(c, &c->argv[2], unit, &when))
        return;
    set_generic(c, arg_key(&c->argv[1]), &c->argv[3], 0, when);
}

void cmd_setex(client_t *c)
{
    setex_generic(c, SET_EX);
}

void cmd_psetex(client_t *c)
{
    setex_generic(c, SET_PX);
}

void cmd_getset(client_t *c)
{
    set_generic(c, arg_key(&c->argv[1]), &c->argv[2], SET_GET | SET_GETSET, -1);
}

void cmd_getdel(client_t *c)
{
    key_ref_t key = arg_key(&c->argv[1]);
    obj_t *o;
    if (!lookup_string(c, key, false, &o))
        return;
    if (o == NULL) {
        reply_null(&c->reply);
        return;
    }
    reply_value(c, o);
    db_delete(c->db, key);
    srv.dirty++;
    notify(c, NOTIFY_GENERIC, "del", key);
    del_propagate(c, key, cfg.lazyfree_lazy_user_del);
}

/* Propagates GETEX's change as name key [ms]: PEXPIREAT with the
 * absolute time, or PERSIST. */
static void getex_propagate(client_t *c, key_ref_t key, const char *name, int64_t when)
{
    if (!propagate_wanted())
        return;
    propagate_prevent();
    propagate_begin(c->db->id, PROPAGATE_ALL, when >= 0 ? 3 : 2);
    propagate_arg_cstr(name);
    propagate_arg(key.p, key.n);
    if (when >= 0)
        propagate_arg_ll(when);
}

/* Applies GETEX's expire change to an existing key. A time already past
 * deletes the key, except on a replica, which waits for the primary's DEL,
 * and while a stream is replayed (as EXPIRE). */
static void getex_apply(client_t *c, key_ref_t key, const set_opts_t *o, int64_t when)
{
    if (when >= 0 && when <= db_env.now_ms && !db_env.replica_mode &&
        !db_env.no_expire) {
        db_delete(c->db, key);
        srv.dirty++;
        notify(c, NOTIFY_GENERIC, "del", key);
        del_propagate(c, key, cfg.lazyfree_lazy_expire);
    } else if (when >= 0) {
        db_set_expire(c->db, key, when);
        db_signal_modified(c->db, key);
        srv.dirty++;
        notify(c, NOTIFY_GENERIC, "expire", key);
        getex_propagate(c, key, "PEXPIREAT", when);
    } else if ((o->flags & SET_PERSIST) && db_remove_expire(c->db, key)) {
        db_signal_modified(c->db, key);
        srv.dirty++;
        notify(c, NOTIFY_GENERIC, "persist", key);
        getex_propagate(c, key, "PERSIST", -1);
    }
}

void cmd_getex(client_t *c)
{
    set_opts_t o;
    if (!parse_set_opts(c, 2, false, &o))
        return;
    key_ref_t key = arg_key(&c->argv[1]);
    obj_t *v;
    if (!lookup_string(c, key, false, &v))
        return;
    if (v == NULL) {
        reply_null(&c->reply);
        return;
    }
    int64_t when = -1;
    if (o.expire != NULL && !expire_to_abs(c, o.expire, o.flags & SET_EXPIRE_ANY, &when))
        return;
    /* Reply first: the key may be deleted below. */
    reply_value(c, v);
    getex_apply(c, key, &o, when);
}

/* ---- several keys ----------------------------------------------------- */

void cmd_mget(client_t *c)
{
    reply_array(&c->reply, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        obj_t *o = db_lookup_read(c->db, arg_key(&c->argv[j]));
        if (o == NULL || o->type != OBJ_STRING)
            reply_null(&c->reply);
        else
            reply_value(c, o);
    }
}

static void mset_all(client_t *c)
{
    for (int j = 1; j < c->argc; j += 2) {
        const arg_t *v = &c->argv[j + 1];
        key_ref_t key = arg_key(&c->argv[j]);
        db_expire_if_needed(c->db, key);
        db_set(c->db, key, obj_new_string(v->p, v->n), false);
        notify(c, NOTIFY_STRING, "set", key);
    }
    srv.dirty += (uint64_t)(c->argc - 1) / 2;
}

void cmd_mset(client_t *c)
{
    if (c->argc % 2 == 0) {
        reply_wrong_arity(c);
        return;
    }
    mset_all(c);
    reply_ok(&c->reply);
}

void cmd_msetnx(client_t *c)
{
    if (c->argc % 2 == 0) {
        reply_wrong_arity(c);
        return;
    }
    for (int j = 1; j < c->argc; j += 2) {
        if (db_lookup_write(c->db, arg_key(&c->argv[j])) != NULL) {
            reply_int(&c->reply, 0);
            return;
        }
    }
    mset_all(c);
    reply_int(&c->reply, 1);
}

/* ---- in-place edits --------------------------------------------------- */

void cmd_append(client_t *c)
{
    key_ref_t key = arg_key(&c->argv[1]);
    const arg_t *a = &c->argv[2];
    obj_t *o;
    if (!lookup_string(c, key, true, &o))
        return;
    size_t len;
    if (o == NULL) {
        db_add(c->db, key, obj_new_string(a->p, a->n));
        len = a->n;
    } else {
        if (string_too_long(c, (uint64_t)obj_string_len(o) + a->n))
            return;
        o = tstr_writable(c->db, key, o);
        o->ptr = str_cat(o->ptr, a->p, a->n);
        len = ((str_t *)o->ptr)->len;
        db_signal_modified(c->db, key);
    }
    srv.dirty++;
    notify(c, NOTIFY_STRING, "append", key);
    reply_int(&c->reply, (long long)len);
}

void cmd_strlen(client_t *c)
{
    obj_t *o;
    if (!lookup_string(c, arg_key(&c->argv[1]), false, &o))
        return;
    reply_int(&c->reply, o == NULL ? 0 : (long long)obj_string_len(o));
}

void cmd_setrange(client_t *c)
{
    long long off;
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &off) != 0) {
        reply_not_integer(c);
        return;
    }
    if (off < 0) {
        reply_error(&c->reply, "ERR offset is out of range");
        return;
    }
    key_ref_t key = arg_key(&c->argv[1]);
    const arg_t *v = &c->argv[3];
    obj_t *o;
    if (!lookup_string(c, key, true, &o))
        return;
    /* An empty value changes nothing, not even a missing key. */
    if (v->n == 0) {
        reply_int(&c->reply, o == NULL ? 0 : (long long)obj_string_len(o));
        return;
    }
    if (string_too_long(c, (uint64_t)off + v->n))
        return;
    if (o == NULL) {
        o = obj_new_raw(NULL, (size_t)off + v->n);
        db_add(c->db, key, o);
    } else {
        o = tstr_writable(c->db, key, o);
    }
    o->ptr = tstr_setrange(o->ptr, (size_t)off, v->p, v->n);
    db_signal_modified(c->db, key);
    srv.dirty++;
    notify(c, NOTIFY_STRING, "setrange", key);
    reply_int(&c->reply, (long long)((str_t *)o->ptr)->len);
}

void cmd_getrange(client_t *c)
{
    long long start, end;
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &start) != 0 ||
        strconv_to_ll(c->argv[3].p, c->argv[3].n, &end) != 0) {
        reply_not_integer(c);
        return;
    }
    obj_t *o;
    if (!lookup_string(c, arg_key(&c->argv[1]), false, &o))
        return;
    if (o == NULL) {
        reply_bulk(&c->reply, "", 0);
        return;
    }
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    if (!tstr_range((long long)n, true, &start, &end)) {
        reply_bulk(&c->reply, "", 0);
        return;
    }
    reply_bulk(&c->reply, p + start, (size_t)(end - start + 1));
}

/* ---- counters --------------------------------------------------------- */

static void incr_generic(client_t *c, long long incr)
{
    key_ref_t key = arg_key(&c->argv[1]);
    obj_t *o;
    if (!lookup_string(c, key, true, &o))
        return;
    long long v = 0;
    if (o != NULL && obj_string_to_ll(o, &v) != 0) {
        reply_not_integer(c);
        return;
    }
    if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
        (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        reply_error(&c->reply, "ERR increment or decrement would overflow");
        return;
    }
    v += incr;
    if (o != NULL && o->encoding == OBJ_ENC_INT && o->refcount == 1) {
        /* The common case: the number lives in the object; update it. */
        o->ptr = (void *)(intptr_t)v;
        db_signal_modified(c->db, key);
    } else if (o != NULL) {
        db_overwrite(c->db, key, obj_new_int(v));
    } else {
        db_add(c->db, key, obj_new_int(v));
    }
    srv.dirty++;
    notify(c, NOTIFY_STRING, "incrby", key);
    reply_int(&c->reply, v);
}

/* Parses argv[2] as the increment; replies and returns false if invalid. */
static bool parse_incr(client_t *c, long long *incr)
{
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, incr) == 0)
        return true;
    reply_not_integer(c);
    return false;
}

void cmd_incr(client_t *c)
{
    incr_generic(c, 1);
}

void cmd_decr(client_t *c)
{
    incr_generic(c, -1);
}

void cmd_incrby(client_t *c)
{
    long long incr;
    if (parse_incr(c, &incr))
        incr_generic(c, incr);
}

void cmd_decrby(client_t *c)
{
    long long incr;
    if (!parse_incr(c, &incr))
        return;
    if (incr == LLONG_MIN) {
        reply_error(&c->reply, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -incr);
}

/* Parses a long double as INCRBYFLOAT does. Returns 0, 1 for a valid
 * infinity (which can only produce an infinite result), or -1 after
 * replying that the text is not a float. */
static int parse_ldouble(client_t *c, const char *p, size_t n, long double *out)
{
    int r = strconv_to_ldouble(p, n, out);
    if (r == 0)
        return 0;
    if (r == -ERANGE)
        return 1;
    reply_not_float(c);
    return -1;
}

void cmd_incrbyfloat(client_t *c)
{
    key_ref_t key = arg_key(&c->argv[1]);
    obj_t *o;
    if (!lookup_string(c, key, true, &o))
        return;
    long double v = 0, incr = 0;
    int rv = 0, ri;
    if (o != NULL) {
        char tmp[STRCONV_BUF];
        size_t n;
        const char *p = obj_string_bytes(o, tmp, &n);
        if ((rv = parse_ldouble(c, p, n, &v)) < 0)
            return;
    }
    if ((ri = parse_ldouble(c, c->argv[2].p, c->argv[2].n, &incr)) < 0)
        return;
    v += incr;
    if (rv > 0 || ri > 0 || isnan(v) || isinf(v)) {
        reply_error(&c->reply, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[STRCONV_LDOUBLE_BUF];
    size_t n = strconv_ldouble(buf, v, true);
    obj_t *nv = obj_new_string_noint(buf, n);
    if (o != NULL)
        db_overwrite(c->db, key, nv);
    else
        db_add(c->db, key, nv);
    srv.dirty++;
    notify(c, NOTIFY_STRING, "incrbyfloat", key);
    reply_bulk(&c->reply, buf, n);
    /* The sum of floats may differ elsewhere: the result is propagated,
     * keeping the TTL as INCRBYFLOAT does. */
    if (propagate_wanted()) {
        arg_t argv[4] = {{"SET", 3}, c->argv[1], {buf, n}, {"KEEPTTL", 7}};
        propagate_rewrite(c, 4, argv);
    }
}

/* ---- LCS -------------------------------------------------------------- */

typedef struct lcs_opts {
    bool idx, len, withmatchlen;
    long long minmatchlen;
} lcs_opts_t;

static bool parse_lcs_opts(client_t *c, lcs_opts_t *o)
{
    *o = (lcs_opts_t){false, false, false, 0};
    for (int j = 3; j < c->argc; j++) {
        const arg_t *a = &c->argv[j];
        if (arg_is(a, "idx")) {
            o->idx = true;
        } else if (arg_is(a, "len")) {
            o->len = true;
        } else if (arg_is(a, "withmatchlen")) {
            o->withmatchlen = true;
        } else if (arg_is(a, "minmatchlen") && j + 1 < c->argc) {
            j++;
            if (strconv_to_ll(c->argv[j].p, c->argv[j].n, &o->minmatchlen) != 0) {
                reply_not_integer(c);
                return false;
            }
            if (o->minmatchlen < 0)
                o->minmatchlen = 0;
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    if (o->idx && o->len) {
        reply_error(&c->reply, "ERR If you want both the length and indexes, please just use IDX.");
        return false;
    }
    return true;
}

typedef struct lcs_reply {
    client_t *c;
    bool withmatchlen;
} lcs_reply_t;

static void lcs_match_cb(void *arg, uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    lcs_reply_t *lr = arg;
    reply_t *r = &lr->c->reply;
    reply_array(r, lr->withmatchlen ? 3 : 2);
    reply_array(r, 2);
    reply_int(r, a0);
    reply_int(r, a1);
    reply_array(r, 2);
    reply_int(r, b0);
    reply_int(r, b1);
    if (lr->withmatchlen)
        reply_int(r, (long long)(a1 - a0 + 1));
}

static void lcs_reply(client_t *c, const tstr_lcs_t *l, const lcs_opts_t *o)
{
    uint32_t total = tstr_lcs_len(l);
    uint32_t minlen = o->minmatchlen > UINT32_MAX ? UINT32_MAX : (uint32_t)o->minmatchlen;
    if (o->len) {
        reply_int(&c->reply, total);
    } else if (o->idx) {
        lcs_reply_t lr = {c, o->withmatchlen};
        reply_map(&c->reply, 2);
        reply_bulk_cstr(&c->reply, "matches");
        reply_defer_t d = reply_defer(&c->reply);
        uint32_t n = tstr_lcs_walk(l, NULL, minlen, lcs_match_cb, &lr);
        reply_defer_array(&c->reply, d, n);
        reply_bulk_cstr(&c->reply, "len");
        reply_int(&c->reply, total);
    } else {
        char *out = alloc_malloc((size_t)total + 1);
        tstr_lcs_walk(l, out, 0, NULL, NULL);
        reply_bulk(&c->reply, out, total);
        alloc_free(out);
    }
}

void cmd_lcs(client_t *c)
{
    obj_t *oa = db_lookup_read(c->db, arg_key(&c->argv[1]));
    obj_t *ob = db_lookup_read(c->db, arg_key(&c->argv[2]));
    if ((oa != NULL && oa->type != OBJ_STRING) || (ob != NULL && ob->type != OBJ_STRING)) {
        reply_error(&c->reply, "ERR The specified keys must contain string values");
        return;
    }
    lcs_opts_t o;
    if (!parse_lcs_opts(c, &o))
        return;
    char ta[STRCONV_BUF], tb[STRCONV_BUF];
    size_t alen = 0, blen = 0;
    const char *a = oa != NULL ? obj_string_bytes(oa, ta, &alen) : "";
    const char *b = ob != NULL ? obj_string_bytes(ob, tb, &blen) : "";
    uint64_t bytes = tstr_lcs_table_bytes(alen, blen);
    if (bytes == UINT64_MAX) {
        reply_error(&c->reply, "ERR String too long for LCS");
        return;
    }
    if (bytes > (uint64_t)cfg.proto_max_bulk_len) {
        reply_error(&c->reply,
                    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    tstr_lcs_t l;
    if (tstr_lcs_init(&l, a, alen, b, blen) != 0) {
        reply_error(&c->reply,
                    "ERR Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    lcs_reply(c, &l, &o);
    tstr_lcs_destroy(&l);
}
