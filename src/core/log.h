/*
 * log: the process log, in Redis's line format
 * ("PID:R DD Mon YYYY HH:MM:SS.mmm * text"), to a file or stderr. Under the
 * journal (JOURNAL_STREAM names our stderr) every line starts with a syslog
 * priority prefix so journalctl shows the right severity.
 */
#ifndef RH_CORE_LOG_H
#define RH_CORE_LOG_H

#include <stdarg.h>

enum log_level {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_VERBOSE,
    LOG_LEVEL_NOTICE,
    LOG_LEVEL_WARNING,
    LOG_LEVEL_NOTHING,
};

/* Role letter in each line: 'M' primary, 'S' replica, 'C' child, 'X' sentinel. */
void log_set_role(char role);
void log_set_level(int level);
int log_get_level(void);
/* Logs to path (appending), or to stderr when path is NULL or empty.
 * Returns 0 or a negative errno when the file cannot be opened (the previous
 * destination stays). */
int log_set_file(const char *path) __attribute__((warn_unused_result));
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);
/* Parses a loglevel name; returns the level or -1. */
int log_level_parse(const char *name);
const char *log_level_name(int level);
/* Reopens the log file (after rotation). */
void log_reopen(void);

#endif
