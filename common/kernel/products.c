/* products.c - the float32 products of gradient panels, and the row-sparse
 * part of a kernel between two sides.
 *
 * The panels' products are not SGEMMs: a BLAS may sum an entry differently
 * by matrix shape (small-matrix and edge kernels) and the shapes here follow
 * the groups of blocks that the budget holds.  lm_kfloat_products sums each
 * entry in an order of its own (8 FMA lanes per 4,096-coordinate chunk, a
 * fixed tree, float64 across chunks), so any shapes, tiling and threads give
 * the same bits, and whole groups are multiplied in one cache-blocked pass. */
#include "kernel/kernel_internal.h"

#include <immintrin.h>

/* Eight float32 lanes summed in a fixed tree: (0+4, 1+5, 2+6, 3+7), then
 * pairs, then the last two. */
static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/* out[i][j] = sum over k in [k0, k1) of a_i[k] b_j[k] for a 3 x 3 tile:
 * lane l of an entry sums k = l (mod 8) by FMA in k order, the last partial
 * vector masked, then hsum8.  Rows past the edge repeat a valid row and
 * their results are dropped. */
static void tile3x3(const float *const *a, const float *const *b, size_t k0, size_t k1, float out[3][3]) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m256 c20 = c00, c21 = c00, c22 = c00;
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *b0 = b[0], *b1 = b[1], *b2 = b[2];
    size_t k = k0;
    for (; k + 8 <= k1; k += 8) {
        __m256 x0 = _mm256_loadu_ps(a0 + k), x1 = _mm256_loadu_ps(a1 + k), x2 = _mm256_loadu_ps(a2 + k);
        __m256 y0 = _mm256_loadu_ps(b0 + k), y1 = _mm256_loadu_ps(b1 + k), y2 = _mm256_loadu_ps(b2 + k);
        c00 = _mm256_fmadd_ps(x0, y0, c00), c01 = _mm256_fmadd_ps(x0, y1, c01), c02 = _mm256_fmadd_ps(x0, y2, c02);
        c10 = _mm256_fmadd_ps(x1, y0, c10), c11 = _mm256_fmadd_ps(x1, y1, c11), c12 = _mm256_fmadd_ps(x1, y2, c12);
        c20 = _mm256_fmadd_ps(x2, y0, c20), c21 = _mm256_fmadd_ps(x2, y1, c21), c22 = _mm256_fmadd_ps(x2, y2, c22);
    }
    if (k < k1) {
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k1 - k)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 x0 = _mm256_maskload_ps(a0 + k, m), x1 = _mm256_maskload_ps(a1 + k, m), x2 = _mm256_maskload_ps(a2 + k, m);
        __m256 y0 = _mm256_maskload_ps(b0 + k, m), y1 = _mm256_maskload_ps(b1 + k, m), y2 = _mm256_maskload_ps(b2 + k, m);
        c00 = _mm256_fmadd_ps(x0, y0, c00), c01 = _mm256_fmadd_ps(x0, y1, c01), c02 = _mm256_fmadd_ps(x0, y2, c02);
        c10 = _mm256_fmadd_ps(x1, y0, c10), c11 = _mm256_fmadd_ps(x1, y1, c11), c12 = _mm256_fmadd_ps(x1, y2, c12);
        c20 = _mm256_fmadd_ps(x2, y0, c20), c21 = _mm256_fmadd_ps(x2, y1, c21), c22 = _mm256_fmadd_ps(x2, y2, c22);
    }
    out[0][0] = hsum8(c00), out[0][1] = hsum8(c01), out[0][2] = hsum8(c02);
    out[1][0] = hsum8(c10), out[1][1] = hsum8(c11), out[1][2] = hsum8(c12);
    out[2][0] = hsum8(c20), out[2][1] = hsum8(c21), out[2][2] = hsum8(c22);
}

typedef struct float_job {
    const float *A, *B;
    size_t ldA, ldB, W, lda;
    int na, nb;
    double *acc;
} float_job;

#define FLOAT_ITEM_ROWS 12 /* rows of B per work item: 4 tiles, 192 KB of a chunk */

