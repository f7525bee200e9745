#include <config.h>
#include "db/t_zset.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/dict.h"
#include "core/str.h"
#include "core/strconv.h"
#include "db/keyspace.h"
#include "db/t_set.h"

/* Past this many bytes a listpack is not grown further (Redis's listpack
 * safety limit): the set becomes a skiplist instead. */
#define LP_SAFE_BYTES (1u << 30)

/* Skiplist geometry: each level holds about a quarter of the one below. */
#define SL_MAXLEVEL 32
#define SL_P_THRESHOLD (RAND_MAX / 4)

/* Stored score texts longer than this are cut before parsing, as Redis
 * does; the texts this server writes are at most 24 bytes. */
#define SCORE_TEXT_MAX 127

/* A shrink of the member index is due when it is under 10% full. */
#define INDEX_MIN_FILL_PERCENT 10
#define INDEX_MIN_SLOTS 4

/* ====================================================================== */
/* Scores                                                                 */
/* ====================================================================== */

/* True (with *out) when a score is stored in a listpack as an integer:
 * whole numbers within +-LLONG_MAX/2, the rule Redis 7.0.15 applies
 * (-0 becomes 0). */
static bool score_as_ll(double d, long long *out)
{
    if (!(d >= (double)(-LLONG_MAX / 2) && d <= (double)(LLONG_MAX / 2)))
        return false;
    long long ll = (long long)d;
    if ((double)ll != d)
        return false;
    *out = ll;
    return true;
}

/* Parses a stored score text like Redis's reader: strtod over at most
 * SCORE_TEXT_MAX bytes. *end_ok tells whether the text was a number. */
static double score_from_text(const char *p, size_t n, bool *end_ok)
{
    char buf[SCORE_TEXT_MAX + 1];
    if (n > SCORE_TEXT_MAX)
        n = SCORE_TEXT_MAX;
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *end;
    double d = strtod(buf, &end);
    if (end_ok != NULL)
        *end_ok = n > 0 && *end == '\0' && !isnan(d);
    return d;
}

/* The score of the listpack score entry at sp. */
static double lp_score_at(const uint8_t *sp)
{
    lp_val_t v;
    lp_get(sp, &v);
    if (v.str == NULL)
        return (double)v.num;
    return score_from_text(v.str, v.len, NULL);
}

/* Inserts the entry for score relative to p (see lp_insert). */
static uint8_t *lp_insert_score(uint8_t *lp, uint8_t *p, enum lp_where where, double score,
                                uint8_t **newp)
{
    long long ll;
    if (score_as_ll(score, &ll))
        return lp_insert_int(lp, p, where, ll, newp);
    char buf[STRCONV_BUF];
    size_t n = strconv_double(buf, score);
    return lp_insert(lp, p, where, buf, n, newp);
}

/* ====================================================================== */
/* Range specifications                                                   */
/* ====================================================================== */

static int parse_sbound(const char *p, size_t n, double *v, bool *ex)
{
    *ex = false;
    if (n > 0 && p[0] == '(') {
        p++;
        n--;
        *ex = true;
    }
    /* strtod stops at a NUL byte inside the argument, and Redis then sees
     * the end of its C string: copying the bytes whole keeps that. */
    char small[128];
    char *buf = n < sizeof(small) ? small : alloc_malloc(n + 1);
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *end;
    double d = strtod(buf, &end);
    int rc = *end != '\0' || isnan(d) ? -EINVAL : 0;
    if (buf != small)
        alloc_free(buf);
    if (rc == 0)
        *v = d;
    return rc;
}

int tzset_parse_srange(const char *min, size_t minn, const char *max, size_t maxn,
                       tzset_srange_t *out)
{
    tzset_srange_t r;
    if (parse_sbound(min, minn, &r.min, &r.minex) != 0 ||
        parse_sbound(max, maxn, &r.max, &r.maxex) != 0)
        return -EINVAL;
    *out = r;
    return 0;
}

/* "+" and "-" must stand alone (up to a NUL byte, as Redis reads them). */
static int parse_lbound(const char *p, size_t n, tzset_lbound_t *b)
{
    if (n == 0)
        return -EINVAL;
    b->p = p + 1;
    b->n = n - 1;
    switch (p[0]) {
    case '+':
    case '-':
        if (n > 1 && p[1] != '\0')
            return -EINVAL;
        b->kind = p[0] == '+' ? TZSET_LEX_POS_INF : TZSET_LEX_NEG_INF;
        b->n = 0;
        return 0;
    case '(':
        b->kind = TZSET_LEX_EXCL;
        return 0;
    case '[':
        b->kind = TZSET_LEX_INCL;
        return 0;
    default:
        return -EINVAL;
    }
}

int tzset_parse_lrange(const char *min, size_t minn, const char *max, size_t maxn,
                       tzset_lrange_t *out)
{
    tzset_lrange_t r;
    if (parse_lbound(min, minn, &r.min) != 0 || parse_lbound(max, maxn, &r.max) != 0)
        return -EINVAL;
    *out = r;
    return 0;
}

/* A score range (s) or a lex range (l), whichever is not NULL: the range
 * functions below serve both. */
typedef struct zspec {
    const tzset_srange_t *s;
    const tzset_lrange_t *l;
} zspec_t;

/* Orders a member against a lex bound: every member is above "-" and
 * below "+". */
static int lex_cmp(const char *m, size_t n, const tzset_lbound_t *b)
{
    if (b->kind == TZSET_LEX_NEG_INF)
        return 1;
    if (b->kind == TZSET_LEX_POS_INF)
        return -1;
    return bytes_cmp(m, n, b->p, b->n);
}

static int lbound_rank(const tzset_lbound_t *b)
{
    return b->kind == TZSET_LEX_NEG_INF ? -1 : b->kind == TZSET_LEX_POS_INF ? 1 : 0;
}

/* True when no member can be in the range, as Redis decides it: the
 * infinities count as exclusive bounds. */
static bool spec_empty(const zspec_t *r)
{
    if (r->s != NULL)
        return r->s->min > r->s->max ||
               (r->s->min == r->s->max && (r->s->minex || r->s->maxex));
    const tzset_lbound_t *a = &r->l->min, *b = &r->l->max;
    int ra = lbound_rank(a), rb = lbound_rank(b);
    int cmp = ra != 0 || rb != 0 ? (ra > rb) - (ra < rb) : bytes_cmp(a->p, a->n, b->p, b->n);
    return cmp > 0 || (cmp == 0 && (a->kind != TZSET_LEX_INCL || b->kind != TZSET_LEX_INCL));
}

static bool spec_gte_min(const zspec_t *r, const tzset_elem_t *e)
{
    if (r->s != NULL)
        return r->s->minex ? e->score > r->s->min : e->score >= r->s->min;
    int c = lex_cmp(e->p, e->n, &r->l->min);
    return r->l->min.kind == TZSET_LEX_INCL ? c >= 0 : c > 0;
}

static bool spec_lte_max(const zspec_t *r, const tzset_elem_t *e)
{
    if (r->s != NULL)
        return r->s->maxex ? e->score < r->s->max : e->score <= r->s->max;
    int c = lex_cmp(e->p, e->n, &r->l->max);
    return r->l->max.kind == TZSET_LEX_INCL ? c <= 0 : c < 0;
}

/* ====================================================================== */
/* Skiplist nodes                                                         */
/* ====================================================================== */

/*
 * A node: score, backward link, member length, height, then height levels
 * (forward link and span: how many nodes the link skips, for ranks), then
 * the member bytes, all in one allocation. The member index hashes nodes
 * by their member, so a lookup builds a probe node of height 0.
 */
