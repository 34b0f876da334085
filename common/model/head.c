/* head.c - masked-LM head and no-prompt classifier, forward and backward. */
#include "model/head.h"

#include <cblas.h>
#undef I /* complex.h (pulled in by cblas.h) defines I; we use it for FFN widths */
#include <stdlib.h>
#include <string.h>

#include "model/layers.h"

static float *grow(float *p, size_t n) {
    free(p);
    return lm_xalloc_aligned((n ? n : 1) * sizeof(float));
}

void lm_head_forward(const lm_model *m, const float *x, int n, lm_head_acts *ha) {
    int H = m->cfg.hidden;
    const lm_weights *w = &m->w;
    if (n > ha->cap) {
        ha->cap = n;
        size_t nh = (size_t)n * H;
        ha->x = grow(ha->x, nh);
        ha->t = grow(ha->t, nh);
        ha->a = grow(ha->a, nh);
        ha->xhat = grow(ha->xhat, nh);
        ha->rstd = grow(ha->rstd, (size_t)n);
        ha->y = grow(ha->y, nh);
    }
    ha->n = n;
    memcpy(ha->x, x, (size_t)n * H * sizeof(float));
    lm_linear_forward(ha->t, x, w->head_w, w->head_b, n, H, H);
    lm_activation_forward(ha->a, ha->t, (long)n * H, m->cfg.act);
    lm_layernorm_forward(ha->y, ha->xhat, ha->rstd, ha->a, w->head_ln_g, w->head_ln_b, n, H,
                         m->cfg.ln_eps);
}

void lm_head_logits(const lm_model *m, const lm_head_acts *ha, const int32_t *vocab, int n_vocab,
                    float *logits) {
    int H = m->cfg.hidden, n = ha->n;
    const lm_weights *w = &m->w;
    if (!vocab) {
        lm_linear_forward(logits, ha->y, w->decoder_w, w->decoder_b, n, H, m->cfg.vocab_size);
        return;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n_vocab; j++) {
            const float *row = w->decoder_w + (size_t)vocab[j] * H, *y = ha->y + (size_t)i * H;
            float s = 0;
            for (int h = 0; h < H; h++) s += row[h] * y[h];
            logits[(size_t)i * n_vocab + j] = s + w->decoder_b[vocab[j]];
        }
}

static void head_bwd_reserve(lm_head_bwd *hb, int R, int n, int H) {
    if (R * n > hb->cap) {
        hb->cap = R * n;
        size_t c = (size_t)hb->cap * H;
        hb->dy = grow(hb->dy, c);
        hb->ddense = grow(hb->ddense, c);
        hb->dln_g = grow(hb->dln_g, c);
        hb->dln_b = grow(hb->dln_b, c);
        hb->dx = grow(hb->dx, c);
        hb->tmp = grow(hb->tmp, c);
    }
    hb->R = R;
    hb->n = n;
}

void lm_head_backward(const lm_model *m, const lm_head_acts *ha, int R, const float *dlogits,
                      const int32_t *vocab, int n_vocab, lm_head_bwd *hb, lm_weights *grads) {
    int H = m->cfg.hidden, n = ha->n, V = m->cfg.vocab_size;
    const lm_weights *w = &m->w;
    head_bwd_reserve(hb, R, n, H);
    size_t nH = (size_t)n * H;
    /* dy = dlogits W_dec[vocab] */
    for (int r = 0; r < R; r++) {
        const float *dl = dlogits + (size_t)r * n * (vocab ? n_vocab : V);
        float *dy = hb->dy + r * nH;
        if (!vocab) {
            lm_linear_backward_input(dy, dl, w->decoder_w, n, H, V, 0.0f);
            if (grads) lm_linear_backward_params(grads->decoder_w, grads->decoder_b, dl, ha->y, n, H, V);
            continue;
        }
        memset(dy, 0, nH * sizeof(float));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n_vocab; j++) {
                float g = dl[(size_t)i * n_vocab + j];
                const float *row = w->decoder_w + (size_t)vocab[j] * H;
                for (int h = 0; h < H; h++) dy[(size_t)i * H + h] += g * row[h];
                if (grads) {
                    float *grow_ = grads->decoder_w + (size_t)vocab[j] * H;
                    const float *y = ha->y + (size_t)i * H;
                    for (int h = 0; h < H; h++) grow_[h] += g * y[h];
                    grads->decoder_b[vocab[j]] += g;
                }
            }
    }
    /* LayerNorm with per-row parameter gradients (each row is one example) */
    memset(hb->dln_g, 0, (size_t)R * nH * sizeof(float));
    memset(hb->dln_b, 0, (size_t)R * nH * sizeof(float));
    int *rows = lm_xmalloc((size_t)(n ? n : 1) * sizeof(int));
    for (int i = 0; i < n; i++) rows[i] = i;
    for (int r = 0; r < R; r++)
        lm_layernorm_backward(hb->tmp + r * nH, hb->dln_g + r * nH, hb->dln_b + r * nH,
                              hb->dy + r * nH, ha->xhat, ha->rstd, w->head_ln_g, rows, n, H, 0.0f);
    free(rows);
    for (int r = 0; r < R; r++)
        lm_activation_backward(hb->ddense + r * nH, hb->tmp + r * nH, ha->t, (long)nH, m->cfg.act);
    lm_linear_backward_input(hb->dx, hb->ddense, w->head_w, R * n, H, H, 0.0f);
    if (grads) {
        for (int r = 0; r < R; r++) {
            lm_linear_backward_params(grads->head_w, grads->head_b, hb->ddense + r * nH, ha->x, n, H, H);
            for (size_t i = 0; i < nH; i++) {
                grads->head_ln_g[i % H] += hb->dln_g[r * nH + i];
                grads->head_ln_b[i % H] += hb->dln_b[r * nH + i];
            }
        }
    }
}

void lm_head_acts_free(lm_head_acts *ha) {
    free(ha->x);
    free(ha->t);
    free(ha->a);
    free(ha->xhat);
    free(ha->rstd);
    free(ha->y);
    memset(ha, 0, sizeof *ha);
}

void lm_head_bwd_free(lm_head_bwd *hb) {
    free(hb->dy);
    free(hb->ddense);
    free(hb->dln_g);
    free(hb->dln_b);
    free(hb->dx);
    free(hb->tmp);
    memset(hb, 0, sizeof *hb);
}

void lm_classifier_forward(const lm_model *m, const float *x, int n, float *logits) {
    lm_linear_forward(logits, x, m->w.cls_w, m->w.cls_b, n, m->cfg.hidden, m->n_classes);
}

void lm_classifier_backward(const lm_model *m, const float *x, int n, int R, const float *dlogits,
                            float *dx, lm_weights *grads) {
    int H = m->cfg.hidden, C = m->n_classes;
    lm_linear_backward_input(dx, dlogits, m->w.cls_w, R * n, H, C, 0.0f);
    if (grads)
        for (int r = 0; r < R; r++)
            lm_linear_backward_params(grads->cls_w, grads->cls_b, dlogits + (size_t)r * n * C, x, n,
                                      H, C);
}
