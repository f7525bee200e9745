#include <config.h>
#include "db/t_set.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/strconv.h"
#include "db/keyspace.h"

/* Redis caps intsets at 2^30 members whatever the option says, because the
 * blob's size must stay addressable. */
#define INTSET_HARD_MAX (1LL << 30)

/* A shrink is due when a table larger than the minimum is under 10% full. */
#define HT_MIN_FILL_PERCENT 10
#define HT_MIN_SLOTS 4

/* ====================================================================== */
/* Members and probes                                                     */
/* ====================================================================== */

/*
 * Hashtable members live inside their dict entries (an embedded-key dict)
 * as a length in LEB128 form (one byte below 128) followed by the bytes:
 * for short members entry and member fit in 32 bytes, less than Redis's
 * entry plus sds string. Lookups build the same form in a probe, on the
 * stack when short.
 */
#define PROBE_STACK 128
#define VARINT_MAX 10

static size_t key_encode_len(uint8_t *out, size_t n)
{
    size_t i = 0;
    while (n >= 0x80) {
        out[i++] = (uint8_t)(n | 0x80);
        n >>= 7;
    }
    out[i++] = (uint8_t)n;
    return i;
}

/* The member bytes of a stored key (*p) and their length. */
static size_t key_decode(const void *key, const char **p)
{
    const uint8_t *k = key;
    size_t n = 0, i = 0;
    unsigned shift = 0;
    do {
        n |= (size_t)(k[i] & 0x7f) << shift;
        shift += 7;
    } while (k[i++] & 0x80);
    *p = (const char *)k + i;
    return n;
}

static uint64_t member_hash(const void *key)
{
    const char *p;
    size_t n = key_decode(key, &p);
    return dict_hash_bytes(p, n);
}

static int member_eq(const void *a, const void *b)
{
    const char *pa, *pb;
    size_t na = key_decode(a, &pa), nb = key_decode(b, &pb);
    return na == nb && memcmp(pa, pb, na) == 0;
}

static const dict_type_t member_type = {member_hash, member_eq, NULL, NULL};

/* A member in stored form for lookups and inserts. */
typedef struct probe {
    uint8_t *k;
    size_t size;
    uint8_t stack[PROBE_STACK];
} probe_t;

static const void *probe_make(probe_t *t, const char *p, size_t n)
{
    t->k = n + VARINT_MAX <= sizeof(t->stack) ? t->stack : alloc_malloc(n + VARINT_MAX);
    size_t h = key_encode_len(t->k, n);
    if (n > 0)
        memcpy(t->k + h, p, n);
    t->size = h + n;
    return t->k;
}

static void probe_done(probe_t *t)
{
    if (t->k != t->stack)
        alloc_free(t->k);
}

/* The stored size of a key, for copying it as it is. */
static size_t key_size(const void *key)
{
    const char *p;
    size_t n = key_decode(key, &p);
    return (size_t)(p - (const char *)key) + n;
}

static void member_from_int(tset_member_t *m, int64_t v)
{
    m->is_int = true;
    m->v = v;
    m->n = strconv_ll(m->buf, v);
    m->p = m->buf;
}

static void member_from_key(tset_member_t *m, const void *key)
{
    m->is_int = false;
    m->v = 0;
    m->n = key_decode(key, &m->p);
}

static long long intset_limit(void)
{
    long long max = db_env.set_max_intset_entries;
    return max > INTSET_HARD_MAX ? INTSET_HARD_MAX : max;
}

/* ====================================================================== */
/* Hashtable encoding                                                     */
/* ====================================================================== */

static dict_t *ht_new(size_t hint)
{
    dict_t *d = dict_new_embedded(&member_type);
    if (hint > 0) {
        int rc = dict_expand(d, hint);
        INSIST(rc == 0);
    }
    return d;
}

static bool ht_add(dict_t *d, const char *p, size_t n)
{
    probe_t t;
    const void *k = probe_make(&t, p, n);
    dict_entry_t *e = dict_add_embedded(d, k, t.size, NULL);
    probe_done(&t);
    return e != NULL;
}

static bool ht_contains(dict_t *d, const char *p, size_t n)
{
    probe_t t;
    bool found = dict_find(d, probe_make(&t, p, n)) != NULL;
    probe_done(&t);
    return found;
}

