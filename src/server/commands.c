#include <config.h>
#include "server/commands.h"

#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/dict.h"
#include "core/strconv.h"
#include "server/client.h"
#include "server/cmd_handlers.h"
#include "server/command_docs.h"

#define NOKEYS NULL, 0
#define KEYS(...)                                                              \
    (const keyspec_t[]){__VA_ARGS__},                                          \
        (int)(sizeof((keyspec_t[]){__VA_ARGS__}) / sizeof(keyspec_t))
#define KS_RANGE(fl, idx, last, step, limit)                                   \
    {(fl), KSB_INDEX, (idx), NULL, KSF_RANGE, (last), (step), (limit)}
#define KS_KW_RANGE(fl, kw, from, last, step, limit)                           \
    {(fl), KSB_KEYWORD, (from), (kw), KSF_RANGE, (last), (step), (limit)}
#define KS_KEYNUM(fl, idx, numidx, first, step)                                \
    {(fl), KSB_INDEX, (idx), NULL, KSF_KEYNUM, (numidx), (first), (step)}
#define KS_UNKNOWN(fl) {(fl), KSB_UNKNOWN, 0, NULL, KSF_UNKNOWN, 0, 0, 0}

static cmd_t top_table[] = {
#define CMD(name, proc, arity, flags, acl, group, since, keyspecs)             \
    {name, name, proc, arity, flags, acl, keyspecs, group, since, NULL, NULL,  \
     NULL, NULL, 0, 0, 0, 0, 0, 0, {0}},
#define CONTAINER(name, arity, flags, acl, group, since)                       \
    {name, name, NULL, arity, flags, acl, NULL, 0, group, since, NULL, NULL,   \
     NULL, NULL, 0, 0, 0, 0, 0, 0, {0}},
#include "server/commands.def"
};

typedef struct sub_def {
    const char *parent;
    cmd_t cmd;
} sub_def_t;

static sub_def_t sub_table[] = {
#define SUB(parent, name, proc, arity, flags, acl, since, keyspecs)            \
    {parent,                                                                   \
     {name, parent "|" name, proc, arity, flags, acl, keyspecs, NULL, since,   \
      NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, {0}}},
#include "server/commands.def"
    {NULL, {NULL, NULL, NULL, 0, 0, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL,
            NULL, 0, 0, 0, 0, 0, 0, {0}}},
};

static dict_t *by_name;

static uint64_t name_hash(const void *k)
{
    return dict_hash_bytes_nocase(k, strlen(k));
}

static int name_eq(const void *a, const void *b)
{
    return strcasecmp(a, b) == 0;
}

static const dict_type_t name_type = {name_hash, name_eq, NULL, NULL};

static bool movable_keys(const cmd_t *cmd);

/* Derives what Redis derives from the table at start: the ACL categories
 * implied by the flags, and the movablekeys flag from the key specs. */
static void derive(cmd_t *c)
{
    if (c->flags & CMD_WRITE)
        c->acl |= ACL_WRITE;
    if ((c->flags & CMD_READONLY) && !(c->acl & ACL_SCRIPTING))
        c->acl |= ACL_READ;
    if (c->flags & CMD_ADMIN)
        c->acl |= ACL_ADMIN | ACL_DANGEROUS;
    if (c->flags & CMD_PUBSUB)
        c->acl |= ACL_PUBSUB;
    if (c->flags & CMD_FAST)
        c->acl |= ACL_FAST;
    if (c->flags & CMD_BLOCKING)
        c->acl |= ACL_BLOCKING;
    if (!(c->acl & ACL_FAST))
        c->acl |= ACL_SLOW;
    if (movable_keys(c))
        c->flags |= CMD_MOVABLE_KEYS;
}

static cmd_t *find_top(const char *name)
{
    return dict_fetch(by_name, name);
}

static void attach_docs(cmd_t *c)
{
    const command_doc_t *d = command_docs_find(c->fullname);
    if (d == NULL)
        return;
    c->summary = d->summary;
    c->complexity = d->complexity;
    if (c->group == NULL)
        c->group = d->group;
}

void commands_init(void)
{
    by_name = dict_new(&name_type);
    int id = 0;
    for (size_t i = 0; i < ARRAY_LEN(top_table); i++) {
        cmd_t *c = &top_table[i];
        c->id = id++;
        derive(c);
        int r = dict_add(by_name, (void *)c->name, c);
        INSIST(r == 0);
        attach_docs(c);
    }
    for (sub_def_t *s = sub_table; s->parent != NULL; s++) {
        cmd_t *p = find_top(s->parent);
        INSIST(p != NULL);
        p->subs = alloc_realloc(p->subs, sizeof(cmd_t *) * (size_t)(p->nsubs + 2));
        p->subs[p->nsubs++] = &s->cmd;
        p->subs[p->nsubs] = NULL;
        s->cmd.parent = p;
        s->cmd.group = p->group;
        s->cmd.id = id++;
        derive(&s->cmd);
        attach_docs(&s->cmd);
    }
}

