/*
 * Transactions and WATCH. The watch index has one dict per database that
 * maps a key to the clients watching it; each client also lists its own
 * (database, key) pairs, pointing at the index's key strings, so unwatching
 * needs no search in the index. A change to a watched key marks the
 * watching clients dirty, and their next EXEC answers a null array.
 *
 * Expiry follows Redis 7.0: a key that expires after it was watched counts
 * as changed (when it is removed, or at EXEC if it is only logically
 * expired). A key that was already expired when watched counts as missing:
 * its removal by expiry, or by a flush, is no change, but writing it is.
 * The keyspace hooks run before the change is made, so a key that is
 * logically expired when the modified hook sees it is being removed by its
 * expiry (a write first expires the old key).
 */
#include <config.h>
#include "server/multi.h"

#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/dict.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/server.h"

/* A queued command: its arguments and their bytes are one allocation. */
typedef struct queued {
    cmd_t *cmd;
    int argc;
    arg_t *argv;
} queued_t;

typedef struct watched {
    int dbid;
    bool expired;     /* The key was logically expired when watched. */
    const str_t *key; /* The watch index's key string. */
} watched_t;

struct multi_state {
    queued_t *queue;
    int nqueued, cap;
    uint64_t flags;  /* Union of the queued commands' flags. */
    size_t mem;      /* multi-mem. */
    bool aborted;    /* A command was refused while queueing. */
    bool dirty;      /* A watched key changed. */
    watched_t *watched;
    size_t nwatched, wcap;
};

/* The clients watching one key. */
typedef struct watchers {
    client_t **v;
    size_t n, cap;
} watchers_t;

static dict_t **watch_index; /* srv.ndbs dicts (NULL until used). */
static int index_dbs;
static size_t total_watches;

/* ---- the watch index -------------------------------------------------- */

static uint64_t key_hash(const void *k)
{
    const str_t *s = k;
    return dict_hash_bytes(s->buf, s->len);
}

static int key_eq(const void *a, const void *b)
{
    const str_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->buf, y->buf, x->len) == 0;
}

static void key_free(void *k)
{
    str_free(k);
}

static void watchers_free(void *v)
{
    watchers_t *w = v;
    alloc_free(w->v);
    alloc_free(w);
}

static const dict_type_t index_type = {key_hash, key_eq, key_free, watchers_free};

static dict_t *index_of(int dbid, bool create)
{
    if (watch_index == NULL) {
        if (!create)
            return NULL;
        index_dbs = srv.ndbs;
        watch_index = alloc_calloc(sizeof(dict_t *) * (size_t)index_dbs);
    }
    INSIST(dbid >= 0 && dbid < index_dbs);
    if (watch_index[dbid] == NULL && create)
        watch_index[dbid] = dict_new(&index_type);
    return watch_index[dbid];
}

static multi_state_t *state_of(client_t *c)
{
    if (c->multi == NULL)
        c->multi = alloc_calloc(sizeof(*c->multi));
    return c->multi;
}

/* The key has a TTL that has passed (Redis's keyIsExpired). */
static bool key_expired(db_t *db, const str_t *key)
{
    int64_t when = db_get_expire(db, key_ref_str(key));
    return when >= 0 && when <= db_env.now_ms;
}

static bool key_present(db_t *db, const str_t *key)
{
    return db_key_str(db, key_ref_str(key)) != NULL;
}

/* c's entry for key in database dbid. */
static watched_t *find_watched(client_t *c, int dbid, const str_t *key)
{
    multi_state_t *m = c->multi;
    for (size_t i = 0; i < m->nwatched; i++) {
        const str_t *k = m->watched[i].key;
        if (m->watched[i].dbid == dbid && k->len == key->len &&
            memcmp(k->buf, key->buf, k->len) == 0)
            return &m->watched[i];
    }
    return NULL;
}

/* db_env.modified: key is about to change. */
static void on_modified(db_t *db, const str_t *key)
{
    if (total_watches == 0)
        return;
    dict_t *d = index_of(db->id, false);
    if (d == NULL || dict_size(d) == 0)
        return;
    watchers_t *w = dict_fetch(d, key);
    if (w == NULL)
        return;
    bool expiring = key_expired(db, key);
    for (size_t i = 0; i < w->n; i++) {
        client_t *c = w->v[i];
        watched_t *wk = find_watched(c, db->id, key);
        if (wk != NULL && wk->expired) {
            /* Missing when watched; removing it again changes nothing. */
            if (expiring) {
                wk->expired = false;
                continue;
            }
        }
        c->multi->dirty = true;
    }
}

