/* test_shards.c - a kernel job cut into tiles (training rows x rows of one
 * evaluation set), each computed alone and merged, equals the unsharded
 * kernel bit for bit (memcmp): 1, 2, 3 and 7 shards of every evaluation set
 * (and the training rows in two), every formula, sgd by Gram matrices and by
 * gradients, several parameter sets, at the least and at a large memory
 * budget, with 1 and 2 OpenBLAS threads, with and without training features
 * shared as bytes (as through the cache), tiles passed as bytes (as through
 * the queue).  Synthetic examples on the engine fixtures' tiny models.
 *
 *   test_shards MODEL_DIR... */
#include <cblas.h>
#undef I
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "kernel_fx.h"
#include "util/rng.h"

#define N_TRAIN 14
#define N_DEV 9
#define N_TEST 11
#define BLOCK_TOKENS 16

typedef struct job {
    fixture fx;
    lm_encoded_example ex[N_TRAIN + N_DEV + N_TEST];
    lm_example_set train, sets[3];
    lm_output_spec os;
    int lora_t[8];
    float *lora_a[8], *lora_b[8];
    lm_kernel_lora lora;
} job;

/* Random token sequences of 3..14 tokens, the head reading a middle row. */
static void make_examples(job *j, uint64_t seed) {
    lm_rng rng;
    lm_rng_seed(&rng, seed);
    int n = N_TRAIN + N_DEV + N_TEST, V = j->fx.m.cfg.vocab_size;
    for (int i = 0; i < n; i++) {
        lm_encoded_example *e = &j->ex[i];
        e->n_tokens = 3 + (int)(lm_rng_uniform(&rng) * 12);
        e->ids = lm_xmalloc((size_t)e->n_tokens * sizeof(int32_t));
        for (int t = 0; t < e->n_tokens; t++) e->ids[t] = 3 + (int)(lm_rng_uniform(&rng) * (V - 3));
        e->type_ids = NULL;
        e->mask_pos = j->fx.cls ? -1 : 1 + (int)(lm_rng_uniform(&rng) * (e->n_tokens - 2));
        e->label = 0;
    }
    j->train = (lm_example_set){N_TRAIN, j->ex};
    j->sets[0] = j->train;
    j->sets[1] = (lm_example_set){N_DEV, j->ex + N_TRAIN};
    j->sets[2] = (lm_example_set){N_TEST, j->ex + N_TRAIN + N_DEV};
    j->os = out_spec(&j->fx);
    /* LoRA factors of the query and value weights, B nonzero */
    int nt = 0, r = 2;
    for (int i = 0; i < j->fx.m.n_tensors && nt < 8; i++) {
        const lm_param_tensor *t = &j->fx.m.tensors[i];
        if (t->role != LM_R_Q_W && t->role != LM_R_V_W) continue;
        j->lora_t[nt] = i;
        j->lora_a[nt] = lm_xmalloc((size_t)r * t->cols * sizeof(float));
        j->lora_b[nt] = lm_xmalloc((size_t)t->rows * r * sizeof(float));
        for (int k = 0; k < r * t->cols; k++) j->lora_a[nt][k] = (float)lm_rng_normal(&rng) * 0.3f;
        for (int k = 0; k < t->rows * r; k++) j->lora_b[nt][k] = (float)lm_rng_normal(&rng) * 0.3f;
        nt++;
    }
    j->lora = (lm_kernel_lora){.n = nt, .r = r, .scale = 1.0f, .tensor = j->lora_t,
                               .A = (const float *const *)j->lora_a, .B = (const float *const *)j->lora_b};
}

static void free_job(job *j) {
    for (int i = 0; i < N_TRAIN + N_DEV + N_TEST; i++) free(j->ex[i].ids);
    for (int i = 0; i < j->lora.n; i++) {
        free(j->lora_a[i]);
        free(j->lora_b[i]);
    }
    unload(&j->fx);
}

static int same_result(const lm_kernel_result *a, const lm_kernel_result *b) {
    int same = a->n_sets == b->n_sets && a->dim == b->dim && a->n_train == b->n_train;
    size_t D = (size_t)a->dim;
    for (int k = 0; same && k < a->n_sets; k++) {
        size_t cells = (size_t)a->n_train * D * a->n_x[k] * D;
        same &= memcmp(a->K[k], b->K[k], cells * sizeof(double)) == 0;
        same &= (a->K_flip == NULL) == (b->K_flip == NULL);
        if (same && a->K_flip) same &= memcmp(a->K_flip[k], b->K_flip[k], cells * sizeof(double)) == 0;
        same &= memcmp(a->f0[k], b->f0[k], (size_t)a->n_x[k] * D * sizeof(float)) == 0;
    }
    return same && memcmp(a->f0_train, b->f0_train, (size_t)a->n_train * D * sizeof(float)) == 0;
}

