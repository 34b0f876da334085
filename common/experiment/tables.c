/* tables.c - the headline and the flat rows of a result (tables.h). */
#include "experiment/tables.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const lm_experiment_row_keys[] = {
    "model", "method", "label", "seed", "from", "dev", "test", "zero_shot_dev", "zero_shot_test",
    /* the selected point: a kernel solver's, or a fine-tuning run's */
    "solver", "regularization", "f0_scaling", "asym_lambda", "gamma", "C", "lr", "batch_size", "best_step",
    /* fine-tuning diagnostics */
    "gain_recovered", "kernel_distance", "grad_change_mean", "kernel_ft_ratio", "prediction_agreement",
    "linearization_holds", "fixed_features", "kernel_solves_task", "kernel_behavior", "verdict",
    "verdict_reason", NULL};

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static const char *str(const cJSON *o, const char *key) {
    const cJSON *v = get(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = get(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static cJSON *copy_or_null(const cJSON *v) { return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull(); }

/* Whether o (a job result, a diagnostics entry) is of model: any, outside
 * a sweep (model NULL), where a job may name the spec's one model or none. */
static int of_model(const cJSON *o, const char *model) { return !model || same_str(str(o, "model"), model); }

/* The summary rows of one model: the result's own, or in a sweep the
 * checkpoint pre-trained longest (the last of the pretraining curve). */
static const cJSON *summary_rows(const cJSON *result, const char **model) {
    const cJSON *summary = get(result, "summary");
    *model = NULL;
    if (!cJSON_IsArray(summary)) return NULL;
    if (!summary->child || !get(summary->child, "summary")) return summary;
    const cJSON *curve = get(result, "pretraining_curve");
    const cJSON *last = NULL;
    for (const cJSON *c = cJSON_IsArray(curve) ? curve->child : NULL; c; c = c->next) last = c;
    const char *want = last ? str(last, "model") : NULL;
    const cJSON *pick = NULL;
    for (const cJSON *e = summary->child; e; e = e->next)
        if (!want || same_str(str(e, "model"), want)) pick = e;
    if (!pick) return NULL;
    *model = str(pick, "model");
    return get(pick, "summary");
}

/* kernel_behavior over a method's seeds (and model). */
static const char *method_verdict(const cJSON *result, const char *method, const char *model) {
    int yes = 0, no = 0, open = 0;
    const cJSON *diags = get(result, "diagnostics");
    for (const cJSON *d = cJSON_IsArray(diags) ? diags->child : NULL; d; d = d->next) {
        if (!same_str(str(d, "method"), method) || !of_model(d, model)) continue;
        const cJSON *kb = get(get(get(d, "diagnostics"), "verdict"), "kernel_behavior");
        if (cJSON_IsTrue(kb)) yes++;
        else if (cJSON_IsFalse(kb)) no++;
        else open++;
    }
    if (yes + no + open == 0) return NULL;
    if (yes && !no && !open) return "kernel";
    if (no && !yes && !open) return "not kernel";
    if (open && !yes && !no) return "undecided";
    return "mixed";
}

static cJSON *method_entry(const cJSON *row) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "method", str(row, "method"));
    const char *label = str(row, "label");
    cJSON_AddStringToObject(e, "label", label ? label : str(row, "method"));
    cJSON_AddItemToObject(e, "dev", copy_or_null(get(row, "dev")));
    cJSON_AddItemToObject(e, "test", copy_or_null(get(row, "test")));
    return e;
}

cJSON *lm_experiment_headline(const cJSON *result) {
    const char *model;
    const cJSON *rows = summary_rows(result, &model);
    if (!rows) return NULL;
    cJSON *h = cJSON_CreateObject();
    const char *metric = str(result, "metric");
    cJSON_AddStringToObject(h, "metric", metric ? metric : "acc");
    if (model) cJSON_AddStringToObject(h, "model", model);
    const cJSON *kernel = NULL, *only_formula = NULL, *zero_shot = NULL;
    int n_formulas = 0, seeds = 0;
    cJSON *ft = cJSON_CreateArray();
    const char *verdict = NULL;
    int verdicts = 0, agree = 1;
    for (const cJSON *r = rows->child; r; r = r->next) {
        const char *m = str(r, "method");
        if (!m) continue;
        if (!seeds) seeds = cJSON_GetArraySize(get(r, "seeds"));
        if (!strcmp(m, "kernel")) kernel = r;
        else if (!strncmp(m, "kernel:", 7)) only_formula = r, n_formulas++;
        if (!zero_shot && get(r, "zero_shot_test")) zero_shot = get(r, "zero_shot_test");
        if (strncmp(m, "finetune:", 9)) continue;
        cJSON *e = method_entry(r);
        const char *v = method_verdict(result, m, model);
        if (v) cJSON_AddStringToObject(e, "verdict", v);
        else cJSON_AddNullToObject(e, "verdict");
        if (v) {
            agree &= !verdicts || !strcmp(verdict, v);
            verdict = v;
            verdicts++;
        }
        cJSON_AddItemToArray(ft, e);
    }
    if (!kernel && n_formulas == 1) kernel = only_formula;
    if (kernel && get(kernel, "zero_shot_test")) zero_shot = get(kernel, "zero_shot_test");
    cJSON_AddNumberToObject(h, "seeds", seeds);
    cJSON_AddItemToObject(h, "kernel", kernel ? method_entry(kernel) : cJSON_CreateNull());
    cJSON_AddItemToObject(h, "finetune", ft);
    cJSON_AddItemToObject(h, "zero_shot", copy_or_null(zero_shot));
    if (verdicts) cJSON_AddStringToObject(h, "verdict", agree ? verdict : "mixed");
    else cJSON_AddNullToObject(h, "verdict");
    return h;
}

/* ---- rows ------------------------------------------------------------------- */

/* The job result of (method, seed, model) in result.jobs. */
static const cJSON *job_result(const cJSON *result, const char *method, double seed, const char *model) {
    const cJSON *jobs = get(result, "jobs");
    for (const cJSON *j = cJSON_IsArray(jobs) ? jobs->child : NULL; j; j = j->next)
        if (same_str(str(j, "method"), method) && num(j, "seed") == seed && of_model(j, model)) return j;
    return NULL;
}

static const cJSON *diagnostics_of(const cJSON *result, const char *method, double seed, const char *model) {
    const cJSON *diags = get(result, "diagnostics");
    for (const cJSON *d = cJSON_IsArray(diags) ? diags->child : NULL; d; d = d->next)
        if (same_str(str(d, "method"), method) && num(d, "seed") == seed && of_model(d, model))
            return get(d, "diagnostics");
    return NULL;
}

/* Sets key to a copy of the value at the dotted path of o, if there is one. */
static void take(cJSON *row, const char *key, const cJSON *o, const char *path) {
    const cJSON *v = o;
    char part[64];
    for (const char *p = path; v && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        v = get(v, part);
        p += n + (p[n] == '.');
    }
    if (!v) return;
    cJSON_ReplaceItemInObjectCaseSensitive(row, key, cJSON_Duplicate(v, 1));
}

/* Row keys and where the fine-tuning diagnostics hold them. */
static const char *const diagnostic_columns[][2] = {
    {"gain_recovered", "linearization.gain_recovered"},
    {"kernel_distance", "fixed_features.kernel_distance"},
    {"grad_change_mean", "fixed_features.grad_change_mean"},
    {"kernel_ft_ratio", "agreement.kernel_ft_ratio"},
    {"prediction_agreement", "agreement.prediction_agreement"},
    {"linearization_holds", "verdict.linearization_holds"},
    {"fixed_features", "verdict.fixed_features"},
    {"kernel_solves_task", "verdict.kernel_solves_task"},
    {"kernel_behavior", "verdict.kernel_behavior"},
    {"verdict", "verdict.outcome"},
    {"verdict_reason", "verdict.reason"},
};

static void add_rows(cJSON *out, const cJSON *result, const cJSON *summary, const char *model) {
    static const char *const point_keys[] = {"solver", "regularization", "f0_scaling", "asym_lambda",
                                             "gamma", "C", "lr", "batch_size", "best_step"};
    for (const cJSON *r = summary->child; r; r = r->next) {
        const char *method = str(r, "method");
        const cJSON *seeds = get(r, "seeds");
        for (const cJSON *s = cJSON_IsArray(seeds) ? seeds->child : NULL; s && method; s = s->next) {
            cJSON *row = cJSON_CreateObject();
            for (const char *const *k = lm_experiment_row_keys; *k; k++) cJSON_AddNullToObject(row, *k);
            if (model) cJSON_ReplaceItemInObjectCaseSensitive(row, "model", cJSON_CreateString(model));
            take(row, "method", r, "method");
            take(row, "label", r, "label");
            take(row, "seed", s, "seed");
            take(row, "from", s, "from");
            take(row, "dev", s, "dev");
            take(row, "test", s, "test");
            const cJSON *point = get(s, "point");
            for (size_t i = 0; i < sizeof point_keys / sizeof point_keys[0]; i++)
                take(row, point_keys[i], point, point_keys[i]);
            const char *from = str(s, "from");
            double seed = num(s, "seed");
            const cJSON *job = job_result(result, from ? from : method, seed, model);
            take(row, "zero_shot_dev", job, "zero_shot.dev");
            take(row, "zero_shot_test", job, "zero_shot.test");
            const cJSON *d = diagnostics_of(result, method, seed, model);
            for (size_t i = 0; i < sizeof diagnostic_columns / sizeof diagnostic_columns[0]; i++)
                take(row, diagnostic_columns[i][0], d, diagnostic_columns[i][1]);
            cJSON_AddItemToArray(out, row);
        }
    }
}

cJSON *lm_experiment_result_rows(const cJSON *result) {
    cJSON *out = cJSON_CreateArray();
    const cJSON *summary = get(result, "summary");
    if (!cJSON_IsArray(summary)) return out;
    for (const cJSON *e = summary->child; e; e = e->next) {
        const cJSON *inner = get(e, "summary");
        if (inner) add_rows(out, result, inner, str(e, "model"));
    }
    if (!summary->child || !get(summary->child, "summary")) add_rows(out, result, summary, NULL);
    return out;
}
