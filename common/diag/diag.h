/* diag.h - kernel-behaviour diagnostics of a fine-tuning run (spec §6.2):
 * does fine-tuning this model on this task behave like the eNTK?
 *
 *   lm_finetune_result ft;     (train.h: θ_FT, its tangent, test predictions)
 *   lm_diag_input in = {.m0 = &m0, .os = &os, .ft = &ft, .train = &train,
 *                       .test = &test, .metric = "acc",
 *                       .kernel_test_pred = solver_pred,        (or NULL)
 *                       .kernel_test_metric = solver_acc,       (or NAN)
 *                       .thresholds = spec->diagnostics};
 *   lm_diag_result d;
 *   if (lm_diagnostics(&in, &d, &err)) fail(err.msg);
 *   cJSON *j = lm_diag_to_json(&d);    (into result.json)
 *   lm_diag_result_free(&d);
 *
 * What is measured (N train examples, C outputs each, K flattened NC x NC):
 *   linearization   f_lin(x) = f(x; θ0) + <∇f(x; θ0), θ_FT − θ0> on the
 *                   test set (the C logits; lm_pass_jvp from backward
 *                   factors, one factor pass per example), its metric
 *                   against FT's and the zero-shot metric of f(x; θ0), and
 *                   gain = (lin − pt) / (ft − pt), the share of FT's gain
 *                   the linearized model recovers (NaN when ft == pt).
 *                   For LoRA the tangent is LoRA's first-order one.
 *   fixed features  ||K(θ_FT) − K(θ0)||_F / ||K(θ0)||_F of the train x train
 *                   sgd kernel over the fine-tuned parameters (kernel.h for
 *                   the full sets; the adapters and heads for LoRA), and
 *                   per (train example, output) ||g(θ_FT) − g(θ0)|| /
 *                   ||g(θ0)|| (mean, median, max), from the factors of
 *                   the two backward passes (Gram products in float64).
 *   agreement       fraction of test examples where the kernel solver and
 *                   the fine-tuned model predict the same class; the
 *                   kernel's metric over FT's.
 *   spectrum        eigenvalues of K(θ0) and K(θ_FT) (LAPACK dsyevd), the
 *                   top ones, and two effective ranks: the participation
 *                   ratio (Σλ)² / Σλ², and the entropy rank exp(−Σ p log p)
 *                   with p = λ / Σλ over λ > 0 (Roy & Vetterli 2007).
 *   verdict         with the thresholds of lm_diag_thresholds:
 *                   linearization_holds  gain >= min_linearization_gain
 *                   fixed_features       distance <= max_kernel_distance
 *                   kernel_solves_task   kernel / FT metric >= min_kernel_ft_ratio
 *                   kernel_behavior      linearization_holds AND fixed_features
 *                   each 1, 0, or -1 when it cannot be decided (no gain to
 *                   recover, no kernel result).  Fine-tuning that did not
 *                   beat zero-shot leaves kernel_behavior undecided whatever
 *                   the rest says: there is no gain for the kernel to
 *                   explain.  The outcome ("kernel", "not kernel",
 *                   "undecided") comes with its reason in words. */
#ifndef LM_DIAG_DIAG_H
#define LM_DIAG_DIAG_H

#include <cjson/cJSON.h>
#include "diag/thresholds.h"
#include "train/train.h"

typedef struct lm_diag_input {
    const lm_model *m0;              /* θ0 (no prompt: after lm_linear_head_init) */
    const lm_output_spec *os;        /* the kernels' outputs (binary mode allowed) */
    const lm_finetune_result *ft;    /* θ_FT and its test predictions */
    const lm_encoded_split *train;
    const lm_encoded_split *test;
    const char *metric;              /* as for lm_finetune */
    const int *kernel_test_pred;     /* [test->n] the kernel solver's classes, or NULL */
    double kernel_test_metric;       /* NaN: none */
    const double *k0_train;          /* optional K(θ0) [N, dim, N, dim] over the same
                                      * parameter set (sgd), e.g. the runner's; NULL: computed */
    lm_diag_thresholds thresholds;
    size_t mem_budget;               /* bytes for kernel.h; 0 = its default */
    const lm_train_hooks *hooks;     /* progress/cancel; may be NULL */
    int keep_kernels;                /* hand K(θ0) and K(θ_FT) back in the result */
} lm_diag_input;

