/* encoder.h - batched forward and backward of the embeddings and the
 * transformer layers over packed variable-length sequences (no padding).
 *
 * A batch packs n_seq sequences into T token rows.  The backward runs R
 * replicas at once: R different upstream gradients through the same
 * activations (the C label-word logits of each example), stacked as R*T rows
 * so every weight multiplication is one large GEMM.  It can keep every
 * layer's per-token deltas (the factors of per-example gradients, for the
 * kernels) and/or sum parameter gradients (for training). */
#ifndef LM_MODEL_ENCODER_H
#define LM_MODEL_ENCODER_H

#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "model/shape.h"

typedef struct lm_batch {
    int n_seq;
    int n_tokens;      /* T */
    int *seq_start;    /* [n_seq+1] row offsets */
    int *tok_seq;      /* [T] sequence of each row */
    int32_t *ids;      /* [T] */
    int32_t *type_ids; /* [T] */
    int32_t *pos_ids;  /* [T] RoBERTa: pad+1+i; BERT: i */
    int cap_seq, cap_tok;
} lm_batch;

void lm_batch_clear(lm_batch *b);
/* Appends one sequence (types may be NULL = all 0); checks ids, types and
 * length against the config. */
int lm_batch_add(lm_batch *b, const lm_config *cfg, const int32_t *ids, const int32_t *types,
                 int n, lm_error *err);
void lm_batch_free(lm_batch *b);

/* Training-time dropout where HuggingFace RoBERTa/BERT apply it: on the
 * embeddings' output, the attention probabilities, and the outputs of the
 * attention-output and FFN-output dense layers (before their residual add).
 * Point lm_acts.dropout at one before lm_encoder_forward: the masks are drawn
 * from `seed` alone (the same seed and batch give the same masks) and kept in
 * the activations for lm_encoder_backward.  NULL or p = 0: off (eval mode,
 * the default, and what every kernel computation uses). */
typedef struct lm_dropout {
    float p;                   /* drop probability in [0, 1) */
    uint64_t seed;             /* e.g. a hash of (training seed, step) */
} lm_dropout;

typedef struct lm_layer_acts {
    float *q, *k, *v;          /* [T,H] */
    float *probs;              /* per sequence [nh, L, L], at probs_off[s] */
    float *ctx;                /* [T,H] attention output before the dense */
    float *ln1_xhat, *ln1_rstd;/* [T,H], [T] */
    float *y1;                 /* [T,H] after LN1: FFN input */
    float *u, *g;              /* [T,I] FFN pre-activation and activation */
    float *ln2_xhat, *ln2_rstd;
    float *y2;                 /* [T,H] layer output */
    uint8_t *attn_keep;        /* dropout masks (1 = kept), like probs */
    uint8_t *ao_keep, *ffo_keep; /* [T,H] attention-output and FFN-output masks */
} lm_layer_acts;

typedef struct lm_acts {
    int T, cap_T;
    size_t cap_probs;
    size_t *probs_off;         /* [n_seq] */
    int cap_seq;
    float *emb_xhat, *emb_rstd;/* embedding LayerNorm */
    float *x0;                 /* [T,H] embedding output */
    float *tmp;                /* [T,H] scratch */
    lm_layer_acts *layers;
    int n_layers;
    /* the last layer's output: x0 or layers[n-1].y2 */
    const lm_dropout *dropout; /* set by the caller before a training forward; NULL = off */
    float drop_p;              /* p of the last forward (0: no masks), for the backward */
    uint8_t *emb_keep;         /* [T,H] embedding-output mask */
    float *drop_scratch;       /* [max L*L] attention scratch */
    int cap_keep_T;
    size_t cap_keep_probs, cap_drop_scratch;
} lm_acts;

/* Deltas of one layer for R replicas; the per-example gradient of a weight
 * is (Δ of its output)^T (its input) summed over the example's rows. */
typedef struct lm_layer_bwd {
    float *dq, *dk, *dv;       /* [R,T,H]  Δ of the Q, K, V outputs */
    float *dattn;              /* [R,T,H]  Δ of the attention output dense */
    float *du;                 /* [R,T,I]  Δ of the FFN input dense */
    float *dz;                 /* [R,T,H]  Δ of the FFN output dense */
    float *dln1_g, *dln1_b;    /* [R,n_seq,H] per-sequence LayerNorm gradients */
    float *dln2_g, *dln2_b;
} lm_layer_bwd;

typedef struct lm_bwd {
    int R, T, n_seq;
    int keep_all;              /* 1: one lm_layer_bwd per layer; 0: all share one */
    int n_slots;               /* entries of layers[] */
    size_t cap_tok, cap_seq;
    lm_layer_bwd *layers;      /* [n_layers] (keep_all) or [1] */
    float *demb;               /* [R,T,H] Δ of the embedding sum */
    float *demb_ln_g, *demb_ln_b; /* [R,n_seq,H] */
    float *dx, *dtmp, *dctx, *scratch; /* working buffers */
} lm_bwd;

const float *lm_acts_output(const lm_acts *a);

void lm_acts_free(lm_acts *a);
void lm_bwd_free(lm_bwd *b);

/* Runs the embeddings and all layers; activations (re)allocated in a. */
void lm_encoder_forward(const lm_model *m, const lm_batch *b, lm_acts *a);

/* dhidden [R,T,H]: upstream gradient of the final hidden states (destroyed).
 * keep_all: store every layer's deltas in bwd (kernels); grads: if not NULL,
 * add the batch's summed parameter gradients (training). */
void lm_encoder_backward(const lm_model *m, const lm_batch *b, const lm_acts *a, int R,
                         float *dhidden, int keep_all, lm_bwd *bwd, lm_weights *grads);


#endif
