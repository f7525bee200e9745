#include <config.h>
#include "server/persist.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "db/rdb.h"
#include "server/aof.h"
#include "server/config.h"
#include "server/repl.h"
#include "server/replica.h"
#include "server/server.h"
#include "server/supervise.h"

persist_stats_t persist = {.child_pid = -1, .last_bgsave_secs = -1, .last_bgsave_ok = true};

const char persist_misconf_error[] =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
    "to disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
    "the RDB error.";

/* Seconds between retries of a failed background save by the save points,
 * as Redis's CONFIG_BGSAVE_RETRY_DELAY. */
#define BGSAVE_RETRY_DELAY 5

/* The child reports its copy-on-write bytes through this pipe. */
static int cow_pipe[2] = {-1, -1};

/* ---- writing a file --------------------------------------------------------- */

typedef struct file_sink {
    int fd;
    char buf[64 * 1024];
    size_t used;
} file_sink_t;

int persist_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sink_flush(file_sink_t *s)
{
    int rc = persist_write_all(s->fd, s->buf, s->used);
    s->used = 0;
    return rc;
}

static int sink_write(void *ctx, const void *p, size_t n)
{
    file_sink_t *s = ctx;
    if (s->used + n > sizeof(s->buf)) {
        int rc = sink_flush(s);
        if (rc != 0)
            return rc;
        if (n >= sizeof(s->buf))
            return persist_write_all(s->fd, p, n);
    }
    memcpy(s->buf + s->used, p, n);
    s->used += n;
    return 0;
}

int persist_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static int clock_kind(void)
{
    switch (cfg.maxmemory_policy) {
    case MAXMEMORY_ALLKEYS_LRU:
    case MAXMEMORY_VOLATILE_LRU:
        return RDB_CLOCK_LRU;
    case MAXMEMORY_ALLKEYS_LFU:
    case MAXMEMORY_VOLATILE_LFU:
        return RDB_CLOCK_LFU;
    default:
        return RDB_CLOCK_NONE;
    }
}

int persist_write_rdb_fd(int fd, bool aof_base)
{
    file_sink_t *s = alloc_malloc(sizeof(*s));
    s->used = 0;
    s->fd = fd;
    rdb_writer_t w;
    rdb_writer_init(&w, sink_write, s);
    w.compress = cfg.rdbcompression;
    w.checksum = cfg.rdbchecksum;
    w.clock = clock_kind();
    w.key_delay_us = cfg.rdb_key_save_delay;
    rdb_aux_t aux = {0};
    aux.ctime = clock_wall_ms() / 1000;
    aux.used_mem = server_used_memory();
    /* An AOF base says so, and carries no replication history (its
     * incremental files move on without it), as in Redis. */
    aux.aof_base = aof_base;
    if (!aof_base)
        repl_fill_aux(&aux);
    int rc = rdb_save(&w, srv.dbs, srv.ndbs, &aux);
    rdb_writer_destroy(&w);
    if (rc == 0)
        rc = sink_flush(s);
    alloc_free(s);
    return rc;
}

int persist_write_rdb(const char *path, bool aof_base)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = -errno;
        log_msg(LOG_LEVEL_WARNING,
                "Failed opening the temp RDB file %s (in server root dir %s) for saving: %s",
                path, cfg.dir != NULL ? cfg.dir : ".", strerror(-rc));
        return rc;
    }
    int rc = persist_write_rdb_fd(fd, aof_base);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc != 0)
        unlink(path);
    return rc;
}

/* Writes the whole dataset to tmp, then renames it to cfg.dbfilename.
 * Returns 0 or a negative errno (the temporary file is removed). */
static int write_snapshot(const char *tmp)
{
    int rc = persist_write_rdb(tmp, false);
    if (rc == 0 && rename(tmp, cfg.dbfilename) != 0)
        rc = -errno;
    if (rc == 0)
        rc = persist_fsync_dir(".");
    if (rc != 0) {
        log_msg(LOG_LEVEL_WARNING, "Write error saving DB on disk: %s", strerror(-rc));
        unlink(tmp);
    }
    return rc;
}

static void temp_name(char *buf, size_t n, long pid)
{
    snprintf(buf, n, "temp-%ld.rdb", pid);
}

int persist_save(void)
{
    char tmp[64];
    temp_name(tmp, sizeof(tmp), (long)getpid());
    int rc = write_snapshot(tmp);
    if (rc != 0) {
        persist.last_bgsave_ok = false;
        return -1;
    }
    log_msg(LOG_LEVEL_NOTICE, "DB saved on disk");
    srv.dirty = 0;
    srv.lastsave = clock_wall_ms() / 1000;
    persist.last_bgsave_ok = true;
    persist.saves++;
    return 0;
}

