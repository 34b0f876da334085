/* worker.h - lmntk-worker's loop: lease a job, run it in a job process
 * (job_process.h) while a heartbeat thread keeps the lease alive and
 * carries progress, upload its artifacts, report its result or the reason
 * it failed; again.  Whatever the server sends - no reply, an error, a reply
 * that is not a lease - is logged and retried with backoff; only a refused
 * token ends the loop (worker/README.md).
 *
 * The job runner is a parameter: lmntk-worker passes lm_run_job; the queue
 * tests pass a test double that sleeps and reports progress. */
#ifndef LMW_WORKER_H
#define LMW_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "job_process.h"
#include "kernel/formula.h"
#include "run/run.h"
#include "util/error.h"

typedef struct lmw_config {
    const char *server;        /* http://host:port */
    const char *token;         /* a worker token */
    const char *name;          /* shown in the job's "worker"; NULL: host:pid */
    const char *cache_dir;     /* shared cache; NULL: none */
    const char *cache_secret_file; /* its MAC secret; NULL: lm_cache_secret_load's default */
    const char *models_dir;    /* where spec model names are found */
    const char *data_root;     /* where spec "data" paths are found; required */
    const char *work_dir;      /* where job folders are made; NULL: $TMPDIR or /tmp */
    int once;                  /* stop after one job */
    double poll_seconds;       /* wait between empty lease calls */
    double report_seconds;     /* how long to retry a result report */
    double retry_max_seconds;  /* the longest wait between failed lease calls */
    int threads;
    size_t mem_budget;         /* --mem; 0: LM_KERNEL_DEFAULT_BUDGET */
    size_t mem_limit;          /* a job process's memory (RLIMIT_DATA); 0: none */
    size_t max_reply;          /* bytes of a server reply; 0: LMW_HTTP_MAX_REPLY */
} lmw_config;

void lmw_config_defaults(lmw_config *c);

/* Runs until *stop is set (by a signal) or, with once, after one job.
 * Returns the process exit status: 0, 1 on a job failure with once, 2 when
 * the server refuses the worker (400, 401, 403 to a lease call). */
int lmw_run(const lmw_config *cfg, lmw_job_runner runner, volatile sig_atomic_t *stop);

#endif
