/* kernel.c - eNTK kernels from per-example gradients formed block by block.
 *
 * Loop structure (DESIGN.md beside this file):
 *   for each chunk of evaluation examples (all sets, in order):
 *     forward + backward of every output, keeping the gradient factors
 *     for each chunk of training examples (one chunk, kept, when it fits):
 *       for each block of dense parameters: form G_train and G_x from the
 *         factors, then K += G_train G_x^T as one SGEMM (signs for signgd)
 *       row-sparse parameters (embeddings, decoder rows): merge-join rows
 * Accumulation is in float64 over SGEMM partial sums of bounded length. */
#include "kernel/kernel.h"

#include <cblas.h>
#undef I /* complex.h (pulled in by cblas.h) defines I */
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Partial sums longer than this are split, so float32 accumulation stays
 * accurate (sgd) and exact for sums of signs (< 2^24). */
#define SUM_CHUNK 4096

/* ---- plan -------------------------------------------------------------- */

typedef struct segment {
    int tensor, row0, row1; /* rows of a matrix, or the whole vector */
    size_t width;           /* floats */
    int lora;               /* >= 0: the LoRA factors of target `lora` (dA then dB) */
} segment;

typedef struct block {
    int first, n;           /* segments */
    size_t width;
} block;

typedef struct plan {
    segment *seg;
    int n_seg;
    block *blk;
    int n_blk;
    int *sparse;            /* row-sparse tensors */
    int n_sparse;
    size_t max_width;
    const lm_kernel_lora *lora;
    float *scratch;         /* a dense gradient of a LoRA target */
} plan;

static int is_sparse(const lm_param_tensor *t) {
    return t->kind == LM_PK_EMBEDDING || t->kind == LM_PK_DECODER_W || t->kind == LM_PK_DECODER_B;
}

static int is_zero_tensor(const lm_model *m, const lm_output_spec *os, int ti) {
    lm_pass p = {.m = m, .head = os->head};
    return lm_grad_tensor_is_zero(&p, ti);
}

/* Dense tensors are cut into segments of at most max_width floats (whole
 * rows) and packed into blocks of at most max_width. */
/* Linear weights and their biases: the sgd kernel takes them by token Gram
 * matrices (gram_products) instead of forming their gradients. */
static int is_gram(const lm_param_tensor *t) {
    switch (t->role) {
    case LM_R_Q_W: case LM_R_Q_B: case LM_R_K_W: case LM_R_V_W: case LM_R_V_B: case LM_R_O_W:
    case LM_R_O_B: case LM_R_FF1_W: case LM_R_FF1_B: case LM_R_FF2_W: case LM_R_FF2_B:
    case LM_R_HEAD_W: case LM_R_HEAD_B: case LM_R_CLS_W: case LM_R_CLS_B:
        return 1;
    default:
        return 0;
    }
}

static void make_plan(const lm_model *m, const lm_output_spec *os, lm_param_set ps,
                      size_t max_width, int gram, const lm_kernel_lora *lora, plan *pl) {
    memset(pl, 0, sizeof *pl);
    pl->lora = ps == LM_PS_LORA ? lora : NULL;
    pl->seg = lm_xcalloc((size_t)m->n_tensors * 64 + 1, sizeof *pl->seg);
    pl->blk = lm_xcalloc((size_t)m->n_tensors * 64 + 1, sizeof *pl->blk);
    pl->sparse = lm_xcalloc((size_t)m->n_tensors + 1, sizeof *pl->sparse);
    for (int ti = 0; ti < m->n_tensors; ti++) {
        const lm_param_tensor *t = &m->tensors[ti];
        if (!lm_param_set_includes(m, ti, ps) || is_zero_tensor(m, os, ti)) continue;
        if (gram && is_gram(t)) continue;
        if (is_sparse(t)) {
            pl->sparse[pl->n_sparse++] = ti;
            continue;
        }
        int rows_per = t->kind == LM_PK_LINEAR_W ? (int)(max_width / (size_t)t->cols) : 1;
        if (rows_per < 1) rows_per = 1;
        int nrows = t->kind == LM_PK_LINEAR_W ? t->rows : 1;
        for (int r0 = 0; r0 < nrows; r0 += rows_per) {
            segment *sg = &pl->seg[pl->n_seg++];
            sg->tensor = ti;
            sg->row0 = r0;
            sg->row1 = r0 + rows_per < nrows ? r0 + rows_per : nrows;
            sg->width = t->kind == LM_PK_LINEAR_W ? (size_t)(sg->row1 - sg->row0) * t->cols
                                                  : (size_t)t->cols;
        }
    }
    for (int i = 0; i < pl->n_seg; i++) pl->seg[i].lora = -1;
    size_t scratch = 0;
    for (int j = 0; pl->lora && j < pl->lora->n; j++) {
        const lm_param_tensor *t = &m->tensors[pl->lora->tensor[j]];
        segment *sg = &pl->seg[pl->n_seg++];
        sg->tensor = pl->lora->tensor[j];
        sg->row0 = 0;
        sg->row1 = t->rows;
        sg->width = (size_t)pl->lora->r * (t->cols + t->rows);
        sg->lora = j;
        if ((size_t)t->rows * t->cols > scratch) scratch = (size_t)t->rows * t->cols;
    }
    if (scratch) pl->scratch = lm_xalloc_aligned(scratch * sizeof(float));
    for (int i = 0; i < pl->n_seg; i++) {
        block *b = pl->n_blk ? &pl->blk[pl->n_blk - 1] : NULL;
        if (!b || b->width + pl->seg[i].width > max_width) {
            b = &pl->blk[pl->n_blk++];
            b->first = i;
        }
        b->n++;
        b->width += pl->seg[i].width;
        if (b->width > pl->max_width) pl->max_width = b->width;
    }
}