/* ---- the background child ------------------------------------------------------ */

uint64_t persist_private_dirty(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (f == NULL)
        return 0;
    char line[256];
    uint64_t kb = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long v;
        if (sscanf(line, "Private_Dirty: %llu kB", &v) == 1)
            kb += v;
    }
    fclose(f);
    return kb * 1024;
}

/* The running child streams a snapshot to replicas (persist_bgsave_stream)
 * rather than saving the file: its end neither counts as a save nor
 * changes the save status, as Redis's socket target. */
static bool child_streams;

/* Reports the child's copy-on-write cost to the parent. Returns 0 or a
 * negative errno. */
static int child_report_cow(void)
{
    uint64_t cow = persist_private_dirty();
    if (cow > 0)
        log_msg(LOG_LEVEL_NOTICE, "Fork CoW for RDB: current %llu MB, peak %llu MB, "
                                  "average %llu MB",
                (unsigned long long)(cow >> 20), (unsigned long long)(cow >> 20),
                (unsigned long long)(cow >> 20));
    return persist_write_all(cow_pipe[1], (const char *)&cow, sizeof(cow)) != 0 ? -EIO : 0;
}

/* The child: fn(ctx) streams the snapshot, or (fn NULL) the file is
 * written. Never returns. */
__attribute__((noreturn)) static void child_main(persist_child_fn fn, void *ctx)
{
    log_set_role('C');
    /* Default dispositions: the parent's handlers belong to its loop. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    close(cow_pipe[0]);
    int rc;
    if (fn != NULL) {
        rc = fn(ctx);
        if (rc == 0)
            rc = child_report_cow();
    } else {
        char tmp[64];
        temp_name(tmp, sizeof(tmp), (long)getpid());
        rc = write_snapshot(tmp);
        if (rc == 0) {
            rc = child_report_cow();
            log_msg(LOG_LEVEL_NOTICE, "DB saved on disk");
        }
    }
    _exit(rc == 0 ? 0 : 1);
}

bool persist_child_running(void)
{
    return persist.child_pid != -1;
}

static int start_child(persist_child_fn fn, void *ctx, str_t **err)
{
    if (persist_child_running()) {
        *err = str_new_cstr("ERR Background save already in progress");
        return -1;
    }
    if (pipe2(cow_pipe, O_CLOEXEC) != 0) {
        cow_pipe[0] = cow_pipe[1] = -1;
        *err = str_fmt("ERR Can't create the pipe for the child: %s", strerror(errno));
        return -1;
    }
    if (fn == NULL)
        persist.last_bgsave_try = clock_wall_ms() / 1000;
    persist.dirty_at_fork = srv.dirty;
    int64_t start = clock_mono_ms();
    pid_t pid = fork();
    if (pid == 0)
        child_main(fn, ctx);
    close(cow_pipe[1]);
    cow_pipe[1] = -1;
    if (pid < 0) {
        int e = errno;
        close(cow_pipe[0]);
        cow_pipe[0] = -1;
        if (fn == NULL)
            persist.last_bgsave_ok = false;
        log_msg(LOG_LEVEL_WARNING, "Can't save in background: fork: %s", strerror(e));
        *err = str_fmt("ERR Can't save in background: fork: %s", strerror(e));
        return -1;
    }
    srv.stat_fork_time_us = (clock_mono_ms() - start) * 1000;
    srv.stat_total_forks++;
    persist.child_pid = pid;
    persist.bgsave_start_ms = clock_wall_ms();
    child_streams = fn != NULL;
    log_msg(LOG_LEVEL_NOTICE, "%s started by pid %ld",
            fn != NULL ? "Background RDB transfer" : "Background saving", (long)pid);
    return 0;
}

int persist_bgsave(str_t **err)
{
    return start_child(NULL, NULL, err);
}

int persist_bgsave_stream(persist_child_fn fn, void *ctx, str_t **err)
{
    REQUIRE(fn != NULL);
    return start_child(fn, ctx, err);
}

void persist_kill_child(void)
{
    if (persist_child_running())
        kill((pid_t)persist.child_pid, SIGUSR1);
}

/* The end of a streaming child: only the CoW figure and the duration are
 * kept, as Redis does for a transfer to replicas' sockets. */
static void stream_child_done(int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log_msg(LOG_LEVEL_NOTICE, "Background RDB transfer terminated with success");
        uint64_t cow = 0;
        if (read(cow_pipe[0], &cow, sizeof(cow)) == (ssize_t)sizeof(cow))
            persist.last_cow_bytes = cow;
    } else if (WIFSIGNALED(status)) {
        log_msg(LOG_LEVEL_WARNING, "Background transfer terminated by signal %d",
                WTERMSIG(status));
    } else {
        log_msg(LOG_LEVEL_WARNING, "Background transfer error");
    }
}

