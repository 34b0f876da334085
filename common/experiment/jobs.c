/* jobs.c - a spec expanded into its jobs, and the method names of jobs. */
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

int lm_experiment_jobs(const char *spec_json, cJSON **jobs, lm_error *err) {
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
    for (int m = 0; m < n_models; m++)
        for (int s = 0; s < spec.n_seeds; s++)
            for (int i = 0; i < n_methods; i++) {
                char method[64];
                lm_experiment_method_name(&spec, i, method, sizeof method);
                cJSON *j = cJSON_CreateObject();
                cJSON_AddNumberToObject(j, "seed", spec.seeds[s]);
                cJSON_AddStringToObject(j, "method", method);
                char label[LM_METHOD_LABEL_MAX];
                lm_method_label(&spec, method, label);
                cJSON_AddStringToObject(j, "label", label);
                if (spec.n_checkpoints) cJSON_AddStringToObject(j, "model", spec.checkpoints[m]);
                cJSON_AddItemToArray(arr, j);
            }
    lm_spec_free(&spec);
    *jobs = arr;
    return 0;
}
