/* clock.c - CLOCK_MONOTONIC as double seconds. */
#include "util/clock.h"

#include <time.h>

double lm_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
