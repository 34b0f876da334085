/* fixed.c - "fixed features": the train x train sgd kernel before and after
 * fine-tuning, and how much each per-example gradient moved.
 *
 * Full parameter sets: the kernels come from kernel.h; the gradient change
 * compares the two backward passes' factors pair by pair: for a linear
 * weight <Da^T Xa, Db^T Xb> = Σ_ij (Da_i . Db_j)(Xa_i . Xb_j), two small
 * Gram matrices in float64, so ||g1 - g0||² = n11 + n00 - 2 n01 loses
 * nothing to cancellation beyond the factors' own float32 rounding.
 *
 * LoRA: the fine-tuned parameters are the adapters and the heads; their
 * per-example gradients (s B^T G and s G A^T for each target's dense
 * gradient G, the heads' own, the decoder's label-word rows) are small
 * enough to form explicitly, and the kernel is their Gram matrix. */
#include <cblas.h>
#undef I
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag/diag.h"
#include "kernel/kernel.h"
#include "train/jvp.h"

#define CHUNK 4 /* sequences per factor pass (two passes are alive at once) */

typedef struct dot_ws {
    double *a, *b, *ga, *gb;
    size_t cap_a, cap_b, cap_ga, cap_gb;
    float *ta, *tb;
    size_t cap_t;
    int32_t *ia, *ib;
    float *va, *vb;
    size_t cap_s;
} dot_ws;

static void dot_ws_free(dot_ws *w) {
    free(w->a); free(w->b); free(w->ga); free(w->gb);
    free(w->ta); free(w->tb); free(w->ia); free(w->ib); free(w->va); free(w->vb);
}

static void grow_d(double **p, size_t *cap, size_t n) {
    if (n <= *cap) return;
    free(*p);
    *p = lm_xmalloc(n * sizeof(double));
    *cap = n;
}

/* rows [r0, r0+L) of a [T, w] float block to double */
static void rows_to_d(double *dst, const float *src, int r0, int L, int w) {
    for (size_t i = 0; i < (size_t)L * w; i++) dst[i] = src[(size_t)r0 * w + i];
}

/* <g_a, g_b> for an encoder linear weight (bias: with_bias) */
static double linear_dot(const lm_pass *pa, int sa, int ra, const lm_pass *pb, int sb, int rb,
                         int ti, int bias, dot_ws *w) {
    const float *Xa, *Da, *Xb, *Db;
    int in, out;
    lm_pass_linear_factors(pa, ti, ra, &Xa, &Da, &in, &out);
    lm_pass_linear_factors(pb, ti, rb, &Xb, &Db, &in, &out);
    int a0 = pa->b->seq_start[sa], La = pa->b->seq_start[sa + 1] - a0;
    int b0 = pb->b->seq_start[sb], Lb = pb->b->seq_start[sb + 1] - b0;
    if (bias) {
        double s = 0;
        for (int o = 0; o < out; o++) {
            double x = 0, y = 0;
            for (int i = 0; i < La; i++) x += Da[(size_t)(a0 + i) * out + o];
            for (int j = 0; j < Lb; j++) y += Db[(size_t)(b0 + j) * out + o];
            s += x * y;
        }
        return s;
    }
    size_t need = (size_t)(La > Lb ? La : Lb) * (in > out ? in : out);
    grow_d(&w->a, &w->cap_a, need);
    grow_d(&w->b, &w->cap_b, need);
    grow_d(&w->ga, &w->cap_ga, (size_t)La * Lb);
    grow_d(&w->gb, &w->cap_gb, (size_t)La * Lb);
    double *a = w->a, *b = w->b;
    rows_to_d(a, Da, a0, La, out);
    rows_to_d(b, Db, b0, Lb, out);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, La, Lb, out, 1.0, a, out, b, out, 0.0, w->ga, Lb);
    rows_to_d(a, Xa, a0, La, in);
    rows_to_d(b, Xb, b0, Lb, in);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, La, Lb, in, 1.0, a, in, b, in, 0.0, w->gb, Lb);
    double s = 0;
    for (size_t i = 0; i < (size_t)La * Lb; i++) s += w->ga[i] * w->gb[i];
    return s;
}