typedef struct zs_level {
    struct zs_node *fwd;
    size_t span;
} zs_level_t;

typedef struct zs_node {
    double score;
    struct zs_node *back;
    uint32_t len;
    uint8_t height;
    zs_level_t lv[];
} zs_node_t;

typedef struct zs_list {
    zs_node_t *header;
    zs_node_t *tail;
    size_t length;
    int level;
} zs_list_t;

/* The skiplist encoding: the ordered list and the member -> node index. */
typedef struct zs_set {
    dict_t *index;
    zs_list_t list;
} zs_set_t;

static char *node_member(const zs_node_t *x)
{
    return (char *)&x->lv[x->height];
}

static zs_node_t *node_new(int height, double score, const char *m, size_t n)
{
    REQUIRE(n <= UINT32_MAX);
    zs_node_t *x = alloc_malloc(sizeof(zs_node_t) + (size_t)height * sizeof(zs_level_t) + n);
    x->score = score;
    x->back = NULL;
    x->len = (uint32_t)n;
    x->height = (uint8_t)height;
    if (n > 0)
        memcpy(node_member(x), m, n);
    return x;
}

static void node_elem(const zs_node_t *x, tzset_elem_t *e)
{
    e->p = node_member(x);
    e->n = x->len;
    e->score = x->score;
}

static uint64_t node_hash(const void *k)
{
    const zs_node_t *x = k;
    return dict_hash_bytes(node_member(x), x->len);
}

static int node_eq(const void *a, const void *b)
{
    const zs_node_t *x = a, *y = b;
    return x->len == y->len && memcmp(node_member(x), node_member(y), x->len) == 0;
}

/* Keys are the nodes themselves; the list frees them. */
static const dict_type_t index_type = {node_hash, node_eq, NULL, NULL};

#define PROBE_STACK 128

typedef struct node_probe {
    zs_node_t *x;
    union {
        zs_node_t hdr;
        char raw[sizeof(zs_node_t) + PROBE_STACK];
    } u;
} node_probe_t;

static const zs_node_t *probe_make(node_probe_t *pr, const char *m, size_t n)
{
    if (n <= PROBE_STACK) {
        pr->x = &pr->u.hdr;
        pr->x->len = (uint32_t)n;
        pr->x->height = 0;
        if (n > 0)
            memcpy(node_member(pr->x), m, n);
    } else {
        pr->x = node_new(0, 0, m, n);
    }
    return pr->x;
}

static void probe_done(node_probe_t *pr)
{
    if (pr->x != &pr->u.hdr)
        alloc_free(pr->x);
}

static zs_node_t *index_find(zs_set_t *z, const char *m, size_t n)
{
    node_probe_t pr;
    dict_entry_t *e = dict_find(z->index, probe_make(&pr, m, n));
    probe_done(&pr);
    return e != NULL ? e->key : NULL;
}

/* ====================================================================== */
/* Skiplist                                                               */
/* ====================================================================== */

static int random_height(void)
{
    int h = 1;
    while (h < SL_MAXLEVEL && random() < SL_P_THRESHOLD)
        h++;
    return h;
}

/* True when x sorts before (score, m). */
static bool node_before(const zs_node_t *x, double score, const char *m, size_t n)
{
    return x->score < score ||
           (x->score == score && bytes_cmp(node_member(x), x->len, m, n) < 0);
}

static void list_init(zs_list_t *l)
{
    l->header = node_new(SL_MAXLEVEL, 0, NULL, 0);
    for (int i = 0; i < SL_MAXLEVEL; i++) {
        l->header->lv[i].fwd = NULL;
        l->header->lv[i].span = 0;
    }
    l->tail = NULL;
    l->length = 0;
    l->level = 1;
}

/* Finds, per level, the last node before (score, m) and its rank. */
static void list_locate(const zs_list_t *l, double score, const char *m, size_t n,
                        zs_node_t **update, size_t *rank)
{
    zs_node_t *x = l->header;
    for (int i = l->level - 1; i >= 0; i--) {
        rank[i] = i == l->level - 1 ? 0 : rank[i + 1];
        while (x->lv[i].fwd != NULL && node_before(x->lv[i].fwd, score, m, n)) {
            rank[i] += x->lv[i].span;
            x = x->lv[i].fwd;
        }
        update[i] = x;
    }
}

/* Links node x after the positions list_locate found for it. */
static void list_link(zs_list_t *l, zs_node_t *x, zs_node_t **update, size_t *rank)
{
    int h = x->height;
    for (int i = l->level; i < h; i++) {
        rank[i] = 0;
        update[i] = l->header;
        update[i]->lv[i].span = l->length;
    }
    if (h > l->level)
        l->level = h;
    for (int i = 0; i < h; i++) {
        x->lv[i].fwd = update[i]->lv[i].fwd;
        update[i]->lv[i].fwd = x;
        x->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
        update[i]->lv[i].span = rank[0] - rank[i] + 1;
    }
    for (int i = h; i < l->level; i++)
        update[i]->lv[i].span++;
    x->back = update[0] == l->header ? NULL : update[0];
    if (x->lv[0].fwd != NULL)
        x->lv[0].fwd->back = x;
    else
        l->tail = x;
    l->length++;
}

/* Unlinks x, given the last node before it on every level. */
static void list_unlink(zs_list_t *l, zs_node_t *x, zs_node_t **update)
{
    for (int i = 0; i < l->level; i++) {
        if (update[i]->lv[i].fwd == x) {
            update[i]->lv[i].span += x->lv[i].span - 1;
            update[i]->lv[i].fwd = x->lv[i].fwd;
        } else {
            update[i]->lv[i].span--;
        }
    }
    if (x->lv[0].fwd != NULL)
        x->lv[0].fwd->back = x->back;
    else
        l->tail = x->back;
    while (l->level > 1 && l->header->lv[l->level - 1].fwd == NULL)
        l->level--;
    l->length--;
}

/* The positions before node x, which must be in the list. */
static void list_locate_node(const zs_list_t *l, const zs_node_t *x, zs_node_t **update)
{
    size_t rank[SL_MAXLEVEL];
    list_locate(l, x->score, node_member(x), x->len, update, rank);
    INSIST(update[0]->lv[0].fwd == x);
}

/* The 1-based rank of node x, which must be in the list. */
static size_t list_rank(const zs_list_t *l, const zs_node_t *x)
{
    zs_node_t *update[SL_MAXLEVEL];
    size_t rank[SL_MAXLEVEL];
    list_locate(l, x->score, node_member(x), x->len, update, rank);
    INSIST(update[0]->lv[0].fwd == x);
    return rank[0] + 1;
}

/* The node of 1-based rank, or NULL. */
static zs_node_t *list_by_rank(const zs_list_t *l, size_t rank)
{
    size_t traversed = 0;
    zs_node_t *x = l->header;
    for (int i = l->level - 1; i >= 0; i--) {
        while (x->lv[i].fwd != NULL && traversed + x->lv[i].span <= rank) {
            traversed += x->lv[i].span;
            x = x->lv[i].fwd;
        }
        if (traversed == rank)
            return x != l->header ? x : NULL;
    }
    return NULL;
}

static bool node_gte_min(const zspec_t *r, const zs_node_t *x)
{
    tzset_elem_t e;
    node_elem(x, &e);
    return spec_gte_min(r, &e);
}

static bool node_lte_max(const zspec_t *r, const zs_node_t *x)
{
    tzset_elem_t e;
    node_elem(x, &e);
    return spec_lte_max(r, &e);
}