cmd_t *commands_lookup(const char *name, size_t len)
{
    char tmp[64];
    if (len >= sizeof(tmp))
        return NULL;
    memcpy(tmp, name, len);
    tmp[len] = '\0';
    return find_top(tmp);
}

cmd_t *commands_lookup_sub(const cmd_t *parent, const char *name, size_t len)
{
    for (int i = 0; i < parent->nsubs; i++) {
        cmd_t *s = parent->subs[i];
        if (strlen(s->name) == len && strncasecmp(s->name, name, len) == 0)
            return s;
    }
    return NULL;
}

int commands_count(void)
{
    return (int)ARRAY_LEN(top_table);
}

cmd_t *commands_at(int i)
{
    REQUIRE(i >= 0 && i < commands_count());
    return &top_table[i];
}

static void reset_one(cmd_t *c)
{
    c->calls = c->usec = c->rejected_calls = c->failed_calls = 0;
    memset(c->hist, 0, sizeof(c->hist));
}

void commands_reset_stats(void)
{
    for (size_t i = 0; i < ARRAY_LEN(top_table); i++) {
        reset_one(&top_table[i]);
        for (int j = 0; j < top_table[i].nsubs; j++)
            reset_one(top_table[i].subs[j]);
    }
}

void commands_record(cmd_t *cmd, uint64_t usec)
{
    cmd->calls++;
    cmd->usec += usec;
    int b = 0;
    uint64_t v = usec;
    while (v > 1 && b < CMD_HIST_BUCKETS - 1) {
        v >>= 1;
        b++;
    }
    cmd->hist[b]++;
}

static const char *const flag_names[] = {
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", NULL,
    "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
    "fast", "no_auth", "may_replicate", "sentinel", "only_sentinel",
    "no_mandatory_keys", "protected", "module_getkeys", "module_no_cluster",
    "no_async_loading", "no_multi", "movablekeys", "allow_busy",
};

const char *commands_flag_name(uint64_t flag)
{
    for (size_t i = 0; i < ARRAY_LEN(flag_names); i++)
        if (flag == (1ULL << i))
            return flag_names[i];
    return NULL;
}

static const char *const acl_names[] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
    "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast",
    "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
};

const char *commands_acl_name(uint64_t cat)
{
    for (size_t i = 0; i < ARRAY_LEN(acl_names); i++)
        if (cat == (1ULL << i))
            return acl_names[i];
    return NULL;
}


/* ======================== key specs and key finding ====================== */

/* The arguments of a call, either as arg_t slices or as parallel arrays, so
 * that one key finder serves the dispatcher and the older array interface. */
typedef struct argv_view {
    const arg_t *args;
    const char *const *ptrs;
    const size_t *lens;
    int argc;
} argv_view_t;