static void save_child_done(int status)
{
    char tmp[64];
    temp_name(tmp, sizeof(tmp), (long)persist.child_pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log_msg(LOG_LEVEL_NOTICE, "Background saving terminated with success");
        srv.dirty -= srv.dirty < persist.dirty_at_fork ? srv.dirty : persist.dirty_at_fork;
        srv.lastsave = clock_wall_ms() / 1000;
        persist.last_bgsave_ok = true;
        persist.saves++;
        uint64_t cow = 0;
        if (read(cow_pipe[0], &cow, sizeof(cow)) == (ssize_t)sizeof(cow))
            persist.last_cow_bytes = cow;
    } else if (WIFSIGNALED(status)) {
        log_msg(LOG_LEVEL_WARNING, "Background saving terminated by signal %d",
                WTERMSIG(status));
        unlink(tmp);
        /* SIGUSR1 is how a save is cancelled on purpose: not an error. */
        if (WTERMSIG(status) != SIGUSR1)
            persist.last_bgsave_ok = false;
    } else {
        log_msg(LOG_LEVEL_WARNING, "Background saving error");
        persist.last_bgsave_ok = false;
    }
}

static void child_done(int status)
{
    persist.last_bgsave_secs = (clock_wall_ms() - persist.bgsave_start_ms) / 1000;
    if (child_streams)
        stream_child_done(status);
    else
        save_child_done(status);
    close(cow_pipe[0]);
    cow_pipe[0] = -1;
    persist.child_pid = -1;
    child_streams = false;
    repl_bgsave_done(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* BGSAVE SCHEDULE while an AOF rewrite runs: started by the cron. */
static bool bgsave_scheduled;

void persist_schedule_bgsave(void)
{
    bgsave_scheduled = true;
}

static bool save_point_due(int64_t now_s)
{
    for (int i = 0; i < cfg.save_count; i++) {
        const save_point_t *sp = &cfg.save_points[i];
        if (srv.dirty >= (uint64_t)sp->changes && now_s - srv.lastsave > sp->seconds &&
            (persist.last_bgsave_ok || now_s - persist.last_bgsave_try > BGSAVE_RETRY_DELAY)) {
            log_msg(LOG_LEVEL_NOTICE, "%lld changes in %lld seconds. Saving...",
                    (long long)sp->changes, (long long)sp->seconds);
            return true;
        }
    }
    return false;
}

void persist_cron(void)
{
    if (persist_child_running()) {
        int status;
        pid_t r = waitpid((pid_t)persist.child_pid, &status, WNOHANG);
        if (r == (pid_t)persist.child_pid)
            child_done(status);
        return;
    }
    if (aof_child_running())
        return;
    if (bgsave_scheduled || save_point_due(clock_wall_ms() / 1000)) {
        bgsave_scheduled = false;
        str_t *err = NULL;
        if (persist_bgsave(&err) != 0)
            str_free(err);
    }
}

bool persist_writes_refused(void)
{
    return cfg.stop_writes_on_bgsave_error && cfg.save_count > 0 && !persist.last_bgsave_ok;
}

int persist_shutdown(bool save, bool nosave)
{
    if (persist_child_running()) {
        log_msg(LOG_LEVEL_WARNING, "There is a child saving an .rdb. Killing it!");
        kill((pid_t)persist.child_pid, SIGUSR1);
        int status;
        waitpid((pid_t)persist.child_pid, &status, 0);
        char tmp[64];
        temp_name(tmp, sizeof(tmp), (long)persist.child_pid);
        unlink(tmp);
        close(cow_pipe[0]);
        cow_pipe[0] = -1;
        persist.child_pid = -1;
        child_streams = false;
    }
    if (nosave || (!save && cfg.save_count == 0))
        return 0;
    log_msg(LOG_LEVEL_NOTICE, "Saving the final RDB snapshot before exiting.");
    if (persist_save() != 0) {
        log_msg(LOG_LEVEL_WARNING, "Error trying to save the DB, can't exit.");
        return -1;
    }
    return 0;
}

/* ---- loading ------------------------------------------------------------------- */

/* Clients are served between reads at least this often while loading. */
#define LOADING_EVENTS_MS 50
#define LOADING_EVENTS_BYTES (2u << 20)

static struct {
    int64_t ms;      /* When clients were last served. */
    uint64_t bytes;  /* srv.loading_loaded_bytes then. */
} loading_tick;

void persist_loading_begin(uint64_t total_bytes)
{
    srv.loading_total_bytes = total_bytes;
    srv.loading_loaded_bytes = 0;
    srv.loading_rdb_used_mem = 0;
    srv.loading_start = clock_wall_ms() / 1000;
    srv.loading = true;
    loading_tick.ms = clock_mono_ms();
    loading_tick.bytes = 0;
}

void persist_loading_end(void)
{
    srv.loading = false;
}

bool persist_loading_events(void)
{
    if (!srv.loading)
        return true;
    if (srv.shutdown_after_loading)
        return false;
    int64_t now = clock_mono_ms();
    if (now - loading_tick.ms < LOADING_EVENTS_MS &&
        srv.loading_loaded_bytes - loading_tick.bytes < LOADING_EVENTS_BYTES)
        return true;
    loading_tick.ms = now;
    loading_tick.bytes = srv.loading_loaded_bytes;
    supervise_loading(persist_loading_percent());
    loop_run_once(&srv.loop);
    return !srv.shutdown_after_loading;
}

long persist_loading_read(int fd, void *buf, size_t cap)
{
    if (!persist_loading_events())
        return -ECANCELED;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0) {
            srv.loading_loaded_bytes += (uint64_t)n;
            return (long)n;
        }
        if (errno != EINTR)
            return -errno;
    }
}

