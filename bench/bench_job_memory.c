/* bench_job_memory.c - one job of a spec, run as lm_run_job runs it in a
 * worker, with its least-memory estimate (common/admit/memory.h) beside the
 * peak RSS it reached: the estimate must stay below the peak (it is a lower
 * bound) and the gap shows what it leaves out.  One JSON line.
 *
 *   bench_job_memory SPEC.json JOB_INDEX MODELS_DIR DATA_ROOT [MEM_BYTES]
 *
 * The job's model is MODELS_DIR/<its name>; a spec without one uses
 * models/default.  Nothing is cached, so the job computes everything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_util.h"
#include "admit/memory.h"
#include "experiment/experiment.h"
#include "run/run.h"
#include "util/file.h"

#define MIB (1024.0 * 1024.0)

int main(int argc, char **argv) {
    if (argc < 5) {
        fputs("usage: bench_job_memory SPEC.json JOB_INDEX MODELS_DIR DATA_ROOT [MEM_BYTES]\n", stderr);
        return 2;
    }
    lm_error err;
    size_t len;
    char *text = lm_read_file(argv[1], &len, &err);
    if (!text) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double rss0 = bench_peak_rss_mb();
    cJSON *jobs = NULL;
    lm_spec spec;
    char field[128];
    if (lm_experiment_jobs(text, &jobs, &err) || lm_spec_parse(text, len, &spec, field, sizeof field, &err)) {
        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
        return 1;
    }
    const cJSON *job = cJSON_GetArrayItem(jobs, atoi(argv[2]));
    if (!job) { fprintf(stderr, "no job %s\n", argv[2]); return 1; }
    const char *method = cJSON_GetObjectItemCaseSensitive(job, "method")->valuestring;
    const cJSON *jm = cJSON_GetObjectItemCaseSensitive(job, "model");
    const char *model = spec.is_pretrain ? spec.pretrain.out : cJSON_IsString(jm) ? jm->valuestring
                        : spec.model ? spec.model : "default";
    lm_config cfg;
    lm_job_memory m;
    int have = lm_admit_job_config(&spec, job, argv[3], &cfg, field, sizeof field, &err);
    if (have > 0) { /* the built-in default, as the daemon cannot read it: here it can */
        char *dir = lm_path_join(argv[3], "default");
        have = lm_config_load(dir, &cfg, &err);
        free(dir);
    }
    if (have || lm_admit_job_memory(&spec, method, &cfg, &m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char out_dir[] = "/tmp/lmntk-bench-mem-XXXXXX";
    if (!mkdtemp(out_dir)) return 1;
    lm_run_options opt = {.models_dir = argv[3], .data_root = argv[4],
                          .mem_budget = argc > 5 ? (size_t)strtoull(argv[5], NULL, 10) : 0};
    cJSON *result = NULL;
    double t = bench_now();
    int rc = lm_run_job(text, job, &opt, NULL, out_dir, &result, &err);
    t = bench_now() - t;
    if (rc) fprintf(stderr, "job: %s\n", err.msg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out_dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", out_dir);
    double peak = bench_peak_rss_mb();
    printf("{\"bench\": \"job_memory\", \"spec\": \"%s\", \"method\": \"%s\", \"model\": \"%s\", "
           "\"estimate_mib\": %.1f, \"weights_mib\": %.1f, \"state_mib\": %.1f, \"activations_mib\": %.1f, "
           "\"projection_mib\": %.1f, \"kernels_mib\": %.1f, \"peak_rss_mib\": %.1f, "
           "\"rss_before_mib\": %.1f, \"estimate_below_peak\": %s, \"seconds\": %.1f, \"ok\": %s}\n",
           argv[1], method, model, m.total / MIB, m.weights / MIB, m.state / MIB, m.activations / MIB,
           m.projection / MIB, m.kernels / MIB, peak, rss0, m.total / MIB <= peak ? "true" : "false", t,
           rc ? "false" : "true");
    cJSON_Delete(result);
    cJSON_Delete(jobs);
    lm_spec_free(&spec);
    free(text);
    return rc ? 1 : 0;
}
