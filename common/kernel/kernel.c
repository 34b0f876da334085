/* kernel.c - the public entry points: whole kernels, their memory minimum,
 * and the pieces of a sharded job (blocks, training features, tiles,
 * merging).  The work is done by engine.c over canonical block pairs, so a
 * whole kernel and the merge of any tiling of it are the same numbers. */
#include "kernel/kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_internal.h"

/* ---- checks shared by every entry point ------------------------------- */

static int check_job(const lm_output_spec *os, const lm_kernel_options *opt, const lm_example_set *train,
                     lm_error *err) {
    if (os->binary && os->n_out != 2)
        return lm_fail(err, "binary mode needs exactly 2 outputs, not %d", os->n_out);
    if (train->n <= 0) return lm_fail(err, "the training set is empty");
    if (opt->params == LM_PS_LORA && (!opt->lora || opt->lora->n < 1 || opt->lora->r < 1))
        return lm_fail(err, "the lora parameter set needs LoRA factors");
    if (opt->block_tokens < 0) return lm_fail(err, "block_tokens must be >= 0, not %d", opt->block_tokens);
    return 0;
}

int lm_kernel_block_tokens(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt) {
    return opt->block_tokens > 0 ? opt->block_tokens : lm_kblock_tokens(m, os);
}

/* ---- results ------------------------------------------------------------ */

