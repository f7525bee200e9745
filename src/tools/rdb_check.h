/*
 * rdb_check: the RDB verification shared by redis-check-rdb and
 * redis-check-aof.
 */
#ifndef RH_TOOLS_RDB_CHECK_H
#define RH_TOOLS_RDB_CHECK_H

#include <stdint.h>

/* Checks the RDB read from fd's current position, printing Redis's
 * report lines. Returns 0 for a sound stream, with *end set to where the
 * RDB ends (an old-style AOF goes on with commands there), else 1. */
int rdb_check_fd(int fd, uint64_t *end);

#endif
