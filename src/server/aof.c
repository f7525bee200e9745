#include <config.h>
#include "server/aof.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "db/aof_format.h"
#include "server/client.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/persist.h"
#include "server/propagate.h"
#include "server/server.h"

enum aof_state { AOF_OFF, AOF_ON, AOF_WAIT_REWRITE };

/* A slow background fsync delays writes at most this long (everysec). */
#define POSTPONE_MAX_MS 2000
/* Failed writes are retried by the cron at most this often. */
#define RETRY_MS 1000

static struct {
    int state;
    int fd;           /* The incremental file being appended to, or -1. */
    str_t *buf;       /* Propagated bytes not yet written. */
    int selected_db;  /* Of the stream in fd; -1 forces a SELECT. */
    uint64_t incr_size;            /* Of the file fd. */
    uint64_t current_size, base_size; /* Of the whole AOF and of its base. */
    bool unsynced;    /* Written since the last fsync. */
    int64_t last_fsync_ms;
    int64_t postponed_since_ms;
    uint64_t delayed_fsync;
    int write_errno;  /* 0 when the last write succeeded. */
    int64_t last_retry_ms;
    int64_t last_ts;  /* Seconds of the last #TS annotation. */
    /* Rewrite. */
    long child;
    int64_t rewrite_start_ms;
    bool scheduled;
    long long last_rewrite_secs;
    bool last_rewrite_ok;
    uint64_t rewrites, consecutive_failures, last_cow;
    int64_t last_failure_ms; /* Monotonic. */
    int cow_pipe[2];
} A = {.state = AOF_OFF, .fd = -1, .selected_db = -1, .child = -1,
       .last_rewrite_secs = -1, .last_rewrite_ok = true, .cow_pipe = {-1, -1}};

/* ---- the background thread: fsync, close, unlink off the loop ----------- */

enum bio_kind { BIO_FSYNC, BIO_CLOSE, BIO_UNLINK };

typedef struct bio_job {
    int kind;
    int fd;
    char *path;
    struct bio_job *next;
} bio_job_t;

static struct {
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bio_job_t *head, *tail;
    int pending_fsync; /* Under lock. */
    int fsync_errno;   /* Of the last background fsync, under lock. */
} B = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void bio_run(bio_job_t *j)
{
    int err = 0;
    switch (j->kind) {
    case BIO_FSYNC:
        if (fdatasync(j->fd) != 0 && errno != EBADF && errno != EINVAL)
            err = errno;
        pthread_mutex_lock(&B.lock);
        B.pending_fsync--;
        B.fsync_errno = err;
        pthread_mutex_unlock(&B.lock);
        break;
    case BIO_CLOSE:
        close(j->fd);
        break;
    case BIO_UNLINK:
        unlink(j->path);
        break;
    }
}

static void *bio_main(void *arg)
{
    UNUSED(arg);
    /* Signals belong to the loop thread. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        pthread_mutex_lock(&B.lock);
        while (B.head == NULL)
            pthread_cond_wait(&B.cond, &B.lock);
        bio_job_t *j = B.head;
        B.head = j->next;
        if (B.head == NULL)
            B.tail = NULL;
        pthread_mutex_unlock(&B.lock);
        bio_run(j);
        alloc_free(j->path);
        alloc_free(j);
    }
    return NULL;
}

static void bio_submit(int kind, int fd, const char *path)
{
    if (!B.started) {
        if (pthread_create(&B.thread, NULL, bio_main, NULL) != 0) {
            /* No thread: do the job here, late but correct. */
            bio_job_t j = {kind, fd, (char *)path, NULL};
            if (kind == BIO_FSYNC) {
                pthread_mutex_lock(&B.lock);
                B.pending_fsync++;
                pthread_mutex_unlock(&B.lock);
            }
            bio_run(&j);
            return;
        }
        B.started = true;
    }
    bio_job_t *j = alloc_calloc(sizeof(*j));
    j->kind = kind;
    j->fd = fd;
    j->path = path != NULL ? alloc_strdup(path) : NULL;
    pthread_mutex_lock(&B.lock);
    if (kind == BIO_FSYNC)
        B.pending_fsync++;
    if (B.tail != NULL)
        B.tail->next = j;
    else
        B.head = j;
    B.tail = j;
    pthread_cond_signal(&B.cond);
    pthread_mutex_unlock(&B.lock);
}

static int bio_pending_fsync(void)
{
    pthread_mutex_lock(&B.lock);
    int n = B.pending_fsync;
    pthread_mutex_unlock(&B.lock);
    return n;
}

/* ---- appending ------------------------------------------------------------ */

static void append(const char *p, size_t n)
{
    if (A.buf == NULL)
        A.buf = str_new_cap(n > 4096 ? n : 4096);
    A.buf = str_cat(A.buf, p, n);
}

/* The propagation sink: one command for database dbid. */
static void aof_feed(int dbid, const char *resp, size_t n)
{
    /* While the AOF waits for its first base, the stream matters only from
     * the rewrite's fork on: what came before is in the child's snapshot. */
    if (A.state == AOF_OFF || (A.state == AOF_WAIT_REWRITE && A.child == -1))
        return;
    if (cfg.aof_timestamp_enabled) {
        int64_t now = clock_wall_ms() / 1000;
        if (now != A.last_ts) {
            char ts[48];
            int k = snprintf(ts, sizeof(ts), "#TS:%lld\r\n", (long long)now);
            append(ts, (size_t)k);
            A.last_ts = now;
        }
    }
    if (dbid != A.selected_db) {
        char sel[PROPAGATE_SELECT_BUF];
        append(sel, propagate_select_resp(sel, dbid));
        A.selected_db = dbid;
    }
    append(resp, n);
}

size_t aof_buffer_size(void)
{
    return A.buf != NULL ? A.buf->cap : 0;
}

static bool fsync_off_now(void)
{
    return cfg.no_appendfsync_on_rewrite && (A.child != -1 || persist_child_running());
}

/* A failed or short write: the file gets back its old length when it can,
 * and writes are refused until a retry succeeds. With appendfsync always
 * the written reply cannot be taken back, so the server exits as Redis
 * does; the file holds everything that was acknowledged. */
