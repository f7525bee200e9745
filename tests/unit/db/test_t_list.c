/*
 * Unit tests for db/t_list: node sizing at positive and negative
 * list-max-listpack-size (count limit, byte limits, the 8 KB safety limit),
 * Redis's insertion choices (neighbour, new node, split) and the merges
 * after a split, LZF compression of the nodes past the depth at depths 1
 * and 2 on long lists, access by index from both ends, insertion, removal
 * and range deletion in the middle, iteration both ways, copies, the
 * memory estimate, and the node blobs RDB saves and loads. A randomized
 * run checks every operation against a plain array and the structure's
 * invariants after each step.
 */
#include <config.h>
#include "db/t_list.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/lzf.h"
#include "db/keyspace.h"
#include "tap.h"

/* ---- helpers ------------------------------------------------------------ */

static void push(obj_t *o, const char *s, enum tlist_end end)
{
    tlist_push(o, s, strlen(s), end);
}

static void push_n(obj_t *o, const char *fmt, int from, int to)
{
    char buf[256];
    for (int i = from; i < to; i++) {
        snprintf(buf, sizeof(buf), fmt, i);
        push(o, buf, TLIST_TAIL);
    }
}

/* A listpack of n C strings. */
static uint8_t *lp_of(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    uint8_t *lp = lp_new();
    for (int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        lp = lp_append(lp, s, strlen(s));
    }
    va_end(ap);
    return lp;
}

/* The element at index as a C string in a static buffer, "(nil)" when out
 * of range. */
static const char *at(obj_t *o, long long index)
{
    static char out[9000];
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, index, true);
    if (!tlist_iter_next(&it, &e)) {
        tlist_iter_destroy(&it);
        return "(nil)";
    }
    char buf[LP_INTBUF];
    size_t n;
    const char *p = tlist_ent_bytes(&e, buf, &n);
    snprintf(out, sizeof(out), "%.*s", (int)n, p);
    tlist_iter_destroy(&it);
    return out;
}

/* The whole list joined with commas (short lists only). */
static const char *joined(obj_t *o)
{
    static char out[4096];
    size_t len = 0;
    out[0] = '\0';
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, 0, true);
    while (tlist_iter_next(&it, &e)) {
        char buf[LP_INTBUF];
        size_t n;
        const char *p = tlist_ent_bytes(&e, buf, &n);
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%.*s", len ? "," : "",
                                (int)n, p);
    }
    tlist_iter_destroy(&it);
    return out;
}

/* Node entry counts as "a/b/c". */
static const char *shape(obj_t *o)
{
    static char out[4096];
    size_t len = 0;
    out[0] = '\0';
    const tlist_t *l = o->ptr;
    for (const tlist_node_t *n = l->head; n != NULL && len < sizeof(out) - 16; n = n->next)
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u", len ? "/" : "",
                                n->count);
    return out;
}

static size_t nodes(obj_t *o)
{
    tlist_stats_t st;
    tlist_stats(o, &st);
    return st.nodes;
}

/*
 * Checks the structure: links, counts, sizes, node limits, and the depth
 * rule (raw within depth of an end; past it compressed unless the node
 * is too small or did not shrink). Returns a description of the first
 * problem, or NULL.
 */
