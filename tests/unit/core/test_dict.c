#include <config.h>
#include "core/dict.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/str.h"
#include "tap.h"

/* ===================================================================== */
/* Dict types used by the tests                                           */
/* ===================================================================== */

/* str_t keys hashed by content; the dict frees keys and values. */
static uint64_t str_hash(const void *k)
{
    const str_t *s = k;
    return dict_hash_bytes(s->buf, s->len);
}

static int str_key_eq(const void *a, const void *b)
{
    const str_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->buf, y->buf, x->len) == 0;
}

static void str_destroy(void *p)
{
    str_free(p);
}

static const dict_type_t str_type = {
    .hash = str_hash,
    .key_eq = str_key_eq,
    .key_free = str_destroy,
    .val_free = str_destroy,
};

/* Integer keys stored in the pointer itself; nothing to free. */
static uint64_t int_hash(const void *k)
{
    uintptr_t u = (uintptr_t)k;
    return dict_hash_bytes(&u, sizeof(u));
}

static const dict_type_t int_type = {.hash = int_hash};

#define IKEY(i) ((void *)(uintptr_t)(i))
#define KEYI(p) ((size_t)(uintptr_t)(p))

static str_t *key_str(size_t i)
{
    return str_fmt("key:%zu", i);
}

/* Adds keys first..last (inclusive) to an int dict. */
static void add_range(dict_t *d, size_t first, size_t last)
{
    for (size_t i = first; i <= last; i++) {
        int rc = dict_add(d, IKEY(i), IKEY(i * 2));
        if (rc != 0)
            diag("add %zu failed: %d", i, rc);
    }
}

/* ===================================================================== */
/* Basic operations                                                       */
/* ===================================================================== */

#define MANY 100000

static void test_many_str_keys(void)
{
    subtest("add, find and delete 100k str keys");
    size_t mem0 = alloc_used();
    dict_t *d = dict_new(&str_type);
    int bad = 0;
    for (size_t i = 0; i < MANY; i++)
        bad += dict_add(d, key_str(i), str_fmt("val:%zu", i)) != 0;
    is_int(bad, 0, "all adds succeed");
    is_int(dict_size(d), MANY, "size is %d", MANY);

    str_t *dup = key_str(77), *dupval = str_new_cstr("x");
    is_int(dict_add(d, dup, dupval), -EEXIST, "duplicate add is -EEXIST");
    dict_entry_t *existing = NULL;
    ok(dict_add_raw(d, dup, &existing) == NULL, "duplicate add_raw is NULL");
    is_str(existing ? ((str_t *)existing->v.val)->buf : NULL, "val:77",
           "add_raw reports the existing entry");
    str_free(dup);
    str_free(dupval);

    bad = 0;
    for (size_t i = 0; i < MANY; i++) {
        str_t *k = key_str(i), *want = str_fmt("val:%zu", i);
        str_t *got = dict_fetch(d, k);
        bad += got == NULL || str_cmp(got, want) != 0;
        str_free(k);
        str_free(want);
    }
    is_int(bad, 0, "every key is found with its value");

    bad = 0;
    for (size_t i = 0; i < MANY; i += 2) {
        str_t *k = key_str(i);
        bad += dict_delete(d, k) != 0;
        bad += dict_delete(d, k) != -ENOENT;
        str_free(k);
    }
    is_int(bad, 0, "deleting even keys works once, then is -ENOENT");
    is_int(dict_size(d), MANY / 2, "half the keys remain");
    bad = 0;
    for (size_t i = 0; i < MANY; i++) {
        str_t *k = key_str(i);
        bad += (dict_find(d, k) != NULL) != (i % 2 == 1);
        str_free(k);
    }
    is_int(bad, 0, "exactly the odd keys are found");
    dict_free(d);
    is_int(alloc_used(), mem0, "dict_free releases all memory");
}