static void write_failed(ssize_t w, int err, size_t want)
{
    if (err == 0)
        err = ENOSPC; /* A short write without errno: the disk is full. */
    /* Logged once per spell of errors, in Redis's words. */
    if (A.write_errno == 0 || cfg.appendfsync == AOF_FSYNC_ALWAYS) {
        if (w > 0)
            log_msg(LOG_LEVEL_WARNING, "Short write while writing to the AOF file: "
                                       "(nwritten=%lld, expected=%lld)",
                    (long long)w, (long long)want);
        else
            log_msg(LOG_LEVEL_WARNING, "Error writing to the AOF file: %s", strerror(err));
    }
    if (w > 0) {
        /* The file is opened O_APPEND: after the truncation the retry
         * appends at the old end. */
        if (ftruncate(A.fd, (off_t)A.incr_size) != 0) {
            log_msg(LOG_LEVEL_WARNING, "Could not remove short write from the append-only "
                                       "file. Redis may refuse to load the AOF the next time "
                                       "it starts. ftruncate: %s", strerror(errno));
            /* The part written stays: drop it from the buffer. */
            A.incr_size += (uint64_t)w;
            A.current_size += (uint64_t)w;
            memmove(A.buf->buf, A.buf->buf + w, A.buf->len - (size_t)w);
            str_setlen(A.buf, A.buf->len - (size_t)w);
        }
    }
    if (cfg.appendfsync == AOF_FSYNC_ALWAYS) {
        log_msg(LOG_LEVEL_WARNING,
                "Can't recover from AOF write error when the AOF fsync policy is 'always'. "
                "Exiting...");
        _exit(1);
    }
    A.write_errno = err;
    A.last_retry_ms = clock_mono_ms();
}

static void write_buffer(void)
{
    size_t want = A.buf->len;
    ssize_t w;
    do
        w = write(A.fd, A.buf->buf, want);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)want) {
        write_failed(w, w < 0 ? errno : 0, want);
        return;
    }
    if (A.write_errno != 0) {
        log_msg(LOG_LEVEL_WARNING, "AOF write error looks solved, Redis can write again.");
        A.write_errno = 0;
    }
    A.incr_size += want;
    A.current_size += want;
    A.unsynced = true;
    if (A.buf->cap > (4u << 20)) {
        str_free(A.buf);
        A.buf = NULL;
    } else {
        str_setlen(A.buf, 0);
    }
}

/* everysec: hands an fsync to the background thread once a second. */
static void fsync_everysec(int64_t now)
{
    if (!A.unsynced || now - A.last_fsync_ms < 1000 || bio_pending_fsync() > 0 ||
        fsync_off_now())
        return;
    bio_submit(BIO_FSYNC, A.fd, NULL);
    A.unsynced = false;
    A.last_fsync_ms = now;
}

void aof_flush(bool force)
{
    if (A.fd < 0)
        return;
    int64_t now = clock_mono_ms();
    if (A.buf != NULL && A.buf->len > 0) {
        if (cfg.appendfsync == AOF_FSYNC_EVERYSEC && !force && bio_pending_fsync() > 0) {
            /* write(2) would wait for the fsync in progress: wait for it
             * here instead, for up to two seconds. */
            if (A.postponed_since_ms == 0) {
                A.postponed_since_ms = now;
                return;
            }
            if (now - A.postponed_since_ms < POSTPONE_MAX_MS)
                return;
            A.delayed_fsync++;
            log_msg(LOG_LEVEL_NOTICE,
                    "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the "
                    "AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        }
        A.postponed_since_ms = 0;
        write_buffer();
        if (A.write_errno != 0)
            return;
    }
    if (cfg.appendfsync == AOF_FSYNC_ALWAYS && A.unsynced && !fsync_off_now()) {
        if (fdatasync(A.fd) != 0) {
            log_msg(LOG_LEVEL_WARNING,
                    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': "
                    "%s. Exiting...", strerror(errno));
            _exit(1);
        }
        A.unsynced = false;
        A.last_fsync_ms = now;
    } else if (cfg.appendfsync == AOF_FSYNC_EVERYSEC) {
        fsync_everysec(now);
    }
}

const char *aof_write_error(void)
{
    static char msg[160];
    if (A.state == AOF_OFF || A.write_errno == 0)
        return NULL;
    snprintf(msg, sizeof(msg), "MISCONF Errors writing to the AOF file: %s",
             strerror(A.write_errno));
    return msg;
}

/* ---- files and the manifest ------------------------------------------------ */

/* The manifest as the server knows it: what is on disk after each
 * manifest_persist. base_seq and incr_seq are the highest used so far. */
static aof_manifest_t M;

static str_t *path_in_dir(const char *name)
{
    return str_fmt("%s/%s", cfg.appenddirname, name);
}

static char *base_name(long long seq)
{
    str_t *s = str_fmt("%s.%lld.base.%s", cfg.appendfilename, seq,
                       cfg.aof_use_rdb_preamble ? "rdb" : "aof");
    char *n = alloc_strdup(s->buf);
    str_free(s);
    return n;
}

static char *incr_name(long long seq)
{
    str_t *s = str_fmt("%s.%lld.incr.aof", cfg.appendfilename, seq);
    char *n = alloc_strdup(s->buf);
    str_free(s);
    return n;
}

/* Moves a file of the manifest to its history list (its name is taken
 * over); the file is deleted once the manifest without it is written. */
static void to_history(aof_file_info_t *f)
{
    aof_manifest_add(&M, f->name, f->seq, AOF_FILE_HIST);
    alloc_free(f->name);
    f->name = NULL;
}

/* Makes name (taken over) the base, the old base history. */
static void set_base(char *name)
{
    if (M.base.name != NULL)
        to_history(&M.base);
    M.base_seq++;
    aof_manifest_add(&M, name, M.base_seq, AOF_FILE_BASE);
    alloc_free(name);
}

/* Writes the manifest atomically: a temporary file, fsynced, renamed over
 * the manifest, and the directory fsynced. */
static int manifest_persist(void)
{
    str_t *text = aof_manifest_format(&M);
    str_t *tmp = str_fmt("%s/temp-%s.manifest", cfg.appenddirname, cfg.appendfilename);
    str_t *dst = str_fmt("%s/%s.manifest", cfg.appenddirname, cfg.appendfilename);
    int rc = 0;
    int fd = open(tmp->buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        rc = -errno;
    if (rc == 0)
        rc = persist_write_all(fd, text->buf, text->len);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp->buf, dst->buf) != 0)
        rc = -errno;
    if (rc == 0)
        rc = persist_fsync_dir(cfg.appenddirname);
    if (rc != 0) {
        log_msg(LOG_LEVEL_WARNING, "Error writing the AOF manifest %s: %s", dst->buf,
                strerror(-rc));
        unlink(tmp->buf);
    }
    str_free(text);
    str_free(tmp);
    str_free(dst);
    return rc;
}

static void manifest_clear(void)
{
    aof_manifest_destroy(&M);
    aof_manifest_init(&M);
}

/* Removes the history files (in the background) and forgets them. */
static void delete_history(void)
{
    if (M.nhist == 0 || cfg.aof_disable_auto_gc)
        return;
    for (int i = 0; i < M.nhist; i++) {
        log_msg(LOG_LEVEL_NOTICE, "Removing the history file %s in the background",
                M.hist[i].name);
        str_t *p = path_in_dir(M.hist[i].name);
        bio_submit(BIO_UNLINK, -1, p->buf);
        str_free(p);
    }
    for (int i = 0; i < M.nhist; i++)
        alloc_free(M.hist[i].name);
    alloc_free(M.hist);
    M.hist = NULL;
    M.nhist = 0;
    manifest_persist();
}

static int open_append(const char *name, bool truncate)
{
    str_t *p = path_in_dir(name);
    int fd = open(p->buf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0),
                  0644);
    int e = errno;
    str_free(p);
    errno = e;
    return fd;
}

