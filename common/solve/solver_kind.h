/* solver_kind.h - the kernel solvers (spec §5) and their names as specs,
 * the reference's --kernel_solver and the API write them.  Inline tables,
 * so that spec/ and the daemon share this one vocabulary without linking
 * the solvers (and LAPACK, libsvm). */
#ifndef LM_SOLVE_SOLVER_KIND_H
#define LM_SOLVE_SOLVER_KIND_H

#include "util/names.h"

typedef enum lm_solver_kind {
    LM_SOLVER_LSTSQ = 0,  /* least squares, LAPACK dgelsy (torch's CPU driver) */
    LM_SOLVER_LOGISTIC,   /* LogisticRegressionCV on kernel rows (reference default) */
    LM_SOLVER_SVC,        /* libsvm C-SVC, precomputed kernel */
    LM_SOLVER_SVR,        /* libsvm epsilon-SVR, precomputed kernel */
    LM_SOLVER_ASYM,       /* LS-SVM for asymmetric kernels (A-SignGD) */
    LM_SOLVER_COUNT
} lm_solver_kind;

static const char *const lm_solver_names[LM_SOLVER_COUNT] = {"lstsq", "logistic", "svc", "svr", "asym"};
static const char *const lm_solver_labels[LM_SOLVER_COUNT] = {"least squares", "logistic (CV)", "SVC", "SVR",
                                                              "asym LS-SVM"};

/* "lstsq", "logistic", "svc", "svr", "asym"; NULL outside the enum. */
static inline const char *lm_solver_name(lm_solver_kind k) {
    return lm_name_of(lm_solver_names, LM_SOLVER_COUNT, 0, (int)k);
}
static inline const char *lm_solver_description(lm_solver_kind k) {
    return lm_name_of(lm_solver_labels, LM_SOLVER_COUNT, 0, (int)k);
}
/* The solver of a name, -1 for none. */
static inline int lm_solver_parse(const char *name) {
    return lm_name_find(lm_solver_names, LM_SOLVER_COUNT, 0, name);
}

#endif