/* Whether some part of the list can be in the range (Redis's test: the
 * range is not empty, the last node is above min, the first below max). */
static bool list_in_range(const zs_list_t *l, const zspec_t *r)
{
    if (spec_empty(r) || l->tail == NULL || !node_gte_min(r, l->tail))
        return false;
    return node_lte_max(r, l->header->lv[0].fwd);
}

static zs_node_t *list_first_in(const zs_list_t *l, const zspec_t *r)
{
    if (!list_in_range(l, r))
        return NULL;
    zs_node_t *x = l->header;
    for (int i = l->level - 1; i >= 0; i--)
        while (x->lv[i].fwd != NULL && !node_gte_min(r, x->lv[i].fwd))
            x = x->lv[i].fwd;
    x = x->lv[0].fwd;
    INSIST(x != NULL);
    return node_lte_max(r, x) ? x : NULL;
}

static zs_node_t *list_last_in(const zs_list_t *l, const zspec_t *r)
{
    if (!list_in_range(l, r))
        return NULL;
    zs_node_t *x = l->header;
    for (int i = l->level - 1; i >= 0; i--)
        while (x->lv[i].fwd != NULL && node_lte_max(r, x->lv[i].fwd))
            x = x->lv[i].fwd;
    INSIST(x != l->header);
    return node_gte_min(r, x) ? x : NULL;
}

/* ====================================================================== */
/* The skiplist encoding: list plus index                                 */
/* ====================================================================== */

static zs_set_t *zs_new(size_t hint)
{
    zs_set_t *z = alloc_malloc(sizeof(*z));
    z->index = dict_new(&index_type);
    if (hint > 0) {
        int rc = dict_expand(z->index, hint);
        INSIST(rc == 0);
    }
    list_init(&z->list);
    return z;
}

static void zs_free(zs_set_t *z)
{
    dict_free(z->index);
    zs_node_t *x = z->list.header;
    while (x != NULL) {
        zs_node_t *next = x->lv[0].fwd;
        alloc_free(x);
        x = next;
    }
    alloc_free(z);
}

/* Inserts a member that is not in the set. */
static zs_node_t *zs_insert(zs_set_t *z, double score, const char *m, size_t n)
{
    zs_node_t *update[SL_MAXLEVEL];
    size_t rank[SL_MAXLEVEL];
    list_locate(&z->list, score, m, n, update, rank);
    zs_node_t *x = node_new(random_height(), score, m, n);
    list_link(&z->list, x, update, rank);
    int rc = dict_add(z->index, x, NULL);
    INSIST(rc == 0);
    return x;
}

/* Moves node x to its place for newscore. It stays where it is when its
 * neighbours still bracket the new score, as in Redis. */
static void zs_update(zs_set_t *z, zs_node_t *x, double newscore)
{
    zs_node_t *update[SL_MAXLEVEL];
    size_t rank[SL_MAXLEVEL];
    list_locate_node(&z->list, x, update);
    if ((x->back == NULL || x->back->score < newscore) &&
        (x->lv[0].fwd == NULL || x->lv[0].fwd->score > newscore)) {
        x->score = newscore;
        return;
    }
    list_unlink(&z->list, x, update);
    x->score = newscore;
    list_locate(&z->list, newscore, node_member(x), x->len, update, rank);
    list_link(&z->list, x, update, rank);
}

static void zs_maybe_shrink(zs_set_t *z)
{
    size_t slots = dict_slots(z->index);
    if (slots > INDEX_MIN_SLOTS && dict_size(z->index) * 100 / slots < INDEX_MIN_FILL_PERCENT) {
        int rc = dict_shrink_to_fit(z->index);
        UNUSED(rc);
    }
}

/* Removes node x, already unlinked from the list, and frees it. */
static void zs_drop(zs_set_t *z, zs_node_t *x)
{
    int rc = dict_delete(z->index, x);
    INSIST(rc == 0);
    alloc_free(x);
}

static void zs_delete_node(zs_set_t *z, zs_node_t *x)
{
    zs_node_t *update[SL_MAXLEVEL];
    list_locate_node(&z->list, x, update);
    list_unlink(&z->list, x, update);
    zs_drop(z, x);
}

/* Deletes the nodes in a range, walking from the first node not below min. */
static size_t zs_delete_range(zs_set_t *z, const zspec_t *r)
{
    zs_list_t *l = &z->list;
    zs_node_t *update[SL_MAXLEVEL];
    zs_node_t *x = l->header;
    for (int i = l->level - 1; i >= 0; i--) {
        while (x->lv[i].fwd != NULL && !node_gte_min(r, x->lv[i].fwd))
            x = x->lv[i].fwd;
        update[i] = x;
    }
    size_t removed = 0;
    x = x->lv[0].fwd;
    while (x != NULL && node_lte_max(r, x)) {
        zs_node_t *next = x->lv[0].fwd;
        list_unlink(l, x, update);
        zs_drop(z, x);
        removed++;
        x = next;
    }
    return removed;
}

/* Deletes the nodes of 1-based ranks start..end. */
static size_t zs_delete_rank(zs_set_t *z, size_t start, size_t end)
{
    zs_list_t *l = &z->list;
    zs_node_t *update[SL_MAXLEVEL];
    zs_node_t *x = l->header;
    size_t traversed = 0;
    for (int i = l->level - 1; i >= 0; i--) {
        while (x->lv[i].fwd != NULL && traversed + x->lv[i].span < start) {
            traversed += x->lv[i].span;
            x = x->lv[i].fwd;
        }
        update[i] = x;
    }
    size_t removed = 0;
    traversed++;
    x = x->lv[0].fwd;
    while (x != NULL && traversed <= end) {
        zs_node_t *next = x->lv[0].fwd;
        list_unlink(l, x, update);
        zs_drop(z, x);
        removed++;
        traversed++;
        x = next;
    }
    return removed;
}

/* ====================================================================== */
/* The listpack encoding                                                  */
/* ====================================================================== */

/* The element whose member entry is p. */
static void lp_elem(uint8_t *lp, uint8_t *p, tzset_elem_t *e)
{
    e->p = lp_get_bytes(p, e->buf, &e->n);
    e->score = lp_score_at(lp_next(lp, p));
}

/* The member entry of m, or NULL. */
static uint8_t *lp_find_member(uint8_t *lp, const char *m, size_t n)
{
    return lp_find(lp, lp_first(lp), m, n, 1);
}

/* The member entry after (before, when reverse) the one at p, or NULL. */
static uint8_t *lp_step(uint8_t *lp, uint8_t *p, bool reverse)
{
    if (!reverse)
        return lp_next(lp, lp_next(lp, p));
    uint8_t *sp = lp_prev(lp, p);
    return sp != NULL ? lp_prev(lp, sp) : NULL;
}

/* Inserts a pair at its place: before the first pair with a greater score,
 * or an equal score and a greater member. */
static uint8_t *lp_insert_pair(uint8_t *lp, const char *m, size_t n, double score)
{
    uint8_t *p = lp_first(lp);
    while (p != NULL) {
        uint8_t *sp = lp_next(lp, p);
        double s = lp_score_at(sp);
        if (s > score || (s == score && lp_compare(p, m, n) > 0))
            break;
        p = lp_next(lp, sp);
    }
    uint8_t *newp;
    if (p == NULL)
        p = lp + lp_bytes(lp) - 1;
    lp = lp_insert(lp, p, LP_BEFORE, m, n, &newp);
    return lp_insert_score(lp, newp, LP_AFTER, score, NULL);
}

