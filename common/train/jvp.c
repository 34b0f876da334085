/* jvp.c - <per-example gradient, tangent> from a pass's factors. */
#include "train/jvp.h"

#include <stdlib.h>
#include <string.h>

#include "model/layers.h"

static void layer_factors(const lm_pass *p, const lm_param_tensor *t, const float **X,
                          const float **D, int *in, int *out);

void lm_pass_linear_factors(const lm_pass *p, int tensor, int r, const float **X, const float **D,
                            int *in, int *out) {
    const lm_param_tensor *t = &p->m->tensors[tensor];
    const lm_config *c = &p->m->cfg;
    size_t T = (size_t)p->b->n_tokens;
    layer_factors(p, t, X, D, in, out);
    *D += (size_t)r * T * (t->role == LM_R_FF1_W || t->role == LM_R_FF1_B ? c->intermediate : c->hidden);
}

/* Input rows X and delta rows Δ (replica 0) of an encoder linear weight. */
static void layer_factors(const lm_pass *p, const lm_param_tensor *t, const float **X,
                          const float **D, int *in, int *out) {
    const lm_config *c = &p->m->cfg;
    const lm_acts *a = p->a;
    const lm_layer_bwd *d = &p->bw->layers[t->layer];
    int l = t->layer;
    *X = l == 0 ? a->x0 : a->layers[l - 1].y2;
    *in = *out = c->hidden;
    switch (t->role) {
    case LM_R_Q_W: case LM_R_Q_B: *D = d->dq; break;
    case LM_R_K_W: case LM_R_K_B: *D = d->dk; break;
    case LM_R_V_W: case LM_R_V_B: *D = d->dv; break;
    case LM_R_O_W: case LM_R_O_B: *X = a->layers[l].ctx; *D = d->dattn; break;
    case LM_R_FF1_W: case LM_R_FF1_B: *X = a->layers[l].y1; *D = d->du; *out = c->intermediate; break;
    default: *X = a->layers[l].g; *D = d->dz; *in = c->intermediate; break; /* FF2 */
    }
}