static uint64_t file_size(const char *name)
{
    str_t *p = path_in_dir(name);
    struct stat sb;
    uint64_t n = stat(p->buf, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    str_free(p);
    return n;
}

/* Makes fd the file appended to: the old one is closed in the background
 * (after its pending fsync). */
static void switch_fd(int fd, uint64_t size)
{
    if (A.fd >= 0)
        bio_submit(BIO_CLOSE, A.fd, NULL);
    A.fd = fd;
    A.incr_size = size;
    A.selected_db = -1;
    A.unsynced = false;
}

/* Opens a new incremental file, lists it in the manifest and appends to it
 * from now on. Returns 0 or a negative errno (logged). */
static int open_new_incr(const char *why)
{
    char *name = incr_name(M.incr_seq + 1);
    int fd = open_append(name, true);
    if (fd < 0) {
        int e = errno;
        log_msg(LOG_LEVEL_WARNING, "Can't open the append-only file %s: %s", name, strerror(e));
        alloc_free(name);
        return -e;
    }
    aof_manifest_add(&M, name, ++M.incr_seq, AOF_FILE_INCR);
    int rc = manifest_persist();
    if (rc != 0) {
        alloc_free(M.incr[--M.nincr].name);
        M.incr_seq--;
        close(fd);
        str_t *p = path_in_dir(name);
        unlink(p->buf);
        str_free(p);
        alloc_free(name);
        return rc;
    }
    if (why != NULL)
        log_msg(LOG_LEVEL_NOTICE, "Creating AOF incr file %s on %s", name, why);
    alloc_free(name);
    switch_fd(fd, 0);
    return 0;
}

/* ---- rewriting: a new base -------------------------------------------------- */

static int fd_write(void *ctx, const void *p, size_t n)
{
    return persist_write_all(*(int *)ctx, p, n);
}

/* A base of commands (aof-use-rdb-preamble no), fsynced. */
static int write_commands_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    aof_writer_t w;
    aof_writer_init(&w, fd_write, &fd);
    w.key_delay_us = cfg.rdb_key_save_delay;
    int rc = aof_write_dataset(&w, srv.dbs, srv.ndbs);
    aof_writer_destroy(&w);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc != 0)
        unlink(path);
    return rc;
}

/* Writes the dataset as a base file at path (an RDB, or commands without
 * the preamble), fsynced. Returns 0 or a negative errno. */
static int write_base(const char *path)
{
    if (cfg.aof_use_rdb_preamble)
        return persist_write_rdb(path, true);
    return write_commands_file(path);
}

/* Writes the first base of a new AOF in the loop (start-up) and the
 * manifest naming it and a new incremental file. */
static int create_synchronously(const char *why)
{
    char *name = base_name(M.base_seq + 1);
    str_t *tmp = str_fmt("%s/temp-rewriteaof-%ld.aof", cfg.appenddirname, (long)getpid());
    str_t *dst = path_in_dir(name);
    int rc = write_base(tmp->buf);
    if (rc == 0 && rename(tmp->buf, dst->buf) != 0)
        rc = -errno;
    if (rc != 0) {
        log_msg(LOG_LEVEL_WARNING, "Can't create the AOF base file %s: %s", name,
                strerror(-rc));
        unlink(tmp->buf);
        alloc_free(name);
    } else {
        log_msg(LOG_LEVEL_NOTICE, "Creating AOF base file %s on %s", name, why);
        A.base_size = file_size(name);
        set_base(name);
        for (int i = 0; i < M.nincr; i++)
            to_history(&M.incr[i]);
        M.nincr = 0;
        A.current_size = A.base_size;
        rc = open_new_incr(why);
    }
    str_free(tmp);
    str_free(dst);
    return rc;
}

