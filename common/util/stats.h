/* stats.h - mean and population std rounded as numpy rounds them. */
#ifndef LM_UTIL_STATS_H
#define LM_UTIL_STATS_H

#include <cjson/cJSON.h>

/* Mean and population std (numpy .std(), ddof=0) of x[n]: numpy's pairwise
 * summation, so the figures round exactly as np.mean / np.std.  NaN for
 * n <= 0. */
void lm_mean_std(const double *x, int n, double *mean, double *std);

/* The same as a JSON object {"mean": ..., "std": ...}. */
cJSON *lm_mean_std_json(const double *x, int n);

#endif
