/* runner_double.h - a TEST DOUBLE of the experiment runner (common/run and
 * common/experiment), for the queue tests only; no real binary links it.
 *
 * It does no model math: a spec's "seeds" x "kernel.formula" become jobs
 * {"seed", "method": "kernel:<formula>"}; a job sleeps LMNTK_TEST_JOB_MS
 * (default 300) in steps of at most 0.1 s, reporting progress, writes its
 * artifacts (scores.txt, scores.npy [seed, score], extra/note.txt) and
 * returns {"seed", "method", "score"} with a score computed from the seed;
 * a reported result must hold a score in [0, 2] (and its job's seed and
 * method when it names them); the aggregate is their count and mean, and a "summary" in the runner's
 * form (each seed's score as its dev and test metric, zero-shot 0.5) for
 * the runs table to read.  A job whose seed equals
 * LMNTK_TEST_FAIL_SEED fails; one whose seed equals LMNTK_TEST_ALLOC_SEED
 * allocates (lm_xmalloc) and touches LMNTK_TEST_ALLOC_MB MiB (default 1024);
 * one whose seed equals LMNTK_TEST_CRASH_SEED logs a line and dies of
 * SIGSEGV; one whose seed equals LMNTK_TEST_DEAF_SEED sleeps 20 s without
 * reporting progress (so never sees a request to stop).  With
 * LMNTK_TEST_PID_FILE, a job writes its process id there first. */
#ifndef LM_TESTS_RUNNER_DOUBLE_H
#define LM_TESTS_RUNNER_DOUBLE_H

#include <cjson/cJSON.h>
#include "run/run.h"

int runner_double_list_jobs(const char *spec_json, int auto_shards, cJSON **jobs, lm_error *err);
int runner_double_run_job(const char *spec_json, const cJSON *job, const lm_run_options *opt,
                          const lm_run_hooks *hooks, const char *out_dir, cJSON **job_result,
                          lm_error *err);
int runner_double_check_result(const cJSON *job, const cJSON *result, char *field, size_t field_len,
                               lm_error *err);
int runner_double_aggregate(const char *spec_json, const cJSON *jobs, const cJSON *job_results,
                            cJSON **result, lm_error *err);

/* The score the double reports for a seed and method. */
double runner_double_score(double seed, const char *method);

#endif
