#include <config.h>
#include "server/blocking.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/strconv.h"
#include "server/dispatch.h"
#include "server/server.h"

/*
 * Layout: each database has a dict from key to the queue of clients waiting
 * on it (key_waiters_t). A blocked client has one waiter_t per distinct key,
 * linked into that key's queue in arrival order, so unblocking is O(keys).
 * Keys with waiters that were added to their database are put on the ready
 * list once; a serve pass takes them in order. Deadlines live in a binary
 * min-heap with one libuv timer armed for the earliest.
 */

typedef struct key_waiters key_waiters_t;

typedef struct waiter {
    TAILQ_ENTRY(waiter) link;
    key_waiters_t *kw;
    client_t *c;
} waiter_t;

struct key_waiters {
    TAILQ_HEAD(, waiter) queue;
    str_t *key; /* Owned by the database's dict. */
    int dbid;
    bool ready; /* On the ready list. */
    int pins;   /* Serve passes holding it: not freed meanwhile. */
};

struct block_state {
    enum block_type type;
    int dbid;
    int64_t deadline_ms; /* Monotonic; 0 = none. */
    size_t heap_idx;     /* Position in the heap when deadline_ms != 0. */
    waiter_t *waiters;
    int nwaiters;
    bool rerun;    /* The command is being run again to serve it. */
    bool rewaited; /* ... and called blocking_wait again: still blocked. */
    bool resume;   /* On the resume list: its input is processed next. */
    TAILQ_ENTRY(block_state) resume_link;
    client_t *c;
};

static struct {
    dict_t **by_db; /* Per database: str_t key -> key_waiters_t. */
    int ndbs;
    key_waiters_t **ready;
    size_t nready, ready_cap;
    client_t **heap;
    size_t nheap, heap_cap;
    uv_timer_t timer;
    bool timer_init;
    int64_t timer_deadline; /* Deadline the timer is armed for; 0 = idle. */
    long long nblocked;
    long long nkeys;
    bool serving;
    TAILQ_HEAD(, block_state) resume;
    void (*prev_added)(db_t *db, const str_t *key);
    void (*prev_replacing)(db_t *db, db_t *with);
} B;

/* ---- key tables ---------------------------------------------------------- */

static void kw_free(void *v)
{
    alloc_free(v);
}

/* str_t keys (freed by the dict) to key_waiters_t values (freed too). */
static dict_type_t keys_type;

static key_waiters_t *find_kw(int dbid, const char *key, size_t len)
{
    if (dbid >= B.ndbs || B.by_db[dbid] == NULL || dict_size(B.by_db[dbid]) == 0)
        return NULL;
    /* A stack str_t would need the flexible buffer; short keys are the
     * common case and a heap copy only happens while clients wait. */
    str_t *tmp = str_new(key, len);
    key_waiters_t *kw = dict_fetch(B.by_db[dbid], tmp);
    str_free(tmp);
    return kw;
}

static key_waiters_t *get_kw(int dbid, const char *key, size_t len)
{
    key_waiters_t *kw = find_kw(dbid, key, len);
    if (kw != NULL)
        return kw;
    if (B.by_db[dbid] == NULL)
        B.by_db[dbid] = dict_new(&keys_type);
    kw = alloc_calloc(sizeof(*kw));
    TAILQ_INIT(&kw->queue);
    kw->key = str_new(key, len);
    kw->dbid = dbid;
    int rc = dict_add(B.by_db[dbid], kw->key, kw);
    INSIST(rc == 0);
    B.nkeys++;
    return kw;
}

/* Frees kw once nobody waits on it and no serve pass or ready list holds
 * it. */
static void release_kw(key_waiters_t *kw)
{
    if (!TAILQ_EMPTY(&kw->queue) || kw->pins > 0 || kw->ready)
        return;
    /* The dict frees the key string and kw. */
    int rc = dict_delete(B.by_db[kw->dbid], kw->key);
    INSIST(rc == 0);
    B.nkeys--;
}

static void mark_ready(key_waiters_t *kw)
{
    if (kw->ready || TAILQ_EMPTY(&kw->queue))
        return;
    if (B.nready == B.ready_cap) {
        B.ready_cap = B.ready_cap ? B.ready_cap * 2 : 16;
        B.ready = alloc_realloc(B.ready, B.ready_cap * sizeof(*B.ready));
    }
    kw->ready = true;
    B.ready[B.nready++] = kw;
}

/* ---- deadlines ------------------------------------------------------------ */

