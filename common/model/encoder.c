/* encoder.c - embeddings + transformer layers, forward and backward, over
 * packed sequences; the backward carries R replicas of the upstream
 * gradient through shared activations. */
#include "model/encoder.h"

#include <stdlib.h>
#include <string.h>

#include "model/layers.h"
#include "util/rng.h"

/* ---- batches ----------------------------------------------------------- */

void lm_batch_clear(lm_batch *b) {
    b->n_seq = 0;
    b->n_tokens = 0;
    if (b->seq_start) b->seq_start[0] = 0;
}

int lm_batch_add(lm_batch *b, const lm_config *cfg, const int32_t *ids, const int32_t *types,
                 int n, lm_error *err) {
    if (n <= 0) return lm_fail(err, "empty token sequence");
    int offset = cfg->arch == LM_ARCH_ROBERTA ? cfg->pad_token_id + 1 : 0;
    if (n + offset > cfg->max_positions)
        return lm_fail(err, "sequence of %d tokens exceeds the model's %d positions", n,
                       cfg->max_positions - offset);
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= cfg->vocab_size)
            return lm_fail(err, "token id %d at position %d is outside the vocabulary (%d)",
                           ids[i], i, cfg->vocab_size);
        if (types && (types[i] < 0 || types[i] >= cfg->type_vocab_size))
            return lm_fail(err, "token type %d at position %d is outside [0, %d)", types[i], i,
                           cfg->type_vocab_size);
    }
    if (b->n_seq + 2 > b->cap_seq) {
        b->cap_seq = 2 * (b->n_seq + 2);
        b->seq_start = lm_xrealloc(b->seq_start, (size_t)b->cap_seq * sizeof *b->seq_start);
    }
    if (b->n_tokens + n > b->cap_tok) {
        b->cap_tok = 2 * (b->n_tokens + n);
        b->tok_seq = lm_xrealloc(b->tok_seq, (size_t)b->cap_tok * sizeof *b->tok_seq);
        b->ids = lm_xrealloc(b->ids, (size_t)b->cap_tok * sizeof *b->ids);
        b->type_ids = lm_xrealloc(b->type_ids, (size_t)b->cap_tok * sizeof *b->type_ids);
        b->pos_ids = lm_xrealloc(b->pos_ids, (size_t)b->cap_tok * sizeof *b->pos_ids);
    }
    if (b->n_seq == 0) b->seq_start[0] = 0;
    int t0 = b->n_tokens;
    for (int i = 0; i < n; i++) {
        b->ids[t0 + i] = ids[i];
        b->type_ids[t0 + i] = types ? types[i] : 0;
        b->pos_ids[t0 + i] = offset + i;
        b->tok_seq[t0 + i] = b->n_seq;
    }
    b->n_tokens += n;
    b->seq_start[++b->n_seq] = b->n_tokens;
    return 0;
}

void lm_batch_free(lm_batch *b) {
    free(b->seq_start);
    free(b->tok_seq);
    free(b->ids);
    free(b->type_ids);
    free(b->pos_ids);
    memset(b, 0, sizeof *b);
}

/* ---- activations ------------------------------------------------------- */

static float *grow(float *p, size_t n) {
    free(p);
    return lm_xalloc_aligned(n * sizeof(float));
}

