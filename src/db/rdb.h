/*
 * rdb: the RDB format of Redis 7.0 (version 10) as a codec over byte
 * streams, not files: snapshots, replication full syncs and DUMP/RESTORE
 * payloads all go through it. A writer emits the magic, aux fields,
 * databases, keys and the EOF marker with its CRC-64 to a sink callback; a
 * reader pulls bytes from a source callback (or a memory buffer), decodes
 * every opcode, value type and encoding Redis 7.0 can load, checks the
 * CRC-64, and hands each key with its new value to a callback that takes
 * ownership of the value. The reader trusts nothing: truncated or corrupt
 * input gives an error with the byte offset and a reason, never a crash or
 * an allocation larger than the data that backs it.
 */
#ifndef RH_DB_RDB_H
#define RH_DB_RDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"
#include "core/str.h"
#include "db/keyspace.h"
#include "db/object.h"

/* The format version written, and the newest one read. */
#define RDB_VERSION 10

/* Value types, as stored before each key (and first in DUMP payloads). */
enum rdb_type {
    RDB_TYPE_STRING = 0,
    RDB_TYPE_LIST = 1,
    RDB_TYPE_SET = 2,
    RDB_TYPE_ZSET = 3,
    RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5,
    RDB_TYPE_MODULE_PRE_GA = 6,
    RDB_TYPE_MODULE_2 = 7,
    RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10,
    RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13,
    RDB_TYPE_LIST_QUICKLIST = 14,
    RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16,
    RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18,
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
};

/* Opcodes: byte values above every type that introduce other records. */
enum rdb_opcode {
    RDB_OPCODE_FUNCTION2 = 245,
    RDB_OPCODE_FUNCTION_PRE_GA = 246,
    RDB_OPCODE_MODULE_AUX = 247,
    RDB_OPCODE_IDLE = 248,
    RDB_OPCODE_FREQ = 249,
    RDB_OPCODE_AUX = 250,
    RDB_OPCODE_RESIZEDB = 251,
    RDB_OPCODE_EXPIRETIME_MS = 252,
    RDB_OPCODE_EXPIRETIME = 253,
    RDB_OPCODE_SELECTDB = 254,
    RDB_OPCODE_EOF = 255,
};

/* ---- Writing ---------------------------------------------------------------- */

/* Writes all n bytes at p; returns 0 or a negative errno. The writer calls
 * it with many small pieces (a type byte, a length), so a sink over a file
 * or socket should buffer. */
typedef int rdb_write_fn(void *ctx, const void *p, size_t n);

/* Which access clock each key carries (as Redis writes one only under an
 * LRU or an LFU maxmemory-policy). */
enum rdb_clock {
    RDB_CLOCK_NONE = 0,
    RDB_CLOCK_LRU = 1, /* IDLE: seconds since the last access. */
    RDB_CLOCK_LFU = 2, /* FREQ: the decayed LFU counter. */
};

typedef struct rdb_writer {
    rdb_write_fn *write;
    void *ctx;
    uint64_t crc;   /* CRC-64 of every byte written so far. */
    uint64_t bytes; /* Bytes written so far. */
    bool compress;  /* LZF for strings over 20 bytes (rdbcompression). */
    bool checksum;  /* End with the CRC-64, else with zeros (rdbchecksum). */
    int clock;      /* enum rdb_clock. */
    long long key_delay_us; /* Test hook (rdb-key-save-delay): sleep per key. */
    int err;        /* The first sink error; afterwards nothing is written. */
    uint8_t *zbuf;  /* Compression output, reused. */
    size_t zcap;
    struct lzf_ctx *zctx; /* Compression context, made on first use. */
} rdb_writer_t;

/* Defaults: compression and checksum on, no access clock. */
void rdb_writer_init(rdb_writer_t *w, rdb_write_fn *fn, void *ctx);
void rdb_writer_destroy(rdb_writer_t *w);

/* The standard aux fields of the header. */
typedef struct rdb_aux {
    const char *redis_ver; /* NULL: REDIS_COMPAT_VERSION. */
    int64_t ctime;         /* Creation time, Unix seconds. */
    uint64_t used_mem;
    bool aof_base;         /* The file is the base of an AOF. */
    /* Replication: written when repl_id is not NULL. */
    const char *repl_id;
    long long repl_offset;
    int repl_stream_db;
} rdb_aux_t;

