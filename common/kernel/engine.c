/* engine.c - a kernel job as products of canonical block pairs under a
 * memory budget.
 *
 *   for each group of evaluation blocks (as many as the budget holds):
 *     forward + backward of each block (its factors)
 *     for each group of training blocks (all of them, kept, when they fit):
 *       for each parameter panel: form the panel's gradient rows of both
 *         groups, then for each block pair acc += G_t G_x^T (sign bits and
 *         popcounts for signgd)
 *       row-sparse tensors, then (sgd) the Gram products, pair by pair
 *       scatter the pairs' entries into the kernels
 *
 * Every entry sums its terms in one order, panels then sparse tensors then
 * Gram layers, with GEMM shapes fixed by its two blocks: the budget only
 * decides how many blocks are in memory at once, so any budget, any thread
 * count and any tiling into unions of blocks give the same bits. */
#include "kernel/kernel_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct kblk {
    int target;              /* -1: training block */
    int e0, e1;              /* examples of its set */
    int rows;                /* (e1 - e0) * R */
    size_t tokens, bytes;    /* side bytes (lm_kside_bytes) */
    size_t sparse_bytes;     /* its sparse rows alone */
} kblk;

typedef struct engine {
    lm_kjob *job;
    const lm_model *m;
    const lm_output_spec *os;
    lm_kernel_formula f;
    int R, asym, signgd, nth;
    lm_kplan pl;
    kblk *tb, *xb;           /* training and evaluation blocks of the job */
    int n_tb, n_xb;
    /* the plan */
    int keep_train, bits_held;
    int *xg_start;           /* groups of evaluation blocks: [n_xg + 1] */
    int n_xg;
    size_t scratch_floats;
} engine;

/* ---- memory ------------------------------------------------------------- */

static size_t rows_bytes(const engine *e, size_t rows) {
    if (e->signgd) return rows * 16 * lm_kpanel_words(e->pl.max_width);
    return rows * e->pl.max_width * 4 * (e->asym ? 2 : 1);
}

/* Bytes held with training blocks [t0, t1) and evaluation blocks [x0, x1)
 * in memory; bits: the training side held as sign bits of every panel
 * (its factors dropped, unless they are the caller's features). */
static size_t need(const engine *e, int t0, int t1, int x0, int x1, int bits) {
    size_t ts = 0, xs = 0, mt = 0, mx = 0, ttb = 0, txb = 0;
    for (int i = t0; i < t1; i++) {
        ts += bits && !e->job->tf_sides ? e->tb[i].sparse_bytes : e->tb[i].bytes;
        mt += (size_t)e->tb[i].rows;
        if (e->tb[i].tokens > ttb) ttb = e->tb[i].tokens;
    }
    for (int k = x0; k < x1; k++) {
        xs += e->xb[k].bytes;
        mx += (size_t)e->xb[k].rows;
        if (e->xb[k].tokens > txb) txb = e->xb[k].tokens;
    }
    size_t n = ts + xs + rows_bytes(e, mx);
    n += bits ? e->job->rows_train * e->pl.bits_words * 8 : rows_bytes(e, mt);
    n += mt * mx * 8 * (e->asym ? 2 : 1);                 /* accumulators */
    if (e->pl.gram) n += lm_kgram_bytes(e->R, ttb, txb);
    n += (size_t)e->nth * e->scratch_floats * 4;
    return n;
}

static int largest(const kblk *b, int n) {
    int at = 0;
    for (int i = 1; i < n; i++)
        if (b[i].bytes > b[at].bytes) at = i;
    return at;
}

/* The least memory of the job (one block of each side), and the plan for
 * the budget: training blocks kept or not, signgd's bits, evaluation groups. */
