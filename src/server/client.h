/*
 * client_t: one client session: its connection, parser state, reply sink,
 * selected database, protocol version, name and flags. Per-feature state
 * (transactions, pub/sub, blocking) lives in sub-structs owned by those
 * modules. A client is freed only at a safe point (client_free_async), never
 * inside a callback that may still use it.
 */
#ifndef RH_SERVER_CLIENT_H
#define RH_SERVER_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/queue.h"
#include "core/str.h"
#include "db/keyspace.h"
#include "net/conn.h"
#include "resp/reply.h"
#include "resp/req_parse.h"
#include "server/commands.h"

#define CLIENT_MAGIC 0x434c4e54U /* "CLNT" */
#define VALID_CLIENT(c) ((c) != NULL && (c)->magic == CLIENT_MAGIC)

/*
 * Client flags:
 * CLOSE_AFTER_REPLY  close once the queued replies are written.
 * CLOSE_ASAP         close at the next safe point without writing more.
 * MONITOR            receives the MONITOR feed.
 * PUBSUB             has subscriptions (RESP2 subscriber context; pubsub.c
 *                    keeps it).
 * NO_EVICT           CLIENT NO-EVICT on.
 * REPLY_OFF/SKIP     CLIENT REPLY OFF, and SKIP for the next command.
 * PROTECTED          the current command has not finished (do not free).
 * PENDING_COMMAND    a parsed command waits (pause, backpressure).
 * READ_PAUSED        reading stopped for backpressure.
 * MULTI              inside MULTI, until EXEC or DISCARD has finished (so it
 *                    is still set while EXEC runs the queue; multi.c keeps it).
 */
enum client_flag {
    CLIENT_CLOSE_AFTER_REPLY = 1u << 0,
    CLIENT_CLOSE_ASAP = 1u << 1,
    CLIENT_MONITOR = 1u << 2,
    CLIENT_PUBSUB = 1u << 3,
    CLIENT_NO_EVICT = 1u << 4,
    CLIENT_REPLY_OFF = 1u << 5,
    CLIENT_REPLY_SKIP = 1u << 6,
    CLIENT_REPLY_SKIP_NEXT = 1u << 7,
    CLIENT_PROTECTED = 1u << 8,
    CLIENT_PENDING_COMMAND = 1u << 9,
    CLIENT_READ_PAUSED = 1u << 10,
    CLIENT_UNIX = 1u << 11,
    CLIENT_MULTI = 1u << 12,
    CLIENT_BLOCKED = 1u << 13,
    CLIENT_PAUSED = 1u << 14,
    CLIENT_REPLICA = 1u << 15,
    CLIENT_MASTER = 1u << 16,
    CLIENT_FAKE = 1u << 17,
};

/* One argument of the current command: a slice of the input buffer, valid
 * until the command returns. */
typedef struct arg {
    const char *p;
    size_t n;
} arg_t;

typedef struct client client_t;
struct client {
    uint32_t magic;
    uint64_t id;
    conn_t *conn; /* NULL for fake clients and after the conn closed. */
    req_parser_t parser;
    reply_t reply;
    buf_chain_t fake_out; /* Reply sink of connection-less clients. */
    db_t *db;
    int resp;
    uint32_t flags;
    str_t *name;
    str_t *lib_name;
    str_t *lib_ver;
    bool authenticated;
    int64_t ctime_ms;          /* Creation, wall clock. */
    int64_t last_interaction;  /* Monotonic ms of the last read or command. */
    int64_t obuf_soft_since;   /* Monotonic ms the soft limit was first passed, 0 if not. */
    size_t obuf_peak;
    uint64_t commands_processed;
    long long woff; /* The replication offset after its last write (WAIT). */

    /* The command being run. */
    int argc;
    arg_t *argv;
    int argv_cap;
    cmd_t *cmd;
    cmd_t *lastcmd;
    const char *cmd_error; /* Set when the command replied with an error. */

    TAILQ_ENTRY(client) link;      /* srv.clients */
    TAILQ_ENTRY(client) close_link; /* srv.clients_to_close */
    bool on_close_list;
    TAILQ_ENTRY(client) monitor_link;

    /* Per-feature state, owned by its module (NULL until first used). */
    struct pubsub_client *pubsub; /* server/pubsub.c */
    struct multi_state *multi;    /* server/multi.c: MULTI queue, WATCH */
    struct block_state *block;    /* server/blocking.c: keys waited on */
    struct repl_replica *repl;    /* server/repl.c: replica link (REPLCONF/PSYNC) */
};

/* Creates a client for an accepted connection and registers it. */
client_t *client_new(conn_t *conn);
/* A client without a connection (for replaying commands). */
client_t *client_new_fake(void);
/* Schedules a client to be freed at the next safe point. */
void client_free_async(client_t *c);
/* Frees a client now (never from within its own command). */
void client_free(client_t *c);
/* Frees every client scheduled with client_free_async. */
void client_free_pending(void);

/* The bytes of argument i, and a comparison helper. */
static inline bool arg_is(const arg_t *a, const char *lit)
{
    size_t n = 0;
    while (lit[n] != '\0')
        n++;
    if (a->n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a->p[i], y = lit[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}
static inline key_ref_t arg_key(const arg_t *a)
{
    return key_ref(a->p, a->n);
}

/* Output to the client, honoring CLIENT REPLY. */
static inline reply_t *client_reply(client_t *c)
{
    return &c->reply;
}

/* Checks the output buffer limits; closes the client if passed. Returns
 * true if it is being closed. */
bool client_check_obuf_limits(client_t *c);
/* Bytes of output queued. */
size_t client_obuf_size(const client_t *c);
/* The client's class for output limits. */
int client_class(const client_t *c);
/* CLIENT LIST / CLIENT INFO line for c (appended to s). */
str_t *client_info_line(str_t *s, const client_t *c);
/* Continues processing buffered input (after unpause / unblock). */
void client_process_input(client_t *c);
/* Points argv at the pending command's arguments again (the input buffer
 * may have moved while the client was blocked). */
void client_refresh_argv(client_t *c);
/* The pending command of an unblocked client has replied: drops it and
 * processes the input that followed it. */
void client_command_done(client_t *c);
/* enable-protected-configs allows c to change protected options. */
bool client_may_set_protected(const client_t *c);
/* Peer address "ip:port". */
const char *client_peer(const client_t *c);

#endif