/* The magic "REDIS0010" and the aux fields Redis 7.0 writes, in its order. */
int rdb_write_header(rdb_writer_t *w, const rdb_aux_t *aux) MUST_CHECK;
/* One more aux field. */
int rdb_write_aux(rdb_writer_t *w, const char *key, const void *val, size_t n) MUST_CHECK;
/* SELECTDB, RESIZEDB and every key of db (expired ones too, as Redis does);
 * nothing for an empty database. */
int rdb_write_db(rdb_writer_t *w, db_t *db) MUST_CHECK;
/* One key: its expiry (-1: none), access clock, type, name and value. */
int rdb_write_key(rdb_writer_t *w, const char *key, size_t keylen, obj_t *val,
                  int64_t expire_ms) MUST_CHECK;
/* The EOF opcode and the CRC-64, little-endian (zero without checksum). */
int rdb_write_footer(rdb_writer_t *w) MUST_CHECK;
/* A whole file: header, every database of dbs[0..ndbs), footer. */
int rdb_save(rdb_writer_t *w, db_t *dbs, int ndbs, const rdb_aux_t *aux) MUST_CHECK;
/* A value alone: its type byte and its encoding. -ENOTSUP for types this
 * codec does not store. */
int rdb_write_value(rdb_writer_t *w, obj_t *val) MUST_CHECK;
/* The RDB type a value is stored as. */
int rdb_value_type(const obj_t *val);

/* ---- Reading ---------------------------------------------------------------- */

/* Reads up to cap bytes into buf; returns how many (> 0), 0 at the end of
 * the input, or a negative errno. */
typedef long rdb_read_fn(void *ctx, void *buf, size_t cap);

typedef struct rdb_reader {
    rdb_read_fn *read; /* NULL for a memory source. */
    void *ctx;
    const uint8_t *p;  /* Unread bytes of the buffer (or the memory). */
    size_t avail;
    uint8_t *buf;
    size_t cap;
    uint64_t offset;   /* Bytes consumed. */
    uint64_t limit;    /* Size of a memory source; UINT64_MAX for streams. */
    uint64_t crc;      /* CRC-64 of the bytes consumed before crc_from. */
    const uint8_t *crc_from; /* Consumed bytes from here to p are not in crc yet. */
    bool verify_checksum; /* Check the final CRC (rdbchecksum); default on. */
    /* Check listpacks and intsets entry by entry (duplicates, order,
     * scores) rather than their structure only: sanitize-dump-payload.
     * Default on; a load that trusts its file's CRC-64 turns it off. */
    bool deep_check;
    int version;       /* From the magic, once read. */
    uint64_t keys;     /* Keys handed to the callback. */
    uint64_t empty_keys; /* Keys skipped because their value was empty. */
    int err;           /* The first error (negative errno), or 0. */
    uint64_t err_offset; /* Where it was detected. */
    char err_msg[256];
    /* What the first error interrupted, in redis-check-rdb's words: NULL,
     * "read-object-value" (the value of type err_type under the key in
     * r->key) or "check-sum" (a CRC-64 mismatch). */
    const char *err_doing;
    int err_type;
    str_t *key, *s1, *s2, *zin; /* Scratch strings, reused. */
} rdb_reader_t;

void rdb_reader_init(rdb_reader_t *r, rdb_read_fn *fn, void *ctx);
/* A reader over n bytes at p, which must stay valid while it is used. */
void rdb_reader_init_mem(rdb_reader_t *r, const void *p, size_t n);
void rdb_reader_destroy(rdb_reader_t *r);

/* Records the first error (code: negative errno, message printf-style) with
 * the current offset, and returns the first error's code. Callbacks use it
 * to stop a load with their own reason. */
