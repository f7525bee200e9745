#include <config.h>
#include "resp/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "core/strconv.h"

static void emit(reply_t *r, const void *p, size_t n)
{
    if (r->out == NULL)
        return;
    buf_chain_append(r->out, p, n);
    if (r->notify != NULL)
        r->notify(r);
}

/* Writes "<prefix><n>\r\n". */
static void emit_len(reply_t *r, char prefix, long long n)
{
    char tmp[STRCONV_BUF + 4];
    tmp[0] = prefix;
    size_t k = 1 + strconv_ll(tmp + 1, n);
    tmp[k++] = '\r';
    tmp[k++] = '\n';
    emit(r, tmp, k);
}

void reply_raw(reply_t *r, const void *p, size_t n)
{
    emit(r, p, n);
}

void reply_status(reply_t *r, const char *s)
{
    size_t n = strlen(s);
    if (r->out == NULL)
        return;
    size_t avail;
    char *w = buf_chain_reserve(r->out, n + 3, &avail);
    w[0] = '+';
    memcpy(w + 1, s, n);
    w[n + 1] = '\r';
    w[n + 2] = '\n';
    buf_chain_commit(r->out, n + 3);
    if (r->notify != NULL)
        r->notify(r);
}

void reply_ok(reply_t *r)
{
    emit(r, "+OK\r\n", 5);
}

void reply_error(reply_t *r, const char *msg)
{
    size_t n = strlen(msg);
    char line[1024];
    size_t k = n < sizeof(line) - 4 ? n : sizeof(line) - 4;
    line[0] = '-';
    for (size_t i = 0; i < k; i++)
        line[i + 1] = (msg[i] == '\r' || msg[i] == '\n') ? ' ' : msg[i];
    line[k + 1] = '\r';
    line[k + 2] = '\n';
    if (r->on_error != NULL)
        r->on_error(r, line + 1, k);
    emit(r, line, k + 3);
}

void reply_errorf(reply_t *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_error(r, msg);
}

void reply_int(reply_t *r, long long v)
{
    if (v >= 0 && v < 10) {
        char s[4] = {':', (char)('0' + v), '\r', '\n'};
        emit(r, s, 4);
        return;
    }
    emit_len(r, ':', v);
}

void reply_bulk(reply_t *r, const void *p, size_t n)
{
    if (r->out == NULL)
        return;
    if (n <= 1024) {
        /* One reservation for header, payload and trailer. */
        size_t avail;
        char *w = buf_chain_reserve(r->out, n + STRCONV_BUF + 4, &avail);
        w[0] = '$';
        size_t k = 1;
        /* Short lengths, the common case, without a general conversion. */
        if (n < 10) {
            w[k++] = (char)('0' + n);
        } else if (n < 100) {
            w[k++] = (char)('0' + n / 10);
            w[k++] = (char)('0' + n % 10);
        } else {
            k += strconv_ull(w + 1, n);
        }
        w[k++] = '\r';
        w[k++] = '\n';
        memcpy(w + k, p, n);
        k += n;
        w[k++] = '\r';
        w[k++] = '\n';
        buf_chain_commit(r->out, k);
        if (r->notify != NULL)
            r->notify(r);
        return;
    }
    emit_len(r, '$', (long long)n);
    emit(r, p, n);
    emit(r, "\r\n", 2);
}

void reply_bulk_cstr(reply_t *r, const char *s)
{
    if (s == NULL) {
        reply_null(r);
        return;
    }
    reply_bulk(r, s, strlen(s));
}

void reply_bulk_ll(reply_t *r, long long v)
{
    char tmp[STRCONV_BUF];
    size_t n = strconv_ll(tmp, v);
    reply_bulk(r, tmp, n);
}

void reply_bulk_double(reply_t *r, double d)
{
    char tmp[STRCONV_BUF];
    size_t n = strconv_double(tmp, d);
    reply_bulk(r, tmp, n);
}

void reply_double(reply_t *r, double d)
{
    if (r->proto < 3) {
        reply_bulk_double(r, d);
        return;
    }
    char tmp[STRCONV_BUF + 4];
    tmp[0] = ',';
    size_t n = 1 + strconv_double_resp3(tmp + 1, d);
    tmp[n++] = '\r';
    tmp[n++] = '\n';
    emit(r, tmp, n);
}

void reply_null(reply_t *r)
{
    if (r->proto >= 3)
        emit(r, "_\r\n", 3);
    else
        emit(r, "$-1\r\n", 5);
}

void reply_null_array(reply_t *r)
{
    if (r->proto >= 3)
        emit(r, "_\r\n", 3);
    else
        emit(r, "*-1\r\n", 5);
}

void reply_bool(reply_t *r, bool b)
{
    if (r->proto >= 3)
        emit(r, b ? "#t\r\n" : "#f\r\n", 4);
    else
        emit(r, b ? ":1\r\n" : ":0\r\n", 4);
}

void reply_array(reply_t *r, long long n)
{
    emit_len(r, '*', n);
}

void reply_map(reply_t *r, long long n)
{
    if (r->proto >= 3)
        emit_len(r, '%', n);
    else
        emit_len(r, '*', n * 2);
}

void reply_set(reply_t *r, long long n)
{
    emit_len(r, r->proto >= 3 ? '~' : '*', n);
}

void reply_push(reply_t *r, long long n)
{
    emit_len(r, r->proto >= 3 ? '>' : '*', n);
}

void reply_empty_array(reply_t *r)
{
    emit(r, "*0\r\n", 4);
}

void reply_verbatim(reply_t *r, const char *p, size_t n, const char *fmt)
{
    if (r->proto < 3) {
        reply_bulk(r, p, n);
        return;
    }
    emit_len(r, '=', (long long)n + 4);
    emit(r, fmt, 3);
    emit(r, ":", 1);
    emit(r, p, n);
    emit(r, "\r\n", 2);
}

void reply_help(reply_t *r, const char *cmd, const char *const *lines)
{
    long long n = 0;
    while (lines[n] != NULL)
        n++;
    reply_array(r, n + 3);
    char head[256];
    snprintf(head, sizeof(head),
             "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd);
    reply_status(r, head);
    for (long long i = 0; i < n; i++)
        reply_status(r, lines[i]);
    reply_status(r, "HELP");
    reply_status(r, "    Prints this help.");
}

reply_defer_t reply_defer(reply_t *r)
{
    reply_defer_t d = {{NULL}, false};
    if (r->out == NULL)
        return d;
    d.d = buf_chain_defer(r->out, 24);
    d.valid = true;
    return d;
}

static void defer_fill(reply_t *r, reply_defer_t d, char prefix, long long n)
{
    if (!d.valid || r->out == NULL)
        return;
    char tmp[24];
    tmp[0] = prefix;
    size_t k = 1 + strconv_ll(tmp + 1, n);
    tmp[k++] = '\r';
    tmp[k++] = '\n';
    buf_chain_fill_deferred(r->out, d.d, tmp, k);
    if (r->notify != NULL)
        r->notify(r);
}

void reply_defer_array(reply_t *r, reply_defer_t d, long long n)
{
    defer_fill(r, d, '*', n);
}

void reply_defer_map(reply_t *r, reply_defer_t d, long long n)
{
    if (r->proto >= 3)
        defer_fill(r, d, '%', n);
    else
        defer_fill(r, d, '*', n * 2);
}

void reply_defer_set(reply_t *r, reply_defer_t d, long long n)
{
    defer_fill(r, d, r->proto >= 3 ? '~' : '*', n);
}
