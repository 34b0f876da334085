/* gram.c - the linear weights' part of the sgd kernel by token Gram
 * matrices.
 *
 * For y = x W^T + b over the tokens of an example, <dW_t, dW_x> + <db_t, db_x>
 *   = sum_{s in t, u in x} (Δ_t[s]·Δ_x[u]) (X_t[s]·X_x[u] + 1)
 * so with A = Δ_T Δ_X^T (every replica of every token of both blocks) and
 * B = X_T X_X^T, the kernel is a block sum of A ⊙ (B + 1): two large GEMMs
 * per layer and input instead of one gradient per (example, output).  The
 * GEMMs' shapes are those of the two blocks, and each entry's block sum runs
 * in one thread in a fixed order. */
#include "kernel/kernel_internal.h"

#include <cblas.h>
#undef I /* complex.h (pulled in by cblas.h) defines I */
#include <stdlib.h>

typedef struct gram_side {
    const float *X;     /* [T, in] inputs */
    const float *D[3];  /* up to 3 delta arrays [R, T, out] sharing X */
    int n_d;
    int T;              /* rows: tokens, or sequences for the heads */
    const int *start;   /* [n_ex + 1] row offsets of each example */
    int n_ex;
} gram_side;

typedef struct reduce_job {
    const float *A, *B;
    float wB, w1;
    const gram_side *t, *x;
    int R;
    double *acc;
    size_t lda;
} reduce_job;

/* The entries of training example te: block sums of A ⊙ (wB B + w1). */
static void reduce_item(void *ctx, int te, int thread) {
    (void)thread;
    const reduce_job *j = ctx;
    const gram_side *t = j->t, *x = j->x;
    int R = j->R, Tt = t->T, Tx = x->T;
    size_t lda = (size_t)R * Tx;
    for (int c = 0; c < R; c++)
        for (int xe = 0; xe < x->n_ex; xe++) {
            int u0 = x->start[xe], u1 = x->start[xe + 1];
            for (int cc = 0; cc < R; cc++) {
                double sum = 0;
                for (int s = t->start[te]; s < t->start[te + 1]; s++) {
                    const float *a = j->A + (size_t)(c * Tt + s) * lda + (size_t)cc * Tx;
                    const float *b = j->B + (size_t)s * Tx;
                    float part = 0;
                    if (j->wB != 0) {
                        for (int u = u0; u < u1; u++) part += a[u] * (j->wB * b[u] + j->w1);
                    } else {
                        for (int u = u0; u < u1; u++) part += a[u];
                        part *= j->w1;
                    }
                    sum += part;
                }
                j->acc[(size_t)(te * R + c) * j->lda + xe * R + cc] += sum;
            }
        }
}

/* A = sum_d D_t[d] D_x[d]^T, B = X_t X_x^T, then the block sums. */
static void gram_group(const gram_side *t, const gram_side *x, int in, int out, float wB, float w1,
                       int R, double *acc, size_t lda, lm_kgram_ws *gw, double *flops, int n_threads) {
    if (wB == 0 && w1 == 0) return;
    size_t na = (size_t)R * t->T * R * x->T, nb = (size_t)t->T * x->T;
    if (na > gw->cap_a) {
        free(gw->A);
        gw->A = lm_xalloc_aligned((gw->cap_a = na) * sizeof(float));
    }
    if (nb > gw->cap_b) {
        free(gw->B);
        gw->B = lm_xalloc_aligned((gw->cap_b = nb) * sizeof(float));
    }
    for (int d = 0; d < t->n_d; d++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R * t->T, R * x->T, out, 1.0f, t->D[d],
                    out, x->D[d], out, d ? 1.0f : 0.0f, gw->A, R * x->T);
    *flops += 2.0 * t->n_d * R * t->T * R * x->T * out;
    if (wB != 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t->T, x->T, in, 1.0f, t->X, in, x->X, in,
                    0.0f, gw->B, x->T);
        *flops += 2.0 * t->T * x->T * in;
    }
    reduce_job j = {gw->A, gw->B, wB, w1, t, x, R, acc, lda};
    lm_kparallel(n_threads, t->n_ex, 2.0 * (double)na, reduce_item, &j);
}

static float inc(const lm_model *m, lm_param_set ps, int tensor) {
    return tensor >= 0 && lm_param_set_includes(m, tensor, ps) ? 1.0f : 0.0f;
}

/* Tensor index of (layer, role), -1 if absent. */
static int tensor_of(const lm_model *m, int layer, lm_param_role role) {
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].role == role && m->tensors[i].layer == layer) return i;
    return -1;
}