static int is_sparse(const lm_param_tensor *t) {
    return t->kind == LM_PK_EMBEDDING || t->kind == LM_PK_DECODER_W || t->kind == LM_PK_DECODER_B;
}

/* <g_a, g_b> of row-sparse tensors: merge the sorted row lists */
static double sparse_dot(const lm_pass *pa, int sa, int ra, const lm_pass *pb, int sb, int rb,
                         int ti, dot_ws *w) {
    const lm_param_tensor *t = &pa->m->tensors[ti];
    int width = t->kind == LM_PK_DECODER_B ? 1 : pa->m->cfg.hidden;
    size_t need = (size_t)(lm_grad_sparse_max_rows(pa, sa) > lm_grad_sparse_max_rows(pb, sb)
                               ? lm_grad_sparse_max_rows(pa, sa) : lm_grad_sparse_max_rows(pb, sb));
    if (need > w->cap_s) {
        free(w->ia); free(w->ib); free(w->va); free(w->vb);
        w->cap_s = need;
        w->ia = lm_xmalloc(need * sizeof(int32_t));
        w->ib = lm_xmalloc(need * sizeof(int32_t));
        w->va = lm_xmalloc(need * pa->m->cfg.hidden * sizeof(float));
        w->vb = lm_xmalloc(need * pa->m->cfg.hidden * sizeof(float));
    }
    int na = lm_grad_sparse_rows(pa, ti, sa, ra, w->ia, w->va);
    int nb = lm_grad_sparse_rows(pb, ti, sb, rb, w->ib, w->vb);
    double s = 0;
    for (int i = 0, j = 0; i < na && j < nb;) {
        if (w->ia[i] < w->ib[j]) i++;
        else if (w->ia[i] > w->ib[j]) j++;
        else {
            const float *x = w->va + (size_t)i * width, *y = w->vb + (size_t)j * width;
            for (int h = 0; h < width; h++) s += (double)x[h] * y[h];
            i++;
            j++;
        }
    }
    return s;
}

/* <g_a, g_b> for one tensor of any kind */
static double tensor_dot(const lm_pass *pa, int sa, int ra, const lm_pass *pb, int sb, int rb,
                         int ti, dot_ws *w) {
    const lm_param_tensor *t = &pa->m->tensors[ti];
    if (lm_grad_tensor_is_zero(pa, ti)) return 0;
    switch (t->role) {
    case LM_R_Q_W: case LM_R_K_W: case LM_R_V_W: case LM_R_O_W: case LM_R_FF1_W: case LM_R_FF2_W:
        return linear_dot(pa, sa, ra, pb, sb, rb, ti, 0, w);
    case LM_R_Q_B: case LM_R_V_B: case LM_R_O_B: case LM_R_FF1_B: case LM_R_FF2_B:
        return linear_dot(pa, sa, ra, pb, sb, rb, ti, 1, w);
    default:
        break;
    }
    if (is_sparse(t)) return sparse_dot(pa, sa, ra, pb, sb, rb, ti, w);
    size_t n = (size_t)t->rows * t->cols;
    if (n > w->cap_t) {
        free(w->ta);
        free(w->tb);
        w->cap_t = n;
        w->ta = lm_xmalloc(n * sizeof(float));
        w->tb = lm_xmalloc(n * sizeof(float));
    }
    lm_grad_tensor(pa, ti, sa, ra, w->ta);
    lm_grad_tensor(pb, ti, sb, rb, w->tb);
    double s = 0;
    for (size_t j = 0; j < n; j++) s += (double)w->ta[j] * w->tb[j];
    return s;
}

