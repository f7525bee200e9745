/*
 * Server commands: TIME, MONITOR, SLOWLOG, LATENCY, MEMORY and SHUTDOWN.
 * The slow log and the latency samples are kept by server.c; these
 * handlers only read, reset and format them.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/strconv.h"
#include "server/aof.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/commands.h"
#include "server/dispatch.h"
#include "server/info.h"
#include "server/server.h"
#if INFO_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

/* Redis's reply for a subcommand given the wrong number of arguments. */
static void reply_sub_syntax(client_t *c, const char *parent)
{
    reply_errorf(&c->reply,
                 "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                 "Try %s HELP.",
                 (int)c->argv[1].n, c->argv[1].p, parent);
}

/* ========================== TIME, MONITOR ============================ */

void cmd_time(client_t *c)
{
    int64_t us = clock_wall_us();
    reply_array(&c->reply, 2);
    reply_bulk_ll(&c->reply, (long long)(us / 1000000));
    reply_bulk_ll(&c->reply, (long long)(us % 1000000));
}

/* A client that already is a monitor or a replica is left as it is, and
 * gets no reply, as in Redis. */
void cmd_monitor(client_t *c)
{
    if (c->flags & (CLIENT_MONITOR | CLIENT_REPLICA))
        return;
    if (c->flags & CLIENT_MULTI) {
        reply_error(&c->reply, "ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    c->flags |= CLIENT_MONITOR;
    TAILQ_INSERT_TAIL(&srv.monitors, c, monitor_link);
    reply_ok(&c->reply);
}

/* ============================= SLOWLOG =============================== */

static void slowlog_entry_reply(reply_t *r, const slowlog_entry_t *e)
{
    reply_array(r, 6);
    reply_int(r, e->id);
    reply_int(r, (long long)e->time);
    reply_int(r, (long long)e->duration);
    reply_array(r, e->argc);
    for (int i = 0; i < e->argc; i++)
        reply_bulk(r, e->argv[i]->buf, e->argv[i]->len);
    reply_bulk(r, e->peer->buf, e->peer->len);
    reply_bulk(r, e->name->buf, e->name->len);
}

void cmd_slowlog_get(client_t *c)
{
    long long count = 10;
    if (c->argc > 3) {
        reply_sub_syntax(c, "SLOWLOG");
        return;
    }
    if (c->argc == 3) {
        if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &count) != 0 || count < -1) {
            reply_error(&c->reply, "ERR count should be greater than or equal to -1");
            return;
        }
        if (count == -1)
            count = srv.slowlog_len;
    }
    if (count > srv.slowlog_len)
        count = srv.slowlog_len;
    reply_array(&c->reply, count);
    for (long long i = 0; i < count; i++)
        slowlog_entry_reply(&c->reply, srv.slowlog[i]);
}

void cmd_slowlog_len(client_t *c)
{
    reply_int(&c->reply, srv.slowlog_len);
}

void cmd_slowlog_reset(client_t *c)
{
    server_slowlog_reset();
    reply_ok(&c->reply);
}

static const char *const slowlog_help[] = {
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    NULL,
};

void cmd_slowlog_help(client_t *c)
{
    reply_help(&c->reply, "SLOWLOG", slowlog_help);
}

/* ============================= LATENCY =============================== */

/* The i-th oldest sample of an event. */
static const latency_sample_t *latency_sample(const latency_event_t *ev, int i)
{
    int first = ev->used < LATENCY_HISTORY ? 0 : ev->idx;
    return &ev->samples[(first + i) % LATENCY_HISTORY];
}

static const latency_event_t *latency_find(const arg_t *name)
{
    for (int i = 0; i < srv.nlatency; i++) {
        const char *n = srv.latency[i].name;
        if (strlen(n) == name->n && strncasecmp(n, name->p, name->n) == 0)
            return &srv.latency[i];
    }
    return NULL;
}

void cmd_latency_latest(client_t *c)
{
    reply_array(&c->reply, srv.nlatency);
    for (int i = 0; i < srv.nlatency; i++) {
        const latency_event_t *ev = &srv.latency[i];
        const latency_sample_t *last = latency_sample(ev, ev->used - 1);
        reply_array(&c->reply, 4);
        reply_bulk_cstr(&c->reply, ev->name);
        reply_int(&c->reply, last->time);
        reply_int(&c->reply, last->latency);
        reply_int(&c->reply, ev->max);
    }
}