static void child_main(void)
{
    log_set_role('C');
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    close(A.cow_pipe[0]);
    str_t *tmp = str_fmt("%s/temp-rewriteaof-bg-%ld.aof", cfg.appenddirname, (long)getpid());
    int rc = write_base(tmp->buf);
    if (rc == 0) {
        log_msg(LOG_LEVEL_NOTICE, "Successfully created the temporary AOF base file %s",
                tmp->buf + strlen(cfg.appenddirname) + 1);
        uint64_t cow = persist_private_dirty();
        log_msg(LOG_LEVEL_NOTICE, "Fork CoW for AOF rewrite: current %llu MB, peak %llu MB, "
                                  "average %llu MB",
                (unsigned long long)(cow >> 20), (unsigned long long)(cow >> 20),
                (unsigned long long)(cow >> 20));
        if (persist_write_all(A.cow_pipe[1], (const char *)&cow, sizeof(cow)) != 0)
            rc = -EIO;
    }
    _exit(rc == 0 ? 0 : 1);
}

/* The stream during the rewrite goes to a new incremental file (or, while
 * the AOF waits for its first base, to a temporary one outside the
 * manifest). */
static int prepare_incr_for_rewrite(void)
{
    if (A.state == AOF_ON) {
        aof_flush(true);
        if (A.fd >= 0 && fdatasync(A.fd) != 0)
            log_msg(LOG_LEVEL_WARNING, "fsync of the AOF before the rewrite: %s",
                    strerror(errno));
        return open_new_incr(NULL);
    }
    if (A.state == AOF_WAIT_REWRITE) {
        str_t *tmp = str_fmt("temp-%s.incr", cfg.appendfilename);
        int fd = open_append(tmp->buf, true);
        int e = errno;
        str_free(tmp);
        if (fd < 0) {
            log_msg(LOG_LEVEL_WARNING, "Can't open the temporary AOF incr file: %s",
                    strerror(e));
            return -e;
        }
        switch_fd(fd, 0);
    }
    return 0;
}

static int ensure_dir(void)
{
    if (mkdir(cfg.appenddirname, 0755) == 0 || errno == EEXIST)
        return 0;
    int e = errno;
    log_msg(LOG_LEVEL_WARNING, "Can't create the append-only dir %s: %s", cfg.appenddirname,
            strerror(e));
    return -e;
}

int aof_rewrite_background(str_t **err)
{
    if (A.child != -1) {
        *err = str_new_cstr("ERR Background append only file rewriting already in progress");
        return -1;
    }
    /* Another child runs, or the running command (a transaction) has
     * writes not yet handed to the AOF: they are in the dataset the child
     * would snapshot, and would be logged again after it. */
    if (persist_child_running() || propagate_pending()) {
        A.scheduled = true;
        return 1;
    }
    if (ensure_dir() != 0 || prepare_incr_for_rewrite() != 0) {
        *err = str_new_cstr("ERR Can't execute an AOF background rewriting. Please check "
                            "the server logs for more information.");
        return -1;
    }
    if (pipe2(A.cow_pipe, O_CLOEXEC) != 0) {
        A.cow_pipe[0] = A.cow_pipe[1] = -1;
        *err = str_fmt("ERR Can't create the pipe for the child: %s", strerror(errno));
        return -1;
    }
    A.scheduled = false;
    int64_t start = clock_mono_ms();
    pid_t pid = fork();
    if (pid == 0)
        child_main();
    close(A.cow_pipe[1]);
    A.cow_pipe[1] = -1;
    if (pid < 0) {
        int e = errno;
        close(A.cow_pipe[0]);
        A.cow_pipe[0] = -1;
        A.last_rewrite_ok = false;
        log_msg(LOG_LEVEL_WARNING, "Can't rewrite append only file in background: fork: %s",
                strerror(e));
        *err = str_fmt("ERR Can't rewrite append only file in background: fork: %s",
                       strerror(e));
        return -1;
    }
    srv.stat_fork_time_us = (clock_mono_ms() - start) * 1000;
    srv.stat_total_forks++;
    /* INFO's aof_rewrites counts the rewrites started, as Redis does. */
    A.rewrites++;
    A.child = pid;
    A.rewrite_start_ms = clock_wall_ms();
    log_msg(LOG_LEVEL_NOTICE, "Background append only file rewriting started by pid %ld",
            (long)pid);
    return 0;
}

bool aof_child_running(void)
{
    return A.child != -1;
}

bool aof_rewrite_scheduled(void)
{
    return A.scheduled;
}

static void rewrite_failed(void)
{
    A.last_rewrite_ok = false;
    A.consecutive_failures++;
    A.last_failure_ms = clock_mono_ms();
}

/* The rewrite succeeded: the new base replaces the old base and every
 * incremental file before the one opened when the rewrite started. */
static void rewrite_done_ok(const char *tmp)
{
    char *name = base_name(M.base_seq + 1);
    str_t *dst = path_in_dir(name);
    if (rename(tmp, dst->buf) != 0) {
        log_msg(LOG_LEVEL_WARNING, "Error trying to rename the temporary AOF base file %s "
                                   "into %s: %s", tmp, name, strerror(errno));
        rewrite_failed();
        unlink(tmp);
        alloc_free(name);
        str_free(dst);
        return;
    }
    log_msg(LOG_LEVEL_NOTICE, "Successfully renamed the temporary AOF base file %s into %s",
            tmp + strlen(cfg.appenddirname) + 1, name);
    str_free(dst);
    A.base_size = file_size(name);
    set_base(name);
    if (A.state == AOF_WAIT_REWRITE) {
        /* The temporary incremental file becomes the first one. */
        char *iname = incr_name(M.incr_seq + 1);
        str_t *from = str_fmt("%s/temp-%s.incr", cfg.appenddirname, cfg.appendfilename);
        str_t *to = path_in_dir(iname);
        if (rename(from->buf, to->buf) == 0) {
            log_msg(LOG_LEVEL_NOTICE, "Successfully renamed the temporary AOF incr file %s "
                                      "into %s", from->buf + strlen(cfg.appenddirname) + 1, iname);
        }
        str_free(from);
        str_free(to);
        for (int i = 0; i < M.nincr; i++)
            to_history(&M.incr[i]);
        M.nincr = 0;
        aof_manifest_add(&M, iname, ++M.incr_seq, AOF_FILE_INCR);
        alloc_free(iname);
        A.state = AOF_ON;
    } else {
        /* With the AOF on, keep the last incremental file: it was opened
         * at the start and holds the writes since. With the AOF off every
         * incremental file is older than the new base: kept, it would be
         * replayed on top of it. */
        int keep = A.state == AOF_ON ? 1 : 0;
        for (int i = 0; i + keep < M.nincr; i++)
            to_history(&M.incr[i]);
        if (keep == 1 && M.nincr > 1)
            M.incr[0] = M.incr[M.nincr - 1];
        if (M.nincr > keep)
            M.nincr = keep;
    }
    if (manifest_persist() != 0) {
        rewrite_failed();
        return;
    }
    A.current_size = A.base_size + A.incr_size;
    A.last_rewrite_ok = true;
    A.consecutive_failures = 0;
    delete_history();
    log_msg(LOG_LEVEL_NOTICE, "Background AOF rewrite finished successfully");
}

