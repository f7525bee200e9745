/*
 * Unit tests for db/t_zset: the listpack form against a blob Redis 7.0.15
 * wrote, encodings and conversions at both thresholds, ZADD's flags, the
 * skiplist's spans and ranks after many random writes checked against a
 * brute-force model, range queries (rank, score, lex; both directions,
 * exclusive bounds, offsets and limits) in both encodings, range
 * deletions, pops, iteration, random members, scans, the set algebra,
 * validation and loading, and the registered copy/free/size functions.
 * The source is included to check the skiplist's internal invariants.
 */
#include <config.h>
#include "../../../src/db/t_zset.c"

#include <stdio.h>

#include "tap.h"

/* ---- helpers ------------------------------------------------------------- */

static int add(obj_t *o, double score, const char *m)
{
    return tzset_add(o, score, m, strlen(m), 0, NULL);
}

static double score_of(obj_t *o, const char *m)
{
    double s = NAN;
    tzset_score(o, m, strlen(m), &s);
    return s;
}

typedef struct joinbuf {
    char s[8192];
    size_t n, count;
    bool scores;
} joinbuf_t;

static void join_cb(void *arg, const tzset_elem_t *e)
{
    joinbuf_t *b = arg;
    char num[STRCONV_BUF];
    strconv_double(num, e->score);
    b->n += (size_t)snprintf(b->s + b->n, sizeof(b->s) - b->n, "%s%.*s%s%s", b->count++ ? " " : "",
                             (int)e->n, e->p, b->scores ? ":" : "", b->scores ? num : "");
}

/* The elements in order as "member:score ..." (or members only). */
static const char *joined(obj_t *o, bool scores)
{
    static joinbuf_t b;
    b.n = 0;
    b.count = 0;
    b.s[0] = '\0';
    b.scores = scores;
    tzset_iter_t it;
    tzset_elem_t e;
    tzset_iter_init(&it, o, false);
    while (tzset_iter_next(&it, &e))
        join_cb(&b, &e);
    return b.s;
}

static joinbuf_t rb;

static joinbuf_t *rb_reset(bool scores)
{
    rb.n = 0;
    rb.count = 0;
    rb.s[0] = '\0';
    rb.scores = scores;
    return &rb;
}

static tzset_srange_t srange(const char *min, const char *max)
{
    tzset_srange_t r;
    int rc = tzset_parse_srange(min, strlen(min), max, strlen(max), &r);
    INSIST(rc == 0);
    return r;
}

static tzset_lrange_t lrange(const char *min, const char *max)
{
    tzset_lrange_t r;
    int rc = tzset_parse_lrange(min, strlen(min), max, strlen(max), &r);
    INSIST(rc == 0);
    return r;
}

static void set_limits(long long entries, long long value)
{
    db_env.zset_max_listpack_entries = entries;
    db_env.zset_max_listpack_value = value;
}

/* Checks the skiplist invariants: ordering, backward links, tail, length,
 * index size, and that every span equals the rank distance it skips. */
static bool skiplist_ok(obj_t *o)
{
    zs_set_t *z = o->ptr;
    zs_list_t *l = &z->list;
    size_t n = 0;
    zs_node_t *prev = NULL;
    for (zs_node_t *x = l->header->lv[0].fwd; x != NULL; x = x->lv[0].fwd) {
        if (x->back != prev)
            return false;
        if (prev != NULL && !node_before(prev, x->score, node_member(x), x->len))
            return false;
        if (x->height < 1 || x->height > SL_MAXLEVEL)
            return false;
        prev = x;
        n++;
    }
    if (l->tail != prev || l->length != n || dict_size(z->index) != n)
        return false;
    for (int i = 0; i < l->level; i++) {
        size_t rank = 0;
        for (zs_node_t *x = l->header; x != NULL; x = x->lv[i].fwd) {
            zs_node_t *f = x->lv[i].fwd;
            if (f == NULL)
                break;
            if (list_rank(l, f) != rank + x->lv[i].span)
                return false;
            rank += x->lv[i].span;
        }
    }
    for (int i = l->level; i < SL_MAXLEVEL; i++)
        if (l->header->lv[i].fwd != NULL)
            return false;
    return true;
}

/* ---- the listpack form ------------------------------------------------------ */

/* ZADD z 1 a 1.5 b -0 c 1e20 d 4503599627370496 e inf f -inf g 0 h
 * 4503599627370495 i -4503599627370495 j 3.0 k 0.1 l -5000 m 100000 n, as
 * Redis 7.0.15 DUMPs it. */