static void free_plan(plan *pl) {
    free(pl->scratch);
    free(pl->seg);
    free(pl->blk);
    free(pl->sparse);
}

/* ---- one side: a chunk of examples after forward + backward ------------ */

typedef struct sparse_vec {
    int n;
    int32_t *ids;
    float *vals;
} sparse_vec;

typedef struct side {
    lm_outputs_ws ws;
    lm_pass pass;
    float *f;             /* [n, R] outputs */
    int n;                /* examples */
    sparse_vec *sp;       /* [n_sparse][n * R] */
    /* one grow-only arena for the rows of every sparse vector of the side:
     * per-vector allocations of ~100 KB were mmap'ed and unmapped per chunk */
    int32_t *sp_ids;
    float *sp_vals;
    size_t sp_cap;        /* rows */
    size_t sp_vecs;       /* capacity of sp */
} side;

static int fill_side(side *sd, const lm_model *m, const lm_output_spec *os,
                     const lm_encoded_example *const *ex, int n, lm_error *err) {
    int R = lm_output_dim(os);
    lm_batch_clear(&sd->ws.b);
    int *head_pos = lm_xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) {
        if (lm_batch_add(&sd->ws.b, &m->cfg, ex[i]->ids, ex[i]->type_ids, ex[i]->n_tokens, err)) {
            free(head_pos);
            return lm_fail_prefix(err, "example %d", i);
        }
        head_pos[i] = os->head == LM_HEAD_MLM ? ex[i]->mask_pos : 0;
        if (head_pos[i] < 0 || head_pos[i] >= ex[i]->n_tokens) {
            free(head_pos);
            return lm_fail(err, "example %d has no mask position", i);
        }
    }
    free(sd->f);
    sd->f = lm_xmalloc((size_t)n * R * sizeof(float));
    lm_outputs_run(&sd->ws, m, os, head_pos, 1, sd->f, &sd->pass);
    free(head_pos);
    sd->n = n;
    return 0;
}

static void extract_sparse(side *sd, const plan *pl, int R) {
    size_t nv = (size_t)sd->n * R, rows = 0;
    int H = sd->pass.m->cfg.hidden;
    for (int s = 0; s < sd->n; s++) rows += (size_t)lm_grad_sparse_max_rows(&sd->pass, s) * R;
    rows *= (size_t)pl->n_sparse;
    if (rows > sd->sp_cap) {
        sd->sp_cap = rows + rows / 4;
        free(sd->sp_ids);
        free(sd->sp_vals);
        sd->sp_ids = lm_xmalloc(sd->sp_cap * sizeof(int32_t));
        sd->sp_vals = lm_xalloc_aligned(sd->sp_cap * H * sizeof(float));
    }
    if (nv * pl->n_sparse + 1 > sd->sp_vecs) {
        sd->sp_vecs = nv * pl->n_sparse + 1;
        free(sd->sp);
        sd->sp = lm_xmalloc(sd->sp_vecs * sizeof *sd->sp);
    }
    size_t at = 0;
    for (int k = 0; k < pl->n_sparse; k++)
        for (int s = 0; s < sd->n; s++) {
            int maxr = lm_grad_sparse_max_rows(&sd->pass, s);
            for (int r = 0; r < R; r++) {
                sparse_vec *v = &sd->sp[(size_t)k * nv + (size_t)s * R + r];
                v->ids = sd->sp_ids + at;
                v->vals = sd->sp_vals + at * H;
                v->n = lm_grad_sparse_rows(&sd->pass, pl->sparse[k], s, r, v->ids, v->vals);
                at += (size_t)maxr;
            }
        }
}

static void free_side(side *sd) {
    lm_outputs_ws_free(&sd->ws);
    free(sd->f);
    free(sd->sp);
    free(sd->sp_ids);
    free(sd->sp_vals);
    memset(sd, 0, sizeof *sd);
}

