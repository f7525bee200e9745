/*
 * SORT and SORT_RO: sort the elements of a list, set or sorted set
 * numerically or lexicographically, directly or by the values of other keys
 * (BY pattern, with "->field" for hash fields), return them or other keys'
 * values (GET pattern, "#" for the element), a LIMIT window, in ASC or DESC
 * order, or store the result as a list (SORT ... STORE). Follows Redis 7.0:
 * a BY pattern without '*' means "do not sort" (except for a set being
 * stored, which is sorted lexicographically so the result is reproducible),
 * numeric ties are broken by comparing the elements as strings, missing BY
 * values weigh 0 (or sort first with ALPHA), and a sorted set is converted
 * to its skiplist encoding, as Redis does.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/str.h"
#include "core/strconv.h"
#include "db/keyspace.h"
#include "db/t_hash.h"
#include "db/t_list.h"
#include "db/t_set.h"
#include "db/t_zset.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/notify.h"
#include "server/server.h"

typedef struct sort_opts {
    const arg_t *by;
    bool dontsort;
    bool desc;
    bool alpha;
    long long limit_start;
    long long limit_count;
    const arg_t **gets;
    int ngets;
    const arg_t *store;
} sort_opts_t;

typedef struct sort_item {
    str_t *elem;
    double score;
    str_t *cmp; /* ALPHA with BY: the BY value, NULL when missing. */
} sort_item_t;

typedef struct sort_vec {
    sort_item_t *v;
    size_t n, cap;
} sort_vec_t;

static void vec_push(sort_vec_t *vec, const char *p, size_t n)
{
    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? vec->cap * 2 : 16;
        vec->v = alloc_realloc(vec->v, vec->cap * sizeof(*vec->v));
    }
    sort_item_t *it = &vec->v[vec->n++];
    it->elem = str_new(p, n);
    it->score = 0;
    it->cmp = NULL;
}

static void vec_free(sort_vec_t *vec)
{
    for (size_t i = 0; i < vec->n; i++) {
        str_free(vec->v[i].elem);
        if (vec->v[i].cmp != NULL)
            str_free(vec->v[i].cmp);
    }
    alloc_free(vec->v);
}

/* ---- options ------------------------------------------------------------- */

static bool has_star(const arg_t *a)
{
    return memchr(a->p, '*', a->n) != NULL;
}

