/* test_methods.c - lm_method_labels (common/experiment/methods.c): the display
 * names that the CLI prints and the dashboard shows, for every kind of
 * method a spec can hold. */
#include <stdlib.h>
#include <string.h>
#include "../check.h"
#include "experiment/methods.h"

/* Checks that the labels of spec are exactly the "method=label" pairs. */
static void expect(const char *spec, const char *const *pairs) {
    cJSON *labels = NULL;
    lm_error err;
    int rc = lm_method_labels(spec, &labels, &err);
    CHECK_MSG(rc == 0, "%s: %s", spec, err.msg);
    if (rc) return;
    int n = 0;
    for (; pairs[n]; n++) {
        const char *eq = strchr(pairs[n], '=');
        char method[64];
        snprintf(method, sizeof method, "%.*s", (int)(eq - pairs[n]), pairs[n]);
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(labels, method);
        CHECK_MSG(cJSON_IsString(l) && !strcmp(l->valuestring, eq + 1), "%s: '%s' is '%s', expected '%s'", spec,
                  method, cJSON_IsString(l) ? l->valuestring : "(none)", eq + 1);
    }
    CHECK_MSG(cJSON_GetArraySize(labels) == n, "%s: %d labels, expected %d", spec, cJSON_GetArraySize(labels), n);
    cJSON_Delete(labels);
}

int main(void) {
    /* every formula, the best of them, every optimizer and parameter subset;
     * twins are numbered by their place in spec.finetune */
    expect("{\"task\": \"SST-2\", \"data\": \"d\", \"kernel\": {\"formula\": [\"sgd\", \"signgd\", \"asymmetric_signgd\"]},"
           " \"finetune\": [{\"lr\": 1e-5}, {\"optimizer\": \"sgd\", \"lr\": 1e-3}, {\"optimizer\": \"sgd\", \"lr\": 1e-2},"
           " {\"optimizer\": \"signgd\", \"lr\": 1e-4, \"linearized\": true, \"params\": \"lora\"},"
           " {\"lr\": 1e-3, \"params\": \"biases\"}, {\"lr\": 1e-3, \"params\": \"no_head\"}, {\"lr\": 1e-3, \"lora\": {}}]}",
           (const char *const[]){"kernel:sgd=K(SGD)", "kernel:signgd=K(SignGD)", "kernel:asymmetric_signgd=K(A-SignGD)",
                                  "kernel=Best kernel (dev)", "finetune:0=Adam-FT", "finetune:1=SGD-FT #2",
                                  "finetune:2=SGD-FT #3", "finetune:3=Lin. SignGD-FT (LoRA)", "finetune:4=Adam-FT (BitFit)",
                                  "finetune:5=Adam-FT (no_head)", "finetune:6=Adam-FT (LoRA)", "zero-shot=Zero-shot f0", NULL});
    /* one formula: no best-of row */
    expect("{\"task\": \"SST-2\", \"data\": \"d\"}",
           (const char *const[]){"kernel:sgd=K(SGD)", "zero-shot=Zero-shot f0", NULL});
    /* fine-tuning only: no kernel methods */
    expect("{\"task\": \"SST-2\", \"data\": \"d\", \"finetune\": [{\"optimizer\": \"sgd\", \"lr\": 1e-3}]}",
           (const char *const[]){"finetune:0=SGD-FT", "zero-shot=Zero-shot f0", NULL});
    expect("{\"pretrain\": {\"tokenizer\": \"t\", \"corpus\": [\"c.txt\"], \"out\": \"o\"}}",
           (const char *const[]){"pretrain=Pre-training", NULL});

    cJSON *labels = NULL;
    lm_error err;
    CHECK(lm_method_labels("{\"task\": 7}", &labels, &err) != 0 && labels == NULL);
    CHECK_MSG(strstr(err.msg, "task") != NULL, "the error names the field: %s", err.msg);
    return check_exit("test_methods");
}
