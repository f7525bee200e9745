/*
 * Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
 * SRANDMEMBER, SMOVE, the SINTER/SUNION/SDIFF families, SINTERCARD and
 * SSCAN. Handlers parse, look keys up, call db/t_set and reply; notification
 * names, dirty counts and reply types (RESP3 sets where Redis 7.0 sends
 * them) follow Redis 7.0. SPOP propagates what it removed: an SREM per
 * member, or DEL when the whole set went.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strconv.h"
#include "db/t_set.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/scan_args.h"
#include "server/notify.h"
#include "server/propagate.h"
#include "server/server.h"

/* ---- shared helpers --------------------------------------------------- */

/* Looks a key up. Returns false after replying WRONGTYPE when it holds
 * another type; *out is NULL for a missing key. */
static bool lookup_set(client_t *c, const arg_t *key, bool write, obj_t **out)
{
    key_ref_t k = arg_key(key);
    obj_t *o = write ? db_lookup_write(c->db, k) : db_lookup_read(c->db, k);
    if (o != NULL && o->type != OBJ_SET) {
        reply_wrongtype(c);
        return false;
    }
    *out = o;
    return true;
}

static void notify(client_t *c, int cls, const char *event, const arg_t *key)
{
    notify_keyspace_event(cls, event, key->p, key->n, c->db->id);
}

/* Deletes a set that became empty, with the "del" event. */
static void delete_if_empty(client_t *c, const arg_t *key, obj_t *set)
{
    if (tset_size(set) > 0)
        return;
    db_delete(c->db, arg_key(key));
    notify(c, NOTIFY_GENERIC, "del", key);
}

static void reply_member_cb(void *arg, const tset_member_t *m)
{
    client_t *c = arg;
    reply_bulk(&c->reply, m->p, m->n);
}

/* Replies with every member of set as a RESP3 set (array in RESP2). */
static void reply_members(client_t *c, obj_t *set)
{
    tset_iter_t it;
    tset_member_t m;
    reply_set(&c->reply, (long long)tset_size(set));
    tset_iter_init(&it, set);
    while (tset_iter_next(&it, &m))
        reply_bulk(&c->reply, m.p, m.n);
    tset_iter_destroy(&it);
}

/* The empty reply of commands that answer with a set. */
static void reply_empty_set(client_t *c)
{
    reply_set(&c->reply, 0);
}

/* ---- adding, removing, testing ---------------------------------------- */

void cmd_sadd(client_t *c)
{
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], true, &set))
        return;
    key_ref_t key = arg_key(&c->argv[1]);
    if (set == NULL) {
        set = tset_new(c->argv[2].p, c->argv[2].n);
        db_add(c->db, key, set);
    }
    long long added = 0;
    for (int j = 2; j < c->argc; j++)
        added += tset_add(set, c->argv[j].p, c->argv[j].n);
    if (added > 0) {
        db_signal_modified(c->db, key);
        notify(c, NOTIFY_SET, "sadd", &c->argv[1]);
    }
    srv.dirty += added;
    reply_int(&c->reply, added);
}

void cmd_srem(client_t *c)
{
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], true, &set))
        return;
    if (set == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    long long deleted = 0;
    bool emptied = false;
    for (int j = 2; j < c->argc && !emptied; j++) {
        if (tset_remove(set, c->argv[j].p, c->argv[j].n)) {
            deleted++;
            emptied = tset_size(set) == 0;
        }
    }
    if (deleted > 0) {
        key_ref_t key = arg_key(&c->argv[1]);
        if (emptied)
            db_delete(c->db, key);
        else
            db_signal_modified(c->db, key);
        notify(c, NOTIFY_SET, "srem", &c->argv[1]);
        if (emptied)
            notify(c, NOTIFY_GENERIC, "del", &c->argv[1]);
        srv.dirty += deleted;
    }
    reply_int(&c->reply, deleted);
}

/* SMOVE source destination member. A missing source answers 0 before the
 * destination's type is looked at, as in Redis. */