static void acts_reserve(lm_acts *a, const lm_model *m, const lm_batch *b) {
    const lm_config *c = &m->cfg;
    int T = b->n_tokens, H = c->hidden, I = c->intermediate;
    size_t probs = 0;
    if (b->n_seq > a->cap_seq) {
        a->cap_seq = b->n_seq;
        a->probs_off = lm_xrealloc(a->probs_off, (size_t)a->cap_seq * sizeof *a->probs_off);
    }
    for (int s = 0; s < b->n_seq; s++) {
        size_t L = (size_t)(b->seq_start[s + 1] - b->seq_start[s]);
        a->probs_off[s] = probs;
        probs += (size_t)c->n_heads * L * L;
    }
    if (!a->layers) {
        a->n_layers = c->n_layers;
        a->layers = lm_xcalloc((size_t)c->n_layers, sizeof *a->layers);
    }
    if (T > a->cap_T) {
        a->cap_T = T + T / 4;
        size_t n = (size_t)a->cap_T;
        a->emb_xhat = grow(a->emb_xhat, n * H);
        a->emb_rstd = grow(a->emb_rstd, n);
        a->x0 = grow(a->x0, n * H);
        a->tmp = grow(a->tmp, n * H);
        for (int l = 0; l < c->n_layers; l++) {
            lm_layer_acts *y = &a->layers[l];
            y->q = grow(y->q, n * H);
            y->k = grow(y->k, n * H);
            y->v = grow(y->v, n * H);
            y->ctx = grow(y->ctx, n * H);
            y->ln1_xhat = grow(y->ln1_xhat, n * H);
            y->ln1_rstd = grow(y->ln1_rstd, n);
            y->y1 = grow(y->y1, n * H);
            y->u = grow(y->u, n * I);
            y->g = grow(y->g, n * I);
            y->ln2_xhat = grow(y->ln2_xhat, n * H);
            y->ln2_rstd = grow(y->ln2_rstd, n);
            y->y2 = grow(y->y2, n * H);
        }
    }
    if (probs > a->cap_probs) {
        a->cap_probs = probs + probs / 4;
        for (int l = 0; l < c->n_layers; l++) a->layers[l].probs = grow(a->layers[l].probs, a->cap_probs);
    }
    a->T = T;
}

void lm_acts_free(lm_acts *a) {
    for (int l = 0; l < a->n_layers; l++) {
        lm_layer_acts *y = &a->layers[l];
        float *ps[] = {y->q, y->k, y->v, y->probs, y->ctx, y->ln1_xhat, y->ln1_rstd, y->y1,
                       y->u, y->g, y->ln2_xhat, y->ln2_rstd, y->y2};
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) free(ps[i]);
        free(y->attn_keep);
        free(y->ao_keep);
        free(y->ffo_keep);
    }
    free(a->layers);
    free(a->probs_off);
    free(a->emb_keep);
    free(a->drop_scratch);
    free(a->emb_xhat);
    free(a->emb_rstd);
    free(a->x0);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

const float *lm_acts_output(const lm_acts *a) {
    return a->n_layers ? a->layers[a->n_layers - 1].y2 : a->x0;
}

/* ---- forward ----------------------------------------------------------- */

/* x0[T,H] = LN(word[id] + pos[pos] + type[type]) */
static void embeddings_forward(const lm_model *m, const lm_batch *b, lm_acts *a) {
    int H = m->cfg.hidden;
    const lm_weights *w = &m->w;
    for (int t = 0; t < b->n_tokens; t++) {
        const float *we = w->word_emb + (size_t)b->ids[t] * H;
        const float *pe = w->pos_emb + (size_t)b->pos_ids[t] * H;
        const float *te = w->type_emb + (size_t)b->type_ids[t] * H;
        float *e = a->tmp + (size_t)t * H;
        for (int i = 0; i < H; i++) e[i] = we[i] + pe[i] + te[i];
    }
    lm_layernorm_forward(a->x0, a->emb_xhat, a->emb_rstd, a->tmp, w->emb_ln_g, w->emb_ln_b,
                         b->n_tokens, H, m->cfg.ln_eps);
    if (a->drop_p > 0)
        lm_dropout_apply(a->x0, a->emb_keep, 1.0f / (1.0f - a->drop_p), (long)b->n_tokens * H);
}

/* ---- dropout masks ----------------------------------------------------- */

static void draw_keep(uint8_t *keep, size_t n, lm_rng *rng, uint32_t thr) {
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        uint64_t x = lm_rng_next(rng);
        keep[i] = (uint32_t)x >= thr;
        keep[i + 1] = (uint32_t)(x >> 32) >= thr;
    }
    if (i < n) keep[i] = (uint32_t)lm_rng_next(rng) >= thr;
}

/* Sizes the mask buffers and draws every mask of this forward, in a fixed
 * order (embeddings, then per layer: probabilities, attention output, FFN
 * output) from the dropout seed; sets a->drop_p (0 when off). */
