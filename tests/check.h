/* check.h - the assertions of lmntk's C tests.
 *
 * A test program runs its checks, prints each failure with file and line,
 * and returns check_exit(): 0 when all passed.  meson counts one test per
 * program; tests/run.sh prints the suite's "N passed, N failed". */
#ifndef LM_TESTS_CHECK_H
#define LM_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures_ = 0;
static int check_count_ = 0;

#define CHECK(cond) do { check_count_++; if (!(cond)) { check_failures_++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_MSG(cond, ...) do { check_count_++; if (!(cond)) { check_failures_++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* |a-b| <= rel * max(|a|,|b|) + abs_tol */
#define CHECK_CLOSE(a, b, rel, abs_tol) do { double a_ = (a), b_ = (b); check_count_++; \
    double m_ = fabs(a_) > fabs(b_) ? fabs(a_) : fabs(b_); \
    if (!(fabs(a_ - b_) <= (rel) * m_ + (abs_tol))) { check_failures_++; \
    fprintf(stderr, "%s:%d: CHECK_CLOSE failed: %s = %.9g vs %s = %.9g\n", \
            __FILE__, __LINE__, #a, a_, #b, b_); } } while (0)

static inline int check_exit(const char *name) {
    fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count_, check_failures_);
    return check_failures_ ? 1 : 0;
}

#endif
