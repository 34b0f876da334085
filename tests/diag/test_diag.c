/* test_diag.c - the kernel-behaviour diagnostics on the tiny fixture models:
 *   - spectrum and effective ranks of a matrix with known eigenvalues;
 *     distance, agreement and the verdict's rules;
 *   - the linearized outputs against the network at a nearby θ (first
 *     order) and at Δ = 0;
 *   - train kernels: K(θ0) against Gram matrices of materialised
 *     per-example gradients, K(θ_FT) = K(θ0) and zero change when θ_FT = θ0,
 *     the per-example gradient change against materialised gradients, and
 *     the LoRA kernel against its definition (heads from kernel.h, adapters
 *     from materialised dense gradients);
 *   - lm_diagnostics end to end and its JSON. */
#include <cblas.h>
#undef I
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "diag/diag.h"
#include "kernel/kernel.h"
#include "util/file.h"
#include "util/rng.h"

static const char *g_model_dir;

static int load(const char *name, lm_model *m) {
    lm_error err;
    char *d = lm_path_join(g_model_dir, name);
    int rc = lm_model_load(d, NULL, m, &err);
    CHECK_MSG(rc == 0, "%s: %s", d, err.msg);
    free(d);
    return rc;
}

static void make_split(lm_encoded_split *s, int n, int C, uint64_t seed) {
    lm_rng r;
    lm_rng_seed(&r, seed);
    s->n = n;
    s->n_labels = C;
    s->label_word_ids = NULL;
    s->ex = lm_xcalloc((size_t)n, sizeof *s->ex);
    for (int i = 0; i < n; i++) {
        lm_encoded_example *e = &s->ex[i];
        int L = 6 + (int)lm_rng_below(&r, 6);
        e->ids = lm_xmalloc((size_t)L * sizeof(int32_t));
        e->type_ids = lm_xcalloc((size_t)L, sizeof(int32_t));
        e->n_tokens = L;
        e->label = i % C;
        for (int k = 0; k < L; k++) e->ids[k] = 50 + (int32_t)lm_rng_below(&r, 60);
        e->ids[0] = 0;
        e->ids[L - 1] = 2;
        e->mask_pos = 2;
        e->ids[2] = 4;
        e->ids[3] = 40 + e->label;
    }
}

static void free_split(lm_encoded_split *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->ex[i].ids);
        free(s->ex[i].type_ids);
    }
    free(s->ex);
}

