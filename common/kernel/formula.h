/* formula.h - the three eNTK formulas (spec §4) and their names as specs,
 * the CLI and the API write them.  Inline tables, so that spec/ and the
 * daemon share this one vocabulary without linking the kernels. */
#ifndef LM_KERNEL_FORMULA_H
#define LM_KERNEL_FORMULA_H

#include <string.h>

typedef enum { LM_KF_SGD = 1, LM_KF_SIGNGD = 2, LM_KF_ASYM = 3 } lm_kernel_formula;

#define LM_KF_FIRST LM_KF_SGD
#define LM_KF_LAST LM_KF_ASYM

/* "sgd", "signgd", "asymmetric_signgd"; NULL outside the enum. */
static inline const char *lm_kernel_formula_name(lm_kernel_formula f) {
    static const char *const names[] = {"sgd", "signgd", "asymmetric_signgd"};
    return f >= LM_KF_FIRST && f <= LM_KF_LAST ? names[f - LM_KF_FIRST] : NULL;
}

/* The paper's short name: "K(SGD)", "K(SignGD)", "K(A-SignGD)". */
static inline const char *lm_kernel_formula_label(lm_kernel_formula f) {
    static const char *const label[] = {"K(SGD)", "K(SignGD)", "K(A-SignGD)"};
    return f >= LM_KF_FIRST && f <= LM_KF_LAST ? label[f - LM_KF_FIRST] : NULL;
}

/* The formula itself, for people (the dashboard's labels). */
static inline const char *lm_kernel_formula_text(lm_kernel_formula f) {
    static const char *const text[] = {"⟨∇f(x), ∇f(x′)⟩", "⟨sign ∇f(x), sign ∇f(x′)⟩",
                                       "⟨sign ∇f(x), ∇f(x′)⟩ (binary tasks)"};
    return f >= LM_KF_FIRST && f <= LM_KF_LAST ? text[f - LM_KF_FIRST] : NULL;
}

/* The formula of a name, -1 for none. */
static inline int lm_kernel_formula_parse(const char *name) {
    for (int f = LM_KF_FIRST; name && f <= LM_KF_LAST; f++)
        if (!strcmp(name, lm_kernel_formula_name((lm_kernel_formula)f))) return f;
    return -1;
}

#endif
