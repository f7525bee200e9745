/*
 * replica: the replica side of replication. It follows the primary named by
 * cfg.replicaof_host/port (the replicaof option or REPLICAOF at runtime):
 * connects, runs the handshake as an explicit state machine (PING, AUTH,
 * REPLCONF listening-port / ip-address / capa, PSYNC), receives a full
 * snapshot into a temporary file (`$len` or `$EOF:<mark>` framing) and loads
 * it, or continues after +CONTINUE; then the connection becomes the master
 * client, whose commands are applied without replies and whose bytes go,
 * once applied, into this instance's own backlog (repl_feed_stream), so its
 * replicas see the primary's stream unchanged. It sends REPLCONF ACK every
 * second, answers GETACK, times out a silent link after repl-timeout and
 * reconnects. The primary side of this instance stays in repl.c.
 */
#ifndef RH_SERVER_REPLICA_H
#define RH_SERVER_REPLICA_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"
#include "db/rdb.h"
#include "server/client.h"

/* At start-up, once the dataset is loaded: follows cfg.replicaof_host. */
void replica_start(void);
/* Every cron pass: connects, sends ACKs, applies repl-timeout. */
void replica_cron(void);
/* At exit: closes the link and removes a partial transfer file. */
void replica_shutdown(void);

/* True while following a primary. */
static inline bool replica_active(void)
{
    extern bool replica_following;
    return replica_following;
}
/* The link is up and streaming (master_link_status:up). */
bool replica_link_up(void);
/* The database the primary's stream is in (the master client's). */
int replica_stream_db(void);

/* The error a command gets on a replica (READONLY, MASTERDOWN), or NULL.
 * flags: the command's flags, with those of a queued transaction for EXEC. */
const char *replica_refusal(const client_t *c, const cmd_t *cmd, uint64_t flags);

/* The history an RDB file loaded at start-up carries (aux fields). */
void replica_loaded_history(const rdb_load_stats_t *st);

/* Master client hooks: a command of n bytes at p was run (client.c); the
 * client is being freed (repl.c's client hook); REPLCONF GETACK. */
void replica_applied(client_t *c, const char *p, size_t n);
void replica_client_free(client_t *c);
void replica_getack(client_t *c);

/* Stops following and becomes a primary that continues the history under a
 * new replication ID (the old one stays valid up to the current offset);
 * its replicas are dropped to learn the new ID. A no-op on a primary. The
 * caller logs why. */
void replica_promote(void);
/* Follows host:port (n bytes, copied). keep_replicas: this instance's
 * replicas stay attached and continue from its backlog (FAILOVER); else
 * they are dropped (REPLICAOF). */
void replica_set_primary(const char *host, size_t n, long long port, bool keep_replicas);

/* ROLE and the replica lines of INFO replication. */
void replica_role(client_t *c);
str_t *replica_info(str_t *s);

#endif
