/* asym.c - LS-SVM for asymmetric kernels, without bias (spec §5.4 "asym").
 *
 * Fit:   Y = y - f0/s (already in f->y),  H_ij = Y_i K0_ij Y_j,
 *        [[I/gamma, H], [H^T, I/gamma]] [alpha; beta] = 1_{2n}  (gelsy).
 * Predict: omega_x = sum_j K0_te[j,x] alpha_j Y_j,
 *          nu_x    = sum_j K_flip[j,x] beta_j Y_j,
 *          pred    = lambda*omega + (1-lambda)*nu  (+ f0/s, in solve.c).
 *
 * Two deliberate differences from kernel_solvers.py:95-175: lambda is the
 * solver parameter asym_lambda (the reference reads an undefined
 * args.kernel_lambda and crashes), and H is kept in float64 (the reference
 * builds it with torch.zeros, i.e. in float32, then casts back). */
#include <stdlib.h>
#include "solve/solve_internal.h"

int lm_solve_asym(const lm_flat *f, const lm_kernel_problem *p,
                  const lm_solver_params *sp, lm_solve_result *out,
                  lm_error *err) {
    int n = f->n, n2 = 2 * n;
    const double *Y = f->y, *K = f->k;
    /* A [2n, 2n] row-major. */
    double *A = lm_xcalloc((size_t)n2 * n2, sizeof(double));
    for (int i = 0; i < n; i++) {
        A[(size_t)i * n2 + i] = 1.0 / sp->gamma;
        A[(size_t)(n + i) * n2 + n + i] = 1.0 / sp->gamma;
        for (int j = 0; j < n; j++) {
            double h = Y[i] * (K[(size_t)i * n + j] * Y[j]);
            A[(size_t)i * n2 + n + j] = h;       /* H */
            A[(size_t)(n + j) * n2 + i] = h;     /* H^T */
        }
    }
    double *ones = lm_xmalloc((size_t)n2 * sizeof(double));
    double *sol = lm_xmalloc((size_t)n2 * sizeof(double));
    for (int i = 0; i < n2; i++) ones[i] = 1.0;
    int rc = lm_gelsy(n2, n2, A, ones, sol, &out->rank, err);
    free(A);
    free(ones);
    if (rc) {
        free(sol);
        return -1;
    }
    double *ay = lm_xmalloc((size_t)n * sizeof(double));
    double *by = lm_xmalloc((size_t)n * sizeof(double));
    for (int j = 0; j < n; j++) {
        ay[j] = sol[j] * Y[j];
        by[j] = sol[n + j] * Y[j];
    }
    for (int e = 0; e < p->n_eval; e++) {
        lm_eval_result *r = &out->eval[e];
        int mc = r->m * r->c;
        double *nu = lm_xmalloc((size_t)mc * sizeof(double));
        lm_kt_dot(p->eval[e].k, n, mc, ay, r->dec);      /* omega */
        lm_kt_dot(p->eval[e].k_flip, n, mc, by, nu);
        for (int j = 0; j < mc; j++) {
            r->dec[j] = sp->asym_lambda * r->dec[j] + (1.0 - sp->asym_lambda) * nu[j];
            r->score[j] = r->dec[j];
        }
        free(nu);
    }
    free(ay);
    free(by);
    free(sol);
    return 0;
}