static const char *invariant_problem(obj_t *o, bool check_limits)
{
    const tlist_t *l = o->ptr;
    size_t len = 0;
    uint64_t count = 0;
    const tlist_node_t *prev = NULL;
    for (const tlist_node_t *n = l->head; n != NULL; prev = n, n = n->next)
        len++;
    if (prev != l->tail || len != l->len)
        return "links or len";
    size_t i = 0;
    prev = NULL;
    for (const tlist_node_t *n = l->head; n != NULL; prev = n, n = n->next, i++) {
        if (n->prev != prev)
            return "back links";
        if (n->count == 0)
            return "empty node";
        count += n->count;
        uint8_t *lp = n->data;
        uint8_t *tmp = NULL;
        if (n->compressed) {
            tmp = malloc(n->sz);
            const uint32_t *clen = (const uint32_t *)n->data;
            if (lzf_decompress(n->data + sizeof(uint32_t), *clen, tmp, n->sz) != n->sz)
                return "bad compressed node";
            lp = tmp;
        }
        bool bad = lp_bytes(lp) != n->sz || lp_count(lp) != n->count;
        free(tmp);
        if (bad)
            return "node size or count";
        size_t from_end = i < len - 1 - i ? i : len - 1 - i;
        if (from_end < l->depth && n->compressed)
            return "compressed node within depth";
        if (l->depth > 0 && from_end >= l->depth && !n->compressed && !n->no_gain &&
            n->sz >= 48)
            return "raw node past depth";
        if (check_limits && n->count > 1) {
            if (l->fill < 0 && n->sz > (4096u << (-l->fill - 1)))
                return "node over its byte limit";
            if (l->fill >= 0 && (n->count > l->fill || n->sz > 8192 + 64))
                return "node over its count or safety limit";
        }
    }
    if (count != l->count)
        return "list count";
    return NULL;
}

static void check_invariants(obj_t *o, const char *what)
{
    const char *problem = invariant_problem(o, true);
    if (!ok(problem == NULL, "%s: structure holds", what))
        printf("#   %s\n", problem);
}

/* ---- basics ------------------------------------------------------------------ */

static void test_basics(void)
{
    subtest("push, pop, index, iteration");
    obj_t *o = tlist_new_with(-2, 0);
    is_int(o->type, OBJ_LIST, "type list");
    is_int(o->encoding, OBJ_ENC_QUICKLIST, "encoding quicklist");
    is_int(tlist_len(o), 0, "empty");
    ok(tlist_pop(o, TLIST_HEAD) == NULL, "pop of an empty list");
    push(o, "b", TLIST_TAIL);
    push(o, "a", TLIST_HEAD);
    push(o, "12", TLIST_TAIL);
    push(o, "", TLIST_TAIL);
    push(o, "-9223372036854775808", TLIST_TAIL);
    is_str(joined(o), "a,b,12,,-9223372036854775808", "order of pushes");
    is_int(tlist_len(o), 5, "length");
    is_str(at(o, 0), "a", "index 0");
    is_str(at(o, 2), "12", "index 2 (an integer entry)");
    is_str(at(o, -1), "-9223372036854775808", "index -1");
    is_str(at(o, -5), "a", "index -5");
    is_str(at(o, 5), "(nil)", "index 5 out of range");
    is_str(at(o, -6), "(nil)", "index -6 out of range");
    is_str(at(o, (long long)(-9223372036854775807LL - 1)), "(nil)", "index LLONG_MIN");

    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, -2, false);
    ok(tlist_iter_next(&it, &e) && e.p != NULL && e.n == 0, "backward from -2: empty string");
    ok(tlist_iter_next(&it, &e) && e.p == NULL && e.num == 12, "then the integer 12");
    ok(tlist_ent_eq(&e, "12", 2) && !tlist_ent_eq(&e, "012", 3) && !tlist_ent_eq(&e, "", 0),
       "an integer element equals its canonical text only");
    tlist_iter_destroy(&it);

    str_t *s = tlist_pop(o, TLIST_HEAD);
    is_str(s->buf, "a", "pop head");
    str_free(s);
    s = tlist_pop(o, TLIST_TAIL);
    is_str(s->buf, "-9223372036854775808", "pop tail formats integers");
    str_free(s);
    ok(tlist_set(o, -1, "z", 1) && tlist_set(o, 0, "7", 1), "set in range");
    ok(!tlist_set(o, 3, "q", 1) && !tlist_set(o, -4, "q", 1), "set out of range");
    is_str(joined(o), "7,12,z", "after sets");
    check_invariants(o, "basics");
    obj_decref(o);
}

