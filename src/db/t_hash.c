#include <config.h>
#include "db/t_hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/str.h"
#include "db/keyspace.h"

/* Past this many bytes a listpack is not grown further: the hash becomes a
 * hashtable instead (Redis's listpack safety limit). */
#define LP_SAFE_BYTES (1u << 30)

/* ---- the hashtable encoding's dict type -------------------------------- */

static uint64_t field_hash(const void *k)
{
    const str_t *s = k;
    return dict_hash_bytes(s->buf, s->len);
}

static int field_eq(const void *a, const void *b)
{
    const str_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->buf, y->buf, x->len) == 0;
}

static void value_free(void *v)
{
    str_free(v);
}

/* Fields live inside their entries (dict_new_embedded); values are str_t. */
static const dict_type_t hash_dict_type = {field_hash, field_eq, NULL, value_free};

/* A str_t for looking up field bytes: on the stack when short. */
typedef struct field_tmp {
    str_t *s;
    union {
        str_t hdr;
        char raw[sizeof(str_t) + 128];
    } u;
} field_tmp_t;

static const str_t *field_tmp_make(field_tmp_t *t, const char *p, size_t n)
{
    if (n < 128) {
        t->s = &t->u.hdr;
        t->s->len = (uint32_t)n;
        t->s->cap = (uint32_t)n;
        if (n > 0)
            memcpy(t->s->buf, p, n);
        t->s->buf[n] = '\0';
    } else {
        t->s = str_new(p, n);
    }
    return t->s;
}

static void field_tmp_done(field_tmp_t *t)
{
    if (t->s != &t->u.hdr)
        str_free(t->s);
}

static dict_entry_t *ht_find(dict_t *d, const char *f, size_t fn)
{
    field_tmp_t t;
    dict_entry_t *e = dict_find(d, field_tmp_make(&t, f, fn));
    field_tmp_done(&t);
    return e;
}

/* Adds a field that must not exist, taking ownership of the value. */
static void ht_add(dict_t *d, const char *f, size_t fn, str_t *v)
{
    field_tmp_t t;
    const str_t *key = field_tmp_make(&t, f, fn);
    dict_entry_t *e = dict_add_embedded(d, key, sizeof(str_t) + fn + 1, NULL);
    field_tmp_done(&t);
    INSIST(e != NULL);
    e->v.val = v;
}

/* ---- readers' strings ----------------------------------------------------- */

static void str_from_lp(thash_str_t *s, const uint8_t *p)
{
    s->p = lp_get_bytes(p, s->buf, &s->n);
}

static void str_from_str(thash_str_t *s, const str_t *v)
{
    s->p = v->buf;
    s->n = v->len;
}

static void pair_from_entry(const dict_entry_t *e, thash_str_t *f, thash_str_t *v)
{
    str_from_str(f, e->key);
    if (v != NULL)
        str_from_str(v, e->v.val);
}

/* ---- basics ----------------------------------------------------------- */

obj_t *thash_new(void)
{
    thash_register();
    return obj_new(OBJ_HASH, OBJ_ENC_LISTPACK, lp_new());
}

size_t thash_len(obj_t *o)
{
    REQUIRE(o->type == OBJ_HASH);
    if (o->encoding == OBJ_ENC_LISTPACK)
        return lp_count(o->ptr) / 2;
    return dict_size(o->ptr);
}

/* The position of field f in a listpack hash, or NULL. */
static uint8_t *lp_field(uint8_t *lp, const char *f, size_t fn)
{
    return lp_find(lp, lp_first(lp), f, fn, 1);
}

bool thash_get(obj_t *o, const char *f, size_t fn, thash_str_t *v)
{
    REQUIRE(o->type == OBJ_HASH);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *p = lp_field(o->ptr, f, fn);
        if (p == NULL)
            return false;
        if (v != NULL)
            str_from_lp(v, lp_next(o->ptr, p));
        return true;
    }
    dict_entry_t *e = ht_find(o->ptr, f, fn);
    if (e == NULL)
        return false;
    if (v != NULL)
        str_from_str(v, e->v.val);
    return true;
}

bool thash_exists(obj_t *o, const char *f, size_t fn)
{
    return thash_get(o, f, fn, NULL);
}

/* ---- conversion --------------------------------------------------------- */

void thash_convert_to_ht(obj_t *o)
{
    REQUIRE(o->type == OBJ_HASH);
    if (o->encoding != OBJ_ENC_LISTPACK)
        return;
    uint8_t *lp = o->ptr;
    dict_t *d = dict_new_embedded(&hash_dict_type);
    int rc = dict_expand(d, lp_count(lp) / 2);
    INSIST(rc == 0);
    for (uint8_t *p = lp_first(lp); p != NULL; p = lp_next(lp, lp_next(lp, p))) {
        thash_str_t f, v;
        str_from_lp(&f, p);
        str_from_lp(&v, lp_next(lp, p));
        /* A listpack never holds a field twice: validation of loaded
         * listpacks rejects duplicates. */
        INSIST(ht_find(d, f.p, f.n) == NULL);
        ht_add(d, f.p, f.n, str_new(v.p, v.n));
    }
    lp_free(lp);
    o->ptr = d;
    o->encoding = OBJ_ENC_HT;
}

