/*
 * HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.
 * Sketches are ordinary string values in Redis's byte format (db/hll), so
 * GET, DUMP and replication see exactly what Redis 7.0 would hold. Values
 * are made raw before they are changed in place, and PFCOUNT stores the
 * estimate it computes in the header's cache as Redis does.
 */
#include <config.h>

#include <string.h>

#include "core/alloc.h"
#include "db/hll.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/notify.h"
#include "server/server.h"

static const char invalid_hll_err[] = "INVALIDOBJ Corrupted HLL object detected";

/* Replies and returns false unless o is a string holding a sketch. Integer
 * encoded strings never are (Redis checks for a byte-string encoding). */
static bool check_hll(client_t *c, const obj_t *o)
{
    if (o->type != OBJ_STRING) {
        reply_wrongtype(c);
        return false;
    }
    if (o->encoding != OBJ_ENC_INT) {
        char tmp[STRCONV_BUF];
        size_t n;
        const char *p = obj_string_bytes(o, tmp, &n);
        if (hll_is_valid(p, n))
            return true;
    }
    reply_error(&c->reply, "WRONGTYPE Key is not a valid HyperLogLog string value.");
    return false;
}

/* The value of key as a raw string this key alone holds, replacing a
 * shared or embedded one with a copy, so it can be changed in place (not a
 * change in itself: no modification hook fires). */
static obj_t *unshare_value(client_t *c, key_ref_t key, obj_t *o)
{
    if (o->refcount == 1 && o->encoding == OBJ_ENC_RAW)
        return o;
    char tmp[STRCONV_BUF];
    size_t n;
    const char *p = obj_string_bytes(o, tmp, &n);
    obj_t *copy = obj_new_raw(p, n);
    db_replace_encoding(c->db, key, copy);
    return copy;
}

static size_t sparse_max(void)
{
    return db_env.hll_sparse_max_bytes > 0 ? (size_t)db_env.hll_sparse_max_bytes : 0;
}

/* PFADD key [element ...]: 1 when a register changed or the key was made. */
void cmd_pfadd(client_t *c)
{
    key_ref_t key = arg_key(&c->argv[1]);
    obj_t *o = db_lookup_write(c->db, key);
    long long updated = 0;
    if (o == NULL) {
        o = obj_new_raw_str(hll_new());
        db_add(c->db, key, o);
        updated++;
    } else {
        if (!check_hll(c, o))
            return;
        o = unshare_value(c, key, o);
    }
    for (int j = 2; j < c->argc; j++) {
        str_t *s = o->ptr;
        int rc = hll_add(&s, c->argv[j].p, c->argv[j].n, sparse_max());
        o->ptr = s;
        if (rc < 0) {
            reply_error(&c->reply, invalid_hll_err);
            return;
        }
        updated += rc;
    }
    if (updated > 0) {
        hll_cache_invalidate(((str_t *)o->ptr)->buf);
        db_signal_modified(c->db, key);
        notify_keyspace_event(NOTIFY_STRING, "pfadd", key.p, key.n, c->db->id);
        srv.dirty += updated;
    }
    reply_int(&c->reply, updated > 0 ? 1 : 0);
}

/* PFCOUNT of one key: the cached estimate, or a fresh one that is then
 * cached (a change of the value, hence dirty and propagated). */
static void pfcount_one(client_t *c)
{
    key_ref_t key = arg_key(&c->argv[1]);
    obj_t *o = db_lookup_read(c->db, key);
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    if (!check_hll(c, o))
        return;
    o = unshare_value(c, key, o);
    str_t *s = o->ptr;
    uint64_t card;
    if (!hll_cache_get(s->buf, &card)) {
        if (hll_count(s->buf, s->len, &card) != 0) {
            reply_error(&c->reply, invalid_hll_err);
            return;
        }
        hll_cache_set(s->buf, card);
        db_signal_modified(c->db, key);
        srv.dirty++;
    }
    reply_int(&c->reply, (long long)card);
}

/* Merges the registers of the sketches at keys (missing ones count as
 * empty) into max. Replies and returns false on a bad or corrupt value;
 * *any_dense tells whether some input was dense. */
static bool merge_keys(client_t *c, const arg_t *keys, int n, uint8_t *max, bool *any_dense)
{
    *any_dense = false;
    for (int j = 0; j < n; j++) {
        obj_t *o = db_lookup_read(c->db, arg_key(&keys[j]));
        if (o == NULL)
            continue;
        if (!check_hll(c, o))
            return false;
        char tmp[STRCONV_BUF];
        size_t len;
        const char *p = obj_string_bytes(o, tmp, &len);
        *any_dense |= hll_encoding_of(p) == HLL_DENSE;
        if (hll_merge_registers(max, p, len) != 0) {
            reply_error(&c->reply, invalid_hll_err);
            return false;
        }
    }
    return true;
}

/* PFCOUNT key [key ...]: several keys are counted as their union, which is
 * never cached. */