/* ---- node sizing ---------------------------------------------------------------- */

static void test_positive_fill(void)
{
    subtest("positive fill: entries per node and the safety limit");
    obj_t *o = tlist_new_with(5, 0);
    push_n(o, "%d", 0, 12);
    is_str(shape(o), "5/5/2", "fill 5: nodes of five");
    for (int i = 0; i < 3; i++)
        push(o, "h", TLIST_HEAD);
    is_str(shape(o), "3/5/5/2", "head pushes open a new head node");
    obj_decref(o);

    /* 1000-byte strings take 1004 bytes each: a node of 7 entries is 7035
     * bytes, 7035 + 1000 + 8 is within 8192 and 8039 + 1008 is not, so 8 go
     * in a node. */
    o = tlist_new_with(100, 0);
    char *big = malloc(1001);
    memset(big, 'x', 1000);
    big[1000] = '\0';
    for (int i = 0; i < 20; i++)
        push(o, big, TLIST_TAIL);
    is_str(shape(o), "8/8/4", "fill 100 with 1000-byte elements: the 8 KB limit");
    free(big);
    obj_decref(o);

    o = tlist_new_with(0, 0);
    push_n(o, "%d", 0, 3);
    is_str(shape(o), "1/1/1", "fill 0: one element per node");
    obj_decref(o);

    o = tlist_new_with(1000000, 0);
    tlist_stats_t st;
    tlist_stats(o, &st);
    is_int(st.fill, 32767, "fill is clamped to 32767");
    obj_decref(o);
    o = tlist_new_with(-100, 70000);
    tlist_stats(o, &st);
    is_int(st.fill, -5, "fill is clamped to -5");
    is_int(st.depth, 65535, "depth is clamped to 65535");
    obj_decref(o);
}

static void test_negative_fill(void)
{
    subtest("negative fill: byte limits");
    /* 100-byte strings take 103 bytes: n entries make 7 + 103n bytes, and
     * a node takes one more while 7 + 103n + 108 stays within the limit. */
    static const struct {
        int fill;
        unsigned per_node;
    } cases[] = {{-1, 39}, {-2, 79}, {-3, 158}, {-4, 318}, {-5, 636}};
    char v[101];
    memset(v, 'v', 100);
    v[100] = '\0';
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        obj_t *o = tlist_new_with(cases[c].fill, 0);
        for (unsigned i = 0; i < cases[c].per_node * 2 + 1; i++)
            push(o, v, TLIST_TAIL);
        char want[64];
        snprintf(want, sizeof(want), "%u/%u/1", cases[c].per_node, cases[c].per_node);
        is_str(shape(o), want, "fill %d: %u entries of 100 bytes per node", cases[c].fill,
               cases[c].per_node);
        check_invariants(o, "byte limit");
        obj_decref(o);
    }
    obj_t *o = tlist_new_with(-2, 0);
    char *huge = malloc(20001);
    memset(huge, 'h', 20000);
    huge[20000] = '\0';
    push(o, "a", TLIST_TAIL);
    push(o, huge, TLIST_TAIL);
    push(o, "b", TLIST_TAIL);
    is_str(shape(o), "1/1/1", "an element over the limit lives alone");
    is_int(strlen(at(o, 1)), 8999, "and reads back (truncated by the helper)");
    free(huge);
    obj_decref(o);
}

/* ---- insertion ----------------------------------------------------------------- */

static bool insert(obj_t *o, const char *pivot, const char *v, bool after)
{
    return tlist_insert(o, pivot, strlen(pivot), v, strlen(v), after);
}

