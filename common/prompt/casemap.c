/* casemap.c - single-code-point case mapping by binary search in the
 * generated tables. */
#include "prompt/casemap.h"

static int map(uint32_t cp, const lm_case_run *runs, int nruns,
               const lm_case_multi *multis, int nmultis, uint32_t out[LM_CASE_MAX]) {
    int lo = 0, hi = nmultis - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (multis[mid].cp == cp) {
            for (int i = 0; i < multis[mid].len; i++) out[i] = multis[mid].to[i];
            return multis[mid].len;
        }
        if (multis[mid].cp < cp) lo = mid + 1; else hi = mid - 1;
    }
    /* the last run starting at or before cp */
    lo = 0; hi = nruns - 1;
    int found = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (runs[mid].first <= cp) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    out[0] = cp;
    if (found >= 0) {
        const lm_case_run *r = &runs[found];
        uint32_t off = cp - r->first;
        if (off % r->stride == 0 && off / r->stride < r->count)
            out[0] = (uint32_t)((int64_t)cp + r->delta);
    }
    return 1;
}

int lm_case_lower(uint32_t cp, uint32_t out[LM_CASE_MAX]) {
    return map(cp, lm_case_lower_runs, lm_case_lower_nruns,
               lm_case_lower_multis, lm_case_lower_nmultis, out);
}

int lm_case_upper(uint32_t cp, uint32_t out[LM_CASE_MAX]) {
    return map(cp, lm_case_upper_runs, lm_case_upper_nruns,
               lm_case_upper_multis, lm_case_upper_nmultis, out);
}