static int load_chunk(lm_outputs_ws *ws, const lm_model *m, const lm_output_spec *os,
                      const lm_encoded_split *s, int i0, int k, int *hp, lm_error *err) {
    lm_batch_clear(&ws->b);
    for (int i = 0; i < k; i++) {
        const lm_encoded_example *e = &s->ex[i0 + i];
        if (lm_batch_add(&ws->b, &m->cfg, e->ids, e->type_ids, e->n_tokens, err))
            return lm_fail_prefix(err, "train example %d", i0 + i);
        hp[i] = os->head == LM_HEAD_MLM ? e->mask_pos : 0;
    }
    return 0;
}

/* Per (example, output) ||g1 - g0|| / ||g0|| over the included tensors. */
static int grad_change_full(const lm_model *m0, const lm_model *m1, const lm_output_spec *os,
                            const unsigned char *inc, const lm_encoded_split *train,
                            double *change, lm_error *err) {
    int R = lm_output_dim(os), rc = 0, hp[CHUNK];
    lm_outputs_ws w0 = {0}, w1 = {0};
    dot_ws dw = {0};
    float f[CHUNK * 64];
    for (int i0 = 0; i0 < train->n && rc == 0; i0 += CHUNK) {
        int k = train->n - i0 < CHUNK ? train->n - i0 : CHUNK;
        if (load_chunk(&w0, m0, os, train, i0, k, hp, err) || load_chunk(&w1, m1, os, train, i0, k, hp, err)) {
            rc = -1;
            break;
        }
        lm_pass p0, p1;
        lm_outputs_run(&w0, m0, os, hp, 1, f, &p0);
        lm_outputs_run(&w1, m1, os, hp, 1, f, &p1);
        for (int s = 0; s < k; s++)
            for (int r = 0; r < R; r++) {
                double n00 = 0, n11 = 0, n01 = 0;
                for (int ti = 0; ti < m0->n_tensors; ti++) {
                    if (!inc[ti]) continue;
                    n00 += tensor_dot(&p0, s, r, &p0, s, r, ti, &dw);
                    n11 += tensor_dot(&p1, s, r, &p1, s, r, ti, &dw);
                    n01 += tensor_dot(&p0, s, r, &p1, s, r, ti, &dw);
                }
                double d2 = n11 + n00 - 2 * n01;
                change[(size_t)(i0 + s) * R + r] = n00 > 0 ? sqrt(d2 > 0 ? d2 : 0) / sqrt(n00) : NAN;
            }
    }
    dot_ws_free(&dw);
    lm_outputs_ws_free(&w0);
    lm_outputs_ws_free(&w1);
    return rc;
}

/* ---- LoRA: explicit gradient features ----------------------------------- */

typedef struct lora_layout {
    int n_head;
    int *head;           /* head tensors in the features */
    size_t dim;
} lora_layout;

static void lora_layout_make(const lm_model *m, const lm_output_spec *os, const lm_lora *L,
                             lora_layout *lay) {
    lay->head = lm_xmalloc((size_t)m->n_tensors * sizeof(int));
    lay->n_head = 0;
    lay->dim = 0;
    for (int k = 0; k < L->n; k++) lay->dim += (size_t)L->r * (L->t[k].in + L->t[k].out);
    for (int ti = 0; ti < m->n_tensors; ti++) {
        const lm_param_tensor *t = &m->tensors[ti];
        if (!lm_lora_head_trainable(m, ti) || !lm_tensor_used(m, os, ti)) continue;
        lay->head[lay->n_head++] = ti;
        if (t->kind == LM_PK_DECODER_W) lay->dim += (size_t)os->n_out * m->cfg.hidden;
        else if (t->kind == LM_PK_DECODER_B) lay->dim += (size_t)os->n_out;
        else lay->dim += (size_t)t->rows * t->cols;
    }
}