static const char redis_blob[] =
    "\x8c\x00\x00\x00\x1c\x00\x81\x67\x02\x84\x2d\x69\x6e\x66\x05\x81\x6a\x02\xf4\x01\x00\x00"
    "\x00\x00\x00\xf0\xff\x09\x81\x6d\x02\xf1\x78\xec\x03\x81\x63\x02\x00\x01\x81\x68\x02\x00"
    "\x01\x81\x6c\x02\x93\x30\x2e\x31\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30"
    "\x30\x31\x14\x81\x61\x02\x01\x01\x81\x62\x02\x83\x31\x2e\x35\x04\x81\x6b\x02\x03\x01\x81"
    "\x6e\x02\xf2\xa0\x86\x01\x04\x81\x69\x02\xf4\xff\xff\xff\xff\xff\xff\x0f\x00\x09\x81\x65"
    "\x02\xf4\x00\x00\x00\x00\x00\x00\x10\x00\x09\x81\x64\x02\x85\x31\x65\x2b\x32\x30\x06\x81"
    "\x66\x02\x83\x69\x6e\x66\x04\xff";

static void test_listpack_form(void)
{
    set_limits(128, 64);
    obj_t *o = tzset_new(1);
    is_int(o->encoding, OBJ_ENC_LISTPACK, "a new set is a listpack");
    static const struct {
        double s;
        const char *m;
    } in[] = {{1, "a"}, {1.5, "b"}, {-0.0, "c"}, {1e20, "d"}, {4503599627370496.0, "e"},
              {INFINITY, "f"}, {-INFINITY, "g"}, {0, "h"}, {4503599627370495.0, "i"},
              {-4503599627370495.0, "j"}, {3.0, "k"}, {0.1, "l"}, {-5000, "m"},
              {100000, "n"}};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        add(o, in[i].s, in[i].m);
    size_t want = sizeof(redis_blob) - 1;
    is_mem(o->ptr, lp_bytes(o->ptr), redis_blob, want,
           "the listpack is byte for byte what Redis 7.0.15 stores");
    is_str(joined(o, true),
           "g:-inf j:-4503599627370495 m:-5000 c:0 h:0 l:0.10000000000000001 a:1 b:1.5 k:3 "
           "n:100000 i:4503599627370495 e:4503599627370496 d:1e+20 f:inf",
           "elements in score then member order");
    obj_decref(o);
}

static void test_order_and_scores(void)
{
    set_limits(128, 64);
    obj_t *o = tzset_new(1);
    add(o, 2, "b");
    add(o, 2, "a");
    add(o, 1, "z");
    add(o, 2, "10");
    add(o, 2, "9");
    is_str(joined(o, false), "z 10 9 a b", "ties ordered by member bytes (integers as text)");
    is_int(tzset_rank(o, "9", 1, false), 2, "rank of an integer member");
    is_int(tzset_rank(o, "9", 1, true), 2, "reverse rank");
    is_int(tzset_rank(o, "09", 2, false), -1, "09 is not 9");
    is_int(tzset_rank(o, "b", 1, true), 0, "highest has reverse rank 0");
    ok(score_of(o, "10") == 2, "score of an integer member");
    int res = tzset_add(o, 5, "a", 1, 0, NULL);
    is_int(res, TZSET_UPDATED, "update moves the member");
    is_str(joined(o, true), "z:1 10:2 9:2 b:2 a:5", "re-inserted at its new place");
    ok(tzset_delete(o, "10", 2) && !tzset_delete(o, "10", 2), "delete once");
    is_int(tzset_len(o), 4, "length after delete");
    obj_decref(o);
}

/* ---- encodings ---------------------------------------------------------------- */

static void test_thresholds(void)
{
    set_limits(4, 8);
    obj_t *o = tzset_new(1);
    add(o, 1, "a");
    add(o, 2, "b");
    add(o, 3, "c");
    add(o, 4, "12345678");
    is_int(o->encoding, OBJ_ENC_LISTPACK, "4 entries and an 8-byte member fit");
    add(o, 4, "12345678");
    is_int(o->encoding, OBJ_ENC_LISTPACK, "updating does not convert");
    add(o, 5, "e");
    is_int(o->encoding, OBJ_ENC_SKIPLIST, "the fifth member converts");
    is_str(joined(o, true), "a:1 b:2 c:3 12345678:4 e:5", "content kept");
    ok(skiplist_ok(o), "skiplist invariants after conversion");
    tzset_delete(o, "e", 1);
    tzset_delete(o, "a", 1);
    is_int(o->encoding, OBJ_ENC_SKIPLIST, "no conversion back");
    obj_decref(o);

    o = tzset_new(1);
    add(o, 1, "a");
    add(o, 1, "123456789");
    is_int(o->encoding, OBJ_ENC_SKIPLIST, "a 9-byte member converts");
    obj_decref(o);
    o = tzset_new(9);
    is_int(o->encoding, OBJ_ENC_SKIPLIST, "created for a long first member: skiplist");
    obj_decref(o);
    set_limits(0, 8);
    o = tzset_new(1);
    is_int(o->encoding, OBJ_ENC_SKIPLIST, "zero entries allowed: skiplist");
    obj_decref(o);
    set_limits(128, 64);
}

