/*
 * List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE,
 * LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP and the
 * blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP. Handlers parse
 * their arguments and look keys up in the order Redis 7.0 does (so the
 * same error wins), call db/t_list, notify with Redis's event names, count
 * dirty changes and reply. Blocking handlers are re-entrant: server/
 * blocking re-runs them when a key they wait on gets a list. The blocking
 * and multi-key forms propagate the plain pop or move they did (BLPOP as
 * LPOP, LMPOP as LPOP key count, BLMOVE as LMOVE ...), as Redis 7.0 does,
 * whether they were served at once or after blocking.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "core/strconv.h"
#include "db/t_list.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/notify.h"
#include "server/propagate.h"
#include "server/server.h"

/* ---- shared helpers --------------------------------------------------- */

/* Looks a key up. Returns false after replying WRONGTYPE when it holds
 * another type; *out is NULL for a missing key. */
static bool lookup_list(client_t *c, const arg_t *key, bool write, obj_t **out)
{
    key_ref_t k = arg_key(key);
    obj_t *o = write ? db_lookup_write(c->db, k) : db_lookup_read(c->db, k);
    if (o != NULL && o->type != OBJ_LIST) {
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

/* Parses an integer argument as Redis's getLongFromObjectOrReply: replies
 * msg (or the generic text) and returns false when it is not one. */
static bool parse_ll(client_t *c, const arg_t *a, long long *out, const char *msg)
{
    if (strconv_to_ll(a->p, a->n, out) == 0)
        return true;
    if (msg != NULL)
        reply_error(&c->reply, msg);
    else
        reply_not_integer(c);
    return false;
}

/* An integer in [min, LLONG_MAX], else msg. */
static bool parse_at_least(client_t *c, const arg_t *a, long long min, long long *out,
                           const char *msg)
{
    if (!parse_ll(c, a, out, msg))
        return false;
    if (*out >= min)
        return true;
    reply_error(&c->reply, msg);
    return false;
}

/* LEFT or RIGHT (LMOVE, BLMOVE, LMPOP); a syntax error otherwise. */
static bool parse_end(client_t *c, const arg_t *a, enum tlist_end *end)
{
    if (arg_is(a, "left"))
        *end = TLIST_HEAD;
    else if (arg_is(a, "right"))
        *end = TLIST_TAIL;
    else {
        reply_syntax_error(c);
        return false;
    }
    return true;
}

static void reply_ent(client_t *c, const tlist_ent_t *e)
{
    if (e->p == NULL)
        reply_bulk_ll(&c->reply, e->num);
    else
        reply_bulk(&c->reply, e->p, e->n);
}

/*
 * Replies with the elements from start to end (negative from the tail,
 * clipped to the list), tail first when reverse, as an array; an empty
 * array when the range is empty.
 */
static void reply_range(client_t *c, obj_t *o, long long start, long long end, bool reverse)
{
    long long llen = (long long)tlist_len(o);
    if (start < 0)
        start += llen;
    if (end < 0)
        end += llen;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen) {
        reply_empty_array(&c->reply);
        return;
    }
    if (end >= llen)
        end = llen - 1;
    long long n = end - start + 1;
    reply_array(&c->reply, n);
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, reverse ? end : start, !reverse);
    for (long long i = 0; i < n && tlist_iter_next(&it, &e); i++)
        reply_ent(c, &e);
    tlist_iter_destroy(&it);
}

/* After count elements were popped from key's end: the pop event, the
 * key's deletion when the list is empty, WATCH and the dirty count. */
static void elements_removed(client_t *c, const arg_t *key, obj_t *o, enum tlist_end end,
                             long long count)
{
    notify(c, NOTIFY_LIST, end == TLIST_HEAD ? "lpop" : "rpop", key);
    if (tlist_len(o) == 0) {
        db_delete(c->db, arg_key(key));
        notify(c, NOTIFY_GENERIC, "del", key);
    }
    db_signal_modified(c->db, arg_key(key));
    srv.dirty += count;
}

/* Propagates a pop from key's end in place of the running command:
 * LPOP/RPOP key, with the number popped when count >= 0. */
