/*
 * Unit tests for db/t_hash: the listpack to hashtable conversion at exactly
 * Redis's thresholds (entries and value length, checked before a batch and
 * on each set), reads and writes in both encodings, iteration, random
 * access (single, with repetitions, distinct), HSCAN steps, copies, the
 * memory estimate, and the checks and thresholds applied to listpacks
 * loaded from RDB or RESTORE.
 */
#include <config.h>
#include "db/t_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "db/keyspace.h"
#include "tap.h"

static void defaults(void)
{
    db_env.hash_max_listpack_entries = 128;
    db_env.hash_max_listpack_value = 64;
}

static bool set(obj_t *o, const char *f, const char *v)
{
    return thash_set(o, f, strlen(f), v, strlen(v));
}

/* The value of f as a C string ("(nil)" when missing), in a static buffer. */
static const char *get(obj_t *o, const char *f)
{
    static char out[256];
    thash_str_t v;
    if (!thash_get(o, f, strlen(f), &v))
        return "(nil)";
    snprintf(out, sizeof(out), "%.*s", (int)v.n, v.p);
    return out;
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- conversion thresholds ------------------------------------------------ */

static void test_entries_threshold(void)
{
    subtest("entries threshold");
    defaults();
    obj_t *o = thash_new();
    is_int(o->encoding, OBJ_ENC_LISTPACK, "a new hash is a listpack");
    char f[32], v[32];
    for (int i = 0; i < 128; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        snprintf(v, sizeof(v), "%d", i * 7);
        set(o, f, v);
    }
    is_int(o->encoding, OBJ_ENC_LISTPACK, "128 fields stay a listpack");
    ok(!set(o, "f5", "updated"), "updating is not adding");
    is_int(o->encoding, OBJ_ENC_LISTPACK, "an update at the limit keeps the listpack");
    ok(set(o, "f128", "x"), "the 129th field is new");
    is_int(o->encoding, OBJ_ENC_HT, "129 fields make a hashtable");
    is_int(thash_len(o), 129, "len 129");
    is_str(get(o, "f5"), "updated", "values survive the conversion");
    is_str(get(o, "f127"), "889", "integer values survive as text");
    thash_delete(o, "f128", 4);
    thash_delete(o, "f127", 4);
    is_int(o->encoding, OBJ_ENC_HT, "no conversion back after deletes");
    obj_decref(o);

    db_env.hash_max_listpack_entries = 0;
    o = thash_new();
    set(o, "a", "1");
    is_int(o->encoding, OBJ_ENC_HT, "entries 0: the first field converts");
    obj_decref(o);
    defaults();
}

static void test_value_threshold(void)
{
    subtest("value length threshold");
    defaults();
    char *s64 = repeat('v', 64), *s65 = repeat('v', 65);
    obj_t *o = thash_new();
    set(o, "a", s64);
    is_int(o->encoding, OBJ_ENC_LISTPACK, "a 64-byte value stays");
    set(o, s64, "b");
    is_int(o->encoding, OBJ_ENC_LISTPACK, "a 64-byte field stays");
    set(o, "c", s65);
    is_int(o->encoding, OBJ_ENC_HT, "a 65-byte value converts");
    is_str(get(o, "a"), s64, "old values kept");
    obj_decref(o);

    o = thash_new();
    set(o, s65, "x");
    is_int(o->encoding, OBJ_ENC_HT, "a 65-byte field converts");
    obj_decref(o);

    o = thash_new();
    set(o, "a", "1");
    thash_prepare(o, 64, 1000);
    is_int(o->encoding, OBJ_ENC_LISTPACK, "prepare with 64 bytes keeps");
    thash_prepare(o, 65, 65);
    is_int(o->encoding, OBJ_ENC_HT, "prepare with 65 bytes converts");
    thash_prepare(o, 1, 1);
    is_int(o->encoding, OBJ_ENC_HT, "prepare on a hashtable is a no-op");
    obj_decref(o);

    o = thash_new();
    thash_prepare(o, 10, (size_t)1 << 30);
    is_int(o->encoding, OBJ_ENC_HT, "prepare past the listpack safety size converts");
    obj_decref(o);

    db_env.hash_max_listpack_value = 0;
    o = thash_new();
    set(o, "", "");
    is_int(o->encoding, OBJ_ENC_LISTPACK, "value 0: empty strings stay");
    set(o, "a", "");
    is_int(o->encoding, OBJ_ENC_HT, "value 0: one byte converts");
    obj_decref(o);
    defaults();
    free(s64);
    free(s65);
}

/* ---- reads and writes in both encodings ------------------------------------ */

static void check_rw(obj_t *o, const char *enc)
{
    ok(set(o, "name", "redis"), "%s: new field", enc);
    ok(!set(o, "name", "ha"), "%s: update", enc);
    is_str(get(o, "name"), "ha", "%s: get", enc);
    set(o, "n", "0123");
    set(o, "i", "-9223372036854775808");
    set(o, "", "empty field");
    set(o, "bin", "a\001b");
    is_str(get(o, "n"), "0123", "%s: non-canonical number kept as text", enc);
    is_str(get(o, "i"), "-9223372036854775808", "%s: int64 min", enc);
    is_str(get(o, ""), "empty field", "%s: empty field name", enc);
    ok(thash_exists(o, "bin", 3) && !thash_exists(o, "bi", 2), "%s: exists", enc);
    is_int(thash_len(o), 5, "%s: len", enc);
    ok(thash_delete(o, "n", 1), "%s: delete", enc);
    ok(!thash_delete(o, "n", 1), "%s: delete again", enc);
    is_str(get(o, "n"), "(nil)", "%s: deleted is gone", enc);
    is_int(thash_len(o), 4, "%s: len after delete", enc);
    thash_str_t v;
    ok(thash_get(o, "i", 1, &v) && v.n == 20, "%s: strlen of a listpack integer", enc);
}

static void test_read_write(void)
{
    subtest("reads and writes");
    defaults();
    obj_t *o = thash_new();
    check_rw(o, "listpack");
    is_int(o->encoding, OBJ_ENC_LISTPACK, "still a listpack");
    obj_decref(o);
    o = thash_new();
    thash_convert_to_ht(o);
    is_int(o->encoding, OBJ_ENC_HT, "converted empty hash");
    check_rw(o, "hashtable");
    obj_decref(o);
}

static void test_delete_shrinks(void)
{
    subtest("deletes in a hashtable");
    defaults();
    obj_t *o = thash_new();
    char f[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(f, sizeof(f), "field:%d", i);
        set(o, f, "v");
    }
    size_t before = dict_slots(o->ptr);
    for (int i = 0; i < 4990; i++) {
        snprintf(f, sizeof(f), "field:%d", i);
        thash_delete(o, f, strlen(f));
    }
    ok(dict_slots(o->ptr) < before, "the table shrinks (%zu -> %zu)", before,
       dict_slots(o->ptr));
    is_int(thash_len(o), 10, "10 left");
    is_str(get(o, "field:4995"), "v", "a survivor");
    obj_decref(o);
}

/* ---- iteration ---------------------------------------------------------- */

static void test_iteration(void)
{
    subtest("iteration");
    defaults();
    obj_t *o = thash_new();
    static const char *const fields[] = {"z", "a", "17", "m", "-3"};
    for (size_t i = 0; i < 5; i++)
        set(o, fields[i], fields[i]);
    thash_iter_t it;
    thash_str_t f, v;
    size_t n = 0;
    bool order = true;
    thash_iter_init(&it, o);
    while (thash_iter_next(&it, &f, &v)) {
        if (n >= 5 || f.n != strlen(fields[n]) || memcmp(f.p, fields[n], f.n) != 0 ||
            v.n != f.n || memcmp(v.p, f.p, f.n) != 0)
            order = false;
        n++;
    }
    thash_iter_destroy(&it);
    ok(order && n == 5, "a listpack iterates in insertion order");

    thash_convert_to_ht(o);
    int seen[5] = {0};
    thash_iter_init(&it, o);
    while (thash_iter_next(&it, &f, NULL))
        for (size_t i = 0; i < 5; i++)
            if (f.n == strlen(fields[i]) && memcmp(f.p, fields[i], f.n) == 0)
                seen[i]++;
    thash_iter_destroy(&it);
    ok(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1 && seen[4] == 1,
       "a hashtable yields each field once");
    obj_decref(o);
}

/* ---- random access ------------------------------------------------------ */

typedef struct picks {
    obj_t *o;
    int counts[300];
    size_t total;
    bool values_ok;
} picks_t;

static void record(picks_t *p, const thash_str_t *f, const thash_str_t *v)
{
    int i = 0;
    for (size_t j = 1; j < f->n; j++)
        i = i * 10 + (f->p[j] - '0');
    char want[32];
    snprintf(want, sizeof(want), "%d", i * 3);
    if (v->n != strlen(want) || memcmp(v->p, want, v->n) != 0)
        p->values_ok = false;
    p->counts[i]++;
    p->total++;
}

static void visit(void *arg, const thash_str_t *f, const thash_str_t *v)
{
    record(arg, f, v);
}

static bool visit_all(void *arg, const thash_str_t *f, const thash_str_t *v)
{
    record(arg, f, v);
    return true;
}

static bool visit_until_10(void *arg, const thash_str_t *f, const thash_str_t *v)
{
    record(arg, f, v);
    return ((picks_t *)arg)->total < 10;
}

static obj_t *numbered_hash(int n, bool ht)
{
    obj_t *o = thash_new();
    for (int i = 0; i < n; i++) {
        char f[32], v[32];
        snprintf(f, sizeof(f), "f%d", i);
        snprintf(v, sizeof(v), "%d", i * 3);
        set(o, f, v);
    }
    if (ht)
        thash_convert_to_ht(o);
    return o;
}

static void check_random(int n, bool ht)
{
    const char *enc = ht ? "hashtable" : "listpack";
    obj_t *o = numbered_hash(n, ht);
    picks_t p = {.o = o, .values_ok = true};
    for (int i = 0; i < 60 * n; i++) {
        thash_str_t f, v;
        thash_random(o, &f, &v);
        record(&p, &f, &v);
    }
    int hit = 0;
    for (int i = 0; i < n; i++)
        hit += p.counts[i] > 0;
    ok(p.values_ok && hit == n, "%s of %d: single picks reach every field", enc, n);

    memset(&p, 0, sizeof(p));
    p.values_ok = true;
    thash_random_pairs(o, 5000, visit_all, &p);
    ok(p.values_ok && p.total == 5000, "%s of %d: 5000 picks with repetitions", enc, n);
    memset(&p, 0, sizeof(p));
    p.values_ok = true;
    thash_random_pairs(o, 5000, visit_until_10, &p);
    is_int(p.total, 10, "%s of %d: picking stops when told", enc, n);

    size_t counts[] = {1, (size_t)n / 3, (size_t)n / 3 + 1, (size_t)n - 1};
    for (size_t k = 0; k < 4; k++) {
        memset(&p, 0, sizeof(p));
        p.values_ok = true;
        thash_random_distinct(o, counts[k], visit, &p);
        bool distinct = true;
        for (int i = 0; i < n; i++)
            distinct = distinct && p.counts[i] <= 1;
        ok(p.values_ok && distinct && p.total == counts[k],
           "%s of %d: %zu distinct picks", enc, n, counts[k]);
    }
    obj_decref(o);
}

static void test_random(void)
{
    subtest("random access");
    defaults();
    check_random(20, false);
    check_random(20, true);
    check_random(300, true);
}

/* ---- scan ------------------------------------------------------------ */

static void test_scan(void)
{
    subtest("scan");
    defaults();
    obj_t *o = numbered_hash(50, false);
    picks_t p = {.o = o, .values_ok = true};
    is_int(thash_scan(o, 0, 1, visit, &p), 0, "a listpack is scanned in one call");
    is_int(p.total, 50, "every field at once");
    obj_decref(o);

    o = numbered_hash(300, true);
    memset(&p, 0, sizeof(p));
    p.values_ok = true;
    uint64_t cursor = 0;
    int calls = 0;
    do {
        cursor = thash_scan(o, cursor, 10, visit, &p);
        calls++;
    } while (cursor != 0 && calls < 1000);
    int missing = 0;
    for (int i = 0; i < 300; i++)
        missing += p.counts[i] == 0;
    ok(cursor == 0 && missing == 0 && p.values_ok, "a hashtable scan covers every field");
    ok(calls > 10, "in several steps (%d)", calls);
    obj_decref(o);
}

/* ---- copies and memory -------------------------------------------------- */

static bool same_content(obj_t *a, obj_t *b)
{
    if (thash_len(a) != thash_len(b))
        return false;
    thash_iter_t it;
    thash_str_t f, v, w;
    bool same = true;
    thash_iter_init(&it, a);
    while (same && thash_iter_next(&it, &f, &v))
        same = thash_get(b, f.p, f.n, &w) && w.n == v.n && memcmp(w.p, v.p, v.n) == 0;
    thash_iter_destroy(&it);
    return same;
}

static void test_dup_and_memory(void)
{
    subtest("copies and memory usage");
    defaults();
    for (int ht = 0; ht < 2; ht++) {
        obj_t *o = numbered_hash(40, ht);
        obj_t *copy = obj_dup(o);
        ok(copy != NULL && copy->encoding == o->encoding && same_content(o, copy),
           "%s copy is equal", ht ? "hashtable" : "listpack");
        set(copy, "f1", "changed");
        is_str(get(o, "f1"), "3", "the original is untouched");
        size_t mem = obj_mem_usage(o, 5), all = obj_mem_usage(o, 0);
        ok(mem > 40 * 2 && all > 40 * 2, "memory usage is plausible (%zu, %zu)", mem, all);
        if (!ht)
            is_int(mem, alloc_size(o) + alloc_size(o->ptr), "listpack usage is object + blob");
        obj_decref(copy);
        obj_decref(o);
    }
}

/* ---- loading ------------------------------------------------------------ */

static void test_loading(void)
{
    subtest("listpacks from RDB or RESTORE");
    defaults();
    uint8_t *lp = lp_new();
    static const char *const items[] = {"a", "1", "b", "x", "1", "2"};
    for (size_t i = 0; i < 6; i++)
        lp = lp_append(lp, items[i], strlen(items[i]));
    is_int(thash_validate_listpack(lp, lp_bytes(lp)), 0, "pairs validate");
    ok(thash_validate_listpack(lp, lp_bytes(lp) - 1) != 0, "a truncated blob fails");
    uint8_t *odd = lp_append(lp_dup(lp), "c", 1);
    ok(thash_validate_listpack(odd, lp_bytes(odd)) != 0, "an odd count fails");
    lp_free(odd);
    uint8_t *dup = lp_append(lp_append(lp_dup(lp), "1", 1), "z", 1);
    ok(thash_validate_listpack(dup, lp_bytes(dup)) != 0, "a repeated integer field fails");
    lp_free(dup);
    dup = lp_append(lp_append(lp_dup(lp), "b", 1), "a", 1);
    ok(thash_validate_listpack(dup, lp_bytes(dup)) != 0, "a repeated string field fails");
    lp_free(dup);
    uint8_t *values = lp_append(lp_append(lp_dup(lp), "c", 1), "1", 1);
    is_int(thash_validate_listpack(values, lp_bytes(values)), 0, "repeated values are fine");
    lp_free(values);

    obj_t *o = thash_from_listpack(lp);
    ok(o->encoding == OBJ_ENC_LISTPACK && thash_len(o) == 3, "small listpack adopted");
    is_str(get(o, "1"), "2", "adopted content readable");
    obj_decref(o);

    db_env.hash_max_listpack_entries = 2;
    lp = lp_append(lp_append(lp_new(), "a", 1), "1", 1);
    lp = lp_append(lp_append(lp, "b", 1), "2", 1);
    o = thash_from_listpack(lp_dup(lp));
    is_int(o->encoding, OBJ_ENC_LISTPACK, "at the entries limit stays a listpack");
    obj_decref(o);
    lp = lp_append(lp_append(lp, "c", 1), "3", 1);
    o = thash_from_listpack(lp);
    ok(o->encoding == OBJ_ENC_HT && thash_len(o) == 3, "past the entries limit converts");
    obj_decref(o);
    defaults();
    char *s65 = repeat('v', 65);
    lp = lp_append(lp_append(lp_new(), "a", 1), s65, 65);
    o = thash_from_listpack(lp);
    ok(o->encoding == OBJ_ENC_HT && strcmp(get(o, "a"), s65) == 0,
       "a value past the length limit converts");
    obj_decref(o);
    free(s65);
}

int main(void)
{
    srandom(4242);
    test_entries_threshold();
    test_value_threshold();
    test_read_write();
    test_delete_shrinks();
    test_iteration();
    test_random();
    test_scan();
    test_dup_and_memory();
    test_loading();
    return done_testing();
}
