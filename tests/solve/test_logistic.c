/* test_logistic.c - the logistic solver against sklearn 1.2
 * LogisticRegressionCV(max_iter=10000, random_state=0):
 *   - StratifiedKFold fold assignment: identical;
 *   - Cs: numpy.logspace(-4, 4, 10);
 *   - CV scores and chosen C: identical to the same CV run with a converged
 *     solver (sklearn newton-cholesky, tol 1e-12), and to the reference's
 *     lbfgs except where lbfgs stopped early;
 *   - margins x.w + b: within 1e-6 of the converged optimum;
 *   - predicted labels: equal to the reference's (lbfgs) except at near-ties,
 *     counted and reported; decision values log p1 - log p0 as sklearn's
 *     predict_log_proba, including its +inf saturation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "solve_fx.h"

static const char *dir;

/* A label that differs from the reference's is a near-tie when the decision
 * is closer to the boundary than the reference's own solver error: |margin|
 * (binary) or the gap between the two best classes is within `slack`, the
 * largest distance between sklearn's lbfgs margins and the converged optimum
 * on that eval set (lbfgs stops at |grad| <= 1e-4), or within 1e-3 of the
 * largest |margin|. */
static int near_tie(const double *score, int c, double scale, double slack) {
    double tol = fmax(1e-3 * scale, slack);
    if (c == 1) return fabs(score[0]) <= tol;
    double a = -INFINITY, b = -INFINITY;
    for (int j = 0; j < c; j++) {
        if (score[j] > a) { b = a; a = score[j]; }
        else if (score[j] > b) b = score[j];
    }
    return a - b <= 2 * tol;
}

static void run_case(const char *name, const char *tag, double lambda, int max_mism,
                     int *ties_total) {
    fx_problem fp;
    CHECK(fx_problem_load(&fp, dir, name) == 0);
    lm_solver_params sp;
    lm_solver_params_init(&sp);   /* logistic is the default */
    sp.lambda = lambda;
    /* f0 is ignored by logistic: passing it must change nothing */
    fx_use_f0(&fp, 1);
    lm_solve_result res;
    lm_error err;
    int rc = lm_solve(&fp.p, &sp, &res, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc) { fx_problem_free(&fp); return; }
    char nm[96];
    int n = fp.n * fp.c;

    /* folds */
    int *y01 = malloc(sizeof(int) * (size_t)n), *folds = malloc(sizeof(int) * (size_t)n);
    for (int t = 0; t < fp.n; t++)
        for (int j = 0; j < fp.c; j++)
            y01[t * fp.c + j] = fp.c == 1 ? fp.labels[t] : fp.labels[t] == j;
    CHECK(lm_stratified_folds(y01, n, 5, folds, &err) == 0);
    snprintf(nm, sizeof(nm), "%s_folds", tag);
    int *rf = lmfx_i(&fp.fx, nm, NULL);
    int fdiff = 0;
    for (int i = 0; i < n; i++) fdiff += folds[i] != rf[i];
    CHECK_MSG(fdiff == 0, "%s: %d fold assignments differ from sklearn", name, fdiff);
    free(rf); free(folds); free(y01);

    /* CV scores: exact optimum CV must agree; report lbfgs differences */
    snprintf(nm, sizeof(nm), "%s_exact_cv", tag);
    double *ecv = lmfx_d(&fp.fx, nm, NULL);
    snprintf(nm, sizeof(nm), "%s_cv", tag);
    double *lcv = lmfx_d(&fp.fx, nm, NULL);
    int cv_exact_diff = 0, cv_lbfgs_diff = 0;
    for (int c = 0; c < LM_LOGISTIC_NCS; c++) {
        cv_exact_diff += fabs(res.cv_score[c] - ecv[c]) > 1e-12;
        cv_lbfgs_diff += fabs(res.cv_score[c] - lcv[c]) > 1e-12;
    }
    CHECK_MSG(cv_exact_diff == 0, "%s: %d CV scores differ from the converged sklearn CV",
              name, cv_exact_diff);
    snprintf(nm, sizeof(nm), "%s_exact_c_index", tag);
    CHECK(res.c_index == lmfx_int(&fp.fx, nm));
    snprintf(nm, sizeof(nm), "%s_c_index", tag);
    int ref_ci = lmfx_int(&fp.fx, nm);
    CHECK_MSG(res.c_index == ref_ci, "%s: C index %d vs reference %d", name, res.c_index, ref_ci);
    snprintf(nm, sizeof(nm), "%s_c", tag);
    CHECK_CLOSE(res.c_chosen, lmfx_double(&fp.fx, nm), 1e-15, 0);
    CHECK(res.unconverged == 0);
    free(ecv); free(lcv);

    static const char *sets[2] = {"dev", "test"};
    int mism = 0, ties = 0, pts = 0;
    double worst_exact = 0, worst_lbfgs = 0, worst_slack = 0, worst_scale = 0;
    for (int e = 0; e < 2; e++) {
        lm_eval_result *r = &res.eval[e];
        int mc = r->m * r->c;
        snprintf(nm, sizeof(nm), "%s_exact_%s", tag, sets[e]);
        double *ex = lmfx_d(&fp.fx, nm, NULL);
        char what[128];
        snprintf(what, sizeof(what), "%s %s margin vs converged sklearn", name, sets[e]);
        double w = fx_compare(what, r->score, ex, (size_t)mc, 1e-6);
        if (w > worst_exact) worst_exact = w;
        snprintf(nm, sizeof(nm), "%s_margin_%s", tag, sets[e]);
        double *lm = lmfx_d(&fp.fx, nm, NULL);
        double scale = 0, slack = 0;
        for (int j = 0; j < mc; j++) {
            double d = fabs(r->score[j] - lm[j]) / fmax(fabs(lm[j]), 1e-300);
            if (d > worst_lbfgs) worst_lbfgs = d;
            if (fabs(r->score[j]) > scale) scale = fabs(r->score[j]);
            if (fabs(lm[j] - ex[j]) > slack) slack = fabs(lm[j] - ex[j]);
        }
        if (slack > worst_slack) worst_slack = slack;
        if (scale > worst_scale) worst_scale = scale;
        /* dec reproduces predict_log_proba: finite where the reference is,
         * +inf where it saturates */
        snprintf(nm, sizeof(nm), "%s_dec_%s", tag, sets[e]);
        double *ld = lmfx_d(&fp.fx, nm, NULL);
        for (int j = 0; j < mc; j++) {
            if (isinf(ld[j])) CHECK_MSG(isinf(r->dec[j]) && r->dec[j] > 0, "%s dec[%d]", name, j);
            else CHECK_CLOSE(r->dec[j], r->score[j], 1e-6, 1e-9);
        }
        int *rp = fx_ref_pred(ld, r->m, r->c);
        for (int i = 0; i < r->m; i++, pts++) {
            if (rp[i] == r->pred[i]) continue;
            mism++;
            int tie = near_tie(r->score + (size_t)i * r->c, r->c, scale, slack);
            ties += tie;
            CHECK_MSG(tie, "%s %s point %d: class %d vs reference %d is not a near-tie",
                      name, sets[e], i, r->pred[i], rp[i]);
        }
        free(rp); free(ld); free(lm); free(ex);
    }
    *ties_total += ties;
    CHECK_MSG(mism <= max_mism, "%s: %d labels differ", name, mism);
    printf("  %-4s %-3s C=%-9.4g cv vs lbfgs: %d of 10 differ | margin rel err vs "
           "converged %.2g, vs lbfgs %.2g (lbfgs off by %.2g, max |margin| %.2g) | "
           "%d of %d labels differ from the reference (%d near-ties) | %d Newton "
           "iterations\n", name, tag, res.c_chosen, cv_lbfgs_diff, worst_exact,
           worst_lbfgs, worst_slack, worst_scale, mism, pts, ties, res.newton_iters);
    lm_solve_result_free(&res);
    fx_problem_free(&fp);
}

