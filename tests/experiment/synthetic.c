/* synthetic.c - a large checkpoint sweep of real-looking results (see .h). */
#include "synthetic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"

static char *sweep_spec(int checkpoints, int seeds, int n_finetune) {
    cJSON *o = cJSON_CreateObject(), *ck = cJSON_AddArrayToObject(o, "checkpoints");
    cJSON *sd = cJSON_AddArrayToObject(o, "seeds");
    for (int m = 0; m < checkpoints; m++) {
        char name[32];
        snprintf(name, sizeof name, "run/checkpoint-%d", (checkpoints - m) * 100);
        cJSON_AddItemToArray(ck, cJSON_CreateString(name));
    }
    for (int s = 0; s < seeds; s++) cJSON_AddItemToArray(sd, cJSON_CreateNumber(s + 1));
    cJSON_AddStringToObject(o, "task", "SST-2");
    cJSON_AddStringToObject(o, "data", "SST-2");
    cJSON_AddBoolToObject(o, "binary", 1);
    cJSON *formulas = cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "kernel"), "formula");
    for (int f = LM_KF_FIRST; f <= LM_KF_LAST; f++)
        cJSON_AddItemToArray(formulas, cJSON_CreateString(lm_kernel_formula_name((lm_kernel_formula)f)));
    cJSON *ft = cJSON_AddArrayToObject(o, "finetune");
    for (int i = 0; i < n_finetune; i++) {
        char method[96];
        snprintf(method, sizeof method, "{\"optimizer\": \"%s\", \"lr\": [%g]}", i ? "sgd" : "adam", 1e-5 * (i + 1));
        cJSON_AddItemToArray(ft, cJSON_Parse(method));
    }
    cJSON_AddObjectToObject(o, "diagnostics");
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

int synthetic_sweep(int checkpoints, int seeds, int n_finetune, const cJSON *kernel_result,
                    const cJSON *finetune_result, char **spec, cJSON **jobs, cJSON **results) {
    lm_error err;
    *spec = sweep_spec(checkpoints, seeds, n_finetune);
    *results = cJSON_CreateArray();
    if (lm_experiment_jobs(*spec, jobs, &err)) {
        fprintf(stderr, "synthetic sweep: %s\n", err.msg);
        return -1;
    }
    int j = 0, per_checkpoint = seeds * (3 + n_finetune);
    for (const cJSON *job = (*jobs)->child; job; job = job->next, j++) {
        const char *method = cJSON_GetObjectItem(job, "method")->valuestring;
        int kernel = !strncmp(method, "kernel:", 7);
        cJSON *r = cJSON_Duplicate(kernel ? kernel_result : finetune_result, 1);
        cJSON_ReplaceItemInObject(r, "seed", cJSON_Duplicate(cJSON_GetObjectItem(job, "seed"), 1));
        cJSON_ReplaceItemInObject(r, "method", cJSON_CreateString(method));
        cJSON_ReplaceItemInObject(r, "model", cJSON_Duplicate(cJSON_GetObjectItem(job, "model"), 1));
        if (!kernel)
            cJSON_ReplaceItemInObject(r, "optimizer", cJSON_CreateString(strcmp(method, "finetune:0") ? "sgd" : "adam"));
        cJSON_AddNumberToObject(r, "pretrain_step", (j / per_checkpoint + 1) * 100.0);
        cJSON_ReplaceItemInObject(cJSON_GetObjectItem(r, "selected"), "dev", cJSON_CreateNumber((j % 7) / 7.0));
        cJSON_AddItemToArray(*results, r);
    }
    return 0;
}
