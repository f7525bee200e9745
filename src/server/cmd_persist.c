/*
 * SAVE, BGSAVE [SCHEDULE] and LASTSAVE (server/persist.c does the work).
 */
#include <config.h>

#include "core/str.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/persist.h"
#include "server/server.h"

void cmd_save(client_t *c)
{
    if (persist_child_running()) {
        reply_error(&c->reply, "ERR Background save already in progress");
        return;
    }
    if (persist_save() == 0)
        reply_ok(&c->reply);
    else
        reply_error(&c->reply, "ERR");
}

void cmd_bgsave(client_t *c)
{
    /* SCHEDULE only matters while an AOF rewrite runs, which this server
     * does not do: BGSAVE SCHEDULE starts the save at once. */
    if (c->argc > 2 || (c->argc == 2 && !arg_is(&c->argv[1], "schedule"))) {
        reply_syntax_error(c);
        return;
    }
    str_t *err = NULL;
    if (persist_bgsave(&err) != 0) {
        reply_error(&c->reply, err->buf);
        str_free(err);
        return;
    }
    reply_status(&c->reply, "Background saving started");
}

void cmd_lastsave(client_t *c)
{
    reply_int(&c->reply, (long long)srv.lastsave);
}
