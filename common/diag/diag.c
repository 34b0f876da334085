/* diag.c - the diagnostics of one fine-tuning run, the verdict, JSON. */
#include "util/clock.h"
#include "diag/diag.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "solve/solve.h"

#define TOP_EIGS 20

static int progress(const lm_train_hooks *h, double f, const char *stage, lm_error *err) {
    if (h && h->progress && h->progress(h->ctx, f, stage)) return lm_fail(err, "cancelled");
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

const char *lm_diag_outcome_name(int kernel_behavior) {
    return kernel_behavior > 0 ? "kernel" : kernel_behavior == 0 ? "not kernel" : "undecided";
}

void lm_diag_verdict(lm_diag_result *r) {
    const lm_diag_thresholds *th = &r->thresholds;
    r->linearization_holds = isnan(r->lin_gain) ? -1 : r->lin_gain >= th->min_linearization_gain;
    r->fixed_features = isnan(r->kernel_distance) ? -1 : r->kernel_distance <= th->max_kernel_distance;
    r->kernel_solves = isnan(r->kernel_ft_ratio) ? -1 : r->kernel_ft_ratio >= th->min_kernel_ft_ratio;
    char *why = r->reason;
    size_t cap = sizeof r->reason;
    /* Fine-tuning that gained nothing over θ0 leaves nothing for the
     * kernel to explain: whatever the kernel distance, the question is open. */
    if (!(r->metric_ft > r->metric_pt)) {
        r->kernel_behavior = -1;
        snprintf(why, cap, "fine-tuning (%.1f%%) did not beat zero-shot (%.1f%%): there is no gain "
                 "for the linearized model to recover", 100 * r->metric_ft, 100 * r->metric_pt);
        return;
    }
    if (r->linearization_holds == 0 || r->fixed_features == 0) r->kernel_behavior = 0;
    else if (r->linearization_holds < 0 || r->fixed_features < 0) r->kernel_behavior = -1;
    else r->kernel_behavior = 1;
    char lin[128] = "", fix[128] = "";
    if (r->linearization_holds >= 0)
        snprintf(lin, sizeof lin, "the linearized model recovers %.0f%% of fine-tuning's gain (%s %.0f%%)",
                 100 * r->lin_gain, r->linearization_holds ? ">=" : "<", 100 * th->min_linearization_gain);
    if (r->fixed_features >= 0)
        snprintf(fix, sizeof fix, "the kernel moved %.1f%% during fine-tuning (%s %.1f%%)",
                 100 * r->kernel_distance, r->fixed_features ? "<=" : ">", 100 * th->max_kernel_distance);
    if (r->kernel_behavior == 1) snprintf(why, cap, "%s and %s", lin, fix);
    else if (r->kernel_behavior == 0)
        snprintf(why, cap, "%s%s%s", r->linearization_holds == 0 ? lin : "",
                 r->linearization_holds == 0 && r->fixed_features == 0 ? "; " : "",
                 r->fixed_features == 0 ? fix : "");
    else
        snprintf(why, cap, "%s could not be measured", r->linearization_holds < 0 ? "the linearized gain"
                                                                                 : "the kernel distance");
}

int lm_diagnostics(const lm_diag_input *in, lm_diag_result *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    double t0 = lm_now();
    const lm_finetune_result *ft = in->ft;
    const lm_encoded_split *test = in->test;
    if (!ft || !ft->best_params || !ft->tangent) return lm_fail(err, "diagnostics need a fine-tuning result");
    if (!test || test->n < 1) return lm_fail(err, "diagnostics need a test set");
    if (!ft->test_pred || ft->n_test != test->n)
        return lm_fail(err, "the fine-tuning result has no predictions for this test set (%d vs %d)",
                       ft->n_test, test->n);
    if (!in->train || in->train->n < 1) return lm_fail(err, "diagnostics need the training set");
    out->thresholds = in->thresholds;
    int C = in->os->n_out, n = test->n;
    out->n_test = n;
    out->n_out = C;
    out->param_set = ft->lora.n ? "lora" : lm_param_set_name(ft->params);

    /* linearization */
    if (progress(in->hooks, 0.0, "diagnostics: linearization", err)) return -1;
    float *f0 = lm_xmalloc((size_t)n * C * sizeof(float));
    out->lin_logits = lm_xmalloc((size_t)n * C * sizeof(float));
    out->pt_pred = lm_xmalloc((size_t)n * sizeof(int));
    out->lin_pred = lm_xmalloc((size_t)n * sizeof(int));
    int *label = lm_xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) label[i] = test->ex[i].label;
    int rc = lm_diag_linearized_outputs(in->m0, in->os, ft->tangent, test, f0, out->lin_logits, err);
    if (rc == 0) {
        lm_logits_argmax(f0, n, C, out->pt_pred);
        lm_logits_argmax(out->lin_logits, n, C, out->lin_pred);
        rc = lm_metric(in->metric, out->pt_pred, label, n, &out->metric_pt, err) ||
             lm_metric(in->metric, out->lin_pred, label, n, &out->metric_lin, err) ||
             lm_metric(in->metric, ft->test_pred, label, n, &out->metric_ft, err);
    }
    free(f0);
    if (rc == 0) {
        /* a share of a gain only when there is one (ft below pt would flip the ratio) */
        double gain = out->metric_ft - out->metric_pt;
        out->lin_gain = gain > 0 ? (out->metric_lin - out->metric_pt) / gain : NAN;
        out->lin_ft_agreement = lm_diag_agreement(out->lin_pred, ft->test_pred, n);
        /* agreement with the kernel solver */
        out->kernel_metric = in->kernel_test_metric;
        out->kernel_ft_ratio = !isnan(in->kernel_test_metric) && out->metric_ft > 0
                                   ? in->kernel_test_metric / out->metric_ft : NAN;
        out->agreement = in->kernel_test_pred ? lm_diag_agreement(in->kernel_test_pred, ft->test_pred, n)
                                              : NAN;
    }

    /* fixed features and spectra */
    double *K0 = NULL, *K1 = NULL;
    int R = lm_output_dim(in->os), NR = in->train->n * R;
    out->dim = R;
    if (rc == 0) rc = progress(in->hooks, 0.3, "diagnostics: kernels", err);
    if (rc == 0) {
        out->n_grad = NR;
        out->grad_change = lm_xmalloc((size_t)NR * sizeof(double));
        rc = lm_diag_train_kernels(in->m0, in->os, ft, in->train, in->k0_train, in->mem_budget, &K0,
                                   &K1, out->grad_change, err);
    }
    if (rc == 0) {
        out->kernel_distance = lm_diag_kernel_distance(K0, K1, (size_t)NR * NR);
        double *sorted = lm_xmalloc((size_t)NR * sizeof(double)), s = 0;
        int k = 0;
        out->grad_change_max = 0;
        for (int i = 0; i < NR; i++)
            if (!isnan(out->grad_change[i])) {
                sorted[k++] = out->grad_change[i];
                s += out->grad_change[i];
                out->grad_change_max = fmax(out->grad_change_max, out->grad_change[i]);
            }
        qsort(sorted, (size_t)k, sizeof(double), cmp_double);
        out->grad_change_mean = k ? s / k : NAN;
        out->grad_change_median = k ? (k % 2 ? sorted[k / 2] : 0.5 * (sorted[k / 2 - 1] + sorted[k / 2])) : NAN;
        free(sorted);
        rc = progress(in->hooks, 0.9, "diagnostics: spectrum", err);
    }
    if (rc == 0) rc = lm_diag_spectrum_of(K0, NR, &out->spec0, err);
    if (rc == 0) rc = lm_diag_spectrum_of(K1, NR, &out->spec_ft, err);
    if (rc == 0 && in->keep_kernels) {
        out->k_pt = K0;
        out->k_ft = K1;
        K0 = K1 = NULL;
    }
    free(K0);
    free(K1);
    free(label);
    if (rc) {
        lm_diag_result_free(out);
        return -1;
    }
    lm_diag_verdict(out);
    out->seconds = lm_now() - t0;
    progress(in->hooks, 1.0, "diagnostics", NULL);
    return 0;
}

