/*
 * Sorted set commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
 * ZREVRANK, ZCOUNT, ZLEXCOUNT, the ZRANGE family and ZRANGESTORE, the
 * ZREMRANGEBY* commands, ZPOPMIN/ZPOPMAX, ZMPOP and their blocking forms,
 * ZRANDMEMBER, ZUNION/ZINTER/ZDIFF with their STORE forms, ZINTERCARD and
 * ZSCAN. Handlers parse in Redis 7.0's order (so the same error wins),
 * look keys up, call db/t_zset and reply; notification names, dirty counts
 * and reply shapes (RESP3 doubles, [member, score] pairs) follow Redis 7.0.
 * The blocking and multi-key pops propagate as the ZPOPMIN/ZPOPMAX they
 * did, as Redis 7.0 does.
 */
#include <config.h>

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strconv.h"
#include "db/t_zset.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/notify.h"
#include "server/propagate.h"
#include "server/scan_args.h"
#include "server/server.h"

/* ---- shared helpers --------------------------------------------------- */

/* Looks a key up. Returns false after replying WRONGTYPE when it holds
 * another type; *out is NULL for a missing key. */
static bool lookup_zset(client_t *c, const arg_t *key, bool write, obj_t **out)
{
    key_ref_t k = arg_key(key);
    obj_t *o = write ? db_lookup_write(c->db, k) : db_lookup_read(c->db, k);
    if (o != NULL && o->type != OBJ_ZSET) {
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

static bool parse_ll(const arg_t *a, long long *out)
{
    return strconv_to_ll(a->p, a->n, out) == 0;
}

/* An integer argument, or false after replying Redis's error. */
static bool arg_ll(client_t *c, const arg_t *a, long long *out)
{
    if (parse_ll(a, out))
        return true;
    reply_not_integer(c);
    return false;
}

/* One element: the member, and with scores its score (RESP3 pairs them). */
static void reply_elem(client_t *c, const tzset_elem_t *e, bool withscores)
{
    if (withscores && c->resp >= 3)
        reply_array(&c->reply, 2);
    reply_bulk(&c->reply, e->p, e->n);
    if (withscores)
        reply_double(&c->reply, e->score);
}

/* The array header for n elements. */
static void reply_elems_len(client_t *c, size_t n, bool withscores)
{
    reply_array(&c->reply, (long long)(withscores && c->resp < 3 ? 2 * n : n));
}

/* Deletes a sorted set that became empty, with the "del" event. */
static void delete_if_empty(client_t *c, const arg_t *key, obj_t *o)
{
    if (tzset_len(o) > 0)
        return;
    db_delete(c->db, arg_key(key));
    notify(c, NOTIFY_GENERIC, "del", key);
}

/* ---- ZADD, ZINCRBY ------------------------------------------------------ */

/* Parses ZADD's options from argv[2]; returns the index of the first score. */
static int zadd_options(client_t *c, int *flags, bool *ch)
{
    int j = 2;
    for (; j < c->argc; j++) {
        const arg_t *a = &c->argv[j];
        if (arg_is(a, "nx"))
            *flags |= TZSET_ADD_NX;
        else if (arg_is(a, "xx"))
            *flags |= TZSET_ADD_XX;
        else if (arg_is(a, "ch"))
            *ch = true;
        else if (arg_is(a, "incr"))
            *flags |= TZSET_ADD_INCR;
        else if (arg_is(a, "gt"))
            *flags |= TZSET_ADD_GT;
        else if (arg_is(a, "lt"))
            *flags |= TZSET_ADD_LT;
        else
            break;
    }
    return j;
}

/* Checks ZADD's option combinations; replies and returns false if bad. */
static bool zadd_check(client_t *c, int flags, int elements)
{
    bool nx = flags & TZSET_ADD_NX, xx = flags & TZSET_ADD_XX;
    bool gt = flags & TZSET_ADD_GT, lt = flags & TZSET_ADD_LT;
    if (elements % 2 != 0 || elements == 0) {
        reply_syntax_error(c);
        return false;
    }
    if (nx && xx) {
        reply_error(&c->reply, "ERR XX and NX options at the same time are not compatible");
        return false;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        reply_error(&c->reply,
                    "ERR GT, LT, and/or NX options at the same time are not compatible");
        return false;
    }
    if ((flags & TZSET_ADD_INCR) && elements > 2) {
        reply_error(&c->reply, "ERR INCR option supports a single increment-element pair");
        return false;
    }
    return true;
}

typedef struct zadd_totals {
    long long added, updated, processed;
    double score;
    bool nan;
} zadd_totals_t;

static void zadd_apply(client_t *c, obj_t *o, int first, const double *scores, int n, int flags,
                       zadd_totals_t *t)
{
    for (int j = 0; j < n; j++) {
        const arg_t *m = &c->argv[first + 2 * j + 1];
        double newscore = 0;
        int res = tzset_add(o, scores[j], m->p, m->n, flags, &newscore);
        if (res & TZSET_NAN) {
            t->nan = true;
            return;
        }
        t->added += (res & TZSET_ADDED) != 0;
        t->updated += (res & TZSET_UPDATED) != 0;
        if (!(res & TZSET_NOP)) {
            t->processed++;
            t->score = newscore;
        }
    }
}

static void zadd_generic(client_t *c, int flags)
{
    bool ch = false;
    int first = zadd_options(c, &flags, &ch);
    if (!zadd_check(c, flags, c->argc - first))
        return;
    int n = (c->argc - first) / 2;
    double *scores = alloc_malloc((size_t)n * sizeof(double));
    for (int j = 0; j < n; j++) {
        const arg_t *a = &c->argv[first + 2 * j];
        if (strconv_to_double(a->p, a->n, &scores[j]) != 0) {
            reply_error(&c->reply, "ERR value is not a valid float");
            alloc_free(scores);
            return;
        }
    }
    const arg_t *key = &c->argv[1];
    obj_t *o;
    zadd_totals_t t = {0, 0, 0, 0, false};
    if (!lookup_zset(c, key, true, &o)) {
        alloc_free(scores);
        return;
    }
    if (o == NULL && !(flags & TZSET_ADD_XX)) {
        o = tzset_new(c->argv[first + 1].n);
        db_add(c->db, arg_key(key), o);
    }
    if (o != NULL)
        zadd_apply(c, o, first, scores, n, flags, &t);
    alloc_free(scores);
    srv.dirty += t.added + t.updated;
    if (t.nan)
        reply_error(&c->reply, "ERR resulting score is not a number (NaN)");
    else if (!(flags & TZSET_ADD_INCR))
        reply_int(&c->reply, ch ? t.added + t.updated : t.added);
    else if (t.processed > 0)
        reply_double(&c->reply, t.score);
    else
        reply_null(&c->reply);
    if (t.added > 0 || t.updated > 0) {
        db_signal_modified(c->db, arg_key(key));
        notify(c, NOTIFY_ZSET, (flags & TZSET_ADD_INCR) ? "zincr" : "zadd", key);
    }
}

void cmd_zadd(client_t *c)
{
    zadd_generic(c, 0);
}

void cmd_zincrby(client_t *c)
{
    zadd_generic(c, TZSET_ADD_INCR);
}

/* ---- ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK ---------------------------------- */

void cmd_zrem(client_t *c)
{
    const arg_t *key = &c->argv[1];
    obj_t *o;
    if (!lookup_zset(c, key, true, &o))
        return;
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    long long deleted = 0;
    bool emptied = false;
    for (int j = 2; j < c->argc && !emptied; j++) {
        if (tzset_delete(o, c->argv[j].p, c->argv[j].n))
            deleted++;
        emptied = tzset_len(o) == 0;
    }
    if (deleted > 0) {
        if (emptied)
            db_delete(c->db, arg_key(key));
        else
            db_signal_modified(c->db, arg_key(key));
        notify(c, NOTIFY_ZSET, "zrem", key);
        if (emptied)
            notify(c, NOTIFY_GENERIC, "del", key);
        srv.dirty += deleted;
    }
    reply_int(&c->reply, deleted);
}

void cmd_zcard(client_t *c)
{
    obj_t *o;
    if (!lookup_zset(c, &c->argv[1], false, &o))
        return;
    reply_int(&c->reply, o != NULL ? (long long)tzset_len(o) : 0);
}

void cmd_zscore(client_t *c)
{
    obj_t *o;
    double score;
    if (!lookup_zset(c, &c->argv[1], false, &o))
        return;
    if (o != NULL && tzset_score(o, c->argv[2].p, c->argv[2].n, &score))
        reply_double(&c->reply, score);
    else
        reply_null(&c->reply);
}

void cmd_zmscore(client_t *c)
{
    obj_t *o;
    if (!lookup_zset(c, &c->argv[1], false, &o))
        return;
    reply_array(&c->reply, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double score;
        if (o != NULL && tzset_score(o, c->argv[j].p, c->argv[j].n, &score))
            reply_double(&c->reply, score);
        else
            reply_null(&c->reply);
    }
}

static void zrank_generic(client_t *c, bool reverse)
{
    obj_t *o;
    if (!lookup_zset(c, &c->argv[1], false, &o))
        return;
    long long rank = o != NULL ? tzset_rank(o, c->argv[2].p, c->argv[2].n, reverse) : -1;
    if (rank >= 0)
        reply_int(&c->reply, rank);
    else
        reply_null(&c->reply);
}

void cmd_zrank(client_t *c)
{
    zrank_generic(c, false);
}

void cmd_zrevrank(client_t *c)
{
    zrank_generic(c, true);
}

/* ---- ZCOUNT, ZLEXCOUNT ----------------------------------------------------- */

static bool parse_srange(client_t *c, const arg_t *min, const arg_t *max, tzset_srange_t *r)
{
    if (tzset_parse_srange(min->p, min->n, max->p, max->n, r) == 0)
        return true;
    reply_error(&c->reply, "ERR min or max is not a float");
    return false;
}

static bool parse_lrange(client_t *c, const arg_t *min, const arg_t *max, tzset_lrange_t *r)
{
    if (tzset_parse_lrange(min->p, min->n, max->p, max->n, r) == 0)
        return true;
    reply_error(&c->reply, "ERR min or max not valid string range item");
    return false;
}

void cmd_zcount(client_t *c)
{
    tzset_srange_t r;
    obj_t *o;
    if (!parse_srange(c, &c->argv[2], &c->argv[3], &r) || !lookup_zset(c, &c->argv[1], false, &o))
        return;
    reply_int(&c->reply, o != NULL ? (long long)tzset_count_score(o, &r) : 0);
}

void cmd_zlexcount(client_t *c)
{
    tzset_lrange_t r;
    obj_t *o;
    if (!parse_lrange(c, &c->argv[2], &c->argv[3], &r) || !lookup_zset(c, &c->argv[1], false, &o))
        return;
    reply_int(&c->reply, o != NULL ? (long long)tzset_count_lex(o, &r) : 0);
}

/* ---- the ZRANGE family ------------------------------------------------------ */

enum range_type { RANGE_AUTO, RANGE_RANK, RANGE_SCORE, RANGE_LEX };
enum range_dir { DIR_AUTO, DIR_FORWARD, DIR_REVERSE };

/* A parsed ZRANGE-style request. */
typedef struct range_req {
    enum range_type type;
    bool reverse;
    bool withscores;
    long long offset, limit;
    long long start, end;
    tzset_srange_t score;
    tzset_lrange_t lex;
} range_req_t;

/* Where the elements go: the reply, or a new set for ZRANGESTORE. */
typedef struct range_out {
    client_t *c;
    bool withscores;
    obj_t *dst;
    size_t count;
} range_out_t;

static void range_emit(void *arg, const tzset_elem_t *e)
{
    range_out_t *out = arg;
    out->count++;
    if (out->dst != NULL)
        tzset_add(out->dst, e->score, e->p, e->n, 0, NULL);
    else
        reply_elem(out->c, e, out->withscores);
}

/* Parses the options after <key> <min> <max> (at argv[first]). */
static bool range_options(client_t *c, int first, bool store, range_req_t *q, enum range_dir *dir)
{
    for (int j = first; j < c->argc; j++) {
        const arg_t *a = &c->argv[j];
        int left = c->argc - j - 1;
        if (!store && arg_is(a, "withscores")) {
            q->withscores = true;
        } else if (arg_is(a, "limit") && left >= 2) {
            if (!arg_ll(c, &c->argv[j + 1], &q->offset) || !arg_ll(c, &c->argv[j + 2], &q->limit))
                return false;
            j += 2;
        } else if (*dir == DIR_AUTO && arg_is(a, "rev")) {
            *dir = DIR_REVERSE;
        } else if (q->type == RANGE_AUTO && arg_is(a, "bylex")) {
            q->type = RANGE_LEX;
        } else if (q->type == RANGE_AUTO && arg_is(a, "byscore")) {
            q->type = RANGE_SCORE;
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    return true;
}

/* Parses a whole request whose key is argv[keyidx]. */
static bool range_parse(client_t *c, int keyidx, bool store, enum range_type type,
                        enum range_dir dir, range_req_t *q)
{
    memset(q, 0, sizeof(*q));
    q->type = type;
    q->limit = -1;
    if (!range_options(c, keyidx + 3, store, q, &dir))
        return false;
    if (q->type == RANGE_AUTO)
        q->type = RANGE_RANK;
    q->reverse = dir == DIR_REVERSE;
    if (q->limit != -1 && q->type == RANGE_RANK) {
        reply_error(&c->reply, "ERR syntax error, LIMIT is only supported in combination with "
                               "either BYSCORE or BYLEX");
        return false;
    }
    if (q->withscores && q->type == RANGE_LEX) {
        reply_error(&c->reply,
                    "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return false;
    }
    const arg_t *min = &c->argv[keyidx + 1], *max = &c->argv[keyidx + 2];
    if (q->reverse && q->type != RANGE_RANK) {
        const arg_t *t = min;
        min = max;
        max = t;
    }
    if (q->type == RANGE_SCORE)
        return parse_srange(c, min, max, &q->score);
    if (q->type == RANGE_LEX)
        return parse_lrange(c, min, max, &q->lex);
    return arg_ll(c, min, &q->start) && arg_ll(c, max, &q->end);
}

/* Emits the elements of a rank range; out->count tells how many. */
static void range_by_rank(obj_t *o, range_req_t *q, range_out_t *out)
{
    if (!tzset_clamp_ranks(tzset_len(o), &q->start, &q->end)) {
        if (out->dst == NULL)
            reply_empty_array(&out->c->reply);
        return;
    }
    size_t n = (size_t)(q->end - q->start + 1);
    if (out->dst == NULL)
        reply_elems_len(out->c, n, q->withscores);
    tzset_range_rank(o, (size_t)q->start, (size_t)q->end, q->reverse, range_emit, out);
}

static void range_run(obj_t *o, range_req_t *q, range_out_t *out)
{
    if (q->type == RANGE_RANK) {
        range_by_rank(o, q, out);
        return;
    }
    reply_defer_t d;
    if (out->dst == NULL)
        d = reply_defer(&out->c->reply);
    if (q->type == RANGE_SCORE)
        tzset_range_score(o, &q->score, q->reverse, q->offset, q->limit, range_emit, out);
    else
        tzset_range_lex(o, &q->lex, q->reverse, q->offset, q->limit, range_emit, out);
    if (out->dst == NULL) {
        size_t n = out->count;
        reply_defer_array(&out->c->reply, d,
                          (long long)(q->withscores && out->c->resp < 3 ? 2 * n : n));
    }
}

/* ZRANGESTORE's end: stores a non-empty result (dropping any TTL), or
 * deletes the destination. */
static void range_store(client_t *c, const arg_t *dst, range_out_t *out)
{
    if (out->count > 0) {
        db_set(c->db, arg_key(dst), out->dst, false);
        reply_int(&c->reply, (long long)out->count);
        notify(c, NOTIFY_ZSET, "zrangestore", dst);
        srv.dirty++;
        return;
    }
    obj_decref(out->dst);
    reply_int(&c->reply, 0);
    if (db_delete(c->db, arg_key(dst))) {
        notify(c, NOTIFY_GENERIC, "del", dst);
        srv.dirty++;
    }
}

/* How many results ZRANGESTORE announces when it creates its value, as
 * Redis does: the size of a rank range, else unknown (-1). */
static long long range_hint(obj_t *o, const range_req_t *q)
{
    long long start = q->start, end = q->end;
    if (o == NULL || q->type != RANGE_RANK)
        return -1;
    if (!tzset_clamp_ranks(tzset_len(o), &start, &end))
        return 0;
    return end - start + 1;
}

/* The ZRANGE family; dst is the ZRANGESTORE destination or NULL. */
static void zrange_generic(client_t *c, int keyidx, const arg_t *dst, enum range_type type,
                           enum range_dir dir)
{
    range_req_t q;
    if (!range_parse(c, keyidx, dst != NULL, type, dir, &q))
        return;
    obj_t *o = db_lookup_read(c->db, arg_key(&c->argv[keyidx]));
    range_out_t out = {c, q.withscores, NULL, 0};
    if (o != NULL && o->type != OBJ_ZSET) {
        reply_wrongtype(c);
        return;
    }
    if (dst != NULL)
        out.dst = tzset_new_sized(range_hint(o, &q));
    if (o != NULL)
        range_run(o, &q, &out);
    else if (dst == NULL)
        reply_empty_array(&c->reply);
    if (dst != NULL)
        range_store(c, dst, &out);
}

void cmd_zrange(client_t *c)
{
    zrange_generic(c, 1, NULL, RANGE_AUTO, DIR_AUTO);
}

void cmd_zrevrange(client_t *c)
{
    zrange_generic(c, 1, NULL, RANGE_RANK, DIR_REVERSE);
}

void cmd_zrangebyscore(client_t *c)
{
    zrange_generic(c, 1, NULL, RANGE_SCORE, DIR_FORWARD);
}

void cmd_zrevrangebyscore(client_t *c)
{
    zrange_generic(c, 1, NULL, RANGE_SCORE, DIR_REVERSE);
}

void cmd_zrangebylex(client_t *c)
{
    zrange_generic(c, 1, NULL, RANGE_LEX, DIR_FORWARD);
}

void cmd_zrevrangebylex(client_t *c)
{
    zrange_generic(c, 1, NULL, RANGE_LEX, DIR_REVERSE);
}

void cmd_zrangestore(client_t *c)
{
    zrange_generic(c, 2, &c->argv[1], RANGE_AUTO, DIR_AUTO);
}

/* ---- ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX ---------------------- */

static void zremrange_generic(client_t *c, enum range_type type)
{
    static const char *const events[] = {NULL, "zremrangebyrank", "zremrangebyscore",
                                         "zremrangebylex"};
    range_req_t q;
    memset(&q, 0, sizeof(q));
    const arg_t *key = &c->argv[1], *min = &c->argv[2], *max = &c->argv[3];
    bool parsed = type == RANGE_RANK    ? arg_ll(c, min, &q.start) && arg_ll(c, max, &q.end)
                  : type == RANGE_SCORE ? parse_srange(c, min, max, &q.score)
                                        : parse_lrange(c, min, max, &q.lex);
    obj_t *o;
    if (!parsed || !lookup_zset(c, key, true, &o))
        return;
    size_t deleted = 0;
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    if (type == RANGE_RANK) {
        if (tzset_clamp_ranks(tzset_len(o), &q.start, &q.end))
            deleted = tzset_delete_rank(o, (size_t)q.start, (size_t)q.end);
    } else if (type == RANGE_SCORE) {
        deleted = tzset_delete_score(o, &q.score);
    } else {
        deleted = tzset_delete_lex(o, &q.lex);
    }
    if (deleted > 0) {
        bool emptied = tzset_len(o) == 0;
        if (emptied)
            db_delete(c->db, arg_key(key));
        else
            db_signal_modified(c->db, arg_key(key));
        notify(c, NOTIFY_ZSET, events[type], key);
        if (emptied)
            notify(c, NOTIFY_GENERIC, "del", key);
    }
    srv.dirty += (long long)deleted;
    reply_int(&c->reply, (long long)deleted);
}

void cmd_zremrangebyrank(client_t *c)
{
    zremrange_generic(c, RANGE_RANK);
}

void cmd_zremrangebyscore(client_t *c)
{
    zremrange_generic(c, RANGE_SCORE);
}

void cmd_zremrangebylex(client_t *c)
{
    zremrange_generic(c, RANGE_LEX);
}

/* ---- pops: ZPOPMIN, ZPOPMAX, ZMPOP and the blocking forms ---------------- */

/* How a pop replies (Redis's four shapes). */
typedef struct pop_req {
    bool max;
    bool emitkey;       /* [key, ...]: the blocking and multi-key forms. */
    bool nested;        /* [member, score] pairs. */
    long long count;    /* -1: one element, flat. */
} pop_req_t;

typedef struct pop_out {
    client_t *c;
    bool nested;
} pop_out_t;

static void pop_emit(void *arg, const tzset_elem_t *e)
{
    pop_out_t *out = arg;
    if (out->nested)
        reply_array(&out->c->reply, 2);
    reply_bulk(&out->c->reply, e->p, e->n);
    reply_double(&out->c->reply, e->score);
}

/* Propagates a pop of n elements from key in place of the running
 * command: BZPOPMIN/BZPOPMAX (a flat reply with the key) as ZPOPMIN/ZPOPMAX
 * key, [B]ZMPOP (nested with the key) as ZPOPMIN/ZPOPMAX key n. ZPOPMIN and
 * ZPOPMAX propagate themselves. */
static void pop_propagate(client_t *c, const arg_t *key, const pop_req_t *p, size_t n)
{
    if (!p->emitkey || !propagate_wanted())
        return;
    propagate_prevent();
    propagate_begin(c->db->id, PROPAGATE_ALL, p->nested ? 3 : 2);
    propagate_arg_cstr(p->max ? "ZPOPMAX" : "ZPOPMIN");
    propagate_arg(key->p, key->n);
    if (p->nested)
        propagate_arg_ll((long long)n);
}

/* Pops from the non-empty sorted set o under key and replies. */
static void pop_from(client_t *c, const arg_t *key, obj_t *o, const pop_req_t *p)
{
    size_t len = tzset_len(o);
    size_t n = p->count < 0 ? 1 : (size_t)p->count;
    if (n > len)
        n = len;
    if (!p->nested && !p->emitkey) {
        reply_array(&c->reply, 2 * (long long)n);
    } else if (p->nested && !p->emitkey) {
        reply_array(&c->reply, (long long)n);
    } else if (!p->nested) {
        reply_array(&c->reply, 2 * (long long)n + 1);
        reply_bulk(&c->reply, key->p, key->n);
    } else {
        reply_array(&c->reply, 2);
        reply_bulk(&c->reply, key->p, key->n);
        reply_array(&c->reply, (long long)n);
    }
    pop_out_t out = {c, p->nested};
    tzset_pop(o, p->max, n, pop_emit, &out);
    srv.dirty += (long long)n;
    notify(c, NOTIFY_ZSET, p->max ? "zpopmax" : "zpopmin", key);
    db_signal_modified(c->db, arg_key(key));
    delete_if_empty(c, key, o);
    pop_propagate(c, key, p, n);
}

/* Pops from the first existing key of nkeys at argv[first]. Returns false
 * (without replying) when none exists, or after replying WRONGTYPE with
 * *failed set. */
static bool pop_first(client_t *c, int first, int nkeys, const pop_req_t *p, bool *failed)
{
    *failed = false;
    for (int j = first; j < first + nkeys; j++) {
        obj_t *o;
        if (!lookup_zset(c, &c->argv[j], true, &o)) {
            *failed = true;
            return false;
        }
        if (o == NULL)
            continue;
        if (p->count == 0)
            reply_empty_array(&c->reply);
        else
            pop_from(c, &c->argv[j], o, p);
        return true;
    }
    return false;
}

static void zpop_generic(client_t *c, bool max)
{
    if (c->argc > 3) {
        reply_syntax_error(c);
        return;
    }
    pop_req_t p = {max, false, false, -1};
    if (c->argc == 3 && (!parse_ll(&c->argv[2], &p.count) || p.count < 0)) {
        reply_error(&c->reply, "ERR value is out of range, must be positive");
        return;
    }
    /* RESP3 nests pairs whenever a count was given. */
    p.nested = c->resp >= 3 && p.count != -1;
    bool failed;
    if (!pop_first(c, 1, 1, &p, &failed) && !failed)
        reply_empty_array(&c->reply);
}

void cmd_zpopmin(client_t *c)
{
    zpop_generic(c, false);
}

void cmd_zpopmax(client_t *c)
{
    zpop_generic(c, true);
}

/* Serves a blocking pop from the keys, or blocks (or, when blocking is
 * not allowed, replies as a timeout would). Re-entrant: the blocking
 * machinery re-runs the whole command when a key is ready. */
static void bpop_generic(client_t *c, int first, int nkeys, const pop_req_t *p,
                         int64_t deadline)
{
    for (int j = first; j < first + nkeys; j++) {
        obj_t *o;
        if (!lookup_zset(c, &c->argv[j], true, &o))
            return;
        if (o != NULL && tzset_len(o) > 0) {
            pop_from(c, &c->argv[j], o, p);
            return;
        }
    }
    if (!blocking_allowed(c)) {
        reply_null_array(&c->reply);
        return;
    }
    blocking_wait(c, first, 1, nkeys, BLOCK_ZSET, deadline);
}

static void bzpop_generic(client_t *c, bool max)
{
    int64_t deadline;
    if (!blocking_parse_timeout(c, &c->argv[c->argc - 1], &deadline))
        return;
    pop_req_t p = {max, true, false, -1};
    bpop_generic(c, 1, c->argc - 2, &p, deadline);
}

void cmd_bzpopmin(client_t *c)
{
    bzpop_generic(c, false);
}

void cmd_bzpopmax(client_t *c)
{
    bzpop_generic(c, true);
}

/* Parses [B]ZMPOP's numkeys key... MIN|MAX [COUNT count] with numkeys at
 * argv[numidx]; sets *first and *nkeys. */
static bool mpop_parse(client_t *c, int numidx, int *first, int *nkeys, pop_req_t *p)
{
    long long numkeys;
    if (!parse_ll(&c->argv[numidx], &numkeys) || numkeys < 1) {
        reply_error(&c->reply, "ERR numkeys should be greater than 0");
        return false;
    }
    if (numkeys >= c->argc - numidx - 1) {
        reply_syntax_error(c);
        return false;
    }
    int where = numidx + (int)numkeys + 1;
    memset(p, 0, sizeof(*p));
    p->count = -1;
    if (arg_is(&c->argv[where], "max"))
        p->max = true;
    else if (!arg_is(&c->argv[where], "min"))
        goto syntax;
    for (int j = where + 1; j < c->argc; j++) {
        if (p->count != -1 || !arg_is(&c->argv[j], "count") || j + 1 >= c->argc)
            goto syntax;
        j++;
        if (!parse_ll(&c->argv[j], &p->count) || p->count < 1) {
            reply_error(&c->reply, "ERR count should be greater than 0");
            return false;
        }
    }
    if (p->count == -1)
        p->count = 1;
    p->emitkey = true;
    p->nested = true;
    *first = numidx + 1;
    *nkeys = (int)numkeys;
    return true;
syntax:
    reply_syntax_error(c);
    return false;
}

void cmd_zmpop(client_t *c)
{
    pop_req_t p;
    int first, nkeys;
    bool failed;
    if (!mpop_parse(c, 1, &first, &nkeys, &p))
        return;
    if (!pop_first(c, first, nkeys, &p, &failed) && !failed)
        reply_null_array(&c->reply);
}

void cmd_bzmpop(client_t *c)
{
    pop_req_t p;
    int first, nkeys;
    int64_t deadline;
    if (!mpop_parse(c, 2, &first, &nkeys, &p) ||
        !blocking_parse_timeout(c, &c->argv[1], &deadline))
        return;
    bpop_generic(c, first, nkeys, &p, deadline);
}

/* ---- ZRANDMEMBER ---------------------------------------------------------- */

typedef struct rand_out {
    client_t *c;
    bool withscores;
    uint64_t sent;
} rand_out_t;

static void rand_reply(void *arg, const tzset_elem_t *e)
{
    rand_out_t *out = arg;
    reply_elem(out->c, e, out->withscores);
}

/* As rand_reply, stopping once the client is closed for passing its
 * output limits: a huge negative count would otherwise run for ages. */
static bool rand_reply_checked(void *arg, const tzset_elem_t *e)
{
    rand_out_t *out = arg;
    rand_reply(arg, e);
    return ++out->sent % 1024 != 0 || !client_check_obuf_limits(out->c);
}

/* Parses ZRANDMEMBER's count and WITHSCORES; replies on an error. */
static bool parse_rand_args(client_t *c, long long *count, bool *withscores)
{
    if (!arg_ll(c, &c->argv[2], count))
        return false;
    if (*count < -LLONG_MAX) {
        reply_error(&c->reply, "ERR value is out of range, value must between "
                               "-9223372036854775807 and 9223372036854775807");
        return false;
    }
    if (c->argc > 4 || (c->argc == 4 && !arg_is(&c->argv[3], "withscores"))) {
        reply_syntax_error(c);
        return false;
    }
    *withscores = c->argc == 4;
    if (*withscores && (*count < -LLONG_MAX / 2 || *count > LLONG_MAX / 2)) {
        reply_error(&c->reply, "ERR value is out of range");
        return false;
    }
    return true;
}

static void zrandmember_count(client_t *c)
{
    long long l;
    bool withscores;
    obj_t *o;
    if (!parse_rand_args(c, &l, &withscores) || !lookup_zset(c, &c->argv[1], false, &o))
        return;
    if (o == NULL || l == 0) {
        reply_empty_array(&c->reply);
        return;
    }
    rand_out_t out = {c, withscores, 0};
    uint64_t count = l < 0 ? (uint64_t)-l : (uint64_t)l;
    size_t size = tzset_len(o);
    if (l < 0 || count == 1) {
        reply_elems_len(c, count, withscores);
        tzset_random_pairs(o, count, rand_reply_checked, &out);
    } else if (count >= size) {
        /* The whole set, highest first: the order Redis's iterator uses. */
        tzset_iter_t it;
        tzset_elem_t e;
        reply_elems_len(c, size, withscores);
        tzset_iter_init(&it, o, true);
        while (tzset_iter_next(&it, &e))
            rand_reply(&out, &e);
    } else {
        reply_elems_len(c, count, withscores);
        tzset_random_distinct(o, (size_t)count, rand_reply, &out);
    }
}

void cmd_zrandmember(client_t *c)
{
    if (c->argc >= 3) {
        zrandmember_count(c);
        return;
    }
    obj_t *o;
    if (!lookup_zset(c, &c->argv[1], false, &o))
        return;
    if (o == NULL) {
        reply_null(&c->reply);
        return;
    }
    tzset_elem_t e;
    tzset_random(o, &e);
    reply_bulk(&c->reply, e.p, e.n);
}

/* ---- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD ------------------ */

enum setop { SETOP_UNION, SETOP_INTER, SETOP_DIFF };

/* A parsed algebra request. */
typedef struct setop_req {
    enum setop op;
    const char *name; /* For the numkeys error. */
    const arg_t *dst;
    bool card_only;
    bool withscores;
    enum tzset_aggregate aggr;
    long long limit;
    tzset_src_t *srcs;
    size_t n;
} setop_req_t;

/* Parses numkeys at argv[numidx] and looks the inputs up (sorted sets and
 * sets; missing keys are NULL). Replies and returns false on an error. */
static bool setop_inputs(client_t *c, int numidx, setop_req_t *q)
{
    long long numkeys;
    if (!arg_ll(c, &c->argv[numidx], &numkeys))
        return false;
    if (numkeys < 1) {
        reply_errorf(&c->reply, "ERR at least 1 input key is needed for '%s' command", q->name);
        return false;
    }
    if (numkeys > c->argc - numidx - 1) {
        reply_syntax_error(c);
        return false;
    }
    q->n = (size_t)numkeys;
    q->srcs = alloc_malloc(q->n * sizeof(tzset_src_t));
    for (size_t i = 0; i < q->n; i++) {
        obj_t *o = db_lookup_read(c->db, arg_key(&c->argv[numidx + 1 + (int)i]));
        if (o != NULL && o->type != OBJ_ZSET && o->type != OBJ_SET) {
            reply_wrongtype(c);
            return false;
        }
        q->srcs[i].o = o;
        q->srcs[i].weight = 1.0;
    }
    return true;
}

/* Parses WEIGHTS, AGGREGATE, WITHSCORES and LIMIT from argv[j] on, as far
 * as the command allows each. */
static bool setop_options(client_t *c, int j, setop_req_t *q)
{
    bool algebra = q->op != SETOP_DIFF && !q->card_only;
    while (j < c->argc) {
        int left = c->argc - j;
        const arg_t *a = &c->argv[j];
        if (algebra && left >= (int)q->n + 1 && arg_is(a, "weights")) {
            for (size_t i = 0; i < q->n; i++) {
                const arg_t *w = &c->argv[++j];
                if (strconv_to_double(w->p, w->n, &q->srcs[i].weight) != 0) {
                    reply_error(&c->reply, "ERR weight value is not a float");
                    return false;
                }
            }
            j++;
        } else if (algebra && left >= 2 && arg_is(a, "aggregate")) {
            const arg_t *v = &c->argv[j + 1];
            if (arg_is(v, "sum"))
                q->aggr = TZSET_AGGR_SUM;
            else if (arg_is(v, "min"))
                q->aggr = TZSET_AGGR_MIN;
            else if (arg_is(v, "max"))
                q->aggr = TZSET_AGGR_MAX;
            else
                goto syntax;
            j += 2;
        } else if (q->dst == NULL && !q->card_only && arg_is(a, "withscores")) {
            q->withscores = true;
            j++;
        } else if (q->card_only && left >= 2 && arg_is(a, "limit")) {
            if (!parse_ll(&c->argv[j + 1], &q->limit) || q->limit < 0) {
                reply_error(&c->reply, "ERR LIMIT can't be negative");
                return false;
            }
            j += 2;
        } else {
            goto syntax;
        }
    }
    return true;
syntax:
    reply_syntax_error(c);
    return false;
}

/* Stores a result under dst (dropping any TTL) and replies its size; an
 * empty result deletes dst instead. */
static void setop_store(client_t *c, const setop_req_t *q, obj_t *res)
{
    static const char *const events[] = {"zunionstore", "zinterstore", "zdiffstore"};
    size_t n = tzset_len(res);
    if (n > 0) {
        db_set(c->db, arg_key(q->dst), res, false);
        reply_int(&c->reply, (long long)n);
        notify(c, NOTIFY_ZSET, events[q->op], q->dst);
        srv.dirty++;
        return;
    }
    obj_decref(res);
    reply_int(&c->reply, 0);
    if (db_delete(c->db, arg_key(q->dst))) {
        notify(c, NOTIFY_GENERIC, "del", q->dst);
        srv.dirty++;
    }
}

static void setop_run(client_t *c, setop_req_t *q)
{
    if (q->card_only) {
        reply_int(&c->reply, (long long)tzset_inter_card(q->srcs, q->n, (size_t)q->limit));
        return;
    }
    bool fit = q->dst != NULL;
    obj_t *res = q->op == SETOP_UNION   ? tzset_union(q->srcs, q->n, q->aggr, fit)
                 : q->op == SETOP_INTER ? tzset_inter(q->srcs, q->n, q->aggr, fit)
                                        : tzset_diff(q->srcs, q->n, fit);
    if (q->dst != NULL) {
        setop_store(c, q, res);
        return;
    }
    tzset_iter_t it;
    tzset_elem_t e;
    reply_elems_len(c, tzset_len(res), q->withscores);
    tzset_iter_init(&it, res, false);
    while (tzset_iter_next(&it, &e))
        reply_elem(c, &e, q->withscores);
    obj_decref(res);
}

static void setop_generic(client_t *c, const char *name, enum setop op, int numidx,
                          const arg_t *dst, bool card_only)
{
    setop_req_t q;
    memset(&q, 0, sizeof(q));
    q.op = op;
    q.name = name;
    q.dst = dst;
    q.card_only = card_only;
    q.aggr = TZSET_AGGR_SUM;
    if (setop_inputs(c, numidx, &q) && setop_options(c, numidx + 1 + (int)q.n, &q))
        setop_run(c, &q);
    alloc_free(q.srcs);
}

void cmd_zunion(client_t *c)
{
    setop_generic(c, "zunion", SETOP_UNION, 1, NULL, false);
}

void cmd_zinter(client_t *c)
{
    setop_generic(c, "zinter", SETOP_INTER, 1, NULL, false);
}

void cmd_zdiff(client_t *c)
{
    setop_generic(c, "zdiff", SETOP_DIFF, 1, NULL, false);
}

void cmd_zunionstore(client_t *c)
{
    setop_generic(c, "zunionstore", SETOP_UNION, 2, &c->argv[1], false);
}

void cmd_zinterstore(client_t *c)
{
    setop_generic(c, "zinterstore", SETOP_INTER, 2, &c->argv[1], false);
}

void cmd_zdiffstore(client_t *c)
{
    setop_generic(c, "zdiffstore", SETOP_DIFF, 2, &c->argv[1], false);
}

void cmd_zintercard(client_t *c)
{
    setop_generic(c, "zintercard", SETOP_INTER, 1, NULL, true);
}

/* ---- ZSCAN ----------------------------------------------------------------- */

typedef struct zscan_ctx {
    const scan_opts_t *opts;
    scan_found_t found;
} zscan_ctx_t;

/* Keeps a member that passed MATCH and its score text. */
static void zscan_visit(void *arg, const tzset_elem_t *e, const char *score, size_t len)
{
    zscan_ctx_t *ctx = arg;
    if (!scan_opts_match(ctx->opts, e->p, e->n))
        return;
    scan_found_add(&ctx->found, e->p, e->n);
    scan_found_add(&ctx->found, score, len);
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is checked
 * first, then the key, then the options, as for SSCAN. */
void cmd_zscan(client_t *c)
{
    uint64_t cursor;
    if (strconv_to_cursor(c->argv[2].p, c->argv[2].n, &cursor) != 0) {
        reply_error(&c->reply, "ERR invalid cursor");
        return;
    }
    obj_t *o;
    if (!lookup_zset(c, &c->argv[1], false, &o))
        return;
    scan_opts_t opts;
    zscan_ctx_t ctx = {&opts, {NULL, 0, 0}};
    if (o == NULL) {
        scan_found_reply(c, 0, &ctx.found);
        return;
    }
    if (!scan_opts_parse(c, 3, &opts))
        return;
    cursor = tzset_scan(o, cursor, (uint64_t)opts.count, zscan_visit, &ctx);
    scan_found_reply(c, cursor, &ctx.found);
}