/* Shrinks a table that deletions left mostly empty, as Redis does after
 * each removal from a set. */
static void ht_maybe_shrink(dict_t *d)
{
    size_t slots = dict_slots(d);
    if (slots > HT_MIN_SLOTS && dict_size(d) * 100 / slots < HT_MIN_FILL_PERCENT)
        (void)dict_shrink_to_fit(d);
}

static bool ht_remove(dict_t *d, const char *p, size_t n)
{
    probe_t t;
    bool found = dict_delete(d, probe_make(&t, p, n)) == 0;
    probe_done(&t);
    if (found)
        ht_maybe_shrink(d);
    return found;
}

/* ====================================================================== */
/* Construction and type registration                                     */
/* ====================================================================== */

static void set_free(obj_t *o)
{
    if (o->encoding == OBJ_ENC_INTSET)
        intset_free(o->ptr);
    else
        dict_free(o->ptr);
    o->ptr = NULL;
}

static obj_t *set_dup(const obj_t *o)
{
    if (o->encoding == OBJ_ENC_INTSET)
        return obj_new(OBJ_SET, OBJ_ENC_INTSET, intset_dup(o->ptr));
    dict_t *src = o->ptr;
    obj_t *copy = tset_new_ht(dict_size(src));
    dict_iter_t it;
    dict_iter_init(&it, src, false);
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        dict_entry_t *added = dict_add_embedded(copy->ptr, e->key, key_size(e->key), NULL);
        INSIST(added != NULL);
    }
    dict_iter_destroy(&it);
    return copy;
}

/*
 * MEMORY USAGE: the object, plus the intset blob, or the table and its
 * slot arrays plus the average entry size of the first samples members
 * times the member count, as Redis estimates it.
 */
static size_t set_mem_usage(const obj_t *o, size_t samples)
{
    size_t total = alloc_size(o);
    if (o->encoding == OBJ_ENC_INTSET)
        return total + alloc_size(o->ptr);
    dict_t *d = o->ptr;
    total += alloc_size(d);
    for (int i = 0; i < 2; i++)
        if (d->t[i].slots != NULL)
            total += alloc_size(d->t[i].slots);
    size_t seen = 0, bytes = 0;
    dict_iter_t it;
    dict_iter_init(&it, d, false);
    dict_entry_t *e;
    while ((samples == 0 || seen < samples) && (e = dict_iter_next(&it)) != NULL) {
        bytes += alloc_size(e);
        seen++;
    }
    dict_iter_destroy(&it);
    if (seen > 0)
        total += (size_t)((double)bytes / (double)seen * (double)dict_size(d));
    return total;
}

void tset_register(void)
{
    static bool done;
    if (done)
        return;
    obj_register_free(OBJ_SET, set_free);
    obj_register_dup(OBJ_SET, set_dup);
    obj_register_mem_usage(OBJ_SET, set_mem_usage);
    done = true;
}

obj_t *tset_new_intset(void)
{
    tset_register();
    return obj_new(OBJ_SET, OBJ_ENC_INTSET, intset_new());
}

obj_t *tset_new_ht(size_t hint)
{
    tset_register();
    return obj_new(OBJ_SET, OBJ_ENC_HT, ht_new(hint));
}

obj_t *tset_new(const char *p, size_t n)
{
    long long v;
    if (strconv_to_ll(p, n, &v) == 0)
        return tset_new_intset();
    return tset_new_ht(0);
}

/* ====================================================================== */
/* Membership                                                             */
/* ====================================================================== */

size_t tset_size(const obj_t *o)
{
    REQUIRE(o->type == OBJ_SET);
    if (o->encoding == OBJ_ENC_INTSET)
        return intset_len(o->ptr);
    return dict_size(o->ptr);
}

void tset_convert_to_ht(obj_t *o)
{
    REQUIRE(o->type == OBJ_SET);
    if (o->encoding != OBJ_ENC_INTSET)
        return;
    intset_t *is = o->ptr;
    uint32_t n = intset_len(is);
    dict_t *d = ht_new(n);
    for (uint32_t i = 0; i < n; i++) {
        tset_member_t m;
        member_from_int(&m, intset_get(is, i));
        bool added = ht_add(d, m.p, m.n);
        INSIST(added);
    }
    intset_free(is);
    o->ptr = d;
    o->encoding = OBJ_ENC_HT;
}