/* Features of training rows [r0, r1) as a worker would get them from the
 * cache: computed, packed, unpacked. */
static lm_kernel_train_features *features(job *j, const lm_kernel_options *opt, int r0, int r1) {
    lm_error err;
    lm_kernel_train_features *tf = lm_kernel_train_features_compute(&j->fx.m, &j->os, opt, &j->train, r0, r1, &err);
    CHECK_MSG(tf != NULL, "%s", err.msg);
    if (!tf) return NULL;
    size_t len;
    void *bytes = lm_kernel_train_features_pack(tf, &j->fx.m, &j->os, &len);
    lm_kernel_train_features_free(tf);
    tf = lm_kernel_train_features_unpack(&j->fx.m, &j->os, opt, &j->train, bytes, len, &err);
    CHECK_MSG(tf != NULL, "%s", err.msg);
    free(bytes);
    return tf;
}

/* One tiling: the training rows in t_parts, each set in x_parts. */
static int tiled(job *j, const lm_kernel_options *base, int t_parts, int x_parts, int tight, int use_tf,
                 lm_kernel_result *res) {
    lm_error err;
    lm_kernel_options opt = *base;
    int n_x[3] = {N_TRAIN, N_DEV, N_TEST}, tb[N_TRAIN + 1], xb[N_TEST + 1], ok = 1;
    lm_kernel_result_alloc(res, N_TRAIN, 3, n_x, lm_output_dim(&j->os), opt.formula == LM_KF_ASYM);
    int nt = lm_kernel_split(&j->fx.m, &j->os, &opt, &j->train, t_parts, tb);
    for (int a = 0; a < nt && ok; a++) {
        lm_kernel_train_features *tf = use_tf ? features(j, &opt, tb[a], tb[a + 1]) : NULL;
        for (int s = 0; s < 3 && ok; s++) {
            int nx = lm_kernel_split(&j->fx.m, &j->os, &opt, &j->sets[s], x_parts, xb);
            CHECK(nx == (x_parts < nx ? x_parts : nx) && xb[nx] == j->sets[s].n);
            for (int b = 0; b < nx && ok; b++) {
                size_t budget = 0;
                opt.mem_budget = 0;
                if (tight)
                    CHECK(lm_kernel_tile_min_memory(&j->fx.m, &j->os, &opt, &j->train, tb[a], tb[a + 1],
                                                    &j->sets[s], xb[b], xb[b + 1], tf, &budget, &err) == 0);
                opt.mem_budget = budget;
                lm_kernel_tile t, back;
                ok = lm_kernel_tile_compute(&j->fx.m, &j->os, &opt, &j->train, tb[a], tb[a + 1], &j->sets[s],
                                            s, xb[b], xb[b + 1], tf, &t, &err) == 0;
                CHECK_MSG(ok, "tile [%d,%d) x set %d [%d,%d): %s", tb[a], tb[a + 1], s, xb[b], xb[b + 1], err.msg);
                if (!ok) break;
                size_t len;
                void *bytes = lm_kernel_tile_pack(&t, &len);
                CHECK(lm_kernel_tile_unpack(bytes, len, &back, &err) == 0);
                CHECK(lm_kernel_result_merge(res, &back, &err) == 0);
                free(bytes);
                lm_kernel_tile_free(&t);
                lm_kernel_tile_free(&back);
            }
        }
        lm_kernel_train_features_free(tf);
    }
    return ok;
}

/* The tilings of a job: shard counts, and (least budget, threads, shared
 * features) combinations in which every two of the three meet each of
 * their four pairs of values. */
static const int combos[4][3] = {{0, 1, 0}, {1, 2, 0}, {0, 2, 1}, {1, 1, 1}};

