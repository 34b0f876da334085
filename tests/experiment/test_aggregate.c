/* test_aggregate.c - experiments as data (common/experiment):
 *
 *   1. real results (tests/fixtures/experiment: kernels, fine-tuning with
 *      diagnostics, a checkpoint sweep): the job list is the one stored and
 *      result.json comes out byte for byte as the runner's old aggregation
 *      made it;
 *   2. results that are not what a job reports (each field the aggregation
 *      reads missing, of the wrong type, out of range; another job's
 *      result; a worker's {"diagnostics": {}}) are refused naming the
 *      field, and the aggregation over them fails naming the job instead of
 *      crashing;
 *   3. a sweep of 64 checkpoints x 32 seeds x 5 methods (10,240 jobs) is
 *      aggregated, checked, and its time printed;
 *   4. the same kernels fixture with "shards": 3: each kernel is three tile
 *      jobs and a merge job after them (labels, folders, "after"); with the
 *      fixture's results as the merge jobs' and tile results beside them,
 *      result.json is the unsharded one but for the spec and the compute
 *      seconds (the tiles' count too); bad tile results are refused.
 *
 *   test_aggregate FIXTURES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "experiment/experiment.h"
#include "experiment/methods.h"
#include "synthetic.h"
#include "util/clock.h"
#include "util/file.h"

static const char *fixtures;

static char *read_text(const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", fixtures, dir, name);
    size_t len;
    lm_error err;
    char *text = lm_read_file(path, &len, &err);
    CHECK_MSG(text != NULL, "%s", err.msg);
    return text;
}

static cJSON *read_json(const char *dir, const char *name) {
    char *text = read_text(dir, name);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    CHECK_MSG(o != NULL, "%s/%s is not JSON", dir, name);
    free(text);
    return o;
}

/* 1. the same output as before on real results */
static void check_fixture(const char *name) {
    char *spec = read_text(name, "spec.json"), *want = read_text(name, "result.json");
    cJSON *jobs = read_json(name, "jobs.json"), *results = read_json(name, "job_results.json");
    if (!spec || !want || !jobs || !results) goto out;
    lm_error err;
    cJSON *listed = NULL, *result = NULL;
    CHECK_MSG(lm_experiment_jobs(spec, &listed, &err) == 0, "%s: %s", name, err.msg);
    CHECK_MSG(cJSON_Compare(listed, jobs, 1), "%s: the job list differs from jobs.json", name);
    int j = 0;
    for (const cJSON *job = jobs->child, *r = results->child; job && r; job = job->next, r = r->next, j++) {
        char field[160];
        CHECK_MSG(lm_experiment_check_result(job, r, field, sizeof field, &err) == 0, "%s: job %d refused: %s: %s",
                  name, j, field, err.msg);
    }
    CHECK_MSG(lm_experiment_aggregate(spec, jobs, results, &result, &err) == 0, "%s: %s", name, err.msg);
    char *got = result ? cJSON_Print(result) : NULL;
    CHECK_MSG(got && !strcmp(got, want), "%s: result.json differs from the fixture", name);
    if (got && strcmp(got, want)) {
        size_t i = 0;
        while (got[i] && got[i] == want[i]) i++;
        fprintf(stderr, "  first difference at byte %zu: ...%.80s\n  vs fixture: ...%.80s\n", i,
                got + (i > 40 ? i - 40 : 0), want + (i > 40 ? i - 40 : 0));
    }
    free(got);
    cJSON_Delete(listed);
    cJSON_Delete(result);
out:
    free(spec);
    free(want);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
}

/* 2. malformed results */

/* The item at a dotted path of objects ("selected.dev"); its parent too. */
static cJSON *walk(cJSON *o, const char *path, cJSON **parent, char *last, size_t cap) {
    char buf[160];
    snprintf(buf, sizeof buf, "%s", path);
    char *key = buf, *dot;
    *parent = o;
    while ((dot = strchr(key, '.'))) {
        *dot = '\0';
        *parent = cJSON_GetObjectItemCaseSensitive(*parent, key);
        key = dot + 1;
    }
    snprintf(last, cap, "%s", key);
    return cJSON_GetObjectItemCaseSensitive(*parent, key);
}

