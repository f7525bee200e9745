/*
 * redis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file>: checks
 * an append-only file the way Redis 7.0's tool does, with its messages and
 * exit statuses. The file is a manifest (every base and incremental file
 * it names is checked, the line count running on from file to file), an
 * RDB-preamble AOF, or a command file. --fix offers to cut a bad or
 * truncated tail (of the last file only) at the end of the last complete
 * command; --truncate-to-timestamp cuts the last file at the first
 * timestamp annotation after the time given.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "db/aof_format.h"
#include "tools/rdb_check.h"

/* Outcomes of one file, as the summary line names them. */
enum check_result {
    CHECK_OK,
    CHECK_EMPTY,
    CHECK_TRUNCATED,
    CHECK_TS_TRUNCATED,
};

/* The run's settings and the line count that runs across files. */
static struct {
    bool fix;
    long long to_timestamp; /* 0: not truncating to a timestamp. */
    uint64_t line;
} G = {false, 0, 1};

/* One file being checked. */
typedef struct aof_check {
    const char *name; /* As reports name it. */
    const char *path;
    bool last_file;
    int fd;
    off_t size;
    uint64_t pos;  /* Start of the item being read, kept across a MULTI. */
    uint64_t epos; /* Where the last read or error happened. */
    int multi;
    char error[1100];
} aof_check_t;

static void fail_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail_exit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    exit(1);
}

/* A warning in the server's log format, which Redis's tool uses for
 * manifest errors. */
static void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_warning(const char *fmt, ...)
{
    char msg[2048], ts[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    size_t off = strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S.", &tm);
    snprintf(ts + off, sizeof(ts) - off, "%03d", (int)(tv.tv_usec / 1000));
    printf("%d:C %s # %s\n", (int)getpid(), ts, msg);
}

static void set_error(aof_check_t *c, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(aof_check_t *c, uint64_t at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(c->error, sizeof(c->error), "0x%16llx: %s", (unsigned long long)at, msg);
}

static long fd_read(void *ctx, void *buf, size_t cap)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR)
            return -errno;
    }
}

/* ---- one file ------------------------------------------------------------------ */

/* A timestamp annotation after the time asked for cuts the file there.
 * Returns true to go on, false once the file was cut. */
static bool check_annotation(aof_check_t *c, const aof_reader_t *r)
{
    long long ts;
    c->epos = r->item_offset;
    if (G.to_timestamp == 0)
        return true;
    int rc = aof_annotation_timestamp(r->annotation, r->annotation_len, &ts);
    if (rc == -ENOENT)
        return true;
    if (rc != 0)
        fail_exit("Invalid timestamp annotation\n");
    if (ts <= G.to_timestamp)
        return true;
    if (c->epos == 0)
        fail_exit("AOF %s has nothing before timestamp %lld, aborting...\n", c->path,
                  G.to_timestamp);
    if (!c->last_file)
        fail_exit("Failed to truncate AOF %s to timestamp %lld to offset %llu because it is "
                  "not the last file.\nIf you insist, please delete all files after this file "
                  "according to the manifest file and delete the corresponding records in "
                  "manifest file manually. Then re-run redis-check-aof.\n",
                  c->path, G.to_timestamp, (unsigned long long)c->epos);
    if (ftruncate(c->fd, (off_t)c->epos) == -1)
        fail_exit("Failed to truncate AOF %s to timestamp %lld\n", c->path, G.to_timestamp);
    return false;
}

/* MULTI and EXEC must pair up; the error names the first argument. */
static bool check_command(aof_check_t *c, const aof_reader_t *r)
{
    const char *name = r->argv[0].p;
    c->epos = r->last_arg_offset;
    if (strcasecmp(name, "multi") == 0) {
        if (c->multi++ != 0) {
            set_error(c, r->first_arg_offset, "Unexpected MULTI in AOF %s", c->path);
            return false;
        }
    } else if (strcasecmp(name, "exec") == 0) {
        if (--c->multi != 0) {
            set_error(c, r->first_arg_offset, "Unexpected EXEC in AOF %s", c->path);
            return false;
        }
    }
    return true;
}

