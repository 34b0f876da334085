/* select.c - dev-set selection and the mean/std over seeds (spec §5.6).
 *
 * tools/gather_result.py picks, per data seed, the run with the best dev
 * metric (Python max() over runs sorted by output_dir: the first maximum)
 * and reports its test metric; the final number is mean and np.std
 * (population, ddof=0) over the seeds. */
#include <math.h>
#include <stdlib.h>
#include "solve/solve.h"

int lm_select_best(const double *dev, int n) {
    /* max() keeps the current best unless a later one is strictly greater.
     * NaN stands for a missing run, which the reference never sees. */
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (isnan(dev[i])) continue;
        if (best < 0 || dev[i] > dev[best]) best = i;
    }
    return best;
}

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

int lm_select_seeds(const double *dev, const double *test, int n_seeds,
                    int n_grid, int *best, double *mean, double *std,
                    lm_error *err) {
    /* dev, test: [n_seeds, n_grid]; best: [n_seeds]. */
    if (n_seeds <= 0 || n_grid <= 0)
        return lm_fail(err, "selection over %d seeds x %d grid points", n_seeds, n_grid);
    double *picked = lm_xmalloc((size_t)n_seeds * sizeof(double));
    for (int s = 0; s < n_seeds; s++) {
        best[s] = lm_select_best(dev + (size_t)s * n_grid, n_grid);
        if (best[s] < 0) {
            free(picked);
            return lm_fail(err, "seed %d has no dev result (all %d grid points NaN)", s, n_grid);
        }
        picked[s] = test[(size_t)s * n_grid + best[s]];
    }
    lm_mean_std(picked, n_seeds, mean, std);
    free(picked);
    return 0;
}
