/* kernel_fx.h - the engine fixtures (tests/fixtures/model: a tiny model,
 * its examples, and the per-example gradients torch autograd computed) as
 * the kernel tests use them. */
#ifndef LM_TESTS_KERNEL_FX_H
#define LM_TESTS_KERNEL_FX_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "util/file.h"

typedef struct fixture {
    lm_model m;
    int cls;            /* no-prompt: classifier head on <s> */
    cJSON *exp;
    float *blob;
    int n, K;
    int32_t vocab[8];
    lm_encoded_example ex[16];
} fixture;

static inline int load(const char *dir, fixture *fx) {
    lm_error err;
    memset(fx, 0, sizeof *fx);
    char *p = lm_path_join(dir, "expected.json");
    char *js = lm_read_file(p, NULL, &err);
    fx->exp = cJSON_Parse(js);
    free(js);
    free(p);
    const cJSON *hd = cJSON_GetObjectItem(fx->exp, "head");
    fx->cls = cJSON_IsString(hd) && strcmp(hd->valuestring, "classifier") == 0;
    int n_cls = fx->cls ? cJSON_GetArraySize(cJSON_GetObjectItem(
                              cJSON_GetArrayItem(cJSON_GetObjectItem(fx->exp, "examples"), 0), "logits"))
                        : 0;
    lm_load_options lo = {.n_classes = n_cls};
    if (lm_model_load(dir, &lo, &fx->m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    p = lm_path_join(dir, "expected.bin");
    fx->blob = (float *)lm_read_file(p, NULL, &err);
    free(p);
    const cJSON *lw = cJSON_GetObjectItem(fx->exp, "label_words");
    fx->K = fx->cls ? n_cls : cJSON_GetArraySize(lw);
    for (int j = 0; j < fx->K && !fx->cls; j++) fx->vocab[j] = cJSON_GetArrayItem(lw, j)->valueint;
    const cJSON *exs = cJSON_GetObjectItem(fx->exp, "examples");
    fx->n = cJSON_GetArraySize(exs);
    for (int s = 0; s < fx->n; s++) {
        const cJSON *e = cJSON_GetArrayItem(exs, s);
        const cJSON *ids = cJSON_GetObjectItem(e, "ids"), *ty = cJSON_GetObjectItem(e, "types");
        lm_encoded_example *x = &fx->ex[s];
        x->n_tokens = cJSON_GetArraySize(ids);
        x->ids = lm_xmalloc((size_t)x->n_tokens * sizeof(int32_t));
        x->type_ids = lm_xmalloc((size_t)x->n_tokens * sizeof(int32_t));
        for (int i = 0; i < x->n_tokens; i++) {
            x->ids[i] = cJSON_GetArrayItem(ids, i)->valueint;
            x->type_ids[i] = cJSON_GetArrayItem(ty, i)->valueint;
        }
        x->mask_pos = fx->cls ? -1 : cJSON_GetObjectItem(e, "mask_pos")->valueint;
        x->label = s % fx->K;
    }
    return 0;
}

static inline void unload(fixture *fx) {
    for (int s = 0; s < fx->n; s++) {
        free(fx->ex[s].ids);
        free(fx->ex[s].type_ids);
    }
    cJSON_Delete(fx->exp);
    free(fx->blob);
    lm_model_free(&fx->m);
}

static inline lm_output_spec out_spec(const fixture *fx) {
    lm_output_spec os = {.head = fx->cls ? LM_HEAD_CLASSIFIER : LM_HEAD_MLM, .n_out = fx->K,
                         .vocab = fx->cls ? NULL : fx->vocab};
    return os;
}

#endif
