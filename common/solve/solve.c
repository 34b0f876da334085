/* solve.c - lm_solve(): input checks, flattening, ridge, f0, dispatch.
 *
 * The common preprocessing of the reference (kernel_trainer.py:330-343 and
 * kernel_solvers.py:16-26, spec §5.1-5.3) lives here so that every solver
 * sees the same flattened, regularised train matrix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "solve/solve_internal.h"

void lm_solver_params_init(lm_solver_params *sp) {
    memset(sp, 0, sizeof(*sp));
    sp->kind = LM_SOLVER_LOGISTIC;
    sp->lambda = 0.0;
    sp->f0_scaling = 1.0;
    sp->asym_lambda = 0.5;
    sp->gamma = 1.0;
    sp->svm_c = 1.0;
    sp->svr_epsilon = 0.1;
    sp->svm_tol = 1e-3;
    sp->logistic_max_iter = 200;
}

int lm_solver_from_name(const char *name, lm_solver_kind *out, lm_error *err) {
    int k = lm_solver_parse(name);
    if (k >= 0) {
        *out = (lm_solver_kind)k;
        return 0;
    }
    return lm_fail(err, "unknown kernel solver '%s' (expected lstsq, logistic, "
                   "svc, svr or asym)", name ? name : "(null)");
}

/* Fails on the first NaN/Inf of a[dims...], naming the tensor and its
 * multi-index, e.g. "k_dev[3, 1, 0, 2] is NaN". */
static int check_finite(const double *a, const int *dims, int ndim,
                        const char *name, lm_error *err) {
    size_t total = 1;
    for (int d = 0; d < ndim; d++) total *= (size_t)dims[d];
    for (size_t i = 0; i < total; i++) {
        if (isfinite(a[i])) continue;
        char idx[128];
        int len = 0;
        size_t rem = i, stride = total;
        for (int d = 0; d < ndim; d++) {
            stride /= (size_t)dims[d];
            len += snprintf(idx + len, sizeof(idx) - (size_t)len, "%s%zu",
                            d ? ", " : "", rem / stride);
            rem %= stride;
        }
        return lm_fail(err, "%s[%s] is %s", name, idx,
                       isnan(a[i]) ? "NaN" : (a[i] > 0 ? "+Inf" : "-Inf"));
    }
    return 0;
}

static int check_problem(const lm_kernel_problem *p, const lm_solver_params *sp,
                         int use_f0, lm_error *err) {
    if (!p || !sp) return lm_fail(err, "lm_solve: NULL problem or parameters");
    if (p->n <= 0 || p->c <= 0)
        return lm_fail(err, "kernel problem: N=%d, C=%d must be positive", p->n, p->c);
    if (!p->k_train || !p->labels)
        return lm_fail(err, "kernel problem: k_train and labels are required");
    if (p->n_eval < 0 || (p->n_eval > 0 && !p->eval))
        return lm_fail(err, "kernel problem: n_eval=%d without eval kernels", p->n_eval);
    if (!isfinite(sp->lambda) || sp->lambda < 0)
        return lm_fail(err, "solver parameter lambda=%g must be finite and >= 0", sp->lambda);
    if (!isfinite(sp->f0_scaling))
        return lm_fail(err, "solver parameter f0_scaling=%g must be finite", sp->f0_scaling);
    if (sp->kind == LM_SOLVER_ASYM &&
        (!isfinite(sp->asym_lambda) || !isfinite(sp->gamma) || sp->gamma <= 0))
        return lm_fail(err, "asym solver: asym_lambda=%g must be finite and gamma=%g > 0",
                       sp->asym_lambda, sp->gamma);
    if ((sp->kind == LM_SOLVER_SVC || sp->kind == LM_SOLVER_SVR) &&
        (!(sp->svm_c > 0) || !(sp->svm_tol > 0) || !(sp->svr_epsilon >= 0)))
        return lm_fail(err, "svm solver: C=%g and tol=%g must be > 0, epsilon=%g >= 0",
                       sp->svm_c, sp->svm_tol, sp->svr_epsilon);
    if (sp->kind == LM_SOLVER_SVC && p->f0_train && sp->f0_scaling > 0)
        return lm_fail(err, "svc solver does not support the f0 adjustment "
                       "(the reference asserts train_logits is None): pass no f0 "
                       "or f0_scaling <= 0");

    int n = p->n, c = p->c;
    int kdims[4] = {n, c, n, c};
    if (check_finite(p->k_train, kdims, 4, "k_train", err)) return -1;
    for (int t = 0; t < n; t++) {
        int l = p->labels[t];
        if (c == 1 && l != 0 && l != 1)
            return lm_fail(err, "labels[%d] = %d: binary mode (C=1) needs labels 0/1 "
                           "(targets -1/+1)", t, l);
        if (c > 1 && (l < 0 || l >= c))
            return lm_fail(err, "labels[%d] = %d is not a class in [0, %d)", t, l, c);
    }
    int fdims[2] = {n, c};
    if (p->f0_train && check_finite(p->f0_train, fdims, 2, "f0_train", err)) return -1;
    for (int e = 0; e < p->n_eval; e++) {
        const lm_eval_kernel *ev = &p->eval[e];
        char name[48];
        if (ev->m <= 0 || !ev->k)
            return lm_fail(err, "eval set %d: M=%d and its kernel k are required", e, ev->m);
        int edims[4] = {n, c, ev->m, c};
        snprintf(name, sizeof(name), "eval[%d].k", e);
        if (check_finite(ev->k, edims, 4, name, err)) return -1;
        if (sp->kind == LM_SOLVER_ASYM) {
            if (!ev->k_flip)
                return lm_fail(err, "asym solver: eval set %d has no flipped kernel "
                               "k_flip (stack[1] of the A-SignGD kernel)", e);
            snprintf(name, sizeof(name), "eval[%d].k_flip", e);
            if (check_finite(ev->k_flip, edims, 4, name, err)) return -1;
        }
        if (use_f0) {
            if (!ev->f0)
                return lm_fail(err, "eval set %d has no f0 although f0_train is "
                               "given and f0_scaling=%g > 0", e, sp->f0_scaling);
            int e2[2] = {ev->m, c};
            snprintf(name, sizeof(name), "eval[%d].f0", e);
            if (check_finite(ev->f0, e2, 2, name, err)) return -1;
        }
    }
    return 0;
}

