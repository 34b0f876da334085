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
