/* shape.h - a model's sizes from its config alone: what memory planning
 * needs (the kernel's budget, the daemon's admission) without the model's
 * math.  Arithmetic only: lm_model_base, which the daemon links, holds it. */
#ifndef LM_MODEL_SHAPE_H
#define LM_MODEL_SHAPE_H

#include <stddef.h>
#include "model/config.h"

/* Bytes of activations and deltas for one token of the encoder, with R
 * outputs back-propagated; keep_all: every layer's deltas kept (kernels). */
size_t lm_encoder_bytes_per_token(const lm_config *cfg, int R, int keep_all);

/* The config of a RoBERTa masked LM of this shape (tied decoder, block + 2
 * positions): what `lmntk pretrain` trains and writes as config.json. */
void lm_config_roberta_mlm(int vocab_size, int hidden, int layers, int heads, int intermediate,
                           int block, lm_config *mc);

#endif
