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
#include <string.h>

typedef enum {
    LM_PS_ALL = 0,        /* every parameter (spec default) */
    LM_PS_NO_EMBEDDINGS,  /* names containing "embed" excluded; decoder kept (spec §4.1) */
    LM_PS_NO_HEAD,        /* the LM head (and classifier) excluded */
    LM_PS_BIASES,         /* names containing "bias" only (BitFit) */
    LM_PS_LORA,           /* LoRA factors of chosen weights + the heads (spec §4.1) */
    LM_PS_COUNT
} lm_param_set;

/* "all", "no_embeddings", ...; NULL outside the enum. */
static inline const char *lm_param_set_name(lm_param_set p) {
    static const char *const names[LM_PS_COUNT] = {"all", "no_embeddings", "no_head", "biases", "lora"};
    return (unsigned)p < LM_PS_COUNT ? names[p] : NULL;
}

/* What each set is, in a few words (the dashboard's labels). */
static inline const char *lm_param_set_description(lm_param_set p) {
    static const char *const text[LM_PS_COUNT] = {"all", "no embeddings", "no head", "biases (BitFit)",
                                                  "LoRA"};
    return (unsigned)p < LM_PS_COUNT ? text[p] : NULL;
}

/* The set of a name, -1 for none. */
static inline int lm_param_set_parse(const char *name) {
    for (int p = 0; name && p < LM_PS_COUNT; p++)
        if (!strcmp(name, lm_param_set_name((lm_param_set)p))) return p;
    return -1;
}

struct lm_model;
/* Whether a parameter tensor belongs to a parameter set (LoRA: the heads;
 * its factors are not model tensors). */
int lm_param_set_includes(const struct lm_model *m, int tensor, lm_param_set ps);
/* Number of coordinates in the set (grad_dim of the reference). */
size_t lm_param_set_size(const struct lm_model *m, lm_param_set ps);

#endif
