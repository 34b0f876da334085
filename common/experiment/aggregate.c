/* aggregate.c - job results -> result.json.
 *
 * Every result is read once (lm_job_result_parse) and placed in a table
 * indexed by (checkpoint, data seed, method slot); the summary rows, the
 * kernel partner of each fine-tuning method and the pre-training curve are
 * then look-ups in that table.  A sharded kernel's tile jobs are counted
 * in compute_seconds only: their merge job's result is the method's.  So
 * the aggregation is one pass over the
 * jobs plus work proportional to the table: linear in the number of jobs
 * (the daemon runs it inside a write transaction). */
#include "experiment/experiment.h"
#include "experiment/methods.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/stats.h"

/* The results of one experiment, parsed and placed. */
typedef struct table {
    const lm_spec *spec;
    int M, S, K;            /* checkpoints (1 without a sweep), seeds, method slots */
    int *cell;              /* [M][S][K] index into r, -1 when no job */
    lm_job_result *r;       /* [n] in job order */
    int n;
} table;

static lm_job_result *at(const table *t, int m, int s, int k) {
    int j = t->cell[((size_t)m * t->S + s) * t->K + k];
    return j < 0 ? NULL : &t->r[j];
}

/* Reads every result and finds its cell; fails naming the job and field. */
static int place(table *t, const cJSON *jobs, const cJSON *results, lm_error *err) {
    const lm_spec *spec = t->spec;
    size_t cells = (size_t)t->M * t->S * t->K;
    t->cell = lm_xmalloc((cells ? cells : 1) * sizeof *t->cell);
    for (size_t i = 0; i < cells; i++) t->cell[i] = -1;
    t->r = lm_xcalloc((size_t)t->n + 1, sizeof *t->r);
    const cJSON *job = jobs->child, *res = results->child;
    for (int j = 0; j < t->n; j++, job = job->next, res = res->next) {
        lm_job_result *r = &t->r[j];
        char field[160];
        if (lm_job_result_parse(job, res, r, field, sizeof field, err))
            return lm_fail_prefix(err, "job %d: %s", j, field);
        if (spec->is_pretrain || r->tile_of) continue; /* a tile's merge job stands for it */
        r->slot = lm_experiment_method_slot(spec, r->method);
        for (int s = 0; s < t->S && r->seed_index < 0; s++)
            if (spec->seeds[s] == r->seed) r->seed_index = s;
        if (!spec->n_checkpoints) r->checkpoint = 0;
        for (int m = 0; m < spec->n_checkpoints && r->checkpoint < 0; m++)
            if (!strcmp(spec->checkpoints[m], r->model)) r->checkpoint = m;
        if (r->slot < 0) return lm_fail(err, "job %d: method \"%s\" is not in the spec", j, r->method);
        if (r->seed_index < 0) return lm_fail(err, "job %d: seed %u is not in the spec", j, r->seed);
        if (r->checkpoint < 0) return lm_fail(err, "job %d: model \"%s\" is not in the spec", j, r->model);
        int *c = &t->cell[((size_t)r->checkpoint * t->S + r->seed_index) * t->K + r->slot];
        if (*c >= 0) return lm_fail(err, "job %d: the same job as job %d", j, *c);
        *c = j;
    }
    return 0;
}

static void add_mean_std(cJSON *o, const char *name, const double *x, int n) {
    cJSON_AddItemToObject(o, name, lm_mean_std_json(x, n));
}

/* One summary row: per seed dev/test of the selected point, mean and
 * population std over seeds (spec §5.6). */
static cJSON *summarise(const lm_spec *spec, const char *method, const lm_job_result *const *per_seed,
                        const uint32_t *seeds, int n) {
    cJSON *o = cJSON_CreateObject();
    char label[LM_METHOD_LABEL_MAX];
    lm_method_label(spec, method, label);
    cJSON_AddStringToObject(o, "method", method);
    cJSON_AddStringToObject(o, "label", label);
    cJSON *rows = cJSON_AddArrayToObject(o, "seeds");
    double dev[LM_SPEC_MAX_SEEDS], test[LM_SPEC_MAX_SEEDS], zd[LM_SPEC_MAX_SEEDS], zt[LM_SPEC_MAX_SEEDS];
    for (int i = 0; i < n; i++) {
        const lm_job_result *r = per_seed[i];
        dev[i] = r->dev;
        test[i] = r->test;
        zd[i] = r->zero_shot_dev;
        zt[i] = r->zero_shot_test;
        cJSON *row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "seed", seeds[i]);
        cJSON_AddNumberToObject(row, "dev", dev[i]);
        cJSON_AddNumberToObject(row, "test", test[i]);
        cJSON_AddStringToObject(row, "from", r->method);
        cJSON_AddItemToObject(row, "point", cJSON_Duplicate(r->point, 1));
        cJSON_AddItemToArray(rows, row);
    }
    add_mean_std(o, "dev", dev, n);
    add_mean_std(o, "test", test, n);
    if (n > 0 && !isnan(zt[0])) {
        add_mean_std(o, "zero_shot_dev", zd, n);
        add_mean_std(o, "zero_shot_test", zt, n);
    }
    return o;
}

