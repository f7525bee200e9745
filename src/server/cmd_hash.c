/*
 * Hash commands: HSET/HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HSTRLEN,
 * HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD and
 * HSCAN. Handlers parse, call db/t_hash, notify and reply, checking their
 * arguments in the order Redis 7.0 does so that the same error wins.
 * HINCRBYFLOAT propagates the value it computed (HSET), since a float sum
 * may come out differently elsewhere.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strconv.h"
#include "db/t_hash.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/scan_args.h"
#include "server/notify.h"
#include "server/propagate.h"
#include "server/server.h"

/* ---- shared helpers --------------------------------------------------- */

/* Looks key up. Returns false after replying WRONGTYPE when it holds
 * another type; *out is NULL for a missing key. */
static bool lookup_hash(client_t *c, bool write, obj_t **out)
{
    key_ref_t key = arg_key(&c->argv[1]);
    obj_t *o = write ? db_lookup_write(c->db, key) : db_lookup_read(c->db, key);
    if (o != NULL && o->type != OBJ_HASH) {
        reply_wrongtype(c);
        return false;
    }
    *out = o;
    return true;
}

/* Looks key up for writing and creates an empty hash when it is missing
 * (the caller then always adds a field, so no empty hash is left behind). */
static bool lookup_or_create(client_t *c, obj_t **out)
{
    if (!lookup_hash(c, true, out))
        return false;
    if (*out == NULL) {
        *out = thash_new();
        db_add(c->db, arg_key(&c->argv[1]), *out);
    }
    return true;
}

/* Signals WATCH and notifies an event of the hash class for key argv[1]. */
static void hash_changed(client_t *c, const char *event)
{
    key_ref_t key = arg_key(&c->argv[1]);
    db_signal_modified(c->db, key);
    notify_keyspace_event(NOTIFY_HASH, event, key.p, key.n, c->db->id);
}

static void reply_str(client_t *c, const thash_str_t *s)
{
    reply_bulk(&c->reply, s->p, s->n);
}

/* ---- writes ------------------------------------------------------------- */

/* HSET replies with the number of new fields, HMSET with OK. */
void cmd_hset(client_t *c)
{
    if (c->argc % 2 == 1) {
        reply_wrong_arity(c);
        return;
    }
    obj_t *o;
    if (!lookup_or_create(c, &o))
        return;
    size_t max_len = 0, sum_len = 0;
    for (int i = 2; i < c->argc; i++) {
        if (c->argv[i].n > max_len)
            max_len = c->argv[i].n;
        sum_len += c->argv[i].n;
    }
    thash_prepare(o, max_len, sum_len);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += thash_set(o, c->argv[i].p, c->argv[i].n, c->argv[i + 1].p,
                             c->argv[i + 1].n);
    if (strcmp(c->cmd->name, "hset") == 0)
        reply_int(&c->reply, created);
    else
        reply_ok(&c->reply);
    hash_changed(c, "hset");
    srv.dirty += (uint64_t)(c->argc - 2) / 2;
}

void cmd_hsetnx(client_t *c)
{
    obj_t *o;
    if (!lookup_or_create(c, &o))
        return;
    const arg_t *f = &c->argv[2], *v = &c->argv[3];
    if (thash_exists(o, f->p, f->n)) {
        reply_int(&c->reply, 0);
        return;
    }
    thash_prepare(o, f->n > v->n ? f->n : v->n, f->n + v->n);
    thash_set(o, f->p, f->n, v->p, v->n);
    reply_int(&c->reply, 1);
    hash_changed(c, "hset");
    srv.dirty++;
}

void cmd_hdel(client_t *c)
{
    obj_t *o;
    if (!lookup_hash(c, true, &o))
        return;
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    long long deleted = 0;
    bool removed = false;
    for (int i = 2; i < c->argc; i++) {
        if (!thash_delete(o, c->argv[i].p, c->argv[i].n))
            continue;
        deleted++;
        if (thash_len(o) == 0) {
            db_delete(c->db, arg_key(&c->argv[1]));
            removed = true;
            break;
        }
    }
    if (deleted > 0) {
        hash_changed(c, "hdel");
        if (removed) {
            key_ref_t key = arg_key(&c->argv[1]);
            notify_keyspace_event(NOTIFY_GENERIC, "del", key.p, key.n, c->db->id);
        }
        srv.dirty += (uint64_t)deleted;
    }
    reply_int(&c->reply, deleted);
}

