/* checkpoint.h - a pre-training checkpoint: DIR is a complete HuggingFace
 * model folder (config.json, model.safetensors, vocab.json, merges.txt,
 * tokenizer_config.json); DIR.state beside it holds what only a resumed run
 * needs: step, masking RNG, data position and the AdamW moments. */
#ifndef LM_PRETRAIN_CHECKPOINT_H
#define LM_PRETRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
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

/* DIR/trainer_state.json, in the fields of HuggingFace Trainer's file of the
 * same name: global_step, max_steps, num_input_tokens_seen,
 * train_batch_size, and the loss-curve points so far (log_history). */
typedef struct lm_trainer_state {
    int step, max_steps, batch, block;
    uint64_t seed;          /* of the initialisation and masking */
    double init_std;        /* the initialisation: normal(0, init_std), */
    const char *pos_init;   /* position embeddings "normal" or "sinusoidal" */
    double tokens;
    const double *log;      /* [n_log][4]: step, loss, lr, tokens */
    int n_log;
} lm_trainer_state;
int lm_checkpoint_save_trainer_state(const char *dir, const lm_trainer_state *t, lm_error *err);

/* DIR/trainer_state.json parsed (cJSON_Delete it), or NULL when the folder
 * has none or it is not JSON. */
cJSON *lm_checkpoint_read_trainer_state(const char *dir);

/* The pre-training step a model folder was saved at: DIR/trainer_state.json's
 * global_step, else N of a folder named checkpoint-N; -1 if neither.
 * *tokens (may be NULL): num_input_tokens_seen, or -1. */
int lm_checkpoint_step(const char *dir, double *tokens);

/* DIR.state (atomic write; a torn file is never seen). */
int lm_checkpoint_save_state(const char *dir, const lm_pretrain_state *s, lm_error *err);
/* Reads DIR.state; arrays allocated (lm_pretrain_state_free). */
int lm_checkpoint_load_state(const char *dir, lm_pretrain_state *s, lm_error *err);
void lm_pretrain_state_free(lm_pretrain_state *s);

#endif
