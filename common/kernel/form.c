/* form.c - the gradient rows of one panel for every (example, output) of a
 * side: as float32 (sgd, asymmetric_signgd) or as sign bits (signgd).
 *
 * A linear weight's rows are D^T X over the example's L tokens (grad.h).
 * lm_kform_linear computes each entry as one chain of fused multiply-adds
 * over the tokens in order, as a GEMM's dot product does, but with K = L
 * (tens of tokens) a GEMM spends most of its time packing and writing:
 * register tiles of 4 rows x 24 columns keep the forming at FMA speed and
 * the rows stay in cache for the sign packing that follows. */
#include "kernel/kernel_internal.h"

#include <cblas.h>
#undef I
#include <immintrin.h>
#include <math.h>
#include <string.h>

/* out[0..4)[0, 24) from packed operands d [L][4] and x [L][24]: twelve
 * accumulators in registers, one FMA chain per entry over the L rows. */
static void tile4x24(const float *d, const float *x, int L, float *out, size_t ldo) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    __m256 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    for (int l = 0; l < L; l++, x += 24, d += 4) {
        __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8), x2 = _mm256_loadu_ps(x + 16);
        __m256 d0 = _mm256_broadcast_ss(d), d1 = _mm256_broadcast_ss(d + 1);
        a00 = _mm256_fmadd_ps(d0, x0, a00), a01 = _mm256_fmadd_ps(d0, x1, a01), a02 = _mm256_fmadd_ps(d0, x2, a02);
        a10 = _mm256_fmadd_ps(d1, x0, a10), a11 = _mm256_fmadd_ps(d1, x1, a11), a12 = _mm256_fmadd_ps(d1, x2, a12);
        __m256 d2 = _mm256_broadcast_ss(d + 2), d3 = _mm256_broadcast_ss(d + 3);
        a20 = _mm256_fmadd_ps(d2, x0, a20), a21 = _mm256_fmadd_ps(d2, x1, a21), a22 = _mm256_fmadd_ps(d2, x2, a22);
        a30 = _mm256_fmadd_ps(d3, x0, a30), a31 = _mm256_fmadd_ps(d3, x1, a31), a32 = _mm256_fmadd_ps(d3, x2, a32);
    }
    _mm256_storeu_ps(out, a00), _mm256_storeu_ps(out + 8, a01), _mm256_storeu_ps(out + 16, a02);
    out += ldo;
    _mm256_storeu_ps(out, a10), _mm256_storeu_ps(out + 8, a11), _mm256_storeu_ps(out + 16, a12);
    out += ldo;
    _mm256_storeu_ps(out, a20), _mm256_storeu_ps(out + 8, a21), _mm256_storeu_ps(out + 16, a22);
    out += ldo;
    _mm256_storeu_ps(out, a30), _mm256_storeu_ps(out + 8, a31), _mm256_storeu_ps(out + 16, a32);
}

#define ROWS_CHUNK 64 /* rows of D packed at once */

void lm_kform_linear(const float *D, size_t ldd, const float *X, size_t ldx, int L, int i0, int i1,
                     int in, float *out, float *pack) {
    /* the tiles' operands packed contiguously (rows of D and X lie 3 to 12
     * KB apart, which maps a tile's L rows onto few cache sets), edges
     * padded with zeros so that every entry goes through the same tile */
    float *xp = pack, *dp = pack + (size_t)24 * L, *tmp = dp + (size_t)ROWS_CHUNK * L;
    for (int c0 = i0; c0 < i1; c0 += ROWS_CHUNK) {
        int nc = i1 - c0 < ROWS_CHUNK ? i1 - c0 : ROWS_CHUNK, ntile = (nc + 3) / 4;
        for (int t = 0; t < ntile; t++)
            for (int l = 0; l < L; l++)
                for (int a = 0; a < 4; a++) {
                    int i = 4 * t + a;
                    dp[((size_t)t * L + l) * 4 + a] = i < nc ? D[(size_t)l * ldd + c0 + i] : 0.0f;
                }
        for (int j = 0; j < in; j += 24) {
            int nj = in - j < 24 ? in - j : 24;
            if (nj == 24) /* a constant size: three moves, not a call */
                for (int l = 0; l < L; l++) memcpy(xp + (size_t)l * 24, X + (size_t)l * ldx + j, 24 * sizeof(float));
            else
                for (int l = 0; l < L; l++)
                    for (int c = 0; c < 24; c++) xp[(size_t)l * 24 + c] = c < nj ? X[(size_t)l * ldx + j + c] : 0.0f;
            for (int t = 0; t < ntile; t++) {
                int nr = nc - 4 * t < 4 ? nc - 4 * t : 4;
                float *o = out + (size_t)(c0 - i0 + 4 * t) * in + j;
                if (nr == 4 && nj == 24) {
                    tile4x24(dp + (size_t)t * L * 4, xp, L, o, (size_t)in);
                } else {
                    tile4x24(dp + (size_t)t * L * 4, xp, L, tmp, 24);
                    for (int a = 0; a < nr; a++)
                        for (int c = 0; c < nj; c++) o[(size_t)a * in + c] = tmp[24 * a + c];
                }
            }
        }
    }
}

