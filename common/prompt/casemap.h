/* casemap.h - Python's str.lower()/str.upper() of a single code point, for
 * the sentl_/sentu_ template parts (`text[:1].lower() + text[1:]`).  A few
 * code points map to several (U+0130 'İ' lowers to "i̇", 'ß' uppers to "SS"),
 * so the result is up to 3 code points. */
#ifndef LM_PROMPT_CASEMAP_H
#define LM_PROMPT_CASEMAP_H

#include <stdint.h>

#define LM_CASE_MAX 3

/* Writes the mapping of cp into out[] and returns how many code points. */
int lm_case_lower(uint32_t cp, uint32_t out[LM_CASE_MAX]);
int lm_case_upper(uint32_t cp, uint32_t out[LM_CASE_MAX]);

/* The generated tables (casemap_table.c): runs of code points first,
 * first+stride, ... (count of them) that map to cp+delta, sorted and
 * disjoint; then the multi-code-point mappings, sorted. */
typedef struct { uint32_t first; uint16_t count; uint8_t stride; int32_t delta; } lm_case_run;
typedef struct { uint32_t cp; uint32_t to[LM_CASE_MAX]; uint8_t len; } lm_case_multi;
extern const lm_case_run lm_case_lower_runs[], lm_case_upper_runs[];
extern const int lm_case_lower_nruns, lm_case_upper_nruns;
extern const lm_case_multi lm_case_lower_multis[], lm_case_upper_multis[];
extern const int lm_case_lower_nmultis, lm_case_upper_nmultis;

#endif