/* Adds the integer v to an intset set, converting it once it outgrows
 * set-max-intset-entries. */
static bool intset_add_value(obj_t *o, int64_t v)
{
    bool added;
    o->ptr = intset_add(o->ptr, v, &added);
    if (added && (long long)intset_len(o->ptr) > intset_limit())
        tset_convert_to_ht(o);
    return added;
}

bool tset_add(obj_t *o, const char *p, size_t n)
{
    REQUIRE(o->type == OBJ_SET);
    if (o->encoding == OBJ_ENC_INTSET) {
        long long v;
        if (strconv_to_ll(p, n, &v) == 0)
            return intset_add_value(o, v);
        tset_convert_to_ht(o);
    }
    return ht_add(o->ptr, p, n);
}

/* tset_add for a member read from another set, reusing its integer form. */
static bool add_member(obj_t *o, const tset_member_t *m)
{
    if (m->is_int && o->encoding == OBJ_ENC_INTSET)
        return intset_add_value(o, m->v);
    return tset_add(o, m->p, m->n);
}

bool tset_remove(obj_t *o, const char *p, size_t n)
{
    REQUIRE(o->type == OBJ_SET);
    if (o->encoding == OBJ_ENC_INTSET) {
        long long v;
        if (strconv_to_ll(p, n, &v) != 0)
            return false;
        bool removed;
        o->ptr = intset_remove(o->ptr, v, &removed);
        return removed;
    }
    return ht_remove(o->ptr, p, n);
}

bool tset_contains(obj_t *o, const char *p, size_t n)
{
    REQUIRE(o->type == OBJ_SET);
    if (o->encoding == OBJ_ENC_INTSET) {
        long long v;
        return strconv_to_ll(p, n, &v) == 0 && intset_find(o->ptr, v);
    }
    return ht_contains(o->ptr, p, n);
}

bool tset_contains_member(obj_t *o, const tset_member_t *m)
{
    if (m->is_int && o->encoding == OBJ_ENC_INTSET)
        return intset_find(o->ptr, m->v);
    return tset_contains(o, m->p, m->n);
}

/* ====================================================================== */
/* Iteration and random members                                           */
/* ====================================================================== */

void tset_iter_init(tset_iter_t *it, obj_t *o)
{
    REQUIRE(o->type == OBJ_SET);
    it->o = o;
    it->pos = 0;
    if (o->encoding == OBJ_ENC_HT)
        dict_iter_init(&it->di, o->ptr, false);
}

bool tset_iter_next(tset_iter_t *it, tset_member_t *m)
{
    if (it->o->encoding == OBJ_ENC_INTSET) {
        intset_t *is = it->o->ptr;
        if (it->pos >= intset_len(is))
            return false;
        member_from_int(m, intset_get(is, it->pos++));
        return true;
    }
    dict_entry_t *e = dict_iter_next(&it->di);
    if (e == NULL)
        return false;
    member_from_key(m, e->key);
    return true;
}

void tset_iter_destroy(tset_iter_t *it)
{
    if (it->o->encoding == OBJ_ENC_HT)
        dict_iter_destroy(&it->di);
}

/* A uniform random number below n (n > 0), from random()'s 31-bit draws. */
static uint64_t rand_below(uint64_t n)
{
    uint64_t r = (uint64_t)random();
    if (n > (1ULL << 31))
        r = (r << 31 ^ (uint64_t)random()) << 2 ^ (uint64_t)random();
    return r % n;
}

void tset_random(obj_t *o, tset_member_t *m)
{
    REQUIRE(tset_size(o) > 0);
    if (o->encoding == OBJ_ENC_INTSET) {
        member_from_int(m, intset_random(o->ptr));
        return;
    }
    member_from_key(m, dict_fair_random(o->ptr)->key);
}

str_t *tset_pop_random(obj_t *o)
{
    tset_member_t m;
    tset_random(o, &m);
    str_t *s = str_new(m.p, m.n);
    bool removed = tset_remove(o, s->buf, s->len);
    INSIST(removed);
    return s;
}

/* The member behind a handle: an intset position or a dict entry. */
static void member_at(obj_t *o, void *h, tset_member_t *m)
{
    if (o->encoding == OBJ_ENC_INTSET)
        member_from_int(m, intset_get(o->ptr, (uint32_t)((uintptr_t)h - 1)));
    else
        member_from_key(m, ((dict_entry_t *)h)->key);
}

