/*
 * replica_load: a full sync parsed straight from the primary's socket
 * (repl-diskless-load on-empty-db or swapdb), with no temporary file. The
 * link stops reading through libuv; the snapshot is read from what its
 * input buffer already holds, then from the socket with poll() and read()
 * under repl-timeout, while clients are served between reads (-LOADING,
 * INFO). With swapdb the new data goes into a separate array of databases
 * that replaces the current contents only once it loaded completely, so a
 * failed transfer leaves the old data in place; otherwise the databases
 * are emptied first. Bytes after the payload go back to the link's input
 * buffer: they are the start of the replication stream.
 */
#ifndef RH_SERVER_REPLICA_LOAD_H
#define RH_SERVER_REPLICA_LOAD_H

#include <stdbool.h>

#include "db/rdb.h"
#include "net/conn.h"

/* The length of the mark that ends an EOF-framed payload. */
#define REPLICA_LOAD_MARK_LEN 40

/* Whether the snapshot announced now is to be parsed from the socket:
 * swapdb, or on-empty-db while every database is empty. */
bool replica_load_diskless(void);

typedef struct replica_load_req {
    conn_t *conn;          /* The link, borrowed; its payload starts at ibuf. */
    bool eof_framing;      /* `$EOF:<mark>`; else `$<size>`. */
    const char *eof_mark;  /* EOF framing: REPLICA_LOAD_MARK_LEN bytes. */
    long long size;        /* Length framing: the payload's bytes. */
    bool had_history;      /* A previous history is given up ("cached master"). */
} replica_load_req_t;

/*
 * Loads the snapshot from the link, serving clients meanwhile. Returns 0
 * when the new dataset is in place (st holds its replication aux fields,
 * the link's input buffer holds what followed the payload, and reading is
 * still stopped), or -1 after logging why: with swapdb the previous data
 * is back, otherwise the databases are empty. AOF logging is off during
 * the load and back to its setting afterwards.
 */
int replica_load_socket(const replica_load_req_t *req, rdb_load_stats_t *st);

/* What every full-sync load does around it, from disk or from the socket:
 * stops a snapshot child (its file would hold the old data, its
 * copy-on-write would add to the load's memory) and the AOF, returning
 * whether the AOF was on; afterwards turns it on again (a rewrite from the
 * new data). And empties every database. */
bool replica_load_quiesce(void);
void replica_load_resume(bool aof_was_on);
void replica_load_empty_all(void);

#endif
