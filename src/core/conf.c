#include <config.h>
#include "core/conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"

#define CONF_INCLUDE_DEPTH 16

typedef struct conf_ctx {
    conf_line_cb *cb;
    void *arg;
    int depth;
} conf_ctx_t;

static int parse_text(conf_ctx_t *ctx, const char *text, const char *file, str_t **err);

str_t *conf_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    str_t *s = str_new_cap(4096);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        s = str_cat(s, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        str_free(s);
        errno = EIO;
        return NULL;
    }
    return s;
}

static str_t *report(const char *file, int lineno, const char *line, const char *reason)
{
    if (file == NULL)
        return str_fmt("Reading the configuration file, at line %d\n>>> '%s'\n%s", lineno,
                       line, reason);
    return str_fmt("Reading the configuration file %s, at line %d\n>>> '%s'\n%s", file, lineno,
                   line, reason);
}

static int include_files(conf_ctx_t *ctx, const char *pattern, str_t **reason)
{
    if (ctx->depth >= CONF_INCLUDE_DEPTH) {
        *reason = str_new_cstr("Too many nested includes");
        return -1;
    }
    glob_t g;
    int r = glob(pattern, 0, NULL, &g);
    if (r == GLOB_NOMATCH) {
        /* A pattern with wildcards may match nothing; a plain path must exist. */
        if (strpbrk(pattern, "*?[") != NULL)
            return 0;
        *reason = str_fmt("Fatal error, can't open config file '%s': %s", pattern,
                          strerror(ENOENT));
        return -1;
    }
    if (r != 0) {
        *reason = str_fmt("Fatal error, can't expand include pattern '%s'", pattern);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
        str_t *text = conf_read_file(g.gl_pathv[i]);
        if (text == NULL) {
            *reason = str_fmt("Fatal error, can't open config file '%s': %s", g.gl_pathv[i],
                              strerror(errno));
            rc = -1;
            break;
        }
        ctx->depth++;
        str_t *err = NULL;
        rc = parse_text(ctx, text->buf, g.gl_pathv[i], &err);
        ctx->depth--;
        str_free(text);
        if (rc != 0)
            *reason = err;
    }
    globfree(&g);
    return rc;
}

/* Handles one line; returns 0, 1 (nested error already formatted in *err)
 * or -1 (reason in *err, to be wrapped with the location). */
static int handle_line(conf_ctx_t *ctx, const char *file, int lineno, const char *line,
                       str_t **err)
{
    if (line[0] == '#')
        return 0;
    strconv_arg_t *argv = NULL;
    int argc = strconv_split_args(line, &argv);
    if (argc < 0) {
        *err = str_new_cstr("Unbalanced quotes in configuration line");
        return -1;
    }
    if (argc == 0 || argv[0].ptr[0] == '#') {
        strconv_free_args(argv, argc);
        return 0;
    }
    for (size_t i = 0; i < argv[0].len; i++)
        argv[0].ptr[i] = (char)tolower((unsigned char)argv[0].ptr[i]);
    int rc;
    if (strcmp(argv[0].ptr, "include") == 0) {
        if (argc != 2) {
            *err = str_new_cstr("Bad directive or wrong number of arguments");
            rc = -1;
        } else {
            rc = include_files(ctx, argv[1].ptr, err) == 0 ? 0 : 1;
        }
    } else {
        conf_line_t cl = {file, lineno, line, argc, argv};
        rc = ctx->cb(ctx->arg, &cl, err) == 0 ? 0 : -1;
    }
    strconv_free_args(argv, argc);
    return rc;
}

static int parse_text(conf_ctx_t *ctx, const char *text, const char *file, str_t **err)
{
    int lineno = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char *line = alloc_malloc(len + 1);
        memcpy(line, p, len);
        line[len] = '\0';
        /* Trim surrounding blanks like Redis does. */
        size_t start = 0, end = len;
        while (start < end && isspace((unsigned char)line[start]))
            start++;
        while (end > start && isspace((unsigned char)line[end - 1]))
            end--;
        line[end] = '\0';
        str_t *reason = NULL;
        int rc = start < end ? handle_line(ctx, file, lineno, line + start, &reason) : 0;
        if (rc < 0) {
            *err = report(file, lineno, line + start, reason ? reason->buf : "error");
            str_free(reason);
        } else if (rc > 0) {
            *err = reason;
        }
        alloc_free(line);
        if (rc != 0)
            return -1;
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

int conf_parse_text(const char *text, const char *file, conf_line_cb *cb, void *arg,
                    str_t **err)
{
    conf_ctx_t ctx = {cb, arg, 0};
    return parse_text(&ctx, text, file, err);
}

int conf_parse_file(const char *path, conf_line_cb *cb, void *arg, str_t **err)
{
    str_t *text = conf_read_file(path);
    if (text == NULL) {
        *err = str_fmt("Fatal error, can't open config file '%s': %s", path, strerror(errno));
        return -1;
    }
    int rc = conf_parse_text(text->buf, path, cb, arg, err);
    str_free(text);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (size_t)w;
    }
    return 0;
}

/* Overwrites path in place: new bytes first, then the truncation, so a crash
 * leaves either the old or the new text followed by a stale tail rather than
 * an empty file. Used when only the file itself is writable (a service
 * sandbox that bind-mounts one file read-write inside a read-only /etc). */
static int write_in_place(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = write_all(fd, data, len);
    if (rc == 0 && ftruncate(fd, (off_t)len) != 0)
        rc = -errno;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* The directory refused a new file, or the target is a mount point. */
static bool dir_not_writable(int err)
{
    return err == -EROFS || err == -EACCES || err == -EPERM || err == -EBUSY;
}

int conf_write_atomic(const char *path, const char *data, size_t len)
{
    str_t *tmp = str_fmt("%s.tmp-%d", path, (int)getpid());
    int fd = open(tmp->buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0) {
        rc = -errno;
        str_free(tmp);
        return dir_not_writable(rc) ? write_in_place(path, data, len) : rc;
    }
    rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    bool renamed = false;
    if (rc == 0) {
        if (rename(tmp->buf, path) == 0)
            renamed = true;
        else
            rc = -errno;
    }
    if (!renamed) {
        unlink(tmp->buf);
        if (rc == -EBUSY)
            rc = write_in_place(path, data, len);
    } else {
        char *copy = alloc_strdup(path);
        int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        alloc_free(copy);
    }
    str_free(tmp);
    return rc;
}
