/* spec_names.c - the names that specs use for enum values, and the class
 * counts of the built-in tasks (needed to check "binary" and label lists). */
#include "spec/spec.h"

#include <string.h>

#define NAME_OF(table, i) \
    ((unsigned)(i) < sizeof(table) / sizeof(table[0]) ? table[(unsigned)(i)] : NULL)

static const char *const formula_names[] = {"sgd", "signgd", "asymmetric_signgd"};
static const char *const params_names[] = {"all", "no_embeddings", "no_head", "biases", "lora"};
static const char *const precision_names[] = {"fp32", "fp64", "bf16"};
static const char *const solver_names[] = {"lstsq", "logistic", "svc", "svr", "asym"};
static const char *const optimizer_names[] = {"adam", "sgd", "signgd"};
static const char *const lora_init_names[] = {"kaiming_uniform", "gaussian"};
static const char *const lora_target_names[] = {"query", "key", "value", "attention_output",
                                                "intermediate", "output"};

const char *lm_spec_formula_name(lm_spec_formula f) { return NAME_OF(formula_names, f); }
const char *lm_spec_params_name(lm_spec_params p) { return NAME_OF(params_names, p); }
const char *lm_spec_precision_name(lm_spec_precision p) { return NAME_OF(precision_names, p); }
const char *lm_spec_solver_name_str(lm_spec_solver_name s) { return NAME_OF(solver_names, s); }
const char *lm_spec_optimizer_name(lm_spec_optimizer o) { return NAME_OF(optimizer_names, o); }
const char *lm_spec_lora_init_name(lm_spec_lora_init i) { return NAME_OF(lora_init_names, i); }

const char *lm_spec_lora_target_name(unsigned bit) {
    for (unsigned i = 0; i < sizeof lora_target_names / sizeof lora_target_names[0]; i++)
        if (bit == 1u << i) return lora_target_names[i];
    return NULL;
}

/* LM-BFF's label lists (spec §1.2). */
static const struct {
    const char *name;
    int classes;
} tasks[] = {
    {"SST-2", 2}, {"sst-5", 5}, {"mr", 2},   {"cr", 2},   {"mpqa", 2},
    {"subj", 2},  {"trec", 6},  {"MNLI", 3}, {"SNLI", 3}, {"QNLI", 2},
    {"RTE", 2},   {"MRPC", 2},  {"QQP", 2},  {"ag_news", 4},
};

int lm_spec_task_classes(const char *task) {
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        if (strcmp(tasks[i].name, task) == 0) return tasks[i].classes;
    return 0;
}
