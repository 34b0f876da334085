/* side.c - one block of examples after forward + backward of every output:
 * the factors of their gradients (model/grad.h), the sparse rows of the
 * embeddings' and decoder's gradients, and the outputs f0.
 *
 * A side can be frozen into bytes and rebuilt: the training side's features
 * that tiles of one job share through the cache.  The frozen copy holds
 * exactly the arrays model/grad.c and gram.c read, bit for bit, so a kernel
 * from a rebuilt side equals one from the live pass. */
#include "kernel/kernel_internal.h"

#include <stdlib.h>
#include <string.h>

int lm_kside_fill(lm_kside *sd, const lm_model *m, const lm_output_spec *os,
                  const lm_encoded_example *ex, int n, lm_error *err) {
    int R = lm_output_dim(os);
    lm_batch_clear(&sd->ws.b);
    int *head_pos = lm_xmalloc(((size_t)n + 1) * sizeof(int));
    for (int i = 0; i < n; i++) {
        if (lm_batch_add(&sd->ws.b, &m->cfg, ex[i].ids, ex[i].type_ids, ex[i].n_tokens, err)) {
            free(head_pos);
            return lm_fail_prefix(err, "example %d", i);
        }
        head_pos[i] = os->head == LM_HEAD_MLM ? ex[i].mask_pos : 0;
        if (head_pos[i] < 0 || head_pos[i] >= ex[i].n_tokens) {
            free(head_pos);
            return lm_fail(err, "example %d has no mask position", i);
        }
    }
    free(sd->f);
    sd->f = lm_xmalloc(((size_t)n * R + 1) * sizeof(float));
    lm_outputs_run(&sd->ws, m, os, head_pos, 1, sd->f, &sd->pass);
    free(head_pos);
    sd->n = n;
    sd->filled = 1;
    return 0;
}

void lm_kside_extract_sparse(lm_kside *sd, const lm_kplan *pl, int R) {
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
                lm_ksparse_vec *v = &sd->sp[(size_t)k * nv + (size_t)s * R + r];
                v->ids = sd->sp_ids + at;
                v->vals = sd->sp_vals + at * H;
                v->n = lm_grad_sparse_rows(&sd->pass, pl->sparse[k], s, r, v->ids, v->vals);
                at += (size_t)maxr;
            }
        }
}

/* ---- frozen factors ----------------------------------------------------- */

struct lm_kfrozen {
    lm_batch b;
    lm_acts a;
    lm_bwd bw;
    lm_head_acts ha;
    lm_head_bwd hb;
    float *blob;            /* every array below points into it */
};

static void free_frozen(lm_kfrozen *fz) {
    if (!fz) return;
    lm_batch_free(&fz->b);
    free(fz->a.layers);
    free(fz->bw.layers);
    free(fz->blob);
    free(fz);
}

void lm_kside_free(lm_kside *sd) {
    lm_outputs_ws_free(&sd->ws);
    free_frozen(sd->fz);
    if (!sd->borrowed) free(sd->f);
    free(sd->sp);
    free(sd->sp_ids);
    free(sd->sp_vals);
    memset(sd, 0, sizeof *sd);
}

#define FROZEN_MAGIC 0x464b4d4c /* "LMKF" */
#define FROZEN_VERSION 1
#define HDR_INTS 10

/* The arrays of a frozen side, in order: visit(ctx, ptr slot, floats).  The
 * same walk packs (slots point into the live pass) and unpacks (slots are
 * set to the blob). */
typedef void (*visit_fn)(void *ctx, float **slot, size_t n);

static void walk(lm_kfrozen *z, const lm_model *m, const lm_output_spec *os, int T, int S,
                 float **f, float **dlogits, float **head_x, visit_fn visit, void *ctx) {
    const lm_config *c = &m->cfg;
    size_t H = (size_t)c->hidden, I = (size_t)c->intermediate, R = (size_t)lm_output_dim(os);
    size_t TH = (size_t)T * H, TI = (size_t)T * I, RSH = R * S * H;
    visit(ctx, f, (size_t)S * R);
    visit(ctx, dlogits, R * S * os->n_out);
    visit(ctx, &z->a.x0, TH);
    for (int l = 0; l < c->n_layers; l++) {
        lm_layer_acts *y = &z->a.layers[l];
        if (l + 1 < c->n_layers) visit(ctx, &y->y2, TH); /* the next layer's input */
        visit(ctx, &y->ctx, TH);
        visit(ctx, &y->y1, TH);
        visit(ctx, &y->g, TI);
        lm_layer_bwd *d = &z->bw.layers[l];
        visit(ctx, &d->dq, R * TH);
        visit(ctx, &d->dk, R * TH);
        visit(ctx, &d->dv, R * TH);
        visit(ctx, &d->dattn, R * TH);
        visit(ctx, &d->dz, R * TH);
        visit(ctx, &d->du, R * TI);
        visit(ctx, &d->dln1_g, RSH);
        visit(ctx, &d->dln1_b, RSH);
        visit(ctx, &d->dln2_g, RSH);
        visit(ctx, &d->dln2_b, RSH);
    }
    visit(ctx, &z->bw.demb, R * TH);
    visit(ctx, &z->bw.demb_ln_g, RSH);
    visit(ctx, &z->bw.demb_ln_b, RSH);
    if (os->head == LM_HEAD_MLM) {
        visit(ctx, &z->ha.x, (size_t)S * H);
        visit(ctx, &z->ha.y, (size_t)S * H);
        visit(ctx, &z->hb.ddense, RSH);
        visit(ctx, &z->hb.dln_g, RSH);
        visit(ctx, &z->hb.dln_b, RSH);
    } else {
        visit(ctx, head_x, (size_t)S * H);
    }
}

