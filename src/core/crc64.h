/*
 * crc64: the CRC-64 that Redis appends to RDB files and DUMP payloads: the
 * "Jones" polynomial 0xad93d23594c935a9, processed reflected (least
 * significant bit first), initial value 0 and no final xor. The check value
 * of "123456789" is 0xe9c6d914c4b8d9ca.
 */
#ifndef RH_CORE_CRC64_H
#define RH_CORE_CRC64_H

#include <stddef.h>
#include <stdint.h>

/*
 * Extends crc with the n bytes at p and returns the new value; start with
 * crc = 0. Feeding a buffer in pieces gives the same result as in one go.
 */
uint64_t crc64(uint64_t crc, const void *p, size_t n);

#endif
