/* test_budget.c - memory budgets (issue 15): a 2-layer, hidden-512 model
 * with a 1000-byte budget (which overflowed the plan's segment array
 * before) is refused with the job's minimum stated; a budget of exactly
 * that minimum runs and gives the same kernel, bit for bit, as a large
 * one; one byte less is refused.  Every formula, default and small blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "kernel/kernel.h"
#include "util/rng.h"

#define N_TRAIN 4
#define N_EVAL 3

static void model_2x512(lm_model *m) {
    lm_config cfg = {.arch = LM_ARCH_ROBERTA, .vocab_size = 1000, .hidden = 512, .n_layers = 2,
                     .n_heads = 8, .intermediate = 2048, .max_positions = 130, .type_vocab_size = 1,
                     .pad_token_id = 1, .ln_eps = 1e-5f, .act = LM_ACT_GELU};
    lm_load_options lo = {.decoder = LM_DECODER_SEPARATE};
    lm_model_init_empty(m, &cfg, &lo);
    lm_model_init_random(m, 3, 0.02f);
}

static int same(const lm_kernel_result *a, const lm_kernel_result *b) {
    int ok = 1;
    for (int k = 0; k < a->n_sets; k++) {
        size_t cells = (size_t)a->n_train * a->dim * a->n_x[k] * a->dim;
        ok &= memcmp(a->K[k], b->K[k], cells * sizeof(double)) == 0;
        if (a->K_flip) ok &= memcmp(a->K_flip[k], b->K_flip[k], cells * sizeof(double)) == 0;
    }
    return ok;
}

static void check_budgets(lm_model *m, const lm_output_spec *os, lm_example_set *sets, lm_kernel_formula f,
                          int block_tokens) {
    lm_error err;
    lm_kernel_options opt = {.formula = f, .block_tokens = block_tokens};
    lm_kernel_result big, lean, r;
    size_t min = 0;
    CHECK(lm_kernel_min_memory(m, os, &opt, &sets[0], sets, 2, &min, &err) == 0);
    CHECK(min > 1000);
    /* refused, with the minimum in the message */
    opt.mem_budget = 1000;
    CHECK(lm_kernel_compute(m, os, &opt, &sets[0], sets, 2, &r, &err) != 0);
    char want[64];
    snprintf(want, sizeof want, "the %.1f MiB this job needs at least", min / 1048576.0);
    CHECK_MSG(strstr(err.msg, want) != NULL, "'%s' does not state '%s'", err.msg, want);
    opt.mem_budget = min - 1;
    CHECK(lm_kernel_compute(m, os, &opt, &sets[0], sets, 2, &r, &err) != 0);
    /* exactly the minimum: runs, within it, and the same bits as 6 GiB */
    opt.mem_budget = min;
    int rc = lm_kernel_compute(m, os, &opt, &sets[0], sets, 2, &lean, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    opt.mem_budget = 0;
    CHECK(lm_kernel_compute(m, os, &opt, &sets[0], sets, 2, &big, &err) == 0);
    if (rc == 0) {
        CHECK(lean.peak_bytes <= min);
        CHECK(same(&big, &lean));
        lm_kernel_result_free(&lean);
    }
    fprintf(stderr, "formula %d, blocks of %d tokens: least budget %.2f MiB (planned peak at 6 GiB %.2f MiB)\n", f,
            lm_kernel_block_tokens(m, os, &opt), min / 1048576.0, big.peak_bytes / 1048576.0);
    lm_kernel_result_free(&big);
}

int main(void) {
    lm_model m;
    model_2x512(&m);
    lm_rng rng;
    lm_rng_seed(&rng, 9);
    lm_encoded_example ex[N_TRAIN + N_EVAL];
    for (int i = 0; i < N_TRAIN + N_EVAL; i++) {
        ex[i].n_tokens = 8 + (int)(lm_rng_uniform(&rng) * 12);
        ex[i].ids = lm_xmalloc((size_t)ex[i].n_tokens * sizeof(int32_t));
        for (int t = 0; t < ex[i].n_tokens; t++) ex[i].ids[t] = 3 + (int)(lm_rng_uniform(&rng) * 990);
        ex[i].type_ids = NULL;
        ex[i].mask_pos = ex[i].n_tokens / 2;
        ex[i].label = 0;
    }
    int32_t words[2] = {17, 42};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = words};
    lm_example_set sets[2] = {{N_TRAIN, ex}, {N_EVAL, ex + N_TRAIN}};
    lm_kernel_formula fs[3] = {LM_KF_SGD, LM_KF_SIGNGD, LM_KF_ASYM};
    for (int f = 0; f < 3; f++) {
        check_budgets(&m, &os, sets, fs[f], 0);
        check_budgets(&m, &os, sets, fs[f], 24); /* several blocks per set */
    }
    for (int i = 0; i < N_TRAIN + N_EVAL; i++) free(ex[i].ids);
    lm_model_free(&m);
    return check_exit("test_budget");
}
