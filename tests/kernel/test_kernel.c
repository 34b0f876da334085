/* test_kernel.c - the three kernel formulas against kernels built from the
 * per-example gradients that torch autograd computed for the engine
 * fixtures (tests/fixtures/model), on every parameter set; plus the
 * identities of spec §7.7. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "kernel_fx.h"
#include "util/rng.h"

/* The reference gradient of example s, output c, tensor ti (NULL if absent). */
static const float *ref_grad(const fixture *fx, int s, int c, int ti) {
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(fx->exp, "examples"), s);
    const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(e, "grad_off"), c);
    const cJSON *o = cJSON_GetObjectItem(g, fx->m.tensors[ti].name);
    return o ? fx->blob + o->valueint / 4 : NULL;
}

static double sgnd(double x) { return (x > 0) - (x < 0); }

/* Reference K[t,c,x,c'] from autograd gradients, in float64.  Key biases
 * and the pooler are mathematically zero: their float rounding noise is
 * left out (the engine returns exact zeros). */
static double ref_entry(const fixture *fx, lm_param_set ps, lm_kernel_formula f, int t, int c,
                        int x, int cc, int flip) {
    double s = 0;
    for (int ti = 0; ti < fx->m.n_tensors; ti++) {
        const lm_param_tensor *pt = &fx->m.tensors[ti];
        if (!lm_param_set_includes(&fx->m, ti, ps) || pt->role == LM_R_K_B ||
            pt->kind == LM_PK_UNUSED)
            continue;
        const float *a = ref_grad(fx, t, c, ti), *b = ref_grad(fx, x, cc, ti);
        size_t n = (size_t)pt->rows * pt->cols;
        for (size_t i = 0; i < n; i++) {
            if (f == LM_KF_SGD) s += (double)a[i] * b[i];
            else if (f == LM_KF_SIGNGD) s += sgnd(a[i]) * sgnd(b[i]);
            else if (!flip) s += sgnd(a[i]) * b[i];
            else s += a[i] * sgnd(b[i]);
        }
    }
    return s;
}

/* budget 0: the default; 1: the least the job accepts, with blocks of 24
 * tokens (many blocks, one of each side in memory at a time) */
