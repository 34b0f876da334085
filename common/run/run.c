/* run.c - executing experiments: one job through the model math, and a
 * whole spec locally (jobs from common/experiment, run in order, their
 * results aggregated by common/experiment). */
#include "run/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"
#include "experiment/methods.h"
#include "pretrain/checkpoint.h"
#include "run/jobs.h"
#include "util/clock.h"
#include "util/file.h"

/* A kernel or fine-tuning job: the model and splits loaded, then the method. */
static int run_model_job(const lm_spec *spec, const char *method, const char *model, uint32_t seed,
                         const lm_run_options *opt, const lm_run_hooks *hooks, const char *out_dir,
                         cJSON *res, lm_error *err) {
    lm_job_setup js;
    int rc = lm_job_setup_load(spec, model, seed, opt, &js, err);
    if (rc == 0) {
        cJSON_AddStringToObject(res, "metric", js.metric);
        double tokens;
        int step = lm_checkpoint_step(js.model_dir, &tokens);
        if (step >= 0) cJSON_AddNumberToObject(res, "pretrain_step", step);
        if (tokens >= 0) cJSON_AddNumberToObject(res, "pretrain_tokens", tokens);
    }
    int slot = lm_experiment_method_slot(spec, method);
    if (rc == 0 && slot < 0) rc = lm_fail(err, "job: method \"%s\" is not in the spec", method);
    else if (rc == 0 && lm_experiment_slot_is_kernel(spec, slot))
        rc = lm_run_kernel_job(spec, &js, spec->kernel.formulas[slot], seed, opt, hooks, out_dir, res, err);
    else if (rc == 0)
        rc = lm_run_finetune_job(spec, &js, slot - (lm_experiment_n_methods(spec) - spec->n_finetune), seed,
                                 opt, hooks, out_dir, res, err);
    lm_job_setup_free(&js);
    return rc;
}

int lm_run_job(const char *spec_json, const cJSON *job, const lm_run_options *opt,
               const lm_run_hooks *hooks, const char *out_dir, cJSON **job_result, lm_error *err) {
    *job_result = NULL;
    lm_spec spec;
    if (lm_experiment_spec(spec_json, &spec, err)) {
        lm_spec_free(&spec);
        return -1;
    }
    const cJSON *seed_j = cJSON_GetObjectItem(job, "seed"), *method_j = cJSON_GetObjectItem(job, "method");
    const cJSON *model_j = cJSON_GetObjectItem(job, "model");
    if (!cJSON_IsNumber(seed_j) || !cJSON_IsString(method_j)) {
        lm_spec_free(&spec);
        return lm_fail(err, "job: needs \"seed\" and \"method\"");
    }
    uint32_t seed = (uint32_t)seed_j->valuedouble;
    const char *method = method_j->valuestring;
    const char *model = cJSON_IsString(model_j) ? model_j->valuestring : spec.model;
    cJSON *res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "seed", seed);
    cJSON_AddStringToObject(res, "method", method);
    if (model) cJSON_AddStringToObject(res, "model", model);
    double t0 = lm_now();
    if (hooks && hooks->progress && hooks->progress(hooks->ctx, 0.0, "load")) {
        cJSON_Delete(res);
        lm_spec_free(&spec);
        return lm_fail(err, "cancelled");
    }
    int rc;
    if (spec.is_pretrain || !strcmp(method, "pretrain"))
        rc = spec.is_pretrain && !strcmp(method, "pretrain")
                 ? lm_run_pretrain_job(&spec, opt, hooks, res, err)
                 : lm_fail(err, "job: method \"%s\" does not fit the spec", method);
    else
        rc = run_model_job(&spec, method, model, seed, opt, hooks, out_dir, res, err);
    lm_spec_free(&spec);
    if (rc) {
        cJSON_Delete(res);
        return -1;
    }
    cJSON_AddNumberToObject(res, "seconds", lm_now() - t0);
    *job_result = res;
    return 0;
}

int lm_run_experiment(const char *spec_json, const lm_run_options *opt, const lm_run_hooks *hooks,
                      const char *out_dir, cJSON **result, lm_error *err) {
    cJSON *jobs, *results = cJSON_CreateArray();
    *result = NULL;
    if (lm_experiment_jobs(spec_json, &jobs, err)) {
        cJSON_Delete(results);
        return -1;
    }
    if (lm_mkdirs(out_dir, err)) goto fail;
    int j = 0;
    for (const cJSON *job = jobs->child; job; job = job->next, j++) {
        /* each job in its own folder, as the daemon serves them (methods.h) */
        char sub[512];
        if (lm_method_job_dir(job, sub, sizeof sub)) {
            lm_fail(err, "job %d: no folder name for it", j);
            goto fail;
        }
        char *job_dir = lm_path_join(out_dir, sub);
        cJSON *r;
        int rc = lm_mkdirs(job_dir, err) ? -1 : lm_run_job(spec_json, job, opt, hooks, job_dir, &r, err);
        free(job_dir);
        if (rc) {
            lm_fail_prefix(err, "job %d (seed %g, %s)", j, cJSON_GetObjectItem(job, "seed")->valuedouble,
                           cJSON_GetObjectItem(job, "method")->valuestring);
            goto fail;
        }
        cJSON_AddItemToArray(results, r);
    }
    if (lm_experiment_aggregate(spec_json, jobs, results, result, err)) goto fail;
    char *text = cJSON_Print(*result);
    char *path = lm_path_join(out_dir, "result.json");
    int rc = lm_write_file_atomic(path, text, strlen(text), err);
    free(path);
    free(text);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    if (rc) {
        cJSON_Delete(*result);
        *result = NULL;
    }
    return rc;
fail:
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    return -1;
}
