/* summary.c - the result table of an experiment: one row per method with
 * dev and test mean (population std) over seeds, and the zero-shot row;
 * shared by `lmntk run` and `lmntk results --table`. */
#include "summary.h"

#include <stdio.h>

void cli_print_summary(const cJSON *result, const char *where) {
    const cJSON *summary = cJSON_GetObjectItem(result, "summary");
    const cJSON *metric = cJSON_GetObjectItem(result, "metric");
    printf("%-28s %16s %16s\n", "method", "dev", "test");
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
            printf("%-28s %7.1f (%5.1f) %9.1f (%5.1f)\n", cJSON_GetObjectItem(one, "method")->valuestring,
                   100 * cJSON_GetObjectItem(d, "mean")->valuedouble, 100 * cJSON_GetObjectItem(d, "std")->valuedouble,
                   100 * cJSON_GetObjectItem(t, "mean")->valuedouble, 100 * cJSON_GetObjectItem(t, "std")->valuedouble);
            const cJSON *z = cJSON_GetObjectItem(one, "zero_shot_test");
            if (z)
                printf("%-28s %16s %9.1f (%5.1f)\n", "  zero-shot f0", "",
                       100 * cJSON_GetObjectItem(z, "mean")->valuedouble, 100 * cJSON_GetObjectItem(z, "std")->valuedouble);
        }
        cJSON_Delete(single);
    }
    printf("metric: %s x 100, mean (population std) over seeds%s%s%s\n",
           cJSON_IsString(metric) ? metric->valuestring : "acc", where ? "; result: " : "",
           where ? where : "", where ? "/result.json" : "");
}