static void test_spectrum(void) {
    /* K = Q diag(4, 3, 2, 1, 0) Q^T with Q a Householder reflection */
    int n = 5;
    double lam[5] = {4, 3, 2, 1, 0}, v[5] = {1, -2, 0.5, 1, 3}, vv = 0, K[25];
    for (int i = 0; i < n; i++) vv += v[i] * v[i];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) {
                double qik = (i == k) - 2 * v[i] * v[k] / vv, qjk = (j == k) - 2 * v[j] * v[k] / vv;
                s += qik * lam[k] * qjk;
            }
            K[i * n + j] = s;
        }
    lm_diag_spectrum sp;
    lm_error err;
    CHECK(lm_diag_spectrum_of(K, n, &sp, &err) == 0);
    for (int i = 0; i < n; i++) CHECK_CLOSE(sp.eig[i], lam[i], 1e-12, 1e-12);
    CHECK_CLOSE(sp.trace, 10, 1e-12, 0);
    CHECK_CLOSE(sp.eff_rank_pr, 100.0 / 30.0, 1e-12, 0);
    double h = -(0.4 * log(0.4) + 0.3 * log(0.3) + 0.2 * log(0.2) + 0.1 * log(0.1));
    CHECK_CLOSE(sp.eff_rank_entropy, exp(h), 1e-12, 0);
    lm_diag_spectrum_free(&sp);

    double a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 5};
    CHECK_CLOSE(lm_diag_kernel_distance(a, b, 4), 1 / sqrt(30.0), 1e-12, 0);
    int p[4] = {0, 1, 1, 0}, q[4] = {0, 1, 0, 0};
    CHECK_CLOSE(lm_diag_agreement(p, q, 4), 0.75, 0, 1e-15);
    CHECK(isnan(lm_diag_agreement(p, q, 0)));

    lm_diag_result r = {.thresholds = {.min_linearization_gain = 0.5, .max_kernel_distance = 0.1,
                                       .min_kernel_ft_ratio = 0.9}};
    r.metric_pt = 0.5;
    r.metric_ft = 0.8;
    r.lin_gain = 0.7;
    r.kernel_distance = 0.05;
    r.kernel_ft_ratio = 0.95;
    lm_diag_verdict(&r);
    CHECK(r.linearization_holds == 1 && r.fixed_features == 1 && r.kernel_solves == 1 && r.kernel_behavior == 1);
    CHECK_MSG(strstr(r.reason, "recovers 70% of fine-tuning's gain (>= 50%)") &&
              strstr(r.reason, "moved 5.0% during fine-tuning (<= 10.0%)"), "%s", r.reason);
    r.kernel_distance = 0.2;
    r.lin_gain = NAN;
    r.kernel_ft_ratio = NAN;
    lm_diag_verdict(&r);
    CHECK(r.linearization_holds == -1 && r.fixed_features == 0 && r.kernel_solves == -1 && r.kernel_behavior == 0);
    CHECK_MSG(!strcmp(r.reason, "the kernel moved 20.0% during fine-tuning (> 10.0%)"), "%s", r.reason);
    CHECK(!strcmp(lm_diag_outcome_name(r.kernel_behavior), "not kernel"));
    r.kernel_distance = 0.01;
    lm_diag_verdict(&r);
    CHECK(r.kernel_behavior == -1 && strstr(r.reason, "linearized gain could not be measured"));
    /* fine-tuning below zero-shot: undecided, even with a kernel that moved */
    r.metric_ft = 0.45;
    r.kernel_distance = 0.3;
    lm_diag_verdict(&r);
    CHECK(r.fixed_features == 0 && r.kernel_behavior == -1);
    CHECK(!strcmp(lm_diag_outcome_name(r.kernel_behavior), "undecided"));
    CHECK_MSG(strstr(r.reason, "fine-tuning (45.0%) did not beat zero-shot (50.0%)"), "%s", r.reason);
}

/* outputs of m at every example of s [n, C] */
static void outputs(const lm_model *m, const lm_output_spec *os, const lm_encoded_split *s, float *f) {
    lm_outputs_ws ws = {0};
    lm_error err;
    int *hp = lm_xmalloc((size_t)s->n * sizeof(int));
    for (int i = 0; i < s->n; i++) {
        lm_batch_add(&ws.b, &m->cfg, s->ex[i].ids, s->ex[i].type_ids, s->ex[i].n_tokens, &err);
        hp[i] = s->ex[i].mask_pos;
    }
    lm_outputs_run(&ws, m, os, hp, 0, f, NULL);
    lm_outputs_ws_free(&ws);
    free(hp);
}

static void test_linearized(void) {
    lm_model m;
    if (load("roberta-tiny", &m)) return;
    int32_t vocab[2] = {10, 20};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = vocab};
    lm_encoded_split s;
    make_split(&s, 11, 2, 3); /* more than one chunk of 8 */
    float *tan = lm_xcalloc(m.n_params, sizeof(float)), f0[22], fl[22], fr[22], f1[22];
    lm_error err;
    CHECK(lm_diag_linearized_outputs(&m, &os, tan, &s, f0, fl, &err) == 0);
    outputs(&m, &os, &s, fr);
    for (int i = 0; i < 22; i++) {
        CHECK_CLOSE(f0[i], fr[i], 1e-6, 1e-6);
        CHECK(fl[i] == f0[i]);
    }
    /* a small move: f(θ0 + Δ) - f_lin = O(|Δ|²) */
    lm_rng r;
    lm_rng_seed(&r, 2);
    lm_model m1;
    lm_model_clone(&m, NULL, &m1);
    for (size_t i = 0; i < m.n_params; i++) {
        tan[i] = (float)(2e-3 * lm_rng_normal(&r));
        m1.params[i] = m.params[i] + tan[i];
    }
    CHECK(lm_diag_linearized_outputs(&m, &os, tan, &s, f0, fl, &err) == 0);
    outputs(&m1, &os, &s, f1);
    double worst = 0, move = 0;
    for (int i = 0; i < 22; i++) {
        worst = fmax(worst, fabs(fl[i] - f1[i]));
        move = fmax(move, fabs(f1[i] - f0[i]));
    }
    CHECK_MSG(worst < 0.05 * move, "linearization error %.3g for a move of %.3g", worst, move);
    fprintf(stderr, "linearized outputs: move %.3g, error of the first-order model %.3g\n", move, worst);
    lm_model_free(&m1);
    free(tan);
    free_split(&s);
    lm_model_free(&m);
}

