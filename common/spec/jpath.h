/* jpath.h - the JSON path of the value being looked at, as error messages
 * print it: `solver.regularization[1]`, `finetune[0].lr`, `["odd key"]`.
 *
 * Parser and validator push a key or an index on the way down and restore
 * the saved length on the way up; nothing is allocated. */
#ifndef LM_SPEC_JPATH_H
#define LM_SPEC_JPATH_H

#include <stddef.h>

#define LM_JPATH_MAX 512

typedef struct lm_jpath {
    char s[LM_JPATH_MAX];
    size_t n;
} lm_jpath;

static inline void lm_jpath_init(lm_jpath *p) { p->s[0] = '\0'; p->n = 0; }
static inline void lm_jpath_restore(lm_jpath *p, size_t n) { p->n = n; p->s[n] = '\0'; }

/* Both return the length before the push, for lm_jpath_restore().  A path
 * that would overflow is cut short and ends in "..." (only hostile input
 * nests that deep). */
size_t lm_jpath_push_key(lm_jpath *p, const char *key);
size_t lm_jpath_push_index(lm_jpath *p, size_t i);

/* Copies into a caller buffer (field, field_len), truncating; NULL ok. */
void lm_jpath_copy(const lm_jpath *p, char *field, size_t field_len);

#endif
