/* logistic.c - LogisticRegressionCV on kernel rows (spec §5.4 "logistic").
 *
 * The reference fits sklearn LogisticRegressionCV(max_iter=10000,
 * random_state=0): binary L2 logistic regression with an unpenalised
 * intercept, Cs = logspace(-4, 4, 10), 5-fold StratifiedKFold without
 * shuffling, accuracy scoring, first best C, refit on all rows.
 *
 * Solver: a damped Newton method, not lbfgs and not liblinear.  The problem
 * (sum of logistic losses + ||w||^2 / 2C) is strictly convex, so it has one
 * optimum, and Newton reaches it to rounding level in a few iterations,
 * while lbfgs stops at |grad| <= 1e-4 and liblinear would penalise the
 * intercept (a different optimum).  Where sklearn's lbfgs stops early, our
 * predictions can differ from the reference's at points whose margin is
 * within that slack of 0; tests/solve/test_logistic.c counts them.
 *
 * Conditioning: kernel rows are highly collinear (the kernel spectrum decays
 * fast).  Each fit first rotates the features onto the right singular
 * vectors of its design matrix, X = P S Q^T: with w = Q z the penalty stays
 * ||z||^2, the loss sees the features F = P S, and directions with s_k below
 * eps * s_max * max(n, d) are dropped (w has no component there at the
 * optimum).  The Newton system is Jacobi-scaled before its Cholesky
 * factorisation, which removes the spread of scales between directions. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapack.h>
#include "solve/solve_internal.h"

void lm_logistic_cs(double cs[LM_LOGISTIC_NCS]) {
    /* numpy: linspace(-4, 4, 10) = arange(10) * (8/9) + (-4), last = 4. */
    double step = 8.0 / (LM_LOGISTIC_NCS - 1);
    for (int i = 0; i < LM_LOGISTIC_NCS; i++) cs[i] = pow(10.0, i * step + -4.0);
    cs[LM_LOGISTIC_NCS - 1] = pow(10.0, 4.0);
}

int lm_stratified_folds(const int *y, int n, int k, int *folds, lm_error *err) {
    /* sklearn 1.2 StratifiedKFold._make_test_folds, shuffle=False: classes
     * are numbered by first appearance; the sorted encoded labels are dealt
     * round-robin to the folds to get each fold's count of each class; then
     * each class's rows, in order, fill fold 0 first, then fold 1, ... */
    if (k < 2) return lm_fail(err, "stratified folds: k=%d must be >= 2", k);
    if (n < k)
        return lm_fail(err, "cannot have number of splits n_splits=%d greater than "
                       "the number of samples: n_samples=%d", k, n);
    int *cls = lm_xmalloc((size_t)n * sizeof(int));  /* first-appearance labels */
    int *enc = lm_xmalloc((size_t)n * sizeof(int));
    int ncls = 0;
    for (int i = 0; i < n; i++) {
        int j = 0;
        while (j < ncls && cls[j] != y[i]) j++;
        if (j == ncls) cls[ncls++] = y[i];
        enc[i] = j;
    }
    int *count = lm_xcalloc((size_t)ncls, sizeof(int));
    for (int i = 0; i < n; i++) count[enc[i]]++;
    int any_ok = 0;
    for (int j = 0; j < ncls; j++) any_ok |= count[j] >= k;
    if (!any_ok) {
        free(cls); free(enc); free(count);
        return lm_fail(err, "n_splits=%d cannot be greater than the number of members "
                       "in each class", k);
    }
    /* alloc[f * ncls + j]: rows of class j in test fold f. */
    int *alloc = lm_xcalloc((size_t)k * ncls, sizeof(int));
    for (int j = 0, pos = 0; j < ncls; j++)
        for (int c = 0; c < count[j]; c++, pos++) alloc[(pos % k) * ncls + j]++;
    for (int j = 0; j < ncls; j++) {
        int f = 0, used = 0;
        for (int i = 0; i < n; i++) {
            if (enc[i] != j) continue;
            while (used == alloc[f * ncls + j]) { f++; used = 0; }
            folds[i] = f;
            used++;
        }
    }
    free(cls); free(enc); free(count); free(alloc);
    return 0;
}

/* log(1 + e^m) without overflow. */
static double log1pexp(double m) {
    return m > 0 ? m + log1p(exp(-m)) : log1p(exp(m));
}