static void drop_prepare(lm_acts *a, const lm_model *m, const lm_batch *b) {
    const lm_dropout *d = a->dropout;
    a->drop_p = d && d->p > 0 ? d->p : 0.0f;
    if (a->drop_p == 0) return;
    const lm_config *c = &m->cfg;
    size_t T = (size_t)b->n_tokens, H = (size_t)c->hidden, probs = 0, maxLL = 0;
    for (int s = 0; s < b->n_seq; s++) {
        size_t L = (size_t)(b->seq_start[s + 1] - b->seq_start[s]);
        probs += (size_t)c->n_heads * L * L;
        if (L * L > maxLL) maxLL = L * L;
    }
    if ((int)T > a->cap_keep_T) {
        a->cap_keep_T = (int)(T + T / 4);
        size_t n = (size_t)a->cap_keep_T * H;
        free(a->emb_keep);
        a->emb_keep = lm_xmalloc(n);
        for (int l = 0; l < c->n_layers; l++) {
            free(a->layers[l].ao_keep);
            free(a->layers[l].ffo_keep);
            a->layers[l].ao_keep = lm_xmalloc(n);
            a->layers[l].ffo_keep = lm_xmalloc(n);
        }
    }
    if (probs > a->cap_keep_probs) {
        a->cap_keep_probs = probs + probs / 4;
        for (int l = 0; l < c->n_layers; l++) {
            free(a->layers[l].attn_keep);
            a->layers[l].attn_keep = lm_xmalloc(a->cap_keep_probs);
        }
    }
    if (maxLL > a->cap_drop_scratch) {
        a->cap_drop_scratch = maxLL;
        free(a->drop_scratch);
        a->drop_scratch = lm_xalloc_aligned(maxLL * sizeof(float));
    }
    lm_rng rng;
    lm_rng_seed(&rng, d->seed);
    double t = (double)a->drop_p * 4294967296.0;
    uint32_t thr = t >= 4294967295.0 ? 4294967295u : (uint32_t)t;
    draw_keep(a->emb_keep, T * H, &rng, thr);
    for (int l = 0; l < c->n_layers; l++) {
        draw_keep(a->layers[l].attn_keep, probs, &rng, thr);
        draw_keep(a->layers[l].ao_keep, T * H, &rng, thr);
        draw_keep(a->layers[l].ffo_keep, T * H, &rng, thr);
    }
}

