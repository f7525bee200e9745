/*
 * Unit tests for the keyspace operations the generic commands rely on:
 * db_move_key (RENAME, MOVE), obj_dup (COPY), and the hooks db_empty and
 * db_swap fire (FLUSHDB, FLUSHALL, SWAPDB); the compact embstr layout; and
 * the keys embedded in their dict entries, which the expires dict borrows, so
 * every removal path must drop the expire entry first (a sanitizer build
 * turns a slip into a use-after-free report).
 */
#include <config.h>
#include "db/keyspace.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "db/object.h"
#include "tap.h"

static int modified_calls;
static char last_modified[64];
static int replacing_calls;
static db_t *replacing_with[4];

static void on_modified(db_t *db, const str_t *key)
{
    (void)db;
    modified_calls++;
    snprintf(last_modified, sizeof(last_modified), "%.*s", (int)key->len, key->buf);
}

static void on_replacing(db_t *db, db_t *with)
{
    (void)db;
    if (replacing_calls < 4)
        replacing_with[replacing_calls] = with;
    replacing_calls++;
}

static key_ref_t k(const char *s)
{
    return key_ref(s, strlen(s));
}

static const char *value_of(db_t *db, const char *key, char *tmp)
{
    obj_t *o = db_lookup_quiet(db, k(key));
    if (o == NULL)
        return NULL;
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    return p;
}

static void test_move_key(db_t *dbs)
{
    char tmp[STRCONV_BUF];
    db_add(&dbs[0], k("a"), obj_new_string("hello", 5));
    db_set_expire(&dbs[0], k("a"), db_env.now_ms + 5000);
    obj_t *before = db_lookup_quiet(&dbs[0], k("a"));
    before->lru = 12345;
    modified_calls = 0;
    db_move_key(&dbs[0], k("a"), &dbs[0], k("b"));
    ok(db_lookup_quiet(&dbs[0], k("a")) == NULL, "rename: the old name is gone");
    obj_t *after = db_lookup_quiet(&dbs[0], k("b"));
    ok(after == before, "rename: the same value object moved");
    is_int(after->refcount, 1, "rename: the refcount is back to one");
    is_int(after->lru, 12345, "rename: the access clock is kept");
    is_int(db_get_expire(&dbs[0], k("b")), db_env.now_ms + 5000, "rename: the TTL moved");
    is_int(db_get_expire(&dbs[0], k("a")), -1, "rename: no TTL left on the old name");
    is_int(modified_calls, 2, "rename: the hook fired for both keys");
    is_str(last_modified, "a", "rename: the source is signalled last");
    is_int((long long)dict_size(dbs[0].expires), 1, "rename: one expires entry");

    db_move_key(&dbs[0], k("b"), &dbs[1], k("b"));
    ok(db_size(&dbs[0]) == 0 && db_size(&dbs[1]) == 1, "move: the key changed db");
    is_str(value_of(&dbs[1], "b", tmp), "hello", "move: the value is there");
    is_int(db_get_expire(&dbs[1], k("b")), db_env.now_ms + 5000, "move: the TTL moved");
    is_int((long long)dict_size(dbs[0].expires), 0, "move: nothing left in the old expires");

    db_add(&dbs[1], k("nottl"), obj_new_string("x", 1));
    db_move_key(&dbs[1], k("nottl"), &dbs[0], k("nottl2"));
    is_int(db_get_expire(&dbs[0], k("nottl2")), -1, "move without a TTL adds none");
}

static void test_dup(void)
{
    char tmp[STRCONV_BUF], tmp2[STRCONV_BUF];
    const char *vals[] = {"12345", "short", "a value that is much longer than forty-four bytes"};
    int encs[] = {OBJ_ENC_INT, OBJ_ENC_EMBSTR, OBJ_ENC_RAW};
    for (int i = 0; i < 3; i++) {
        obj_t *o = obj_new_string(vals[i], strlen(vals[i]));
        is_int(o->encoding, encs[i], "source encoding %d", i);
        obj_incref(o);
        obj_t *d = obj_dup(o);
        ok(d != NULL && d != o, "dup %d: a new object", i);
        is_int(d->encoding, encs[i], "dup %d: same encoding", i);
        is_int(d->refcount, 1, "dup %d: refcount one", i);
        size_t n1, n2;
        const char *p1 = obj_string_bytes(o, tmp, &n1);
        const char *p2 = obj_string_bytes(d, tmp2, &n2);
        ok(n1 == n2 && memcmp(p1, p2, n1) == 0, "dup %d: same bytes", i);
        if (o->encoding != OBJ_ENC_INT)
            ok(p1 != p2, "dup %d: bytes not shared", i);
        obj_decref(d);
        obj_decref(o);
        obj_decref(o);
    }
    obj_t *list = obj_new(OBJ_LIST, OBJ_ENC_QUICKLIST, NULL);
    ok(obj_dup(list) == NULL, "a type without a copy function gives NULL");
    alloc_free(list);
}