static void rewrite_child_done(int status)
{
    str_t *tmp = str_fmt("%s/temp-rewriteaof-bg-%ld.aof", cfg.appenddirname, A.child);
    A.last_rewrite_secs = (clock_wall_ms() - A.rewrite_start_ms) / 1000;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log_msg(LOG_LEVEL_NOTICE, "Background AOF rewrite terminated with success");
        uint64_t cow = 0;
        if (read(A.cow_pipe[0], &cow, sizeof(cow)) == (ssize_t)sizeof(cow))
            A.last_cow = cow;
        aof_flush(true);
        rewrite_done_ok(tmp->buf);
    } else {
        if (WIFSIGNALED(status))
            log_msg(LOG_LEVEL_WARNING, "Background AOF rewrite terminated by signal %d",
                    WTERMSIG(status));
        else
            log_msg(LOG_LEVEL_WARNING, "Background AOF rewrite failed");
        unlink(tmp->buf);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGUSR1) {
            rewrite_failed();
        }
    }
    str_free(tmp);
    close(A.cow_pipe[0]);
    A.cow_pipe[0] = -1;
    A.child = -1;
}

/* Kills a running rewrite and removes its temporary file. */
static void kill_child(void)
{
    if (A.child == -1)
        return;
    log_msg(LOG_LEVEL_NOTICE, "Killing running AOF rewrite child: %ld", A.child);
    kill((pid_t)A.child, SIGUSR1);
    int status;
    waitpid((pid_t)A.child, &status, 0);
    str_t *tmp = str_fmt("%s/temp-rewriteaof-bg-%ld.aof", cfg.appenddirname, A.child);
    unlink(tmp->buf);
    str_free(tmp);
    close(A.cow_pipe[0]);
    A.cow_pipe[0] = -1;
    A.child = -1;
}

/* ---- switching on and off ------------------------------------------------- */

static void stop(void)
{
    aof_flush(true);
    if (A.fd >= 0) {
        if (fdatasync(A.fd) != 0)
            log_msg(LOG_LEVEL_WARNING, "fsync of the AOF on close: %s", strerror(errno));
        close(A.fd);
        A.fd = -1;
    }
    kill_child();
    if (A.state == AOF_WAIT_REWRITE) {
        str_t *tmp = str_fmt("%s/temp-%s.incr", cfg.appenddirname, cfg.appendfilename);
        unlink(tmp->buf);
        str_free(tmp);
    }
    A.state = AOF_OFF;
    A.scheduled = false;
    A.write_errno = 0;
    propagate_enable(PROPAGATE_AOF, false);
}

int aof_set_enabled(bool on, str_t **err)
{
    if (!on) {
        if (A.state != AOF_OFF) {
            log_msg(LOG_LEVEL_NOTICE, "Background append only file rewriting stopped" );
            stop();
        }
        return 0;
    }
    if (A.state != AOF_OFF)
        return 0;
    /* The manifest of an earlier AOF stays: its sequence numbers go on and
     * its files become history once the new base is written, as in Redis. */
    if (A.child != -1) {
        /* A rewrite started with the AOF off: the writes since its fork
         * went nowhere, so its base cannot start the AOF. */
        log_msg(LOG_LEVEL_WARNING, "AOF was enabled but there is already an AOF rewriting in "
                                   "background. Stopping background AOF and starting a "
                                   "rewrite now.");
        kill_child();
    }
    A.state = AOF_WAIT_REWRITE;
    propagate_set_sink(PROPAGATE_AOF, aof_feed);
    propagate_enable(PROPAGATE_AOF, true);
    str_t *e = NULL;
    int rc = aof_rewrite_background(&e);
    if (rc < 0) {
        str_free(e);
        A.state = AOF_OFF;
        propagate_enable(PROPAGATE_AOF, false);
        log_msg(LOG_LEVEL_WARNING, "Redis needs to enable the AOF but can't trigger a "
                                   "background AOF rewrite operation. Check the above logs "
                                   "for more info about the error.");
        *err = str_new_cstr("Unable to turn on AOF. Check server logs.");
        return -1;
    }
    return 0;
}

/* ---- cron, shutdown, INFO ------------------------------------------------ */

static bool auto_rewrite_due(void)
{
    if (A.state != AOF_ON || cfg.auto_aof_rewrite_percentage <= 0 ||
        A.current_size <= (uint64_t)cfg.auto_aof_rewrite_min_size)
        return false;
    uint64_t base = A.base_size > 0 ? A.base_size : 1;
    uint64_t growth = (A.current_size * 100 / base) - 100;
    if (growth < (uint64_t)cfg.auto_aof_rewrite_percentage)
        return false;
    log_msg(LOG_LEVEL_NOTICE, "Starting automatic rewriting of AOF on %llu%% growth",
            (unsigned long long)growth);
    return true;
}

/* After failed rewrites the next automatic one waits 5 s per failure, at
 * most a minute, rather than forking again at every cron tick. */
static bool retry_delayed(void)
{
    if (A.consecutive_failures == 0)
        return false;
    int64_t wait = 5000 * (int64_t)(A.consecutive_failures < 12 ? A.consecutive_failures : 12);
    return clock_mono_ms() - A.last_failure_ms < wait;
}