/*
 * Whether replacing the contents of db (with those of with, or nothing)
 * changes what c saw of key: as Redis's touchAllWatchedKeysInDb, only keys
 * present on either side count, and a key expired on both sides of the
 * change stays missing.
 */
static bool replacing_changes(client_t *c, db_t *db, db_t *with, const str_t *key)
{
    bool in_db = key_present(db, key);
    bool in_with = with != NULL && key_present(with, key);
    if (!in_db && !in_with)
        return false;
    watched_t *wk = find_watched(c, db->id, key);
    if (wk == NULL)
        return true;
    if (wk->expired) {
        if (!in_with) {
            wk->expired = false;
            return false;
        }
        return !key_expired(with, key);
    }
    if (!in_db && key_expired(with, key)) {
        wk->expired = true;
        return false;
    }
    return true;
}

/* db_env.replacing: FLUSHDB/FLUSHALL (with == NULL) and SWAPDB. */
static void on_replacing(db_t *db, db_t *with)
{
    if (total_watches == 0)
        return;
    dict_t *d = index_of(db->id, false);
    if (d == NULL || dict_size(d) == 0)
        return;
    dict_iter_t it;
    dict_iter_init(&it, d, false);
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        watchers_t *w = e->v.val;
        for (size_t i = 0; i < w->n; i++)
            if (replacing_changes(w->v[i], db, with, e->key))
                w->v[i]->multi->dirty = true;
    }
    dict_iter_destroy(&it);
}

/* At EXEC: a key that was live when watched and has expired since is a
 * change even if it is still in the keyspace. */
static bool watched_key_expired(client_t *c)
{
    multi_state_t *m = c->multi;
    for (size_t i = 0; i < m->nwatched; i++)
        if (!m->watched[i].expired && key_expired(&srv.dbs[m->watched[i].dbid], m->watched[i].key))
            return true;
    return false;
}

void multi_init(void)
{
    db_env.modified = on_modified;
    db_env.replacing = on_replacing;
}

void multi_destroy(void)
{
    if (watch_index == NULL)
        return;
    for (int i = 0; i < index_dbs; i++)
        if (watch_index[i] != NULL)
            dict_free(watch_index[i]);
    alloc_free(watch_index);
    watch_index = NULL;
    index_dbs = 0;
    total_watches = 0;
}

/* ---- WATCH ---------------------------------------------------------------- */

void multi_watch(client_t *c, db_t *db, const arg_t *key)
{
    multi_state_t *m = state_of(c);
    for (size_t i = 0; i < m->nwatched; i++) {
        const str_t *k = m->watched[i].key;
        if (m->watched[i].dbid == db->id && k->len == key->n &&
            memcmp(k->buf, key->p, key->n) == 0)
            return;
    }
    dict_t *d = index_of(db->id, true);
    str_t *s = str_new(key->p, key->n);
    dict_entry_t *existing = NULL;
    dict_entry_t *e = dict_add_raw(d, s, &existing);
    if (e == NULL) {
        str_free(s);
        e = existing;
    } else {
        e->v.val = alloc_calloc(sizeof(watchers_t));
    }
    watchers_t *w = e->v.val;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 2;
        w->v = alloc_realloc(w->v, sizeof(client_t *) * w->cap);
    }
    w->v[w->n++] = c;
    if (m->nwatched == m->wcap) {
        m->wcap = m->wcap ? m->wcap * 2 : 4;
        m->watched = alloc_realloc(m->watched, sizeof(watched_t) * m->wcap);
    }
    m->watched[m->nwatched++] = (watched_t){db->id, key_expired(db, e->key), e->key};
    total_watches++;
}

/* Removes c from the watchers of one key, and the key from the index when
 * nobody watches it any more. */
static void unwatch_one(client_t *c, const watched_t *wk)
{
    dict_t *d = index_of(wk->dbid, false);
    INSIST(d != NULL);
    watchers_t *w = dict_fetch(d, wk->key);
    INSIST(w != NULL);
    size_t i = 0;
    while (i < w->n && w->v[i] != c)
        i++;
    INSIST(i < w->n);
    w->v[i] = w->v[--w->n];
    total_watches--;
    if (w->n == 0)
        dict_delete(d, wk->key);
}