/* G[n*R, width]: the block's gradients of every (example, output). */
static void form_block(const side *sd, const plan *pl, const block *b, int R, float *G) {
    const lm_model *m = sd->pass.m;
    for (int s = 0; s < sd->n; s++)
        for (int r = 0; r < R; r++) {
            float *row = G + ((size_t)s * R + r) * b->width;
            for (int i = 0; i < b->n; i++) {
                const segment *sg = &pl->seg[b->first + i];
                const lm_param_tensor *t = &m->tensors[sg->tensor];
                if (sg->lora >= 0) {
                    /* dA = s B^T G_W [r, in], then dB = s G_W A^T [out, r] */
                    const lm_kernel_lora *L = pl->lora;
                    int out = t->rows, in = t->cols, rk = L->r;
                    lm_grad_linear_rows(&sd->pass, sg->tensor, s, r, 0, out, pl->scratch);
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rk, in, out, L->scale,
                                L->B[sg->lora], rk, pl->scratch, in, 0.0f, row, in);
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, out, rk, in, L->scale,
                                pl->scratch, in, L->A[sg->lora], in, 0.0f, row + (size_t)rk * in, rk);
                } else if (t->kind == LM_PK_LINEAR_W)
                    lm_grad_linear_rows(&sd->pass, sg->tensor, s, r, sg->row0, sg->row1, row);
                else
                    lm_grad_tensor(&sd->pass, sg->tensor, s, r, row);
                row += sg->width;
            }
        }
}

static void sign_inplace(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (float)((x[i] > 0) - (x[i] < 0));
}

/* acc[Mt, Mx] += A[Mt, W] B[Mx, W]^T in float32 partial sums of SUM_CHUNK. */
static void gemm_acc(double *acc, const float *A, const float *B, int Mt, int Mx, size_t W,
                     float *tmp, double *flops) {
    for (size_t k0 = 0; k0 < W; k0 += SUM_CHUNK) {
        int kc = (int)(W - k0 < SUM_CHUNK ? W - k0 : SUM_CHUNK);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Mt, Mx, kc, 1.0f, A + k0, (int)W,
                    B + k0, (int)W, 0.0f, tmp, Mx);
        for (size_t i = 0; i < (size_t)Mt * Mx; i++) acc[i] += tmp[i];
        *flops += 2.0 * Mt * Mx * kc;
    }
}

static double sgn(float x) { return (double)((x > 0) - (x < 0)); }

/* Row-sparse part of the kernel between two vectors, by a merge join. */
static void sparse_dot(const sparse_vec *a, const sparse_vec *b, int width, lm_kernel_formula f,
                       double *k, double *kflip) {
    int i = 0, j = 0;
    double s = 0, sf = 0;
    while (i < a->n && j < b->n) {
        if (a->ids[i] < b->ids[j]) i++;
        else if (a->ids[i] > b->ids[j]) j++;
        else {
            const float *x = a->vals + (size_t)i * width, *y = b->vals + (size_t)j * width;
            for (int h = 0; h < width; h++) {
                if (f == LM_KF_SGD) s += (double)x[h] * y[h];
                else if (f == LM_KF_SIGNGD) s += sgn(x[h]) * sgn(y[h]);
                else {
                    s += sgn(x[h]) * y[h];
                    sf += x[h] * sgn(y[h]);
                }
            }
            i++;
            j++;
        }
    }
    *k += s;
    if (kflip) *kflip += sf;
}

/* ---- driver ------------------------------------------------------------ */

typedef struct xref {
    int set, idx;
} xref;

static size_t tokens_of(const lm_encoded_example *const *ex, int n) {
    size_t t = 0;
    for (int i = 0; i < n; i++) t += (size_t)ex[i]->n_tokens;
    return t;
}

/* Longest prefix of ex[from..n) whose tokens fit max_tokens (at least 1). */
static int chunk_end(const lm_encoded_example *const *ex, int from, int n, size_t max_tokens) {
    size_t t = 0;
    int i = from;
    while (i < n && (i == from || t + (size_t)ex[i]->n_tokens <= max_tokens)) t += (size_t)ex[i++]->n_tokens;
    return i;
}

/* ---- linear weights by token Gram matrices (sgd) ----------------------- */

/* For y = x W^T + b over the tokens of an example, <dW_t, dW_x> + <db_t, db_x>
 *   = sum_{s in t, u in x} (Δ_t[s]·Δ_x[u]) (X_t[s]·X_x[u] + 1)
 * so with A = Δ_T Δ_X^T (every replica of every token of both chunks) and
 * B = X_T X_X^T, the kernel is a block sum of A ⊙ (B + 1): two large GEMMs
 * per layer and input instead of one gradient per (example, output). */
typedef struct gram_ws {
    float *A, *B;
    size_t cap_a, cap_b;
} gram_ws;

typedef struct gram_side {
    const float *X;     /* [T, in] inputs */
    const float *D[3];  /* up to 3 delta arrays [R, T, out] sharing X */
    int n_d;
    int T;              /* rows: tokens, or sequences for the heads */
    const int *start;   /* [n_ex + 1] row offsets of each example */
    int n_ex;
} gram_side;

