/*
 * COMMAND and its subcommands: introspection of the command table (INFO,
 * DOCS, COUNT, LIST, GETKEYS, GETKEYSANDFLAGS, HELP) in Redis 7.0's reply
 * shapes for RESP2 and RESP3. The table is commands.c; the documentation
 * is command_docs.c.
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/strconv.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/command_docs.h"
#include "server/commands.h"
#include "server/dispatch.h"

/* ============================ lookup ================================== */

/* Finds a command by "name" or "container|sub" (case-insensitive), as
 * COMMAND INFO and DOCS accept them; NULL when unknown. */
static cmd_t *lookup_fullname(const char *p, size_t n)
{
    const char *bar = memchr(p, '|', n);
    if (bar == NULL)
        return commands_lookup(p, n);
    cmd_t *parent = commands_lookup(p, (size_t)(bar - p));
    if (parent == NULL || parent->subs == NULL)
        return NULL;
    const char *sub = bar + 1;
    size_t sublen = n - (size_t)(sub - p);
    if (memchr(sub, '|', sublen) != NULL)
        return NULL;
    return commands_lookup_sub(parent, sub, sublen);
}

/* Finds the command a full argument vector would run: the container's
 * subcommand when there is one, else the command itself. */
static cmd_t *lookup_argv(const arg_t *argv, int argc)
{
    cmd_t *cmd = commands_lookup(argv[0].p, argv[0].n);
    if (cmd == NULL || cmd->subs == NULL || argc == 1)
        return cmd;
    return commands_lookup_sub(cmd, argv[1].p, argv[1].n);
}

static const command_doc_t *doc_of(const cmd_t *cmd)
{
    return command_docs_find(cmd->fullname);
}

/* ============================ COMMAND INFO ============================ */

/* The command flags COMMAND INFO shows, in Redis's order; may_replicate,
 * sentinel, only_sentinel and protected stay hidden as in Redis. */
static const uint64_t visible_flags[] = {
    CMD_WRITE, CMD_READONLY, CMD_DENYOOM, CMD_MODULE, CMD_ADMIN, CMD_PUBSUB,
    CMD_NOSCRIPT, CMD_BLOCKING, CMD_LOADING, CMD_STALE, CMD_SKIP_MONITOR,
    CMD_SKIP_SLOWLOG, CMD_ASKING, CMD_FAST, CMD_NO_AUTH, CMD_NO_MANDATORY_KEYS,
    CMD_NO_ASYNC_LOADING, CMD_NO_MULTI, CMD_MOVABLE_KEYS, CMD_ALLOW_BUSY,
};

static void reply_cmd_flags(reply_t *r, const cmd_t *cmd)
{
    int n = 0;
    for (size_t i = 0; i < ARRAY_LEN(visible_flags); i++)
        if (cmd->flags & visible_flags[i])
            n++;
    reply_set(r, n);
    for (size_t i = 0; i < ARRAY_LEN(visible_flags); i++)
        if (cmd->flags & visible_flags[i])
            reply_status(r, commands_flag_name(visible_flags[i]));
}

static void reply_acl_cats(reply_t *r, const cmd_t *cmd)
{
    int n = 0;
    for (int i = 0; i < 64; i++)
        if ((cmd->acl & (1ULL << i)) && commands_acl_name(1ULL << i) != NULL)
            n++;
    reply_set(r, n);
    for (int i = 0; i < 64; i++) {
        const char *name = commands_acl_name(1ULL << i);
        if ((cmd->acl & (1ULL << i)) && name != NULL) {
            char tmp[64];
            tmp[0] = '@';
            strncpy(tmp + 1, name, sizeof(tmp) - 2);
            tmp[sizeof(tmp) - 1] = '\0';
            reply_status(r, tmp);
        }
    }
}

static void reply_tips(reply_t *r, const command_doc_t *d)
{
    int n = d != NULL ? d->ntips : 0;
    reply_set(r, n);
    for (int i = 0; i < n; i++)
        reply_bulk_cstr(r, d->tips[i]);
}

/* Key spec flag names in Redis's order (the enum keyspec_flag bit order). */
static const char *const keyspec_flag_names[] = {
    "RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
    "not_key", "incomplete", "variable_flags",
};

static void reply_keyspec_flags(reply_t *r, unsigned flags)
{
    int n = 0;
    for (size_t i = 0; i < ARRAY_LEN(keyspec_flag_names); i++)
        if (flags & (1u << i))
            n++;
    reply_set(r, n);
    for (size_t i = 0; i < ARRAY_LEN(keyspec_flag_names); i++)
        if (flags & (1u << i))
            reply_status(r, keyspec_flag_names[i]);
}