void cmd_hincrby(client_t *c)
{
    long long incr, value = 0;
    if (strconv_to_ll(c->argv[3].p, c->argv[3].n, &incr) != 0) {
        reply_not_integer(c);
        return;
    }
    obj_t *o;
    if (!lookup_or_create(c, &o))
        return;
    const arg_t *f = &c->argv[2];
    thash_str_t cur;
    if (thash_get(o, f->p, f->n, &cur) && strconv_to_ll(cur.p, cur.n, &value) != 0) {
        reply_error(&c->reply, "ERR hash value is not an integer");
        return;
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(&c->reply, "ERR increment or decrement would overflow");
        return;
    }
    value += incr;
    char buf[STRCONV_BUF];
    size_t n = strconv_ll(buf, value);
    thash_set(o, f->p, f->n, buf, n);
    reply_int(&c->reply, value);
    hash_changed(c, "hincrby");
    srv.dirty++;
}

/* The current value of a field for HINCRBYFLOAT: 0 when missing. Returns
 * false after replying when it is not a number; an infinite value passes,
 * so that the sum reports the NaN or Infinity error. */
static bool field_ldouble(client_t *c, obj_t *o, long double *out)
{
    thash_str_t cur;
    *out = 0;
    if (!thash_get(o, c->argv[2].p, c->argv[2].n, &cur))
        return true;
    int rc = strconv_to_ldouble(cur.p, cur.n, out);
    if (rc == -ERANGE) {
        *out = INFINITY;
        return true;
    }
    if (rc != 0) {
        reply_error(&c->reply, "ERR hash value is not a float");
        return false;
    }
    return true;
}

void cmd_hincrbyfloat(client_t *c)
{
    long double incr, value;
    int rc = strconv_to_ldouble(c->argv[3].p, c->argv[3].n, &incr);
    if (rc == -ERANGE) {
        reply_error(&c->reply, "ERR value is NaN or Infinity");
        return;
    }
    if (rc != 0) {
        reply_not_float(c);
        return;
    }
    obj_t *o;
    if (!lookup_or_create(c, &o) || !field_ldouble(c, o, &value))
        return;
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(&c->reply, "ERR increment would produce NaN or Infinity");
        return;
    }
    char *buf = alloc_malloc(STRCONV_LDOUBLE_BUF);
    size_t n = strconv_ldouble(buf, value, true);
    thash_set(o, c->argv[2].p, c->argv[2].n, buf, n);
    reply_bulk(&c->reply, buf, n);
    hash_changed(c, "hincrbyfloat");
    srv.dirty++;
    if (propagate_wanted()) {
        arg_t argv[4] = {{"HSET", 4}, c->argv[1], c->argv[2], {buf, n}};
        propagate_rewrite(c, 4, argv);
    }
    alloc_free(buf);
}

/* ---- reads -------------------------------------------------------------- */

void cmd_hget(client_t *c)
{
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    thash_str_t v;
    if (o != NULL && thash_get(o, c->argv[2].p, c->argv[2].n, &v))
        reply_str(c, &v);
    else
        reply_null(&c->reply);
}

void cmd_hmget(client_t *c)
{
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    reply_array(&c->reply, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        thash_str_t v;
        if (o != NULL && thash_get(o, c->argv[i].p, c->argv[i].n, &v))
            reply_str(c, &v);
        else
            reply_null(&c->reply);
    }
}

void cmd_hlen(client_t *c)
{
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    reply_int(&c->reply, o != NULL ? (long long)thash_len(o) : 0);
}

void cmd_hstrlen(client_t *c)
{
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    thash_str_t v;
    bool found = o != NULL && thash_get(o, c->argv[2].p, c->argv[2].n, &v);
    reply_int(&c->reply, found ? (long long)v.n : 0);
}

void cmd_hexists(client_t *c)
{
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    reply_int(&c->reply, o != NULL && thash_exists(o, c->argv[2].p, c->argv[2].n));
}

enum { WITH_FIELDS = 1, WITH_VALUES = 2 };

/* HKEYS, HVALS and HGETALL (a map in RESP3). */
static void hash_getall(client_t *c, int what)
{
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    long long n = o != NULL ? (long long)thash_len(o) : 0;
    if (what == (WITH_FIELDS | WITH_VALUES))
        reply_map(&c->reply, n);
    else
        reply_array(&c->reply, n);
    if (o == NULL)
        return;
    thash_iter_t it;
    thash_str_t f, v;
    thash_iter_init(&it, o);
    while (thash_iter_next(&it, &f, &v)) {
        if (what & WITH_FIELDS)
            reply_str(c, &f);
        if (what & WITH_VALUES)
            reply_str(c, &v);
    }
    thash_iter_destroy(&it);
}

void cmd_hkeys(client_t *c)
{
    hash_getall(c, WITH_FIELDS);
}

void cmd_hvals(client_t *c)
{
    hash_getall(c, WITH_VALUES);
}

void cmd_hgetall(client_t *c)
{
    hash_getall(c, WITH_FIELDS | WITH_VALUES);
}

/* ---- HRANDFIELD ------------------------------------------------------- */

