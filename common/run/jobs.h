/* jobs.h - the kinds of job an experiment expands into (internal to run/). */
#ifndef LM_RUN_JOBS_H
#define LM_RUN_JOBS_H

#include "util/clock.h"
#include "kernel/kernel.h"
#include "run/setup.h"

/* Fills res with: grid (every point's dev/test metric), selected, zero_shot,
 * test_predictions/test_labels of the selected point, timings, cache,
 * artifacts (written to out_dir). */
int lm_run_kernel_job(const lm_spec *spec, lm_job_setup *js, lm_kernel_formula formula, uint32_t seed,
                      const lm_run_options *opt, const lm_run_hooks *hooks, const char *out_dir,
                      cJSON *res, lm_error *err);

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
