/* shape.c - a model's sizes from its config (see shape.h). */
#include "model/shape.h"

size_t lm_encoder_bytes_per_token(const lm_config *c, int R, int keep_all) {
    size_t H = (size_t)c->hidden, I = (size_t)c->intermediate, L = (size_t)c->n_layers;
    size_t acts = 4 * H + L * (9 * H + 2 * I + 2);
    size_t deltas = (size_t)R * ((keep_all ? L : 1) * (5 * H + I) + 4 * H + I);
    return (acts + deltas) * sizeof(float);
}

void lm_config_roberta_mlm(int vocab_size, int hidden, int layers, int heads, int intermediate,
                           int block, lm_config *mc) {
    *mc = (lm_config){.arch = LM_ARCH_ROBERTA, .vocab_size = vocab_size, .hidden = hidden,
                      .n_layers = layers, .n_heads = heads, .intermediate = intermediate,
                      .max_positions = block + 2, .type_vocab_size = 1, .pad_token_id = 1,
                      .ln_eps = 1e-5f, .act = LM_ACT_GELU, .tie_word_embeddings = 1};
}
