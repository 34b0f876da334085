/* diag_job.c - the kernel-behaviour diagnostics of a fine-tuned run (spec
 * §6.2), inside its fine-tuning job.  What needs the kernel solver's
 * predictions (agreement, kernel / FT ratio) is completed when the
 * experiment's jobs are aggregated (run.c), since kernel and fine-tuning
 * run as separate jobs. */
#include "run/jobs.h"

#include <math.h>

#include "diag/diag.h"
#include "run/artifacts.h"

int lm_run_finetune_diagnostics(const lm_spec *spec, lm_job_setup *js, const lm_output_spec *os,
                                const lm_finetune_result *ft, uint32_t seed,
                                const lm_run_options *opt, const char *out_dir, cJSON *res,
                                lm_error *err) {
    (void)seed;
    if (!spec->diagnostics.enabled) return 0;
    lm_output_spec kos = *os;
    kos.binary = spec->binary;
    lm_diag_input in = {.m0 = &js->model, .os = &kos, .ft = ft, .train = &js->split[0],
                        .test = &js->split[2], .metric = js->metric, .kernel_test_pred = NULL,
                        .kernel_test_metric = NAN, .thresholds = spec->diagnostics,
                        .mem_budget = opt ? opt->mem_budget : 0, .keep_kernels = out_dir != NULL};
    lm_diag_result d;
    if (lm_diagnostics(&in, &d, err)) return lm_fail_prefix(err, "diagnostics");
    cJSON_AddItemToObject(res, "diagnostics", lm_diag_to_json(&d));
    int rc = 0;
    if (out_dir) {
        /* the train x train kernels the fixed-features measure compares */
        cJSON *manifest = cJSON_GetObjectItem(res, "artifacts");
        int64_t ks[4] = {js->split[0].n, d.dim, js->split[0].n, d.dim}, ls[2] = {d.n_test, d.n_out};
        rc = lm_run_npy_artifact(out_dir, "kernel-ft-train.npy",
                                 "sgd kernel at the fine-tuned weights K(θ_FT) [train, C, train, C]",
                                 LM_NPY_F8, 4, ks, d.k_ft, manifest, err) ||
             lm_run_npy_artifact(out_dir, "kernel-pt-train.npy",
                                 "sgd kernel at the pre-trained weights K(θ0) over the fine-tuned "
                                 "parameters [train, C, train, C]",
                                 LM_NPY_F8, 4, ks, d.k_pt, manifest, err) ||
             lm_run_npy_artifact(out_dir, "test-logits-linearized.npy",
                                 "logits of the linearized model f(θ0) + <∇f(θ0), θ_FT - θ0> [test, C]",
                                 LM_NPY_F4, 2, ls, d.lin_logits, manifest, err)
                 ? -1 : 0;
    }
    lm_diag_result_free(&d);
    return rc;
}