static bool too_long(size_t n)
{
    return (long long)n > db_env.hash_max_listpack_value;
}

void thash_prepare(obj_t *o, size_t max_len, size_t sum_len)
{
    REQUIRE(o->type == OBJ_HASH);
    if (o->encoding != OBJ_ENC_LISTPACK)
        return;
    if (too_long(max_len) || lp_bytes(o->ptr) + sum_len > LP_SAFE_BYTES)
        thash_convert_to_ht(o);
}

/* ---- writes ------------------------------------------------------------- */

static bool lp_set(obj_t *o, const char *f, size_t fn, const char *v, size_t vn)
{
    uint8_t *lp = o->ptr;
    uint8_t *p = lp_field(lp, f, fn);
    if (p != NULL) {
        p = lp_next(lp, p);
        o->ptr = lp_replace(lp, &p, v, vn);
        return false;
    }
    lp = lp_append(lp, f, fn);
    o->ptr = lp_append(lp, v, vn);
    return true;
}

static bool ht_set(obj_t *o, const char *f, size_t fn, const char *v, size_t vn)
{
    dict_t *d = o->ptr;
    dict_entry_t *e = ht_find(d, f, fn);
    if (e != NULL) {
        dict_set_val(d, e, str_new(v, vn));
        return false;
    }
    ht_add(d, f, fn, str_new(v, vn));
    return true;
}

bool thash_set(obj_t *o, const char *f, size_t fn, const char *v, size_t vn)
{
    REQUIRE(o->type == OBJ_HASH);
    /* HINCRBYFLOAT can make values longer than its arguments, so the
     * lengths are checked here too and not only by thash_prepare. */
    if (o->encoding == OBJ_ENC_LISTPACK &&
        (too_long(fn) || too_long(vn) || lp_bytes(o->ptr) + fn + vn > LP_SAFE_BYTES))
        thash_convert_to_ht(o);
    if (o->encoding == OBJ_ENC_HT)
        return ht_set(o, f, fn, v, vn);
    bool added = lp_set(o, f, fn, v, vn);
    if (added && (long long)thash_len(o) > db_env.hash_max_listpack_entries)
        thash_convert_to_ht(o);
    return added;
}

/* Shrinks a table that deletions left mostly empty (under 10% full). */
static void ht_maybe_shrink(dict_t *d)
{
    size_t slots = dict_slots(d);
    if (slots > 4 && dict_size(d) * 100 / slots < 10) {
        int rc = dict_shrink_to_fit(d);
        UNUSED(rc);
    }
}

bool thash_delete(obj_t *o, const char *f, size_t fn)
{
    REQUIRE(o->type == OBJ_HASH);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *p = lp_field(o->ptr, f, fn);
        if (p == NULL)
            return false;
        o->ptr = lp_delete_range_at(o->ptr, &p, 2);
        return true;
    }
    field_tmp_t t;
    int rc = dict_delete(o->ptr, field_tmp_make(&t, f, fn));
    field_tmp_done(&t);
    if (rc != 0)
        return false;
    ht_maybe_shrink(o->ptr);
    return true;
}

/* ---- iteration ------------------------------------------------------------ */

void thash_iter_init(thash_iter_t *it, obj_t *o)
{
    REQUIRE(o->type == OBJ_HASH);
    it->o = o;
    if (o->encoding == OBJ_ENC_LISTPACK)
        it->p = lp_first(o->ptr);
    else
        dict_iter_init(&it->di, o->ptr, false);
}

bool thash_iter_next(thash_iter_t *it, thash_str_t *f, thash_str_t *v)
{
    if (it->o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *lp = it->o->ptr;
        if (it->p == NULL)
            return false;
        uint8_t *vp = lp_next(lp, it->p);
        str_from_lp(f, it->p);
        if (v != NULL)
            str_from_lp(v, vp);
        it->p = lp_next(lp, vp);
        return true;
    }
    dict_entry_t *e = dict_iter_next(&it->di);
    if (e == NULL)
        return false;
    pair_from_entry(e, f, v);
    return true;
}

void thash_iter_destroy(thash_iter_t *it)
{
    if (it->o->encoding == OBJ_ENC_HT)
        dict_iter_destroy(&it->di);
}

/* ---- random fields -------------------------------------------------------- */