typedef struct cursor {
    char *p;
    size_t n;
} cursor;

static void count(void *ctx, float **slot, size_t n) {
    (void)slot;
    ((cursor *)ctx)->n += n * sizeof(float);
}

static void put(void *ctx, float **slot, size_t n) {
    cursor *c = ctx;
    memcpy(c->p, *slot, n * sizeof(float));
    c->p += n * sizeof(float);
}

static void take(void *ctx, float **slot, size_t n) {
    cursor *c = ctx;
    *slot = (float *)c->p;
    c->p += n * sizeof(float);
}

/* A view of the live pass as a frozen side (pointers only), for walk(). */
static void view_live(const lm_kside *sd, int n_layers, lm_kfrozen *z) {
    const lm_pass *p = &sd->pass;
    memset(z, 0, sizeof *z);
    z->a = *p->a;
    z->bw = *p->bw;
    z->a.layers = lm_xcalloc((size_t)n_layers + 1, sizeof *z->a.layers);
    z->bw.layers = lm_xcalloc((size_t)n_layers + 1, sizeof *z->bw.layers);
    memcpy(z->a.layers, p->a->layers, (size_t)n_layers * sizeof *z->a.layers);
    memcpy(z->bw.layers, p->bw->layers, (size_t)n_layers * sizeof *z->bw.layers);
    if (p->ha) z->ha = *p->ha;
    if (p->hb) z->hb = *p->hb;
}

void *lm_kside_pack(const lm_kside *sd, const lm_model *m, const lm_output_spec *os, size_t *len) {
    const lm_batch *b = sd->pass.b;
    int T = b->n_tokens, S = b->n_seq;
    lm_kfrozen z;
    view_live(sd, m->cfg.n_layers, &z);
    float *f = sd->f, *dl = (float *)sd->pass.dlogits, *hx = (float *)sd->pass.head_x;
    cursor c = {0};
    walk(&z, m, os, T, S, &f, &dl, &hx, count, &c);
    size_t ints = HDR_INTS + (size_t)(S + 1) + 2 * (size_t)T;
    *len = ints * sizeof(int32_t) + c.n;
    char *out = lm_xmalloc(*len);
    int32_t hdr[HDR_INTS] = {FROZEN_MAGIC, FROZEN_VERSION, T, S, lm_output_dim(os), m->cfg.hidden,
                             m->cfg.intermediate, m->cfg.n_layers, os->n_out, os->head};
    int32_t *q = (int32_t *)out;
    memcpy(q, hdr, sizeof hdr);
    q += HDR_INTS;
    for (int s = 0; s <= S; s++) *q++ = b->seq_start[s];
    memcpy(q, b->ids, (size_t)T * sizeof *q), q += T;
    memcpy(q, b->type_ids, (size_t)T * sizeof *q), q += T;
    cursor w = {(char *)q, 0};
    walk(&z, m, os, T, S, &f, &dl, &hx, put, &w);
    free(z.a.layers);
    free(z.bw.layers);
    return out;
}