static int plan_memory(engine *e, size_t budget, lm_error *err) {
    lm_kjob *j = e->job;
    int feats = j->tf_sides != NULL; /* the features are in memory already */
    int tm = largest(e->tb, e->n_tb);
    /* the least: any one training block (all, with features) with any one
     * evaluation block */
    size_t min = 0;
    for (int i = 0; i < (feats ? 1 : e->n_tb); i++)
        for (int k = 0; k < (e->n_xb ? e->n_xb : 1); k++) {
            size_t v = need(e, feats ? 0 : i, feats ? e->n_tb : i + 1, k, e->n_xb ? k + 1 : 0, 0);
            if (v > min) min = v;
        }
    j->min_bytes = min;
    if (budget < min)
        return lm_fail(err, "the memory budget of %.1f MiB is below the %.1f MiB this job needs at least "
                       "(blocks of up to %d tokens; the model's factors take %.2f MiB per token)",
                       budget / 1048576.0, min / 1048576.0, j->block_tokens,
                       lm_encoder_bytes_per_token(&e->m->cfg, e->R, 1) / 1048576.0);
    e->keep_train = feats;
    e->bits_held = 0;
    if (e->signgd && e->n_xb) {
        /* phase 1 forms the bits one training block at a time, phase 2
         * streams the evaluation blocks against them */
        size_t p1 = j->rows_train * e->pl.bits_words * 8 + (size_t)e->nth * e->scratch_floats * 4;
        for (int i = 0; i < e->n_tb; i++) p1 += feats ? e->tb[i].bytes : e->tb[i].sparse_bytes;
        if (!feats) p1 += e->tb[tm].bytes;
        int fits = p1 <= budget;
        for (int k = 0; k < e->n_xb && fits; k++) fits = need(e, 0, e->n_tb, k, k + 1, 1) <= budget;
        if (fits) {
            e->bits_held = 1;
            if (p1 > min) min = p1;
        }
    }
    if (!e->bits_held && !e->keep_train) {
        int fits = 1;
        for (int k = 0; k < (e->n_xb ? e->n_xb : 1) && fits; k++)
            fits = need(e, 0, e->n_tb, k, e->n_xb ? k + 1 : 0, 0) <= budget;
        e->keep_train = fits;
    }
    int kept = e->keep_train || e->bits_held;
    /* Larger evaluation groups pay only where each group repeats training
     * work (its forward/backward when not kept, its gradient forming on the
     * float paths): there they grow to 8x the training rows, budget
     * permitting; elsewhere one block at a time holds the least memory. */
    size_t rows_t = 0, rows_x = 0;
    for (int i = 0; i < e->n_tb; i++) rows_t += (size_t)e->tb[i].rows;
    int grow = !kept || (!e->bits_held && !e->pl.gram && e->pl.dense_width > 0);
    e->xg_start = lm_xcalloc((size_t)e->n_xb + 2, sizeof *e->xg_start);
    e->n_xg = 0;
    size_t peak = min;
    for (int k0 = 0, k1; k0 < e->n_xb; k0 = k1) {
        size_t nd = 0;
        rows_x = 0;
        for (k1 = k0 + 1; k1 <= e->n_xb; k1++) {
            if (k1 > k0 + 1 && (!grow || rows_x >= 8 * rows_t)) break;
            rows_x += (size_t)e->xb[k1 - 1].rows;
            size_t v = 0; /* with every training block, or each in turn */
            for (int i = 0; i < (kept ? 1 : e->n_tb); i++) {
                size_t w = need(e, kept ? 0 : i, kept ? e->n_tb : i + 1, k0, k1, e->bits_held);
                if (w > v) v = w;
            }
            if (v > budget && k1 > k0 + 1) break;
            nd = v;
        }
        k1--;
        if (nd > peak) peak = nd;
        e->xg_start[e->n_xg++] = k0;
    }
    e->xg_start[e->n_xg] = e->n_xb;
    j->peak_bytes = peak;
    return 0;
}

/* ---- blocks ------------------------------------------------------------- */

/* Blocks of set s inside [e0, e1), which must be block boundaries. */
static int blocks_of(engine *e, const lm_example_set *s, int target, int e0, int e1, kblk **out, int *n,
                     lm_error *err) {
    lm_kblocks b;
    lm_kblocks_make(s, e->job->block_tokens, &b);
    int first, last;
    lm_kblocks_find(b.start, b.n_blk, e0, e1, &first, &last);
    if (e0 == e1 && e0 >= 0 && e0 <= s->n) first = last = 0;
    if (first < 0 || last < first) {
        lm_kblocks_free(&b);
        return lm_fail(err, "examples [%d, %d) are not a run of whole blocks of %d tokens (lm_kernel_blocks)",
                       e0, e1, e->job->block_tokens);
    }
    *out = lm_xrealloc(*out, ((size_t)*n + (size_t)(last - first) + 1) * sizeof **out);
    lm_kplan *pl = &e->pl;
    lm_kplan nosparse = *pl;
    nosparse.n_sparse = 0;
    for (int i = first; i < last; i++) {
        kblk *k = &(*out)[(*n)++];
        k->target = target;
        k->e0 = b.start[i];
        k->e1 = b.start[i + 1];
        k->rows = (k->e1 - k->e0) * e->R;
        k->tokens = lm_kset_tokens(s, k->e0, k->e1);
        k->bytes = lm_kside_bytes(e->m, e->os, pl, s->ex + k->e0, k->e1 - k->e0);
        k->sparse_bytes = k->bytes - lm_kside_bytes(e->m, e->os, &nosparse, s->ex + k->e0, k->e1 - k->e0);
    }
    lm_kblocks_free(&b);
    return 0;
}

