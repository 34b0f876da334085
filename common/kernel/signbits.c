/* signbits.c - exact products of gradient signs.
 *
 * A sign vector is two bit planes: nz (coordinate nonzero) and ng (negative).
 * For two vectors, with m = nz_a & nz_b and d = m & (ng_a ^ ng_b),
 *
 *     sum_p sign(a_p) sign(b_p) = popcount(m) - 2 popcount(d)
 *
 * an integer, as the float32 products of signs were (they are exact below
 * 2^24 terms).  So the result is bit for bit the sgemm one, at 2 bits per
 * coordinate instead of 32 and 512 coordinate pairs per few instructions.
 * Planes are interleaved per 512 coordinates (8 words of nz, 8 of ng) so
 * one AVX-512 load takes each; machines without VPOPCNTDQ count with the
 * scalar popcount, to the same integers. */
#include "kernel/kernel_internal.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/* ---- packing ------------------------------------------------------------ */

/* The nz and ng bits of 64 floats (fewer at the end: the rest are zero). */
static void pack_word(const float *x, size_t n, uint64_t *nz, uint64_t *ng) {
    uint64_t a = 0, b = 0;
    if (n == 64) {
        const __m256 zero = _mm256_setzero_ps();
        for (int k = 0; k < 8; k++) {
            __m256 v = _mm256_loadu_ps(x + 8 * k);
            /* ordered compares: a NaN is neither, as (x > 0) - (x < 0) says */
            uint64_t p = (uint64_t)_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_NEQ_OQ));
            uint64_t q = (uint64_t)_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ));
            a |= p << (8 * k);
            b |= q << (8 * k);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            a |= (uint64_t)(x[i] > 0 || x[i] < 0) << i;
            b |= (uint64_t)(x[i] < 0) << i;
        }
    }
    *nz = a;
    *ng = b;
}

void lm_ksign_pack(const float *x, size_t w, uint64_t *bits) {
    size_t words = lm_kpanel_words(w);
    for (size_t k = 0; k < words; k++) {
        size_t c0 = k * 64, n = c0 >= w ? 0 : w - c0 < 64 ? w - c0 : 64;
        uint64_t *grp = bits + (k / 8) * 16 + k % 8;
        pack_word(x + (n ? c0 : 0), n, grp, grp + 8);
    }
}

/* ---- products ----------------------------------------------------------- */

int64_t lm_ksign_dot_portable(const uint64_t *a, const uint64_t *b, size_t words) {
    int64_t m = 0, d = 0;
    for (size_t g = 0; g < words; g += 16)
        for (int k = 0; k < 8; k++) {
            uint64_t mm = a[g + k] & b[g + k];
            m += __builtin_popcountll(mm);
            d += __builtin_popcountll(mm & (a[g + 8 + k] ^ b[g + 8 + k]));
        }
    return m - 2 * d;
}

/* counts of a tile of up to 2 rows of A by 4 rows of B, pair by pair (portable) */
static void tile_portable(const uint64_t *const *A, int na, const uint64_t *const *B, int nb,
                          size_t g0, size_t g1, int64_t out[2][4]) {
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++) {
            int64_t m = 0, d = 0;
            const uint64_t *a = A[i], *b = B[j];
            for (size_t g = g0; g < g1; g += 16)
                for (int k = 0; k < 8; k++) {
                    uint64_t mm = a[g + k] & b[g + k];
                    m += __builtin_popcountll(mm);
                    d += __builtin_popcountll(mm & (a[g + 8 + k] ^ b[g + 8 + k]));
                }
            out[i][j] += m - 2 * d;
        }
}

#define AVX512 __attribute__((target("avx512f,avx512vpopcntdq")))

