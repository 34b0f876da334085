/* clock.h - a monotonic clock in seconds, for timings, ETAs and timeouts. */
#ifndef LM_UTIL_CLOCK_H
#define LM_UTIL_CLOCK_H

double lm_now(void);

#endif