/* How reading stopped (an enum aof_item), as the report's error line. */
static void note_stop(aof_check_t *c, const aof_reader_t *r, int rc)
{
    if (rc == AOF_ITEM_BAD && r->err_at_start) {
        printf("AOF %s format error\n", c->name);
        return;
    }
    if (rc == AOF_ITEM_BAD || (rc == AOF_ITEM_TRUNCATED && r->err_msg[0] != '\0'))
        set_error(c, r->err_offset, "%s", r->err_msg);
    if (rc == AOF_ITEM_TRUNCATED)
        c->epos = r->err_offset;
    if (rc != AOF_ITEM_BAD && c->multi != 0 && c->error[0] == '\0')
        set_error(c, c->epos, "Reached EOF before reading EXEC for MULTI");
}

/* Reads items until the end or the first problem; c->pos is then where
 * the sound part ends. Returns CHECK_OK, or CHECK_TS_TRUNCATED when a
 * timestamp cut the file. */
static int scan_items(aof_check_t *c, aof_reader_t *r)
{
    int rc;
    for (;;) {
        if (c->multi == 0)
            c->pos = r->offset;
        rc = aof_reader_next(r);
        if (rc < 0)
            fail_exit("Failed to read from AOF %s, aborting...\n", c->name);
        if (rc == AOF_ITEM_COMMAND && check_command(c, r))
            continue;
        bool cut_annotation = rc == AOF_ITEM_TRUNCATED && r->err_in_annotation;
        if (rc != AOF_ITEM_ANNOTATION && !cut_annotation)
            break;
        if (!check_annotation(c, r))
            return CHECK_TS_TRUNCATED;
        if (cut_annotation) {
            /* Redis takes an annotation cut by the end of the file as
             * whole, and the file as ending after it. */
            if (c->multi == 0)
                c->pos = (uint64_t)c->size;
            rc = AOF_ITEM_END;
            break;
        }
    }
    if (rc != AOF_ITEM_COMMAND)
        note_stop(c, r, rc);
    return CHECK_OK;
}

/* A tail to cut: with --fix (after asking), else the file is refused. */
static int fix_tail(aof_check_t *c, uint64_t diff)
{
    if (!G.fix)
        fail_exit("AOF %s is not valid. Use the --fix option to try fixing it.\n", c->name);
    if (!c->last_file)
        fail_exit("Failed to truncate AOF %s because it is not the last file\n", c->name);
    printf("This will shrink the AOF %s from %lld bytes, with %llu bytes, to %llu bytes\n",
           c->name, (long long)c->size, (unsigned long long)diff, (unsigned long long)c->pos);
    printf("Continue? [y/N]: ");
    fflush(stdout);
    char answer[2];
    if (fgets(answer, sizeof(answer), stdin) == NULL || strncasecmp(answer, "y", 1) != 0)
        fail_exit("Aborting...\n");
    if (ftruncate(c->fd, (off_t)c->pos) == -1)
        fail_exit("Failed to truncate AOF %s\n", c->name);
    return CHECK_TRUNCATED;
}

/* The RDB part of a preamble file; returns where the commands start. */
static uint64_t check_preamble(aof_check_t *c)
{
    uint64_t end = 0;
    if (rdb_check_fd(c->fd, &end) != 0)
        fail_exit("RDB preamble of AOF file is not sane, aborting.\n");
    printf("RDB preamble is OK, proceeding with AOF tail...\n");
    return end;
}

/* The summary line, then the verdict on whatever follows ok_up_to. */
static int finish_single(aof_check_t *c)
{
    if (c->error[0] != '\0')
        printf("%s\n", c->error);
    uint64_t diff = (uint64_t)c->size - c->pos;
    if (diff == 0 && G.to_timestamp != 0) {
        printf("Truncate nothing in AOF %s to timestamp %lld\n", c->name, G.to_timestamp);
        return CHECK_OK;
    }
    printf("AOF analyzed: filename=%s, size=%lld, ok_up_to=%llu, ok_up_to_line=%llu, "
           "diff=%llu\n", c->name, (long long)c->size, (unsigned long long)c->pos,
           (unsigned long long)G.line, (unsigned long long)diff);
    return diff > 0 ? fix_tail(c, diff) : CHECK_OK;
}

