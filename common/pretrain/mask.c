/* mask.c - dynamic 15% / 80-10-10 masking. */
#include "pretrain/mask.h"

static void corrupt(const lm_mask_config *c, int32_t *id, lm_rng *rng) {
    double r = lm_rng_uniform(rng);
    if (r < 0.8) *id = c->mask_id;
    else if (r < 0.9) *id = c->first_ordinary + (int32_t)lm_rng_below(rng, (uint64_t)(c->mask_id - c->first_ordinary));
}

int lm_mask_tokens(const lm_mask_config *c, int32_t *ids, int32_t *labels, int n, lm_rng *rng) {
    int sel = 0, n_ord = 0;
    for (int i = 0; i < n; i++) {
        labels[i] = -1;
        if (ids[i] < c->first_ordinary || ids[i] == c->mask_id) continue;
        n_ord++;
        if (lm_rng_uniform(rng) >= c->prob) continue;
        labels[i] = ids[i];
        corrupt(c, &ids[i], rng);
        sel++;
    }
    if (sel == 0 && n_ord > 0) {
        int k = (int)lm_rng_below(rng, (uint64_t)n_ord);
        for (int i = 0; i < n; i++) {
            if (ids[i] < c->first_ordinary || ids[i] == c->mask_id) continue;
            if (k-- == 0) {
                labels[i] = ids[i];
                corrupt(c, &ids[i], rng);
                sel = 1;
                break;
            }
        }
    }
    return sel;
}