static void test_entry_ops(void)
{
    subtest("set_val, unlink, free_unlinked");
    dict_t *d = dict_new(&str_type);
    str_t *none = str_new_cstr("nothing");
    ok(dict_find(d, none) == NULL, "find on an empty dict");
    is_int(dict_delete(d, none), -ENOENT, "delete on an empty dict");
    str_free(none);
    str_t *k = str_new_cstr("a");
    dict_entry_t *e = dict_add_raw(d, k, NULL);
    ok(e != NULL && e->v.val == NULL, "add_raw returns an entry with no value");
    dict_set_val(d, e, str_new_cstr("one"));
    dict_set_val(d, e, str_new_cstr("two"));
    dict_set_val(d, e, e->v.val);
    str_t *probe = str_new_cstr("a");
    is_str(((str_t *)dict_fetch(d, probe))->buf, "two",
           "set_val replaces (and frees) the old value");
    dict_entry_t *u = dict_unlink(d, probe);
    ok(u != NULL && u->key == k, "unlink returns the entry");
    is_int(dict_size(d), 0, "unlinked entry is gone");
    ok(dict_unlink(d, probe) == NULL, "second unlink finds nothing");
    dict_free_unlinked(d, u);
    dict_free_unlinked(d, NULL);
    str_free(probe);
    dict_free(d);
}

static void test_rehash(void)
{
    subtest("incremental rehash");
    dict_t *d = dict_new(&int_type);
    add_range(d, 1, 1024);
    ok(!dict_is_rehashing(d), "1024 keys in 1024 slots: not rehashing");
    is_int(dict_slots(d), 1024, "1024 slots");
    add_range(d, 1025, 1025);
    ok(dict_is_rehashing(d), "the next add starts a rehash");
    is_int(dict_slots(d), 1024 + 2048, "both tables exist");

    int bad = 0, mid = 0;
    for (size_t i = 1; i <= 1025; i++) {
        mid += dict_is_rehashing(d);
        bad += dict_fetch(d, IKEY(i)) != IKEY(i * 2);
    }
    is_int(bad, 0, "every key is found while rehashing");
    ok(mid > 500, "most finds ran mid-rehash (%d)", mid);
    ok(dict_fetch(d, IKEY(5000)) == NULL, "missing key not found");

    while (dict_rehash(d, 10))
        ;
    ok(!dict_is_rehashing(d), "dict_rehash finishes the move");
    is_int(dict_slots(d), 2048, "2048 slots after rehash");
    is_int(dict_size(d), 1025, "size unchanged");

    is_int(dict_expand(d, 100000), 0, "explicit expand");
    ok(dict_is_rehashing(d), "expand starts a rehash");
    is_int(dict_expand(d, 200000), -EINVAL, "no expand while rehashing");
    dict_rehash_ms(d, 100);
    ok(!dict_is_rehashing(d), "dict_rehash_ms finishes it");
    is_int(dict_slots(d), 131072, "expanded to a power of two");

    /* A safe iterator holds rehashing still. */
    is_int(dict_shrink_to_fit(d), 0, "shrink_to_fit");
    ok(dict_is_rehashing(d), "shrink starts a rehash");
    dict_iter_t it;
    dict_iter_init(&it, d, true);
    ok(dict_iter_next(&it) != NULL, "safe iterator started");
    int64_t idx = d->rehash_idx;
    bad = 0;
    for (size_t i = 1; i <= 100; i++)
        bad += dict_fetch(d, IKEY(i)) == NULL;
    is_int(d->rehash_idx, idx, "no rehash steps while a safe iterator runs");
    is_int(dict_rehash(d, 100), 1, "explicit rehash is paused too");
    dict_iter_destroy(&it);
    is_int(bad, 0, "finds work while rehashing is paused");
    while (dict_rehash(d, 100))
        ;
    is_int(dict_slots(d), 2048, "shrunk to fit 1025 keys");
    is_int(dict_shrink_to_fit(d), 0, "shrink when already tight is a no-op");
    ok(!dict_is_rehashing(d), "no-op shrink starts nothing");
    dict_free(d);
}

static void test_resize_forbidden(void)
{
    subtest("resize forbidden");
    dict_t *d = dict_new(&int_type);
    dict_set_resize_allowed(false);
    add_range(d, 1, 21);
    is_int(dict_slots(d), 4, "no growth up to load factor 5");
    is_int(dict_shrink_to_fit(d), -EBUSY, "shrink is refused");
    add_range(d, 22, 22);
    ok(dict_slots(d) > 4, "growth forced past load factor 5 (%zu slots)",
       dict_slots(d));
    dict_set_resize_allowed(true);
    int bad = 0;
    for (size_t i = 1; i <= 22; i++)
        bad += dict_fetch(d, IKEY(i)) != IKEY(i * 2);
    is_int(bad, 0, "all keys found");
    dict_free(d);
}

