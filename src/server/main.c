/*
 * redis-server: parses the command line, loads the configuration, starts
 * the server and runs the loop until shutdown.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/str.h"
#include "server/aof.h"
#include "server/config.h"
#include "server/persist.h"
#include "server/replica.h"
#include "server/server.h"
#include "server/supervise.h"

static void usage(void)
{
    fprintf(stderr,
            "Usage: ./redis-server [/path/to/redis.conf] [options] [-]\n"
            "       ./redis-server - (read config from stdin)\n"
            "       ./redis-server -v or --version\n"
            "       ./redis-server -h or --help\n"
            "       ./redis-server --test-memory <megabytes>\n"
            "\n"
            "Examples:\n"
            "       ./redis-server (run the server with default conf)\n"
            "       ./redis-server /etc/redis/6379.conf\n"
            "       ./redis-server --port 7777\n"
            "       ./redis-server --port 7777 --replicaof 127.0.0.1 8888\n"
            "       ./redis-server /etc/myredis.conf --loglevel verbose -\n"
            "       ./redis-server /etc/myredis.conf --loglevel verbose\n");
    exit(1);
}

static void version(void)
{
    printf("Redis server v=%s sha=00000000:0 malloc=%s bits=%d build=redis-ha-%s\n",
           REDIS_COMPAT_VERSION, alloc_name(), (int)(sizeof(long) * 8), PACKAGE_VERSION);
    exit(0);
}

/* Turns "--name v1 v2 --other x" into config lines "name v1 v2\nother x\n",
 * quoting each value so spaces and escapes survive. A lone "-" reads the
 * rest of the configuration from stdin. */
static str_t *overrides_from_argv(int argc, char **argv, int first)
{
    str_t *s = str_new_cap(64);
    bool line_open = false;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-") == 0) {
            char buf[4096];
            size_t n;
            if (line_open)
                s = str_cat_cstr(s, "\n");
            line_open = false;
            while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
                s = str_cat(s, buf, n);
            s = str_cat_cstr(s, "\n");
            continue;
        }
        if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
            if (line_open)
                s = str_cat_cstr(s, "\n");
            s = str_cat_cstr(s, a + 2);
            line_open = true;
            continue;
        }
        /* A value: quote it. */
        s = str_cat_cstr(s, " \"");
        for (const char *p = a; *p; p++) {
            if (*p == '"' || *p == '\\')
                s = str_cat_cstr(s, "\\");
            if (*p == '\n') {
                s = str_cat_cstr(s, "\\n");
                continue;
            }
            s = str_cat(s, p, 1);
        }
        s = str_cat_cstr(s, "\"");
    }
    if (line_open)
        s = str_cat_cstr(s, "\n");
    return s;
}

int main(int argc, char **argv)
{
    const char *conf_path = NULL;
    int first = 1;
    if (argc >= 2) {
        if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)
            version();
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
            usage();
        if (argv[1][0] != '-') {
            conf_path = argv[1];
            first = 2;
        }
    }
    str_t *overrides = overrides_from_argv(argc, argv, first);
    str_t *err = NULL;
    int r = config_load(conf_path, overrides->buf, &err);
    str_free(overrides);
    if (r != 0) {
        fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n%s\n",
                REDIS_COMPAT_VERSION, err ? err->buf : "unknown error");
        str_free(err);
        return 1;
    }
    log_set_level(cfg.loglevel);
    if (cfg.logfile != NULL && cfg.logfile[0] != '\0' && log_set_file(cfg.logfile) != 0) {
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        return 1;
    }
    log_msg(LOG_LEVEL_WARNING, "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log_msg(LOG_LEVEL_WARNING,
            "Redis version=%s, bits=%d, commit=00000000, modified=0, pid=%d, just started",
            REDIS_COMPAT_VERSION, (int)(sizeof(long) * 8), (int)getpid());
    if (conf_path == NULL)
        log_msg(LOG_LEVEL_WARNING,
                "Warning: no config file specified, using the default config. In order to "
                "specify a config file use %s /path/to/redis.conf", argv[0]);
    else
        log_msg(LOG_LEVEL_WARNING, "Configuration loaded");
    supervise_init();
    supervise_check_host();
    if (server_init() != 0) {
        log_msg(LOG_LEVEL_WARNING, "server initialisation failed");
        return 1;
    }
    srv.executable = argv[0];
    if (server_listen() != 0)
        return 1;
    log_msg(LOG_LEVEL_NOTICE, "Running mode=standalone, port=%lld.", cfg.port);
    log_msg(LOG_LEVEL_NOTICE, "Server initialized");
    if (aof_load_at_startup() != 0)
        return 1;
    if (srv.shutdown_after_loading) {
        log_msg(LOG_LEVEL_WARNING, "Redis is now ready to exit, bye bye...");
        server_destroy();
        return 0;
    }
    replica_start();
    log_msg(LOG_LEVEL_NOTICE, "Ready to accept connections");
    supervise_ready(&srv.loop);
    server_run();
    server_destroy();
    return srv.exit_code;
}
