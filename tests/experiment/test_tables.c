/* test_tables.c - a result read as tables (common/experiment/tables.c): hand-made
 * job results of two seeds (sgd and signgd kernels, one fine-tuning method
 * with diagnostics) go through lm_experiment_aggregate; then the headline (best
 * kernel, fine-tuning, zero-shot, verdicts) and the flat rows (selected
 * hyper-parameters, per-seed zero-shot, diagnostics) are checked value by
 * value, and the method labels on the way. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "experiment/experiment.h"
#include "experiment/tables.h"

#define SPEC_BODY \
    "\"task\": \"SST-2\", \"data\": \"d\", \"seeds\": [1, 2], \"kernel\": {\"formula\": [\"sgd\", \"signgd\"]}," \
    " \"solver\": {\"name\": \"lstsq\", \"regularization\": [0, 0.1]}," \
    " \"finetune\": [{\"optimizer\": \"sgd\", \"lr\": [0.1, 0.01], \"batch_size\": 4}]}"
static const char *SPEC = "{" SPEC_BODY;
/* the same, its model named: the job results carry it */
static const char *SPEC_MODEL = "{\"model\": \"small\", " SPEC_BODY;

static cJSON *pair(double dev, double test) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "dev", dev);
    cJSON_AddNumberToObject(o, "test", test);
    return o;
}

/* A job result with a two-point grid whose point `pick` is selected; it
 * names model (NULL: none) as lmntk-worker names the spec's model. */
static cJSON *result_of(const cJSON *job, const char *model, int pick, double dev, double test, double zs_test, int kernel_says) {
    const char *method = cJSON_GetObjectItem(job, "method")->valuestring;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "seed", cJSON_GetObjectItem(job, "seed")->valuedouble);
    cJSON_AddStringToObject(r, "method", method);
    if (model) cJSON_AddStringToObject(r, "model", model);
    cJSON_AddStringToObject(r, "metric", "acc");
    cJSON_AddNumberToObject(r, "seconds", 1.5);
    if (!strncmp(method, "finetune:", 9)) cJSON_AddStringToObject(r, "optimizer", "adam");
    cJSON_AddItemToObject(r, "zero_shot", pair(0.5, zs_test));
    cJSON *grid = cJSON_AddArrayToObject(r, "grid");
    for (int g = 0; g < 2; g++) {
        cJSON *pt = g == pick ? pair(dev, test) : pair(dev - 0.1, test - 0.1);
        if (!strncmp(method, "kernel:", 7)) {
            cJSON_AddStringToObject(pt, "solver", "lstsq");
            cJSON_AddNumberToObject(pt, "regularization", g ? 0.1 : 0);
            cJSON_AddNumberToObject(pt, "f0_scaling", 0);
        } else {
            cJSON_AddNumberToObject(pt, "lr", g ? 0.01 : 0.1);
            cJSON_AddNumberToObject(pt, "batch_size", 4);
            cJSON_AddNumberToObject(pt, "best_step", 20 + g);
        }
        cJSON_AddItemToArray(grid, pt);
    }
    cJSON *sel = cJSON_AddObjectToObject(r, "selected");
    cJSON_AddNumberToObject(sel, "index", pick);
    cJSON_AddNumberToObject(sel, "dev", dev);
    cJSON_AddNumberToObject(sel, "test", test);
    cJSON_AddItemToObject(r, "test_predictions", cJSON_CreateIntArray((int[]){0, 1, 1, 0}, 4));
    if (!strncmp(method, "finetune:", 9)) {
        cJSON *d = cJSON_AddObjectToObject(r, "diagnostics");
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(d, "linearization"), "gain_recovered", 0.8);
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(d, "fixed_features"), "kernel_distance", 0.05);
        cJSON *v = cJSON_AddObjectToObject(d, "verdict");
        if (kernel_says < 0) cJSON_AddNullToObject(v, "kernel_behavior");
        else cJSON_AddBoolToObject(v, "kernel_behavior", kernel_says);
        cJSON_AddStringToObject(v, "outcome", kernel_says < 0 ? "undecided" : kernel_says ? "kernel" : "not kernel");
        cJSON_AddStringToObject(v, "reason", "because");
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(v, "thresholds"), "min_kernel_ft_ratio", 0.9);
    }
    return r;
}