static void pop_propagate(client_t *c, const arg_t *key, enum tlist_end end, long long count)
{
    if (!propagate_wanted())
        return;
    propagate_prevent();
    propagate_begin(c->db->id, PROPAGATE_ALL, count >= 0 ? 3 : 2);
    propagate_arg_cstr(end == TLIST_HEAD ? "LPOP" : "RPOP");
    propagate_arg(key->p, key->n);
    if (count >= 0)
        propagate_arg_ll(count);
}

/* Pops up to count elements from end, replying with them as an array.
 * Returns how many were popped. */
static long long pop_range(client_t *c, const arg_t *key, obj_t *o, enum tlist_end end,
                           long long count)
{
    long long llen = (long long)tlist_len(o);
    long long n = count > llen ? llen : count;
    if (end == TLIST_HEAD)
        reply_range(c, o, 0, n - 1, false);
    else
        reply_range(c, o, -n, -1, true);
    tlist_delete_range(o, end == TLIST_HEAD ? 0 : -n, (size_t)n);
    elements_removed(c, key, o, end, n);
    return n;
}

/* Pops one element from end and replies with it as a bulk string. */
static void pop_one(client_t *c, const arg_t *key, obj_t *o, enum tlist_end end)
{
    str_t *v = tlist_pop(o, end);
    INSIST(v != NULL);
    reply_bulk(&c->reply, v->buf, v->len);
    str_free(v);
    elements_removed(c, key, o, end, 1);
}

/* ---- pushes ----------------------------------------------------------- */

/* LPUSH, RPUSH and (only_existing) LPUSHX, RPUSHX. */
static void push_generic(client_t *c, enum tlist_end end, bool only_existing)
{
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], true, &o))
        return;
    key_ref_t key = arg_key(&c->argv[1]);
    if (o == NULL) {
        if (only_existing) {
            reply_int(&c->reply, 0);
            return;
        }
        o = tlist_new();
        db_add(c->db, key, o);
    }
    for (int j = 2; j < c->argc; j++)
        tlist_push(o, c->argv[j].p, c->argv[j].n, end);
    srv.dirty += c->argc - 2;
    reply_int(&c->reply, (long long)tlist_len(o));
    db_signal_modified(c->db, key);
    notify(c, NOTIFY_LIST, end == TLIST_HEAD ? "lpush" : "rpush", &c->argv[1]);
}

void cmd_lpush(client_t *c)
{
    push_generic(c, TLIST_HEAD, false);
}

void cmd_rpush(client_t *c)
{
    push_generic(c, TLIST_TAIL, false);
}

void cmd_lpushx(client_t *c)
{
    push_generic(c, TLIST_HEAD, true);
}

void cmd_rpushx(client_t *c)
{
    push_generic(c, TLIST_TAIL, true);
}

/* ---- pops --------------------------------------------------------------- */

/* LPOP/RPOP key [count]: without count a bulk string (null when missing);
 * with it an array (null array when missing, empty for count 0). */
static void pop_generic(client_t *c, enum tlist_end end)
{
    if (c->argc > 3) {
        reply_wrong_arity(c);
        return;
    }
    bool has_count = c->argc == 3;
    long long count = 0;
    if (has_count && !parse_at_least(c, &c->argv[2], 0, &count,
                                     "ERR value is out of range, must be positive"))
        return;
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], true, &o))
        return;
    if (o == NULL) {
        if (has_count)
            reply_null_array(&c->reply);
        else
            reply_null(&c->reply);
        return;
    }
    if (has_count && count == 0)
        reply_empty_array(&c->reply);
    else if (has_count)
        (void)pop_range(c, &c->argv[1], o, end, count);
    else
        pop_one(c, &c->argv[1], o, end);
}

void cmd_lpop(client_t *c)
{
    pop_generic(c, TLIST_HEAD);
}

void cmd_rpop(client_t *c)
{
    pop_generic(c, TLIST_TAIL);
}

/* ---- reads ---------------------------------------------------------------- */

