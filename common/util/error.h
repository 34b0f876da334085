/* error.h - error reporting for lmntk.
 *
 * Functions that can fail take an `lm_error *` as their last argument and
 * return 0 on success, -1 on failure.  On failure the message says what went
 * wrong and names the file, field, tensor or byte offset involved, so that a
 * user can act on it without reading the code. */
#ifndef LM_UTIL_ERROR_H
#define LM_UTIL_ERROR_H

#include <stddef.h>

#define LM_ERROR_MAX 1024

typedef struct lm_error {
    char msg[LM_ERROR_MAX];
} lm_error;

/* Sets the message (printf-style) and returns -1, so callers can write
 * `return lm_fail(err, "...", ...);`.  A NULL err is allowed. */
int lm_fail(lm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to an existing message (adds context on the way up). */
int lm_fail_prefix(lm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void lm_error_clear(lm_error *err);

/* Allocation that aborts with a message on out-of-memory, as Redis' zmalloc
 * does: every caller would otherwise need the same unrecoverable branch.
 * Where the process is a job that someone waits for (lmntk-worker's job
 * process), an out-of-memory handler reports the failure first; it must not
 * return (it ends the process). */
typedef void (*lm_oom_handler)(size_t bytes);
void lm_set_oom_handler(lm_oom_handler handler); /* NULL: the default report */
void *lm_xmalloc(size_t n);
void *lm_xcalloc(size_t count, size_t size);
void *lm_xrealloc(void *p, size_t n);
char *lm_xstrdup(const char *s);
char *lm_xstrndup(const char *s, size_t n);
/* 64-byte aligned allocation for the math (AVX-512 loads); free with free(). */
void *lm_xalloc_aligned(size_t n);

#endif
