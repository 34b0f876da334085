/* run.h - the experiment runner: the one code path that `lmntk run` and
 * lmntk-worker share.
 *
 * An experiment spec (JSON, schema/experiment.schema.json) expands into jobs,
 * one per (data seed, method).  A job computes through the cache and returns a
 * job result; the aggregate of all job results is result.json. */
#ifndef LM_RUN_RUN_H
#define LM_RUN_RUN_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "util/error.h"

typedef struct lm_run_hooks {
    /* Fraction done of this job in [0,1] and a short stage label.  Returns
     * nonzero to ask the job to stop (cancellation); the job then fails
     * with the error "cancelled". May be NULL. */
    int (*progress)(void *ctx, double fraction, const char *stage);
    void *ctx;
} lm_run_hooks;

typedef struct lm_run_options {
    const char *cache_dir;   /* content-addressed cache; NULL disables it */
    const char *models_dir;  /* where spec "model" names are looked up; NULL: as given */
    const char *data_root;   /* where spec "data" paths are looked up; NULL: as given */
    size_t mem_budget;       /* bytes; 0 = default (6 GiB) */
    int threads;             /* 0 = all cores */
} lm_run_options;

/* Lists the jobs of a spec: a JSON array of {"seed": s, "method": "kernel:sgd"
 * | "finetune:0" ...}.  Validates the spec; on a bad spec err names the field. */
int lm_run_list_jobs(const char *spec_json, cJSON **jobs, lm_error *err);

/* Runs one job (an element of lm_run_list_jobs' array).  Writes artifacts
 * (.npy kernels, logs) under out_dir and returns the job's result object. */
int lm_run_job(const char *spec_json, const cJSON *job, const lm_run_options *opt,
               const lm_run_hooks *hooks, const char *out_dir, cJSON **job_result,
               lm_error *err);

/* Combines job results (same order as the job list) into result.json's
 * object: per seed, selected points, mean and population std over seeds. */
int lm_run_aggregate(const char *spec_json, const cJSON *jobs, const cJSON *job_results,
                     cJSON **result, lm_error *err);

/* The display names of the spec's methods (common/run/methods.c), one
 * set for the CLI and the dashboard: {"kernel:sgd": "K(SGD)", "kernel":
 * "Best kernel (dev)" (more than one formula), "finetune:0": "Adam-FT",
 * "zero-shot": "Zero-shot f0"} or {"pretrain": "Pre-training"}. */
int lm_run_method_labels(const char *spec_json, cJSON **labels, lm_error *err);

/* All of the above in order, writing out_dir/result.json. */
int lm_run_experiment(const char *spec_json, const lm_run_options *opt,
                      const lm_run_hooks *hooks, const char *out_dir, cJSON **result,
                      lm_error *err);

#endif
