/*
 * sdnotify: the service manager protocol (sd_notify) for the main process:
 * READY=1, STATUS=, EXTEND_TIMEOUT_USEC=, WATCHDOG=1, RELOADING=1,
 * STOPPING=1. Compiles to no-ops without libsystemd. Only the main process
 * may notify: children never call into this module.
 */
#ifndef RH_SYS_SDNOTIFY_H
#define RH_SYS_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* True when a service manager listens (NOTIFY_SOCKET is set). */
bool sdnotify_available(void);
/* Enables notifications; returns false when built without libsystemd. */
bool sdnotify_enable(void);
bool sdnotify_enabled(void);
void sdnotify_ready(const char *status);
void sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sdnotify_extend_timeout(uint64_t usec);
void sdnotify_stopping(void);
void sdnotify_reloading(void);
void sdnotify_watchdog(void);
/* The watchdog interval requested by the manager in microseconds, 0 if
 * none (WATCHDOG_USEC for this PID). */
uint64_t sdnotify_watchdog_usec(void);

#endif
