/* test_select.c - best-dev selection (first max, NaN = missing run) and the
 * mean / population std over seeds, against numpy (spec §5.6). */
#include <stdio.h>
#include "../check.h"
#include "solve/solve.h"

int main(void) {
    double dev[6] = {0.5, 0.75, 0.625, 0.75, NAN, 0.1};
    CHECK(lm_select_best(dev, 6) == 1);          /* tie: the first */
    double nan_first[3] = {NAN, 0.2, 0.2};
    CHECK(lm_select_best(nan_first, 3) == 1);
    double all_nan[2] = {NAN, NAN};
    CHECK(lm_select_best(all_nan, 2) == -1);
    CHECK(lm_select_best(dev, 0) == -1);

    /* numpy: x.mean() = 0.843, x.std() = 0.035662042145676406 */
    double x[5] = {0.8125, 0.875, 0.890625, 0.796875, 0.8399999999999999};
    double mean, std;
    lm_mean_std(x, 5, &mean, &std);
    CHECK(mean == 0.843);
    CHECK(std == 0.035662042145676406);
    /* 9 values exercise numpy's 8-way unrolled pairwise sum:
     * np.arange(1, 10) / 10 -> mean 0.5, std 0.25819888974716115 */
    double y[9];
    for (int i = 0; i < 9; i++) y[i] = (i + 1) / 10.0;
    lm_mean_std(y, 9, &mean, &std);
    CHECK(mean == 0.5);
    CHECK(std == 0.25819888974716115);

    /* 3 seeds x 4 grid points */
    double d[12] = {0.5, 0.6, 0.6, 0.4,
                    0.7, 0.2, NAN, 0.7,
                    0.1, 0.2, 0.3, 0.9};
    double t[12] = {0.1, 0.2, 0.3, 0.4,
                    0.5, 0.6, 0.7, 0.8,
                    0.9, 1.0, 1.1, 1.2};
    int best[3];
    lm_error err;
    CHECK(lm_select_seeds(d, t, 3, 4, best, &mean, &std, &err) == 0);
    CHECK(best[0] == 1 && best[1] == 0 && best[2] == 3);
    /* test picked: 0.2, 0.5, 1.2 -> numpy mean 0.6333333333333333,
     * std 0.41899350299921784 */
    CHECK(mean == 0.6333333333333333);
    CHECK(std == 0.41899350299921784);
    double dn[4] = {NAN, NAN, 0.1, 0.2};
    CHECK(lm_select_seeds(dn, t, 2, 2, best, &mean, &std, &err) == -1);
    return check_exit("test_select");
}
