/* layers.c - the layers' forward and backward passes on OpenBLAS. */
#include "model/layers.h"

#include <cblas.h>
#undef I /* complex.h (pulled in by cblas.h) defines I; we use it for FFN widths */
#include <math.h>
#include <string.h>

void lm_linear_forward(float *y, const float *x, const float *W, const float *b, int T, int I, int O) {
    if (T == 0) return;
    if (b)
        for (int t = 0; t < T; t++) memcpy(y + (size_t)t * O, b, (size_t)O * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, O, I, 1.0f, x, I, W, I,
                b ? 1.0f : 0.0f, y, O);
}

void lm_linear_backward_input(float *dx, const float *dy, const float *W, int T, int I, int O,
                              float beta) {
    if (T == 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, I, O, 1.0f, dy, O, W, I, beta, dx, I);
}

void lm_linear_backward_params(float *dW, float *db, const float *dy, const float *x, int T, int I,
                               int O) {
    if (T == 0) return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, I, T, 1.0f, dy, O, x, I, 1.0f, dW, I);
    if (db)
        for (int t = 0; t < T; t++) {
            const float *r = dy + (size_t)t * O;
            for (int o = 0; o < O; o++) db[o] += r[o];
        }
}

void lm_layernorm_forward(float *y, float *xhat, float *rstd, const float *x, const float *g,
                          const float *b, int T, int H, float eps) {
    for (int t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * H;
        float *yr = y + (size_t)t * H, *hr = xhat + (size_t)t * H;
        double mean = 0, var = 0;
        for (int i = 0; i < H; i++) mean += xr[i];
        mean /= H;
        for (int i = 0; i < H; i++) {
            double d = xr[i] - mean;
            var += d * d;
        }
        var /= H;
        float rs = (float)(1.0 / sqrt(var + eps));
        for (int i = 0; i < H; i++) {
            float h = (float)(xr[i] - mean) * rs;
            hr[i] = h;
            yr[i] = h * g[i] + b[i];
        }
        rstd[t] = rs;
    }
}

void lm_layernorm_backward(float *dx, float *dg, float *db, const float *dy, const float *xhat,
                           const float *rstd, const float *g, const int *group, int T, int H,
                           float beta) {
    for (int t = 0; t < T; t++) {
        const float *dyr = dy + (size_t)t * H, *hr = xhat + (size_t)t * H;
        float *dxr = dx + (size_t)t * H;
        double sum_d = 0, sum_dh = 0;
        for (int i = 0; i < H; i++) {
            float d = dyr[i] * g[i];
            sum_d += d;
            sum_dh += d * hr[i];
        }
        float md = (float)(sum_d / H), mdh = (float)(sum_dh / H), rs = rstd[t];
        for (int i = 0; i < H; i++) {
            float v = rs * (dyr[i] * g[i] - md - hr[i] * mdh);
            dxr[i] = beta != 0.0f ? dxr[i] + v : v;
        }
        if (dg) {
            size_t row = group ? (size_t)group[t] * H : 0;
            for (int i = 0; i < H; i++) {
                dg[row + i] += dyr[i] * hr[i];
                db[row + i] += dyr[i];
            }
        }
    }
}

#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f
#define SQRT_2_OVER_PI 0.79788456080286535588f

