/* memory.h - the memory one job needs at the least, from the spec and the
 * model's config.json alone (nothing is loaded), so that the daemon can
 * refuse at submit a job no worker can hold and lease a job only to a
 * worker whose --mem it fits.
 *
 * What is counted (4-byte floats, 8-byte doubles; P parameters of the
 * model as the jobs load it: decoder separate, a classifier without
 * prompts):
 *   weights      4 P, θ0
 *   state        fine-tuning: the trained copy, its gradient and the best
 *                parameters (3 x 4 P), the linearized delta (4 P), Adam's
 *                moments (2 x 4 per trained parameter); pre-training: the
 *                gradient and Adam's moments (3 x 4 P)
 *   activations  fine-tuning: the largest batch of the grid at max_length
 *                tokens each; pre-training: batch x block tokens and the
 *                masked tokens' logits; kernels: one example's factors
 *                (the kernel streams everything else under --mem)
 *   projection   a projected kernel's CountSketch features of the training
 *                set and of the dev set (k x C examples each), both
 *                signs and values for asymmetric_signgd
 *   kernels      the train x dev kernel (the test set is not counted: its
 *                size is not known before the data is read)
 * so it is a lower bound of the peak, not a forecast: a job it refuses can
 * never run; one it admits may still need more (bench/job_memory.sh
 * compares it with measured peaks). */
#ifndef LM_ADMIT_MEMORY_H
#define LM_ADMIT_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "model/config.h"
#include "spec/spec.h"
#include "util/error.h"

typedef struct lm_job_memory {
    uint64_t weights, state, activations, projection, kernels;
    uint64_t total;
    /* The spec field a user would change to need less: "kernel.projection.dim",
     * "finetune[i].batch_size", "pretrain.batch", ... or "model". */
    char field[48];
} lm_job_memory;

/* The config of the model a job (an element of lm_experiment_jobs) runs on:
 * models_dir/<its checkpoint or the spec's model>/config.json, or for
 * pre-training the spec's shape with its tokenizer's vocabulary.  0; 1 when
 * there is none to read (no model named: each worker's built-in default);
 * -1 with field ("model", "checkpoints[i]", "pretrain.tokenizer") and err. */
int lm_admit_job_config(const lm_spec *spec, const cJSON *job, const char *models_dir, lm_config *out,
                      char *field, size_t field_len, lm_error *err);

/* method is a job's ("kernel:sgd", "finetune:0", "pretrain"), cfg the
 * config of its model (lm_admit_job_config).  -1 with err for a method the
 * spec does not have. */
int lm_admit_job_memory(const lm_spec *spec, const char *method, const lm_config *cfg,
                      lm_job_memory *out, lm_error *err);

#endif