static void check_job(job *j, lm_kernel_formula f, lm_param_set ps, int sgd_method, int full_matrix) {
    lm_error err;
    lm_kernel_options opt = {.formula = f, .params = ps, .sgd_method = sgd_method,
                             .block_tokens = BLOCK_TOKENS, .lora = &j->lora};
    lm_kernel_result full;
    openblas_set_num_threads(2);
    int rc = lm_kernel_compute(&j->fx.m, &j->os, &opt, &j->train, j->sets, 3, &full, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc) return;
    int shards[] = {1, 2, 3, 7}, n_ok = 0, n_all = 0;
    for (int si = full_matrix ? 0 : 2; si < 4; si++)
        for (int c = 0; c < (full_matrix ? 4 : 2); c++) {
                    int tight = combos[c][0], threads = combos[c][1], use_tf = combos[c][2];
                    openblas_set_num_threads(threads);
                    int s = shards[si];
                    lm_kernel_result res;
                    if (!tiled(j, &opt, s > 1 ? 2 : 1, s, tight, use_tf, &res)) {
                        lm_kernel_result_free(&res);
                        continue;
                    }
                    int same = same_result(&full, &res);
                    CHECK_MSG(same, "formula %d params %d sgd %d: %d shards, %s budget, %d threads%s differ", f,
                              ps, sgd_method, s, tight ? "least" : "large", threads, use_tf ? ", features" : "");
                    n_ok += same;
                    n_all++;
                    lm_kernel_result_free(&res);
                }
    /* the unsharded job at its least budget, one thread: the same bits */
    size_t min;
    openblas_set_num_threads(1);
    CHECK(lm_kernel_min_memory(&j->fx.m, &j->os, &opt, &j->train, j->sets, 3, &min, &err) == 0);
    opt.mem_budget = min;
    lm_kernel_result lean;
    CHECK_MSG(lm_kernel_compute(&j->fx.m, &j->os, &opt, &j->train, j->sets, 3, &lean, &err) == 0, "%s", err.msg);
    CHECK(same_result(&full, &lean));
    lm_kernel_result_free(&lean);
    fprintf(stderr, "formula %d params %d sgd %d: %d of %d tilings equal the whole kernel bit for bit\n", f, ps,
            sgd_method, n_ok, n_all);
    lm_kernel_result_free(&full);
}

/* Bad tiles and features are refused with a reason. */
static void check_refusals(job *j) {
    lm_error err;
    lm_kernel_options opt = {.formula = LM_KF_SGD, .block_tokens = BLOCK_TOKENS};
    int nb, *start = lm_kernel_blocks(&j->fx.m, &j->os, &opt, &j->sets[1], &nb);
    CHECK(nb > 1 && start[nb] == N_DEV);
    int mid = start[1] + 1 < start[2] ? start[1] + 1 : -1; /* inside a block of two or more */
    for (int b = 1; b < nb && mid < 0; b++)
        if (start[b + 1] - start[b] > 1) mid = start[b] + 1;
    lm_kernel_tile t;
    if (mid > 0) {
        CHECK(lm_kernel_tile_compute(&j->fx.m, &j->os, &opt, &j->train, 0, N_TRAIN, &j->sets[1], 1, 0, mid, NULL,
                                     &t, &err) != 0);
        CHECK_MSG(strstr(err.msg, "whole blocks") != NULL, "%s", err.msg);
    }
    free(start);
    /* features of another training set */
    lm_kernel_train_features *tf = lm_kernel_train_features_compute(&j->fx.m, &j->os, &opt, &j->train, 0,
                                                                    N_TRAIN, &err);
    size_t len;
    void *bytes = lm_kernel_train_features_pack(tf, &j->fx.m, &j->os, &len);
    lm_encoded_example other[N_TRAIN];
    memcpy(other, j->ex, sizeof other);
    int32_t *ids = lm_xmalloc((size_t)other[0].n_tokens * sizeof *ids);
    memcpy(ids, other[0].ids, (size_t)other[0].n_tokens * sizeof *ids);
    ids[0] = ids[0] == 3 ? 4 : 3;
    other[0].ids = ids;
    lm_example_set ot = {N_TRAIN, other};
    CHECK(lm_kernel_train_features_unpack(&j->fx.m, &j->os, &opt, &ot, bytes, len, &err) == NULL);
    CHECK_MSG(strstr(err.msg, "other examples") != NULL, "%s", err.msg);
    CHECK(lm_kernel_train_features_unpack(&j->fx.m, &j->os, &opt, &j->train, bytes, len - 1, &err) == NULL);
    lm_kernel_options other_blocks = opt;
    other_blocks.block_tokens = BLOCK_TOKENS + 1;
    CHECK(lm_kernel_train_features_unpack(&j->fx.m, &j->os, &other_blocks, &j->train, bytes, len, &err) == NULL);
    free(ids);
    free(bytes);
    lm_kernel_train_features_free(tf);
    /* a tile's bytes cut short */
    CHECK(lm_kernel_tile_compute(&j->fx.m, &j->os, &opt, &j->train, 0, N_TRAIN, &j->sets[1], 1, 0, N_DEV, NULL,
                                 &t, &err) == 0);
    bytes = lm_kernel_tile_pack(&t, &len);
    lm_kernel_tile back;
    CHECK(lm_kernel_tile_unpack(bytes, len - 8, &back, &err) != 0);
    /* a header whose sizes multiply past 2^64 to the length it comes with */
    int32_t wrap[8] = {0, 0, 0, 1 << 30, 0, 1 << 30, 1 << 30, 0};
    memcpy(wrap, bytes, sizeof(int32_t)); /* the magic */
    CHECK(lm_kernel_tile_unpack(wrap, sizeof wrap, &back, &err) != 0);
    CHECK_MSG(strstr(err.msg, "bad header") != NULL, "%s", err.msg);
    free(bytes);
    lm_kernel_tile_free(&t);
}

