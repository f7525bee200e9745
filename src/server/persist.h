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

/* Loads `dbfilename` from the working directory if it exists. Returns 0
 * (also when there is no file) or -1 after logging why the file cannot be
 * loaded: the server must not start then. */
int persist_load(void);

/* DEBUG RELOAD: saves (unless !save), empties the databases (unless
 * !flush), loads the file back (keys in the file replace existing ones
 * when merge). Returns 0, or -1 with Redis's error text in *err. */
int persist_reload(bool save, bool flush, bool merge, str_t **err);

/* SAVE: writes the snapshot now. Returns 0 or -1 (logged). */
int persist_save(void);

/* BGSAVE: forks the child. Returns 0, or -1 with *err set (Redis's reply
 * text) when a child is running or fork failed. */
int persist_bgsave(str_t **err);

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

/* How much of the file being loaded has been read, in percent. */
double persist_loading_percent(void);

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