static void test_add_flags(void)
{
    obj_t *o = tzset_new(1);
    double ns = 0;
    is_int(tzset_add(o, 5, "a", 1, TZSET_ADD_XX, &ns), TZSET_NOP, "XX on a new member");
    is_int(tzset_add(o, 5, "a", 1, TZSET_ADD_NX, &ns), TZSET_ADDED, "NX adds");
    ok(ns == 5, "newscore of an add");
    is_int(tzset_add(o, 6, "a", 1, TZSET_ADD_NX, &ns), TZSET_NOP, "NX on an existing member");
    is_int(tzset_add(o, 4, "a", 1, TZSET_ADD_GT, &ns), TZSET_NOP, "GT refuses lower");
    is_int(tzset_add(o, 5, "a", 1, TZSET_ADD_GT, &ns), TZSET_NOP, "GT refuses equal");
    is_int(tzset_add(o, 6, "a", 1, TZSET_ADD_GT, &ns), TZSET_UPDATED, "GT takes greater");
    is_int(tzset_add(o, 7, "a", 1, TZSET_ADD_LT, &ns), TZSET_NOP, "LT refuses greater");
    is_int(tzset_add(o, 6, "a", 1, TZSET_ADD_LT, &ns), TZSET_NOP, "LT refuses equal");
    is_int(tzset_add(o, 6, "a", 1, 0, &ns), 0, "same score: neither added nor updated");
    is_int(tzset_add(o, -1, "a", 1, TZSET_ADD_INCR | TZSET_ADD_LT, &ns), TZSET_UPDATED,
           "INCR with LT lowers");
    ok(ns == 5, "newscore is the sum");
    is_int(tzset_add(o, 2, "b", 1, TZSET_ADD_INCR | TZSET_ADD_GT, &ns), TZSET_ADDED,
           "INCR of a new member adds its increment");
    ok(ns == 2, "newscore of the new member");
    is_int(tzset_add(o, INFINITY, "b", 1, TZSET_ADD_INCR, &ns), TZSET_UPDATED, "to inf");
    is_int(tzset_add(o, -INFINITY, "b", 1, TZSET_ADD_INCR, &ns), TZSET_NAN, "inf - inf is NaN");
    ok(score_of(o, "b") == INFINITY, "a NaN result changes nothing");
    is_int(tzset_add(o, NAN, "c", 1, 0, &ns), TZSET_NAN, "NaN score refused");
    is_int(tzset_add(o, -0.0, "z", 1, 0, &ns), TZSET_ADDED, "-0 added");
    is_int(tzset_add(o, 0.0, "z", 1, 0, &ns), 0, "0 equals -0");
    tzset_convert_to_skiplist(o);
    is_int(tzset_add(o, -1, "a", 1, TZSET_ADD_INCR | TZSET_ADD_GT, &ns), TZSET_NOP,
           "skiplist: INCR with GT refuses a decrease");
    is_int(tzset_add(o, 1, "a", 1, TZSET_ADD_INCR | TZSET_ADD_XX, &ns), TZSET_UPDATED,
           "skiplist: INCR XX");
    ok(ns == 6 && score_of(o, "a") == 6, "skiplist: score updated");
    is_int(tzset_add(o, -INFINITY, "b", 1, TZSET_ADD_INCR, &ns), TZSET_NAN, "skiplist: NaN");
    is_int(tzset_add(o, 1, "q", 1, TZSET_ADD_XX, &ns), TZSET_NOP, "skiplist: XX new");
    ok(skiplist_ok(o), "skiplist invariants");
    obj_decref(o);
}

/* ---- skiplist against a model ----------------------------------------------- */

typedef struct model_el {
    char m[8];
    double score;
    bool in;
} model_el_t;

#define MODEL_N 400

static int model_cmp(const void *a, const void *b)
{
    const model_el_t *x = *(model_el_t *const *)a, *y = *(model_el_t *const *)b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return strcmp(x->m, y->m);
}

/* The members of the model in order; returns how many. */
static size_t model_sorted(model_el_t *els, model_el_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < MODEL_N; i++)
        if (els[i].in)
            out[n++] = &els[i];
    qsort(out, n, sizeof(*out), model_cmp);
    return n;
}

