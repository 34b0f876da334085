/* logreg.c - multinomial L2 logistic regression, Newton in rotated
 * coordinates, and its stratified cross-validation over C. */
#include "train/logreg.h"

#include <cblas.h>
#include <lapack.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solve/solve.h"

/* A fit's design: X[rows] = P S Q^T; the loss sees F = P S [n, r] and
 * w = Q z maps the rotated weights back. */
typedef struct design {
    int n, d, r, m;
    double *F;   /* [n, r] row-major */
    double *Q;   /* [d, m] column-major; the first r columns are used */
} design;

static void design_free(design *ds) {
    free(ds->F);
    free(ds->Q);
}

static int design_build(const double *X, int d, const int *rows, int n, design *ds, lm_error *err) {
    memset(ds, 0, sizeof *ds);
    int m = n < d ? n : d;
    ds->n = n;
    ds->d = d;
    ds->m = m;
    /* row-major X[rows] [n,d] is column-major X^T [d,n]: X^T = U S V^T, so
     * X = V S U^T: Q = U, F = V S */
    double *A = lm_xmalloc((size_t)n * d * sizeof(double));
    for (int i = 0; i < n; i++) memcpy(A + (size_t)i * d, X + (size_t)rows[i] * d, (size_t)d * sizeof(double));
    double *s = lm_xmalloc((size_t)m * sizeof(double));
    double *VT = lm_xmalloc((size_t)m * n * sizeof(double));
    int *iwork = lm_xmalloc((size_t)8 * m * sizeof(int));
    ds->Q = lm_xmalloc((size_t)d * m * sizeof(double));
    char jobz = 'S';
    int lwork = -1, info = 0;
    double wq;
    LAPACK_dgesdd(&jobz, &d, &n, A, &d, s, ds->Q, &d, VT, &m, &wq, &lwork, iwork, &info);
    lwork = (int)wq + 1;
    double *work = lm_xmalloc((size_t)lwork * sizeof(double));
    LAPACK_dgesdd(&jobz, &d, &n, A, &d, s, ds->Q, &d, VT, &m, work, &lwork, iwork, &info);
    free(work);
    free(iwork);
    free(A);
    if (info != 0) {
        free(s);
        free(VT);
        design_free(ds);
        return lm_fail(err, "LAPACK dgesdd failed (info=%d) on the %dx%d probe features", info, n, d);
    }
    double tol = (m ? s[0] : 0) * 2.220446049250313e-16 * (n > d ? n : d);
    int r = 0;
    while (r < m && s[r] > tol) r++;
    ds->r = r;
    ds->F = lm_xmalloc(((size_t)n * r + 1) * sizeof(double));
    for (int i = 0; i < n; i++)
        for (int a = 0; a < r; a++) ds->F[(size_t)i * r + a] = VT[a + (size_t)i * m] * s[a];
    free(s);
    free(VT);
    return 0;
}

/* Objective at (Z, b) and, when P is not NULL, the class probabilities. */
static double objective(const design *ds, const int *y, int K, double C, const double *Z,
                        const double *b, double *P) {
    int n = ds->n, r = ds->r;
    double J = 0, lg[64];
    double *l = K <= 64 ? lg : lm_xmalloc((size_t)K * sizeof(double));
    for (int i = 0; i < n; i++) {
        const double *f = ds->F + (size_t)i * r;
        double mx = -INFINITY;
        for (int k = 0; k < K; k++) {
            double v = b[k];
            for (int a = 0; a < r; a++) v += Z[(size_t)k * r + a] * f[a];
            l[k] = v;
            if (v > mx) mx = v;
        }
        double se = 0;
        for (int k = 0; k < K; k++) se += exp(l[k] - mx);
        double lse = mx + log(se);
        J += lse - l[y[i]];
        if (P)
            for (int k = 0; k < K; k++) P[(size_t)i * K + k] = exp(l[k] - lse);
    }
    double zz = 0;
    for (size_t j = 0; j < (size_t)K * r; j++) zz += Z[j] * Z[j];
    if (l != lg) free(l);
    return J + zz / (2 * C);
}

