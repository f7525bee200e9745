#include <config.h>
#include "server/propagate.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/str.h"
#include "core/strconv.h"
#include "server/config.h"

unsigned propagate_targets;
bool propagate_suspended;

/* One gathered command: where its RESP bytes are in the unit's buffer. */
typedef struct op {
    int dbid;
    unsigned targets;
    size_t off, len;
} op_t;

static struct {
    propagate_sink_fn *sink[2]; /* [0] AOF, [1] replication */
    unsigned enabled;
    str_t *buf;     /* RESP of the unit's commands, back to back. */
    op_t *ops;
    int nops, cap;
    int depth;      /* Units in progress (nested begin/end). */
    int building;   /* Arguments still expected by propagate_arg. */
    bool prevented; /* The running call propagates its own form. */
} P;

static const char multi_resp[] = "*1\r\n$5\r\nMULTI\r\n";
static const char exec_resp[] = "*1\r\n$4\r\nEXEC\r\n";

static int sink_index(unsigned target)
{
    REQUIRE(target == PROPAGATE_AOF || target == PROPAGATE_REPL);
    return target == PROPAGATE_AOF ? 0 : 1;
}

void propagate_set_sink(unsigned target, propagate_sink_fn *fn)
{
    P.sink[sink_index(target)] = fn;
}

void propagate_enable(unsigned target, bool on)
{
    (void)sink_index(target);
    if (on)
        P.enabled |= target;
    else
        P.enabled &= ~target;
    propagate_targets = P.enabled;
}

/* Hands the gathered commands to each sink that wants them, wrapping a
 * unit of several commands in MULTI/EXEC, and empties the unit. */
static void flush_unit(void)
{
    for (unsigned t = PROPAGATE_AOF; t <= PROPAGATE_REPL; t <<= 1) {
        propagate_sink_fn *fn = P.sink[sink_index(t)];
        if (fn == NULL || !(P.enabled & t))
            continue;
        int count = 0, first = -1, last = -1;
        for (int i = 0; i < P.nops; i++) {
            if (P.ops[i].targets & t) {
                count++;
                if (first < 0)
                    first = i;
                last = i;
            }
        }
        if (count == 0)
            continue;
        if (count > 1)
            fn(P.ops[first].dbid, multi_resp, sizeof(multi_resp) - 1);
        for (int i = first; i <= last; i++) {
            if (P.ops[i].targets & t)
                fn(P.ops[i].dbid, P.buf->buf + P.ops[i].off, P.ops[i].len);
        }
        if (count > 1)
            fn(P.ops[last].dbid, exec_resp, sizeof(exec_resp) - 1);
    }
    P.nops = 0;
    if (P.buf != NULL) {
        /* Keep a modest buffer for the next unit; drop a huge one. */
        if (P.buf->cap > (1u << 20)) {
            str_free(P.buf);
            P.buf = NULL;
        } else {
            str_setlen(P.buf, 0);
        }
    }
}

void propagate_unit_begin(void)
{
    P.depth++;
}

void propagate_unit_end(void)
{
    INSIST(P.depth > 0);
    if (--P.depth == 0 && P.nops > 0)
        flush_unit();
}

/* Whether additions are taken at all: some sink wants them and the server
 * is not replaying a stream it must not propagate again. */
static bool taking(unsigned targets)
{
    return (targets & P.enabled) != 0 && !propagate_suspended;
}

void propagate_begin(int dbid, unsigned targets, int argc)
{
    REQUIRE(P.building == 0 && argc > 0);
    if (!taking(targets))
        return;
    if (P.buf == NULL)
        P.buf = str_new_cap(256);
    if (P.nops == P.cap) {
        P.cap = P.cap == 0 ? 8 : P.cap * 2;
        P.ops = alloc_realloc(P.ops, (size_t)P.cap * sizeof(*P.ops));
    }
    op_t *op = &P.ops[P.nops++];
    op->dbid = dbid;
    op->targets = targets & P.enabled;
    op->off = P.buf->len;
    op->len = 0;
    char num[STRCONV_BUF];
    size_t n = strconv_ll(num, argc);
    P.buf = str_cat(P.buf, "*", 1);
    P.buf = str_cat(P.buf, num, n);
    P.buf = str_cat(P.buf, "\r\n", 2);
    P.building = argc;
    /* A command added outside any unit (the expiry cycle, eviction from
     * the cron) is a unit of its own: propagate_arg ends it. */
    if (P.depth == 0)
        P.depth = -1;
}

