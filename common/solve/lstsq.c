/* lstsq.c - least squares through LAPACK dgelsy, sigma_max, lstsq solver.
 *
 * The reference calls torch.linalg.lstsq on CPU float64, whose default
 * driver is gelsy (QR with column pivoting, then a complete orthogonal
 * factorisation) with rcond = eps * max(m, n).  Calling the same LAPACK
 * routine with the same rcond gives the same rank and, for a clear rank
 * gap, the same minimum-norm solution. */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <lapack.h>
#include "solve/solve_internal.h"

int lm_gelsy(int m, int n, const double *a, const double *b, double *x,
             int *rank, lm_error *err) {
    /* a: [m, n] row-major; b: [m]; x: [n].  LAPACK is column-major, so the
     * copy transposes; B must hold max(m, n) rows (the solution comes back
     * in its first n). */
    int ldb = m > n ? m : n, nrhs = 1, info = 0, lwork = -1;
    double *ac = lm_xmalloc((size_t)m * n * sizeof(double));
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) ac[(size_t)j * m + i] = a[(size_t)i * n + j];
    double *bc = lm_xcalloc((size_t)ldb, sizeof(double));
    memcpy(bc, b, (size_t)m * sizeof(double));
    int *jpvt = lm_xcalloc((size_t)(n > 0 ? n : 1), sizeof(int)); /* all columns free */
    double rcond = DBL_EPSILON * (double)(m > n ? m : n), wq = 0;
    int lda = m > 1 ? m : 1, r = 0;
    LAPACK_dgelsy(&m, &n, &nrhs, ac, &lda, bc, &ldb, jpvt, &rcond, &r, &wq, &lwork, &info);
    if (info == 0) {
        lwork = (int)wq;
        double *work = lm_xmalloc((size_t)(lwork > 1 ? lwork : 1) * sizeof(double));
        LAPACK_dgelsy(&m, &n, &nrhs, ac, &lda, bc, &ldb, jpvt, &rcond, &r, work, &lwork, &info);
        free(work);
    }
    if (info == 0) {
        memcpy(x, bc, (size_t)n * sizeof(double));
        *rank = r;
    }
    free(ac);
    free(bc);
    free(jpvt);
    if (info != 0) return lm_fail(err, "LAPACK dgelsy failed (info=%d) on a %dx%d system", info, m, n);
    return 0;
}

int lm_sigma_max(int m, int n, const double *a, double *out, lm_error *err) {
    /* Singular values of A and A^T agree, so the row-major array is passed
     * as is (LAPACK sees A^T, n x m). */
    int info = 0, lwork = -1, mn = m < n ? m : n;
    char jobz = 'N';
    double *ac = lm_xmalloc((size_t)m * n * sizeof(double));
    memcpy(ac, a, (size_t)m * n * sizeof(double));
    double *s = lm_xmalloc((size_t)(mn > 0 ? mn : 1) * sizeof(double));
    int *iwork = lm_xmalloc((size_t)(8 * (mn > 0 ? mn : 1)) * sizeof(int));
    int lda = n > 1 ? n : 1, one = 1;
    double wq = 0, dummy = 0;
    LAPACK_dgesdd(&jobz, &n, &m, ac, &lda, s, &dummy, &one, &dummy, &one, &wq, &lwork, iwork, &info);
    if (info == 0) {
        lwork = (int)wq;
        double *work = lm_xmalloc((size_t)(lwork > 1 ? lwork : 1) * sizeof(double));
        LAPACK_dgesdd(&jobz, &n, &m, ac, &lda, s, &dummy, &one, &dummy, &one, work, &lwork, iwork, &info);
        free(work);
    }
    if (info == 0) *out = mn > 0 ? s[0] : 0.0; /* descending order */
    free(ac);
    free(s);
    free(iwork);
    if (info != 0) return lm_fail(err, "LAPACK dgesdd failed (info=%d) computing sigma_max", info);
    return 0;
}

int lm_solve_lstsq(const lm_flat *f, const lm_kernel_problem *p,
                   const lm_solver_params *sp, lm_solve_result *out,
                   lm_error *err) {
    /* K [n, n] alpha = y [n]; pred[(x,c')] = sum_r K_te[r, (x,c')] alpha_r. */
    (void)sp;
    double *alpha = lm_xmalloc((size_t)f->n * sizeof(double));
    if (lm_gelsy(f->n, f->n, f->k, f->y, alpha, &out->rank, err)) {
        free(alpha);
        return -1;
    }
    for (int e = 0; e < p->n_eval; e++) {
        lm_eval_result *r = &out->eval[e];
        int mc = r->m * r->c;
        lm_kt_dot(p->eval[e].k, f->n, mc, alpha, r->dec);
        memcpy(r->score, r->dec, (size_t)mc * sizeof(double));
    }
    free(alpha);
    return 0;
}
