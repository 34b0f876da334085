/* lora.c - LoRA adapters: init, merge, gradients, tangent. */
#include "train/lora.h"

#include <cblas.h>
#undef I
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

int lm_lora_target_role(unsigned bit) {
    switch (bit) {
    case LM_LORA_QUERY: return LM_R_Q_W;
    case LM_LORA_KEY: return LM_R_K_W;
    case LM_LORA_VALUE: return LM_R_V_W;
    case LM_LORA_ATTENTION_OUTPUT: return LM_R_O_W;
    case LM_LORA_INTERMEDIATE: return LM_R_FF1_W;
    case LM_LORA_OUTPUT: return LM_R_FF2_W;
    }
    return -1;
}

static int is_target(const lm_param_tensor *t, unsigned targets) {
    for (unsigned bit = 1; bit <= LM_LORA_OUTPUT; bit <<= 1)
        if ((targets & bit) && (int)t->role == lm_lora_target_role(bit)) return 1;
    return 0;
}

int lm_lora_head_trainable(const lm_model *m, int tensor) {
    const char *n = m->tensors[tensor].name;
    return strncmp(n, "roberta.", 8) != 0 && strncmp(n, "bert.", 5) != 0;
}

int lm_lora_init(lm_lora *L, const lm_model *m, const lm_lora_config *spec, lm_error *err) {
    memset(L, 0, sizeof *L);
    if (spec->r < 1) return lm_fail(err, "lora.r: %d must be >= 1", spec->r);
    if (!(spec->alpha > 0)) return lm_fail(err, "lora.alpha: must be > 0");
    L->r = spec->r;
    L->alpha = spec->alpha;
    L->scale = (float)(spec->alpha / spec->r);
    L->t = lm_xcalloc((size_t)m->n_tensors, sizeof *L->t);
    size_t n_w0 = 0;
    /* tensors are in layer order with Q, K, V, O, FF1, FF2 inside a layer */
    for (int i = 0; i < m->n_tensors; i++) {
        const lm_param_tensor *pt = &m->tensors[i];
        if (!is_target(pt, spec->targets)) continue;
        lm_lora_target *t = &L->t[L->n++];
        t->tensor = i;
        t->out = pt->rows;
        t->w_off = pt->offset;
        t->in = pt->cols;
        t->a_off = L->n_params;
        L->n_params += (size_t)L->r * t->in;
        t->b_off = L->n_params;
        L->n_params += (size_t)t->out * L->r;
        size_t len = strlen(pt->name) >= 7 ? strlen(pt->name) - 7 : 0; /* drop ".weight" */
        snprintf(t->name_a, sizeof t->name_a, "%.*s.lora_A", (int)len, pt->name);
        snprintf(t->name_b, sizeof t->name_b, "%.*s.lora_B", (int)len, pt->name);
        n_w0 += (size_t)t->out * t->in;
    }
    if (L->n == 0) {
        lm_lora_free(L);
        return lm_fail(err, "lora.targets: no weight of the model is a target");
    }
    L->params = lm_xcalloc(L->n_params, sizeof(float));
    L->w0 = lm_xmalloc(n_w0 * sizeof(float));
    lm_rng rng;
    lm_rng_seed(&rng, spec->seed);
    size_t w = 0;
    for (int k = 0; k < L->n; k++) {
        lm_lora_target *t = &L->t[k];
        float *A = L->params + t->a_off;
        size_t na = (size_t)L->r * t->in;
        if (spec->init == LM_LORA_INIT_GAUSSIAN) {
            double sd = 1.0 / sqrt((double)L->r);
            for (size_t j = 0; j < na; j++) A[j] = (float)(sd * lm_rng_normal(&rng));
        } else {
            /* kaiming_uniform_(a=sqrt(5)) on [r, in]: gain sqrt(2/6), bound gain*sqrt(3/in) */
            double bound = 1.0 / sqrt((double)t->in);
            for (size_t j = 0; j < na; j++) A[j] = (float)(bound * (2.0 * lm_rng_uniform(&rng) - 1.0));
        }
        size_t nw = (size_t)t->out * t->in;
        memcpy(L->w0 + w, m->params + m->tensors[t->tensor].offset, nw * sizeof(float));
        w += nw;
    }
    return 0;
}

void lm_lora_merge(const lm_lora *L, const float *ab, lm_model *m) {
    if (!ab) ab = L->params;
    size_t w = 0;
    for (int k = 0; k < L->n; k++) {
        const lm_lora_target *t = &L->t[k];
        float *W = m->params + m->tensors[t->tensor].offset;
        size_t nw = (size_t)t->out * t->in;
        memcpy(W, L->w0 + w, nw * sizeof(float));
        /* W += s B[out,r] A[r,in] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t->out, t->in, L->r, L->scale,
                    ab + t->b_off, L->r, ab + t->a_off, t->in, 1.0f, W, t->in);
        w += nw;
    }
}

void lm_lora_grads(const lm_lora *L, const float *ab, const float *dense_grad, float *ab_grad) {
    if (!ab) ab = L->params;
    for (int k = 0; k < L->n; k++) {
        const lm_lora_target *t = &L->t[k];
        const float *G = dense_grad + t->w_off, *A = ab + t->a_off, *B = ab + t->b_off;
        /* dA [r,in] = s B^T G ;  dB [out,r] = s G A^T */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->r, t->in, t->out, L->scale, B, L->r,
                    G, t->in, 0.0f, ab_grad + t->a_off, t->in);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t->out, L->r, t->in, L->scale, G, t->in,
                    A, t->in, 0.0f, ab_grad + t->b_off, L->r);
    }
}

void lm_lora_tangent(const lm_lora *L, const float *ab0, const float *ab1, float *tangent) {
    float *d = lm_xmalloc(L->n_params * sizeof(float));
    for (size_t j = 0; j < L->n_params; j++) d[j] = ab1[j] - ab0[j];
    for (int k = 0; k < L->n; k++) {
        const lm_lora_target *t = &L->t[k];
        float *T = tangent + t->w_off;
        /* T = s B0 dA + s dB A0 */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t->out, t->in, L->r, L->scale,
                    ab0 + t->b_off, L->r, d + t->a_off, t->in, 0.0f, T, t->in);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t->out, t->in, L->r, L->scale,
                    d + t->b_off, L->r, ab0 + t->a_off, t->in, 1.0f, T, t->in);
    }
    free(d);
}

void lm_lora_free(lm_lora *L) {
    free(L->t);
    free(L->params);
    free(L->w0);
    memset(L, 0, sizeof *L);
}
