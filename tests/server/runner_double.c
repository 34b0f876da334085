/* runner_double.c - the test double of the experiment runner (see .h). */
#include "runner_double.h"

#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "experiment/methods.h"
#include "store/npy.h"
#include "util/file.h"
#include "util/log.h"

double runner_double_score(double seed, const char *method) {
    return (double)((long long)seed % 97) / 97.0 + (double)strlen(method) / 1000.0;
}

int runner_double_list_jobs(const char *spec_json, int auto_shards, cJSON **jobs, lm_error *err) {
    (void)auto_shards; /* the double has no tiles */
    cJSON *spec = cJSON_Parse(spec_json);
    if (!spec) return lm_fail(err, "test double: spec is not JSON");
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(spec, "seeds");
    const cJSON *kernel = cJSON_GetObjectItemCaseSensitive(spec, "kernel");
    const cJSON *formula = cJSON_GetObjectItemCaseSensitive(kernel, "formula");
    const cJSON *finetune = cJSON_GetObjectItemCaseSensitive(spec, "finetune");
    static const double default_seeds[] = {13, 21, 42, 87, 100};
    cJSON *out = cJSON_CreateArray();
    int n_seeds = seeds ? cJSON_GetArraySize(seeds) : 5;
    /* as the real runner: kernels when asked for, or when nothing else is */
    int n_finetune = cJSON_GetArraySize(finetune), has_kernel = kernel || !n_finetune;
    for (int i = 0; i < n_seeds; i++) {
        double seed = seeds ? cJSON_GetArrayItem(seeds, i)->valuedouble : default_seeds[i];
        for (int t = 0; t < n_finetune; t++) {
            char method[32];
            snprintf(method, sizeof method, "finetune:%d", t);
            cJSON *job = cJSON_CreateObject();
            cJSON_AddNumberToObject(job, "seed", seed);
            cJSON_AddStringToObject(job, "method", method);
            cJSON_AddItemToArray(out, job);
        }
        int n_formulas = !has_kernel ? 0 : cJSON_IsArray(formula) ? cJSON_GetArraySize(formula) : 1;
        for (int f = 0; f < n_formulas; f++) {
            const cJSON *name = cJSON_IsArray(formula) ? cJSON_GetArrayItem(formula, f) : formula;
            char method[64];
            snprintf(method, sizeof method, "kernel:%s", cJSON_IsString(name) ? name->valuestring : "sgd");
            cJSON *job = cJSON_CreateObject();
            cJSON_AddNumberToObject(job, "seed", seed);
            cJSON_AddStringToObject(job, "method", method);
            char label[LM_METHOD_LABEL_MAX];
            lm_method_label(NULL, method, label);
            cJSON_AddStringToObject(job, "label", label);
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
    const char *alloc_env = getenv("LMNTK_TEST_ALLOC_SEED"), *crash_env = getenv("LMNTK_TEST_CRASH_SEED");
    const char *pid_file = getenv("LMNTK_TEST_PID_FILE");
    long ms = ms_env ? atol(ms_env) : 300;
    if (pid_file) {
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (lm_write_file_atomic(pid_file, pid, (size_t)n, err)) return -1;
    }
    if (fail_env && atof(fail_env) == seed) return lm_fail(err, "test double: seed %.0f fails", seed);
    if (alloc_env && atof(alloc_env) == seed) {
        const char *mb = getenv("LMNTK_TEST_ALLOC_MB");
        size_t bytes = (size_t)(mb ? atol(mb) : 1024) << 20;
        char *p = lm_xmalloc(bytes); /* past a memory limit this ends the process */
        memset(p, 1, bytes);
        free(p);
    }
    if (crash_env && atof(crash_env) == seed) {
        lm_warn("test double: seed %.0f crashes now", seed);
        raise(SIGSEGV);
    }
    const char *deaf_env = getenv("LMNTK_TEST_DEAF_SEED");
    if (deaf_env && atof(deaf_env) == seed) {
        hooks = NULL;
        ms = 20000;
    }
    /* Steps of at most 0.1 s, so a cancel is seen soon after it arrives. */
    long steps = ms / 100 > 10 ? ms / 100 : 10;
    for (long step = 0; step < steps; step++) {
        if (hooks && hooks->progress && hooks->progress(hooks->ctx, (double)step / steps, "sleeping"))
            return lm_fail(err, "cancelled");
        long step_ms = ms / steps;
        struct timespec ts = {step_ms / 1000, (step_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* a text file, a .npy (shape and dtype in the listings) and a file in a
     * folder (as a model folder would be) */
    char text[128], *path = lm_path_join(out_dir, "scores.txt");
    int n = snprintf(text, sizeof text, "seed %.0f method %s\n", seed, method);
    int rc = lm_write_file_atomic(path, text, (size_t)n, err);
    free(path);
    double values[2] = {seed, runner_double_score(seed, method)};
    int64_t shape[1] = {2};
    path = lm_path_join(out_dir, "scores.npy");
    if (rc == 0) rc = lm_npy_write(path, LM_NPY_F8, 1, shape, values, err);
    free(path);
    char *folder = lm_path_join(out_dir, "extra");
    path = lm_path_join(folder, "note.txt");
    if (rc == 0) rc = lm_mkdirs(folder, err) ? -1 : lm_write_file_atomic(path, text, (size_t)n, err);
    free(path);
    free(folder);
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

/* The population mean and std of x[0..n). */
static cJSON *mean_std(const double *x, int n) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += x[i] / n;
    for (int i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean) / n;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "mean", mean);
    cJSON_AddNumberToObject(o, "std", sqrt(var));
    return o;
}

/* With more than one formula, the runner's "kernel" row: per seed the
 * formula best on dev ("from"). */
static void add_best_kernel(cJSON *summary) {
    if (cJSON_GetArraySize(summary) < 2) return;
    const cJSON *first = summary->child;
    cJSON *row = cJSON_CreateObject(), *seeds = cJSON_CreateArray();
    cJSON_AddStringToObject(row, "method", "kernel");
    cJSON_AddStringToObject(row, "label", "Best kernel (dev)");
    double x[64];
    int n = 0;
    const cJSON *s0;
    cJSON_ArrayForEach(s0, cJSON_GetObjectItemCaseSensitive(first, "seeds")) {
        double seed = cJSON_GetObjectItemCaseSensitive(s0, "seed")->valuedouble;
        const cJSON *best = NULL, *best_row = NULL;
        for (const cJSON *r = first; r; r = r->next) {
            const cJSON *s;
            cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r, "seeds")) {
                if (cJSON_GetObjectItemCaseSensitive(s, "seed")->valuedouble != seed) continue;
                if (!best || cJSON_GetObjectItemCaseSensitive(s, "dev")->valuedouble >
                                 cJSON_GetObjectItemCaseSensitive(best, "dev")->valuedouble)
                    best = s, best_row = r;
            }
        }
        cJSON *s = cJSON_Duplicate(best, 1);
        cJSON_AddStringToObject(s, "from", cJSON_GetObjectItemCaseSensitive(best_row, "method")->valuestring);
        cJSON_AddItemToArray(seeds, s);
        if (n < 64) x[n++] = cJSON_GetObjectItemCaseSensitive(best, "test")->valuedouble;
    }
    cJSON_AddItemToObject(row, "seeds", seeds);
    cJSON_AddItemToObject(row, "dev", mean_std(x, n));
    cJSON_AddItemToObject(row, "test", mean_std(x, n));
    cJSON_AddItemToArray(summary, row);
}

/* result.json's "summary" in the runner's form: per method (in order of
 * first appearance) each seed's score as its dev and test metric. */
static cJSON *summary_of(const cJSON *job_results) {
    cJSON *summary = cJSON_CreateArray();
    for (const cJSON *r = job_results->child; r; r = r->next) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "method");
        if (!cJSON_IsString(m)) continue;   /* results made by hand in the queue tests */
        const char *method = m->valuestring;
        int seen = 0;
        for (const cJSON *e = summary->child; e && !seen; e = e->next)
            seen = !strcmp(cJSON_GetObjectItemCaseSensitive(e, "method")->valuestring, method);
        if (seen) continue;
        cJSON *row = cJSON_CreateObject(), *seeds = cJSON_CreateArray();
        char label[LM_METHOD_LABEL_MAX];
        lm_method_label(NULL, method, label);
        cJSON_AddStringToObject(row, "method", method);
        cJSON_AddStringToObject(row, "label", label);
        double x[64];
        int n = 0;
        for (const cJSON *q = r; q && n < 64; q = q->next) {
            const cJSON *qm = cJSON_GetObjectItemCaseSensitive(q, "method");
            if (!cJSON_IsString(qm) || strcmp(qm->valuestring, method)) continue;
            x[n] = cJSON_GetObjectItemCaseSensitive(q, "score")->valuedouble;
            cJSON *s = cJSON_CreateObject();
            cJSON_AddNumberToObject(s, "seed", cJSON_GetObjectItemCaseSensitive(q, "seed")->valuedouble);
            cJSON_AddNumberToObject(s, "dev", x[n]);
            cJSON_AddNumberToObject(s, "test", x[n]);
            cJSON *point = cJSON_AddObjectToObject(s, "point");
            cJSON_AddStringToObject(point, "solver", "lstsq");
            cJSON_AddNumberToObject(point, "regularization", 0);
            cJSON_AddItemToArray(seeds, s);
            n++;
        }
        cJSON_AddItemToObject(row, "seeds", seeds);
        cJSON_AddItemToObject(row, "dev", mean_std(x, n));
        cJSON_AddItemToObject(row, "test", mean_std(x, n));
        double half[64];
        for (int i = 0; i < n; i++) half[i] = 0.5;
        cJSON_AddItemToObject(row, "zero_shot_test", mean_std(half, n));
        cJSON_AddItemToArray(summary, row);
    }
    add_best_kernel(summary);
    return summary;
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
    cJSON_AddStringToObject(o, "kind", "experiment");
    cJSON_AddStringToObject(o, "metric", "acc");
    cJSON_AddItemToObject(o, "summary", summary_of(job_results));
    cJSON_AddItemToObject(o, "jobs", cJSON_Duplicate(job_results, 1));
    *result = o;
    return 0;
}
