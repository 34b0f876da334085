/* thresholds.h - what the kernel-behaviour verdicts compare against
 * (spec §6.2), as a spec's "diagnostics" object gives them.  Plain data:
 * spec/ fills it without linking diag/. */
#ifndef LM_DIAG_THRESHOLDS_H
#define LM_DIAG_THRESHOLDS_H

typedef struct lm_diag_thresholds {
    int enabled;                   /* default 0 without the object, 1 with */
    double min_linearization_gain; /* default 0.5 */
    double max_kernel_distance;    /* default 0.1 */
    double min_kernel_ft_ratio;    /* default 0.9 */
} lm_diag_thresholds;

#endif