/* Newton on z = [Z (K*r), b_0..b_{K-2}], b_{K-1} = 0. */
static int newton(const design *ds, const int *y, int K, double C, double *Z, double *b,
                  int *iters, lm_error *err) {
    int n = ds->n, r = ds->r, p = K * r + K - 1;
    memset(Z, 0, (size_t)K * r * sizeof(double));
    memset(b, 0, (size_t)K * sizeof(double));
    double *P = lm_xmalloc((size_t)n * K * sizeof(double));
    double *g = lm_xmalloc((size_t)p * sizeof(double));
    double *Hm = lm_xmalloc((size_t)p * p * sizeof(double));
    double *dsc = lm_xmalloc((size_t)p * sizeof(double));
    double *step = lm_xmalloc((size_t)p * sizeof(double));
    double *G = lm_xmalloc(((size_t)n * r + 1) * sizeof(double));
    double *c = lm_xmalloc((size_t)n * sizeof(double));
    double *Zt = lm_xmalloc(((size_t)K * r + 1) * sizeof(double)), *bt = lm_xmalloc((size_t)K * sizeof(double));
    int it, rc = 0, quad = 0;
    double J = objective(ds, y, K, C, Z, b, P);
    for (it = 0; it < 200; it++) {
        /* gradient */
        memset(g, 0, (size_t)p * sizeof(double));
        for (int i = 0; i < n; i++) {
            const double *f = ds->F + (size_t)i * r;
            for (int k = 0; k < K; k++) {
                double e = P[(size_t)i * K + k] - (y[i] == k);
                for (int a = 0; a < r; a++) g[k * r + a] += e * f[a];
                if (k < K - 1) g[K * r + k] += e;
            }
        }
        for (int j = 0; j < K * r; j++) g[j] += Z[j] / C;
        /* Hessian: blocks F^T diag(c) F with c_i = p_ik (δ_kk' - p_ik') */
        memset(Hm, 0, (size_t)p * p * sizeof(double));
        for (int k = 0; k < K; k++)
            for (int k2 = k; k2 < K; k2++) {
                double cs = 0;
                for (int i = 0; i < n; i++) {
                    double pk = P[(size_t)i * K + k], pk2 = P[(size_t)i * K + k2];
                    c[i] = pk * ((k == k2) - pk2);
                    cs += c[i];
                    for (int a = 0; a < r; a++) G[(size_t)i * r + a] = c[i] * ds->F[(size_t)i * r + a];
                }
                if (r > 0) /* column-major p x p: block rows k*r.., cols k2*r.. */
                    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, r, r, n, 1.0, ds->F, r, G, r,
                                0.0, Hm + (size_t)k2 * r * p + (size_t)k * r, p);
                for (int a = 0; a < r; a++) {
                    double v = 0;
                    for (int i = 0; i < n; i++) v += G[(size_t)i * r + a];
                    /* Z_k,a x b_k2 and Z_k2,a x b_k */
                    if (k2 < K - 1) Hm[(size_t)(K * r + k2) * p + k * r + a] = v;
                    if (k < K - 1) Hm[(size_t)(K * r + k) * p + k2 * r + a] = v;
                }
                if (k < K - 1 && k2 < K - 1) Hm[(size_t)(K * r + k2) * p + K * r + k] = cs;
            }
        for (int j = 0; j < K * r; j++) Hm[(size_t)j * p + j] += 1.0 / C;
        /* Jacobi scaling, Cholesky of the upper triangle (filled above) */
        for (int j = 0; j < p; j++) dsc[j] = Hm[(size_t)j * p + j] > 0 ? 1.0 / sqrt(Hm[(size_t)j * p + j]) : 1.0;
        for (int j = 0; j < p; j++)
            for (int i = 0; i <= j; i++) Hm[(size_t)j * p + i] *= dsc[i] * dsc[j];
        for (int j = 0; j < p; j++) step[j] = -g[j] * dsc[j];
        char uplo = 'U';
        int info = 0, one = 1;
        LAPACK_dpotrf(&uplo, &p, Hm, &p, &info);
        if (info != 0) {
            rc = lm_fail(err, "logistic regression: Newton system not positive definite (info=%d)", info);
            break;
        }
        LAPACK_dpotrs(&uplo, &p, &one, Hm, &p, step, &p, &info);
        double gd = 0;
        for (int j = 0; j < p; j++) {
            step[j] *= dsc[j];
            gd += g[j] * step[j];
        }
        if (-gd < 1e-26 * (1.0 + fabs(J))) break;
        double t = 1.0, Jt = J;
        if (-gd < 1e-9 * (1.0 + fabs(J))) {
            /* quadratic region: full steps, as J's changes fall below its rounding */
            for (int j = 0; j < K * r; j++) Z[j] += step[j];
            for (int k = 0; k < K - 1; k++) b[k] += step[K * r + k];
            J = objective(ds, y, K, C, Z, b, P);
            if (++quad >= 4) break; /* the decrement squares each step: 1e-9 -> far below eps */
            continue;
        }
        for (int ls = 0; ls < 60; ls++, t *= 0.5) {
            for (int j = 0; j < K * r; j++) Zt[j] = Z[j] + t * step[j];
            for (int k = 0; k < K - 1; k++) bt[k] = b[k] + t * step[K * r + k];
            bt[K - 1] = 0;
            Jt = objective(ds, y, K, C, Zt, bt, NULL);
            if (Jt <= J + 1e-4 * t * gd) break;
        }
        if (!(Jt <= J)) break; /* no decrease at rounding level: converged */
        memcpy(Z, Zt, (size_t)K * r * sizeof(double));
        memcpy(b, bt, (size_t)K * sizeof(double));
        J = objective(ds, y, K, C, Z, b, P);
    }
    if (iters) *iters = it;
    free(P); free(g); free(Hm); free(dsc); free(step); free(G); free(c); free(Zt); free(bt);
    return rc;
}

