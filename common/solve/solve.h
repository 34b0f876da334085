/* solve.h - kernel solvers, metrics and dev-set selection (spec §5).
 *
 * Pure math on float64 arrays: no files, HTTP, SQL or JSON here.  The
 * experiment runner calls lm_solve() once per grid point and seed with the
 * train x train kernel and any number of train x eval kernels (dev, test):
 * the solver is fitted once and predicts every eval set from that fit.
 *
 * Shapes follow the reference (spec §4.3, §5.1):
 *   kernels   K[N, C, M, C] row-major, flattened to (N*C) x (M*C) with the
 *             flat index r = t*C + c; for A-SignGD the file holds the stack
 *             [2, N, C, M, C]: pass stack[0] as `k` and stack[1] as `k_flip`.
 *   labels    int class indices.  Binary mode is C == 1: labels are 0/1 and
 *             the regression target is y = 2*label - 1 (= +-1).  With C > 1
 *             the targets are the flattened one-hot vectors.
 *   f0        pre-trained outputs [N, C] / [M, C], or NULL.
 *
 * Every solver sees one (N*C) x (N*C) train matrix, as in the reference: a
 * multi-class task is one regression/classification over (example, class)
 * rows.  See common/solve/README.md for each solver's algorithm and how it
 * matches torch/sklearn. */
#ifndef LM_SOLVE_SOLVE_H
#define LM_SOLVE_SOLVE_H

#include "solve/solver_kind.h"
#include "util/error.h"
#include "util/stats.h"

/* Number of C values of the logistic solver's internal CV: logspace(-4,4,10). */
#define LM_LOGISTIC_NCS 10
#define LM_LOGISTIC_FOLDS 5

typedef struct lm_solver_params {
    lm_solver_kind kind;
    double lambda;      /* ridge: train matrix K + lambda*sigma_max(K)*I, all
                         * solvers; 0 = none (--kernel_regularization) */
    double f0_scaling;  /* s: targets y - f0/s, predictions + f0/s, for lstsq,
                         * svr and asym; s <= 0 disables (--f0_scaling) */
    double asym_lambda; /* asym: pred = l*omega + (1-l)*nu.  The reference
                         * reads an undefined args.kernel_lambda (it crashes);
                         * here it is a parameter, default 0.5 (equal mix) */
    double gamma;       /* asym: 1/gamma on the diagonal blocks; default 1 */
    double svm_c;       /* svc/svr box constraint; default 1 (sklearn) */
    double svr_epsilon; /* svr tube; default 0.1 (sklearn) */
    double svm_tol;     /* svc/svr stopping tolerance; default 1e-3 (sklearn) */
    int logistic_max_iter; /* Newton iterations per fit; default 200 */
} lm_solver_params;

/* The reference's defaults for every field; kind = LM_SOLVER_LOGISTIC (the
 * reference's default solver), lambda 0, f0_scaling 1. */
void lm_solver_params_init(lm_solver_params *sp);

/* "lstsq", "logistic", "svc", "svr", "asym" (the --kernel_solver names;
 * solver_kind.h), with an error naming the choices. */
int lm_solver_from_name(const char *name, lm_solver_kind *out, lm_error *err);

typedef struct lm_eval_kernel {
    int m;                 /* M eval examples */
    const double *k;       /* [N, C, M, C] train x eval (A-SignGD: stack[0]) */
    const double *k_flip;  /* [N, C, M, C] A-SignGD stack[1]; asym only */
    const double *f0;      /* [M, C] or NULL; needed when f0_train is used */
} lm_eval_kernel;

typedef struct lm_kernel_problem {
    int n;                    /* N train examples */
    int c;                    /* C outputs per example; 1 = binary mode */
    const double *k_train;    /* [N, C, N, C] (A-SignGD: stack[0]) */
    const int *labels;        /* [N]: [0, C) or, binary mode, {0, 1} */
    const double *f0_train;   /* [N, C] or NULL (ignored by logistic) */
    int n_eval;
    const lm_eval_kernel *eval; /* [n_eval] */
} lm_kernel_problem;