void cmd_llen(client_t *c)
{
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], false, &o))
        return;
    reply_int(&c->reply, o != NULL ? (long long)tlist_len(o) : 0);
}

void cmd_lrange(client_t *c)
{
    long long start, end;
    if (!parse_ll(c, &c->argv[2], &start, NULL) || !parse_ll(c, &c->argv[3], &end, NULL))
        return;
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], false, &o))
        return;
    if (o == NULL)
        reply_empty_array(&c->reply);
    else
        reply_range(c, o, start, end, false);
}

/* LINDEX looks the key up before it parses the index, as Redis does. */
void cmd_lindex(client_t *c)
{
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], false, &o))
        return;
    if (o == NULL) {
        reply_null(&c->reply);
        return;
    }
    long long index;
    if (!parse_ll(c, &c->argv[2], &index, NULL))
        return;
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, index, true);
    if (tlist_iter_next(&it, &e))
        reply_ent(c, &e);
    else
        reply_null(&c->reply);
    tlist_iter_destroy(&it);
}

/* ---- LPOS ------------------------------------------------------------------ */

typedef struct lpos_opts {
    long long rank;   /* Which match comes first: 1, 2 ... from the head. */
    long long count;  /* Matches wanted; -1: no COUNT (reply one index). */
    long long maxlen; /* Elements compared at most; 0: all. */
    bool from_tail;
    bool unlimited;   /* RANK -LLONG_MIN: every match from the tail. */
} lpos_opts_t;

static bool lpos_parse(client_t *c, lpos_opts_t *o)
{
    o->rank = 1;
    o->count = -1;
    o->maxlen = 0;
    for (int j = 3; j < c->argc; j++) {
        const arg_t *opt = &c->argv[j];
        bool more = j + 1 < c->argc;
        if (arg_is(opt, "rank") && more) {
            if (!parse_ll(c, &c->argv[++j], &o->rank, NULL))
                return false;
            if (o->rank == 0) {
                reply_error(&c->reply,
                            "ERR RANK can't be zero: use 1 to start from the first match, "
                            "2 from the second ... or use negative to start from the end "
                            "of the list");
                return false;
            }
        } else if (arg_is(opt, "count") && more) {
            if (!parse_at_least(c, &c->argv[++j], 0, &o->count, "ERR COUNT can't be negative"))
                return false;
        } else if (arg_is(opt, "maxlen") && more) {
            if (!parse_at_least(c, &c->argv[++j], 0, &o->maxlen,
                                "ERR MAXLEN can't be negative"))
                return false;
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    o->from_tail = o->rank < 0;
    /* Redis negates the rank in a long: LLONG_MIN stays negative, so every
     * match counts as reached and COUNT never stops the search. */
    o->unlimited = o->rank == INT64_MIN;
    if (o->from_tail)
        o->rank = o->unlimited ? 1 : -o->rank;
    return true;
}

void cmd_lpos(client_t *c)
{
    lpos_opts_t opt;
    if (!lpos_parse(c, &opt))
        return;
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], false, &o))
        return;
    if (o == NULL) {
        if (opt.count != -1)
            reply_empty_array(&c->reply);
        else
            reply_null(&c->reply);
        return;
    }
    reply_defer_t d = {0};
    if (opt.count != -1)
        d = reply_defer(&c->reply);
    const arg_t *ele = &c->argv[2];
    long long llen = (long long)tlist_len(o), index = 0, matches = 0, found = -1, n = 0;
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, opt.from_tail ? -1 : 0, !opt.from_tail);
    while ((opt.maxlen == 0 || index < opt.maxlen) && tlist_iter_next(&it, &e)) {
        if (tlist_ent_eq(&e, ele->p, ele->n) && ++matches >= opt.rank) {
            found = opt.from_tail ? llen - index - 1 : index;
            if (opt.count == -1)
                break;
            reply_int(&c->reply, found);
            n++;
            if (opt.count != 0 && !opt.unlimited && matches - opt.rank + 1 >= opt.count)
                break;
        }
        index++;
    }
    tlist_iter_destroy(&it);
    if (opt.count != -1)
        reply_defer_array(&c->reply, d, n);
    else if (found != -1)
        reply_int(&c->reply, found);
    else
        reply_null(&c->reply);
}

