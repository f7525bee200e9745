/*
 * CONFIG GET / SET / RESETSTAT / REWRITE / HELP.
 */
#include <config.h>

#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "server/cmd_handlers.h"
#include "server/client.h"
#include "server/commands.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/server.h"

typedef struct get_ctx {
    client_t *c;
    str_t **names;
    str_t **values;
    int n, cap;
} get_ctx_t;

static void collect(void *arg, const char *name, str_t *value)
{
    get_ctx_t *g = arg;
    for (int i = 0; i < g->n; i++) {
        if (strcmp(g->names[i]->buf, name) == 0) {
            str_free(value);
            return;
        }
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->names = alloc_realloc(g->names, sizeof(str_t *) * (size_t)g->cap);
        g->values = alloc_realloc(g->values, sizeof(str_t *) * (size_t)g->cap);
    }
    g->names[g->n] = str_new_cstr(name);
    g->values[g->n] = value;
    g->n++;
}

void cmd_config_get(client_t *c)
{
    get_ctx_t g = {c, NULL, NULL, 0, 0};
    for (int i = 2; i < c->argc; i++) {
        str_t *pat = str_new(c->argv[i].p, c->argv[i].n);
        config_foreach_match(pat->buf, collect, &g);
        str_free(pat);
    }
    reply_map(&c->reply, g.n);
    for (int i = 0; i < g.n; i++) {
        reply_bulk(&c->reply, g.names[i]->buf, g.names[i]->len);
        reply_bulk(&c->reply, g.values[i]->buf, g.values[i]->len);
        str_free(g.names[i]);
        str_free(g.values[i]);
    }
    alloc_free(g.names);
    alloc_free(g.values);
}

void cmd_config_set(client_t *c)
{
    if (c->argc < 4 || (c->argc - 2) % 2 != 0) {
        reply_wrong_arity(c);
        return;
    }
    int n = (c->argc - 2) / 2;
    if (n > 64) {
        reply_error(&c->reply, "ERR too many parameters");
        return;
    }
    str_t *names[64], *values[64];
    const char *np[64], *vp[64];
    for (int i = 0; i < n; i++) {
        names[i] = str_new(c->argv[2 + i * 2].p, c->argv[2 + i * 2].n);
        values[i] = str_new(c->argv[3 + i * 2].p, c->argv[3 + i * 2].n);
        np[i] = names[i]->buf;
        vp[i] = values[i]->buf;
    }
    str_t *err = NULL;
    config_protected_allowed = client_may_set_protected(c);
    int rc = config_set_many(n, np, vp, &err);
    config_protected_allowed = false;
    if (rc == 0) {
        reply_ok(&c->reply);
    } else {
        reply_errorf(&c->reply, "ERR %s", err->buf);
        str_free(err);
    }
    for (int i = 0; i < n; i++) {
        str_free(names[i]);
        str_free(values[i]);
    }
}

void cmd_config_resetstat(client_t *c)
{
    srv.stat_connections = srv.stat_commands = srv.stat_rejected_conn = 0;
    srv.stat_net_in = srv.stat_net_out = 0;
    srv.stat_net_repl_in = srv.stat_net_repl_out = 0;
    srv.stat_client_qbuf_limit_disconnections = 0;
    srv.stat_client_outbuf_limit_disconnections = 0;
    srv.stat_total_error_replies = srv.stat_unexpected_error_replies = 0;
    srv.stat_evicted_clients = 0;
    srv.nerrors = 0;
    srv.stat_peak_memory = (int64_t)server_used_memory();
    db_env.stat_hits = db_env.stat_misses = db_env.stat_expired = db_env.stat_evicted = 0;
    db_env.stat_expire_cycle_time_used_us = 0;
    db_env.stat_expired_stale_perc_x100 = 0;
    commands_reset_stats();
    server_slowlog_reset();
    reply_ok(&c->reply);
}

void cmd_config_rewrite(client_t *c)
{
    str_t *err = NULL;
    if (config_rewrite(&err) != 0) {
        log_msg(LOG_LEVEL_WARNING, "CONFIG REWRITE failed: %s", err->buf);
        reply_errorf(&c->reply, "ERR %s", err->buf);
        str_free(err);
        return;
    }
    log_msg(LOG_LEVEL_NOTICE, "CONFIG REWRITE executed with success.");
    reply_ok(&c->reply);
}

void cmd_config_help(client_t *c)
{
    static const char *const lines[] = {
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        NULL,
    };
    reply_help(&c->reply, "CONFIG", lines);
}
