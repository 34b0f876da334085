/* methods.h - one name per method everywhere.
 *
 * A method has an id, as jobs and results carry it ("kernel:sgd",
 * "finetune:0", "kernel" for the best formula on dev, "pretrain"), a label
 * in the paper's words that the CLI, the API and the dashboard all show
 * ("K(SGD)", "Best kernel (dev)", "Adam-FT", "Lin. SGD-FT (LoRA)"), and a
 * slug for file and URL paths ("kernel-sgd", "finetune-0").  A job's
 * artifacts live in the folder "[<model>/]seed<S>/<slug>" of its
 * experiment, under `lmntk run --out` and behind the daemon's artifact URLs
 * alike, so a user can name a file from its seed and method.  The words
 * come from the vocabulary tables (kernel/formula.h, train/config.h,
 * model/param_set.h). */
#ifndef LM_EXPERIMENT_METHODS_H
#define LM_EXPERIMENT_METHODS_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "spec/spec.h"
#include "util/error.h"

#define LM_METHOD_LABEL_MAX 64

/* The label of a method id of spec (spec may be NULL: kernels, "kernel",
 * "pretrain" and "zero-shot" only); the id itself when it is not one. */
void lm_method_label(const lm_spec *spec, const char *method, char out[LM_METHOD_LABEL_MAX]);

/* A tile job's label: "K(SGD) tile 2/7" (part 2 of 7). */
void lm_method_tile_label(const char *label, int part, int of, char out[LM_METHOD_LABEL_MAX]);

/* {"<method id>": "<label>"} for every method of a spec (and "kernel" with
 * more than one formula, "zero-shot" for a model experiment): what
 * GET /v1/experiments/{id} serves as method_labels. */
int lm_method_labels(const char *spec_json, cJSON **labels, lm_error *err);

/* The id with ':' written '-' ("kernel:sgd" -> "kernel-sgd"). */
void lm_method_slug(const char *method, char *out, size_t cap);

/* A job's artifact folder, relative to the experiment's: "seed42/kernel-sgd",
 * or "run/checkpoint-500/seed42/kernel-sgd" in a checkpoint sweep, and for
 * a tile job "seed42/kernel-sgd-tile-2" (part 2).  job is an element of
 * lm_experiment_jobs.  -1 when it does not fit in cap. */
int lm_method_job_dir(const cJSON *job, char *out, size_t cap);

#endif
