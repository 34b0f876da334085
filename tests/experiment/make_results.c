/* make_results.c - the fixture maker of tests/fixtures/experiment: runs
 * every job of a spec with the real runner and writes what the aggregation
 * reads and what it made of it:
 *
 *   make-results SPEC MODELS_DIR DATA_ROOT OUT_DIR
 *
 * writes OUT_DIR/jobs.json (the job list), OUT_DIR/job_results.json (each
 * job's result as a worker reports it) and OUT_DIR/result.json (their
 * aggregate, made from the results as printed and read back: the daemon
 * stores results as text, and cJSON's shortest printing of a double may
 * round its last bit).  tests/fixtures/experiment/make_fixtures.sh says how
 * the committed fixtures were made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"
#include "run/run.h"
#include "util/file.h"

static int write_json(const char *dir, const char *name, const cJSON *o, lm_error *err) {
    char *text = cJSON_Print(o), *path = lm_path_join(dir, name);
    int rc = lm_write_file_atomic(path, text, strlen(text), err);
    free(text);
    free(path);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: make-results SPEC MODELS_DIR DATA_ROOT OUT_DIR\n");
        return 2;
    }
    lm_error err;
    size_t len;
    char *spec = lm_read_file(argv[1], &len, &err);
    if (!spec) {
        fprintf(stderr, "make-results: %s\n", err.msg);
        return 1;
    }
    lm_run_options opt = {.models_dir = argv[2], .data_root = argv[3]};
    cJSON *jobs, *results = cJSON_CreateArray(), *result = NULL;
    int rc = lm_experiment_jobs(spec, &jobs, &err);
    char *work = lm_path_join(argv[4], "artifacts");
    if (rc == 0) rc = lm_mkdirs(work, &err);
    for (const cJSON *j = rc ? NULL : jobs->child; j && rc == 0; j = j->next) {
        cJSON *r;
        rc = lm_run_job(spec, j, &opt, NULL, work, &r, &err);
        if (rc == 0) cJSON_AddItemToArray(results, r);
    }
    char *stored = cJSON_Print(results);
    cJSON *read_back = cJSON_Parse(stored);
    if (rc == 0) rc = lm_experiment_aggregate(spec, jobs, read_back, &result, &err);
    free(stored);
    cJSON_Delete(read_back);
    if (rc == 0) rc = write_json(argv[4], "jobs.json", jobs, &err);
    if (rc == 0) rc = write_json(argv[4], "job_results.json", results, &err);
    if (rc == 0) rc = write_json(argv[4], "result.json", result, &err);
    if (rc) fprintf(stderr, "make-results: %s\n", err.msg);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    cJSON_Delete(result);
    free(work);
    free(spec);
    return rc ? 1 : 0;
}
