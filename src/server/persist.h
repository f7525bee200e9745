/*
 * persist: RDB snapshots on disk. SAVE writes one in the loop; BGSAVE and
 * the `save` points fork a child that writes it while the parent serves
 * clients. Either way the file is written as temp-PID.rdb in the working
 * directory (`dir`), fsynced, renamed over `dbfilename`, and the directory
 * fsynced, so a crash leaves the old file or the new one, never a torn one.
 * The child uses plain system calls only (no libuv, no TLS, no systemd) and
 * leaves with _exit(). At start-up the file is loaded before the server
 * reports ready.
 */
#ifndef RH_SERVER_PERSIST_H
#define RH_SERVER_PERSIST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"
#include "db/rdb.h"

/* Loads `dbfilename` from the working directory if it exists. Returns 0
 * (also when there is no file) or -1 after logging why the file cannot be
 * loaded: the server must not start then. */
int persist_load(void);
/* The rdb_load_into flags for this instance's role (a replica keeps
 * expired keys). */
unsigned persist_load_flags(void);

/* DEBUG RELOAD: saves (unless !save), empties the databases (unless
 * !flush), loads the file back (keys in the file replace existing ones
 * when merge). Returns 0, or -1 with Redis's error text in *err. */
int persist_reload(bool save, bool flush, bool merge, str_t **err);

/* SAVE: writes the snapshot now. Returns 0 or -1 (logged). */
int persist_save(void);

/* BGSAVE: forks the child. Returns 0, or -1 with *err set (Redis's reply
 * text) when a child is running or fork failed. */
int persist_bgsave(str_t **err);

/* The body of a child that streams a snapshot instead of saving the file
 * (diskless replication). It runs in the child, with plain system calls
 * only, and returns 0 or a negative errno. */
typedef int (*persist_child_fn)(void *ctx);

/* Forks a snapshot child that runs fn(ctx) (persist_write_rdb_fd writes
 * the dataset). It is the RDB child while it runs (rdb_bgsave_in_progress,
 * one child at a time) but, as Redis's transfers to replicas' sockets, its
 * end counts no save and keeps the save status. repl_bgsave_done is called
 * when it ends. Returns 0, or -1 with *err set as persist_bgsave. */
int persist_bgsave_stream(persist_child_fn fn, void *ctx, str_t **err);

/* Stops the running snapshot child, if any, with SIGUSR1 (a cancellation,
 * not an error); persist_cron reaps it later. */
void persist_kill_child(void);

/* BGSAVE SCHEDULE: a save starts once the AOF rewrite child is done. */
void persist_schedule_bgsave(void);

/* True while a snapshot child runs. */
bool persist_child_running(void);

/* Called from the server cron: reaps a finished child and starts a
 * background save when a `save` point is reached. */
void persist_cron(void);

/* True when writes must be refused with MISCONF: the last background save
 * failed, `save` points exist and stop-writes-on-bgsave-error is on. */
bool persist_writes_refused(void);
extern const char persist_misconf_error[];

/* Before exit: kills a running child and removes its temporary file, then
 * saves when `save` points exist (or flags ask so). Returns 0 or -1. */
int persist_shutdown(bool save, bool nosave);

/* Writes the dataset as an RDB file at path (created or truncated) and
 * fsyncs it; no rename. Returns 0 or a negative errno (logged; the file is
 * removed). Used by snapshots and (aof_base) by the AOF's base files. */
int persist_write_rdb(const char *path, bool aof_base);

/* Writes the dataset as an RDB stream to fd (left open, not fsynced).
 * Returns 0 or a negative errno. */
int persist_write_rdb_fd(int fd, bool aof_base);

/* Private dirty bytes of this process (a child: what copy-on-write has
 * cost so far). */
uint64_t persist_private_dirty(void);

/* write(2) of all n bytes, retried after EINTR and short writes. Returns 0
 * or a negative errno. */
int persist_write_all(int fd, const char *p, size_t n);

/* fsync of a directory, so renames in it survive a crash. 0 or -errno. */
int persist_fsync_dir(const char *dir);

/* Loads the RDB file at path into the databases. While srv.loading is set
 * (persist_loading_begin) clients are served between reads. Returns 0, 1
 * when there is no such file, or -1 after logging the file, offset and
 * reason. end (may be NULL) receives where the RDB ends in the file: an
 * AOF written with the RDB preamble before Redis 7.0 goes on with commands
 * there. */
int persist_load_rdb(const char *path, unsigned flags, rdb_load_stats_t *st, uint64_t *end);

/* A start-up load of total_bytes begins: INFO loading fields, -LOADING for
 * clients, systemd progress. */
void persist_loading_begin(uint64_t total_bytes);
void persist_loading_end(void);
/* Serves clients when due while loading (call between reads; the caller
 * adds what it read to srv.loading_loaded_bytes). Returns false when a
 * shutdown was asked for: the load must stop. */
bool persist_loading_events(void);

/* One read of a file being loaded: serves clients when due, counts the
 * bytes in the loading progress. Returns the bytes read, 0 at the end,
 * -ECANCELED after a shutdown request, or a negative errno. */
long persist_loading_read(int fd, void *buf, size_t cap);

/* How much of the file being loaded has been read, in percent. */
double persist_loading_percent(void);
/* The seconds the load should still take, as Redis estimates them (1 in
 * the first second). */
long long persist_loading_eta(void);

/* The rdb_* fields of INFO persistence. */
str_t *persist_info(str_t *s);

/* Snapshot statistics. */
typedef struct persist_stats {
    int64_t child_pid;          /* -1 when none. */
    int64_t bgsave_start_ms;    /* Wall clock. */
    int64_t last_bgsave_secs;   /* -1 when none yet. */
    bool last_bgsave_ok;
    int64_t last_bgsave_try;    /* Unix seconds. */
    uint64_t saves;
    uint64_t last_cow_bytes;
    uint64_t last_load_keys;
    uint64_t last_load_expired;
    uint64_t dirty_at_fork;
} persist_stats_t;

extern persist_stats_t persist;

#endif
