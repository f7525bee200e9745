/*
 * Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
 * BITFIELD_RO. Bitmaps are string values; the bit logic is in db/t_string.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strconv.h"
#include "db/t_string.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/notify.h"
#include "server/server.h"

/* ---- shared helpers --------------------------------------------------- */

/*
 * Parses a bit offset. With hash_bits > 0 (BITFIELD) "#N" means N fields
 * of hash_bits bits. The byte holding the bit must stay below
 * proto-max-bulk-len (and what a str_t can hold). Replies and returns false
 * when the offset is invalid.
 */
static bool parse_bit_offset(client_t *c, const arg_t *a, int hash_bits, uint64_t *out)
{
    const char *p = a->p;
    size_t n = a->n;
    bool hash = hash_bits > 0 && n > 0 && p[0] == '#';
    if (hash) {
        p++;
        n--;
    }
    long long v;
    /* A BITFIELD field may reach 8 bytes past the byte checked here. */
    long long limit = cfg.proto_max_bulk_len;
    if (limit > (long long)UINT32_MAX - 16)
        limit = (long long)UINT32_MAX - 16;
    if (strconv_to_ll(p, n, &v) != 0 || v < 0)
        goto bad;
    if (hash && __builtin_mul_overflow(v, (long long)hash_bits, &v))
        goto bad;
    if ((v >> 3) >= limit)
        goto bad;
    *out = (uint64_t)v;
    return true;
bad:
    reply_error(&c->reply, "ERR bit offset is not an integer or out of range");
    return false;
}

/* Looks key up; replies WRONGTYPE and returns false for a non-string. */
static bool lookup_string(client_t *c, key_ref_t key, bool write, obj_t **out)
{
    obj_t *o = write ? db_lookup_write(c->db, key) : db_lookup_read(c->db, key);
    if (o != NULL && o->type != OBJ_STRING) {
        reply_wrongtype(c);
        return false;
    }
    *out = o;
    return true;
}

/*
 * Returns the value of key ready for in-place bit writes and at least
 * min_len bytes long, creating the key when missing. *grown tells whether
 * the key was created or lengthened (a change even if no bit moves).
 * Replies WRONGTYPE and returns NULL for a non-string.
 */
static obj_t *writable_bits(client_t *c, key_ref_t key, size_t min_len, bool *grown)
{
    obj_t *o;
    if (!lookup_string(c, key, true, &o))
        return NULL;
    *grown = false;
    if (o == NULL) {
        o = obj_new_raw(NULL, min_len);
        db_add(c->db, key, o);
        *grown = true;
        return o;
    }
    o = tstr_writable(c->db, key, o);
    str_t *s = o->ptr;
    if (s->len < min_len) {
        o->ptr = str_grow_zero(s, min_len);
        *grown = true;
    }
    return o;
}

/* A bytes view of a string value; tmp holds int-encoded forms. */
static const uint8_t *value_bytes(const obj_t *o, char *tmp, size_t *n)
{
    return (const uint8_t *)obj_string_bytes(o, tmp, n);
}

/* ---- SETBIT, GETBIT --------------------------------------------------- */

void cmd_setbit(client_t *c)
{
    uint64_t bit;
    if (!parse_bit_offset(c, &c->argv[2], 0, &bit))
        return;
    const arg_t *v = &c->argv[3];
    if (v->n != 1 || (v->p[0] != '0' && v->p[0] != '1')) {
        reply_error(&c->reply, "ERR bit is not an integer or out of range");
        return;
    }
    key_ref_t key = arg_key(&c->argv[1]);
    bool grown;
    obj_t *o = writable_bits(c, key, (size_t)(bit >> 3) + 1, &grown);
    if (o == NULL)
        return;
    int on = v->p[0] == '1', old;
    bool unused;
    o->ptr = tstr_setbit(o->ptr, bit, on, &old, &unused);
    if (grown || old != on) {
        db_signal_modified(c->db, key);
        srv.dirty++;
        notify_keyspace_event(NOTIFY_STRING, "setbit", key.p, key.n, c->db->id);
    }
    reply_int(&c->reply, old);
}