/* A uniform random number below n (n > 0), from random()'s 31-bit draws. */
static uint64_t rand_below(uint64_t n)
{
    uint64_t r = (uint64_t)random();
    if (n > (1ULL << 31))
        r = (r << 31 ^ (uint64_t)random()) << 2 ^ (uint64_t)random();
    return r % n;
}

/* The field positions of a listpack hash, so that random picks cost O(1)
 * each instead of a walk. The caller frees the array. */
static uint8_t **lp_field_index(uint8_t *lp, size_t n)
{
    uint8_t **idx = alloc_malloc((n > 0 ? n : 1) * sizeof(uint8_t *));
    size_t i = 0;
    for (uint8_t *p = lp_first(lp); p != NULL; p = lp_next(lp, lp_next(lp, p)))
        idx[i++] = p;
    INSIST(i == n);
    return idx;
}

void thash_random(obj_t *o, thash_str_t *f, thash_str_t *v)
{
    size_t n = thash_len(o);
    REQUIRE(n > 0);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *lp = o->ptr;
        uint8_t *p = lp_seek(lp, 2 * (long long)rand_below(n));
        str_from_lp(f, p);
        if (v != NULL)
            str_from_lp(v, lp_next(lp, p));
        return;
    }
    pair_from_entry(dict_random(o->ptr), f, v);
}

void thash_random_pairs(obj_t *o, uint64_t count,
                        bool (*fn)(void *arg, const thash_str_t *f, const thash_str_t *v),
                        void *arg)
{
    size_t n = thash_len(o);
    REQUIRE(n > 0);
    thash_str_t f, v;
    if (o->encoding == OBJ_ENC_HT) {
        for (uint64_t i = 0; i < count; i++) {
            pair_from_entry(dict_random(o->ptr), &f, &v);
            if (!fn(arg, &f, &v))
                return;
        }
        return;
    }
    uint8_t *lp = o->ptr;
    uint8_t **idx = lp_field_index(lp, n);
    for (uint64_t i = 0; i < count; i++) {
        uint8_t *p = idx[rand_below(n)];
        str_from_lp(&f, p);
        str_from_lp(&v, lp_next(lp, p));
        if (!fn(arg, &f, &v))
            break;
    }
    alloc_free(idx);
}

/* Picks count of the size fields by a partial Fisher-Yates shuffle of
 * handles (listpack positions or dict entries) to all of them: the way to
 * go when a good part of the hash is wanted, and always for listpacks. */
static void pick_by_shuffle(obj_t *o, size_t size, size_t count, thash_visit_fn *fn,
                            void *arg)
{
    void **h = alloc_malloc(size * sizeof(void *));
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *lp = o->ptr;
        size_t i = 0;
        for (uint8_t *p = lp_first(lp); p != NULL; p = lp_next(lp, lp_next(lp, p)))
            h[i++] = p;
        INSIST(i == size);
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
        thash_str_t f, v;
        if (o->encoding == OBJ_ENC_LISTPACK) {
            str_from_lp(&f, h[i]);
            str_from_lp(&v, lp_next(o->ptr, h[i]));
        } else {
            pair_from_entry(h[i], &f, &v);
        }
        fn(arg, &f, &v);
    }
    alloc_free(h);
}

static uint64_t ptr_hash(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    return dict_hash_bytes(&v, sizeof(v));
}

static const dict_type_t ptr_set_type = {ptr_hash, NULL, NULL, NULL};

/* Picks a few distinct fields of a big hashtable by drawing random entries
 * and skipping repeats, without touching the whole table. */
static void pick_by_drawing(obj_t *o, size_t count, thash_visit_fn *fn, void *arg)
{
    dict_t *seen = dict_new(&ptr_set_type);
    while (dict_size(seen) < count) {
        dict_entry_t *e = dict_random(o->ptr);
        if (dict_add(seen, e, NULL) != 0)
            continue;
        thash_str_t f, v;
        pair_from_entry(e, &f, &v);
        fn(arg, &f, &v);
    }
    dict_free(seen);
}

void thash_random_distinct(obj_t *o, size_t count, thash_visit_fn *fn, void *arg)
{
    size_t size = thash_len(o);
    REQUIRE(count < size);
    /* As in Redis: drawing wins while the wanted part is under a third. */
    if (o->encoding == OBJ_ENC_HT && count * 3 <= size)
        pick_by_drawing(o, count, fn, arg);
    else
        pick_by_shuffle(o, size, count, fn, arg);
}

/* ---- HSCAN ---------------------------------------------------------------- */

typedef struct scan_state {
    thash_visit_fn *fn;
    void *arg;
    uint64_t visited;
} scan_state_t;

static void scan_cb(void *arg, const dict_entry_t *e)
{
    scan_state_t *st = arg;
    thash_str_t f, v;
    pair_from_entry(e, &f, &v);
    st->fn(st->arg, &f, &v);
    st->visited += 2;
}