static int check_single(const char *name, const char *path, bool last_file, bool preamble)
{
    aof_check_t c = {.name = name, .path = path, .last_file = last_file};
    struct stat sb;
    c.fd = open(path, O_RDWR | O_CLOEXEC);
    if (c.fd < 0)
        fail_exit("Cannot open file %s: %s, aborting...\n", path, strerror(errno));
    if (fstat(c.fd, &sb) == -1)
        fail_exit("Cannot stat file: %s, aborting...\n", name);
    c.size = sb.st_size;
    if (c.size == 0) {
        close(c.fd);
        return CHECK_EMPTY;
    }
    if (preamble) {
        printf("[offset 0] Checking RDB file %s\n", name);
        c.pos = check_preamble(&c);
    }
    if (lseek(c.fd, (off_t)c.pos, SEEK_SET) == -1)
        fail_exit("Failed to fseek in AOF %s: %s", name, strerror(errno));
    aof_reader_t r;
    aof_reader_init(&r, fd_read, &c.fd);
    r.max_bulk = LLONG_MAX - 2;
    r.offset = c.pos;
    r.line = G.line;
    int res = scan_items(&c, &r);
    G.line = r.line;
    aof_reader_destroy(&r);
    if (res == CHECK_OK)
        res = finish_single(&c);
    close(c.fd);
    return res;
}

static void print_result(int res, const char *name, const char *kind)
{
    switch (res) {
    case CHECK_OK:
        printf("%s %s is valid\n", kind, name);
        break;
    case CHECK_EMPTY:
        printf("%s %s is empty\n", kind, name);
        break;
    case CHECK_TS_TRUNCATED:
        printf("Successfully truncated AOF %s to timestamp %lld\n", name, G.to_timestamp);
        break;
    default:
        printf("Successfully truncated AOF %s\n", name);
        break;
    }
}

/* ---- what the file is ------------------------------------------------------------ */

static FILE *open_or_exit(const char *path, off_t *size)
{
    struct stat sb;
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        fail_exit("Cannot open file %s: %s\n", path, strerror(errno));
    if (fstat(fileno(fp), &sb) == -1)
        fail_exit("Cannot stat file: %s\n", path);
    *size = sb.st_size;
    return fp;
}

/*
 * A manifest has a line starting with "file", '#' lines being comments
 * (Redis's test, over the lines as fgets splits them). Unlike Redis, a file
 * whose first other line starts with '*' or "REDIS" is an AOF even when a
 * later line starts with "file" (a key or value "file..." in it).
 */
static bool file_is_manifest(const char *path)
{
    off_t size;
    FILE *fp = open_or_exit(path, &size);
    char buf[AOF_MANIFEST_LINE_MAX + 1];
    bool manifest = false, first = true;
    while (size > 0) {
        if (fgets(buf, sizeof(buf), fp) == NULL) {
            if (feof(fp))
                break;
            fail_exit("Cannot read file: %s\n", path);
        }
        if (buf[0] == '#')
            continue;
        if (first && (buf[0] == '*' || strncmp(buf, "REDIS", 5) == 0))
            break;
        first = false;
        if (strncmp(buf, "file", 4) == 0)
            manifest = true;
    }
    fclose(fp);
    return manifest;
}

/* An RDB (or RDB-preamble AOF) starts with "REDIS" and is at least 8 bytes. */
static bool file_is_rdb(const char *path)
{
    off_t size;
    FILE *fp = open_or_exit(path, &size);
    char sig[5];
    bool rdb = size >= 8 && fread(sig, sizeof(sig), 1, fp) == 1 &&
               memcmp(sig, "REDIS", sizeof(sig)) == 0;
    fclose(fp);
    return rdb;
}