void cmd_latency_history(client_t *c)
{
    const latency_event_t *ev = latency_find(&c->argv[2]);
    int n = ev != NULL ? ev->used : 0;
    reply_array(&c->reply, n);
    for (int i = 0; i < n; i++) {
        const latency_sample_t *s = latency_sample(ev, i);
        reply_array(&c->reply, 2);
        reply_int(&c->reply, s->time);
        reply_int(&c->reply, s->latency);
    }
}

void cmd_latency_reset(client_t *c)
{
    if (c->argc == 2) {
        int n = srv.nlatency;
        server_latency_reset_all();
        reply_int(&c->reply, n);
        return;
    }
    long long resets = 0;
    for (int i = 2; i < c->argc; i++) {
        char name[64];
        size_t n = c->argv[i].n < sizeof(name) - 1 ? c->argv[i].n : sizeof(name) - 1;
        memcpy(name, c->argv[i].p, n);
        name[n] = '\0';
        resets += server_latency_reset(name);
    }
    reply_int(&c->reply, resets);
}

/* Average, mean absolute deviation and mean period of an event's samples. */
static void latency_summary(const latency_event_t *ev, double *avg, double *mad, double *period)
{
    double sum = 0, dev = 0;
    for (int i = 0; i < ev->used; i++)
        sum += latency_sample(ev, i)->latency;
    *avg = sum / ev->used;
    for (int i = 0; i < ev->used; i++) {
        double d = latency_sample(ev, i)->latency - *avg;
        dev += d < 0 ? -d : d;
    }
    *mad = dev / ev->used;
    /* The mean time between spikes, counted from the first one to now. */
    int64_t span = clock_wall_ms() / 1000 - latency_sample(ev, 0)->time;
    *period = (double)(span > 0 ? span : 1) / ev->used;
}

static str_t *latency_report(void)
{
    if (srv.nlatency == 0 && cfg.latency_monitor_threshold <= 0)
        return str_new_cstr(
            "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
            "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" "
            "in order to enable it. If we weren't in a deep space mission I'd suggest to take "
            "a look at https://redis.io/topics/latency-monitor.\n");
    if (srv.nlatency == 0)
        return str_new_cstr(
            "Dave, no latency spike was observed during the lifetime of this Redis "
            "instance, not in the slightest bit. I honestly think you ought to sit down "
            "calmly, take a stress pill, and think things over.\n");
    str_t *s = str_new_cstr("Dave, I have observed latency spikes in this Redis instance. "
                            "You don't mind talking about it, do you Dave?\n\n");
    for (int i = 0; i < srv.nlatency; i++) {
        const latency_event_t *ev = &srv.latency[i];
        double avg, mad, period;
        latency_summary(ev, &avg, &mad, &period);
        s = str_catfmt(s,
                       "%d. %s: %d latency spikes (average %.0fms, mean deviation %.0fms, "
                       "period %.2f sec). Worst all time event %dms.\n",
                       i + 1, ev->name, ev->used, avg, mad, period, (int)ev->max);
    }
    return str_catfmt(s,
                      "\nI have a few advices for you:\n\n"
                      "- Check your Slow Log to understand what are the commands you are "
                      "running which are too slow to execute (SLOWLOG GET).\n"
                      "- The latency monitor records events slower than %lld ms "
                      "(latency-monitor-threshold).\n",
                      cfg.latency_monitor_threshold);
}

void cmd_latency_doctor(client_t *c)
{
    str_t *s = latency_report();
    reply_verbatim(&c->reply, s->buf, s->len, "txt");
    str_free(s);
}

#define GRAPH_ROWS 4
#define GRAPH_COLS 80

/* A bar per sample (the newest GRAPH_COLS), scaled to the highest one. */
static str_t *latency_graph(str_t *s, const latency_event_t *ev)
{
    uint32_t hi = 0, lo = UINT32_MAX;
    for (int i = 0; i < ev->used; i++) {
        uint32_t v = latency_sample(ev, i)->latency;
        hi = v > hi ? v : hi;
        lo = v < lo ? v : lo;
    }
    s = str_catfmt(s, "%s - high %u ms, low %u ms (all time high %d ms)\n", ev->name, hi, lo,
                   (int)ev->max);
    for (int i = 0; i < GRAPH_COLS; i++)
        s = str_cat_cstr(s, "-");
    s = str_cat_cstr(s, "\n");
    int first = ev->used > GRAPH_COLS ? ev->used - GRAPH_COLS : 0;
    for (int row = GRAPH_ROWS; row >= 1; row--) {
        for (int i = first; i < ev->used; i++) {
            uint32_t v = latency_sample(ev, i)->latency;
            uint32_t level = hi > 0 ? (v * GRAPH_ROWS + hi - 1) / hi : 0;
            s = str_cat_cstr(s, level >= (uint32_t)row ? "#" : " ");
        }
        s = str_cat_cstr(s, "\n");
    }
    return s;
}

