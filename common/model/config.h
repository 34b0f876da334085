/* config.h - the architecture of a RoBERTa or BERT masked LM, read from a
 * HuggingFace config.json. */
#ifndef LM_MODEL_CONFIG_H
#define LM_MODEL_CONFIG_H

#include "util/error.h"

typedef enum { LM_ARCH_ROBERTA = 1, LM_ARCH_BERT = 2 } lm_arch;
typedef enum { LM_ACT_GELU = 1, LM_ACT_GELU_TANH = 2, LM_ACT_RELU = 3 } lm_act;

typedef struct lm_config {
    lm_arch arch;
    int vocab_size;
    int hidden;          /* H */
    int n_layers;
    int n_heads;
    int intermediate;    /* I, the FFN width */
    int max_positions;
    int type_vocab_size;
    int pad_token_id;
    float ln_eps;
    lm_act act;
    int tie_word_embeddings; /* HuggingFace default: 1 */
} lm_config;

/* Parses config.json text; every missing or malformed key is an error that
 * names it (`what` names the file in messages). */
int lm_config_parse(const char *json, const char *what, lm_config *cfg, lm_error *err);
int lm_config_load(const char *dir, lm_config *cfg, lm_error *err);
/* Writes config.json text (HuggingFace format) for a config; caller frees. */
char *lm_config_to_json(const lm_config *cfg);

#endif