static void reply_begin_search(reply_t *r, const keyspec_t *ks)
{
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    if (ks->begin == KSB_INDEX) {
        reply_bulk_cstr(r, "index");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 1);
        reply_bulk_cstr(r, "index");
        reply_int(r, ks->bs_pos);
    } else if (ks->begin == KSB_KEYWORD) {
        reply_bulk_cstr(r, "keyword");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 2);
        reply_bulk_cstr(r, "keyword");
        reply_bulk_cstr(r, ks->bs_keyword);
        reply_bulk_cstr(r, "startfrom");
        reply_int(r, ks->bs_pos);
    } else {
        reply_bulk_cstr(r, "unknown");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 0);
    }
}

static void reply_find_keys(reply_t *r, const keyspec_t *ks)
{
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    if (ks->find == KSF_RANGE) {
        reply_bulk_cstr(r, "range");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 3);
        reply_bulk_cstr(r, "lastkey");
        reply_int(r, ks->fk_a);
        reply_bulk_cstr(r, "keystep");
        reply_int(r, ks->fk_b);
        reply_bulk_cstr(r, "limit");
        reply_int(r, ks->fk_c);
    } else if (ks->find == KSF_KEYNUM) {
        reply_bulk_cstr(r, "keynum");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 3);
        reply_bulk_cstr(r, "keynumidx");
        reply_int(r, ks->fk_a);
        reply_bulk_cstr(r, "firstkey");
        reply_int(r, ks->fk_b);
        reply_bulk_cstr(r, "keystep");
        reply_int(r, ks->fk_c);
    } else {
        reply_bulk_cstr(r, "unknown");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 0);
    }
}

static void reply_keyspecs(reply_t *r, const cmd_t *cmd, const command_doc_t *d)
{
    reply_set(r, cmd->nkeyspecs);
    for (int i = 0; i < cmd->nkeyspecs; i++) {
        const keyspec_t *ks = &cmd->keyspecs[i];
        const char *notes = NULL;
        if (d != NULL && i < d->nkeyspec_notes)
            notes = d->keyspec_notes[i];
        reply_map(r, notes != NULL ? 4 : 3);
        if (notes != NULL) {
            reply_bulk_cstr(r, "notes");
            reply_bulk_cstr(r, notes);
        }
        reply_bulk_cstr(r, "flags");
        reply_keyspec_flags(r, ks->flags);
        reply_bulk_cstr(r, "begin_search");
        reply_begin_search(r, ks);
        reply_bulk_cstr(r, "find_keys");
        reply_find_keys(r, ks);
    }
}

/* One COMMAND INFO entry: name, arity, flags, first key, last key, step,
 * ACL categories, tips, key specs, subcommands (an empty set for commands
 * without subcommands, as Redis replies). */
static void reply_info(reply_t *r, const cmd_t *cmd)
{
    const command_doc_t *d = doc_of(cmd);
    int first, last, step;
    commands_legacy_range(cmd, &first, &last, &step);
    reply_array(r, 10);
    reply_bulk_cstr(r, cmd->fullname);
    reply_int(r, cmd->arity);
    reply_cmd_flags(r, cmd);
    reply_int(r, first);
    reply_int(r, last);
    reply_int(r, step);
    reply_acl_cats(r, cmd);
    reply_tips(r, d);
    reply_keyspecs(r, cmd, d);
    if (cmd->subs == NULL) {
        reply_set(r, 0);
        return;
    }
    reply_array(r, cmd->nsubs);
    for (int i = 0; i < cmd->nsubs; i++)
        reply_info(r, cmd->subs[i]);
}

static void reply_info_all(reply_t *r)
{
    int n = commands_count();
    reply_array(r, n);
    for (int i = 0; i < n; i++)
        reply_info(r, commands_at(i));
}

void cmd_command(client_t *c)
{
    reply_info_all(&c->reply);
}

void cmd_command_info(client_t *c)
{
    if (c->argc == 2) {
        reply_info_all(&c->reply);
        return;
    }
    reply_array(&c->reply, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        cmd_t *cmd = lookup_fullname(c->argv[i].p, c->argv[i].n);
        if (cmd == NULL)
            reply_null(&c->reply);
        else
            reply_info(&c->reply, cmd);
    }
}

void cmd_command_count(client_t *c)
{
    reply_int(&c->reply, commands_count());
}

/* ============================ COMMAND DOCS ============================ */

static void reply_arg_flags(reply_t *r, unsigned flags)
{
    static const char *const names[] = {"optional", "multiple", "multiple_token"};
    int n = 0;
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (flags & (1u << i))
            n++;
    reply_set(r, n);
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (flags & (1u << i))
            reply_status(r, names[i]);
}

static void reply_str_field(reply_t *r, const char *name, const char *value)
{
    if (value == NULL)
        return;
    reply_bulk_cstr(r, name);
    reply_bulk_cstr(r, value);
}

