/* worker.h - lmntk-worker's loop: lease a job, run it while a heartbeat
 * thread keeps the lease alive and carries progress, upload its artifacts,
 * report its result; again.
 *
 * The job runner is a parameter: lmntk-worker passes lm_run_job; the queue
 * tests pass a test double that sleeps and reports progress. */
#ifndef LMW_WORKER_H
#define LMW_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "run/run.h"
#include "util/error.h"

/* lm_run_job's signature. */
typedef int (*lmw_job_runner)(const char *spec_json, const cJSON *job, const lm_run_options *opt,
                              const lm_run_hooks *hooks, const char *out_dir, cJSON **job_result,
                              lm_error *err);

typedef struct lmw_config {
    const char *server;        /* http://host:port */
    const char *token;         /* a worker token */
    const char *name;          /* shown in the job's "worker"; NULL: host:pid */
    const char *cache_dir;     /* shared cache; NULL: none */
    const char *models_dir;    /* where spec model names are found */
    const char *data_root;     /* where spec "data" paths are found; required */
    const char *work_dir;      /* where job folders are made; NULL: $TMPDIR or /tmp */
    int once;                  /* stop after one job */
    double poll_seconds;       /* wait between empty lease calls */
    double report_seconds;     /* how long to retry a result report */
    int threads;
    size_t mem_budget;         /* --mem; 0: LMW_DEFAULT_MEM (the kernel's default budget) */
} lmw_config;

#define LMW_DEFAULT_MEM ((size_t)6 << 30)

void lmw_config_defaults(lmw_config *c);

/* Runs until *stop is set (by a signal) or, with once, after one job.
 * Returns the process exit status: 0, 1 on a job failure with once, 2 when
 * the server refuses the token. */
int lmw_run(const lmw_config *cfg, lmw_job_runner runner, volatile sig_atomic_t *stop);

#endif