/* A copy of base with path set to value (JSON text), or removed (NULL). */
static cJSON *mutated(const cJSON *base, const char *path, const char *value) {
    cJSON *r = cJSON_Duplicate(base, 1), *parent;
    char key[160];
    walk(r, path, &parent, key, sizeof key);
    CHECK_MSG(parent != NULL, "no parent of %s", path);
    if (!parent) return r;
    cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    if (value) cJSON_AddItemToObject(parent, key, cJSON_Parse(value));
    return r;
}

typedef struct bad_case {
    const char *path, *value, *field; /* value NULL: the field removed */
} bad_case;

/* Refused by the check, naming the field; the aggregation with it in
 * place fails naming the job. */
static void check_refused(const char *spec, const cJSON *jobs, const cJSON *results, int j, cJSON *bad,
                          const char *want_field, const char *what) {
    const cJSON *job = cJSON_GetArrayItem(jobs, j);
    char field[160] = "";
    lm_error err;
    int rc = lm_experiment_check_result(job, bad, field, sizeof field, &err);
    CHECK_MSG(rc != 0, "%s: accepted", what);
    CHECK_MSG(rc == 0 || !strcmp(field, want_field), "%s: field \"%s\", want \"%s\" (%s)", what, field,
              want_field, err.msg);
    cJSON *all = cJSON_Duplicate(results, 1), *result = NULL;
    cJSON_ReplaceItemInArray(all, j, bad);
    rc = lm_experiment_aggregate(spec, jobs, all, &result, &err);
    char want_msg[200];
    snprintf(want_msg, sizeof want_msg, "job %d: %s", j, want_field);
    CHECK_MSG(rc != 0 && !strncmp(err.msg, want_msg, strlen(want_msg)), "%s: aggregation gave %d: %s", what,
              rc, rc ? err.msg : "a result");
    cJSON_Delete(result);
    cJSON_Delete(all);
}