void cmd_getbit(client_t *c)
{
    uint64_t bit;
    if (!parse_bit_offset(c, &c->argv[2], 0, &bit))
        return;
    obj_t *o;
    if (!lookup_string(c, arg_key(&c->argv[1]), false, &o))
        return;
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    char tmp[STRCONV_BUF];
    size_t n;
    const uint8_t *p = value_bytes(o, tmp, &n);
    reply_int(&c->reply, tstr_getbit(p, n, bit));
}

/* ---- BITCOUNT, BITPOS ------------------------------------------------- */

/* Parses an optional BYTE|BIT unit; replies and returns false otherwise. */
static bool parse_unit(client_t *c, const arg_t *a, bool *isbit)
{
    if (arg_is(a, "bit")) {
        *isbit = true;
    } else if (arg_is(a, "byte")) {
        *isbit = false;
    } else {
        reply_syntax_error(c);
        return false;
    }
    return true;
}

static bool parse_ll(client_t *c, const arg_t *a, long long *out)
{
    if (strconv_to_ll(a->p, a->n, out) == 0)
        return true;
    reply_not_integer(c);
    return false;
}

void cmd_bitcount(client_t *c)
{
    obj_t *o;
    if (!lookup_string(c, arg_key(&c->argv[1]), false, &o))
        return;
    /* A missing key counts zero before the arguments are even looked at. */
    if (o == NULL) {
        reply_int(&c->reply, 0);
        return;
    }
    char tmp[STRCONV_BUF];
    size_t n;
    const uint8_t *p = value_bytes(o, tmp, &n);
    if (c->argc == 2) {
        reply_int(&c->reply, (long long)tstr_popcount(p, n));
        return;
    }
    long long start, end;
    bool isbit = false;
    if (c->argc != 4 && c->argc != 5) {
        reply_syntax_error(c);
        return;
    }
    if (!parse_ll(c, &c->argv[2], &start) || !parse_ll(c, &c->argv[3], &end))
        return;
    if (start < 0 && end < 0 && start > end) {
        reply_int(&c->reply, 0);
        return;
    }
    if (c->argc == 5 && !parse_unit(c, &c->argv[4], &isbit))
        return;
    long long total = isbit ? (long long)n * 8 : (long long)n;
    if (!tstr_range(total, false, &start, &end)) {
        reply_int(&c->reply, 0);
        return;
    }
    uint64_t first = isbit ? (uint64_t)start : (uint64_t)start * 8;
    uint64_t last = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    reply_int(&c->reply, (long long)tstr_bitcount(p, first, last));
}

/* BITPOS's range: [start [end [BYTE|BIT]]] in argv[3..]. Returns false
 * after replying an error. */
typedef struct bitpos_range {
    long long start, end;
    bool end_given, isbit;
} bitpos_range_t;

static bool parse_bitpos_range(client_t *c, size_t n, bitpos_range_t *r)
{
    r->start = 0;
    r->end = (long long)n - 1;
    r->end_given = false;
    r->isbit = false;
    if (c->argc > 6) {
        reply_syntax_error(c);
        return false;
    }
    if (c->argc == 3)
        return true;
    if (!parse_ll(c, &c->argv[3], &r->start))
        return false;
    if (c->argc == 6 && !parse_unit(c, &c->argv[5], &r->isbit))
        return false;
    if (r->isbit)
        r->end = (long long)n * 8 - 1;
    if (c->argc >= 5) {
        if (!parse_ll(c, &c->argv[4], &r->end))
            return false;
        r->end_given = true;
    }
    return true;
}

