/*
 * Intrusive doubly-linked tail queues in the style of BSD <sys/queue.h>,
 * reduced to what we use. The containing struct owns its link field.
 */
#ifndef RH_CORE_QUEUE_H
#define RH_CORE_QUEUE_H

#include <stddef.h>

#define TAILQ_HEAD(name, type)                                                 \
    struct name {                                                              \
        struct type *tqh_first;                                                \
        struct type **tqh_last;                                                \
    }

#define TAILQ_ENTRY(type)                                                      \
    struct {                                                                   \
        struct type *tqe_next;                                                 \
        struct type **tqe_prev;                                                \
    }

#define TAILQ_INIT(head)                                                       \
    do {                                                                       \
        (head)->tqh_first = NULL;                                              \
        (head)->tqh_last = &(head)->tqh_first;                                 \
    } while (0)

#define TAILQ_EMPTY(head) ((head)->tqh_first == NULL)
#define TAILQ_FIRST(head) ((head)->tqh_first)
#define TAILQ_NEXT(elm, field) ((elm)->field.tqe_next)

#define TAILQ_INSERT_TAIL(head, elm, field)                                    \
    do {                                                                       \
        (elm)->field.tqe_next = NULL;                                          \
        (elm)->field.tqe_prev = (head)->tqh_last;                              \
        *(head)->tqh_last = (elm);                                             \
        (head)->tqh_last = &(elm)->field.tqe_next;                             \
    } while (0)

#define TAILQ_INSERT_HEAD(head, elm, field)                                    \
    do {                                                                       \
        if (((elm)->field.tqe_next = (head)->tqh_first) != NULL)               \
            (head)->tqh_first->field.tqe_prev = &(elm)->field.tqe_next;        \
        else                                                                   \
            (head)->tqh_last = &(elm)->field.tqe_next;                         \
        (head)->tqh_first = (elm);                                             \
        (elm)->field.tqe_prev = &(head)->tqh_first;                            \
    } while (0)

#define TAILQ_REMOVE(head, elm, field)                                         \
    do {                                                                       \
        if ((elm)->field.tqe_next != NULL)                                     \
            (elm)->field.tqe_next->field.tqe_prev = (elm)->field.tqe_prev;     \
        else                                                                   \
            (head)->tqh_last = (elm)->field.tqe_prev;                          \
        *(elm)->field.tqe_prev = (elm)->field.tqe_next;                        \
        (elm)->field.tqe_prev = NULL;                                          \
    } while (0)

#define TAILQ_FOREACH(var, head, field)                                        \
    for ((var) = (head)->tqh_first; (var) != NULL; (var) = (var)->field.tqe_next)

#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                             \
    for ((var) = (head)->tqh_first;                                            \
         (var) != NULL && ((tvar) = (var)->field.tqe_next, 1); (var) = (tvar))

#endif