/* Fit on rows[0..n) of X; W [K, d] = Z Q^T, b centred. */
static int fit_rows(const double *X, int d, const int *rows, const int *y_all, int n, int K,
                    double C, double *W, double *b, int *iters, lm_error *err) {
    design ds;
    if (design_build(X, d, rows, n, &ds, err)) return -1;
    int r = ds.r;
    int *y = lm_xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) y[i] = y_all[rows[i]];
    double *Z = lm_xmalloc(((size_t)K * r + 1) * sizeof(double));
    int rc = newton(&ds, y, K, C, Z, b, iters, err);
    if (rc == 0) {
        /* W[k, j] = Σ_a Z[k, a] Q[j, a] */
        memset(W, 0, (size_t)K * d * sizeof(double));
        /* Q is column-major [d, m]: read row-major it is Q^T [m, d] (rows a < r used) */
        if (r > 0)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, d, r, 1.0, Z, r, ds.Q, d, 0.0,
                        W, d);
        double mean = 0;
        for (int k = 0; k < K; k++) mean += b[k];
        mean /= K;
        for (int k = 0; k < K; k++) b[k] -= mean;
    }
    free(Z);
    free(y);
    design_free(&ds);
    return rc;
}

int lm_logreg_fit(const double *X, int n, int d, const int *y, int K, double C, double *W,
                  double *b, int *iters, lm_error *err) {
    int *rows = lm_xmalloc((size_t)(n ? n : 1) * sizeof(int));
    for (int i = 0; i < n; i++) rows[i] = i;
    int rc = fit_rows(X, d, rows, y, n, K, C, W, b, iters, err);
    free(rows);
    return rc;
}

static int predict(const double *x, int d, const double *W, const double *b, int K) {
    int best = 0;
    double bv = -INFINITY;
    for (int k = 0; k < K; k++) {
        double v = b[k];
        for (int j = 0; j < d; j++) v += W[(size_t)k * d + j] * x[j];
        if (v > bv) { bv = v; best = k; }
    }
    return best;
}

int lm_logreg_cv_fit(const double *X, int n, int d, const int *y, int K, lm_logreg_cv *out,
                     lm_error *err) {
    memset(out, 0, sizeof *out);
    if (K < 2) return lm_fail(err, "logistic regression needs at least 2 classes, got %d", K);
    int *count = lm_xcalloc((size_t)K, sizeof(int));
    for (int i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= K) {
            free(count);
            return lm_fail(err, "label %d of row %d is outside [0, %d)", y[i], i, K);
        }
        count[y[i]]++;
    }
    for (int k = 0; k < K; k++)
        if (count[k] == 0) {
            free(count);
            return lm_fail(err, "class %d has no training example: the probe needs every class", k);
        }
    free(count);
    out->K = K;
    out->d = d;
    lm_logistic_cs(out->cs);
    int *folds = lm_xmalloc((size_t)n * sizeof(int)), *rows = lm_xmalloc((size_t)n * sizeof(int));
    if (lm_stratified_folds(y, n, LM_LOGREG_FOLDS, folds, err)) {
        free(folds);
        free(rows);
        return -1;
    }
    double *W = lm_xmalloc((size_t)K * d * sizeof(double)), *b = lm_xmalloc((size_t)K * sizeof(double));
    int rc = 0;
    for (int f = 0; f < LM_LOGREG_FOLDS && rc == 0; f++) {
        int nt = 0, ntest = 0;
        for (int i = 0; i < n; i++)
            if (folds[i] != f) rows[nt++] = i;
        for (int i = 0; i < n; i++) ntest += folds[i] == f;
        for (int c = 0; c < LM_LOGREG_NCS && rc == 0; c++) {
            rc = fit_rows(X, d, rows, y, nt, K, out->cs[c], W, b, NULL, err);
            int hit = 0;
            for (int i = 0; i < n && rc == 0; i++)
                if (folds[i] == f) hit += predict(X + (size_t)i * d, d, W, b, K) == y[i];
            out->scores[c] += ntest ? (double)hit / ntest : 0;
        }
    }
    free(folds);
    free(rows);
    free(W);
    free(b);
    if (rc) return -1;
    out->best = 0;
    for (int c = 1; c < LM_LOGREG_NCS; c++)
        if (out->scores[c] > out->scores[out->best]) out->best = c;
    out->C = out->cs[out->best];
    out->W = lm_xmalloc((size_t)K * d * sizeof(double));
    out->b = lm_xmalloc((size_t)K * sizeof(double));
    if (lm_logreg_fit(X, n, d, y, K, out->C, out->W, out->b, NULL, err)) {
        lm_logreg_cv_free(out);
        return -1;
    }
    return 0;
}

void lm_logreg_cv_free(lm_logreg_cv *cv) {
    free(cv->W);
    free(cv->b);
    cv->W = cv->b = NULL;
}
