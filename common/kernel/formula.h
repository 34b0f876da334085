/* formula.h - the three eNTK formulas (spec §4) and their names as specs,
 * the CLI and the API write them.  Inline tables, so that spec/ and the
 * daemon share this one vocabulary without linking the kernels. */
#ifndef LM_KERNEL_FORMULA_H
#define LM_KERNEL_FORMULA_H

#include <stddef.h>
#include "util/names.h"

typedef enum { LM_KF_SGD = 1, LM_KF_SIGNGD = 2, LM_KF_ASYM = 3 } lm_kernel_formula;

#define LM_KF_FIRST LM_KF_SGD
#define LM_KF_LAST LM_KF_ASYM

/* The memory a kernel job may use when none is given (mem_budget 0): the
 * workers' default --mem, and the daemon's default max_job_memory. */
#define LM_KERNEL_DEFAULT_BUDGET ((size_t)6 << 30)
#define LM_KF_COUNT (LM_KF_LAST - LM_KF_FIRST + 1)

static const char *const lm_kernel_formula_names[LM_KF_COUNT] = {"sgd", "signgd", "asymmetric_signgd"};
/* the paper's short names */
static const char *const lm_kernel_formula_labels[LM_KF_COUNT] = {"K(SGD)", "K(SignGD)", "K(A-SignGD)"};
/* the formulas written out, for people */
static const char *const lm_kernel_formula_texts[LM_KF_COUNT] = {
    "⟨∇f(x), ∇f(x′)⟩", "⟨sign ∇f(x), sign ∇f(x′)⟩", "⟨sign ∇f(x), ∇f(x′)⟩ (binary tasks)"};

/* "sgd", "signgd", "asymmetric_signgd"; NULL outside the enum. */
static inline const char *lm_kernel_formula_name(lm_kernel_formula f) {
    return lm_name_of(lm_kernel_formula_names, LM_KF_COUNT, LM_KF_FIRST, (int)f);
}
static inline const char *lm_kernel_formula_label(lm_kernel_formula f) {
    return lm_name_of(lm_kernel_formula_labels, LM_KF_COUNT, LM_KF_FIRST, (int)f);
}
static inline const char *lm_kernel_formula_text(lm_kernel_formula f) {
    return lm_name_of(lm_kernel_formula_texts, LM_KF_COUNT, LM_KF_FIRST, (int)f);
}
/* The formula of a name, -1 for none. */
static inline int lm_kernel_formula_parse(const char *name) {
    return lm_name_find(lm_kernel_formula_names, LM_KF_COUNT, LM_KF_FIRST, name);
}

#endif
