/*
 * libFuzzer target for the RDB reader: arbitrary bytes as a whole RDB
 * stream (loaded into databases) and as a RESTORE payload body must give a
 * value or a clean error, never a crash, a leak or an out-of-bounds access.
 * Every value that RESTORE accepts must survive DUMP and RESTORE again.
 */
#include <config.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc64.h"
#include "db/keyspace.h"
#include "db/rdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NDBS 4

static void setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    db_env.hash_max_listpack_entries = 512;
    db_env.hash_max_listpack_value = 64;
    db_env.set_max_intset_entries = 512;
    db_env.zset_max_listpack_entries = 128;
    db_env.zset_max_listpack_value = 64;
    db_env.list_max_listpack_size = -2;
    db_env.now_ms = 1700000000000LL;
}

static void fuzz_file(const uint8_t *data, size_t size)
{
    /* The input follows a valid magic, so the records get exercised. */
    uint8_t *buf = malloc(size + 9);
    memcpy(buf, "REDIS0010", 9);
    memcpy(buf + 9, data, size);
    db_t *dbs = db_array_new(NDBS);
    rdb_reader_t r;
    rdb_reader_init_mem(&r, buf, size + 9);
    r.verify_checksum = false;
    /* Half the inputs load with structural checks only, as start-up does:
     * whatever the load itself does with their values must stay safe. */
    r.deep_check = size % 2 == 0;
    (void)rdb_load_into(&r, dbs, NDBS, RDB_LOAD_REPLACE, NULL);
    rdb_reader_destroy(&r);
    db_array_free(dbs, NDBS);
    free(buf);
}

static void fuzz_restore(const uint8_t *data, size_t size)
{
    /* A payload with a correct footer around the input. */
    uint8_t *p = malloc(size + 10);
    memcpy(p, data, size);
    p[size] = RDB_VERSION;
    p[size + 1] = 0;
    uint64_t crc = crc64(0, p, size + 2);
    for (int i = 0; i < 8; ++i)
        p[size + 2 + i] = (uint8_t)(crc >> (8 * i));
    obj_t *o = NULL;
    if (rdb_dump_verify(p, size + 10) != 0)
        abort();
    if (rdb_restore(p, size + 10, &o) == 0) {
        str_t *d = rdb_dump(o, size % 2 == 0);
        obj_t *back = NULL;
        if (rdb_dump_verify(d->buf, d->len) != 0 || rdb_restore(d->buf, d->len, &back) != 0 ||
            back->type != o->type)
            abort();
        obj_decref(back);
        str_free(d);
        obj_decref(o);
    }
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    fuzz_file(data, size);
    fuzz_restore(data, size);
    return 0;
}
