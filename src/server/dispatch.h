/*
 * dispatch: runs one parsed command through the fixed sequence of gates
 * (exists, arity, auth, no-multi, OOM, subscriber context, pause, MULTI
 * queueing, call) and records its statistics. The gates read command flags
 * only; a command refused inside MULTI fails the transaction.
 */
#ifndef RH_SERVER_DISPATCH_H
#define RH_SERVER_DISPATCH_H

#include <stdbool.h>

#include "server/client.h"

/* Result of dispatch_command. */
enum dispatch_result {
    DISPATCH_DONE = 0,   /* The command ran or was refused with a reply. */
    DISPATCH_DEFER,      /* Not run now (client paused); keep the input. */
};

int dispatch_command(client_t *c);
/* Runs c->cmd with statistics, slow log and monitor feed; the gates must
 * have passed. */
void dispatch_call(client_t *c);
/* Runs a blocked client's command again to serve it (server/blocking.c):
 * no gates, and only its time is added to the statistics. */
void dispatch_rerun(client_t *c);

/* Runs a command replayed from a stream (the AOF at start-up) for the
 * connection-less client c: only existence and arity are checked, MULTI
 * queues until EXEC, replies are dropped. Returns 0, or -1 when the command
 * does not exist or has the wrong number of arguments. */
int dispatch_replay(client_t *c);

/* Standard error replies. */
void reply_wrong_arity(client_t *c);
void reply_syntax_error(client_t *c);
void reply_wrongtype(client_t *c);
void reply_not_integer(client_t *c);
void reply_not_float(client_t *c);

#endif
