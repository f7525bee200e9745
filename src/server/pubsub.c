/*
 * Pub/sub. The registry (one dict per kind) maps a name to the array of its
 * subscribers in subscription order, so messages reach them in that order;
 * a client's own names live in per-kind sets inside its pubsub_client_t.
 * The two sides are always changed together. Delivering a message only
 * appends to the receiver's output and may schedule it to be closed for its
 * output limits (asynchronously), so no subscription changes while a
 * message is being delivered.
 */
#include <config.h>
#include "server/pubsub.h"

#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/dict.h"
#include "core/strconv.h"
#include "db/keyspace.h"

struct pubsub_client {
    dict_t *names[PUBSUB_KINDS]; /* str_t names, no values; NULL when unused. */
};

/* The clients subscribed to one name, in subscription order. */
typedef struct subscribers {
    client_t **v;
    size_t n, cap;
} subscribers_t;

/* The words of the confirmations and messages, by kind. */
static const char *const sub_word[PUBSUB_KINDS] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const unsub_word[PUBSUB_KINDS] = {"unsubscribe", "punsubscribe",
                                                     "sunsubscribe"};

static dict_t *registry[PUBSUB_KINDS];
static size_t total_subscriptions;

/* ---- names ------------------------------------------------------------ */

static uint64_t name_hash(const void *k)
{
    const str_t *s = k;
    return dict_hash_bytes(s->buf, s->len);
}

static int name_eq(const void *a, const void *b)
{
    const str_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->buf, y->buf, x->len) == 0;
}

static void name_free(void *k)
{
    str_free(k);
}

static void subscribers_free(void *v)
{
    subscribers_t *s = v;
    alloc_free(s->v);
    alloc_free(s);
}

static const dict_type_t registry_type = {name_hash, name_eq, name_free, subscribers_free};
static const dict_type_t client_names_type = {name_hash, name_eq, name_free, NULL};

/* A name as a str_t for lookups, on the stack when it is short. */
typedef struct name_tmp {
    str_t *s;
    union {
        str_t hdr;
        char raw[sizeof(str_t) + 128];
    } u;
} name_tmp_t;

static const str_t *name_tmp_make(name_tmp_t *t, const char *p, size_t n)
{
    if (n < 128) {
        t->s = &t->u.hdr;
        t->s->len = (uint32_t)n;
        t->s->cap = (uint32_t)n;
        memcpy(t->s->buf, p, n);
        t->s->buf[n] = '\0';
    } else {
        t->s = str_new(p, n);
    }
    return t->s;
}

static void name_tmp_done(name_tmp_t *t)
{
    if (t->s != &t->u.hdr)
        str_free(t->s);
}

static subscribers_t *registry_find(int kind, const char *name, size_t len)
{
    if (registry[kind] == NULL || dict_size(registry[kind]) == 0)
        return NULL;
    name_tmp_t t;
    subscribers_t *s = dict_fetch(registry[kind], name_tmp_make(&t, name, len));
    name_tmp_done(&t);
    return s;
}

static void registry_add(int kind, const str_t *name, client_t *c)
{
    if (registry[kind] == NULL)
        registry[kind] = dict_new(&registry_type);
    subscribers_t *s = dict_fetch(registry[kind], name);
    if (s == NULL) {
        s = alloc_calloc(sizeof(*s));
        int r = dict_add(registry[kind], str_dup(name), s);
        INSIST(r == 0);
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = alloc_realloc(s->v, sizeof(client_t *) * s->cap);
    }
    s->v[s->n++] = c;
    total_subscriptions++;
}

static void registry_remove(int kind, const str_t *name, client_t *c)
{
    subscribers_t *s = registry_find(kind, name->buf, name->len);
    INSIST(s != NULL);
    size_t i = 0;
    while (i < s->n && s->v[i] != c)
        i++;
    INSIST(i < s->n);
    memmove(&s->v[i], &s->v[i + 1], sizeof(client_t *) * (s->n - i - 1));
    s->n--;
    total_subscriptions--;
    if (s->n == 0)
        dict_delete(registry[kind], name);
}

/* ---- per-client state --------------------------------------------------- */