/* lm_kernel_split_sets: every part count cuts the three sets' blocks into
 * consecutive runs that cover each set once, every part holds some blocks,
 * and no part holds more work than an equal share and one block. */
static void check_split_sets(job *j) {
    lm_kernel_options opt = {.formula = LM_KF_SGD, .params = LM_PS_ALL, .block_tokens = BLOCK_TOKENS};
    int all = 0, examples = 0, nb_of[3];
    double tokens = 0, biggest = 0;
    for (int s = 0; s < 3; s++)
        for (int e = 0; e < j->sets[s].n; e++) tokens += j->sets[s].ex[e].n_tokens, examples++;
    /* a block's work as the split weighs it: tokens + examples x mean tokens */
    double mean = tokens / examples, total = 2 * tokens;
    for (int s = 0; s < 3; s++) {
        int nb;
        int *start = lm_kernel_blocks(&j->fx.m, &j->os, &opt, &j->sets[s], &nb);
        nb_of[s] = nb;
        for (int b = 0; b < nb; b++) {
            double w = 0;
            for (int e = start[b]; e < start[b + 1]; e++) w += j->sets[s].ex[e].n_tokens + mean;
            if (w > biggest) biggest = w;
        }
        all += nb;
        free(start);
    }
    for (int want = 1; want <= all + 3; want++) {
        int *c0 = lm_xcalloc((size_t)want * 3, sizeof *c0), *c1 = lm_xcalloc((size_t)want * 3, sizeof *c1);
        int got_blocks[3];
        int parts = lm_kernel_split_sets(&j->fx.m, &j->os, &opt, j->sets, 3, want, c0, c1, got_blocks);
        CHECK_MSG(parts == (want < all ? want : all), "%d parts asked, %d blocks: %d parts", want, all, parts);
        for (int s = 0; s < 3; s++) CHECK(got_blocks[s] == nb_of[s]);
        int next[3] = {0, 0, 0};
        for (int p = 0; p < parts; p++) {
            double w = 0;
            for (int s = 0; s < 3; s++) {
                int lo = c0[p * 3 + s], hi = c1[p * 3 + s];
                if (lo == hi) continue;
                CHECK_MSG(lo == next[s] && hi > lo, "parts %d: part %d of set %d is [%d,%d), %d expected first",
                          parts, p, s, lo, hi, next[s]);
                next[s] = hi;
                for (int e = lo; e < hi; e++) w += j->sets[s].ex[e].n_tokens + mean;
            }
            CHECK_MSG(w > 0, "parts %d: part %d is empty", parts, p);
            CHECK_MSG(w <= total / parts + biggest + 1e-9, "parts %d: part %d holds %.1f of %.1f", parts, p, w, total);
        }
        for (int s = 0; s < 3; s++) CHECK_MSG(next[s] == j->sets[s].n, "parts %d: set %d covered to %d", parts, s, next[s]);
        free(c0);
        free(c1);
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        job j;
        memset(&j, 0, sizeof j);
        if (load(argv[i], &j.fx)) {
            CHECK(0);
            continue;
        }
        make_examples(&j, 11 + i);
        /* every formula (sgd both ways) fully, then the other parameter
         * sets with 3 and 7 shards */
        check_job(&j, LM_KF_SGD, LM_PS_ALL, 1, 1);
        check_job(&j, LM_KF_SGD, LM_PS_ALL, 2, 1);
        check_job(&j, LM_KF_SIGNGD, LM_PS_ALL, 0, 1);
        check_job(&j, LM_KF_ASYM, LM_PS_ALL, 0, 1);
        check_job(&j, LM_KF_SGD, LM_PS_NO_HEAD, 1, 0);
        check_job(&j, LM_KF_SGD, LM_PS_BIASES, 2, 0);
        check_job(&j, LM_KF_SIGNGD, LM_PS_NO_EMBEDDINGS, 0, 0);
        check_job(&j, LM_KF_ASYM, LM_PS_LORA, 0, 0);
        check_refusals(&j);
        check_split_sets(&j);
        free_job(&j);
    }
    return check_exit("test_shards");
}