static void test_insert(void)
{
    subtest("insertion: in place, neighbours, new nodes, split and merge");
    obj_t *o = tlist_new_with(4, 0);
    push_n(o, "e%d", 0, 6);
    is_str(shape(o), "4/2", "start");
    ok(insert(o, "e3", "x", true), "after the last of a full node");
    is_str(shape(o), "4/3", "goes to the head of the next node");
    is_str(joined(o), "e0,e1,e2,e3,x,e4,e5", "in order");
    ok(insert(o, "x", "y", false), "before the first of a node, previous full");
    is_str(shape(o), "4/4", "the node has room: in place");
    ok(insert(o, "y", "w", false), "before the first of a full node, previous full");
    is_str(shape(o), "4/1/4", "a new node between");
    ok(!insert(o, "nope", "z", true), "a missing pivot");
    obj_decref(o);

    o = tlist_new_with(4, 0);
    push_n(o, "e%d", 0, 8);
    ok(insert(o, "e1", "x", true), "after an inner element of a full node");
    is_str(shape(o), "2/3/4", "splits; nothing merges");
    is_str(joined(o), "e0,e1,x,e2,e3,e4,e5,e6,e7", "in order");
    obj_decref(o);

    o = tlist_new_with(4, 0);
    tlist_append_listpack(o, lp_of(4, "e0", "e1", "e2", "e3"));
    tlist_append_listpack(o, lp_of(1, "m"));
    tlist_append_listpack(o, lp_of(3, "f1", "f2", "f3"));
    ok(insert(o, "e2", "X", false), "before an inner element of a full node");
    is_str(shape(o), "3/2/4", "split, then the two nodes after it merge");
    is_str(joined(o), "e0,e1,X,e2,e3,m,f1,f2,f3", "in order");
    check_invariants(o, "merge after");
    obj_decref(o);

    o = tlist_new_with(4, 0);
    tlist_append_listpack(o, lp_of(4, "e0", "e1", "e2", "e3"));
    tlist_append_listpack(o, lp_of(1, "m"));
    ok(insert(o, "e2", "X", false), "the same with m last");
    is_str(shape(o), "3/3", "the split node merges with its next");
    is_str(joined(o), "e0,e1,X,e2,e3,m", "in order");
    obj_decref(o);

    o = tlist_new_with(4, 0);
    tlist_append_listpack(o, lp_of(1, "a"));
    tlist_append_listpack(o, lp_of(1, "b"));
    tlist_append_listpack(o, lp_of(4, "e0", "e1", "e2", "e3"));
    ok(insert(o, "e1", "X", true), "after an inner element, two small nodes before");
    is_str(shape(o), "4/3", "the two before merge, then with the split node");
    is_str(joined(o), "a,b,e0,e1,X,e2,e3", "in order");
    obj_decref(o);

    o = tlist_new_with(-1, 0);
    push_n(o, "%d", 0, 3000);
    size_t before = nodes(o);
    ok(insert(o, "1500", "middle", true), "insert in the middle of a long list");
    is_str(at(o, 1501), "middle", "found at its index");
    ok(nodes(o) <= before + 1, "at most one more node");
    check_invariants(o, "long insert");
    obj_decref(o);
}

/* ---- removal and ranges --------------------------------------------------------- */

static void test_remove(void)
{
    subtest("removal by value and range deletion");
    obj_t *o = tlist_new_with(3, 0);
    const char *vals[] = {"a", "b", "a", "c", "a", "d", "a", "1", "a"};
    for (size_t i = 0; i < ARRAY_LEN(vals); i++)
        push(o, vals[i], TLIST_TAIL);
    is_int(tlist_remove(o, "a", 1, 2), 2, "two from the head");
    is_str(joined(o), "b,c,a,d,a,1,a", "the first two went");
    is_int(tlist_remove(o, "a", 1, -1), 1, "one from the tail");
    is_str(joined(o), "b,c,a,d,a,1", "the last went");
    is_int(tlist_remove(o, "01", 2, 0), 0, "01 is not 1");
    is_int(tlist_remove(o, "1", 1, 0), 1, "the integer 1");
    is_int(tlist_remove(o, "a", 1, 0), 2, "all the rest");
    is_str(joined(o), "b,c,d", "left");
    is_int(tlist_remove(o, "zz", 2, 0), 0, "nothing to remove");
    check_invariants(o, "remove");
    obj_decref(o);

    o = tlist_new_with(4, 0);
    push_n(o, "%d", 0, 20);
    tlist_delete_range(o, 2, 3);
    is_str(joined(o), "0,1,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19", "delete 2..4");
    tlist_delete_range(o, -3, 100);
    is_str(joined(o), "0,1,5,6,7,8,9,10,11,12,13,14,15,16", "delete the last 3 (clipped)");
    tlist_delete_range(o, 3, 6);
    is_str(joined(o), "0,1,5,12,13,14,15,16", "across nodes");
    tlist_delete_range(o, 100, 1);
    is_int(tlist_len(o), 8, "an index out of range deletes nothing");
    check_invariants(o, "ranges");
    tlist_delete_range(o, 0, 8);
    is_int(tlist_len(o), 0, "everything");
    is_int(nodes(o), 0, "no nodes left");
    obj_decref(o);
}

