/* products.c - the float32 GEMM products of gradient panels and the
 * row-sparse part of a kernel between two sides. */
#include "kernel/kernel_internal.h"

#include <cblas.h>
#undef I

void lm_kgemm_acc(double *acc, size_t ldacc, const float *A, size_t ldA, int Mt, const float *B,
                  size_t ldB, int Mx, size_t W, float *tmp, double *flops) {
    for (size_t k0 = 0; k0 < W; k0 += LM_KSUM_CHUNK) {
        int kc = (int)(W - k0 < LM_KSUM_CHUNK ? W - k0 : LM_KSUM_CHUNK);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Mt, Mx, kc, 1.0f, A + k0, (int)ldA,
                    B + k0, (int)ldB, 0.0f, tmp, Mx);
        for (int i = 0; i < Mt; i++)
            for (int j = 0; j < Mx; j++) acc[(size_t)i * ldacc + j] += tmp[(size_t)i * Mx + j];
        *flops += 2.0 * Mt * Mx * kc;
    }
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