uint64_t thash_scan(obj_t *o, uint64_t cursor, uint64_t count, thash_visit_fn *fn,
                    void *arg)
{
    REQUIRE(o->type == OBJ_HASH && count > 0);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        thash_iter_t it;
        thash_str_t f, v;
        thash_iter_init(&it, o);
        while (thash_iter_next(&it, &f, &v))
            fn(arg, &f, &v);
        thash_iter_destroy(&it);
        return 0;
    }
    scan_state_t st = {fn, arg, 0};
    uint64_t maxiter = count > UINT64_MAX / 10 ? UINT64_MAX : count * 10;
    do {
        cursor = dict_scan(o->ptr, cursor, scan_cb, &st);
    } while (cursor != 0 && maxiter-- != 0 && st.visited < count);
    return cursor;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct lp_check {
    dict_t *fields;
    size_t n;
} lp_check_t;

/* Rejects a field seen before; values are not checked. */
static int check_entry(const uint8_t *p, size_t index, void *arg)
{
    lp_check_t *st = arg;
    st->n = index + 1;
    if (index % 2 == 1)
        return 0;
    char buf[LP_INTBUF];
    size_t n;
    const char *f = lp_get_bytes(p, buf, &n);
    str_t *copy = str_new(f, n);
    if (dict_add(st->fields, copy, NULL) == 0)
        return 0;
    str_free(copy);
    return -EINVAL;
}

int thash_validate_listpack(const uint8_t *blob, size_t size)
{
    lp_check_t st = {dict_new(&str_set_type), 0};
    int rc = lp_validate(blob, size, check_entry, &st);
    dict_free(st.fields);
    if (rc != 0 || st.n % 2 != 0)
        return -EINVAL;
    return 0;
}

obj_t *thash_from_listpack(uint8_t *lp)
{
    thash_register();
    obj_t *o = obj_new(OBJ_HASH, OBJ_ENC_LISTPACK, lp);
    bool convert = (long long)thash_len(o) > db_env.hash_max_listpack_entries;
    LP_FOREACH(lp, p) {
        if (convert)
            break;
        char buf[LP_INTBUF];
        size_t n;
        lp_get_bytes(p, buf, &n);
        convert = too_long(n);
    }
    if (convert)
        thash_convert_to_ht(o);
    return o;
}

obj_t *thash_adopt_listpack(uint8_t *lp)
{
    thash_register();
    return obj_new(OBJ_HASH, OBJ_ENC_LISTPACK, lp);
}

/* ---- type registration ---------------------------------------------------- */

static void hash_free(obj_t *o)
{
    if (o->encoding == OBJ_ENC_LISTPACK)
        lp_free(o->ptr);
    else
        dict_free(o->ptr);
    o->ptr = NULL;
}

static obj_t *hash_dup(const obj_t *o)
{
    if (o->encoding == OBJ_ENC_LISTPACK)
        return obj_new(OBJ_HASH, OBJ_ENC_LISTPACK, lp_dup(o->ptr));
    dict_t *src = o->ptr;
    dict_t *d = dict_new_embedded(&hash_dict_type);
    int rc = dict_expand(d, dict_size(src));
    INSIST(rc == 0);
    dict_iter_t it;
    dict_iter_init(&it, src, false);
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        const str_t *f = e->key;
        ht_add(d, f->buf, f->len, str_dup(e->v.val));
    }
    dict_iter_destroy(&it);
    return obj_new(OBJ_HASH, OBJ_ENC_HT, d);
}

/*
 * MEMORY USAGE as Redis estimates it: the object and the listpack, or the
 * object, the table and its bucket array, plus the average size of the
 * first samples entries (entry with its embedded field, and value) times
 * the number of fields.
 */
static size_t hash_mem_usage(const obj_t *o, size_t samples)
{
    size_t size = alloc_size(o);
    if (o->encoding == OBJ_ENC_LISTPACK)
        return size + alloc_size(o->ptr);
    dict_t *d = o->ptr;
    size += sizeof(dict_t) + dict_slots(d) * sizeof(dict_entry_t *);
    if (samples == 0)
        samples = SIZE_MAX;
    size_t n = 0, elesize = 0;
    dict_iter_t it;
    dict_iter_init(&it, d, false);
    dict_entry_t *e;
    while (n < samples && (e = dict_iter_next(&it)) != NULL) {
        elesize += alloc_size(e) + alloc_size(e->v.val);
        n++;
    }
    dict_iter_destroy(&it);
    if (n > 0)
        size += (size_t)((double)elesize / (double)n * (double)dict_size(d));
    return size;
}

void thash_register(void)
{
    static bool done;
    if (done)
        return;
    obj_register_free(OBJ_HASH, hash_free);
    obj_register_dup(OBJ_HASH, hash_dup);
    obj_register_mem_usage(OBJ_HASH, hash_mem_usage);
    done = true;
}
