/* spec_names.c - the names of the spec's own enum (precisions),
 * and the class counts of the built-in tasks (needed to check "binary" and
 * label lists).  Formulas, parameter sets, solvers, optimizers and LoRA's
 * words are named where they are defined (kernel/formula.h,
 * model/param_set.h, solve/solver_kind.h, train/config.h). */
#include "spec/spec.h"

#include <string.h>

#include "util/names.h"

static const char *const precision_names[] = {"fp32", "fp64", "bf16"};
static const char *const precision_text[] = {"fp32 (as the reference)", "fp64", "bf16 (approximate)"};

const char *lm_spec_precision_name(lm_spec_precision p) { return lm_name_of(precision_names, 3, 0, (int)p); }
const char *lm_spec_precision_description(lm_spec_precision p) { return lm_name_of(precision_text, 3, 0, (int)p); }

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