/* Parses the options after the key; replies and returns false on error. */
static bool parse_opts(client_t *c, bool readonly, sort_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->limit_count = -1;
    o->gets = alloc_malloc(sizeof(*o->gets) * (size_t)c->argc);
    for (int j = 2; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const arg_t *a = &c->argv[j];
        if (arg_is(a, "asc")) {
            o->desc = false;
        } else if (arg_is(a, "desc")) {
            o->desc = true;
        } else if (arg_is(a, "alpha")) {
            o->alpha = true;
        } else if (arg_is(a, "limit") && left >= 2) {
            if (strconv_to_ll(c->argv[j + 1].p, c->argv[j + 1].n, &o->limit_start) != 0 ||
                strconv_to_ll(c->argv[j + 2].p, c->argv[j + 2].n, &o->limit_count) != 0) {
                reply_not_integer(c);
                return false;
            }
            j += 2;
        } else if (arg_is(a, "store") && left >= 1 && !readonly) {
            o->store = &c->argv[++j];
        } else if (arg_is(a, "by") && left >= 1) {
            o->by = &c->argv[++j];
            /* A pattern without '*' names one key for every element:
             * nothing to sort by. */
            if (!has_star(o->by))
                o->dontsort = true;
        } else if (arg_is(a, "get") && left >= 1) {
            o->gets[o->ngets++] = &c->argv[++j];
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    return true;
}

/* ---- pattern lookups ------------------------------------------------------ */

/*
 * The value a BY or GET pattern gives for elem: the element itself for "#";
 * else the pattern's first '*' replaced by elem names a string key, or with
 * "->field" after the '*' a hash field. Returns false when there is no such
 * value (no '*', missing key or field, other type). *out is owned by the
 * caller.
 */
static bool pattern_value(client_t *c, const arg_t *pat, const str_t *elem, bool write,
                          str_t **out)
{
    if (pat->n == 1 && pat->p[0] == '#') {
        *out = str_dup(elem);
        return true;
    }
    const char *star = memchr(pat->p, '*', pat->n);
    if (star == NULL)
        return false;
    const char *end = pat->p + pat->n;
    const char *field = NULL;
    for (const char *f = star + 1; f + 2 < end; f++) {
        if (f[0] == '-' && f[1] == '>') {
            field = f + 2;
            break;
        }
    }
    const char *key_end = field != NULL ? field - 2 : end;
    str_t *key = str_new(pat->p, (size_t)(star - pat->p));
    key = str_cat(key, elem->buf, elem->len);
    key = str_cat(key, star + 1, (size_t)(key_end - star - 1));
    key_ref_t kr = key_ref_str(key);
    obj_t *o = write ? db_lookup_write(c->db, kr) : db_lookup_read(c->db, kr);
    str_free(key);
    if (o == NULL)
        return false;
    if (field != NULL) {
        if (o->type != OBJ_HASH)
            return false;
        thash_str_t v;
        if (!thash_get(o, field, (size_t)(end - field), &v))
            return false;
        *out = str_new(v.p, v.n);
        return true;
    }
    if (o->type != OBJ_STRING)
        return false;
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    *out = str_new(p, n);
    return true;
}

/* ---- loading the elements -------------------------------------------------- */

static void add_set_member(void *arg, const tset_member_t *m)
{
    vec_push(arg, m->p, m->n);
}

static void add_zset_elem(void *arg, const tzset_elem_t *e)
{
    vec_push(arg, e->p, e->n);
}

static void load_list(obj_t *o, long long from, long long count, bool backwards,
                      sort_vec_t *vec)
{
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, backwards ? -(from + 1) : from, !backwards);
    while (count-- > 0 && tlist_iter_next(&it, &e)) {
        char buf[LP_INTBUF];
        size_t n;
        const char *p = tlist_ent_bytes(&e, buf, &n);
        vec_push(vec, p, n);
    }
    tlist_iter_destroy(&it);
}

static void load_all(obj_t *o, sort_vec_t *vec)
{
    switch (o->type) {
    case OBJ_LIST:
        load_list(o, 0, (long long)tlist_len(o), false, vec);
        break;
    case OBJ_SET: {
        tset_iter_t it;
        tset_member_t m;
        tset_iter_init(&it, o);
        while (tset_iter_next(&it, &m))
            add_set_member(vec, &m);
        tset_iter_destroy(&it);
        break;
    }
    case OBJ_ZSET: {
        tzset_iter_t it;
        tzset_elem_t e;
        tzset_iter_init(&it, o, false);
        while (tzset_iter_next(&it, &e))
            add_zset_elem(vec, &e);
        break;
    }
    default:
        INSIST(false);
    }
}

/* ---- sorting -------------------------------------------------------------- */

static bool sort_desc, sort_alpha, sort_by;

static int cmp_str(const str_t *a, const str_t *b)
{
    return bytes_cmp(a->buf, a->len, b->buf, b->len);
}

static int cmp_items(const void *pa, const void *pb)
{
    const sort_item_t *a = pa, *b = pb;
    int r;
    if (!sort_alpha) {
        if (a->score > b->score)
            r = 1;
        else if (a->score < b->score)
            r = -1;
        else
            r = cmp_str(a->elem, b->elem); /* Deterministic ties. */
    } else if (sort_by) {
        if (a->cmp == NULL || b->cmp == NULL)
            r = a->cmp == b->cmp ? 0 : (a->cmp == NULL ? -1 : 1);
        else
            r = cmp_str(a->cmp, b->cmp);
    } else {
        r = cmp_str(a->elem, b->elem);
    }
    return sort_desc ? -r : r;
}

/* A string as a score the way strtod reads it: the whole string must be
 * consumed, without overflow or NaN. */
static bool parse_score(const str_t *s, double *out)
{
    char small[64];
    char *buf = s->len < sizeof(small) ? small : alloc_malloc(s->len + 1);
    memcpy(buf, s->buf, s->len);
    buf[s->len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    bool good = *end == '\0' && errno != ERANGE && !isnan(d) &&
                (size_t)(end - buf) == s->len;
    if (buf != small)
        alloc_free(buf);
    *out = d;
    return good;
}

/* Computes the scores (or ALPHA BY values); false when one is not a
 * number. */
static bool load_weights(client_t *c, const sort_opts_t *o, sort_vec_t *vec)
{
    bool write = o->store != NULL;
    for (size_t i = 0; i < vec->n; i++) {
        sort_item_t *it = &vec->v[i];
        str_t *byval = NULL;
        if (o->by != NULL) {
            if (!pattern_value(c, o->by, it->elem, write, &byval))
                continue;
        }
        if (o->alpha) {
            it->cmp = byval; /* NULL without BY: elements compare. */
            continue;
        }
        bool good = parse_score(byval != NULL ? byval : it->elem, &it->score);
        if (byval != NULL)
            str_free(byval);
        if (!good)
            return false;
    }
    return true;
}

/* ---- output ----------------------------------------------------------------- */

static void reply_items(client_t *c, const sort_opts_t *o, const sort_vec_t *vec, size_t start,
                        size_t count)
{
    size_t per = o->ngets > 0 ? (size_t)o->ngets : 1;
    reply_array(&c->reply, count * per);
    for (size_t i = start; i < start + count; i++) {
        const sort_item_t *it = &vec->v[i];
        if (o->ngets == 0) {
            reply_bulk(&c->reply, it->elem->buf, it->elem->len);
            continue;
        }
        for (int g = 0; g < o->ngets; g++) {
            str_t *v;
            if (pattern_value(c, o->gets[g], it->elem, false, &v)) {
                reply_bulk(&c->reply, v->buf, v->len);
                str_free(v);
            } else {
                reply_null(&c->reply);
            }
        }
    }
}

static void store_items(client_t *c, const sort_opts_t *o, const sort_vec_t *vec,
                        size_t start, size_t count)
{
    obj_t *list = tlist_new();
    for (size_t i = start; i < start + count; i++) {
        const sort_item_t *it = &vec->v[i];
        if (o->ngets == 0) {
            tlist_push(list, it->elem->buf, it->elem->len, TLIST_TAIL);
            continue;
        }
        for (int g = 0; g < o->ngets; g++) {
            str_t *v;
            if (pattern_value(c, o->gets[g], it->elem, true, &v)) {
                tlist_push(list, v->buf, v->len, TLIST_TAIL);
                str_free(v);
            } else {
                tlist_push(list, "", 0, TLIST_TAIL); /* Missing values store empty. */
            }
        }
    }
    size_t n = tlist_len(list);
    key_ref_t dst = arg_key(o->store);
    if (n > 0) {
        db_set(c->db, dst, list, false);
        notify_keyspace_event(NOTIFY_LIST, "sortstore", o->store->p, o->store->n, c->db->id);
        srv.dirty += n;
    } else {
        obj_decref(list);
        if (db_delete(c->db, dst)) {
            notify_keyspace_event(NOTIFY_GENERIC, "del", o->store->p, o->store->n, c->db->id);
            srv.dirty++;
        }
    }
    reply_int(&c->reply, (long long)n);
}

/* ---- the command -------------------------------------------------------------- */

/* The LIMIT window over len elements, as Redis clamps it. */
static void window(const sort_opts_t *o, size_t len, long long *start, long long *end)
{
    long long vlen = (long long)len;
    *start = o->limit_start < 0 ? 0 : o->limit_start;
    *end = o->limit_count < 0 ? vlen - 1 : *start + o->limit_count - 1;
    if (*start >= vlen) {
        *start = vlen - 1;
        *end = vlen - 2;
    }
    if (*end >= vlen)
        *end = vlen - 1;
}

/* Loads the elements to output into vec. Returns the window in vec. */
static void load(obj_t *val, sort_opts_t *o, sort_vec_t *vec, long long *start,
                 long long *end)
{
    size_t len = val == NULL ? 0 : (val->type == OBJ_LIST ? tlist_len(val)
                                    : val->type == OBJ_SET ? tset_size(val)
                                                           : tzset_len(val));
    window(o, len, start, end);
    if (val == NULL)
        return;
    bool direct = o->dontsort && (val->type == OBJ_LIST || val->type == OBJ_ZSET);
    if (!direct) {
        load_all(val, vec);
        return;
    }
    /* Lists and sorted sets are ordered already: take just the window,
     * walking from the far end for DESC. */
    long long count = *end - *start + 1;
    if (count > 0) {
        if (val->type == OBJ_LIST) {
            load_list(val, *start, count, o->desc, vec);
        } else {
            long long s = *start, e = *end;
            tzset_range_rank(val, (size_t)s, (size_t)e, o->desc, add_zset_elem, vec);
        }
    }
    *end -= *start;
    *start = 0;
}

static void sort_generic(client_t *c, bool readonly)
{
    sort_opts_t o;
    if (!parse_opts(c, readonly, &o)) {
        alloc_free(o.gets);
        return;
    }
    obj_t *val = db_lookup_read(c->db, arg_key(&c->argv[1]));
    if (val != NULL && val->type != OBJ_LIST && val->type != OBJ_SET && val->type != OBJ_ZSET) {
        reply_wrongtype(c);
        alloc_free(o.gets);
        return;
    }
    /* An unsorted set is stored in a reproducible (lexicographic) order. */
    if (o.dontsort && val != NULL && val->type == OBJ_SET && o.store != NULL) {
        o.dontsort = false;
        o.alpha = true;
        o.by = NULL;
    }
    if (val != NULL && val->type == OBJ_ZSET)
        tzset_convert_to_skiplist(val);
    sort_vec_t vec = {0};
    long long start, end;
    load(val, &o, &vec, &start, &end);
    if (!o.dontsort) {
        if (!load_weights(c, &o, &vec)) {
            reply_error(&c->reply, "ERR One or more scores can't be converted into double");
            goto out;
        }
        sort_desc = o.desc;
        sort_alpha = o.alpha;
        sort_by = o.by != NULL;
        if (vec.n > 1)
            qsort(vec.v, vec.n, sizeof(*vec.v), cmp_items);
    }
    size_t count = end >= start ? (size_t)(end - start + 1) : 0;
    if (o.store != NULL)
        store_items(c, &o, &vec, (size_t)start, count);
    else
        reply_items(c, &o, &vec, (size_t)start, count);
out:
    vec_free(&vec);
    alloc_free(o.gets);
}

void cmd_sort(client_t *c)
{
    sort_generic(c, false);
}

void cmd_sort_ro(client_t *c)
{
    sort_generic(c, true);
}