void cmd_bitpos(client_t *c)
{
    long long bit;
    if (!parse_ll(c, &c->argv[2], &bit))
        return;
    if (bit != 0 && bit != 1) {
        reply_error(&c->reply, "ERR The bit argument must be 1 or 0.");
        return;
    }
    obj_t *o;
    if (!lookup_string(c, arg_key(&c->argv[1]), false, &o))
        return;
    /* A missing key is all zeros, without end. */
    if (o == NULL) {
        reply_int(&c->reply, bit ? -1 : 0);
        return;
    }
    char tmp[STRCONV_BUF];
    size_t n;
    const uint8_t *p = value_bytes(o, tmp, &n);
    bitpos_range_t r;
    if (!parse_bitpos_range(c, n, &r))
        return;
    long long total = r.isbit ? (long long)n * 8 : (long long)n;
    if (c->argc > 3 && !tstr_range(total, false, &r.start, &r.end)) {
        reply_int(&c->reply, -1);
        return;
    }
    if (r.start > r.end) {
        reply_int(&c->reply, -1);
        return;
    }
    uint64_t first = r.isbit ? (uint64_t)r.start : (uint64_t)r.start * 8;
    uint64_t last = r.isbit ? (uint64_t)r.end : (uint64_t)r.end * 8 + 7;
    long long pos = tstr_bitpos(p, first, last, (int)bit);
    /* Past the end of the string the bits read as zero, unless the caller
     * bounded the range explicitly. */
    if (pos < 0 && bit == 0 && !r.end_given)
        pos = (long long)last + 1;
    reply_int(&c->reply, pos);
}

/* ---- BITOP ------------------------------------------------------------ */

/* Reads the sources of BITOP; int-encoded values are spelled into nums.
 * Returns false after replying WRONGTYPE. */
static bool bitop_sources(client_t *c, tstr_span_t *src, char (*nums)[24], size_t *maxlen)
{
    int nsrc = c->argc - 3;
    *maxlen = 0;
    for (int k = 0; k < nsrc; k++) {
        obj_t *o;
        if (!lookup_string(c, arg_key(&c->argv[3 + k]), false, &o))
            return false;
        src[k].p = (const uint8_t *)"";
        src[k].n = 0;
        if (o != NULL && o->encoding == OBJ_ENC_INT) {
            src[k].n = strconv_ll(nums[k], (long long)(intptr_t)o->ptr);
            src[k].p = (const uint8_t *)nums[k];
        } else if (o != NULL) {
            /* Not an int, so the bytes are borrowed and tmp stays unused. */
            char tmp[STRCONV_BUF];
            src[k].p = value_bytes(o, tmp, &src[k].n);
        }
        if (src[k].n > *maxlen)
            *maxlen = src[k].n;
    }
    return true;
}

static int parse_bitop(const arg_t *a)
{
    if (arg_is(a, "and"))
        return TSTR_BITOP_AND;
    if (arg_is(a, "or"))
        return TSTR_BITOP_OR;
    if (arg_is(a, "xor"))
        return TSTR_BITOP_XOR;
    if (arg_is(a, "not"))
        return TSTR_BITOP_NOT;
    return -1;
}