static void test_memory_per_entry(void)
{
    subtest("memory per entry");
    size_t mem0 = alloc_used();
    dict_t *d = dict_new(&int_type);
    add_range(d, 1, 65536);
    while (dict_rehash(d, 1000))
        ;
    size_t mem1 = alloc_used();
    double per = (double)(mem1 - mem0) / 65536.0;
    diag("%.1f bytes per entry at load factor %.2f (entry %zu bytes)", per,
         65536.0 / (double)dict_slots(d), sizeof(dict_entry_t));
    ok(per < 64, "under 64 bytes per entry");
    dict_free(d);
}

/* ===================================================================== */
/* Iterators                                                              */
/* ===================================================================== */

static void test_iterators(void)
{
    subtest("iterators");
    dict_t *d = dict_new(&int_type);
    dict_iter_t it;
    dict_iter_init(&it, d, false);
    ok(dict_iter_next(&it) == NULL, "empty dict iterates nothing");
    dict_iter_destroy(&it);

    add_range(d, 1, 1000);
    add_range(d, 1001, 1100); /* Leaves a rehash in progress. */
    ok(dict_is_rehashing(d), "iterating mid-rehash");
    static unsigned char seen[1101];
    memset(seen, 0, sizeof(seen));
    int n = 0, dups = 0;
    dict_iter_init(&it, d, false);
    for (dict_entry_t *e; (e = dict_iter_next(&it)) != NULL; n++)
        dups += seen[KEYI(e->key)]++ != 0;
    dict_iter_destroy(&it);
    is_int(n, 1100, "unsafe iterator visits every entry");
    is_int(dups, 0, "no entry twice");

    n = 0;
    dict_iter_init(&it, d, true);
    for (dict_entry_t *e; (e = dict_iter_next(&it)) != NULL; n++) {
        if (KEYI(e->key) % 3 != 0 && dict_delete(d, e->key) != 0)
            diag("delete failed");
    }
    dict_iter_destroy(&it);
    is_int(n, 1100, "safe iterator visits every entry while deleting");
    is_int(dict_size(d), 1100 / 3, "only multiples of 3 remain");
    is_int(d->pause_rehash, 0, "pause released");
    dict_free(d);
}

static void test_unsafe_iter_misuse(void)
{
    subtest("unsafe iterator detects modification");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* The expected INSIST message would only clutter the output. */
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(2);
        dict_t *d = dict_new(&int_type);
        add_range(d, 1, 10);
        dict_iter_t it;
        dict_iter_init(&it, d, false);
        (void)dict_iter_next(&it);
        add_range(d, 11, 11);
        dict_iter_destroy(&it);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
       "fingerprint mismatch aborts");
}

/* ===================================================================== */
/* Scan                                                                   */
/* ===================================================================== */

#define SCAN_MAX 40000

static unsigned char scan_seen[SCAN_MAX + 1];

static void mark_seen(void *arg, const dict_entry_t *e)
{
    size_t k = KEYI(e->key);
    if (k <= SCAN_MAX)
        scan_seen[k] = 1;
    ++*(size_t *)arg;
}

static int count_missing(size_t first, size_t last, size_t step)
{
    int missing = 0;
    for (size_t i = first; i <= last; i += step)
        missing += !scan_seen[i];
    return missing;
}

static void test_scan_static(void)
{
    subtest("scan of a fixed table");
    dict_t *d = dict_new(&int_type);
    size_t visits = 0;
    is_int(dict_scan(d, 0, mark_seen, &visits), 0, "empty dict ends at once");
    add_range(d, 1, 3000);
    while (dict_rehash(d, 100))
        ;
    memset(scan_seen, 0, sizeof(scan_seen));
    uint64_t cursor = 0;
    size_t calls = 0;
    do {
        cursor = dict_scan(d, cursor, mark_seen, &visits);
        calls++;
    } while (cursor != 0);
    is_int(count_missing(1, 3000, 1), 0, "every key seen");
    is_int(visits, 3000, "each exactly once without resizing");
    is_int(calls, dict_slots(d), "one call per bucket");
    dict_free(d);
}

