/*
 * Unit tests for db/t_set: encodings and conversions at Redis 7.0's
 * thresholds, membership in both encodings, iteration, random members,
 * SPOP's split, SSCAN steps, the set algebra, and the registered copy,
 * free and memory-usage functions.
 */
#include <config.h>
#include "db/t_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "db/keyspace.h"
#include "tap.h"

static bool add(obj_t *o, const char *s)
{
    return tset_add(o, s, strlen(s));
}

static bool has(obj_t *o, const char *s)
{
    return tset_contains(o, s, strlen(s));
}

static obj_t *set_of(const char *const *members, size_t n)
{
    obj_t *o = tset_new(members[0], strlen(members[0]));
    for (size_t i = 0; i < n; i++)
        add(o, members[i]);
    return o;
}

/* The members in iteration order, joined by spaces. */
static const char *joined(obj_t *o)
{
    static char buf[4096];
    size_t len = 0;
    tset_iter_t it;
    tset_member_t m;
    buf[0] = '\0';
    tset_iter_init(&it, o);
    while (tset_iter_next(&it, &m))
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%.*s", len ? " " : "", (int)m.n,
                                m.p);
    tset_iter_destroy(&it);
    return buf;
}

static void test_encodings(void)
{
    db_env.set_max_intset_entries = 4;
    obj_t *o = tset_new("12", 2);
    is_int(o->encoding, OBJ_ENC_INTSET, "integer first member: intset");
    ok(add(o, "12") && !add(o, "12"), "add once");
    add(o, "-5");
    add(o, "7");
    add(o, "100000");
    is_int(o->encoding, OBJ_ENC_INTSET, "four integers stay an intset");
    is_str(joined(o), "-5 7 12 100000", "intset iterates in order");
    add(o, "8");
    is_int(o->encoding, OBJ_ENC_HT, "the fifth converts");
    is_int(tset_size(o), 5, "nothing lost converting");
    ok(has(o, "8") && has(o, "-5") && has(o, "100000") && !has(o, "9"), "lookups after conversion");
    obj_decref(o);

    db_env.set_max_intset_entries = 512;
    static const char *noncanon[] = {"007", "+1", "-0", " 1", "1.0", "9223372036854775808", ""};
    for (size_t i = 0; i < ARRAY_LEN(noncanon); i++) {
        o = tset_new_intset();
        add(o, "1");
        add(o, noncanon[i]);
        ok(o->encoding == OBJ_ENC_HT && has(o, noncanon[i]) && has(o, "1"),
           "'%s' is not an integer member", noncanon[i]);
        obj_decref(o);
    }
    o = tset_new("abc", 3);
    is_int(o->encoding, OBJ_ENC_HT, "string first member: hashtable");
    add(o, "abc");
    add(o, "1");
    ok(has(o, "1") && has(o, "abc"), "integers in a hashtable");
    obj_decref(o);
    o = tset_new("-9223372036854775808", 20);
    add(o, "-9223372036854775808");
    add(o, "9223372036854775807");
    ok(o->encoding == OBJ_ENC_INTSET && has(o, "-9223372036854775808"), "int64 limits");
    obj_decref(o);

    db_env.set_max_intset_entries = 0;
    o = tset_new("1", 1);
    add(o, "1");
    is_int(o->encoding, OBJ_ENC_HT, "limit 0: the first integer converts");
    obj_decref(o);
    db_env.set_max_intset_entries = 512;
}

static void test_remove(void)
{
    obj_t *o = set_of((const char *[]){"1", "2", "3"}, 3);
    ok(!tset_remove(o, "x", 1), "non-integer never in an intset");
    ok(tset_remove(o, "2", 1) && !tset_remove(o, "2", 1), "remove once");
    ok(tset_remove(o, "1", 1) && tset_remove(o, "3", 1), "remove the rest");
    is_int(tset_size(o), 0, "empty object stays valid");
    obj_decref(o);

    o = tset_new_ht(0);
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof(buf), "m%d", i);
        add(o, buf);
    }
    size_t big = dict_slots(o->ptr);
    for (int i = 0; i < 995; i++) {
        snprintf(buf, sizeof(buf), "m%d", i);
        tset_remove(o, buf, strlen(buf));
    }
    ok(dict_slots(o->ptr) > big, "removals start a shrink (%zu -> %zu slots)", big,
       dict_slots(o->ptr));
    for (int i = 0; i < 2000; i++)
        has(o, "m999");
    tset_remove(o, "m995", 4);
    for (int i = 0; i < 2000; i++)
        has(o, "m999");
    ok(dict_slots(o->ptr) <= 8, "table ends small (%zu slots)", dict_slots(o->ptr));
    ok(has(o, "m999") && !has(o, "m0") && tset_size(o) == 4, "survivors after shrinking");
    obj_decref(o);
}