void cmd_latency_graph(client_t *c)
{
    const latency_event_t *ev = latency_find(&c->argv[2]);
    if (ev == NULL || ev->used == 0) {
        reply_errorf(&c->reply, "ERR No samples available for event '%.*s'",
                     (int)c->argv[2].n, c->argv[2].p);
        return;
    }
    str_t *s = latency_graph(str_new_cap(1024), ev);
    reply_verbatim(&c->reply, s->buf, s->len, "txt");
    str_free(s);
}

/* One command's histogram: calls and cumulative counts per power-of-two
 * bucket, keyed by the bucket's upper bound in microseconds. */
static void histogram_reply(reply_t *r, const cmd_t *cmd)
{
    int buckets = 0;
    for (int b = 0; b < CMD_HIST_BUCKETS; b++)
        buckets += cmd->hist[b] > 0;
    reply_bulk_cstr(r, cmd->fullname);
    reply_map(r, 2);
    reply_bulk_cstr(r, "calls");
    reply_int(r, (long long)cmd->calls);
    reply_bulk_cstr(r, "histogram_usec");
    reply_map(r, buckets);
    uint64_t total = 0;
    for (int b = 0; b < CMD_HIST_BUCKETS; b++) {
        if (cmd->hist[b] == 0)
            continue;
        total += cmd->hist[b];
        reply_int(r, (long long)(1ULL << (b + 1)));
        reply_int(r, (long long)total);
    }
}

/* Adds cmd (or every subcommand of a container) that has been called. */
static long long histogram_add(reply_t *r, const cmd_t *cmd)
{
    if (cmd->subs == NULL) {
        if (cmd->calls == 0)
            return 0;
        histogram_reply(r, cmd);
        return 1;
    }
    long long n = 0;
    for (int i = 0; i < cmd->nsubs; i++)
        n += histogram_add(r, cmd->subs[i]);
    return n;
}

/* Finds "name" or "parent|sub". */
static const cmd_t *histogram_lookup(const arg_t *a)
{
    const char *bar = memchr(a->p, '|', a->n);
    if (bar == NULL)
        return commands_lookup(a->p, a->n);
    const cmd_t *parent = commands_lookup(a->p, (size_t)(bar - a->p));
    if (parent == NULL)
        return NULL;
    return commands_lookup_sub(parent, bar + 1, a->n - (size_t)(bar - a->p) - 1);
}

void cmd_latency_histogram(client_t *c)
{
    reply_defer_t d = reply_defer(&c->reply);
    long long n = 0;
    if (c->argc == 2) {
        for (int i = 0; i < commands_count(); i++)
            n += histogram_add(&c->reply, commands_at(i));
    } else {
        for (int i = 2; i < c->argc; i++) {
            const cmd_t *cmd = histogram_lookup(&c->argv[i]);
            if (cmd != NULL)
                n += histogram_add(&c->reply, cmd);
        }
    }
    reply_defer_map(&c->reply, d, n);
}

static const char *const latency_help[] = {
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the "
    "specified command names.",
    "    If no commands are specified then all histograms are replied.",
    NULL,
};

void cmd_latency_help(client_t *c)
{
    reply_help(&c->reply, "LATENCY", latency_help);
}

/* ============================== MEMORY =============================== */

void cmd_memory_usage(client_t *c)
{
    long long samples = 5;
    if (c->argc == 5 && arg_is(&c->argv[3], "samples")) {
        if (strconv_to_ll(c->argv[4].p, c->argv[4].n, &samples) != 0) {
            reply_not_integer(c);
            return;
        }
        if (samples < 0) {
            reply_syntax_error(c);
            return;
        }
    } else if (c->argc != 3) {
        reply_syntax_error(c);
        return;
    }
    key_ref_t key = arg_key(&c->argv[2]);
    obj_t *o = db_lookup_quiet(c->db, key);
    if (o == NULL) {
        reply_null(&c->reply);
        return;
    }
    /* The key string lives inside its dict entry: one allocation for both. */
    size_t n = obj_mem_usage(o, (size_t)samples) + db_key_mem_usage(c->db, key);
    reply_int(&c->reply, (long long)n);
}

/* MEMORY STATS reports ratios with float precision, as Redis does. */
static void stat_ratio(reply_t *r, const char *name, double num, double den)
{
    reply_bulk_cstr(r, name);
    reply_double(r, (double)(float)(den > 0 ? num / den : 0.0));
}