static void test_scan_grow(void)
{
    subtest("scan while the table grows");
    dict_t *d = dict_new(&int_type);
    add_range(d, 1, 500);
    memset(scan_seen, 0, sizeof(scan_seen));
    size_t next = 501, visits = 0, calls = 0, mid = 0;
    uint64_t cursor = 0;
    do {
        mid += dict_is_rehashing(d);
        cursor = dict_scan(d, cursor, mark_seen, &visits);
        calls++;
        /* Growth is capped so the scan can catch up and end. */
        for (int j = 0; j < 3 && next <= 16000; j++, next++)
            add_range(d, next, next);
    } while (cursor != 0 && calls < 1000000);
    is_int(cursor, 0, "scan ended");
    is_int(count_missing(1, 500, 1), 0, "every original key seen");
    ok(dict_size(d) > 4000, "table grew during the scan (%zu keys)",
       dict_size(d));
    ok(mid > 0, "%zu of %zu calls ran mid-rehash", mid, calls);
    dict_free(d);
}

static void test_scan_shrink(void)
{
    subtest("scan while the table shrinks");
    dict_t *d = dict_new(&int_type);
    add_range(d, 1, 20000);
    memset(scan_seen, 0, sizeof(scan_seen));
    size_t victim = 20000, visits = 0, calls = 0, mid = 0, shrinks = 0;
    uint64_t cursor = 0;
    do {
        mid += dict_is_rehashing(d);
        cursor = dict_scan(d, cursor, mark_seen, &visits);
        calls++;
        /* Keys 1..300 stay; the rest go 200 at a time. */
        for (int j = 0; j < 200 && victim > 300; j++, victim--)
            (void)dict_delete(d, IKEY(victim));
        size_t before = dict_slots(d);
        if (!dict_is_rehashing(d) && dict_shrink_to_fit(d) == 0)
            shrinks += dict_slots(d) != before;
    } while (cursor != 0 && calls < 1000000);
    is_int(cursor, 0, "scan ended");
    is_int(count_missing(1, 300, 1), 0, "every kept key seen");
    ok(shrinks >= 3, "%zu shrinks during the scan", shrinks);
    ok(mid > 0, "%zu of %zu calls ran mid-rehash", mid, calls);
    dict_free(d);
}

static void test_scan_churn(void)
{
    subtest("scan while the table grows and shrinks");
    dict_t *d = dict_new(&int_type);
    add_range(d, 1, 2000);
    memset(scan_seen, 0, sizeof(scan_seen));
    /* Odd keys up to 2000 stay; even ones and later keys come and go. */
    static size_t extra[SCAN_MAX];
    size_t n_extra = 0, next = 2001, visits = 0, calls = 0;
    for (size_t i = 2; i <= 2000; i += 2)
        extra[n_extra++] = i;
    uint64_t cursor = 0;
    do {
        cursor = dict_scan(d, cursor, mark_seen, &visits);
        bool grow = (calls / 40) % 2 == 0;
        calls++;
        for (int j = 0; j < 40; j++) {
            if (grow && next <= SCAN_MAX) {
                add_range(d, next, next);
                extra[n_extra++] = next++;
            } else if (!grow && n_extra > 0) {
                (void)dict_delete(d, IKEY(extra[--n_extra]));
            }
        }
        if (!grow && !dict_is_rehashing(d))
            (void)dict_shrink_to_fit(d);
    } while (cursor != 0 && calls < 1000000);
    is_int(cursor, 0, "scan ended after %zu calls", calls);
    is_int(count_missing(1, 2000, 2), 0, "every stable key seen");
    dict_free(d);
}

/* ===================================================================== */
/* Random access                                                          */
/* ===================================================================== */