static bool model_matches(obj_t *o, model_el_t *els)
{
    model_el_t *sorted[MODEL_N];
    size_t n = model_sorted(els, sorted);
    if (tzset_len(o) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *m = sorted[i]->m;
        if (tzset_rank(o, m, strlen(m), false) != (long long)i ||
            tzset_rank(o, m, strlen(m), true) != (long long)(n - 1 - i))
            return false;
        if (score_of(o, m) != sorted[i]->score)
            return false;
    }
    tzset_iter_t it;
    tzset_elem_t e;
    size_t i = n;
    tzset_iter_init(&it, o, true);
    while (tzset_iter_next(&it, &e)) {
        if (i == 0 || e.n != strlen(sorted[i - 1]->m) || memcmp(e.p, sorted[i - 1]->m, e.n))
            return false;
        i--;
    }
    return i == 0;
}

static void test_skiplist_model(void)
{
    set_limits(0, 64);
    srandom(1234);
    obj_t *o = tzset_new(1);
    model_el_t els[MODEL_N];
    for (size_t i = 0; i < MODEL_N; i++) {
        snprintf(els[i].m, sizeof(els[i].m), "m%zu", i);
        els[i].in = false;
    }
    bool good = true, structure = true;
    for (int step = 0; step < 20000; step++) {
        model_el_t *el = &els[random() % MODEL_N];
        int op = (int)(random() % 10);
        if (op < 6) {
            double s = (double)(random() % 50) / 2;
            add(o, s, el->m);
            el->score = s;
            el->in = true;
        } else if (op < 9) {
            good &= tzset_delete(o, el->m, strlen(el->m)) == el->in;
            el->in = false;
        } else {
            long long r = tzset_rank(o, el->m, strlen(el->m), false);
            good &= (r >= 0) == el->in;
        }
        if (step % 1000 == 0) {
            structure &= skiplist_ok(o);
            good &= model_matches(o, els);
        }
    }
    ok(structure && skiplist_ok(o), "skiplist spans, links and index stay consistent");
    ok(good && model_matches(o, els), "ranks, scores and order match the model");
    /* Ranks by position: every rank reaches its element. */
    model_el_t *sorted[MODEL_N];
    size_t n = model_sorted(els, sorted);
    bool byrank = true;
    for (size_t i = 0; i < n; i++) {
        zs_node_t *x = list_by_rank(&((zs_set_t *)o->ptr)->list, i + 1);
        byrank &= x != NULL && x->len == strlen(sorted[i]->m) &&
                  memcmp(node_member(x), sorted[i]->m, x->len) == 0;
    }
    ok(byrank && list_by_rank(&((zs_set_t *)o->ptr)->list, n + 1) == NULL, "lookup by rank");
    obj_decref(o);
    set_limits(128, 64);
}

/* ---- ranges in both encodings ------------------------------------------------ */

/* Ten members m0..m9 scored 0, 1, ..., with m4..m6 all at 5. */
static obj_t *sample(bool skiplist)
{
    obj_t *o = tzset_new(1);
    static const double scores[] = {0, 1, 2, 3, 5, 5, 5, 7, 8, 9};
    char m[4];
    for (int i = 0; i < 10; i++) {
        snprintf(m, sizeof(m), "m%d", i);
        add(o, scores[i], m);
    }
    if (skiplist)
        tzset_convert_to_skiplist(o);
    return o;
}

static const char *by_score(obj_t *o, const char *min, const char *max, bool rev, long long off,
                            long long lim)
{
    tzset_srange_t r = srange(min, max);
    tzset_range_score(o, &r, rev, off, lim, join_cb, rb_reset(false));
    return rb.s;
}

static const char *by_lex(obj_t *o, const char *min, const char *max, bool rev, long long off,
                          long long lim)
{
    tzset_lrange_t r = lrange(min, max);
    tzset_range_lex(o, &r, rev, off, lim, join_cb, rb_reset(false));
    return rb.s;
}

static const char *by_rank(obj_t *o, long long start, long long end, bool rev)
{
    rb_reset(false);
    if (tzset_clamp_ranks(tzset_len(o), &start, &end))
        tzset_range_rank(o, (size_t)start, (size_t)end, rev, join_cb, &rb);
    return rb.s;
}

