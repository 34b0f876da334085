/* bench_aggregate.c - lm_experiment_aggregate (common/experiment) on
 * checkpoint sweeps of growing size, to show its cost is linear in the
 * number of jobs (lmntkd runs it inside a write transaction).  The results
 * are copies of real ones (tests/fixtures/experiment/finetune), made each
 * job's (tests/experiment/synthetic.c).  One JSON line per size:
 *
 *   build/bench/bench_aggregate tests/fixtures/experiment */
#include <stdio.h>
#include <stdlib.h>

#include "../tests/experiment/synthetic.h"
#include "experiment/experiment.h"
#include "util/clock.h"
#include "util/file.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bench_aggregate FIXTURES_DIR (tests/fixtures/experiment)\n");
        return 2;
    }
    char *path = lm_path_join(argv[1], "finetune/job_results.json");
    size_t len;
    lm_error err;
    char *text = lm_read_file(path, &len, &err);
    cJSON *real = text ? cJSON_Parse(text) : NULL;
    if (!real) {
        fprintf(stderr, "bench_aggregate: %s: %s\n", path, text ? "not JSON" : err.msg);
        return 1;
    }
    /* checkpoints x 32 seeds x (3 formulas + fine-tuning methods), two
     * mixes (fine-tuning results, with their diagnostics, are the larger):
     * 4,096 jobs is where the old aggregation took 110 s; 38,912 the
     * largest spec the schema allows */
    static const int sizes[][2] = {{8, 2}, {16, 2}, {32, 2}, {64, 2}, {16, 16}, {32, 16}, {64, 16}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *spec;
        cJSON *jobs, *results, *result = NULL;
        if (synthetic_sweep(sizes[i][0], 32, sizes[i][1], cJSON_GetArrayItem(real, 0), cJSON_GetArrayItem(real, 2),
                            &spec, &jobs, &results))
            return 1;
        int n = cJSON_GetArraySize(jobs);
        double t0 = lm_now();
        int rc = lm_experiment_aggregate(spec, jobs, results, &result, &err);
        double secs = lm_now() - t0;
        if (rc) {
            fprintf(stderr, "bench_aggregate: %s\n", err.msg);
            return 1;
        }
        printf("{\"bench\": \"aggregate\", \"jobs\": %d, \"checkpoints\": %d, \"seeds\": 32, \"methods\": %d, "
               "\"seconds\": %.3f, \"us_per_job\": %.1f}\n",
               n, sizes[i][0], 3 + sizes[i][1], secs, 1e6 * secs / n);
        fflush(stdout);
        cJSON_Delete(result);
        cJSON_Delete(jobs);
        cJSON_Delete(results);
        free(spec);
    }
    cJSON_Delete(real);
    free(text);
    free(path);
    return 0;
}