static double dotf(const float *a, const float *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* Σ over each sequence's rows of <D_r[t], Y[t]> into out[s*R + r]. */
static void rows_dot(const lm_pass *p, const float *D, const float *Y, int width, int bias_only,
                     double *out) {
    const lm_batch *b = p->b;
    size_t T = (size_t)b->n_tokens;
    for (int r = 0; r < p->R; r++)
        for (int s = 0; s < b->n_seq; s++) {
            double acc = 0;
            for (int t = b->seq_start[s]; t < b->seq_start[s + 1]; t++)
                acc += dotf(D + ((size_t)r * T + t) * width, bias_only ? Y : Y + (size_t)t * width,
                            width);
            out[(size_t)s * p->R + r] += acc;
        }
}

/* Σ_j dlogits[r,s,j] <y_s, ΔW[vocab_j]> (+ Δb[vocab_j]): the decoder rows. */
static void decoder_dot(const lm_pass *p, const float *dW, const float *db, double *out) {
    int H = p->m->cfg.hidden, S = p->b->n_seq;
    for (int r = 0; r < p->R; r++)
        for (int s = 0; s < S; s++) {
            const float *dl = p->dlogits + ((size_t)r * S + s) * p->n_out;
            double acc = 0;
            for (int j = 0; j < p->n_out; j++) {
                double v = dW ? dotf(p->ha->y + (size_t)s * H, dW + (size_t)p->vocab[j] * H, H) : 0;
                if (db) v += db[p->vocab[j]];
                acc += dl[j] * v;
            }
            out[(size_t)s * p->R + r] += acc;
        }
}

/* Σ per sequence of <vec[r, s, :], Δ> for per-sequence factor vectors. */
static void seq_vec_dot(const lm_pass *p, const float *vec, const float *d, int H, double *out) {
    int S = p->b->n_seq;
    for (int r = 0; r < p->R; r++)
        for (int s = 0; s < S; s++)
            out[(size_t)s * p->R + r] += dotf(vec + ((size_t)r * S + s) * H, d, H);
}

void lm_pass_jvp(const lm_pass *p, const float *tangent, const unsigned char *include,
                 double *out) {
    const lm_model *m = p->m;
    const lm_batch *b = p->b;
    int H = m->cfg.hidden, I = m->cfg.intermediate, T = b->n_tokens, S = b->n_seq;
    memset(out, 0, (size_t)S * p->R * sizeof(double));
    size_t wmax = (size_t)(H > I ? H : I);
    float *Y = lm_xalloc_aligned(((size_t)T * wmax + 1) * sizeof(float));
    float *E = NULL;
    for (int ti = 0; ti < m->n_tensors; ti++) {
        const lm_param_tensor *t = &m->tensors[ti];
        if ((include && !include[ti]) || lm_grad_tensor_is_zero(p, ti)) continue;
        const float *d = tangent + t->offset;
        const float *X, *D;
        int in, o;
        switch (t->role) {
        case LM_R_Q_W: case LM_R_K_W: case LM_R_V_W: case LM_R_O_W: case LM_R_FF1_W: case LM_R_FF2_W:
            layer_factors(p, t, &X, &D, &in, &o);
            lm_linear_forward(Y, X, d, NULL, T, in, o);
            rows_dot(p, D, Y, o, 0, out);
            break;
        case LM_R_Q_B: case LM_R_V_B: case LM_R_O_B: case LM_R_FF1_B: case LM_R_FF2_B:
            layer_factors(p, t, &X, &D, &in, &o);
            rows_dot(p, D, d, o, 1, out);
            break;
        case LM_R_LN1_G: seq_vec_dot(p, p->bw->layers[t->layer].dln1_g, d, H, out); break;
        case LM_R_LN1_B: seq_vec_dot(p, p->bw->layers[t->layer].dln1_b, d, H, out); break;
        case LM_R_LN2_G: seq_vec_dot(p, p->bw->layers[t->layer].dln2_g, d, H, out); break;
        case LM_R_LN2_B: seq_vec_dot(p, p->bw->layers[t->layer].dln2_b, d, H, out); break;
        case LM_R_EMB_LN_G: seq_vec_dot(p, p->bw->demb_ln_g, d, H, out); break;
        case LM_R_EMB_LN_B: seq_vec_dot(p, p->bw->demb_ln_b, d, H, out); break;
        case LM_R_WORD: case LM_R_POS: case LM_R_TYPE: {
            const int32_t *idx = t->role == LM_R_WORD ? b->ids : t->role == LM_R_POS ? b->pos_ids
                                                                                     : b->type_ids;
            if (!E) E = lm_xalloc_aligned(((size_t)T * H + 1) * sizeof(float));
            for (int k = 0; k < T; k++) memcpy(E + (size_t)k * H, d + (size_t)idx[k] * H, H * sizeof(float));
            rows_dot(p, p->bw->demb, E, H, 0, out);
            if (t->role == LM_R_WORD && m->tied && p->head == LM_HEAD_MLM) decoder_dot(p, d, NULL, out);
            break;
        }
        case LM_R_HEAD_W:
            lm_linear_forward(Y, p->ha->x, d, NULL, S, H, H);
            for (int r = 0; r < p->R; r++)
                for (int s = 0; s < S; s++)
                    out[(size_t)s * p->R + r] +=
                        dotf(p->hb->ddense + ((size_t)r * S + s) * H, Y + (size_t)s * H, H);
            break;
        case LM_R_HEAD_B: seq_vec_dot(p, p->hb->ddense, d, H, out); break;
        case LM_R_HEAD_LN_G: seq_vec_dot(p, p->hb->dln_g, d, H, out); break;
        case LM_R_HEAD_LN_B: seq_vec_dot(p, p->hb->dln_b, d, H, out); break;
        case LM_R_DEC_W: decoder_dot(p, d, NULL, out); break;
        case LM_R_DEC_B: decoder_dot(p, NULL, d, out); break;
        case LM_R_CLS_W: case LM_R_CLS_B: {
            int C = p->n_out;
            if (t->role == LM_R_CLS_W) lm_linear_forward(Y, p->head_x, d, NULL, S, H, C);
            for (int r = 0; r < p->R; r++)
                for (int s = 0; s < S; s++) {
                    const float *dl = p->dlogits + ((size_t)r * S + s) * C;
                    out[(size_t)s * p->R + r] +=
                        dotf(dl, t->role == LM_R_CLS_W ? Y + (size_t)s * C : d, C);
                }
            break;
        }
        default:
            break;
        }
    }
    free(Y);
    free(E);
}
