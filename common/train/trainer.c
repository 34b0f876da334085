/* trainer.c - fine-tuning steps: loss, gradient, optimizer, LoRA,
 * linearized model, dropout. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "train/jvp.h"

#define EVAL_CHUNK 32 /* sequences per forward in eval mode */

void lm_train_config_from_spec(lm_train_config *c, const lm_finetune_config *ft, double lr,
                               uint64_t seed) {
    memset(c, 0, sizeof *c);
    c->optimizer = ft->optimizer;
    c->lr = lr;
    c->steps = ft->steps;
    c->warmup = ft->warmup;
    c->weight_decay = ft->weight_decay;
    c->max_grad_norm = ft->max_grad_norm;
    c->params = ft->params;
    c->lora = ft->lora;
    c->linearized = ft->linearized;
    c->seed = seed;
}

void lm_model_clone(const lm_model *src, const float *params, lm_model *dst) {
    *dst = *src;
    dst->tensors = lm_xmalloc((size_t)src->n_tensors * sizeof *dst->tensors);
    memcpy(dst->tensors, src->tensors, (size_t)src->n_tensors * sizeof *dst->tensors);
    dst->params = lm_xalloc_aligned(src->n_params * sizeof(float));
    memcpy(dst->params, params ? params : src->params, src->n_params * sizeof(float));
    lm_weights_bind(dst, dst->params, &dst->w);
}

int lm_tensor_used(const lm_model *m, const lm_output_spec *os, int ti) {
    const lm_param_tensor *t = &m->tensors[ti];
    if (t->kind == LM_PK_UNUSED) return 0;
    int mlm = t->role >= LM_R_HEAD_W && t->role <= LM_R_DEC_B;
    int cls = t->role == LM_R_CLS_W || t->role == LM_R_CLS_B;
    return os->head == LM_HEAD_MLM ? !cls : !mlm;
}

static void reserve(lm_trainer *t, int n) {
    if (n <= t->cap) return;
    int C = t->os.n_out, H = t->m.cfg.hidden;
    t->cap = n;
    free(t->f);
    free(t->dl);
    free(t->dxc);
    free(t->jv);
    free(t->head_pos);
    t->f = lm_xmalloc((size_t)n * C * sizeof(float));
    t->dl = lm_xmalloc((size_t)n * C * sizeof(float));
    t->dxc = lm_xalloc_aligned((size_t)n * H * sizeof(float));
    t->jv = lm_xmalloc((size_t)n * C * sizeof(double));
    t->head_pos = lm_xmalloc((size_t)n * sizeof(int));
}

static int load_batch(lm_trainer *t, const lm_encoded_example *const *ex, int n, lm_error *err) {
    reserve(t, n);
    lm_batch_clear(&t->ws.b);
    for (int i = 0; i < n; i++) {
        if (lm_batch_add(&t->ws.b, &t->m.cfg, ex[i]->ids, ex[i]->type_ids, ex[i]->n_tokens, err))
            return -1;
        t->head_pos[i] = t->os.head == LM_HEAD_MLM ? ex[i]->mask_pos : 0;
    }
    return 0;
}