static void test_ranges(bool skiplist)
{
    const char *enc = skiplist ? "skiplist" : "listpack";
    obj_t *o = sample(skiplist);
    is_str(by_rank(o, 0, -1, false), "m0 m1 m2 m3 m4 m5 m6 m7 m8 m9", "%s: rank 0 -1", enc);
    is_str(by_rank(o, -3, -1, false), "m7 m8 m9", "%s: negative ranks", enc);
    is_str(by_rank(o, 0, 2, true), "m9 m8 m7", "%s: reverse ranks", enc);
    is_str(by_rank(o, -100, 1, false), "m0 m1", "%s: start clamped", enc);
    is_str(by_rank(o, 5, 3, false), "", "%s: start after end", enc);
    is_str(by_rank(o, 10, 20, false), "", "%s: past the end", enc);
    is_str(by_rank(o, 8, 100, true), "m1 m0", "%s: reverse end clamped", enc);
    is_str(by_score(o, "-inf", "+inf", false, 0, -1), "m0 m1 m2 m3 m4 m5 m6 m7 m8 m9",
           "%s: -inf +inf", enc);
    is_str(by_score(o, "(3", "(7", false, 0, -1), "m4 m5 m6", "%s: exclusive bounds", enc);
    is_str(by_score(o, "3", "7", false, 0, -1), "m3 m4 m5 m6 m7", "%s: inclusive bounds", enc);
    is_str(by_score(o, "7", "3", true, 0, -1), "", "%s: reverse takes max first (empty)", enc);
    is_str(by_score(o, "3", "7", true, 0, -1), "m7 m6 m5 m4 m3", "%s: reverse", enc);
    is_str(by_score(o, "(3", "(7", true, 1, 1), "m5", "%s: reverse offset limit", enc);
    is_str(by_score(o, "5", "5", false, 1, 5), "m5 m6", "%s: offset in ties", enc);
    is_str(by_score(o, "5", "(5", false, 0, -1), "", "%s: empty exclusive range", enc);
    is_str(by_score(o, "4", "4.5", false, 0, -1), "", "%s: range between members", enc);
    is_str(by_score(o, "-inf", "+inf", false, -1, 3), "", "%s: negative offset", enc);
    is_str(by_score(o, "-inf", "+inf", false, 9, -5), "m9", "%s: negative limit", enc);
    is_str(by_score(o, "-inf", "+inf", false, 10, 1), "", "%s: offset past the end", enc);
    is_str(by_score(o, "-inf", "+inf", false, 0, 0), "", "%s: limit 0", enc);
    is_str(by_score(o, "(9", "+inf", false, 0, -1), "", "%s: above the top", enc);
    is_str(by_score(o, "-inf", "(0", true, 0, -1), "", "%s: below the bottom", enc);
    tzset_srange_t r = srange("(1", "5");
    is_int(tzset_count_score(o, &r), 5, "%s: count (1 5", enc);
    r = srange("5", "(5");
    is_int(tzset_count_score(o, &r), 0, "%s: count of an empty range", enc);
    r = srange("-inf", "inf");
    is_int(tzset_count_score(o, &r), 10, "%s: count of everything", enc);
    obj_decref(o);
}

static void test_lex(bool skiplist)
{
    const char *enc = skiplist ? "skiplist" : "listpack";
    obj_t *o = tzset_new(1);
    const char *ms[] = {"a", "b", "c", "d", "e", "f", "g", "aa", "", "z"};
    for (size_t i = 0; i < 10; i++)
        add(o, 0, ms[i]);
    if (skiplist)
        tzset_convert_to_skiplist(o);
    is_str(by_lex(o, "-", "+", false, 0, -1), " a aa b c d e f g z", "%s: - +", enc);
    is_str(by_lex(o, "[a", "(c", false, 0, -1), "a aa b", "%s: [a (c", enc);
    is_str(by_lex(o, "(a", "[c", false, 0, -1), "aa b c", "%s: (a [c", enc);
    is_str(by_lex(o, "(a", "[c", true, 0, -1), "c b aa", "%s: reverse (a .. [c", enc);
    is_str(by_lex(o, "-", "+", true, 0, 2), "z g", "%s: reverse with limit", enc);
    is_str(by_lex(o, "-", "+", false, 2, 2), "aa b", "%s: offset and limit", enc);
    is_str(by_lex(o, "+", "+", false, 0, -1), "", "%s: + + is empty", enc);
    is_str(by_lex(o, "-", "-", false, 0, -1), "", "%s: - - is empty", enc);
    is_str(by_lex(o, "[b", "[b", false, 0, -1), "b", "%s: [b [b", enc);
    is_str(by_lex(o, "(b", "[b", false, 0, -1), "", "%s: (b [b is empty", enc);
    is_str(by_lex(o, "[", "(a", false, 0, -1), "", "%s: the empty member", enc);
    is_str(by_lex(o, "[zz", "+", false, 0, -1), "", "%s: above every member", enc);
    tzset_lrange_t r = lrange("[b", "[e");
    is_int(tzset_count_lex(o, &r), 4, "%s: lex count", enc);
    is_int(tzset_delete_lex(o, &r), 4, "%s: lex delete", enc);
    is_str(joined(o, false), " a aa f g z", "%s: after lex delete", enc);
    if (skiplist)
        ok(skiplist_ok(o), "%s: invariants after lex delete", enc);
    obj_decref(o);
}