static void check_malformed(void) {
    const char *name = "finetune";
    char *spec = read_text(name, "spec.json");
    cJSON *jobs = read_json(name, "jobs.json"), *results = read_json(name, "job_results.json");
    if (!spec || !jobs || !results) goto out;
    /* job 2 of this spec is finetune:0 of seed 13: it has every field */
    const int ft = 2, kernel = 0;
    const cJSON *base = cJSON_GetArrayItem(results, ft);
    CHECK(!strcmp(cJSON_GetObjectItem(base, "method")->valuestring, "finetune:0"));
    static const bad_case cases[] = {
        {"seed", NULL, "result.seed"},
        {"seed", "\"13\"", "result.seed"},
        {"seed", "42", "result.seed"},          /* another job's */
        {"seed", "13.5", "result.seed"},
        {"seed", "-1", "result.seed"},
        {"method", NULL, "result.method"},
        {"method", "7", "result.method"},
        {"method", "\"finetune:1\"", "result.method"},
        {"model", "[]", "result.model"},
        {"seconds", NULL, "result.seconds"},
        {"seconds", "-3", "result.seconds"},
        {"seconds", "\"fast\"", "result.seconds"},
        {"metric", "1", "result.metric"},
        {"grid", NULL, "result.grid"},
        {"grid", "[]", "result.grid"},
        {"grid", "{}", "result.grid"},
        {"grid", "[1]", "result.grid[0]"},
        {"selected", NULL, "result.selected"},
        {"selected", "[]", "result.selected"},
        {"selected.index", NULL, "result.selected.index"},
        {"selected.index", "1", "result.selected.index"},  /* a grid of one point */
        {"selected.index", "-1", "result.selected.index"},
        {"selected.index", "0.5", "result.selected.index"},
        {"selected.dev", NULL, "result.selected.dev"},
        {"selected.dev", "null", "result.selected.dev"},
        {"selected.dev", "1.5", "result.selected.dev"},
        {"selected.test", "\"0.5\"", "result.selected.test"},
        {"zero_shot", "0", "result.zero_shot"},
        {"zero_shot.test", NULL, "result.zero_shot.test"},
        {"zero_shot.dev", "-0.1", "result.zero_shot.dev"},
        {"test_predictions", "{}", "result.test_predictions"},
        {"test_predictions", "[0, 1, -1]", "result.test_predictions[2]"},
        {"test_predictions", "[0, \"1\"]", "result.test_predictions[1]"},
        {"optimizer", NULL, "result.optimizer"},
        {"optimizer", "\"rmsprop\"", "result.optimizer"},
        {"diagnostics", "[]", "result.diagnostics"},
        {"diagnostics.agreement", "5", "result.diagnostics.agreement"},
        {"diagnostics.verdict", "\"yes\"", "result.diagnostics.verdict"},
        {"diagnostics.verdict.thresholds", "[]", "result.diagnostics.verdict.thresholds"},
        {"diagnostics.verdict.thresholds.min_kernel_ft_ratio", "\"0.9\"",
         "result.diagnostics.verdict.thresholds.min_kernel_ft_ratio"},
        {"pretrain_step", "-5", "result.pretrain_step"},
        {"pretrain_tokens", "true", "result.pretrain_tokens"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[200];
        snprintf(what, sizeof what, "%s = %s", cases[i].path, cases[i].value ? cases[i].value : "(removed)");
        check_refused(spec, jobs, results, ft, mutated(base, cases[i].path, cases[i].value), cases[i].field, what);
    }
    /* a kernel job's result: no optimizer needed, a missing grid is not */
    const cJSON *kbase = cJSON_GetArrayItem(results, kernel);
    check_refused(spec, jobs, results, kernel, mutated(kbase, "grid", NULL), "result.grid", "kernel grid removed");

    /* what a worker posted that crashed the old aggregation */
    check_refused(spec, jobs, results, ft, cJSON_Parse("{\"diagnostics\": {}}"), "result.seed",
                  "{\"diagnostics\": {}}");
    check_refused(spec, jobs, results, ft, cJSON_Parse("[]"), "result", "an array");

    /* fields the aggregation does not read pass as they are, and a
     * fine-tuning result without diagnostics or predictions is still one */
    cJSON *extra = mutated(base, "anything", "{\"a\": [1, 2]}");
    cJSON_DeleteItemFromObject(extra, "diagnostics");
    cJSON_DeleteItemFromObject(extra, "test_predictions");
    char field[160];
    lm_error err;
    CHECK_MSG(lm_experiment_check_result(cJSON_GetArrayItem(jobs, ft), extra, field, sizeof field, &err) == 0,
              "%s: %s", field, err.msg);
    cJSON *all = cJSON_Duplicate(results, 1), *result = NULL;
    cJSON_ReplaceItemInArray(all, ft, extra);
    CHECK_MSG(lm_experiment_aggregate(spec, jobs, all, &result, &err) == 0, "%s", err.msg);
    cJSON_Delete(result);
    cJSON_Delete(all);

    /* a job list that does not belong to the spec */
    cJSON *other = cJSON_Duplicate(jobs, 1), *other_results = cJSON_Duplicate(results, 1);
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(other, 0), "seed", cJSON_CreateNumber(7));
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(other_results, 0), "seed", cJSON_CreateNumber(7));
    CHECK(lm_experiment_aggregate(spec, other, other_results, &result, &err) != 0);
    CHECK_MSG(strstr(err.msg, "job 0: seed 7 is not in the spec") != NULL, "%s", err.msg);
    cJSON_Delete(other);
    cJSON_Delete(other_results);
    cJSON *fewer = cJSON_Duplicate(results, 1);
    cJSON_DeleteItemFromArray(fewer, 0);
    CHECK(lm_experiment_aggregate(spec, jobs, fewer, &result, &err) != 0);
    cJSON_Delete(fewer);
out:
    free(spec);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
}