/* The summary of one checkpoint (or of the one model): a row per method in
 * job order whose every seed has a result, and "kernel", selecting over the
 * formulas on dev, when there are several. */
static void summarise_model(const table *t, int m, cJSON *rows) {
    const lm_spec *spec = t->spec;
    const lm_job_result *per_seed[LM_SPEC_MAX_SEEDS], *best[LM_SPEC_MAX_SEEDS] = {0};
    int n_kernel = 0;
    for (int k = 0; k < t->K; k++) {
        int found = 0;
        for (int s = 0; s < t->S; s++) found += (per_seed[s] = at(t, m, s, k)) != NULL;
        if (found != t->S) continue;
        char method[64];
        lm_experiment_method_name(spec, k, method, sizeof method);
        cJSON_AddItemToArray(rows, summarise(spec, method, per_seed, spec->seeds, t->S));
        if (lm_experiment_slot_is_kernel(spec, k)) {
            n_kernel++;
            for (int s = 0; s < t->S; s++)
                if (!best[s] || per_seed[s]->dev > best[s]->dev) best[s] = per_seed[s];
        }
    }
    if (n_kernel > 1) cJSON_AddItemToArray(rows, summarise(spec, "kernel", best, spec->seeds, t->S));
}

/* The kernel job a fine-tuning job is compared with (the paper's pairs):
 * Adam with the asymmetric SignGD kernel, SignGD with signgd, SGD with sgd;
 * the sgd kernel when the matching one was not run. */
static const lm_job_result *kernel_partner(const table *t, const lm_job_result *ft) {
    const char *want = "kernel:sgd";
    if (ft->optimizer && !strcmp(ft->optimizer, "adam")) want = "kernel:asymmetric_signgd";
    if (ft->optimizer && !strcmp(ft->optimizer, "signgd")) want = "kernel:signgd";
    int k = lm_experiment_method_slot(t->spec, want), k_sgd = lm_experiment_method_slot(t->spec, "kernel:sgd");
    const lm_job_result *exact = k >= 0 ? at(t, ft->checkpoint, ft->seed_index, k) : NULL;
    return exact ? exact : k_sgd >= 0 ? at(t, ft->checkpoint, ft->seed_index, k_sgd) : NULL;
}

static void set_num(cJSON *o, const char *key, double v) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    if (isnan(v)) cJSON_AddNullToObject(o, key);
    else cJSON_AddNumberToObject(o, key, v);
}

static void set_verdict(cJSON *o, const char *key, int v) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    if (v < 0) cJSON_AddNullToObject(o, key);
    else cJSON_AddBoolToObject(o, key, v);
}

/* Agreement of the kernel solver and the fine-tuned model on test, the
 * kernel's metric over FT's, and the verdict that needs them, into d (the
 * fine-tuning result's diagnostics, as copied into result.json). */
static void complete_diagnostics(cJSON *d, const lm_job_result *ft, const lm_job_result *kernel) {
    if (!kernel || !kernel->test_predictions || !ft->test_predictions) return;
    int n = cJSON_GetArraySize(kernel->test_predictions), same = 0;
    if (n == 0 || n != cJSON_GetArraySize(ft->test_predictions)) return;
    for (const cJSON *a = kernel->test_predictions->child, *b = ft->test_predictions->child; a && b;
         a = a->next, b = b->next)
        same += a->valuedouble == b->valuedouble;
    double ratio = ft->test > 0 ? kernel->test / ft->test : NAN;
    cJSON *ag = cJSON_GetObjectItemCaseSensitive(d, "agreement");
    if (!ag) ag = cJSON_AddObjectToObject(d, "agreement");
    cJSON_DeleteItemFromObjectCaseSensitive(ag, "kernel_method");
    cJSON_AddStringToObject(ag, "kernel_method", kernel->method);
    set_num(ag, "kernel_metric", kernel->test);
    set_num(ag, "kernel_ft_ratio", ratio);
    set_num(ag, "prediction_agreement", (double)same / n);
    cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "verdict");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(v, "thresholds");
    const cJSON *min_ratio = cJSON_GetObjectItemCaseSensitive(th, "min_kernel_ft_ratio");
    if (v && !isnan(ratio) && cJSON_IsNumber(min_ratio))
        set_verdict(v, "kernel_solves_task", ratio >= min_ratio->valuedouble);
}