static void test_cs(void) {
    double cs[LM_LOGISTIC_NCS];
    lm_logistic_cs(cs);
    /* numpy.logspace(-4, 4, 10), printed with repr() */
    const double ref[LM_LOGISTIC_NCS] = {
        9.999999999999999e-05, 0.000774263682681127, 0.005994842503189409,
        0.046415888336127774, 0.3593813663804626, 2.782559402207126,
        21.54434690031882, 166.81005372000556, 1291.5496650148827, 10000.0};
    for (int i = 0; i < LM_LOGISTIC_NCS; i++) CHECK_CLOSE(cs[i], ref[i], 1e-15, 0);
}

static void test_folds(void) {
    /* sklearn: StratifiedKFold(3)._make_test_folds(X, y) for this y gives
     * [0 0 0 1 1 0 2 1 2 2] (classes by first appearance: 2, 0, 1). */
    int y[10] = {2, 2, 0, 2, 0, 1, 0, 1, 1, 2};
    int ref[10] = {0, 0, 0, 1, 1, 0, 2, 1, 2, 2};
    int folds[10];
    lm_error err;
    CHECK(lm_stratified_folds(y, 10, 3, folds, &err) == 0);
    for (int i = 0; i < 10; i++) CHECK_MSG(folds[i] == ref[i], "fold[%d] = %d", i, folds[i]);
    /* every class smaller than k: an error, as sklearn */
    int small[4] = {0, 1, 0, 1};
    CHECK(lm_stratified_folds(small, 4, 3, folds, &err) == -1);
}

static void test_one_class(void) {
    double k[4] = {1, 0, 0, 1}, kte[4] = {1, 1, 0, 1};
    int labels[2] = {1, 1};
    lm_eval_kernel ev = {.m = 2, .k = kte};
    lm_kernel_problem p = {.n = 2, .c = 1, .k_train = k, .labels = labels, .n_eval = 1, .eval = &ev};
    lm_solver_params sp;
    lm_solver_params_init(&sp);
    lm_solve_result res;
    lm_error err;
    CHECK(lm_solve(&p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "only one class") != NULL, "%s", err.msg);
}

int main(int argc, char **argv) {
    dir = argc > 1 ? argv[1] : "tests/fixtures/solve";
    test_cs();
    test_folds();
    test_one_class();
    int ties = 0;
    run_case("bin", "lr", 0.0, 2, &ties);
    run_case("bin", "lrr", 0.01, 2, &ties);
    run_case("mc3", "lr", 0.0, 2, &ties);
    run_case("sing", "lr", 0.0, 2, &ties);
    /* asym picks C = 1e-4 on a kernel of scale ~1: every margin is ~1e-4,
     * the size of the intercept error that lbfgs's gtol=1e-4 leaves, so the
     * reference's labels near 0 are set by where lbfgs stopped. */
    run_case("asym", "lr", 0.0, 8, &ties);
    printf("logistic: %d near-tie label differences in all\n", ties);
    return check_exit("test_logistic");
}