void lm_diag_result_free(lm_diag_result *r) {
    free(r->pt_pred);
    free(r->lin_pred);
    free(r->lin_logits);
    free(r->grad_change);
    free(r->k_pt);
    free(r->k_ft);
    lm_diag_spectrum_free(&r->spec0);
    lm_diag_spectrum_free(&r->spec_ft);
    memset(r, 0, sizeof *r);
}

/* ---- JSON ---------------------------------------------------------------- */

static void num(cJSON *o, const char *k, double v) {
    if (isnan(v) || isinf(v)) cJSON_AddNullToObject(o, k);
    else cJSON_AddNumberToObject(o, k, v);
}

static void tri(cJSON *o, const char *k, int v) {
    if (v < 0) cJSON_AddNullToObject(o, k);
    else cJSON_AddBoolToObject(o, k, v);
}

static cJSON *spectrum_json(const lm_diag_spectrum *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", s->n);
    cJSON *top = cJSON_AddArrayToObject(o, "top_eigenvalues");
    for (int i = 0; i < s->n && i < TOP_EIGS; i++) cJSON_AddItemToArray(top, cJSON_CreateNumber(s->eig[i]));
    num(o, "trace", s->trace);
    num(o, "effective_rank_participation", s->eff_rank_pr);
    num(o, "effective_rank_entropy", s->eff_rank_entropy);
    return o;
}

