/*
 * evict: maxmemory enforcement. Frees keys chosen by the configured policy
 * (LRU, LFU, random, TTL; all keys or only volatile ones) by sampled
 * approximation with a small pool of the best candidates kept between calls,
 * until used memory is back under the limit. Evictions are counted in
 * db_env.stat_evicted and reported through db_env hooks like deletions.
 */
#ifndef RH_DB_EVICT_H
#define RH_DB_EVICT_H

#include <stddef.h>

#include "db/keyspace.h"

/* Returns 0 when memory is under maxmemory (after evicting as needed), or
 * -1 when it stays over (noeviction, or nothing left to evict). */
int evict_perform(db_t *dbs, int count, size_t maxmemory, int policy, int samples);

/* Name <-> policy number (enum maxmemory_policy order). */
int evict_policy_parse(const char *name);
const char *evict_policy_name(int policy);

#endif
