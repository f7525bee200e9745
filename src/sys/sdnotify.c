#include <config.h>
#include "sys/sdnotify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

static bool enabled;

bool sdnotify_available(void)
{
    const char *s = getenv("NOTIFY_SOCKET");
    return s != NULL && s[0] != '\0';
}

bool sdnotify_enable(void)
{
#ifdef HAVE_SYSTEMD
    enabled = true;
    return true;
#else
    enabled = false;
    return false;
#endif
}

bool sdnotify_enabled(void)
{
    return enabled;
}

static void send_state(const char *state)
{
#ifdef HAVE_SYSTEMD
    if (enabled)
        sd_notify(0, state);
#else
    (void)state;
#endif
}

void sdnotify_ready(const char *status)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
    send_state(buf);
}

void sdnotify_status(const char *fmt, ...)
{
    if (!enabled)
        return;
    char msg[200], buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(buf, sizeof(buf), "STATUS=%s", msg);
    send_state(buf);
}

void sdnotify_extend_timeout(uint64_t usec)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "EXTEND_TIMEOUT_USEC=%llu", (unsigned long long)usec);
    send_state(buf);
}

void sdnotify_stopping(void)
{
    send_state("STOPPING=1\nSTATUS=shutting down");
}

void sdnotify_reloading(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char buf[96];
    snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    send_state(buf);
}

void sdnotify_watchdog(void)
{
    send_state("WATCHDOG=1");
}

uint64_t sdnotify_watchdog_usec(void)
{
#ifdef HAVE_SYSTEMD
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0)
        return usec;
#endif
    return 0;
}
