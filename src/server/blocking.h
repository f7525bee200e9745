/*
 * blocking: clients waiting on keys (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, BZMPOP
 * ...). A blocking command that finds nothing to serve calls blocking_wait
 * and returns without replying; the client then keeps its command and reads
 * nothing more until it is served, times out or is unblocked.
 *
 * Serving re-runs the command: when a key a client waits on is added to its
 * database (db_env's added hook) it becomes "ready", and after the current
 * command (after EXEC for a transaction) every client waiting on a ready key
 * whose value now has the awaited type runs its command again, oldest
 * waiter first. A re-run that finds something replies as usual; one that
 * finds nothing calls blocking_wait again, which keeps the client's place
 * in every queue. Serving may make other keys ready (BLMOVE pushes), which
 * are served in the same pass, so chains of BLMOVE resolve at once.
 *
 * Timeouts are absolute monotonic deadlines; on expiry, and for CLIENT
 * UNBLOCK ... TIMEOUT, the client gets a null array (RESP3 null), as Redis
 * 7.0 replies to every list and sorted-set blocking command.
 */
#ifndef RH_SERVER_BLOCKING_H
#define RH_SERVER_BLOCKING_H

#include <stdbool.h>
#include <stdint.h>

#include "server/client.h"

/* The type of value the client waits for. */
enum block_type {
    BLOCK_LIST = 1,
    BLOCK_ZSET = 3,
};

/*
 * Parses a blocking timeout in seconds (decimals allowed, 0 = forever) as
 * Redis does, into an absolute monotonic deadline in ms (0 = none). Replies
 * with Redis's error and returns false when it is not valid.
 */
bool blocking_parse_timeout(client_t *c, const arg_t *arg, int64_t *deadline_ms);

/* True when the running command may block: not inside EXEC (a transaction
 * answers as if the timeout expired at once) and not a fake client. */
bool blocking_allowed(const client_t *c);

/*
 * Blocks c on the nkeys keys at c->argv[first], c->argv[first + step], ...
 * of its database until one of them holds a value of type btype. Called
 * from a command handler that found nothing and has not replied. When the
 * command is being re-run for a client already waiting, this keeps its
 * place and changes nothing.
 */
void blocking_wait(client_t *c, int first, int step, int nkeys, enum block_type btype,
                   int64_t deadline_ms);

/* True while c is blocked on keys (CLIENT LIST flag 'b'). */
bool blocking_is_blocked(const client_t *c);

/* A key was added to db: clients waiting on it will be served after the
 * current command. */
void blocking_signal_key(db_t *db, const char *key, size_t len);

/* Serves the clients waiting on ready keys; called after each top-level
 * command. Cheap when nothing is ready. */
void blocking_serve_ready(void);

/* Processes the further input of clients unblocked since the last call;
 * called at the loop's safe point. */
void blocking_resume_clients(void);

/* CLIENT UNBLOCK: as if the timeout expired (error false) or with the
 * UNBLOCKED error. Returns false when c is not blocked on keys. */
bool blocking_unblock(client_t *c, bool error);

/* Drops c's waits without replying (the client is being freed). */
/* Every client blocked on keys gets error and is closed after it (the
 * instance became a replica, as Redis does). */
void blocking_unblock_all(const char *error);
void blocking_forget(client_t *c);

/* Clients blocked on keys, and keys with at least one waiter (INFO). */
long long blocking_clients(void);
long long blocking_keys(void);

void blocking_init(void);
void blocking_shutdown(void);

#endif
