/* methods.c - the display names of methods, as the paper writes them: the
 * one set that `lmntk run`/`lmntk results --table` print and that the
 * dashboard shows (GET /v1/experiments/{id} serves them as method_labels).
 *
 *   kernel:sgd -> K(SGD), kernel:signgd -> K(SignGD),
 *   kernel:asymmetric_signgd -> K(A-SignGD), kernel -> Best kernel (dev)
 *   finetune:<i> -> from spec.finetune[i]: <Adam|SGD|SignGD>-FT, with
 *     "Lin. " before when linearized, " (LoRA)", " (BitFit)" or
 *     " (<params>)" after for a parameter subset, and " #<i+1>" when
 *     another entry would get the same name
 *   zero-shot -> Zero-shot f0, pretrain -> Pre-training */
#include "run/run.h"

#include <stdio.h>
#include <string.h>
#include "spec/spec.h"

static const char *formula_label(lm_spec_formula f) {
    switch (f) {
    case LM_SPEC_FORMULA_SGD: return "K(SGD)";
    case LM_SPEC_FORMULA_SIGNGD: return "K(SignGD)";
    case LM_SPEC_FORMULA_ASYM_SIGNGD: return "K(A-SignGD)";
    }
    return "K(?)";
}

static const char *optimizer_label(lm_spec_optimizer o) {
    switch (o) {
    case LM_SPEC_OPT_ADAM: return "Adam";
    case LM_SPEC_OPT_SGD: return "SGD";
    case LM_SPEC_OPT_SIGNGD: return "SignGD";
    }
    return "?";
}

/* The name of spec.finetune[i] before any "#n" that tells twins apart. */
static void finetune_base(const lm_spec_finetune *f, char *out, size_t cap) {
    const char *subset = "";
    char other[64] = "";
    switch (f->params) {
    case LM_SPEC_PARAMS_ALL: break;
    case LM_SPEC_PARAMS_LORA: subset = " (LoRA)"; break;
    case LM_SPEC_PARAMS_BIASES: subset = " (BitFit)"; break;
    default:
        snprintf(other, sizeof other, " (%s)", lm_spec_params_name(f->params));
        subset = other;
    }
    snprintf(out, cap, "%s%s-FT%s", f->linearized ? "Lin. " : "", optimizer_label(f->optimizer), subset);
}

static void finetune_label(const lm_spec *spec, int i, char *out, size_t cap) {
    char mine[96], other[96];
    finetune_base(&spec->finetune[i], mine, sizeof mine);
    int twins = 0;
    for (int j = 0; j < spec->n_finetune; j++) {
        finetune_base(&spec->finetune[j], other, sizeof other);
        twins += !strcmp(mine, other);
    }
    if (twins > 1) snprintf(out, cap, "%s #%d", mine, i + 1);
    else snprintf(out, cap, "%s", mine);
}

int lm_run_method_labels(const char *spec_json, cJSON **labels, lm_error *err) {
    *labels = NULL;
    lm_spec spec;
    char field[256] = "";
    if (lm_spec_parse(spec_json, strlen(spec_json), &spec, field, sizeof field, err)) {
        if (field[0]) lm_fail_prefix(err, "%s", field);
        lm_spec_free(&spec);
        return -1;
    }
    cJSON *o = cJSON_CreateObject();
    char method[64], label[128];
    if (spec.is_pretrain) cJSON_AddStringToObject(o, "pretrain", "Pre-training");
    int n_k = !spec.is_pretrain && spec.has_kernel ? spec.kernel.n_formulas : 0;
    for (int i = 0; i < n_k; i++) {
        snprintf(method, sizeof method, "kernel:%s", lm_spec_formula_name(spec.kernel.formulas[i]));
        cJSON_AddStringToObject(o, method, formula_label(spec.kernel.formulas[i]));
    }
    if (n_k > 1) cJSON_AddStringToObject(o, "kernel", "Best kernel (dev)");
    for (int i = 0; !spec.is_pretrain && i < spec.n_finetune; i++) {
        snprintf(method, sizeof method, "finetune:%d", i);
        finetune_label(&spec, i, label, sizeof label);
        cJSON_AddStringToObject(o, method, label);
    }
    if (!spec.is_pretrain) cJSON_AddStringToObject(o, "zero-shot", "Zero-shot f0");
    lm_spec_free(&spec);
    *labels = o;
    return 0;
}