static bool lp_in_range(uint8_t *lp, const zspec_t *r)
{
    tzset_elem_t e;
    uint8_t *last = lp_seek(lp, -2);
    if (spec_empty(r) || last == NULL)
        return false;
    lp_elem(lp, last, &e);
    if (!spec_gte_min(r, &e))
        return false;
    lp_elem(lp, lp_first(lp), &e);
    return spec_lte_max(r, &e);
}

/* The first (last, when reverse) member entry in the range, or NULL. */
static uint8_t *lp_first_in(uint8_t *lp, const zspec_t *r, bool reverse)
{
    if (!lp_in_range(lp, r))
        return NULL;
    uint8_t *p = reverse ? lp_seek(lp, -2) : lp_first(lp);
    for (; p != NULL; p = lp_step(lp, p, reverse)) {
        tzset_elem_t e;
        lp_elem(lp, p, &e);
        if (reverse ? spec_lte_max(r, &e) : spec_gte_min(r, &e))
            return (reverse ? spec_gte_min(r, &e) : spec_lte_max(r, &e)) ? p : NULL;
    }
    return NULL;
}

static size_t lp_delete_in_range(obj_t *o, const zspec_t *r)
{
    uint8_t *lp = o->ptr;
    uint8_t *first = lp_first_in(lp, r, false);
    size_t count = 0;
    for (uint8_t *p = first; p != NULL; p = lp_step(lp, p, false)) {
        tzset_elem_t e;
        lp_elem(lp, p, &e);
        if (!spec_lte_max(r, &e))
            break;
        count++;
    }
    if (count > 0)
        o->ptr = lp_delete_range_at(lp, &first, 2 * count);
    return count;
}

/* ====================================================================== */
/* Conversion                                                             */
/* ====================================================================== */

void tzset_convert_to_skiplist(obj_t *o)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (o->encoding == OBJ_ENC_SKIPLIST)
        return;
    uint8_t *lp = o->ptr;
    zs_set_t *z = zs_new(lp_count(lp) / 2);
    for (uint8_t *p = lp_first(lp); p != NULL; p = lp_step(lp, p, false)) {
        tzset_elem_t e;
        lp_elem(lp, p, &e);
        zs_insert(z, e.score, e.p, e.n);
    }
    lp_free(lp);
    o->ptr = z;
    o->encoding = OBJ_ENC_SKIPLIST;
}

void tzset_convert_to_listpack(obj_t *o)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (o->encoding == OBJ_ENC_LISTPACK)
        return;
    zs_set_t *z = o->ptr;
    uint8_t *lp = lp_new();
    for (zs_node_t *x = z->list.header->lv[0].fwd; x != NULL; x = x->lv[0].fwd) {
        lp = lp_append(lp, node_member(x), x->len);
        lp = lp_insert_score(lp, lp + lp_bytes(lp) - 1, LP_BEFORE, x->score, NULL);
    }
    zs_free(z);
    o->ptr = lp;
    o->encoding = OBJ_ENC_LISTPACK;
}

/* True when a new member of n bytes may join listpack o. */
static bool lp_can_add(obj_t *o, size_t n)
{
    uint8_t *lp = o->ptr;
    return (long long)(lp_count(lp) / 2 + 1) <= db_env.zset_max_listpack_entries &&
           (long long)n <= db_env.zset_max_listpack_value &&
           lp_bytes(lp) + n <= LP_SAFE_BYTES;
}

/* ====================================================================== */
/* Creating, reading, writing                                             */
/* ====================================================================== */

obj_t *tzset_new_listpack(void)
{
    tzset_register();
    return obj_new(OBJ_ZSET, OBJ_ENC_LISTPACK, lp_new());
}

obj_t *tzset_new_skiplist(size_t hint)
{
    tzset_register();
    return obj_new(OBJ_ZSET, OBJ_ENC_SKIPLIST, zs_new(hint));
}

obj_t *tzset_new(size_t first_len)
{
    if (db_env.zset_max_listpack_entries == 0 ||
        (long long)first_len > db_env.zset_max_listpack_value)
        return tzset_new_skiplist(0);
    return tzset_new_listpack();
}

obj_t *tzset_new_sized(long long count)
{
    if (count > db_env.zset_max_listpack_entries)
        return tzset_new_skiplist((size_t)count);
    return tzset_new_listpack();
}

size_t tzset_len(const obj_t *o)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (o->encoding == OBJ_ENC_LISTPACK)
        return lp_count(o->ptr) / 2;
    const zs_set_t *z = o->ptr;
    return z->list.length;
}

bool tzset_score(obj_t *o, const char *m, size_t n, double *score)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *p = lp_find_member(o->ptr, m, n);
        if (p == NULL)
            return false;
        if (score != NULL)
            *score = lp_score_at(lp_next(o->ptr, p));
        return true;
    }
    zs_node_t *x = index_find(o->ptr, m, n);
    if (x == NULL)
        return false;
    if (score != NULL)
        *score = x->score;
    return true;
}

long long tzset_rank(obj_t *o, const char *m, size_t n, bool reverse)
{
    REQUIRE(o->type == OBJ_ZSET);
    long long len = (long long)tzset_len(o), rank = -1;
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *lp = o->ptr;
        long long i = 0;
        for (uint8_t *p = lp_first(lp); p != NULL; p = lp_step(lp, p, false), i++) {
            if (lp_eq(p, m, n)) {
                rank = i;
                break;
            }
        }
    } else {
        zs_set_t *z = o->ptr;
        zs_node_t *x = index_find(z, m, n);
        if (x != NULL)
            rank = (long long)list_rank(&z->list, x) - 1;
    }
    if (rank < 0)
        return -1;
    return reverse ? len - 1 - rank : rank;
}

/* Applies ZADD's rules to a member whose score is cur: returns the result
 * bits, with *score turned into the new score. */
static int update_rules(double cur, double *score, int flags)
{
    if (flags & TZSET_ADD_NX)
        return TZSET_NOP;
    if (flags & TZSET_ADD_INCR) {
        *score += cur;
        if (isnan(*score))
            return TZSET_NAN;
    }
    if (((flags & TZSET_ADD_LT) && *score >= cur) || ((flags & TZSET_ADD_GT) && *score <= cur))
        return TZSET_NOP;
    return *score != cur ? TZSET_UPDATED : 0;
}

static int add_listpack(obj_t *o, double score, const char *m, size_t n, int flags,
                        double *newscore)
{
    uint8_t *lp = o->ptr;
    uint8_t *p = lp_find_member(lp, m, n);
    if (p != NULL) {
        int res = update_rules(lp_score_at(lp_next(lp, p)), &score, flags);
        if (res & (TZSET_NOP | TZSET_NAN))
            return res;
        if (newscore != NULL)
            *newscore = score;
        if (res & TZSET_UPDATED) {
            lp = lp_delete_range_at(lp, &p, 2);
            o->ptr = lp_insert_pair(lp, m, n, score);
        }
        return res;
    }
    if (flags & TZSET_ADD_XX)
        return TZSET_NOP;
    if (!lp_can_add(o, n)) {
        tzset_convert_to_skiplist(o);
        zs_insert(o->ptr, score, m, n);
    } else {
        o->ptr = lp_insert_pair(lp, m, n, score);
    }
    if (newscore != NULL)
        *newscore = score;
    return TZSET_ADDED;
}