/* ---- in-place writes ----------------------------------------------------------- */

void cmd_lset(client_t *c)
{
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], true, &o))
        return;
    if (o == NULL) {
        reply_error(&c->reply, "ERR no such key");
        return;
    }
    long long index;
    if (!parse_ll(c, &c->argv[2], &index, NULL))
        return;
    if (!tlist_set(o, index, c->argv[3].p, c->argv[3].n)) {
        reply_error(&c->reply, "ERR index out of range");
        return;
    }
    reply_ok(&c->reply);
    db_signal_modified(c->db, arg_key(&c->argv[1]));
    notify(c, NOTIFY_LIST, "lset", &c->argv[1]);
    srv.dirty++;
}

void cmd_linsert(client_t *c)
{
    bool after;
    if (arg_is(&c->argv[2], "after"))
        after = true;
    else if (arg_is(&c->argv[2], "before"))
        after = false;
    else {
        reply_syntax_error(c);
        return;
    }
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], true, &o))
        return;
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    const arg_t *pivot = &c->argv[3], *ele = &c->argv[4];
    if (!tlist_insert(o, pivot->p, pivot->n, ele->p, ele->n, after)) {
        reply_int(&c->reply, -1);
        return;
    }
    db_signal_modified(c->db, arg_key(&c->argv[1]));
    notify(c, NOTIFY_LIST, "linsert", &c->argv[1]);
    srv.dirty++;
    reply_int(&c->reply, (long long)tlist_len(o));
}

void cmd_lrem(client_t *c)
{
    long long count;
    if (!parse_ll(c, &c->argv[2], &count, NULL))
        return;
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], true, &o))
        return;
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    size_t removed = tlist_remove(o, c->argv[3].p, c->argv[3].n, count);
    if (removed > 0)
        notify(c, NOTIFY_LIST, "lrem", &c->argv[1]);
    if (tlist_len(o) == 0) {
        db_delete(c->db, arg_key(&c->argv[1]));
        notify(c, NOTIFY_GENERIC, "del", &c->argv[1]);
    }
    if (removed > 0)
        db_signal_modified(c->db, arg_key(&c->argv[1]));
    srv.dirty += (long long)removed;
    reply_int(&c->reply, (long long)removed);
}

void cmd_ltrim(client_t *c)
{
    long long start, end;
    if (!parse_ll(c, &c->argv[2], &start, NULL) || !parse_ll(c, &c->argv[3], &end, NULL))
        return;
    obj_t *o;
    if (!lookup_list(c, &c->argv[1], true, &o))
        return;
    if (o == NULL) {
        reply_ok(&c->reply);
        return;
    }
    long long llen = (long long)tlist_len(o), ltrim, rtrim;
    if (start < 0)
        start += llen;
    if (end < 0)
        end += llen;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen) {
        ltrim = llen;
        rtrim = 0;
    } else {
        if (end >= llen)
            end = llen - 1;
        ltrim = start;
        rtrim = llen - end - 1;
    }
    tlist_delete_range(o, 0, (size_t)ltrim);
    tlist_delete_range(o, -rtrim, (size_t)rtrim);
    notify(c, NOTIFY_LIST, "ltrim", &c->argv[1]);
    if (tlist_len(o) == 0) {
        db_delete(c->db, arg_key(&c->argv[1]));
        notify(c, NOTIFY_GENERIC, "del", &c->argv[1]);
    }
    db_signal_modified(c->db, arg_key(&c->argv[1]));
    srv.dirty += ltrim + rtrim;
    reply_ok(&c->reply);
}

/* ---- moves ---------------------------------------------------------------------- */

