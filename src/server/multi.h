/*
 * multi: transactions (MULTI, EXEC, DISCARD) and optimistic locking
 * (WATCH). A client's queue and watched keys live in a multi_state_t that
 * this module allocates on first use and frees in multi_client_free; queued
 * commands own copies of their arguments, since the input buffer they came
 * from is reused. Watched keys are indexed per database, and the module
 * installs the keyspace's modified and replacing hooks to mark the
 * watching clients when a key changes. The CLIENT_MULTI flag is kept here.
 */
#ifndef RH_SERVER_MULTI_H
#define RH_SERVER_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/client.h"

typedef struct multi_state multi_state_t;

/* Installs the keyspace hooks (db_env.modified and db_env.replacing). */
void multi_init(void);
/* Frees the watched-key index (at shutdown, after every client is gone). */
void multi_destroy(void);

/* MULTI: enters the transaction state. */
void multi_start(client_t *c);
/* Queues c's current command (c->cmd, argc, argv), copying its arguments. */
void multi_queue(client_t *c);
/* A command was refused while queueing: EXEC will answer EXECABORT. */
void multi_flag_error(client_t *c);
/* EXEC: replies with the results of the queued commands, a null array when
 * a watched key changed, or EXECABORT; always leaves the transaction. */
void multi_exec(client_t *c);
/* EXEC refused by a dispatcher gate (error is the gate's error text, code
 * included): replies "EXECABORT Transaction discarded because of: error" and
 * leaves the transaction. */
void multi_abort_exec(client_t *c, const char *error);
/* DISCARD (and RESET): drops the queue and the watched keys and leaves the
 * transaction state. */
void multi_discard(client_t *c);
/* True for the command that runs the queue (EXEC), whose gates must also
 * consider the flags of the queued commands. */
bool multi_is_exec(const cmd_t *cmd);
/* The union of the flags of the queued commands. */
uint64_t multi_queued_flags(const client_t *c);

/* WATCH one key of db for c (a key watched twice counts once). */
void multi_watch(client_t *c, db_t *db, const arg_t *key);
/* UNWATCH: forgets every watched key and whether one changed. */
void multi_unwatch(client_t *c);

/* Frees c's transaction state (client free). */
void multi_client_free(client_t *c);
/* CLIENT LIST multi= (queued commands, -1 outside MULTI) and multi-mem=
 * (argument bytes plus one pointer per argument). */
long long multi_queued_count(const client_t *c);
size_t multi_queued_mem(const client_t *c);

#endif
