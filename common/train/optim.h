/* optim.h - the optimizers of fine-tuning (spec §6.1) over a list of
 * trainable slices: SGD (no momentum), SignGD (SGD on the sign of the
 * clipped gradient) and transformers' AdamW, with the linear
 * warmup/decay schedule and global gradient-norm clipping of the reference.
 *
 * One optimizer step (lm_optim_step), in the reference's order:
 *   1. clip: norm = sqrt(sum of squares over every slice); if max_grad_norm
 *      > 0 and norm > max, g *= max / (norm + 1e-6) (torch clip_grad_norm_);
 *   2. SignGD: g = sign(g) (sign 0 = 0);
 *   3. lr_t = lr * lm_lr_at(t) with t the number of steps taken before;
 *   4. SGD/SignGD: p -= lr_t * (g + wd * p)   (torch SGD's coupled decay: the
 *      reference hands SGD the same parameter groups as AdamW, so a nonzero
 *      weight decay acts on decay slices; wd = 0 by default)
 *      AdamW (transformers 4.4 AdamW, correct_bias=True):
 *        m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *        p -= lr_t * sqrt(1-b2^k)/(1-b1^k) * m / (sqrt(v) + eps)   (k = t+1)
 *        p -= lr_t * wd * p   (decoupled, after the update, decay slices only)
 *
 * Weight decay follows the reference's rule on parameter names: a tensor
 * decays unless its HuggingFace name contains "bias" or "LayerNorm.weight"
 * (lm_optim_decays).  RoBERTa's LM head calls its norm "layer_norm", so
 * lm_head.layer_norm.weight does decay in the reference, and here. */
#ifndef LM_TRAIN_OPTIM_H
#define LM_TRAIN_OPTIM_H

#include <stddef.h>
#include "train/config.h"

/* A trainable slice: values and gradient of the same length.  The moments
 * of AdamW live in the optimizer, at `off`. */
typedef struct lm_opt_seg {
    float *p;
    float *g;
    size_t n;
    size_t off;     /* filled by lm_optim_init */
    int decay;      /* weight decay applies */
} lm_opt_seg;

typedef struct lm_optim {
    lm_opt_kind kind;
    double lr;              /* peak learning rate */
    double weight_decay;    /* AdamW: decoupled; SGD/SignGD: coupled (torch SGD) */
    double beta1, beta2, eps;
    double max_grad_norm;   /* <= 0: no clipping */
    int warmup, t_total;    /* schedule */
    int t;                  /* steps taken */
    lm_opt_seg *seg;
    int n_seg;
    size_t n;               /* trainable coordinates */
    float *m, *v;           /* AdamW moments [n] */
    double last_norm;       /* gradient norm before clipping, of the last step */
    double last_lr;         /* lr_t of the last step */
} lm_optim;

/* transformers get_linear_schedule_with_warmup: the factor of step t
 * (0-based): t/warmup during warmup, then max(0, (t_total-t)/(t_total-warmup)). */
double lm_lr_factor(int t, int warmup, int t_total);

/* The reference's weight-decay rule on a HuggingFace parameter name. */
int lm_optim_decays(const char *name);

/* Takes ownership of seg (allocated with lm_xmalloc); AdamW betas 0.9/0.999,
 * eps 1e-8. */
void lm_optim_init(lm_optim *o, lm_opt_kind kind, double lr, double weight_decay,
                   double max_grad_norm, int warmup, int t_total, lm_opt_seg *seg, int n_seg);
/* Global L2 norm of the gradients (float64 accumulation). */
double lm_optim_grad_norm(const lm_optim *o);
/* One step as above; returns the gradient norm before clipping. */
double lm_optim_step(lm_optim *o);
void lm_optim_free(lm_optim *o);

#endif
