/*
 * aof_format: the bytes of Redis 7.0 append-only files, with no I/O of its
 * own. A reader pulls a command file (RESP multibulk commands and '#'
 * annotation lines) from a source callback one item at a time and tells a
 * clean end from a truncated tail or a malformed command; a writer emits a
 * keyspace as the commands an AOF rewrite without RDB preamble produces;
 * the manifest helpers parse and format appendonly.aof.manifest. The reader
 * owns the arguments it hands out (valid until its next call); a manifest
 * owns its file names.
 */
#ifndef RH_DB_AOF_FORMAT_H
#define RH_DB_AOF_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"
#include "core/str.h"
#include "db/keyspace.h"
#include "db/object.h"

/* An argument: n bytes at p, followed by a NUL that is not counted. */
typedef struct aof_arg {
    const char *p;
    size_t n;
} aof_arg_t;

/* ---- Reading command files ---------------------------------------------------- */

/* The longest argument accepted by default: proto-max-bulk-len's default. */
#define AOF_MAX_BULK_DEFAULT (512LL * 1024 * 1024)
/* An annotation line ('#' to '\n' included) must be shorter than this, the
 * buffer Redis reads annotations with. */
#define AOF_ANNOTATION_LINE_MAX 1024

/* Reads up to cap bytes into buf; returns how many (> 0), 0 at the end of
 * the input, or a negative errno. */
typedef long aof_read_fn(void *ctx, void *buf, size_t cap);

/* What aof_reader_next found. END, TRUNCATED and BAD are final: later calls
 * return the same. A read error is returned as the source's negative errno,
 * also finally. */
enum aof_item {
    AOF_ITEM_END = 0,        /* The input ended between two items. */
    AOF_ITEM_COMMAND = 1,    /* r->argc and r->argv hold a command. */
    AOF_ITEM_ANNOTATION = 2, /* r->annotation holds an annotation line. */
    AOF_ITEM_TRUNCATED = 3,  /* The input ended inside an item. */
    AOF_ITEM_BAD = 4,        /* A malformed item: r->err_offset, r->err_msg. */
};

typedef struct aof_reader {
    /* Settings: set them after aof_reader_init, before the first item. */
    long long max_bulk; /* Longest argument accepted (default 512 MB). */
    uint64_t offset;    /* Where the source starts in its file (default 0). */
    uint64_t line;      /* First line number (default 1). */

    /* Progress. offset is the end of the last complete item: where a file
     * cut at a truncated or bad item stays valid. line counts the lines of
     * commands read so far, partial ones included, plus one; annotation
     * lines are not counted (redis-check-aof's ok_up_to_line). */
    uint64_t item_offset;      /* Start of the last item returned or failed. */
    uint64_t first_arg_offset; /* Where the last command's first argument's */
    uint64_t last_arg_offset;  /* and last argument's bytes start. */

    /* The last item: valid until the next call. */
    int argc;
    aof_arg_t *argv;
    const char *annotation; /* After '#', up to '\n' excluded (so "TS:..\r"). */
    size_t annotation_len;

    /* The final outcome. For TRUNCATED and BAD, err_offset and err_msg say
     * where and what in redis-check-aof's words (err_msg may be empty for a
     * cut at the start of a line, where redis-check-aof says nothing). */
    int state;               /* 0 while items keep coming, else final. */
    bool err_at_start;       /* BAD: the item starts with neither '*' nor '#'. */
    bool err_in_annotation;  /* TRUNCATED: inside an annotation line, whose
                              * partial text r->annotation then holds. */
    uint64_t err_offset;
    char err_msg[160];

    /* Private. */
    aof_read_fn *read;
    void *ctx;
    uint8_t *buf;
    size_t cap, pos, len;
    bool eof;
    bool started;
    uint64_t cur; /* Offset of buf[pos]. */
    int argv_cap;
    char *data;   /* The arguments' bytes, each NUL-terminated. */
    size_t data_len, data_cap;
} aof_reader_t;

/*
 * A loader's loop (Redis's rules in the comments):
 *
 *     aof_reader_init(&r, read_fd, &fd);
 *     while ((rc = aof_reader_next(&r)) == AOF_ITEM_COMMAND ||
 *            rc == AOF_ITEM_ANNOTATION)
 *         if (rc == AOF_ITEM_COMMAND)
 *             run r.argc, r.argv; then r.offset is a valid end (unless
 *             inside MULTI: a MULTI without EXEC at the end is reverted
 *             to the offset before it, as a truncated tail)
 *     END: done. TRUNCATED: the input ends inside an item; the file is
 *     sound up to the last valid end (aof-load-truncated cuts it there).
 *     BAD: format error at r.err_offset (r.err_msg). < 0: read error.
 */
void aof_reader_init(aof_reader_t *r, aof_read_fn *fn, void *ctx);
/* Bytes already taken from the source (e.g. what an rdb_reader had
 * buffered past an RDB preamble), to be read before the source's next
 * ones. Call before the first item. */
void aof_reader_preload(aof_reader_t *r, const void *p, size_t n);
void aof_reader_destroy(aof_reader_t *r);
/* The next item: an enum aof_item, or a negative errno of the source. */
int aof_reader_next(aof_reader_t *r) MUST_CHECK;

/* The time of an annotation (r->annotation) written by
 * aof-timestamp-enabled: "TS:" and a number followed by '\r', read with
 * strtol's rules as redis-check-aof reads it. 0 and *ts, -ENOENT for
 * another annotation, -EINVAL for a malformed or out-of-range timestamp. */
int aof_annotation_timestamp(const char *p, size_t n, long long *ts) MUST_CHECK;
/* The annotation line "#TS:<unix_s>\r\n" (NUL-terminated); returns its
 * length. buf needs AOF_TS_BUF bytes. */
