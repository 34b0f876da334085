/* optim.c - SGD, SignGD and AdamW steps with clipping and the schedule. */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

double lm_lr_factor(int t, int warmup, int t_total) {
    if (t < warmup) return (double)t / (double)(warmup > 1 ? warmup : 1);
    double rest = (double)(t_total - t) / (double)(t_total - warmup > 1 ? t_total - warmup : 1);
    return rest > 0 ? rest : 0.0;
}

int lm_optim_decays(const char *name) {
    return strstr(name, "bias") == NULL && strstr(name, "LayerNorm.weight") == NULL;
}

void lm_optim_init(lm_optim *o, lm_opt_kind kind, double lr, double weight_decay,
                   double max_grad_norm, int warmup, int t_total, lm_opt_seg *seg, int n_seg) {
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->lr = lr;
    o->weight_decay = weight_decay;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->max_grad_norm = max_grad_norm;
    o->warmup = warmup;
    o->t_total = t_total;
    o->seg = seg;
    o->n_seg = n_seg;
    for (int i = 0; i < n_seg; i++) {
        seg[i].off = o->n;
        o->n += seg[i].n;
    }
    if (kind == LM_OPT_ADAMW) {
        o->m = lm_xcalloc(o->n ? o->n : 1, sizeof(float));
        o->v = lm_xcalloc(o->n ? o->n : 1, sizeof(float));
    }
}

double lm_optim_grad_norm(const lm_optim *o) {
    double ss = 0;
    for (int i = 0; i < o->n_seg; i++) {
        const float *g = o->seg[i].g;
        double s = 0;
        for (size_t j = 0; j < o->seg[i].n; j++) s += (double)g[j] * g[j];
        ss += s;
    }
    return sqrt(ss);
}

static void scale_grads(lm_optim *o, float c) {
    for (int i = 0; i < o->n_seg; i++) {
        float *g = o->seg[i].g;
        for (size_t j = 0; j < o->seg[i].n; j++) g[j] *= c;
    }
}

static void adamw_seg(lm_optim *o, lm_opt_seg *s, double lr_t, double step_size) {
    float *p = s->p, *m = o->m + s->off, *v = o->v + s->off;
    const float *g = s->g;
    float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
    float a1 = (float)(1.0 - o->beta1), a2 = (float)(1.0 - o->beta2), ss = (float)step_size;
    float wd = s->decay && o->weight_decay > 0 ? (float)(lr_t * o->weight_decay) : 0.0f;
    for (size_t j = 0; j < s->n; j++) {
        m[j] = b1 * m[j] + a1 * g[j];
        v[j] = b2 * v[j] + a2 * g[j] * g[j];
        p[j] -= ss * m[j] / (sqrtf(v[j]) + eps);
        if (wd != 0.0f) p[j] -= wd * p[j];
    }
}

double lm_optim_step(lm_optim *o) {
    double norm = lm_optim_grad_norm(o);
    o->last_norm = norm;
    if (o->max_grad_norm > 0) {
        double coef = o->max_grad_norm / (norm + 1e-6);
        if (coef < 1.0) scale_grads(o, (float)coef);
    }
    double lr_t = o->lr * lm_lr_factor(o->t, o->warmup, o->t_total);
    o->last_lr = lr_t;
    if (o->kind == LM_OPT_ADAMW) {
        int k = o->t + 1;
        double bc1 = 1.0 - pow(o->beta1, k), bc2 = 1.0 - pow(o->beta2, k);
        double step_size = lr_t * sqrt(bc2) / bc1;
        for (int i = 0; i < o->n_seg; i++) adamw_seg(o, &o->seg[i], lr_t, step_size);
    } else {
        float lr = (float)lr_t;
        for (int i = 0; i < o->n_seg; i++) {
            float *p = o->seg[i].p;
            const float *g = o->seg[i].g;
            size_t n = o->seg[i].n;
            float wd = o->seg[i].decay ? (float)o->weight_decay : 0.0f;
            int sign = o->kind == LM_OPT_SIGNGD;
            for (size_t j = 0; j < n; j++) {
                float d = sign ? (float)((g[j] > 0) - (g[j] < 0)) : g[j];
                p[j] -= lr * (d + wd * p[j]);
            }
        }
    }
    o->t++;
    return norm;
}

void lm_optim_free(lm_optim *o) {
    free(o->seg);
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}