static void test_random_sample(void)
{
    subtest("dict_random and dict_sample");
    dict_t *d = dict_new(&int_type);
    dict_entry_t *out[64];
    ok(dict_random(d) == NULL, "random on empty is NULL");
    is_int(dict_sample(d, out, 16), 0, "sample on empty is 0");

    add_range(d, 1, 10);
    unsigned char hit[11] = {0};
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        dict_entry_t *e = dict_random(d);
        bad += e == NULL || KEYI(e->key) < 1 || KEYI(e->key) > 10;
        if (e != NULL && KEYI(e->key) <= 10)
            hit[KEYI(e->key)] = 1;
    }
    is_int(bad, 0, "random returns valid entries");
    int hits = 0;
    for (int i = 1; i <= 10; i++)
        hits += hit[i];
    is_int(hits, 10, "random reaches every key");
    is_int(dict_sample(d, out, 64), 10, "sample of more than size gets all");

    add_range(d, 11, 1000);
    add_range(d, 1001, 1100); /* Leaves a rehash in progress. */
    ok(dict_is_rehashing(d), "sampling mid-rehash");
    for (int round = 0; round < 50; round++) {
        size_t n = dict_sample(d, out, 32);
        unsigned char seen[1101] = {0};
        for (size_t i = 0; i < n; i++) {
            size_t k = KEYI(out[i]->key);
            bad += k < 1 || k > 1100 || seen[k]++ != 0;
        }
        bad += n != 32;
        dict_entry_t *e = dict_random(d);
        bad += e == NULL || KEYI(e->key) < 1 || KEYI(e->key) > 1100;
    }
    is_int(bad, 0, "samples are full, valid and distinct; random is valid");

    /* A sparse table still yields entries, with bounded work. */
    for (size_t i = 1; i <= 1100; i++)
        if (i % 100 != 0)
            (void)dict_delete(d, IKEY(i));
    size_t got = 0;
    for (int round = 0; round < 100; round++)
        got += dict_sample(d, out, 5);
    ok(got > 0, "sparse table sampled %zu entries in 100 rounds", got);
    dict_free(d);
}

/* ===================================================================== */
/* dict_empty                                                             */
/* ===================================================================== */

static void count_progress(void *arg)
{
    ++*(int *)arg;
}

static void test_empty(void)
{
    subtest("dict_empty");
    size_t mem0 = alloc_used();
    dict_t *d = dict_new(&str_type);
    is_int(dict_expand(d, 262144), 0, "expand to 2^18 slots");
    for (size_t i = 0; i < 100000; i++)
        if (dict_add(d, key_str(i), NULL) != 0)
            diag("add %zu failed", i);
    int calls = 0;
    dict_empty(d, count_progress, &calls);
    is_int(calls, 4, "progress once per 65536 buckets");
    is_int(dict_size(d), 0, "empty");
    is_int(dict_slots(d), 0, "no slots");
    ok(dict_add(d, key_str(1), NULL) == 0, "usable after dict_empty");
    dict_free(d);
    is_int(alloc_used(), mem0, "all memory released");
}

/* ===================================================================== */
/* Embedded keys                                                          */
/* ===================================================================== */

/* An embedded dict never frees keys; counting calls proves it. The key
 * itself must not be freed here, since it is part of the entry. */
static int embed_key_frees;

static void count_key_free(void *p)
{
    (void)p;
    embed_key_frees++;
}

static const dict_type_t embed_type = {
    .hash = str_hash,
    .key_eq = str_key_eq,
    .key_free = count_key_free,
    .val_free = str_destroy,
};

/* Bytes of a serialized str_t key: header, bytes and NUL. */
static size_t key_size(const str_t *k)
{
    return sizeof(str_t) + k->len + 1;
}

/* Adds "key:i" -> "val:i" from a temporary key that is freed right away, so
 * a lookup that works later proves the dict kept its own copy. */
static dict_entry_t *embed_add(dict_t *d, size_t i, dict_entry_t **existing)
{
    str_t *k = key_str(i);
    dict_entry_t *e = dict_add_embedded(d, k, key_size(k), existing);
    str_free(k);
    if (e != NULL)
        e->v.val = str_fmt("val:%zu", i);
    return e;
}

/* Whether "key:i" is present with "val:i". */
static bool embed_has(dict_t *d, size_t i)
{
    str_t *k = key_str(i), *want = str_fmt("val:%zu", i);
    str_t *got = dict_fetch(d, k);
    bool found = got != NULL && str_cmp(got, want) == 0;
    str_free(k);
    str_free(want);
    return found;
}

/* The number in an entry's "key:N" key. */
static size_t embed_key_num(const dict_entry_t *e)
{
    const str_t *k = e->key;
    return (size_t)strtoull(k->buf + 4, NULL, 10);
}

