#include <config.h>
#include "core/crc64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* The definition itself, one bit at a time, to check the table version. */
static uint64_t crc64_bitwise(uint64_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k)
            crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
    }
    return crc;
}

int main(void)
{
    ok(crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL,
       "check value of \"123456789\"");
    ok(crc64(0, "", 0) == 0, "empty input keeps 0");
    ok(crc64(0x1234, "", 0) == 0x1234, "empty input keeps the crc");
    /*
     * A Redis DUMP of the string "hello": type 0, length 5, "hello", RDB
     * version 10 little-endian; redis-server 7.0.15 appends this CRC.
     */
    static const uint8_t dump[] = { 0x00, 0x05, 'h', 'e', 'l', 'l', 'o',
                                    0x0a, 0x00 };
    ok(crc64(0, dump, sizeof(dump)) == 0x0a20346576df7263ULL,
       "crc of a DUMP payload from redis-server");

    static uint8_t buf[4099];
    srand(3);
    for (size_t i = 0; i < sizeof(buf); ++i)
        buf[i] = (uint8_t)rand();
    uint64_t whole = crc64(0, buf, sizeof(buf));
    ok(whole == crc64_bitwise(0, buf, sizeof(buf)),
       "slicing matches the bitwise definition");
    int same = 1;
    for (size_t cut = 0; cut <= 64; ++cut) {
        uint64_t c = crc64(0, buf, cut);
        c = crc64(c, buf + cut, sizeof(buf) - cut);
        same &= c == whole;
    }
    ok(same, "incremental over every split point of the first 64 bytes");
    int unaligned = 1;
    for (size_t off = 1; off < 8; ++off)
        unaligned &= crc64(0, buf + off, 100) ==
                     crc64_bitwise(0, buf + off, 100);
    ok(unaligned, "unaligned starts");
    buf[100] ^= 1;
    ok(crc64(0, buf, sizeof(buf)) != whole, "a bit flip changes the crc");
    return done_testing();
}