/* ---- manifests ------------------------------------------------------------------- */

static str_t *read_whole(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_warning("Fatal error: can't open the AOF manifest file %s for reading: %s", path,
                    strerror(errno));
        exit(1);
    }
    str_t *s = str_new_cap(4096);
    for (;;) {
        s = str_reserve(s, 4096);
        ssize_t n = read(fd, s->buf + s->len, s->cap - s->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
            log_warning("Read AOF manifest failed\n");
            exit(1);
        }
        if (n == 0)
            break;
        str_setlen(s, s->len + (size_t)n);
    }
    close(fd);
    return s;
}

static void load_manifest(const char *path, aof_manifest_t *m)
{
    aof_manifest_error_t err;
    str_t *text = read_whole(path);
    aof_manifest_init(m);
    int rc = aof_manifest_parse(text->buf, text->len, m, &err);
    str_free(text);
    if (rc == 0)
        return;
    log_warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
    if (err.line != 0) {
        log_warning("Reading the manifest file, at line %d\n", err.line);
        log_warning(">>> '%s'\n", err.text);
    }
    log_warning("%s\n", err.msg);
    exit(1);
}

static char *path_in(const char *dir, const char *name)
{
    str_t *s = str_fmt("%s/%s", dir, name);
    char *p = alloc_strdup(s->buf);
    str_free(s);
    return p;
}

/* The base, then the incremental files in order; only the last file may
 * be cut. */
static void check_multi_part(const char *dir, const char *manifest_path)
{
    aof_manifest_t m;
    printf("Start checking Multi Part AOF\n");
    load_manifest(manifest_path, &m);
    int total = (m.base.name != NULL ? 1 : 0) + m.nincr, num = 0;
    if (m.base.name != NULL) {
        char *path = path_in(dir, m.base.name);
        bool rdb = file_is_rdb(path);
        printf("Start to check BASE AOF (%s format).\n", rdb ? "RDB" : "RESP");
        int res = check_single(m.base.name, path, ++num == total, rdb);
        print_result(res, m.base.name, "BASE AOF");
        alloc_free(path);
    }
    if (m.nincr > 0)
        printf("Start to check INCR files.\n");
    for (int i = 0; i < m.nincr; i++) {
        char *path = path_in(dir, m.incr[i].name);
        int res = check_single(m.incr[i].name, path, ++num == total, false);
        print_result(res, m.incr[i].name, "INCR AOF");
        alloc_free(path);
    }
    aof_manifest_destroy(&m);
    printf("All AOF files and manifest are valid\n");
}

static void check_old_style(const char *path, bool preamble)
{
    printf("Start checking Old-Style AOF\n");
    int res = check_single(path, path, true, preamble);
    print_result(res, path, "AOF");
}

/* ---- arguments ------------------------------------------------------------------- */

static void usage_exit(const char *prog) __attribute__((noreturn));
static void usage_exit(const char *prog)
{
    fail_exit("Usage: %s [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n",
              prog);
}

static const char *parse_args(int argc, char **argv)
{
    if (argc == 2)
        return argv[1];
    if (argc == 3 && strcmp(argv[1], "--fix") == 0) {
        G.fix = true;
        return argv[2];
    }
    if (argc == 4 && strcmp(argv[1], "--truncate-to-timestamp") == 0) {
        char *end;
        errno = 0;
        G.to_timestamp = strtoll(argv[2], &end, 10);
        if (errno != 0 || *end != '\0')
            fail_exit("Invalid timestamp, aborting...\n");
        return argv[3];
    }
    usage_exit(argv[0]);
}

int main(int argc, char **argv)
{
    const char *path = parse_args(argc, argv);
    char *copy = alloc_strdup(path);
    const char *dir = dirname(copy);
    if (file_is_manifest(path))
        check_multi_part(dir, path);
    else
        check_old_style(path, file_is_rdb(path));
    alloc_free(copy);
    return 0;
}