static double at(const cJSON *o, const char *a, const char *b) {
    const cJSON *v = cJSON_GetObjectItem(o, a);
    if (b) v = cJSON_GetObjectItem(v, b);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *text(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The row of (method, seed). */
static const cJSON *row_of(const cJSON *rows, const char *method, double seed) {
    for (const cJSON *r = rows->child; r; r = r->next)
        if (!strcmp(text(r, "method"), method) && at(r, "seed", NULL) == seed) return r;
    return NULL;
}

static cJSON *aggregate_spec(const char *spec, const char *model, int seed2_says) {
    cJSON *jobs = NULL, *result = NULL;
    lm_error err;
    CHECK(lm_experiment_jobs(spec, &jobs, &err) == 0);
    CHECK(cJSON_GetArraySize(jobs) == 6);
    cJSON *results = cJSON_CreateArray();
    for (const cJSON *j = jobs->child; j; j = j->next) {
        int s2 = at(j, "seed", NULL) == 2;
        const char *m = text(j, "method");
        /* seed 1: sgd wins on dev; seed 2: signgd */
        if (!strcmp(m, "kernel:sgd")) cJSON_AddItemToArray(results, result_of(j, model, 1, s2 ? 0.6 : 0.8, s2 ? 0.55 : 0.75, 0.5, 0));
        else if (!strcmp(m, "kernel:signgd")) cJSON_AddItemToArray(results, result_of(j, model, 0, s2 ? 0.7 : 0.6, s2 ? 0.65 : 0.7, s2 ? 0.4 : 0.45, 0));
        else cJSON_AddItemToArray(results, result_of(j, model, 0, 0.9, s2 ? 0.9 : 0.8, 0.5, s2 ? seed2_says : 1));
    }
    CHECK_MSG(lm_experiment_aggregate(spec, jobs, results, &result, &err) == 0, "%s", err.msg);
    /* the labels the jobs carry */
    CHECK(!strcmp(text(cJSON_GetArrayItem(jobs, 1), "label"), "K(SignGD)"));
    CHECK(!strcmp(text(cJSON_GetArrayItem(jobs, 2), "label"), "SGD-FT"));
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    return result;
}

static cJSON *aggregate(int seed2_says) { return aggregate_spec(SPEC, NULL, seed2_says); }

int main(void) {
    cJSON *result = aggregate(-1);
    if (!result) return check_exit("run_tables");
    cJSON *h = lm_experiment_headline(result);
    CHECK(h && !strcmp(text(h, "metric"), "acc") && at(h, "seeds", NULL) == 2);
    /* the best kernel on dev per seed: sgd (0.75) on seed 1, signgd (0.65) on seed 2 */
    const cJSON *k = cJSON_GetObjectItem(h, "kernel");
    CHECK(!strcmp(text(k, "method"), "kernel") && !strcmp(text(k, "label"), "Best kernel (dev)"));
    CHECK_CLOSE(at(k, "test", "mean"), 0.7, 1e-12, 0);
    CHECK_CLOSE(at(k, "test", "std"), 0.05, 1e-12, 0);
    const cJSON *ft = cJSON_GetArrayItem(cJSON_GetObjectItem(h, "finetune"), 0);
    CHECK(!strcmp(text(ft, "method"), "finetune:0") && !strcmp(text(ft, "label"), "SGD-FT"));
    CHECK_CLOSE(at(ft, "test", "mean"), 0.85, 1e-12, 0);
    CHECK(!strcmp(text(ft, "verdict"), "mixed") && !strcmp(text(h, "verdict"), "mixed"));
    /* zero-shot as the best kernel's row has it: 0.5 (sgd, seed 1), 0.4 (signgd, seed 2) */
    CHECK_CLOSE(at(h, "zero_shot", "mean"), 0.45, 1e-12, 0);

    cJSON *rows = lm_experiment_result_rows(result);
    CHECK(cJSON_GetArraySize(rows) == 8);   /* (sgd, signgd, FT, best kernel) x 2 seeds */
    int n_keys = 0;
    for (const char *const *key = lm_experiment_row_keys; *key; key++, n_keys++)
        CHECK_MSG(cJSON_GetObjectItem(rows->child, *key) != NULL, "row lacks %s", *key);
    CHECK(cJSON_GetArraySize(rows->child) == n_keys);
    const cJSON *r = row_of(rows, "kernel:sgd", 1);
    CHECK(r && !strcmp(text(r, "label"), "K(SGD)") && !strcmp(text(r, "solver"), "lstsq"));
    CHECK(r && at(r, "regularization", NULL) == 0.1 && at(r, "test", NULL) == 0.75);
    CHECK(r && at(r, "zero_shot_test", NULL) == 0.5 && cJSON_IsNull(cJSON_GetObjectItem(r, "lr")));
    r = row_of(rows, "kernel", 2);
    CHECK(r && !strcmp(text(r, "from"), "kernel:signgd") && at(r, "zero_shot_test", NULL) == 0.4);
    CHECK(r && at(r, "regularization", NULL) == 0 && at(r, "dev", NULL) == 0.7);
    r = row_of(rows, "finetune:0", 2);
    CHECK(r && at(r, "lr", NULL) == 0.1 && at(r, "batch_size", NULL) == 4 && at(r, "best_step", NULL) == 20);
    CHECK(r && at(r, "kernel_distance", NULL) == 0.05 && at(r, "gain_recovered", NULL) == 0.8);
    CHECK(r && !strcmp(text(r, "verdict"), "undecided") && cJSON_IsNull(cJSON_GetObjectItem(r, "kernel_behavior")));
    CHECK(r && cJSON_IsNull(cJSON_GetObjectItem(r, "solver")));
    /* the kernel / FT ratio the aggregate completes (FT's partner: the sgd kernel) */
    CHECK(r && fabs(at(r, "kernel_ft_ratio", NULL) - 0.55 / 0.9) < 1e-12);
    r = row_of(rows, "finetune:0", 1);
    CHECK(r && !strcmp(text(r, "verdict"), "kernel") && cJSON_IsTrue(cJSON_GetObjectItem(r, "kernel_behavior")));
    cJSON_Delete(rows);
    cJSON_Delete(h);
    cJSON_Delete(result);

    /* every seed agrees: the method's and the experiment's verdict */
    result = aggregate(1);
    h = lm_experiment_headline(result);
    CHECK(!strcmp(text(h, "verdict"), "kernel"));
    cJSON_Delete(h);
    cJSON_Delete(result);
    result = aggregate(0);
    h = lm_experiment_headline(result);
    CHECK(!strcmp(text(h, "verdict"), "mixed"));
    cJSON_Delete(h);
    cJSON_Delete(result);

    /* a spec that names its model: the rows find each seed's zero-shot and
     * diagnostics all the same (the jobs' model is the experiment's) */
    result = aggregate_spec(SPEC_MODEL, "small", -1);
    CHECK(result != NULL);
    rows = lm_experiment_result_rows(result);
    r = row_of(rows, "finetune:0", 2);
    CHECK(r && at(r, "kernel_distance", NULL) == 0.05 && !strcmp(text(r, "verdict"), "undecided"));
    CHECK(r && fabs(at(r, "kernel_ft_ratio", NULL) - 0.55 / 0.9) < 1e-12);
    r = row_of(rows, "kernel:sgd", 1);
    CHECK(r && at(r, "zero_shot_test", NULL) == 0.5 && cJSON_IsNull(cJSON_GetObjectItem(r, "model")));
    cJSON_Delete(rows);
    cJSON_Delete(result);

    /* no summary (a pre-training result): no headline, no rows */
    cJSON *pre = cJSON_Parse("{\"kind\": \"pretrain\", \"pretrain\": {}}");
    CHECK(lm_experiment_headline(pre) == NULL);
    rows = lm_experiment_result_rows(pre);
    CHECK(cJSON_GetArraySize(rows) == 0);
    cJSON_Delete(rows);
    cJSON_Delete(pre);
    return check_exit("run_tables");
}