void cmd_bitop(client_t *c)
{
    int op = parse_bitop(&c->argv[1]);
    if (op < 0) {
        reply_syntax_error(c);
        return;
    }
    int nsrc = c->argc - 3;
    if (op == TSTR_BITOP_NOT && nsrc != 1) {
        reply_error(&c->reply, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    tstr_span_t *src = alloc_malloc(sizeof(*src) * (size_t)nsrc);
    char(*nums)[24] = alloc_malloc(sizeof(*nums) * (size_t)nsrc);
    size_t maxlen;
    if (bitop_sources(c, src, nums, &maxlen)) {
        key_ref_t dest = arg_key(&c->argv[2]);
        if (maxlen > 0) {
            str_t *res = str_new(NULL, maxlen);
            tstr_bitop(op, (uint8_t *)res->buf, maxlen, src, (size_t)nsrc);
            db_expire_if_needed(c->db, dest);
            db_set(c->db, dest, obj_new_raw_str(res), false);
            srv.dirty++;
            notify_keyspace_event(NOTIFY_STRING, "set", dest.p, dest.n, c->db->id);
        } else if (db_delete(c->db, dest)) {
            srv.dirty++;
            notify_keyspace_event(NOTIFY_GENERIC, "del", dest.p, dest.n, c->db->id);
        }
        reply_int(&c->reply, (long long)maxlen);
    }
    alloc_free(nums);
    alloc_free(src);
}

/* ---- BITFIELD --------------------------------------------------------- */

enum bf_kind { BF_GET, BF_SET, BF_INCRBY };

typedef struct bf_op {
    uint64_t offset;
    int64_t value; /* SET's value or INCRBY's increment. */
    int kind;
    int bits;
    bool sign;
    int overflow;
} bf_op_t;

static bool parse_bf_type(client_t *c, const arg_t *a, bf_op_t *op)
{
    long long bits;
    if (a->n >= 2 && (a->p[0] == 'i' || a->p[0] == 'u') &&
        strconv_to_ll(a->p + 1, a->n - 1, &bits) == 0) {
        op->sign = a->p[0] == 'i';
        if (bits >= 1 && bits <= (op->sign ? 64 : 63)) {
            op->bits = (int)bits;
            return true;
        }
    }
    reply_error(&c->reply, "ERR Invalid bitfield type. Use something like i16 u8. "
                           "Note that u64 is not supported but i64 is.");
    return false;
}

static bool parse_bf_overflow(client_t *c, const arg_t *a, int *policy)
{
    if (arg_is(a, "wrap"))
        *policy = TSTR_OVERFLOW_WRAP;
    else if (arg_is(a, "sat"))
        *policy = TSTR_OVERFLOW_SAT;
    else if (arg_is(a, "fail"))
        *policy = TSTR_OVERFLOW_FAIL;
    else {
        reply_error(&c->reply, "ERR Invalid OVERFLOW type specified");
        return false;
    }
    return true;
}

/* Parses one GET/SET/INCRBY at argv[j]; returns the arguments used, or 0
 * after replying an error. */
static int parse_bf_op(client_t *c, int j, int policy, bf_op_t *op)
{
    int rem = c->argc - j - 1;
    const arg_t *a = &c->argv[j];
    if (arg_is(a, "get") && rem >= 2)
        op->kind = BF_GET;
    else if (arg_is(a, "set") && rem >= 3)
        op->kind = BF_SET;
    else if (arg_is(a, "incrby") && rem >= 3)
        op->kind = BF_INCRBY;
    else {
        reply_syntax_error(c);
        return 0;
    }
    op->overflow = policy;
    op->value = 0;
    if (!parse_bf_type(c, &c->argv[j + 1], op) ||
        !parse_bit_offset(c, &c->argv[j + 2], op->bits, &op->offset))
        return 0;
    if (op->kind == BF_GET)
        return 3;
    long long v;
    if (!parse_ll(c, &c->argv[j + 3], &v))
        return 0;
    op->value = v;
    return 4;
}

/* Parses every subcommand; returns the op count or -1 after an error. */
static int parse_bf_ops(client_t *c, bf_op_t *ops)
{
    int n = 0, policy = TSTR_OVERFLOW_WRAP;
    for (int j = 2; j < c->argc;) {
        if (arg_is(&c->argv[j], "overflow") && j + 1 < c->argc) {
            if (!parse_bf_overflow(c, &c->argv[j + 1], &policy))
                return -1;
            j += 2;
            continue;
        }
        int used = parse_bf_op(c, j, policy, &ops[n]);
        if (used == 0)
            return -1;
        n++;
        j += used;
    }
    return n;
}

/* Runs one SET or INCRBY on p; replies with its result. Returns 1 when the
 * field was written with different bits (or grown says the value changed
 * anyway), else 0. */
static int bf_write(client_t *c, uint8_t *p, size_t n, const bf_op_t *op, bool grown)
{
    uint64_t oldraw = tstr_bf_get(p, n, op->offset, op->bits), newraw;
    long long reply;
    int dir;
    if (op->sign) {
        int64_t old = tstr_bf_signed(oldraw, op->bits), nv = 0;
        if (op->kind == BF_SET)
            dir = tstr_bf_add_signed(op->value, 0, op->bits, op->overflow, &nv);
        else
            dir = tstr_bf_add_signed(old, op->value, op->bits, op->overflow, &nv);
        newraw = (uint64_t)nv;
        reply = op->kind == BF_SET ? old : nv;
    } else {
        uint64_t nv = 0;
        if (op->kind == BF_SET)
            dir = tstr_bf_add_unsigned((uint64_t)op->value, 0, op->bits, op->overflow, &nv);
        else
            dir = tstr_bf_add_unsigned(oldraw, op->value, op->bits, op->overflow, &nv);
        newraw = nv;
        reply = (long long)(op->kind == BF_SET ? oldraw : nv);
    }
    if (dir != 0 && op->overflow == TSTR_OVERFLOW_FAIL) {
        reply_null(&c->reply);
        return 0;
    }
    tstr_bf_set(p, op->offset, op->bits, newraw);
    reply_int(&c->reply, reply);
    uint64_t mask = op->bits == 64 ? UINT64_MAX : (UINT64_C(1) << op->bits) - 1;
    return grown || (newraw & mask) != oldraw;
}

static void bf_read(client_t *c, const uint8_t *p, size_t n, const bf_op_t *op)
{
    uint64_t raw = tstr_bf_get(p, n, op->offset, op->bits);
    reply_int(&c->reply, op->sign ? tstr_bf_signed(raw, op->bits) : (long long)raw);
}

/* Runs ops that only read. */
static void bitfield_read(client_t *c, const bf_op_t *ops, int nops)
{
    obj_t *o;
    if (!lookup_string(c, arg_key(&c->argv[1]), false, &o))
        return;
    char tmp[STRCONV_BUF];
    size_t n = 0;
    const uint8_t *p = o != NULL ? value_bytes(o, tmp, &n) : NULL;
    reply_array(&c->reply, nops);
    for (int i = 0; i < nops; i++)
        bf_read(c, p, n, &ops[i]);
}

/* Runs ops that include writes, growing the value to the farthest one. */
static void bitfield_write(client_t *c, const bf_op_t *ops, int nops)
{
    uint64_t highest = 0;
    for (int i = 0; i < nops; i++) {
        uint64_t last = ops[i].offset + (uint64_t)ops[i].bits - 1;
        if (ops[i].kind != BF_GET && last > highest)
            highest = last;
    }
    key_ref_t key = arg_key(&c->argv[1]);
    bool grown;
    obj_t *o = writable_bits(c, key, (size_t)(highest >> 3) + 1, &grown);
    if (o == NULL)
        return;
    str_t *s = o->ptr;
    uint8_t *p = (uint8_t *)s->buf;
    long long changes = 0;
    reply_array(&c->reply, nops);
    for (int i = 0; i < nops; i++) {
        if (ops[i].kind == BF_GET)
            bf_read(c, p, s->len, &ops[i]);
        else
            changes += bf_write(c, p, s->len, &ops[i], grown);
    }
    if (changes > 0) {
        db_signal_modified(c->db, key);
        srv.dirty += (uint64_t)changes;
        notify_keyspace_event(NOTIFY_STRING, "setbit", key.p, key.n, c->db->id);
    }
}

static void bitfield_generic(client_t *c, bool ro)
{
    /* Each subcommand takes at least three arguments. */
    bf_op_t *ops = alloc_malloc(sizeof(*ops) * (size_t)((c->argc - 2) / 3 + 1));
    int nops = parse_bf_ops(c, ops);
    bool writes = false;
    for (int i = 0; i < nops; i++)
        writes |= ops[i].kind != BF_GET;
    if (nops >= 0 && !writes)
        bitfield_read(c, ops, nops);
    else if (nops >= 0 && ro)
        reply_error(&c->reply, "ERR BITFIELD_RO only supports the GET subcommand");
    else if (nops >= 0)
        bitfield_write(c, ops, nops);
    alloc_free(ops);
}

void cmd_bitfield(client_t *c)
{
    bitfield_generic(c, false);
}

void cmd_bitfield_ro(client_t *c)
{
    bitfield_generic(c, true);
}
