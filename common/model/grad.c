/* grad.c - per-example gradients from the backward pass's factors. */
#include "model/grad.h"

#include <cblas.h>
#undef I /* complex.h (pulled in by cblas.h) defines I; we use it for FFN widths */
#include <string.h>

/* The input rows X and delta rows Δ of a linear weight, and their widths. */
static void linear_factors(const lm_pass *p, const lm_param_tensor *t, int r, const float **X,
                           const float **D, int *in, int *out) {
    const lm_config *c = &p->m->cfg;
    int H = c->hidden, I = c->intermediate, T = p->b->n_tokens, l = t->layer;
    const lm_acts *a = p->a;
    const lm_layer_bwd *d = l >= 0 ? &p->bw->layers[l] : NULL;
    const float *x_in = l == 0 ? a->x0 : l > 0 ? a->layers[l - 1].y2 : NULL;
    size_t rH = (size_t)r * T * H, rI = (size_t)r * T * I;
    *in = H;
    *out = H;
    switch (t->role) {
    case LM_R_Q_W: case LM_R_Q_B: *X = x_in; *D = d->dq + rH; break;
    case LM_R_K_W: case LM_R_K_B: *X = x_in; *D = d->dk + rH; break;
    case LM_R_V_W: case LM_R_V_B: *X = x_in; *D = d->dv + rH; break;
    case LM_R_O_W: case LM_R_O_B: *X = a->layers[l].ctx; *D = d->dattn + rH; break;
    case LM_R_FF1_W: case LM_R_FF1_B: *X = a->layers[l].y1; *D = d->du + rI; *out = I; break;
    case LM_R_FF2_W: case LM_R_FF2_B: *X = a->layers[l].g; *D = d->dz + rH; *in = I; break;
    default: *X = NULL; *D = NULL; break;
    }
}

int lm_grad_tensor_is_zero(const lm_pass *p, int tensor) {
    const lm_param_tensor *t = &p->m->tensors[tensor];
    if (t->kind == LM_PK_UNUSED || t->role == LM_R_K_B) return 1;
    int head_role = t->role >= LM_R_HEAD_W && t->role <= LM_R_DEC_B;
    if (p->head == LM_HEAD_CLASSIFIER && head_role) return 1;
    if (p->head == LM_HEAD_MLM && (t->role == LM_R_CLS_W || t->role == LM_R_CLS_B)) return 1;
    return 0;
}

static void add_decoder_rows(const lm_pass *p, int s, int r, float *out) {
    int H = p->m->cfg.hidden;
    const float *dl = p->dlogits + ((size_t)r * p->b->n_seq + s) * p->n_out;
    const float *y = p->ha->y + (size_t)s * H;
    for (int j = 0; j < p->n_out; j++) {
        float *row = out + (size_t)p->vocab[j] * H;
        for (int h = 0; h < H; h++) row[h] += dl[j] * y[h];
    }
}

void lm_grad_tensor(const lm_pass *p, int tensor, int s, int r, float *out) {
    const lm_param_tensor *t = &p->m->tensors[tensor];
    const lm_batch *b = p->b;
    int H = p->m->cfg.hidden, T = b->n_tokens, n_seq = b->n_seq;
    size_t numel = (size_t)t->rows * t->cols;
    memset(out, 0, numel * sizeof(float));
    if (lm_grad_tensor_is_zero(p, tensor)) return;
    int t0 = b->seq_start[s], L = b->seq_start[s + 1] - t0;
    size_t rs = ((size_t)r * n_seq + s) * H; /* per-sequence vectors */
    const float *X, *D;
    int in, o;
    switch (t->role) {
    case LM_R_Q_W: case LM_R_K_W: case LM_R_V_W: case LM_R_O_W: case LM_R_FF1_W: case LM_R_FF2_W:
        linear_factors(p, t, r, &X, &D, &in, &o);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o, in, L, 1.0f, D + (size_t)t0 * o, o,
                    X + (size_t)t0 * in, in, 0.0f, out, in);
        return;
    case LM_R_Q_B: case LM_R_V_B: case LM_R_O_B: case LM_R_FF1_B: case LM_R_FF2_B:
        linear_factors(p, t, r, &X, &D, &in, &o);
        for (int i = 0; i < L; i++)
            for (int j = 0; j < o; j++) out[j] += D[(size_t)(t0 + i) * o + j];
        return;
    case LM_R_LN1_G: memcpy(out, p->bw->layers[t->layer].dln1_g + rs, H * sizeof(float)); return;
    case LM_R_LN1_B: memcpy(out, p->bw->layers[t->layer].dln1_b + rs, H * sizeof(float)); return;
    case LM_R_LN2_G: memcpy(out, p->bw->layers[t->layer].dln2_g + rs, H * sizeof(float)); return;
    case LM_R_LN2_B: memcpy(out, p->bw->layers[t->layer].dln2_b + rs, H * sizeof(float)); return;
    case LM_R_EMB_LN_G: memcpy(out, p->bw->demb_ln_g + rs, H * sizeof(float)); return;
    case LM_R_EMB_LN_B: memcpy(out, p->bw->demb_ln_b + rs, H * sizeof(float)); return;
    case LM_R_WORD: case LM_R_POS: case LM_R_TYPE: {
        const int32_t *idx = t->role == LM_R_WORD ? b->ids : t->role == LM_R_POS ? b->pos_ids : b->type_ids;
        for (int i = 0; i < L; i++) {
            const float *de = p->bw->demb + ((size_t)r * T + t0 + i) * H;
            float *row = out + (size_t)idx[t0 + i] * H;
            for (int h = 0; h < H; h++) row[h] += de[h];
        }
        if (t->role == LM_R_WORD && p->m->tied && p->head == LM_HEAD_MLM) add_decoder_rows(p, s, r, out);
        return;
    }
    case LM_R_HEAD_W: {
        const float *dd = p->hb->ddense + ((size_t)r * n_seq + s) * H, *x = p->ha->x + (size_t)s * H;
        for (int i = 0; i < H; i++)
            for (int j = 0; j < H; j++) out[(size_t)i * H + j] = dd[i] * x[j];
        return;
    }
    case LM_R_HEAD_B: memcpy(out, p->hb->ddense + ((size_t)r * n_seq + s) * H, H * sizeof(float)); return;
    case LM_R_HEAD_LN_G: memcpy(out, p->hb->dln_g + ((size_t)r * n_seq + s) * H, H * sizeof(float)); return;
    case LM_R_HEAD_LN_B: memcpy(out, p->hb->dln_b + ((size_t)r * n_seq + s) * H, H * sizeof(float)); return;
    case LM_R_DEC_W: add_decoder_rows(p, s, r, out); return;
    case LM_R_DEC_B: {
        const float *dl = p->dlogits + ((size_t)r * n_seq + s) * p->n_out;
        for (int j = 0; j < p->n_out; j++) out[p->vocab[j]] += dl[j];
        return;
    }
    case LM_R_CLS_W: {
        const float *dl = p->dlogits + ((size_t)r * n_seq + s) * p->n_out, *x = p->head_x + (size_t)s * H;
        for (int c = 0; c < p->n_out; c++)
            for (int h = 0; h < H; h++) out[(size_t)c * H + h] = dl[c] * x[h];
        return;
    }
    case LM_R_CLS_B: {
        const float *dl = p->dlogits + ((size_t)r * n_seq + s) * p->n_out;
        memcpy(out, dl, (size_t)p->n_out * sizeof(float));
        return;
    }
    default:
        return;
    }
}
