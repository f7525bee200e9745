#include <config.h>
#include "net/loop.h"

#include "core/check.h"
#include "net/conn.h"

static void prepare_cb(uv_prepare_t *h)
{
    loop_t *l = h->data;
    if (l->before_flush != NULL)
        l->before_flush(l->before_flush_arg);
    loop_flush(l);
    if (l->after_flush != NULL)
        l->after_flush(l->after_flush_arg);
}

int loop_init(loop_t *l)
{
    l->uv = uv_default_loop();
    TAILQ_INIT(&l->dirty);
    TAILQ_INIT(&l->conns);
    l->before_flush = NULL;
    l->after_flush = NULL;
    int r = uv_prepare_init(l->uv, &l->prepare);
    if (r != 0)
        return r;
    l->prepare.data = l;
    uv_unref((uv_handle_t *)&l->prepare);
    return uv_prepare_start(&l->prepare, prepare_cb);
}

void loop_set_before_flush(loop_t *l, loop_hook_cb *cb, void *arg)
{
    l->before_flush = cb;
    l->before_flush_arg = arg;
}

void loop_set_after_flush(loop_t *l, loop_hook_cb *cb, void *arg)
{
    l->after_flush = cb;
    l->after_flush_arg = arg;
}

void loop_flush(loop_t *l)
{
    /* A flush can make a conn dirty again (its drained callback queued
     * more, as a replica's snapshot or stream does): it is flushed in this
     * pass too, or it would wait for the poll that follows, up to the next
     * timer. Each round either writes to a socket or leaves a write in
     * flight (which takes the conn off the list), so this ends. */
    conn_t *c;
    while ((c = TAILQ_FIRST(&l->dirty)) != NULL) {
        TAILQ_REMOVE(&l->dirty, c, dirty_link);
        c->dirty = false;
        conn_flush(c);
    }
}

void loop_run(loop_t *l)
{
    uv_run(l->uv, UV_RUN_DEFAULT);
}

void loop_run_once(loop_t *l)
{
    uv_run(l->uv, UV_RUN_NOWAIT);
}

void loop_stop(loop_t *l)
{
    uv_stop(l->uv);
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    UNUSED(arg);
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void loop_destroy(loop_t *l)
{
    /* Conns must be closed through conn_close so that their close callback
     * frees them: the generic walk below would close them without one and
     * leak them, and a write cancelled by that close would try to close the
     * handle a second time. A conn leaves the list only when it is freed, so
     * the iteration is safe. */
    conn_t *c, *tmp;
    TAILQ_FOREACH_SAFE(c, &l->conns, conn_link, tmp)
        conn_close(c, false);
    uv_walk(l->uv, close_walk_cb, NULL);
    uv_run(l->uv, UV_RUN_DEFAULT);
    uv_loop_close(l->uv);
}
