/* methods.h - one name per method everywhere.
 *
 * A method has an id, as jobs and results carry it ("kernel:sgd",
 * "finetune:0", "kernel" for the best formula on dev, "pretrain"), a label
 * in the paper's words that the CLI, the API and the dashboard all show
 * ("K(SGD)", "Best kernel (dev)", "Adam-FT", "Lin. SGD-FT (LoRA)"), and a
 * slug for file and URL paths ("kernel-sgd", "finetune-0").  A job's
 * artifacts live in the folder "[<model>/]seed<S>/<slug>" of its
 * experiment, under `lmntk run --out` and behind the daemon's artifact URLs
 * alike, so a user can name a file from its seed and method. */
#ifndef LM_RUN_METHODS_H
#define LM_RUN_METHODS_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "spec/spec.h"

#define LM_RUN_LABEL_MAX 64

/* The label of a method id of spec (the id itself when it is not one). */
void lm_run_method_label(const lm_spec *spec, const char *method, char out[LM_RUN_LABEL_MAX]);

/* The id with ':' written '-' ("kernel:sgd" -> "kernel-sgd"). */
void lm_run_method_slug(const char *method, char *out, size_t cap);

/* A job's artifact folder, relative to the experiment's: "seed42/kernel-sgd",
 * or "run/checkpoint-500/seed42/kernel-sgd" in a checkpoint sweep.  job is
 * an element of lm_run_list_jobs.  -1 when it does not fit in cap. */
int lm_run_job_dir(const cJSON *job, char *out, size_t cap);

#endif