/* "jobs" (the results, diagnostics completed) and "diagnostics" (each
 * fine-tuning method's, per seed); r[j].diagnostics then points at the
 * completed copy, which is what the pre-training curve reads. */
static void add_jobs(const table *t, cJSON *out) {
    cJSON *jr = cJSON_AddArrayToObject(out, "jobs"), *diag = NULL;
    for (int j = 0; j < t->n; j++) {
        lm_job_result *r = &t->r[j];
        if (r->tile_of) continue; /* intermediate: the merge job's result is the method's */
        cJSON *copy = cJSON_Duplicate(r->json, 1);
        cJSON_AddItemToArray(jr, copy);
        if (!r->diagnostics) continue;
        cJSON *d = cJSON_GetObjectItemCaseSensitive(copy, "diagnostics");
        complete_diagnostics(d, r, kernel_partner(t, r));
        r->diagnostics = d;
        if (!diag) diag = cJSON_AddArrayToObject(out, "diagnostics");
        cJSON *e = cJSON_CreateObject();
        char label[LM_METHOD_LABEL_MAX];
        lm_method_label(t->spec, r->method, label);
        cJSON_AddStringToObject(e, "method", r->method);
        cJSON_AddStringToObject(e, "label", label);
        cJSON_AddNumberToObject(e, "seed", r->seed);
        if (r->model) cJSON_AddStringToObject(e, "model", r->model);
        cJSON_AddItemToObject(e, "diagnostics", cJSON_Duplicate(d, 1));
        cJSON_AddItemToArray(diag, e);
    }
}

static cJSON *aggregate_pretrain(const table *t, cJSON *out) {
    cJSON_AddStringToObject(out, "kind", "pretrain");
    cJSON_AddItemToObject(out, "pretrain", cJSON_Duplicate(t->r[0].pretrain, 1));
    cJSON *jr = cJSON_AddArrayToObject(out, "jobs");
    for (int j = 0; j < t->n; j++) cJSON_AddItemToArray(jr, cJSON_Duplicate(t->r[j].json, 1));
    cJSON_AddNumberToObject(out, "compute_seconds", t->r[0].seconds);
    return out;
}

static cJSON *aggregate_models(table *t, cJSON *out) {
    const lm_spec *spec = t->spec;
    cJSON_AddStringToObject(out, "kind", "experiment");
    cJSON_AddStringToObject(out, "task", spec->task);
    const char *metric = NULL;
    for (int j = 0; j < t->n && !metric; j++)
        if (!t->r[j].tile_of) metric = t->r[j].metric;
    cJSON_AddStringToObject(out, "metric", metric ? metric : "acc");
    cJSON *summary = cJSON_AddArrayToObject(out, "summary");
    for (int m = 0; m < t->M; m++) {
        cJSON *rows = summary;
        if (spec->n_checkpoints) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "model", spec->checkpoints[m]);
            rows = cJSON_AddArrayToObject(e, "summary");
            cJSON_AddItemToArray(summary, e);
        }
        summarise_model(t, m, rows);
    }
    add_jobs(t, out);
    if (spec->n_checkpoints)
        cJSON_AddItemToObject(out, "pretraining_curve", lm_experiment_curve(spec, summary, t->r, t->n));
    double total_s = 0;
    for (int j = 0; j < t->n; j++) total_s += t->r[j].seconds;
    cJSON_AddNumberToObject(out, "compute_seconds", total_s);
    return out;
}

int lm_experiment_aggregate(const char *spec_json, const cJSON *jobs, const cJSON *job_results,
                            cJSON **result, lm_error *err) {
    lm_spec spec;
    *result = NULL;
    if (lm_experiment_spec(spec_json, &spec, err)) {
        lm_spec_free(&spec);
        return -1;
    }
    table t = {.spec = &spec, .M = spec.n_checkpoints ? spec.n_checkpoints : 1, .S = spec.n_seeds,
               .K = lm_experiment_n_methods(&spec), .n = cJSON_GetArraySize(jobs)};
    int rc = -1;
    if (!cJSON_IsArray(jobs) || !cJSON_IsArray(job_results))
        lm_fail(err, "aggregate: the jobs and their results must be arrays");
    else if (cJSON_GetArraySize(job_results) != t.n)
        lm_fail(err, "aggregate: %d job results for %d jobs", cJSON_GetArraySize(job_results), t.n);
    else if (t.n == 0)
        lm_fail(err, "aggregate: no jobs");
    else
        rc = place(&t, jobs, job_results, err);
    if (rc == 0) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "spec", lm_spec_to_json(&spec));
        *result = spec.is_pretrain ? aggregate_pretrain(&t, out) : aggregate_models(&t, out);
    }
    free(t.cell);
    free(t.r);
    lm_spec_free(&spec);
    return rc;
}
