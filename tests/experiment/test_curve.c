/* test_curve.c - result.json's "pretraining_curve" (common/experiment/curve.c)
 * from hand-made job results: checkpoints in step order (unknown steps last, ties
 * in the spec's order), each with its summary rows and, per fine-tuning
 * method in order of first appearance, the mean and std over seeds of every
 * finite numeric diagnostic by dotted name; the same at the size of a long
 * sweep. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "experiment/experiment.h"
#include "util/error.h"

static cJSON *job(const char *model, const char *method, double step, double ratio, double seconds) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", model);
    cJSON_AddStringToObject(j, "method", method);
    if (step >= 0) {   /* a negative step: a checkpoint of unknown step */
        cJSON_AddNumberToObject(j, "pretrain_step", step);
        cJSON_AddNumberToObject(j, "pretrain_tokens", step * 100);
    }
    cJSON *d = cJSON_AddObjectToObject(j, "diagnostics");
    cJSON *a = cJSON_AddObjectToObject(d, "agreement");
    cJSON_AddNumberToObject(a, "kernel_ft_ratio", ratio);
    cJSON_AddItemToObject(a, "eigenvalues", cJSON_CreateDoubleArray((double[]){1, 2}, 2));
    cJSON_AddNumberToObject(d, "seconds", seconds);
    cJSON_AddNumberToObject(d, "not_finite", NAN);
    return j;
}

/* The results as the aggregation hands them to the curve: read, and placed
 * at their checkpoint. */
static lm_job_result *as_results(const lm_spec *spec, const cJSON *jobs, int *n) {
    lm_job_result *r = lm_xcalloc((size_t)cJSON_GetArraySize(jobs) + 1, sizeof *r);
    *n = 0;
    for (const cJSON *j = jobs->child; j; j = j->next) {
        const cJSON *step = cJSON_GetObjectItem(j, "pretrain_step"), *tokens = cJSON_GetObjectItem(j, "pretrain_tokens");
        lm_job_result *x = &r[(*n)++];
        *x = (lm_job_result){.json = j, .method = cJSON_GetObjectItem(j, "method")->valuestring,
                             .model = cJSON_GetObjectItem(j, "model")->valuestring,
                             .diagnostics = cJSON_GetObjectItem(j, "diagnostics"),
                             .pretrain_step = step ? step->valuedouble : NAN,
                             .pretrain_tokens = tokens ? tokens->valuedouble : NAN, .checkpoint = -1};
        for (int m = 0; m < spec->n_checkpoints; m++)
            if (!strcmp(spec->checkpoints[m], x->model)) x->checkpoint = m;
    }
    return r;
}

static cJSON *curve_of(const lm_spec *spec, const cJSON *summary, const cJSON *jobs) {
    int n;
    lm_job_result *r = as_results(spec, jobs, &n);
    cJSON *curve = lm_experiment_curve(spec, summary, r, n);
    free(r);
    return curve;
}

static cJSON *summary_of(const char *model, double test) {
    cJSON *s = cJSON_CreateObject(), *rows = cJSON_CreateArray(), *row = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "model", model);
    cJSON_AddStringToObject(row, "method", "kernel:sgd");
    cJSON *t = cJSON_AddObjectToObject(row, "test");
    cJSON_AddNumberToObject(t, "mean", test);
    cJSON_AddNumberToObject(row, "not_copied", 1);
    cJSON_AddItemToArray(rows, row);
    cJSON_AddItemToObject(s, "summary", rows);
    return s;
}

static const cJSON *values_of(const cJSON *entry, int k, const char *method) {
    const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(entry, "diagnostics"), k);
    const cJSON *m = cJSON_GetObjectItem(d, "method");
    CHECK_MSG(cJSON_IsString(m) && !strcmp(m->valuestring, method), "diagnostics[%d] is not %s", k, method);
    return cJSON_GetObjectItem(d, "values");
}

static double num(const cJSON *values, const char *name, const char *stat) {
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(values, name), stat);
    CHECK_MSG(cJSON_IsNumber(v), "%s.%s missing", name, stat);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