/* Long members and binary bytes in the hashtable's compact key form. */
static void test_member_forms(void)
{
    obj_t *o = tset_new_ht(0);
    char *big = alloc_malloc(100000);
    for (size_t i = 0; i < 100000; i++)
        big[i] = (char)('a' + i % 26);
    ok(tset_add(o, big, 100000) && tset_add(o, big, 127) && tset_add(o, big, 128) &&
           tset_add(o, big, 16384),
       "members across length-prefix sizes");
    ok(!tset_add(o, big, 128) && tset_contains(o, big, 100000) && !tset_contains(o, big, 99999),
       "long members found exactly");
    ok(tset_add(o, "a\0b", 3) && tset_contains(o, "a\0b", 3) && !tset_contains(o, "a\0c", 3),
       "binary members");
    ok(tset_add(o, "", 0) && tset_contains(o, "", 0), "empty member");
    size_t total = 0;
    tset_iter_t it;
    tset_member_t m;
    tset_iter_init(&it, o);
    while (tset_iter_next(&it, &m))
        total += m.n;
    tset_iter_destroy(&it);
    is_int(total, 100000 + 127 + 128 + 16384 + 3 + 0, "iteration returns every byte");
    obj_t *copy = obj_dup(o);
    ok(copy != NULL && tset_size(copy) == 6 && tset_contains(copy, big, 100000),
       "copy holds the same members");
    ok(obj_mem_usage(copy, 0) > 100000, "memory usage counts the members");
    obj_decref(copy);
    alloc_free(big);
    obj_decref(o);

    o = set_of((const char *[]){"5", "1"}, 2);
    copy = obj_dup(o);
    ok(copy->encoding == OBJ_ENC_INTSET && tset_size(copy) == 2, "intset copy");
    ok(obj_mem_usage(copy, 5) >= sizeof(obj_t) + 12, "intset memory usage");
    obj_decref(copy);
    obj_decref(o);
}

typedef struct collect {
    char seen[200];
    size_t n;
    bool repeat;
} collect_t;

static void collect_cb(void *arg, const tset_member_t *m)
{
    collect_t *c = arg;
    char buf[32];
    snprintf(buf, sizeof(buf), "%.*s", (int)m->n, m->p);
    int i = atoi(buf + (buf[0] == 'm'));
    if (i >= 0 && i < 200) {
        c->repeat |= c->seen[i] != 0;
        c->seen[i] = 1;
    }
    c->n++;
}

static obj_t *numbered(bool strings, int n)
{
    obj_t *o = strings ? tset_new_ht(0) : tset_new_intset();
    char buf[16];
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), strings ? "m%d" : "%d", i);
        add(o, buf);
    }
    return o;
}

static void test_random(void)
{
    for (int strings = 0; strings < 2; strings++) {
        const char *enc = strings ? "hashtable" : "intset";
        obj_t *o = numbered(strings, 100);
        size_t counts[] = {1, 10, 33, 34, 60, 99};
        for (size_t k = 0; k < ARRAY_LEN(counts); k++) {
            collect_t c = {{0}, 0, false};
            tset_random_distinct(o, counts[k], collect_cb, &c);
            ok(c.n == counts[k] && !c.repeat, "%s: %zu distinct members", enc, counts[k]);
        }
        collect_t c = {{0}, 0, false};
        for (int i = 0; i < 3000; i++) {
            tset_member_t m;
            tset_random(o, &m);
            collect_cb(&c, &m);
        }
        size_t covered = 0;
        for (int i = 0; i < 100; i++)
            covered += c.seen[i];
        is_int(covered, 100, "%s: random members cover the set", enc);

        obj_t *rest = tset_split_random(o, 30);
        ok(tset_size(rest) == 30 && tset_size(o) == 70, "%s: split 30 off", enc);
        bool disjoint = true;
        tset_iter_t it;
        tset_member_t m;
        tset_iter_init(&it, rest);
        while (tset_iter_next(&it, &m))
            disjoint &= !tset_contains_member(o, &m);
        tset_iter_destroy(&it);
        ok(disjoint, "%s: split parts are disjoint", enc);
        is_int(rest->encoding, strings ? OBJ_ENC_HT : OBJ_ENC_INTSET,
               "%s: the split part takes the encoding its members call for", enc);
        str_t *s = tset_pop_random(o);
        ok(tset_size(o) == 69 && !tset_contains(o, s->buf, s->len), "%s: pop removes", enc);
        str_free(s);
        obj_decref(rest);
        obj_decref(o);
    }
    obj_t *o = set_of((const char *[]){"a", "1", "2", "3"}, 4);
    tset_remove(o, "a", 1);
    obj_t *rest = tset_split_random(o, 2);
    is_int(rest->encoding, OBJ_ENC_INTSET, "integers split off a hashtable become an intset");
    obj_decref(rest);
    obj_decref(o);
}

