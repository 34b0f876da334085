/* log.c - leveled logging to stderr with timestamps. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Process state in util: the log threshold (and error.c's out-of-memory
 * handler). */
static int log_level = LM_LOG_INFO;

void lm_log_set_level(int level) { log_level = level; }

int lm_log_parse_level(const char *name) {
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

void lm_log(int level, const char *fmt, ...) {
    if (level < log_level) return;
    static const char *tags[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s\n", when, tags[level < 0 ? 0 : level > 3 ? 3 : level], line);
}