static void gram_reduce(const float *A, const float *B, float wB, float w1, const gram_side *t,
                        const gram_side *x, int R, double *acc) {
    int Tt = t->T, Tx = x->T, Mx = x->n_ex * R;
    size_t lda = (size_t)R * Tx;
    for (int te = 0; te < t->n_ex; te++)
        for (int c = 0; c < R; c++)
            for (int xe = 0; xe < x->n_ex; xe++) {
                int u0 = x->start[xe], u1 = x->start[xe + 1];
                for (int cc = 0; cc < R; cc++) {
                    double sum = 0;
                    for (int s = t->start[te]; s < t->start[te + 1]; s++) {
                        const float *a = A + (size_t)(c * Tt + s) * lda + (size_t)cc * Tx;
                        const float *b = B + (size_t)s * Tx;
                        float part = 0;
                        if (wB != 0) {
                            for (int u = u0; u < u1; u++) part += a[u] * (wB * b[u] + w1);
                        } else {
                            for (int u = u0; u < u1; u++) part += a[u];
                            part *= w1;
                        }
                        sum += part;
                    }
                    acc[(size_t)(te * R + c) * Mx + xe * R + cc] += sum;
                }
            }
}

/* A = sum_d D_t[d] D_x[d]^T, B = X_t X_x^T, then the block sums. */
static void gram_group(const gram_side *t, const gram_side *x, int in, int out, float wB, float w1,
                       int R, double *acc, gram_ws *gw, double *flops) {
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
    gram_reduce(gw->A, gw->B, wB, w1, t, x, R, acc);
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

static void gram_products(const side *tr, const side *xs, const lm_model *m, lm_param_set ps,
                          int R, double *acc, gram_ws *gw, double *flops) {
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
            gram_group(&t, &x, H, H, wq, bq, R, acc, gw, flops);
        } else {
            t.n_d = x.n_d = 1;
            t.D[0] = dt->dq, x.D[0] = dx->dq;
            gram_group(&t, &x, H, H, wq, bq, R, acc, gw, flops);
            t.D[0] = dt->dv, x.D[0] = dx->dv;
            gram_group(&t, &x, H, H, wv, bv, R, acc, gw, flops);
        }
        t.n_d = x.n_d = 1;
        t.D[0] = dt->dk, x.D[0] = dx->dk;
        gram_group(&t, &x, H, H, inc(m, ps, tensor_of(m, l, LM_R_K_W)), 0, R, acc, gw, flops);
        t.X = at->ctx, x.X = ax->ctx, t.D[0] = dt->dattn, x.D[0] = dx->dattn;
        gram_group(&t, &x, H, H, inc(m, ps, tensor_of(m, l, LM_R_O_W)),
                   inc(m, ps, tensor_of(m, l, LM_R_O_B)), R, acc, gw, flops);
        t.X = at->y1, x.X = ax->y1, t.D[0] = dt->du, x.D[0] = dx->du;
        gram_group(&t, &x, H, I, inc(m, ps, tensor_of(m, l, LM_R_FF1_W)),
                   inc(m, ps, tensor_of(m, l, LM_R_FF1_B)), R, acc, gw, flops);
        t.X = at->g, x.X = ax->g, t.D[0] = dt->dz, x.D[0] = dx->dz;
        gram_group(&t, &x, I, H, inc(m, ps, tensor_of(m, l, LM_R_FF2_W)),
                   inc(m, ps, tensor_of(m, l, LM_R_FF2_B)), R, acc, gw, flops);
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
                   inc(m, ps, tensor_of(m, -1, LM_R_HEAD_B)), R, acc, gw, flops);
    } else {
        ht.X = pt->head_x, hx.X = px->head_x, ht.D[0] = pt->dlogits, hx.D[0] = px->dlogits;
        gram_group(&ht, &hx, H, pt->n_out, inc(m, ps, tensor_of(m, -1, LM_R_CLS_W)),
                   inc(m, ps, tensor_of(m, -1, LM_R_CLS_B)), R, acc, gw, flops);
    }
    free(rs_t);
    free(rs_x);
}

/* ---- projected (CountSketch) kernels ----------------------------------- */

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* phi[k] += CountSketch of row g[W] whose first coordinate is `base` in the
 * model's parameter layout (signs only if `signs`). */
static void sketch_row(const float *g, size_t W, uint64_t base, uint64_t seed, int k, int signs,
                       double *phi) {
    for (size_t j = 0; j < W; j++) {
        float v = g[j];
        if (v == 0) continue;
        if (signs) v = v > 0 ? 1.0f : -1.0f;
        uint64_t h = mix64((base + j) * 0x9e3779b97f4a7c15ull ^ seed);
        phi[h % (uint64_t)k] += (h >> 63) ? v : -v;
    }
}