/* Gram matrix [NR, NR] of materialised per-example gradients over the
 * tensors with inc[t], and the gradients' rows when G is not NULL */
static void explicit_kernel(const lm_model *m, const lm_output_spec *os, const lm_encoded_split *s,
                            const unsigned char *inc, double *K, double **Gout) {
    int R = lm_output_dim(os), NR = s->n * R;
    size_t P = m->n_params;
    double *G = lm_xcalloc((size_t)NR * P, sizeof(double));
    float *buf = lm_xmalloc(P * sizeof(float)), f[64];
    lm_outputs_ws ws = {0};
    lm_error err;
    int hp[16];
    for (int i = 0; i < s->n; i++) {
        lm_batch_add(&ws.b, &m->cfg, s->ex[i].ids, s->ex[i].type_ids, s->ex[i].n_tokens, &err);
        hp[i] = s->ex[i].mask_pos;
    }
    lm_pass pass;
    lm_outputs_run(&ws, m, os, hp, 1, f, &pass);
    for (int i = 0; i < s->n; i++)
        for (int r = 0; r < R; r++)
            for (int t = 0; t < m->n_tensors; t++) {
                if (!inc[t]) continue;
                const lm_param_tensor *pt = &m->tensors[t];
                lm_grad_tensor(&pass, t, i, r, buf);
                for (size_t j = 0; j < (size_t)pt->rows * pt->cols; j++)
                    G[(size_t)(i * R + r) * P + pt->offset + j] = buf[j];
            }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, NR, NR, (int)P, 1.0, G, (int)P, G, (int)P, 0.0,
                K, NR);
    if (Gout) *Gout = G;
    else free(G);
    free(buf);
    lm_outputs_ws_free(&ws);
}

static double rel_diff(const double *a, const double *b, size_t n) {
    double mx = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        mx = fmax(mx, fabs(b[i]));
        e = fmax(e, fabs(a[i] - b[i]));
    }
    return mx > 0 ? e / mx : e;
}

static void test_train_kernels(int binary) {
    lm_model m;
    if (load("roberta-tiny", &m)) return;
    int32_t vocab[2] = {10, 20};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = vocab, .binary = binary};
    lm_encoded_split tr;
    make_split(&tr, 6, 2, 9);
    int R = lm_output_dim(&os), NR = 6 * R;
    lm_error err;
    /* θ_FT = θ0 + a random move on every tensor but the embeddings */
    lm_finetune_result ft = {.params = LM_PS_NO_EMBEDDINGS, .n_params = m.n_params};
    ft.best_params = lm_xmalloc(m.n_params * sizeof(float));
    memcpy(ft.best_params, m.params, m.n_params * sizeof(float));
    double *K0, *K1, *ch = lm_xmalloc((size_t)NR * sizeof(double));
    CHECK_MSG(lm_diag_train_kernels(&m, &os, &ft, &tr, NULL, 0, &K0, &K1, ch, &err) == 0, "%s", err.msg);
    CHECK(lm_diag_kernel_distance(K0, K1, (size_t)NR * NR) == 0);
    for (int i = 0; i < NR; i++) CHECK(fabs(ch[i]) < 1e-6);
    unsigned char *inc = lm_xcalloc((size_t)m.n_tensors, 1);
    for (int t = 0; t < m.n_tensors; t++)
        inc[t] = lm_param_set_includes(&m, t, LM_PS_NO_EMBEDDINGS) && lm_tensor_used(&m, &os, t);
    double *Ke = lm_xmalloc((size_t)NR * NR * sizeof(double)), *G0, *G1;
    explicit_kernel(&m, &os, &tr, inc, Ke, &G0);
    double e0 = rel_diff(K0, Ke, (size_t)NR * NR);
    CHECK_MSG(e0 < 1e-5, "K(θ0) vs explicit gradients: %.3g", e0);
    free(K0);
    free(K1);

    lm_rng r;
    lm_rng_seed(&r, 4);
    for (int t = 0; t < m.n_tensors; t++) {
        if (!inc[t]) continue;
        const lm_param_tensor *pt = &m.tensors[t];
        for (size_t j = 0; j < (size_t)pt->rows * pt->cols; j++)
            ft.best_params[pt->offset + j] += (float)(0.05 * lm_rng_normal(&r));
    }
    CHECK_MSG(lm_diag_train_kernels(&m, &os, &ft, &tr, NULL, 0, &K0, &K1, ch, &err) == 0, "%s", err.msg);
    lm_model m1;
    lm_model_clone(&m, ft.best_params, &m1);
    explicit_kernel(&m1, &os, &tr, inc, Ke, &G1);
    double e1 = rel_diff(K1, Ke, (size_t)NR * NR), worst = 0;
    CHECK_MSG(e1 < 1e-5, "K(θ_FT) vs explicit gradients: %.3g", e1);
    for (int i = 0; i < NR; i++) {
        double d = 0, z = 0;
        for (size_t j = 0; j < m.n_params; j++) {
            double x = G1[(size_t)i * m.n_params + j] - G0[(size_t)i * m.n_params + j];
            d += x * x;
            z += G0[(size_t)i * m.n_params + j] * G0[(size_t)i * m.n_params + j];
        }
        double want = sqrt(d / z);
        worst = fmax(worst, fabs(ch[i] - want) / want);
        CHECK_CLOSE(ch[i], want, 1e-4, 1e-7);
    }
    fprintf(stderr, "train kernels%s: K vs explicit %.3g / %.3g; distance %.4f; gradient change %.4f "
            "(rel err %.3g)\n", binary ? " (binary)" : "", e0, e1,
            lm_diag_kernel_distance(K0, K1, (size_t)NR * NR), ch[0], worst);
    free(K0);
    free(K1);
    free(G0);
    free(G1);
    free(Ke);
    free(inc);
    free(ch);
    lm_model_free(&m1);
    free(ft.best_params);
    free_split(&tr);
    lm_model_free(&m);
}