static int64_t deadline_of(size_t i)
{
    return B.heap[i]->block->deadline_ms;
}

static void heap_set(size_t i, client_t *c)
{
    B.heap[i] = c;
    c->block->heap_idx = i;
}

static void heap_up(size_t i)
{
    client_t *c = B.heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (deadline_of(parent) <= c->block->deadline_ms)
            break;
        heap_set(i, B.heap[parent]);
        i = parent;
    }
    heap_set(i, c);
}

static void heap_down(size_t i)
{
    client_t *c = B.heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        int64_t best = c->block->deadline_ms;
        if (l < B.nheap && deadline_of(l) < best) {
            m = l;
            best = deadline_of(l);
        }
        if (r < B.nheap && deadline_of(r) < best)
            m = r;
        if (m == i)
            break;
        heap_set(i, B.heap[m]);
        i = m;
    }
    heap_set(i, c);
}

static void heap_push(client_t *c)
{
    if (B.nheap == B.heap_cap) {
        B.heap_cap = B.heap_cap ? B.heap_cap * 2 : 16;
        B.heap = alloc_realloc(B.heap, B.heap_cap * sizeof(*B.heap));
    }
    B.heap[B.nheap] = c;
    c->block->heap_idx = B.nheap++;
    heap_up(B.nheap - 1);
}

static void heap_remove(client_t *c)
{
    size_t i = c->block->heap_idx;
    INSIST(i < B.nheap && B.heap[i] == c);
    client_t *last = B.heap[--B.nheap];
    if (i == B.nheap)
        return;
    heap_set(i, last);
    heap_up(i);
    heap_down(last->block->heap_idx);
}

static void timer_cb(uv_timer_t *t);

/* Arms the timer for the earliest deadline, if it is not armed for it. */
static void arm_timer(void)
{
    if (B.nheap == 0 || B.timer_deadline == deadline_of(0))
        return;
    int64_t wait = deadline_of(0) - clock_mono_ms();
    B.timer_deadline = deadline_of(0);
    uv_timer_start(&B.timer, timer_cb, wait > 0 ? (uint64_t)wait : 0, 0);
}

/* ---- blocking and unblocking --------------------------------------------- */

/* "inf", "+inf", "-infinity" ... in any case, as strtold reads them. */
static bool is_infinity(const arg_t *a)
{
    const char *p = a->p;
    size_t n = a->n;
    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        p++;
        n--;
    }
    return (n == 3 && strncasecmp(p, "inf", 3) == 0) ||
           (n == 8 && strncasecmp(p, "infinity", 8) == 0);
}

bool blocking_parse_timeout(client_t *c, const arg_t *arg, int64_t *deadline_ms)
{
    long double secs;
    if (is_infinity(arg)) {
        /* Redis reads infinities, which then convert to a negative
         * number of milliseconds. */
        reply_error(&c->reply, "ERR timeout is negative");
        return false;
    }
    if (strconv_to_ldouble(arg->p, arg->n, &secs) != 0) {
        reply_error(&c->reply, "ERR timeout is not a float or out of range");
        return false;
    }
    /* Redis converts seconds * 1000 to a long long; values outside its
     * range (and infinities) come out negative on the platforms it runs
     * on, so they are reported as negative. A positive timeout below 1 ms
     * rounds up to 1 ms rather than meaning "forever". */
    long double ms = ceill(secs * 1000.0L);
    if (!(ms < 9223372036854775807.0L) || ms < 0) {
        reply_error(&c->reply, "ERR timeout is negative");
        return false;
    }
    long long v = (long long)ms;
    int64_t now = clock_mono_ms();
    if (v == 0)
        *deadline_ms = 0;
    else
        *deadline_ms = v > INT64_MAX - now ? INT64_MAX : now + v;
    return true;
}

bool blocking_allowed(const client_t *c)
{
    return !(c->flags & (CLIENT_MULTI | CLIENT_FAKE));
}

bool blocking_is_blocked(const client_t *c)
{
    return (c->flags & CLIENT_BLOCKED) != 0;
}

static struct block_state *state_of(client_t *c)
{
    if (c->block == NULL) {
        c->block = alloc_calloc(sizeof(*c->block));
        c->block->c = c;
    }
    return c->block;
}

static bool already_waiting(const struct block_state *b, const key_waiters_t *kw)
{
    for (int i = 0; i < b->nwaiters; i++)
        if (b->waiters[i].kw == kw)
            return true;
    return false;
}

