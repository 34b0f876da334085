/* lora.h - LoRA adapters in the engine's terms (microsoft/LoRA, spec §6.1).
 *
 * A target weight W [out, in] (the query and value projections by default)
 * becomes W_eff = W0 + s B A with A [r, in], B [out, r] and s = alpha / r.
 * The engine runs on W_eff; from its dense gradient G = dL/dW_eff,
 *   dL/dA = s B^T G,   dL/dB = s G A^T,
 * so LoRA needs no kernels of its own.  A starts Kaiming-uniform (bound
 * 1/sqrt(in), torch's kaiming_uniform_(a=sqrt(5))) or N(0, 1/r); B starts at
 * 0, so W_eff = W0 and dL/dA = 0 at θ0 (spec §6.1).
 *
 * All A and B blocks live in one packed buffer (target order: layer, then
 * query, key, value, attention output, intermediate, output); their names
 * for weight decay are "<weight name without .weight>.lora_A" / ".lora_B". */
#ifndef LM_TRAIN_LORA_H
#define LM_TRAIN_LORA_H

#include <stddef.h>
#include "model/model.h"
#include "train/config.h"

typedef struct lm_lora_target {
    int tensor;             /* index into m->tensors */
    int out, in;            /* W [out, in] */
    size_t w_off;           /* W's offset in the model's layout */
    size_t a_off, b_off;    /* A [r, in], B [out, r] in the packed buffer */
    char name_a[104], name_b[104];
} lm_lora_target;

typedef struct lm_lora {
    int r;
    double alpha;
    float scale;            /* alpha / r */
    int n;
    lm_lora_target *t;
    size_t n_params;        /* packed A and B floats */
    float *params;          /* [n_params] */
    float *w0;              /* frozen W0 of every target, packed in target order */
} lm_lora;

/* The LM_R_* role of one LM_LORA_* target bit (train/config.h), or -1. */
int lm_lora_target_role(unsigned bit);

/* Adapters on m's target weights (m's current values are W0); A drawn from
 * spec->seed, B = 0. */
int lm_lora_init(lm_lora *L, const lm_model *m, const lm_lora_config *spec, lm_error *err);
/* W = W0 + s B A for every target, written into m (the other tensors are
 * left alone).  `ab` is a packed A/B buffer (NULL: L->params). */
void lm_lora_merge(const lm_lora *L, const float *ab, lm_model *m);
/* Packed dL/dA, dL/dB [n_params] from the dense gradient of m's layout,
 * at the packed state ab (NULL: L->params). */
void lm_lora_grads(const lm_lora *L, const float *ab, const float *dense_grad, float *ab_grad);
/* Tangent of the LoRA linearization in m's layout: for each target,
 * s (B0 (A1 - A0) + (B1 - B0) A0), the first-order change of W_eff between
 * the packed states ab0 and ab1; other tensors untouched. */
void lm_lora_tangent(const lm_lora *L, const float *ab0, const float *ab1, float *tangent);
/* Whether a tensor stays trainable under LoRA: the heads (names outside
 * "roberta."/"bert.": lm_head.*, cls.*, classifier.*), spec §4.1. */
int lm_lora_head_trainable(const lm_model *m, int tensor);
void lm_lora_free(lm_lora *L);

#endif
