/*
 * loop: the process's one libuv loop and its prepare-phase hook. Every
 * connection with queued output is put on the loop's dirty list; just before
 * libuv polls, the hook runs the registered before-sleep callbacks (the AOF
 * write comes first) and then flushes every dirty connection once.
 */
#ifndef RH_NET_LOOP_H
#define RH_NET_LOOP_H

#include <stdbool.h>
#include <uv.h>

#include "core/queue.h"

struct conn;

typedef void loop_hook_cb(void *arg);

typedef struct loop {
    uv_loop_t *uv;
    uv_prepare_t prepare;
    TAILQ_HEAD(, conn) dirty;
    TAILQ_HEAD(, conn) conns; /* Every open conn, so loop_destroy can close them. */
    loop_hook_cb *before_flush;
    void *before_flush_arg;
    loop_hook_cb *after_flush;
    void *after_flush_arg;
} loop_t;

/* Initialises the loop over uv_default_loop(). */
int loop_init(loop_t *l) __attribute__((warn_unused_result));
/* Runs the loop until loop_stop. */
void loop_run(loop_t *l);
void loop_stop(loop_t *l);
/* Runs one non-blocking pass of the loop (callbacks that are due), from
 * outside loop_run: start-up work that must keep clients served. */
void loop_run_once(loop_t *l);
/* Closes every conn (dropping unsent output) and every other handle, and
 * runs the loop until they are closed and freed. */
void loop_destroy(loop_t *l);
/* Sets the callback run in the prepare phase before dirty conns flush. */
void loop_set_before_flush(loop_t *l, loop_hook_cb *cb, void *arg);
void loop_set_after_flush(loop_t *l, loop_hook_cb *cb, void *arg);
/* Flushes every dirty connection now (normally done by the prepare hook). */
void loop_flush(loop_t *l);

#endif