static void test_hooks(db_t *dbs)
{
    db_add(&dbs[0], k("x"), obj_new_string("1", 1));
    replacing_calls = 0;
    db_swap(&dbs[0], &dbs[1]);
    is_int(replacing_calls, 2, "swap: the hook fired for each side");
    ok(replacing_with[0] == &dbs[1] && replacing_with[1] == &dbs[0], "swap: with the other db");
    ok(db_lookup_quiet(&dbs[1], k("x")) != NULL, "swap: contents exchanged");
    replacing_calls = 0;
    long long n = db_empty(&dbs[1]);
    ok(n >= 1 && db_size(&dbs[1]) == 0, "empty: returns the count and empties");
    is_int(replacing_calls, 1, "empty: the hook fired once");
    ok(replacing_with[0] == NULL, "empty: with NULL");
}

/* ---- compact embstr ---------------------------------------------------- */

static void test_embstr(void)
{
    char tmp[STRCONV_BUF], text[64];
    int bad = 0;
    for (size_t n = 0; n <= 45; n++) {
        for (size_t i = 0; i < n; i++)
            text[i] = (char)(i == 3 ? '\0' : 'a' + (int)(i % 26));
        size_t mem0 = alloc_used();
        obj_t *o = obj_new_string_noint(text, n);
        bad += o->encoding != (n <= OBJ_EMBSTR_MAX ? OBJ_ENC_EMBSTR : OBJ_ENC_RAW);
        size_t len;
        const char *p = obj_string_bytes(o, tmp, &len);
        bad += len != n || memcmp(p, text, n) != 0 || p[n] != '\0';
        bad += obj_string_len(o) != n;
        if (n <= OBJ_EMBSTR_MAX) {
            /* One allocation: object, length byte, bytes and NUL. */
            bad += alloc_used() - mem0 != alloc_size(o);
            bad += alloc_size(o) < sizeof(obj_t) + 1 + n + 1;
            bad += obj_mem_usage(o, 0) != alloc_size(o);
        }
        obj_t *d = obj_dup(o);
        p = obj_string_bytes(d, tmp, &len);
        bad += d->encoding != o->encoding || len != n || memcmp(p, text, n) != 0;
        obj_decref(d);
        obj_decref(o);
        bad += alloc_used() != mem0;
    }
    is_int(bad, 0, "embstr of 0..44 bytes (45 is raw): bytes, length, one allocation");

    obj_t *o = obj_new_string_noint("-42", 3);
    long long v = 0;
    ok(o->encoding == OBJ_ENC_EMBSTR && obj_string_to_ll(o, &v) == 0 && v == -42,
       "an embstr holding a number parses");
    obj_decref(o);
    o = obj_new_string("value:123456", 12);
    /* 16 + 1 + 12 + 1 = 30 bytes: jemalloc's 32-byte class, as in Redis. */
    if (strncmp(alloc_name(), "jemalloc", 8) == 0)
        is_int(alloc_size(o), 32, "a 12-byte embstr takes 32 bytes");
    else
        ok(alloc_size(o) >= 30, "a 12-byte embstr takes 30 bytes or more");
    obj_decref(o);
}

/* ---- embedded keys and the expires dict -------------------------------- */

static key_ref_t numbered(char *buf, size_t size, const char *prefix, int i)
{
    int n = snprintf(buf, size, "%s%d", prefix, i);
    return key_ref(buf, (size_t)n);
}

/* Adds key:first..key:last to db, every other one with a TTL at when. */
static void add_keys(db_t *db, int first, int last, int64_t when)
{
    char kb[32];
    for (int i = first; i <= last; i++) {
        key_ref_t key = numbered(kb, sizeof(kb), "key:", i);
        db_add(db, key, obj_new_string("value", 5));
        if (i % 2 == 0)
            db_set_expire(db, key, when);
    }
}