typedef struct file_source {
    int fd;
    rdb_reader_t *r;
    const rdb_load_stats_t *st;
    uint64_t keys_seen; /* Keys already charged key-load-delay. */
} file_source_t;

static long source_read(void *ctx, void *buf, size_t cap)
{
    file_source_t *s = ctx;
    if (s->st != NULL)
        srv.loading_rdb_used_mem = s->st->used_mem;
    if (cfg.key_load_delay > 0) {
        /* The test hook: every key loaded costs key-load-delay us. Small
         * reads give the loader few keys at a time. */
        uint64_t keys = s->r->keys;
        if (keys > s->keys_seen)
            usleep((useconds_t)((keys - s->keys_seen) * (uint64_t)cfg.key_load_delay));
        s->keys_seen = keys;
        if (cap > 16)
            cap = 16;
    }
    return persist_loading_read(s->fd, buf, cap);
}

int persist_load_rdb(const char *path, unsigned flags, rdb_load_stats_t *st, uint64_t *end)
{
    file_source_t src;
    src.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (src.fd < 0) {
        if (errno == ENOENT)
            return 1;
        log_msg(LOG_LEVEL_WARNING, "Fatal error loading the DB (%s): %s. Exiting.", path,
                strerror(errno));
        return -1;
    }
    int64_t start = clock_mono_us();
    rdb_reader_t r;
    rdb_reader_init(&r, source_read, &src);
    r.verify_checksum = cfg.rdbchecksum;
    /* The file's CRC-64 guards its listpacks and intsets, which then get a
     * structural check only, unless sanitize-dump-payload is yes (as Redis
     * deep-checks them only then) or the CRC goes unchecked. */
    r.deep_check = cfg.sanitize_dump_payload == 1 || !cfg.rdbchecksum;
    src.r = &r;
    src.st = st;
    src.keys_seen = 0;
    int rc = rdb_load_into(&r, srv.dbs, srv.ndbs, flags, st);
    close(src.fd);
    if (end != NULL)
        *end = r.offset;
    if (rc != 0 && srv.shutdown_after_loading) {
        log_msg(LOG_LEVEL_WARNING, "Loading stopped by a shutdown request");
        rdb_reader_destroy(&r);
        return 0;
    }
    if (rc != 0) {
        log_msg(LOG_LEVEL_WARNING, "Short read or corrupt RDB file %s at offset %llu: %s.",
                path, (unsigned long long)r.err_offset, r.err_msg);
        rdb_reader_destroy(&r);
        return -1;
    }
    rdb_reader_destroy(&r);
    persist.last_load_keys = st->keys;
    persist.last_load_expired = st->expired_skipped;
    if (st->expired_skipped > 0)
        log_msg(LOG_LEVEL_NOTICE, "Done loading RDB, keys loaded: %llu, keys expired: %llu.",
                (unsigned long long)st->keys, (unsigned long long)st->expired_skipped);
    log_msg(LOG_LEVEL_NOTICE, "DB loaded from disk: %.3f seconds",
            (double)(clock_mono_us() - start) / 1e6);
    return 0;
}

