#include <config.h>
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_level = LOG_LEVEL_NOTICE;
static char log_role = 'M';
static FILE *log_file;
static char *log_path;
static int log_journal = -1;

static const char *const level_names[] = {"debug", "verbose", "notice", "warning", "nothing"};
static const char level_marks[] = {'.', '-', '*', '#'};
/* syslog priorities: debug, info, notice, warning. */
static const int level_prio[] = {7, 6, 5, 4};

void log_set_role(char role)
{
    log_role = role;
}

void log_set_level(int level)
{
    log_level = level;
}

int log_get_level(void)
{
    return log_level;
}

int log_level_parse(const char *name)
{
    for (int i = 0; i <= LOG_LEVEL_NOTHING; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

const char *log_level_name(int level)
{
    if (level < 0 || level > LOG_LEVEL_NOTHING)
        return "notice";
    return level_names[level];
}

/* True when stderr is the journal's stream: JOURNAL_STREAM holds the
 * device and inode of the stream systemd connected us to. */
static int stderr_is_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    if (e == NULL)
        return 0;
    unsigned long long dev, ino;
    if (sscanf(e, "%llu:%llu", &dev, &ino) != 2)
        return 0;
    struct stat st;
    if (fstat(STDERR_FILENO, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int log_set_file(const char *path)
{
    if (path == NULL || path[0] == '\0') {
        if (log_file != NULL)
            fclose(log_file);
        log_file = NULL;
        free(log_path);
        log_path = NULL;
        return 0;
    }
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return -errno;
    if (log_file != NULL)
        fclose(log_file);
    log_file = f;
    free(log_path);
    log_path = strdup(path);
    return 0;
}

void log_reopen(void)
{
    if (log_path == NULL)
        return;
    FILE *f = fopen(log_path, "a");
    if (f == NULL)
        return;
    fclose(log_file);
    log_file = f;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
    if (level < log_level || level >= LOG_LEVEL_NOTHING)
        return;
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char when[64];
    size_t n = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%03d", (int)(tv.tv_usec / 1000));

    FILE *out = log_file != NULL ? log_file : stderr;
    if (log_journal < 0)
        log_journal = stderr_is_journal();
    if (out == stderr && log_journal)
        fprintf(out, "<%d>%d:%c %s %c %s\n", level_prio[level], (int)getpid(),
                log_role, when, level_marks[level], msg);
    else
        fprintf(out, "%d:%c %s %c %s\n", (int)getpid(), log_role, when,
                level_marks[level], msg);
    fflush(out);
}

void log_msg(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}