static void reply_args(reply_t *r, const command_arg_t *args, int n)
{
    reply_array(r, n);
    for (int i = 0; i < n; i++) {
        const command_arg_t *a = &args[i];
        int len = 2 + (a->display_text != NULL) + (a->key_spec_index >= 0) +
                  (a->token != NULL) + (a->summary != NULL) + (a->since != NULL) +
                  (a->deprecated_since != NULL) + (a->flags != 0) + (a->nsubargs > 0);
        reply_map(r, len);
        reply_str_field(r, "name", a->name);
        reply_str_field(r, "type", a->type);
        reply_str_field(r, "display_text", a->display_text);
        if (a->key_spec_index >= 0) {
            reply_bulk_cstr(r, "key_spec_index");
            reply_int(r, a->key_spec_index);
        }
        reply_str_field(r, "token", a->token);
        reply_str_field(r, "summary", a->summary);
        reply_str_field(r, "since", a->since);
        reply_str_field(r, "deprecated_since", a->deprecated_since);
        if (a->flags != 0) {
            reply_bulk_cstr(r, "flags");
            reply_arg_flags(r, a->flags);
        }
        if (a->nsubargs > 0) {
            reply_bulk_cstr(r, "arguments");
            reply_args(r, a->subargs, a->nsubargs);
        }
    }
}

static void reply_doc_flags(reply_t *r, unsigned flags)
{
    int n = ((flags & CMD_DOC_DEPRECATED) != 0) + ((flags & CMD_DOC_SYSCMD) != 0);
    reply_set(r, n);
    if (flags & CMD_DOC_DEPRECATED)
        reply_status(r, "deprecated");
    if (flags & CMD_DOC_SYSCMD)
        reply_status(r, "syscmd");
}

/* History is a set of [version, text] pairs (an array in RESP2). */
static void reply_history(reply_t *r, const command_doc_t *d)
{
    reply_set(r, d->nhistory);
    for (int i = 0; i < d->nhistory; i++) {
        reply_array(r, 2);
        reply_bulk_cstr(r, d->history[i].version);
        reply_bulk_cstr(r, d->history[i].text);
    }
}

/* One command's documentation map, with its subcommands' maps nested. A
 * command without generated documentation still reports its group and
 * version from the table. */
static void reply_doc(reply_t *r, const cmd_t *cmd)
{
    static const command_doc_t empty;
    const command_doc_t *d = doc_of(cmd);
    if (d == NULL)
        d = &empty;
    const char *since = d->since != NULL ? d->since : cmd->since;
    const char *group = d->group != NULL ? d->group : cmd->group;
    int len = 1 + (d->summary != NULL) + (since != NULL) + (d->complexity != NULL) +
              (d->doc_flags != 0) + (d->deprecated_since != NULL) +
              (d->replaced_by != NULL) + (d->nhistory > 0) + (d->nargs > 0) +
              (cmd->subs != NULL);
    reply_map(r, len);
    reply_str_field(r, "summary", d->summary);
    reply_str_field(r, "since", since);
    reply_str_field(r, "group", group != NULL ? group : "generic");
    reply_str_field(r, "complexity", d->complexity);
    if (d->doc_flags != 0) {
        reply_bulk_cstr(r, "doc_flags");
        reply_doc_flags(r, d->doc_flags);
    }
    reply_str_field(r, "deprecated_since", d->deprecated_since);
    reply_str_field(r, "replaced_by", d->replaced_by);
    if (d->nhistory > 0) {
        reply_bulk_cstr(r, "history");
        reply_history(r, d);
    }
    if (d->nargs > 0) {
        reply_bulk_cstr(r, "arguments");
        reply_args(r, d->args, d->nargs);
    }
    if (cmd->subs != NULL) {
        reply_bulk_cstr(r, "subcommands");
        reply_map(r, cmd->nsubs);
        for (int i = 0; i < cmd->nsubs; i++) {
            reply_bulk_cstr(r, cmd->subs[i]->fullname);
            reply_doc(r, cmd->subs[i]);
        }
    }
}

void cmd_command_docs(client_t *c)
{
    reply_t *r = &c->reply;
    if (c->argc == 2) {
        int n = commands_count();
        reply_map(r, n);
        for (int i = 0; i < n; i++) {
            reply_bulk_cstr(r, commands_at(i)->fullname);
            reply_doc(r, commands_at(i));
        }
        return;
    }
    /* Unknown names are left out of the map. */
    reply_defer_t d = reply_defer(r);
    int found = 0;
    for (int i = 2; i < c->argc; i++) {
        cmd_t *cmd = lookup_fullname(c->argv[i].p, c->argv[i].n);
        if (cmd == NULL)
            continue;
        reply_bulk_cstr(r, cmd->fullname);
        reply_doc(r, cmd);
        found++;
    }
    reply_defer_map(r, d, found);
}