size_t lm_kform_pack_floats(int max_tokens) { return (size_t)(24 + ROWS_CHUNK) * max_tokens + 96 + 16; }

/* One (example s, output r) row of panel p. */
static void form_row(const lm_kside *sd, const lm_kplan *pl, const lm_kpanel *p, int s, int r,
                     float *row, float *scratch, float *pack) {
    const lm_pass *ps = &sd->pass;
    const lm_model *m = ps->m;
    int t0 = ps->b->seq_start[s], L = ps->b->seq_start[s + 1] - t0;
    for (int i = 0; i < p->n; i++) {
        const lm_kseg *sg = &pl->seg[p->first + i];
        const lm_param_tensor *t = &m->tensors[sg->tensor];
        const float *X = NULL, *D = NULL;
        int in = 0, out = 0;
        if (t->kind == LM_PK_LINEAR_W) lm_grad_linear_factors(ps, sg->tensor, r, &X, &D, &in, &out);
        if (sg->lora >= 0) {
            /* dA = s B^T G_W [r, in], then dB = s G_W A^T [out, r] */
            const lm_kernel_lora *Lr = pl->lora;
            int rk = Lr->r;
            lm_kform_linear(D + (size_t)t0 * out, (size_t)out, X + (size_t)t0 * in, (size_t)in, L, 0,
                            out, in, scratch, pack);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rk, in, out, Lr->scale,
                        Lr->B[sg->lora], rk, scratch, in, 0.0f, row, in);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, out, rk, in, Lr->scale, scratch, in,
                        Lr->A[sg->lora], in, 0.0f, row + (size_t)rk * in, rk);
        } else if (t->kind == LM_PK_LINEAR_W && X) {
            lm_kform_linear(D + (size_t)t0 * out, (size_t)out, X + (size_t)t0 * in, (size_t)in, L,
                            sg->row0, sg->row1, in, row, pack);
        } else if (t->kind == LM_PK_LINEAR_W) {
            lm_grad_linear_rows(ps, sg->tensor, s, r, sg->row0, sg->row1, row); /* heads: outer products */
        } else {
            lm_grad_tensor(ps, sg->tensor, s, r, row);
        }
        row += sg->width;
    }
}

static int has_lora(const lm_kplan *pl, const lm_kpanel *p) {
    for (int i = 0; i < p->n; i++)
        if (pl->seg[p->first + i].lora >= 0) return 1;
    return 0;
}

typedef struct form_job {
    const lm_kside *sd;
    const lm_kplan *pl;
    const lm_kpanel *p;
    int R;
    float *G;
    uint64_t *bits;
    size_t ld;
    float *const *scratch;
} form_job;

static void form_item(void *ctx, int v, int thread) {
    const form_job *j = ctx;
    float *sc = j->scratch[thread], *pack = sc + j->pl->lora_scratch + j->pl->max_width;
    if (j->G) {
        form_row(j->sd, j->pl, j->p, v / j->R, v % j->R, j->G + (size_t)v * j->ld, sc, pack);
    } else {
        float *row = sc + j->pl->lora_scratch;
        form_row(j->sd, j->pl, j->p, v / j->R, v % j->R, row, sc, pack);
        lm_ksign_pack(row, j->p->width, j->bits + (size_t)v * j->ld);
    }
}

static void form(const lm_kside *sd, const lm_kplan *pl, int p, int R, float *G, uint64_t *bits,
                 size_t ld, float *const *scratch, int n_threads) {
    const lm_kpanel *pp = &pl->pan[p];
    form_job j = {sd, pl, pp, R, G, bits, ld, scratch};
    /* the LoRA panels call OpenBLAS, which has threads of its own */
    double work = 2.0 * pp->width * R * sd->pass.b->n_tokens; /* FMAs of the linear rows */
    lm_kparallel(has_lora(pl, pp) ? 1 : n_threads, sd->n * R, work, form_item, &j);
}

void lm_kform_floats(const lm_kside *sd, const lm_kplan *pl, int p, int R, float *G, size_t ld,
                     float *const *scratch, int n_threads) {
    form(sd, pl, p, R, G, NULL, ld, scratch, n_threads);
}

void lm_kform_signs(const lm_kside *sd, const lm_kplan *pl, int p, int R, uint64_t *bits, size_t ld,
                    float *const *scratch, int n_threads) {
    form(sd, pl, p, R, NULL, bits, ld, scratch, n_threads);
}

size_t lm_kform_scratch(const lm_model *m, const lm_kplan *pl) {
    /* a LoRA target's dense gradient, a panel row, the packed tile operands */
    return pl->lora_scratch + pl->max_width + lm_kform_pack_floats(m->cfg.max_positions) + 64;
}