/* The features of n examples: plain [n*R, k] and/or signed [n*R, k]. */
static int sketch_examples(const lm_model *m, const lm_output_spec *os, const plan *pl,
                           const lm_encoded_example *const *ex, int n, size_t side_tokens, int k,
                           uint64_t seed, double *plain, double *signs, float *G, float *f_out,
                           double *flops, lm_error *err) {
    int R = lm_output_dim(os), H = m->cfg.hidden;
    side sd = {0};
    for (int e0 = 0; e0 < n;) {
        int e1 = chunk_end(ex, e0, n, side_tokens), ne = e1 - e0;
        if (fill_side(&sd, m, os, ex + e0, ne, err)) {
            free_side(&sd);
            return -1;
        }
        extract_sparse(&sd, pl, R);
        if (f_out) memcpy(f_out + (size_t)e0 * R, sd.f, (size_t)ne * R * sizeof(float));
        for (int bi = 0; bi < pl->n_blk; bi++) {
            const block *b = &pl->blk[bi];
            form_block(&sd, pl, b, R, G);
            for (int v = 0; v < ne * R; v++) {
                const float *row = G + (size_t)v * b->width;
                for (int i = 0; i < b->n; i++) {
                    const segment *sg = &pl->seg[b->first + i];
                    const lm_param_tensor *t = &m->tensors[sg->tensor];
                    uint64_t base = t->offset + (uint64_t)sg->row0 * t->cols;
                    size_t at = (size_t)(e0 * R + v) * k;
                    if (plain) sketch_row(row, sg->width, base, seed, k, 0, plain + at);
                    if (signs) sketch_row(row, sg->width, base, seed, k, 1, signs + at);
                    row += sg->width;
                }
            }
            *flops += 2.0 * b->width * ne * R * (double)tokens_of(ex + e0, ne) / ne;
        }
        for (int s = 0; s < pl->n_sparse; s++) {
            const lm_param_tensor *t = &m->tensors[pl->sparse[s]];
            int width = t->kind == LM_PK_DECODER_B ? 1 : H;
            for (int v = 0; v < ne * R; v++) {
                const sparse_vec *sv = &sd.sp[(size_t)s * ne * R + v];
                size_t at = (size_t)(e0 * R + v) * k;
                for (int r = 0; r < sv->n; r++) {
                    uint64_t base = t->offset + (uint64_t)sv->ids[r] * width;
                    const float *row = sv->vals + (size_t)r * width;
                    if (plain) sketch_row(row, width, base, seed, k, 0, plain + at);
                    if (signs) sketch_row(row, width, base, seed, k, 1, signs + at);
                }
            }
        }
        e0 = e1;
    }
    free_side(&sd);
    return 0;
}

/* out[Mt, Mx] = A[Mt, k] B[Mx, k]^T scattered into K[t, c, x, c'] layout
 * (which is exactly [Mt, Mx] row-major). */
static void feature_products(const double *A, const double *B, int Mt, int Mx, int k, double *out) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Mt, Mx, k, 1.0, A, k, B, k, 0.0, out, Mx);
}

static int kernel_projected(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                            const lm_example_set *train, const lm_example_set *sets, int n_sets,
                            lm_kernel_result *out, double *ktt, lm_error *err) {
    int R = lm_output_dim(os), H = m->cfg.hidden, k = opt->projection_dim;
    lm_kernel_formula f = opt->formula;
    size_t budget = opt->mem_budget ? opt->mem_budget : (size_t)6 << 30;
    size_t bpt = lm_encoder_bytes_per_token(&m->cfg, R, 1) + (size_t)4 * H * R * 4;
    size_t side_tokens = budget / 3 / bpt;
    if (side_tokens < 1) side_tokens = 1;
    int max_n = 1;
    const lm_encoded_example **tex = lm_xmalloc((size_t)train->n * sizeof *tex);
    for (int i = 0; i < train->n; i++) tex[i] = &train->ex[i];
    for (int t0 = 0, t1; t0 < train->n; t0 = t1) {
        t1 = chunk_end(tex, t0, train->n, side_tokens);
        if (t1 - t0 > max_n) max_n = t1 - t0;
    }
    for (int s = 0; s < n_sets; s++) {
        const lm_encoded_example **xe = lm_xmalloc((size_t)(sets[s].n + 1) * sizeof *xe);
        for (int i = 0; i < sets[s].n; i++) xe[i] = &sets[s].ex[i];
        for (int x0 = 0, x1; x0 < sets[s].n; x0 = x1) {
            x1 = chunk_end(xe, x0, sets[s].n, side_tokens);
            if (x1 - x0 > max_n) max_n = x1 - x0;
        }
        free(xe);
    }
    size_t max_w = budget / 3 / ((size_t)max_n * R * 4 * 2 + 1);
    if (max_w > ((size_t)1 << 24)) max_w = (size_t)1 << 24;
    if (max_w < (size_t)(4 * H)) max_w = (size_t)4 * H;
    plan pl;
    make_plan(m, os, opt->params, max_w, 0, opt->lora, &pl);
    float *G = lm_xmalloc((size_t)max_n * 2 * R * pl.max_width * sizeof(float) + 64);
    int need_plain_t = f != LM_KF_SIGNGD, need_sign_t = f != LM_KF_SGD;
    size_t Mt = (size_t)train->n * R;
    double *tp = need_plain_t ? lm_xcalloc(Mt * k, sizeof(double)) : NULL;
    double *ts = need_sign_t ? lm_xcalloc(Mt * k, sizeof(double)) : NULL;
    int rc = sketch_examples(m, os, &pl, tex, train->n, side_tokens, k, opt->projection_seed, tp, ts,
                             G, out->f0_train, &out->flops, err);
    /* the projected train x train kernel, for the error report */
    if (rc == 0) feature_products(f == LM_KF_SGD ? tp : ts, f == LM_KF_SIGNGD ? ts : tp, (int)Mt, (int)Mt, k, ktt);
    for (int s = 0; s < n_sets && rc == 0; s++) {
        int n = sets[s].n;
        size_t Mx = (size_t)n * R;
        const lm_encoded_example **xex = lm_xmalloc((size_t)(n + 1) * sizeof *xex);
        for (int i = 0; i < n; i++) xex[i] = &sets[s].ex[i];
        double *xp = f != LM_KF_SIGNGD ? lm_xcalloc(Mx * k + 1, sizeof(double)) : NULL;
        double *xs = f != LM_KF_SGD ? lm_xcalloc(Mx * k + 1, sizeof(double)) : NULL;
        rc = sketch_examples(m, os, &pl, xex, n, side_tokens, k, opt->projection_seed, xp, xs, G,
                             out->f0[s], &out->flops, err);
        if (rc == 0) {
            if (f == LM_KF_SGD) feature_products(tp, xp, (int)Mt, (int)Mx, k, out->K[s]);
            else if (f == LM_KF_SIGNGD) feature_products(ts, xs, (int)Mt, (int)Mx, k, out->K[s]);
            else {
                feature_products(ts, xp, (int)Mt, (int)Mx, k, out->K[s]);
                feature_products(tp, xs, (int)Mt, (int)Mx, k, out->K_flip[s]);
            }
            out->flops += 2.0 * Mt * Mx * k * (f == LM_KF_ASYM ? 2 : 1);
        }
        free(xp);
        free(xs);
        free(xex);
        if (rc == 0 && opt->progress.fn &&
            opt->progress.fn(opt->progress.ctx, (double)(s + 1) / n_sets, "kernel"))
            rc = lm_fail(err, "cancelled");
    }
    free(tp);
    free(ts);
    free(G);
    free(tex);
    free_plan(&pl);
    return rc;
}