/* ============================ COMMAND LIST ============================ */

enum list_filter { LIST_ALL, LIST_MODULE, LIST_ACLCAT, LIST_PATTERN };

typedef struct list_query {
    int filter;
    uint64_t cat;
    const arg_t *pattern;
} list_query_t;

static bool list_match(const list_query_t *q, const cmd_t *cmd)
{
    switch (q->filter) {
    case LIST_MODULE:
        return false; /* No module commands exist. */
    case LIST_ACLCAT:
        return (cmd->acl & q->cat) != 0;
    case LIST_PATTERN:
        return strconv_glob_match(q->pattern->p, q->pattern->n, cmd->fullname,
                                  strlen(cmd->fullname), true);
    default:
        return true;
    }
}

/* The bit of an ACL category name (without '@'), or 0 when unknown. */
static uint64_t acl_cat_by_name(const arg_t *a)
{
    for (int i = 0; i < 64; i++) {
        const char *name = commands_acl_name(1ULL << i);
        if (name != NULL && strlen(name) == a->n && strncasecmp(name, a->p, a->n) == 0)
            return 1ULL << i;
    }
    return 0;
}

static int list_walk(reply_t *r, const list_query_t *q, const cmd_t *cmd)
{
    int n = 0;
    if (list_match(q, cmd)) {
        reply_bulk_cstr(r, cmd->fullname);
        n++;
    }
    for (int i = 0; i < cmd->nsubs; i++)
        n += list_walk(r, q, cmd->subs[i]);
    return n;
}

void cmd_command_list(client_t *c)
{
    list_query_t q = {LIST_ALL, 0, NULL};
    if (c->argc == 5 && arg_is(&c->argv[2], "filterby")) {
        const arg_t *how = &c->argv[3];
        if (arg_is(how, "module")) {
            q.filter = LIST_MODULE;
        } else if (arg_is(how, "aclcat")) {
            q.filter = LIST_ACLCAT;
            q.cat = acl_cat_by_name(&c->argv[4]);
        } else if (arg_is(how, "pattern")) {
            q.filter = LIST_PATTERN;
            q.pattern = &c->argv[4];
        } else {
            reply_syntax_error(c);
            return;
        }
    } else if (c->argc != 2) {
        reply_syntax_error(c);
        return;
    }
    if (q.filter == LIST_ACLCAT && q.cat == 0) {
        reply_empty_array(&c->reply);
        return;
    }
    reply_defer_t d = reply_defer(&c->reply);
    int n = 0;
    for (int i = 0; i < commands_count(); i++)
        n += list_walk(&c->reply, &q, commands_at(i));
    reply_defer_array(&c->reply, d, n);
}

/* ============================ COMMAND GETKEYS ========================= */

static bool arity_fits(const cmd_t *cmd, int argc)
{
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

static void getkeys(client_t *c, bool with_flags)
{
    const arg_t *argv = c->argv + 2;
    int argc = c->argc - 2;
    cmd_t *cmd = lookup_argv(argv, argc);
    if (cmd == NULL) {
        reply_error(&c->reply, "ERR Invalid command specified");
        return;
    }
    if (!commands_has_keys(cmd)) {
        reply_error(&c->reply, "ERR The command has no key arguments");
        return;
    }
    if (!arity_fits(cmd, argc)) {
        reply_error(&c->reply, "ERR Invalid number of arguments specified for command");
        return;
    }
    cmd_key_t *keys = alloc_malloc(sizeof(cmd_key_t) * (size_t)argc);
    int n = commands_find_keys(cmd, argc, argv, keys, argc);
    if (n <= 0) {
        if (cmd->flags & CMD_NO_MANDATORY_KEYS)
            reply_empty_array(&c->reply);
        else
            reply_error(&c->reply, "ERR Invalid arguments specified for command");
        alloc_free(keys);
        return;
    }
    reply_array(&c->reply, n);
    for (int i = 0; i < n; i++) {
        const arg_t *k = &argv[keys[i].pos];
        if (with_flags) {
            reply_array(&c->reply, 2);
            reply_bulk(&c->reply, k->p, k->n);
            reply_keyspec_flags(&c->reply, keys[i].flags);
        } else {
            reply_bulk(&c->reply, k->p, k->n);
        }
    }
    alloc_free(keys);
}

void cmd_command_getkeys(client_t *c)
{
    getkeys(c, false);
}

void cmd_command_getkeysandflags(client_t *c)
{
    getkeys(c, true);
}

/* ============================ COMMAND HELP ============================ */

void cmd_command_help(client_t *c)
{
    static const char *const lines[] = {
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        NULL,
    };
    reply_help(&c->reply, "COMMAND", lines);
}
