/* methods.c - labels, slugs and artifact folders of methods (methods.h). */
#include "run/methods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

static const char *formula_label(const char *f) {
    if (!strcmp(f, "sgd")) return "K(SGD)";
    if (!strcmp(f, "signgd")) return "K(SignGD)";
    if (!strcmp(f, "asymmetric_signgd")) return "K(A-SignGD)";
    return NULL;
}

static const char *optimizer_label(lm_spec_optimizer o) {
    return o == LM_SPEC_OPT_SGD ? "SGD" : o == LM_SPEC_OPT_SIGNGD ? "SignGD" : "Adam";
}

/* "Adam-FT", "Lin. SGD-FT (LoRA)", "SGD-FT (BitFit) #2": the optimizer, the
 * linearization and the parameter set; a number only when two methods
 * would otherwise read the same. */
static void finetune_label(const lm_spec *spec, int i, char *out, size_t cap) {
    const lm_spec_finetune *f = &spec->finetune[i];
    char params[40] = "";
    if (f->params == LM_SPEC_PARAMS_LORA) snprintf(params, sizeof params, " (LoRA)");
    else if (f->params == LM_SPEC_PARAMS_BIASES) snprintf(params, sizeof params, " (BitFit)");
    else if (f->params != LM_SPEC_PARAMS_ALL) snprintf(params, sizeof params, " (%s)", lm_spec_params_name(f->params));
    int same = 0;
    for (int k = 0; k < spec->n_finetune; k++) {
        const lm_spec_finetune *g = &spec->finetune[k];
        same += g->optimizer == f->optimizer && g->linearized == f->linearized && g->params == f->params;
    }
    char number[16] = "";
    if (same > 1) snprintf(number, sizeof number, " #%d", i + 1);
    snprintf(out, cap, "%s%s-FT%s%s", f->linearized ? "Lin. " : "", optimizer_label(f->optimizer), params,
             number);
}

void lm_run_method_label(const lm_spec *spec, const char *method, char out[LM_RUN_LABEL_MAX]) {
    snprintf(out, LM_RUN_LABEL_MAX, "%s", method);
    if (!strcmp(method, "kernel")) {
        snprintf(out, LM_RUN_LABEL_MAX, "Best kernel (dev)");
    } else if (!strcmp(method, "pretrain")) {
        snprintf(out, LM_RUN_LABEL_MAX, "Pre-training");
    } else if (!strncmp(method, "kernel:", 7)) {
        const char *l = formula_label(method + 7);
        if (l) snprintf(out, LM_RUN_LABEL_MAX, "%s", l);
    } else if (!strncmp(method, "finetune:", 9) && spec) {
        char *end;
        long i = strtol(method + 9, &end, 10);
        if (end != method + 9 && !*end && i >= 0 && i < spec->n_finetune)
            finetune_label(spec, (int)i, out, LM_RUN_LABEL_MAX);
    }
}

void lm_run_method_slug(const char *method, char *out, size_t cap) {
    snprintf(out, cap, "%s", method);
    for (char *c = out; *c; c++)
        if (*c == ':') *c = '-';
}

/* A sweep's model as a relative folder: its name ("run/checkpoint-500"), or
 * for a path (`lmntk run` takes those) its last component, with the run's
 * folder before a checkpoint-N. */
static void model_folder(const char *model, char *out, size_t cap) {
    if (lm_model_name_ok(model)) {
        snprintf(out, cap, "%s", model);
        return;
    }
    /* [b, e): the last component; with a checkpoint, from the one before */
    size_t e = strlen(model);
    while (e > 1 && model[e - 1] == '/') e--;
    size_t b = e;
    while (b > 0 && model[b - 1] != '/') b--;
    if (lm_checkpoint_name_step(model) >= 0) {
        size_t pe = b;
        while (pe > 0 && model[pe - 1] == '/') pe--;
        if (pe > 0) {
            b = pe;
            while (b > 0 && model[b - 1] != '/') b--;
        }
    }
    snprintf(out, cap, "%.*s", (int)(e - b), model + b);
    if (!lm_model_name_ok(out)) snprintf(out, cap, "model");
}

int lm_run_job_dir(const cJSON *job, char *out, size_t cap) {
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(job, "seed");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(job, "method");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(job, "model");
    if (!cJSON_IsNumber(seed) || !cJSON_IsString(method)) return -1;
    char slug[64], folder[256] = "";
    lm_run_method_slug(method->valuestring, slug, sizeof slug);
    if (cJSON_IsString(model)) model_folder(model->valuestring, folder, sizeof folder);
    int n = snprintf(out, cap, "%s%sseed%.0f/%s", folder, folder[0] ? "/" : "", seed->valuedouble, slug);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