static const lm_example_set *set_of(const engine *e, const kblk *b) {
    return b->target < 0 ? e->job->train : e->job->tg[b->target].set;
}

/* ---- the loop ----------------------------------------------------------- */

typedef struct bufs {
    float *Gt, *Gx, *St, *Sx;
    uint64_t *Bt, *Bx, *tbits;
    double *acc, *accf;
    float **scratch;
    lm_kgram_ws gw;
} bufs;

static void sign_copy(float *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (float)((src[i] > 0) - (src[i] < 0));
}

static double dense_encoder(const lm_model *m) {
    double dense = 0; /* the encoder's linear weights: what each token multiplies */
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].kind == LM_PK_LINEAR_W && m->tensors[i].layer >= 0)
            dense += (double)m->tensors[i].rows * m->tensors[i].cols;
    return dense;
}

/* The block's outputs at θ0 into the job's f0, when its side is made. */
static void copy_f0(engine *e, const kblk *b, const lm_kside *sd) {
    lm_kjob *j = e->job;
    size_t n = (size_t)(b->e1 - b->e0) * e->R * sizeof(float);
    if (b->target < 0) memcpy(j->f0_train + (size_t)(b->e0 - j->r0) * e->R, sd->f, n);
    else memcpy(j->tg[b->target].f0 + (size_t)(b->e0 - j->tg[b->target].c0) * e->R, sd->f, n);
}

static int fill(engine *e, lm_kside *sd, const kblk *b, lm_error *err) {
    const lm_example_set *s = set_of(e, b);
    if (lm_kside_fill(sd, e->m, e->os, s->ex + b->e0, b->e1 - b->e0, err)) return -1;
    lm_kside_extract_sparse(sd, &e->pl, e->R);
    copy_f0(e, b, sd);
    /* forward: 2 FLOPs per dense parameter per token; the backward of each
     * output propagates input gradients only (2 more) */
    e->job->flops += (double)b->tokens * dense_encoder(e->m) * 2.0 * (1 + e->R);
    return 0;
}

/* A training side borrowed from the features (their factors, our sparse rows). */
static void borrow(engine *e, lm_kside *sd, const lm_kside *from, const kblk *b) {
    memset(sd, 0, sizeof *sd);
    sd->pass = from->pass;
    sd->f = from->f;
    sd->n = from->n;
    sd->filled = 1;
    sd->borrowed = 1;
    lm_kside_extract_sparse(sd, &e->pl, e->R);
    copy_f0(e, b, sd);
}

static void form_flops(engine *e, const lm_kpanel *p, const kblk *b) {
    e->job->flops += 2.0 * p->width * e->R * (double)b->tokens;
}

/* Forms panel p of blocks [b0, b1) into consecutive rows of G or bits. */
static void form_group(engine *e, lm_kside *sides, const kblk *blk, int b0, int b1, int p, float *G,
                       uint64_t *bits, size_t ld, float **scratch) {
    size_t row = 0;
    for (int i = b0; i < b1; i++) {
        lm_kside *sd = &sides[i - b0];
        if (bits) lm_kform_signs(sd, &e->pl, p, e->R, bits + row * ld, ld, scratch, e->nth);
        else lm_kform_floats(sd, &e->pl, p, e->R, G + row * ld, ld, scratch, e->nth);
        form_flops(e, &e->pl.pan[p], &blk[i]);
        row += (size_t)blk[i].rows;
    }
}

static void scatter(engine *e, const kblk *tb, size_t toff, const kblk *xb, size_t xoff, const bufs *B,
                    size_t Mx) {
    lm_kjob *j = e->job;
    const lm_ktarget *tg = &j->tg[xb->target];
    int R = e->R;
    size_t ncols = (size_t)(tg->c1 - tg->c0);
    for (int a = 0; a < tb->rows; a++) {
        size_t t = (size_t)(tb->e0 - j->r0) + (size_t)a / R, c = (size_t)a % R;
        for (int cc = 0; cc < xb->rows; cc++) {
            size_t x = (size_t)(xb->e0 - tg->c0) + (size_t)cc / R;
            size_t at = ((t * R + c) * ncols + x) * R + (size_t)cc % R;
            size_t from = (toff + a) * Mx + xoff + cc;
            tg->K[at] = B->acc[from];
            if (e->asym) tg->K_flip[at] = B->accf[from];
        }
    }
}

