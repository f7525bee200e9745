/*
 * CLIENT subcommands: ID, INFO, LIST, SETNAME, GETNAME, SETINFO, KILL,
 * PAUSE, UNPAUSE, REPLY, NO-EVICT and HELP. The per-client text line comes
 * from client_info_line; pausing itself is enforced by the dispatcher.
 */
#include <config.h>

#include <string.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/strconv.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/dispatch.h"
#include "server/server.h"

/* Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them. */
enum client_type {
    CLIENT_TYPE_NORMAL = 0,
    CLIENT_TYPE_REPLICA,
    CLIENT_TYPE_PUBSUB,
    CLIENT_TYPE_MASTER,
};

static int client_type(const client_t *c)
{
    if (c->flags & CLIENT_MASTER)
        return CLIENT_TYPE_MASTER;
    if ((c->flags & CLIENT_REPLICA) && !(c->flags & CLIENT_MONITOR))
        return CLIENT_TYPE_REPLICA;
    if (c->flags & CLIENT_PUBSUB)
        return CLIENT_TYPE_PUBSUB;
    return CLIENT_TYPE_NORMAL;
}

/* Parses a type name; -1 when unknown. */
static int client_type_parse(const arg_t *a)
{
    if (arg_is(a, "normal"))
        return CLIENT_TYPE_NORMAL;
    if (arg_is(a, "replica") || arg_is(a, "slave"))
        return CLIENT_TYPE_REPLICA;
    if (arg_is(a, "pubsub"))
        return CLIENT_TYPE_PUBSUB;
    if (arg_is(a, "master"))
        return CLIENT_TYPE_MASTER;
    return -1;
}

static client_t *client_by_id(uint64_t id)
{
    client_t *c;
    TAILQ_FOREACH(c, &srv.clients, link)
    {
        if (c->id == id)
            return c;
    }
    return NULL;
}

/* Names, lib-name and lib-ver are printed space-separated in CLIENT LIST,
 * so they may hold only visible ASCII. */
static bool visible_ascii(const arg_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->p[i] < '!' || a->p[i] > '~')
            return false;
    return true;
}

/* Replaces *slot with the argument's bytes, or clears it when empty. */
static void set_optional_str(str_t **slot, const arg_t *a)
{
    if (*slot != NULL)
        str_free(*slot);
    *slot = a->n > 0 ? str_new(a->p, a->n) : NULL;
}

/* Redis's reply for a subcommand given the wrong number of arguments. */
static void reply_sub_syntax(client_t *c, const char *parent)
{
    reply_errorf(&c->reply,
                 "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                 "Try %s HELP.",
                 (int)c->argv[1].n, c->argv[1].p, parent);
}

/* ============================ simple ones ============================ */