int tzset_add(obj_t *o, double score, const char *m, size_t n, int flags, double *newscore)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (isnan(score))
        return TZSET_NAN;
    if (o->encoding == OBJ_ENC_LISTPACK)
        return add_listpack(o, score, m, n, flags, newscore);
    zs_set_t *z = o->ptr;
    zs_node_t *x = index_find(z, m, n);
    if (x != NULL) {
        int res = update_rules(x->score, &score, flags);
        if (res & (TZSET_NOP | TZSET_NAN))
            return res;
        if (newscore != NULL)
            *newscore = score;
        if (res & TZSET_UPDATED)
            zs_update(z, x, score);
        return res;
    }
    if (flags & TZSET_ADD_XX)
        return TZSET_NOP;
    zs_insert(z, score, m, n);
    if (newscore != NULL)
        *newscore = score;
    return TZSET_ADDED;
}

bool tzset_delete(obj_t *o, const char *m, size_t n)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *p = lp_find_member(o->ptr, m, n);
        if (p == NULL)
            return false;
        o->ptr = lp_delete_range_at(o->ptr, &p, 2);
        return true;
    }
    zs_set_t *z = o->ptr;
    zs_node_t *x = index_find(z, m, n);
    if (x == NULL)
        return false;
    zs_delete_node(z, x);
    zs_maybe_shrink(z);
    return true;
}

/* ====================================================================== */
/* Walking and ranges                                                     */
/* ====================================================================== */

/* A position in either encoding: a listpack member entry or a node. */
typedef struct walker {
    obj_t *o;
    uint8_t *p;
    zs_node_t *x;
} walker_t;

static bool walk_valid(const walker_t *w)
{
    return w->p != NULL || w->x != NULL;
}

static void walk_elem(const walker_t *w, tzset_elem_t *e)
{
    if (w->p != NULL)
        lp_elem(w->o->ptr, w->p, e);
    else
        node_elem(w->x, e);
}

static void walk_step(walker_t *w, bool reverse)
{
    if (w->p != NULL)
        w->p = lp_step(w->o->ptr, w->p, reverse);
    else
        w->x = reverse ? w->x->back : w->x->lv[0].fwd;
}

/* Positions w at 0-based rank, counted from the end when reverse. */
static void walk_at_rank(walker_t *w, obj_t *o, size_t rank, bool reverse)
{
    w->o = o;
    w->p = NULL;
    w->x = NULL;
    if (o->encoding == OBJ_ENC_LISTPACK) {
        long long i = 2 * (long long)rank;
        w->p = lp_seek(o->ptr, reverse ? -2 - i : i);
        return;
    }
    zs_set_t *z = o->ptr;
    if (rank >= z->list.length)
        return;
    w->x = list_by_rank(&z->list, reverse ? z->list.length - rank : rank + 1);
}

/* Positions w at the first element in range (the last when reverse). */
static void walk_first_in(walker_t *w, obj_t *o, const zspec_t *r, bool reverse)
{
    w->o = o;
    w->p = NULL;
    w->x = NULL;
    if (o->encoding == OBJ_ENC_LISTPACK) {
        w->p = lp_first_in(o->ptr, r, reverse);
        return;
    }
    zs_set_t *z = o->ptr;
    w->x = reverse ? list_last_in(&z->list, r) : list_first_in(&z->list, r);
}

bool tzset_clamp_ranks(size_t len, long long *start, long long *end)
{
    long long n = (long long)len;
    if (*start < 0)
        *start += n;
    if (*end < 0)
        *end += n;
    if (*start < 0)
        *start = 0;
    if (*start > *end || *start >= n)
        return false;
    if (*end >= n)
        *end = n - 1;
    return true;
}

void tzset_range_rank(obj_t *o, size_t start, size_t end, bool reverse, tzset_visit_fn *fn,
                      void *arg)
{
    REQUIRE(start <= end && end < tzset_len(o));
    walker_t w;
    walk_at_rank(&w, o, start, reverse);
    for (size_t i = start; i <= end; i++) {
        INSIST(walk_valid(&w));
        tzset_elem_t e;
        walk_elem(&w, &e);
        fn(arg, &e);
        walk_step(&w, reverse);
    }
}

static size_t range_generic(obj_t *o, const zspec_t *r, bool reverse, long long offset,
                            long long limit, tzset_visit_fn *fn, void *arg)
{
    REQUIRE(o->type == OBJ_ZSET);
    /* Redis skips a negative offset by walking off the end. */
    if (offset < 0)
        return 0;
    walker_t w;
    walk_first_in(&w, o, r, reverse);
    while (walk_valid(&w) && offset-- > 0)
        walk_step(&w, reverse);
    size_t n = 0;
    while (walk_valid(&w) && limit-- != 0) {
        tzset_elem_t e;
        walk_elem(&w, &e);
        if (reverse ? !spec_gte_min(r, &e) : !spec_lte_max(r, &e))
            break;
        fn(arg, &e);
        n++;
        walk_step(&w, reverse);
    }
    return n;
}

size_t tzset_range_score(obj_t *o, const tzset_srange_t *r, bool reverse, long long offset,
                         long long limit, tzset_visit_fn *fn, void *arg)
{
    zspec_t spec = {r, NULL};
    return range_generic(o, &spec, reverse, offset, limit, fn, arg);
}

size_t tzset_range_lex(obj_t *o, const tzset_lrange_t *r, bool reverse, long long offset,
                       long long limit, tzset_visit_fn *fn, void *arg)
{
    zspec_t spec = {NULL, r};
    return range_generic(o, &spec, reverse, offset, limit, fn, arg);
}

/* A listpack is counted by walking; a skiplist by the ranks of the first
 * and last elements in range, as Redis does. */
static size_t count_generic(obj_t *o, const zspec_t *r)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *lp = o->ptr;
        size_t count = 0;
        for (uint8_t *p = lp_first_in(lp, r, false); p != NULL; p = lp_step(lp, p, false)) {
            tzset_elem_t e;
            lp_elem(lp, p, &e);
            if (!spec_lte_max(r, &e))
                break;
            count++;
        }
        return count;
    }
    zs_list_t *l = &((zs_set_t *)o->ptr)->list;
    zs_node_t *first = list_first_in(l, r);
    if (first == NULL)
        return 0;
    size_t count = l->length - (list_rank(l, first) - 1);
    zs_node_t *last = list_last_in(l, r);
    if (last != NULL)
        count -= l->length - list_rank(l, last);
    return count;
}

size_t tzset_count_score(obj_t *o, const tzset_srange_t *r)
{
    zspec_t spec = {r, NULL};
    return count_generic(o, &spec);
}

size_t tzset_count_lex(obj_t *o, const tzset_lrange_t *r)
{
    zspec_t spec = {NULL, r};
    return count_generic(o, &spec);
}

static size_t delete_generic(obj_t *o, const zspec_t *r)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (o->encoding == OBJ_ENC_LISTPACK)
        return lp_delete_in_range(o, r);
    size_t n = zs_delete_range(o->ptr, r);
    zs_maybe_shrink(o->ptr);
    return n;
}

size_t tzset_delete_score(obj_t *o, const tzset_srange_t *r)
{
    zspec_t spec = {r, NULL};
    return delete_generic(o, &spec);
}

size_t tzset_delete_lex(obj_t *o, const tzset_lrange_t *r)
{
    zspec_t spec = {NULL, r};
    return delete_generic(o, &spec);
}

size_t tzset_delete_rank(obj_t *o, size_t start, size_t end)
{
    REQUIRE(o->type == OBJ_ZSET && start <= end && end < tzset_len(o));
    if (o->encoding == OBJ_ENC_LISTPACK) {
        o->ptr = lp_delete_range(o->ptr, 2 * (long long)start, 2 * (end - start + 1));
        return end - start + 1;
    }
    size_t n = zs_delete_rank(o->ptr, start + 1, end + 1);
    zs_maybe_shrink(o->ptr);
    return n;
}