static void test_lora_kernel(void) {
    lm_model m;
    if (load("roberta-tiny", &m)) return;
    int32_t vocab[2] = {10, 20};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = vocab};
    lm_encoded_split tr, dv;
    make_split(&tr, 6, 2, 9);
    make_split(&dv, 4, 2, 10);
    lm_finetune_config fs = {.optimizer = LM_OPT_ADAMW, .steps = 6, .eval_every = 3,
                           .max_grad_norm = 1.0, .params = LM_PS_LORA,
                           .lora = {.r = 2, .alpha = 4, .targets = LM_LORA_QUERY | LM_LORA_VALUE}};
    lm_finetune_result ft;
    lm_error err;
    CHECK_MSG(lm_finetune(&m, &os, &fs, 1e-2, 3, 1, &tr, &dv, NULL, "acc", NULL, NULL, &ft, &err) == 0,
              "%s", err.msg);
    int NR = 12;
    double *K0, *K1, ch[12];
    CHECK_MSG(lm_diag_train_kernels(&m, &os, &ft, &tr, NULL, 0, &K0, &K1, ch, &err) == 0, "%s", err.msg);
    /* at θ0 (B = 0): K = K_heads + s² Σ_targets <G A0^T, G' A0^T>; the heads'
     * part is K(all) - K(no head) from kernel.h */
    lm_kernel_options ko = {.formula = LM_KF_SGD, .params = LM_PS_ALL};
    lm_example_set ts = {.n = tr.n, .ex = tr.ex};
    lm_kernel_result ka, kn;
    CHECK(lm_kernel_compute(&m, &os, &ko, &ts, &ts, 1, &ka, &err) == 0);
    ko.params = LM_PS_NO_HEAD;
    CHECK(lm_kernel_compute(&m, &os, &ko, &ts, &ts, 1, &kn, &err) == 0);
    double *Kw = lm_xmalloc(144 * sizeof(double));
    for (int i = 0; i < 144; i++) Kw[i] = ka.K[0][i] - kn.K[0][i];
    /* adapters: materialised dense gradients, projected by A0 */
    const lm_lora *L = &ft.lora;
    unsigned char *inc = lm_xcalloc((size_t)m.n_tensors, 1);
    for (int k = 0; k < L->n; k++) inc[L->t[k].tensor] = 1;
    double *G;
    double *Kt = lm_xmalloc(144 * sizeof(double));
    explicit_kernel(&m, &os, &tr, inc, Kt, &G);
    for (int i = 0; i < NR; i++)
        for (int j = 0; j < NR; j++) {
            double s = 0;
            for (int k = 0; k < L->n; k++) {
                const lm_lora_target *t = &L->t[k];
                const float *A = ft.lora0 + t->a_off;
                const double *Gi = G + (size_t)i * m.n_params + t->w_off, *Gj = G + (size_t)j * m.n_params + t->w_off;
                for (int o = 0; o < t->out; o++)
                    for (int q = 0; q < L->r; q++) {
                        double a = 0, b = 0;
                        for (int c = 0; c < t->in; c++) {
                            a += Gi[(size_t)o * t->in + c] * A[(size_t)q * t->in + c];
                            b += Gj[(size_t)o * t->in + c] * A[(size_t)q * t->in + c];
                        }
                        s += (double)L->scale * L->scale * a * b;
                    }
            }
            Kw[i * NR + j] += s;
        }
    double e = rel_diff(K0, Kw, 144);
    CHECK_MSG(e < 1e-4, "LoRA K(θ0) vs its definition: %.3g", e);
    double d = lm_diag_kernel_distance(K0, K1, 144);
    CHECK(d > 0 && !isnan(ch[0]) && ch[0] > 0);
    fprintf(stderr, "lora kernel: K(θ0) vs definition %.3g; distance %.4f; gradient change %.4f\n", e, d, ch[0]);
    free(G);
    free(Kt);
    free(Kw);
    free(inc);
    free(K0);
    free(K1);
    lm_kernel_result_free(&ka);
    lm_kernel_result_free(&kn);
    lm_finetune_result_free(&ft);
    free_split(&tr);
    free_split(&dv);
    lm_model_free(&m);
}

