/*
 * failover: the coordinated failover of FAILOVER [TO host port [FORCE]]
 * [ABORT] [TIMEOUT ms]. On the primary it owns the state machine
 * (none -> waiting-for-sync -> failover-in-progress -> none): it holds
 * writes (srv.pause_failover, the CLIENT PAUSE WRITE gate), waits until a
 * replica acknowledged the whole stream, then makes this instance a replica
 * of it (replica.c), whose handshake sends PSYNC <replid> <offset> FAILOVER.
 * On the target it answers that PSYNC by promoting itself. It owns only the
 * target's host name (freed when the failover ends).
 */
#ifndef RH_SERVER_FAILOVER_H
#define RH_SERVER_FAILOVER_H

#include <stdbool.h>

#include "server/client.h"

typedef enum failover_state {
    FAILOVER_NONE,
    FAILOVER_WAIT_FOR_SYNC, /* Writes held until a replica caught up. */
    FAILOVER_IN_PROGRESS,   /* Following the target; PSYNC FAILOVER pending. */
} failover_state_t;

failover_state_t failover_state(void);
/* master_failover_state of INFO replication. */
const char *failover_state_name(void);

/* repl.c hooks: a replica acknowledged an offset (REPLCONF ACK); the safe
 * point before the loop flushes; once per cron pass. */
void failover_replica_acked(void);
void failover_before_flush(void);
void failover_cron(void);

/* PSYNC <replid> <offset> FAILOVER received (repl.c, before the usual
 * PSYNC work): promotes this replica when the ID is ours. Returns false
 * after replying with an error. */
bool failover_psync_request(client_t *c);

/* replica.c: the target answered our PSYNC FAILOVER; accepted is true for
 * +CONTINUE or +FULLRESYNC. A refusal aborts the failover, which makes this
 * instance a primary again. */
void failover_psync_result(bool accepted);

/* At exit: forgets the state. */
void failover_shutdown(void);

#endif
