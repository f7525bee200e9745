/*
 * notify: keyspace notifications (notify-keyspace-events). Commands call
 * notify_keyspace_event after a change with the event's class and Redis's
 * event name; when the class is enabled the module publishes to
 * __keyspace@<db>__:<key> and/or __keyevent@<db>__:<event>. Borrows all
 * arguments.
 */
#ifndef RH_SERVER_NOTIFY_H
#define RH_SERVER_NOTIFY_H

#include <stddef.h>

/* Event classes, one bit per letter of notify-keyspace-events. */
enum notify_class {
    NOTIFY_KEYSPACE = 1 << 0, /* K */
    NOTIFY_KEYEVENT = 1 << 1, /* E */
    NOTIFY_GENERIC = 1 << 2,  /* g */
    NOTIFY_STRING = 1 << 3,   /* $ */
    NOTIFY_LIST = 1 << 4,     /* l */
    NOTIFY_SET = 1 << 5,      /* s */
    NOTIFY_HASH = 1 << 6,     /* h */
    NOTIFY_ZSET = 1 << 7,     /* z */
    NOTIFY_EXPIRED = 1 << 8,  /* x */
    NOTIFY_EVICTED = 1 << 9,  /* e */
    NOTIFY_STREAM = 1 << 10,  /* t */
    NOTIFY_KEY_MISS = 1 << 11, /* m (not part of A) */
    NOTIFY_LOADED = 1 << 12,  /* module only */
    NOTIFY_MODULE = 1 << 13,  /* d */
    NOTIFY_NEW = 1 << 14,     /* n (not part of A) */
};

/* The classes 'A' stands for: every type class, not K, E, m or n. */
#define NOTIFY_ALL                                                                         \
    (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | \
     NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE)

/* Room for the longest text notify_format_classes writes, NUL included. */
#define NOTIFY_FORMAT_MAX 24

/* Parses the option's letters into class bits; -1 on a bad letter. */
int notify_parse_classes(const char *letters);
/* Writes classes as CONFIG GET shows them (Redis 7.0's canonical order,
 * which leaves out 'n') into out; returns the length. */
size_t notify_format_classes(int classes, char out[NOTIFY_FORMAT_MAX]);
/* Sets the enabled classes (CONFIG SET and the config file, at once). */
void notify_set_classes(int classes);
int notify_get_classes(void);
/* Installs the keyspace hooks that report expirations ("expired"),
 * evictions ("evicted"), new keys ("new") and read misses ("keymiss"). */
void notify_init(void);
/* Publishes event for key in database dbid if cls is enabled. */
void notify_keyspace_event(int cls, const char *event, const char *key, size_t keylen,
                           int dbid);

#endif