static void test_embedded_basic(void)
{
    subtest("embedded keys: add, find, delete, rehash");
    size_t mem0 = alloc_used();
    embed_key_frees = 0;
    dict_t *d = dict_new_embedded(&embed_type);
    int bad = 0, inside = 0, mid = 0;
    for (size_t i = 0; i < MANY; i++) {
        dict_entry_t *e = embed_add(d, i, NULL);
        bad += e == NULL;
        inside += e != NULL && e->key == (void *)(e + 1);
        mid += dict_is_rehashing(d);
    }
    is_int(bad, 0, "all adds succeed");
    is_int(inside, MANY, "every key lives right after its entry");
    ok(mid > 0, "%d adds ran mid-rehash", mid);
    is_int(dict_size(d), MANY, "size is %d", MANY);

    size_t before = alloc_used();
    dict_entry_t *existing = NULL;
    ok(embed_add(d, 77, &existing) == NULL, "duplicate add is NULL");
    is_str(existing ? ((str_t *)existing->v.val)->buf : NULL, "val:77",
           "duplicate add reports the existing entry");
    is_int(alloc_used(), before, "a duplicate add allocates nothing");

    bad = 0;
    for (size_t i = 0; i < MANY; i++)
        bad += !embed_has(d, i);
    is_int(bad, 0, "every key is found with its value");

    /* Entries and keys are one allocation each: a grown, fully rehashed
     * table holds entries, slots and the dict and nothing else. */
    while (dict_rehash(d, 1000))
        ;
    size_t entries = 0;
    dict_iter_t it;
    dict_iter_init(&it, d, false);
    for (dict_entry_t *e; (e = dict_iter_next(&it)) != NULL;)
        entries += alloc_size(e) + alloc_size(e->v.val);
    dict_iter_destroy(&it);
    is_int(alloc_used() - mem0,
           entries + alloc_size(d->t[0].slots) + alloc_size(d),
           "one allocation per entry and key");

    bad = 0;
    for (size_t i = 0; i < MANY; i += 2) {
        str_t *k = key_str(i);
        bad += dict_delete(d, k) != 0;
        bad += dict_delete(d, k) != -ENOENT;
        str_free(k);
    }
    is_int(bad, 0, "deleting even keys works once, then is -ENOENT");
    bad = 0;
    for (size_t i = 0; i < MANY; i++)
        bad += embed_has(d, i) != (i % 2 == 1);
    is_int(bad, 0, "exactly the odd keys are found");

    is_int(dict_shrink_to_fit(d), 0, "shrink_to_fit");
    ok(dict_is_rehashing(d), "shrink starts a rehash");
    bad = 0;
    for (size_t i = 1; i < MANY; i += 2)
        bad += !embed_has(d, i);
    is_int(bad, 0, "every odd key is found while shrinking");
    dict_rehash_ms(d, 1000);
    ok(!dict_is_rehashing(d), "rehash finished");
    is_int(dict_slots(d), 65536, "shrunk to fit 50k keys");

    is_int(embed_key_frees, 0, "key_free is never called");
    dict_free(d);
    is_int(embed_key_frees, 0, "not even by dict_free");
    is_int(alloc_used(), mem0, "dict_free releases all memory");
}

static void test_embedded_unlink(void)
{
    subtest("embedded keys: unlink, free_unlinked, set_val, long keys");
    size_t mem0 = alloc_used();
    embed_key_frees = 0;
    dict_t *d = dict_new_embedded(&embed_type);
    for (size_t i = 0; i < 10; i++)
        (void)embed_add(d, i, NULL);
    str_t *probe = key_str(3);
    dict_entry_t *u = dict_unlink(d, probe);
    ok(u != NULL && u->key == (void *)(u + 1), "unlink returns the entry");
    is_int(dict_size(d), 9, "unlinked entry is gone");
    ok(dict_find(d, probe) == NULL, "and cannot be found");
    is_str(u != NULL ? ((const str_t *)u->key)->buf : NULL, "key:3",
           "its key stays readable until freed");
    dict_free_unlinked(d, u);
    str_free(probe);

    /* A key much longer than the entry, with a NUL inside. */
    str_t *big = str_new_cap(1000);
    for (int i = 0; i < 1000; i++)
        big = str_cat(big, i == 500 ? "\0" : "x", 1);
    dict_entry_t *e = dict_add_embedded(d, big, key_size(big), NULL);
    ok(e != NULL && alloc_size(e) >= sizeof(*e) + key_size(big),
       "a 1000-byte key fits in its entry");
    if (e != NULL)
        dict_set_val(d, e, str_new_cstr("one"));
    if (e != NULL)
        dict_set_val(d, e, str_new_cstr("two"));
    str_t *copy = str_dup(big);
    str_free(big);
    is_str(((str_t *)dict_fetch(d, copy))->buf, "two", "found by content");
    copy->buf[500] = 'x';
    ok(dict_fetch(d, copy) == NULL, "the NUL byte is part of the key");
    str_free(copy);

    is_int(embed_key_frees, 0, "key_free is never called");
    dict_empty(d, NULL, NULL);
    is_int(dict_size(d), 0, "dict_empty empties it");
    ok(embed_add(d, 1, NULL) != NULL && embed_has(d, 1), "usable after dict_empty");
    dict_free(d);
    is_int(embed_key_frees, 0, "key_free is never called by dict_empty either");
    is_int(alloc_used(), mem0, "all memory released");
}

