/* run.c - experiments: spec -> jobs -> job results -> result.json. */
#include "util/clock.h"
#include "run/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pretrain/checkpoint.h"
#include "run/jobs.h"
#include "run/methods.h"
#include "solve/solve.h"
#include "util/file.h"

static int parse_spec(const char *spec_json, lm_spec *spec, lm_error *err) {
    char field[256] = "";
    if (lm_spec_parse(spec_json, strlen(spec_json), spec, field, sizeof field, err)) {
        if (field[0]) lm_fail_prefix(err, "%s", field);
        return -1;
    }
    return 0;
}

int lm_run_list_jobs(const char *spec_json, cJSON **jobs, lm_error *err) {
    lm_spec spec;
    *jobs = NULL;
    if (parse_spec(spec_json, &spec, err)) {
        lm_spec_free(&spec);
        return -1;
    }
    cJSON *arr = cJSON_CreateArray();
    char label[LM_RUN_LABEL_MAX];
    if (spec.is_pretrain) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "seed", spec.pretrain.seed);
        cJSON_AddStringToObject(j, "method", "pretrain");
        lm_run_method_label(&spec, "pretrain", label);
        cJSON_AddStringToObject(j, "label", label);
        cJSON_AddItemToArray(arr, j);
    }
    int n_models = spec.is_pretrain ? 0 : spec.n_checkpoints ? spec.n_checkpoints : 1;
    for (int m = 0; m < n_models; m++)
        for (int s = 0; s < spec.n_seeds; s++) {
            char method[64];
            int n_k = spec.has_kernel ? spec.kernel.n_formulas : 0;
            for (int i = 0; i < n_k + spec.n_finetune; i++) {
                if (i < n_k) snprintf(method, sizeof method, "kernel:%s", lm_spec_formula_name(spec.kernel.formulas[i]));
                else snprintf(method, sizeof method, "finetune:%d", i - n_k);
                cJSON *j = cJSON_CreateObject();
                cJSON_AddNumberToObject(j, "seed", spec.seeds[s]);
                cJSON_AddStringToObject(j, "method", method);
                lm_run_method_label(&spec, method, label);
                cJSON_AddStringToObject(j, "label", label);
                if (spec.n_checkpoints) cJSON_AddStringToObject(j, "model", spec.checkpoints[m]);
                cJSON_AddItemToArray(arr, j);
            }
        }
    lm_spec_free(&spec);
    *jobs = arr;
    return 0;
}

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
    if (rc == 0 && strncmp(method, "kernel:", 7) == 0) {
        int f = -1;
        for (int i = 0; i < spec->kernel.n_formulas; i++)
            if (strcmp(method + 7, lm_spec_formula_name(spec->kernel.formulas[i])) == 0) f = i;
        if (f < 0) rc = lm_fail(err, "job: method \"%s\" is not in the spec", method);
        else rc = lm_run_kernel_job(spec, &js, spec->kernel.formulas[f], seed, opt, hooks, out_dir, res, err);
    } else if (rc == 0 && strncmp(method, "finetune:", 9) == 0) {
        int i = atoi(method + 9);
        if (i < 0 || i >= spec->n_finetune) rc = lm_fail(err, "job: method \"%s\" is not in the spec", method);
        else rc = lm_run_finetune_job(spec, &js, i, seed, opt, hooks, out_dir, res, err);
    } else if (rc == 0) {
        rc = lm_fail(err, "job: unknown method \"%s\"", method);
    }
    lm_job_setup_free(&js);
    return rc;
}

