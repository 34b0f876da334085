/* sweep.c - a checkpoint sweep seen against pre-training: result.json's
 * "pretraining_curve", one entry per checkpoint in step order, so that
 * accuracy and kernel-behaviour diagnostics can be read (and plotted) as
 * functions of how long the model was pre-trained. */
#include "run/jobs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/methods.h"
#include "solve/solve.h"

static const char *str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int same_model(const cJSON *job, const char *model) {
    const char *m = str(job, "model");
    return m && !strcmp(m, model);
}

/* Samples of one named diagnostic of one method, over seeds. */
typedef struct series {
    char name[160];
    int n;
    double x[LM_SPEC_MAX_SEEDS];
} series;

typedef struct series_set {
    series *s;
    int n, cap;
} series_set;

static void add_sample(series_set *set, const char *name, double v) {
    series *s = NULL;
    for (int i = 0; i < set->n && !s; i++)
        if (!strcmp(set->s[i].name, name)) s = &set->s[i];
    if (!s) {
        if (set->n == set->cap) {
            set->cap = set->cap ? 2 * set->cap : 32;
            set->s = lm_xrealloc(set->s, (size_t)set->cap * sizeof *set->s);
        }
        s = &set->s[set->n++];
        snprintf(s->name, sizeof s->name, "%s", name);
        s->n = 0;
    }
    if (s->n < LM_SPEC_MAX_SEEDS) s->x[s->n++] = v;
}

/* Every finite number of a diagnostics object, by dotted name (arrays, such
 * as eigenvalue lists, are left out: they are not one value per run). */
static void flatten(series_set *set, const cJSON *o, const char *prefix) {
    for (const cJSON *c = o->child; c; c = c->next) {
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "." : "", c->string);
        if (cJSON_IsNumber(c) && isfinite(c->valuedouble)) add_sample(set, name, c->valuedouble);
        else if (cJSON_IsObject(c)) flatten(set, c, name);
    }
}

static cJSON *mean_std(const double *x, int n) {
    double mean, std;
    lm_mean_std(x, n, &mean, &std);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "mean", mean);
    cJSON_AddNumberToObject(e, "std", std);
    return e;
}

/* Per fine-tuning method of this checkpoint, the mean and std over seeds of
 * each diagnostic.  One pass over the job results (a cJSON array is a linked
 * list: indexing it in a loop would make a long sweep cubic), grouping by
 * method in order of first appearance. */
typedef struct method_group {
    const char *method;
    series_set set;
} method_group;

static cJSON *diagnostics_of(const lm_spec *spec, const char *model, const cJSON *job_results) {
    method_group *g = NULL;
    int n = 0, cap = 0;
    for (const cJSON *r = job_results->child; r; r = r->next) {
        const char *method = str(r, "method");
        const cJSON *d = cJSON_GetObjectItem(r, "diagnostics");
        if (!same_model(r, model) || !method || !d) continue;
        int i = 0;
        while (i < n && strcmp(g[i].method, method)) i++;
        if (i == n) {
            if (n == cap) g = lm_xrealloc(g, (size_t)(cap = cap ? 2 * cap : 4) * sizeof *g);
            g[n++] = (method_group){.method = method};
        }
        flatten(&g[i].set, d, "");
    }
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "method", g[i].method);
        char label[LM_RUN_LABEL_MAX];
        lm_run_method_label(spec, g[i].method, label);
        cJSON_AddStringToObject(e, "label", label);
        cJSON *values = cJSON_AddObjectToObject(e, "values");
        const series_set *set = &g[i].set;
        for (int k = 0; k < set->n; k++) cJSON_AddItemToObject(values, set->s[k].name, mean_std(set->s[k].x, set->s[k].n));
        free(set->s);
        cJSON_AddItemToArray(arr, e);
    }
    free(g);
    return arr;
}

typedef struct point {
    cJSON *entry;
    double step;     /* NAN: unknown, sorted last */
    int order;       /* the spec's order, for ties */
} point;

static int by_step(const void *a, const void *b) {
    const point *x = a, *y = b;
    int nx = isnan(x->step), ny = isnan(y->step);
    if (nx != ny) return nx - ny;
    if (!nx && x->step != y->step) return x->step < y->step ? -1 : 1;
    return x->order - y->order;
}

cJSON *lm_run_pretraining_curve(const lm_spec *spec, const cJSON *summary, const cJSON *job_results) {
    int M = spec->n_checkpoints;
    point *pts = lm_xcalloc((size_t)M + 1, sizeof *pts);
    for (int m = 0; m < M; m++) {
        const char *model = spec->checkpoints[m];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "model", model);
        double step = NAN, tokens = NAN;
        for (const cJSON *r = job_results->child; r; r = r->next) {
            if (!same_model(r, model)) continue;
            const cJSON *s = cJSON_GetObjectItem(r, "pretrain_step"), *t = cJSON_GetObjectItem(r, "pretrain_tokens");
            if (cJSON_IsNumber(s)) step = s->valuedouble;
            if (cJSON_IsNumber(t)) tokens = t->valuedouble;
        }
        if (isnan(step)) cJSON_AddNullToObject(e, "pretrain_step");
        else cJSON_AddNumberToObject(e, "pretrain_step", step);
        if (isnan(tokens)) cJSON_AddNullToObject(e, "pretrain_tokens");
        else cJSON_AddNumberToObject(e, "pretrain_tokens", tokens);
        cJSON *methods = cJSON_AddArrayToObject(e, "methods");
        for (const cJSON *s = summary->child; s; s = s->next) {
            if (!same_model(s, model)) continue;
            for (const cJSON *row = cJSON_GetObjectItem(s, "summary")->child; row; row = row->next) {
                cJSON *x = cJSON_CreateObject();
                static const char *keys[] = {"method", "label", "dev", "test", "zero_shot_dev", "zero_shot_test"};
                for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                    const cJSON *v = cJSON_GetObjectItem(row, keys[k]);
                    if (v) cJSON_AddItemToObject(x, keys[k], cJSON_Duplicate(v, 1));
                }
                cJSON_AddItemToArray(methods, x);
            }
        }
        cJSON_AddItemToObject(e, "diagnostics", diagnostics_of(spec, model, job_results));
        pts[m] = (point){e, step, m};
    }
    qsort(pts, (size_t)M, sizeof *pts, by_step);
    cJSON *arr = cJSON_CreateArray();
    for (int m = 0; m < M; m++) cJSON_AddItemToArray(arr, pts[m].entry);
    free(pts);
    return arr;
}
