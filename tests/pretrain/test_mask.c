/* test_mask.c - RoBERTa's dynamic masking on a large sample: 15% of ordinary
 * tokens selected, of those 80% <mask>, 10% a random ordinary token, 10%
 * unchanged; special tokens never selected. */
#include <stdlib.h>
#include "../check.h"
#include "pretrain/mask.h"

int main(void) {
    enum { N = 1000000, V = 1000 };
    int32_t *ids = malloc(N * sizeof *ids), *orig = malloc(N * sizeof *orig);
    int32_t *labels = malloc(N * sizeof *labels);
    lm_rng rng;
    lm_rng_seed(&rng, 7);
    for (int i = 0; i < N; i++) {
        /* every 50th token special (<s>, </s>, <pad>, <unk>) */
        orig[i] = ids[i] = i % 50 == 0 ? (int32_t)(i / 50 % 4) : 4 + (int32_t)lm_rng_below(&rng, V - 5);
    }
    lm_mask_config c = {.prob = 0.15, .mask_id = V - 1, .first_ordinary = 4, .vocab_size = V};
    int sel = lm_mask_tokens(&c, ids, labels, N, &rng);
    long n_ord = 0, n_sel = 0, n_mask = 0, n_rand = 0, n_keep = 0, bad = 0;
    for (int i = 0; i < N; i++) {
        if (orig[i] < 4) {
            bad += labels[i] != -1 || ids[i] != orig[i];
            continue;
        }
        n_ord++;
        if (labels[i] < 0) { bad += ids[i] != orig[i]; continue; }
        n_sel++;
        bad += labels[i] != orig[i];
        if (ids[i] == V - 1) n_mask++;
        else if (ids[i] == orig[i]) n_keep++;
        else { n_rand++; bad += ids[i] < 4 || ids[i] >= V - 1; }
    }
    /* a random replacement equal to the original counts as kept: 1/(V-5) of 10% */
    CHECK(sel == n_sel);
    CHECK(bad == 0);
    double p = (double)n_sel / n_ord;
    CHECK_MSG(p > 0.1485 && p < 0.1515, "selected %.4f", p);
    CHECK_MSG(fabs((double)n_mask / n_sel - 0.8) < 0.004, "mask %.4f", (double)n_mask / n_sel);
    CHECK_MSG(fabs((double)n_rand / n_sel - 0.1) < 0.003, "random %.4f", (double)n_rand / n_sel);
    CHECK_MSG(fabs((double)n_keep / n_sel - 0.1) < 0.003, "kept %.4f", (double)n_keep / n_sel);

    /* a batch where chance selects nothing still gets one prediction */
    int32_t few[3] = {0, 17, 2}, lab[3];
    lm_mask_config c0 = c;
    c0.prob = 0;
    CHECK(lm_mask_tokens(&c0, few, lab, 3, &rng) == 1);
    CHECK(lab[0] == -1 && lab[1] == 17 && lab[2] == -1);
    int32_t only_special[2] = {0, 2};
    CHECK(lm_mask_tokens(&c0, only_special, lab, 2, &rng) == 0);
    free(ids);
    free(orig);
    free(labels);
    return check_exit("test_mask");
}