static void float_item(void *ctx, int item, int thread) {
    (void)thread;
    const float_job *p = ctx;
    int j0 = item * FLOAT_ITEM_ROWS, j1 = j0 + FLOAT_ITEM_ROWS < p->nb ? j0 + FLOAT_ITEM_ROWS : p->nb;
    for (size_t k0 = 0; k0 < p->W; k0 += LM_KSUM_CHUNK) {
        size_t k1 = k0 + LM_KSUM_CHUNK < p->W ? k0 + LM_KSUM_CHUNK : p->W;
        for (int i = 0; i < p->na; i += 3)
            for (int j = j0; j < j1; j += 3) {
                const float *a[3], *b[3];
                for (int r = 0; r < 3; r++) {
                    a[r] = p->A + (size_t)(i + r < p->na ? i + r : i) * p->ldA;
                    b[r] = p->B + (size_t)(j + r < j1 ? j + r : j) * p->ldB;
                }
                float out[3][3];
                tile3x3(a, b, k0, k1, out);
                for (int r = 0; r < 3 && i + r < p->na; r++)
                    for (int c = 0; c < 3 && j + c < j1; c++)
                        p->acc[(size_t)(i + r) * p->lda + j + c] += out[r][c];
            }
    }
}

void lm_kfloat_products(const float *A, size_t ldA, int na, const float *B, size_t ldB, int nb, size_t W,
                        double *acc, size_t lda, int n_threads) {
    float_job p = {A, B, ldA, ldB, W, lda, na, nb, acc};
    lm_kparallel(n_threads, (nb + FLOAT_ITEM_ROWS - 1) / FLOAT_ITEM_ROWS, 2.0 * na * nb * (double)W, float_item, &p);
}

static double sgn(float x) { return (double)((x > 0) - (x < 0)); }
static int isgn(float x) { return (x > 0) - (x < 0); }

/* Row-sparse part of the kernel between two vectors, by a merge join. */
static void sparse_dot(const lm_ksparse_vec *a, const lm_ksparse_vec *b, int width, lm_kernel_formula f,
                       double *k, double *kflip) {
    int i = 0, j = 0;
    double s = 0, sf = 0;
    while (i < a->n && j < b->n) {
        if (a->ids[i] < b->ids[j]) i++;
        else if (a->ids[i] > b->ids[j]) j++;
        else {
            const float *x = a->vals + (size_t)i * width, *y = b->vals + (size_t)j * width;
            if (f == LM_KF_SGD) {
                for (int h = 0; h < width; h++) s += (double)x[h] * y[h];
            } else if (f == LM_KF_SIGNGD) {
                int n = 0; /* exact: at most width terms of +-1 */
                for (int h = 0; h < width; h++) n += isgn(x[h]) * isgn(y[h]);
                s += n;
            } else {
                for (int h = 0; h < width; h++) {
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

typedef struct sparse_job {
    const lm_kside *tr, *xs;
    const lm_kplan *pl;
    const lm_model *m;
    lm_kernel_formula f;
    int Mt, Mx;
    double *acc, *accf;
    size_t lda;
} sparse_job;

static void sparse_item(void *ctx, int a, int thread) {
    (void)thread;
    const sparse_job *j = ctx;
    int H = j->m->cfg.hidden;
    for (int k = 0; k < j->pl->n_sparse; k++) {
        int width = j->m->tensors[j->pl->sparse[k]].kind == LM_PK_DECODER_B ? 1 : H;
        const lm_ksparse_vec *va = &j->tr->sp[(size_t)k * j->Mt + a];
        for (int c = 0; c < j->Mx; c++)
            sparse_dot(va, &j->xs->sp[(size_t)k * j->Mx + c], width, j->f, &j->acc[(size_t)a * j->lda + c],
                       j->accf ? &j->accf[(size_t)a * j->lda + c] : NULL);
    }
}

void lm_ksparse_products(const lm_kside *tr, const lm_kside *xs, const lm_kplan *pl,
                         const lm_model *m, lm_kernel_formula f, int R, double *acc,
                         double *accf, size_t lda, int n_threads) {
    if (pl->n_sparse == 0) return;
    sparse_job j = {tr, xs, pl, m, f, tr->n * R, xs->n * R, acc, accf, lda};
    double work = (double)j.Mt * j.Mx * pl->n_sparse * 64.0 * m->cfg.hidden;
    lm_kparallel(n_threads, j.Mt, work, sparse_item, &j);
}
