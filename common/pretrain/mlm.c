/* mlm.c - masked-LM loss and gradient over a batch. */
#include "pretrain/mlm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *p, size_t *cap, size_t need) {
    if (need <= *cap) return p;
    free(p);
    *cap = need;
    return lm_xalloc_aligned(need);
}

int lm_mlm_loss(lm_mlm_ws *ws, const lm_model *m, const int32_t *ids, const int32_t *labels,
                int n_seq, int len, lm_weights *grads, double *loss, int *n_pred, lm_error *err) {
    int H = m->cfg.hidden, V = m->cfg.vocab_size, T = n_seq * len;
    lm_batch_clear(&ws->b);
    for (int s = 0; s < n_seq; s++)
        if (lm_batch_add(&ws->b, &m->cfg, ids + (size_t)s * len, NULL, len, err)) return -1;
    if (T > ws->cap_rows) {
        ws->rows = lm_xrealloc(ws->rows, (size_t)T * sizeof *ws->rows);
        ws->targets = lm_xrealloc(ws->targets, (size_t)T * sizeof *ws->targets);
        ws->cap_rows = T;
    }
    int n = 0;
    for (int i = 0; i < T; i++)
        if (labels[i] >= 0) {
            ws->rows[n] = i;
            ws->targets[n++] = labels[i];
        }
    *n_pred = n;
    *loss = 0;
    if (n == 0) return 0;

    /* no dropout (acts zero-initialised: off): a short run of a small model underfits */
    lm_encoder_forward(m, &ws->b, &ws->a);
    const float *h = lm_acts_output(&ws->a);
    ws->x = grow(ws->x, &ws->cap_x, (size_t)n * H * sizeof(float));
    for (int k = 0; k < n; k++) memcpy(ws->x + (size_t)k * H, h + (size_t)ws->rows[k] * H, (size_t)H * sizeof(float));
    lm_head_forward(m, ws->x, n, &ws->ha);
    ws->logits = grow(ws->logits, &ws->cap_logits, (size_t)n * V * sizeof(float));
    lm_head_logits(m, &ws->ha, NULL, V, ws->logits);

    /* softmax cross-entropy; the logits become dloss/dlogits in place */
    double total = 0;
    for (int k = 0; k < n; k++) {
        float *z = ws->logits + (size_t)k * V;
        float mx = z[0];
        for (int j = 1; j < V; j++) mx = z[j] > mx ? z[j] : mx;
        double se = 0;
        for (int j = 0; j < V; j++) se += exp((double)(z[j] - mx));
        total += log(se) + mx - z[ws->targets[k]];
        float inv = (float)(1.0 / se), scale = 1.0f / (float)n;
        for (int j = 0; j < V; j++) z[j] = expf(z[j] - mx) * inv * scale;
        z[ws->targets[k]] -= scale;
    }
    *loss = total / n;
    if (!grads) return 0;

    lm_head_backward(m, &ws->ha, 1, ws->logits, NULL, V, &ws->hb, grads);
    ws->dhidden = grow(ws->dhidden, &ws->cap_dh, (size_t)T * H * sizeof(float));
    memset(ws->dhidden, 0, (size_t)T * H * sizeof(float));
    for (int k = 0; k < n; k++)
        memcpy(ws->dhidden + (size_t)ws->rows[k] * H, ws->hb.dx + (size_t)k * H, (size_t)H * sizeof(float));
    lm_encoder_backward(m, &ws->b, &ws->a, 1, ws->dhidden, 0, &ws->bwd, grads);
    return 0;
}

void lm_mlm_ws_free(lm_mlm_ws *ws) {
    lm_batch_free(&ws->b);
    lm_acts_free(&ws->a);
    lm_bwd_free(&ws->bwd);
    lm_head_acts_free(&ws->ha);
    lm_head_bwd_free(&ws->hb);
    free(ws->x);
    free(ws->logits);
    free(ws->dhidden);
    free(ws->rows);
    free(ws->targets);
    memset(ws, 0, sizeof *ws);
}
