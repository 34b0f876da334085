/* layers.h - forward and backward of each layer of the transformer, one
 * function per pass, in the manner of llm.c.  Shapes are row-major; T is the
 * number of token rows (several replicas of a batch stack as R*T rows). */
#ifndef LM_MODEL_LAYERS_H
#define LM_MODEL_LAYERS_H

#include <stdint.h>
#include "model/config.h"

/* y[T,O] = x[T,I] W^T + b;  W [O,I], b [O] or NULL */
void lm_linear_forward(float *y, const float *x, const float *W, const float *b, int T, int I, int O);

/* dx[T,I] = dy[T,O] W + beta * dx */
void lm_linear_backward_input(float *dx, const float *dy, const float *W, int T, int I, int O,
                              float beta);

/* dW[O,I] += dy[T,O]^T x[T,I];  db[O] += sum_t dy[t,:] (db may be NULL) */
void lm_linear_backward_params(float *dW, float *db, const float *dy, const float *x, int T, int I,
                               int O);

/* y[T,H] = LN(x) * g + b; keeps xhat[T,H] and rstd[T] for the backward */
void lm_layernorm_forward(float *y, float *xhat, float *rstd, const float *x, const float *g,
                          const float *b, int T, int H, float eps);

/* dx[T,H] = LN backward of dy through (xhat, rstd, g); overwrite (beta=0) or
 * add (beta=1).  Parameter gradients, if dg/db are not NULL, are summed into
 * dg[group[t],:] and db[group[t],:] (group NULL: all rows into row 0). */
void lm_layernorm_backward(float *dx, float *dg, float *db, const float *dy, const float *xhat,
                           const float *rstd, const float *g, const int *group, int T, int H,
                           float beta);

/* out[N] = act(u[N]) */
void lm_activation_forward(float *out, const float *u, long N, lm_act act);
/* du[N] = dout[N] * act'(u[N]) */
void lm_activation_backward(float *du, const float *dout, const float *u, long N, lm_act act);

/* One sequence of L tokens, all heads.  q,k,v,ctx: [L, H] with row stride H;
 * probs: [nh, L, L].  Bidirectional attention (no padding inside a packed
 * sequence, so no mask is needed). */
void lm_attention_forward(float *ctx, float *probs, const float *q, const float *k, const float *v,
                          int L, int H, int nh);

/* dq, dk, dv [L,H] from dctx [L,H]; scratch [L*L] */
void lm_attention_backward(float *dq, float *dk, float *dv, const float *dctx, const float *probs,
                           const float *q, const float *k, const float *v, int L, int H, int nh,
                           float *scratch);

/* The same with dropout on the attention probabilities: ctx = (P * keep *
 * scale) v.  probs keeps the undropped P (the softmax backward needs it);
 * keep [nh, L, L] is 1 (kept) or 0 (dropped); scale = 1/(1-p).  keep NULL:
 * no dropout.  scratch: [L*L] forward, [2*L*L] backward. */
void lm_attention_forward_dropout(float *ctx, float *probs, const float *q, const float *k,
                                  const float *v, int L, int H, int nh, const uint8_t *keep,
                                  float scale, float *scratch);
void lm_attention_backward_dropout(float *dq, float *dk, float *dv, const float *dctx,
                                   const float *probs, const float *q, const float *k,
                                   const float *v, int L, int H, int nh, const uint8_t *keep,
                                   float scale, float *scratch);

/* x[i] *= keep[i] ? scale : 0 (dropout with a drawn mask, forward and backward) */
void lm_dropout_apply(float *x, const uint8_t *keep, float scale, long N);

#endif
