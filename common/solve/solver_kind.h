/* solver_kind.h - the kernel solvers (spec §5) and their names as specs,
 * the reference's --kernel_solver and the API write them.  Inline tables,
 * so that spec/ and the daemon share this one vocabulary without linking
 * the solvers (and LAPACK, libsvm). */
#ifndef LM_SOLVE_SOLVER_KIND_H
#define LM_SOLVE_SOLVER_KIND_H

#include <string.h>

typedef enum lm_solver_kind {
    LM_SOLVER_LSTSQ = 0,  /* least squares, LAPACK dgelsy (torch's CPU driver) */
    LM_SOLVER_LOGISTIC,   /* LogisticRegressionCV on kernel rows (reference default) */
    LM_SOLVER_SVC,        /* libsvm C-SVC, precomputed kernel */
    LM_SOLVER_SVR,        /* libsvm epsilon-SVR, precomputed kernel */
    LM_SOLVER_ASYM,       /* LS-SVM for asymmetric kernels (A-SignGD) */
    LM_SOLVER_COUNT
} lm_solver_kind;

/* "lstsq", "logistic", "svc", "svr", "asym"; NULL outside the enum. */
static inline const char *lm_solver_name(lm_solver_kind k) {
    static const char *const names[LM_SOLVER_COUNT] = {"lstsq", "logistic", "svc", "svr", "asym"};
    return (unsigned)k < LM_SOLVER_COUNT ? names[k] : NULL;
}

static inline const char *lm_solver_description(lm_solver_kind k) {
    static const char *const text[LM_SOLVER_COUNT] = {"least squares", "logistic (CV)", "SVC", "SVR",
                                                      "asym LS-SVM"};
    return (unsigned)k < LM_SOLVER_COUNT ? text[k] : NULL;
}

/* The solver of a name, -1 for none. */
static inline int lm_solver_parse(const char *name) {
    for (int k = 0; name && k < LM_SOLVER_COUNT; k++)
        if (!strcmp(name, lm_solver_name((lm_solver_kind)k))) return k;
    return -1;
}

#endif