int main(void) {
    /* three checkpoints given out of order, one of unknown step; two
     * methods whose seeds interleave */
    char *ck[] = {"late", "unknown", "early"};
    lm_spec spec = {.n_checkpoints = 3, .checkpoints = ck};
    cJSON *jobs = cJSON_CreateArray(), *summary = cJSON_CreateArray();
    cJSON_AddItemToArray(jobs, job("late", "finetune:1", 400, 0.5, 1));
    cJSON_AddItemToArray(jobs, job("early", "finetune:0", 10, 0.2, 2));
    cJSON_AddItemToArray(jobs, job("late", "finetune:0", 400, 0.9, 3));
    cJSON_AddItemToArray(jobs, job("late", "finetune:1", 400, 0.7, 5));
    cJSON_AddItemToArray(jobs, job("late", "finetune:0", 400, 0.7, 7));
    cJSON_AddItemToArray(jobs, job("unknown", "finetune:0", -1, 0.1, 1));
    cJSON *nodiag = cJSON_CreateObject();   /* a kernel job: no diagnostics, no method grouping */
    cJSON_AddStringToObject(nodiag, "model", "late");
    cJSON_AddStringToObject(nodiag, "method", "kernel:sgd");
    cJSON_AddItemToArray(jobs, nodiag);
    cJSON_AddItemToArray(summary, summary_of("late", 0.8));
    cJSON_AddItemToArray(summary, summary_of("early", 0.6));

    cJSON *curve = curve_of(&spec, summary, jobs);
    CHECK(cJSON_GetArraySize(curve) == 3);
    const char *order[] = {"early", "late", "unknown"};
    for (int i = 0; i < 3; i++) {
        const cJSON *m = cJSON_GetObjectItem(cJSON_GetArrayItem(curve, i), "model");
        CHECK_MSG(cJSON_IsString(m) && !strcmp(m->valuestring, order[i]), "curve[%d] is not %s", i, order[i]);
    }
    const cJSON *early = cJSON_GetArrayItem(curve, 0), *late = cJSON_GetArrayItem(curve, 1),
                *unknown = cJSON_GetArrayItem(curve, 2);
    CHECK(cJSON_GetObjectItem(late, "pretrain_step")->valuedouble == 400);
    CHECK(cJSON_GetObjectItem(late, "pretrain_tokens")->valuedouble == 40000);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(unknown, "pretrain_step")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(unknown, "pretrain_tokens")));

    /* the summary rows: the accuracy keys only */
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(late, "methods"), 0);
    CHECK(row && !strcmp(cJSON_GetObjectItem(row, "method")->valuestring, "kernel:sgd"));
    CHECK(row && cJSON_GetObjectItem(cJSON_GetObjectItem(row, "test"), "mean")->valuedouble == 0.8);
    CHECK(row && !cJSON_GetObjectItem(row, "not_copied"));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(unknown, "methods")) == 0);

    /* diagnostics: methods in order of first appearance, over seeds */
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(late, "diagnostics")) == 2);
    const cJSON *v1 = values_of(late, 0, "finetune:1"), *v0 = values_of(late, 1, "finetune:0");
    CHECK_CLOSE(num(v1, "agreement.kernel_ft_ratio", "mean"), 0.6, 1e-12, 0);
    CHECK_CLOSE(num(v1, "agreement.kernel_ft_ratio", "std"), 0.1, 1e-12, 0);
    CHECK_CLOSE(num(v1, "seconds", "mean"), 3, 1e-12, 0);
    CHECK_CLOSE(num(v0, "agreement.kernel_ft_ratio", "mean"), 0.8, 1e-12, 0);
    CHECK_CLOSE(num(v0, "seconds", "std"), 2, 1e-12, 0);
    CHECK(!cJSON_GetObjectItem(v0, "agreement.eigenvalues"));   /* arrays left out */
    CHECK(!cJSON_GetObjectItem(v0, "not_finite"));
    CHECK_CLOSE(num(values_of(early, 0, "finetune:0"), "agreement.kernel_ft_ratio", "mean"), 0.2, 1e-12, 0);
    cJSON_Delete(curve);
    cJSON_Delete(jobs);
    cJSON_Delete(summary);

    /* a long sweep: 50 checkpoints x 5 seeds x 3 methods */
    enum { M = 50, SEEDS = 5, METHODS = 3 };
    char *names[M];
    lm_spec big = {.n_checkpoints = M, .checkpoints = names};
    jobs = cJSON_CreateArray();
    summary = cJSON_CreateArray();
    for (int m = 0; m < M; m++) {
        names[m] = lm_xmalloc(16);
        snprintf(names[m], 16, "ck-%d", M - m);
        for (int s = 0; s < SEEDS; s++)
            for (int k = 0; k < METHODS; k++) {
                char method[16];
                snprintf(method, sizeof method, "finetune:%d", k);
                cJSON_AddItemToArray(jobs, job(names[m], method, M - m, 0.1 * k + 0.01 * s, s));
            }
    }
    curve = curve_of(&big, summary, jobs);
    CHECK(cJSON_GetArraySize(curve) == M);
    const cJSON *first = cJSON_GetArrayItem(curve, 0);
    CHECK(!strcmp(cJSON_GetObjectItem(first, "model")->valuestring, "ck-1"));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(first, "diagnostics")) == METHODS);
    CHECK_CLOSE(num(values_of(first, 2, "finetune:2"), "agreement.kernel_ft_ratio", "mean"), 0.22, 1e-12, 0);
    cJSON_Delete(curve);
    cJSON_Delete(jobs);
    cJSON_Delete(summary);
    for (int m = 0; m < M; m++) free(names[m]);
    return check_exit("experiment_curve");
}
