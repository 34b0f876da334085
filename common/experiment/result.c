/* result.c - the one reader of a job result.  The daemon runs it on every
 * `complete` a worker sends (a result it refuses is never stored) and the
 * aggregation reads results through it, so neither dereferences a field
 * that is missing or of the wrong type. */
#include "experiment/experiment.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Where a failure is reported: the field's path and the reason. */
typedef struct reader {
    char *field;
    size_t cap;
    lm_error *err;
} reader;

static int bad(const reader *rd, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(const reader *rd, const char *path, const char *fmt, ...) {
    if (rd->field && rd->cap) snprintf(rd->field, rd->cap, "%s", path);
    char msg[LM_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lm_fail(rd->err, "%s", msg);
}

static const cJSON *item(const cJSON *o, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A number in [lo, hi] (finite); required or optional (*x = NAN when absent). */
static int number(const reader *rd, const cJSON *o, const char *path, const char *key, double lo,
                  double hi, int required, double *x) {
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    const cJSON *v = item(o, key);
    *x = NAN;
    if (!v && !required) return 0;
    if (!v) return bad(rd, p, "required");
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return bad(rd, p, "must be a number");
    if (v->valuedouble < lo || v->valuedouble > hi) return bad(rd, p, "must be in [%g, %g]", lo, hi);
    *x = v->valuedouble;
    return 0;
}

static int integer(const reader *rd, const cJSON *o, const char *path, const char *key, double lo,
                   double hi, int required, double *x) {
    if (number(rd, o, path, key, lo, hi, required, x)) return -1;
    if (!isnan(*x) && *x != floor(*x)) {
        char p[160];
        snprintf(p, sizeof p, "%s.%s", path, key);
        return bad(rd, p, "must be an integer");
    }
    return 0;
}

/* A non-empty string of at most max bytes; NULL when absent and optional. */
static int string(const reader *rd, const cJSON *o, const char *path, const char *key, size_t max,
                  int required, const char **s) {
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    const cJSON *v = item(o, key);
    *s = NULL;
    if (!v && !required) return 0;
    if (!v) return bad(rd, p, "required");
    if (!cJSON_IsString(v) || !v->valuestring[0]) return bad(rd, p, "must be a non-empty string");
    if (strlen(v->valuestring) > max) return bad(rd, p, "longer than %zu bytes", max);
    *s = v->valuestring;
    return 0;
}

/* An object; NULL when absent and optional. */
static int object(const reader *rd, const cJSON *o, const char *path, const char *key, int required,
                  const cJSON **out) {
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    const cJSON *v = item(o, key);
    *out = NULL;
    if (!v && !required) return 0;
    if (!v) return bad(rd, p, "required");
    if (!cJSON_IsObject(v)) return bad(rd, p, "must be an object");
    *out = v;
    return 0;
}

/* The fields that complete a fine-tuning method's diagnostics against its
 * kernel partner: objects where the aggregation writes, the threshold it
 * reads. */
static int diagnostics(const reader *rd, const cJSON *d) {
    const cJSON *agreement, *verdict, *thresholds = NULL;
    double min_ratio;
    if (object(rd, d, "result.diagnostics", "agreement", 0, &agreement) ||
        object(rd, d, "result.diagnostics", "verdict", 0, &verdict))
        return -1;
    if (verdict && object(rd, verdict, "result.diagnostics.verdict", "thresholds", 0, &thresholds)) return -1;
    if (thresholds && number(rd, thresholds, "result.diagnostics.verdict.thresholds", "min_kernel_ft_ratio",
                             0, 1e300, 0, &min_ratio))
        return -1;
    return 0;
}

/* What a kernel or fine-tuning job reports: the solver or learning-rate
 * grid, the point selected on dev, zero-shot metrics, test predictions. */
static int model_job(const reader *rd, const cJSON *res, int finetune, lm_job_result *out) {
    const char *R = "result";
    const cJSON *grid = item(res, "grid"), *sel, *zs;
    if (!grid) return bad(rd, "result.grid", "required");
    if (!cJSON_IsArray(grid) || !grid->child) return bad(rd, "result.grid", "must be a non-empty array");
    int n_grid = 0;
    for (const cJSON *g = grid->child; g; g = g->next, n_grid++)
        if (!cJSON_IsObject(g)) {
            char p[64];
            snprintf(p, sizeof p, "result.grid[%d]", n_grid);
            return bad(rd, p, "must be an object");
        }
    double index;
    if (string(rd, res, R, "metric", 32, 0, &out->metric) || object(rd, res, R, "selected", 1, &sel) ||
        integer(rd, sel, "result.selected", "index", 0, n_grid - 1, 1, &index) ||
        number(rd, sel, "result.selected", "dev", 0, 1, 1, &out->dev) ||
        number(rd, sel, "result.selected", "test", 0, 1, 1, &out->test) ||
        object(rd, res, R, "zero_shot", 0, &zs))
        return -1;
    out->point = cJSON_GetArrayItem(grid, (int)index);
    out->has_zero_shot = zs != NULL;
    if (zs && (number(rd, zs, "result.zero_shot", "dev", 0, 1, 1, &out->zero_shot_dev) ||
               number(rd, zs, "result.zero_shot", "test", 0, 1, 1, &out->zero_shot_test)))
        return -1;
    const cJSON *pred = item(res, "test_predictions");
    if (pred) {
        if (!cJSON_IsArray(pred)) return bad(rd, "result.test_predictions", "must be an array");
        int i = 0;
        for (const cJSON *p = pred->child; p; p = p->next, i++)
            if (!cJSON_IsNumber(p) || p->valuedouble < 0 || p->valuedouble > 1e9 ||
                p->valuedouble != floor(p->valuedouble)) {
                char path[64];
                snprintf(path, sizeof path, "result.test_predictions[%d]", i);
                return bad(rd, path, "must be a class index (an integer >= 0)");
            }
        out->test_predictions = pred;
    }
    if (finetune) {
        if (string(rd, res, R, "optimizer", 32, 1, &out->optimizer)) return -1;
        int known = 0;
        for (int o = 0; lm_opt_name((lm_opt_kind)o); o++)
            known |= !strcmp(out->optimizer, lm_opt_name((lm_opt_kind)o));
        if (!known) return bad(rd, "result.optimizer", "unknown optimizer \"%s\"", out->optimizer);
    }
    if (object(rd, res, R, "diagnostics", 0, &out->diagnostics) ||
        (out->diagnostics && diagnostics(rd, out->diagnostics)))
        return -1;
    return integer(rd, res, R, "pretrain_step", 0, 1e15, 0, &out->pretrain_step) ||
           number(rd, res, R, "pretrain_tokens", 0, 1e300, 0, &out->pretrain_tokens);
}

/* A tile job's result: which part of how many it is, as its job says.  The
 * tile itself travels as its artifact (kernel-tiles.bin) to the merge job;
 * the aggregation reads nothing else of it. */
static int tile_job(const reader *rd, const cJSON *job_tile, const cJSON *res, lm_job_result *out) {
    const cJSON *jp = item(job_tile, "part"), *jo = item(job_tile, "of"), *t;
    if (!cJSON_IsNumber(jp) || !cJSON_IsNumber(jo) || jp->valuedouble < 1 || jp->valuedouble > jo->valuedouble)
        return bad(rd, "job.tile", "a tile job needs {\"part\", \"of\"} with 1 <= part <= of");
    if (strncmp(out->method, "kernel:", 7))
        return bad(rd, "result.method", "a tile job is a kernel's, not \"%s\"", out->method);
    double part, of;
    if (object(rd, res, "result", "tile", 1, &t) || integer(rd, t, "result.tile", "part", 1, 1e6, 1, &part) ||
        integer(rd, t, "result.tile", "of", 1, 1e6, 1, &of))
        return -1;
    if (part != jp->valuedouble || of != jo->valuedouble)
        return bad(rd, "result.tile", "is part %.0f of %.0f, the job's is part %.0f of %.0f", part, of,
                   jp->valuedouble, jo->valuedouble);
    out->tile_part = (int)part;
    out->tile_of = (int)of;
    return 0;
}

int lm_job_result_parse(const cJSON *job, const cJSON *res, lm_job_result *out, char *field,
                        size_t field_len, lm_error *err) {
    reader rd = {field, field_len, err};
    memset(out, 0, sizeof *out);
    out->json = res;
    out->pretrain_step = out->pretrain_tokens = NAN;
    out->zero_shot_dev = out->zero_shot_test = NAN;
    out->checkpoint = out->seed_index = out->slot = -1;
    if (field && field_len) field[0] = '\0';

    /* the job: as the daemon stored it from lm_experiment_jobs */
    const cJSON *js = item(job, "seed"), *jm = item(job, "method"), *jmodel = item(job, "model");
    if (!cJSON_IsNumber(js) || !cJSON_IsString(jm) || (jmodel && !cJSON_IsString(jmodel)))
        return bad(&rd, "job", "a job needs a numeric \"seed\" and a \"method\" string");

    if (!cJSON_IsObject(res)) return bad(&rd, "result", "must be an object");
    double seed;
    if (integer(&rd, res, "result", "seed", 0, 4294967295.0, 1, &seed) ||
        string(&rd, res, "result", "method", 64, 1, &out->method) ||
        string(&rd, res, "result", "model", 4096, jmodel != NULL, &out->model) ||
        number(&rd, res, "result", "seconds", 0, 1e12, 1, &out->seconds))
        return -1;
    out->seed = (uint32_t)seed;
    if (seed != js->valuedouble) return bad(&rd, "result.seed", "is %.0f, the job's seed is %.0f", seed, js->valuedouble);
    if (strcmp(out->method, jm->valuestring))
        return bad(&rd, "result.method", "is \"%s\", the job's method is \"%s\"", out->method, jm->valuestring);
    if (jmodel && strcmp(out->model, jmodel->valuestring))
        return bad(&rd, "result.model", "is \"%s\", the job's model is \"%s\"", out->model, jmodel->valuestring);

    if (!strcmp(out->method, "pretrain")) return object(&rd, res, "result", "pretrain", 1, &out->pretrain);
    const cJSON *jtile = item(job, "tile");
    if (jtile) return tile_job(&rd, jtile, res, out);
    int finetune = !strncmp(out->method, "finetune:", 9);
    if (!finetune && strncmp(out->method, "kernel:", 7))
        return bad(&rd, "result.method", "unknown method \"%s\"", out->method);
    return model_job(&rd, res, finetune, out);
}

int lm_experiment_check_result(const cJSON *job, const cJSON *result, char *field, size_t field_len,
                               lm_error *err) {
    lm_job_result r;
    return lm_job_result_parse(job, result, &r, field, field_len, err);
}
