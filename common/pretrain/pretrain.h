/* pretrain.h - pre-training of a RoBERTa-style masked LM from scratch
 * (Liu et al. 2019 at small scale): dynamic 15% masking with 80/10/10,
 * FULL-SENTENCES blocks, AdamW with linear warmup and decay, global-norm
 * clipping.  Checkpoints are HuggingFace folders (config.json,
 * model.safetensors with a tied decoder, vocab.json, merges.txt) that
 * lm_model_load and transformers' RobertaForMaskedLM read; the optimizer
 * moments, step, RNG and data position go beside each folder in
 * checkpoint-<step>.state, so the folder stays a clean model and a run
 * resumes bit-for-bit. */
#ifndef LM_PRETRAIN_PRETRAIN_H
#define LM_PRETRAIN_PRETRAIN_H

#include <stdint.h>
#include "model/config.h"
#include "util/error.h"

/* How the position embeddings start (the rest is always normal(0, std)). */
typedef enum lm_pos_init { LM_POS_INIT_NORMAL = 0, LM_POS_INIT_SINUSOIDAL } lm_pos_init;

/* "normal" / "sinusoidal" <-> lm_pos_init; -1 / NULL for an unknown one. */
int lm_pos_init_parse(const char *name);
const char *lm_pos_init_name(int pos_init);

typedef struct lm_pretrain_config {
    const char *tokenizer_dir;   /* vocab.json + merges.txt (<mask> the last id) */
    const char *const *corpus;   /* text files, .txt or .txt.gz, one document a line */
    int n_corpus;
    const char *out_dir;         /* checkpoint-<step>/, loss.tsv */
    const char *resume;          /* a checkpoint-<step> folder of this run, or NULL */
    /* shape (RoBERTa; max positions = block + 2) */
    int layers, hidden, heads, intermediate;
    int block;                   /* tokens per sequence, <s> and </s> included */
    int batch;                   /* sequences per step */
    /* optimisation */
    int steps, warmup;
    double lr, weight_decay, beta1, beta2, eps, max_grad_norm;
    double mask_prob;            /* 0.15 */
    double init_std;             /* 0.05 (RoBERTa: 0.02) */
    int pos_init;                /* lm_pos_init: sinusoidal (RoBERTa: normal) */
    uint64_t seed;
    const int *save_steps;       /* extra checkpoints (0 = the random initialisation) */
    int n_save_steps;
    int log_every;               /* steps between loss.tsv lines */
} lm_pretrain_config;

/* Defaults: 4 layers, hidden 256, 4 heads, FFN 1024, block 128, batch 16,
 * lr 1e-3, warmup 6%, wd 0.01, betas 0.9/0.98, eps 1e-6, clip 1.0, mask 0.15,
 * init std 0.05 with sinusoidal positions, seed 42, log every 10. */
void lm_pretrain_defaults(lm_pretrain_config *c);

typedef struct lm_pretrain_report {
    int step, steps;
    double loss;                 /* mean over the steps since the last report */
    double lr, grad_norm;
    double tokens;               /* tokens consumed so far (all positions) */
    double tokens_per_s;         /* over this process's steps */
    double elapsed_s, eta_s;
    const char *checkpoint;      /* set when a checkpoint was just written */
} lm_pretrain_report;

typedef struct lm_pretrain_hooks {
    /* After every log_every steps and every checkpoint; nonzero stops the run
     * (after saving a checkpoint of the current step).  May be NULL. */
    int (*report)(void *ctx, const lm_pretrain_report *r);
    void *ctx;
} lm_pretrain_hooks;

/* Runs to cfg->steps (from the resume step if resuming).  The last step is
 * always saved.  Returns 0, or -1 with err set. */
int lm_pretrain_run(const lm_pretrain_config *cfg, const lm_pretrain_hooks *hooks, lm_error *err);

#endif