static void add_inplace(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

static void layer_forward(const lm_model *m, const lm_batch *b, const lm_layer_weights *w,
                          const float *x, lm_layer_acts *y, lm_acts *a) {
    const lm_config *c = &m->cfg;
    int T = b->n_tokens, H = c->hidden, I = c->intermediate;
    lm_linear_forward(y->q, x, w->wq, w->bq, T, H, H);
    lm_linear_forward(y->k, x, w->wk, w->bk, T, H, H);
    lm_linear_forward(y->v, x, w->wv, w->bv, T, H, H);
    int drop = a->drop_p > 0;
    float scale = drop ? 1.0f / (1.0f - a->drop_p) : 1.0f;
    for (int s = 0; s < b->n_seq; s++) {
        size_t o = (size_t)b->seq_start[s] * H;
        int L = b->seq_start[s + 1] - b->seq_start[s];
        lm_attention_forward_dropout(y->ctx + o, y->probs + a->probs_off[s], y->q + o, y->k + o,
                                     y->v + o, L, H, c->n_heads,
                                     drop ? y->attn_keep + a->probs_off[s] : NULL, scale,
                                     a->drop_scratch);
    }
    lm_linear_forward(a->tmp, y->ctx, w->wo, w->bo, T, H, H);
    if (drop) lm_dropout_apply(a->tmp, y->ao_keep, scale, (long)T * H);
    add_inplace(a->tmp, x, (size_t)T * H);
    lm_layernorm_forward(y->y1, y->ln1_xhat, y->ln1_rstd, a->tmp, w->ln1_g, w->ln1_b, T, H, c->ln_eps);
    lm_linear_forward(y->u, y->y1, w->w1, w->b1, T, H, I);
    lm_activation_forward(y->g, y->u, (long)T * I, c->act);
    lm_linear_forward(a->tmp, y->g, w->w2, w->b2, T, I, H);
    if (drop) lm_dropout_apply(a->tmp, y->ffo_keep, scale, (long)T * H);
    add_inplace(a->tmp, y->y1, (size_t)T * H);
    lm_layernorm_forward(y->y2, y->ln2_xhat, y->ln2_rstd, a->tmp, w->ln2_g, w->ln2_b, T, H, c->ln_eps);
}

void lm_encoder_forward(const lm_model *m, const lm_batch *b, lm_acts *a) {
    acts_reserve(a, m, b);
    drop_prepare(a, m, b);
    embeddings_forward(m, b, a);
    const float *x = a->x0;
    for (int l = 0; l < m->cfg.n_layers; l++) {
        layer_forward(m, b, &m->w.layers[l], x, &a->layers[l], a);
        x = a->layers[l].y2;
    }
}

/* ---- backward ---------------------------------------------------------- */

static void bwd_reserve(lm_bwd *d, const lm_model *m, const lm_batch *b, int R, int keep_all) {
    const lm_config *c = &m->cfg;
    size_t H = (size_t)c->hidden, I = (size_t)c->intermediate, rt = (size_t)R * b->n_tokens;
    size_t rs = (size_t)R * b->n_seq, maxL = 0;
    for (int s = 0; s < b->n_seq; s++) {
        size_t L = (size_t)(b->seq_start[s + 1] - b->seq_start[s]);
        if (L > maxL) maxL = L;
    }
    int nl = keep_all ? c->n_layers : 1;
    if (d->layers && (d->keep_all != keep_all || rt > d->cap_tok || rs > d->cap_seq)) {
        lm_bwd_free(d);
    }
    if (!d->layers) {
        d->keep_all = keep_all;
        d->cap_tok = rt + rt / 4 + 1;
        d->cap_seq = rs + rs / 4 + 1;
        d->n_slots = nl;
        d->layers = lm_xcalloc((size_t)nl, sizeof *d->layers);
        for (int l = 0; l < nl; l++) {
            lm_layer_bwd *y = &d->layers[l];
            y->dq = grow(NULL, d->cap_tok * H);
            y->dk = grow(NULL, d->cap_tok * H);
            y->dv = grow(NULL, d->cap_tok * H);
            y->dattn = grow(NULL, d->cap_tok * H);
            y->du = grow(NULL, d->cap_tok * I);
            y->dz = grow(NULL, d->cap_tok * H);
            y->dln1_g = grow(NULL, d->cap_seq * H);
            y->dln1_b = grow(NULL, d->cap_seq * H);
            y->dln2_g = grow(NULL, d->cap_seq * H);
            y->dln2_b = grow(NULL, d->cap_seq * H);
        }
        d->demb = grow(NULL, d->cap_tok * H);
        d->demb_ln_g = grow(NULL, d->cap_seq * H);
        d->demb_ln_b = grow(NULL, d->cap_seq * H);
        d->dx = grow(NULL, d->cap_tok * H);
        d->dtmp = grow(NULL, d->cap_tok * I);
        d->dctx = grow(NULL, d->cap_tok * H);
    }
    free(d->scratch);
    d->scratch = lm_xalloc_aligned((2 * maxL * maxL + 1) * sizeof(float)); /* dropout: 2 L^2 */
    d->R = R;
    d->T = b->n_tokens;
    d->n_seq = b->n_seq;
}

void lm_bwd_free(lm_bwd *d) {
    for (int l = 0; l < d->n_slots; l++) {
        lm_layer_bwd *y = &d->layers[l];
        float *ps[] = {y->dq, y->dk, y->dv, y->dattn, y->du, y->dz, y->dln1_g, y->dln1_b,
                       y->dln2_g, y->dln2_b};
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) free(ps[i]);
    }
    free(d->layers);
    free(d->demb);
    free(d->demb_ln_g);
    free(d->demb_ln_b);
    free(d->dx);
    free(d->dtmp);
    free(d->dctx);
    free(d->scratch);
    memset(d, 0, sizeof *d);
}