void lm_kernel_result_alloc(lm_kernel_result *r, int n_train, int n_sets, const int *n_x, int dim,
                            int asym) {
    memset(r, 0, sizeof *r);
    r->n_train = n_train;
    r->n_sets = n_sets;
    r->dim = dim;
    r->n_x = lm_xcalloc((size_t)n_sets + 1, sizeof *r->n_x);
    r->K = lm_xcalloc((size_t)n_sets + 1, sizeof *r->K);
    r->K_flip = asym ? lm_xcalloc((size_t)n_sets + 1, sizeof *r->K_flip) : NULL;
    r->f0 = lm_xcalloc((size_t)n_sets + 1, sizeof *r->f0);
    r->f0_train = lm_xcalloc((size_t)n_train * dim + 1, sizeof(float));
    for (int k = 0; k < n_sets; k++) {
        size_t cells = (size_t)n_train * dim * n_x[k] * dim;
        r->n_x[k] = n_x[k];
        r->K[k] = lm_xcalloc(cells + 1, sizeof(double));
        if (asym) r->K_flip[k] = lm_xcalloc(cells + 1, sizeof(double));
        r->f0[k] = lm_xcalloc((size_t)n_x[k] * dim + 1, sizeof(float));
    }
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

/* ---- whole kernels ------------------------------------------------------ */

static void job_init(lm_kjob *j, const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                     const lm_example_set *train, int r0, int r1) {
    memset(j, 0, sizeof *j);
    j->m = m;
    j->os = os;
    j->opt = opt;
    j->train = train;
    j->r0 = r0;
    j->r1 = r1;
    j->block_tokens = lm_kernel_block_tokens(m, os, opt);
}

/* Every set whole, entries straight into the result. */
static lm_ktarget *whole_targets(const lm_example_set *sets, int n_sets, lm_kernel_result *out) {
    lm_ktarget *tg = lm_xcalloc((size_t)n_sets + 1, sizeof *tg);
    for (int k = 0; k < n_sets; k++)
        tg[k] = (lm_ktarget){&sets[k], 0, sets[k].n, out ? out->K[k] : NULL,
                             out && out->K_flip ? out->K_flip[k] : NULL, out ? out->f0[k] : NULL};
    return tg;
}

int lm_kernel_min_memory(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                         const lm_example_set *train, const lm_example_set *sets, int n_sets,
                         size_t *bytes, lm_error *err) {
    if (check_job(os, opt, train, err)) return -1;
    lm_kjob j;
    job_init(&j, m, os, opt, train, 0, train->n);
    j.n_targets = n_sets;
    j.tg = whole_targets(sets, n_sets, NULL);
    int rc = lm_kengine_min_bytes(&j, bytes, err);
    free(j.tg);
    return rc;
}

static int projected(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                     const lm_example_set *train, const lm_example_set *sets, int n_sets,
                     lm_kernel_result *out, lm_error *err) {
    size_t cells = (size_t)train->n * out->dim * train->n * out->dim;
    double *ktt = lm_xcalloc(cells + 1, sizeof(double));
    int rc = lm_kernel_projected(m, os, opt, train, sets, n_sets, out, ktt, err);
    if (rc == 0) {
        /* the approximation's error, measured against the exact train x
         * train kernel (cheap next to the evaluation sets) */
        lm_kernel_options exact = *opt;
        exact.projection_dim = 0;
        exact.progress.fn = NULL;
        lm_kernel_result ex;
        rc = lm_kernel_compute(m, os, &exact, train, train, 1, &ex, err);
        if (rc == 0) {
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
    return rc;
}

int lm_kernel_compute(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                      const lm_example_set *train, const lm_example_set *sets, int n_sets,
                      lm_kernel_result *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    if (check_job(os, opt, train, err)) return -1;
    int *n_x = lm_xcalloc((size_t)n_sets + 1, sizeof *n_x);
    for (int k = 0; k < n_sets; k++) n_x[k] = sets[k].n;
    lm_kernel_result_alloc(out, train->n, n_sets, n_x, lm_output_dim(os), opt->formula == LM_KF_ASYM);
    free(n_x);
    int rc;
    if (opt->projection_dim > 0) {
        rc = projected(m, os, opt, train, sets, n_sets, out, err);
    } else {
        lm_kjob j;
        job_init(&j, m, os, opt, train, 0, train->n);
        j.f0_train = out->f0_train;
        j.n_targets = n_sets;
        j.tg = whole_targets(sets, n_sets, out);
        rc = lm_kengine_run(&j, err);
        out->flops = j.flops;
        out->peak_bytes = j.peak_bytes;
        free(j.tg);
    }
    if (rc) lm_kernel_result_free(out);
    return rc;
}

/* ---- blocks and splits -------------------------------------------------- */

int *lm_kernel_blocks(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                      const lm_example_set *s, int *n_blocks) {
    lm_kblocks b;
    lm_kblocks_make(s, lm_kernel_block_tokens(m, os, opt), &b);
    *n_blocks = b.n_blk;
    return b.start;
}

int lm_kernel_split(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                    const lm_example_set *s, int n_parts, int *bounds) {
    size_t cap = n_parts > 0 ? (size_t)n_parts : 1;
    int *c0 = lm_xcalloc(cap, sizeof *c0), *c1 = lm_xcalloc(cap, sizeof *c1);
    int parts = lm_kernel_split_sets(m, os, opt, s, 1, n_parts, c0, c1, NULL);
    bounds[0] = 0;
    for (int p = 0; p < parts; p++) bounds[p + 1] = c1[p]; /* every part holds a block: c0[p] = c1[p - 1] */
    free(c0);
    free(c1);
    return parts;
}

int lm_kernel_split_sets(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                         const lm_example_set *sets, int n_sets, int n_parts, int *c0, int *c1,
                         int *set_blocks) {
    int **start = lm_xcalloc((size_t)n_sets, sizeof *start), *nb = lm_xcalloc((size_t)n_sets, sizeof *nb);
    int all = 0;
    size_t tokens = 0, examples = 0;
    for (int s = 0; s < n_sets; s++) {
        start[s] = lm_kernel_blocks(m, os, opt, &sets[s], &nb[s]);
        if (set_blocks) set_blocks[s] = nb[s];
        all += nb[s];
        tokens += lm_kset_tokens(&sets[s], 0, sets[s].n);
        examples += (size_t)sets[s].n;
    }
    /* a block's work: its tokens (forward, backward, forming, Gram
     * products) and as much again per example (the products of gradient
     * vectors, one per example pair whatever its length) */
    double per_example = examples ? (double)tokens / (double)examples : 0, total = 2.0 * (double)tokens, done = 0;
    if (n_parts > all) n_parts = all;
    for (int i = 0; i < n_parts * n_sets; i++) c0[i] = c1[i] = 0;
    /* walk the blocks in order; a part ends after the block where the
     * running work passes its share (or when each part left needs a block) */
    int part = 0, seen = 0;
    for (int s = 0; s < n_sets && part < n_parts; s++) {
        for (int b = 0; b < nb[s] && part < n_parts; b++) {
            int *lo = &c0[part * n_sets + s], *hi = &c1[part * n_sets + s];
            if (*lo == *hi) *lo = start[s][b];
            *hi = start[s][b + 1];
            done += (double)lm_kset_tokens(&sets[s], start[s][b], start[s][b + 1]) +
                    per_example * (start[s][b + 1] - start[s][b]);
            seen++;
            if (done * n_parts >= total * (part + 1) * (1 - 1e-12) || all - seen == n_parts - part - 1) part++;
        }
    }
    for (int s = 0; s < n_sets; s++) free(start[s]);
    free(start);
    free(nb);
    return n_parts;
}

/* ---- training features -------------------------------------------------- */

struct lm_kernel_train_features {
    int r0, r1, block_tokens;
    int n_blk;
    int *start;             /* [n_blk + 1] example offsets in the training set */
    lm_kside *side;         /* [n_blk] */
};

void lm_kernel_train_features_free(lm_kernel_train_features *tf) {
    if (!tf) return;
    for (int i = 0; i < tf->n_blk; i++) lm_kside_free(&tf->side[i]);
    free(tf->side);
    free(tf->start);
    free(tf);
}

/* The blocks of [r0, r1), which must be block boundaries. */
static lm_kernel_train_features *features_new(const lm_model *m, const lm_output_spec *os,
                                              const lm_kernel_options *opt, const lm_example_set *train,
                                              int r0, int r1, lm_error *err) {
    if (check_job(os, opt, train, err)) return NULL;
    int nb, *start = lm_kernel_blocks(m, os, opt, train, &nb), b0, b1;
    lm_kblocks_find(start, nb, r0, r1, &b0, &b1);
    if (b0 < 0 || b1 <= b0) {
        free(start);
        lm_fail(err, "training examples [%d, %d) are not a run of whole blocks", r0, r1);
        return NULL;
    }
    lm_kernel_train_features *tf = lm_xcalloc(1, sizeof *tf);
    tf->r0 = r0;
    tf->r1 = r1;
    tf->block_tokens = lm_kernel_block_tokens(m, os, opt);
    tf->n_blk = b1 - b0;
    tf->start = lm_xmalloc(((size_t)tf->n_blk + 1) * sizeof *tf->start);
    memcpy(tf->start, start + b0, ((size_t)tf->n_blk + 1) * sizeof *tf->start);
    tf->side = lm_xcalloc((size_t)tf->n_blk + 1, sizeof *tf->side);
    free(start);
    return tf;
}

lm_kernel_train_features *lm_kernel_train_features_compute(const lm_model *m, const lm_output_spec *os,
                                                           const lm_kernel_options *opt,
                                                           const lm_example_set *train, int r0, int r1,
                                                           lm_error *err) {
    lm_kernel_train_features *tf = features_new(m, os, opt, train, r0, r1, err);
    for (int i = 0; tf && i < tf->n_blk; i++)
        if (lm_kside_fill(&tf->side[i], m, os, train->ex + tf->start[i], tf->start[i + 1] - tf->start[i],
                          err)) {
            lm_kernel_train_features_free(tf);
            return NULL;
        }
    return tf;
}

#define FEATURES_MAGIC 0x4654544c /* "LTTF" */

/* int32 {magic, r0, r1, block_tokens, n_blk}, then per block int64 length
 * and the block's packed factors (side.c). */
void *lm_kernel_train_features_pack(const lm_kernel_train_features *tf, const lm_model *m,
                                    const lm_output_spec *os, size_t *len) {
    size_t *lens = lm_xcalloc((size_t)tf->n_blk + 1, sizeof *lens);
    void **parts = lm_xcalloc((size_t)tf->n_blk + 1, sizeof *parts);
    *len = 5 * sizeof(int32_t);
    for (int i = 0; i < tf->n_blk; i++) {
        parts[i] = lm_kside_pack(&tf->side[i], m, os, &lens[i]);
        *len += sizeof(int64_t) + lens[i];
    }
    char *out = lm_xmalloc(*len), *q = out;
    int32_t hdr[5] = {FEATURES_MAGIC, tf->r0, tf->r1, tf->block_tokens, tf->n_blk};
    memcpy(q, hdr, sizeof hdr), q += sizeof hdr;
    for (int i = 0; i < tf->n_blk; i++) {
        int64_t n = (int64_t)lens[i];
        memcpy(q, &n, sizeof n), q += sizeof n;
        memcpy(q, parts[i], lens[i]), q += lens[i];
        free(parts[i]);
    }
    free(parts);
    free(lens);
    return out;
}

lm_kernel_train_features *lm_kernel_train_features_unpack(const lm_model *m, const lm_output_spec *os,
                                                          const lm_kernel_options *opt,
                                                          const lm_example_set *train, const void *data,
                                                          size_t len, lm_error *err) {
    int32_t hdr[5];
    if (len < sizeof hdr) {
        lm_fail(err, "training features: truncated");
        return NULL;
    }
    memcpy(hdr, data, sizeof hdr);
    if (hdr[0] != FEATURES_MAGIC) {
        lm_fail(err, "training features: not lmntk training features");
        return NULL;
    }
    if (hdr[3] != lm_kernel_block_tokens(m, os, opt)) {
        lm_fail(err, "training features: blocks of %d tokens, the job has %d", hdr[3],
                lm_kernel_block_tokens(m, os, opt));
        return NULL;
    }
    lm_kernel_train_features *tf = features_new(m, os, opt, train, hdr[1], hdr[2], err);
    if (!tf) return NULL;
    const char *q = (const char *)data + sizeof hdr, *end = (const char *)data + len;
    int rc = hdr[4] == tf->n_blk ? 0 : lm_fail(err, "training features: %d blocks, not %d", hdr[4], tf->n_blk);
    for (int i = 0; i < tf->n_blk && rc == 0; i++) {
        int64_t n;
        if ((size_t)(end - q) < sizeof n) {
            rc = lm_fail(err, "training features: truncated");
            break;
        }
        memcpy(&n, q, sizeof n), q += sizeof n;
        if (n < 0 || (uint64_t)n > (uint64_t)(end - q)) {
            rc = lm_fail(err, "training features: truncated");
            break;
        }
        rc = lm_kside_unpack(&tf->side[i], m, os, train->ex + tf->start[i], tf->start[i + 1] - tf->start[i],
                             q, (size_t)n, err);
        q += n;
    }
    if (rc == 0 && q != end) rc = lm_fail(err, "training features: %zu bytes too many", (size_t)(end - q));
    if (rc) {
        lm_kernel_train_features_free(tf);
        return NULL;
    }
    return tf;
}

/* ---- tiles -------------------------------------------------------------- */

void lm_kernel_tile_free(lm_kernel_tile *t) {
    free(t->K);
    free(t->K_flip);
    free(t->f0_train);
    free(t->f0);
    memset(t, 0, sizeof *t);
}

static void tile_alloc(lm_kernel_tile *t, int asym) {
    size_t nt = (size_t)(t->r1 - t->r0), nx = (size_t)(t->c1 - t->c0), D = (size_t)t->dim;
    t->K = lm_xcalloc(nt * D * nx * D + 1, sizeof(double));
    t->K_flip = asym ? lm_xcalloc(nt * D * nx * D + 1, sizeof(double)) : NULL;
    t->f0_train = lm_xcalloc(nt * D + 1, sizeof(float));
    t->f0 = lm_xcalloc(nx * D + 1, sizeof(float));
}

/* The engine job of a tile (entries into out, when given). */
static int tile_job(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                    const lm_example_set *train, int r0, int r1, const lm_example_set *set, int c0, int c1,
                    const lm_kernel_train_features *tf, lm_kjob *j, lm_error *err) {
    if (check_job(os, opt, train, err)) return -1;
    if (opt->projection_dim > 0) return lm_fail(err, "tiles of projected kernels are not supported");
    if (r0 < 0 || r1 > train->n || r0 >= r1) return lm_fail(err, "training rows [%d, %d) out of range", r0, r1);
    if (c0 < 0 || c1 > set->n || c0 > c1) return lm_fail(err, "evaluation rows [%d, %d) out of range", c0, c1);
    job_init(j, m, os, opt, train, r0, r1);
    if (!tf) return 0;
    if (tf->block_tokens != j->block_tokens)
        return lm_fail(err, "the training features have blocks of %d tokens, the job %d", tf->block_tokens,
                       j->block_tokens);
    int b0, b1;
    lm_kblocks_find(tf->start, tf->n_blk, r0, r1, &b0, &b1);
    if (b0 < 0 || b1 <= b0)
        return lm_fail(err, "the training features (examples [%d, %d)) do not cover [%d, %d) in whole blocks",
                       tf->r0, tf->r1, r0, r1);
    j->tf_sides = tf->side + b0;
    j->n_tf = b1 - b0;
    return 0;
}

int lm_kernel_tile_min_memory(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                              const lm_example_set *train, int r0, int r1, const lm_example_set *set,
                              int c0, int c1, const lm_kernel_train_features *tf, size_t *bytes,
                              lm_error *err) {
    lm_kjob j;
    if (tile_job(m, os, opt, train, r0, r1, set, c0, c1, tf, &j, err)) return -1;
    lm_ktarget tg = {set, c0, c1, NULL, NULL, NULL};
    j.n_targets = 1;
    j.tg = &tg;
    return lm_kengine_min_bytes(&j, bytes, err);
}

int lm_kernel_tile_compute(const lm_model *m, const lm_output_spec *os, const lm_kernel_options *opt,
                           const lm_example_set *train, int r0, int r1, const lm_example_set *set,
                           int set_index, int c0, int c1, const lm_kernel_train_features *tf,
                           lm_kernel_tile *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    lm_kjob j;
    if (tile_job(m, os, opt, train, r0, r1, set, c0, c1, tf, &j, err)) return -1;
    *out = (lm_kernel_tile){.set = set_index, .r0 = r0, .r1 = r1, .c0 = c0, .c1 = c1, .dim = lm_output_dim(os)};
    tile_alloc(out, opt->formula == LM_KF_ASYM);
    lm_ktarget tg = {set, c0, c1, out->K, out->K_flip, out->f0};
    j.f0_train = out->f0_train;
    j.n_targets = 1;
    j.tg = &tg;
    int rc = lm_kengine_run(&j, err);
    out->flops = j.flops;
    out->peak_bytes = j.peak_bytes;
    if (rc) lm_kernel_tile_free(out);
    return rc;
}

#define TILE_MAGIC 0x4c49544c /* "LTIL" */

void *lm_kernel_tile_pack(const lm_kernel_tile *t, size_t *len) {
    size_t nt = (size_t)(t->r1 - t->r0), nx = (size_t)(t->c1 - t->c0), D = (size_t)t->dim;
    size_t cells = nt * D * nx * D;
    int32_t hdr[8] = {TILE_MAGIC, t->set, t->r0, t->r1, t->c0, t->c1, t->dim, t->K_flip != NULL};
    *len = sizeof hdr + cells * 8 * (t->K_flip ? 2 : 1) + (nt + nx) * D * 4;
    char *out = lm_xmalloc(*len), *q = out;
    memcpy(q, hdr, sizeof hdr), q += sizeof hdr;
    memcpy(q, t->K, cells * 8), q += cells * 8;
    if (t->K_flip) memcpy(q, t->K_flip, cells * 8), q += cells * 8;
    memcpy(q, t->f0_train, nt * D * 4), q += nt * D * 4;
    memcpy(q, t->f0, nx * D * 4);
    return out;
}

int lm_kernel_tile_unpack(const void *data, size_t len, lm_kernel_tile *t, lm_error *err) {
    int32_t h[8];
    memset(t, 0, sizeof *t);
    if (len < sizeof h) return lm_fail(err, "tile: truncated");
    memcpy(h, data, sizeof h);
    if (h[0] != TILE_MAGIC) return lm_fail(err, "tile: not an lmntk kernel tile");
    if (h[1] < 0 || h[2] < 0 || h[3] <= h[2] || h[4] < 0 || h[5] < h[4] || h[6] < 1 || (h[7] != 0 && h[7] != 1))
        return lm_fail(err, "tile: bad header");
    size_t nt = (size_t)(h[3] - h[2]), nx = (size_t)(h[5] - h[4]), D = (size_t)h[6], cells;
    /* sizes from outside bytes: no product may wrap before the length check */
    if (__builtin_mul_overflow(nt * D, nx * D, &cells) || cells > len / 8)
        return lm_fail(err, "tile: bad header");
    *t = (lm_kernel_tile){.set = h[1], .r0 = h[2], .r1 = h[3], .c0 = h[4], .c1 = h[5], .dim = h[6]};
    if (len != sizeof h + cells * 8 * (h[7] ? 2 : 1) + (nt + nx) * D * 4)
        return lm_fail(err, "tile: %zu bytes, not the %zu its header says", len,
                       sizeof h + cells * 8 * (h[7] ? 2 : 1) + (nt + nx) * D * 4);
    tile_alloc(t, h[7]);
    const char *q = (const char *)data + sizeof h;
    memcpy(t->K, q, cells * 8), q += cells * 8;
    if (h[7]) memcpy(t->K_flip, q, cells * 8), q += cells * 8;
    memcpy(t->f0_train, q, nt * D * 4), q += nt * D * 4;
    memcpy(t->f0, q, nx * D * 4);
    return 0;
}

int lm_kernel_result_merge(lm_kernel_result *r, const lm_kernel_tile *t, lm_error *err) {
    if (t->set < 0 || t->set >= r->n_sets) return lm_fail(err, "tile of set %d: the job has %d sets", t->set, r->n_sets);
    if (t->dim != r->dim || t->r1 > r->n_train || t->c1 > r->n_x[t->set] || (t->K_flip != NULL) != (r->K_flip != NULL))
        return lm_fail(err, "tile [%d,%d) x [%d,%d) of set %d does not fit the result", t->r0, t->r1, t->c0,
                       t->c1, t->set);
    size_t D = (size_t)t->dim, nx = (size_t)(t->c1 - t->c0), NX = (size_t)r->n_x[t->set];
    for (int a = t->r0; a < t->r1; a++)
        for (size_t c = 0; c < D; c++) {
            size_t from = ((size_t)(a - t->r0) * D + c) * nx * D, to = (((size_t)a * D + c) * NX + t->c0) * D;
            memcpy(r->K[t->set] + to, t->K + from, nx * D * sizeof(double));
            if (t->K_flip) memcpy(r->K_flip[t->set] + to, t->K_flip + from, nx * D * sizeof(double));
        }
    memcpy(r->f0_train + (size_t)t->r0 * D, t->f0_train, (size_t)(t->r1 - t->r0) * D * sizeof(float));
    memcpy(r->f0[t->set] + (size_t)t->c0 * D, t->f0, nx * D * sizeof(float));
    r->flops += t->flops;
    if (t->peak_bytes > r->peak_bytes) r->peak_bytes = t->peak_bytes;
    return 0;
}