/* ---- compression --------------------------------------------------------------- */

/* A long compressible list at depth: reads and writes in compressed
 * nodes, pops from both ends, a big range deletion, the memory saved. */
static void compression_at_depth(int depth)
{
    obj_t *o = tlist_new_with(-1, depth);
    push_n(o, "a fairly compressible element number %08d", 0, 20000);
    tlist_stats_t st;
    tlist_stats(o, &st);
    ok(st.nodes > 50, "depth %d: many nodes (%zu)", depth, st.nodes);
    is_int(st.compressed_nodes, st.nodes - 2 * (size_t)depth,
           "depth %d: all but %d nodes compressed", depth, 2 * depth);
    check_invariants(o, "long list");
    is_str(at(o, 10000), "a fairly compressible element number 00010000",
           "index into a compressed node");
    is_str(at(o, -10001), "a fairly compressible element number 00009999",
           "negative index into a compressed node");
    tlist_stats_t again;
    tlist_stats(o, &again);
    is_int(again.compressed_nodes, st.compressed_nodes, "reading leaves nodes compressed");
    ok(tlist_set(o, 9000, "changed", 7), "set inside a compressed node");
    is_str(at(o, 9000), "changed", "reads back");
    ok(insert(o, "a fairly compressible element number 00007000", "inserted", true),
       "insert inside a compressed node");
    is_str(at(o, 7001), "inserted", "reads back");
    is_int(tlist_remove(o, "a fairly compressible element number 00005000", 45, 0), 1,
           "remove inside a compressed node");
    check_invariants(o, "after middle changes");
    for (int i = 0; i < 3000; i++)
        str_free(tlist_pop(o, i % 2 ? TLIST_HEAD : TLIST_TAIL));
    check_invariants(o, "after pops from both ends");
    is_str(at(o, 0), "a fairly compressible element number 00001500", "head after pops");
    tlist_delete_range(o, 100, 12000);
    check_invariants(o, "after a big range deletion");
    size_t mem = obj_mem_usage(o, 0);
    obj_t *raw = tlist_new_with(-1, 0);
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, 0, true);
    while (tlist_iter_next(&it, &e)) {
        char buf[LP_INTBUF];
        size_t n;
        const char *p = tlist_ent_bytes(&e, buf, &n);
        tlist_push(raw, p, n, TLIST_TAIL);
    }
    tlist_iter_destroy(&it);
    is_int(tlist_len(raw), tlist_len(o), "copied by iteration");
    ok(mem * 2 < obj_mem_usage(raw, 0), "compressed list uses much less memory (%zu/%zu)",
       mem, obj_mem_usage(raw, 0));
    obj_decref(raw);
    while (tlist_len(o) > 0)
        str_free(tlist_pop(o, TLIST_HEAD));
    is_int(nodes(o), 0, "popped empty");
    obj_decref(o);
}