/* 3. 10,240 jobs */
static void check_large(void) {
    enum { M = 64, S = 32 };
    cJSON *real = read_json("finetune", "job_results.json");
    if (!real) return;
    char *spec = NULL;
    cJSON *jobs = NULL, *results = NULL, *result = NULL;
    CHECK(synthetic_sweep(M, S, 2, cJSON_GetArrayItem(real, 0), cJSON_GetArrayItem(real, 2), &spec, &jobs,
                          &results) == 0);
    int n = cJSON_GetArraySize(jobs);
    CHECK_MSG(n == M * S * 5, "%d jobs", n);
    lm_error err;
    double t0 = lm_now();
    int rc = lm_experiment_aggregate(spec, jobs, results, &result, &err);
    double secs = lm_now() - t0;
    CHECK_MSG(rc == 0, "%s", err.msg);
    printf("aggregated %d jobs (%d checkpoints x %d seeds x 5 methods) in %.3f s\n", n, M, S, secs);
    fflush(stdout);
    const cJSON *summary = cJSON_GetObjectItem(result, "summary"), *curve = cJSON_GetObjectItem(result, "pretraining_curve");
    CHECK(cJSON_GetArraySize(summary) == M);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(summary, 0), "summary")) == 6);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(result, "jobs")) == n);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(result, "diagnostics")) == M * S * 2);
    CHECK(cJSON_GetArraySize(curve) == M);
    const cJSON *first = cJSON_GetArrayItem(curve, 0);
    CHECK(first && !strcmp(cJSON_GetObjectItem(first, "model")->valuestring, "run/checkpoint-6400"));
    CHECK(first && cJSON_GetObjectItem(first, "pretrain_step")->valuedouble == 100);
    /* Adam's partner is the asymmetric kernel, SGD's the sgd kernel */
    const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(result, "diagnostics"), 0);
    const cJSON *km = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "diagnostics"), "agreement"), "kernel_method");
    CHECK_MSG(cJSON_IsString(km) && !strcmp(km->valuestring, "kernel:asymmetric_signgd"), "adam's partner");
    d = cJSON_GetArrayItem(cJSON_GetObjectItem(result, "diagnostics"), 1);
    km = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "diagnostics"), "agreement"), "kernel_method");
    CHECK_MSG(cJSON_IsString(km) && !strcmp(km->valuestring, "kernel:sgd"), "sgd's partner");
    cJSON_Delete(result);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    cJSON_Delete(real);
    free(spec);
}

