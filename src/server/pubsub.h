/*
 * pubsub: subscriptions to channels, patterns and shard channels, and the
 * delivery of messages. A registry maps every name with subscribers to its
 * clients in subscription order; each client keeps its own names in a
 * pubsub_client_t that this module allocates at the first subscription and
 * frees in pubsub_client_free. Clients are borrowed; names are copied. The
 * module also keeps the client's CLIENT_PUBSUB flag (set while it has any
 * subscription).
 */
#ifndef RH_SERVER_PUBSUB_H
#define RH_SERVER_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>

#include "resp/reply.h"
#include "server/client.h"

/* The three namespaces. Shard channels are separate from channels even in
 * a server without cluster mode, as in Redis 7.0. */
enum pubsub_kind {
    PUBSUB_CHANNEL = 0,
    PUBSUB_PATTERN,
    PUBSUB_SHARD,
    PUBSUB_KINDS
};

typedef struct pubsub_client pubsub_client_t;

/* Subscribes c to name and replies with the confirmation
 * ([p|s]subscribe, name, count) as a push (an array in RESP2). */
void pubsub_subscribe(client_t *c, int kind, const char *name, size_t len);
/* Unsubscribes c from name (subscribed or not) and replies with the
 * confirmation. */
void pubsub_unsubscribe(client_t *c, int kind, const char *name, size_t len);
/* Unsubscribes c from every name of kind with one confirmation each, or one
 * with a null name when there is none. */
void pubsub_unsubscribe_all(client_t *c, int kind);
/* Drops every subscription of c without replies and frees its state
 * (client free, RESET). */
void pubsub_client_free(client_t *c);
/* Subscriptions of c of one kind (CLIENT LIST sub=, psub=, ssub=). */
size_t pubsub_client_count(const client_t *c, int kind);

/* Delivers msg to the subscribers of channel and of the patterns matching
 * it; returns the number of deliveries. */
long long pubsub_publish(const char *channel, size_t chlen, const char *msg, size_t msglen);
/* The same for a shard channel (SPUBLISH). */
long long pubsub_publish_shard(const char *channel, size_t chlen, const char *msg,
                               size_t msglen);
/* False when nobody is subscribed to anything. */
bool pubsub_has_subscribers(void);

/* Names of kind with at least one subscriber (INFO, PUBSUB NUMPAT). */
size_t pubsub_count(int kind);
/* Subscribers of one channel or shard channel (PUBSUB NUMSUB). */
size_t pubsub_numsub(int kind, const char *name, size_t len);
/* Replies with the channels (or shard channels) that have subscribers and
 * match the glob pattern, every one when pat is NULL. */
void pubsub_reply_names(reply_t *r, int kind, const char *pat, size_t patlen);

/* Frees the registry (at server shutdown, after every client is gone). */
void pubsub_destroy(void);

#endif