static void test_end_to_end(void) {
    lm_model m;
    if (load("roberta-tiny", &m)) return;
    int32_t vocab[2] = {10, 20};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = vocab, .binary = 1};
    lm_encoded_split tr, dv, te;
    make_split(&tr, 8, 2, 1);
    make_split(&dv, 6, 2, 2);
    make_split(&te, 10, 2, 3);
    lm_finetune_config fs = {.optimizer = LM_OPT_SGD, .steps = 6, .eval_every = 2, .max_grad_norm = 1.0};
    lm_finetune_result ft;
    lm_error err;
    CHECK_MSG(lm_finetune(&m, &os, &fs, 0.05, 4, 1, &tr, &dv, &te, "acc", NULL, NULL, &ft, &err) == 0,
              "%s", err.msg);
    int kp[10];
    for (int i = 0; i < 10; i++) kp[i] = i < 9 ? ft.test_pred[i] : 1 - ft.test_pred[i];
    lm_diag_input in = {.m0 = &m, .os = &os, .ft = &ft, .train = &tr, .test = &te, .metric = "acc",
                        .kernel_test_pred = kp, .kernel_test_metric = 0.5,
                        .thresholds = {.min_linearization_gain = 0.5, .max_kernel_distance = 0.1,
                                       .min_kernel_ft_ratio = 0.9}};
    lm_diag_result d;
    CHECK_MSG(lm_diagnostics(&in, &d, &err) == 0, "%s", err.msg);
    CHECK_CLOSE(d.metric_ft, ft.test_metric, 0, 1e-12);
    CHECK_CLOSE(d.agreement, 0.9, 0, 1e-12);
    CHECK(d.dim == 1 && d.n_grad == 8 && d.spec0.n == 8 && d.spec_ft.n == 8);
    CHECK(d.spec0.eig[0] >= d.spec0.eig[7]);
    CHECK(d.kernel_distance > 0);
    CHECK_CLOSE(d.kernel_ft_ratio, 0.5 / d.metric_ft, 1e-12, 0);
    cJSON *j = lm_diag_to_json(&d);
    char *txt = cJSON_PrintUnformatted(j);
    CHECK(strstr(txt, "\"linearization\"") && strstr(txt, "\"fixed_features\"") &&
          strstr(txt, "\"spectrum\"") && strstr(txt, "\"verdict\"") && strstr(txt, "\"thresholds\""));
    CHECK(!strstr(txt, "nan"));
    const cJSON *v = cJSON_GetObjectItem(j, "verdict");
    CHECK(cJSON_IsBool(cJSON_GetObjectItem(v, "fixed_features")));
    const cJSON *outcome = cJSON_GetObjectItem(v, "outcome"), *reason = cJSON_GetObjectItem(v, "reason");
    CHECK(cJSON_IsString(outcome) && !strcmp(outcome->valuestring, lm_diag_outcome_name(d.kernel_behavior)));
    CHECK(cJSON_IsString(reason) && reason->valuestring[0]);
    /* no gain over θ0: no share of a gain either */
    CHECK(d.metric_ft > d.metric_pt || isnan(d.lin_gain));
    fprintf(stderr, "diagnostics: pt %.2f ft %.2f lin %.2f gain %.2f; distance %.4f; change %.4f; "
            "eff. rank %.2f / %.2f; %.2f s\n%s\n", d.metric_pt, d.metric_ft, d.metric_lin, d.lin_gain,
            d.kernel_distance, d.grad_change_mean, d.spec0.eff_rank_pr, d.spec0.eff_rank_entropy,
            d.seconds, txt);
    free(txt);
    cJSON_Delete(j);
    lm_diag_result_free(&d);
    lm_finetune_result_free(&ft);
    free_split(&tr);
    free_split(&dv);
    free_split(&te);
    lm_model_free(&m);
}

