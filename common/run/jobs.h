/* jobs.h - the kinds of job an experiment expands into (internal to run/). */
#ifndef LM_RUN_JOBS_H
#define LM_RUN_JOBS_H

#include "kernel/kernel.h"
#include "run/setup.h"

double lm_run_now(void);

lm_param_set lm_run_param_set(lm_spec_params p, lm_error *err);

/* Fills res with: grid (every point's dev/test metric), selected, zero_shot,
 * test_predictions/test_labels of the selected point, timings, cache,
 * artifacts (written to out_dir). */
int lm_run_kernel_job(const lm_spec *spec, lm_job_setup *js, lm_spec_formula formula, uint32_t seed,
                      const lm_run_options *opt, const lm_run_hooks *hooks, const char *out_dir,
                      cJSON *res, lm_error *err);

#endif