size_t tzset_pop(obj_t *o, bool max, size_t count, tzset_visit_fn *fn, void *arg)
{
    size_t len = tzset_len(o);
    if (count > len)
        count = len;
    if (count == 0)
        return 0;
    tzset_range_rank(o, 0, count - 1, max, fn, arg);
    if (max)
        tzset_delete_rank(o, len - count, len - 1);
    else
        tzset_delete_rank(o, 0, count - 1);
    return count;
}

/* ====================================================================== */
/* Iteration                                                              */
/* ====================================================================== */

void tzset_iter_init(tzset_iter_t *it, obj_t *o, bool reverse)
{
    REQUIRE(o->type == OBJ_ZSET);
    it->o = o;
    it->reverse = reverse;
    it->p = NULL;
    it->node = NULL;
    if (o->encoding == OBJ_ENC_LISTPACK) {
        it->p = reverse ? lp_seek(o->ptr, -2) : lp_first(o->ptr);
    } else {
        zs_set_t *z = o->ptr;
        it->node = reverse ? z->list.tail : z->list.header->lv[0].fwd;
    }
}

bool tzset_iter_next(tzset_iter_t *it, tzset_elem_t *e)
{
    if (it->o->encoding == OBJ_ENC_LISTPACK) {
        if (it->p == NULL)
            return false;
        lp_elem(it->o->ptr, it->p, e);
        it->p = lp_step(it->o->ptr, it->p, it->reverse);
        return true;
    }
    zs_node_t *x = it->node;
    if (x == NULL)
        return false;
    node_elem(x, e);
    it->node = it->reverse ? x->back : x->lv[0].fwd;
    return true;
}

/* ====================================================================== */
/* Random members and scans                                               */
/* ====================================================================== */

/* A uniform random number below n (n > 0), from random()'s 31-bit draws. */
static uint64_t rand_below(uint64_t n)
{
    uint64_t r = (uint64_t)random();
    if (n > (1ULL << 31))
        r = (r << 31 ^ (uint64_t)random()) << 2 ^ (uint64_t)random();
    return r % n;
}

/* A uniformly random node of a skiplist set, drawn through its index. */
static zs_node_t *random_node(zs_set_t *z)
{
    return dict_fair_random(z->index)->key;
}

void tzset_random(obj_t *o, tzset_elem_t *e)
{
    size_t n = tzset_len(o);
    REQUIRE(n > 0);
    if (o->encoding == OBJ_ENC_LISTPACK)
        lp_elem(o->ptr, lp_seek(o->ptr, 2 * (long long)rand_below(n)), e);
    else
        node_elem(random_node(o->ptr), e);
}

/* The member entries of a listpack set, for O(1) random picks. The caller
 * frees the array. */
static uint8_t **lp_member_index(uint8_t *lp, size_t n)
{
    uint8_t **idx = alloc_malloc((n > 0 ? n : 1) * sizeof(uint8_t *));
    size_t i = 0;
    for (uint8_t *p = lp_first(lp); p != NULL; p = lp_step(lp, p, false))
        idx[i++] = p;
    INSIST(i == n);
    return idx;
}

void tzset_random_pairs(obj_t *o, uint64_t count,
                        bool (*fn)(void *arg, const tzset_elem_t *e), void *arg)
{
    size_t n = tzset_len(o);
    REQUIRE(n > 0);
    tzset_elem_t e;
    if (o->encoding == OBJ_ENC_SKIPLIST) {
        for (uint64_t i = 0; i < count; i++) {
            node_elem(random_node(o->ptr), &e);
            if (!fn(arg, &e))
                return;
        }
        return;
    }
    uint8_t **idx = lp_member_index(o->ptr, n);
    for (uint64_t i = 0; i < count; i++) {
        lp_elem(o->ptr, idx[rand_below(n)], &e);
        if (!fn(arg, &e))
            break;
    }
    alloc_free(idx);
}

/* Selection sampling over a listpack: each member is taken with the
 * probability still-wanted / still-unseen, so count distinct members come
 * out in score order. */
static void lp_random_distinct(obj_t *o, size_t size, size_t count, tzset_visit_fn *fn,
                               void *arg)
{
    uint8_t *lp = o->ptr;
    size_t seen = 0;
    for (uint8_t *p = lp_first(lp); p != NULL && count > 0; p = lp_step(lp, p, false)) {
        if (rand_below(size - seen++) < count) {
            tzset_elem_t e;
            lp_elem(lp, p, &e);
            fn(arg, &e);
            count--;
        }
    }
}

/* A partial Fisher-Yates shuffle of every node: for a good part of a set. */
static void zs_random_shuffle(zs_set_t *z, size_t count, tzset_visit_fn *fn, void *arg)
{
    size_t size = z->list.length;
    zs_node_t **h = alloc_malloc(size * sizeof(zs_node_t *));
    size_t i = 0;
    for (zs_node_t *x = z->list.header->lv[0].fwd; x != NULL; x = x->lv[0].fwd)
        h[i++] = x;
    for (i = 0; i < count; i++) {
        size_t j = i + (size_t)rand_below(size - i);
        zs_node_t *t = h[i];
        h[i] = h[j];
        h[j] = t;
        tzset_elem_t e;
        node_elem(h[i], &e);
        fn(arg, &e);
    }
    alloc_free(h);
}

static uint64_t ptr_hash(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    return dict_hash_bytes(&v, sizeof(v));
}

static const dict_type_t ptr_set_type = {ptr_hash, NULL, NULL, NULL};

/* Random draws that skip repeats: for a small part of a big set. */
static void zs_random_draw(zs_set_t *z, size_t count, tzset_visit_fn *fn, void *arg)
{
    dict_t *seen = dict_new(&ptr_set_type);
    while (dict_size(seen) < count) {
        zs_node_t *x = random_node(z);
        if (dict_add(seen, x, NULL) != 0)
            continue;
        tzset_elem_t e;
        node_elem(x, &e);
        fn(arg, &e);
    }
    dict_free(seen);
}

void tzset_random_distinct(obj_t *o, size_t count, tzset_visit_fn *fn, void *arg)
{
    size_t size = tzset_len(o);
    REQUIRE(count < size);
    if (o->encoding == OBJ_ENC_LISTPACK)
        lp_random_distinct(o, size, count, fn, arg);
    else if (count * 3 > size)
        zs_random_shuffle(o->ptr, count, fn, arg);
    else
        zs_random_draw(o->ptr, count, fn, arg);
}

typedef struct scan_state {
    tzset_scan_fn *fn;
    void *arg;
    uint64_t visited;
} scan_state_t;

static void scan_cb(void *arg, const dict_entry_t *de)
{
    scan_state_t *st = arg;
    tzset_elem_t e;
    char buf[STRCONV_BUF];
    node_elem(de->key, &e);
    st->fn(st->arg, &e, buf, strconv_double(buf, e.score));
    st->visited += 2;
}

uint64_t tzset_scan(obj_t *o, uint64_t cursor, uint64_t count, tzset_scan_fn *fn, void *arg)
{
    REQUIRE(o->type == OBJ_ZSET && count > 0);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        uint8_t *lp = o->ptr;
        for (uint8_t *p = lp_first(lp); p != NULL; p = lp_step(lp, p, false)) {
            tzset_elem_t e;
            char buf[LP_INTBUF];
            size_t n;
            lp_elem(lp, p, &e);
            const char *s = lp_get_bytes(lp_next(lp, p), buf, &n);
            fn(arg, &e, s, n);
        }
        return 0;
    }
    zs_set_t *z = o->ptr;
    scan_state_t st = {fn, arg, 0};
    uint64_t maxiter = count > UINT64_MAX / 10 ? UINT64_MAX : count * 10;
    do {
        cursor = dict_scan(z->index, cursor, scan_cb, &st);
    } while (cursor != 0 && maxiter-- != 0 && st.visited < count);
    return cursor;
}