static void test_scan(void)
{
    for (int strings = 0; strings < 2; strings++) {
        obj_t *o = numbered(strings, 150);
        collect_t c = {{0}, 0, false};
        uint64_t cursor = 0;
        int steps = 0;
        do {
            cursor = tset_scan(o, cursor, 5, collect_cb, &c);
            steps++;
        } while (cursor != 0 && steps < 10000);
        size_t covered = 0;
        for (int i = 0; i < 150; i++)
            covered += c.seen[i];
        ok(covered == 150 && !c.repeat, "%s: scan sees every member once",
           strings ? "hashtable" : "intset");
        ok(strings ? steps > 1 : steps == 1, "%s: %d steps", strings ? "hashtable" : "intset",
           steps);
        obj_decref(o);
    }
}

static void test_algebra(void)
{
    obj_t *a = set_of((const char *[]){"1", "2", "3", "4", "5"}, 5);
    obj_t *b = set_of((const char *[]){"4", "5", "6", "x"}, 4);
    obj_t *c = set_of((const char *[]){"5", "4", "9"}, 3);
    obj_t *sets[3] = {a, b, c};
    collect_t col = {{0}, 0, false};
    is_int(tset_inter(sets, 3, 0, collect_cb, &col), 2, "inter of three");
    ok(col.seen[4] && col.seen[5] && col.n == 2, "inter members");
    ok(sets[0] == c && sets[2] == a, "sets sorted by size");
    obj_t *sets2[3] = {a, b, c};
    is_int(tset_inter(sets2, 3, 1, NULL, NULL), 1, "inter stops at the limit");
    obj_t *same[2] = {a, a};
    is_int(tset_inter(same, 2, 0, NULL, NULL), 5, "inter with itself");

    obj_t *u_in[4] = {a, NULL, b, c};
    obj_t *u = tset_union(u_in, 4);
    ok(tset_size(u) == 8 && u->encoding == OBJ_ENC_HT, "union skips missing keys");
    obj_decref(u);
    obj_t *ui[2] = {a, c};
    u = tset_union(ui, 2);
    is_str(joined(u), "1 2 3 4 5 9", "integer union is an ordered intset");
    obj_decref(u);

    obj_t *d_in[3] = {a, b, NULL};
    obj_t *d = tset_diff(d_in, 3);
    is_str(joined(d), "1 2 3", "diff");
    obj_decref(d);
    obj_t *d_first_missing[2] = {NULL, a};
    d = tset_diff(d_first_missing, 2);
    is_int(tset_size(d), 0, "diff of a missing first key");
    obj_decref(d);
    obj_t *d_self[3] = {a, b, a};
    d = tset_diff(d_self, 3);
    is_int(tset_size(d), 0, "diff with the first set again");
    obj_decref(d);
    /* A large first set against small ones takes the removal path. */
    obj_t *big = numbered(false, 1000);
    obj_t *d_big[4] = {big, a, c, b};
    d = tset_diff(d_big, 4);
    ok(tset_size(d) == 993 && !has(d, "1") && !has(d, "9") && has(d, "0") && has(d, "999"),
       "diff of a large set");
    obj_decref(d);
    obj_t *d_small[2] = {a, big};
    d = tset_diff(d_small, 2);
    is_int(tset_size(d), 0, "diff of a small set against a large one");
    obj_decref(d);
    obj_decref(big);
    obj_decref(a);
    obj_decref(b);
    obj_decref(c);
}

int main(void)
{
    srandom(42);
    db_env.set_max_intset_entries = 512;
    test_encodings();
    test_remove();
    test_member_forms();
    test_random();
    test_scan();
    test_algebra();
    return done_testing();
}