void cmd_smove(client_t *c)
{
    const arg_t *src_key = &c->argv[1], *dst_key = &c->argv[2], *ele = &c->argv[3];
    obj_t *src = db_lookup_write(c->db, arg_key(src_key));
    obj_t *dst = db_lookup_write(c->db, arg_key(dst_key));
    if (src == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    if (src->type != OBJ_SET || (dst != NULL && dst->type != OBJ_SET)) {
        reply_wrongtype(c);
        return;
    }
    if (src == dst) {
        reply_int(&c->reply, tset_contains(src, ele->p, ele->n) ? 1 : 0);
        return;
    }
    if (!tset_remove(src, ele->p, ele->n)) {
        reply_int(&c->reply, 0);
        return;
    }
    notify(c, NOTIFY_SET, "srem", src_key);
    delete_if_empty(c, src_key, src);
    if (dst == NULL) {
        dst = tset_new(ele->p, ele->n);
        db_add(c->db, arg_key(dst_key), dst);
    }
    db_signal_modified(c->db, arg_key(src_key));
    srv.dirty++;
    if (tset_add(dst, ele->p, ele->n)) {
        srv.dirty++;
        db_signal_modified(c->db, arg_key(dst_key));
        notify(c, NOTIFY_SET, "sadd", dst_key);
    }
    reply_int(&c->reply, 1);
}

void cmd_sismember(client_t *c)
{
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], false, &set))
        return;
    bool found = set != NULL && tset_contains(set, c->argv[2].p, c->argv[2].n);
    reply_int(&c->reply, found ? 1 : 0);
}

void cmd_smismember(client_t *c)
{
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], false, &set))
        return;
    reply_array(&c->reply, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        bool found = set != NULL && tset_contains(set, c->argv[j].p, c->argv[j].n);
        reply_int(&c->reply, found ? 1 : 0);
    }
}

void cmd_scard(client_t *c)
{
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], false, &set))
        return;
    reply_int(&c->reply, set != NULL ? (long long)tset_size(set) : 0);
}

/* ---- SPOP and SRANDMEMBER --------------------------------------------- */

/* Propagates the removal of one popped member: SREM key member. */
static void spop_propagate_one(client_t *c, const char *p, size_t n)
{
    propagate_begin(c->db->id, PROPAGATE_ALL, 3);
    propagate_arg_cstr("SREM");
    propagate_arg(c->argv[1].p, c->argv[1].n);
    propagate_arg(p, n);
}

/* The members left in set after the split are the ones popped: each is
 * propagated as an SREM, in the order of the reply. */
static void spop_propagate_rest(client_t *c, obj_t *set)
{
    tset_iter_t it;
    tset_member_t m;
    tset_iter_init(&it, set);
    while (tset_iter_next(&it, &m))
        spop_propagate_one(c, m.p, m.n);
    tset_iter_destroy(&it);
}

/* SPOP key count: the whole set when count covers it (the key goes); one
 * by one when what stays is more than a fifth of what goes; else by moving
 * the random remainder to a new set that replaces the old one. */
static void spop_count(client_t *c)
{
    long long count;
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &count) != 0 || count < 0) {
        reply_error(&c->reply, "ERR value is out of range, must be positive");
        return;
    }
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], true, &set))
        return;
    if (set == NULL || count == 0) {
        reply_empty_set(c);
        return;
    }
    key_ref_t key = arg_key(&c->argv[1]);
    size_t size = tset_size(set);
    bool prop = propagate_wanted();
    notify(c, NOTIFY_SET, "spop", &c->argv[1]);
    if ((unsigned long long)count >= size) {
        srv.dirty += (long long)size;
        obj_t *all = tset_union(&set, 1);
        reply_members(c, all);
        obj_decref(all);
        db_delete(c->db, key);
        notify(c, NOTIFY_GENERIC, "del", &c->argv[1]);
        if (prop) {
            /* Redis 7.0 writes DEL here whatever lazyfree-lazy-server-del says. */
            arg_t argv[2] = {{"DEL", 3}, c->argv[1]};
            propagate_rewrite(c, 2, argv);
        }
        return;
    }
    srv.dirty += count;
    if (prop)
        propagate_prevent();
    size_t remaining = size - (size_t)count;
    if (remaining * 5 <= (size_t)count) {
        obj_t *rest = tset_split_random(set, remaining);
        reply_members(c, set);
        if (prop)
            spop_propagate_rest(c, set);
        db_overwrite(c->db, key, rest);
        return;
    }
    reply_set(&c->reply, count);
    for (long long i = 0; i < count; i++) {
        str_t *s = tset_pop_random(set);
        reply_bulk(&c->reply, s->buf, s->len);
        if (prop)
            spop_propagate_one(c, s->buf, s->len);
        str_free(s);
    }
    db_signal_modified(c->db, key);
}