typedef struct lm_eval_result {
    int m, c;
    /* [M, C]: the prediction the reference computes.  lstsq/svr/asym: the
     * regression output (+ f0/s).  logistic: log p1 - log p0 from sklearn's
     * predict_log_proba, which saturates to +INFINITY for margins above
     * ~36.7 (p0 rounds to 0), exactly as the reference; svc: +-1. */
    double *dec;
    /* [M, C]: the finite continuous score behind dec: the margin x.w + b
     * (logistic), the libsvm decision value oriented so that > 0 means
     * class 1 (svc), dec itself otherwise.  For near-tie diagnostics. */
    double *score;
    int *pred;    /* [M]: argmax_c dec (first max), or dec > 0 in binary mode */
} lm_eval_result;

typedef struct lm_solve_result {
    int n_eval;
    lm_eval_result *eval;   /* [n_eval], in the order of problem->eval */
    int rank;               /* lstsq, asym: numerical rank of the solved
                             * system (the reference's metric rank0); else -1 */
    double sigma_max;       /* sigma_max(K) when lambda != 0, else 0 */
    /* logistic */
    int c_index;            /* chosen C: Cs[c_index]; -1 for other solvers */
    double c_chosen;
    double cv_score[LM_LOGISTIC_NCS]; /* sum over folds of fold accuracy */
    int newton_iters;       /* Newton iterations over all 51 fits */
    int unconverged;        /* fits stopped by logistic_max_iter */
    /* svc, svr */
    int n_sv;               /* number of support vectors; else -1 */
} lm_solve_result;

/* Fits the solver on the train kernel and predicts every eval set.  Inputs
 * are checked first: NaN/Inf anywhere, labels out of range, missing k_flip
 * (asym) or eval f0 (when f0 is used) fail with an error naming the input
 * and the index.  On success *out owns its arrays (lm_solve_result_free). */
int lm_solve(const lm_kernel_problem *p, const lm_solver_params *sp,
             lm_solve_result *out, lm_error *err);
void lm_solve_result_free(lm_solve_result *r);

/* ---- building blocks (exposed for tests and diagnostics) ---- */

/* sklearn 1.2 StratifiedKFold(n_splits=k, shuffle=False) test-fold index of
 * each row: folds[i] in [0, k).  Fails when every class has fewer than k
 * members, as sklearn does. */
int lm_stratified_folds(const int *y, int n, int k, int *folds, lm_error *err);

/* Cs = numpy.logspace(-4, 4, 10). */
void lm_logistic_cs(double cs[LM_LOGISTIC_NCS]);

/* ---- metrics (spec §5.5) ---- */

/* Predicted class of each of m rows of dec[m, c]: argmax (first max, as
 * numpy) for c > 1; for c == 1 class 1 iff dec > 0 (argmax of [-p, p]). */
void lm_predict_labels(const double *dec, int m, int c, int *pred);
double lm_accuracy(const int *pred, const int *label, int n);
/* sklearn f1_score(average='binary', pos_label=1); 0 when undefined. */
double lm_f1_binary(const int *pred, const int *label, int n);
/* The selection/report metric of a task: "f1" (mrpc, qqp), "mnli/acc"
 * (mnli), "mnli-mm/acc" (mnli-mm), "acc" (the other tasks of the paper);
 * NULL for a task the reference does not evaluate this way (cola, sts-b). */
const char *lm_task_metric(const char *task);
/* Computes a metric named by lm_task_metric (or "acc"/"f1"). */
int lm_metric(const char *metric, const int *pred, const int *label, int n,
              double *out, lm_error *err);

/* ---- dev-set selection and aggregation (spec §5.6) ---- */

/* Index of the best dev metric among n grid points: the first maximum, as
 * Python's max() over runs sorted by output_dir.  NaN entries mean "no
 * result" and are skipped; -1 if all are NaN or n <= 0. */
int lm_select_best(const double *dev, int n);

/* For each seed s, picks best[s] = lm_select_best(dev[s*n_grid ...]) and
 * reports test[s*n_grid + best[s]]; *mean and *std are over seeds (not
 * x100).  dev, test: [n_seeds, n_grid]. */
int lm_select_seeds(const double *dev, const double *test, int n_seeds,
                    int n_grid, int *best, double *mean, double *std,
                    lm_error *err);

#endif
