/*
 * repl: the primary side of replication. It owns the replication IDs and
 * offset, the backlog (server/repl_backlog.h, created when the first replica
 * attaches), the replicas (per-client state hung off client_t.repl) and the
 * commands REPLCONF, PSYNC, SYNC, WAIT and ROLE. The write stream comes from
 * propagate.h's PROPAGATE_REPL sink; it is copied once into the backlog and
 * from there once into each replica's connection output as it drains.
 * Full synchronisation sends a snapshot, then the stream from the fork's
 * offset: diskless (the child writes the RDB into a pipe that is copied to
 * every waiting replica in the EOF format) when repl-diskless-sync is on
 * and the replicas declared capa eof, else a BGSAVE (persist.c) whose file
 * is streamed in chunks.
 */
#ifndef RH_SERVER_REPL_H
#define RH_SERVER_REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "db/rdb.h"
#include "server/client.h"

/* Registers the PROPAGATE_REPL sink (disabled until a backlog exists). */
void repl_init(void);
/* Once per cron pass: PINGs, backlog TTL and size, pending full syncs. */
void repl_cron(void);
/* Safe point before the loop flushes: GETACK for WAIT, resumes unblocked
 * WAIT clients, and moves stream bytes to the replicas' output. */
void repl_before_flush(void);

/* At exit, after every client was freed: frees the backlog and the timer. */
void repl_shutdown(void);

/* Client hooks (client.c): the client is being freed; its output was all
 * written; bytes of the stream it has not been given yet (counted against
 * its output buffer limit). */
void repl_client_free(client_t *c);
void repl_client_drained(client_t *c);
size_t repl_client_unsent(const client_t *c);

/* min-replicas-to-write: true when writes must be refused. */
bool repl_writes_refused(void);
extern const char repl_noreplicas_error[];

/* Snapshot hooks (persist.c): the replication aux fields of an RDB file
 * (left unset without a backlog); a background save ended. */
void repl_fill_aux(rdb_aux_t *aux);
void repl_bgsave_done(bool ok);

/* INFO replication, and the sync_* fields of INFO stats; the backlog's
 * memory. */
str_t *repl_info(str_t *s);
typedef struct repl_stats {
    uint64_t sync_full;
    uint64_t sync_partial_ok;
    uint64_t sync_partial_err;
} repl_stats_t;
extern repl_stats_t repl_stats;
size_t repl_backlog_memory(void);

/* master_repl_offset. */
long long repl_master_offset(void);

/*
 * The replica side (server/replica.c) drives these. While following a
 * primary, local writes feed no backlog: the primary's stream, applied,
 * goes into it byte for byte (repl_feed_stream), so the instance's own
 * replicas see the same IDs and offsets.
 */
void repl_set_following(bool following);
void repl_feed_stream(const char *p, size_t n);
/* After a full resync: the history is replid up to offset; the backlog
 * restarts after it and this instance's replicas are dropped. */
void repl_adopt_history(const char *replid, long long offset);
/* The current ID becomes the second one, valid up to the current offset;
 * newid (NULL: a random one) becomes the current one. */
void repl_shift_replid(const char *newid);
/* The history saved in an RDB file, at start-up. */
void repl_restore_history(const char *replid, long long offset);
/* Answers every WAIT client with error and closes it after the reply
 * (this instance becomes a replica). */
void repl_unblock_waiters(const char *error);
/* Drops every replica of this instance (they reconnect and resync). */
void repl_drop_replicas(const char *why);
bool repl_has_backlog(void);

/*
 * For FAILOVER (server/failover.c): the replicas as the primary sees them
 * (an array the caller frees with alloc_free, *n entries); how many are
 * attached in any state; a counter bumped by every REPLCONF ACK (each
 * replica's ack_seq is its value at the replica's last ACK); REPLCONF
 * GETACK fed into the stream now.
 */
typedef struct repl_replica_view {
    char ip[64];
    long long port;
    bool online;
    long long ack_off;
    uint64_t ack_seq;
} repl_replica_view_t;
repl_replica_view_t *repl_replicas_list(int *n);
int repl_replica_count(void);
uint64_t repl_ack_seq(void);
void repl_feed_getack(void);

#endif
