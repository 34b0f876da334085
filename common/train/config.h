/* config.h - a fine-tuning method as a spec describes it (spec §6.1): the
 * optimizer, its learning-rate and batch-size grids, the schedule, the
 * parameter set, LoRA, the linearized model; with the names specs use.
 *
 * Plain data with inline name tables: spec/ fills these structs when it
 * parses a spec (and the daemon reads the names) without linking train/;
 * train/ takes them as they are, so there is no second copy to map. */
#ifndef LM_TRAIN_CONFIG_H
#define LM_TRAIN_CONFIG_H

#include <stdint.h>
#include "model/param_set.h"
#include "util/names.h"

#define LM_FINETUNE_MAX_GRID 32

typedef enum { LM_OPT_ADAMW = 0, LM_OPT_SGD = 1, LM_OPT_SIGNGD = 2, LM_OPT_COUNT } lm_opt_kind;

static const char *const lm_opt_names[LM_OPT_COUNT] = {"adam", "sgd", "signgd"};
/* for people: the paper's short name ("Adam", as in "Adam-FT"), what runs */
static const char *const lm_opt_labels[LM_OPT_COUNT] = {"Adam", "SGD", "SignGD"};
static const char *const lm_opt_texts[LM_OPT_COUNT] = {"Adam(W)", "SGD", "SignGD"};

/* "adam", "sgd", "signgd"; NULL outside the enum. */
static inline const char *lm_opt_name(lm_opt_kind o) { return lm_name_of(lm_opt_names, LM_OPT_COUNT, 0, (int)o); }
static inline const char *lm_opt_label(lm_opt_kind o) { return lm_name_of(lm_opt_labels, LM_OPT_COUNT, 0, (int)o); }
static inline const char *lm_opt_description(lm_opt_kind o) {
    return lm_name_of(lm_opt_texts, LM_OPT_COUNT, 0, (int)o);
}
static inline int lm_opt_parse(const char *name) { return lm_name_find(lm_opt_names, LM_OPT_COUNT, 0, name); }

typedef enum { LM_LORA_INIT_KAIMING = 0, LM_LORA_INIT_GAUSSIAN, LM_LORA_INIT_COUNT } lm_lora_init_kind;

static const char *const lm_lora_init_names[LM_LORA_INIT_COUNT] = {"kaiming_uniform", "gaussian"};

static inline const char *lm_lora_init_name(lm_lora_init_kind i) {
    return lm_name_of(lm_lora_init_names, LM_LORA_INIT_COUNT, 0, (int)i);
}
static inline int lm_lora_init_parse(const char *name) {
    return lm_name_find(lm_lora_init_names, LM_LORA_INIT_COUNT, 0, name);
}

/* LoRA target bits (lm_lora_config.targets). */
enum {
    LM_LORA_QUERY = 1 << 0,
    LM_LORA_KEY = 1 << 1,
    LM_LORA_VALUE = 1 << 2,
    LM_LORA_ATTENTION_OUTPUT = 1 << 3,
    LM_LORA_INTERMEDIATE = 1 << 4,
    LM_LORA_OUTPUT = 1 << 5
};

static const char *const lm_lora_target_names[] = {"query", "key", "value", "attention_output", "intermediate",
                                                   "output"};

/* Name of one LM_LORA_* bit ("query"), NULL for anything else. */
static inline const char *lm_lora_target_name(unsigned bit) {
    for (unsigned i = 0; i < sizeof lm_lora_target_names / sizeof lm_lora_target_names[0]; i++)
        if (bit == 1u << i) return lm_lora_target_names[i];
    return NULL;
}

typedef struct lm_lora_config {
    int r;                   /* default 8 */
    double alpha;            /* default 16 */
    unsigned targets;        /* LM_LORA_* bits; default QUERY|VALUE */
    lm_lora_init_kind init;  /* default KAIMING */
    int b_gaussian;          /* b_init "gaussian" (default "zero") */
    uint32_t seed;           /* default 0 */
} lm_lora_config;

typedef struct lm_finetune_config {
    lm_opt_kind optimizer;   /* default ADAMW ("adam") */
    int n_lr;
    double lr[LM_FINETUNE_MAX_GRID]; /* required */
    int n_batch_size;
    int batch_size[LM_FINETUNE_MAX_GRID]; /* default {8} */
    int steps;               /* default 1000 */
    int warmup;              /* default 0 */
    int eval_every;          /* default 100 */
    double weight_decay;     /* default 0 */
    double max_grad_norm;    /* default 1; 0 = no clipping */
    lm_param_set params;     /* default ALL (LORA when lora given) */
    lm_lora_config lora;     /* used when params == LORA */
    int linearized;          /* default 0 */
    int has_seed;            /* 0: the job's data seed */
    uint32_t seed;
    int save_weights;        /* default 0: keep θ_FT as a model folder */
} lm_finetune_config;

#endif
