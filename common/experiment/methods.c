/* methods.c - labels, slugs and artifact folders of methods (methods.h). */
#include "experiment/methods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"
#include "util/file.h"

/* "Adam-FT", "Lin. SGD-FT (LoRA)", "SGD-FT (BitFit) #2": the optimizer, the
 * linearization and the parameter set; a number only when two methods
 * would otherwise read the same. */
static void finetune_base(const lm_finetune_config *f, char *out, size_t cap) {
    char params[40] = "";
    if (f->params == LM_PS_LORA) snprintf(params, sizeof params, " (LoRA)");
    else if (f->params == LM_PS_BIASES) snprintf(params, sizeof params, " (BitFit)");
    else if (f->params != LM_PS_ALL) snprintf(params, sizeof params, " (%s)", lm_param_set_name(f->params));
    snprintf(out, cap, "%s%s-FT%s", f->linearized ? "Lin. " : "", lm_opt_label(f->optimizer), params);
}

static void finetune_label(const lm_spec *spec, int i, char *out, size_t cap) {
    char mine[LM_METHOD_LABEL_MAX], other[LM_METHOD_LABEL_MAX];
    finetune_base(&spec->finetune[i], mine, sizeof mine);
    int twins = 0;
    for (int k = 0; k < spec->n_finetune; k++) {
        finetune_base(&spec->finetune[k], other, sizeof other);
        twins += !strcmp(mine, other);
    }
    if (twins > 1) snprintf(out, cap, "%.50s #%d", mine, i + 1);
    else snprintf(out, cap, "%s", mine);
}

void lm_method_label(const lm_spec *spec, const char *method, char out[LM_METHOD_LABEL_MAX]) {
    snprintf(out, LM_METHOD_LABEL_MAX, "%s", method);
    if (!strcmp(method, "kernel")) {
        snprintf(out, LM_METHOD_LABEL_MAX, "Best kernel (dev)");
    } else if (!strcmp(method, "pretrain")) {
        snprintf(out, LM_METHOD_LABEL_MAX, "Pre-training");
    } else if (!strcmp(method, "zero-shot")) {
        snprintf(out, LM_METHOD_LABEL_MAX, "Zero-shot f0");
    } else if (!strncmp(method, "kernel:", 7)) {
        int f = lm_kernel_formula_parse(method + 7);
        if (f >= 0) snprintf(out, LM_METHOD_LABEL_MAX, "%s", lm_kernel_formula_label((lm_kernel_formula)f));
    } else if (!strncmp(method, "finetune:", 9) && spec) {
        char *end;
        long i = strtol(method + 9, &end, 10);
        if (end != method + 9 && !*end && i >= 0 && i < spec->n_finetune)
            finetune_label(spec, (int)i, out, LM_METHOD_LABEL_MAX);
    }
}

void lm_method_tile_label(const char *label, int part, int of, char out[LM_METHOD_LABEL_MAX]) {
    snprintf(out, LM_METHOD_LABEL_MAX, "%.40s tile %d/%d", label, part, of);
}

int lm_method_labels(const char *spec_json, cJSON **labels, lm_error *err) {
    *labels = NULL;
    lm_spec spec;
    if (lm_experiment_spec(spec_json, &spec, err)) {
        lm_spec_free(&spec);
        return -1;
    }
    cJSON *o = cJSON_CreateObject();
    char method[64], label[LM_METHOD_LABEL_MAX];
    if (spec.is_pretrain) cJSON_AddStringToObject(o, "pretrain", "Pre-training");
    int n = lm_experiment_n_methods(&spec), n_kernel = 0;
    for (int k = 0; k < n; k++) {
        lm_experiment_method_name(&spec, k, method, sizeof method);
        lm_method_label(&spec, method, label);
        cJSON_AddStringToObject(o, method, label);
        n_kernel += lm_experiment_slot_is_kernel(&spec, k);
    }
    if (n_kernel > 1) cJSON_AddStringToObject(o, "kernel", "Best kernel (dev)");
    if (!spec.is_pretrain) cJSON_AddStringToObject(o, "zero-shot", "Zero-shot f0");
    lm_spec_free(&spec);
    *labels = o;
    return 0;
}

void lm_method_slug(const char *method, char *out, size_t cap) {
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

int lm_method_job_dir(const cJSON *job, char *out, size_t cap) {
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(job, "seed");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(job, "method");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(job, "model");
    if (!cJSON_IsNumber(seed) || !cJSON_IsString(method)) return -1;
    char slug[80], folder[256] = "";
    lm_method_slug(method->valuestring, slug, sizeof slug);
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(job, "tile"), "part");
    if (cJSON_IsNumber(part)) snprintf(slug + strlen(slug), sizeof slug - strlen(slug), "-tile-%.0f", part->valuedouble);
    if (cJSON_IsString(model)) model_folder(model->valuestring, folder, sizeof folder);
    int n = snprintf(out, cap, "%s%sseed%.0f/%s", folder, folder[0] ? "/" : "", seed->valuedouble, slug);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