size_t pubsub_client_count(const client_t *c, int kind)
{
    if (c->pubsub == NULL || c->pubsub->names[kind] == NULL)
        return 0;
    return dict_size(c->pubsub->names[kind]);
}

static size_t total_count(const client_t *c)
{
    size_t n = 0;
    for (int k = 0; k < PUBSUB_KINDS; k++)
        n += pubsub_client_count(c, k);
    return n;
}

/* The count confirmations show: channels and patterns together, shard
 * channels on their own (Redis 7.0). */
static long long confirm_count(const client_t *c, int kind)
{
    if (kind == PUBSUB_SHARD)
        return (long long)pubsub_client_count(c, PUBSUB_SHARD);
    return (long long)(pubsub_client_count(c, PUBSUB_CHANNEL) +
                       pubsub_client_count(c, PUBSUB_PATTERN));
}

static dict_t *client_names(client_t *c, int kind)
{
    if (c->pubsub == NULL)
        c->pubsub = alloc_calloc(sizeof(*c->pubsub));
    if (c->pubsub->names[kind] == NULL)
        c->pubsub->names[kind] = dict_new(&client_names_type);
    return c->pubsub->names[kind];
}

static void update_flag(client_t *c)
{
    if (total_count(c) > 0)
        c->flags |= CLIENT_PUBSUB;
    else
        c->flags &= ~CLIENT_PUBSUB;
}

static void confirm(client_t *c, const char *word, const char *name, size_t len, int kind)
{
    reply_push(&c->reply, 3);
    reply_bulk_cstr(&c->reply, word);
    if (name != NULL)
        reply_bulk(&c->reply, name, len);
    else
        reply_null(&c->reply);
    reply_int(&c->reply, confirm_count(c, kind));
}

/* ---- subscribing ---------------------------------------------------------- */

void pubsub_subscribe(client_t *c, int kind, const char *name, size_t len)
{
    REQUIRE(kind >= 0 && kind < PUBSUB_KINDS);
    dict_t *mine = client_names(c, kind);
    str_t *s = str_new(name, len);
    if (dict_add(mine, s, NULL) == 0)
        registry_add(kind, s, c);
    else
        str_free(s);
    c->flags |= CLIENT_PUBSUB;
    confirm(c, sub_word[kind], name, len, kind);
}

/* Removes one name from c's set and the registry; false if c did not have
 * it. */
static bool drop(client_t *c, int kind, const char *name, size_t len)
{
    if (pubsub_client_count(c, kind) == 0)
        return false;
    dict_t *mine = c->pubsub->names[kind];
    name_tmp_t t;
    const str_t *key = name_tmp_make(&t, name, len);
    bool had = dict_find(mine, key) != NULL;
    if (had) {
        registry_remove(kind, key, c);
        dict_delete(mine, key);
    }
    name_tmp_done(&t);
    return had;
}

void pubsub_unsubscribe(client_t *c, int kind, const char *name, size_t len)
{
    REQUIRE(kind >= 0 && kind < PUBSUB_KINDS);
    drop(c, kind, name, len);
    update_flag(c);
    confirm(c, unsub_word[kind], name, len, kind);
}

/* Unsubscribes from every name of kind; confirms each one when reply. */
static void drop_all(client_t *c, int kind, bool reply)
{
    if (pubsub_client_count(c, kind) == 0)
        return;
    dict_t *mine = c->pubsub->names[kind];
    dict_iter_t it;
    dict_iter_init(&it, mine, true);
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        dict_entry_t *gone = dict_unlink(mine, e->key);
        INSIST(gone == e);
        const str_t *name = gone->key;
        registry_remove(kind, name, c);
        update_flag(c);
        if (reply)
            confirm(c, unsub_word[kind], name->buf, name->len, kind);
        dict_free_unlinked(mine, gone);
    }
    dict_iter_destroy(&it);
}

void pubsub_unsubscribe_all(client_t *c, int kind)
{
    REQUIRE(kind >= 0 && kind < PUBSUB_KINDS);
    if (pubsub_client_count(c, kind) == 0) {
        update_flag(c);
        confirm(c, unsub_word[kind], NULL, 0, kind);
        return;
    }
    drop_all(c, kind, true);
}