void aof_cron(void)
{
    if (A.child != -1) {
        int status;
        pid_t r = waitpid((pid_t)A.child, &status, WNOHANG);
        if (r == (pid_t)A.child)
            rewrite_child_done(status);
    }
    if (A.state == AOF_OFF)
        return;
    if (A.child == -1 && !persist_child_running() && !retry_delayed() &&
        (A.scheduled || (A.state == AOF_WAIT_REWRITE) || auto_rewrite_due())) {
        str_t *err = NULL;
        if (aof_rewrite_background(&err) < 0)
            str_free(err);
    }
    int64_t now = clock_mono_ms();
    if (A.write_errno != 0 && now - A.last_retry_ms >= RETRY_MS) {
        A.last_retry_ms = now;
        aof_flush(true);
    } else if (A.postponed_since_ms != 0) {
        aof_flush(false);
    }
    if (cfg.appendfsync == AOF_FSYNC_EVERYSEC && A.fd >= 0)
        fsync_everysec(now);
}

int aof_shutdown(bool force)
{
    if (A.state == AOF_WAIT_REWRITE && A.child != -1) {
        /* The dataset is nowhere else yet when no snapshot is kept. */
        if (!force) {
            log_msg(LOG_LEVEL_WARNING, "Writing initial AOF, can't exit.");
            return -1;
        }
        log_msg(LOG_LEVEL_WARNING, "Writing initial AOF. Exit anyway.");
    }
    if (A.child != -1) {
        log_msg(LOG_LEVEL_WARNING, "There is a child rewriting the AOF. Killing it!");
        kill_child();
    }
    if (A.state == AOF_OFF || A.fd < 0)
        return 0;
    log_msg(LOG_LEVEL_NOTICE, "Calling fsync() on the AOF file.");
    aof_flush(true);
    if (A.write_errno != 0) {
        log_msg(LOG_LEVEL_WARNING, "Error writing the AOF before exiting: %s",
                strerror(A.write_errno));
        return -1;
    }
    if (fdatasync(A.fd) != 0) {
        log_msg(LOG_LEVEL_WARNING, "fsync of the AOF before exiting: %s", strerror(errno));
        return -1;
    }
    return 0;
}

str_t *aof_info(str_t *s)
{
    long long current = A.child != -1 ? (clock_wall_ms() - A.rewrite_start_ms) / 1000 : -1;
    s = str_catfmt(s,
                   "aof_enabled:%d\r\naof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\n"
                   "aof_last_rewrite_time_sec:%lld\r\naof_current_rewrite_time_sec:%lld\r\n"
                   "aof_last_bgrewrite_status:%s\r\naof_rewrites:%llu\r\n"
                   "aof_rewrites_consecutive_failures:%llu\r\naof_last_write_status:%s\r\n"
                   "aof_last_cow_size:%llu\r\nmodule_fork_in_progress:0\r\n"
                   "module_fork_last_cow_size:0\r\n",
                   A.state != AOF_OFF, A.child != -1, A.scheduled, A.last_rewrite_secs, current,
                   A.last_rewrite_ok ? "ok" : "err", (unsigned long long)A.rewrites,
                   (unsigned long long)A.consecutive_failures, A.write_errno == 0 ? "ok" : "err",
                   (unsigned long long)A.last_cow);
    if (A.state == AOF_OFF)
        return s;
    return str_catfmt(s,
                      "aof_current_size:%llu\r\naof_base_size:%llu\r\naof_pending_rewrite:%d\r\n"
                      "aof_buffer_length:%zu\r\naof_pending_bio_fsync:%d\r\n"
                      "aof_delayed_fsync:%llu\r\n",
                      (unsigned long long)A.current_size, (unsigned long long)A.base_size,
                      A.scheduled, A.buf != NULL ? (size_t)A.buf->len : 0, bio_pending_fsync(),
                      (unsigned long long)A.delayed_fsync);
}

/* ---- loading --------------------------------------------------------------- */

/* Reads the manifest. Returns 0, 1 when there is none, or -1 (logged). */
static int manifest_load(void)
{
    manifest_clear();
    str_t *path = str_fmt("%s/%s.manifest", cfg.appenddirname, cfg.appendfilename);
    int fd = open(path->buf, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e != ENOENT)
            log_msg(LOG_LEVEL_WARNING, "Can't open the AOF manifest %s: %s", path->buf,
                    strerror(e));
        str_free(path);
        return e == ENOENT ? 1 : -1;
    }
    str_t *text = str_new_cap(1024);
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        text = str_cat(text, chunk, (size_t)n);
    int e = n < 0 ? errno : 0;
    close(fd);
    aof_manifest_error_t err;
    int rc = 0;
    if (e != 0) {
        log_msg(LOG_LEVEL_WARNING, "Can't read the AOF manifest %s: %s", path->buf, strerror(e));
        rc = -1;
    } else if (aof_manifest_parse(text->buf, text->len, &M, &err) != 0) {
        log_msg(LOG_LEVEL_WARNING, "*** FATAL AOF MANIFEST FILE ERROR ***");
        if (err.line != 0) {
            log_msg(LOG_LEVEL_WARNING, "Reading the manifest file %s, at line %d", path->buf,
                    err.line);
            log_msg(LOG_LEVEL_WARNING, ">>> '%s'", err.text);
        }
        log_msg(LOG_LEVEL_WARNING, "%s", err.msg);
        rc = -1;
    } else if (M.base.name == NULL && M.nincr == 0) {
        log_msg(LOG_LEVEL_WARNING, "The AOF manifest %s names no file", path->buf);
        rc = -1;
    }
    str_free(text);
    str_free(path);
    return rc;
}

/* The reader's source: the file, with loading progress and events. */
typedef struct cmd_source {
    int fd;
} cmd_source_t;

static long cmd_source_read(void *ctx, void *buf, size_t cap)
{
    cmd_source_t *src = ctx;
    return persist_loading_read(src->fd, buf, cap);
}

/* Cuts the tail of a file after a crash (aof-load-truncated). */
static int truncate_tail(const char *path, const char *name, uint64_t valid)
{
    log_msg(LOG_LEVEL_WARNING, "!!! Warning: short read while loading the AOF file %s!!!", name);
    log_msg(LOG_LEVEL_WARNING, "!!! Truncating the AOF %s at offset %llu !!!", name,
            (unsigned long long)valid);
    if (truncate(path, (off_t)valid) != 0) {
        log_msg(LOG_LEVEL_WARNING, "Error truncating the AOF file %s: %s", name, strerror(errno));
        return -1;
    }
    log_msg(LOG_LEVEL_WARNING, "AOF %s loaded anyway because aof-load-truncated is enabled",
            name);
    return 0;
}

