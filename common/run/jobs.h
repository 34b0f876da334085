/* jobs.h - the kinds of job an experiment expands into (internal to run/). */
#ifndef LM_RUN_JOBS_H
#define LM_RUN_JOBS_H

#include "util/clock.h"
#include "kernel/kernel.h"
#include "run/kernels.h"
#include "run/setup.h"
#include "store/cache.h"
#include "train/lora.h"

/* Progress of a part of a job: fractions of the part mapped into
 * [lo, hi] of the job's (a lm_kernel_progress function, ctx the span). */
typedef struct lm_run_progress_span {
    const lm_run_hooks *hooks;
    double lo, hi;
} lm_run_progress_span;
int lm_run_progress_bridge(void *ctx, double frac, const char *stage);

/* What a kernel job asks of the kernel library, made from the spec: the
 * output, the options (formula, parameter set and LoRA factors, block
 * size, memory budget, progress into [0.02, 0.9]), the three splits.  The
 * whole job, its tiles and its merge make it the same way. */
typedef struct lm_run_kernel_ctx {
    lm_kernel_request rq;
    const lm_encoded_split *sets[3];   /* train, dev, test */
    lm_lora lora;
    lm_kernel_lora kl;
    const float **fa, **fb;
    int *ft;
    lm_run_progress_span progress;
} lm_run_kernel_ctx;

int lm_run_kernel_prepare(const lm_spec *spec, lm_job_setup *js, lm_kernel_formula formula, uint32_t seed,
                          const lm_run_options *opt, const lm_run_hooks *hooks, lm_run_kernel_ctx *kc,
                          lm_error *err);
void lm_run_kernel_ctx_free(lm_run_kernel_ctx *kc);

/* The cache of opt (NULL: none, or it could not be opened: a warning). */
lm_cache *lm_run_cache_open(const lm_run_options *opt);

/* Fills res with: grid (every point's dev/test metric), selected, zero_shot,
 * test_predictions/test_labels of the selected point, timings, cache,
 * artifacts (written to out_dir).  With merge_job (a sharded kernel's
 * merge job, lm_experiment_jobs) the kernel is merged from its tiles
 * instead of computed, and res gets "shards". */
int lm_run_kernel_job(const lm_spec *spec, lm_job_setup *js, lm_kernel_formula formula, uint32_t seed,
                      const cJSON *merge_job, const lm_run_options *opt, const lm_run_hooks *hooks,
                      const char *out_dir, cJSON *res, lm_error *err);

/* A tile job (tiles.c): all training rows x part `part` of `of` of each
 * evaluation set, the training features through the cache, written to
 * out_dir/kernel-tiles.bin; res gets "tile", "tiles", timings, cache. */
int lm_run_kernel_tile_job(const lm_spec *spec, lm_job_setup *js, lm_kernel_formula formula, uint32_t seed,
                           int part, int of, const lm_run_options *opt, const lm_run_hooks *hooks,
                           const char *out_dir, cJSON *res, lm_error *err);

/* The kernel of a merge job from the kernel-tiles.bin of every job it is
 * after (lm_run_input_path): each tile checked to be of this job, the
 * tiles covering every entry exactly once.  res gets "shards". */
int lm_run_kernel_merge(const lm_run_kernel_ctx *kc, const cJSON *merge_job, const lm_run_options *opt,
                        lm_kernel_result *out, cJSON *res, lm_error *err);

/* The outputs f of a split at the model's current parameters [n, dim]. */
int lm_run_outputs(const lm_model *m, const lm_output_spec *os, const lm_encoded_split *s,
                   float *f, lm_error *err);

/* The output spec of the spec's mode; without a prompt it first initialises
 * the classifier by the linear probe (once per setup) and folds the head
 * into js->model_digest. */
int lm_run_output_spec(const lm_spec *spec, lm_job_setup *js, uint32_t seed, lm_output_spec *os,
                       lm_error *err);

/* The finetune[index] method: grid, selection on dev, test predictions. */
struct lm_finetune_result;
int lm_run_finetune_job(const lm_spec *spec, lm_job_setup *js, int index, uint32_t seed,
                        const lm_run_options *opt, const lm_run_hooks *hooks, const char *out_dir,
                        cJSON *res, lm_error *err);

/* Kernel-behaviour diagnostics of a fine-tuned run, into res (when the spec
 * asks for them); with out_dir also K(θ_FT), K(θ0) over the fine-tuned
 * parameters and the linearized model's test logits as artifacts. */
int lm_run_finetune_diagnostics(const lm_spec *spec, lm_job_setup *js, const lm_output_spec *os,
                                const struct lm_finetune_result *ft, uint32_t seed,
                                const lm_run_options *opt, const char *out_dir, cJSON *res,
                                lm_error *err);

/* The one job of a pre-training experiment: fills res with "pretrain"
 * (checkpoints, loss curve, tokens/s). */
int lm_run_pretrain_job(const lm_spec *spec, const lm_run_options *opt, const lm_run_hooks *hooks,
                        cJSON *res, lm_error *err);

#endif