int rdb_reader_fail(rdb_reader_t *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One key as the reader decoded it. */
typedef struct rdb_entry {
    int db;
    const char *key;   /* Borrowed for the duration of the callback. */
    size_t keylen;
    obj_t *val;        /* The callback takes ownership. */
    int64_t expire_ms; /* Absolute Unix ms, -1 for none. */
    int64_t idle_s;    /* IDLE seconds, -1 when the file had none. */
    int freq;          /* FREQ counter, -1 when the file had none. */
} rdb_entry_t;

typedef struct rdb_load_cbs {
    /* Each key; takes e->val even on failure. Returns 0, or a negative
     * errno (after rdb_reader_fail, for a reason) to stop loading. */
    int (*key)(void *arg, rdb_reader_t *r, rdb_entry_t *e);
    /* Optional: each aux field (standard ones too). */
    int (*aux)(void *arg, rdb_reader_t *r, const char *k, size_t kn, const char *v,
               size_t vn);
    /* Optional: RESIZEDB hints for database db. */
    int (*resize)(void *arg, rdb_reader_t *r, int db, uint64_t keys, uint64_t expires);
    /* Optional: the code of each function library (FUNCTION2). Without it,
     * input holding libraries is rejected, since they would be lost. */
    int (*function)(void *arg, rdb_reader_t *r, const char *code, size_t n);
    /* Optional: each SELECTDB record, once its number is read. */
    int (*select)(void *arg, rdb_reader_t *r, int db);
    void *arg;
} rdb_load_cbs_t;

/*
 * Reads a whole RDB stream: magic (versions 1 to 10), records up to EOF,
 * and the CRC-64, which must match unless it is zero (saved without
 * checksum) or r->verify_checksum is off. Keys whose value is an empty
 * collection are skipped and counted, as Redis 7.0 does. Returns 0, or the
 * first error (r->err_msg and r->err_offset tell what and where): -EINVAL
 * for malformed input, -ENOTSUP for content this server cannot hold
 * (modules, streams, functions), -EIO or the source's error otherwise.
 */
int rdb_load(rdb_reader_t *r, const rdb_load_cbs_t *cbs) MUST_CHECK;

/* Flags of rdb_load_into. */
enum rdb_load_flags {
    RDB_LOAD_SKIP_EXPIRED = 1 << 0, /* Drop keys already expired (primary). */
    RDB_LOAD_REPLACE = 1 << 1,      /* A duplicate key replaces the old one. */
};

typedef struct rdb_load_stats {
    uint64_t keys;            /* Keys added. */
    uint64_t expires;         /* Of which with an expiry. */
    uint64_t expired_skipped; /* Keys dropped as already expired. */
    uint64_t empty_skipped;   /* Keys dropped as empty collections. */
    /* The replication aux fields: repl_id "" and the others -1 when absent. */
    char repl_id[41];
    long long repl_offset;
    int repl_stream_db;
    /* The used-mem aux field (the writer's memory then), 0 when absent. It
     * is set as soon as the header is read, so progress reports can use it
     * while the load goes on. */
    uint64_t used_mem;
} rdb_load_stats_t;

/*
 * rdb_load into the databases dbs[0..ndbs): each key is added with its
 * expiry and access clock (IDLE applies under LRU, FREQ under LFU, as
 * db_env.lfu says). A database number out of range or a duplicate key
 * (without RDB_LOAD_REPLACE) stops the load with an error; keys added
 * before stay. st may be NULL.
 */
int rdb_load_into(rdb_reader_t *r, db_t *dbs, int ndbs, unsigned flags,
                  rdb_load_stats_t *st) MUST_CHECK;

/* Sets a value's access clock from a saved IDLE time in seconds (applied
 * unless the policy is LFU) or FREQ counter (applied under LFU), as
 * loading and RESTORE do; -1 means not given. */
void rdb_set_clock(obj_t *o, int64_t idle_s, int freq);

/* ---- DUMP and RESTORE payloads --------------------------------------------- */

/* The DUMP payload of val: type byte and value, RDB version (2 bytes LE)
 * and CRC-64 of all that (8 bytes LE). The caller owns the result. */
str_t *rdb_dump(obj_t *val, bool compress);
/* Checks a payload's footer: a version of at most RDB_VERSION and a
 * matching CRC-64. 0 or -EBADMSG ("ERR DUMP payload version or checksum
 * are wrong"). */
int rdb_dump_verify(const void *p, size_t n) MUST_CHECK;
/* Decodes a verified payload into a new value the caller owns. -EINVAL
 * ("ERR Bad data format") for bad data or an empty collection. */
int rdb_restore(const void *p, size_t n, obj_t **out) MUST_CHECK;

#endif