static int run_pairs(engine *e, lm_kside *ts, int t0, int t1, lm_kside *xs, int x0, int x1, bufs *B,
                     lm_error *err) {
    (void)err;
    const lm_kplan *pl = &e->pl;
    size_t Mt = 0, Mx = 0;
    for (int i = t0; i < t1; i++) Mt += (size_t)e->tb[i].rows;
    for (int k = x0; k < x1; k++) Mx += (size_t)e->xb[k].rows;
    memset(B->acc, 0, Mt * Mx * sizeof(double));
    if (e->asym) memset(B->accf, 0, Mt * Mx * sizeof(double));
    size_t toff0 = 0; /* rows of the training group inside the held bits */
    for (int i = 0; i < t0; i++) toff0 += (size_t)e->tb[i].rows;
    for (int p = 0; p < pl->n_pan; p++) {
        const lm_kpanel *pn = &pl->pan[p];
        if (e->signgd) {
            size_t w = 2 * lm_kpanel_words(pn->width);
            const uint64_t *bt;
            size_t ldt;
            if (e->bits_held) {
                bt = B->tbits + toff0 * pl->bits_words + pn->bits_off;
                ldt = pl->bits_words;
            } else {
                form_group(e, ts, e->tb + t0, 0, t1 - t0, p, NULL, B->Bt, w, B->scratch);
                bt = B->Bt;
                ldt = w;
            }
            form_group(e, xs, e->xb + x0, 0, x1 - x0, p, NULL, B->Bx, w, B->scratch);
            lm_ksign_products(bt, ldt, (int)Mt, B->Bx, w, (int)Mx, w, B->acc, Mx, e->nth);
            e->job->flops += 2.0 * Mt * Mx * pn->width;
            continue;
        }
        size_t ld = pl->max_width;
        form_group(e, ts, e->tb + t0, 0, t1 - t0, p, B->Gt, NULL, ld, B->scratch);
        form_group(e, xs, e->xb + x0, 0, x1 - x0, p, B->Gx, NULL, ld, B->scratch);
        if (e->asym) {
            for (size_t r = 0; r < Mt; r++) sign_copy(B->St + r * ld, B->Gt + r * ld, pn->width);
            for (size_t r = 0; r < Mx; r++) sign_copy(B->Sx + r * ld, B->Gx + r * ld, pn->width);
        }
        /* the whole groups at once: each entry's sum does not depend on it */
        lm_kfloat_products(e->asym ? B->St : B->Gt, ld, (int)Mt, B->Gx, ld, (int)Mx, pn->width, B->acc, Mx, e->nth);
        if (e->asym) lm_kfloat_products(B->Gt, ld, (int)Mt, B->Sx, ld, (int)Mx, pn->width, B->accf, Mx, e->nth);
        e->job->flops += 2.0 * Mt * Mx * pn->width * (e->asym ? 2 : 1);
    }
    size_t toff = 0;
    for (int i = t0; i < t1; toff += (size_t)e->tb[i++].rows) {
        size_t xoff = 0;
        for (int k = x0; k < x1; xoff += (size_t)e->xb[k++].rows) {
            lm_kside *tsd = &ts[i - t0], *xsd = &xs[k - x0];
            double *acc = B->acc + toff * Mx + xoff;
            lm_ksparse_products(tsd, xsd, pl, e->m, e->f, e->R, acc, e->asym ? B->accf + toff * Mx + xoff : NULL,
                                Mx, e->nth);
            if (pl->gram)
                lm_kgram_products(tsd, xsd, e->m, e->job->opt->params, e->R, acc, Mx, &B->gw,
                                  &e->job->flops, e->nth);
            scatter(e, &e->tb[i], toff, &e->xb[k], xoff, B, Mx);
        }
    }
    return 0;
}

static int progress(engine *e, double frac, lm_error *err) {
    const lm_kernel_progress *pg = &e->job->opt->progress;
    if (pg->fn && pg->fn(pg->ctx, frac, "kernel")) return lm_fail(err, "cancelled");
    return 0;
}