static void embed_mark_seen(void *arg, const dict_entry_t *e)
{
    size_t k = embed_key_num(e);
    if (k <= SCAN_MAX)
        scan_seen[k] = 1;
    ++*(size_t *)arg;
}

static void test_embedded_scan_random(void)
{
    subtest("embedded keys: scan while growing and shrinking, random, sample");
    size_t mem0 = alloc_used();
    dict_t *d = dict_new_embedded(&embed_type);
    for (size_t i = 1; i <= 500; i++)
        (void)embed_add(d, i, NULL);
    memset(scan_seen, 0, sizeof(scan_seen));
    size_t next = 501, visits = 0, calls = 0, mid = 0;
    uint64_t cursor = 0;
    do {
        mid += dict_is_rehashing(d);
        cursor = dict_scan(d, cursor, embed_mark_seen, &visits);
        calls++;
        for (int j = 0; j < 3 && next <= 8000; j++, next++)
            (void)embed_add(d, next, NULL);
    } while (cursor != 0 && calls < 1000000);
    is_int(cursor, 0, "growing scan ended");
    is_int(count_missing(1, 500, 1), 0, "every original key seen");
    ok(mid > 0, "%zu of %zu calls ran mid-rehash", mid, calls);

    memset(scan_seen, 0, sizeof(scan_seen));
    size_t victim = next - 1;
    cursor = 0;
    calls = 0;
    do {
        cursor = dict_scan(d, cursor, embed_mark_seen, &visits);
        calls++;
        for (int j = 0; j < 100 && victim > 300; j++, victim--) {
            str_t *k = key_str(victim);
            (void)dict_delete(d, k);
            str_free(k);
        }
        if (!dict_is_rehashing(d))
            (void)dict_shrink_to_fit(d);
    } while (cursor != 0 && calls < 1000000);
    is_int(cursor, 0, "shrinking scan ended");
    is_int(count_missing(1, 300, 1), 0, "every kept key seen");

    int bad = 0;
    dict_entry_t *out[32];
    for (int round = 0; round < 100; round++) {
        dict_entry_t *e = dict_random(d);
        bad += e == NULL || embed_key_num(e) < 1 || embed_key_num(e) > 300;
        size_t n = dict_sample(d, out, 32);
        for (size_t i = 0; i < n; i++)
            bad += embed_key_num(out[i]) < 1 || embed_key_num(out[i]) > 300;
    }
    is_int(bad, 0, "random and sample return live entries");
    dict_free(d);
    is_int(alloc_used(), mem0, "all memory released");
}

/* Plain inserts into an embedded dict (and the reverse) abort. */
static void test_embedded_misuse(void)
{
    subtest("embedded keys: misuse aborts");
    for (int mode = 0; mode < 2; mode++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            if (freopen("/dev/null", "w", stderr) == NULL)
                _exit(2);
            str_t *k = str_new_cstr("k");
            if (mode == 0) {
                dict_t *d = dict_new_embedded(&embed_type);
                (void)dict_add_raw(d, k, NULL);
            } else {
                dict_t *d = dict_new(&str_type);
                (void)dict_add_embedded(d, k, key_size(k), NULL);
            }
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
           mode == 0 ? "dict_add_raw on an embedded dict aborts"
                     : "dict_add_embedded on a plain dict aborts");
    }
}

