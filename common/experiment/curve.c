/* curve.c - a checkpoint sweep seen against pre-training: result.json's
 * "pretraining_curve", one entry per checkpoint in step order, so that
 * accuracy and kernel-behaviour diagnostics can be read (and plotted) as
 * functions of how long the model was pre-trained. */
#include "experiment/experiment.h"
#include "experiment/methods.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/stats.h"

static const char *str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int same_model(const cJSON *entry, const char *model) {
    const char *m = str(entry, "model");
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

/* Per fine-tuning method of each checkpoint, the mean and std over seeds
 * of each diagnostic, grouped by method in order of first appearance. */
typedef struct method_group {
    const char *method;
    series_set set;
} method_group;

typedef struct checkpoint_groups {
    method_group *g;
    int n, cap;
} checkpoint_groups;

static void add_diagnostics(checkpoint_groups *c, const lm_job_result *r) {
    int i = 0;
    while (i < c->n && strcmp(c->g[i].method, r->method)) i++;
    if (i == c->n) {
        if (c->n == c->cap) c->g = lm_xrealloc(c->g, (size_t)(c->cap = c->cap ? 2 * c->cap : 4) * sizeof *c->g);
        c->g[c->n++] = (method_group){.method = r->method};
    }
    flatten(&c->g[i].set, r->diagnostics, "");
}

static cJSON *diagnostics_json(const lm_spec *spec, checkpoint_groups *c) {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < c->n; i++) {
        cJSON *e = cJSON_CreateObject();
        char label[LM_METHOD_LABEL_MAX];
        lm_method_label(spec, c->g[i].method, label);
        cJSON_AddStringToObject(e, "method", c->g[i].method);
        cJSON_AddStringToObject(e, "label", label);
        cJSON *values = cJSON_AddObjectToObject(e, "values");
        const series_set *set = &c->g[i].set;
        for (int k = 0; k < set->n; k++) cJSON_AddItemToObject(values, set->s[k].name, lm_mean_std_json(set->s[k].x, set->s[k].n));
        free(set->s);
        cJSON_AddItemToArray(arr, e);
    }
    free(c->g);
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

cJSON *lm_experiment_curve(const lm_spec *spec, const cJSON *summary, const lm_job_result *r, int n) {
    int M = spec->n_checkpoints;
    point *pts = lm_xcalloc((size_t)M + 1, sizeof *pts);
    checkpoint_groups *groups = lm_xcalloc((size_t)M + 1, sizeof *groups);
    double *step = lm_xmalloc(((size_t)M + 1) * sizeof *step), *tokens = lm_xmalloc(((size_t)M + 1) * sizeof *tokens);
    for (int m = 0; m < M; m++) step[m] = tokens[m] = NAN;
    /* one pass over the results: the last known step and tokens of each
     * checkpoint, and its diagnostics by method */
    for (int j = 0; j < n; j++) {
        int m = r[j].checkpoint;
        if (m < 0 || m >= M) continue;
        if (!isnan(r[j].pretrain_step)) step[m] = r[j].pretrain_step;
        if (!isnan(r[j].pretrain_tokens)) tokens[m] = r[j].pretrain_tokens;
        if (r[j].diagnostics) add_diagnostics(&groups[m], &r[j]);
    }
    for (int m = 0; m < M; m++) {
        const char *model = spec->checkpoints[m];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "model", model);
        if (isnan(step[m])) cJSON_AddNullToObject(e, "pretrain_step");
        else cJSON_AddNumberToObject(e, "pretrain_step", step[m]);
        if (isnan(tokens[m])) cJSON_AddNullToObject(e, "pretrain_tokens");
        else cJSON_AddNumberToObject(e, "pretrain_tokens", tokens[m]);
        cJSON *methods = cJSON_AddArrayToObject(e, "methods");
        for (const cJSON *s = summary->child; s; s = s->next) {
            if (!same_model(s, model)) continue;
            const cJSON *rows = cJSON_GetObjectItemCaseSensitive(s, "summary");
            for (const cJSON *row = rows ? rows->child : NULL; row; row = row->next) {
                cJSON *x = cJSON_CreateObject();
                static const char *keys[] = {"method", "label", "dev", "test", "zero_shot_dev", "zero_shot_test"};
                for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, keys[k]);
                    if (v) cJSON_AddItemToObject(x, keys[k], cJSON_Duplicate(v, 1));
                }
                cJSON_AddItemToArray(methods, x);
            }
        }
        cJSON_AddItemToObject(e, "diagnostics", diagnostics_json(spec, &groups[m]));
        pts[m] = (point){e, step[m], m};
    }
    qsort(pts, (size_t)M, sizeof *pts, by_step);
    cJSON *arr = cJSON_CreateArray();
    for (int m = 0; m < M; m++) cJSON_AddItemToArray(arr, pts[m].entry);
    free(pts);
    free(groups);
    free(step);
    free(tokens);
    return arr;
}
