/*
 * INFO: the server report, one function per section, with Redis 7.0's
 * section names, field names, order and number formats so that tools that
 * parse it (redis-cli, client libraries, prometheus-redis-exporter) work
 * unchanged. Also the memory accounting MEMORY STATS and DOCTOR share.
 */
#include <config.h>
#include "server/info.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#if INFO_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "db/evict.h"
#include "server/aof.h"
#include "server/cmd_handlers.h"
#include "server/commands.h"
#include "server/config.h"
#include "server/persist.h"
#include "server/pubsub.h"
#include "server/repl.h"
#include "server/server.h"

/* ============================ memory ================================= */

void info_bytes_human(char *buf, size_t len, unsigned long long n)
{
    static const char units[] = "KMGTPE";
    if (n < 1024) {
        snprintf(buf, len, "%lluB", n);
        return;
    }
    double v = (double)n / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, "%.2f%c", v, units[u]);
}

static size_t dict_bytes(const dict_t *d)
{
    if (d == NULL)
        return 0;
    return sizeof(*d) + dict_slots(d) * sizeof(dict_entry_t *) +
           dict_size(d) * sizeof(dict_entry_t);
}

void info_db_overhead(const db_t *db, size_t *main_bytes, size_t *expires_bytes)
{
    *main_bytes = dict_bytes(db->keys);
    *expires_bytes = dict_bytes(db->expires);
}

/* Memory a client holds besides the dataset: its struct, input buffer,
 * queued output and argument vector. */
static size_t client_mem(const client_t *c)
{
    size_t n = sizeof(*c) + (size_t)c->argv_cap * sizeof(arg_t);
    if (c->conn != NULL)
        n += c->conn->icap + c->conn->out.alloc;
    if (c->name != NULL)
        n += str_alloc_size(c->name);
    return n;
}

static void allocator_figures(info_mem_t *m)
{
#if INFO_JEMALLOC
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    size_t allocated = 0, active = 0, resident = 0;
    /* Advancing the epoch refreshes jemalloc's cached statistics. */
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    sz = sizeof(size_t);
    if (mallctl("stats.allocated", &allocated, &sz, NULL, 0) == 0 &&
        mallctl("stats.active", &active, &sz, NULL, 0) == 0 &&
        mallctl("stats.resident", &resident, &sz, NULL, 0) == 0) {
        m->alloc_allocated = allocated;
        m->alloc_active = active;
        m->alloc_resident = resident;
        return;
    }
#endif
    /* Without allocator statistics our own count is the best estimate. */
    m->alloc_allocated = m->used;
    m->alloc_active = m->used;
    m->alloc_resident = m->rss;
}

void info_mem_collect(info_mem_t *m)
{
    memset(m, 0, sizeof(*m));
    m->used = server_used_memory();
    if ((int64_t)m->used > srv.stat_peak_memory) {
        srv.stat_peak_memory = (int64_t)m->used;
        srv.stat_peak_time = clock_wall_ms() / 1000;
    }
    m->peak = (size_t)srv.stat_peak_memory;
    m->startup = srv.startup_memory;
    m->rss = alloc_rss();
    const client_t *c;
    TAILQ_FOREACH(c, &srv.clients, link)
    {
        if (c->flags & CLIENT_REPLICA)
            m->clients_replicas += client_mem(c);
        else
            m->clients_normal += client_mem(c);
    }
    for (int i = 0; i < srv.ndbs; i++) {
        size_t a, b;
        info_db_overhead(&srv.dbs[i], &a, &b);
        m->db_overhead += a + b;
        m->keys += db_size(&srv.dbs[i]);
    }
    m->overhead = m->startup + m->clients_normal + m->clients_replicas + m->db_overhead;
    m->dataset = m->used > m->overhead ? m->used - m->overhead : 0;
    allocator_figures(m);
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    m->total_system = pages > 0 && psize > 0 ? (size_t)pages * (size_t)psize : 0;
}

/* ============================ sections =============================== */

static const char *supervised_name(void)
{
    switch (cfg.supervised) {
    case SUPERVISED_SYSTEMD: return "systemd";
    case SUPERVISED_UPSTART: return "upstart";
    case SUPERVISED_AUTO:
        if (getenv("NOTIFY_SOCKET") != NULL)
            return "systemd";
        return getenv("UPSTART_JOB") != NULL ? "upstart" : "no";
    default: return "no";
    }
}

