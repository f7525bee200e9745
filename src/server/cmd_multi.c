/*
 * Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The queueing
 * of the commands between MULTI and EXEC is a dispatcher gate; the state
 * and the running of the queue are in multi.c.
 */
#include <config.h>

#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/multi.h"

void cmd_multi(client_t *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(&c->reply, "ERR MULTI calls can not be nested");
        return;
    }
    multi_start(c);
    reply_ok(&c->reply);
}

void cmd_exec(client_t *c)
{
    multi_exec(c);
}

void cmd_discard(client_t *c)
{
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(&c->reply, "ERR DISCARD without MULTI");
        return;
    }
    multi_discard(c);
    reply_ok(&c->reply);
}

void cmd_watch(client_t *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(&c->reply, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (int j = 1; j < c->argc; j++)
        multi_watch(c, c->db, &c->argv[j]);
    reply_ok(&c->reply);
}

void cmd_unwatch(client_t *c)
{
    multi_unwatch(c);
    reply_ok(&c->reply);
}