void propagate_arg(const char *p, size_t n)
{
    if (P.building == 0)
        return; /* propagate_begin took nothing. */
    char num[STRCONV_BUF];
    size_t k = strconv_ull(num, n);
    P.buf = str_reserve(P.buf, n + k + 5);
    P.buf = str_cat(P.buf, "$", 1);
    P.buf = str_cat(P.buf, num, k);
    P.buf = str_cat(P.buf, "\r\n", 2);
    P.buf = str_cat(P.buf, p, n);
    P.buf = str_cat(P.buf, "\r\n", 2);
    if (--P.building > 0)
        return;
    op_t *op = &P.ops[P.nops - 1];
    op->len = P.buf->len - op->off;
    if (P.depth == -1) {
        P.depth = 0;
        flush_unit();
    }
}

void propagate_arg_cstr(const char *s)
{
    propagate_arg(s, strlen(s));
}

void propagate_arg_ll(long long v)
{
    char num[STRCONV_BUF];
    size_t n = strconv_ll(num, v);
    propagate_arg(num, n);
}

void propagate_argv(int dbid, unsigned targets, int argc, const arg_t *argv)
{
    if (!taking(targets))
        return;
    propagate_begin(dbid, targets, argc);
    for (int i = 0; i < argc; i++)
        propagate_arg(argv[i].p, argv[i].n);
}

size_t propagate_select_resp(char *buf, int dbid)
{
    char num[24];
    int k = snprintf(num, sizeof(num), "%d", dbid);
    int m = snprintf(buf, PROPAGATE_SELECT_BUF, "*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n", k, num);
    return (size_t)m;
}

bool propagate_pending(void)
{
    return P.nops > 0;
}

void propagate_prevent(void)
{
    P.prevented = true;
}

void propagate_rewrite(client_t *c, int argc, const arg_t *argv)
{
    propagate_prevent();
    propagate_argv(c->db->id, PROPAGATE_ALL, argc, argv);
}

void propagate_del(int dbid, const char *key, size_t n, bool lazy)
{
    if (!taking(PROPAGATE_ALL))
        return;
    propagate_begin(dbid, PROPAGATE_ALL, 2);
    propagate_arg(lazy ? "UNLINK" : "DEL", lazy ? 6 : 3);
    propagate_arg(key, n);
}

void propagate_call_begin(propagate_call_t *pc)
{
    pc->prevented_outer = P.prevented;
    P.prevented = false;
}

void propagate_call_end(propagate_call_t *pc, client_t *c, uint64_t dirty_delta)
{
    bool prevented = P.prevented;
    P.prevented = pc->prevented_outer;
    if (prevented || dirty_delta == 0 || !taking(PROPAGATE_ALL))
        return;
    /* Transaction control (EXEC) changes the dataset only through the
     * commands it runs, which propagated themselves. */
    if (c->cmd->flags & CMD_TX_CONTROL)
        return;
    propagate_argv(c->db->id, PROPAGATE_ALL, c->argc, c->argv);
}

/* ---- deletions the server decides on ------------------------------------ */

static void (*prev_expired)(db_t *db, const str_t *key);
static void (*prev_evicted)(db_t *db, const char *key, size_t len);

static void on_expired(db_t *db, const str_t *key)
{
    if (prev_expired != NULL)
        prev_expired(db, key);
    propagate_del(db->id, key->buf, key->len, cfg.lazyfree_lazy_expire);
}

static void on_evicted(db_t *db, const char *key, size_t len)
{
    if (prev_evicted != NULL)
        prev_evicted(db, key, len);
    propagate_del(db->id, key, len, cfg.lazyfree_lazy_eviction);
}

void propagate_init(void)
{
    prev_expired = db_env.expired;
    db_env.expired = on_expired;
    prev_evicted = db_env.evicted;
    db_env.evicted = on_evicted;
}
