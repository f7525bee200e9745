"""Debian's prometheus-redis-exporter scrapes our server without errors."""
import os
import re
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

EXPORTER = "/usr/bin/prometheus-redis-exporter"

t = rhtest.Tap()
if not os.path.exists(EXPORTER):
    t.skip("exporter scrape", "prometheus-redis-exporter is not installed")
    t.done()

srv = rhtest.Server()
r = srv.client()
r.set("k1", "v1")
r.set("k2", "v2", ex=1000)
r.incr("counter")
r.get("missing")
try:
    r.execute_command("NOSUCHCOMMAND")
except Exception:  # noqa: BLE001 - an error for errorstats
    pass

web_port = rhtest.free_port()
log_path = os.path.join(rhtest.tmpdir(), "exporter.log")
with open(log_path, "wb") as logf:
    proc = subprocess.Popen([EXPORTER, "--redis.addr=redis://127.0.0.1:%d" % srv.port,
                             "--web.listen-address=127.0.0.1:%d" % web_port],
                            stdout=logf, stderr=logf)


def scrape():
    url = "http://127.0.0.1:%d/metrics" % web_port
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode()


def metrics_of(text):
    """{name: [(labels, value)]} from the Prometheus text format."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$", line)
        if m:
            out.setdefault(m.group(1), []).append((m.group(2) or "", m.group(3)))
    return out


try:
    text = rhtest.wait_for(scrape, timeout=20, what="exporter /metrics")
    # A second scrape sees the first one's commands too (CONFIG, SLOWLOG, ...).
    text = scrape()
    m = metrics_of(text)
    t.is_(m.get("redis_up"), [("", "1")], "redis_up 1")
    errs = m.get("redis_exporter_last_scrape_error", [])
    t.ok(errs and all(v == "0" for _, v in errs), "redis_exporter_last_scrape_error 0")
    if not (errs and all(v == "0" for _, v in errs)):
        t.diag(errs)
    for name in ["redis_connected_clients", "redis_commands_processed_total",
                 "redis_memory_used_bytes", "redis_db_keys", "redis_db_keys_expiring",
                 "redis_commands_total", "redis_commands_duration_seconds_total",
                 "redis_uptime_in_seconds", "redis_memory_used_rss_bytes",
                 "redis_keyspace_hits_total", "redis_keyspace_misses_total",
                 "redis_connections_received_total", "redis_net_input_bytes_total",
                 "redis_cpu_user_seconds_total", "redis_config_maxclients",
                 "redis_slowlog_length", "redis_instance_info", "redis_errors_total",
                 "redis_latency_percentiles_usec", "redis_rdb_last_save_timestamp_seconds",
                 "redis_master_repl_offset", "redis_start_time_seconds"]:
        t.ok(name in m, "metric %s present" % name)
    keys = dict(m.get("redis_db_keys", []))
    t.is_(keys.get('{db="db0"}'), "3", "redis_db_keys for db0")
    calls = {lbl: v for lbl, v in m.get("redis_commands_total", [])}
    t.ok(any('cmd="set"' in lbl for lbl in calls), "redis_commands_total has cmd=set")
    t.ok(any('cmd="info"' in lbl for lbl in calls), "redis_commands_total has cmd=info")
    info = dict(m.get("redis_instance_info", [("", "")]))
    lbl = next(iter(info))
    t.ok('redis_version="7.0.15"' in lbl and 'role="master"' in lbl,
         "redis_instance_info labels")
    t.ok(any('err="ERR"' in lbl for lbl, _ in m.get("redis_errors_total", [])),
         "redis_errors_total err=ERR")
    with open(log_path, errors="replace") as f:
        log = f.read()
    t.ok("level=error" not in log, "exporter logged no error")
    if "level=error" in log:
        t.diag(log[-2000:])
finally:
    proc.kill()
    proc.wait()
t.done()