/* Replays the commands of r through a connection-less client. Returns the
 * final item (END, TRUNCATED, BAD, or a negative errno); an unknown or
 * malformed command is logged and returns BAD. *valid: where the file is
 * whole up to (before an unfinished MULTI). */
static int replay(aof_reader_t *r, const char *name, uint64_t *valid)
{
    client_t *c = client_new_fake();
    c->db = &srv.dbs[0];
    c->authenticated = true;
    uint64_t before_multi = 0;
    int rc;
    while ((rc = aof_reader_next(r)) == AOF_ITEM_COMMAND || rc == AOF_ITEM_ANNOTATION) {
        if (rc == AOF_ITEM_ANNOTATION)
            continue;
        if (cfg.key_load_delay > 0) {
            /* The test hook, as for RDB files: each command costs
             * key-load-delay microseconds, and clients are served. */
            usleep((useconds_t)cfg.key_load_delay);
            if (!persist_loading_events()) {
                rc = -ECANCELED;
                break;
            }
        }
        if (r->argc > c->argv_cap) {
            c->argv_cap = r->argc;
            c->argv = alloc_realloc(c->argv, sizeof(arg_t) * (size_t)c->argv_cap);
        }
        for (int i = 0; i < r->argc; i++)
            c->argv[i] = (arg_t){r->argv[i].p, r->argv[i].n};
        c->argc = r->argc;
        bool in_multi = (c->flags & CLIENT_MULTI) != 0;
        if (!in_multi)
            before_multi = r->item_offset;
        if (dispatch_replay(c) != 0) {
            log_msg(LOG_LEVEL_WARNING, "Unknown command '%.*s' reading the append only file "
                                       "%s at offset %llu", (int)(r->argv[0].n > 128 ? 128 : r->argv[0].n),
                    r->argv[0].p, name, (unsigned long long)r->item_offset);
            rc = AOF_ITEM_BAD;
            r->err_offset = r->item_offset;
            break;
        }
    }
    *valid = (c->flags & CLIENT_MULTI) ? before_multi : r->offset;
    if ((c->flags & CLIENT_MULTI) && rc == AOF_ITEM_END) {
        /* A transaction without its EXEC: a crash cut it. */
        log_msg(LOG_LEVEL_WARNING, "Revert incomplete MULTI/EXEC transaction in AOF file %s",
                name);
        rc = AOF_ITEM_TRUNCATED;
    }
    c->argc = 0;
    client_free(c);
    return rc;
}

