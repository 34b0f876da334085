/* head.h - the output heads: the masked-LM head (dense -> act -> LayerNorm ->
 * decoder + bias) at chosen rows, with logits for chosen vocabulary ids (the
 * label words) or the full vocabulary; and the no-prompt classifier on the
 * <s> row. */
#ifndef LM_MODEL_HEAD_H
#define LM_MODEL_HEAD_H

#include <stdint.h>
#include "model/model.h"

typedef struct lm_head_acts {
    int n, cap;
    float *x;              /* [n,H] input rows (hidden states at the mask) */
    float *t;              /* [n,H] dense output before the activation */
    float *a;              /* [n,H] activation */
    float *xhat, *rstd;    /* LayerNorm */
    float *y;              /* [n,H] LayerNorm output: the decoder input */
} lm_head_acts;

typedef struct lm_head_bwd {
    int R, n, cap;
    float *dy;             /* [R,n,H] gradient at the decoder input */
    float *ddense;         /* [R,n,H] Δ of the head dense */
    float *dln_g, *dln_b;  /* [R,n,H] per-row LayerNorm gradients */
    float *dx;             /* [R,n,H] gradient of the input rows */
    float *tmp;
} lm_head_bwd;

/* x [n,H] -> head activations up to the decoder input. */
void lm_head_forward(const lm_model *m, const float *x, int n, lm_head_acts *ha);

/* logits [n, n_vocab] for vocab ids (NULL: all V in order, n_vocab = V). */
void lm_head_logits(const lm_model *m, const lm_head_acts *ha, const int32_t *vocab, int n_vocab,
                    float *logits);

/* dlogits [R, n, n_vocab] -> hb (per-replica deltas and dx).  grads: if not
 * NULL, adds summed parameter gradients (decoder rows, bias entries, LN,
 * dense). */
void lm_head_backward(const lm_model *m, const lm_head_acts *ha, int R, const float *dlogits,
                      const int32_t *vocab, int n_vocab, lm_head_bwd *hb, lm_weights *grads);

void lm_head_acts_free(lm_head_acts *ha);
void lm_head_bwd_free(lm_head_bwd *hb);

/* No-prompt classifier: logits [n,C] = x [n,H] Wc^T + bc. */
void lm_classifier_forward(const lm_model *m, const float *x, int n, float *logits);
/* dx [R,n,H] = dlogits Wc; grads (optional) += dlogits^T x. */
void lm_classifier_backward(const lm_model *m, const float *x, int n, int R, const float *dlogits,
                            float *dx, lm_weights *grads);

#endif