/* ====================================================================== */
/* Set algebra                                                            */
/* ====================================================================== */

/* One element of a result under construction: its member (owned) and score. */
typedef struct pair {
    str_t *m;
    double score;
} pair_t;

typedef struct pairs {
    pair_t *v;
    size_t n, cap;
    size_t maxlen, totlen;
} pairs_t;

static void pairs_add(pairs_t *ps, const char *m, size_t n, double score)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 16;
        ps->v = alloc_realloc(ps->v, ps->cap * sizeof(pair_t));
    }
    ps->v[ps->n].m = str_new(m, n);
    ps->v[ps->n].score = score;
    ps->n++;
    ps->totlen += n;
    if (n > ps->maxlen)
        ps->maxlen = n;
}

static int pair_cmp(const void *a, const void *b)
{
    const pair_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return str_cmp(x->m, y->m);
}

/* A sorted set holding the (distinct) pairs: with fit, in the encoding
 * Redis gives stored results (a listpack when they fit its thresholds),
 * else a skiplist. Frees them. */
static obj_t *pairs_build(pairs_t *ps, bool fit)
{
    if (ps->n > 1)
        qsort(ps->v, ps->n, sizeof(pair_t), pair_cmp);
    obj_t *o;
    if (!fit || (long long)ps->n > db_env.zset_max_listpack_entries ||
        (long long)ps->maxlen > db_env.zset_max_listpack_value || ps->totlen > LP_SAFE_BYTES) {
        o = tzset_new_skiplist(ps->n);
        for (size_t i = 0; i < ps->n; i++)
            zs_insert(o->ptr, ps->v[i].score, ps->v[i].m->buf, ps->v[i].m->len);
    } else {
        o = tzset_new_listpack();
        uint8_t *lp = o->ptr;
        for (size_t i = 0; i < ps->n; i++) {
            lp = lp_append(lp, ps->v[i].m->buf, ps->v[i].m->len);
            lp = lp_insert_score(lp, lp + lp_bytes(lp) - 1, LP_BEFORE, ps->v[i].score, NULL);
        }
        o->ptr = lp;
    }
    for (size_t i = 0; i < ps->n; i++)
        str_free(ps->v[i].m);
    alloc_free(ps->v);
    return o;
}

/* Iteration over an input of the algebra: a sorted set or a plain set. */
typedef struct src_iter {
    obj_t *o;
    tzset_iter_t zi;
    tset_iter_t si;
} src_iter_t;

static void src_iter_init(src_iter_t *it, obj_t *o)
{
    it->o = o;
    if (o->type == OBJ_ZSET)
        tzset_iter_init(&it->zi, o, false);
    else
        tset_iter_init(&it->si, o);
}

static bool src_iter_next(src_iter_t *it, tzset_elem_t *e)
{
    if (it->o->type == OBJ_ZSET)
        return tzset_iter_next(&it->zi, e);
    tset_member_t m;
    if (!tset_iter_next(&it->si, &m))
        return false;
    /* The text of an intset member lives in m: keep it in e. */
    if (m.is_int) {
        memcpy(e->buf, m.p, m.n);
        e->p = e->buf;
    } else {
        e->p = m.p;
    }
    e->n = m.n;
    e->score = 1.0;
    return true;
}

static void src_iter_destroy(src_iter_t *it)
{
    if (it->o->type == OBJ_SET)
        tset_iter_destroy(&it->si);
}

static size_t src_len(const tzset_src_t *s)
{
    if (s->o == NULL)
        return 0;
    return s->o->type == OBJ_ZSET ? tzset_len(s->o) : tset_size(s->o);
}

/* Finds m in an input: plain set members score 1. */
static bool src_find(const tzset_src_t *s, const char *m, size_t n, double *score)
{
    if (s->o == NULL)
        return false;
    if (s->o->type == OBJ_ZSET)
        return tzset_score(s->o, m, n, score);
    *score = 1.0;
    return tset_contains(s->o, m, n);
}

/* Stable insertion sort by size, smallest first. */
static void srcs_sort(tzset_src_t *srcs, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        tzset_src_t t = srcs[i];
        size_t len = src_len(&t), j = i;
        while (j > 0 && src_len(&srcs[j - 1]) > len) {
            srcs[j] = srcs[j - 1];
            j--;
        }
        srcs[j] = t;
    }
}

static double weighted(double score, double weight)
{
    double v = score * weight;
    return isnan(v) ? 0 : v;
}

static void aggregate(double *target, double v, enum tzset_aggregate aggr)
{
    if (aggr == TZSET_AGGR_SUM) {
        *target += v;
        if (isnan(*target))
            *target = 0;
    } else if (aggr == TZSET_AGGR_MIN) {
        *target = v < *target ? v : *target;
    } else {
        *target = v > *target ? v : *target;
    }
}

/* Union accumulator: member (a str_t key inside the entry) -> score. */
static uint64_t acc_hash(const void *k)
{
    const str_t *s = k;
    return dict_hash_bytes(s->buf, s->len);
}

static int acc_eq(const void *a, const void *b)
{
    const str_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->buf, y->buf, x->len) == 0;
}

static const dict_type_t acc_type = {acc_hash, acc_eq, NULL, NULL};

/* Adds a member's weighted score to the accumulator. */
static void acc_add(dict_t *acc, const tzset_elem_t *e, double score, enum tzset_aggregate aggr)
{
    str_t *key = str_new(e->p, e->n);
    dict_entry_t *existing = NULL;
    dict_entry_t *de = dict_add_embedded(acc, key, sizeof(str_t) + e->n + 1, &existing);
    str_free(key);
    if (de != NULL)
        de->v.d = score;
    else
        aggregate(&existing->v.d, score, aggr);
}

obj_t *tzset_union(tzset_src_t *srcs, size_t n, enum tzset_aggregate aggr, bool fit)
{
    srcs_sort(srcs, n);
    dict_t *acc = dict_new_embedded(&acc_type);
    for (size_t i = 0; i < n; i++) {
        if (src_len(&srcs[i]) == 0)
            continue;
        src_iter_t it;
        tzset_elem_t e;
        src_iter_init(&it, srcs[i].o);
        while (src_iter_next(&it, &e))
            acc_add(acc, &e, weighted(e.score, srcs[i].weight), aggr);
        src_iter_destroy(&it);
    }
    pairs_t ps = {NULL, 0, 0, 0, 0};
    dict_iter_t di;
    dict_iter_init(&di, acc, false);
    dict_entry_t *de;
    while ((de = dict_iter_next(&di)) != NULL) {
        const str_t *m = de->key;
        pairs_add(&ps, m->buf, m->len, de->v.d);
    }
    dict_iter_destroy(&di);
    dict_free(acc);
    return pairs_build(&ps, fit);
}

/*
 * Walks the intersection: the members of the smallest input present in
 * every other, with their aggregated scores. Adds them to ps when it is
 * not NULL; returns how many there were, stopping at limit (0: none).
 */