/* A random handle (see member_at). */
static void *random_handle(obj_t *o)
{
    if (o->encoding == OBJ_ENC_INTSET)
        return (void *)(uintptr_t)(rand_below(intset_len(o->ptr)) + 1);
    return dict_fair_random(o->ptr);
}

/* Picks count of the size members by a partial Fisher-Yates shuffle of
 * handles to all of them: the way to go when most of the set is wanted. */
static void pick_by_shuffle(obj_t *o, size_t size, size_t count, tset_visit_fn *fn,
                            void *arg)
{
    void **h = alloc_malloc(size * sizeof(void *));
    if (o->encoding == OBJ_ENC_INTSET) {
        for (size_t i = 0; i < size; i++)
            h[i] = (void *)(uintptr_t)(i + 1);
    } else {
        dict_iter_t it;
        dict_iter_init(&it, o->ptr, false);
        for (size_t i = 0; i < size; i++)
            h[i] = dict_iter_next(&it);
        dict_iter_destroy(&it);
    }
    for (size_t i = 0; i < count; i++) {
        size_t j = i + (size_t)rand_below(size - i);
        void *t = h[i];
        h[i] = h[j];
        h[j] = t;
        tset_member_t m;
        member_at(o, h[i], &m);
        fn(arg, &m);
    }
    alloc_free(h);
}

static uint64_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static const dict_type_t handle_set_type = {ptr_hash, NULL, NULL, NULL};

/* Picks count members by drawing random ones and skipping repeats: the way
 * to go when few members of a large set are wanted. */
static void pick_by_sampling(obj_t *o, size_t count, tset_visit_fn *fn, void *arg)
{
    dict_t *seen = dict_new(&handle_set_type);
    size_t picked = 0;
    while (picked < count) {
        void *h = random_handle(o);
        if (dict_add(seen, h, NULL) != 0)
            continue;
        tset_member_t m;
        member_at(o, h, &m);
        fn(arg, &m);
        picked++;
    }
    dict_free(seen);
}

void tset_random_distinct(obj_t *o, size_t count, tset_visit_fn *fn, void *arg)
{
    size_t size = tset_size(o);
    REQUIRE(count < size);
    if (count > size / 3)
        pick_by_shuffle(o, size, count, fn, arg);
    else
        pick_by_sampling(o, count, fn, arg);
}

obj_t *tset_split_random(obj_t *o, size_t keep)
{
    REQUIRE(keep > 0 && keep < tset_size(o));
    obj_t *dst = NULL;
    for (size_t i = 0; i < keep; i++) {
        str_t *s = tset_pop_random(o);
        if (dst == NULL)
            dst = tset_new(s->buf, s->len);
        bool added = tset_add(dst, s->buf, s->len);
        INSIST(added);
        str_free(s);
    }
    return dst;
}

/* ====================================================================== */
/* SSCAN                                                                  */
/* ====================================================================== */

typedef struct scan_state {
    tset_visit_fn *fn;
    void *arg;
    size_t visited;
} scan_state_t;

static void scan_entry_cb(void *arg, const dict_entry_t *e)
{
    scan_state_t *st = arg;
    tset_member_t m;
    member_from_key(&m, e->key);
    st->fn(st->arg, &m);
    st->visited++;
}

uint64_t tset_scan(obj_t *o, uint64_t cursor, size_t count, tset_visit_fn *fn, void *arg)
{
    if (o->encoding == OBJ_ENC_INTSET) {
        tset_iter_t it;
        tset_member_t m;
        tset_iter_init(&it, o);
        while (tset_iter_next(&it, &m))
            fn(arg, &m);
        tset_iter_destroy(&it);
        return 0;
    }
    scan_state_t st = {fn, arg, 0};
    uint64_t maxiter = count > UINT64_MAX / 10 ? UINT64_MAX : (uint64_t)count * 10;
    do {
        cursor = dict_scan(o->ptr, cursor, scan_entry_cb, &st);
    } while (cursor != 0 && maxiter-- != 0 && st.visited < count);
    return cursor;
}

/* ====================================================================== */
/* Set algebra                                                            */
/* ====================================================================== */