static void check_formula_by(fixture *fx, lm_param_set ps, lm_kernel_formula f, int tight,
                             int sgd_method) {
    lm_error err;
    lm_output_spec os = out_spec(fx);
    lm_kernel_options opt = {.formula = f, .params = ps, .sgd_method = sgd_method,
                             .block_tokens = tight ? 24 : 0};
    lm_example_set train = {fx->n, fx->ex};
    lm_example_set sets[2] = {{fx->n, fx->ex}, {1, fx->ex + 1}};
    lm_kernel_result res;
    size_t budget = 0;
    if (tight) CHECK(lm_kernel_min_memory(&fx->m, &os, &opt, &train, sets, 2, &budget, &err) == 0);
    opt.mem_budget = budget;
    int rc = lm_kernel_compute(&fx->m, &os, &opt, &train, sets, 2, &res, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc) return;
    int C = fx->K, n = fx->n;
    double worst = 0;
    for (int t = 0; t < n; t++)
        for (int c = 0; c < C; c++)
            for (int x = 0; x < n; x++)
                for (int cc = 0; cc < C; cc++) {
                    size_t at = (((size_t)t * C + c) * n + x) * C + cc;
                    double want = ref_entry(fx, ps, f, t, c, x, cc, 0), got = res.K[0][at];
                    /* relative to the Cauchy-Schwarz scale sqrt(K(t,t) K(x,x)): an
                     * entry far below it is a cancellation, where float32
                     * gradients cannot give 1e-6 of the entry itself */
                    double scale = sqrt(fabs(ref_entry(fx, ps, f, t, c, t, c, 0)) *
                                        fabs(ref_entry(fx, ps, f, x, cc, x, cc, 0)));
                    if (f == LM_KF_SIGNGD) {
                        CHECK_MSG(got == want, "signgd K[%d,%d,%d,%d] = %.1f, want %.1f", t, c, x,
                                  cc, got, want);
                    } else {
                        double rel = fabs(got - want) / fmax(scale, 1e-12);
                        if (rel > worst) worst = rel;
                        CHECK_MSG(rel <= 1e-6, "formula %d K[%d,%d,%d,%d] = %.9g, want %.9g", f, t,
                                  c, x, cc, got, want);
                    }
                    if (f == LM_KF_ASYM) {
                        double wf = ref_entry(fx, ps, f, t, c, x, cc, 1);
                        CHECK_CLOSE(res.K_flip[0][at], wf, 0, 1e-6 * scale);
                    }
                }
    /* a second evaluation set gives the same columns (up to the summation
     * order of a different chunk: exact for signgd) */
    for (int t = 0; t < n; t++)
        for (int c = 0; c < C; c++)
            for (int cc = 0; cc < C; cc++) {
                double a = res.K[1][((size_t)t * C + c) * C + cc];
                double b = res.K[0][(((size_t)t * C + c) * n + 1) * C + cc];
                size_t dt = ((size_t)t * C + c) * n * C + t * C + c, dx = ((size_t)1 * C + cc) * n * C + C + cc;
                double sc = sqrt(fabs(res.K[0][dt] * res.K[0][dx]));
                if (f == LM_KF_SIGNGD) CHECK(a == b);
                else CHECK_CLOSE(a, b, 0, 1e-6 * sc);
            }
    /* §7.7: symmetry, diagonals */
    for (int a = 0; a < n * C; a++)
        for (int b = 0; b < n * C; b++) {
            double kab = res.K[0][(size_t)a * n * C + b], kba = res.K[0][(size_t)b * n * C + a];
            double sc = sqrt(fabs(res.K[0][(size_t)a * n * C + a] * res.K[0][(size_t)b * n * C + b]));
            if (f == LM_KF_SGD) CHECK_CLOSE(kab, kba, 0, 1e-6 * sc);
            if (f == LM_KF_SIGNGD) CHECK(kab == kba);
            if (f == LM_KF_ASYM) CHECK_CLOSE(res.K_flip[0][(size_t)b * n * C + a], kab, 0, 1e-6 * sc);
        }
    /* f0 = the label-word logits */
    CHECK(res.f0_train && fabsf(res.f0_train[0] - res.f0[0][0]) < 1e-6f);
    fprintf(stderr, "formula %d params %d budget %zu sgd method %d: worst rel err %.3g, %.3g MFLOP\n",
            f, ps, budget, sgd_method, worst, res.flops / 1e6);
    /* the budget decides only what is in memory at once: the same bits as
     * with the default budget */
    if (tight) {
        lm_kernel_result big;
        opt.mem_budget = 0;
        if (lm_kernel_compute(&fx->m, &os, &opt, &train, sets, 2, &big, &err) == 0) {
            for (int k = 0; k < 2; k++) {
                size_t cells = (size_t)n * C * sets[k].n * C;
                CHECK(memcmp(big.K[k], res.K[k], cells * sizeof(double)) == 0);
                if (f == LM_KF_ASYM) CHECK(memcmp(big.K_flip[k], res.K_flip[k], cells * sizeof(double)) == 0);
            }
            lm_kernel_result_free(&big);
        } else {
            CHECK_MSG(0, "%s", err.msg);
        }
    }
    lm_kernel_result_free(&res);
}

/* sgd both ways (token Grams and formed gradients); the others once */
static void check_formula(fixture *fx, lm_param_set ps, lm_kernel_formula f, int tight) {
    check_formula_by(fx, ps, f, tight, f == LM_KF_SGD ? 1 : 0);
    if (f == LM_KF_SGD) check_formula_by(fx, ps, f, tight, 2);
}