/* The logistic sigmoid, computed from the side where exp cannot overflow. */
static double expit(double m) {
    if (m >= 0) return 1.0 / (1.0 + exp(-m));
    double e = exp(m);
    return e / (1.0 + e);
}

/* One fold's design matrix in rotated coordinates. */
typedef struct lr_design {
    int n, d, r;   /* rows, original features, kept directions */
    double *F;     /* [n, r] row-major: X Q = P S */
    double *Q;     /* [d, r0] column-major right singular vectors (LAPACK's U
                    * of X^T); column k maps z_k back to w */
} lr_design;

static void design_free(lr_design *x) {
    free(x->F);
    free(x->Q);
}

/* Builds the design of rows `rows[0..n)` of K [nk, d] row-major. */
static int design_build(const double *K, int d, const int *rows, int n,
                        lr_design *out, lm_error *err) {
    memset(out, 0, sizeof(*out));
    out->n = n;
    out->d = d;
    int r0 = n < d ? n : d;
    /* Row-major X [n, d] is column-major X^T [d, n]: its SVD U S V^T gives
     * X = V S U^T, so Q = U (d x r0) and P S = V S (rows of VT^T). */
    double *A = lm_xmalloc((size_t)n * d * sizeof(double));
    for (int i = 0; i < n; i++) memcpy(A + (size_t)i * d, K + (size_t)rows[i] * d, (size_t)d * sizeof(double));
    double *s = lm_xmalloc((size_t)r0 * sizeof(double));
    double *U = lm_xmalloc((size_t)d * r0 * sizeof(double));
    double *VT = lm_xmalloc((size_t)r0 * n * sizeof(double));
    int *iwork = lm_xmalloc((size_t)8 * r0 * sizeof(int));
    char jobz = 'S';
    int info = 0, lwork = -1;
    double wq = 0;
    LAPACK_dgesdd(&jobz, &d, &n, A, &d, s, U, &d, VT, &r0, &wq, &lwork, iwork, &info);
    if (info == 0) {
        lwork = (int)wq;
        double *work = lm_xmalloc((size_t)(lwork > 1 ? lwork : 1) * sizeof(double));
        LAPACK_dgesdd(&jobz, &d, &n, A, &d, s, U, &d, VT, &r0, work, &lwork, iwork, &info);
        free(work);
    }
    free(A);
    free(iwork);
    if (info != 0) {
        free(s); free(U); free(VT);
        return lm_fail(err, "LAPACK dgesdd failed (info=%d) on the %dx%d logistic design",
                       info, n, d);
    }
    double cut = s[0] * DBL_EPSILON * (double)(n > d ? n : d);
    int r = 0;
    while (r < r0 && s[r] > cut) r++;
    out->r = r;
    out->F = lm_xmalloc((size_t)n * (r > 0 ? r : 1) * sizeof(double));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < r; k++) out->F[(size_t)i * r + k] = s[k] * VT[(size_t)i * r0 + k];
    out->Q = U;
    free(s);
    free(VT);
    return 0;
}

/* Maps the rotated solution z [r] back to feature weights w [d]. */
static void design_weights(const lr_design *x, const double *z, double *w) {
    for (int j = 0; j < x->d; j++) w[j] = 0;
    if (x->r > 0)
        cblas_dgemv(CblasColMajor, CblasNoTrans, x->d, x->r, 1.0, x->Q, x->d, z, 1, 0.0, w, 1);
}

/* f = sum_i log1pexp(m_i) - y_i m_i + |z|^2 / 2C, with m = F z + b. */
static double lr_objective(const lr_design *x, const double *y, const double *th,
                           double inv_c, double *m) {
    int n = x->n, r = x->r;
    double b = th[r], f = 0, zz = 0;
    for (int i = 0; i < n; i++) m[i] = b;
    if (r > 0)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, n, r, 1.0, x->F, r, th, 1, 1.0, m, 1);
    for (int i = 0; i < n; i++) f += log1pexp(m[i]) - y[i] * m[i];
    for (int k = 0; k < r; k++) zz += th[k] * th[k];
    return f + 0.5 * inv_c * zz;
}

typedef struct lr_work {
    double *m, *mt, *g, *H, *Fs, *sc, *delta, *th_try, *resid;
} lr_work;