/* no prompt: the classifier on <s>, initialised by the linear probe */
static void test_no_prompt(void) {
    lm_model m;
    lm_error err;
    char *d = lm_path_join(g_model_dir, "roberta-tiny");
    lm_load_options lo = {.n_classes = 3};
    CHECK_MSG(lm_model_load(d, &lo, &m, &err) == 0, "%s", err.msg);
    free(d);
    lm_output_spec os = {.head = LM_HEAD_CLASSIFIER, .n_out = 3};
    lm_encoded_split tr, dv, te;
    make_split(&tr, 15, 3, 1);
    make_split(&dv, 6, 3, 2);
    make_split(&te, 9, 3, 3);
    CHECK_MSG(lm_linear_head_init(&m, &os, &tr, 1, NULL, &err) == 0, "%s", err.msg);
    lm_finetune_config fs = {.optimizer = LM_OPT_ADAMW, .steps = 4, .eval_every = 2, .max_grad_norm = 1.0};
    lm_finetune_result ft;
    CHECK_MSG(lm_finetune(&m, &os, &fs, 1e-3, 5, 1, &tr, &dv, &te, "acc", NULL, NULL, &ft, &err) == 0,
              "%s", err.msg);
    /* the MLM head is not used: untouched */
    for (int t = 0; t < m.n_tensors; t++)
        if (m.tensors[t].role == LM_R_HEAD_W)
            CHECK(memcmp(ft.best_params + m.tensors[t].offset, m.params + m.tensors[t].offset,
                         (size_t)m.tensors[t].rows * m.tensors[t].cols * 4) == 0);
    lm_diag_input in = {.m0 = &m, .os = &os, .ft = &ft, .train = &tr, .test = &te, .metric = "acc",
                        .kernel_test_metric = NAN,
                        .thresholds = {.min_linearization_gain = 0.5, .max_kernel_distance = 0.1,
                                       .min_kernel_ft_ratio = 0.9}};
    lm_diag_result r;
    CHECK_MSG(lm_diagnostics(&in, &r, &err) == 0, "%s", err.msg);
    CHECK(r.dim == 3 && r.spec0.n == 45 && isnan(r.agreement) && r.kernel_solves == -1);
    CHECK(r.kernel_distance > 0 && r.grad_change_mean > 0);
    fprintf(stderr, "no prompt: pt %.2f ft %.2f lin %.2f; distance %.4f; change %.4f\n", r.metric_pt,
            r.metric_ft, r.metric_lin, r.kernel_distance, r.grad_change_mean);
    lm_diag_result_free(&r);
    lm_finetune_result_free(&ft);
    free_split(&tr);
    free_split(&dv);
    free_split(&te);
    lm_model_free(&m);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_diag MODEL_FIXTURES\n");
        return 2;
    }
    g_model_dir = argv[1];
    test_spectrum();
    test_linearized();
    test_train_kernels(0);
    test_train_kernels(1);
    test_lora_kernel();
    test_end_to_end();
    test_no_prompt();
    return check_exit("test_diag");
}