int lm_run_job(const char *spec_json, const cJSON *job, const lm_run_options *opt,
               const lm_run_hooks *hooks, const char *out_dir, cJSON **job_result, lm_error *err) {
    *job_result = NULL;
    lm_spec spec;
    if (parse_spec(spec_json, &spec, err)) {
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

/* ---- aggregation ------------------------------------------------------- */

static double num(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItem(o, a);
    if (b) x = cJSON_GetObjectItem(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static void add_mean_std(cJSON *o, const char *name, const double *x, int n) {
    double mean, std;
    lm_mean_std(x, n, &mean, &std);
    cJSON *e = cJSON_AddObjectToObject(o, name);
    cJSON_AddNumberToObject(e, "mean", mean);
    cJSON_AddNumberToObject(e, "std", std);
}

/* One summary row: per seed dev/test of the selected point, mean and
 * population std over seeds (spec §5.6). */
static cJSON *summarise(const lm_spec *spec, const char *method, const cJSON **per_seed,
                        const uint32_t *seeds, int n) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "method", method);
    char label[LM_RUN_LABEL_MAX];
    lm_run_method_label(spec, method, label);
    cJSON_AddStringToObject(o, "label", label);
    cJSON *rows = cJSON_AddArrayToObject(o, "seeds");
    double *dev = lm_xcalloc((size_t)n + 1, sizeof(double)), *test = lm_xcalloc((size_t)n + 1, sizeof(double));
    double *zd = lm_xcalloc((size_t)n + 1, sizeof(double)), *zt = lm_xcalloc((size_t)n + 1, sizeof(double));
    for (int i = 0; i < n; i++) {
        dev[i] = num(per_seed[i], "selected", "dev");
        test[i] = num(per_seed[i], "selected", "test");
        zd[i] = num(per_seed[i], "zero_shot", "dev");
        zt[i] = num(per_seed[i], "zero_shot", "test");
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "seed", seeds[i]);
        cJSON_AddNumberToObject(r, "dev", dev[i]);
        cJSON_AddNumberToObject(r, "test", test[i]);
        const cJSON *m = cJSON_GetObjectItem(per_seed[i], "method");
        if (m) cJSON_AddStringToObject(r, "from", m->valuestring);
        const cJSON *sel = cJSON_GetObjectItem(per_seed[i], "selected");
        const cJSON *grid = cJSON_GetObjectItem(per_seed[i], "grid");
        if (sel && grid)
            cJSON_AddItemToObject(r, "point", cJSON_Duplicate(cJSON_GetArrayItem(grid, (int)num(sel, "index", NULL)), 1));
        cJSON_AddItemToArray(rows, r);
    }
    add_mean_std(o, "dev", dev, n);
    add_mean_std(o, "test", test, n);
    if (!isnan(zt[0])) {
        add_mean_std(o, "zero_shot_dev", zd, n);
        add_mean_std(o, "zero_shot_test", zt, n);
    }
    free(dev);
    free(test);
    free(zd);
    free(zt);
    return o;
}

/* The kernel job a fine-tuning job is compared with (the paper's pairs):
 * Adam with the asymmetric SignGD kernel, SignGD with signgd, SGD with sgd;
 * the sgd kernel when the matching one was not run. */
static const cJSON *kernel_partner(const cJSON *ft, const cJSON *jobs, const cJSON *results) {
    const cJSON *o = cJSON_GetObjectItem(ft, "optimizer");
    const char *want = "kernel:sgd";
    if (cJSON_IsString(o) && !strcmp(o->valuestring, "adam")) want = "kernel:asymmetric_signgd";
    if (cJSON_IsString(o) && !strcmp(o->valuestring, "signgd")) want = "kernel:signgd";
    const cJSON *fm = cJSON_GetObjectItem(ft, "model");
    const cJSON *exact = NULL, *fallback = NULL;
    int n = cJSON_GetArraySize(jobs);
    for (int k = 0; k < n; k++) {
        const cJSON *job = cJSON_GetArrayItem(jobs, k), *res = cJSON_GetArrayItem(results, k);
        const cJSON *jm = cJSON_GetObjectItem(res, "model");
        if (num(job, "seed", NULL) != num(ft, "seed", NULL)) continue;
        if ((fm || jm) && (!fm || !jm || strcmp(fm->valuestring, jm->valuestring))) continue;
        const char *method = cJSON_GetObjectItem(job, "method")->valuestring;
        if (!strcmp(method, want)) exact = res;
        if (!strcmp(method, "kernel:sgd")) fallback = res;
    }
    return exact ? exact : fallback;
}

static void set_num(cJSON *o, const char *key, double v) {
    cJSON_DeleteItemFromObject(o, key);
    if (isnan(v)) cJSON_AddNullToObject(o, key);
    else cJSON_AddNumberToObject(o, key, v);
}

static void set_verdict(cJSON *o, const char *key, int v) {
    cJSON_DeleteItemFromObject(o, key);
    if (v < 0) cJSON_AddNullToObject(o, key);
    else cJSON_AddBoolToObject(o, key, v);
}

/* Agreement of the kernel solver and the fine-tuned model on test, the
 * kernel's metric over FT's, and the verdict that needs them. */
static void complete_diagnostics(cJSON *ft, const cJSON *kernel) {
    cJSON *d = cJSON_GetObjectItem(ft, "diagnostics");
    if (!d || !kernel) return;
    const cJSON *kp = cJSON_GetObjectItem(kernel, "test_predictions");
    const cJSON *fp = cJSON_GetObjectItem(ft, "test_predictions");
    int n = cJSON_GetArraySize(kp), same = 0;
    if (!kp || !fp || n != cJSON_GetArraySize(fp) || n == 0) return;
    for (int i = 0; i < n; i++)
        same += cJSON_GetArrayItem(kp, i)->valuedouble == cJSON_GetArrayItem(fp, i)->valuedouble;
    double km = num(kernel, "selected", "test"), fm = num(ft, "selected", "test");
    double ratio = fm > 0 ? km / fm : NAN;
    cJSON *ag = cJSON_GetObjectItem(d, "agreement");
    if (!ag) ag = cJSON_AddObjectToObject(d, "agreement");
    cJSON_DeleteItemFromObject(ag, "kernel_method");
    cJSON_AddStringToObject(ag, "kernel_method", cJSON_GetObjectItem(kernel, "method")->valuestring);
    set_num(ag, "kernel_metric", km);
    set_num(ag, "kernel_ft_ratio", ratio);
    set_num(ag, "prediction_agreement", (double)same / n);
    cJSON *v = cJSON_GetObjectItem(d, "verdict");
    const cJSON *th = v ? cJSON_GetObjectItem(v, "thresholds") : NULL;
    double min_ratio = th ? num(th, "min_kernel_ft_ratio", NULL) : NAN;
    if (v && !isnan(ratio) && !isnan(min_ratio)) set_verdict(v, "kernel_solves_task", ratio >= min_ratio);
}

int lm_run_aggregate(const char *spec_json, const cJSON *jobs, const cJSON *job_results,
                     cJSON **result, lm_error *err) {
    lm_spec spec;
    *result = NULL;
    if (parse_spec(spec_json, &spec, err)) {
        lm_spec_free(&spec);
        return -1;
    }
    int nj = cJSON_GetArraySize(jobs);
    if (cJSON_GetArraySize(job_results) != nj) {
        lm_spec_free(&spec);
        return lm_fail(err, "aggregate: %d job results for %d jobs", cJSON_GetArraySize(job_results), nj);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "spec", lm_spec_to_json(&spec));
    if (spec.is_pretrain) {
        const cJSON *r = cJSON_GetArrayItem(job_results, 0);
        cJSON_AddStringToObject(out, "kind", "pretrain");
        cJSON_AddItemToObject(out, "pretrain", cJSON_Duplicate(cJSON_GetObjectItem(r, "pretrain"), 1));
        cJSON_AddItemToObject(out, "jobs", cJSON_Duplicate(job_results, 1));
        cJSON_AddNumberToObject(out, "compute_seconds", num(r, "seconds", NULL));
        lm_spec_free(&spec);
        *result = out;
        return 0;
    }
    cJSON_AddStringToObject(out, "kind", "experiment");
    cJSON_AddStringToObject(out, "task", spec.task);
    const cJSON *first = cJSON_GetArrayItem(job_results, 0);
    const cJSON *metric = cJSON_GetObjectItem(first, "metric");
    cJSON_AddStringToObject(out, "metric", cJSON_IsString(metric) ? metric->valuestring : "acc");
    cJSON *summary = cJSON_AddArrayToObject(out, "summary");
    int n_models = spec.n_checkpoints ? spec.n_checkpoints : 1, S = spec.n_seeds;
    const cJSON **per_seed = lm_xcalloc((size_t)S + 1, sizeof *per_seed);
    const cJSON **best = lm_xcalloc((size_t)S + 1, sizeof *best);
    double total_s = 0;
    for (int m = 0; m < n_models; m++) {
        cJSON *msum = summary;
        if (spec.n_checkpoints) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "model", spec.checkpoints[m]);
            msum = cJSON_AddArrayToObject(e, "summary");
            cJSON_AddItemToArray(summary, e);
        }
        /* methods in job order; "kernel" selects over formulas too */
        int n_methods = 0;
        memset(best, 0, (size_t)S * sizeof *best);
        int n_kernel = 0;
        for (int j = 0; j < nj; j++) {
            const cJSON *job = cJSON_GetArrayItem(jobs, j);
            const cJSON *jm = cJSON_GetObjectItem(job, "model");
            if (spec.n_checkpoints && (!jm || strcmp(jm->valuestring, spec.checkpoints[m]))) continue;
            if (num(job, "seed", NULL) != spec.seeds[0]) continue;
            const char *method = cJSON_GetObjectItem(job, "method")->valuestring;
            int found = 0;
            for (int s = 0; s < S; s++) {
                per_seed[s] = NULL;
                for (int k = 0; k < nj; k++) {
                    const cJSON *jk = cJSON_GetArrayItem(jobs, k);
                    const cJSON *km = cJSON_GetObjectItem(jk, "model");
                    if (num(jk, "seed", NULL) == spec.seeds[s] &&
                        strcmp(cJSON_GetObjectItem(jk, "method")->valuestring, method) == 0 &&
                        (!spec.n_checkpoints || (km && !strcmp(km->valuestring, spec.checkpoints[m])))) {
                        per_seed[s] = cJSON_GetArrayItem(job_results, k);
                        found++;
                    }
                }
            }
            if (found != S) continue;
            cJSON_AddItemToArray(msum, summarise(&spec, method, per_seed, spec.seeds, S));
            n_methods++;
            if (strncmp(method, "kernel:", 7) == 0) {
                n_kernel++;
                for (int s = 0; s < S; s++)
                    if (!best[s] || num(per_seed[s], "selected", "dev") > num(best[s], "selected", "dev"))
                        best[s] = per_seed[s];
            }
        }
        if (n_kernel > 1) cJSON_AddItemToArray(msum, summarise(&spec, "kernel", best, spec.seeds, S));
    }
    cJSON *jr = cJSON_AddArrayToObject(out, "jobs");
    for (int j = 0; j < nj; j++) {
        const cJSON *r = cJSON_GetArrayItem(job_results, j);
        total_s += num(r, "seconds", NULL);
        cJSON *copy = cJSON_Duplicate(r, 1);
        if (cJSON_GetObjectItem(copy, "diagnostics")) complete_diagnostics(copy, kernel_partner(copy, jobs, job_results));
        cJSON_AddItemToArray(jr, copy);
    }
    /* the diagnostics of each fine-tuning method, per seed, in the summary's terms */
    cJSON *diag = NULL;
    for (int j = 0; j < nj; j++) {
        const cJSON *r = cJSON_GetArrayItem(jr, j), *d = cJSON_GetObjectItem(r, "diagnostics");
        if (!d) continue;
        if (!diag) diag = cJSON_AddArrayToObject(out, "diagnostics");
        cJSON *e = cJSON_CreateObject();
        const char *method = cJSON_GetObjectItem(r, "method")->valuestring;
        char label[LM_RUN_LABEL_MAX];
        lm_run_method_label(&spec, method, label);
        cJSON_AddStringToObject(e, "method", method);
        cJSON_AddStringToObject(e, "label", label);
        cJSON_AddNumberToObject(e, "seed", num(r, "seed", NULL));
        const cJSON *m = cJSON_GetObjectItem(r, "model");
        if (m) cJSON_AddStringToObject(e, "model", m->valuestring);
        cJSON_AddItemToObject(e, "diagnostics", cJSON_Duplicate(d, 1));
        cJSON_AddItemToArray(diag, e);
    }
    if (spec.n_checkpoints)
        cJSON_AddItemToObject(out, "pretraining_curve", lm_run_pretraining_curve(&spec, summary, jr));
    cJSON_AddNumberToObject(out, "compute_seconds", total_s);
    free(per_seed);
    free(best);
    lm_spec_free(&spec);
    *result = out;
    return 0;
}

