/* logreg.h - multinomial L2 logistic regression with sklearn's
 * LogisticRegressionCV(multi_class="multinomial") semantics, for the
 * linear-probe head initialisation of spec §3.3.
 *
 * One fit minimises  Σ_i CE(softmax(W x_i + b), y_i) + ||W||_F² / (2C)
 * (unpenalised intercept).  The CV tries Cs = logspace(-4, 4, 10) on 5
 * stratified folds without shuffling (lm_stratified_folds), scores each by
 * the sum over folds of the fold accuracy, takes the first best C, and
 * refits on all rows.
 *
 * Solver: Newton's method with a backtracking line search, in rotated
 * coordinates (the right singular vectors of each fit's design, as
 * common/solve/logistic.c does): with few rows and many features the
 * optimum's W lies in the rows' span, so the system has K·(rank+1) unknowns.
 * The loss depends on b only through its differences and sklearn's lbfgs,
 * started at 0, keeps Σ_k b_k = 0; we solve with b_{K-1} = 0 and centre b
 * afterwards, which gives the same point.  The optimum is unique, so this
 * agrees with sklearn up to lbfgs's stopping tolerance (1e-4 on the
 * gradient), which is where predictions near a tie can differ.
 *
 * For K = 2 sklearn stores only the class-1 row of the symmetric two-class
 * fit (coef_ = w1 = -w0, intercept_ = b1); lm_logreg_cv returns both rows,
 * so coef_ is W[1]. */
#ifndef LM_TRAIN_LOGREG_H
#define LM_TRAIN_LOGREG_H

#include "util/error.h"

#define LM_LOGREG_NCS 10
#define LM_LOGREG_FOLDS 5

/* One fit on rows X [n, d] (row-major) with labels y in [0, K).  W [K, d]
 * and b [K] receive the optimum; *iters (may be NULL) the Newton steps. */
int lm_logreg_fit(const double *X, int n, int d, const int *y, int K, double C, double *W,
                  double *b, int *iters, lm_error *err);

typedef struct lm_logreg_cv {
    int K, d;
    double cs[LM_LOGREG_NCS];
    double scores[LM_LOGREG_NCS]; /* Σ over folds of the fold accuracy */
    int best;                     /* index of the chosen C */
    double C;
    double *W;                    /* [K, d], refit on all rows */
    double *b;                    /* [K], Σ b = 0 */
} lm_logreg_cv;

/* Every class in [0, K) must occur in y. */
int lm_logreg_cv_fit(const double *X, int n, int d, const int *y, int K, lm_logreg_cv *out,
                     lm_error *err);
void lm_logreg_cv_free(lm_logreg_cv *cv);

#endif