static void stat_int(reply_t *r, const char *name, long long v)
{
    reply_bulk_cstr(r, name);
    reply_int(r, v);
}

static int memory_stats_dbs(reply_t *r)
{
    int n = 0;
    for (int i = 0; i < srv.ndbs; i++) {
        if (db_size(&srv.dbs[i]) == 0)
            continue;
        size_t main_bytes, expires_bytes;
        info_db_overhead(&srv.dbs[i], &main_bytes, &expires_bytes);
        char name[32];
        snprintf(name, sizeof(name), "db.%d", i);
        reply_bulk_cstr(r, name);
        reply_map(r, 3);
        stat_int(r, "overhead.hashtable.main", (long long)main_bytes);
        stat_int(r, "overhead.hashtable.expires", (long long)expires_bytes);
        stat_int(r, "overhead.hashtable.slot-to-keys", 0);
        n++;
    }
    return n;
}

static void memory_stats_totals(reply_t *r, const info_mem_t *m)
{
    size_t net = m->used > m->startup ? m->used - m->startup : 0;
    stat_int(r, "overhead.total", (long long)m->overhead);
    stat_int(r, "keys.count", (long long)m->keys);
    stat_int(r, "keys.bytes-per-key", m->keys > 0 ? (long long)(net / m->keys) : 0);
    stat_int(r, "dataset.bytes", (long long)m->dataset);
    stat_ratio(r, "dataset.percentage", (double)m->dataset * 100.0, (double)net);
    stat_ratio(r, "peak.percentage", (double)m->used * 100.0, (double)m->peak);
    stat_int(r, "allocator.allocated", (long long)m->alloc_allocated);
    stat_int(r, "allocator.active", (long long)m->alloc_active);
    stat_int(r, "allocator.resident", (long long)m->alloc_resident);
    stat_ratio(r, "allocator-fragmentation.ratio", (double)m->alloc_active,
               (double)m->alloc_allocated);
    stat_int(r, "allocator-fragmentation.bytes",
             (long long)m->alloc_active - (long long)m->alloc_allocated);
    stat_ratio(r, "allocator-rss.ratio", (double)m->alloc_resident, (double)m->alloc_active);
    stat_int(r, "allocator-rss.bytes", (long long)m->alloc_resident - (long long)m->alloc_active);
    stat_ratio(r, "rss-overhead.ratio", (double)m->rss, (double)m->alloc_resident);
    stat_int(r, "rss-overhead.bytes", (long long)m->rss - (long long)m->alloc_resident);
    stat_ratio(r, "fragmentation", (double)m->rss, (double)m->used);
    stat_int(r, "fragmentation.bytes", (long long)m->rss - (long long)m->used);
}

void cmd_memory_stats(client_t *c)
{
    info_mem_t m;
    info_mem_collect(&m);
    reply_t *r = &c->reply;
    reply_defer_t d = reply_defer(r);
    stat_int(r, "peak.allocated", (long long)m.peak);
    stat_int(r, "total.allocated", (long long)m.used);
    stat_int(r, "startup.allocated", (long long)m.startup);
    stat_int(r, "replication.backlog", 0);
    stat_int(r, "clients.slaves", (long long)m.clients_replicas);
    stat_int(r, "clients.normal", (long long)m.clients_normal);
    stat_int(r, "cluster.links", 0);
    stat_int(r, "aof.buffer", (long long)aof_buffer_size());
    stat_int(r, "lua.caches", 0);
    stat_int(r, "functions.caches", 0);
    int dbs = memory_stats_dbs(r);
    memory_stats_totals(r, &m);
    reply_defer_map(r, d, 27 + dbs);
}

/* Below this much memory the doctor has nothing meaningful to say. */
#define DOCTOR_MIN_USED (5 * 1024 * 1024)