static void test_deletions(bool skiplist)
{
    const char *enc = skiplist ? "skiplist" : "listpack";
    obj_t *o = sample(skiplist);
    tzset_srange_t r = srange("(3", "5");
    is_int(tzset_delete_score(o, &r), 3, "%s: delete (3 5", enc);
    is_str(joined(o, false), "m0 m1 m2 m3 m7 m8 m9", "%s: after score delete", enc);
    r = srange("100", "200");
    is_int(tzset_delete_score(o, &r), 0, "%s: delete nothing", enc);
    is_int(tzset_delete_rank(o, 1, 2), 2, "%s: delete ranks 1..2", enc);
    is_str(joined(o, false), "m0 m3 m7 m8 m9", "%s: after rank delete", enc);
    rb_reset(true);
    is_int(tzset_pop(o, true, 2, join_cb, &rb), 2, "%s: pop 2 max", enc);
    is_str(rb.s, "m9:9 m8:8", "%s: popped highest first", enc);
    rb_reset(true);
    is_int(tzset_pop(o, false, 10, join_cb, &rb), 3, "%s: pop more than there is", enc);
    is_str(rb.s, "m0:0 m3:3 m7:7", "%s: popped lowest first", enc);
    is_int(tzset_len(o), 0, "%s: emptied", enc);
    if (skiplist)
        ok(skiplist_ok(o), "%s: invariants after deletions", enc);
    obj_decref(o);
}

/* ---- random, scan, algebra --------------------------------------------------- */

static void count_cb(void *arg, const tzset_elem_t *e)
{
    UNUSED(e);
    (*(size_t *)arg)++;
}

static void scan_count_cb(void *arg, const tzset_elem_t *e, const char *score, size_t len)
{
    UNUSED(e);
    UNUSED(score);
    UNUSED(len);
    (*(size_t *)arg)++;
}

static bool pair_cb(void *arg, const tzset_elem_t *e)
{
    UNUSED(e);
    return ++*(size_t *)arg < 50;
}

static void test_random_and_scan(void)
{
    for (int enc = 0; enc < 2; enc++) {
        obj_t *o = sample(enc == 1);
        const char *name = enc ? "skiplist" : "listpack";
        tzset_random_distinct(o, 9, join_cb, rb_reset(false));
        char seen[10] = {0};
        bool distinct = true;
        for (const char *p = rb.s; (p = strchr(p, 'm')) != NULL; p++)
            distinct &= seen[p[1] - '0']++ == 0;
        ok(distinct && strlen(rb.s) == 9 * 3 - 1, "%s: 9 distinct random members", name);
        size_t n = 0;
        tzset_random_distinct(o, 2, count_cb, &n);
        is_int(n, 2, "%s: 2 distinct random members", name);
        n = 0;
        tzset_random_pairs(o, 1000, pair_cb, &n);
        is_int(n, 50, "%s: random pairs stop when told", name);
        tzset_elem_t e;
        tzset_random(o, &e);
        ok(e.n == 2 && e.p[0] == 'm', "%s: a random member", name);
        n = 0;
        uint64_t cursor = 0;
        int steps = 0;
        do {
            cursor = tzset_scan(o, cursor, 2, scan_count_cb, &n);
            steps++;
        } while (cursor != 0 && steps < 100);
        ok(n >= 10, "%s: scan visits every member (%zu visits, %d steps)", name, n, steps);
        obj_decref(o);
    }
}

static obj_t *zset_of(const char *spec)
{
    obj_t *o = tzset_new(1);
    char m[32];
    double s;
    int used;
    while (sscanf(spec, "%31[^:]:%lf%n", m, &s, &used) == 2) {
        add(o, s, m);
        spec += used;
        if (*spec == ' ')
            spec++;
    }
    return o;
}