typedef struct lm_diag_spectrum {
    int n;                   /* order of the flattened kernel */
    double *eig;             /* [n] eigenvalues, descending */
    double trace;
    double eff_rank_pr;      /* (Σλ)² / Σλ² */
    double eff_rank_entropy; /* exp(entropy of λ/Σλ over λ > 0) */
} lm_diag_spectrum;

typedef struct lm_diag_result {
    lm_diag_thresholds thresholds;
    int n_test, n_out;
    /* linearization */
    double metric_pt, metric_ft, metric_lin, lin_gain;
    double lin_ft_agreement;         /* fraction of test where f_lin and FT agree */
    int *pt_pred, *lin_pred;         /* [n_test] */
    float *lin_logits;               /* [n_test, n_out] */
    /* fixed features */
    int dim;                         /* outputs per example in the kernels */
    double kernel_distance;
    int n_grad;                      /* N * dim */
    double *grad_change;             /* [N * dim] per (example, output) */
    double *k_pt, *k_ft;             /* with keep_kernels: K(θ0), K(θ_FT) [N, dim, N, dim] */
    double grad_change_mean, grad_change_median, grad_change_max;
    const char *param_set;           /* what the kernels cover ("all", "lora", ...) */
    /* agreement */
    double kernel_metric, kernel_ft_ratio, agreement;
    /* spectra of K(θ0) and K(θ_FT) */
    lm_diag_spectrum spec0, spec_ft;
    /* verdict: 1 yes, 0 no, -1 undecided */
    int linearization_holds, fixed_features, kernel_solves, kernel_behavior;
    char reason[320];                /* the outcome in words, with the numbers */
    double seconds;
} lm_diag_result;

int lm_diagnostics(const lm_diag_input *in, lm_diag_result *out, lm_error *err);
/* The result as a JSON object (NaN as null); the thresholds and rules are
 * included. */
cJSON *lm_diag_to_json(const lm_diag_result *r);
void lm_diag_result_free(lm_diag_result *r);

/* ---- building blocks ---- */

/* f(x; θ0) [n, C] and f_lin = f(x; θ0) + <∇f(x; θ0), tangent> [n, C] of
 * every example of s (outputs of os with binary off; tensors whose tangent
 * is all zero are skipped). */
int lm_diag_linearized_outputs(const lm_model *m0, const lm_output_spec *os, const float *tangent,
                               const lm_encoded_split *s, float *f0, float *f_lin, lm_error *err);
/* Fraction of the n positions where a and b agree (NaN for n = 0). */
double lm_diag_agreement(const int *a, const int *b, int n);
/* ||K1 - K0||_F / ||K0||_F over n entries. */
double lm_diag_kernel_distance(const double *K0, const double *K1, size_t n);
/* Spectrum of a symmetric n x n matrix (row-major; symmetrised first). */
int lm_diag_spectrum_of(const double *K, int n, lm_diag_spectrum *out, lm_error *err);
void lm_diag_spectrum_free(lm_diag_spectrum *s);
/* The verdict fields of r (and its reason) from its measures and
 * r->thresholds. */
void lm_diag_verdict(lm_diag_result *r);
/* "kernel", "not kernel" or "undecided" for a kernel_behavior of 1, 0, -1. */
const char *lm_diag_outcome_name(int kernel_behavior);

/* Train x train sgd kernels at θ0 and θ_FT over the fine-tuned parameters
 * and the per-(example, output) relative gradient change.  K0, K1: [N*dim,
 * N*dim] (allocated; K0 copied from k0 when given); change: [N*dim]. */
int lm_diag_train_kernels(const lm_model *m0, const lm_output_spec *os,
                          const lm_finetune_result *ft, const lm_encoded_split *train,
                          const double *k0, size_t mem_budget, double **K0, double **K1,
                          double *change, lm_error *err);

#endif
