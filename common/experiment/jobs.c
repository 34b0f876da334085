/* jobs.c - a spec expanded into its jobs (a sharded kernel into its tile
 * jobs and their merge job), and the method names of jobs. */
#include "experiment/experiment.h"
#include "experiment/methods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lm_experiment_spec(const char *spec_json, lm_spec *spec, lm_error *err) {
    char field[256] = "";
    if (lm_spec_parse(spec_json, strlen(spec_json), spec, field, sizeof field, err)) {
        if (field[0]) lm_fail_prefix(err, "%s", field);
        return -1;
    }
    return 0;
}

static int n_kernel_methods(const lm_spec *spec) {
    return spec->has_kernel ? spec->kernel.n_formulas : 0;
}

int lm_experiment_n_methods(const lm_spec *spec) {
    return spec->is_pretrain ? 0 : n_kernel_methods(spec) + spec->n_finetune;
}

int lm_experiment_slot_is_kernel(const lm_spec *spec, int slot) {
    return slot >= 0 && slot < n_kernel_methods(spec);
}

void lm_experiment_method_name(const lm_spec *spec, int slot, char *buf, size_t cap) {
    int n_k = n_kernel_methods(spec);
    if (slot < n_k) snprintf(buf, cap, "kernel:%s", lm_kernel_formula_name(spec->kernel.formulas[slot]));
    else snprintf(buf, cap, "finetune:%d", slot - n_k);
}

int lm_experiment_method_slot(const lm_spec *spec, const char *method) {
    int n_k = n_kernel_methods(spec);
    if (!strncmp(method, "kernel:", 7)) {
        for (int i = 0; i < n_k; i++)
            if (!strcmp(method + 7, lm_kernel_formula_name(spec->kernel.formulas[i]))) return i;
        return -1;
    }
    if (!strncmp(method, "finetune:", 9)) {
        /* the index as lm_experiment_method_name writes it, nothing else */
        const char *d = method + 9;
        char *end;
        long i = strtol(d, &end, 10);
        if (*d < '0' || *d > '9' || *end || (d[0] == '0' && d[1]) || i >= spec->n_finetune) return -1;
        return n_k + (int)i;
    }
    return -1;
}

int lm_experiment_kernel_shards(const lm_spec *spec, int auto_shards) {
    if (spec->kernel.shards > 0) return spec->kernel.shards;
    /* a projection sketches whole gradients: it has no tiles */
    if (spec->kernel.projection_dim > 0 || auto_shards < 1) return 1;
    return auto_shards;
}

/* One job object: {"seed", "method", "label"[, "model"]}. */
static cJSON *new_job(const lm_spec *spec, uint32_t seed, const char *method, const char *label, int m) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", seed);
    cJSON_AddStringToObject(j, "method", method);
    cJSON_AddStringToObject(j, "label", label);
    if (spec->n_checkpoints) cJSON_AddStringToObject(j, "model", spec->checkpoints[m]);
    return j;
}

/* A kernel of one seed in n tiles: the tile jobs, then the merge job that
 * is after all of them (its "after" holds their indices in the list). */
static void add_sharded(cJSON *arr, const lm_spec *spec, uint32_t seed, const char *method, const char *label,
                        int m, int n) {
    int first = cJSON_GetArraySize(arr);
    for (int p = 1; p <= n; p++) {
        char tl[LM_METHOD_LABEL_MAX];
        lm_method_tile_label(label, p, n, tl);
        cJSON *j = new_job(spec, seed, method, tl, m);
        cJSON *t = cJSON_AddObjectToObject(j, "tile");
        cJSON_AddNumberToObject(t, "part", p);
        cJSON_AddNumberToObject(t, "of", n);
        cJSON_AddItemToArray(arr, j);
    }
    cJSON *merge = new_job(spec, seed, method, label, m);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(merge, "merge"), "tiles", n);
    cJSON *after = cJSON_AddArrayToObject(merge, "after");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(after, cJSON_CreateNumber(first + i));
    cJSON_AddItemToArray(arr, merge);
}

int lm_experiment_jobs_sharded(const char *spec_json, int auto_shards, cJSON **jobs, lm_error *err) {
    lm_spec spec;
    *jobs = NULL;
    if (lm_experiment_spec(spec_json, &spec, err)) {
        lm_spec_free(&spec);
        return -1;
    }
    cJSON *arr = cJSON_CreateArray();
    if (spec.is_pretrain) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "seed", spec.pretrain.seed);
        cJSON_AddStringToObject(j, "method", "pretrain");
        cJSON_AddStringToObject(j, "label", "Pre-training");
        cJSON_AddItemToArray(arr, j);
    }
    int n_models = spec.is_pretrain ? 0 : spec.n_checkpoints ? spec.n_checkpoints : 1;
    int n_methods = lm_experiment_n_methods(&spec);
    int shards = spec.has_kernel ? lm_experiment_kernel_shards(&spec, auto_shards) : 1;
    for (int m = 0; m < n_models; m++)
        for (int s = 0; s < spec.n_seeds; s++)
            for (int i = 0; i < n_methods; i++) {
                char method[64], label[LM_METHOD_LABEL_MAX];
                lm_experiment_method_name(&spec, i, method, sizeof method);
                lm_method_label(&spec, method, label);
                if (shards > 1 && lm_experiment_slot_is_kernel(&spec, i))
                    add_sharded(arr, &spec, spec.seeds[s], method, label, m, shards);
                else
                    cJSON_AddItemToArray(arr, new_job(&spec, spec.seeds[s], method, label, m));
            }
    lm_spec_free(&spec);
    *jobs = arr;
    return 0;
}

int lm_experiment_jobs(const char *spec_json, cJSON **jobs, lm_error *err) {
    return lm_experiment_jobs_sharded(spec_json, 1, jobs, err);
}