void cmd_pfcount(client_t *c)
{
    if (c->argc == 2) {
        pfcount_one(c);
        return;
    }
    uint8_t *max = alloc_calloc(HLL_REGISTERS);
    bool any_dense;
    if (merge_keys(c, &c->argv[1], c->argc - 1, max, &any_dense))
        reply_int(&c->reply, (long long)hll_count_registers(max));
    alloc_free(max);
}

/* Writes the merged registers into the destination sketch, which becomes
 * dense first when an input was dense. */
static bool store_merged(client_t *c, obj_t *o, const uint8_t *max, bool dense)
{
    str_t *s = o->ptr;
    if (dense && hll_to_dense(&s) < 0) {
        o->ptr = s;
        reply_error(&c->reply, invalid_hll_err);
        return false;
    }
    for (uint32_t j = 0; j < HLL_REGISTERS; j++) {
        if (max[j] == 0)
            continue;
        int rc = hll_set_register(&s, j, max[j], sparse_max());
        UNUSED(rc); /* The destination was validated by the merge. */
    }
    hll_cache_invalidate(s->buf);
    o->ptr = s;
    return true;
}

/* PFMERGE destkey [sourcekey ...]: the destination takes part in the
 * union and is created when missing. */
void cmd_pfmerge(client_t *c)
{
    uint8_t *max = alloc_calloc(HLL_REGISTERS);
    bool any_dense;
    if (!merge_keys(c, &c->argv[1], c->argc - 1, max, &any_dense)) {
        alloc_free(max);
        return;
    }
    key_ref_t key = arg_key(&c->argv[1]);
    obj_t *o = db_lookup_write(c->db, key);
    if (o == NULL) {
        o = obj_new_raw_str(hll_new());
        db_add(c->db, key, o);
    } else {
        o = unshare_value(c, key, o);
    }
    bool stored = store_merged(c, o, max, any_dense);
    alloc_free(max);
    if (!stored)
        return;
    db_signal_modified(c->db, key);
    notify_keyspace_event(NOTIFY_STRING, "pfadd", key.p, key.n, c->db->id);
    srv.dirty++;
    reply_ok(&c->reply);
}

/* PFDEBUG GETREG: converts to dense (a change worth propagating) and lists
 * every register. */
static void pfdebug_getreg(client_t *c, obj_t *o)
{
    str_t *s = o->ptr;
    int rc = hll_to_dense(&s);
    o->ptr = s;
    if (rc < 0) {
        reply_error(&c->reply, invalid_hll_err);
        return;
    }
    srv.dirty += rc;
    uint8_t *regs = alloc_malloc(HLL_REGISTERS);
    rc = hll_registers(s->buf, s->len, regs);
    INSIST(rc == 0);
    reply_array(&c->reply, HLL_REGISTERS);
    for (uint32_t j = 0; j < HLL_REGISTERS; j++)
        reply_int(&c->reply, regs[j]);
    alloc_free(regs);
}

static void pfdebug_decode(client_t *c, obj_t *o)
{
    const str_t *s = o->ptr;
    str_t *text = hll_decode_sparse(s->buf, s->len);
    if (text == NULL) {
        reply_error(&c->reply, "ERR HLL encoding is not sparse");
        return;
    }
    reply_bulk(&c->reply, text->buf, text->len);
    str_free(text);
}

static void pfdebug_todense(client_t *c, obj_t *o)
{
    str_t *s = o->ptr;
    int rc = hll_to_dense(&s);
    o->ptr = s;
    if (rc < 0) {
        reply_error(&c->reply, invalid_hll_err);
        return;
    }
    srv.dirty += rc;
    reply_int(&c->reply, rc);
}

/* PFDEBUG <subcommand> key */
void cmd_pfdebug(client_t *c)
{
    const arg_t *sub = &c->argv[1];
    key_ref_t key = arg_key(&c->argv[2]);
    obj_t *o = db_lookup_write(c->db, key);
    if (o == NULL) {
        reply_error(&c->reply, "ERR The specified key does not exist");
        return;
    }
    if (!check_hll(c, o))
        return;
    o = unshare_value(c, key, o);
    if (arg_is(sub, "getreg")) {
        pfdebug_getreg(c, o);
    } else if (arg_is(sub, "decode")) {
        pfdebug_decode(c, o);
    } else if (arg_is(sub, "encoding")) {
        const str_t *s = o->ptr;
        reply_status(&c->reply, hll_encoding_of(s->buf) == HLL_DENSE ? "dense" : "sparse");
    } else if (arg_is(sub, "todense")) {
        pfdebug_todense(c, o);
    } else {
        reply_errorf(&c->reply, "ERR Unknown PFDEBUG subcommand '%.*s'", (int)sub->n, sub->p);
    }
}

void cmd_pfselftest(client_t *c)
{
    const char *err = hll_selftest();
    if (err != NULL)
        reply_error(&c->reply, err);
    else
        reply_ok(&c->reply);
}
