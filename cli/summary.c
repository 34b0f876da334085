/* summary.c - the result table of an experiment: one row per method with
 * dev and test mean (population std) over seeds, and the zero-shot row;
 * shared by `lmntk run` and `lmntk results --table`. */
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/run.h"

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* A pre-training experiment: its size, speed, loss and checkpoints. */
static void print_pretrain(const cJSON *p, const char *where) {
    const cJSON *out = cJSON_GetObjectItem(p, "out"), *cps = cJSON_GetObjectItem(p, "checkpoints");
    printf("pre-trained %s: %.0f steps, %.3g M parameters, %.4g M tokens, final loss %.4f, "
           "%.0f tokens/s, %.0f s\n", cJSON_IsString(out) ? out->valuestring : "?", num(p, "final_step"),
           num(p, "parameters") / 1e6, num(p, "tokens") / 1e6, num(p, "final_loss"), num(p, "tokens_per_s"),
           num(p, "seconds"));
    printf("checkpoints (models for \"model\" or \"checkpoints\"):\n");
    const cJSON *c;
    cJSON_ArrayForEach(c, cps) printf("  %-8.0f %s\n", num(c, "step"), cJSON_GetObjectItem(c, "model")->valuestring);
    if (where) printf("result: %s/result.json\n", where);
}

void cli_print_summary(const cJSON *result, const char *where) {
    const cJSON *kind = cJSON_GetObjectItem(result, "kind");
    if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "pretrain")) {
        print_pretrain(cJSON_GetObjectItem(result, "pretrain"), where);
        return;
    }
    const cJSON *summary = cJSON_GetObjectItem(result, "summary");
    const cJSON *metric = cJSON_GetObjectItem(result, "metric");
    printf("%-16s %-24s %16s %16s\n", "method", "", "dev", "test");
    const cJSON *row;
    cJSON_ArrayForEach(row, summary) {
        const cJSON *rows = cJSON_GetObjectItem(row, "summary");
        const cJSON *one;
        if (!rows) rows = NULL;
        cJSON *single = NULL;
        if (!rows) {
            single = cJSON_CreateArray();
            cJSON_AddItemReferenceToArray(single, (cJSON *)row);
            rows = single;
        } else {
            printf("model %s\n", cJSON_GetObjectItem(row, "model")->valuestring);
        }
        cJSON_ArrayForEach(one, rows) {
            const cJSON *d = cJSON_GetObjectItem(one, "dev"), *t = cJSON_GetObjectItem(one, "test");
            const cJSON *label = cJSON_GetObjectItem(one, "label");
            printf("%-16s %-24s %7.1f (%5.1f) %9.1f (%5.1f)\n", cJSON_GetObjectItem(one, "method")->valuestring,
                   cJSON_IsString(label) ? label->valuestring : "",
                   100 * cJSON_GetObjectItem(d, "mean")->valuedouble, 100 * cJSON_GetObjectItem(d, "std")->valuedouble,
                   100 * cJSON_GetObjectItem(t, "mean")->valuedouble, 100 * cJSON_GetObjectItem(t, "std")->valuedouble);
            const cJSON *z = cJSON_GetObjectItem(one, "zero_shot_test");
            if (z)
                printf("%-16s %-24s %16s %9.1f (%5.1f)\n", "  zero-shot", "Zero-shot f0", "",
                       100 * cJSON_GetObjectItem(z, "mean")->valuedouble, 100 * cJSON_GetObjectItem(z, "std")->valuedouble);
        }
        cJSON_Delete(single);
    }
    printf("metric: %s x 100, mean (population std) over seeds%s%s%s\n",
           cJSON_IsString(metric) ? metric->valuestring : "acc", where ? "; result: " : "",
           where ? where : "", where ? "/result.json" : "");
}
