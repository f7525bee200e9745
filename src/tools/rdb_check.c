/*
 * rdb_check: verifies an RDB stream with the RDB reader (every record,
 * value encoding and the CRC-64) and reports in Redis 7.0's redis-check-rdb
 * words: a "[offset N] ..." line per aux field and database, "\o/ RDB looks
 * OK! \o/" or "--- RDB ERROR DETECTED ---" with the offset and reason, then
 * the key counts. Shared by redis-check-rdb and redis-check-aof (RDB bases
 * and preambles).
 */
#include <config.h>
#include "tools/rdb_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "db/keyspace.h"
#include "db/object.h"
#include "db/rdb.h"

typedef struct rdb_check {
    int fd;
    int64_t now_ms;
    uint64_t keys, expires, already_expired;
} rdb_check_t;

/* Values are built as the server builds them, so encodings are checked at
 * the thresholds of Redis's default configuration. */
static void check_env_defaults(void)
{
    db_env_set_defaults();
    db_env.now_ms = clock_wall_ms();
}

static long check_read(void *ctx, void *buf, size_t cap)
{
    rdb_check_t *c = ctx;
    for (;;) {
        ssize_t n = read(c->fd, buf, cap);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR)
            return -errno;
    }
}

static void check_info(const rdb_reader_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void check_info(const rdb_reader_t *r, const char *fmt, ...)
{
    va_list ap;
    printf("[offset %llu] ", (unsigned long long)r->offset);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static int check_key(void *arg, rdb_reader_t *r, rdb_entry_t *e)
{
    rdb_check_t *c = arg;
    UNUSED(r);
    c->keys++;
    if (e->expire_ms != -1) {
        c->expires++;
        if (e->expire_ms < c->now_ms)
            c->already_expired++;
    }
    obj_decref(e->val);
    return 0;
}

/* Aux values print as C strings, as Redis prints them. */
static int check_aux(void *arg, rdb_reader_t *r, const char *k, size_t kn, const char *v,
                     size_t vn)
{
    UNUSED(arg);
    UNUSED(kn);
    UNUSED(vn);
    check_info(r, "AUX FIELD %s = '%s'", k, v);
    return 0;
}

static int check_select(void *arg, rdb_reader_t *r, int db)
{
    UNUSED(arg);
    check_info(r, "Selecting DB ID %d", db);
    return 0;
}

/* Function libraries are part of a sound file; their code is not run. */
static int check_function(void *arg, rdb_reader_t *r, const char *code, size_t n)
{
    UNUSED(arg);
    UNUSED(r);
    UNUSED(code);
    UNUSED(n);
    return 0;
}

/* Whether the 8 bytes before end (the stored CRC-64) are all zero: the
 * file was saved with rdbchecksum no. */
static bool checksum_disabled(int fd, uint64_t end)
{
    uint8_t b[8];
    if (end < 8 || pread(fd, b, 8, (off_t)(end - 8)) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (b[i] != 0)
            return false;
    return true;
}

static void check_stats(const rdb_check_t *c)
{
    printf("[info] %llu keys read\n", (unsigned long long)c->keys);
    printf("[info] %llu expires\n", (unsigned long long)c->expires);
    printf("[info] %llu already expired\n", (unsigned long long)c->already_expired);
}

/* Redis's names of the value types, by type byte. */
static const char *const type_names[] = {
    "string", "list-linked", "set-hashtable", "zset-v1", "hash-hashtable", "zset-v2",
    "module-pre-release", "module-value", "", "hash-zipmap", "list-ziplist", "set-intset",
    "zset-ziplist", "hash-ziplist", "quicklist", "stream", "hash-listpack", "zset-listpack",
    "quicklist-v2", "stream-v2",
};

/* The error block. A key whose value failed counts as read, and a CRC
 * mismatch is reported after the checksum, as Redis reports them. */
static void check_report_error(const rdb_reader_t *r, rdb_check_t *c)
{
    bool in_value = r->err_doing != NULL && strcmp(r->err_doing, "read-object-value") == 0;
    bool crc = r->err_doing != NULL && strcmp(r->err_doing, "check-sum") == 0;
    printf("--- RDB ERROR DETECTED ---\n");
    if (crc)
        printf("[offset %llu] RDB CRC error\n", (unsigned long long)r->err_offset + 8);
    else
        printf("[offset %llu] %s\n", (unsigned long long)r->err_offset, r->err_msg);
    if (r->err_doing != NULL)
        printf("[additional info] While doing: %s\n", r->err_doing);
    if (in_value) {
        c->keys++;
        printf("[additional info] Reading key '%s'\n", r->key->buf);
        if (r->err_type >= 0 && (size_t)r->err_type < ARRAY_LEN(type_names))
            printf("[additional info] Reading type %d (%s)\n", r->err_type,
                   type_names[r->err_type]);
    }
    check_stats(c);
}

/*
 * Checks the RDB stream that starts at fd's offset 0 (fd positioned there),
 * printing Redis's report under the name shown. Returns 0 and *end (the
 * offset just past the RDB, where an AOF tail would start), or 1.
 */
int rdb_check_fd(int fd, uint64_t *end)
{
    rdb_check_t c = {fd, clock_wall_ms(), 0, 0, 0};
    rdb_reader_t r;
    rdb_load_cbs_t cbs = {.key = check_key, .aux = check_aux, .function = check_function,
                          .select = check_select, .arg = &c};
    check_env_defaults();
    rdb_reader_init(&r, check_read, &c);
    int rc = rdb_load(&r, &cbs);
    if (rc != 0) {
        check_report_error(&r, &c);
        rdb_reader_destroy(&r);
        return 1;
    }
    if (r.version >= 5) {
        if (checksum_disabled(fd, r.offset))
            check_info(&r, "RDB file was saved with checksum disabled: no check performed.");
        else
            check_info(&r, "Checksum OK");
    }
    check_info(&r, "\\o/ RDB looks OK! \\o/");
    check_stats(&c);
    *end = r.offset;
    rdb_reader_destroy(&r);
    return 0;
}

