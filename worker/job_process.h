/* job_process.h - one job in a child process of the worker.
 *
 * A job can end in ways a function call cannot report: an allocation that
 * fails (lm_xmalloc ends the process), a crash on data nobody foresaw, the
 * kernel's out-of-memory killer.  In a child process each of these ends only
 * the child; the worker, still alive and still heartbeating, reports the
 * reason with `fail`.  The child runs the very runner `lmntk run` calls in
 * its own process (lm_run_job), so both share the experiment's code path.
 *
 * Parent and child talk over a pipe (progress, then the result or the error)
 * and one shared page (the parent's request to stop, read at the job's next
 * progress report).  The child's stderr passes through the parent, which
 * keeps its last line for the reason of a crash.  With mem_limit the
 * child's heap and anonymous memory (RLIMIT_DATA) are capped: allocations
 * past it fail, and the job reports "out of memory". */
#ifndef LMW_JOB_PROCESS_H
#define LMW_JOB_PROCESS_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include "run/run.h"
#include "util/error.h"

/* lm_run_job's signature. */
typedef int (*lmw_job_runner)(const char *spec_json, const cJSON *job, const lm_run_options *opt,
                              const lm_run_hooks *hooks, const char *out_dir, cJSON **job_result,
                              lm_error *err);

/* How long a job has to stop after it was asked before it is killed. */
#define LMW_STOP_GRACE_SECONDS 5.0

typedef struct lmw_job_process {
    pid_t pid;
    int msg_fd;          /* the child's messages */
    int log_fd;          /* the child's stderr */
    atomic_int *stop;    /* on the shared page: nonzero asks the job to stop */
    size_t mem_limit;
} lmw_job_process;

/* Forks the child, which runs runner(spec_json, job, opt, ..., out_dir).
 * mem_limit: bytes of RLIMIT_DATA for the child; 0 = none. */
int lmw_job_start(lmw_job_process *jp, lmw_job_runner runner, const char *spec_json,
                  const cJSON *job, const lm_run_options *opt, const char *out_dir,
                  size_t mem_limit, lm_error *err);

/* Waits for the child's end.  hooks->progress is called in this process
 * with each progress report, and every 0.1 s with the last one; when it
 * returns nonzero the child is asked to stop, and killed if it has not
 * within LMW_STOP_GRACE_SECONDS.  Returns 0 with *job_result, or -1 with
 * the job's error or the reason of its abnormal end in err. */
int lmw_job_wait(lmw_job_process *jp, const lm_run_hooks *hooks, cJSON **job_result, lm_error *err);

#endif
