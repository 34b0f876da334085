/* projected.c - the opt-in CountSketch approximation (kernel.h): every
 * gradient (its signs for the sign formulas) is projected to k coordinates,
 * coordinate p going to bucket h(p) with sign s(p), and the kernels are
 * products of the k-dimensional features. */
#include "kernel/kernel_internal.h"

#include <cblas.h>
#undef I
#include <stdlib.h>
#include <string.h>

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* plain[k] += CountSketch of row g[W] whose first coordinate is `base` in
 * the model's parameter layout, signs[k] += that of its signs (either may
 * be NULL): one hash per coordinate for both. */
static void sketch_row(const float *g, size_t W, uint64_t base, uint64_t seed, int k, double *plain,
                       double *signs) {
    for (size_t j = 0; j < W; j++) {
        float v = g[j];
        if (v == 0) continue;
        uint64_t h = mix64((base + j) * 0x9e3779b97f4a7c15ull ^ seed);
        int neg = !(h >> 63);
        uint64_t b = h % (uint64_t)k;
        if (plain) plain[b] += neg ? -v : v;
        if (signs) signs[b] += (v > 0) != neg ? 1.0f : -1.0f;
    }
}

/* The features of a set's examples, block by block: plain [n*R, k] and/or
 * signed [n*R, k]. */
static int sketch_set(const lm_model *m, const lm_output_spec *os, const lm_kplan *pl,
                      const lm_example_set *s, int block_tokens, int k, uint64_t seed, double *plain,
                      double *signs, float *G, float **scratch, float *f_out, double *flops, lm_error *err) {
    int R = lm_output_dim(os), H = m->cfg.hidden, nth = lm_kthreads();
    lm_kblocks bl;
    lm_kblocks_make(s, block_tokens, &bl);
    lm_kside sd = {0};
    int rc = 0;
    for (int b = 0; b < bl.n_blk && rc == 0; b++) {
        int e0 = bl.start[b], ne = bl.start[b + 1] - e0;
        if (lm_kside_fill(&sd, m, os, s->ex + e0, ne, err)) {
            rc = -1;
            break;
        }
        lm_kside_extract_sparse(&sd, pl, R);
        if (f_out) memcpy(f_out + (size_t)e0 * R, sd.f, (size_t)ne * R * sizeof(float));
        for (int p = 0; p < pl->n_pan; p++) {
            const lm_kpanel *pn = &pl->pan[p];
            lm_kform_floats(&sd, pl, p, R, G, pl->max_width, scratch, nth);
            for (int v = 0; v < ne * R; v++) {
                const float *row = G + (size_t)v * pl->max_width;
                for (int i = 0; i < pn->n; i++) {
                    const lm_kseg *sg = &pl->seg[pn->first + i];
                    const lm_param_tensor *t = &m->tensors[sg->tensor];
                    uint64_t base = t->offset + (uint64_t)sg->row0 * t->cols;
                    size_t at = (size_t)(e0 * R + v) * k;
                    sketch_row(row, sg->width, base, seed, k, plain ? plain + at : NULL, signs ? signs + at : NULL);
                    row += sg->width;
                }
            }
            *flops += 2.0 * pn->width * R * (double)lm_kset_tokens(s, e0, e0 + ne);
        }
        for (int q = 0; q < pl->n_sparse; q++) {
            const lm_param_tensor *t = &m->tensors[pl->sparse[q]];
            int width = t->kind == LM_PK_DECODER_B ? 1 : H;
            for (int v = 0; v < ne * R; v++) {
                const lm_ksparse_vec *sv = &sd.sp[(size_t)q * ne * R + v];
                size_t at = (size_t)(e0 * R + v) * k;
                for (int r = 0; r < sv->n; r++) {
                    uint64_t base = t->offset + (uint64_t)sv->ids[r] * width;
                    const float *row = sv->vals + (size_t)r * width;
                    sketch_row(row, width, base, seed, k, plain ? plain + at : NULL, signs ? signs + at : NULL);
                }
            }
        }
    }
    lm_kside_free(&sd);
    lm_kblocks_free(&bl);
    return rc;
}

/* out[Mt, Mx] = A[Mt, k] B[Mx, k]^T, which is K[t, c, x, c'] row-major. */
static void feature_products(const double *A, const double *B, int Mt, int Mx, int k, double *out) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Mt, Mx, k, 1.0, A, k, B, k, 0.0, out, Mx);
}