/* counts of a tile of up to 2 rows of A by 4 rows of B over groups [g0, g1) */
AVX512 static void tile_avx512(const uint64_t *const *A, int na, const uint64_t *const *B, int nb,
                               size_t g0, size_t g1, int64_t out[2][4]) {
    __m512i cm[2][4], cd[2][4];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) cm[i][j] = cd[i][j] = _mm512_setzero_si512();
    for (size_t g = g0; g < g1; g += 16) {
        __m512i an[2], ag[2];
        for (int i = 0; i < na; i++) {
            an[i] = _mm512_loadu_si512(A[i] + g);
            ag[i] = _mm512_loadu_si512(A[i] + g + 8);
        }
        for (int j = 0; j < nb; j++) {
            __m512i bn = _mm512_loadu_si512(B[j] + g), bg = _mm512_loadu_si512(B[j] + g + 8);
            for (int i = 0; i < na; i++) {
                __m512i m = _mm512_and_si512(an[i], bn);
                __m512i d = _mm512_ternarylogic_epi64(m, ag[i], bg, 0x60); /* m & (ag ^ bg) */
                cm[i][j] = _mm512_add_epi64(cm[i][j], _mm512_popcnt_epi64(m));
                cd[i][j] = _mm512_add_epi64(cd[i][j], _mm512_popcnt_epi64(d));
            }
        }
    }
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            out[i][j] += _mm512_reduce_add_epi64(cm[i][j]) - 2 * _mm512_reduce_add_epi64(cd[i][j]);
}

int lm_ksign_has_avx512(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
}

int64_t lm_ksign_dot_best(const uint64_t *a, const uint64_t *b, size_t words) {
    if (!lm_ksign_has_avx512()) return lm_ksign_dot_portable(a, b, words);
    int64_t out[2][4] = {{0}};
    tile_avx512(&a, 1, &b, 1, 0, words, out);
    return out[0][0];
}

typedef struct prod_job {
    const uint64_t *a, *b;
    size_t ldA, ldB, words, lda;
    int na, nb;
    double *acc;
    int avx512;
} prod_job;

#define ITEM_ROWS 8     /* rows of B per work item */
#define CHUNK_GROUPS 32 /* 512-coordinate groups per pass over A: 4 KB of a row */

static void prod_item(void *ctx, int item, int thread) {
    (void)thread;
    const prod_job *p = ctx;
    int j0 = item * ITEM_ROWS, j1 = j0 + ITEM_ROWS < p->nb ? j0 + ITEM_ROWS : p->nb;
    int64_t *cnt = calloc((size_t)p->na * ITEM_ROWS + 1, sizeof *cnt);
    if (!cnt) abort();
    for (size_t g0 = 0; g0 < p->words; g0 += 16 * CHUNK_GROUPS) {
        size_t g1 = g0 + 16 * CHUNK_GROUPS < p->words ? g0 + 16 * CHUNK_GROUPS : p->words;
        for (int i = 0; i < p->na; i += 2)
            for (int j = j0; j < j1; j += 4) {
                int ni = p->na - i < 2 ? p->na - i : 2, nj = j1 - j < 4 ? j1 - j : 4;
                const uint64_t *A[2], *B[4];
                for (int k = 0; k < ni; k++) A[k] = p->a + (size_t)(i + k) * p->ldA;
                for (int k = 0; k < nj; k++) B[k] = p->b + (size_t)(j + k) * p->ldB;
                int64_t out[2][4] = {{0}};
                if (p->avx512) tile_avx512(A, ni, B, nj, g0, g1, out);
                else tile_portable(A, ni, B, nj, g0, g1, out);
                for (int x = 0; x < ni; x++)
                    for (int y = 0; y < nj; y++) cnt[(size_t)(i + x) * ITEM_ROWS + (j - j0) + y] += out[x][y];
            }
    }
    for (int i = 0; i < p->na; i++)
        for (int j = j0; j < j1; j++) p->acc[(size_t)i * p->lda + j] += (double)cnt[(size_t)i * ITEM_ROWS + j - j0];
    free(cnt);
}

void lm_ksign_products(const uint64_t *a, size_t ldA, int na, const uint64_t *b, size_t ldB, int nb,
                       size_t words, double *acc, size_t lda, int n_threads) {
    prod_job p = {a, b, ldA, ldB, words, lda, na, nb, acc, lm_ksign_has_avx512()};
    lm_kparallel(n_threads, (nb + ITEM_ROWS - 1) / ITEM_ROWS, (double)na * nb * words, prod_item, &p);
}