#define AOF_TS_BUF 32
size_t aof_format_timestamp(char *buf, long long unix_s);

/* ---- Writing the keyspace as commands ------------------------------------------ */

/* Writes all n bytes at p; returns 0 or a negative errno. The writer
 * buffers, so calls come in pieces of up to 16 KB plus whole long
 * arguments. */
typedef int aof_write_fn(void *ctx, const void *p, size_t n);

/* Items per command for collections: Redis's AOF_REWRITE_ITEMS_PER_CMD. */
#define AOF_ITEMS_PER_CMD 64

typedef struct aof_writer {
    aof_write_fn *write;
    void *ctx;
    /* Drop keys whose expiry is before now_ms. Redis 7.0 keeps them (its
     * rewrite writes expired keys with their PEXPIREAT), so it is off by
     * default. */
    bool skip_expired;
    int64_t now_ms;
    long long key_delay_us; /* Test hook (rdb-key-save-delay): sleep per key. */
    uint64_t bytes;         /* Bytes handed to the sink so far. */
    uint64_t keys;          /* Keys written so far. */
    int err;                /* The first sink error; afterwards nothing is written. */
    uint8_t *buf;
    size_t used;
} aof_writer_t;

void aof_writer_init(aof_writer_t *w, aof_write_fn *fn, void *ctx);
void aof_writer_destroy(aof_writer_t *w);
/* One command in RESP: "*<argc>\r\n" then "$<len>\r\n<bytes>\r\n" each. */
int aof_write_command(aof_writer_t *w, int argc, const aof_arg_t *argv) MUST_CHECK;
/* SELECT db. */
int aof_write_select(aof_writer_t *w, int db) MUST_CHECK;
/* The commands that rebuild one key as Redis 7.0's rewrite writes them:
 * SET for strings, RPUSH for lists, SADD for sets, ZADD (score, member;
 * scores as %.17g) for sorted sets, HMSET for hashes, collections in
 * batches of AOF_ITEMS_PER_CMD items; then PEXPIREAT key expire_ms unless
 * expire_ms is -1. -ENOTSUP for a type it cannot write. */
int aof_write_key(aof_writer_t *w, const char *key, size_t keylen, obj_t *val,
                  int64_t expire_ms) MUST_CHECK;
/* SELECT db->id and every key with its expiry; nothing for an empty db. */
int aof_write_db(aof_writer_t *w, db_t *db) MUST_CHECK;
/* Every database of dbs[0..ndbs), in order. */
int aof_write_dataset(aof_writer_t *w, db_t *dbs, int ndbs) MUST_CHECK;

/* ---- The manifest --------------------------------------------------------------- */

/* Redis reads manifest lines with a buffer of this many bytes plus one. */
#define AOF_MANIFEST_LINE_MAX 1024

enum aof_file_type {
    AOF_FILE_BASE = 'b', /* The base: an RDB or a command file. */
    AOF_FILE_HIST = 'h', /* Replaced by a rewrite, waiting to be deleted. */
    AOF_FILE_INCR = 'i', /* Commands after the base, in seq order. */
};

typedef struct aof_file_info {
    char *name; /* A file name without directory (alloc_malloc'd). */
    long long seq;
    char type;  /* enum aof_file_type. */
} aof_file_info_t;

/* A manifest owns the names of its entries. */
typedef struct aof_manifest {
    aof_file_info_t base; /* base.name is NULL when there is none. */
    aof_file_info_t *hist;
    int nhist;
    aof_file_info_t *incr;
    int nincr;
    long long base_seq; /* Seq of the base read (0: none). */
    long long incr_seq; /* Seq of the last incremental file read (0: none). */
} aof_manifest_t;

/* Why a manifest was refused: Redis's message, and the line (counted as
 * Redis counts, 1-based) with its trimmed text when the error names one.
 * Redis logs it as "*** FATAL AOF MANIFEST FILE ERROR ***", then
 * "Reading the manifest file, at line <line>" and ">>> '<text>'" when line
 * is not 0, then msg. */
typedef struct aof_manifest_error {
    int line;
    char text[AOF_MANIFEST_LINE_MAX + 1];
    const char *msg;
} aof_manifest_error_t;

void aof_manifest_init(aof_manifest_t *m);
void aof_manifest_destroy(aof_manifest_t *m);

/*
 * Parses a manifest's n bytes with Redis 7.0's rules: lines read in pieces
 * of at most AOF_MANIFEST_LINE_MAX bytes, '#' lines skipped, each other
 * line trimmed and split like a config line into key/value pairs (at least
 * three pairs; keys "file", "seq", "type" in any case; others ignored); the
 * name must have no '/' or '\\', seq must be nonzero and type b, h or i;
 * at most one base, and incremental seqs increasing. Returns 0 and fills
 * *m (which must be initialized and empty), or -EINVAL and fills *err
 * (m is left empty).
 */
int aof_manifest_parse(const char *p, size_t n, aof_manifest_t *m,
                       aof_manifest_error_t *err) MUST_CHECK;
/* Appends "file <name> seq <seq> type <t>\n", the name quoted the way Redis
 * does (sdscatrepr) when it holds a space, a quote, a backslash or a byte
 * that is not printable. Returns the grown string. */
str_t *aof_manifest_cat_entry(str_t *s, const aof_file_info_t *f);
/* The whole manifest text: the base, the history files, the incremental
 * files. The caller owns the result. */
str_t *aof_manifest_format(const aof_manifest_t *m);
/* Appends an entry (copying name) to the history or incremental list, or
 * sets the base (which must be absent), by type. */
void aof_manifest_add(aof_manifest_t *m, const char *name, long long seq, char type);

#endif