/* Loads a command file. Returns 0 or -1 (logged). */
static int load_commands(const char *path, const char *name, bool last, uint64_t start)
{
    cmd_source_t src = {open(path, O_RDONLY | O_CLOEXEC)};
    if (src.fd >= 0 && start > 0 && lseek(src.fd, (off_t)start, SEEK_SET) < 0) {
        log_msg(LOG_LEVEL_WARNING, "Can't seek in the append only file %s: %s", name,
                strerror(errno));
        close(src.fd);
        return -1;
    }
    if (src.fd < 0) {
        log_msg(LOG_LEVEL_WARNING, errno == ENOENT ? "The AOF file %s doesn't exist"
                                                   : "Fatal error: can't open the append log "
                                                     "file %s for reading: %s",
                name, strerror(errno));
        return -1;
    }
    aof_reader_t r;
    aof_reader_init(&r, cmd_source_read, &src);
    r.offset = start;
    uint64_t valid = 0;
    int rc = replay(&r, name, &valid);
    close(src.fd);
    int result = 0;
    if (rc == AOF_ITEM_END || (rc < 0 && srv.shutdown_after_loading)) {
        result = 0;
    } else if (rc == AOF_ITEM_TRUNCATED && last && cfg.aof_load_truncated) {
        result = truncate_tail(path, name, valid);
    } else if (rc == AOF_ITEM_TRUNCATED) {
        log_msg(LOG_LEVEL_WARNING,
                "Unexpected end of file reading the append only file %s at offset %llu. You "
                "can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix "
                "<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' "
                "configuration option to yes and restart the server.",
                name, (unsigned long long)valid);
        result = -1;
    } else if (rc == AOF_ITEM_BAD) {
        log_msg(LOG_LEVEL_WARNING,
                "Bad file format reading the append only file %s at offset %llu%s%s: make a "
                "backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                name, (unsigned long long)r.err_offset, r.err_msg[0] ? ": " : "", r.err_msg);
        result = -1;
    } else {
        log_msg(LOG_LEVEL_WARNING, "Error reading the append only file %s: %s", name,
                strerror(-rc));
        result = -1;
    }
    aof_reader_destroy(&r);
    return result;
}

/* A base file is an RDB when it starts with the RDB magic. */
static bool is_rdb_file(const char *path)
{
    char magic[5];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool rdb = read(fd, magic, 5) == 5 && memcmp(magic, "REDIS", 5) == 0;
    close(fd);
    return rdb;
}

/* Loads one file of the manifest. last: the last file, whose truncated
 * tail aof-load-truncated may forgive. Returns 0 or -1 (logged). */
static int load_one(const aof_file_info_t *e, bool last)
{
    str_t *p = path_in_dir(e->name);
    int rc;
    if (is_rdb_file(p->buf)) {
        rdb_load_stats_t st = {0};
        uint64_t end = 0;
        log_msg(LOG_LEVEL_NOTICE, "Reading RDB base file on AOF loading...");
        /* Keys already expired are loaded too (and expire after loading,
         * with a DEL): commands later in the AOF may still act on them,
         * as they did when they were written (PERSIST, APPEND ...). */
        rc = persist_load_rdb(p->buf, 0, &st, &end);
        if (rc == 1) {
            log_msg(LOG_LEVEL_WARNING, "The AOF file %s doesn't exist", e->name);
            rc = -1;
        } else if (rc == 0 && !srv.shutdown_after_loading && end < file_size(e->name)) {
            /* An AOF rewritten with the RDB preamble before Redis 7.0:
             * the commands appended since follow the RDB. */
            log_msg(LOG_LEVEL_NOTICE, "Reading the remaining AOF tail...");
            rc = load_commands(p->buf, e->name, last, end);
        }
    } else {
        rc = load_commands(p->buf, e->name, last, 0);
    }
    str_free(p);
    if (rc == 0)
        log_msg(LOG_LEVEL_NOTICE, "DB loaded from %s file %s", e->type == 'b' ? "base" : "incr",
                e->name);
    return rc;
}

/* Loads the manifest's files; events: a start-up load that serves clients
 * (-LOADING) between reads. */
static int load_all(bool events)
{
    uint64_t total = M.base.name != NULL ? file_size(M.base.name) : 0;
    for (int i = 0; i < M.nincr; i++)
        total += file_size(M.incr[i].name);
    int64_t start = clock_mono_us();
    if (events)
        persist_loading_begin(total);
    /* Replayed commands are not propagated again; keys expire only by the
     * DELs the file holds. */
    propagate_suspended = true;
    db_env.no_expire = true;
    int rc = 0;
    if (M.base.name != NULL)
        rc = load_one(&M.base, M.nincr == 0);
    for (int i = 0; rc == 0 && i < M.nincr; i++)
        rc = load_one(&M.incr[i], i == M.nincr - 1);
    db_env.no_expire = false;
    propagate_suspended = false;
    if (events)
        persist_loading_end();
    if (rc == 0)
        log_msg(LOG_LEVEL_NOTICE, "DB loaded from append only file: %.3f seconds",
                (double)(clock_mono_us() - start) / 1e6);
    return rc;
}

/* Opens the last incremental file for appending (creating one when the
 * manifest has none) and turns the propagation sink on. */
static int open_for_append(void)
{
    A.base_size = M.base.name != NULL ? file_size(M.base.name) : 0;
    A.current_size = A.base_size;
    for (int i = 0; i < M.nincr; i++)
        A.current_size += file_size(M.incr[i].name);
    if (M.nincr == 0)
        return open_new_incr("server start");
    const char *name = M.incr[M.nincr - 1].name;
    int fd = open_append(name, false);
    if (fd < 0) {
        log_msg(LOG_LEVEL_WARNING, "Can't open the append-only file %s: %s", name,
                strerror(errno));
        return -1;
    }
    switch_fd(fd, file_size(name));
    return 0;
}

/* Redis before 7.0 kept a single appendonly.aof in `dir`. Redis 7.0 makes
 * it the base of a manifest, under its own name, and moves it into the AOF
 * directory; so does this. The manifest is written before the move, so a
 * crash in between is finished on the next start: the manifest then names
 * only that base, which the directory does not hold yet. manifest_rc: what
 * manifest_load returned. Returns 0 when migrated, 1 when there was
 * nothing to migrate, -1 on error (logged). */
static int migrate_old_style(int manifest_rc)
{
    struct stat sb;
    if (stat(cfg.appendfilename, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 1;
    str_t *dst = path_in_dir(cfg.appendfilename);
    bool unfinished = manifest_rc == 0 && M.nincr == 0 && M.base.name != NULL &&
                      strcmp(M.base.name, cfg.appendfilename) == 0 && stat(dst->buf, &sb) != 0;
    if (manifest_rc != 1 && !unfinished) {
        str_free(dst);
        return 1;
    }
    manifest_clear();
    aof_manifest_add(&M, cfg.appendfilename, 1, AOF_FILE_BASE);
    int rc = manifest_persist();
    if (rc == 0 && rename(cfg.appendfilename, dst->buf) != 0) {
        rc = -errno;
        log_msg(LOG_LEVEL_WARNING, "Error moving the old-style AOF file %s into %s: %s",
                cfg.appendfilename, dst->buf, strerror(-rc));
    }
    if (rc == 0)
        rc = persist_fsync_dir(cfg.appenddirname);
    str_free(dst);
    if (rc != 0)
        return -1;
    log_msg(LOG_LEVEL_NOTICE, "Successfully migrated an old-style AOF file (%s) into the AOF "
                              "directory (%s).", cfg.appendfilename, cfg.appenddirname);
    return 0;
}

int aof_load_at_startup(void)
{
    propagate_set_sink(PROPAGATE_AOF, aof_feed);
    if (!cfg.appendonly) {
        /* As Redis does, the manifest is read with the AOF off too, so a
         * later CONFIG SET appendonly yes or BGREWRITEAOF goes on with its
         * sequence numbers and removes its files. */
        if (manifest_load() < 0)
            return -1;
        return persist_load();
    }
    if (ensure_dir() != 0)
        return -1;
    int rc = manifest_load();
    if (rc < 0)
        return -1;
    int migrated = migrate_old_style(rc);
    if (migrated < 0)
        return -1;
    if (migrated == 0)
        rc = 0;
    A.state = AOF_ON;
    if (rc == 1) {
        /* No AOF yet: whatever the RDB file holds becomes the first base,
         * so switching appendonly on in the config keeps the data. */
        if (persist_load() != 0)
            return -1;
        if (create_synchronously("server start") != 0)
            return -1;
    } else {
        if (load_all(true) != 0)
            return -1;
        if (srv.shutdown_after_loading)
            return 0;
        if (open_for_append() != 0)
            return -1;
        delete_history();
    }
    propagate_enable(PROPAGATE_AOF, true);
    return 0;
}

int aof_debug_reload(str_t **err)
{
    if (A.state != AOF_ON) {
        *err = str_new_cstr("ERR Error trying to load the AOF files, check server logs.");
        return -1;
    }
    aof_flush(true);
    for (int i = 0; i < srv.ndbs; i++)
        db_empty(&srv.dbs[i]);
    int rc = load_all(false);
    if (rc != 0) {
        *err = str_new_cstr("ERR Error trying to load the AOF files, check server logs.");
        return -1;
    }
    return 0;
}
