/* grad.c - per-example gradients from the backward pass's factors. */
#include "model/grad.h"

#include <cblas.h>
#undef I /* complex.h (pulled in by cblas.h) defines I; we use it for FFN widths */
#include <stdlib.h>
#include <string.h>

void lm_grad_linear_factors(const lm_pass *p, int tensor, int r, const float **X, const float **D,
                            int *in, int *out) {
    const lm_param_tensor *t = &p->m->tensors[tensor];
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

void lm_grad_linear_rows(const lm_pass *p, int tensor, int s, int r, int row0, int row1,
                         float *out) {
    const lm_param_tensor *t = &p->m->tensors[tensor];
    const float *X, *D;
    int in, o, t0 = p->b->seq_start[s], L = p->b->seq_start[s + 1] - t0;
    if (t->role == LM_R_HEAD_W || t->role == LM_R_CLS_W) {
        /* one row feeds the head: the gradient is an outer product */
        int H = p->m->cfg.hidden, n_seq = p->b->n_seq;
        const float *d = t->role == LM_R_HEAD_W
                             ? p->hb->ddense + ((size_t)r * n_seq + s) * H
                             : p->dlogits + ((size_t)r * n_seq + s) * p->n_out;
        const float *x = t->role == LM_R_HEAD_W ? p->ha->x + (size_t)s * H : p->head_x + (size_t)s * H;
        for (int i = row0; i < row1; i++)
            for (int j = 0; j < H; j++) out[(size_t)(i - row0) * H + j] = d[i] * x[j];
        return;
    }
    lm_grad_linear_factors(p, tensor, r, &X, &D, &in, &o);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, row1 - row0, in, L, 1.0f,
                D + (size_t)t0 * o + row0, o, X + (size_t)t0 * in, in, 0.0f, out, in);
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
        lm_grad_linear_rows(p, tensor, s, r, 0, t->rows, out);
        return;
    case LM_R_Q_B: case LM_R_V_B: case LM_R_O_B: case LM_R_FF1_B: case LM_R_FF2_B:
        lm_grad_linear_factors(p, tensor, r, &X, &D, &in, &o);
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
    case LM_R_HEAD_W: case LM_R_CLS_W:
        lm_grad_linear_rows(p, tensor, s, r, 0, t->rows, out);
        return;
    case LM_R_HEAD_B: memcpy(out, p->hb->ddense + ((size_t)r * n_seq + s) * H, H * sizeof(float)); return;
    case LM_R_HEAD_LN_G: memcpy(out, p->hb->dln_g + ((size_t)r * n_seq + s) * H, H * sizeof(float)); return;
    case LM_R_HEAD_LN_B: memcpy(out, p->hb->dln_b + ((size_t)r * n_seq + s) * H, H * sizeof(float)); return;
    case LM_R_DEC_W: add_decoder_rows(p, s, r, out); return;
    case LM_R_DEC_B: {
        const float *dl = p->dlogits + ((size_t)r * n_seq + s) * p->n_out;
        for (int j = 0; j < p->n_out; j++) out[p->vocab[j]] += dl[j];
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

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Index of id in the sorted ids[0..n), or -1. */
static int find_row(const int32_t *ids, int n, int32_t id) {
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (ids[mid] == id) return mid;
        if (ids[mid] < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

int lm_grad_sparse_max_rows(const lm_pass *p, int s) {
    return p->b->seq_start[s + 1] - p->b->seq_start[s] + p->n_out;
}

int lm_grad_sparse_rows(const lm_pass *p, int tensor, int s, int r, int32_t *ids, float *vals) {
    const lm_param_tensor *t = &p->m->tensors[tensor];
    const lm_batch *b = p->b;
    int H = p->m->cfg.hidden, T = b->n_tokens, t0 = b->seq_start[s], L = b->seq_start[s + 1] - t0;
    int width = t->kind == LM_PK_DECODER_B ? 1 : H, n = 0;
    int mlm_rows = p->head == LM_HEAD_MLM &&
                   (t->kind == LM_PK_DECODER_W || t->kind == LM_PK_DECODER_B ||
                    (t->role == LM_R_WORD && p->m->tied));
    if (lm_grad_tensor_is_zero(p, tensor)) return 0;
    /* the set of rows, sorted and unique */
    if (t->kind == LM_PK_EMBEDDING) {
        const int32_t *idx = t->role == LM_R_WORD ? b->ids : t->role == LM_R_POS ? b->pos_ids : b->type_ids;
        for (int i = 0; i < L; i++) ids[n++] = idx[t0 + i];
    }
    if (mlm_rows)
        for (int j = 0; j < p->n_out; j++) ids[n++] = p->vocab[j];
    qsort(ids, (size_t)n, sizeof *ids, cmp_i32);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (u == 0 || ids[i] != ids[u - 1]) ids[u++] = ids[i];
    n = u;
    memset(vals, 0, (size_t)n * width * sizeof(float));
    if (t->kind == LM_PK_EMBEDDING) {
        const int32_t *idx = t->role == LM_R_WORD ? b->ids : t->role == LM_R_POS ? b->pos_ids : b->type_ids;
        for (int i = 0; i < L; i++) {
            const float *de = p->bw->demb + ((size_t)r * T + t0 + i) * H;
            float *row = vals + (size_t)find_row(ids, n, idx[t0 + i]) * H;
            for (int h = 0; h < H; h++) row[h] += de[h];
        }
    }
    if (mlm_rows) {
        const float *dl = p->dlogits + ((size_t)r * b->n_seq + s) * p->n_out;
        const float *y = p->ha->y + (size_t)s * H;
        for (int j = 0; j < p->n_out; j++) {
            float *row = vals + (size_t)find_row(ids, n, p->vocab[j]) * width;
            if (width == 1) row[0] += dl[j];
            else for (int h = 0; h < H; h++) row[h] += dl[j] * y[h];
        }
    }
    return n;
}
