/* names.h - a vocabulary as a table of names: the name of a value and the
 * value of a name, for the inline tables of kernel/formula.h,
 * model/param_set.h, solve/solver_kind.h and train/config.h. */
#ifndef LM_UTIL_NAMES_H
#define LM_UTIL_NAMES_H

#include <string.h>

/* names[i - first] for i in [first, first + n), else NULL. */
static inline const char *lm_name_of(const char *const *names, int n, int first, int i) {
    return i >= first && i < first + n ? names[i - first] : NULL;
}

/* The value whose name is `name` (first + its index), -1 for none. */
static inline int lm_name_find(const char *const *names, int n, int first, const char *name) {
    for (int i = 0; name && i < n; i++)
        if (!strcmp(names[i], name)) return first + i;
    return -1;
}

#endif