void lm_activation_forward(float *out, const float *u, long N, lm_act act) {
    switch (act) {
    case LM_ACT_GELU:
        for (long i = 0; i < N; i++) out[i] = 0.5f * u[i] * (1.0f + erff(u[i] * INV_SQRT2));
        break;
    case LM_ACT_GELU_TANH:
        for (long i = 0; i < N; i++) {
            float x = u[i];
            out[i] = 0.5f * x * (1.0f + tanhf(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
        }
        break;
    case LM_ACT_RELU:
        for (long i = 0; i < N; i++) out[i] = u[i] > 0 ? u[i] : 0;
        break;
    }
}

void lm_activation_backward(float *du, const float *dout, const float *u, long N, lm_act act) {
    switch (act) {
    case LM_ACT_GELU:
        for (long i = 0; i < N; i++) {
            float x = u[i];
            float cdf = 0.5f * (1.0f + erff(x * INV_SQRT2));
            float pdf = INV_SQRT_2PI * expf(-0.5f * x * x);
            du[i] = dout[i] * (cdf + x * pdf);
        }
        break;
    case LM_ACT_GELU_TANH:
        for (long i = 0; i < N; i++) {
            float x = u[i], inner = SQRT_2_OVER_PI * (x + 0.044715f * x * x * x);
            float th = tanhf(inner);
            float d = 0.5f * (1 + th) + 0.5f * x * (1 - th * th) * SQRT_2_OVER_PI *
                                            (1 + 3 * 0.044715f * x * x);
            du[i] = dout[i] * d;
        }
        break;
    case LM_ACT_RELU:
        for (long i = 0; i < N; i++) du[i] = u[i] > 0 ? dout[i] : 0;
        break;
    }
}

void lm_attention_forward(float *ctx, float *probs, const float *q, const float *k, const float *v,
                          int L, int H, int nh) {
    lm_attention_forward_dropout(ctx, probs, q, k, v, L, H, nh, NULL, 1.0f, NULL);
}

void lm_attention_forward_dropout(float *ctx, float *probs, const float *q, const float *k,
                                  const float *v, int L, int H, int nh, const uint8_t *keep,
                                  float scale, float *scratch) {
    int dh = H / nh;
    float sm_scale = 1.0f / sqrtf((float)dh);
    for (int h = 0; h < nh; h++) {
        float *P = probs + (size_t)h * L * L;
        /* P = softmax(q_h k_h^T / sqrt(dh)) row-wise */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, dh, sm_scale, q + h * dh, H,
                    k + h * dh, H, 0.0f, P, L);
        for (int i = 0; i < L; i++) {
            float *row = P + (size_t)i * L, mx = row[0], sum = 0;
            for (int j = 1; j < L; j++) mx = row[j] > mx ? row[j] : mx;
            for (int j = 0; j < L; j++) {
                row[j] = expf(row[j] - mx);
                sum += row[j];
            }
            float inv = 1.0f / sum;
            for (int j = 0; j < L; j++) row[j] *= inv;
        }
        const float *Pv = P;
        if (keep) {
            /* the dropped probabilities feed the product; P itself is kept */
            const uint8_t *kh = keep + (size_t)h * L * L;
            for (size_t i = 0; i < (size_t)L * L; i++) scratch[i] = kh[i] ? P[i] * scale : 0.0f;
            Pv = scratch;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, dh, L, 1.0f, Pv, L, v + h * dh, H,
                    0.0f, ctx + h * dh, H);
    }
}

void lm_attention_backward(float *dq, float *dk, float *dv, const float *dctx, const float *probs,
                           const float *q, const float *k, const float *v, int L, int H, int nh,
                           float *scratch) {
    lm_attention_backward_dropout(dq, dk, dv, dctx, probs, q, k, v, L, H, nh, NULL, 1.0f, scratch);
}

void lm_attention_backward_dropout(float *dq, float *dk, float *dv, const float *dctx,
                                   const float *probs, const float *q, const float *k,
                                   const float *v, int L, int H, int nh, const uint8_t *keep,
                                   float scale, float *scratch) {
    int dh = H / nh;
    float sm_scale = 1.0f / sqrtf((float)dh);
    size_t LL = (size_t)L * L;
    for (int h = 0; h < nh; h++) {
        const float *P = probs + (size_t)h * LL, *Pv = P;
        const uint8_t *kh = keep ? keep + (size_t)h * LL : NULL;
        float *dP = scratch;
        if (kh) {
            float *Pd = scratch + LL;
            for (size_t i = 0; i < LL; i++) Pd[i] = kh[i] ? P[i] * scale : 0.0f;
            Pv = Pd;
        }
        /* dv_h = P'^T dctx_h ; dP' = dctx_h v_h^T (P' = P, or P dropped) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L, dh, L, 1.0f, Pv, L, dctx + h * dh,
                    H, 0.0f, dv + h * dh, H);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, dh, 1.0f, dctx + h * dh, H,
                    v + h * dh, H, 0.0f, dP, L);
        if (kh) lm_dropout_apply(dP, kh, scale, (long)LL);
        /* softmax backward: dS = P * (dP - rowsum(P * dP)), times the scale */
        for (int i = 0; i < L; i++) {
            const float *pr = P + (size_t)i * L;
            float *dr = dP + (size_t)i * L, dot = 0;
            for (int j = 0; j < L; j++) dot += pr[j] * dr[j];
            for (int j = 0; j < L; j++) dr[j] = pr[j] * (dr[j] - dot) * sm_scale;
        }
        /* dq_h = dS k_h ; dk_h = dS^T q_h */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, dh, L, 1.0f, dP, L, k + h * dh, H,
                    0.0f, dq + h * dh, H);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L, dh, L, 1.0f, dP, L, q + h * dh, H,
                    0.0f, dk + h * dh, H);
    }
}

void lm_dropout_apply(float *x, const uint8_t *keep, float scale, long N) {
    for (long i = 0; i < N; i++) x[i] = keep[i] ? x[i] * scale : 0.0f;
}