/* 4. a sharded kernel */
static void check_sharded(void) {
    char *plain = read_text("kernels", "spec.json"), *want = read_text("kernels", "result.json");
    cJSON *jobs0 = read_json("kernels", "jobs.json"), *results0 = read_json("kernels", "job_results.json");
    if (!plain || !want || !jobs0 || !results0) goto out;
    cJSON *sj = cJSON_Parse(plain);
    cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(sj, "kernel"), "shards", 3);
    char *spec = cJSON_PrintUnformatted(sj);
    cJSON_Delete(sj);
    lm_error err;
    cJSON *jobs = NULL, *again = NULL, *results = cJSON_CreateArray(), *result = NULL;
    CHECK(lm_experiment_jobs(spec, &jobs, &err) == 0);
    /* "auto" is the daemon's number; a spec's number is kept */
    CHECK(lm_experiment_jobs_sharded(spec, 7, &again, &err) == 0 && cJSON_Compare(jobs, again, 1));
    cJSON_Delete(again);
    CHECK(lm_experiment_jobs_sharded(plain, 5, &again, &err) == 0 && cJSON_GetArraySize(again) == 4 * 6);
    cJSON_Delete(again);
    CHECK_MSG(cJSON_GetArraySize(jobs) == 4 * 4, "%d jobs", cJSON_GetArraySize(jobs));
    int j = 0;
    double tile_seconds = 0;
    const cJSON *r0 = results0->child;
    for (const cJSON *job = jobs->child; job; job = job->next, j++) {
        const cJSON *tile = cJSON_GetObjectItemCaseSensitive(job, "tile");
        const cJSON *after = cJSON_GetObjectItemCaseSensitive(job, "after");
        const char *label = cJSON_GetObjectItemCaseSensitive(job, "label")->valuestring;
        char dir[256], want_label[64];
        CHECK(lm_method_job_dir(job, dir, sizeof dir) == 0);
        int part = j % 4 + 1, seed = j < 8 ? 13 : 42;
        const char *formula = (j / 4) % 2 ? "signgd" : "sgd", *fl = (j / 4) % 2 ? "K(SignGD)" : "K(SGD)";
        char want_dir[64];
        if (part <= 3) {
            snprintf(want_label, sizeof want_label, "%s tile %d/3", fl, part);
            snprintf(want_dir, sizeof want_dir, "seed%d/kernel-%s-tile-%d", seed, formula, part);
            CHECK_MSG(cJSON_GetObjectItemCaseSensitive(tile, "part")->valuedouble == part && !after,
                      "job %d: not tile %d", j, part);
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "seed", seed);
            cJSON_AddStringToObject(r, "method", cJSON_GetObjectItemCaseSensitive(job, "method")->valuestring);
            cJSON_AddStringToObject(r, "model", "small");
            cJSON_AddNumberToObject(r, "seconds", 1.5);
            cJSON *t = cJSON_AddObjectToObject(r, "tile");
            cJSON_AddNumberToObject(t, "part", part);
            cJSON_AddNumberToObject(t, "of", 3);
            cJSON_AddItemToArray(results, r);
            tile_seconds += 1.5;
        } else {
            snprintf(want_label, sizeof want_label, "%s", fl);
            snprintf(want_dir, sizeof want_dir, "seed%d/kernel-%s", seed, formula);
            CHECK_MSG(!tile && cJSON_GetArraySize(after) == 3 && cJSON_GetArrayItem(after, 0)->valuedouble == j - 3 &&
                      cJSON_GetArrayItem(after, 2)->valuedouble == j - 1 &&
                      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(job, "merge"), "tiles")
                              ->valuedouble == 3,
                      "job %d: not the merge of jobs %d-%d", j, j - 3, j - 1);
            cJSON_AddItemToArray(results, cJSON_Duplicate(r0, 1));
            r0 = r0 ? r0->next : NULL;
        }
        CHECK_MSG(!strcmp(label, want_label), "job %d: label %s, want %s", j, label, want_label);
        CHECK_MSG(!strcmp(dir, want_dir), "job %d: folder %s, want %s", j, dir, want_dir);
        char field[160];
        CHECK_MSG(lm_experiment_check_result(job, cJSON_GetArrayItem(results, j), field, sizeof field, &err) == 0,
                  "job %d refused: %s: %s", j, field, err.msg);
    }
    CHECK_MSG(lm_experiment_aggregate(spec, jobs, results, &result, &err) == 0, "%s", err.msg);
    cJSON *w = cJSON_Parse(want);
    if (result && w) {
        double cs = cJSON_GetObjectItemCaseSensitive(result, "compute_seconds")->valuedouble;
        double ws = cJSON_GetObjectItemCaseSensitive(w, "compute_seconds")->valuedouble;
        CHECK_MSG(cs == ws + tile_seconds, "compute_seconds %g, want %g + %g", cs, ws, tile_seconds);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(result, "spec"), "kernel");
        CHECK(cJSON_GetObjectItemCaseSensitive(k, "shards")->valuedouble == 3);
        for (cJSON *o = result; o; o = o == result ? w : NULL) {
            cJSON_DeleteItemFromObjectCaseSensitive(o, "compute_seconds");
            cJSON_DeleteItemFromObjectCaseSensitive(o, "spec");
        }
        CHECK_MSG(cJSON_Compare(result, w, 1), "the sharded result.json differs from the unsharded one");
    }
    cJSON_Delete(w);
    /* tile results that are not this tile's */
    const cJSON *tile_res = cJSON_GetArrayItem(results, 1);
    static const bad_case bad[] = {
        {"tile", NULL, "result.tile"},
        {"tile.part", "3", "result.tile"},
        {"tile.of", "4", "result.tile"},
        {"tile.part", "\"2\"", "result.tile.part"},
        {"tile", "[]", "result.tile"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "tile result with %s = %s", bad[i].path, bad[i].value ? bad[i].value : "(none)");
        check_refused(spec, jobs, results, 1, mutated(tile_res, bad[i].path, bad[i].value), bad[i].field, what);
    }
    cJSON_Delete(result);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    free(spec);
out:
    free(plain);
    free(want);
    cJSON_Delete(jobs0);
    cJSON_Delete(results0);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_aggregate FIXTURES_DIR\n");
        return 2;
    }
    fixtures = argv[1];
    check_fixture("kernels");
    check_fixture("finetune");
    check_fixture("sweep");
    check_malformed();
    check_large();
    check_sharded();
    return check_exit("experiment_aggregate");
}