static void test_key_memory(db_t *dbs)
{
    db_empty(&dbs[0]);
    db_empty(&dbs[1]);
    size_t mem0 = alloc_used();
    char kb[32];

    /* One allocation holds the entry and the key. */
    db_add(&dbs[0], k("seed"), obj_new_string("v", 1));
    size_t mem1 = alloc_used();
    db_add(&dbs[0], k("key:123456"), obj_new_string("value:123456", 12));
    obj_t *v = db_lookup_quiet(&dbs[0], k("key:123456"));
    size_t entry = db_key_mem_usage(&dbs[0], k("key:123456"));
    is_int(alloc_used() - mem1, entry + alloc_size(v), "a key costs its entry and its value");
    ok(entry >= sizeof(dict_entry_t) + sizeof(str_t) + 11, "the entry holds the key (%zu)", entry);
    const str_t *ks = db_key_str(&dbs[0], k("key:123456"));
    ok(ks != NULL && ks->len == 10 && memcmp(ks->buf, "key:123456", 11) == 0,
       "the stored key is a NUL-terminated str_t");
    is_int(db_key_mem_usage(&dbs[0], k("nokey")), 0, "no entry for a missing key");

    /* Keys longer than the stack buffer lookups use. */
    char big[300];
    memset(big, 'b', sizeof(big));
    db_add(&dbs[0], key_ref(big, sizeof(big)), obj_new_string("v", 1));
    db_set_expire(&dbs[0], key_ref(big, sizeof(big)), db_env.now_ms + 1000);
    ok(db_lookup_quiet(&dbs[0], key_ref(big, sizeof(big))) != NULL, "a 300-byte key is found");
    ok(db_delete(&dbs[0], key_ref(big, sizeof(big))), "and deleted with its TTL");
    is_int((long long)dict_size(dbs[0].expires), 0, "its expire entry went first");

    /* Every removal path with TTLs in play. */
    add_keys(&dbs[0], 1, 400, db_env.now_ms + 100000);
    int bad = 0;
    for (int i = 1; i <= 40; i++)
        bad += !db_delete(&dbs[0], numbered(kb, sizeof(kb), "key:", i));
    is_int(bad, 0, "db_delete of keys with and without TTLs");
    for (int i = 42; i <= 60; i += 2)
        db_set_expire(&dbs[0], numbered(kb, sizeof(kb), "key:", i), db_env.now_ms - 1);
    for (int i = 42; i <= 60; i += 2)
        bad += db_lookup_quiet(&dbs[0], numbered(kb, sizeof(kb), "key:", i)) != NULL;
    is_int(bad, 0, "lazy expiry deletes key and expire entry");
    for (int i = 62; i <= 100; i += 2)
        db_set_expire(&dbs[0], numbered(kb, sizeof(kb), "key:", i), db_env.now_ms - 1);
    long long expired = 0;
    for (int round = 0; round < 100 && expired < 20; round++)
        expired += db_active_expire(dbs, 2, 1000000);
    is_int(expired, 20, "active expiry deletes the 20 due keys");
    for (int i = 102; i <= 120; i += 2)
        db_set(&dbs[0], numbered(kb, sizeof(kb), "key:", i), obj_new_string("w", 1), false);
    for (int i = 122; i <= 140; i += 2)
        db_set(&dbs[0], numbered(kb, sizeof(kb), "key:", i), obj_new_string("w", 1), true);
    char kb2[32];
    for (int i = 141; i <= 160; i++)
        db_move_key(&dbs[0], numbered(kb, sizeof(kb), "key:", i), &dbs[0],
                    numbered(kb2, sizeof(kb2), "renamed:", i));
    for (int i = 161; i <= 180; i++)
        db_move_key(&dbs[0], numbered(kb, sizeof(kb), "key:", i), &dbs[1],
                    numbered(kb2, sizeof(kb2), "moved:", i));
    is_int((long long)dict_size(dbs[0].expires), 10 + 10 + 110,
           "expires holds exactly the keys that kept a TTL");
    is_int((long long)dict_size(dbs[1].expires), 10, "moved TTLs are in the other db");
    for (int i = 161; i <= 180; i += 2)
        bad += db_get_expire(&dbs[1], numbered(kb, sizeof(kb), "moved:", i)) != -1;
    for (int i = 162; i <= 180; i += 2)
        bad += db_get_expire(&dbs[1], numbered(kb, sizeof(kb), "moved:", i)) < 0;
    is_int(bad, 0, "moved keys have the TTLs they had");
    db_swap(&dbs[0], &dbs[1]);
    for (int i = 181; i <= 200; i++)
        bad += !db_delete(&dbs[1], numbered(kb, sizeof(kb), "key:", i));
    for (int i = 161; i <= 170; i++)
        bad += !db_delete(&dbs[0], numbered(kb, sizeof(kb), "moved:", i));
    is_int(bad, 0, "deletes after SWAPDB");
    db_empty(&dbs[0]);
    db_empty(&dbs[1]);
    ok(dict_size(dbs[0].expires) == 0 && dict_size(dbs[1].expires) == 0, "all expires gone");
    is_int(alloc_used(), mem0, "every key, value and entry was freed");
}

int main(void)
{
    db_env.now_ms = 1700000000000LL;
    db_env.modified = on_modified;
    db_env.replacing = on_replacing;
    db_t *dbs = db_array_new(2);
    test_move_key(dbs);
    test_dup();
    test_hooks(dbs);
    test_embstr();
    test_key_memory(dbs);
    add_keys(&dbs[0], 1, 100, db_env.now_ms + 1000);
    db_array_free(dbs, 2);
    return done_testing();
}