static void check_diagonals(fixture *fx) {
    lm_error err;
    lm_output_spec os = out_spec(fx);
    lm_example_set train = {fx->n, fx->ex};
    lm_kernel_result sg, si, as;
    lm_kernel_options o1 = {.formula = LM_KF_SGD}, o2 = {.formula = LM_KF_SIGNGD},
                      o3 = {.formula = LM_KF_ASYM};
    CHECK(lm_kernel_compute(&fx->m, &os, &o1, &train, &train, 1, &sg, &err) == 0);
    CHECK(lm_kernel_compute(&fx->m, &os, &o2, &train, &train, 1, &si, &err) == 0);
    CHECK(lm_kernel_compute(&fx->m, &os, &o3, &train, &train, 1, &as, &err) == 0);
    int C = fx->K, N = fx->n * C;
    float *g = lm_xmalloc(fx->m.n_params * sizeof(float));
    for (int a = 0; a < N; a++) {
        double n2 = 0, n1 = 0, nz = 0;
        for (int ti = 0; ti < fx->m.n_tensors; ti++) {
            const lm_param_tensor *pt = &fx->m.tensors[ti];
            if (pt->role == LM_R_K_B || pt->kind == LM_PK_UNUSED) continue;
            const float *r = ref_grad(fx, a / C, a % C, ti);
            for (size_t i = 0; i < (size_t)pt->rows * pt->cols; i++) {
                n2 += (double)r[i] * r[i];
                n1 += fabs(r[i]);
                nz += r[i] != 0;
            }
        }
        size_t d = (size_t)a * N + a;
        CHECK_CLOSE(sg.K[0][d], n2, 1e-6, 0);  /* sgd diagonal = |g|^2 */
        CHECK(si.K[0][d] == nz);               /* signgd diagonal = nonzeros */
        CHECK_CLOSE(as.K[0][d], n1, 1e-6, 0);  /* asym diagonal = |g|_1 */
    }
    free(g);
    lm_kernel_result_free(&sg);
    lm_kernel_result_free(&si);
    lm_kernel_result_free(&as);
}

/* CountSketch projection: close to the exact kernel for a wide sketch, and
 * the reported error is the train x train relative Frobenius error. */
static void check_projection(fixture *fx, lm_kernel_formula f) {
    lm_error err;
    lm_output_spec os = out_spec(fx);
    lm_example_set train = {fx->n, fx->ex};
    lm_kernel_options ex = {.formula = f}, pj = {.formula = f, .projection_dim = 8192, .projection_seed = 7};
    lm_kernel_result a, b;
    CHECK(lm_kernel_compute(&fx->m, &os, &ex, &train, &train, 1, &a, &err) == 0);
    CHECK_MSG(lm_kernel_compute(&fx->m, &os, &pj, &train, &train, 1, &b, &err) == 0, "%s", err.msg);
    size_t cells = (size_t)fx->n * fx->K * fx->n * fx->K;
    double num = 0, den = 0;
    for (size_t i = 0; i < cells; i++) {
        num += (a.K[0][i] - b.K[0][i]) * (a.K[0][i] - b.K[0][i]);
        den += a.K[0][i] * a.K[0][i];
    }
    double rel = sqrt(num / den);
    fprintf(stderr, "projection formula %d k=8192: rel Frobenius error %.4f (reported %.4f)\n", f, rel,
            b.projection_rel_error);
    CHECK(rel < 0.1);
    CHECK_CLOSE(b.projection_rel_error, rel, 1e-9, 1e-12);
    CHECK(fabsf(a.f0_train[0] - b.f0_train[0]) < 1e-6f);
    lm_kernel_result_free(&a);
    lm_kernel_result_free(&b);
}

/* The LoRA subspace: dA = s B^T G_W, dB = s G_W A^T for the query and value
 * weights of every layer, plus the heads; B nonzero so both blocks count. */
