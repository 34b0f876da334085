/* spectrum.c - eigenvalues and effective ranks of a kernel; kernel
 * distance; prediction agreement. */
#include <lapack.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag/diag.h"

double lm_diag_agreement(const int *a, const int *b, int n) {
    if (n <= 0 || !a || !b) return NAN;
    int same = 0;
    for (int i = 0; i < n; i++) same += a[i] == b[i];
    return (double)same / n;
}

double lm_diag_kernel_distance(const double *K0, const double *K1, size_t n) {
    double d = 0, z = 0;
    for (size_t i = 0; i < n; i++) {
        double e = K1[i] - K0[i];
        d += e * e;
        z += K0[i] * K0[i];
    }
    return z > 0 ? sqrt(d / z) : NAN;
}

int lm_diag_spectrum_of(const double *K, int n, lm_diag_spectrum *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    if (n <= 0) return lm_fail(err, "spectrum of an empty kernel");
    double *A = lm_xmalloc((size_t)n * n * sizeof(double));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) A[(size_t)i * n + j] = 0.5 * (K[(size_t)i * n + j] + K[(size_t)j * n + i]);
    double *w = lm_xmalloc((size_t)n * sizeof(double)), wq;
    char jobz = 'N', uplo = 'U';
    int lwork = -1, liwork = -1, iwq, info = 0;
    LAPACK_dsyevd(&jobz, &uplo, &n, A, &n, w, &wq, &lwork, &iwq, &liwork, &info);
    lwork = (int)wq + 1;
    liwork = iwq + 1;
    double *work = lm_xmalloc((size_t)lwork * sizeof(double));
    int *iwork = lm_xmalloc((size_t)liwork * sizeof(int));
    LAPACK_dsyevd(&jobz, &uplo, &n, A, &n, w, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    free(A);
    if (info != 0) {
        free(w);
        return lm_fail(err, "LAPACK dsyevd failed (info=%d) on the %dx%d kernel", info, n, n);
    }
    out->n = n;
    out->eig = lm_xmalloc((size_t)n * sizeof(double));
    for (int i = 0; i < n; i++) out->eig[i] = w[n - 1 - i]; /* descending */
    free(w);
    double tr = 0, pos = 0, sq = 0;
    for (int i = 0; i < n; i++) {
        tr += K[(size_t)i * n + i];
        double l = out->eig[i] > 0 ? out->eig[i] : 0; /* rounding can leave tiny negatives */
        pos += l;
        sq += l * l;
    }
    out->trace = tr;
    out->eff_rank_pr = sq > 0 ? pos * pos / sq : 0;
    double h = 0;
    for (int i = 0; i < n && pos > 0; i++)
        if (out->eig[i] > 0) {
            double p = out->eig[i] / pos;
            h -= p * log(p);
        }
    out->eff_rank_entropy = pos > 0 ? exp(h) : 0;
    return 0;
}

void lm_diag_spectrum_free(lm_diag_spectrum *s) {
    free(s->eig);
    memset(s, 0, sizeof *s);
}