int lm_run_experiment(const char *spec_json, const lm_run_options *opt, const lm_run_hooks *hooks,
                      const char *out_dir, cJSON **result, lm_error *err) {
    cJSON *jobs, *results = cJSON_CreateArray();
    *result = NULL;
    if (lm_run_list_jobs(spec_json, &jobs, err)) {
        cJSON_Delete(results);
        return -1;
    }
    if (lm_mkdirs(out_dir, err)) goto fail;
    int nj = cJSON_GetArraySize(jobs);
    for (int j = 0; j < nj; j++) {
        const cJSON *job = cJSON_GetArrayItem(jobs, j);
        /* each job in its own folder, as the daemon serves them (methods.h) */
        char sub[512];
        if (lm_run_job_dir(job, sub, sizeof sub)) {
            lm_fail(err, "job %d: no folder name for it", j);
            goto fail;
        }
        char *job_dir = lm_path_join(out_dir, sub);
        cJSON *r;
        int rc = lm_mkdirs(job_dir, err) ? -1 : lm_run_job(spec_json, job, opt, hooks, job_dir, &r, err);
        free(job_dir);
        if (rc) {
            lm_fail_prefix(err, "job %d (seed %g, %s)", j, num(job, "seed", NULL),
                           cJSON_GetObjectItem(job, "method")->valuestring);
            goto fail;
        }
        cJSON_AddItemToArray(results, r);
    }
    if (lm_run_aggregate(spec_json, jobs, results, result, err)) goto fail;
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
