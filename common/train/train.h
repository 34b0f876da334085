/* train.h - fine-tuning baselines (spec §6.1): what the runner calls.
 *
 * One call fine-tunes a copy of the pre-trained model for one grid point
 * (learning rate, batch size) and one seed, evaluating on dev during
 * training and keeping the best-dev parameters in memory:
 *
 *   lm_model m0;                            (loaded once; never modified here)
 *   lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = C, .vocab = train.label_word_ids};
 *   // no prompt: load with n_classes = C, os.head = LM_HEAD_CLASSIFIER, and
 *   // first initialise the classifier by the linear probe (spec §3.3) so
 *   // that kernels, fine-tuning and diagnostics share this θ0:
 *   //   lm_linear_head_init(&m0, &os, &train, seed, NULL, &err);
 *   lm_finetune_result r;
 *   if (lm_finetune(&m0, &os, &spec->finetune[i], 1e-5, 8, seed, &train, &dev, &test,
 *                   "acc", NULL, &hooks, &r, &err)) fail(err.msg);
 *   ... r.test_metric, r.test_pred, r.best_params, r.tangent ...
 *   lm_finetune_result_free(&r);
 *
 * What follows the reference (LM-Kernel-FT src/trainer.py, transformers 4.4):
 *   - loss: mean cross-entropy over the C label-word (or classifier) logits;
 *   - optimizers, schedule and clipping: optim.h (AdamW / SGD / SignGD,
 *     linear warmup and decay with t_total = steps, clip at max_grad_norm);
 *   - data: each epoch visits the training set in a fresh random order in
 *     batches of batch_size, the last one smaller (drop_last false); the
 *     order comes from util/rng.h seeded by `seed`, not torch's generator;
 *   - the reference stops when global_step > max_steps, one step after
 *     max_steps whenever the epoch length does not divide it.  That step
 *     runs at lr 0 and changes no parameter (SGD: lr*g; AdamW: both the
 *     step and the decay scale with lr), only Adam's moments, which are not
 *     used again; it is skipped here.
 * What is ours:
 *   - evaluation: every ft->eval_every steps and after the last step (the
 *     LM-BFF protocol: eval every 100 of 1000 steps), or with
 *     opt->eval_per_epoch at the end of every complete epoch, as the
 *     reference's trainer.py does (its eval_steps check is commented out;
 *     the final, partial epoch is not evaluated).  The best dev metric
 *     (strictly greater than the previous best: the first best wins) keeps
 *     a copy of the parameters; without any evaluation the last parameters
 *     are the result;
 *   - dropout (opt->dropout, HuggingFace's 0.1 in training) is off by
 *     default: masks come from our generator, not torch's;
 *   - torch gives the attention key bias a gradient of rounding noise
 *     (spec §4.1), which SignGD turns into ±lr steps; here it is exactly 0. */
#ifndef LM_TRAIN_TRAIN_H
#define LM_TRAIN_TRAIN_H

#include <stdint.h>
#include "model/outputs.h"
#include "prompt/encoded.h"
#include "train/config.h"
#include "train/trainer.h"

typedef struct lm_train_hooks {
    /* fraction of this run in [0,1] and a stage label; nonzero cancels (the
     * call then fails with "cancelled").  May be NULL. */
    int (*progress)(void *ctx, double fraction, const char *stage);
    void *ctx;
} lm_train_hooks;

typedef struct lm_finetune_options {
    float dropout;       /* 0 (default): off */
    int eval_per_epoch;  /* 1: the reference's per-epoch evaluation (see above) */
    int test_curve;      /* 1: also evaluate test at every evaluation */
} lm_finetune_options;

typedef struct lm_finetune_result {
    lm_train_mode mode;
    lm_param_set params;   /* the trainable set */
    int n_out;               /* C */
    size_t n_params;
    float *best_params;      /* [n_params] θ_FT, the model's layout (LoRA: merged;
                              * linearized: θ of f_lin) */
    float *tangent;          /* [n_params] θ_FT's tangent against θ0 (trainer.h) */
    lm_lora lora;            /* LoRA only: targets, scale, params = best A/B */
    float *lora0;            /* LoRA only: packed A/B at θ0 */
    int best_step;           /* step of the best evaluation (last step if none) */
    double best_dev;         /* NaN if dev was never evaluated */
    int n_evals;
    int *eval_step;          /* [n_evals] */
    double *dev_metric;      /* [n_evals] */
    double *test_metric_curve; /* [n_evals]; NaN unless opt->test_curve */
    int n_steps;
    float *loss;             /* [n_steps] mean training loss of each step */
    float *grad_norm;        /* [n_steps] before clipping */
    float *lr;               /* [n_steps] learning rate used */
    int n_dev;
    float *dev_logits;       /* [n_dev, n_out] at θ_FT */
    int n_test;
    float *test_logits;      /* [n_test, n_out] at θ_FT (NULL without test) */
    int *test_pred;          /* [n_test] argmax (first max) */
    double test_metric;      /* NaN without test */
    double seconds;
} lm_finetune_result;

/* Fine-tunes a copy of m0.  ft gives the optimizer, steps, warmup, weight
 * decay, clipping, eval_every, parameter set, LoRA and linearized; lr and
 * batch_size are one point of ft's grids; seed drives data order, dropout
 * masks (and LoRA's A only through ft->lora.seed).  dev and test may be
 * NULL.  metric: "acc", "f1", "mnli/acc" ... (solve.h lm_metric).  opt may
 * be NULL (defaults above).  On failure *out is empty. */
int lm_finetune(const lm_model *m0, const lm_output_spec *os, const lm_finetune_config *ft,
                double lr, int batch_size, uint32_t seed, const lm_encoded_split *train,
                const lm_encoded_split *dev, const lm_encoded_split *test, const char *metric,
                const lm_finetune_options *opt, const lm_train_hooks *hooks,
                lm_finetune_result *out, lm_error *err);
void lm_finetune_result_free(lm_finetune_result *r);

/* The LM-BFF grid for specs that leave it open: lr {1e-5, 2e-5, 5e-5},
 * batch size {2, 4, 8}, 1000 steps, evaluation every 100 steps. */
void lm_finetune_default_grid(lm_finetune_config *ft);

/* Linear-probe head initialisation (spec §3.3, --from_linearhead): the
 * features the head's last layer reads (classifier: the <s> hidden state;
 * MLM: the decoder's input at the mask) of every training example, in eval
 * mode, in a random order drawn from `seed` (the reference's shuffled
 * loader; the CV folds depend on it); lm_logreg_cv; then the coefficients
 * into the classifier (or the label words' decoder rows and biases).  For
 * C = 2 the reference writes W = [-w/2; w/2], b = [-b/2; b/2] with w, b
 * sklearn's single row.  cv_out (may be NULL) receives the CV's details. */
struct lm_logreg_cv;
int lm_linear_head_init(lm_model *m, const lm_output_spec *os, const lm_encoded_split *train,
                        uint32_t seed, struct lm_logreg_cv *cv_out, lm_error *err);

/* Predicted classes of logits [n, C]: argmax, first max. */
void lm_logits_argmax(const float *logits, int n, int C, int *pred);

#endif
