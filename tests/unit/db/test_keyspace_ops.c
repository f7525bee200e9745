/*
 * Unit tests for the keyspace operations the generic commands rely on:
 * db_move_key (RENAME, MOVE), obj_dup (COPY), and the hooks db_empty and
 * db_swap fire (FLUSHDB, FLUSHALL, SWAPDB).
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

int main(void)
{
    db_env.now_ms = 1700000000000LL;
    db_env.modified = on_modified;
    db_env.replacing = on_replacing;
    db_t *dbs = db_array_new(2);
    test_move_key(dbs);
    test_dup();
    test_hooks(dbs);
    db_array_free(dbs, 2);
    return done_testing();
}