/* Per-sequence LayerNorm parameter gradients of R replicas: rows r*T + t go
 * to group r*n_seq + seq(t). */
static void ln_backward_replicas(float *dx, float *dg, float *db, const float *dy,
                                 const float *xhat, const float *rstd, const float *g,
                                 const lm_batch *b, int R, int H, float beta) {
    size_t T = (size_t)b->n_tokens, S = (size_t)b->n_seq;
    memset(dg, 0, (size_t)R * S * H * sizeof(float));
    memset(db, 0, (size_t)R * S * H * sizeof(float));
    for (int r = 0; r < R; r++)
        lm_layernorm_backward(dx + r * T * H, dg + r * S * H, db + r * S * H, dy + r * T * H, xhat,
                              rstd, g, b->tok_seq, (int)T, H, beta);
}

/* Adds per-sequence LayerNorm gradients of all replicas into one vector. */
static void sum_rows(float *dst, const float *rows, size_t n_rows, int H) {
    for (size_t r = 0; r < n_rows; r++)
        for (int i = 0; i < H; i++) dst[i] += rows[r * H + i];
}

static void layer_backward(const lm_model *m, const lm_batch *b, const lm_acts *a, int l, int R,
                           float *dY, lm_layer_bwd *d, lm_bwd *bw, lm_weights *grads) {
    const lm_config *c = &m->cfg;
    const lm_layer_weights *w = &m->w.layers[l];
    const lm_layer_acts *y = &a->layers[l];
    const float *x = l == 0 ? a->x0 : a->layers[l - 1].y2;
    int T = b->n_tokens, H = c->hidden, I = c->intermediate, RT = R * T;
    size_t TH = (size_t)T * H, TI = (size_t)T * I, RS = (size_t)R * b->n_seq;

    int drop = a->drop_p > 0;
    float scale = drop ? 1.0f / (1.0f - a->drop_p) : 1.0f;
    /* LN2: dY -> dz (Δ of the FFN output, also the residual's gradient) */
    ln_backward_replicas(d->dz, d->dln2_g, d->dln2_b, dY, y->ln2_xhat, y->ln2_rstd, w->ln2_g, b, R,
                         H, 0.0f);
    /* dropout: the residual takes dz as is, the dense's Δ is dz masked */
    if (drop) {
        memcpy(bw->dx, d->dz, (size_t)RT * H * sizeof(float));
        for (int r = 0; r < R; r++) lm_dropout_apply(d->dz + r * TH, y->ffo_keep, scale, (long)TH);
    }
    /* FFN: du = (dz W2) * act'(u); dY1 = du W1 + dz */
    lm_linear_backward_input(bw->dtmp, d->dz, w->w2, RT, I, H, 0.0f);
    for (int r = 0; r < R; r++)
        lm_activation_backward(d->du + r * TI, bw->dtmp + r * TI, y->u, (long)TI, c->act);
    if (!drop) memcpy(bw->dx, d->dz, (size_t)RT * H * sizeof(float));
    lm_linear_backward_input(bw->dx, d->du, w->w1, RT, H, I, 1.0f);
    /* LN1: -> dattn (Δ of the attention output dense, and the residual) */
    ln_backward_replicas(d->dattn, d->dln1_g, d->dln1_b, bw->dx, y->ln1_xhat, y->ln1_rstd, w->ln1_g,
                         b, R, H, 0.0f);
    if (drop) { /* dY is free again: it takes the residual's (unmasked) part now */
        memcpy(dY, d->dattn, (size_t)RT * H * sizeof(float));
        for (int r = 0; r < R; r++) lm_dropout_apply(d->dattn + r * TH, y->ao_keep, scale, (long)TH);
    }
    lm_linear_backward_input(bw->dctx, d->dattn, w->wo, RT, H, H, 0.0f);
    for (int r = 0; r < R; r++)
        for (int s = 0; s < b->n_seq; s++) {
            size_t o = r * TH + (size_t)b->seq_start[s] * H, oa = (size_t)b->seq_start[s] * H;
            int L = b->seq_start[s + 1] - b->seq_start[s];
            lm_attention_backward_dropout(d->dq + o, d->dk + o, d->dv + o, bw->dctx + o,
                                          y->probs + a->probs_off[s], y->q + oa, y->k + oa,
                                          y->v + oa, L, H, c->n_heads,
                                          drop ? y->attn_keep + a->probs_off[s] : NULL, scale,
                                          bw->scratch);
        }
    /* dX = dq Wq + dk Wk + dv Wv + dattn (residual) */
    if (!drop) memcpy(dY, d->dattn, (size_t)RT * H * sizeof(float));
    lm_linear_backward_input(dY, d->dq, w->wq, RT, H, H, 1.0f);
    lm_linear_backward_input(dY, d->dk, w->wk, RT, H, H, 1.0f);
    lm_linear_backward_input(dY, d->dv, w->wv, RT, H, H, 1.0f);

    if (grads) {
        lm_layer_weights *g = &grads->layers[l];
        for (int r = 0; r < R; r++) {
            lm_linear_backward_params(g->wq, g->bq, d->dq + r * TH, x, T, H, H);
            /* the key bias gradient is exactly zero (softmax shift invariance) */
            lm_linear_backward_params(g->wk, NULL, d->dk + r * TH, x, T, H, H);
            lm_linear_backward_params(g->wv, g->bv, d->dv + r * TH, x, T, H, H);
            lm_linear_backward_params(g->wo, g->bo, d->dattn + r * TH, y->ctx, T, H, H);
            lm_linear_backward_params(g->w1, g->b1, d->du + r * TI, y->y1, T, H, I);
            lm_linear_backward_params(g->w2, g->b2, d->dz + r * TH, y->g, T, I, H);
        }
        sum_rows(g->ln1_g, d->dln1_g, RS, H);
        sum_rows(g->ln1_b, d->dln1_b, RS, H);
        sum_rows(g->ln2_g, d->dln2_g, RS, H);
        sum_rows(g->ln2_b, d->dln2_b, RS, H);
    }
}