cJSON *lm_diag_to_json(const lm_diag_result *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON *lin = cJSON_AddObjectToObject(o, "linearization");
    num(lin, "metric_pretrained", r->metric_pt);
    num(lin, "metric_finetuned", r->metric_ft);
    num(lin, "metric_linearized", r->metric_lin);
    num(lin, "gain_recovered", r->lin_gain);
    num(lin, "agreement_linearized_finetuned", r->lin_ft_agreement);
    cJSON *ff = cJSON_AddObjectToObject(o, "fixed_features");
    cJSON_AddStringToObject(ff, "kernel", "sgd, train x train");
    cJSON_AddStringToObject(ff, "params", r->param_set ? r->param_set : "all");
    num(ff, "kernel_distance", r->kernel_distance);
    num(ff, "grad_change_mean", r->grad_change_mean);
    num(ff, "grad_change_median", r->grad_change_median);
    num(ff, "grad_change_max", r->grad_change_max);
    cJSON *ag = cJSON_AddObjectToObject(o, "agreement");
    num(ag, "kernel_metric", r->kernel_metric);
    num(ag, "kernel_ft_ratio", r->kernel_ft_ratio);
    num(ag, "prediction_agreement", r->agreement);
    cJSON *sp = cJSON_AddObjectToObject(o, "spectrum");
    cJSON_AddItemToObject(sp, "pretrained", spectrum_json(&r->spec0));
    cJSON_AddItemToObject(sp, "finetuned", spectrum_json(&r->spec_ft));
    cJSON_AddStringToObject(sp, "effective_rank_participation",
                            "(sum of eigenvalues)^2 / sum of squared eigenvalues");
    cJSON_AddStringToObject(sp, "effective_rank_entropy",
                            "exp(-sum p log p), p = eigenvalue / sum over positive eigenvalues");
    cJSON *v = cJSON_AddObjectToObject(o, "verdict");
    tri(v, "linearization_holds", r->linearization_holds);
    tri(v, "fixed_features", r->fixed_features);
    tri(v, "kernel_solves_task", r->kernel_solves);
    tri(v, "kernel_behavior", r->kernel_behavior);
    cJSON_AddStringToObject(v, "outcome", lm_diag_outcome_name(r->kernel_behavior));
    cJSON_AddStringToObject(v, "reason", r->reason);
    cJSON *th = cJSON_AddObjectToObject(v, "thresholds");
    num(th, "min_linearization_gain", r->thresholds.min_linearization_gain);
    num(th, "max_kernel_distance", r->thresholds.max_kernel_distance);
    num(th, "min_kernel_ft_ratio", r->thresholds.min_kernel_ft_ratio);
    cJSON_AddStringToObject(v, "rule",
                            "linearization_holds: gain_recovered >= min_linearization_gain; "
                            "fixed_features: kernel_distance <= max_kernel_distance; "
                            "kernel_solves_task: kernel_ft_ratio >= min_kernel_ft_ratio; "
                            "kernel_behavior: linearization_holds and fixed_features, undecided "
                            "when fine-tuning did not beat zero-shot (null: undecided; outcome: "
                            "kernel, not kernel or undecided)");
    num(o, "seconds", r->seconds);
    return o;
}