void multi_unwatch(client_t *c)
{
    multi_state_t *m = c->multi;
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nwatched; i++)
        unwatch_one(c, &m->watched[i]);
    m->nwatched = 0;
    m->dirty = false;
}

/* ---- the queue ------------------------------------------------------------ */

void multi_start(client_t *c)
{
    REQUIRE(!(c->flags & CLIENT_MULTI));
    state_of(c);
    c->flags |= CLIENT_MULTI;
}

void multi_queue(client_t *c)
{
    REQUIRE(c->flags & CLIENT_MULTI);
    multi_state_t *m = state_of(c);
    size_t bytes = 0;
    for (int i = 0; i < c->argc; i++)
        bytes += c->argv[i].n;
    arg_t *argv = alloc_malloc(sizeof(arg_t) * (size_t)c->argc + bytes);
    char *p = (char *)(argv + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].p, c->argv[i].n);
        argv[i].p = p;
        argv[i].n = c->argv[i].n;
        p += c->argv[i].n;
    }
    if (m->nqueued == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        m->queue = alloc_realloc(m->queue, sizeof(queued_t) * (size_t)m->cap);
    }
    m->queue[m->nqueued++] = (queued_t){c->cmd, c->argc, argv};
    m->flags |= c->cmd->flags;
    m->mem += bytes + sizeof(void *) * (size_t)c->argc;
}

void multi_flag_error(client_t *c)
{
    if (c->flags & CLIENT_MULTI)
        state_of(c)->aborted = true;
}

static void free_queue(multi_state_t *m)
{
    for (int i = 0; i < m->nqueued; i++)
        alloc_free(m->queue[i].argv);
    alloc_free(m->queue);
    m->queue = NULL;
    m->nqueued = m->cap = 0;
    m->flags = 0;
    m->mem = 0;
    m->aborted = false;
}

void multi_discard(client_t *c)
{
    if (c->multi != NULL) {
        free_queue(c->multi);
        multi_unwatch(c);
    }
    c->flags &= ~CLIENT_MULTI;
}

bool multi_is_exec(const cmd_t *cmd)
{
    return cmd->proc == cmd_exec;
}

uint64_t multi_queued_flags(const client_t *c)
{
    return c->multi != NULL ? c->multi->flags : 0;
}

/* Runs the queue. CLIENT_MULTI stays set until the end, so commands can
 * tell they run inside EXEC (MONITOR and SSUBSCRIBE refuse to). */
static void run_queue(client_t *c)
{
    multi_state_t *m = c->multi;
    int argc = c->argc;
    arg_t *argv = c->argv;
    cmd_t *exec_cmd = c->cmd;
    reply_array(&c->reply, m->nqueued);
    for (int i = 0; i < m->nqueued; i++) {
        c->argc = m->queue[i].argc;
        c->argv = m->queue[i].argv;
        c->cmd = m->queue[i].cmd;
        dispatch_call(c);
    }
    c->argc = argc;
    c->argv = argv;
    c->cmd = exec_cmd;
}

void multi_exec(client_t *c)
{
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(&c->reply, "ERR EXEC without MULTI");
        return;
    }
    multi_state_t *m = state_of(c);
    if (!m->dirty && !m->aborted && watched_key_expired(c))
        m->dirty = true;
    if (m->aborted) {
        reply_error(&c->reply, "EXECABORT Transaction discarded because of previous errors.");
    } else if (m->dirty) {
        reply_null_array(&c->reply);
    } else {
        /* Nothing the queue does can fail this transaction any more. */
        multi_unwatch(c);
        run_queue(c);
    }
    multi_discard(c);
}

void multi_abort_exec(client_t *c, const char *error)
{
    multi_discard(c);
    reply_errorf(&c->reply, "EXECABORT Transaction discarded because of: %s", error);
}

/* ---- per-client state ----------------------------------------------------- */

void multi_client_free(client_t *c)
{
    if (c->multi == NULL)
        return;
    multi_discard(c);
    alloc_free(c->multi->watched);
    alloc_free(c->multi);
    c->multi = NULL;
}

long long multi_queued_count(const client_t *c)
{
    if (!(c->flags & CLIENT_MULTI) || c->multi == NULL)
        return -1;
    return c->multi->nqueued;
}

size_t multi_queued_mem(const client_t *c)
{
    return c->multi != NULL ? c->multi->mem : 0;
}