void lm_kgram_products(const lm_kside *tr, const lm_kside *xs, const lm_model *m, lm_param_set ps,
                       int R, double *acc, size_t lda, lm_kgram_ws *gw, double *flops, int n_threads) {
    const lm_config *c = &m->cfg;
    int H = c->hidden, I = c->intermediate;
    const lm_pass *pt = &tr->pass, *px = &xs->pass;
    gram_side t = {.T = pt->b->n_tokens, .start = pt->b->seq_start, .n_ex = pt->b->n_seq};
    gram_side x = {.T = px->b->n_tokens, .start = px->b->seq_start, .n_ex = px->b->n_seq};
    for (int l = 0; l < c->n_layers; l++) {
        const lm_layer_bwd *dt = &pt->bw->layers[l], *dx = &px->bw->layers[l];
        const lm_layer_acts *at = &pt->a->layers[l], *ax = &px->a->layers[l];
        const float *xin_t = l ? pt->a->layers[l - 1].y2 : pt->a->x0;
        const float *xin_x = l ? px->a->layers[l - 1].y2 : px->a->x0;
        /* query and value share the input and have biases; the key has no
         * bias gradient (exactly zero) */
        float wq = inc(m, ps, tensor_of(m, l, LM_R_Q_W)), bq = inc(m, ps, tensor_of(m, l, LM_R_Q_B));
        float wv = inc(m, ps, tensor_of(m, l, LM_R_V_W)), bv = inc(m, ps, tensor_of(m, l, LM_R_V_B));
        t.X = xin_t, x.X = xin_x;
        if (wq == wv && bq == bv) {
            t.n_d = x.n_d = 2;
            t.D[0] = dt->dq, t.D[1] = dt->dv, x.D[0] = dx->dq, x.D[1] = dx->dv;
            gram_group(&t, &x, H, H, wq, bq, R, acc, lda, gw, flops, n_threads);
        } else {
            t.n_d = x.n_d = 1;
            t.D[0] = dt->dq, x.D[0] = dx->dq;
            gram_group(&t, &x, H, H, wq, bq, R, acc, lda, gw, flops, n_threads);
            t.D[0] = dt->dv, x.D[0] = dx->dv;
            gram_group(&t, &x, H, H, wv, bv, R, acc, lda, gw, flops, n_threads);
        }
        t.n_d = x.n_d = 1;
        t.D[0] = dt->dk, x.D[0] = dx->dk;
        gram_group(&t, &x, H, H, inc(m, ps, tensor_of(m, l, LM_R_K_W)), 0, R, acc, lda, gw, flops,
                   n_threads);
        t.X = at->ctx, x.X = ax->ctx, t.D[0] = dt->dattn, x.D[0] = dx->dattn;
        gram_group(&t, &x, H, H, inc(m, ps, tensor_of(m, l, LM_R_O_W)),
                   inc(m, ps, tensor_of(m, l, LM_R_O_B)), R, acc, lda, gw, flops, n_threads);
        t.X = at->y1, x.X = ax->y1, t.D[0] = dt->du, x.D[0] = dx->du;
        gram_group(&t, &x, H, I, inc(m, ps, tensor_of(m, l, LM_R_FF1_W)),
                   inc(m, ps, tensor_of(m, l, LM_R_FF1_B)), R, acc, lda, gw, flops, n_threads);
        t.X = at->g, x.X = ax->g, t.D[0] = dt->dz, x.D[0] = dx->dz;
        gram_group(&t, &x, I, H, inc(m, ps, tensor_of(m, l, LM_R_FF2_W)),
                   inc(m, ps, tensor_of(m, l, LM_R_FF2_B)), R, acc, lda, gw, flops, n_threads);
    }
    /* the heads read one row per example */
    int St = pt->b->n_seq, Sx = px->b->n_seq;
    int *rs_t = lm_xmalloc((size_t)(St + 1) * sizeof(int)), *rs_x = lm_xmalloc((size_t)(Sx + 1) * sizeof(int));
    for (int i = 0; i <= St; i++) rs_t[i] = i;
    for (int i = 0; i <= Sx; i++) rs_x[i] = i;
    gram_side ht = {.T = St, .start = rs_t, .n_ex = St, .n_d = 1};
    gram_side hx = {.T = Sx, .start = rs_x, .n_ex = Sx, .n_d = 1};
    if (pt->head == LM_HEAD_MLM) {
        ht.X = pt->ha->x, hx.X = px->ha->x, ht.D[0] = pt->hb->ddense, hx.D[0] = px->hb->ddense;
        gram_group(&ht, &hx, H, H, inc(m, ps, tensor_of(m, -1, LM_R_HEAD_W)),
                   inc(m, ps, tensor_of(m, -1, LM_R_HEAD_B)), R, acc, lda, gw, flops, n_threads);
    } else {
        ht.X = pt->head_x, hx.X = px->head_x, ht.D[0] = pt->dlogits, hx.D[0] = px->dlogits;
        gram_group(&ht, &hx, H, pt->n_out, inc(m, ps, tensor_of(m, -1, LM_R_CLS_W)),
                   inc(m, ps, tensor_of(m, -1, LM_R_CLS_B)), R, acc, lda, gw, flops, n_threads);
    }
    free(rs_t);
    free(rs_x);
}

void lm_kgram_ws_free(lm_kgram_ws *gw) {
    free(gw->A);
    free(gw->B);
    gw->A = gw->B = NULL;
    gw->cap_a = gw->cap_b = 0;
}

size_t lm_kgram_bytes(int R, size_t Tt, size_t Tx) {
    return 4 * ((size_t)R * Tt * R * Tx + Tt * Tx);
}
