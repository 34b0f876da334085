/* runner_double.c - the test double of the experiment runner (see .h). */
#include "runner_double.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/file.h"

double runner_double_score(double seed, const char *method) {
    return (double)((long long)seed % 97) / 97.0 + (double)strlen(method) / 1000.0;
}

int runner_double_list_jobs(const char *spec_json, cJSON **jobs, lm_error *err) {
    cJSON *spec = cJSON_Parse(spec_json);
    if (!spec) return lm_fail(err, "test double: spec is not JSON");
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(spec, "seeds");
    const cJSON *kernel = cJSON_GetObjectItemCaseSensitive(spec, "kernel");
    const cJSON *formula = cJSON_GetObjectItemCaseSensitive(kernel, "formula");
    static const double default_seeds[] = {13, 21, 42, 87, 100};
    cJSON *out = cJSON_CreateArray();
    int n_seeds = seeds ? cJSON_GetArraySize(seeds) : 5;
    for (int i = 0; i < n_seeds; i++) {
        double seed = seeds ? cJSON_GetArrayItem(seeds, i)->valuedouble : default_seeds[i];
        int n_formulas = cJSON_IsArray(formula) ? cJSON_GetArraySize(formula) : 1;
        for (int f = 0; f < n_formulas; f++) {
            const cJSON *name = cJSON_IsArray(formula) ? cJSON_GetArrayItem(formula, f) : formula;
            char method[64];
            snprintf(method, sizeof method, "kernel:%s", cJSON_IsString(name) ? name->valuestring : "sgd");
            cJSON *job = cJSON_CreateObject();
            cJSON_AddNumberToObject(job, "seed", seed);
            cJSON_AddStringToObject(job, "method", method);
            cJSON_AddItemToArray(out, job);
        }
    }
    cJSON_Delete(spec);
    *jobs = out;
    return 0;
}

int runner_double_run_job(const char *spec_json, const cJSON *job, const lm_run_options *opt,
                          const lm_run_hooks *hooks, const char *out_dir, cJSON **job_result,
                          lm_error *err) {
    (void)spec_json; (void)opt;
    double seed = cJSON_GetObjectItemCaseSensitive(job, "seed")->valuedouble;
    const char *method = cJSON_GetObjectItemCaseSensitive(job, "method")->valuestring;
    const char *ms_env = getenv("LMNTK_TEST_JOB_MS"), *fail_env = getenv("LMNTK_TEST_FAIL_SEED");
    long ms = ms_env ? atol(ms_env) : 300;
    if (fail_env && atof(fail_env) == seed) return lm_fail(err, "test double: seed %.0f fails", seed);
    /* Steps of at most 0.1 s, so a cancel is seen soon after it arrives. */
    long steps = ms / 100 > 10 ? ms / 100 : 10;
    for (long step = 0; step < steps; step++) {
        if (hooks && hooks->progress && hooks->progress(hooks->ctx, (double)step / steps, "sleeping"))
            return lm_fail(err, "cancelled");
        long step_ms = ms / steps;
        struct timespec ts = {step_ms / 1000, (step_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    char text[128], *path = lm_path_join(out_dir, "scores.txt");
    int n = snprintf(text, sizeof text, "seed %.0f method %s\n", seed, method);
    int rc = lm_write_file_atomic(path, text, (size_t)n, err);
    free(path);
    if (rc) return -1;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "seed", seed);
    cJSON_AddStringToObject(r, "method", method);
    cJSON_AddNumberToObject(r, "score", runner_double_score(seed, method));
    *job_result = r;
    return 0;
}

int runner_double_check_result(const cJSON *job, const cJSON *result, char *field, size_t field_len,
                               lm_error *err) {
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(result, "seed");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(result, "method");
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(result, "score");
    const char *bad = NULL;
    if (seed && (!cJSON_IsNumber(seed) ||
                 seed->valuedouble != cJSON_GetObjectItemCaseSensitive(job, "seed")->valuedouble))
        bad = "result.seed";
    else if (method && (!cJSON_IsString(method) ||
                        strcmp(method->valuestring, cJSON_GetObjectItemCaseSensitive(job, "method")->valuestring)))
        bad = "result.method";
    else if (!cJSON_IsNumber(score) || score->valuedouble < 0 || score->valuedouble > 2)
        bad = "result.score";
    if (!bad) return 0;
    snprintf(field, field_len, "%s", bad);
    return lm_fail(err, "test double: not this job's result");
}

int runner_double_aggregate(const char *spec_json, const cJSON *jobs, const cJSON *job_results,
                            cJSON **result, lm_error *err) {
    (void)spec_json;
    if (cJSON_GetArraySize(jobs) != cJSON_GetArraySize(job_results))
        return lm_fail(err, "test double: %d jobs but %d results", cJSON_GetArraySize(jobs),
                       cJSON_GetArraySize(job_results));
    double sum = 0;
    int n = 0;
    cJSON *scores = cJSON_CreateArray();
    for (const cJSON *r = job_results->child; r; r = r->next, n++) {
        double s = cJSON_GetObjectItemCaseSensitive(r, "score")->valuedouble;
        sum += s;
        cJSON_AddItemToArray(scores, cJSON_CreateNumber(s));
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", n);
    cJSON_AddNumberToObject(o, "mean_score", n ? sum / n : 0);
    cJSON_AddItemToObject(o, "scores", scores);
    *result = o;
    return 0;
}
