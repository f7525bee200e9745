/*
 * propagate: the stream of writes that the append-only file and replicas
 * receive. Every write command is propagated in a deterministic form: by
 * default its own arguments, or, when a command calls propagate_prevent()
 * and adds its own form, that form (SET EX becomes SET PXAT, SPOP becomes
 * SREM, BLPOP becomes LPOP, ...). Deletions the server decides on its own
 * (expiry, eviction) are propagated as DEL.
 *
 * What one top-level command (an "execution unit": a command, a whole
 * EXEC, a served blocked client) propagates is gathered, already encoded
 * as RESP, and handed to the sinks when the unit ends; a unit of more than
 * one command is wrapped in MULTI/EXEC so a reader applies it atomically.
 * Each sink keeps its own selected database and is given the database of
 * every command so it can emit SELECT when it changes.
 */
#ifndef RH_SERVER_PROPAGATE_H
#define RH_SERVER_PROPAGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/client.h"

/* Targets of a propagated command. */
enum {
    PROPAGATE_AOF = 1u << 0,
    PROPAGATE_REPL = 1u << 1,
    PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL,
};

/* A sink receives one command (RESP bytes) for database dbid. */
typedef void propagate_sink_fn(int dbid, const char *resp, size_t n);

/* Chains the keyspace's expired and evicted hooks (after notify_init). */
void propagate_init(void);

/* Registers the sink of one target (PROPAGATE_AOF or PROPAGATE_REPL) and
 * tells whether it currently wants the stream. */
void propagate_set_sink(unsigned target, propagate_sink_fn *fn);
void propagate_enable(unsigned target, bool on);

/* True when some sink wants the stream: commands only need to build their
 * deterministic form then. */
extern unsigned propagate_targets;
static inline bool propagate_wanted(void)
{
    return propagate_targets != 0;
}

/* Propagates argv as a command on database dbid (alsoPropagate). */
void propagate_argv(int dbid, unsigned targets, int argc, const arg_t *argv);

/* Builds a command argument by argument: begin with the argument count,
 * then exactly argc arguments. */
void propagate_begin(int dbid, unsigned targets, int argc);
void propagate_arg(const char *p, size_t n);
void propagate_arg_cstr(const char *s);
void propagate_arg_ll(long long v);
void propagate_arg_double(double d); /* As Redis's %.17g. */

/* The running command will not be propagated as it was called: it adds
 * its own form (or nothing). */
void propagate_prevent(void);
/* prevent, then propagate argv on c's database to every target. */
void propagate_rewrite(client_t *c, int argc, const arg_t *argv);

/* SELECT dbid in RESP, which a sink writes when the database of its stream
 * changes; returns its length. buf needs PROPAGATE_SELECT_BUF bytes. */
#define PROPAGATE_SELECT_BUF 64
size_t propagate_select_resp(char *buf, int dbid);

/* True when the running unit has gathered commands not yet handed to the
 * sinks. */
bool propagate_pending(void);

/* A key deleted by expiry or eviction: propagated as DEL, or as UNLINK
 * when lazy (lazyfree-lazy-expire / lazyfree-lazy-eviction), as Redis. */
void propagate_del(int dbid, const char *key, size_t n, bool lazy);

/* Execution units, driven by dispatch: a unit starts at the outermost
 * call and ends (the gathered commands go to the sinks) when it returns.
 * Nested calls (EXEC's queue) join the unit. */
void propagate_unit_begin(void);
void propagate_unit_end(void);

/* Called by dispatch around one command: the command's own arguments are
 * propagated at call_end when it changed the dataset (dirty_delta > 0)
 * and did not prevent it. Calls nest (EXEC). */
typedef struct propagate_call {
    bool prevented_outer;
} propagate_call_t;
void propagate_call_begin(propagate_call_t *pc);
void propagate_call_end(propagate_call_t *pc, client_t *c, uint64_t dirty_delta);

/* Commands loaded from the AOF or received from a primary are not
 * propagated again by the default rule while this is set (a replica feeds
 * its own stream explicitly). */
extern bool propagate_suspended;

#endif
