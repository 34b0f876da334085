/* bench_util.h - timing, peak memory and the machine's SGEMM rate, shared
 * by the benchmarks. */
#ifndef LM_BENCH_UTIL_H
#define LM_BENCH_UTIL_H

#include <cblas.h>
#undef I
#include "model/model.h"
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline double bench_peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* GFLOP/s of SGEMM at the shape m x n x k, best of a few runs. */
static inline double bench_sgemm_gflops(int m, int n, int k) {
    float *a = malloc((size_t)m * k * 4), *b = malloc((size_t)k * n * 4), *c = malloc((size_t)m * n * 4);
    for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)k * n; i++) b[i] = (float)(i % 5) * 0.1f;
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t = bench_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
        t = bench_now() - t;
        if (t < best) best = t;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * m * n * k / best / 1e9;
}

/* A roberta-base-shaped masked LM with random weights (normal 0.02; the
 * decoder a block of its own, as the paper's code has it). */
static inline void bench_roberta_base(lm_model *m, int layers, uint64_t seed) {
    lm_config cfg = {.arch = LM_ARCH_ROBERTA, .vocab_size = 50265, .hidden = 768,
                     .n_layers = layers, .n_heads = 12, .intermediate = 3072,
                     .max_positions = 514, .type_vocab_size = 1, .pad_token_id = 1,
                     .ln_eps = 1e-5f, .act = LM_ACT_GELU, .tie_word_embeddings = 0};
    lm_load_options lo = {.decoder = LM_DECODER_SEPARATE};
    lm_model_init_empty(m, &cfg, &lo);
    lm_model_init_random(m, seed, 0.02f);
}

#endif