static void work_init(lr_work *w, int n, int r) {
    size_t q = (size_t)r + 1;
    w->m = lm_xmalloc((size_t)n * sizeof(double));
    w->mt = lm_xmalloc((size_t)n * sizeof(double));
    w->resid = lm_xmalloc((size_t)n * sizeof(double));
    w->g = lm_xmalloc(q * sizeof(double));
    w->H = lm_xmalloc(q * q * sizeof(double));
    w->Fs = lm_xmalloc((size_t)n * (r > 0 ? r : 1) * sizeof(double));
    w->sc = lm_xmalloc(q * sizeof(double));
    w->delta = lm_xmalloc(q * sizeof(double));
    w->th_try = lm_xmalloc(q * sizeof(double));
}

static void work_free(lr_work *w) {
    free(w->m); free(w->mt); free(w->resid); free(w->g); free(w->H);
    free(w->Fs); free(w->sc); free(w->delta); free(w->th_try);
}

/* Minimises the objective over th = (z [r], b) from the given start.
 * Returns the number of Newton iterations; *converged says whether the
 * stopping test was met (else max_iter was reached). */
static int lr_newton(const lr_design *x, const double *y, double C, double *th,
                     int max_iter, lr_work *w, int *converged) {
    int n = x->n, r = x->r, q = r + 1;
    double inv_c = 1.0 / C;
    double f = lr_objective(x, y, th, inv_c, w->m);
    int it = 0, small = 0;
    *converged = 0;
    for (; it < max_iter; it++) {
        /* Gradient and Hessian:
         *   g_z = F^T (p - y) + z/C,   g_b = sum (p - y)
         *   H   = [F^T D F + I/C, F^T d; d^T F, sum d],  D = p(1-p). */
        double gb = 0, hbb = 0;
        for (int i = 0; i < n; i++) {
            double p = expit(w->m[i]), e = exp(-fabs(w->m[i]));
            double di = e / ((1.0 + e) * (1.0 + e));
            w->resid[i] = p - y[i];
            gb += w->resid[i];
            hbb += di;
            double sd = sqrt(di);
            for (int k = 0; k < r; k++) w->Fs[(size_t)i * r + k] = sd * x->F[(size_t)i * r + k];
            w->mt[i] = sd; /* reused below for F^T d */
        }
        double *H = w->H;
        if (r > 0) {
            cblas_dgemv(CblasRowMajor, CblasTrans, n, r, 1.0, x->F, r, w->resid, 1, 0.0, w->g, 1);
            /* H_zz = Fs^T Fs (upper triangle, row-major q x q) */
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, r, n, 1.0, w->Fs, r, 0.0, H, q);
            /* H_zb = F^T d = Fs^T sqrt(d) */
            for (int k = 0; k < r; k++) H[(size_t)k * q + r] = 0;
            cblas_dgemv(CblasRowMajor, CblasTrans, n, r, 1.0, w->Fs, r, w->mt, 1, 0.0, w->delta, 1);
            for (int k = 0; k < r; k++) {
                H[(size_t)k * q + r] = w->delta[k];
                H[(size_t)k * q + k] += inv_c;
                w->g[k] += inv_c * th[k];
            }
        }
        H[(size_t)r * q + r] = hbb;
        w->g[r] = gb;
        /* Jacobi scaling, then Cholesky of the upper triangle (LAPACK sees
         * the row-major upper triangle as a column-major lower one). */
        for (int k = 0; k < q; k++) {
            double hk = H[(size_t)k * q + k];
            w->sc[k] = hk > 0 ? 1.0 / sqrt(hk) : 1.0;
        }
        for (int k = 0; k < q; k++)
            for (int l = k; l < q; l++) H[(size_t)k * q + l] *= w->sc[k] * w->sc[l];
        double *Hs = lm_xmalloc((size_t)q * q * sizeof(double));
        char uplo = 'L';
        int info = 1, one = 1;
        for (double mu = 0; info != 0 && mu <= 1.0; mu = mu == 0 ? 1e-14 : mu * 100) {
            /* Levenberg shift only if rounding made H indefinite. */
            memcpy(Hs, H, (size_t)q * q * sizeof(double));
            for (int k = 0; k < q; k++) Hs[(size_t)k * q + k] += mu;
            LAPACK_dpotrf(&uplo, &q, Hs, &q, &info);
        }
        if (info != 0) {
            free(Hs);
            break;
        }
        for (int k = 0; k < q; k++) w->delta[k] = -w->sc[k] * w->g[k];
        LAPACK_dpotrs(&uplo, &q, &one, Hs, &q, w->delta, &q, &info);
        free(Hs);
        double dec2 = 0;
        for (int k = 0; k < q; k++) {
            w->delta[k] *= w->sc[k];
            dec2 -= w->g[k] * w->delta[k];
        }
        /* Newton decrement: dec2/2 ~ f - f*.  Stop at rounding level; near
         * the optimum take full steps (quadratic region), where rounding
         * could make an Armijo test fail spuriously. */
        double scale = 1.0 + fabs(f);
        if (!(dec2 > 0) || dec2 * 0.5 <= 1e-22 * scale) {
            *converged = 1;
            it++;
            break;
        }
        if (dec2 * 0.5 <= 1e-12 * scale) {
            for (int k = 0; k < q; k++) th[k] += w->delta[k];
            f = lr_objective(x, y, th, inv_c, w->m);
            if (++small >= 3) {
                *converged = 1;
                it++;
                break;
            }
            continue;
        }
        double t = 1.0, ft = f;
        int ok = 0;
        for (int ls = 0; ls < 60; ls++, t *= 0.5) {
            for (int k = 0; k < q; k++) w->th_try[k] = th[k] + t * w->delta[k];
            ft = lr_objective(x, y, w->th_try, inv_c, w->mt);
            if (ft <= f - 1e-4 * t * dec2) {
                ok = 1;
                break;
            }
        }
        if (!ok) {
            /* No decrease possible: we are at the rounding floor. */
            *converged = dec2 * 0.5 <= 1e-8 * scale;
            it++;
            break;
        }
        memcpy(th, w->th_try, (size_t)q * sizeof(double));
        memcpy(w->m, w->mt, (size_t)n * sizeof(double));
        f = ft;
    }
    return it;
}

