/* queue.h - the job queue and the state machine of experiments and jobs.
 *
 *   experiment: queued -> running -> succeeded | failed;  any live -> cancelled
 *   job:        queued -> running (leased) -> succeeded
 *                  ^          |  lease expired / failure (attempts left)
 *                  +----------+
 *               running -> failed (max_attempts used up);  live -> cancelled
 *   A job "after" others (job_deps: a sharded kernel's merge job after its
 *   tiles) stays queued, not leased, until all of them succeeded; when one
 *   fails for good, the jobs after it fail with its reason.
 *
 * Every function here is one transaction: a state change is either all in
 * the database or not at all, whatever happens to the process. */
#ifndef LMD_QUEUE_H
#define LMD_QUEUE_H

#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "server.h"
#include "util/error.h"

/* Outcomes of the calls a worker makes with its lease. */
typedef enum {
    LMD_LEASE_OK,          /* done */
    LMD_LEASE_CANCEL,      /* the experiment was cancelled: stop the job */
    LMD_LEASE_UNKNOWN,     /* no such lease */
    LMD_LEASE_LOST,        /* the job is no longer this lease's (re-leased or finished) */
} lmd_lease_outcome;

typedef struct lmd_lease {
    char lease_id[37];
    char job_id[37];
    char experiment_id[37];
    int job_idx;
    int attempt;
    double expires;
    char *spec;            /* owned */
    char *job;             /* owned */
} lmd_lease;

void lmd_lease_free(lmd_lease *l);

/* What a worker says about itself when it asks for a lease (name alone on
 * its other calls). */
typedef struct lmd_worker_info {
    const char *name;
    const char *host;          /* NULL: not said */
    long long mem_limit_bytes; /* 0: not said */
    int describes;             /* host and mem_limit_bytes are given (a lease call) */
} lmd_worker_info;

/* Inserts an experiment of owner (a user name) and its jobs (the array
 * lm_experiment_jobs made), each with the least memory it needs (mem[i] in
 * bytes, 0 or mem NULL: unknown); rerun_of (or NULL) links a re-run to its
 * original, whose name it takes. */
int lmd_queue_submit(sqlite3 *h, const char *spec_json, const char *task, const char *model,
                     const cJSON *jobs, const uint64_t *mem, long long token_id, const char *owner,
                     const char *rerun_of, char id_out[37], lm_error *err);

/* Deletes a finished (succeeded, failed, cancelled) experiment with its
 * jobs, tags and artifacts.  The artifacts folder is first renamed aside
 * inside the transaction, put back if the transaction fails, and removed
 * after it commits; a crash in between is settled at the next start
 * (lmd_artifact_settle_deleted).  *state_out gets the state found: a live
 * experiment is left alone.  Returns 1 when no such experiment. */
int lmd_queue_delete(lmd_server *srv, sqlite3 *h, const char *experiment_id, char state_out[16],
                     lm_error *err);

/* Cancels a live experiment and its live jobs; running jobs learn it at
 * their next heartbeat.  *state_out gets the state found: the experiment is
 * cancelled only when it was queued or running.  Returns 1 when no such
 * experiment. */
int lmd_queue_cancel(sqlite3 *h, const char *experiment_id, char state_out[16], lm_error *err);

/* Leases the oldest queued job that fits in the worker's mem_limit_bytes
 * (0: any) to worker.  Returns 1 and fills out, 0 when no queued job fits. */
int lmd_queue_lease(lmd_server *srv, sqlite3 *h, const lmd_worker_info *worker, lmd_lease *out,
                    lm_error *err);

/* Records progress and extends the lease.  A lease that expired but whose
 * job nobody else took yet is taken back. */
int lmd_queue_heartbeat(lmd_server *srv, sqlite3 *h, const char *lease_id, double progress,
                        const char *stage, lmd_lease_outcome *out, double *expires, lm_error *err);

/* Stores a job result; the last one of an experiment also aggregates it
 * (srv->runner.aggregate) and writes result.json.  Repeating the call for
 * an already recorded result is OK (a worker retrying after a lost reply). */
int lmd_queue_complete(lmd_server *srv, sqlite3 *h, const char *lease_id, const cJSON *result,
                       lmd_lease_outcome *out, lm_error *err);

/* A worker's failure report.  With release the attempt does not count (the
 * worker is shutting down) and the job goes back to the queue. */
int lmd_queue_fail(lmd_server *srv, sqlite3 *h, const char *lease_id, const char *error,
                   int release, lmd_lease_outcome *out, lm_error *err);

/* Re-queues (or fails, when out of attempts) the jobs whose lease expired.
 * *n gets the number of jobs touched. */
int lmd_queue_expire(lmd_server *srv, sqlite3 *h, int *n, lm_error *err);

/* At start-up: the daemon's own downtime is not charged to the workers, so
 * every running lease gets at least lease_seconds from now. */
int lmd_queue_recover(lmd_server *srv, sqlite3 *h, lm_error *err);

/* The job a lease names (its JSON, as listed at submit; free it), whatever
 * the job's state.  Returns 1, 0 when no job has this lease. */
int lmd_queue_lease_job(sqlite3 *h, const char *lease_id, char **job_out, lm_error *err);

/* Checks that a lease may upload artifacts now; fills the experiment and
 * job index.  Returns the outcome like the calls above. */
int lmd_queue_lease_target(sqlite3 *h, const char *lease_id, char experiment_out[37], int *job_idx,
                           lmd_lease_outcome *out, lm_error *err);

/* The artifacts of the jobs a lease's job is after (a merge job's tiles):
 * *list = [{"name": "<job index>/<file>", "job", "file", "bytes"}] when the
 * lease is live; the outcome says when it is not. */
int lmd_queue_lease_inputs(sqlite3 *h, const char *lease_id, cJSON **list, lmd_lease_outcome *out, lm_error *err);

/* Whether job job_idx of its experiment is one the lease's job is after
 * (*is_input), with the experiment, when the lease is live. */
int lmd_queue_lease_input(sqlite3 *h, const char *lease_id, int job_idx, char experiment_out[37], int *is_input,
                          lmd_lease_outcome *out, lm_error *err);

/* Appends the experiment's jobs and their results (JSON, in job order) to
 * the arrays jobs and results: all of them, or (seeds not NULL) the jobs of
 * those seeds. */
int lmd_queue_job_results(sqlite3 *h, const char *experiment_id, const double *seeds, int n_seeds, cJSON *jobs,
                          cJSON *results, lm_error *err);

/* Workers heard from within two lease times (as GET /v1/workers and
 * /metrics count them). */
int lmd_queue_live_workers(lmd_server *srv, sqlite3 *h, int *n, lm_error *err);

#endif
