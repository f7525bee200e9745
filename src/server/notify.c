/*
 * Keyspace notifications. The enabled classes are parsed once, when the
 * option is set, into one bit mask that every event checks first, so a
 * server without notify-keyspace-events pays one test per change. Events
 * go out through the pub/sub module as ordinary messages.
 */
#include <config.h>
#include "server/notify.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "db/keyspace.h"
#include "server/pubsub.h"

static int enabled;

/* The letter of each class, in the order Redis prints them. */
static const struct {
    char letter;
    int cls;
} class_letters[] = {
    {'g', NOTIFY_GENERIC}, {'$', NOTIFY_STRING},  {'l', NOTIFY_LIST},
    {'s', NOTIFY_SET},     {'h', NOTIFY_HASH},    {'z', NOTIFY_ZSET},
    {'x', NOTIFY_EXPIRED}, {'e', NOTIFY_EVICTED}, {'t', NOTIFY_STREAM},
    {'d', NOTIFY_MODULE},  {'K', NOTIFY_KEYSPACE}, {'E', NOTIFY_KEYEVENT},
    {'m', NOTIFY_KEY_MISS}, {'n', NOTIFY_NEW},
};

int notify_parse_classes(const char *letters)
{
    int classes = 0;
    for (const char *p = letters; *p != '\0'; p++) {
        int found = 0;
        if (*p == 'A')
            found = NOTIFY_ALL;
        for (size_t i = 0; found == 0 && i < sizeof(class_letters) / sizeof(class_letters[0]);
             i++)
            if (class_letters[i].letter == *p)
                found = class_letters[i].cls;
        if (found == 0)
            return -1;
        classes |= found;
    }
    return classes;
}

size_t notify_format_classes(int classes, char out[NOTIFY_FORMAT_MAX])
{
    size_t n = 0;
    size_t first = 0;
    if ((classes & NOTIFY_ALL) == NOTIFY_ALL) {
        out[n++] = 'A';
        /* The type classes are all covered by the 'A'. */
        while (class_letters[first].cls & NOTIFY_ALL)
            first++;
    }
    for (size_t i = first; i < sizeof(class_letters) / sizeof(class_letters[0]); i++) {
        /* Redis 7.0 never prints 'n', though it honours it. */
        if (class_letters[i].cls == NOTIFY_NEW)
            continue;
        if (classes & class_letters[i].cls)
            out[n++] = class_letters[i].letter;
    }
    out[n] = '\0';
    return n;
}

void notify_set_classes(int classes)
{
    enabled = classes < 0 ? 0 : classes;
}

int notify_get_classes(void)
{
    return enabled;
}

/*
 * Publishes message on the channel made of prefix, the database number and
 * name. Channel names are short, so they are built on the stack unless a
 * key is long.
 */
static void publish_on(const char *prefix, int dbid, const char *name, size_t namelen,
                       const char *msg, size_t msglen)
{
    char head[48];
    int hn = snprintf(head, sizeof(head), "%s%d__:", prefix, dbid);
    size_t total = (size_t)hn + namelen;
    char stackbuf[256];
    char *ch = total <= sizeof(stackbuf) ? stackbuf : alloc_malloc(total);
    memcpy(ch, head, (size_t)hn);
    memcpy(ch + hn, name, namelen);
    pubsub_publish(ch, total, msg, msglen);
    if (ch != stackbuf)
        alloc_free(ch);
}

void notify_keyspace_event(int cls, const char *event, const char *key, size_t keylen,
                           int dbid)
{
    if (!(enabled & cls) || !(enabled & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)))
        return;
    /* Nobody can receive anything: skip building the channel names. */
    if (!pubsub_has_subscribers())
        return;
    size_t evlen = strlen(event);
    if (enabled & NOTIFY_KEYSPACE)
        publish_on("__keyspace@", dbid, key, keylen, event, evlen);
    if (enabled & NOTIFY_KEYEVENT)
        publish_on("__keyevent@", dbid, event, evlen, key, keylen);
}

/* ---- keyspace hooks ------------------------------------------------- */

static void on_expired(db_t *db, const str_t *key)
{
    notify_keyspace_event(NOTIFY_EXPIRED, "expired", key->buf, key->len, db->id);
}

static void on_added(db_t *db, const str_t *key)
{
    notify_keyspace_event(NOTIFY_NEW, "new", key->buf, key->len, db->id);
}

static void on_missed(db_t *db, const char *key, size_t len)
{
    notify_keyspace_event(NOTIFY_KEY_MISS, "keymiss", key, len, db->id);
}

static void on_evicted(db_t *db, const char *key, size_t len)
{
    notify_keyspace_event(NOTIFY_EVICTED, "evicted", key, len, db->id);
}

void notify_init(void)
{
    db_env.expired = on_expired;
    db_env.added = on_added;
    db_env.missed = on_missed;
    db_env.evicted = on_evicted;
}
