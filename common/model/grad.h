/* grad.h - per-example gradients from the factors a backward pass keeps.
 *
 * After lm_encoder_forward, a head forward/backward and lm_encoder_backward
 * with keep_all, the gradient of replica r (e.g. label-word logit c) of
 * sequence s with respect to any parameter tensor is a small product of
 * stored factors: Δ^T X over the sequence's rows for a linear weight, row
 * sums for biases, per-sequence LayerNorm vectors, gathered rows for
 * embeddings.  lm_grad_tensor materialises one tensor's gradient. */
#ifndef LM_MODEL_GRAD_H
#define LM_MODEL_GRAD_H

#include "model/encoder.h"
#include "model/head.h"

typedef enum { LM_HEAD_MLM = 1, LM_HEAD_CLASSIFIER = 2 } lm_head_kind;

typedef struct lm_pass {
    const lm_model *m;
    const lm_batch *b;
    const lm_acts *a;
    const lm_bwd *bw;          /* kept with keep_all = 1 */
    int R;                     /* replicas */
    lm_head_kind head;
    int n_out;                 /* outputs per sequence (label words or classes) */
    const int32_t *vocab;      /* MLM: the n_out vocabulary ids */
    const float *dlogits;      /* [R, n_seq, n_out] upstream gradients of the outputs */
    const lm_head_acts *ha;    /* MLM head, row s = sequence s */
    const lm_head_bwd *hb;
    const float *head_x;       /* classifier: [n_seq, H] input rows */
} lm_pass;

/* out[rows*cols] = gradient of replica r of sequence s w.r.t. tensor t.
 * The attention key bias is exactly zero (softmax is invariant to a
 * per-query constant; its float backward would be rounding noise). */
void lm_grad_tensor(const lm_pass *p, int tensor, int s, int r, float *out);

/* Rows [row0,row1) of a linear weight's gradient: out[(row1-row0) * cols]
 * (Δ[:, rows]^T X over the sequence's rows; one GEMM). */
void lm_grad_linear_rows(const lm_pass *p, int tensor, int s, int r, int row0, int row1,
                         float *out);

/* The factors of a linear weight's (and its bias's) gradient for replica r:
 * X [T, in] the input rows and D [T, out] the deltas of the output, over the
 * whole batch (sequence s is rows seq_start[s]..); NULL for the heads. */
void lm_grad_linear_factors(const lm_pass *p, int tensor, int r, const float **X, const float **D,
                            int *in, int *out);

/* Row-sparse tensors (embeddings, decoder rows and bias): the gradient's
 * nonzero rows, sorted by row id, into ids[] and vals[n * width] (width = H,
 * or 1 for the decoder bias).  Returns the number of rows; at most
 * lm_grad_sparse_max_rows(p, s). */
int lm_grad_sparse_rows(const lm_pass *p, int tensor, int s, int r, int32_t *ids, float *vals);
int lm_grad_sparse_max_rows(const lm_pass *p, int s);

/* Whether a tensor's gradient is structurally zero for this head (the
 * pooler; the MLM head under the classifier and vice versa; key biases). */
int lm_grad_tensor_is_zero(const lm_pass *p, int tensor);

#endif
