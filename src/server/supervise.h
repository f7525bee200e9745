/*
 * supervise: the server's side of running under a service manager:
 * choosing the supervision mode, readiness and status, the watchdog timer,
 * socket activation, and the start-up checks of the host (overcommit,
 * somaxconn, transparent huge pages). State is process-wide.
 */
#ifndef RH_SERVER_SUPERVISE_H
#define RH_SERVER_SUPERVISE_H

#include <stdbool.h>

#include "net/loop.h"

/* Decides from cfg.supervised and the environment whether to notify. */
void supervise_init(void);
/* Host checks with Redis's warnings; applies disable-thp. */
void supervise_check_host(void);
/* Adopts listeners passed by the service manager; returns how many were
 * adopted (then the configured TCP/unix listeners are not opened), or -1. */
int supervise_adopt_sockets(void);
/* READY=1 with a status line, and starts the watchdog timer. */
void supervise_ready(loop_t *l);
void supervise_stopping(void);
/* While the dataset loads: STATUS= with the progress and, at most once a
 * second, EXTEND_TIMEOUT_USEC= so a long load never hits TimeoutStartSec
 * while a stuck one still does. */
void supervise_loading(double percent);

#endif
