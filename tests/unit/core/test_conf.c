#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/conf.h"
#include "tap.h"

typedef struct seen {
    char lines[32][128];
    int n;
} seen_t;

static int record(void *arg, const conf_line_t *l, str_t **err)
{
    seen_t *s = arg;
    if (strcmp(l->argv[0].ptr, "fail") == 0) {
        *err = str_new_cstr("told to fail");
        return -1;
    }
    char *p = s->lines[s->n++];
    p[0] = '\0';
    for (int i = 0; i < l->argc; i++) {
        strcat(p, i ? "|" : "");
        strncat(p, l->argv[i].ptr, 40);
    }
    return 0;
}

int main(void)
{
    seen_t s = {0};
    str_t *err = NULL;
    int r = conf_parse_text("# comment\n  Port 6379  \n\nsave \"\" \nbind \"a b\" 'c'\n",
                            "x.conf", record, &s, &err);
    is_int(r, 0, "parse ok");
    is_int(s.n, 3, "three directives");
    is_str(s.lines[0], "port|6379", "directive lower-cased, blanks trimmed");
    is_str(s.lines[1], "save|", "empty quoted argument");
    is_str(s.lines[2], "bind|a b|c", "quoted arguments");

    memset(&s, 0, sizeof(s));
    r = conf_parse_text("a 1\nfail now\n", "y.conf", record, &s, &err);
    is_int(r, -1, "callback failure stops parsing");
    ok(err != NULL && strstr(err->buf, "y.conf") && strstr(err->buf, "line 2") &&
           strstr(err->buf, ">>> 'fail now'") && strstr(err->buf, "told to fail"),
       "error names file, line, text and reason");
    str_free(err);
    err = NULL;

    r = conf_parse_text("a \"unbalanced\n", "z.conf", record, &s, &err);
    ok(r == -1 && err && strstr(err->buf, "line 1"), "unbalanced quotes reported");
    str_free(err);
    err = NULL;

    /* Includes with a glob. */
    char dir[] = "/tmp/test_conf.XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char path[256];
    snprintf(path, sizeof(path), "%s/one.conf", dir);
    FILE *f = fopen(path, "w");
    fputs("from-one 1\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/two.conf", dir);
    f = fopen(path, "w");
    fputs("from-two 2\n", f);
    fclose(f);
    char text[512];
    snprintf(text, sizeof(text), "first 0\ninclude %s/*.conf\nlast 9\n", dir);
    memset(&s, 0, sizeof(s));
    r = conf_parse_text(text, "main.conf", record, &s, &err);
    is_int(r, 0, "include parsed");
    is_int(s.n, 4, "included directives in order");
    is_str(s.lines[1], "from-one|1", "first included file");
    is_str(s.lines[2], "from-two|2", "second included file");
    snprintf(text, sizeof(text), "include %s/missing.conf\n", dir);
    r = conf_parse_text(text, "main.conf", record, &s, &err);
    ok(r == -1 && err && strstr(err->buf, "missing.conf"), "missing include reported");
    str_free(err);
    err = NULL;

    /* Atomic write. */
    snprintf(path, sizeof(path), "%s/out.conf", dir);
    r = conf_write_atomic(path, "hello\n", 6);
    is_int(r, 0, "atomic write");
    str_t *back = conf_read_file(path);
    ok(back && strcmp(back->buf, "hello\n") == 0, "written content");
    str_free(back);
    snprintf(path, sizeof(path), "%s/one.conf", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/two.conf", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/out.conf", dir);
    unlink(path);
    rmdir(dir);
    return done_testing();
}