void pubsub_client_free(client_t *c)
{
    if (c->pubsub == NULL)
        return;
    for (int k = 0; k < PUBSUB_KINDS; k++) {
        drop_all(c, k, false);
        if (c->pubsub->names[k] != NULL)
            dict_free(c->pubsub->names[k]);
        c->pubsub->names[k] = NULL;
    }
    alloc_free(c->pubsub);
    c->pubsub = NULL;
    c->flags &= ~CLIENT_PUBSUB;
}

/* ---- publishing ----------------------------------------------------------- */

typedef struct message {
    const char *word; /* "message", "pmessage", "smessage" */
    const char *pat;  /* The matching pattern (pmessage) or NULL. */
    size_t patlen;
    const char *ch;
    size_t chlen;
    const char *msg;
    size_t msglen;
} message_t;

static void deliver(client_t *t, const message_t *m)
{
    reply_t *r = &t->reply;
    reply_push(r, m->pat != NULL ? 4 : 3);
    reply_bulk_cstr(r, m->word);
    if (m->pat != NULL)
        reply_bulk(r, m->pat, m->patlen);
    reply_bulk(r, m->ch, m->chlen);
    reply_bulk(r, m->msg, m->msglen);
    client_check_obuf_limits(t);
}

static long long deliver_all(const subscribers_t *s, const message_t *m)
{
    if (s == NULL)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        deliver(s->v[i], m);
    return (long long)s->n;
}

static long long publish_patterns(message_t *m)
{
    dict_t *d = registry[PUBSUB_PATTERN];
    if (d == NULL || dict_size(d) == 0)
        return 0;
    long long n = 0;
    dict_iter_t it;
    dict_iter_init(&it, d, false);
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        const str_t *pat = e->key;
        if (!strconv_glob_match(pat->buf, pat->len, m->ch, m->chlen, false))
            continue;
        m->pat = pat->buf;
        m->patlen = pat->len;
        n += deliver_all(e->v.val, m);
    }
    dict_iter_destroy(&it);
    return n;
}

long long pubsub_publish(const char *channel, size_t chlen, const char *msg, size_t msglen)
{
    if (total_subscriptions == 0)
        return 0;
    message_t m = {"message", NULL, 0, channel, chlen, msg, msglen};
    long long n = deliver_all(registry_find(PUBSUB_CHANNEL, channel, chlen), &m);
    m.word = "pmessage";
    return n + publish_patterns(&m);
}

long long pubsub_publish_shard(const char *channel, size_t chlen, const char *msg,
                               size_t msglen)
{
    message_t m = {"smessage", NULL, 0, channel, chlen, msg, msglen};
    return deliver_all(registry_find(PUBSUB_SHARD, channel, chlen), &m);
}

bool pubsub_has_subscribers(void)
{
    return total_subscriptions > 0;
}

/* ---- introspection -------------------------------------------------------- */

size_t pubsub_count(int kind)
{
    REQUIRE(kind >= 0 && kind < PUBSUB_KINDS);
    return registry[kind] != NULL ? dict_size(registry[kind]) : 0;
}

size_t pubsub_numsub(int kind, const char *name, size_t len)
{
    const subscribers_t *s = registry_find(kind, name, len);
    return s != NULL ? s->n : 0;
}

void pubsub_reply_names(reply_t *r, int kind, const char *pat, size_t patlen)
{
    dict_t *d = registry[kind];
    if (d == NULL || dict_size(d) == 0) {
        reply_array(r, 0);
        return;
    }
    reply_defer_t dl = reply_defer(r);
    long long n = 0;
    dict_iter_t it;
    dict_iter_init(&it, d, false);
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        const str_t *name = e->key;
        if (pat != NULL && !strconv_glob_match(pat, patlen, name->buf, name->len, false))
            continue;
        reply_bulk(r, name->buf, name->len);
        n++;
    }
    dict_iter_destroy(&it);
    reply_defer_array(r, dl, n);
}

void pubsub_destroy(void)
{
    for (int k = 0; k < PUBSUB_KINDS; k++) {
        if (registry[k] != NULL)
            dict_free(registry[k]);
        registry[k] = NULL;
    }
    total_subscriptions = 0;
}
