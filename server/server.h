/* server.h - the daemon's one context struct: everything a request handler
 * may touch is reachable from here, nothing lives in hidden globals. */
#ifndef LMD_SERVER_H
#define LMD_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <cjson/cJSON.h>
#include "config.h"
#include "conntrack.h"
#include "db.h"
#include "ratelimit.h"
#include "util/error.h"

/* The calls the daemon makes into experiments as data: expanding a spec
 * into jobs at submit time, checking a job result a worker reports before
 * it is stored, and combining the job results once all are done.  All are
 * pure JSON work.  The daemon binary binds them to common/experiment
 * (lm_experiment_jobs_sharded, lm_experiment_check_result, lm_experiment_aggregate;
 * main.c); the queue tests bind them to a clearly named test double. */
typedef struct lmd_runner {
    const char *name;
    /* auto_shards: the tiles of a kernel whose spec says "auto" (admission.h) */
    int (*list_jobs)(const char *spec_json, int auto_shards, cJSON **jobs, lm_error *err);
    /* On a bad result: field gets the path of the offending value. */
    int (*check_result)(const cJSON *job, const cJSON *result, char *field, size_t field_len,
                        lm_error *err);
    int (*aggregate)(const char *spec_json, const cJSON *jobs, const cJSON *job_results,
                     cJSON **result, lm_error *err);
} lmd_runner;

/* Counters of the HTTP layer, reported by /metrics. */
typedef struct lmd_http_counters {
    atomic_ullong requests;
    atomic_ullong by_class[6];   /* index status/100: 1xx..5xx */
    atomic_ullong rate_limited;
} lmd_http_counters;

typedef struct lmd_server {
    lmd_config cfg;
    lmd_runner runner;
    lmd_db db;
    lmd_ratelimit ratelimit;
    lmd_http_counters counters;
    lmd_conntrack conns;         /* open connections and their deadlines */
    int conns_ready;
    char *artifacts_dir;         /* <data>/artifacts */
    char *web_root;              /* realpath of cfg.web_dir, or NULL */
    int lock_fd;                 /* flock on <data>/lmntkd.lock */
    double started_at;
    struct MHD_Daemon *mhd;
    /* The housekeeper re-queues expired leases while the daemon runs. */
    pthread_t housekeeper;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    int stopping;
} lmd_server;

/* Runs the daemon (or its `token` sub-command) with the given runner; the
 * body of main() for lmntkd and for the test double. */
int lmd_main(int argc, char **argv, const lmd_runner *runner);

#endif
