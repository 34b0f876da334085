/* stats.c - the mean and std over seeds as numpy computes them (spec §5.6),
 * shared by the solvers' selection and the aggregation of results. */
#include "util/stats.h"

#include <math.h>
#include <stdlib.h>

#include "util/error.h"

/* numpy's pairwise summation (pairwise_sum in loops_utils.h), so that the
 * mean and std round exactly as np.mean / np.std do. */
static double np_sum(const double *a, int n) {
    if (n < 8) {
        double s = 0.;
        for (int i = 0; i < n; i++) s += a[i];
        return s;
    }
    if (n <= 128) {
        double r[8];
        int i;
        for (int j = 0; j < 8; j++) r[j] = a[j];
        for (i = 8; i < n - n % 8; i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) s += a[i];
        return s;
    }
    int h = n / 2;
    h -= h % 8;
    return np_sum(a, h) + np_sum(a + h, n - h);
}

void lm_mean_std(const double *x, int n, double *mean, double *std) {
    /* numpy: mean = sum / n; std = sqrt(sum((x - mean)^2) / n). */
    if (n <= 0) {
        *mean = NAN;
        *std = NAN;
        return;
    }
    double mu = np_sum(x, n) / n;
    double *d = lm_xmalloc((size_t)n * sizeof(double));
    for (int i = 0; i < n; i++) d[i] = (x[i] - mu) * (x[i] - mu);
    *mean = mu;
    *std = sqrt(np_sum(d, n) / n);
    free(d);
}

cJSON *lm_mean_std_json(const double *x, int n) {
    double mean, std;
    lm_mean_std(x, n, &mean, &std);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "mean", mean);
    cJSON_AddNumberToObject(e, "std", std);
    return e;
}
