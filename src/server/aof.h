/*
 * aof: the append-only file, in Redis 7.0's multi-part layout. Inside
 * `dir`/`appenddirname` a manifest names one base file (an RDB snapshot
 * when aof-use-rdb-preamble is on, else commands) and the incremental
 * files that follow it; every write the server propagates is appended to
 * the last incremental file before the replies that acknowledge it are
 * sent, and fsynced per `appendfsync` (always: before the replies;
 * everysec: by a background thread, at most a second late; no: by the
 * kernel). BGREWRITEAOF forks a child that writes a new base while new
 * writes go to a new incremental file; when it is done the manifest is
 * switched atomically and the old files are removed.
 *
 * At start-up, with appendonly on, the manifest's files are loaded (AOF
 * wins over RDB). Unlike Redis 7.0, an instance switched to appendonly
 * with no AOF yet loads its RDB file first and writes it as the first base,
 * so turning the AOF on in the config file never starts it empty.
 */
#ifndef RH_SERVER_AOF_H
#define RH_SERVER_AOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

enum aof_fsync { AOF_FSYNC_NO = 0, AOF_FSYNC_EVERYSEC = 1, AOF_FSYNC_ALWAYS = 2 };

/* Loads the dataset at start-up: the AOF when appendonly is on (creating
 * it when there is none), else the RDB file. Returns 0, or -1 after
 * logging why the server must not start. */
int aof_load_at_startup(void);

/* CONFIG SET appendonly: on starts a rewrite that writes the first base
 * (the AOF is used once it succeeds), off closes the files. Returns 0, or
 * -1 with *err set. */
int aof_set_enabled(bool on, str_t **err);

/* Writes what the unit propagated before replies go out (the loop's
 * before-flush hook); fsyncs when appendfsync is always. force writes even
 * while a background fsync is slow. */
void aof_flush(bool force);

/* Server cron: reaps a finished rewrite child, starts scheduled and
 * automatic rewrites, retries after a write error, fsyncs (everysec). */
void aof_cron(void);

/* BGREWRITEAOF. Returns 0 when started, 1 when scheduled (another child
 * runs), -1 with *err (Redis's reply text). */
int aof_rewrite_background(str_t **err);
bool aof_child_running(void);
/* A rewrite waits for the running snapshot child. */
bool aof_rewrite_scheduled(void);

/* Before exit: kills a rewrite child, writes and fsyncs what is pending.
 * Returns 0, or -1 when the last write failed or (unless force) the first
 * base of an AOF turned on at runtime is still being written. */
int aof_shutdown(bool force);

/* The MISCONF reply while AOF writes fail, else NULL. */
const char *aof_write_error(void);

/* DEBUG LOADAOF: flushes the AOF, empties the databases and loads it
 * back. Returns 0, or -1 with *err. */
int aof_debug_reload(str_t **err);

/* INFO persistence's aof_* fields. */
str_t *aof_info(str_t *s);
/* Bytes waiting to be written (INFO memory mem_aof_buffer). */
size_t aof_buffer_size(void);

#endif
