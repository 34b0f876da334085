/* kernel_internal.h - the pieces of common/kernel shared between its files
 * (not part of the public API; tests/kernel includes it to test them).
 *
 *   plan.c      the canonical parameter panels
 *   grid.c      the canonical example blocks
 *   side.c      one block's forward/backward: factors and sparse rows;
 *               frozen copies of them (the training-side features)
 *   form.c      gradient rows of a panel, as floats or as sign bits
 *   signbits.c  exact products of sign bits (popcounts)
 *   gram.c      linear weights by token Gram matrices (sgd)
 *   products.c  the kernel of one pair of blocks
 *   parallel.c  a parallel loop over items
 *   engine.c    memory plan and the loop over block pairs
 *   projected.c CountSketch projections
 * DESIGN.md beside these files explains how they fit. */
#ifndef LM_KERNEL_INTERNAL_H
#define LM_KERNEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"

/* Products are float32 partial sums of at most this many coordinates,
 * accumulated in float64: accurate for sgd, exact for sums of signs. */
#define LM_KSUM_CHUNK 4096
/* A panel holds at most this many coordinates (whole rows of one weight, or
 * consecutive small vectors): the unit in which gradients are formed and
 * multiplied.  Fixed, so the accumulation order of every entry is too. */
#define LM_KPANEL 65536
/* Canonical block size: a block's factors take about this many bytes
 * (clamped to [LM_KBLOCK_MIN_TOKENS, LM_KBLOCK_MAX_TOKENS] tokens). */
#define LM_KBLOCK_BYTES ((size_t)1 << 30)
#define LM_KBLOCK_MIN_TOKENS 64
#define LM_KBLOCK_MAX_TOKENS 2048

/* ---- parallel.c ---------------------------------------------------------- */

/* Calls fn(ctx, item, thread) for item in [0, n) on up to n_threads threads
 * (thread in [0, n_threads)).  Items are taken in any order, so fn must
 * write only what belongs to its item.  work: about how many operations
 * the loop does; below LM_KPAR_MIN_WORK it runs in the caller alone. */
#define LM_KPAR_MIN_WORK 4e6
void lm_kparallel(int n_threads, int n, double work, void (*fn)(void *ctx, int item, int thread),
                  void *ctx);
/* Threads for the kernel's own loops: OpenBLAS's count. */
int lm_kthreads(void);

/* ---- plan.c -------------------------------------------------------------- */

typedef struct lm_kseg {
    int tensor, row0, row1; /* rows of a matrix, or the whole vector */
    size_t width;           /* coordinates */
    int lora;               /* >= 0: the LoRA factors of target `lora` (dA then dB) */
} lm_kseg;

typedef struct lm_kpanel {
    int first, n;           /* segments */
    size_t width;
    size_t bits_off;        /* offset of the panel in a row of sign bits, in 64-bit words */
} lm_kpanel;

typedef struct lm_kplan {
    lm_kseg *seg;
    int n_seg;
    lm_kpanel *pan;
    int n_pan;
    int *sparse;            /* row-sparse tensors */
    int n_sparse;
    size_t max_width;       /* widest panel */
    size_t dense_width;     /* all panels */
    size_t bits_words;      /* a row of sign bits of every panel, in 64-bit words */
    size_t lora_scratch;    /* floats of the largest LoRA target */
    const lm_kernel_lora *lora;
    int gram;               /* linear weights go by Gram matrices */
} lm_kplan;

/* The panels of a parameter set: independent of budgets, chunks and threads. */
void lm_kplan_make(const lm_model *m, const lm_output_spec *os, lm_param_set ps, int gram,
                   const lm_kernel_lora *lora, lm_kplan *pl);
void lm_kplan_free(lm_kplan *pl);
/* Words of one plane of sign bits of a panel (padded to 512 bits). */
size_t lm_kpanel_words(size_t width);

/* ---- grid.c -------------------------------------------------------------- */

/* Consecutive examples of a set in blocks of balanced token counts, at most
 * block_tokens each (or one example); start[n_blk] = n. */
typedef struct lm_kblocks {
    int n, n_blk;
    int *start;
} lm_kblocks;