void lm_kt_dot(const double *k, int n, int mc, const double *v, double *out) {
    /* Column j of K is eval point j: out_j = sum_r K[r, j] v_r.  A loop
     * over rows keeps the access contiguous; at n*mc multiply-adds this is
     * never the cost that matters. */
    for (int j = 0; j < mc; j++) out[j] = 0.0;
    for (int r = 0; r < n; r++) {
        const double *row = k + (size_t)r * mc;
        double vr = v[r];
        if (vr == 0.0) continue;
        for (int j = 0; j < mc; j++) out[j] += row[j] * vr;
    }
}

void lm_solve_result_free(lm_solve_result *r) {
    if (!r) return;
    for (int e = 0; e < r->n_eval && r->eval; e++) {
        free(r->eval[e].dec);
        free(r->eval[e].score);
        free(r->eval[e].pred);
    }
    free(r->eval);
    memset(r, 0, sizeof(*r));
}

int lm_solve(const lm_kernel_problem *p, const lm_solver_params *sp,
             lm_solve_result *out, lm_error *err) {
    memset(out, 0, sizeof(*out));
    /* Logistic ignores f0 and svc refuses it (spec §5.3). */
    int use_f0 = p && sp && p->f0_train && sp->f0_scaling > 0 &&
                 (sp->kind == LM_SOLVER_LSTSQ || sp->kind == LM_SOLVER_SVR ||
                  sp->kind == LM_SOLVER_ASYM);
    if (check_problem(p, sp, use_f0, err)) return -1;
    if ((int)sp->kind < 0 || sp->kind > LM_SOLVER_ASYM)
        return lm_fail(err, "unknown solver kind %d", (int)sp->kind);

    int n = p->n * p->c, c = p->c;
    lm_flat f = {.n = n, .use_f0 = use_f0};
    f.k = lm_xmalloc((size_t)n * n * sizeof(double));
    memcpy(f.k, p->k_train, (size_t)n * n * sizeof(double));
    f.y = lm_xmalloc((size_t)n * sizeof(double));
    for (int t = 0; t < p->n; t++)
        for (int j = 0; j < c; j++)
            f.y[t * c + j] = c == 1 ? 2.0 * p->labels[t] - 1.0
                                    : (p->labels[t] == j ? 1.0 : 0.0);
    if (use_f0)
        for (int r = 0; r < n; r++) f.y[r] -= p->f0_train[r] / sp->f0_scaling;

    out->rank = -1;
    out->c_index = -1;
    out->n_sv = -1;
    out->n_eval = p->n_eval;
    out->eval = lm_xcalloc((size_t)(p->n_eval > 0 ? p->n_eval : 1), sizeof(*out->eval));
    for (int e = 0; e < p->n_eval; e++) {
        lm_eval_result *r = &out->eval[e];
        r->m = p->eval[e].m;
        r->c = c;
        r->dec = lm_xcalloc((size_t)r->m * c, sizeof(double));
        r->score = lm_xcalloc((size_t)r->m * c, sizeof(double));
        r->pred = lm_xcalloc((size_t)r->m, sizeof(int));
    }

    int rc = 0;
    if (sp->lambda != 0.0) {
        /* Ridge on the train matrix only, for every solver (spec §5.2). */
        rc = lm_sigma_max(n, n, f.k, &out->sigma_max, err);
        if (rc == 0)
            for (int i = 0; i < n; i++)
                f.k[(size_t)i * n + i] += sp->lambda * out->sigma_max;
    }
    if (rc == 0) {
        switch (sp->kind) {
        case LM_SOLVER_LSTSQ: rc = lm_solve_lstsq(&f, p, sp, out, err); break;
        case LM_SOLVER_LOGISTIC: rc = lm_solve_logistic(&f, p, sp, out, err); break;
        case LM_SOLVER_SVC:
        case LM_SOLVER_SVR: rc = lm_solve_svm(&f, p, sp, out, err); break;
        case LM_SOLVER_ASYM: rc = lm_solve_asym(&f, p, sp, out, err); break;
        case LM_SOLVER_COUNT: rc = lm_fail(err, "no such solver (kind %d)", (int)sp->kind); break;
        }
    }
    free(f.k);
    free(f.y);
    if (rc) {
        lm_fail_prefix(err, "%s solver", lm_solver_name(sp->kind) ? lm_solver_name(sp->kind) : "?");
        lm_solve_result_free(out);
        return -1;
    }
    for (int e = 0; e < p->n_eval; e++) {
        lm_eval_result *r = &out->eval[e];
        size_t mc = (size_t)r->m * c;
        if (use_f0)
            for (size_t j = 0; j < mc; j++) {
                r->dec[j] += p->eval[e].f0[j] / sp->f0_scaling;
                r->score[j] = r->dec[j];
            }
        lm_predict_labels(r->dec, r->m, c, r->pred);
    }
    return 0;
}
