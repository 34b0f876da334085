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

char *lm_run_input_path(const lm_run_options *opt, int job_index, const char *file) {
    if (!opt || job_index < 0) return NULL;
    char sub[32];
    snprintf(sub, sizeof sub, "%d", job_index);
    char *dir = opt->job_dirs ? (job_index < opt->n_job_dirs ? lm_xstrdup(opt->job_dirs[job_index]) : NULL)
                : opt->inputs_dir ? lm_path_join(opt->inputs_dir, sub) : NULL;
    if (!dir) return NULL;
    char *path = lm_path_join(dir, file);
    free(dir);
    return path;
}

/* A kernel job of the spec's formula at slot: whole, a tile of a sharded
 * one ("tile"), or the merge of the tiles ("merge"). */
static int run_kernel(const lm_spec *spec, const cJSON *job, int slot, lm_job_setup *js, uint32_t seed,
                      const lm_run_options *opt, const lm_run_hooks *hooks, const char *out_dir, cJSON *res,
                      lm_error *err) {
    lm_kernel_formula f = spec->kernel.formulas[slot];
    const cJSON *tile = cJSON_GetObjectItemCaseSensitive(job, "tile");
    const cJSON *merge = cJSON_GetObjectItemCaseSensitive(job, "merge");
    if (!tile) return lm_run_kernel_job(spec, js, f, seed, merge ? job : NULL, opt, hooks, out_dir, res, err);
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(tile, "part"), *of = cJSON_GetObjectItemCaseSensitive(tile, "of");
    if (!cJSON_IsNumber(part) || !cJSON_IsNumber(of) || part->valuedouble < 1 || part->valuedouble > of->valuedouble ||
        of->valuedouble > 1e6)
        return lm_fail(err, "job: \"tile\" needs {\"part\", \"of\"} with 1 <= part <= of");
    return lm_run_kernel_tile_job(spec, js, f, seed, (int)part->valuedouble, (int)of->valuedouble, opt, hooks,
                                  out_dir, res, err);
}

/* A kernel or fine-tuning job: the model and splits loaded, then the method. */
static int run_model_job(const lm_spec *spec, const cJSON *job, const char *method, const char *model, uint32_t seed,
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
        rc = run_kernel(spec, job, slot, &js, seed, opt, hooks, out_dir, res, err);
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
        rc = run_model_job(&spec, job, method, model, seed, opt, hooks, out_dir, res, err);
    lm_spec_free(&spec);
    if (rc) {
        cJSON_Delete(res);
        return -1;
    }
    cJSON_AddNumberToObject(res, "seconds", lm_now() - t0);
    *job_result = res;
    return 0;
}

static void free_dirs(char **dirs, int n) {
    for (int i = 0; i < n; i++) free(dirs[i]);
    free(dirs);
}

int lm_run_experiment(const char *spec_json, const lm_run_options *opt, const lm_run_hooks *hooks,
                      const char *out_dir, cJSON **result, lm_error *err) {
    cJSON *jobs, *results = cJSON_CreateArray();
    *result = NULL;
    if (lm_experiment_jobs(spec_json, &jobs, err)) {
        cJSON_Delete(results);
        return -1;
    }
    int n_jobs = cJSON_GetArraySize(jobs), j = 0;
    /* each job in its own folder, as the daemon serves them (methods.h); a
     * merge job finds its tiles in theirs */
    char **dirs = lm_xcalloc((size_t)n_jobs + 1, sizeof *dirs);
    lm_run_options here = opt ? *opt : (lm_run_options){0};
    here.job_dirs = dirs;
    here.n_job_dirs = n_jobs;
    if (lm_mkdirs(out_dir, err)) goto fail;
    for (const cJSON *job = jobs->child; job; job = job->next, j++) {
        char sub[512];
        if (lm_method_job_dir(job, sub, sizeof sub)) {
            lm_fail(err, "job %d: no folder name for it", j);
            goto fail;
        }
        dirs[j] = lm_path_join(out_dir, sub);
    }
    j = 0;
    for (const cJSON *job = jobs->child; job; job = job->next, j++) {
        cJSON *r;
        int rc = lm_mkdirs(dirs[j], err) ? -1 : lm_run_job(spec_json, job, &here, hooks, dirs[j], &r, err);
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
    free_dirs(dirs, n_jobs);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    if (rc) {
        cJSON_Delete(*result);
        *result = NULL;
    }
    return rc;
fail:
    free_dirs(dirs, n_jobs);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    return -1;
}