static void test_compression(void)
{
    subtest("compression at depths 1 and 2");
    compression_at_depth(1);
    compression_at_depth(2);
    obj_t *o = tlist_new_with(-2, 1);
    for (int i = 0; i < 3000; i++) {
        char v[64];
        snprintf(v, sizeof(v), "%08x%08x", (unsigned)rand(), (unsigned)rand());
        push(o, v, TLIST_TAIL);
    }
    check_invariants(o, "random hex (compresses a little)");
    obj_decref(o);

    o = tlist_new_with(5, 1);
    push_n(o, "%d", 0, 50);
    tlist_stats_t st;
    tlist_stats(o, &st);
    is_int(st.compressed_nodes, 0, "nodes under 48 bytes stay raw");
    check_invariants(o, "small nodes");
    obj_decref(o);
}

/* ---- iteration ----------------------------------------------------------------- */

static void test_iteration(void)
{
    subtest("iteration from an index in both directions");
    obj_t *o = tlist_new_with(3, 1);
    push_n(o, "item-%03d-padding-padding-padding", 0, 100);
    bool good = true;
    for (long long start = -100; start < 100 && good; start += 7) {
        long long first = start < 0 ? start + 100 : start;
        for (int dir = 0; dir < 2; dir++) {
            tlist_iter_t it;
            tlist_ent_t e;
            tlist_iter_init(&it, o, start, dir == 0);
            long long i = first, seen = 0;
            while (tlist_iter_next(&it, &e)) {
                char want[64];
                snprintf(want, sizeof(want), "item-%03lld-padding-padding-padding", i);
                good &= tlist_ent_eq(&e, want, strlen(want));
                i += dir == 0 ? 1 : -1;
                seen++;
            }
            good &= seen == (dir == 0 ? 100 - first : first + 1);
            tlist_iter_destroy(&it);
        }
    }
    ok(good, "every start, both directions, through compressed nodes");
    tlist_iter_t it;
    tlist_ent_t e;
    tlist_iter_init(&it, o, 100, true);
    ok(!tlist_iter_next(&it, &e), "from past the end: nothing");
    tlist_iter_destroy(&it);
    obj_decref(o);
}

/* ---- copies, memory and RDB ------------------------------------------------------- */

typedef struct blobs {
    obj_t *into;
    size_t compressed;
} blobs_t;

static int copy_blob(void *arg, const tlist_blob_t *b)
{
    blobs_t *st = arg;
    uint8_t *lp = alloc_malloc(b->raw_len);
    if (b->compressed) {
        st->compressed++;
        if (lzf_decompress(b->data, b->len, lp, b->raw_len) != b->raw_len)
            return -1;
    } else {
        memcpy(lp, b->data, b->len);
    }
    if (tlist_validate_listpack(lp, b->raw_len) != 0)
        return -2;
    tlist_append_listpack(st->into, lp);
    return 0;
}

