#include <config.h>
#include "server/supervise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "server/config.h"
#include "server/server.h"
#include "sys/sdnotify.h"
#include "sys/sockets.h"

static uv_timer_t watchdog_timer;
static bool watchdog_started;

void supervise_init(void)
{
    bool want = cfg.supervised == SUPERVISED_SYSTEMD ||
                (cfg.supervised == SUPERVISED_AUTO && sdnotify_available());
    if (!want) {
        if (sdnotify_available() && cfg.supervised == SUPERVISED_NO)
            log_msg(LOG_LEVEL_NOTICE, "NOTIFY_SOCKET is set but supervised is 'no': "
                                      "not notifying the service manager");
        return;
    }
    if (!sdnotify_available()) {
        log_msg(LOG_LEVEL_WARNING, "WARNING supervised by systemd - you MUST set appropriate "
                                   "values for TimeoutStartSec and TimeoutStopSec in your service "
                                   "unit.");
        return;
    }
    if (!sdnotify_enable()) {
        log_msg(LOG_LEVEL_WARNING,
                "WARNING this redis-server was built without libsystemd: it cannot send "
                "READY=1, so a Type=notify unit will time out; use Type=simple or a build "
                "with systemd support");
        return;
    }
    log_msg(LOG_LEVEL_NOTICE, "supervised by systemd. Please make sure you set appropriate "
                              "values for TimeoutStartSec and TimeoutStopSec in your service unit.");
}

/* Reads one integer from a /proc file; -1 when unreadable. */
static long read_proc_long(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    long v = -1;
    if (fscanf(f, "%ld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

void supervise_check_host(void)
{
    long somaxconn = read_proc_long("/proc/sys/net/core/somaxconn");
    if (somaxconn >= 0 && somaxconn < cfg.tcp_backlog)
        log_msg(LOG_LEVEL_WARNING,
                "WARNING: The TCP backlog setting of %lld cannot be enforced because "
                "/proc/sys/net/core/somaxconn is set to the lower value of %ld.",
                cfg.tcp_backlog, somaxconn);
    if (read_proc_long("/proc/sys/vm/overcommit_memory") == 0)
        log_msg(LOG_LEVEL_WARNING,
                "WARNING Memory overcommit must be enabled! Without it, a background save or "
                "replication may fail under low memory condition. To fix this issue add "
                "'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the "
                "command 'sysctl vm.overcommit_memory=1' for this to take effect.");
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_THP_DISABLE)
    if (cfg.disable_thp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
        log_msg(LOG_LEVEL_VERBOSE, "could not disable transparent huge pages for the process");
#endif
}

int supervise_adopt_sockets(void)
{
    inherited_socket_t socks[SOCKETS_MAX];
    int n = sockets_inherited(socks, SOCKETS_MAX);
    if (n <= 0)
        return 0;
    int adopted = 0;
    for (int i = 0; i < n; i++) {
        const char *name = socks[i].name[0] ? socks[i].name : (socks[i].is_unix ? "unix" : "tcp");
        int r = server_adopt_listener(socks[i].fd, socks[i].is_unix, name);
        if (r != 0) {
            log_msg(LOG_LEVEL_WARNING, "could not adopt inherited socket '%s' (fd %d): %s",
                    name, socks[i].fd, uv_strerror(r));
            return -1;
        }
        adopted++;
    }
    log_msg(LOG_LEVEL_NOTICE,
            "socket activation: adopted %d listening socket(s); the configured port and "
            "bind/unixsocket are ignored for them", adopted);
    return adopted;
}

static void watchdog_cb(uv_timer_t *t)
{
    UNUSED(t);
    sdnotify_watchdog();
}

void supervise_ready(loop_t *l)
{
    if (!sdnotify_enabled())
        return;
    sdnotify_ready("Ready to accept connections");
    uint64_t usec = sdnotify_watchdog_usec();
    if (usec == 0 || watchdog_started)
        return;
    /* Half the interval, from a loop timer: a stuck loop stops the beat. */
    uint64_t ms = usec / 2000;
    if (ms < 1)
        ms = 1;
    uv_timer_init(l->uv, &watchdog_timer);
    uv_timer_start(&watchdog_timer, watchdog_cb, ms, ms);
    watchdog_started = true;
    log_msg(LOG_LEVEL_NOTICE, "systemd watchdog enabled, notifying every %llu ms",
            (unsigned long long)ms);
}

/* Each notification extends the start timeout by this much from now. */
#define LOADING_EXTEND_USEC (60ULL * 1000 * 1000)

void supervise_loading(double percent)
{
    static int64_t last_ms;
    if (!sdnotify_enabled())
        return;
    int64_t now = clock_mono_ms();
    if (last_ms != 0 && now - last_ms < 1000)
        return;
    last_ms = now;
    sdnotify_status("Loading the dataset: %.1f%%", percent);
    sdnotify_extend_timeout(LOADING_EXTEND_USEC);
}

void supervise_stopping(void)
{
    sdnotify_stopping();
}