/* ===================================================================== */
/* SipHash                                                                */
/* ===================================================================== */

/* A second SipHash-c-d written byte by byte, checked against the paper's
 * SipHash-2-4 vectors, then used as the reference for SipHash-1-2. */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void ref_round(uint64_t *a, uint64_t *b, uint64_t *c, uint64_t *e)
{
    *a += *b, *b = ROTL(*b, 13), *b ^= *a, *a = ROTL(*a, 32);
    *c += *e, *e = ROTL(*e, 16), *e ^= *c;
    *a += *e, *e = ROTL(*e, 21), *e ^= *a;
    *c += *b, *b = ROTL(*b, 17), *b ^= *c, *c = ROTL(*c, 32);
}

static uint64_t ref_siphash(const uint8_t *m, size_t len, const uint8_t k[16],
                            int crounds, int drounds)
{
    uint64_t k0 = 0, k1 = 0;
    for (int i = 7; i >= 0; i--) {
        k0 = (k0 << 8) | k[i];
        k1 = (k1 << 8) | k[i + 8];
    }
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    uint64_t word = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len)
            word |= (uint64_t)(len & 0xff) << 56;
        else
            word |= (uint64_t)m[i] << (8 * (i % 8));
        if (i % 8 == 7 || i == len) {
            v3 ^= word;
            for (int r = 0; r < crounds; r++)
                ref_round(&v0, &v1, &v2, &v3);
            v0 ^= word;
            word = 0;
        }
    }
    v2 ^= 0xff;
    for (int r = 0; r < drounds; r++)
        ref_round(&v0, &v1, &v2, &v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

static void test_siphash(void)
{
    subtest("SipHash-1-2");
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    ok(ref_siphash(msg, 15, key, 2, 4) == 0xa129ca6149be45e5ULL,
       "reference matches the paper's SipHash-2-4 vector");
    ok(ref_siphash(msg, 0, key, 2, 4) == 0x726fdb47dd0e0e31ULL,
       "reference matches SipHash-2-4 of the empty message");

    dict_set_hash_seed(key);
    int bad = 0;
    for (size_t len = 0; len <= 64; len++)
        bad += dict_hash_bytes(msg, len) != ref_siphash(msg, len, key, 1, 2);
    is_int(bad, 0, "dict_hash_bytes is SipHash-1-2 for lengths 0..64");
    ok(dict_hash_bytes("hello", 5) == dict_hash_bytes("hello", 5),
       "deterministic");
    ok(dict_hash_bytes("hello", 5) != dict_hash_bytes("hellp", 5),
       "one byte changes the hash");

    uint64_t h1 = dict_hash_bytes("hello", 5);
    uint8_t key2[16];
    memcpy(key2, key, 16);
    key2[15] ^= 1;
    dict_set_hash_seed(key2);
    ok(dict_hash_bytes("hello", 5) != h1, "seed changes the hash");
    dict_set_hash_seed(key);
    ok(dict_hash_bytes("hello", 5) == h1, "same seed, same hash");

    const char *mixed = "Hello-WORLD_[@Z]az{0123456789}";
    const char *lower = "hello-world_[@z]az{0123456789}";
    size_t n = strlen(mixed);
    ok(dict_hash_bytes_nocase(mixed, n) == dict_hash_bytes(lower, n),
       "nocase folds A-Z only");
    ok(dict_hash_bytes_nocase(lower, n) == dict_hash_bytes(lower, n),
       "nocase of lower case equals the plain hash");
    ok(dict_hash_bytes_nocase("\xc0\xdd", 2) == dict_hash_bytes("\xc0\xdd", 2),
       "bytes outside ASCII are not folded");
    ok(dict_hash_bytes_nocase("[", 1) != dict_hash_bytes("{", 1),
       "'[' is not folded to '{'");
}

int main(void)
{
    test_siphash();
    test_many_str_keys();
    test_entry_ops();
    test_rehash();
    test_resize_forbidden();
    test_memory_per_entry();
    test_iterators();
    test_unsafe_iter_misuse();
    test_scan_static();
    test_scan_grow();
    test_scan_shrink();
    test_scan_churn();
    test_random_sample();
    test_empty();
    test_embedded_basic();
    test_embedded_unlink();
    test_embedded_scan_random();
    test_embedded_misuse();
    return done_testing();
}