static int stop_at_second(void *arg, const tlist_blob_t *b)
{
    UNUSED(b);
    return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_copies_and_rdb(void)
{
    subtest("dup, memory usage, node blobs");
    obj_t *o = tlist_new_with(-1, 1);
    push_n(o, "value %d with some text to compress well", 0, 2000);
    obj_t *copy = obj_dup(o);
    ok(copy != NULL && copy != o, "dup");
    char *want = strdup(shape(o));
    is_str(shape(copy), want, "same nodes");
    push(copy, "extra", TLIST_HEAD);
    is_int(tlist_len(o), 2000, "the original does not change");
    free(want);
    want = strdup(at(o, 1499));
    is_str(at(copy, 1500), want, "same elements");
    free(want);
    check_invariants(copy, "dup");
    obj_decref(copy);

    size_t all = obj_mem_usage(o, 0), sampled = obj_mem_usage(o, 5);
    ok(all > 16 + 32 && sampled > 16 + 32, "memory usage (%zu, sampled %zu)", all, sampled);

    blobs_t st = {tlist_new_with(-1, 1), 0};
    is_int(tlist_foreach_node(o, copy_blob, &st), 0, "every node visited");
    ok(st.compressed > 0, "compressed nodes handed over as LZF (%zu)", st.compressed);
    want = strdup(shape(o));
    is_str(shape(st.into), want, "loaded nodes keep their shapes");
    free(want);
    is_int(tlist_len(st.into), 2000, "all elements");
    want = strdup(at(o, 777));
    is_str(at(st.into, 777), want, "same element");
    free(want);
    check_invariants(st.into, "loaded");
    obj_decref(st.into);
    int seen = 0;
    is_int(tlist_foreach_node(o, stop_at_second, &seen), 42, "a callback stops the walk");

    obj_t *l = tlist_new_with(-2, 0);
    tlist_append_listpack(l, lp_new());
    is_int(nodes(l), 0, "an empty listpack is skipped");
    uint8_t *lp = lp_new();
    lp = lp_append(lp, "x", 1);
    lp = lp_append_int(lp, 5);
    ok(tlist_validate_listpack(lp, lp_bytes(lp)) == 0, "valid listpack");
    ok(tlist_validate_listpack(lp, lp_bytes(lp) - 1) != 0, "truncated listpack");
    tlist_append_listpack(l, lp);
    is_str(joined(l), "x,5", "appended");
    obj_decref(l);
    obj_decref(o);

    /* A listpack with more entries than a node can count is spread over
     * nodes of the list's own size. */
    lp = lp_new();
    for (int i = 0; i < 70000; i++)
        lp = lp_append_int(lp, i % 100);
    l = tlist_new_with(-5, 0);
    tlist_append_listpack(l, lp);
    is_int(tlist_len(l), 70000, "70000 elements from one listpack");
    ok(nodes(l) >= 2, "in several nodes");
    check_invariants(l, "oversized listpack");
    obj_decref(l);
}

/* ---- randomized model check ------------------------------------------------------ */

typedef struct model {
    char **v;
    size_t n, cap;
} model_t;

static void model_insert(model_t *m, size_t i, const char *s)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = realloc(m->v, m->cap * sizeof(char *));
    }
    memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof(char *));
    m->v[i] = strdup(s);
    m->n++;
}

static void model_delete(model_t *m, size_t i)
{
    free(m->v[i]);
    memmove(m->v + i, m->v + i + 1, (m->n - i - 1) * sizeof(char *));
    m->n--;
}

static bool same_as_model(obj_t *o, const model_t *m)
{
    if (tlist_len(o) != m->n)
        return false;
    tlist_iter_t it;
    tlist_ent_t e;
    size_t i = 0;
    bool good = true;
    tlist_iter_init(&it, o, 0, true);
    while (good && tlist_iter_next(&it, &e)) {
        good = i < m->n && tlist_ent_eq(&e, m->v[i], strlen(m->v[i]));
        i++;
    }
    tlist_iter_destroy(&it);
    return good && i == m->n;
}

static void random_value(char *buf, size_t cap)
{
    switch (rand() % 5) {
    case 0: snprintf(buf, cap, "%d", rand() % 20); break;
    case 1: snprintf(buf, cap, "%d", rand() - RAND_MAX / 2); break;
    case 2: snprintf(buf, cap, "v%d", rand() % 20); break;
    case 3: {
        size_t n = (size_t)(rand() % 300);
        if (n >= cap)
            n = cap - 1;
        memset(buf, 'a' + rand() % 3, n);
        buf[n] = '\0';
        break;
    }
    default: snprintf(buf, cap, "text-%d-%d", rand() % 50, rand() % 3); break;
    }
}