static size_t inter_walk(tzset_src_t *srcs, size_t n, enum tzset_aggregate aggr,
                         pairs_t *ps, size_t limit)
{
    srcs_sort(srcs, n);
    if (n == 0 || src_len(&srcs[0]) == 0)
        return 0;
    size_t found = 0;
    src_iter_t it;
    tzset_elem_t e;
    src_iter_init(&it, srcs[0].o);
    while (src_iter_next(&it, &e)) {
        double score = weighted(e.score, srcs[0].weight), v;
        size_t j;
        /* Only the first input's weighted score has NaN turned into 0:
         * Redis aggregates the others' products as they are. */
        for (j = 1; j < n && src_find(&srcs[j], e.p, e.n, &v); j++)
            aggregate(&score, v * srcs[j].weight, aggr);
        if (j < n)
            continue;
        found++;
        if (ps != NULL)
            pairs_add(ps, e.p, e.n, score);
        if (limit != 0 && found >= limit)
            break;
    }
    src_iter_destroy(&it);
    return found;
}

obj_t *tzset_inter(tzset_src_t *srcs, size_t n, enum tzset_aggregate aggr, bool fit)
{
    pairs_t ps = {NULL, 0, 0, 0, 0};
    inter_walk(srcs, n, aggr, &ps, 0);
    return pairs_build(&ps, fit);
}

size_t tzset_inter_card(tzset_src_t *srcs, size_t n, size_t limit)
{
    return inter_walk(srcs, n, TZSET_AGGR_SUM, NULL, limit);
}

obj_t *tzset_diff(const tzset_src_t *srcs, size_t n, bool fit)
{
    pairs_t ps = {NULL, 0, 0, 0, 0};
    if (n > 0 && src_len(&srcs[0]) > 0) {
        src_iter_t it;
        tzset_elem_t e;
        src_iter_init(&it, srcs[0].o);
        while (src_iter_next(&it, &e)) {
            double v;
            size_t j = 1;
            while (j < n && !src_find(&srcs[j], e.p, e.n, &v))
                j++;
            if (j == n)
                pairs_add(&ps, e.p, e.n, e.score);
        }
        src_iter_destroy(&it);
    }
    return pairs_build(&ps, fit);
}

/* ====================================================================== */
/* Persistence                                                            */
/* ====================================================================== */

typedef struct lp_check {
    dict_t *members;
    size_t n;
    bool have_prev;
    tzset_elem_t prev;
    str_t *prev_m;
} lp_check_t;

/* Members: not seen before. Scores: numbers, not NaN, and pairs in the
 * order every listpack this server or Redis writes keeps. */
static int check_entry(const uint8_t *p, size_t index, void *arg)
{
    lp_check_t *st = arg;
    st->n = index + 1;
    char buf[LP_INTBUF];
    size_t n;
    const char *s = lp_get_bytes(p, buf, &n);
    if (index % 2 == 0) {
        str_t *copy = str_new(s, n);
        if (dict_add(st->members, copy, NULL) != 0) {
            str_free(copy);
            return -EINVAL;
        }
        st->prev_m = copy;
        return 0;
    }
    bool ok = true;
    long long ll;
    double score = lp_get_int(p, &ll) ? (double)ll : score_from_text(s, n, &ok);
    if (!ok)
        return -EINVAL;
    if (st->have_prev && (score < st->prev.score ||
                          (score == st->prev.score &&
                           bytes_cmp(st->prev.p, st->prev.n, st->prev_m->buf,
                                     st->prev_m->len) >= 0)))
        return -EINVAL;
    st->have_prev = true;
    st->prev.score = score;
    st->prev.p = st->prev_m->buf;
    st->prev.n = st->prev_m->len;
    return 0;
}

int tzset_validate_listpack(const uint8_t *blob, size_t size)
{
    lp_check_t st;
    memset(&st, 0, sizeof(st));
    st.members = dict_new(&str_set_type);
    int rc = lp_validate(blob, size, check_entry, &st);
    dict_free(st.members);
    if (rc != 0 || st.n % 2 != 0)
        return -EINVAL;
    return 0;
}

obj_t *tzset_from_listpack(uint8_t *lp)
{
    tzset_register();
    obj_t *o = obj_new(OBJ_ZSET, OBJ_ENC_LISTPACK, lp);
    if ((long long)tzset_len(o) > db_env.zset_max_listpack_entries)
        tzset_convert_to_skiplist(o);
    return o;
}

bool tzset_load_pair(obj_t *o, const char *m, size_t n, double score)
{
    REQUIRE(o->type == OBJ_ZSET && o->encoding == OBJ_ENC_SKIPLIST);
    zs_set_t *z = o->ptr;
    if (isnan(score) || index_find(z, m, n) != NULL)
        return false;
    zs_insert(z, score, m, n);
    return true;
}

void tzset_load_done(obj_t *o)
{
    REQUIRE(o->type == OBJ_ZSET);
    if (o->encoding != OBJ_ENC_SKIPLIST)
        return;
    zs_set_t *z = o->ptr;
    if ((long long)z->list.length > db_env.zset_max_listpack_entries)
        return;
    size_t tot = 0;
    for (zs_node_t *x = z->list.header->lv[0].fwd; x != NULL; x = x->lv[0].fwd) {
        if ((long long)x->len > db_env.zset_max_listpack_value)
            return;
        tot += x->len;
    }
    if (tot <= LP_SAFE_BYTES)
        tzset_convert_to_listpack(o);
}

/* ====================================================================== */
/* Type registration                                                      */
/* ====================================================================== */

static void zset_free(obj_t *o)
{
    if (o->encoding == OBJ_ENC_LISTPACK)
        lp_free(o->ptr);
    else
        zs_free(o->ptr);
    o->ptr = NULL;
}

static obj_t *zset_dup(const obj_t *o)
{
    if (o->encoding == OBJ_ENC_LISTPACK)
        return obj_new(OBJ_ZSET, OBJ_ENC_LISTPACK, lp_dup(o->ptr));
    const zs_set_t *src = o->ptr;
    zs_set_t *z = zs_new(src->list.length);
    /* From the tail down, so that every insertion is at the head. */
    for (zs_node_t *x = src->list.tail; x != NULL; x = x->back)
        zs_insert(z, x->score, node_member(x), x->len);
    return obj_new(OBJ_ZSET, OBJ_ENC_SKIPLIST, z);
}

/*
 * MEMORY USAGE as Redis estimates it: the object and the listpack, or the
 * object, the set, the index table and the list header, plus the average
 * size of the first samples nodes (node and index entry) times the size.
 */
static size_t zset_mem_usage(const obj_t *o, size_t samples)
{
    size_t size = alloc_size(o);
    if (o->encoding == OBJ_ENC_LISTPACK)
        return size + alloc_size(o->ptr);
    const zs_set_t *z = o->ptr;
    size += alloc_size(z) + alloc_size(z->index) +
            dict_slots(z->index) * sizeof(dict_entry_t *) + alloc_size(z->list.header);
    if (samples == 0)
        samples = SIZE_MAX;
    size_t n = 0, elesize = 0;
    for (zs_node_t *x = z->list.header->lv[0].fwd; x != NULL && n < samples; x = x->lv[0].fwd) {
        elesize += alloc_size(x) + sizeof(dict_entry_t);
        n++;
    }
    if (n > 0)
        size += (size_t)((double)elesize / (double)n * (double)z->list.length);
    return size;
}

void tzset_register(void)
{
    static bool done;
    if (done)
        return;
    obj_register_free(OBJ_ZSET, zset_free);
    obj_register_dup(OBJ_ZSET, zset_dup);
    obj_register_mem_usage(OBJ_ZSET, zset_mem_usage);
    done = true;
}