void lm_kblocks_make(const lm_example_set *s, int block_tokens, lm_kblocks *b);
void lm_kblocks_free(lm_kblocks *b);
/* The block indexes *b0, *b1 whose starts (start[0..n_blk]) are e0 and e1,
 * -1 where none is: [e0, e1) is a run of whole blocks when both are found
 * and *b0 <= *b1. */
void lm_kblocks_find(const int *start, int n_blk, int e0, int e1, int *b0, int *b1);
/* The canonical tokens per block for a model and output dimension. */
int lm_kblock_tokens(const lm_model *m, const lm_output_spec *os);
size_t lm_kset_tokens(const lm_example_set *s, int e0, int e1);

/* ---- side.c -------------------------------------------------------------- */

typedef struct lm_ksparse_vec {
    int n;
    int32_t *ids;
    float *vals;
} lm_ksparse_vec;

typedef struct lm_kfrozen lm_kfrozen;

/* The factors of one block of examples after forward + backward of every
 * output, and the sparse rows of their gradients. */
typedef struct lm_kside {
    lm_outputs_ws ws;       /* the live pass (unused when frozen) */
    lm_kfrozen *fz;         /* a frozen copy instead (training features) */
    lm_pass pass;
    float *f;               /* [n, R] outputs */
    int n;                  /* examples */
    int filled;
    int borrowed;           /* pass and f belong to another side (features) */
    lm_ksparse_vec *sp;     /* [n_sparse][n * R] */
    int32_t *sp_ids;
    float *sp_vals;
    size_t sp_cap, sp_vecs;
} lm_kside;

int lm_kside_fill(lm_kside *sd, const lm_model *m, const lm_output_spec *os,
                  const lm_encoded_example *ex, int n, lm_error *err);
void lm_kside_extract_sparse(lm_kside *sd, const lm_kplan *pl, int R);
void lm_kside_free(lm_kside *sd);
/* Planned bytes of a side of n examples and `tokens` tokens (with its
 * sparse rows), upper bound of what lm_kside_fill allocates. */
size_t lm_kside_bytes(const lm_model *m, const lm_output_spec *os, const lm_kplan *pl,
                      const lm_encoded_example *ex, int n);

/* Frozen factors: serialise a filled side, and rebuild one from the bytes
 * (checking them against the examples they claim to be). */
void *lm_kside_pack(const lm_kside *sd, const lm_model *m, const lm_output_spec *os, size_t *len);
int lm_kside_unpack(lm_kside *sd, const lm_model *m, const lm_output_spec *os,
                    const lm_encoded_example *ex, int n, const void *data, size_t len, lm_error *err);

/* ---- form.c -------------------------------------------------------------- */

/* G[n*R rows, ld]: panel p's gradient of every (example, output) of the side,
 * in float32 (rows written from column 0, ld >= panel width). */
void lm_kform_floats(const lm_kside *sd, const lm_kplan *pl, int p, int R, float *G, size_t ld,
                     float *const *scratch, int n_threads);
/* Sign bits of panel p of every (example, output): row v at bits + v*ld,
 * planes interleaved per 512 bits (lm_ksign_pack). */
void lm_kform_signs(const lm_kside *sd, const lm_kplan *pl, int p, int R, uint64_t *bits, size_t ld,
                    float *const *scratch, int n_threads);
/* out[(i1-i0) x in] = D[:, i0:i1]^T X over L rows: every entry one chain of
 * fused multiply-adds over the rows in order, so it does not depend on the
 * row range (and equals a GEMM's dot product of the same length).  pack:
 * lm_kform_pack_floats(L) floats of scratch. */
void lm_kform_linear(const float *D, size_t ldd, const float *X, size_t ldx, int L, int i0, int i1,
                     int in, float *out, float *pack);
size_t lm_kform_pack_floats(int max_tokens);
/* Floats of scratch per thread that lm_kform_floats/_signs need. */
size_t lm_kform_scratch(const lm_model *m, const lm_kplan *pl);

/* ---- signbits.c ---------------------------------------------------------- */

