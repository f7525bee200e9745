#include <config.h>
#include "core/crc64.h"

#include <string.h>

/* The Jones polynomial with its bits reversed, for the reflected form. */
#define POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

/*
 * Eight tables for slicing-by-8: table[0] is the classic byte table and
 * table[k][b] advances table[k - 1][b] by one more zero byte, so eight
 * input bytes are folded with eight lookups. RDB files run to gigabytes,
 * which makes the byte-at-a-time loop a visible cost when saving.
 */
static uint64_t table[8][256];

__attribute__((constructor)) static void crc64_init_tables(void)
{
    for (unsigned b = 0; b < 256; ++b) {
        uint64_t c = b;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? (c >> 1) ^ POLY_REFLECTED : c >> 1;
        table[0][b] = c;
    }
    for (unsigned b = 0; b < 256; ++b)
        for (int k = 1; k < 8; ++k)
            table[k][b] = (table[k - 1][b] >> 8) ^
                          table[0][table[k - 1][b] & 0xff];
}

/* One unaligned little-endian load (a single instruction on x86). */
static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

uint64_t crc64(uint64_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;
    while (n >= 8) {
        uint64_t v = crc ^ load_le64(s);
        crc = table[7][v & 0xff] ^ table[6][(v >> 8) & 0xff] ^
              table[5][(v >> 16) & 0xff] ^ table[4][(v >> 24) & 0xff] ^
              table[3][(v >> 32) & 0xff] ^ table[2][(v >> 40) & 0xff] ^
              table[1][(v >> 48) & 0xff] ^ table[0][v >> 56];
        s += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
    return crc;
}