/* A stable build id: FNV-1a of our version string. */
static unsigned long long build_id(void)
{
    const char *s = "redis-ha-" PACKAGE_VERSION "-" REDIS_COMPAT_VERSION;
    unsigned long long h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The absolute path of the binary: argv[0] when it is one, else what the
 * kernel says. */
static const char *executable_path(char *buf, size_t len)
{
    if (srv.executable != NULL && srv.executable[0] == '/')
        return srv.executable;
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        return srv.executable != NULL ? srv.executable : "";
    buf[n] = '\0';
    return buf;
}

static str_t *section_server(str_t *s)
{
    struct utsname u;
    char exe[PATH_MAX];
    if (uname(&u) != 0)
        memset(&u, 0, sizeof(u));
    int64_t up = server_uptime();
    s = str_catfmt(s,
                   "redis_version:%s\r\nserver_name:redis-ha\r\nredis_ha_version:%s\r\n"
                   "redis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:%llx\r\n"
                   "redis_mode:standalone\r\nos:%s %s %s\r\narch_bits:%d\r\n"
                   "monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\n"
                   "atomicvar_api:c11-builtin\r\ngcc_version:%d.%d.%d\r\n",
                   REDIS_COMPAT_VERSION, PACKAGE_VERSION, build_id(), u.sysname,
                   u.release, u.machine, (int)(sizeof(long) * 8), __GNUC__,
                   __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
    s = str_catfmt(s,
                   "process_id:%ld\r\nprocess_supervised:%s\r\nrun_id:%s\r\ntcp_port:%lld\r\n"
                   "server_time_usec:%lld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n"
                   "hz:%lld\r\nconfigured_hz:%lld\r\nlru_clock:%u\r\nexecutable:%s\r\n"
                   "config_file:%s\r\nio_threads_active:0\r\n",
                   (long)srv.pid, supervised_name(), srv.run_id, cfg.port,
                   (long long)clock_wall_us(), (long long)up, (long long)(up / 86400),
                   cfg.hz, cfg.hz, (unsigned)db_env.lru_clock,
                   executable_path(exe, sizeof(exe)),
                   cfg_file_path != NULL ? cfg_file_path : "");
    return s;
}

static str_t *section_clients(str_t *s)
{
    long long connected = 0, blocked = 0;
    size_t max_in = 0, max_out = 0;
    const client_t *c;
    TAILQ_FOREACH(c, &srv.clients, link)
    {
        if (!(c->flags & CLIENT_REPLICA))
            connected++;
        if (c->flags & CLIENT_BLOCKED)
            blocked++;
        if (c->conn != NULL) {
            if (c->conn->icap > max_in)
                max_in = c->conn->icap;
            if (c->conn->out.alloc > max_out)
                max_out = c->conn->out.alloc;
        }
    }
    return str_catfmt(s,
                      "connected_clients:%lld\r\ncluster_connections:0\r\nmaxclients:%lld\r\n"
                      "client_recent_max_input_buffer:%zu\r\n"
                      "client_recent_max_output_buffer:%zu\r\nblocked_clients:%lld\r\n"
                      "tracking_clients:0\r\nclients_in_timeout_table:0\r\n",
                      connected, cfg.maxclients, max_in, max_out, blocked);
}

static double ratio(size_t a, size_t b)
{
    return b == 0 ? 0.0 : (double)a / (double)b;
}

static str_t *memory_usage_lines(str_t *s, const info_mem_t *m)
{
    char used[32], rss[32], peak[32], sys[32];
    info_bytes_human(used, sizeof(used), m->used);
    info_bytes_human(rss, sizeof(rss), m->rss);
    info_bytes_human(peak, sizeof(peak), m->peak);
    info_bytes_human(sys, sizeof(sys), m->total_system);
    size_t net = m->used > m->startup ? m->used - m->startup : 0;
    return str_catfmt(
        s,
        "used_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\n"
        "used_memory_rss_human:%s\r\nused_memory_peak:%zu\r\nused_memory_peak_human:%s\r\n"
        "used_memory_peak_perc:%.2f%%\r\nused_memory_overhead:%zu\r\n"
        "used_memory_startup:%zu\r\nused_memory_dataset:%zu\r\n"
        "used_memory_dataset_perc:%.2f%%\r\nallocator_allocated:%zu\r\n"
        "allocator_active:%zu\r\nallocator_resident:%zu\r\ntotal_system_memory:%zu\r\n"
        "total_system_memory_human:%s\r\n",
        m->used, used, m->rss, rss, m->peak, peak, ratio(m->used, m->peak) * 100.0,
        m->overhead, m->startup, m->dataset, ratio(m->dataset, net) * 100.0,
        m->alloc_allocated, m->alloc_active, m->alloc_resident, m->total_system, sys);
}

/* Scripting and functions are not implemented: their figures are zero. */
static str_t *memory_script_lines(str_t *s)
{
    return str_cat_cstr(s,
                        "used_memory_lua:0\r\nused_memory_vm_eval:0\r\n"
                        "used_memory_lua_human:0B\r\nused_memory_scripts_eval:0\r\n"
                        "number_of_cached_scripts:0\r\nnumber_of_functions:0\r\n"
                        "number_of_libraries:0\r\nused_memory_vm_functions:0\r\n"
                        "used_memory_vm_total:0\r\nused_memory_vm_total_human:0B\r\n"
                        "used_memory_functions:0\r\nused_memory_scripts:0\r\n"
                        "used_memory_scripts_human:0B\r\n");
}

static str_t *memory_frag_lines(str_t *s, const info_mem_t *m)
{
    char maxh[32];
    info_bytes_human(maxh, sizeof(maxh), (unsigned long long)cfg.maxmemory);
    s = str_catfmt(
        s,
        "maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n"
        "allocator_frag_ratio:%.2f\r\nallocator_frag_bytes:%lld\r\n"
        "allocator_rss_ratio:%.2f\r\nallocator_rss_bytes:%lld\r\n"
        "rss_overhead_ratio:%.2f\r\nrss_overhead_bytes:%lld\r\n"
        "mem_fragmentation_ratio:%.2f\r\nmem_fragmentation_bytes:%lld\r\n",
        cfg.maxmemory, maxh, evict_policy_name(cfg.maxmemory_policy),
        ratio(m->alloc_active, m->alloc_allocated),
        (long long)m->alloc_active - (long long)m->alloc_allocated,
        ratio(m->alloc_resident, m->alloc_active),
        (long long)m->alloc_resident - (long long)m->alloc_active,
        ratio(m->rss, m->alloc_resident), (long long)m->rss - (long long)m->alloc_resident,
        ratio(m->rss, m->used), (long long)m->rss - (long long)m->used);
    return str_catfmt(s,
                      "mem_not_counted_for_evict:0\r\nmem_replication_backlog:%zu\r\n"
                      "mem_total_replication_buffers:%zu\r\nmem_clients_slaves:%zu\r\n"
                      "mem_clients_normal:%zu\r\nmem_cluster_links:0\r\nmem_aof_buffer:%zu\r\n"
                      "mem_allocator:%s\r\nactive_defrag_running:0\r\n"
                      "lazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n",
                      repl_backlog_memory(), repl_backlog_memory(), m->clients_replicas,
                      m->clients_normal, aof_buffer_size(), alloc_name());
}

static str_t *section_memory(str_t *s)
{
    info_mem_t m;
    info_mem_collect(&m);
    s = memory_usage_lines(s, &m);
    s = memory_script_lines(s);
    return memory_frag_lines(s, &m);
}

static str_t *section_persistence(str_t *s)
{
    s = str_catfmt(s,
                   "loading:%d\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\n"
                   "current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n"
                   "current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n",
                   srv.loading ? 1 : 0);
    s = persist_info(s);
    s = aof_info(s);
    if (srv.loading) {
        s = str_catfmt(s,
                       "loading_start_time:%lld\r\nloading_total_bytes:%llu\r\n"
                       "loading_rdb_used_mem:%llu\r\nloading_loaded_bytes:%llu\r\n"
                       "loading_loaded_perc:%.2f\r\nloading_eta_seconds:%lld\r\n",
                       (long long)srv.loading_start,
                       (unsigned long long)srv.loading_total_bytes,
                       (unsigned long long)srv.loading_rdb_used_mem,
                       (unsigned long long)srv.loading_loaded_bytes, persist_loading_percent(),
                       persist_loading_eta());
    }
    return s;
}

static str_t *stats_traffic_lines(str_t *s)
{
    net_totals_t n;
    server_net_totals(&n);
    return str_catfmt(
        s,
        "total_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
        "instantaneous_ops_per_sec:%lld\r\ntotal_net_input_bytes:%llu\r\n"
        "total_net_output_bytes:%llu\r\ntotal_net_repl_input_bytes:%llu\r\n"
        "total_net_repl_output_bytes:%llu\r\ninstantaneous_input_kbps:%.2f\r\n"
        "instantaneous_output_kbps:%.2f\r\ninstantaneous_input_repl_kbps:%.2f\r\n"
        "instantaneous_output_repl_kbps:%.2f\r\nrejected_connections:%llu\r\n"
        "sync_full:%llu\r\nsync_partial_ok:%llu\r\nsync_partial_err:%llu\r\n",
        (unsigned long long)srv.stat_connections, (unsigned long long)srv.stat_commands,
        (long long)(srv.inst_ops + 0.5), (unsigned long long)n.in, (unsigned long long)n.out,
        (unsigned long long)n.repl_in, (unsigned long long)n.repl_out, srv.inst_in_kbps,
        srv.inst_out_kbps, srv.inst_repl_in_kbps, srv.inst_repl_out_kbps,
        (unsigned long long)srv.stat_rejected_conn,
        (unsigned long long)repl_stats.sync_full, (unsigned long long)repl_stats.sync_partial_ok,
        (unsigned long long)repl_stats.sync_partial_err);
}

static str_t *stats_keyspace_lines(str_t *s)
{
    return str_catfmt(
        s,
        "expired_keys:%llu\r\nexpired_stale_perc:%.2f\r\nexpired_time_cap_reached_count:0\r\n"
        "expire_cycle_cpu_milliseconds:%llu\r\nevicted_keys:%llu\r\nevicted_clients:%llu\r\n"
        "total_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\n"
        "keyspace_hits:%llu\r\nkeyspace_misses:%llu\r\npubsub_channels:%zu\r\n"
        "pubsub_patterns:%zu\r\npubsubshard_channels:%zu\r\nlatest_fork_usec:%lld\r\n"
        "total_forks:%llu\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\n",
        (unsigned long long)db_env.stat_expired,
        (double)db_env.stat_expired_stale_perc_x100 / 100.0,
        (unsigned long long)(db_env.stat_expire_cycle_time_used_us / 1000),
        (unsigned long long)db_env.stat_evicted, (unsigned long long)srv.stat_evicted_clients,
        (unsigned long long)db_env.stat_hits, (unsigned long long)db_env.stat_misses,
        pubsub_count(PUBSUB_CHANNEL), pubsub_count(PUBSUB_PATTERN), pubsub_count(PUBSUB_SHARD),
        (long long)srv.stat_fork_time_us, (unsigned long long)srv.stat_total_forks);
}

static str_t *stats_misc_lines(str_t *s)
{
    return str_catfmt(
        s,
        "active_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\n"
        "active_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\n"
        "current_active_defrag_time:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\n"
        "tracking_total_prefixes:0\r\nunexpected_error_replies:%llu\r\n"
        "total_error_replies:%llu\r\ndump_payload_sanitizations:0\r\n"
        "total_reads_processed:%llu\r\ntotal_writes_processed:%llu\r\n"
        "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n"
        "client_query_buffer_limit_disconnections:%llu\r\n"
        "client_output_buffer_limit_disconnections:%llu\r\n"
        "reply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
        (unsigned long long)srv.stat_unexpected_error_replies,
        (unsigned long long)srv.stat_total_error_replies,
        (unsigned long long)srv.stat_io_reads, (unsigned long long)srv.stat_io_writes,
        (unsigned long long)srv.stat_client_qbuf_limit_disconnections,
        (unsigned long long)srv.stat_client_outbuf_limit_disconnections);
}

static str_t *section_stats(str_t *s)
{
    s = stats_traffic_lines(s);
    s = stats_keyspace_lines(s);
    return stats_misc_lines(s);
}

static str_t *section_replication(str_t *s)
{
    return repl_info(s);
}

static str_t *cpu_line(str_t *s, const char *name, const struct timeval *tv)
{
    return str_catfmt(s, "%s:%ld.%06ld\r\n", name, (long)tv->tv_sec, (long)tv->tv_usec);
}

static str_t *section_cpu(str_t *s)
{
    struct rusage self, children, thread;
    memset(&self, 0, sizeof(self));
    memset(&children, 0, sizeof(children));
    memset(&thread, 0, sizeof(thread));
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#ifdef RUSAGE_THREAD
    getrusage(RUSAGE_THREAD, &thread);
#else
    thread = self;
#endif
    s = cpu_line(s, "used_cpu_sys", &self.ru_stime);
    s = cpu_line(s, "used_cpu_user", &self.ru_utime);
    s = cpu_line(s, "used_cpu_sys_children", &children.ru_stime);
    s = cpu_line(s, "used_cpu_user_children", &children.ru_utime);
    s = cpu_line(s, "used_cpu_sys_main_thread", &thread.ru_stime);
    return cpu_line(s, "used_cpu_user_main_thread", &thread.ru_utime);
}

static str_t *section_empty(str_t *s)
{
    return s;
}

static str_t *cmdstat_line(str_t *s, const cmd_t *c)
{
    if (c->calls == 0 && c->rejected_calls == 0 && c->failed_calls == 0)
        return s;
    double per = c->calls > 0 ? (double)c->usec / (double)c->calls : 0.0;
    return str_catfmt(s,
                      "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                      "failed_calls=%llu\r\n",
                      c->fullname, (unsigned long long)c->calls, (unsigned long long)c->usec,
                      per, (unsigned long long)c->rejected_calls,
                      (unsigned long long)c->failed_calls);
}

static str_t *section_commandstats(str_t *s)
{
    for (int i = 0; i < commands_count(); i++) {
        const cmd_t *c = commands_at(i);
        /* A container counts the calls rejected before a subcommand was
         * known (CONFIG with no argument). */
        s = cmdstat_line(s, c);
        for (int j = 0; j < c->nsubs; j++)
            s = cmdstat_line(s, c->subs[j]);
    }
    return s;
}

static int error_stat_cmp(const void *a, const void *b)
{
    const error_stat_t *x = a, *y = b;
    return strcmp(x->code, y->code);
}

static str_t *section_errorstats(str_t *s)
{
    error_stat_t sorted[ARRAY_LEN(srv.errors)];
    int n = srv.nerrors;
    memcpy(sorted, srv.errors, sizeof(error_stat_t) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(error_stat_t), error_stat_cmp);
    for (int i = 0; i < n; i++)
        s = str_catfmt(s, "errorstat_%s:count=%llu\r\n", sorted[i].code,
                       (unsigned long long)sorted[i].count);
    return s;
}

/* The latency (usec) below which pct percent of the recorded calls fall,
 * taken as the upper bound of the power-of-two bucket that holds it. */
static double hist_percentile(const cmd_t *c, double pct)
{
    uint64_t total = 0;
    for (int b = 0; b < CMD_HIST_BUCKETS; b++)
        total += c->hist[b];
    if (total == 0)
        return 0.0;
    double want = pct / 100.0 * (double)total;
    uint64_t seen = 0;
    for (int b = 0; b < CMD_HIST_BUCKETS; b++) {
        seen += c->hist[b];
        if (seen > 0 && (double)seen >= want)
            return (double)(1ULL << (b + 1));
    }
    return (double)(1ULL << CMD_HIST_BUCKETS);
}

/* Writes a percentile the way Redis names it: "%f" without trailing zeros
 * ("50", "99.9"). */
static void percentile_name(char *buf, size_t len, double p)
{
    snprintf(buf, len, "%f", p);
    char *dot = strchr(buf, '.');
    if (dot == NULL)
        return;
    char *end = buf + strlen(buf) - 1;
    while (end > dot && *end == '0')
        *end-- = '\0';
    if (end == dot)
        *end = '\0';
}

static int parse_percentiles(double *out, int max)
{
    const char *p = cfg.latency_tracking_info_percentiles;
    int n = 0;
    while (p != NULL && *p != '\0' && n < max) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            break;
        out[n++] = v;
        p = end;
    }
    return n;
}

static str_t *latency_line(str_t *s, const cmd_t *c, const double *pcts, int npcts)
{
    if (c->calls == 0)
        return s;
    s = str_catfmt(s, "latency_percentiles_usec_%s:", c->fullname);
    for (int i = 0; i < npcts; i++) {
        char name[64];
        percentile_name(name, sizeof(name), pcts[i]);
        s = str_catfmt(s, "%sp%s=%.3f", i > 0 ? "," : "", name, hist_percentile(c, pcts[i]));
    }
    return str_cat_cstr(s, "\r\n");
}

static str_t *section_latencystats(str_t *s)
{
    if (!cfg.latency_tracking)
        return s;
    double pcts[32];
    int n = parse_percentiles(pcts, (int)ARRAY_LEN(pcts));
    for (int i = 0; i < commands_count(); i++) {
        const cmd_t *c = commands_at(i);
        if (c->subs == NULL) {
            s = latency_line(s, c, pcts, n);
            continue;
        }
        for (int j = 0; j < c->nsubs; j++)
            s = latency_line(s, c->subs[j], pcts, n);
    }
    return s;
}

static str_t *section_cluster(str_t *s)
{
    return str_cat_cstr(s, "cluster_enabled:0\r\n");
}

static str_t *section_keyspace(str_t *s)
{
    for (int i = 0; i < srv.ndbs; i++) {
        const db_t *db = &srv.dbs[i];
        size_t keys = db_size(db);
        if (keys == 0)
            continue;
        s = str_catfmt(s, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, keys,
                       dict_size(db->expires), db->avg_ttl);
    }
    return s;
}

/* ============================= report ================================ */

typedef struct info_section {
    const char *name;  /* As given to INFO, lower case. */
    const char *title; /* The "# Title" line. */
    bool in_default;
    str_t *(*fill)(str_t *s);
} info_section_t;

/* Redis's order; the report always follows it, whatever the argument
 * order. */
static const info_section_t sections[] = {
    {"server", "Server", true, section_server},
    {"clients", "Clients", true, section_clients},
    {"memory", "Memory", true, section_memory},
    {"persistence", "Persistence", true, section_persistence},
    {"stats", "Stats", true, section_stats},
    {"replication", "Replication", true, section_replication},
    {"cpu", "CPU", true, section_cpu},
    {"modules", "Modules", true, section_empty},
    {"commandstats", "Commandstats", false, section_commandstats},
    {"errorstats", "Errorstats", true, section_errorstats},
    {"latencystats", "Latencystats", false, section_latencystats},
    {"cluster", "Cluster", true, section_cluster},
    {"keyspace", "Keyspace", true, section_keyspace},
};

/* Marks the sections one INFO argument names. */
static void select_sections(const arg_t *a, bool *want)
{
    size_t n = ARRAY_LEN(sections);
    if (arg_is(a, "all") || arg_is(a, "everything")) {
        for (size_t i = 0; i < n; i++)
            want[i] = true;
        return;
    }
    if (arg_is(a, "default")) {
        for (size_t i = 0; i < n; i++)
            want[i] = want[i] || sections[i].in_default;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (arg_is(a, sections[i].name))
            want[i] = true;
}

str_t *info_render(const arg_t *args, int nargs)
{
    bool want[ARRAY_LEN(sections)] = {false};
    if (nargs == 0) {
        arg_t def = {"default", 7};
        select_sections(&def, want);
    }
    for (int i = 0; i < nargs; i++)
        select_sections(&args[i], want);
    str_t *s = str_new_cap(4096);
    bool first = true;
    for (size_t i = 0; i < ARRAY_LEN(sections); i++) {
        if (!want[i])
            continue;
        s = str_catfmt(s, "%s# %s\r\n", first ? "" : "\r\n", sections[i].title);
        s = sections[i].fill(s);
        first = false;
    }
    return s;
}

void cmd_info(client_t *c)
{
    str_t *s = info_render(c->argv + 1, c->argc - 1);
    reply_verbatim(&c->reply, s->buf, s->len, "txt");
    str_free(s);
}