int lm_kernel_compute(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                      const lm_example_set *train, const lm_example_set *sets, int n_sets,
                      lm_kernel_result *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    if (os->binary && os->n_out != 2)
        return lm_fail(err, "binary mode needs exactly 2 outputs, not %d", os->n_out);
    if (train->n <= 0) return lm_fail(err, "the training set is empty");
    if (opt->params == LM_PS_LORA && (!opt->lora || opt->lora->n < 1 || opt->lora->r < 1))
        return lm_fail(err, "the lora parameter set needs LoRA factors");
    int R = lm_output_dim(os), H = m->cfg.hidden;
    int asym = opt->formula == LM_KF_ASYM;
    size_t budget = opt->mem_budget ? opt->mem_budget : (size_t)6 << 30;

    /* every example of every set, in order */
    int n_all = 0;
    for (int k = 0; k < n_sets; k++) n_all += sets[k].n;
    const lm_encoded_example **xex = lm_xmalloc((size_t)(n_all + 1) * sizeof *xex);
    xref *xr = lm_xmalloc((size_t)(n_all + 1) * sizeof *xr);
    for (int k = 0, i = 0; k < n_sets; k++)
        for (int j = 0; j < sets[k].n; j++, i++) {
            xex[i] = &sets[k].ex[j];
            xr[i] = (xref){k, j};
        }
    const lm_encoded_example **tex = lm_xmalloc((size_t)train->n * sizeof *tex);
    for (int i = 0; i < train->n; i++) tex[i] = &train->ex[i];

    /* memory plan: the factors of the evaluation chunk, those of the
     * training chunk, and the two gradient blocks each get a quarter of the
     * budget; chunks are cut by tokens, then the block width follows from
     * the largest chunks */
    size_t bpt = lm_encoder_bytes_per_token(&m->cfg, R, 1) + (size_t)4 * H * R * 4;
    size_t side_tokens = budget / 4 / bpt;
    if (side_tokens < 1) side_tokens = 1;
    size_t train_tokens = tokens_of(tex, train->n);
    /* evaluation chunks of at most 4096 tokens: the products stay large
     * GEMMs and progress is reported often */
    size_t x_tokens = side_tokens < 4096 ? side_tokens : 4096;
    int train_kept = train_tokens <= side_tokens;
    int max_nx = 1, max_nt = train->n;
    for (int x0 = 0, x1; x0 < n_all; x0 = x1) {
        x1 = chunk_end(xex, x0, n_all, x_tokens);
        if (x1 - x0 > max_nx) max_nx = x1 - x0;
    }
    if (!train_kept) {
        max_nt = 1;
        for (int t0 = 0, t1; t0 < train->n; t0 = t1) {
            t1 = chunk_end(tex, t0, train->n, side_tokens);
            if (t1 - t0 > max_nt) max_nt = t1 - t0;
        }
    }
    size_t max_w = budget / 4 / ((size_t)(max_nt + max_nx) * R * 4 * (asym ? 2 : 1));
    if (max_w > ((size_t)1 << 24)) max_w = (size_t)1 << 24;
    if (max_w < (size_t)(4 * H)) max_w = (size_t)4 * H;
    plan pl;
    /* sgd: token Gram matrices cost ~(R^2 out + in) Lt Lx per example pair
     * and weight, forming gradients ~R^2 in out plus the memory-bound
     * formation (about 3 R L in out per example, shared by N_train pairs):
     * Grams win for short sequences (single-sentence prompts), gradients
     * for long ones (pairs of sentences) */
    double lt = (double)train_tokens / train->n, lx = (double)tokens_of(xex, n_all) / (n_all ? n_all : 1);
    int gram = opt->formula == LM_KF_SGD &&
               (opt->sgd_method == 1 ||
                (opt->sgd_method == 0 && lt * lx * (R * R + 1.0) < (R * R + 3.0 * R * lx / train->n) * H));
    make_plan(m, os, opt->params, max_w, gram, opt->lora, &pl);
    gram_ws gw = {0};

    /* results */
    out->n_train = train->n;
    out->n_sets = n_sets;
    out->dim = R;
    out->n_x = lm_xcalloc((size_t)n_sets + 1, sizeof *out->n_x);
    out->K = lm_xcalloc((size_t)n_sets + 1, sizeof *out->K);
    out->K_flip = asym ? lm_xcalloc((size_t)n_sets + 1, sizeof *out->K_flip) : NULL;
    out->f0 = lm_xcalloc((size_t)n_sets + 1, sizeof *out->f0);
    out->f0_train = lm_xcalloc((size_t)train->n * R, sizeof(float));
    for (int k = 0; k < n_sets; k++) {
        size_t cells = (size_t)train->n * R * sets[k].n * R;
        out->n_x[k] = sets[k].n;
        out->K[k] = lm_xcalloc(cells + 1, sizeof(double));
        if (asym) out->K_flip[k] = lm_xcalloc(cells + 1, sizeof(double));
        out->f0[k] = lm_xcalloc((size_t)sets[k].n * R + 1, sizeof(float));
    }

    if (opt->projection_dim > 0) {
        size_t cells = (size_t)train->n * R * train->n * R;
        double *ktt = lm_xcalloc(cells + 1, sizeof(double));
        int prc = kernel_projected(m, os, opt, train, sets, n_sets, out, ktt, err);
        if (prc == 0) {
            /* the approximation's error, measured against the exact train x
             * train kernel (cheap next to the evaluation sets) */
            lm_kernel_options exact = *opt;
            exact.projection_dim = 0;
            exact.progress.fn = NULL;
            lm_kernel_result ex;
            prc = lm_kernel_compute(m, os, &exact, train, train, 1, &ex, err);
            if (prc == 0) {
                double num = 0, den = 0;
                for (size_t i = 0; i < cells; i++) {
                    double d = ktt[i] - ex.K[0][i];
                    num += d * d;
                    den += ex.K[0][i] * ex.K[0][i];
                }
                out->projection_rel_error = den > 0 ? sqrt(num / den) : 0;
                out->flops += ex.flops;
                lm_kernel_result_free(&ex);
            }
        }
        free(ktt);
        free(xex);
        free(xr);
        free(tex);
        free_plan(&pl);
        if (prc) lm_kernel_result_free(out);
        return prc;
    }
    side tr = {0}, xs = {0};
    int rc = 0, tr_loaded_from = -1;
    float *Gt = NULL, *Gx = NULL, *St = NULL, *Sx = NULL, *tmp = NULL;
    double *acc = NULL, *accf = NULL;
    size_t n_x_done = 0;
    for (int x0 = 0; x0 < n_all && rc == 0;) {
        int x1 = chunk_end(xex, x0, n_all, x_tokens), nx = x1 - x0;
        if (fill_side(&xs, m, os, xex + x0, nx, err)) { rc = -1; break; }
        extract_sparse(&xs, &pl, R);
        for (int i = 0; i < nx; i++)
            memcpy(out->f0[xr[x0 + i].set] + (size_t)xr[x0 + i].idx * R, xs.f + (size_t)i * R,
                   (size_t)R * sizeof(float));
        int Mx = nx * R;
        for (int t0 = 0; t0 < train->n && rc == 0;) {
            int t1 = train_kept ? train->n : chunk_end(tex, t0, train->n, side_tokens);
            int nt = t1 - t0, Mt = nt * R;
            if (tr_loaded_from != t0 || !train_kept) {
                if (fill_side(&tr, m, os, tex + t0, nt, err)) { rc = -1; break; }
                extract_sparse(&tr, &pl, R);
                memcpy(out->f0_train + (size_t)t0 * R, tr.f, (size_t)Mt * sizeof(float));
                tr_loaded_from = t0;
            }
            /* buffers sized to this pair of chunks */
            Gt = lm_xrealloc(Gt, (size_t)Mt * pl.max_width * sizeof(float) + 64);
            Gx = lm_xrealloc(Gx, (size_t)Mx * pl.max_width * sizeof(float) + 64);
            if (asym) {
                St = lm_xrealloc(St, (size_t)Mt * pl.max_width * sizeof(float) + 64);
                Sx = lm_xrealloc(Sx, (size_t)Mx * pl.max_width * sizeof(float) + 64);
            }
            tmp = lm_xrealloc(tmp, (size_t)Mt * Mx * sizeof(float) + 64);
            acc = lm_xrealloc(acc, (size_t)Mt * Mx * sizeof(double) + 64);
            memset(acc, 0, (size_t)Mt * Mx * sizeof(double));
            if (asym) {
                accf = lm_xrealloc(accf, (size_t)Mt * Mx * sizeof(double) + 64);
                memset(accf, 0, (size_t)Mt * Mx * sizeof(double));
            }
            size_t ws = ((size_t)(Mt + Mx) * pl.max_width * (asym ? 2 : 1)) * 4 +
                        (size_t)Mt * Mx * 20 + (train_tokens + tokens_of(xex + x0, nx)) * bpt;
            if (ws > out->peak_bytes) out->peak_bytes = ws;
            for (int bi = 0; bi < pl.n_blk; bi++) {
                const block *b = &pl.blk[bi];
                form_block(&tr, &pl, b, R, Gt);
                form_block(&xs, &pl, b, R, Gx);
                out->flops += 2.0 * b->width * (Mt + Mx) *
                              (double)(tokens_of(tex + t0, nt) + tokens_of(xex + x0, nx)) /
                              (double)(nt + nx);
                size_t W = b->width;
                if (opt->formula == LM_KF_SGD) {
                    gemm_acc(acc, Gt, Gx, Mt, Mx, W, tmp, &out->flops);
                } else if (opt->formula == LM_KF_SIGNGD) {
                    sign_inplace(Gt, (size_t)Mt * W);
                    sign_inplace(Gx, (size_t)Mx * W);
                    gemm_acc(acc, Gt, Gx, Mt, Mx, W, tmp, &out->flops);
                } else {
                    memcpy(St, Gt, (size_t)Mt * W * sizeof(float));
                    memcpy(Sx, Gx, (size_t)Mx * W * sizeof(float));
                    sign_inplace(St, (size_t)Mt * W);
                    sign_inplace(Sx, (size_t)Mx * W);
                    gemm_acc(acc, St, Gx, Mt, Mx, W, tmp, &out->flops);
                    gemm_acc(accf, Gt, Sx, Mt, Mx, W, tmp, &out->flops);
                }
            }
            for (int k = 0; k < pl.n_sparse; k++) {
                int width = m->tensors[pl.sparse[k]].kind == LM_PK_DECODER_B ? 1 : H;
                for (int a = 0; a < Mt; a++)
                    for (int c = 0; c < Mx; c++)
                        sparse_dot(&tr.sp[(size_t)k * Mt + a], &xs.sp[(size_t)k * Mx + c], width,
                                   opt->formula, &acc[(size_t)a * Mx + c],
                                   asym ? &accf[(size_t)a * Mx + c] : NULL);
            }
            if (gram) gram_products(&tr, &xs, m, opt->params, R, acc, &gw, &out->flops);
            /* scatter acc[t*R+c, x*R+c'] into K[set][t, c, x, c'] */
            for (int a = 0; a < Mt; a++) {
                int t = t0 + a / R, c = a % R;
                for (int cc = 0; cc < Mx; cc++) {
                    const xref *q = &xr[x0 + cc / R];
                    size_t nxs = (size_t)sets[q->set].n;
                    size_t at = (((size_t)t * R + c) * nxs + q->idx) * R + cc % R;
                    out->K[q->set][at] = acc[(size_t)a * Mx + cc];
                    if (asym) out->K_flip[q->set][at] = accf[(size_t)a * Mx + cc];
                }
            }
            t0 = t1;
            if (opt->progress.fn) {
                double frac = ((double)n_x_done + (double)nx * t1 / train->n) / n_all;
                if (opt->progress.fn(opt->progress.ctx, frac, "kernel")) {
                    rc = lm_fail(err, "cancelled");
                }
            }
        }
        n_x_done += (size_t)nx;
        x0 = x1;
    }
    double dense = 0; /* the encoder's linear weights: what each token multiplies */
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].kind == LM_PK_LINEAR_W && m->tensors[i].layer >= 0)
            dense += (double)m->tensors[i].rows * m->tensors[i].cols;
    double toks = (double)tokens_of(xex, n_all) +
                  (double)train_tokens * (train_kept ? 1 : (double)n_all / (double)side_tokens + 1);
    /* forward: 2 FLOPs per dense parameter per token; the backward of each
     * output propagates input gradients only (2 more), weight gradients
     * being what the products above take instead */
    out->flops += toks * dense * 2.0 * (1 + R);
    free_side(&tr);
    free_side(&xs);
    free(Gt); free(Gx); free(St); free(Sx); free(tmp); free(acc); free(accf);
    free(gw.A); free(gw.B);
    free(xex); free(xr); free(tex);
    free_plan(&pl);
    if (rc) lm_kernel_result_free(out);
    return rc;
}

void lm_kernel_result_free(lm_kernel_result *r) {
    for (int k = 0; k < r->n_sets; k++) {
        if (r->K) free(r->K[k]);
        if (r->K_flip) free(r->K_flip[k]);
        if (r->f0) free(r->f0[k]);
    }
    free(r->K);
    free(r->K_flip);
    free(r->f0);
    free(r->f0_train);
    free(r->n_x);
    memset(r, 0, sizeof *r);
}