static int cmp_size_asc(const void *a, const void *b)
{
    size_t x = tset_size(*(obj_t *const *)a), y = tset_size(*(obj_t *const *)b);
    return x < y ? -1 : x > y;
}

/* Sizes of possibly-NULL sets, largest first, for the first DIFF
 * algorithm (a NULL counts as empty). */
static int cmp_size_desc_nullable(const void *a, const void *b)
{
    const obj_t *x = *(obj_t *const *)a, *y = *(obj_t *const *)b;
    size_t sx = x ? tset_size(x) : 0, sy = y ? tset_size(y) : 0;
    return sx < sy ? 1 : sx > sy ? -1 : 0;
}

size_t tset_inter(obj_t **sets, size_t n, size_t limit, tset_visit_fn *fn, void *arg)
{
    REQUIRE(n > 0);
    qsort(sets, n, sizeof(obj_t *), cmp_size_asc);
    size_t card = 0;
    tset_iter_t it;
    tset_member_t m;
    tset_iter_init(&it, sets[0]);
    while (tset_iter_next(&it, &m)) {
        size_t j = 1;
        while (j < n && (sets[j] == sets[0] || tset_contains_member(sets[j], &m)))
            j++;
        if (j < n)
            continue;
        card++;
        if (fn != NULL)
            fn(arg, &m);
        if (limit != 0 && card >= limit)
            break;
    }
    tset_iter_destroy(&it);
    return card;
}

static void add_all(obj_t *dst, obj_t *src)
{
    tset_iter_t it;
    tset_member_t m;
    tset_iter_init(&it, src);
    while (tset_iter_next(&it, &m))
        add_member(dst, &m);
    tset_iter_destroy(&it);
}

obj_t *tset_union(obj_t *const *sets, size_t n)
{
    obj_t *dst = tset_new_intset();
    for (size_t j = 0; j < n; j++)
        if (sets[j] != NULL)
            add_all(dst, sets[j]);
    return dst;
}

/* DIFF by testing each member of the first set against the others, the
 * largest first since they are the likeliest to hold it. */
static void diff_by_lookup(obj_t *dst, obj_t *const *sets, size_t n)
{
    obj_t **others = alloc_malloc((n - 1) * sizeof(obj_t *));
    memcpy(others, sets + 1, (n - 1) * sizeof(obj_t *));
    qsort(others, n - 1, sizeof(obj_t *), cmp_size_desc_nullable);
    tset_iter_t it;
    tset_member_t m;
    tset_iter_init(&it, sets[0]);
    while (tset_iter_next(&it, &m)) {
        size_t j = 0;
        while (j < n - 1 && others[j] != NULL && !tset_contains_member(others[j], &m))
            j++;
        if (j == n - 1 || others[j] == NULL)
            add_member(dst, &m);
    }
    tset_iter_destroy(&it);
    alloc_free(others);
}

/* DIFF by copying the first set and removing every member of the others,
 * stopping early once nothing is left. */
static void diff_by_removal(obj_t *dst, obj_t *const *sets, size_t n)
{
    add_all(dst, sets[0]);
    for (size_t j = 1; j < n && tset_size(dst) > 0; j++) {
        if (sets[j] == NULL)
            continue;
        tset_iter_t it;
        tset_member_t m;
        tset_iter_init(&it, sets[j]);
        while (tset_iter_next(&it, &m))
            tset_remove(dst, m.p, m.n);
        tset_iter_destroy(&it);
    }
}

obj_t *tset_diff(obj_t *const *sets, size_t n)
{
    REQUIRE(n > 0);
    obj_t *dst = tset_new_intset();
    if (sets[0] == NULL)
        return dst;
    /* The cost model of Redis: a lookup per member of the first set per
     * other set (halved, lookups being cheap), against one operation per
     * member of every set. */
    uint64_t lookup_work = 0, removal_work = 0;
    for (size_t j = 0; j < n; j++) {
        if (sets[j] == NULL)
            continue;
        if (j > 0 && sets[j] == sets[0])
            return dst;
        lookup_work += tset_size(sets[0]);
        removal_work += tset_size(sets[j]);
    }
    if (n == 1)
        add_all(dst, sets[0]);
    else if (lookup_work / 2 <= removal_work)
        diff_by_lookup(dst, sets, n);
    else
        diff_by_removal(dst, sets, n);
    return dst;
}
