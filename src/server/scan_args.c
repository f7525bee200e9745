#include <config.h>
#include "server/scan_args.h"

#include "core/alloc.h"
#include "core/strconv.h"
#include "server/dispatch.h"

bool scan_opts_parse(client_t *c, int first, scan_opts_t *o)
{
    o->count = 10;
    o->pat = NULL;
    for (int i = first; i < c->argc; i += 2) {
        const arg_t *a = &c->argv[i];
        bool has_value = i + 1 < c->argc;
        if (has_value && arg_is(a, "count")) {
            if (strconv_to_ll(c->argv[i + 1].p, c->argv[i + 1].n, &o->count) != 0) {
                reply_not_integer(c);
                return false;
            }
            if (o->count < 1) {
                reply_syntax_error(c);
                return false;
            }
        } else if (has_value && arg_is(a, "match")) {
            const arg_t *p = &c->argv[i + 1];
            o->pat = p->n == 1 && p->p[0] == '*' ? NULL : p;
        } else {
            reply_syntax_error(c);
            return false;
        }
    }
    return true;
}

bool scan_opts_match(const scan_opts_t *o, const char *p, size_t n)
{
    return o->pat == NULL || strconv_glob_match(o->pat->p, o->pat->n, p, n, false);
}

void scan_found_add(scan_found_t *f, const char *p, size_t n)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 32;
        f->v = alloc_realloc(f->v, f->cap * sizeof(str_t *));
    }
    f->v[f->n++] = str_new(p, n);
}

void scan_found_reply(client_t *c, uint64_t cursor, scan_found_t *f)
{
    char buf[STRCONV_BUF];
    size_t len = strconv_ull(buf, cursor);
    reply_array(&c->reply, 2);
    reply_bulk(&c->reply, buf, len);
    reply_array(&c->reply, (long long)f->n);
    for (size_t i = 0; i < f->n; i++) {
        reply_bulk(&c->reply, f->v[i]->buf, f->v[i]->len);
        str_free(f->v[i]);
    }
    alloc_free(f->v);
    f->v = NULL;
    f->n = f->cap = 0;
}