static int random_op(obj_t *o, model_t *m)
{
    char v[512], w[512];
    random_value(v, sizeof(v));
    int op = rand() % 10;
    if (m->n == 0 || op <= 2) {
        bool head = rand() % 2;
        push(o, v, head ? TLIST_HEAD : TLIST_TAIL);
        model_insert(m, head ? 0 : m->n, v);
    } else if (op == 3) {
        bool head = rand() % 2;
        str_free(tlist_pop(o, head ? TLIST_HEAD : TLIST_TAIL));
        model_delete(m, head ? 0 : m->n - 1);
    } else if (op == 4) {
        size_t i = (size_t)rand() % m->n;
        tlist_set(o, rand() % 2 ? (long long)i : (long long)i - (long long)m->n, v, strlen(v));
        free(m->v[i]);
        m->v[i] = strdup(v);
    } else if (op == 5 || op == 6) {
        size_t i = (size_t)rand() % m->n;
        snprintf(w, sizeof(w), "%s", m->v[i]);
        size_t first = 0;
        while (strcmp(m->v[first], w) != 0)
            first++;
        bool after = rand() % 2;
        tlist_insert(o, w, strlen(w), v, strlen(v), after);
        model_insert(m, first + (after ? 1 : 0), v);
    } else if (op == 7) {
        snprintf(w, sizeof(w), "%s", m->v[(size_t)rand() % m->n]);
        long long count = rand() % 5 - 2;
        tlist_remove(o, w, strlen(w), count);
        size_t limit = count == 0 ? SIZE_MAX : (size_t)(count < 0 ? -count : count);
        if (count >= 0) {
            for (size_t i = 0; i < m->n && limit > 0;)
                if (strcmp(m->v[i], w) == 0) {
                    model_delete(m, i);
                    limit--;
                } else {
                    i++;
                }
        } else {
            for (size_t i = m->n; i-- > 0 && limit > 0;)
                if (strcmp(m->v[i], w) == 0) {
                    model_delete(m, i);
                    limit--;
                }
        }
    } else if (op == 8) {
        size_t i = (size_t)rand() % m->n, count = (size_t)rand() % 8;
        tlist_delete_range(o, (long long)i, count);
        for (size_t k = 0; k < count && i < m->n; k++)
            model_delete(m, i);
    } else {
        long long i = rand() % (long long)(m->n * 2 + 2) - (long long)m->n - 1;
        long long j = i < 0 ? i + (long long)m->n : i;
        const char *want = j >= 0 && j < (long long)m->n ? m->v[j] : "(nil)";
        if (strcmp(at(o, i), want) != 0)
            return -1;
    }
    return 0;
}

static void test_random(void)
{
    subtest("random operations against a model");
    static const int fills[] = {-5, -2, -1, 1, 2, 4, 16, 128};
    for (size_t f = 0; f < ARRAY_LEN(fills); f++) {
        for (int depth = 0; depth <= 2; depth++) {
            srand((unsigned)(f * 10 + (size_t)depth + 1));
            obj_t *o = tlist_new_with(fills[f], depth);
            model_t m = {0};
            const char *problem = NULL;
            bool same = true;
            for (int step = 0; step < 4000 && problem == NULL && same; step++) {
                same = random_op(o, &m) == 0;
                if (step % 50 == 0 || !same)
                    same = same && same_as_model(o, &m);
                problem = invariant_problem(o, false);
            }
            same = same && same_as_model(o, &m);
            if (!ok(same && problem == NULL, "fill %d depth %d: %zu elements agree", fills[f],
                    depth, m.n))
                printf("#   %s\n", problem ? problem : "content differs");
            for (size_t i = 0; i < m.n; i++)
                free(m.v[i]);
            free(m.v);
            obj_decref(o);
        }
    }
}

int main(void)
{
    db_env.list_max_listpack_size = -2;
    db_env.list_compress_depth = 0;
    obj_t *o = tlist_new();
    tlist_stats_t st;
    tlist_stats(o, &st);
    ok(st.fill == -2 && st.depth == 0, "tlist_new takes db_env's settings");
    obj_decref(o);
    test_basics();
    test_positive_fill();
    test_negative_fill();
    test_insert();
    test_remove();
    test_compression();
    test_iteration();
    test_copies_and_rdb();
    test_random();
    return done_testing();
}
