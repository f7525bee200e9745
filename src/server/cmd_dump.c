/*
 * DUMP and RESTORE: values serialized in the RDB value format with a
 * version and CRC-64 footer (db/rdb.h), exchangeable with Redis 7.0.
 * RESTORE checks its arguments in Redis's order (options, existing key,
 * TTL, payload footer, payload data) so that the same error wins. A
 * relative TTL is propagated as the absolute time it became (ABSTTL).
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>

#include "core/strconv.h"
#include "db/rdb.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/notify.h"
#include "server/propagate.h"
#include "server/server.h"

/* DUMP key: the payload, or nil for a missing key. */
void cmd_dump(client_t *c)
{
    obj_t *o = db_lookup_read(c->db, arg_key(&c->argv[1]));
    if (o == NULL) {
        reply_null(&c->reply);
        return;
    }
    str_t *payload = rdb_dump(o, cfg.rdbcompression);
    reply_bulk(&c->reply, payload->buf, payload->len);
    str_free(payload);
}

typedef struct restore_opts {
    bool replace, absttl;
    long long idle, freq; /* -1 when not given. */
} restore_opts_t;

static int parse_ll(client_t *c, const arg_t *a, long long *v)
{
    if (strconv_to_ll(a->p, a->n, v) != 0) {
        reply_not_integer(c);
        return -EINVAL;
    }
    return 0;
}

/* REPLACE, ABSTTL, IDLETIME n and FREQ n (the last two exclude each
 * other, which Redis reports as a syntax error). */
static int parse_restore_opts(client_t *c, restore_opts_t *o)
{
    *o = (restore_opts_t){false, false, -1, -1};
    for (int j = 4; j < c->argc; ++j) {
        bool more = j + 1 < c->argc;
        if (arg_is(&c->argv[j], "replace")) {
            o->replace = true;
        } else if (arg_is(&c->argv[j], "absttl")) {
            o->absttl = true;
        } else if (arg_is(&c->argv[j], "idletime") && more && o->freq == -1) {
            if (parse_ll(c, &c->argv[++j], &o->idle) != 0)
                return -EINVAL;
            if (o->idle < 0) {
                reply_error(&c->reply, "ERR Invalid IDLETIME value, must be >= 0");
                return -EINVAL;
            }
        } else if (arg_is(&c->argv[j], "freq") && more && o->idle == -1) {
            if (parse_ll(c, &c->argv[++j], &o->freq) != 0)
                return -EINVAL;
            if (o->freq < 0 || o->freq > 255) {
                reply_error(&c->reply, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return -EINVAL;
            }
        } else {
            reply_syntax_error(c);
            return -EINVAL;
        }
    }
    return 0;
}

/* The TTL argument as an absolute time in ms (0: no expiry). */
static int parse_ttl(client_t *c, const restore_opts_t *o, long long *when)
{
    if (parse_ll(c, &c->argv[2], when) != 0)
        return -EINVAL;
    if (*when < 0) {
        reply_error(&c->reply, "ERR Invalid TTL value, must be >= 0");
        return -EINVAL;
    }
    if (*when != 0 && !o->absttl)
        *when = *when > INT64_MAX - db_env.now_ms ? INT64_MAX : *when + db_env.now_ms;
    return 0;
}

static int decode_payload(client_t *c, obj_t **val)
{
    const arg_t *p = &c->argv[3];
    if (rdb_dump_verify(p->p, p->n) != 0) {
        reply_error(&c->reply, "ERR DUMP payload version or checksum are wrong");
        return -EINVAL;
    }
    if (rdb_restore(p->p, p->n, val) != 0) {
        reply_error(&c->reply, "ERR Bad data format");
        return -EINVAL;
    }
    return 0;
}

/* A TTL already in the past deletes (with REPLACE) instead of restoring,
 * except on a replica, which waits for its primary's DEL, and while a
 * stream is replayed. What it did propagates as DEL (nothing when no key
 * was replaced). */
static void restore_expired(client_t *c, key_ref_t key, bool deleted)
{
    if (deleted) {
        srv.dirty++;
        notify_keyspace_event(NOTIFY_GENERIC, "del", key.p, key.n, c->db->id);
        if (propagate_wanted()) {
            arg_t argv[2] = {{"DEL", 3}, c->argv[1]};
            propagate_rewrite(c, 2, argv);
        }
    }
    reply_ok(&c->reply);
}

/* A relative TTL propagates as the absolute time it became: the command
 * with that time and ABSTTL appended, as Redis 7.0 writes it. */
static void restore_propagate_absttl(client_t *c, long long when)
{
    if (!propagate_wanted())
        return;
    propagate_prevent();
    propagate_begin(c->db->id, PROPAGATE_ALL, c->argc + 1);
    for (int j = 0; j < c->argc; j++) {
        if (j == 2)
            propagate_arg_ll(when);
        else
            propagate_arg(c->argv[j].p, c->argv[j].n);
    }
    propagate_arg_cstr("ABSTTL");
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] */
void cmd_restore(client_t *c)
{
    restore_opts_t o;
    long long when;
    obj_t *val;
    key_ref_t key = arg_key(&c->argv[1]);
    if (parse_restore_opts(c, &o) != 0)
        return;
    if (!o.replace && db_lookup_write(c->db, key) != NULL) {
        reply_error(&c->reply, "BUSYKEY Target key name already exists.");
        return;
    }
    if (parse_ttl(c, &o, &when) != 0 || decode_payload(c, &val) != 0)
        return;
    bool deleted = o.replace && db_delete(c->db, key);
    if (when != 0 && when <= db_env.now_ms && !db_env.replica_mode &&
        !db_env.no_expire) {
        obj_decref(val);
        restore_expired(c, key, deleted);
        return;
    }
    db_add(c->db, key, val);
    if (when != 0)
        db_set_expire(c->db, key, when);
    rdb_set_clock(val, o.idle, (int)o.freq);
    notify_keyspace_event(NOTIFY_GENERIC, "restore", key.p, key.n, c->db->id);
    srv.dirty++;
    if (when != 0 && !o.absttl)
        restore_propagate_absttl(c, when);
    reply_ok(&c->reply);
}
