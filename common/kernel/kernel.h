/* kernel.h - empirical NTKs of the model outputs (spec §4):
 *
 *   sgd                K[t,c,x,c'] = <g_c(t), g_c'(x)>
 *   signgd             K[t,c,x,c'] = <sign g_c(t), sign g_c'(x)>
 *   asymmetric_signgd  K[t,c,x,c'] = <sign g_c(t), g_c'(x)>, with the flipped
 *                      kernel <g_c(t), sign g_c'(x)> alongside
 *
 * for t in the training set and x in each evaluation set, with g the
 * per-example gradient over a parameter set.  Gradients are formed panel by
 * panel from the backward pass's factors and multiplied in a fixed order
 * (signgd: popcounts of sign bits; sgd's linear weights: token Gram
 * matrices), over pairs of canonical blocks of examples under a memory
 * budget (see common/kernel/DESIGN.md).
 *
 * Sharding: a job splits into tiles of (training rows x rows of one
 * evaluation set) along the blocks (lm_kernel_blocks, lm_kernel_split);
 * each tile is computed alone (lm_kernel_tile_compute), optionally from
 * training features computed once (lm_kernel_train_features_*), and merged
 * into the job's result (lm_kernel_result_merge).  The merged kernel equals
 * lm_kernel_compute's bit for bit, for any budget and thread count.
 * DESIGN.md "What an orchestrator calls" gives the sequence, cache keys and
 * byte layouts. */
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
    /* Tokens per canonical block of examples; 0 = the model's default
     * (lm_kernel_block_tokens).  Every tile of a job must use one value. */
    int block_tokens;
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

/* The least mem_budget lm_kernel_compute accepts for this job (a smaller
 * one is refused with this figure in the error). */
int lm_kernel_min_memory(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                         const lm_example_set *train, const lm_example_set *sets, int n_sets,
                         size_t *bytes, lm_error *err);

/* ---- sharding ------------------------------------------------------------ */

/* Tokens per block: opt->block_tokens, or the model's default (about 1 GiB
 * of factors per block, 64..2048 tokens). */
int lm_kernel_block_tokens(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt);

/* The canonical blocks of one set (the training set or an evaluation set):
 * *n_blocks + 1 example offsets, the last = s->n; free() them.  They depend
 * on the set, the model and opt->block_tokens only. */
int *lm_kernel_blocks(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                      const lm_example_set *s, int *n_blocks);

/* Cuts a set into at most n_parts runs of whole blocks of about equal work
 * (lm_kernel_split_sets of the one set): bounds[0..parts] example offsets
 * (bounds holds n_parts + 1); returns parts (fewer when there are fewer
 * blocks; 0 for an empty set). */
int lm_kernel_split(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                    const lm_example_set *s, int n_parts, int *bounds);

/* Cuts several sets together: their blocks, set after set, into at most
 * n_parts runs of about equal work (tokens, and as much again spread over
 * the examples: a short example's gradient products cost what a long
 * one's do), so that the parts of a tiling carry
 * equal work even where a set has fewer blocks than there are parts.  Part
 * p holds examples [c0[p * n_sets + s], c1[p * n_sets + s]) of set s (a run
 * of its whole blocks; c0 == c1 when it holds none of it); the c arrays
 * hold n_parts * n_sets ints.  set_blocks (n_sets ints, or NULL) gets each
 * set's block count.  Returns the parts (fewer when all the sets together
 * have fewer blocks; 0 when they are empty). */
int lm_kernel_split_sets(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                         const lm_example_set *sets, int n_sets, int n_parts, int *c0, int *c1,
                         int *set_blocks);

/* Training features: the forward/backward factors of the training blocks
 * in [r0, r1), computed once and shared by the tiles of every formula and
 * parameter set (they depend on the model, the output spec, the training
 * set and block_tokens).  Packed as bytes for a cache; unpacking checks
 * them against the model, output and examples. */
typedef struct lm_kernel_train_features lm_kernel_train_features;

lm_kernel_train_features *lm_kernel_train_features_compute(const lm_model *m, const lm_output_spec *os,
                                                           const lm_kernel_options *opt,
                                                           const lm_example_set *train, int r0, int r1,
                                                           lm_error *err);
void *lm_kernel_train_features_pack(const lm_kernel_train_features *tf, const lm_model *m,
                                    const lm_output_spec *os, size_t *len);
lm_kernel_train_features *lm_kernel_train_features_unpack(const lm_model *m, const lm_output_spec *os,
                                                          const lm_kernel_options *opt,
                                                          const lm_example_set *train, const void *data,
                                                          size_t len, lm_error *err);
void lm_kernel_train_features_free(lm_kernel_train_features *tf);

/* One tile: training examples [r0, r1) x examples [c0, c1) of evaluation set
 * `set` (its index in the job; the bounds are block boundaries). */
typedef struct lm_kernel_tile {
    int set;
    int r0, r1, c0, c1;
    int dim;
    double *K;                    /* [r1-r0, dim, c1-c0, dim] */
    double *K_flip;               /* asymmetric only */
    float *f0_train;              /* [r1-r0, dim] */
    float *f0;                    /* [c1-c0, dim] */
    double flops;
    size_t peak_bytes;
} lm_kernel_tile;

/* tf: NULL, or features covering [r0, r1) (computed with the same options'
 * block_tokens).  No projection. */
int lm_kernel_tile_compute(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                           const lm_example_set *train, int r0, int r1, const lm_example_set *set,
                           int set_index, int c0, int c1, const lm_kernel_train_features *tf,
                           lm_kernel_tile *out, lm_error *err);
void lm_kernel_tile_free(lm_kernel_tile *t);
/* The least mem_budget a tile accepts (the features, when given, count:
 * they are held in memory). */
int lm_kernel_tile_min_memory(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                              const lm_example_set *train, int r0, int r1, const lm_example_set *set,
                              int c0, int c1, const lm_kernel_train_features *tf, size_t *bytes,
                              lm_error *err);
/* A tile as bytes and back (int32 header, then K, K_flip, f0_train, f0). */
void *lm_kernel_tile_pack(const lm_kernel_tile *t, size_t *len);
int lm_kernel_tile_unpack(const void *data, size_t len, lm_kernel_tile *t, lm_error *err);

/* An empty result of a job's shape (K zero) to merge tiles into. */
void lm_kernel_result_alloc(lm_kernel_result *r, int n_train, int n_sets, const int *n_x, int dim,
                            int asym);
/* Copies a tile's entries and outputs into their places. */
int lm_kernel_result_merge(lm_kernel_result *r, const lm_kernel_tile *t, lm_error *err);

#endif
