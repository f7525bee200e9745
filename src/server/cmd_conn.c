/*
 * Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT.
 */
#include <config.h>

#include <string.h>

#include "core/strconv.h"
#include "server/cmd_handlers.h"
#include "server/client.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/multi.h"
#include "server/pubsub.h"
#include "server/server.h"

void cmd_ping(client_t *c)
{
    if (c->argc > 2) {
        reply_wrong_arity(c);
        return;
    }
    if ((c->flags & CLIENT_PUBSUB) && c->resp == 2) {
        reply_array(&c->reply, 2);
        reply_bulk(&c->reply, "pong", 4);
        if (c->argc == 1)
            reply_bulk(&c->reply, "", 0);
        else
            reply_bulk(&c->reply, c->argv[1].p, c->argv[1].n);
        return;
    }
    if (c->argc == 1)
        reply_status(&c->reply, "PONG");
    else
        reply_bulk(&c->reply, c->argv[1].p, c->argv[1].n);
}

void cmd_echo(client_t *c)
{
    reply_bulk(&c->reply, c->argv[1].p, c->argv[1].n);
}

void cmd_quit(client_t *c)
{
    reply_ok(&c->reply);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static bool password_ok(const arg_t *pass)
{
    size_t n = strlen(cfg.requirepass);
    /* Compare every byte regardless of where the first mismatch is. */
    unsigned diff = (unsigned)(n ^ pass->n);
    for (size_t i = 0; i < pass->n; i++)
        diff |= (unsigned)(unsigned char)pass->p[i] ^
                (unsigned)(unsigned char)(i < n ? cfg.requirepass[i] : 0);
    return diff == 0;
}

static bool no_password(void)
{
    return cfg.requirepass == NULL || cfg.requirepass[0] == '\0';
}

/* Checks user/password for the default user; replies with an error and
 * returns false when they do not match. */
static bool check_auth(client_t *c, const arg_t *user, const arg_t *pass)
{
    bool ok;
    if (user != NULL && !arg_is(user, "default"))
        ok = false;
    else if (no_password())
        ok = true;
    else
        ok = password_ok(pass);
    if (!ok) {
        reply_error(&c->reply, "WRONGPASS invalid username-password pair or user is disabled.");
        return false;
    }
    c->authenticated = true;
    return true;
}

void cmd_auth(client_t *c)
{
    if (c->argc > 3) {
        reply_syntax_error(c);
        return;
    }
    if (c->argc == 2 && no_password()) {
        reply_error(&c->reply,
                    "ERR AUTH <password> called without any password configured for the "
                    "default user. Are you sure your configuration is correct?");
        return;
    }
    const arg_t *user = c->argc == 3 ? &c->argv[1] : NULL;
    const arg_t *pass = &c->argv[c->argc - 1];
    if (check_auth(c, user, pass))
        reply_ok(&c->reply);
}

static void hello_reply(client_t *c)
{
    reply_map(&c->reply, 7);
    reply_bulk_cstr(&c->reply, "server");
    reply_bulk_cstr(&c->reply, "redis");
    reply_bulk_cstr(&c->reply, "version");
    reply_bulk_cstr(&c->reply, REDIS_COMPAT_VERSION);
    reply_bulk_cstr(&c->reply, "proto");
    reply_int(&c->reply, c->resp);
    reply_bulk_cstr(&c->reply, "id");
    reply_int(&c->reply, (long long)c->id);
    reply_bulk_cstr(&c->reply, "mode");
    reply_bulk_cstr(&c->reply, "standalone");
    reply_bulk_cstr(&c->reply, "role");
    reply_bulk_cstr(&c->reply, "master");
    reply_bulk_cstr(&c->reply, "modules");
    reply_empty_array(&c->reply);
}

void cmd_hello(client_t *c)
{
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (strconv_to_ll(c->argv[1].p, c->argv[1].n, &ver) != 0) {
            reply_error(&c->reply, "ERR Protocol version is not an integer or out of range");
            return;
        }
        next = 2;
        if (ver < 2 || ver > 3) {
            reply_error(&c->reply, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const arg_t *user = NULL, *pass = NULL, *name = NULL;
    for (int i = next; i < c->argc; i++) {
        int more = c->argc - i - 1;
        if (arg_is(&c->argv[i], "auth") && more >= 2) {
            user = &c->argv[i + 1];
            pass = &c->argv[i + 2];
            i += 2;
        } else if (arg_is(&c->argv[i], "setname") && more >= 1) {
            name = &c->argv[i + 1];
            i += 1;
        } else {
            reply_errorf(&c->reply, "ERR Syntax error in HELLO option '%.*s'",
                         (int)c->argv[i].n, c->argv[i].p);
            return;
        }
    }
    if (user != NULL && !check_auth(c, user, pass))
        return;
    if (!c->authenticated) {
        reply_error(&c->reply,
                    "NOAUTH HELLO must be called with the client already authenticated, "
                    "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                    "authenticate the client and select the RESP protocol version at the same "
                    "time");
        return;
    }
    if (name != NULL) {
        for (size_t i = 0; i < name->n; i++) {
            if (name->p[i] < '!' || name->p[i] > '~') {
                reply_error(&c->reply,
                            "ERR Client names cannot contain spaces, newlines or special "
                            "characters.");
                return;
            }
        }
        if (c->name != NULL)
            str_free(c->name);
        c->name = name->n > 0 ? str_new(name->p, name->n) : NULL;
    }
    if (ver != 0) {
        c->resp = (int)ver;
        c->reply.proto = (int)ver;
    }
    hello_reply(c);
}

void cmd_select(client_t *c)
{
    long long id;
    if (strconv_to_ll(c->argv[1].p, c->argv[1].n, &id) != 0) {
        reply_not_integer(c);
        return;
    }
    if (id < 0 || id >= srv.ndbs) {
        reply_error(&c->reply, "ERR DB index is out of range");
        return;
    }
    c->db = &srv.dbs[id];
    reply_ok(&c->reply);
}

void cmd_reset(client_t *c)
{
    multi_discard(c);
    pubsub_client_free(c);
    c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT |
                  CLIENT_NO_EVICT | CLIENT_PUBSUB);
    if (c->flags & CLIENT_MONITOR) {
        TAILQ_REMOVE(&srv.monitors, c, monitor_link);
        c->flags &= ~CLIENT_MONITOR;
    }
    if (c->conn != NULL)
        c->reply.out = &c->conn->out;
    c->db = &srv.dbs[0];
    c->resp = 2;
    c->reply.proto = 2;
    if (c->name != NULL) {
        str_free(c->name);
        c->name = NULL;
    }
    c->authenticated = no_password();
    reply_status(&c->reply, "RESET");
}