static str_t *memory_report(void)
{
    info_mem_t m;
    info_mem_collect(&m);
    if (m.used < DOCTOR_MIN_USED)
        return str_new_cstr(
            "Hi Sam, this instance is empty or is using very little memory, my issues "
            "detector can't be used in these conditions. Please, leave for your mission on "
            "Earth and fill it with some data. The new Sam and I will be back to our "
            "programming as soon as I finished rebooting.\n");
    str_t *s = str_new_cstr("Sam, I detected a few issues in this Redis instance memory "
                            "implants:\n\n");
    size_t before = s->len;
    if (m.peak > m.used + m.used / 2)
        s = str_catfmt(s, " * Peak memory: the peak (%zu bytes) is more than 150%% of the "
                          "memory used now (%zu bytes); memory freed since then may still "
                          "be held by the allocator and counted in the RSS.\n\n",
                       m.peak, m.used);
    if (m.rss > m.used + 10 * 1024 * 1024 && m.rss > m.used + m.used * 2 / 5)
        s = str_catfmt(s, " * High fragmentation: the RSS is %.2f times the memory in use; "
                          "MEMORY PURGE may give some of it back.\n\n",
                       (double)m.rss / (double)m.used);
    if (srv.nclients > 0 && m.clients_normal / (size_t)srv.nclients > 200 * 1024)
        s = str_cat_cstr(s, " * Big client buffers: clients use more than 200 KB each on "
                            "average; look for slow readers or big pipelines with CLIENT "
                            "LIST.\n\n");
    if (s->len == before) {
        str_free(s);
        return str_new_cstr("Hi Sam, I can't find any memory issue in your instance. I can "
                            "only account for what occurs on this base.\n");
    }
    return str_cat_cstr(s, "I'm here to keep you safe, Sam. I want to help you.\n");
}

void cmd_memory_doctor(client_t *c)
{
    str_t *s = memory_report();
    reply_verbatim(&c->reply, s->buf, s->len, "txt");
    str_free(s);
}

#if INFO_JEMALLOC
static void malloc_stats_cb(void *arg, const char *text)
{
    str_t **s = arg;
    *s = str_cat_cstr(*s, text);
}
#endif

void cmd_memory_malloc_stats(client_t *c)
{
#if INFO_JEMALLOC
    str_t *s = str_new_cap(32 * 1024);
    malloc_stats_print(malloc_stats_cb, &s, NULL);
    reply_verbatim(&c->reply, s->buf, s->len, "txt");
    str_free(s);
#else
    const char *msg = "Stats not supported for the current allocator";
    reply_verbatim(&c->reply, msg, strlen(msg), "txt");
#endif
}

void cmd_memory_purge(client_t *c)
{
#if INFO_JEMALLOC
    char name[64];
    snprintf(name, sizeof(name), "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
    if (mallctl(name, NULL, NULL, NULL, 0) != 0) {
        reply_error(&c->reply, "ERR Error purging dirty pages");
        return;
    }
#endif
    reply_ok(&c->reply);
}

static const char *const memory_help[] = {
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    NULL,
};

void cmd_memory_help(client_t *c)
{
    reply_help(&c->reply, "MEMORY", memory_help);
}

/* ============================= SHUTDOWN ============================== */

/* Parses the SHUTDOWN modifiers; false (after replying) on a bad one.
 * SAVE and NOSAVE exclude each other, and ABORT excludes everything. */
static bool shutdown_flags(client_t *c, int *flags, bool *abort)
{
    *flags = SHUTDOWN_NOFLAGS;
    *abort = false;
    for (int i = 1; i < c->argc; i++) {
        const arg_t *a = &c->argv[i];
        if (arg_is(a, "nosave")) {
            *flags |= SHUTDOWN_NOSAVE;
        } else if (arg_is(a, "save")) {
            *flags |= SHUTDOWN_SAVE;
        } else if (arg_is(a, "now")) {
            *flags |= SHUTDOWN_NOW;
        } else if (arg_is(a, "force")) {
            *flags |= SHUTDOWN_FORCE;
        } else if (arg_is(a, "abort")) {
            *abort = true;
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    bool both = (*flags & SHUTDOWN_SAVE) && (*flags & SHUTDOWN_NOSAVE);
    if (both || (*abort && *flags != SHUTDOWN_NOFLAGS)) {
        reply_syntax_error(c);
        return false;
    }
    return true;
}

/* On success nothing is replied: the server stops at the end of this loop
 * pass and the caller's connection is closed with it. */
void cmd_shutdown(client_t *c)
{
    int flags;
    bool abort;
    if (!shutdown_flags(c, &flags, &abort))
        return;
    if (abort) {
        reply_error(&c->reply, "ERR No shutdown in progress.");
        return;
    }
    /* Prepared here, so that a failed final save answers this client. */
    str_t *err = NULL;
    if (server_prepare_shutdown(flags, &err) != 0) {
        reply_errorf(&c->reply, "ERR %s", err != NULL ? err->buf : "Errors trying to SHUTDOWN");
        str_free(err);
        return;
    }
    loop_stop(&srv.loop);
    c->flags |= CLIENT_CLOSE_ASAP;
    client_free_async(c);
}
