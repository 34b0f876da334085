/* error.c - error messages and checked allocation. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lm_fail(lm_error *err, const char *fmt, ...) {
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int lm_fail_prefix(lm_error *err, const char *fmt, ...) {
    if (!err) return -1;
    char prefix[LM_ERROR_MAX / 2], old[LM_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    memcpy(err->msg, prefix, n);
    err->msg[n] = ':';
    err->msg[n + 1] = ' ';
    size_t room = sizeof err->msg - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return -1;
}

void lm_error_clear(lm_error *err) {
    if (err) err->msg[0] = '\0';
}

/* Process state beside the log level: set once, by a job process, before
 * it allocates (like Redis' zmalloc_set_oom_handler). */
static lm_oom_handler oom_handler = NULL;

void lm_set_oom_handler(lm_oom_handler handler) { oom_handler = handler; }

static void out_of_memory(size_t n) {
    if (oom_handler) oom_handler(n);
    fprintf(stderr, "lmntk: out of memory allocating %zu bytes\n", n);
    abort();
}

void *lm_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

void *lm_xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) out_of_memory(count * size);
    return p;
}

void *lm_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory(n);
    return q;
}

char *lm_xstrdup(const char *s) {
    return lm_xstrndup(s, strlen(s));
}

char *lm_xstrndup(const char *s, size_t n) {
    char *p = lm_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *lm_xalloc_aligned(size_t n) {
    void *p = NULL;
    size_t rounded = (n + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) out_of_memory(n);
    return p;
}
