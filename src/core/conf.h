/*
 * conf: reads redis.conf syntax. Splits text into lines and arguments
 * (quotes and escapes as in Redis), follows `include` directives (with glob
 * patterns, relative to the working directory, nested up to a depth), and
 * hands each directive to a callback with the file name and line number for
 * error messages. It owns nothing after returning.
 */
#ifndef RH_CORE_CONF_H
#define RH_CORE_CONF_H

#include "core/str.h"
#include "core/strconv.h"

typedef struct conf_line {
    const char *file;  /* File name, or "command line". */
    int lineno;
    const char *text;  /* The raw line, for error messages. */
    int argc;
    strconv_arg_t *argv; /* argv[0] is the directive, lower-cased. */
} conf_line_t;

/* Handles one directive; returns 0, or -1 with a reason in *err. */
typedef int conf_line_cb(void *arg, const conf_line_t *line, str_t **err);

/* Parses text as the contents of file. On failure returns -1 and *err
 * holds Redis's three-line report (where, the line, the reason). */
int conf_parse_text(const char *text, const char *file, conf_line_cb *cb, void *arg,
                    str_t **err) __attribute__((warn_unused_result));
/* Reads and parses a file. */
int conf_parse_file(const char *path, conf_line_cb *cb, void *arg, str_t **err)
    __attribute__((warn_unused_result));

/* Reads a whole file into a new string; NULL with errno set on failure. */
str_t *conf_read_file(const char *path);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename, then fsync of the directory. When the directory is not
 * writable (read-only or no permission) or path is a mount point, falls back
 * to overwriting path in place. Returns 0 or -errno. */
int conf_write_atomic(const char *path, const char *data, size_t len)
    __attribute__((warn_unused_result));

#endif
