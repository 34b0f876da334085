/* checkpoint.h - a pre-training checkpoint: DIR is a complete HuggingFace
 * model folder (config.json, model.safetensors, vocab.json, merges.txt,
 * tokenizer_config.json); DIR.state beside it holds what only a resumed run
 * needs: step, masking RNG, data position and the AdamW moments. */
#ifndef LM_PRETRAIN_CHECKPOINT_H
#define LM_PRETRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "util/rng.h"

typedef struct lm_pretrain_state {
    uint64_t step;
    lm_rng rng;
    uint64_t turn;          /* corpus position: lines returned, and per file */
    int n_files;
    uint64_t *lines;
    int32_t *carry;         /* stream tokens read but not yet used */
    size_t n_carry;
    size_t n_moments;
    float *m, *v;           /* AdamW moments, the optimizer's layout */
    double tokens;
} lm_pretrain_state;

/* Writes the model folder (copying the tokenizer files from tok_dir). */
int lm_checkpoint_save_model(const lm_model *m, const char *tok_dir, int max_len, const char *dir,
                             lm_error *err);

/* DIR.state (atomic write; a torn file is never seen). */
int lm_checkpoint_save_state(const char *dir, const lm_pretrain_state *s, lm_error *err);
/* Reads DIR.state; arrays allocated (lm_pretrain_state_free). */
int lm_checkpoint_load_state(const char *dir, lm_pretrain_state *s, lm_error *err);
void lm_pretrain_state_free(lm_pretrain_state *s);

#endif
