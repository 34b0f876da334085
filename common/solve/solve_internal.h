/* solve_internal.h - what the solver files share (not a public API).
 *
 * solve.c validates the problem and builds an lm_flat: the flattened,
 * regularised train matrix and targets (spec §5.1-5.3).  Each solver file
 * fills out->eval[e].dec / .score from it; solve.c then adds f0/s where the
 * reference does and computes the predicted labels. */
#ifndef LM_SOLVE_INTERNAL_H
#define LM_SOLVE_INTERNAL_H

#include "solve/solve.h"

typedef struct lm_flat {
    int n;           /* N*C flattened rows (r = t*C + c) */
    double *k;       /* [n, n] row-major train matrix, ridge applied */
    double *y;       /* [n] targets: one-hot 0/1, or +-1 in binary mode,
                      * minus f0_train/s when the f0 adjustment is on */
    int use_f0;      /* f0 adjustment on (solver uses it, f0 given, s > 0) */
} lm_flat;

/* Solvers: fit on f, then fill dec and score of every eval set. */
int lm_solve_lstsq(const lm_flat *f, const lm_kernel_problem *p,
                   const lm_solver_params *sp, lm_solve_result *out,
                   lm_error *err);
int lm_solve_logistic(const lm_flat *f, const lm_kernel_problem *p,
                      const lm_solver_params *sp, lm_solve_result *out,
                      lm_error *err);
int lm_solve_svm(const lm_flat *f, const lm_kernel_problem *p,
                 const lm_solver_params *sp, lm_solve_result *out,
                 lm_error *err);
int lm_solve_asym(const lm_flat *f, const lm_kernel_problem *p,
                  const lm_solver_params *sp, lm_solve_result *out,
                  lm_error *err);

/* x = argmin ||A x - b||, A [m, n] row-major, by LAPACK dgelsy with
 * rcond = eps * max(m, n) (torch.linalg.lstsq's default for gelsy); the
 * minimum-norm solution of the rank-truncated system.  x: [n]. */
int lm_gelsy(int m, int n, const double *a, const double *b, double *x,
             int *rank, lm_error *err);

/* Largest singular value of A [m, n] (dgesdd, values only). */
int lm_sigma_max(int m, int n, const double *a, double *out, lm_error *err);

/* out[M*C] = K^T v for a flattened kernel K [n, mc] row-major. */
void lm_kt_dot(const double *k, int n, int mc, const double *v, double *out);

#endif