/* The LoRA-space gradient of output r of sequence s, at adapters ab. */
static void lora_features(const lm_pass *p, int s, int r, const lm_lora *L, const float *ab,
                          const lora_layout *lay, const lm_output_spec *os, float *feat,
                          float *tmp, int32_t *ids, float *vals) {
    const lm_model *m = p->m;
    int H = m->cfg.hidden;
    size_t o = 0;
    for (int k = 0; k < L->n; k++) {
        const lm_lora_target *t = &L->t[k];
        lm_grad_tensor(p, t->tensor, s, r, tmp); /* G [out, in] */
        /* s B^T G [r, in] and s G A^T [out, r] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->r, t->in, t->out, L->scale,
                    ab + t->b_off, L->r, tmp, t->in, 0.0f, feat + o, t->in);
        o += (size_t)L->r * t->in;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t->out, L->r, t->in, L->scale, tmp,
                    t->in, ab + t->a_off, t->in, 0.0f, feat + o, L->r);
        o += (size_t)t->out * L->r;
    }
    for (int h = 0; h < lay->n_head; h++) {
        int ti = lay->head[h];
        const lm_param_tensor *t = &m->tensors[ti];
        if (t->kind == LM_PK_DECODER_W || t->kind == LM_PK_DECODER_B) {
            int width = t->kind == LM_PK_DECODER_B ? 1 : H;
            int n = lm_grad_sparse_rows(p, ti, s, r, ids, vals);
            for (int j = 0; j < os->n_out; j++) {
                float *dst = feat + o + (size_t)j * width;
                memset(dst, 0, (size_t)width * sizeof(float));
                for (int q = 0; q < n; q++)
                    if (ids[q] == os->vocab[j]) memcpy(dst, vals + (size_t)q * width, (size_t)width * sizeof(float));
            }
            o += (size_t)os->n_out * width;
        } else {
            lm_grad_tensor(p, ti, s, r, feat + o);
            o += (size_t)t->rows * t->cols;
        }
    }
}

/* Features [N*R, dim] of every training example at model m and adapters ab. */
static int lora_feature_matrix(const lm_model *m, const lm_output_spec *os, const lm_lora *L,
                               const float *ab, const lora_layout *lay,
                               const lm_encoded_split *train, float *F, lm_error *err) {
    int R = lm_output_dim(os), hp[CHUNK], rc = 0;
    size_t maxw = (size_t)m->cfg.hidden * (m->cfg.intermediate > m->cfg.hidden ? m->cfg.intermediate : m->cfg.hidden);
    float *tmp = lm_xmalloc(maxw * sizeof(float)), f[CHUNK * 64];
    int32_t *ids = NULL;
    float *vals = NULL;
    lm_outputs_ws ws = {0};
    for (int i0 = 0; i0 < train->n && rc == 0; i0 += CHUNK) {
        int k = train->n - i0 < CHUNK ? train->n - i0 : CHUNK;
        if (load_chunk(&ws, m, os, train, i0, k, hp, err)) {
            rc = -1;
            break;
        }
        lm_pass p;
        lm_outputs_run(&ws, m, os, hp, 1, f, &p);
        for (int s = 0; s < k; s++) {
            int mr = lm_grad_sparse_max_rows(&p, s);
            free(ids);
            free(vals);
            ids = lm_xmalloc((size_t)mr * sizeof(int32_t));
            vals = lm_xmalloc((size_t)mr * m->cfg.hidden * sizeof(float));
            for (int r = 0; r < R; r++)
                lora_features(&p, s, r, L, ab, lay, os, F + ((size_t)(i0 + s) * R + r) * lay->dim, tmp,
                              ids, vals);
        }
    }
    free(ids);
    free(vals);
    free(tmp);
    lm_outputs_ws_free(&ws);
    return rc;
}

/* K = F F^T [n, n] in float64, in column blocks */
static void gram(const float *F, int n, size_t dim, double *K) {
    size_t blk = 1 << 15;
    double *D = lm_xmalloc((size_t)n * blk * sizeof(double));
    memset(K, 0, (size_t)n * n * sizeof(double));
    for (size_t c0 = 0; c0 < dim; c0 += blk) {
        size_t w = dim - c0 < blk ? dim - c0 : blk;
        for (int i = 0; i < n; i++)
            for (size_t j = 0; j < w; j++) D[(size_t)i * w + j] = F[(size_t)i * dim + c0 + j];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, (int)w, 1.0, D, (int)w, D, (int)w,
                    1.0, K, n);
    }
    free(D);
}

/* ---- both ------------------------------------------------------------------ */

int lm_diag_train_kernels(const lm_model *m0, const lm_output_spec *os,
                          const lm_finetune_result *ft, const lm_encoded_split *train,
                          const double *k0, size_t mem_budget, double **K0, double **K1,
                          double *change, lm_error *err) {
    int R = lm_output_dim(os), N = train->n, NR = N * R, rc = 0;
    size_t cells = (size_t)NR * NR;
    *K0 = *K1 = NULL;
    lm_model m1;
    lm_model_clone(m0, ft->best_params, &m1);
    int lora = ft->lora.n > 0;
    if (lora) {
        lm_lora_merge(&ft->lora, ft->lora.params, &m1);
        lora_layout lay;
        lora_layout_make(m0, os, &ft->lora, &lay);
        float *F0 = lm_xmalloc(((size_t)NR * lay.dim + 1) * sizeof(float));
        float *F1 = lm_xmalloc(((size_t)NR * lay.dim + 1) * sizeof(float));
        rc = lora_feature_matrix(m0, os, &ft->lora, ft->lora0, &lay, train, F0, err);
        if (rc == 0) rc = lora_feature_matrix(&m1, os, &ft->lora, ft->lora.params, &lay, train, F1, err);
        if (rc == 0) {
            *K0 = lm_xmalloc(cells * sizeof(double));
            *K1 = lm_xmalloc(cells * sizeof(double));
            if (k0) memcpy(*K0, k0, cells * sizeof(double));
            else gram(F0, NR, lay.dim, *K0);
            gram(F1, NR, lay.dim, *K1);
            for (int i = 0; i < NR; i++) {
                double d = 0, z = 0;
                const float *a = F0 + (size_t)i * lay.dim, *b = F1 + (size_t)i * lay.dim;
                for (size_t j = 0; j < lay.dim; j++) {
                    double e = (double)b[j] - a[j];
                    d += e * e;
                    z += (double)a[j] * a[j];
                }
                change[i] = z > 0 ? sqrt(d / z) : NAN;
            }
        }
        free(F0);
        free(F1);
        free(lay.head);
    } else {
        lm_param_set ps = ft->params;
        unsigned char *inc = lm_xcalloc((size_t)m0->n_tensors, 1);
        for (int ti = 0; ti < m0->n_tensors; ti++)
            inc[ti] = lm_param_set_includes(m0, ti, ps) && lm_tensor_used(m0, os, ti);
        lm_kernel_options ko = {.formula = LM_KF_SGD, .params = ps, .mem_budget = mem_budget};
        lm_example_set ts = {.n = N, .ex = train->ex};
        lm_kernel_result kr;
        *K0 = lm_xmalloc(cells * sizeof(double));
        *K1 = lm_xmalloc(cells * sizeof(double));
        if (k0) {
            memcpy(*K0, k0, cells * sizeof(double));
        } else if ((rc = lm_kernel_compute(m0, os, &ko, &ts, &ts, 1, &kr, err)) == 0) {
            memcpy(*K0, kr.K[0], cells * sizeof(double));
            lm_kernel_result_free(&kr);
        }
        if (rc == 0 && (rc = lm_kernel_compute(&m1, os, &ko, &ts, &ts, 1, &kr, err)) == 0) {
            memcpy(*K1, kr.K[0], cells * sizeof(double));
            lm_kernel_result_free(&kr);
        }
        if (rc == 0) rc = grad_change_full(m0, &m1, os, inc, train, change, err);
        free(inc);
    }
    lm_model_free(&m1);
    if (rc) {
        free(*K0);
        free(*K1);
        *K0 = *K1 = NULL;
    }
    return rc;
}
