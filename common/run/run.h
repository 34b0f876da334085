/* run.h - the experiment runner: the one code path that `lmntk run` and
 * lmntk-worker share.
 *
 * An experiment spec (JSON, schema/experiment.schema.json) expands into jobs,
 * one per (data seed, method) (common/experiment: lm_experiment_jobs).  A job
 * computes through the cache and returns a job result; the aggregate of all
 * job results (lm_experiment_aggregate) is result.json. */
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
    const char *cache_secret_file; /* its MAC secret; NULL: lm_cache_secret_load's default */
    const char *models_dir;  /* where spec "model" names are looked up; NULL: as given */
    const char *data_root;   /* where spec "data" paths are looked up; NULL: as given */
    size_t mem_budget;       /* bytes; 0 = default (6 GiB) */
    int threads;             /* 0 = all cores */
    /* The files of the jobs a job is "after" (a sharded kernel's merge job
     * reads its tiles' kernel-tiles.bin): job i's are in inputs_dir/<i>/
     * (a worker downloads them there), or in job_dirs[i] when given
     * (lm_run_experiment: each job's own folder). */
    const char *inputs_dir;
    char *const *job_dirs;
    int n_job_dirs;
} lm_run_options;

/* A tile job's file: its tiles, packed (tiles.c). */
#define LM_RUN_TILES_FILE "kernel-tiles.bin"

/* Where file of job job_index is for this job (lm_run_options above); a
 * new string, NULL when the options name no such job. */
char *lm_run_input_path(const lm_run_options *opt, int job_index, const char *file);

/* Runs one job (an element of lm_experiment_jobs' array).  Writes artifacts
 * (.npy kernels, logs) under out_dir and returns the job's result object. */
int lm_run_job(const char *spec_json, const cJSON *job, const lm_run_options *opt,
               const lm_run_hooks *hooks, const char *out_dir, cJSON **job_result,
               lm_error *err);

/* A whole experiment here: its jobs in order, then their aggregate,
 * written to out_dir/result.json. */
int lm_run_experiment(const char *spec_json, const lm_run_options *opt,
                      const lm_run_hooks *hooks, const char *out_dir, cJSON **result,
                      lm_error *err);

#endif