void blocking_wait(client_t *c, int first, int step, int nkeys, enum block_type btype,
                   int64_t deadline_ms)
{
    REQUIRE(VALID_CLIENT(c) && nkeys > 0 && step > 0);
    if (c->block != NULL && c->block->rerun) {
        /* Still nothing to serve: keep the client's place everywhere. */
        c->block->rewaited = true;
        return;
    }
    REQUIRE(!(c->flags & CLIENT_BLOCKED));
    struct block_state *b = state_of(c);
    b->type = btype;
    b->dbid = c->db->id;
    b->deadline_ms = deadline_ms;
    b->waiters = alloc_realloc(b->waiters, sizeof(waiter_t) * (size_t)nkeys);
    b->nwaiters = 0;
    for (int i = 0; i < nkeys; i++) {
        const arg_t *k = &c->argv[first + i * step];
        key_waiters_t *kw = get_kw(b->dbid, k->p, k->n);
        if (already_waiting(b, kw))
            continue; /* BLPOP k k waits once on k. */
        waiter_t *w = &b->waiters[b->nwaiters++];
        w->kw = kw;
        w->c = c;
        TAILQ_INSERT_TAIL(&kw->queue, w, link);
    }
    c->flags |= CLIENT_BLOCKED;
    B.nblocked++;
    if (deadline_ms != 0) {
        heap_push(c);
        arm_timer();
    }
}

/* Removes c's waits and deadline; c is no longer blocked. */
static void drop_waits(client_t *c)
{
    struct block_state *b = c->block;
    for (int i = 0; i < b->nwaiters; i++) {
        key_waiters_t *kw = b->waiters[i].kw;
        TAILQ_REMOVE(&kw->queue, &b->waiters[i], link);
        release_kw(kw);
    }
    b->nwaiters = 0;
    if (b->deadline_ms != 0)
        heap_remove(c);
    b->deadline_ms = 0;
    c->flags &= ~CLIENT_BLOCKED;
    B.nblocked--;
}

/* Unblocks c after it got its reply: its next input is processed at the
 * next safe point, outside whatever is running now. */
static void finish(client_t *c)
{
    drop_waits(c);
    struct block_state *b = c->block;
    if (!b->resume) {
        b->resume = true;
        TAILQ_INSERT_TAIL(&B.resume, b, resume_link);
    }
}

static void reply_timeout(client_t *c)
{
    reply_null_array(&c->reply);
}

static void timer_cb(uv_timer_t *t)
{
    UNUSED(t);
    B.timer_deadline = 0;
    int64_t now = clock_mono_ms();
    while (B.nheap > 0 && deadline_of(0) <= now) {
        client_t *c = B.heap[0];
        reply_timeout(c);
        finish(c);
    }
    arm_timer();
}

bool blocking_unblock(client_t *c, bool error)
{
    if (!(c->flags & CLIENT_BLOCKED) || c->block == NULL || c->block->rerun)
        return false;
    if (error)
        reply_error(&c->reply, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else
        reply_timeout(c);
    finish(c);
    return true;
}

void blocking_unblock_all(const char *error)
{
    client_t *c;
    TAILQ_FOREACH(c, &srv.clients, link)
    {
        if (!(c->flags & CLIENT_BLOCKED) || c->block == NULL || c->block->rerun)
            continue;
        reply_error(&c->reply, error);
        finish(c);
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    }
}

void blocking_forget(client_t *c)
{
    struct block_state *b = c->block;
    if (b == NULL)
        return;
    if (c->flags & CLIENT_BLOCKED)
        drop_waits(c);
    if (b->resume)
        TAILQ_REMOVE(&B.resume, b, resume_link);
    alloc_free(b->waiters);
    alloc_free(b);
    c->block = NULL;
}

/* ---- serving -------------------------------------------------------------- */

void blocking_signal_key(db_t *db, const char *key, size_t len)
{
    if (B.nblocked == 0)
        return;
    key_waiters_t *kw = find_kw(db->id, key, len);
    if (kw != NULL)
        mark_ready(kw);
}

static bool closing(const client_t *c)
{
    return c->conn == NULL || c->on_close_list ||
           (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY));
}

/* Runs c's command again; unblocks it unless the command waits again. */
static void rerun(client_t *c)
{
    struct block_state *b = c->block;
    b->rerun = true;
    b->rewaited = false;
    client_refresh_argv(c);
    dispatch_rerun(c);
    b->rerun = false;
    if (!b->rewaited)
        finish(c);
}

/* Offers the value now at kw's key to its waiters, oldest first, while the
 * key exists. Waiters for another type stay blocked. */