/* Packs w floats into sign bits: per 512 coordinates, 8 words of
 * "nonzero" then 8 words of "negative"; padding is zero. */
void lm_ksign_pack(const float *x, size_t w, uint64_t *bits);
/* acc[i*lda + j] += sum over the words of sign(a_i) . sign(b_j): rows of
 * `words` words (both planes) at a + i*ldA, b + j*ldB.  Exact integers. */
void lm_ksign_products(const uint64_t *a, size_t ldA, int na, const uint64_t *b, size_t ldB, int nb,
                       size_t words, double *acc, size_t lda, int n_threads);
/* The same, one row pair, by each implementation (for the tests). */
int64_t lm_ksign_dot_portable(const uint64_t *a, const uint64_t *b, size_t words);
int64_t lm_ksign_dot_best(const uint64_t *a, const uint64_t *b, size_t words);
int lm_ksign_has_avx512(void);

/* ---- gram.c -------------------------------------------------------------- */

typedef struct lm_kgram_ws {
    float *A, *B;
    size_t cap_a, cap_b;
} lm_kgram_ws;

/* acc[Mt, Mx] += the linear weights' part of the sgd kernel between two
 * sides, by token Gram matrices. */
void lm_kgram_products(const lm_kside *tr, const lm_kside *xs, const lm_model *m, lm_param_set ps,
                       int R, double *acc, size_t lda, lm_kgram_ws *gw, double *flops, int n_threads);
void lm_kgram_ws_free(lm_kgram_ws *gw);
/* Floats of the Gram workspace for sides of Tt and Tx tokens. */
size_t lm_kgram_bytes(int R, size_t Tt, size_t Tx);

/* ---- products.c ---------------------------------------------------------- */

/* Row-sparse part of the kernel between the sides' vectors. */
void lm_ksparse_products(const lm_kside *tr, const lm_kside *xs, const lm_kplan *pl,
                         const lm_model *m, lm_kernel_formula f, int R, double *acc,
                         double *accf, size_t lda, int n_threads);
/* acc[i*lda + j] += sum_k A[i][k] B[j][k] for i < na, j < nb, k < W: per
 * chunk of LM_KSUM_CHUNK coordinates eight float32 FMA lanes (lane = k mod
 * 8) in k order and a fixed reduction, accumulated in float64.  The same
 * bits for any na, nb, row offsets and threads. */
void lm_kfloat_products(const float *A, size_t ldA, int na, const float *B, size_t ldB, int nb, size_t W,
                        double *acc, size_t lda, int n_threads);

/* ---- engine.c ----------------------------------------------------------- */

/* One evaluation range of a job and where its entries go. */
typedef struct lm_ktarget {
    const lm_example_set *set;
    int c0, c1;             /* examples of the set: a run of whole blocks */
    double *K, *K_flip;     /* [r1 - r0, R, c1 - c0, R] */
    float *f0;              /* [c1 - c0, R] */
} lm_ktarget;

typedef struct lm_kjob {
    const lm_model *m;
    const lm_output_spec *os;
    const lm_kernel_options *opt;
    const lm_example_set *train;
    int r0, r1;             /* training examples: a run of whole blocks */
    float *f0_train;        /* [r1 - r0, R] */
    int block_tokens;
    const lm_kside *tf_sides; /* training features of the blocks of [r0, r1), or NULL */
    int n_tf;
    int n_targets;
    lm_ktarget *tg;
    /* out */
    double flops;
    size_t peak_bytes, min_bytes, rows_train;
} lm_kjob;

int lm_kengine_run(lm_kjob *j, lm_error *err);
/* The least budget the job runs with (lm_kjob.opt's budget is ignored). */
int lm_kengine_min_bytes(lm_kjob *j, size_t *bytes, lm_error *err);
/* Whether sgd takes the linear weights by token Gram matrices. */
int lm_kuse_gram(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                 const lm_example_set *train);

/* ---- projected.c --------------------------------------------------------- */

int lm_kernel_projected(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                        const lm_example_set *train, const lm_example_set *sets, int n_sets,
                        lm_kernel_result *out, double *ktt, lm_error *err);

#endif