int lm_trainer_init(lm_trainer *t, const lm_model *m0, const lm_output_spec *os,
                    const lm_train_config *cfg, lm_error *err) {
    memset(t, 0, sizeof *t);
    if (os->head == LM_HEAD_MLM && !os->vocab) return lm_fail(err, "MLM outputs need label words");
    if (os->head == LM_HEAD_CLASSIFIER && m0->n_classes != os->n_out)
        return lm_fail(err, "the model has %d classifier outputs, the outputs want %d",
                       m0->n_classes, os->n_out);
    if (cfg->steps < 1) return lm_fail(err, "steps: %d must be >= 1", cfg->steps);
    if (!(cfg->dropout >= 0 && cfg->dropout < 1))
        return lm_fail(err, "dropout: %g must be in [0, 1)", cfg->dropout);
    t->cfg = *cfg;
    t->m0 = m0;
    t->os = *os;
    t->os.binary = 0;
    int lora = cfg->params == LM_PS_LORA;
    t->mode = cfg->linearized ? LM_TRAIN_LINEARIZED : lora ? LM_TRAIN_LORA : LM_TRAIN_FULL;
    lm_model_clone(m0, NULL, &t->m);
    t->grad = lm_xalloc_aligned(t->m.n_params * sizeof(float));
    memset(t->grad, 0, t->m.n_params * sizeof(float));
    lm_weights_bind(&t->m, t->grad, &t->gw);
    t->trainable = lm_xcalloc((size_t)m0->n_tensors, 1);
    int n_seg = 0;
    for (int i = 0; i < m0->n_tensors; i++) {
        int in = lora ? lm_lora_head_trainable(m0, i) : lm_param_set_includes(m0, i, cfg->params);
        t->trainable[i] = in && lm_tensor_used(m0, os, i);
        n_seg += t->trainable[i];
    }
    if (lora) {
        if (lm_lora_init(&t->lora, m0, &cfg->lora, err)) {
            lm_trainer_free(t);
            return -1;
        }
        t->lora_grad = lm_xcalloc(t->lora.n_params, sizeof(float));
        t->lora0 = lm_xmalloc(t->lora.n_params * sizeof(float));
        memcpy(t->lora0, t->lora.params, t->lora.n_params * sizeof(float));
        n_seg += 2 * t->lora.n;
    }
    lm_opt_seg *seg = lm_xcalloc((size_t)(n_seg ? n_seg : 1), sizeof *seg);
    int k = 0;
    for (int i = 0; i < m0->n_tensors; i++) {
        if (!t->trainable[i]) continue;
        const lm_param_tensor *pt = &m0->tensors[i];
        seg[k++] = (lm_opt_seg){.p = t->m.params + pt->offset, .g = t->grad + pt->offset,
                                .n = (size_t)pt->rows * pt->cols, .decay = lm_optim_decays(pt->name)};
    }
    for (int j = 0; lora && j < t->lora.n; j++) {
        const lm_lora_target *lt = &t->lora.t[j];
        seg[k++] = (lm_opt_seg){.p = t->lora.params + lt->a_off, .g = t->lora_grad + lt->a_off,
                                .n = (size_t)t->lora.r * lt->in, .decay = lm_optim_decays(lt->name_a)};
        seg[k++] = (lm_opt_seg){.p = t->lora.params + lt->b_off, .g = t->lora_grad + lt->b_off,
                                .n = (size_t)lt->out * t->lora.r, .decay = lm_optim_decays(lt->name_b)};
    }
    if (k == 0) {
        free(seg);
        lm_trainer_free(t);
        return lm_fail(err, "params: nothing to train (no used tensor in the parameter set)");
    }
    lm_optim_init(&t->opt, cfg->optimizer, cfg->lr, cfg->weight_decay, cfg->max_grad_norm,
                  cfg->warmup, cfg->steps, seg, k);
    if (t->mode == LM_TRAIN_LINEARIZED) {
        t->delta = lm_xalloc_aligned(t->m.n_params * sizeof(float));
        memset(t->delta, 0, t->m.n_params * sizeof(float));
    }
    return 0;
}

