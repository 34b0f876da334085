/* kernel.h - empirical NTKs of the model outputs (spec §4):
 *
 *   sgd                K[t,c,x,c'] = <g_c(t), g_c'(x)>
 *   signgd             K[t,c,x,c'] = <sign g_c(t), sign g_c'(x)>
 *   asymmetric_signgd  K[t,c,x,c'] = <sign g_c(t), g_c'(x)>, with the flipped
 *                      kernel <g_c(t), sign g_c'(x)> alongside
 *
 * for t in the training set and x in each evaluation set, with g the
 * per-example gradient over a parameter set.  Gradients are formed block by
 * block from the backward pass's factors and multiplied as large GEMMs,
 * streaming examples and parameter blocks under a memory budget
 * (see common/kernel/DESIGN.md). */
#ifndef LM_KERNEL_KERNEL_H
#define LM_KERNEL_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/formula.h"
#include "model/outputs.h"
#include "model/param_set.h"
#include "prompt/encoded.h"

/* The LoRA subspace: W_eff = W + s B A for each target weight W [out,in],
 * A [r,in], B [out,r].  The gradients are dA = s B^T G_W and dB = s G_W A^T
 * (G_W the dense gradient), so with B = 0 (microsoft/LoRA's start) the
 * A-block is exactly zero and the kernel sees only B; a nonzero B with the
 * frozen weight compensated makes both informative (spec §6.1). */
typedef struct lm_kernel_lora {
    int n, r;
    float scale;               /* alpha / r */
    const int *tensor;         /* [n] target tensors */
    const float *const *A;     /* [n] A [r, in] */
    const float *const *B;     /* [n] B [out, r] */
} lm_kernel_lora;

typedef struct lm_kernel_progress {
    /* fraction in [0,1]; returns nonzero to cancel */
    int (*fn)(void *ctx, double fraction, const char *stage);
    void *ctx;
} lm_kernel_progress;

typedef struct lm_kernel_options {
    lm_kernel_formula formula;
    lm_param_set params;
    size_t mem_budget;            /* bytes; 0 = 6 GiB */
    lm_kernel_progress progress;
    /* Opt-in approximation: project every gradient (for sign formulas, its
     * signs) to projection_dim coordinates with a CountSketch (a sparse
     * Johnson-Lindenstrauss map: coordinate p goes to bucket h(p) with sign
     * s(p)), so K ~ <Pi a, Pi b>, unbiased with variance about
     * |a|^2 |b|^2 / projection_dim.  0 = exact. */
    int projection_dim;
    uint64_t projection_seed;
    const lm_kernel_lora *lora;   /* required with LM_PS_LORA */
    /* sgd only: how linear weights are taken (DESIGN.md): 0 = by the cost
     * model, 1 = token Gram matrices, 2 = formed gradients */
    int sgd_method;
} lm_kernel_options;

/* The examples of one set, with the row the head reads in each. */
typedef struct lm_example_set {
    int n;
    const lm_encoded_example *ex;
} lm_example_set;

typedef struct lm_kernel_result {
    int n_train, n_sets, dim;     /* dim = outputs per example (C, or 1 in binary mode) */
    int *n_x;                     /* [n_sets] */
    double **K;                   /* [n_sets][n_train, dim, n_x, dim] */
    double **K_flip;              /* asymmetric only: [n_sets][n_train, dim, n_x, dim] */
    float **f0;                   /* [n_sets][n_x, dim] outputs at θ0 */
    float *f0_train;              /* [n_train, dim] */
    double flops;                 /* floating-point operations performed */
    /* with a projection: the relative Frobenius error of the projected
     * train x train kernel against the exact one, computed alongside */
    double projection_rel_error;
    size_t peak_bytes;            /* largest working set planned */
} lm_kernel_result;

int lm_kernel_compute(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                      const lm_example_set *train, const lm_example_set *sets, int n_sets,
                      lm_kernel_result *out, lm_error *err);

void lm_kernel_result_free(lm_kernel_result *r);

#endif