/* Pushes v onto dst's end, creating the list, and replies with v. */
static void move_push(client_t *c, const arg_t *dst_key, obj_t *dst, const str_t *v,
                      enum tlist_end end)
{
    key_ref_t key = arg_key(dst_key);
    if (dst == NULL) {
        dst = tlist_new();
        db_add(c->db, key, dst);
    }
    db_signal_modified(c->db, key);
    tlist_push(dst, v->buf, v->len, end);
    notify(c, NOTIFY_LIST, end == TLIST_HEAD ? "lpush" : "rpush", dst_key);
    reply_bulk(&c->reply, v->buf, v->len);
}

/* BLMOVE propagates as LMOVE with its own LEFT/RIGHT arguments when served
 * at once, and with "left"/"right" when served after blocking (as Redis
 * 7.0 writes them); BRPOPLPUSH as RPOPLPUSH. LMOVE and RPOPLPUSH propagate
 * themselves. */
static void move_propagate(client_t *c, enum tlist_end from, enum tlist_end to)
{
    if (!propagate_wanted())
        return;
    if (c->cmd->proc == cmd_brpoplpush) {
        arg_t argv[3] = {{"RPOPLPUSH", 9}, c->argv[1], c->argv[2]};
        propagate_rewrite(c, 3, argv);
    } else if (c->cmd->proc == cmd_blmove) {
        arg_t argv[5] = {{"LMOVE", 5}, c->argv[1], c->argv[2], c->argv[3], c->argv[4]};
        if (blocking_is_blocked(c)) {
            argv[3] = from == TLIST_HEAD ? (arg_t){"left", 4} : (arg_t){"right", 5};
            argv[4] = to == TLIST_HEAD ? (arg_t){"left", 4} : (arg_t){"right", 5};
        }
        propagate_rewrite(c, 5, argv);
    }
}

/* LMOVE source destination from to: a null reply for a missing source,
 * checked before the destination's type. */
static void move_generic(client_t *c, enum tlist_end from, enum tlist_end to)
{
    const arg_t *src_key = &c->argv[1], *dst_key = &c->argv[2];
    obj_t *src, *dst;
    if (!lookup_list(c, src_key, true, &src))
        return;
    if (src == NULL) {
        reply_null(&c->reply);
        return;
    }
    if (!lookup_list(c, dst_key, true, &dst))
        return;
    str_t *v = tlist_pop(src, from);
    INSIST(v != NULL);
    move_push(c, dst_key, dst, v, to);
    str_free(v);
    notify(c, NOTIFY_LIST, from == TLIST_HEAD ? "lpop" : "rpop", src_key);
    if (tlist_len(src) == 0) {
        db_delete(c->db, arg_key(src_key));
        notify(c, NOTIFY_GENERIC, "del", src_key);
    }
    db_signal_modified(c->db, arg_key(src_key));
    srv.dirty++;
    move_propagate(c, from, to);
}

void cmd_lmove(client_t *c)
{
    enum tlist_end from, to;
    if (!parse_end(c, &c->argv[3], &from) || !parse_end(c, &c->argv[4], &to))
        return;
    move_generic(c, from, to);
}

void cmd_rpoplpush(client_t *c)
{
    move_generic(c, TLIST_TAIL, TLIST_HEAD);
}

/* BLMOVE and BRPOPLPUSH once their arguments are parsed: move at once,
 * or wait for the source (a null reply where blocking is not allowed). */
static void blocking_move(client_t *c, enum tlist_end from, enum tlist_end to,
                          int64_t deadline)
{
    obj_t *src;
    if (!lookup_list(c, &c->argv[1], true, &src))
        return;
    if (src != NULL) {
        move_generic(c, from, to);
        return;
    }
    if (!blocking_allowed(c)) {
        reply_null(&c->reply);
        return;
    }
    blocking_wait(c, 1, 1, 1, BLOCK_LIST, deadline);
}

void cmd_blmove(client_t *c)
{
    enum tlist_end from, to;
    int64_t deadline;
    if (!parse_end(c, &c->argv[3], &from) || !parse_end(c, &c->argv[4], &to) ||
        !blocking_parse_timeout(c, &c->argv[5], &deadline))
        return;
    blocking_move(c, from, to, deadline);
}

