/* svm.c - SVC and SVR on a precomputed kernel through libsvm (spec §5.4).
 *
 * The reference uses sklearn's SVC/SVR(kernel='precomputed') with defaults
 * (C=1, epsilon=0.1, tol=1e-3, shrinking).  sklearn bundles a libsvm fork
 * with the same SMO solver; its one difference that matters here is that
 * svm_group_classes sorts the labels, so the binary subproblem sees class 0
 * first (as +1).  Debian's libsvm groups by first occurrence instead, so for
 * SVC the rows are handed over already grouped, class 0 first, in their
 * original order within a class: libsvm's own grouping is then the identity
 * and the subproblem is row for row sklearn's.
 *
 * Precomputed format: row i is {0: serial i+1}, {k: K(i, k-1)} for k = 1..n,
 * {-1}; libsvm reads K(i, j) as x[i][serial(j)] and, at prediction,
 * K(x, sv) as x[serial(sv)], so eval rows are laid out the same way. */
#include <stdlib.h>
#include <libsvm/svm.h>
#include "solve/solve_internal.h"

static void print_null(const char *s) { (void)s; }

int lm_solve_svm(const lm_flat *f, const lm_kernel_problem *p,
                 const lm_solver_params *sp, lm_solve_result *out,
                 lm_error *err) {
    int n = f->n, svc = sp->kind == LM_SOLVER_SVC;
    int *perm = lm_xmalloc((size_t)n * sizeof(int));
    double *y = lm_xmalloc((size_t)n * sizeof(double));
    int np = 0;
    if (svc) {
        /* Labels ((y+1)/2) truncated, as torch's .int(): +-1 -> 0/1 and
         * one-hot 0/1 -> 0/1.  Class 0 rows first (sklearn's order). */
        for (int cls = 0; cls < 2; cls++)
            for (int i = 0; i < n; i++)
                if ((int)((f->y[i] + 1.0) / 2.0) == cls) {
                    perm[np] = i;
                    y[np++] = cls;
                }
        if (np != n || y[0] == y[n - 1]) {
            free(perm);
            free(y);
            return lm_fail(err, "SVC needs training rows of both classes (0 and 1)");
        }
    } else {
        for (int i = 0; i < n; i++) {
            perm[i] = i;
            y[i] = f->y[i];
        }
    }

    struct svm_node *nodes = lm_xmalloc((size_t)n * (n + 2) * sizeof(*nodes));
    struct svm_node **rows = lm_xmalloc((size_t)n * sizeof(*rows));
    for (int i = 0; i < n; i++) {
        struct svm_node *x = nodes + (size_t)i * (n + 2);
        const double *krow = f->k + (size_t)perm[i] * n;
        x[0].index = 0;
        x[0].value = i + 1;
        for (int k = 1; k <= n; k++) {
            x[k].index = k;
            x[k].value = krow[perm[k - 1]];
        }
        x[n + 1].index = -1;
        x[n + 1].value = 0;
        rows[i] = x;
    }
    struct svm_problem prob = {.l = n, .y = y, .x = rows};
    struct svm_parameter par = {
        .svm_type = svc ? C_SVC : EPSILON_SVR,
        .kernel_type = PRECOMPUTED,
        .cache_size = 200,       /* MB, sklearn's default; speed only */
        .eps = sp->svm_tol,
        .C = sp->svm_c,
        .p = sp->svr_epsilon,
        .shrinking = 1,
    };
    int rc = 0;
    const char *msg = svm_check_parameter(&prob, &par);
    if (msg) {
        rc = lm_fail(err, "libsvm rejected the parameters: %s", msg);
        goto done;
    }
    svm_set_print_string_function(print_null); /* libsvm prints to stdout */
    struct svm_model *model = svm_train(&prob, &par);
    if (!model) {
        rc = lm_fail(err, "libsvm svm_train failed");
        goto done;
    }
    out->n_sv = svm_get_nr_sv(model);
    /* SVC: libsvm's decision value is > 0 for label[0]; orient the score so
     * that > 0 means class 1. */
    double sign = svc && model->label[0] == 0 ? -1.0 : 1.0;
    struct svm_node *xe = lm_xmalloc((size_t)(n + 2) * sizeof(*xe));
    for (int e = 0; e < p->n_eval; e++) {
        lm_eval_result *r = &out->eval[e];
        int mc = r->m * r->c;
        const double *kte = p->eval[e].k;
        for (int j = 0; j < mc; j++) {
            xe[0].index = 0;
            xe[0].value = 0;
            for (int k = 1; k <= n; k++) {
                xe[k].index = k;
                xe[k].value = kte[(size_t)perm[k - 1] * mc + j];
            }
            xe[n + 1].index = -1;
            xe[n + 1].value = 0;
            double dv = 0;
            double lab = svm_predict_values(model, xe, &dv);
            if (svc) {
                r->dec[j] = lab > 0.5 ? 1.0 : -1.0; /* {0,1} -> {-1,+1} */
                r->score[j] = sign * dv;
            } else {
                r->dec[j] = lab;
                r->score[j] = lab;
            }
        }
    }
    free(xe);
    svm_free_and_destroy_model(&model);
done:
    free(nodes);
    free(rows);
    free(perm);
    free(y);
    return rc;
}
