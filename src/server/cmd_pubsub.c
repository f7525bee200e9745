/*
 * Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and
 * the PUBSUB introspection subcommands. Subscriptions, delivery and the
 * subscriber flag live in pubsub.c; the dispatcher restricts RESP2
 * subscribers to the commands flagged CMD_SUBSCRIBER_OK. PUBLISH reaches
 * replicas (their subscribers get the message too) but not the AOF.
 */
#include <config.h>

#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/propagate.h"
#include "server/pubsub.h"

static void subscribe_all(client_t *c, int kind)
{
    for (int j = 1; j < c->argc; j++)
        pubsub_subscribe(c, kind, c->argv[j].p, c->argv[j].n);
}

static void unsubscribe_args(client_t *c, int kind)
{
    if (c->argc == 1) {
        pubsub_unsubscribe_all(c, kind);
        return;
    }
    for (int j = 1; j < c->argc; j++)
        pubsub_unsubscribe(c, kind, c->argv[j].p, c->argv[j].n);
}

void cmd_subscribe(client_t *c)
{
    subscribe_all(c, PUBSUB_CHANNEL);
}

void cmd_psubscribe(client_t *c)
{
    subscribe_all(c, PUBSUB_PATTERN);
}

/* Redis 7.0 refuses SSUBSCRIBE from a transaction (its "deny blocking"
 * state), unlike SUBSCRIBE and PSUBSCRIBE, which it allows there for
 * backward compatibility. */
void cmd_ssubscribe(client_t *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(&c->reply, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    subscribe_all(c, PUBSUB_SHARD);
}

void cmd_unsubscribe(client_t *c)
{
    unsubscribe_args(c, PUBSUB_CHANNEL);
}

void cmd_punsubscribe(client_t *c)
{
    unsubscribe_args(c, PUBSUB_PATTERN);
}

void cmd_sunsubscribe(client_t *c)
{
    unsubscribe_args(c, PUBSUB_SHARD);
}

void cmd_publish(client_t *c)
{
    const arg_t *ch = &c->argv[1], *msg = &c->argv[2];
    reply_int(&c->reply, pubsub_publish(ch->p, ch->n, msg->p, msg->n));
    /* Always, as Redis outside a cluster does; SPUBLISH never is. */
    if (propagate_wanted())
        propagate_argv(c->db->id, PROPAGATE_REPL, c->argc, c->argv);
}

void cmd_spublish(client_t *c)
{
    const arg_t *ch = &c->argv[1], *msg = &c->argv[2];
    reply_int(&c->reply, pubsub_publish_shard(ch->p, ch->n, msg->p, msg->n));
}

/* ---- PUBSUB ------------------------------------------------------------- */

/* Redis's reply to a subcommand with too many arguments. */
static void reply_sub_syntax(client_t *c)
{
    reply_errorf(&c->reply,
                 "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                 "Try PUBSUB HELP.",
                 (int)(c->argv[1].n > 128 ? 128 : c->argv[1].n), c->argv[1].p);
}

static void reply_names(client_t *c, int kind)
{
    if (c->argc > 3) {
        reply_sub_syntax(c);
        return;
    }
    if (c->argc == 3)
        pubsub_reply_names(&c->reply, kind, c->argv[2].p, c->argv[2].n);
    else
        pubsub_reply_names(&c->reply, kind, NULL, 0);
}

/* NUMSUB and SHARDNUMSUB answer a flat array of name, count pairs in both
 * protocols, as Redis 7.0 does. */
static void reply_numsub(client_t *c, int kind)
{
    reply_array(&c->reply, (long long)(c->argc - 2) * 2);
    for (int j = 2; j < c->argc; j++) {
        reply_bulk(&c->reply, c->argv[j].p, c->argv[j].n);
        reply_int(&c->reply, (long long)pubsub_numsub(kind, c->argv[j].p, c->argv[j].n));
    }
}

void cmd_pubsub_channels(client_t *c)
{
    reply_names(c, PUBSUB_CHANNEL);
}

void cmd_pubsub_shardchannels(client_t *c)
{
    reply_names(c, PUBSUB_SHARD);
}

void cmd_pubsub_numsub(client_t *c)
{
    reply_numsub(c, PUBSUB_CHANNEL);
}

void cmd_pubsub_shardnumsub(client_t *c)
{
    reply_numsub(c, PUBSUB_SHARD);
}

void cmd_pubsub_numpat(client_t *c)
{
    reply_int(&c->reply, (long long)pubsub_count(PUBSUB_PATTERN));
}

static const char *const pubsub_help[] = {
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    NULL,
};

void cmd_pubsub_help(client_t *c)
{
    reply_help(&c->reply, "PUBSUB", pubsub_help);
}
