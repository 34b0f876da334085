/* model.h - a RoBERTa or BERT masked LM in memory: its configuration and all
 * its parameters in one contiguous float32 buffer.
 *
 * Every parameter tensor is a slice of `params`; lm_weights holds pointers
 * into any buffer of the same layout, so gradients, optimizer moments and
 * tangents reuse the same struct (lm_weights_bind). */
#ifndef LM_MODEL_MODEL_H
#define LM_MODEL_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "model/config.h"
#include "util/error.h"

typedef struct lm_layer_weights {
    float *wq, *bq, *wk, *bk, *wv, *bv;   /* [H,H], [H] */
    float *wo, *bo;                       /* attention output [H,H], [H] */
    float *ln1_g, *ln1_b;                 /* [H] */
    float *w1, *b1;                       /* FFN in  [I,H], [I] */
    float *w2, *b2;                       /* FFN out [H,I], [H] */
    float *ln2_g, *ln2_b;                 /* [H] */
} lm_layer_weights;

typedef struct lm_weights {
    float *word_emb;                      /* [V,H] */
    float *pos_emb;                       /* [P,H] */
    float *type_emb;                      /* [Ty,H] */
    float *emb_ln_g, *emb_ln_b;           /* [H] */
    lm_layer_weights *layers;             /* [n_layers] */
    float *head_w, *head_b;               /* LM-head dense [H,H], [H] */
    float *head_ln_g, *head_ln_b;         /* [H] */
    float *decoder_w;                     /* [V,H]; == word_emb when tied */
    float *decoder_b;                     /* [V] */
    float *pool_w, *pool_b;               /* pooler [H,H], [H]; NULL if absent (unused by MLM outputs) */
    float *cls_w, *cls_b;                 /* no-prompt classifier [C,H], [C]; NULL if n_classes = 0 */
} lm_weights;

/* What a parameter tensor is, for the kernels' structured gradients. */
typedef enum {
    LM_PK_LINEAR_W = 1, /* y = x W^T: per-example gradient = Δ^T X */
    LM_PK_BIAS,         /* gradient = Σ_tokens Δ */
    LM_PK_LN_GAIN,      /* LayerNorm gain */
    LM_PK_LN_BIAS,      /* LayerNorm bias */
    LM_PK_EMBEDDING,    /* rows gathered by token id / position / type */
    LM_PK_DECODER_W,    /* LM-head decoder rows (label words) */
    LM_PK_DECODER_B,
    LM_PK_UNUSED,       /* pooler: kept for checkpoints, zero gradient */
} lm_param_kind;

/* Which parameter a tensor is: selects the factors of its per-example
 * gradient (model/grad.c). */
typedef enum {
    LM_R_WORD = 0, LM_R_POS, LM_R_TYPE, LM_R_EMB_LN_G, LM_R_EMB_LN_B,
    LM_R_Q_W, LM_R_Q_B, LM_R_K_W, LM_R_K_B, LM_R_V_W, LM_R_V_B, LM_R_O_W, LM_R_O_B,
    LM_R_LN1_G, LM_R_LN1_B, LM_R_FF1_W, LM_R_FF1_B, LM_R_FF2_W, LM_R_FF2_B, LM_R_LN2_G, LM_R_LN2_B,
    LM_R_HEAD_W, LM_R_HEAD_B, LM_R_HEAD_LN_G, LM_R_HEAD_LN_B, LM_R_DEC_W, LM_R_DEC_B,
    LM_R_POOL_W, LM_R_POOL_B, LM_R_CLS_W, LM_R_CLS_B,
} lm_param_role;

typedef struct lm_param_tensor {
    char name[96];      /* HuggingFace name, e.g. "roberta.encoder.layer.0.attention.self.query.weight" */
    size_t offset;      /* into params */
    int rows, cols;     /* matrices [rows, cols]; vectors rows=1 */
    int ndim;           /* 1 for vectors, 2 for matrices (even with one row) */
    lm_param_kind kind;
    lm_param_role role;
    int layer;          /* encoder layer, or -1 */
} lm_param_tensor;

typedef enum {
    LM_DECODER_AS_CHECKPOINT = 0, /* tied iff config.tie_word_embeddings */
    LM_DECODER_SEPARATE = 1,      /* always an own parameter block (the paper's code, spec §3.1) */
} lm_decoder_mode;

typedef struct lm_load_options {
    lm_decoder_mode decoder;
    int n_classes;      /* > 0 adds a zero-initialised no-prompt classifier [C,H] */
} lm_load_options;

typedef struct lm_model {
    lm_config cfg;
    int tied;           /* decoder_w aliases word_emb */
    int has_pooler;
    int n_classes;
    float *params;      /* all parameters, 64-byte aligned */
    size_t n_params;
    lm_param_tensor *tensors;
    int n_tensors;
    lm_weights w;       /* bound to params */
} lm_model;

/* Loads config.json + model.safetensors from a HuggingFace folder. */
int lm_model_load(const char *dir, const lm_load_options *opt, lm_model *m, lm_error *err);
/* The parameters (floats) a model of this shape holds, without a pooler;
 * nothing is allocated but the layout table. */
size_t lm_model_n_params(const lm_config *cfg, const lm_load_options *opt);
/* Allocates a model of the given shape with zero parameters. */
void lm_model_init_empty(lm_model *m, const lm_config *cfg, const lm_load_options *opt);
void lm_model_free(lm_model *m);

/* Binds lm_weights pointers to a buffer with the layout of m->params. */
void lm_weights_bind(const lm_model *m, float *base, lm_weights *w);
void lm_weights_free_layers(lm_weights *w);

/* Saves config.json + model.safetensors (float32, HuggingFace names). */
int lm_model_save(const lm_model *m, const char *dir, lm_error *err);

/* GPT-2-style random initialisation (normal(0, std), LayerNorm 1/0, biases 0). */
void lm_model_init_random(lm_model *m, uint64_t seed, float std);

/* Sets the (learned, absolute) position embeddings to sinusoids of RMS std
 * (Vaswani et al. 2017: row p, column 2i sin(p w_i), 2i+1 cos(p w_i),
 * w_i = 10000^(-2i/H)).  Neighbouring rows start alike and a fixed offset is a
 * fixed rotation, so attention by relative position is there to be found
 * from the first steps; random rows leave a small masked LM predicting from
 * a bag of words for thousands of steps. */
void lm_model_init_positions_sinusoidal(lm_model *m, float std);

#endif
