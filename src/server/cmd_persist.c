/*
 * SAVE, BGSAVE [SCHEDULE], LASTSAVE and BGREWRITEAOF (server/persist.c
 * and server/aof.c do the work).
 */
#include <config.h>

#include "core/str.h"
#include "server/aof.h"
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
    if (c->argc > 2 || (c->argc == 2 && !arg_is(&c->argv[1], "schedule"))) {
        reply_syntax_error(c);
        return;
    }
    if (!persist_child_running() && aof_child_running()) {
        /* SCHEDULE starts the save when the AOF rewrite is done. */
        if (c->argc == 2) {
            persist_schedule_bgsave();
            reply_status(&c->reply, "Background saving scheduled");
        } else {
            reply_error(&c->reply, "ERR Another child process is active (AOF?): can't BGSAVE "
                                   "right now. Use BGSAVE SCHEDULE in order to schedule a "
                                   "BGSAVE whenever possible.");
        }
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

void cmd_bgrewriteaof(client_t *c)
{
    str_t *err = NULL;
    int rc = aof_rewrite_background(&err);
    if (rc < 0) {
        reply_error(&c->reply, err->buf);
        str_free(err);
    } else if (rc == 1) {
        reply_status(&c->reply, "Background append only file rewriting scheduled");
    } else {
        reply_status(&c->reply, "Background append only file rewriting started");
    }
}
