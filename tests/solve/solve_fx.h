/* solve_fx.h - builds an lm_kernel_problem from a solver fixture and
 * compares arrays against the reference outputs stored beside it. */
#ifndef LM_TESTS_SOLVE_FX_H
#define LM_TESTS_SOLVE_FX_H

#include <math.h>
#include "../check.h"
#include "lmfx.h"
#include "solve/solve.h"

typedef struct fx_problem {
    lmfx fx;
    int n, c, m[2];
    double *k_train, *f0_train, *k[2], *kflip[2], *f0[2];
    int *labels, *elabels[2];
    lm_eval_kernel ev[2];   /* 0 = dev, 1 = test */
    lm_kernel_problem p;
} fx_problem;

static inline int fx_problem_load(fx_problem *fp, const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.lmfx", dir, name);
    memset(fp, 0, sizeof(*fp));
    if (lmfx_load(&fp->fx, path)) return -1;
    lmfx *f = &fp->fx;
    const lmfx_array *kt = lmfx_get(f, "k_train");
    fp->n = kt->dims[0];
    fp->c = kt->dims[1];
    fp->k_train = lmfx_d(f, "k_train", NULL);
    fp->f0_train = lmfx_d(f, "f0_train", NULL);
    fp->labels = lmfx_i(f, "labels", NULL);
    static const char *sets[2] = {"dev", "test"};
    for (int e = 0; e < 2; e++) {
        char nm[64];
        snprintf(nm, sizeof(nm), "k_%s", sets[e]);
        fp->m[e] = lmfx_get(f, nm)->dims[2];
        fp->k[e] = lmfx_d(f, nm, NULL);
        snprintf(nm, sizeof(nm), "f0_%s", sets[e]);
        fp->f0[e] = lmfx_d(f, nm, NULL);
        snprintf(nm, sizeof(nm), "labels_%s", sets[e]);
        fp->elabels[e] = lmfx_i(f, nm, NULL);
        snprintf(nm, sizeof(nm), "kflip_%s", sets[e]);
        int has_flip = 0;
        for (int i = 0; i < f->n; i++) has_flip |= !strcmp(f->arr[i].name, nm);
        fp->kflip[e] = has_flip ? lmfx_d(f, nm, NULL) : NULL;
        fp->ev[e] = (lm_eval_kernel){.m = fp->m[e], .k = fp->k[e], .k_flip = fp->kflip[e]};
    }
    fp->p = (lm_kernel_problem){.n = fp->n, .c = fp->c, .k_train = fp->k_train,
                                .labels = fp->labels, .n_eval = 2, .eval = fp->ev};
    return 0;
}

/* Turns the f0 adjustment inputs on or off. */
static inline void fx_use_f0(fx_problem *fp, int on) {
    fp->p.f0_train = on ? fp->f0_train : NULL;
    for (int e = 0; e < 2; e++) fp->ev[e].f0 = on ? fp->f0[e] : NULL;
}

static inline void fx_problem_free(fx_problem *fp) {
    free(fp->k_train); free(fp->f0_train); free(fp->labels);
    for (int e = 0; e < 2; e++) {
        free(fp->k[e]); free(fp->kflip[e]); free(fp->f0[e]); free(fp->elabels[e]);
    }
    lmfx_free(&fp->fx);
}

/* Checks got[i] against ref[i] to `rel` relative (per entry, with an
 * absolute floor of rel * 1e-3 * max|ref| for entries near 0) and returns
 * the largest relative error seen. */
static inline double fx_compare(const char *what, const double *got, const double *ref,
                                size_t n, double rel) {
    double mx = 0, worst = 0;
    for (size_t i = 0; i < n; i++) if (fabs(ref[i]) > mx) mx = fabs(ref[i]);
    for (size_t i = 0; i < n; i++) {
        double den = fmax(fmax(fabs(ref[i]), fabs(got[i])), 1e-3 * mx);
        double e = den > 0 ? fabs(got[i] - ref[i]) / den : 0;
        if (e > worst) worst = e;
        CHECK_MSG(e <= rel, "%s[%zu]: got %.17g, reference %.17g (rel %.3g)",
                  what, i, got[i], ref[i], e);
    }
    return worst;
}

/* Reference predicted labels from reference decision values [m, c]. */
static inline int *fx_ref_pred(const double *dec, int m, int c) {
    int *p = malloc((size_t)m * sizeof(int) + 1);
    lm_predict_labels(dec, m, c, p);
    return p;
}

#endif