void cmd_brpoplpush(client_t *c)
{
    int64_t deadline;
    if (!blocking_parse_timeout(c, &c->argv[3], &deadline))
        return;
    blocking_move(c, TLIST_TAIL, TLIST_HEAD, deadline);
}

/* ---- multi-key pops -------------------------------------------------------------- */

/*
 * Pops from the first of nkeys keys (at argv[first]...) holding a list:
 * with count > 0 up to count elements, replying [key, [elements]]; with
 * count 0 one element, replying [key, element]. Returns false when every
 * key was missing (nothing replied), true after a reply (WRONGTYPE for a
 * key of another type met before any list). The pop is propagated as
 * LPOP/RPOP key [number popped].
 */
static bool pop_first_list(client_t *c, int first, int nkeys, enum tlist_end end,
                           long long count)
{
    for (int j = first; j < first + nkeys; j++) {
        const arg_t *key = &c->argv[j];
        obj_t *o;
        if (!lookup_list(c, key, true, &o))
            return true;
        if (o == NULL || tlist_len(o) == 0)
            continue;
        reply_array(&c->reply, 2);
        reply_bulk(&c->reply, key->p, key->n);
        if (count > 0) {
            pop_propagate(c, key, end, pop_range(c, key, o, end, count));
        } else {
            pop_one(c, key, o, end);
            pop_propagate(c, key, end, -1);
        }
        return true;
    }
    return false;
}

/* BLPOP and BRPOP: the timeout comes first, then the keys in order. */
static void blocking_pop(client_t *c, enum tlist_end end)
{
    int64_t deadline;
    if (!blocking_parse_timeout(c, &c->argv[c->argc - 1], &deadline))
        return;
    if (pop_first_list(c, 1, c->argc - 2, end, 0))
        return;
    if (!blocking_allowed(c)) {
        reply_null_array(&c->reply);
        return;
    }
    blocking_wait(c, 1, 1, c->argc - 2, BLOCK_LIST, deadline);
}

void cmd_blpop(client_t *c)
{
    blocking_pop(c, TLIST_HEAD);
}

void cmd_brpop(client_t *c)
{
    blocking_pop(c, TLIST_TAIL);
}

typedef struct mpop_args {
    int first;       /* argv index of the first key. */
    int nkeys;
    enum tlist_end end;
    long long count;
} mpop_args_t;

/* numkeys key... LEFT|RIGHT [COUNT count], numkeys at argv[at]. */
static bool mpop_parse(client_t *c, int at, mpop_args_t *a)
{
    long long numkeys;
    if (!parse_at_least(c, &c->argv[at], 1, &numkeys, "ERR numkeys should be greater than 0"))
        return false;
    if (numkeys >= c->argc - at - 1) {
        reply_syntax_error(c);
        return false;
    }
    a->first = at + 1;
    a->nkeys = (int)numkeys;
    int where = at + 1 + a->nkeys;
    if (!parse_end(c, &c->argv[where], &a->end))
        return false;
    a->count = -1;
    for (int j = where + 1; j < c->argc; j++) {
        if (a->count == -1 && arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            if (!parse_at_least(c, &c->argv[++j], 1, &a->count,
                                "ERR count should be greater than 0"))
                return false;
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    if (a->count == -1)
        a->count = 1;
    return true;
}

void cmd_lmpop(client_t *c)
{
    mpop_args_t a;
    if (!mpop_parse(c, 1, &a))
        return;
    if (!pop_first_list(c, a.first, a.nkeys, a.end, a.count))
        reply_null_array(&c->reply);
}

/* BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT count]: the timeout is
 * checked after the other arguments, as in Redis. */
void cmd_blmpop(client_t *c)
{
    mpop_args_t a;
    int64_t deadline;
    if (!mpop_parse(c, 2, &a) || !blocking_parse_timeout(c, &c->argv[1], &deadline))
        return;
    if (pop_first_list(c, a.first, a.nkeys, a.end, a.count))
        return;
    if (!blocking_allowed(c)) {
        reply_null_array(&c->reply);
        return;
    }
    blocking_wait(c, a.first, 1, a.nkeys, BLOCK_LIST, deadline);
}