static void test_algebra(void)
{
    obj_t *a = zset_of("a:1 b:2 c:3 d:4 e:5");
    obj_t *b = zset_of("a:10 b:20 x:30");
    obj_t *s = tset_new("a", 1);
    tset_add(s, "a", 1);
    tset_add(s, "b", 1);
    tset_add(s, "q", 1);
    tzset_src_t srcs[3] = {{a, 1}, {b, 1}, {s, 1}};
    obj_t *r = tzset_union(srcs, 3, TZSET_AGGR_SUM, true);
    is_str(joined(r, true), "q:1 c:3 d:4 e:5 a:12 b:23 x:30", "union with a set");
    is_int(r->encoding, OBJ_ENC_LISTPACK, "small result: listpack");
    obj_decref(r);
    tzset_src_t w[2] = {{a, 2}, {b, 3}};
    r = tzset_union(w, 2, TZSET_AGGR_SUM, true);
    is_str(joined(r, true), "c:6 d:8 e:10 a:32 b:64 x:90", "weighted union");
    obj_decref(r);
    tzset_src_t mn[2] = {{a, 1}, {b, 1}};
    r = tzset_union(mn, 2, TZSET_AGGR_MIN, true);
    is_str(joined(r, true), "a:1 b:2 c:3 d:4 e:5 x:30", "union MIN");
    obj_decref(r);
    obj_t *zero1 = zset_of("x:0");
    tzset_src_t neg[1] = {{zero1, -1}};
    r = tzset_union(neg, 1, TZSET_AGGR_SUM, false);
    ok(r->encoding == OBJ_ENC_SKIPLIST && signbit(score_of(r, "x")),
       "a result for a reply is a skiplist that keeps -0");
    obj_decref(r);
    r = tzset_union(neg, 1, TZSET_AGGR_SUM, true);
    ok(r->encoding == OBJ_ENC_LISTPACK && !signbit(score_of(r, "x")),
       "a result to store is a listpack, where -0 is 0");
    obj_decref(r);
    obj_decref(zero1);
    tzset_src_t in3[3] = {{a, 1}, {b, 1}, {s, 1}};
    r = tzset_inter(in3, 3, TZSET_AGGR_SUM, true);
    is_str(joined(r, true), "a:12 b:23", "intersection with a set");
    obj_decref(r);
    tzset_src_t infs[2] = {{a, INFINITY}, {b, -INFINITY}};
    r = tzset_inter(infs, 2, TZSET_AGGR_SUM, true);
    is_str(joined(r, true), "a:0 b:0", "inf + -inf counts as 0");
    obj_decref(r);
    obj_t *inf = zset_of("a:inf");
    tzset_src_t zero[2] = {{inf, 0}, {a, 1}};
    r = tzset_inter(zero, 2, TZSET_AGGR_MAX, true);
    is_str(joined(r, true), "a:1", "0 * inf counts as 0 before MAX");
    obj_decref(r);
    obj_decref(inf);
    tzset_src_t d[3] = {{a, 1}, {NULL, 1}, {s, 1}};
    r = tzset_diff(d, 3, true);
    is_str(joined(r, true), "c:3 d:4 e:5", "difference, a missing key and a set");
    obj_decref(r);
    tzset_src_t card[2] = {{a, 1}, {b, 1}};
    is_int(tzset_inter_card(card, 2, 0), 2, "ZINTERCARD");
    is_int(tzset_inter_card(card, 2, 1), 1, "ZINTERCARD with a limit");
    tzset_src_t none[2] = {{a, 1}, {NULL, 1}};
    r = tzset_inter(none, 2, TZSET_AGGR_SUM, true);
    is_int(tzset_len(r), 0, "intersection with a missing key is empty");
    obj_decref(r);
    set_limits(3, 64);
    tzset_src_t big[1] = {{a, 1}};
    r = tzset_union(big, 1, TZSET_AGGR_SUM, true);
    is_int(r->encoding, OBJ_ENC_SKIPLIST, "result past the entries threshold: skiplist");
    ok(skiplist_ok(r), "built skiplist is consistent");
    obj_decref(r);
    set_limits(128, 64);
    obj_decref(a);
    obj_decref(b);
    obj_decref(s);
}

/* ---- persistence and registration --------------------------------------------- */

static void test_validate_and_load(void)
{
    size_t n = sizeof(redis_blob) - 1;
    int rc = tzset_validate_listpack((const uint8_t *)redis_blob, n);
    ok(rc == 0, "Redis's listpack validates");
    obj_t *o = zset_of("a:1 b:2.5 c:3");
    uint8_t *lp = o->ptr;
    ok(tzset_validate_listpack(lp, lp_bytes(lp)) == 0, "our listpack validates");
    uint8_t *bad = lp_dup(lp);
    uint8_t *p = lp_first(bad);
    bad = lp_replace(bad, &p, "c", 1);
    ok(tzset_validate_listpack(bad, lp_bytes(bad)) != 0, "a duplicate member is refused");
    lp_free(bad);
    bad = lp_dup(lp);
    bad = lp_append(bad, "d", 1);
    ok(tzset_validate_listpack(bad, lp_bytes(bad)) != 0, "an odd count is refused");
    lp_free(bad);
    bad = lp_dup(lp);
    p = lp_next(bad, lp_first(bad));
    bad = lp_replace(bad, &p, "nan", 3);
    ok(tzset_validate_listpack(bad, lp_bytes(bad)) != 0, "a NaN score is refused");
    lp_free(bad);
    bad = lp_dup(lp);
    p = lp_next(bad, lp_first(bad));
    bad = lp_replace(bad, &p, "x", 1);
    ok(tzset_validate_listpack(bad, lp_bytes(bad)) != 0, "a score that is no number is refused");
    lp_free(bad);
    bad = lp_dup(lp);
    p = lp_next(bad, lp_first(bad));
    bad = lp_replace_int(bad, &p, 99);
    ok(tzset_validate_listpack(bad, lp_bytes(bad)) != 0, "pairs out of order are refused");
    lp_free(bad);
    set_limits(2, 64);
    obj_t *loaded = tzset_from_listpack(lp_dup(lp));
    is_int(loaded->encoding, OBJ_ENC_SKIPLIST, "loading 3 members with a limit of 2 converts");
    is_str(joined(loaded, true), "a:1 b:2.5 c:3", "loaded content");
    obj_decref(loaded);
    set_limits(128, 64);
    obj_decref(o);

    o = tzset_new_skiplist(3);
    ok(tzset_load_pair(o, "b", 1, 2) && tzset_load_pair(o, "a", 1, 1), "load pairs");
    ok(!tzset_load_pair(o, "a", 1, 5), "a duplicate pair is refused");
    ok(!tzset_load_pair(o, "n", 1, NAN), "a NaN pair is refused");
    tzset_load_done(o);
    is_int(o->encoding, OBJ_ENC_LISTPACK, "small loaded set becomes a listpack");
    is_str(joined(o, true), "a:1 b:2", "loaded pairs in order");
    obj_decref(o);
    o = tzset_new_skiplist(1);
    char longm[70];
    memset(longm, 'x', sizeof(longm));
    ok(tzset_load_pair(o, longm, sizeof(longm), 1), "load a long member");
    tzset_load_done(o);
    is_int(o->encoding, OBJ_ENC_SKIPLIST, "a long member keeps the skiplist");
    obj_decref(o);
}

