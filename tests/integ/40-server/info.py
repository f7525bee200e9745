"""INFO: sections, field names (compared with Redis 7.0.15), values, formats."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

t = rhtest.Tap()
srv = rhtest.Server()
r = srv.client()


def sections_of(text):
    """{section title: {field: value}} from raw INFO text."""
    out = {}
    cur = None
    for line in text.split("\r\n"):
        if line.startswith("# "):
            cur = line[2:]
            out[cur] = {}
        elif line:
            k, _, v = line.partition(":")
            out[cur][k] = v
    return out


def raw_info(conn, *args):
    rep = conn.cmd("INFO", *args)
    return rep.decode()


c = srv.raw()


def lf_info(*args):
    """INFO text with LF line ends, for line-anchored regular expressions."""
    return raw_info(c, *args).replace("\r\n", "\n")


# --- section selection ------------------------------------------------------------
DEFAULT = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
           "Modules", "Errorstats", "Cluster", "Keyspace"]
ALL = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
       "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]
t.is_(list(sections_of(raw_info(c))), DEFAULT, "INFO: the default sections in order")
t.is_(list(sections_of(raw_info(c, "default"))), DEFAULT, "INFO DEFAULT")
t.is_(list(sections_of(raw_info(c, "all"))), ALL, "INFO ALL")
t.is_(list(sections_of(raw_info(c, "EVERYTHING"))), ALL, "INFO EVERYTHING")
t.is_(list(sections_of(raw_info(c, "keyspace", "cpu", "SERVER"))),
      ["Server", "CPU", "Keyspace"], "several sections come in Redis's order")
t.is_(list(sections_of(raw_info(c, "cpu", "cpu"))), ["CPU"], "a repeated section once")
t.is_(list(sections_of(raw_info(c, "default", "commandstats"))),
      DEFAULT[:8] + ["Commandstats"] + DEFAULT[8:], "DEFAULT plus commandstats")
t.is_(raw_info(c, "nosuchsection"), "", "unknown section: empty reply")

text = raw_info(c, "cpu", "keyspace")
t.ok(text.startswith("# CPU\r\n") and "\r\n\r\n# Keyspace\r\n" in text and
     text.endswith("# Keyspace\r\n"), "sections separated by one blank line")

# RESP3: a verbatim string of format txt.
c3 = srv.raw()
c3.cmd("HELLO", "3")
c3.send(rhtest.encode("INFO", "server"))
line = c3._line()
t.ok(line.startswith(b"="), "RESP3: INFO is a verbatim string")
body = c3._exact(int(line[1:]))
t.ok(body.startswith(b"txt:# Server\r\n"), "RESP3: verbatim format txt")
c3.close()

# --- field names are those of Redis 7.0.15 --------------------------------------
ref = rhtest.ref_server()
if ref is None:
    t.skip("field names match Redis 7.0.15", "no reference redis-server")
else:
    rc = ref.raw()
    ours = sections_of(raw_info(c, "everything"))
    theirs = sections_of(raw_info(rc, "everything"))
    for sec in ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                "Cluster"]:
        missing = [k for k in theirs[sec] if k not in ours.get(sec, {})]
        t.ok(not missing, "section %s has every Redis 7.0 field" % sec)
        if missing:
            t.diag("missing: %s" % missing)
        order = [k for k in ours[sec] if k in theirs[sec]]
        t.is_(order, list(theirs[sec]), "section %s keeps Redis's field order" % sec)
    rc.close()
    ref.stop()

# --- values ---------------------------------------------------------------------------
r.set("k1", "v")
r.set("k2", "v", ex=100)
r.get("k1")
r.get("missing")
info = r.info("everything")  # redis-py parses every line
t.is_(info["redis_version"], "7.0.15", "redis_version")
t.is_(info.get("server_name"), "redis-ha", "server_name")
t.ok(re.match(r"^\d+\.\d+", str(info.get("redis_ha_version"))), "redis_ha_version")
t.is_(info["redis_mode"], "standalone", "redis_mode")
t.is_(info["multiplexing_api"], "epoll", "multiplexing_api")
t.is_(info["process_id"], srv.pid, "process_id")
t.is_(info["tcp_port"], srv.port, "tcp_port")
t.ok(re.match(r"^[0-9a-f]{40}$", info["run_id"]), "run_id: 40 hex digits")
t.is_(info["arch_bits"], 64, "arch_bits")
t.is_(info["io_threads_active"], 0, "io_threads_active")
t.ok(os.path.isabs(info["executable"]), "executable is absolute")
t.is_(info["config_file"], srv.conf, "config_file")
t.ok(info["uptime_in_days"] == 0 and info["uptime_in_seconds"] >= 0, "uptime")
t.ok(info["hz"] == 10 and info["configured_hz"] == 10, "hz")
t.ok(info["connected_clients"] >= 2, "connected_clients")
t.is_(info["maxclients"], 10000, "maxclients")
t.ok(info["used_memory"] > 0 and info["used_memory_rss"] > 0, "used_memory and rss")
t.ok(re.match(r"^[\d.]+[BKMG]$", info["used_memory_human"]), "used_memory_human format")
t.ok(info["used_memory_peak"] >= info["used_memory"], "peak >= used")
t.ok(info["used_memory_startup"] > 0, "used_memory_startup")
t.ok(info["total_system_memory"] > 0, "total_system_memory")
t.is_(info["maxmemory_policy"], "noeviction", "maxmemory_policy")
t.is_(info["maxmemory_human"], "0B", "maxmemory_human")
t.ok(isinstance(info["mem_fragmentation_ratio"], float), "mem_fragmentation_ratio is a number")
t.is_(info["loading"], 0, "loading:0")
t.ok(info["rdb_changes_since_last_save"] >= 2, "rdb_changes_since_last_save counts writes")
t.ok(abs(info["rdb_last_save_time"] - info["server_time_usec"] // 1000000) < 100,
     "rdb_last_save_time near now")
t.is_(info["aof_enabled"], 0, "aof_enabled")
t.is_(info["role"], "master", "role")
t.is_(info["connected_slaves"], 0, "connected_slaves")
t.is_(info["master_failover_state"], "no-failover", "master_failover_state")
t.ok(re.match(r"^[0-9a-f]{40}$", info["master_replid"]), "master_replid")
t.ok(info["master_replid"] != info["run_id"], "master_replid differs from run_id")
t.ok(info["master_replid2"] in ("0" * 40, 0), "master_replid2")
t.is_(info["second_repl_offset"], -1, "second_repl_offset")
t.is_(info["repl_backlog_size"], 1048576, "repl_backlog_size")
t.ok(info["keyspace_hits"] >= 1 and info["keyspace_misses"] >= 1, "keyspace hits/misses")
t.ok(info["total_commands_processed"] >= 4, "total_commands_processed")
t.ok(info["total_connections_received"] >= 2, "total_connections_received")
t.ok(info["total_net_input_bytes"] > 0 and info["total_net_output_bytes"] > 0,
     "net byte totals")
t.ok(isinstance(info["used_cpu_user"], float), "used_cpu_user")
t.is_(info["cluster_enabled"], 0, "cluster_enabled")
t.is_(info["db0"], {"keys": 2, "expires": 1, "avg_ttl": info["db0"]["avg_ttl"]},
      "keyspace db0 keys and expires")

# --- commandstats, errorstats, latencystats ----------------------------------------
r.config_resetstat()
try:
    r.incr("k1")
except Exception:  # noqa: BLE001 - the error is the point
    pass
r.set("a", "1")
r.config_get("maxmemory")
text = lf_info("commandstats")
t.ok(re.search(r"^cmdstat_set:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,"
               r"failed_calls=0$", text, re.M), "cmdstat_set line")
t.ok(re.search(r"^cmdstat_incrby:calls=1,.*,rejected_calls=0,failed_calls=1$", text, re.M),
     "failed_calls counted")
t.ok(re.search(r"^cmdstat_config\|get:calls=1,", text, re.M), "subcommand as config|get")
c.cmd("GET")  # arity error: a rejected call
text = lf_info("commandstats")
t.ok(re.search(r"^cmdstat_get:calls=0,usec=0,usec_per_call=0\.00,rejected_calls=1,"
               r"failed_calls=0$", text, re.M), "rejected_calls counted")
text = lf_info("errorstats")
t.ok(re.search(r"^errorstat_ERR:count=2$", text, re.M), "errorstat_ERR")
stats = r.info("errorstats")
t.ok(stats.get("errorstat_ERR") in ({"count": 2}, "count=2"), "redis-py reads errorstats")
t.is_(r.info("stats")["total_error_replies"], 2, "total_error_replies")

text = lf_info("latencystats")
t.ok(re.search(r"^latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},"
               r"p99\.9=\d+\.\d{3}$", text, re.M), "latencystats line for set")
r.config_set("latency-tracking-info-percentiles", "50 99.99")
text = lf_info("latencystats")
t.ok(re.search(r"^latency_percentiles_usec_set:p50=[\d.]+,p99\.99=[\d.]+$", text, re.M),
     "latencystats follows latency-tracking-info-percentiles")
r.config_set("latency-tracking", "no")
t.is_(raw_info(c, "latencystats"), "# Latencystats\r\n", "latency-tracking no: empty")
r.config_set("latency-tracking", "yes")

c.close()
t.done()