static void serve_key(key_waiters_t *kw)
{
    db_t *db = &srv.dbs[kw->dbid];
    size_t n = 0;
    waiter_t *w;
    TAILQ_FOREACH(w, &kw->queue, link)
        n++;
    if (n == 0) {
        release_kw(kw);
        return;
    }
    client_t **order = alloc_malloc(n * sizeof(*order));
    n = 0;
    TAILQ_FOREACH(w, &kw->queue, link)
        order[n++] = w->c;
    kw->pins++;
    for (size_t i = 0; i < n; i++) {
        client_t *c = order[i];
        obj_t *o = db_lookup_quiet(db, key_ref_str(kw->key));
        if (o == NULL)
            break;
        /* Clients are freed only at safe points, never during a pass, but
         * one may have been unblocked by an earlier rerun. */
        if (!(c->flags & CLIENT_BLOCKED) || !already_waiting(c->block, kw))
            continue;
        if ((int)o->type != (int)c->block->type || closing(c))
            continue;
        rerun(c);
    }
    kw->pins--;
    alloc_free(order);
    release_kw(kw);
}

void blocking_serve_ready(void)
{
    if (B.nready == 0 || B.serving)
        return;
    B.serving = true;
    /* Serving may make more keys ready (BLMOVE pushes): keep going until
     * nothing is left, taking each batch in the order it became ready. */
    while (B.nready > 0) {
        size_t n = B.nready;
        key_waiters_t **batch = B.ready;
        B.ready = NULL;
        B.nready = 0;
        B.ready_cap = 0;
        /* Pinned until served: an earlier rerun may empty a later key. */
        for (size_t i = 0; i < n; i++) {
            batch[i]->ready = false;
            batch[i]->pins++;
        }
        for (size_t i = 0; i < n; i++) {
            batch[i]->pins--;
            serve_key(batch[i]);
        }
        alloc_free(batch);
    }
    B.serving = false;
}

void blocking_resume_clients(void)
{
    struct block_state *b;
    while ((b = TAILQ_FIRST(&B.resume)) != NULL) {
        TAILQ_REMOVE(&B.resume, b, resume_link);
        b->resume = false;
        client_command_done(b->c);
    }
}

long long blocking_clients(void)
{
    return B.nblocked;
}

long long blocking_keys(void)
{
    return B.nkeys;
}

/* ---- keyspace hooks ------------------------------------------------------- */

static void on_added(db_t *db, const str_t *key)
{
    if (B.prev_added != NULL)
        B.prev_added(db, key);
    blocking_signal_key(db, key->buf, key->len);
}

/* SWAPDB: keys waited on in either database may exist after the swap. */
static void mark_db_ready(db_t *db)
{
    if (db->id >= B.ndbs || B.by_db[db->id] == NULL)
        return;
    dict_iter_t it;
    dict_iter_init(&it, B.by_db[db->id], false);
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL)
        mark_ready(e->v.val);
    dict_iter_destroy(&it);
}

static void on_replacing(db_t *db, db_t *with)
{
    if (B.prev_replacing != NULL)
        B.prev_replacing(db, with);
    if (with != NULL && B.nblocked > 0)
        mark_db_ready(with);
}

void blocking_init(void)
{
    keys_type = str_set_type;
    keys_type.val_free = kw_free;
    B.ndbs = srv.ndbs;
    B.by_db = alloc_calloc((size_t)B.ndbs * sizeof(*B.by_db));
    TAILQ_INIT(&B.resume);
    uv_timer_init(srv.loop.uv, &B.timer);
    B.timer_init = true;
    B.prev_added = db_env.added;
    db_env.added = on_added;
    B.prev_replacing = db_env.replacing;
    db_env.replacing = on_replacing;
}

void blocking_shutdown(void)
{
    if (B.timer_init) {
        uv_timer_stop(&B.timer);
        uv_close((uv_handle_t *)&B.timer, NULL);
        B.timer_init = false;
    }
    for (int i = 0; i < B.ndbs; i++)
        if (B.by_db[i] != NULL)
            dict_free(B.by_db[i]);
    alloc_free(B.by_db);
    alloc_free(B.ready);
    alloc_free(B.heap);
    /* The timer handle stays as it is: the loop finishes closing it. */
    B.by_db = NULL;
    B.ndbs = 0;
    B.ready = NULL;
    B.nready = B.ready_cap = 0;
    B.heap = NULL;
    B.nheap = B.heap_cap = 0;
    B.nblocked = B.nkeys = 0;
}