static void test_registration(void)
{
    for (int enc = 0; enc < 2; enc++) {
        obj_t *o = sample(enc == 1);
        obj_t *c = obj_dup(o);
        is_int(c->encoding, o->encoding, "copy keeps the encoding (%d)", enc);
        char a[1024];
        snprintf(a, sizeof(a), "%s", joined(o, true));
        is_str(joined(c, true), a, "copy has the same content (%d)", enc);
        add(c, 100, "new");
        ok(!tzset_score(o, "new", 3, NULL), "copy is independent (%d)", enc);
        if (enc == 1)
            ok(skiplist_ok(c), "copied skiplist is consistent");
        ok(obj_mem_usage(o, 0) > 60 && obj_mem_usage(o, 5) > 60, "memory usage (%d)", enc);
        obj_decref(c);
        obj_decref(o);
    }
}

static void test_parse(void)
{
    tzset_srange_t s;
    ok(tzset_parse_srange("(1", 2, "+inf", 4, &s) == 0 && s.minex && !s.maxex && s.min == 1 &&
           s.max == INFINITY,
       "(1 +inf");
    ok(tzset_parse_srange("", 0, " 5", 2, &s) == 0 && s.min == 0 && s.max == 5,
       "empty and leading space accepted, as strtod does");
    ok(tzset_parse_srange("(", 1, "0x10", 4, &s) == 0 && s.minex && s.min == 0 && s.max == 16,
       "lone ( and hex");
    ok(tzset_parse_srange("nan", 3, "1", 1, &s) != 0, "nan refused");
    ok(tzset_parse_srange("1 ", 2, "1", 1, &s) != 0, "trailing space refused");
    ok(tzset_parse_srange("1\0x", 3, "2", 1, &s) == 0 && s.min == 1, "text ends at a NUL");
    tzset_lrange_t l;
    ok(tzset_parse_lrange("-", 1, "+", 1, &l) == 0 && l.min.kind == TZSET_LEX_NEG_INF &&
           l.max.kind == TZSET_LEX_POS_INF,
       "- +");
    ok(tzset_parse_lrange("(a", 2, "[", 1, &l) == 0 && l.min.kind == TZSET_LEX_EXCL &&
           l.min.n == 1 && l.max.kind == TZSET_LEX_INCL && l.max.n == 0,
       "(a [");
    ok(tzset_parse_lrange("a", 1, "+", 1, &l) != 0, "a bare member refused");
    ok(tzset_parse_lrange("+x", 2, "+", 1, &l) != 0, "+x refused");
    ok(tzset_parse_lrange("", 0, "+", 1, &l) != 0, "empty refused");
    long long st = -3, en = 100;
    ok(tzset_clamp_ranks(5, &st, &en) && st == 2 && en == 4, "clamp -3 100 of 5");
    st = 3, en = 1;
    ok(!tzset_clamp_ranks(5, &st, &en), "3 1 is empty");
    st = -100, en = -6;
    ok(!tzset_clamp_ranks(5, &st, &en), "-100 -6 is empty");
}

int main(void)
{
    db_env.zset_max_listpack_entries = 128;
    db_env.zset_max_listpack_value = 64;
    test_parse();
    test_listpack_form();
    test_order_and_scores();
    test_thresholds();
    test_add_flags();
    test_skiplist_model();
    test_ranges(false);
    test_ranges(true);
    test_lex(false);
    test_lex(true);
    test_deletions(false);
    test_deletions(true);
    test_random_and_scan();
    test_algebra();
    test_validate_and_load();
    test_registration();
    return done_testing();
}