/* Mean cross-entropy of logits f [n, C] and its gradient dl = (p - y)/n. */
static double cross_entropy(const float *f, const lm_encoded_example *const *ex, int n, int C,
                            float *dl) {
    double loss = 0;
    for (int s = 0; s < n; s++) {
        const float *z = f + (size_t)s * C;
        double mx = z[0], se = 0;
        for (int c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
        for (int c = 0; c < C; c++) se += exp(z[c] - mx);
        double lse = mx + log(se);
        int y = ex[s]->label;
        loss += lse - z[y];
        for (int c = 0; c < C; c++)
            dl[(size_t)s * C + c] = (float)((exp(z[c] - lse) - (c == y)) / n);
    }
    return loss / n;
}

/* Backward of dl [n, C] through the head and the encoder of model m, whose
 * forward is in t->ws, adding parameter gradients into t->gw. */
static void backward_into_grads(lm_trainer *t, const lm_model *m, int n) {
    const lm_batch *b = &t->ws.b;
    int H = m->cfg.hidden, C = t->os.n_out, T = b->n_tokens;
    const float *dx;
    if (t->os.head == LM_HEAD_MLM) {
        lm_head_backward(m, &t->ws.ha, 1, t->dl, t->os.vocab, C, &t->hb, &t->gw);
        dx = t->hb.dx;
    } else {
        lm_classifier_backward(m, t->ws.h_sel, n, 1, t->dl, t->dxc, &t->gw);
        dx = t->dxc;
    }
    if ((size_t)T * H > t->cap_dh) {
        free(t->dh);
        t->cap_dh = (size_t)T * H + (size_t)T * H / 4;
        t->dh = lm_xalloc_aligned((t->cap_dh + 1) * sizeof(float));
    }
    memset(t->dh, 0, (size_t)T * H * sizeof(float));
    for (int s = 0; s < n; s++)
        memcpy(t->dh + (size_t)t->ws.head_row[s] * H, dx + (size_t)s * H, H * sizeof(float));
    lm_encoder_backward(m, b, &t->ws.a, 1, t->dh, 0, &t->bw, &t->gw);
}

static void update_delta(lm_trainer *t) {
    for (int i = 0; i < t->m.n_tensors; i++) {
        if (!t->trainable[i]) continue;
        const lm_param_tensor *pt = &t->m.tensors[i];
        size_t n = (size_t)pt->rows * pt->cols;
        const float *p = t->m.params + pt->offset, *p0 = t->m0->params + pt->offset;
        float *d = t->delta + pt->offset;
        for (size_t j = 0; j < n; j++) d[j] = p[j] - p0[j];
    }
    if (t->mode == LM_TRAIN_LINEARIZED && t->lora.n) lm_lora_tangent(&t->lora, t->lora0, t->lora.params, t->delta);
}

/* Linearized outputs f0 + <g, delta> of the batch in t->ws (pass at θ0). */
static void linearized_outputs(lm_trainer *t, int n, float *out) {
    lm_pass pass;
    unsigned char *inc = NULL;
    if (t->lora.n) { /* the tangent also lives on the adapters' target weights */
        inc = lm_xmalloc((size_t)t->m.n_tensors);
        memcpy(inc, t->trainable, (size_t)t->m.n_tensors);
        for (int j = 0; j < t->lora.n; j++) inc[t->lora.t[j].tensor] = 1;
    }
    t->ws.a.dropout = NULL;
    lm_outputs_run(&t->ws, t->m0, &t->os, t->head_pos, 1, out, &pass);
    lm_pass_jvp(&pass, t->delta, inc ? inc : t->trainable, t->jv);
    for (size_t i = 0; i < (size_t)n * t->os.n_out; i++) out[i] = (float)(out[i] + t->jv[i]);
    free(inc);
}

double lm_trainer_grad(lm_trainer *t, const lm_encoded_example *const *ex, int n) {
    if (load_batch(t, ex, n, &t->err)) return NAN;
    memset(t->grad, 0, t->m.n_params * sizeof(float));
    const lm_model *fwd = t->mode == LM_TRAIN_LINEARIZED ? t->m0 : &t->m;
    if (t->mode == LM_TRAIN_LINEARIZED) {
        linearized_outputs(t, n, t->f);
    } else {
        if (t->cfg.dropout > 0) {
            t->drop.p = t->cfg.dropout;
            t->drop.seed = (t->cfg.seed << 32) ^ (uint64_t)t->step ^ 0xD1B54A32D192ED03ULL;
            t->ws.a.dropout = &t->drop;
        } else {
            t->ws.a.dropout = NULL;
        }
        lm_outputs_run(&t->ws, fwd, &t->os, t->head_pos, 0, t->f, NULL);
        t->ws.a.dropout = NULL;
    }
    double loss = cross_entropy(t->f, ex, n, t->os.n_out, t->dl);
    backward_into_grads(t, fwd, n);
    if (t->lora.n)
        lm_lora_grads(&t->lora, t->mode == LM_TRAIN_LINEARIZED ? t->lora0 : NULL, t->grad,
                      t->lora_grad);
    t->last_loss = loss;
    return loss;
}

double lm_trainer_step(lm_trainer *t, const lm_encoded_example *const *ex, int n) {
    double loss = lm_trainer_grad(t, ex, n);
    if (isnan(loss)) return loss;
    t->last_norm = lm_optim_step(&t->opt);
    t->last_lr = t->opt.last_lr;
    if (t->mode == LM_TRAIN_LORA) lm_lora_merge(&t->lora, NULL, &t->m);
    if (t->mode == LM_TRAIN_LINEARIZED) update_delta(t);
    t->step++;
    return loss;
}

void lm_trainer_outputs(lm_trainer *t, const lm_encoded_example *const *ex, int n, float *out) {
    int C = t->os.n_out;
    for (int i0 = 0; i0 < n; i0 += EVAL_CHUNK) {
        int k = n - i0 < EVAL_CHUNK ? n - i0 : EVAL_CHUNK;
        if (load_batch(t, ex + i0, k, &t->err)) {
            for (size_t j = 0; j < (size_t)k * C; j++) out[(size_t)i0 * C + j] = NAN;
            continue;
        }
        if (t->mode == LM_TRAIN_LINEARIZED) {
            linearized_outputs(t, k, out + (size_t)i0 * C);
        } else {
            t->ws.a.dropout = NULL;
            lm_outputs_run(&t->ws, &t->m, &t->os, t->head_pos, 0, out + (size_t)i0 * C, NULL);
        }
    }
}

void lm_trainer_restore(lm_trainer *t, const float *params, const float *lora_params) {
    memcpy(t->m.params, params, t->m.n_params * sizeof(float));
    if (t->lora.n && lora_params) {
        memcpy(t->lora.params, lora_params, t->lora.n_params * sizeof(float));
        if (t->mode == LM_TRAIN_LORA) lm_lora_merge(&t->lora, NULL, &t->m);
    }
    if (t->mode == LM_TRAIN_LINEARIZED) update_delta(t);
}

void lm_trainer_tangent(const lm_trainer *t, float *tangent) {
    memset(tangent, 0, t->m.n_params * sizeof(float));
    for (int i = 0; i < t->m.n_tensors; i++) {
        if (!t->trainable[i]) continue;
        const lm_param_tensor *pt = &t->m.tensors[i];
        size_t n = (size_t)pt->rows * pt->cols;
        const float *p = t->m.params + pt->offset, *p0 = t->m0->params + pt->offset;
        for (size_t j = 0; j < n; j++) tangent[pt->offset + j] = p[j] - p0[j];
    }
    if (t->lora.n) lm_lora_tangent(&t->lora, t->lora0, t->lora.params, tangent);
}

void lm_trainer_free(lm_trainer *t) {
    lm_model_free(&t->m);
    free(t->grad);
    lm_weights_free_layers(&t->gw);
    free(t->trainable);
    lm_lora_free(&t->lora);
    free(t->lora_grad);
    free(t->lora0);
    lm_optim_free(&t->opt);
    free(t->delta);
    lm_outputs_ws_free(&t->ws);
    lm_bwd_free(&t->bw);
    lm_head_bwd_free(&t->hb);
    free(t->f);
    free(t->dl);
    free(t->dh);
    free(t->dxc);
    free(t->jv);
    free(t->head_pos);
    memset(t, 0, sizeof *t);
}