/* signgd, phase 1: the sign bits of every training row, every panel. */
static int form_train_bits(engine *e, lm_kside *ts, bufs *B, lm_error *err) {
    size_t row = 0;
    for (int i = 0; i < e->n_tb; i++) {
        lm_kside *sd = &ts[i];
        if (!sd->filled && fill(e, sd, &e->tb[i], err)) return -1;
        for (int p = 0; p < e->pl.n_pan; p++) {
            lm_kform_signs(sd, &e->pl, p, e->R, B->tbits + row * e->pl.bits_words + e->pl.pan[p].bits_off,
                           e->pl.bits_words, B->scratch, e->nth);
            form_flops(e, &e->pl.pan[p], &e->tb[i]);
        }
        if (!sd->borrowed) lm_outputs_ws_free(&sd->ws); /* the sparse rows stay */
        row += (size_t)e->tb[i].rows;
    }
    return 0;
}

static int run(engine *e, lm_error *err) {
    lm_kjob *j = e->job;
    int kept = e->keep_train || e->bits_held, nt_slots = kept ? e->n_tb : 1;
    lm_kside *ts = lm_xcalloc((size_t)nt_slots + 1, sizeof *ts);
    int max_xg = 1;
    for (int g = 0; g < e->n_xg; g++)
        if (e->xg_start[g + 1] - e->xg_start[g] > max_xg) max_xg = e->xg_start[g + 1] - e->xg_start[g];
    lm_kside *xs = lm_xcalloc((size_t)max_xg + 1, sizeof *xs);
    bufs B = {0};
    B.scratch = lm_xcalloc((size_t)e->nth, sizeof *B.scratch);
    for (int t = 0; t < e->nth; t++) B.scratch[t] = lm_xalloc_aligned(e->scratch_floats * sizeof(float) + 64);
    /* buffers for the largest groups */
    size_t mt_all = 0, mx_max = 0, mtb = 0;
    for (int i = 0; i < e->n_tb; i++) {
        if ((size_t)e->tb[i].rows > mtb) mtb = (size_t)e->tb[i].rows;
        mt_all += (size_t)e->tb[i].rows;
    }
    if (!kept) mt_all = mtb;
    for (int g = 0; g < e->n_xg; g++) {
        size_t mx = 0;
        for (int k = e->xg_start[g]; k < e->xg_start[g + 1]; k++) mx += (size_t)e->xb[k].rows;
        if (mx > mx_max) mx_max = mx;
    }
    size_t mw = e->pl.max_width, pw = 2 * lm_kpanel_words(mw);
    if (e->signgd) {
        if (e->bits_held) B.tbits = lm_xalloc_aligned((size_t)j->rows_train * e->pl.bits_words * 8 + 64);
        else B.Bt = lm_xalloc_aligned(mt_all * pw * 8 + 64);
        B.Bx = lm_xalloc_aligned(mx_max * pw * 8 + 64);
    } else {
        B.Gt = lm_xalloc_aligned(mt_all * mw * 4 + 64);
        B.Gx = lm_xalloc_aligned(mx_max * mw * 4 + 64);
        if (e->asym) {
            B.St = lm_xalloc_aligned(mt_all * mw * 4 + 64);
            B.Sx = lm_xalloc_aligned(mx_max * mw * 4 + 64);
        }
    }
    B.acc = lm_xalloc_aligned(mt_all * mx_max * 8 + 64);
    if (e->asym) B.accf = lm_xalloc_aligned(mt_all * mx_max * 8 + 64);

    int rc = 0;
    if (j->tf_sides)
        for (int i = 0; i < e->n_tb; i++) borrow(e, &ts[i], &j->tf_sides[i], &e->tb[i]);
    if (e->bits_held) rc = form_train_bits(e, ts, &B, err);
    size_t x_total = 0, x_done = 0;
    for (int k = 0; k < e->n_xb; k++) x_total += e->xb[k].tokens;
    for (int g = 0; g < e->n_xg && rc == 0; g++) {
        int x0 = e->xg_start[g], x1 = e->xg_start[g + 1];
        size_t gtok = 0;
        for (int k = x0; k < x1 && rc == 0; k++) {
            if (fill(e, &xs[k - x0], &e->xb[k], err)) rc = -1;
            gtok += e->xb[k].tokens;
        }
        int n_tg = kept ? 1 : e->n_tb;
        for (int tg = 0; tg < n_tg && rc == 0; tg++) {
            int t0 = kept ? 0 : tg, t1 = kept ? e->n_tb : tg + 1;
            for (int i = t0; i < t1 && rc == 0; i++) {
                lm_kside *sd = &ts[kept ? i : 0];
                if (kept && sd->filled) continue;
                if (fill(e, sd, &e->tb[i], err)) rc = -1;
            }
            if (rc == 0) rc = run_pairs(e, ts, t0, t1, xs, x0, x1, &B, err);
            if (rc == 0)
                rc = progress(e, x_total ? ((double)x_done + (double)gtok * (tg + 1) / n_tg) / x_total : 1, err);
        }
        x_done += gtok;
    }
    if (rc == 0 && e->n_xb == 0) /* no evaluation examples: still the training outputs */
        for (int i = 0; i < e->n_tb && rc == 0; i++) {
            lm_kside *sd = &ts[kept ? i : 0];
            if (!(kept && sd->filled) && fill(e, sd, &e->tb[i], err)) rc = -1;
        }
    for (int i = 0; i < nt_slots; i++) lm_kside_free(&ts[i]);
    for (int k = 0; k < max_xg; k++) lm_kside_free(&xs[k]);
    free(ts);
    free(xs);
    for (int t = 0; t < e->nth; t++) free(B.scratch[t]);
    free(B.scratch);
    free(B.Gt); free(B.Gx); free(B.St); free(B.Sx);
    free(B.Bt); free(B.Bx); free(B.tbits);
    free(B.acc); free(B.accf);
    lm_kgram_ws_free(&B.gw);
    return rc;
}

