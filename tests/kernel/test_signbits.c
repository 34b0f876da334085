/* test_signbits.c - the exact pieces under signgd and the gradient
 * forming (common/kernel/signbits.c, form.c):
 *   sign packing and the popcount products against sum sign(a) sign(b)
 *   counted one coordinate at a time, by the portable and the AVX-512 path
 *   (when the machine has it), on 1 and 3 threads, with zeros, -0 and NaN;
 *   lm_kform_linear against one fmaf chain per entry, and against OpenBLAS
 *   (the same chain) at odd shapes and row ranges. */
#include <cblas.h>
#undef I
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "kernel/kernel_internal.h"
#include "util/rng.h"

static int sgn(float x) { return (x > 0) - (x < 0); }

static void fill_signs(lm_rng *rng, float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double u = lm_rng_uniform(rng);
        x[i] = u < 0.2 ? 0.0f : u < 0.25 ? -0.0f : u < 0.27 ? NAN : (float)lm_rng_normal(rng);
    }
}

static void check_products(void) {
    lm_rng rng;
    lm_rng_seed(&rng, 4);
    /* the last is large enough for lm_kparallel to start the threads */
    size_t widths[] = {1, 63, 64, 65, 511, 512, 513, 5000, 70001, 70001};
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        size_t w = widths[wi], words = 2 * lm_kpanel_words(w);
        int na = wi == 9 ? 32 : 5, nb = wi == 9 ? 70 : 19;
        if (wi == 9) CHECK((double)na * nb * words >= LM_KPAR_MIN_WORK);
        float *a = lm_xmalloc(na * w * sizeof(float)), *b = lm_xmalloc(nb * w * sizeof(float));
        fill_signs(&rng, a, na * w);
        fill_signs(&rng, b, nb * w);
        uint64_t *pa = lm_xcalloc(na * words, 8), *pb = lm_xcalloc(nb * words, 8);
        for (int i = 0; i < na; i++) lm_ksign_pack(a + i * w, w, pa + i * words);
        for (int j = 0; j < nb; j++) lm_ksign_pack(b + j * w, w, pb + j * words);
        double *acc1 = lm_xcalloc((size_t)na * nb, sizeof(double)), *acc3 = lm_xcalloc((size_t)na * nb, sizeof(double));
        lm_ksign_products(pa, words, na, pb, words, nb, words, acc1, nb, 1);
        lm_ksign_products(pa, words, na, pb, words, nb, words, acc3, nb, 3);
        for (int i = 0; i < na; i++)
            for (int j = 0; j < nb; j++) {
                long want = 0;
                for (size_t p = 0; p < w; p++) want += sgn(a[i * w + p]) * sgn(b[j * w + p]);
                CHECK_MSG(lm_ksign_dot_portable(pa + i * words, pb + j * words, words) == want,
                          "portable, width %zu", w);
                CHECK_MSG(lm_ksign_dot_best(pa + i * words, pb + j * words, words) == want, "best, width %zu", w);
                CHECK(acc1[i * nb + j] == (double)want && acc3[i * nb + j] == (double)want);
            }
        free(a), free(b), free(pa), free(pb), free(acc1), free(acc3);
    }
    fprintf(stderr, "sign products: portable and %s paths agree with the count\n",
            lm_ksign_has_avx512() ? "AVX-512" : "(no AVX-512 here: portable again)");
}

static void check_forming(void) {
    lm_rng rng;
    lm_rng_seed(&rng, 5);
    int shapes[][3] = {{7, 13, 37}, {25, 768, 64}, {1, 5, 24}, {40, 100, 49}, {3, 130, 25}}; /* L, out, in */
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int L = shapes[si][0], out = shapes[si][1], in = shapes[si][2];
        float *D = lm_xmalloc((size_t)L * out * sizeof(float)), *X = lm_xmalloc((size_t)L * in * sizeof(float));
        for (int i = 0; i < L * out; i++) D[i] = (float)lm_rng_normal(&rng);
        for (int i = 0; i < L * in; i++) X[i] = (float)lm_rng_normal(&rng);
        float *got = lm_xmalloc((size_t)out * in * sizeof(float)), *blas = lm_xmalloc((size_t)out * in * sizeof(float));
        float *pack = lm_xmalloc(lm_kform_pack_floats(L) * sizeof(float));
        /* any row range gives the rows the whole does */
        int i0 = out / 3, i1 = out - out / 5;
        lm_kform_linear(D, (size_t)out, X, (size_t)in, L, 0, out, in, got, pack);
        float *part = lm_xmalloc((size_t)out * in * sizeof(float));
        lm_kform_linear(D, (size_t)out, X, (size_t)in, L, i0, i1, in, part, pack);
        int bad = 0, bad_part = 0;
        for (int i = 0; i < out; i++)
            for (int j = 0; j < in; j++) {
                float s = 0;
                for (int l = 0; l < L; l++) s = fmaf(D[l * out + i], X[l * in + j], s);
                bad += memcmp(&s, &got[(size_t)i * in + j], sizeof s) != 0;
                if (i >= i0 && i < i1) bad_part += memcmp(&s, &part[(size_t)(i - i0) * in + j], sizeof s) != 0;
            }
        CHECK_MSG(bad == 0 && bad_part == 0, "L %d out %d in %d: %d (%d) entries differ from the chain", L, out,
                  in, bad, bad_part);
        /* OpenBLAS forms the same dot products (informative: a BLAS may order
         * its sums otherwise; the kernels do not depend on it) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, L, 1.0f, D, out, X, in, 0.0f, blas, in);
        int nb = 0;
        for (size_t i = 0; i < (size_t)out * in; i++) nb += blas[i] != got[i];
        fprintf(stderr, "forming L %d, %d x %d: %d entries differ from OpenBLAS\n", L, out, in, nb);
        free(D), free(X), free(got), free(blas), free(pack), free(part);
    }
}

int main(void) {
    check_products();
    check_forming();
    return check_exit("test_signbits");
}