void cmd_spop(client_t *c)
{
    if (c->argc == 3) {
        spop_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_syntax_error(c);
        return;
    }
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], true, &set))
        return;
    if (set == NULL) {
        reply_null(&c->reply);
        return;
    }
    str_t *s = tset_pop_random(set);
    notify(c, NOTIFY_SET, "spop", &c->argv[1]);
    reply_bulk(&c->reply, s->buf, s->len);
    if (propagate_wanted()) {
        propagate_prevent();
        spop_propagate_one(c, s->buf, s->len);
    }
    str_free(s);
    if (tset_size(set) == 0) {
        db_delete(c->db, arg_key(&c->argv[1]));
        notify(c, NOTIFY_GENERIC, "del", &c->argv[1]);
    } else {
        db_signal_modified(c->db, arg_key(&c->argv[1]));
    }
    srv.dirty++;
}

/* SRANDMEMBER key count: a negative count allows repeats; a positive one
 * gives distinct members, the whole set when it asks for as many. Always
 * an array, since RESP3 sets cannot repeat. */
static void srandmember_count(client_t *c)
{
    long long l;
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &l) != 0) {
        reply_not_integer(c);
        return;
    }
    if (l == LLONG_MIN) {
        reply_errorf(&c->reply, "ERR value is out of range, value must between %lld and %lld",
                     -LLONG_MAX, LLONG_MAX);
        return;
    }
    bool distinct = l >= 0;
    unsigned long long count = (unsigned long long)(l >= 0 ? l : -l);
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], false, &set))
        return;
    if (set == NULL || count == 0) {
        reply_empty_array(&c->reply);
        return;
    }
    size_t size = tset_size(set);
    if (!distinct || count == 1) {
        reply_array(&c->reply, (long long)count);
        for (unsigned long long i = 0; i < count; i++) {
            tset_member_t m;
            tset_random(set, &m);
            reply_bulk(&c->reply, m.p, m.n);
        }
        return;
    }
    if (count >= size) {
        tset_iter_t it;
        tset_member_t m;
        reply_array(&c->reply, (long long)size);
        tset_iter_init(&it, set);
        while (tset_iter_next(&it, &m))
            reply_bulk(&c->reply, m.p, m.n);
        tset_iter_destroy(&it);
        return;
    }
    reply_array(&c->reply, (long long)count);
    tset_random_distinct(set, (size_t)count, reply_member_cb, c);
}

void cmd_srandmember(client_t *c)
{
    if (c->argc == 3) {
        srandmember_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_syntax_error(c);
        return;
    }
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], false, &set))
        return;
    if (set == NULL) {
        reply_null(&c->reply);
        return;
    }
    tset_member_t m;
    tset_random(set, &m);
    reply_bulk(&c->reply, m.p, m.n);
}

/* ---- intersection, union, difference ---------------------------------- */

/* Looks up n keys as sets for reading (NULL for missing ones). Returns
 * NULL after replying WRONGTYPE; else an array the caller frees, with
 * *missing telling whether some key was missing. Every key is checked,
 * so a wrong type after a missing key is still an error. */
static obj_t **lookup_sets(client_t *c, const arg_t *keys, int n, bool *missing)
{
    obj_t **sets = alloc_malloc((size_t)n * sizeof(obj_t *));
    *missing = false;
    for (int j = 0; j < n; j++) {
        if (!lookup_set(c, &keys[j], false, &sets[j])) {
            alloc_free(sets);
            return NULL;
        }
        *missing |= sets[j] == NULL;
    }
    return sets;
}

/* Stores a computed set under dst (replacing any value and its TTL) and
 * replies with its size; an empty result deletes dst instead. */
static void store_result(client_t *c, const arg_t *dst, obj_t *res, const char *event)
{
    key_ref_t key = arg_key(dst);
    size_t n = tset_size(res);
    if (n > 0) {
        db_set(c->db, key, res, false);
        reply_int(&c->reply, (long long)n);
        notify(c, NOTIFY_SET, event, dst);
        srv.dirty++;
        return;
    }
    obj_decref(res);
    reply_int(&c->reply, 0);
    if (db_delete(c->db, key)) {
        srv.dirty++;
        notify(c, NOTIFY_GENERIC, "del", dst);
    }
}

static void add_member_cb(void *arg, const tset_member_t *m)
{
    tset_add(arg, m->p, m->n);
}

/* The SINTER family: reply with the members (dst == NULL and !card_only),
 * their count up to limit (card_only), or store them under dst. */