static bool view_is(const argv_view_t *v, int i, const char *word)
{
    const char *p = v->args ? v->args[i].p : v->ptrs[i];
    size_t n = v->args ? v->args[i].n : v->lens[i];
    return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* Parses argument i as a non-negative decimal count, as Redis's string2ll
 * followed by a sign check would accept it. */
static bool view_count(const argv_view_t *v, int i, long long *out)
{
    const char *p = v->args ? v->args[i].p : v->ptrs[i];
    size_t n = v->args ? v->args[i].n : v->lens[i];
    long long num;
    if (strconv_to_ll(p, n, &num) != 0 || num < 0)
        return false;
    *out = num;
    return true;
}

/* Where a keyword spec's keys start: the index after the keyword, or 0 when
 * the keyword is absent. A positive startfrom searches forward and never
 * looks at the last argument; a negative one searches backward from the end
 * down to index 2, as Redis does. */
static int keyword_first(const keyspec_t *ks, const argv_view_t *v)
{
    int argc = v->argc;
    if (ks->bs_pos > 0) {
        for (int i = ks->bs_pos; i < argc - 1; i++)
            if (view_is(v, i, ks->bs_keyword))
                return i + 1;
    } else {
        for (int i = argc + ks->bs_pos; i > 1; i--)
            if (i < argc && view_is(v, i, ks->bs_keyword))
                return i + 1;
    }
    return 0;
}

enum spec_result { SPEC_OK, SPEC_SKIP, SPEC_INVALID };

/* Resolves one spec to the argument range [first, last] with a step. */
static int spec_range(const keyspec_t *ks, const argv_view_t *v, int *first,
                      int *last, int *step)
{
    int argc = v->argc;
    int f;
    if (ks->begin == KSB_INDEX)
        f = ks->bs_pos;
    else if (ks->begin == KSB_KEYWORD)
        f = keyword_first(ks, v);
    else
        return SPEC_INVALID;
    if (f == 0)
        return SPEC_SKIP;
    int l;
    if (ks->find == KSF_RANGE) {
        *step = ks->fk_b;
        if (ks->fk_a >= 0)
            l = f + ks->fk_a;
        else if (ks->fk_c == 0)
            l = argc + ks->fk_a;
        else
            l = f + (argc - f) / ks->fk_c + ks->fk_a;
    } else if (ks->find == KSF_KEYNUM) {
        long long num;
        *step = ks->fk_c;
        if (f + ks->fk_a >= argc || !view_count(v, f + ks->fk_a, &num) || num > argc)
            return SPEC_INVALID;
        f += ks->fk_b;
        l = f + (int)num - 1;
    } else {
        return SPEC_INVALID;
    }
    if (l >= argc || l < f || f >= argc || *step <= 0)
        return SPEC_INVALID;
    *first = f;
    *last = l;
    return SPEC_OK;
}

/* Applies every real-key spec. Returns the key count, or -1 when a spec does
 * not fit the arguments (unless partial, which skips such specs). */
static int keys_by_specs(const cmd_t *cmd, const argv_view_t *v, cmd_key_t *keys,
                         int max, bool partial)
{
    int n = 0;
    for (int i = 0; i < cmd->nkeyspecs; i++) {
        const keyspec_t *ks = &cmd->keyspecs[i];
        if (ks->flags & KS_NOT_KEY)
            continue;
        int first, last, step;
        int r = spec_range(ks, v, &first, &last, &step);
        if (r == SPEC_SKIP)
            continue;
        if (r == SPEC_INVALID) {
            if (partial)
                continue;
            return -1;
        }
        for (int k = first; k <= last && n < max; k += step) {
            keys[n].pos = k;
            keys[n].flags = ks->flags;
            n++;
        }
    }
    return n;
}

/* ---- commands whose keys or key flags depend on the arguments ---------- */

static int one_key(cmd_key_t *keys, int max, int pos, unsigned flags)
{
    if (max < 1)
        return 0;
    keys[0].pos = pos;
    keys[0].flags = flags;
    return 1;
}

/* SET reads the old value only with GET. */
static int set_keys(const argv_view_t *v, cmd_key_t *keys, int max)
{
    for (int i = 3; i < v->argc; i++)
        if (view_is(v, i, "get"))
            return one_key(keys, max, 1, KS_RW | KS_ACCESS | KS_UPDATE);
    return one_key(keys, max, 1, KS_OW | KS_UPDATE);
}

/* BITFIELD only reads when every complete operation is a GET. */
static int bitfield_keys(const argv_view_t *v, cmd_key_t *keys, int max)
{
    for (int i = 2; i < v->argc; i++) {
        int left = v->argc - i - 1;
        if (view_is(v, i, "get") && left >= 2) {
            i += 2;
        } else if ((view_is(v, i, "set") || view_is(v, i, "incrby")) && left >= 3) {
            return one_key(keys, max, 1, KS_RW | KS_ACCESS | KS_UPDATE);
        } else if (view_is(v, i, "overflow") && left >= 1) {
            i += 1;
        }
    }
    return one_key(keys, max, 1, KS_RO | KS_ACCESS);
}

/* SORT reads its key and writes the STORE destination (the last one given);
 * the arguments of LIMIT, GET and BY are skipped so they are not mistaken
 * for the keyword. */
static int sort_keys(const argv_view_t *v, cmd_key_t *keys, int max)
{
    int store = 0;
    for (int i = 2; i < v->argc; i++) {
        if (view_is(v, i, "limit"))
            i += 2;
        else if (view_is(v, i, "get") || view_is(v, i, "by"))
            i += 1;
        else if (view_is(v, i, "store") && i + 1 < v->argc)
            store = ++i;
    }
    int n = one_key(keys, max, 1, KS_RO | KS_ACCESS);
    if (store != 0 && n < max) {
        keys[n].pos = store;
        keys[n].flags = KS_OW | KS_UPDATE;
        n++;
    }
    return n;
}

typedef int key_resolver_fn(const argv_view_t *v, cmd_key_t *keys, int max);

static const struct {
    const char *fullname;
    key_resolver_fn *fn;
} key_resolvers[] = {
    {"set", set_keys},
    {"bitfield", bitfield_keys},
    {"sort", sort_keys},
    {"sort_ro", sort_keys},
};

static key_resolver_fn *find_resolver(const cmd_t *cmd)
{
    for (size_t i = 0; i < ARRAY_LEN(key_resolvers); i++)
        if (strcmp(cmd->fullname, key_resolvers[i].fullname) == 0)
            return key_resolvers[i].fn;
    return NULL;
}

static unsigned all_spec_flags(const cmd_t *cmd)
{
    unsigned f = 0;
    for (int i = 0; i < cmd->nkeyspecs; i++)
        f |= cmd->keyspecs[i].flags;
    return f;
}

/* Key specs are preferred when their flags are fixed; otherwise, or when
 * they do not fit the arguments, the command's resolver decides. */
static int find_keys(const cmd_t *cmd, const argv_view_t *v, cmd_key_t *keys, int max)
{
    key_resolver_fn *fn = find_resolver(cmd);
    if (fn == NULL || !(all_spec_flags(cmd) & KS_VARIABLE_FLAGS)) {
        int n = keys_by_specs(cmd, v, keys, max, false);
        if (n >= 0 || fn == NULL)
            return n;
    }
    return fn(v, keys, max);
}

int commands_find_keys(const cmd_t *cmd, int argc, const arg_t *argv, cmd_key_t *keys,
                       int max)
{
    argv_view_t v = {argv, NULL, NULL, argc};
    return find_keys(cmd, &v, keys, max);
}

int commands_find_keys_partial(const cmd_t *cmd, int argc, const arg_t *argv,
                               cmd_key_t *keys, int max)
{
    argv_view_t v = {argv, NULL, NULL, argc};
    int n = find_keys(cmd, &v, keys, max);
    return n >= 0 ? n : keys_by_specs(cmd, &v, keys, max, true);
}

int commands_get_keys(const cmd_t *cmd, int argc, const char *const *argv,
                      const size_t *lens, int *keys, int max)
{
    argv_view_t v = {NULL, argv, lens, argc};
    cmd_key_t found[64];
    int cap = max < (int)ARRAY_LEN(found) ? max : (int)ARRAY_LEN(found);
    int n = find_keys(cmd, &v, found, cap);
    if (n < 0)
        n = keys_by_specs(cmd, &v, found, cap, true);
    for (int i = 0; i < n; i++)
        keys[i] = found[i].pos;
    return n;
}

bool commands_has_keys(const cmd_t *cmd)
{
    for (int i = 0; i < cmd->nkeyspecs; i++)
        if (!(cmd->keyspecs[i].flags & KS_NOT_KEY))
            return true;
    return false;
}

/* ---- the legacy (first, last, step) triple ------------------------------ */

static bool plain_range(const keyspec_t *ks)
{
    return ks->begin == KSB_INDEX && ks->find == KSF_RANGE;
}

void commands_legacy_range(const cmd_t *cmd, int *first, int *last, int *step)
{
    *first = *last = *step = 0;
    if (cmd->nkeyspecs == 1 && plain_range(&cmd->keyspecs[0])) {
        const keyspec_t *ks = &cmd->keyspecs[0];
        *first = ks->bs_pos;
        *last = ks->fk_a >= 0 ? ks->bs_pos + ks->fk_a : ks->fk_a;
        *step = ks->fk_b;
        return;
    }
    /* Several specs: merge the consecutive plain step-1 ranges. The last key
     * is compared as unsigned so that a negative (relative to the end) one
     * wins, as in Redis. */
    int lo = 0;
    unsigned hi = 0;
    for (int i = 0; i < cmd->nkeyspecs; i++) {
        const keyspec_t *ks = &cmd->keyspecs[i];
        if (!plain_range(ks) || ks->fk_b != 1 || (hi != 0 && (int)hi != ks->bs_pos - 1))
            continue;
        if (lo == 0 || ks->bs_pos < lo)
            lo = ks->bs_pos;
        int abs_last = ks->fk_a >= 0 ? ks->fk_a + ks->bs_pos : ks->fk_a;
        if ((unsigned)abs_last > hi)
            hi = (unsigned)abs_last;
    }
    if (lo == 0)
        return;
    *first = lo;
    *last = (int)hi;
    *step = 1;
}

/* A command has movable keys when its key positions cannot be described by
 * one fixed range: a keyword or key-count spec, an unknown spec, an
 * incomplete one, or ranges that do not merge. */
static bool movable_keys(const cmd_t *cmd)
{
    if (cmd->nkeyspecs == 1 && plain_range(&cmd->keyspecs[0]))
        return (cmd->keyspecs[0].flags & KS_INCOMPLETE) != 0;
    int prev_last = 0;
    bool used = false;
    for (int i = 0; i < cmd->nkeyspecs; i++) {
        const keyspec_t *ks = &cmd->keyspecs[i];
        if (!plain_range(ks) || ks->fk_b != 1 || (prev_last != 0 && prev_last != ks->bs_pos - 1))
            return true;
        if (ks->flags & KS_INCOMPLETE)
            return true;
        int abs_last = ks->fk_a >= 0 ? ks->fk_a + ks->bs_pos : ks->fk_a;
        if (!used || (unsigned)abs_last > (unsigned)prev_last)
            prev_last = abs_last;
        used = true;
    }
    return false;
}
