/* trainer.h - one fine-tuning step at a time (spec §6.1): the state behind
 * lm_finetune (train.h), exposed for tests and benchmarks.
 *
 *   lm_train_config c;
 *   lm_train_config_from_spec(&c, &spec->finetune[0], 1e-5, seed);
 *   lm_trainer t;
 *   if (lm_trainer_init(&t, &m0, &os, &c, &err)) ...;
 *   for (...) loss = lm_trainer_step(&t, batch, n);     (batch: example pointers)
 *   lm_trainer_outputs(&t, ex, n, logits);              (eval mode)
 *   lm_trainer_free(&t);
 *
 * Modes:
 *   full        θ itself is trained: every tensor of the parameter set that
 *               the outputs use (the pooler, and the head the outputs do not
 *               read, get no gradient in the reference and are left alone).
 *   LoRA        adapters on the target weights plus the heads; the working
 *               model holds W0 + s B A after every step (lora.h).
 *   linearized  f_lin(x; θ) = f(x; θ0) + <∇f(x; θ0), θ - θ0> on the same
 *               loss; its gradient is the VJP at θ0 of dL/df_lin, one
 *               backward through θ0's activations; f_lin costs a factor
 *               pass (jvp.h).  No dropout (f_lin is defined in eval mode).
 *               With params "lora" the tangent is LoRA's first-order one.
 *
 * The loss is the mean cross-entropy over the C outputs (label-word logits
 * or classifier logits; a binary output spec is trained on its C = 2
 * logits).  Dropout (cfg.dropout > 0) draws new masks every step from
 * (seed, step). */
#ifndef LM_TRAIN_TRAINER_H
#define LM_TRAIN_TRAINER_H

#include <stdint.h>
#include "model/outputs.h"
#include "prompt/encoded.h"
#include "train/config.h"
#include "train/lora.h"
#include "train/optim.h"

typedef enum { LM_TRAIN_FULL = 0, LM_TRAIN_LORA = 1, LM_TRAIN_LINEARIZED = 2 } lm_train_mode;

typedef struct lm_train_config {
    lm_opt_kind optimizer;
    double lr;              /* peak learning rate */
    int steps;              /* t_total of the schedule */
    int warmup;
    double weight_decay;
    double max_grad_norm;   /* <= 0: no clipping */
    lm_param_set params;  /* trainable set; LM_PS_LORA: adapters + heads */
    lm_lora_config lora;
    int linearized;
    float dropout;          /* 0: off (default); HuggingFace's training value is 0.1 */
    uint64_t seed;          /* dropout masks */
} lm_train_config;

/* From a spec entry and one grid point; dropout 0. */
void lm_train_config_from_spec(lm_train_config *c, const lm_finetune_config *ft, double lr,
                               uint64_t seed);

typedef struct lm_trainer {
    lm_train_config cfg;
    lm_train_mode mode;
    const lm_model *m0;
    lm_model m;                /* working parameters (LoRA: merged) */
    lm_output_spec os;         /* binary = 0 */
    unsigned char *trainable;  /* [n_tensors]: updated directly by the optimizer */
    float *grad;               /* dense gradient, m's layout */
    lm_weights gw;
    lm_lora lora;
    float *lora_grad, *lora0;  /* LoRA: gradient, initial packed state */
    lm_optim opt;
    float *delta;              /* linearized: tangent θ - θ0, m's layout */
    lm_outputs_ws ws;
    lm_bwd bw;
    lm_head_bwd hb;
    lm_dropout drop;
    int cap;
    float *f, *dl, *dh, *dxc;
    double *jv;
    int *head_pos;
    int step;                  /* optimizer steps taken */
    size_t cap_dh;
    double last_loss, last_norm, last_lr;
    lm_error err;              /* why a step returned NaN (a batch the model cannot take) */
} lm_trainer;

int lm_trainer_init(lm_trainer *t, const lm_model *m0, const lm_output_spec *os,
                    const lm_train_config *cfg, lm_error *err);
/* Loss and gradient of a batch without updating (t->grad, and
 * t->lora_grad under LoRA, hold the result).  Returns the mean loss. */
double lm_trainer_grad(lm_trainer *t, const lm_encoded_example *const *ex, int n);
/* lm_trainer_grad, then one optimizer step.  Returns the mean loss (NaN:
 * the batch was refused, t->err says why, nothing was updated). */
double lm_trainer_step(lm_trainer *t, const lm_encoded_example *const *ex, int n);
/* Outputs [n, C] at the current parameters, eval mode (linearized: f_lin). */
void lm_trainer_outputs(lm_trainer *t, const lm_encoded_example *const *ex, int n, float *out);
/* Sets the state to saved values: params in the model's layout (LoRA: the
 * merged ones) and, under LoRA, the packed adapters. */
void lm_trainer_restore(lm_trainer *t, const float *params, const float *lora_params);
/* The tangent of the linearization of the current state against θ0, in the
 * model's layout (full/linearized: θ - θ0; LoRA: s(B0 dA + dB A0) plus the
 * heads' change). */
void lm_trainer_tangent(const lm_trainer *t, float *tangent);
void lm_trainer_free(lm_trainer *t);

/* A copy of src with its own parameter buffer (params NULL: src's values). */
void lm_model_clone(const lm_model *src, const float *params, lm_model *dst);
/* Whether the outputs read tensor ti at all (the pooler never; the MLM head
 * or the classifier, whichever the spec does not use, neither). */
int lm_tensor_used(const lm_model *m, const lm_output_spec *os, int ti);

#endif