void cmd_client_id(client_t *c)
{
    reply_int(&c->reply, (long long)c->id);
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when the client was blocked on keys
 * and got its timeout (or error) reply. */
void cmd_client_unblock(client_t *c)
{
    if (c->argc > 4) {
        reply_errorf(&c->reply, "ERR unknown subcommand or wrong number of arguments for "
                                "'unblock'. Try CLIENT HELP.");
        return;
    }
    long long id;
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &id) != 0) {
        reply_not_integer(c);
        return;
    }
    bool error = false;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "error")) {
            error = true;
        } else if (!arg_is(&c->argv[3], "timeout")) {
            reply_error(&c->reply, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    client_t *target = client_by_id((uint64_t)id);
    reply_int(&c->reply, target != NULL && blocking_unblock(target, error) ? 1 : 0);
}

void cmd_client_info(client_t *c)
{
    str_t *s = client_info_line(str_new_cap(256), c);
    s = str_cat_cstr(s, "\n");
    reply_verbatim(&c->reply, s->buf, s->len, "txt");
    str_free(s);
}

void cmd_client_getname(client_t *c)
{
    if (c->name != NULL)
        reply_bulk(&c->reply, c->name->buf, c->name->len);
    else
        reply_null(&c->reply);
}

void cmd_client_setname(client_t *c)
{
    if (!visible_ascii(&c->argv[2])) {
        reply_error(&c->reply,
                    "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    set_optional_str(&c->name, &c->argv[2]);
    reply_ok(&c->reply);
}

void cmd_client_setinfo(client_t *c)
{
    str_t **slot;
    const char *attr;
    if (arg_is(&c->argv[2], "lib-name")) {
        slot = &c->lib_name;
        attr = "lib-name";
    } else if (arg_is(&c->argv[2], "lib-ver")) {
        slot = &c->lib_ver;
        attr = "lib-ver";
    } else {
        reply_errorf(&c->reply, "ERR Unrecognized option '%.*s'", (int)c->argv[2].n,
                     c->argv[2].p);
        return;
    }
    if (!visible_ascii(&c->argv[3])) {
        reply_errorf(&c->reply, "ERR %s cannot contain spaces, newlines or special characters.",
                     attr);
        return;
    }
    set_optional_str(slot, &c->argv[3]);
    reply_ok(&c->reply);
}

void cmd_client_no_evict(client_t *c)
{
    if (arg_is(&c->argv[2], "on")) {
        c->flags |= CLIENT_NO_EVICT;
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags &= ~CLIENT_NO_EVICT;
    } else {
        reply_syntax_error(c);
        return;
    }
    reply_ok(&c->reply);
}

/* OFF and SKIP answer nothing; ON answers OK even when replies were off,
 * so the output is reconnected before replying. */
void cmd_client_reply(client_t *c)
{
    if (arg_is(&c->argv[2], "on")) {
        c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT);
        c->reply.out = c->conn != NULL ? &c->conn->out : NULL;
        reply_ok(&c->reply);
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (arg_is(&c->argv[2], "skip")) {
        if (!(c->flags & CLIENT_REPLY_OFF))
            c->flags |= CLIENT_REPLY_SKIP_NEXT;
    } else {
        reply_syntax_error(c);
    }
}

static const char *const client_help[] = {
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    NULL,
};

void cmd_client_help(client_t *c)
{
    reply_help(&c->reply, "CLIENT", client_help);
}

/* ================================ LIST =============================== */

static str_t *list_line(str_t *s, const client_t *c)
{
    s = client_info_line(s, c);
    return str_cat_cstr(s, "\n");
}

/* CLIENT LIST ID id [id ...]: the clients in the order asked. */
static void list_by_ids(client_t *c)
{
    int n = c->argc - 3;
    long long *ids = alloc_malloc(sizeof(long long) * (size_t)n);
    for (int i = 0; i < n; i++) {
        const arg_t *a = &c->argv[3 + i];
        if (strconv_to_ll(a->p, a->n, &ids[i]) != 0) {
            alloc_free(ids);
            reply_error(&c->reply, "ERR Invalid client ID");
            return;
        }
    }
    str_t *s = str_new_cap(256);
    for (int i = 0; i < n; i++) {
        const client_t *other = ids[i] > 0 ? client_by_id((uint64_t)ids[i]) : NULL;
        if (other != NULL)
            s = list_line(s, other);
    }
    alloc_free(ids);
    reply_verbatim(&c->reply, s->buf, s->len, "txt");
    str_free(s);
}

void cmd_client_list(client_t *c)
{
    int type = -1;
    if (c->argc >= 4 && arg_is(&c->argv[2], "id")) {
        list_by_ids(c);
        return;
    }
    if (c->argc == 4 && arg_is(&c->argv[2], "type")) {
        type = client_type_parse(&c->argv[3]);
        if (type < 0) {
            reply_errorf(&c->reply, "ERR Unknown client type '%.*s'", (int)c->argv[3].n,
                         c->argv[3].p);
            return;
        }
    } else if (c->argc != 2) {
        reply_syntax_error(c);
        return;
    }
    str_t *s = str_new_cap(256);
    const client_t *other;
    TAILQ_FOREACH(other, &srv.clients, link)
    {
        if (type < 0 || client_type(other) == type)
            s = list_line(s, other);
    }
    reply_verbatim(&c->reply, s->buf, s->len, "txt");
    str_free(s);
}

/* ================================ KILL =============================== */

/* Filters of the new CLIENT KILL form; unset ones match every client. */
typedef struct kill_filter {
    long long id;       /* 0: any. */
    int type;           /* -1: any. */
    const arg_t *addr;  /* NULL: any. */
    const arg_t *laddr; /* NULL: any. */
    bool skipme;
} kill_filter_t;

static bool addr_is(const char *have, const arg_t *want)
{
    return strlen(have) == want->n && memcmp(have, want->p, want->n) == 0;
}

static bool kill_matches(const kill_filter_t *f, const client_t *self, const client_t *c)
{
    if (f->skipme && c == self)
        return false;
    if (f->id != 0 && c->id != (uint64_t)f->id)
        return false;
    if (f->type >= 0 && client_type(c) != f->type)
        return false;
    if (f->addr != NULL && !addr_is(client_peer(c), f->addr))
        return false;
    if (f->laddr != NULL && !addr_is(c->conn != NULL ? c->conn->local : "", f->laddr))
        return false;
    return true;
}

/* Parses one "option value" pair; replies and returns false on error. */
static bool kill_option(client_t *c, const arg_t *opt, const arg_t *val, kill_filter_t *f)
{
    if (arg_is(opt, "id")) {
        if (strconv_to_ll(val->p, val->n, &f->id) != 0 || f->id <= 0) {
            reply_error(&c->reply, "ERR client-id should be greater than 0");
            return false;
        }
    } else if (arg_is(opt, "type")) {
        f->type = client_type_parse(val);
        if (f->type < 0) {
            reply_errorf(&c->reply, "ERR Unknown client type '%.*s'", (int)val->n, val->p);
            return false;
        }
    } else if (arg_is(opt, "addr")) {
        f->addr = val;
    } else if (arg_is(opt, "laddr")) {
        f->laddr = val;
    } else if (arg_is(opt, "user")) {
        /* Only the default user exists; every client is authenticated as it. */
        if (!arg_is(val, "default")) {
            reply_errorf(&c->reply, "ERR No such user '%.*s'", (int)val->n, val->p);
            return false;
        }
    } else if (arg_is(opt, "skipme")) {
        if (arg_is(val, "yes")) {
            f->skipme = true;
        } else if (arg_is(val, "no")) {
            f->skipme = false;
        } else {
            reply_syntax_error(c);
            return false;
        }
    } else {
        reply_syntax_error(c);
        return false;
    }
    return true;
}

/* Closes c: the caller after its reply is written, others at once. */
static void kill_one(client_t *self, client_t *c)
{
    if (c == self)
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    else
        client_free_async(c);
}

static long long kill_matching(client_t *self, const kill_filter_t *f)
{
    long long killed = 0;
    client_t *c, *tmp;
    for (c = TAILQ_FIRST(&srv.clients); c != NULL; c = tmp) {
        tmp = TAILQ_NEXT(c, link);
        if (!kill_matches(f, self, c))
            continue;
        kill_one(self, c);
        killed++;
    }
    return killed;
}

/* The old form, CLIENT KILL ip:port, which may kill the caller too. */
static void kill_by_addr(client_t *c)
{
    kill_filter_t f = {0, -1, &c->argv[2], NULL, false};
    if (kill_matching(c, &f) == 0) {
        reply_error(&c->reply, "ERR No such client");
        return;
    }
    reply_ok(&c->reply);
}

void cmd_client_kill(client_t *c)
{
    if (c->argc == 3) {
        kill_by_addr(c);
        return;
    }
    kill_filter_t f = {0, -1, NULL, NULL, true};
    for (int i = 2; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            reply_syntax_error(c);
            return;
        }
        if (!kill_option(c, &c->argv[i], &c->argv[i + 1], &f))
            return;
    }
    reply_int(&c->reply, kill_matching(c, &f));
}

/* ============================= PAUSE ================================= */

static uv_timer_t unpause_timer;
static bool unpause_timer_ready;

static void unpause_cb(uv_timer_t *t)
{
    UNUSED(t);
    if (srv.pause_end_ms == 0)
        server_unpause_clients();
}

void cmd_client_pause(client_t *c)
{
    if (c->argc > 4) {
        reply_sub_syntax(c, "CLIENT");
        return;
    }
    bool all = true;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "write")) {
            all = false;
        } else if (!arg_is(&c->argv[3], "all")) {
            reply_error(&c->reply, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    long long ms;
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &ms) != 0) {
        reply_error(&c->reply, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(&c->reply, "ERR timeout is negative");
        return;
    }
    int64_t now = clock_mono_ms();
    int64_t end = ms > INT64_MAX - now ? INT64_MAX : now + ms;
    /* A second pause never shortens or weakens the one in force. */
    if (srv.pause_end_ms != 0) {
        all = all || srv.pause_all;
        if (srv.pause_end_ms > end)
            end = srv.pause_end_ms;
    }
    srv.pause_end_ms = end > 0 ? end : 1;
    srv.pause_all = all;
    reply_ok(&c->reply);
}

/* Paused clients resume from a zero timer, outside of this command, so
 * their commands never run nested inside ours. */
void cmd_client_unpause(client_t *c)
{
    srv.pause_end_ms = 0;
    if (!unpause_timer_ready) {
        uv_timer_init(srv.loop.uv, &unpause_timer);
        unpause_timer_ready = true;
    }
    uv_timer_start(&unpause_timer, unpause_cb, 0, 0);
    reply_ok(&c->reply);
}