int lm_kernel_projected(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                        const lm_example_set *train, const lm_example_set *sets, int n_sets,
                        lm_kernel_result *out, double *ktt, lm_error *err) {
    int R = lm_output_dim(os), k = opt->projection_dim, nth = lm_kthreads();
    lm_kernel_formula f = opt->formula;
    int bt = lm_kernel_block_tokens(m, os, opt);
    lm_kplan pl;
    lm_kplan_make(m, os, opt->params, 0, opt->lora, &pl);
    /* memory: one block's side and panel rows, and the features */
    size_t max_side = 0, max_rows = 1, Mt = (size_t)train->n * R, feats = 0;
    for (int s = -1; s < n_sets; s++) {
        const lm_example_set *st = s < 0 ? train : &sets[s];
        lm_kblocks bl;
        lm_kblocks_make(st, bt, &bl);
        for (int b = 0; b < bl.n_blk; b++) {
            size_t sb = lm_kside_bytes(m, os, &pl, st->ex + bl.start[b], bl.start[b + 1] - bl.start[b]);
            if (sb > max_side) max_side = sb;
            if ((size_t)(bl.start[b + 1] - bl.start[b]) * R > max_rows) max_rows = (size_t)(bl.start[b + 1] - bl.start[b]) * R;
        }
        lm_kblocks_free(&bl);
        if (s >= 0 && (size_t)sets[s].n * R > feats) feats = (size_t)sets[s].n * R;
    }
    size_t per = f == LM_KF_ASYM ? 2 : 1;
    size_t need = max_side + max_rows * pl.max_width * 4 + (Mt + feats) * k * 8 * per +
                  (size_t)nth * lm_kform_scratch(m, &pl) * 4;
    size_t budget = opt->mem_budget ? opt->mem_budget : LM_KERNEL_DEFAULT_BUDGET;
    if (budget < need) {
        lm_kplan_free(&pl);
        return lm_fail(err, "the memory budget of %.1f MiB is below the %.1f MiB this projected job needs at least",
                       budget / 1048576.0, need / 1048576.0);
    }
    out->peak_bytes = need;
    float *G = lm_xalloc_aligned(max_rows * pl.max_width * sizeof(float) + 64);
    float **scratch = lm_xcalloc((size_t)nth, sizeof *scratch);
    for (int t = 0; t < nth; t++) scratch[t] = lm_xalloc_aligned(lm_kform_scratch(m, &pl) * sizeof(float));
    int need_plain_t = f != LM_KF_SIGNGD, need_sign_t = f != LM_KF_SGD;
    double *tp = need_plain_t ? lm_xcalloc(Mt * k, sizeof(double)) : NULL;
    double *ts = need_sign_t ? lm_xcalloc(Mt * k, sizeof(double)) : NULL;
    int rc = sketch_set(m, os, &pl, train, bt, k, opt->projection_seed, tp, ts, G, scratch, out->f0_train,
                        &out->flops, err);
    /* the projected train x train kernel, for the error report */
    if (rc == 0) feature_products(f == LM_KF_SGD ? tp : ts, f == LM_KF_SIGNGD ? ts : tp, (int)Mt, (int)Mt, k, ktt);
    for (int s = 0; s < n_sets && rc == 0; s++) {
        size_t Mx = (size_t)sets[s].n * R;
        double *xp = f != LM_KF_SIGNGD ? lm_xcalloc(Mx * k + 1, sizeof(double)) : NULL;
        double *xs = f != LM_KF_SGD ? lm_xcalloc(Mx * k + 1, sizeof(double)) : NULL;
        rc = sketch_set(m, os, &pl, &sets[s], bt, k, opt->projection_seed, xp, xs, G, scratch, out->f0[s],
                        &out->flops, err);
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
        if (rc == 0 && opt->progress.fn &&
            opt->progress.fn(opt->progress.ctx, (double)(s + 1) / n_sets, "kernel"))
            rc = lm_fail(err, "cancelled");
    }
    free(tp);
    free(ts);
    free(G);
    for (int t = 0; t < nth; t++) free(scratch[t]);
    free(scratch);
    lm_kplan_free(&pl);
    return rc;
}