typedef struct rand_out {
    client_t *c;
    bool withvalues;
    uint64_t sent;
} rand_out_t;

/* Replies one picked field (with its value as a pair in RESP3). */
static void rand_reply(void *arg, const thash_str_t *f, const thash_str_t *v)
{
    rand_out_t *out = arg;
    client_t *c = out->c;
    if (out->withvalues && c->resp >= 3)
        reply_array(&c->reply, 2);
    reply_str(c, f);
    if (out->withvalues)
        reply_str(c, v);
}

/* As rand_reply, stopping once the client is closed for passing its
 * output limits: a huge negative count would otherwise run for ages. */
static bool rand_reply_checked(void *arg, const thash_str_t *f, const thash_str_t *v)
{
    rand_out_t *out = arg;
    rand_reply(arg, f, v);
    return ++out->sent % 1024 != 0 || !client_check_obuf_limits(out->c);
}

/* Parses HRANDFIELD's count and WITHVALUES; replies and returns false on
 * an error. */
static bool parse_rand_args(client_t *c, long long *count, bool *withvalues)
{
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, count) != 0) {
        reply_not_integer(c);
        return false;
    }
    if (*count < -LLONG_MAX) {
        reply_error(&c->reply, "ERR value is out of range, value must between "
                               "-9223372036854775807 and 9223372036854775807");
        return false;
    }
    if (c->argc > 4 || (c->argc == 4 && !arg_is(&c->argv[3], "withvalues"))) {
        reply_syntax_error(c);
        return false;
    }
    *withvalues = c->argc == 4;
    /* The reply holds twice as many strings: the count must allow that. */
    if (*withvalues && (*count < -LLONG_MAX / 2 || *count > LLONG_MAX / 2)) {
        reply_error(&c->reply, "ERR value is out of range");
        return false;
    }
    return true;
}

static void hrandfield_count(client_t *c)
{
    long long l;
    bool withvalues;
    if (!parse_rand_args(c, &l, &withvalues))
        return;
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    if (o == NULL || l == 0) {
        reply_empty_array(&c->reply);
        return;
    }
    rand_out_t out = {c, withvalues, 0};
    uint64_t count = l < 0 ? (uint64_t)-l : (uint64_t)l;
    uint64_t size = thash_len(o);
    bool flat = withvalues && c->resp < 3;
    if (l > 0 && count >= size)
        count = size;
    reply_array(&c->reply, (long long)(flat ? count * 2 : count));
    if (l < 0) {
        thash_random_pairs(o, count, rand_reply_checked, &out);
    } else if (count == size) {
        thash_iter_t it;
        thash_str_t f, v;
        thash_iter_init(&it, o);
        while (thash_iter_next(&it, &f, &v))
            rand_reply(&out, &f, &v);
        thash_iter_destroy(&it);
    } else {
        thash_random_distinct(o, (size_t)count, rand_reply, &out);
    }
}

void cmd_hrandfield(client_t *c)
{
    if (c->argc >= 3) {
        hrandfield_count(c);
        return;
    }
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    if (o == NULL) {
        reply_null(&c->reply);
        return;
    }
    thash_str_t f, v;
    thash_random(o, &f, &v);
    reply_str(c, &f);
}

/* ---- HSCAN -------------------------------------------------------------- */

/* Scan cursors are parsed by strconv_to_cursor (Redis's strtoul rules). */
static int parse_cursor(const arg_t *a, uint64_t *out)
{
    return strconv_to_cursor(a->p, a->n, out);
}

typedef struct hscan_ctx {
    const scan_opts_t *opts;
    scan_found_t found;
} hscan_ctx_t;

/* Keeps a field (matched by MATCH) and its value. */
static void scan_visit(void *arg, const thash_str_t *f, const thash_str_t *v)
{
    hscan_ctx_t *ctx = arg;
    if (!scan_opts_match(ctx->opts, f->p, f->n))
        return;
    scan_found_add(&ctx->found, f->p, f->n);
    scan_found_add(&ctx->found, v->p, v->n);
}

void cmd_hscan(client_t *c)
{
    uint64_t cursor;
    if (parse_cursor(&c->argv[2], &cursor) != 0) {
        reply_error(&c->reply, "ERR invalid cursor");
        return;
    }
    obj_t *o;
    if (!lookup_hash(c, false, &o))
        return;
    scan_opts_t opts;
    hscan_ctx_t ctx = {&opts, {NULL, 0, 0}};
    if (o == NULL) {
        scan_found_reply(c, 0, &ctx.found);
        return;
    }
    if (!scan_opts_parse(c, 3, &opts))
        return;
    cursor = thash_scan(o, cursor, (uint64_t)opts.count, scan_visit, &ctx);
    scan_found_reply(c, cursor, &ctx.found);
}