/* Fits the Cs path on one set of rows and scores each C on test rows. */
typedef struct lr_ctx {
    const lm_flat *f;
    const lm_solver_params *sp;
    const double *y01;   /* [n] labels 0/1 as doubles */
    double cs[LM_LOGISTIC_NCS];
    int iters, unconverged;
} lr_ctx;

static int fold_scores(lr_ctx *cx, const int *train, int ntr, const int *test,
                       int nte, double *acc, lm_error *err) {
    const lm_flat *f = cx->f;
    int n = f->n;
    double *ytr = lm_xmalloc((size_t)ntr * sizeof(double));
    int pos = 0;
    for (int i = 0; i < ntr; i++) {
        ytr[i] = cx->y01[train[i]];
        pos += ytr[i] > 0.5;
    }
    if (pos == 0 || pos == ntr) {
        /* One class only: the optimum is at b = +-inf, i.e. every test row
         * gets that class. */
        int cls = pos > 0, correct = 0;
        for (int i = 0; i < nte; i++) correct += (cx->y01[test[i]] > 0.5) == cls;
        for (int c = 0; c < LM_LOGISTIC_NCS; c++) acc[c] = (double)correct / nte;
        free(ytr);
        return 0;
    }
    lr_design x;
    if (design_build(f->k, n, train, ntr, &x, err)) {
        free(ytr);
        return -1;
    }
    lr_work w;
    work_init(&w, ntr, x.r);
    double *th = lm_xcalloc((size_t)x.r + 1, sizeof(double));
    double *wt = lm_xmalloc((size_t)n * sizeof(double));
    for (int c = 0; c < LM_LOGISTIC_NCS; c++) {
        /* Warm start along the path, as sklearn; the optimum is unique. */
        int conv = 0;
        cx->iters += lr_newton(&x, ytr, cx->cs[c], th, cx->sp->logistic_max_iter, &w, &conv);
        cx->unconverged += !conv;
        design_weights(&x, th, wt);
        int correct = 0;
        for (int i = 0; i < nte; i++) {
            const double *row = f->k + (size_t)test[i] * n;
            double m = th[x.r];
            for (int j = 0; j < n; j++) m += row[j] * wt[j];
            correct += (m > 0) == (cx->y01[test[i]] > 0.5);
        }
        acc[c] = (double)correct / nte;  /* accuracy_score: mean of matches */
    }
    free(wt);
    free(th);
    work_free(&w);
    design_free(&x);
    free(ytr);
    return 0;
}

