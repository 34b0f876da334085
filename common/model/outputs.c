/* outputs.c - model outputs f(x) and the backward of each of them. */
#include "model/outputs.h"

#include <stdlib.h>
#include <string.h>

int lm_output_dim(const lm_output_spec *os) { return os->binary ? 1 : os->n_out; }

static float *grow(float *p, size_t n) {
    free(p);
    return lm_xalloc_aligned((n ? n : 1) * sizeof(float));
}

void lm_outputs_run(lm_outputs_ws *ws, const lm_model *m, const lm_output_spec *os,
                    const int *head_pos, int backward, float *f, lm_pass *pass) {
    const lm_batch *b = &ws->b;
    int H = m->cfg.hidden, S = b->n_seq, T = b->n_tokens, K = os->n_out;
    int R = lm_output_dim(os);
    if (S > ws->cap_seq) {
        ws->cap_seq = S;
        ws->h_sel = grow(ws->h_sel, (size_t)S * H);
        ws->logits = grow(ws->logits, (size_t)S * K);
        ws->dlogits = grow(ws->dlogits, (size_t)S * K * K);
        ws->dx_sel = grow(ws->dx_sel, (size_t)S * K * H);
        free(ws->head_row);
        ws->head_row = lm_xmalloc((size_t)S * sizeof(int));
    }
    if ((size_t)R * T > (size_t)ws->cap_rt) {
        ws->cap_rt = R * T;
        ws->dhidden = grow(ws->dhidden, (size_t)R * T * H);
    }
    lm_encoder_forward(m, b, &ws->a);
    const float *hid = lm_acts_output(&ws->a);
    for (int s = 0; s < S; s++) {
        ws->head_row[s] = b->seq_start[s] + head_pos[s];
        memcpy(ws->h_sel + (size_t)s * H, hid + (size_t)ws->head_row[s] * H, H * sizeof(float));
    }
    if (os->head == LM_HEAD_MLM) {
        lm_head_forward(m, ws->h_sel, S, &ws->ha);
        lm_head_logits(m, &ws->ha, os->vocab, K, ws->logits);
    } else {
        lm_classifier_forward(m, ws->h_sel, S, ws->logits);
    }
    for (int s = 0; s < S; s++) {
        const float *lg = ws->logits + (size_t)s * K;
        if (os->binary) f[s] = lg[1] - lg[0];
        else memcpy(f + (size_t)s * K, lg, (size_t)K * sizeof(float));
    }
    if (!backward) return;
    /* replica r differentiates output r: one-hot, or (-1, +1) in binary mode */
    memset(ws->dlogits, 0, (size_t)R * S * K * sizeof(float));
    for (int r = 0; r < R; r++)
        for (int s = 0; s < S; s++) {
            float *dl = ws->dlogits + ((size_t)r * S + s) * K;
            if (os->binary) { dl[0] = -1.0f; dl[1] = 1.0f; }
            else dl[r] = 1.0f;
        }
    const float *dx;
    if (os->head == LM_HEAD_MLM) {
        lm_head_backward(m, &ws->ha, R, ws->dlogits, os->vocab, K, &ws->hb, NULL);
        dx = ws->hb.dx;
    } else {
        lm_classifier_backward(m, ws->h_sel, S, R, ws->dlogits, ws->dx_sel, NULL);
        dx = ws->dx_sel;
    }
    memset(ws->dhidden, 0, (size_t)R * T * H * sizeof(float));
    for (int r = 0; r < R; r++)
        for (int s = 0; s < S; s++)
            memcpy(ws->dhidden + ((size_t)r * T + ws->head_row[s]) * H, dx + ((size_t)r * S + s) * H,
                   H * sizeof(float));
    lm_encoder_backward(m, b, &ws->a, R, ws->dhidden, 1, &ws->bw, NULL);
    if (pass) {
        memset(pass, 0, sizeof *pass);
        pass->m = m;
        pass->b = b;
        pass->a = &ws->a;
        pass->bw = &ws->bw;
        pass->R = R;
        pass->head = os->head;
        pass->n_out = K;
        pass->vocab = os->vocab;
        pass->dlogits = ws->dlogits;
        pass->ha = &ws->ha;
        pass->hb = &ws->hb;
        pass->head_x = ws->h_sel;
    }
}

void lm_outputs_ws_free(lm_outputs_ws *ws) {
    lm_batch_free(&ws->b);
    lm_acts_free(&ws->a);
    lm_bwd_free(&ws->bw);
    lm_head_acts_free(&ws->ha);
    lm_head_bwd_free(&ws->hb);
    free(ws->h_sel);
    free(ws->logits);
    free(ws->dlogits);
    free(ws->dhidden);
    free(ws->dx_sel);
    free(ws->head_row);
    memset(ws, 0, sizeof *ws);
}