static void check_lora(fixture *fx, lm_kernel_formula f) {
    lm_error err;
    lm_model *m = &fx->m;
    int tens[16], n = 0, r = 3;
    for (int i = 0; i < m->n_tensors && n < 16; i++)
        if (m->tensors[i].role == LM_R_Q_W || m->tensors[i].role == LM_R_V_W) tens[n++] = i;
    float *A[16], *B[16], scale = 2.0f / r;
    lm_rng rng;
    lm_rng_seed(&rng, 5);
    for (int j = 0; j < n; j++) {
        const lm_param_tensor *t = &m->tensors[tens[j]];
        A[j] = lm_xmalloc((size_t)r * t->cols * sizeof(float));
        B[j] = lm_xmalloc((size_t)t->rows * r * sizeof(float));
        for (int i = 0; i < r * t->cols; i++) A[j][i] = (float)lm_rng_normal(&rng) * 0.3f;
        for (int i = 0; i < t->rows * r; i++) B[j][i] = (float)lm_rng_normal(&rng) * 0.3f;
    }
    lm_kernel_lora L = {.n = n, .r = r, .scale = scale, .tensor = tens, .A = (const float *const *)A,
                        .B = (const float *const *)B};
    lm_output_spec os = out_spec(fx);
    lm_kernel_options opt = {.formula = f, .params = LM_PS_LORA, .lora = &L};
    lm_example_set train = {fx->n, fx->ex};
    lm_kernel_result res;
    int rc = lm_kernel_compute(m, &os, &opt, &train, &train, 1, &res, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc) return;
    /* the reference: project the autograd gradients */
    int C = fx->K, N = fx->n * C;
    size_t width = 0;
    for (int j = 0; j < n; j++) width += (size_t)r * (m->tensors[tens[j]].rows + m->tensors[tens[j]].cols);
    double *F = lm_xcalloc((size_t)N * width, sizeof(double));
    for (int a = 0; a < N; a++) {
        double *row = F + (size_t)a * width;
        for (int j = 0; j < n; j++) {
            const lm_param_tensor *t = &m->tensors[tens[j]];
            const float *G = ref_grad(fx, a / C, a % C, tens[j]);
            int out = t->rows, in = t->cols;
            for (int i = 0; i < r; i++)          /* dA[i, c] = s sum_o B[o, i] G[o, c] */
                for (int c = 0; c < in; c++) {
                    double v = 0;
                    for (int o = 0; o < out; o++) v += (double)B[j][o * r + i] * G[o * in + c];
                    *row++ = scale * v;
                }
            for (int o = 0; o < out; o++)        /* dB[o, i] = s sum_c G[o, c] A[i, c] */
                for (int i = 0; i < r; i++) {
                    double v = 0;
                    for (int c = 0; c < in; c++) v += (double)G[o * in + c] * A[j][i * in + c];
                    *row++ = scale * v;
                }
        }
    }
    for (int a = 0; a < N; a++)
        for (int b = 0; b < N; b++) {
            double want = ref_entry(fx, LM_PS_LORA, f, a / C, a % C, b / C, b % C, 0), got;
            const double *x = F + (size_t)a * width, *y = F + (size_t)b * width;
            for (size_t i = 0; i < width; i++)
                want += f == LM_KF_SGD ? x[i] * y[i] : f == LM_KF_SIGNGD ? sgnd(x[i]) * sgnd(y[i]) : sgnd(x[i]) * y[i];
            got = res.K[0][(size_t)a * N + b];
            if (f == LM_KF_SIGNGD) CHECK_MSG(got == want, "lora signgd [%d,%d] %.1f vs %.1f", a, b, got, want);
            else CHECK_MSG(fabs(got - want) <= 1e-5 * fmax(fabs(want), 1.0), "lora [%d,%d] %.9g vs %.9g", a, b, got, want);
        }
    free(F);
    for (int j = 0; j < n; j++) {
        free(A[j]);
        free(B[j]);
    }
    lm_kernel_result_free(&res);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        fixture fx;
        if (load(argv[i], &fx)) {
            CHECK(0);
            continue;
        }
        lm_kernel_formula fs[] = {LM_KF_SGD, LM_KF_SIGNGD, LM_KF_ASYM};
        for (int f = 0; f < 3; f++) {
            check_formula(&fx, LM_PS_ALL, fs[f], 0);
            /* many blocks and the least budget: same numbers */
            check_formula(&fx, LM_PS_ALL, fs[f], 1);
        }
        check_formula(&fx, LM_PS_NO_EMBEDDINGS, LM_KF_SGD, 0);
        check_formula(&fx, LM_PS_NO_EMBEDDINGS, LM_KF_SIGNGD, 1);
        check_formula(&fx, LM_PS_NO_HEAD, LM_KF_SIGNGD, 0);
        check_formula(&fx, LM_PS_BIASES, LM_KF_ASYM, 0);
        /* sgd takes linear weights by token Gram matrices: every subset */
        check_formula(&fx, LM_PS_BIASES, LM_KF_SGD, 0);
        check_formula(&fx, LM_PS_NO_HEAD, LM_KF_SGD, 1);
        check_diagonals(&fx);
        check_projection(&fx, LM_KF_SGD);
        check_lora(&fx, LM_KF_SGD);
        check_lora(&fx, LM_KF_SIGNGD);
        check_projection(&fx, LM_KF_SIGNGD);
        unload(&fx);
    }
    return check_exit("test_kernel");
}
