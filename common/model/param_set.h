/* param_set.h - the parameter sets a kernel or a fine-tuning run covers
 * (spec §4.1), and their names as specs, the CLI and the API write them.
 *
 * The names are data with no code behind them (inline tables), so that
 * spec/ and the daemon share this one vocabulary without linking the
 * model; lm_param_set_includes and lm_param_set_size (param_set.c) need the
 * model. */
#ifndef LM_MODEL_PARAM_SET_H
#define LM_MODEL_PARAM_SET_H

#include <stddef.h>
#include "util/names.h"

typedef enum {
    LM_PS_ALL = 0,        /* every parameter (spec default) */
    LM_PS_NO_EMBEDDINGS,  /* names containing "embed" excluded; decoder kept (spec §4.1) */
    LM_PS_NO_HEAD,        /* the LM head (and classifier) excluded */
    LM_PS_BIASES,         /* names containing "bias" only (BitFit) */
    LM_PS_LORA,           /* LoRA factors of chosen weights + the heads (spec §4.1) */
    LM_PS_COUNT
} lm_param_set;

static const char *const lm_param_set_names[LM_PS_COUNT] = {"all", "no_embeddings", "no_head", "biases", "lora"};
/* what each set is, in a few words (the dashboard's labels) */
static const char *const lm_param_set_labels[LM_PS_COUNT] = {"all", "no embeddings", "no head",
                                                             "biases (BitFit)", "LoRA"};

/* "all", "no_embeddings", ...; NULL outside the enum. */
static inline const char *lm_param_set_name(lm_param_set p) {
    return lm_name_of(lm_param_set_names, LM_PS_COUNT, 0, (int)p);
}
static inline const char *lm_param_set_description(lm_param_set p) {
    return lm_name_of(lm_param_set_labels, LM_PS_COUNT, 0, (int)p);
}
/* The set of a name, -1 for none. */
static inline int lm_param_set_parse(const char *name) {
    return lm_name_find(lm_param_set_names, LM_PS_COUNT, 0, name);
}

struct lm_model;
/* Whether a parameter tensor belongs to a parameter set (LoRA: the heads;
 * its factors are not model tensors). */
int lm_param_set_includes(const struct lm_model *m, int tensor, lm_param_set ps);
/* Number of coordinates in the set (grad_dim of the reference). */
size_t lm_param_set_size(const struct lm_model *m, lm_param_set ps);

#endif
