/* diag_job.c - the kernel-behaviour diagnostics of a fine-tuned run (spec
 * §6.2), inside its fine-tuning job.  What needs the kernel solver's
 * predictions (agreement, kernel / FT ratio) is completed when the
 * experiment's jobs are aggregated (run.c), since kernel and fine-tuning
 * run as separate jobs. */
#include "run/jobs.h"

#include <math.h>

#include "diag/diag.h"

int lm_run_finetune_diagnostics(const lm_spec *spec, lm_job_setup *js, const lm_output_spec *os,
                                const lm_finetune_result *ft, uint32_t seed,
                                const lm_run_options *opt, cJSON *res, lm_error *err) {
    (void)seed;
    if (!spec->diagnostics.enabled) return 0;
    lm_output_spec kos = *os;
    kos.binary = spec->binary;
    lm_diag_input in = {.m0 = &js->model, .os = &kos, .ft = ft, .train = &js->split[0],
                        .test = &js->split[2], .metric = js->metric, .kernel_test_pred = NULL,
                        .kernel_test_metric = NAN, .thresholds = spec->diagnostics,
                        .mem_budget = opt ? opt->mem_budget : 0};
    lm_diag_result d;
    if (lm_diagnostics(&in, &d, err)) return lm_fail_prefix(err, "diagnostics");
    cJSON_AddItemToObject(res, "diagnostics", lm_diag_to_json(&d));
    lm_diag_result_free(&d);
    return 0;
}