int lm_solve_logistic(const lm_flat *f, const lm_kernel_problem *p,
                      const lm_solver_params *sp, lm_solve_result *out,
                      lm_error *err) {
    /* Rows of K [n, n] are the training features; eval point j's feature
     * vector is column j of K_te [n, mc]. */
    int n = f->n, rc = 0;
    lr_ctx cx = {.f = f, .sp = sp};
    lm_logistic_cs(cx.cs);
    if (sp->logistic_max_iter <= 0)
        return lm_fail(err, "logistic_max_iter=%d must be positive", sp->logistic_max_iter);
    double *y01 = lm_xmalloc((size_t)n * sizeof(double));
    int *yi = lm_xmalloc((size_t)n * sizeof(int));
    int pos = 0;
    for (int i = 0; i < n; i++) {
        yi[i] = (int)((f->y[i] + 1.0) / 2.0);  /* torch .int(): truncation */
        y01[i] = yi[i];
        pos += yi[i];
    }
    cx.y01 = y01;
    int *folds = lm_xmalloc((size_t)n * sizeof(int));
    int *train = lm_xmalloc((size_t)n * sizeof(int));
    int *test = lm_xmalloc((size_t)n * sizeof(int));
    double *th = NULL, *wt = NULL;
    lr_design x = {0};
    lr_work w = {0};
    if (pos == 0 || pos == n) {
        rc = lm_fail(err, "this solver needs samples of at least 2 classes in the data, "
                     "but the data contains only one class: %d", yi[0]);
        goto done;
    }
    if (lm_stratified_folds(yi, n, LM_LOGISTIC_FOLDS, folds, err)) {
        rc = -1;
        goto done;
    }
    double acc[LM_LOGISTIC_FOLDS][LM_LOGISTIC_NCS];
    for (int k = 0; k < LM_LOGISTIC_FOLDS; k++) {
        int ntr = 0, nte = 0;
        for (int i = 0; i < n; i++) {
            if (folds[i] == k) test[nte++] = i;
            else train[ntr++] = i;
        }
        if (fold_scores(&cx, train, ntr, test, nte, acc[k], err)) {
            rc = -1;
            goto done;
        }
    }
    /* scores.sum(axis=0).argmax(): fold sums in fold order, first max. */
    int best = 0;
    for (int c = 0; c < LM_LOGISTIC_NCS; c++) {
        double s = acc[0][c];
        for (int k = 1; k < LM_LOGISTIC_FOLDS; k++) s += acc[k][c];
        out->cv_score[c] = s;
        if (s > out->cv_score[best]) best = c;
    }
    out->c_index = best;
    out->c_chosen = cx.cs[best];

    /* Refit on all rows at the chosen C. */
    for (int i = 0; i < n; i++) train[i] = i;
    if (design_build(f->k, n, train, n, &x, err)) {
        rc = -1;
        goto done;
    }
    work_init(&w, n, x.r);
    th = lm_xcalloc((size_t)x.r + 1, sizeof(double));
    int conv = 0;
    cx.iters += lr_newton(&x, y01, cx.cs[best], th, sp->logistic_max_iter, &w, &conv);
    cx.unconverged += !conv;
    wt = lm_xmalloc((size_t)n * sizeof(double));
    design_weights(&x, th, wt);
    for (int e = 0; e < p->n_eval; e++) {
        lm_eval_result *r = &out->eval[e];
        int mc = r->m * r->c;
        lm_kt_dot(p->eval[e].k, n, mc, wt, r->score);
        for (int j = 0; j < mc; j++) {
            r->score[j] += th[x.r];
            /* predict_log_proba as sklearn: p1 = expit(m), p0 = 1 - p1, so
             * the difference of logs saturates to +inf once p1 rounds to 1. */
            double p1 = expit(r->score[j]);
            r->dec[j] = log(p1) - log(1.0 - p1);
        }
    }
done:
    out->newton_iters = cx.iters;
    out->unconverged = cx.unconverged;
    free(th);
    free(wt);
    if (x.F) design_free(&x);
    if (w.m) work_free(&w);
    free(y01);
    free(yi);
    free(folds);
    free(train);
    free(test);
    return rc;
}