/* Loads cfg.dbfilename; events: serve clients while loading (start-up). */
static int load_file(bool events, unsigned flags, rdb_load_stats_t *st)
{
    struct stat sb;
    if (events)
        persist_loading_begin(stat(cfg.dbfilename, &sb) == 0 ? (uint64_t)sb.st_size : 0);
    int rc = persist_load_rdb(cfg.dbfilename, flags, st, NULL);
    persist_loading_end();
    return rc;
}

unsigned persist_load_flags(void)
{
    /* A replica keeps keys that expired: its primary deletes them. */
    return cfg.replicaof_host != NULL ? 0 : RDB_LOAD_SKIP_EXPIRED;
}

int persist_load(void)
{
    rdb_load_stats_t st = {0};
    int rc = load_file(true, persist_load_flags(), &st);
    if (rc < 0) {
        log_msg(LOG_LEVEL_WARNING, "Fatal error loading the DB, exiting.");
        return -1;
    }
    if (rc == 0) {
        srv.lastsave = clock_wall_ms() / 1000;
        replica_loaded_history(&st);
    }
    return 0;
}

int persist_reload(bool save, bool flush, bool merge, str_t **err)
{
    if (save && persist_save() != 0) {
        *err = str_new_cstr("ERR Error trying to save the RDB dump, check server logs.");
        return -1;
    }
    if (flush) {
        for (int i = 0; i < srv.ndbs; i++)
            db_empty(&srv.dbs[i]);
    }
    rdb_load_stats_t st = {0};
    if (load_file(false, persist_load_flags() | (merge ? RDB_LOAD_REPLACE : 0), &st) != 0) {
        *err = str_new_cstr("ERR Error trying to load the RDB dump, check server logs.");
        return -1;
    }
    log_msg(LOG_LEVEL_WARNING, "DB reloaded by DEBUG RELOAD");
    return 0;
}

/* The bytes still to load: of the total when known, else of the RDB's
 * used-mem (a rough guess of its size), at least 1. */
static uint64_t loading_remaining(void)
{
    uint64_t total = srv.loading_total_bytes != 0 ? srv.loading_total_bytes
                                                  : srv.loading_rdb_used_mem;
    if (total == 0)
        return 1;
    return total > srv.loading_loaded_bytes ? total - srv.loading_loaded_bytes : 1;
}

double persist_loading_percent(void)
{
    if (srv.loading_total_bytes != 0)
        return 100.0 * (double)srv.loading_loaded_bytes / (double)srv.loading_total_bytes;
    if (srv.loading_rdb_used_mem == 0)
        return 0;
    /* used-mem only approximates the size: never 100% before the end. */
    double perc = 100.0 * (double)srv.loading_loaded_bytes / (double)srv.loading_rdb_used_mem;
    return perc > 99.99 ? 99.99 : perc;
}

long long persist_loading_eta(void)
{
    int64_t elapsed = clock_wall_ms() / 1000 - srv.loading_start;
    if (elapsed <= 0)
        return 1;
    return (long long)((uint64_t)elapsed * loading_remaining() / (srv.loading_loaded_bytes + 1));
}

str_t *persist_info(str_t *s)
{
    long long current = persist_child_running()
                            ? (clock_wall_ms() - persist.bgsave_start_ms) / 1000
                            : -1;
    return str_catfmt(s,
                      "rdb_changes_since_last_save:%llu\r\nrdb_bgsave_in_progress:%d\r\n"
                      "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\n"
                      "rdb_last_bgsave_time_sec:%lld\r\nrdb_current_bgsave_time_sec:%lld\r\n"
                      "rdb_saves:%llu\r\nrdb_last_cow_size:%llu\r\n"
                      "rdb_last_load_keys_expired:%llu\r\nrdb_last_load_keys_loaded:%llu\r\n",
                      (unsigned long long)srv.dirty, persist_child_running() ? 1 : 0,
                      (long long)srv.lastsave, persist.last_bgsave_ok ? "ok" : "err",
                      (long long)persist.last_bgsave_secs, current,
                      (unsigned long long)persist.saves,
                      (unsigned long long)persist.last_cow_bytes,
                      (unsigned long long)persist.last_load_expired,
                      (unsigned long long)persist.last_load_keys);
}