void lm_encoder_backward(const lm_model *m, const lm_batch *b, const lm_acts *a, int R,
                         float *dhidden, int keep_all, lm_bwd *bw, lm_weights *grads) {
    const lm_config *c = &m->cfg;
    int H = c->hidden, T = b->n_tokens;
    bwd_reserve(bw, m, b, R, keep_all);
    for (int l = c->n_layers - 1; l >= 0; l--)
        layer_backward(m, b, a, l, R, dhidden, &bw->layers[keep_all ? l : 0], bw, grads);
    /* embeddings: demb = LN_emb backward (of the dropout mask first) */
    if (a->drop_p > 0)
        for (int r = 0; r < R; r++)
            lm_dropout_apply(dhidden + (size_t)r * T * H, a->emb_keep, 1.0f / (1.0f - a->drop_p),
                             (long)T * H);
    ln_backward_replicas(bw->demb, bw->demb_ln_g, bw->demb_ln_b, dhidden, a->emb_xhat, a->emb_rstd,
                         m->w.emb_ln_g, b, R, H, 0.0f);
    if (grads) {
        size_t RS = (size_t)R * b->n_seq;
        sum_rows(grads->emb_ln_g, bw->demb_ln_g, RS, H);
        sum_rows(grads->emb_ln_b, bw->demb_ln_b, RS, H);
        for (int r = 0; r < R; r++)
            for (int t = 0; t < T; t++) {
                const float *de = bw->demb + ((size_t)r * T + t) * H;
                float *gw = grads->word_emb + (size_t)b->ids[t] * H;
                float *gp = grads->pos_emb + (size_t)b->pos_ids[t] * H;
                float *gt = grads->type_emb + (size_t)b->type_ids[t] * H;
                for (int i = 0; i < H; i++) {
                    gw[i] += de[i];
                    gp[i] += de[i];
                    gt[i] += de[i];
                }
            }
    }
}