/* sgd: token Gram matrices cost ~(R^2 out + in) Lt Lx per example pair
 * and weight, forming gradients ~R^2 in out plus the memory-bound
 * formation (about 3 R L in out per example, shared by N_train pairs):
 * Grams win for short sequences (single-sentence prompts), gradients for
 * long ones (pairs of sentences).  Decided from the training set alone, so
 * every tile of a job decides alike. */
int lm_kuse_gram(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                 const lm_example_set *train) {
    if (opt->formula != LM_KF_SGD) return 0;
    if (opt->sgd_method) return opt->sgd_method == 1;
    int R = lm_output_dim(os);
    double lt = (double)lm_kset_tokens(train, 0, train->n) / train->n;
    return lt * lt * (R * R + 1.0) < (R * R + 3.0 * R * lt / train->n) * m->cfg.hidden;
}

static int setup(engine *e, lm_kjob *j, lm_error *err) {
    memset(e, 0, sizeof *e);
    e->job = j;
    e->m = j->m;
    e->os = j->os;
    e->f = j->opt->formula;
    e->R = lm_output_dim(j->os);
    e->asym = e->f == LM_KF_ASYM;
    e->signgd = e->f == LM_KF_SIGNGD;
    e->nth = lm_kthreads();
    lm_kplan_make(j->m, j->os, j->opt->params, lm_kuse_gram(j->m, j->os, j->opt, j->train), j->opt->lora,
                  &e->pl);
    e->scratch_floats = lm_kform_scratch(j->m, &e->pl);
    j->rows_train = (size_t)(j->r1 - j->r0) * e->R;
    if (blocks_of(e, j->train, -1, j->r0, j->r1, &e->tb, &e->n_tb, err)) return -1;
    for (int t = 0; t < j->n_targets; t++)
        if (blocks_of(e, j->tg[t].set, t, j->tg[t].c0, j->tg[t].c1, &e->xb, &e->n_xb, err)) return -1;
    if (j->tf_sides && j->n_tf != e->n_tb) return lm_fail(err, "the training features cover other blocks");
    return plan_memory(e, j->opt->mem_budget ? j->opt->mem_budget : LM_KERNEL_DEFAULT_BUDGET, err);
}

static void teardown(engine *e) {
    lm_kplan_free(&e->pl);
    free(e->tb);
    free(e->xb);
    free(e->xg_start);
}

int lm_kengine_run(lm_kjob *j, lm_error *err) {
    engine e;
    int rc = setup(&e, j, err);
    if (rc == 0) rc = run(&e, err);
    teardown(&e);
    return rc;
}

int lm_kengine_min_bytes(lm_kjob *j, size_t *bytes, lm_error *err) {
    engine e;
    lm_kernel_options o = *j->opt;
    o.mem_budget = (size_t)-1;
    const lm_kernel_options *keep = j->opt;
    j->opt = &o;
    int rc = setup(&e, j, err);
    j->opt = keep;
    if (rc == 0) *bytes = j->min_bytes;
    teardown(&e);
    return rc;
}