int lm_kside_unpack(lm_kside *sd, const lm_model *m, const lm_output_spec *os,
                    const lm_encoded_example *ex, int n, const void *data, size_t len, lm_error *err) {
    const lm_config *c = &m->cfg;
    int32_t hdr[HDR_INTS];
    if (len < sizeof hdr) return lm_fail(err, "training features: truncated");
    memcpy(hdr, data, sizeof hdr);
    int T = hdr[2], S = hdr[3];
    size_t tok = lm_kset_tokens(&(lm_example_set){n, ex}, 0, n);
    if (hdr[0] != FROZEN_MAGIC || hdr[1] != FROZEN_VERSION)
        return lm_fail(err, "training features: not lmntk factors of this version");
    if (hdr[4] != lm_output_dim(os) || hdr[5] != c->hidden || hdr[6] != c->intermediate ||
        hdr[7] != c->n_layers || hdr[8] != os->n_out || hdr[9] != (int)os->head)
        return lm_fail(err, "training features: computed for another model or output");
    if (S != n || (size_t)T != tok) return lm_fail(err, "training features: computed for other examples");
    size_t ints = HDR_INTS + (size_t)(S + 1) + 2 * (size_t)T;
    if (len < ints * sizeof(int32_t)) return lm_fail(err, "training features: truncated");
    /* the token sequences must be the examples' own */
    const int32_t *q = (const int32_t *)data + HDR_INTS;
    int32_t *ids = lm_xmalloc(((size_t)T + 1) * 2 * sizeof *ids), *types = ids + T + 1;
    memcpy(ids, q + S + 1, (size_t)T * sizeof *ids);
    memcpy(types, q + S + 1 + T, (size_t)T * sizeof *types);
    int bad = q[0] != 0;
    for (int s = 0, t = 0; s < n && !bad; t += ex[s].n_tokens, s++) {
        bad |= q[s + 1] != t + ex[s].n_tokens;
        for (int i = 0; i < ex[s].n_tokens && !bad; i++)
            bad |= ids[t + i] != ex[s].ids[i] || types[t + i] != (ex[s].type_ids ? ex[s].type_ids[i] : 0);
    }
    free(ids);
    if (bad) return lm_fail(err, "training features: computed for other examples");
    lm_kfrozen *z = lm_xcalloc(1, sizeof *z);
    z->a.n_layers = c->n_layers;
    z->a.layers = lm_xcalloc((size_t)c->n_layers + 1, sizeof *z->a.layers);
    z->bw.layers = lm_xcalloc((size_t)c->n_layers + 1, sizeof *z->bw.layers);
    float *f = NULL, *dl = NULL, *hx = NULL;
    cursor cnt = {0};
    walk(z, m, os, T, S, &f, &dl, &hx, count, &cnt);
    if (len != ints * sizeof(int32_t) + cnt.n) {
        free_frozen(z);
        return lm_fail(err, "training features: %zu bytes, not the %zu expected", len,
                       ints * sizeof(int32_t) + cnt.n);
    }
    z->blob = lm_xalloc_aligned(cnt.n + 64);
    memcpy(z->blob, (const char *)data + ints * sizeof(int32_t), cnt.n);
    cursor rd = {(char *)z->blob, 0};
    walk(z, m, os, T, S, &f, &dl, &hx, take, &rd);
    /* the batch, rebuilt from the examples (positions follow from them) */
    for (int s = 0; s < n; s++)
        if (lm_batch_add(&z->b, c, ex[s].ids, ex[s].type_ids, ex[s].n_tokens, err)) {
            lm_batch_free(&z->b);
            free_frozen(z);
            return -1;
        }
    z->bw.R = lm_output_dim(os);
    z->bw.T = T;
    z->bw.n_seq = S;
    z->bw.keep_all = 1;
    z->a.T = T;
    lm_kside_free(sd);
    sd->fz = z;
    sd->n = n;
    sd->filled = 1;
    sd->f = lm_xmalloc(((size_t)S * lm_output_dim(os) + 1) * sizeof(float));
    memcpy(sd->f, f, (size_t)S * lm_output_dim(os) * sizeof(float));
    sd->pass = (lm_pass){.m = m, .b = &z->b, .a = &z->a, .bw = &z->bw, .R = lm_output_dim(os),
                         .head = os->head, .n_out = os->n_out, .vocab = os->vocab, .dlogits = dl,
                         .ha = &z->ha, .hb = &z->hb, .head_x = hx};
    return 0;
}

size_t lm_kside_bytes(const lm_model *m, const lm_output_spec *os, const lm_kplan *pl,
                      const lm_encoded_example *ex, int n) {
    const lm_config *c = &m->cfg;
    size_t H = (size_t)c->hidden, R = (size_t)lm_output_dim(os), K = (size_t)os->n_out;
    size_t T = 0, L2 = 0, maxL = 0, S = (size_t)n, sp_rows = 0;
    for (int i = 0; i < n; i++) {
        size_t L = (size_t)ex[i].n_tokens;
        T += L;
        L2 += L * L;
        if (L > maxL) maxL = L;
        sp_rows += (L + K) * R;
    }
    sp_rows *= (size_t)pl->n_sparse;
    /* activations and deltas grow to 1.25x what a batch needs (encoder.c) */
    size_t grown = lm_encoder_bytes_per_token(c, (int)R, 1) * T +
                   4 * (size_t)c->n_layers * c->n_heads * L2 +
                   4 * R * S * H * (4 * (size_t)c->n_layers + 2);
    size_t head = 4 * (S * H * (7 + K) + S * K * (K + 2) + R * T * H + 6 * R * S * H + 2 * maxL * maxL);
    size_t sparse = sp_rows * (H + 1) * 4 + sp_rows / 4 * (H + 1) * 4 +
                    (S * R * pl->n_sparse + 1) * sizeof(lm_ksparse_vec);
    return grown + grown / 4 + head + sparse + 64 * T + 4096;
}