static void inter_generic(client_t *c, const arg_t *keys, int n, const arg_t *dst,
                          bool card_only, size_t limit)
{
    bool missing;
    obj_t **sets = lookup_sets(c, keys, n, &missing);
    if (sets == NULL)
        return;
    if (missing) {
        if (dst != NULL)
            store_result(c, dst, tset_new_intset(), "sinterstore");
        else if (card_only)
            reply_int(&c->reply, 0);
        else
            reply_empty_set(c);
    } else if (card_only) {
        reply_int(&c->reply, (long long)tset_inter(sets, (size_t)n, limit, NULL, NULL));
    } else if (dst == NULL) {
        reply_defer_t d = reply_defer(&c->reply);
        size_t card = tset_inter(sets, (size_t)n, 0, reply_member_cb, c);
        reply_defer_set(&c->reply, d, (long long)card);
    } else {
        obj_t *res = tset_new_intset();
        tset_inter(sets, (size_t)n, 0, add_member_cb, res);
        store_result(c, dst, res, "sinterstore");
    }
    alloc_free(sets);
}

void cmd_sinter(client_t *c)
{
    inter_generic(c, &c->argv[1], c->argc - 1, NULL, false, 0);
}

void cmd_smembers(client_t *c)
{
    inter_generic(c, &c->argv[1], 1, NULL, false, 0);
}

void cmd_sinterstore(client_t *c)
{
    inter_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], false, 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_sintercard(client_t *c)
{
    long long numkeys, limit = 0;
    if (strconv_to_ll(c->argv[1].p, c->argv[1].n, &numkeys) != 0 || numkeys < 1) {
        reply_error(&c->reply, "ERR numkeys should be greater than 0");
        return;
    }
    if (numkeys > c->argc - 2) {
        reply_error(&c->reply, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "limit") && j + 1 < c->argc) {
            j++;
            if (strconv_to_ll(c->argv[j].p, c->argv[j].n, &limit) != 0 || limit < 0) {
                reply_error(&c->reply, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            reply_syntax_error(c);
            return;
        }
    }
    inter_generic(c, &c->argv[2], (int)numkeys, NULL, true, (size_t)limit);
}

/* SUNION/SDIFF and their STORE forms: missing keys are empty sets. */
static void union_diff_generic(client_t *c, const arg_t *keys, int n, const arg_t *dst,
                               bool diff)
{
    bool missing;
    obj_t **sets = lookup_sets(c, keys, n, &missing);
    if (sets == NULL)
        return;
    obj_t *res = diff ? tset_diff(sets, (size_t)n) : tset_union(sets, (size_t)n);
    alloc_free(sets);
    if (dst != NULL) {
        store_result(c, dst, res, diff ? "sdiffstore" : "sunionstore");
        return;
    }
    reply_members(c, res);
    obj_decref(res);
}

void cmd_sunion(client_t *c)
{
    union_diff_generic(c, &c->argv[1], c->argc - 1, NULL, false);
}

void cmd_sunionstore(client_t *c)
{
    union_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], false);
}

void cmd_sdiff(client_t *c)
{
    union_diff_generic(c, &c->argv[1], c->argc - 1, NULL, true);
}

void cmd_sdiffstore(client_t *c)
{
    union_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], true);
}

/* ---- SSCAN ------------------------------------------------------------ */

/* Scan cursors are parsed by strconv_to_cursor (Redis's strtoul rules). */
static int parse_cursor(const arg_t *a, uint64_t *out)
{
    return strconv_to_cursor(a->p, a->n, out);
}

typedef struct sscan_ctx {
    const scan_opts_t *opts;
    scan_found_t found;
} sscan_ctx_t;

/* Keeps a member that passed MATCH (a copy: intset members are formatted
 * on the fly). */
static void sscan_collect_cb(void *arg, const tset_member_t *m)
{
    sscan_ctx_t *ctx = arg;
    if (scan_opts_match(ctx->opts, m->p, m->n))
        scan_found_add(&ctx->found, m->p, m->n);
}

/* SSCAN key cursor [MATCH pattern] [COUNT count]. The cursor is checked
 * first, then the key (a missing one ends the scan whatever the options
 * say), then the options. */
void cmd_sscan(client_t *c)
{
    uint64_t cursor;
    if (parse_cursor(&c->argv[2], &cursor) != 0) {
        reply_error(&c->reply, "ERR invalid cursor");
        return;
    }
    obj_t *set;
    if (!lookup_set(c, &c->argv[1], false, &set))
        return;
    scan_opts_t opts;
    sscan_ctx_t ctx = {&opts, {NULL, 0, 0}};
    if (set == NULL) {
        scan_found_reply(c, 0, &ctx.found);
        return;
    }
    if (!scan_opts_parse(c, 3, &opts))
        return;
    cursor = tset_scan(set, cursor, (size_t)opts.count, sscan_collect_cb, &ctx);
    scan_found_reply(c, cursor, &ctx.found);
}
