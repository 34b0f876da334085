/* spec.h - experiment specs: validation, parsing, normalisation.
 *
 * A spec is JSON, described by schema/experiment.schema.json (embedded into
 * the binary at build time; the .json file is the single source of truth).
 * Checking a spec is two steps, both done by lm_spec_validate and
 * lm_spec_parse:
 *   1. strict JSON (json_strict.h: duplicate keys, bad UTF-8, 1e400 ...) and
 *      the schema (types, bounds, enums, unknown fields);
 *   2. the rules between fields that a schema cannot say (task "custom"
 *      needs labels, binary needs 2 classes, warmup <= steps, ...).
 * On failure `field` is the JSON path of the offending value, e.g.
 * "solver.regularization[1]" ("" for malformed JSON or the whole document),
 * and err->msg only the reason ("must be >= 0"): print `field: msg`.
 *
 * lm_spec_parse fills every default and turns every grid field (value or
 * array) into an array.  lm_spec_to_json gives the normalised form with the
 * same content: fixed key order, defaults filled, grids as arrays; it is
 * what is stored and hashed, and it parses back to the same lm_spec. */
#ifndef LM_SPEC_SPEC_H
#define LM_SPEC_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "diag/thresholds.h"
#include "kernel/formula.h"
#include "model/param_set.h"
#include "solve/solver_kind.h"
#include "train/config.h"
#include "util/error.h"

/* Larger documents are refused before parsing. */
#define LM_SPEC_MAX_BYTES (1u << 20)

/* Capacities; the schema's maxItems are at most these (checked by tests). */
#define LM_SPEC_MAX_SEEDS 32
#define LM_SPEC_MAX_GRID LM_FINETUNE_MAX_GRID /* the same parser fills both kinds of grid */
#define LM_SPEC_MAX_FORMULAS 3
#define LM_SPEC_MAX_SOLVERS 5
#define LM_SPEC_MAX_FINETUNE 16

typedef enum { LM_SPEC_PREC_FP32 = 0, LM_SPEC_PREC_FP64, LM_SPEC_PREC_BF16 } lm_spec_precision;

typedef struct lm_spec_kernel {
    int n_formulas;
    lm_kernel_formula formulas[LM_SPEC_MAX_FORMULAS]; /* default {SGD} */
    lm_param_set params;                              /* default ALL */
    lm_lora_config lora;                              /* used when params == LORA */
    int64_t projection_dim;                         /* 0 = exact, no projection */
    uint32_t projection_seed;                       /* default 0 */
    lm_spec_precision precision;                    /* default FP32 */
    int shards;                                     /* tile jobs per kernel; 0 = "auto" */
    int block_tokens;                               /* tokens per canonical block; 0 = the model's */
} lm_spec_kernel;

typedef struct lm_spec_solver {
    int n_names;
    lm_solver_kind names[LM_SPEC_MAX_SOLVERS]; /* default {LOGISTIC} */
    int n_regularization;
    double regularization[LM_SPEC_MAX_GRID]; /* lambda; default {0} */
    int n_f0_scaling;
    double f0_scaling[LM_SPEC_MAX_GRID]; /* s, 0 disables; default {0} */
    int n_asym_lambda;
    double asym_lambda[LM_SPEC_MAX_GRID]; /* default {0.5} */
    int n_gamma;
    double gamma[LM_SPEC_MAX_GRID]; /* default {1} */
} lm_spec_solver;

/* A pre-training experiment (spec "pretrain"): one job, common/pretrain. */
#define LM_SPEC_MAX_CORPUS 16
#define LM_SPEC_MAX_SAVE_STEPS 256
typedef struct lm_spec_pretrain {
    char *tokenizer;                      /* model name or folder */
    int n_corpus;
    char *corpus[LM_SPEC_MAX_CORPUS];     /* under the data root */
    char *out;                            /* run name: models <out>/checkpoint-<step> */
    char *resume;                         /* NULL: the newest checkpoint of out, if any */
    int layers, hidden, heads, ffn, block, batch; /* defaults 4, 256, 4, 1024, 128, 16 */
    int steps;                            /* default 1000 */
    int warmup;                           /* default 6% of steps */
    double lr, weight_decay, mask_prob;   /* defaults 1e-3, 0.01, 0.15 */
    double init_std;                      /* default 0.05 */
    char *pos_init;                       /* "normal" or "sinusoidal" (default) */
    uint32_t seed;                        /* default 42 */
    int n_save_steps;
    int save_steps[LM_SPEC_MAX_SAVE_STEPS];
    int log_every;                        /* default 10 */
} lm_spec_pretrain;

typedef struct lm_spec {
    char *name;        /* NULL if absent */
    char *description; /* NULL if absent */
    int is_pretrain;   /* a pre-training experiment: only `pretrain` below is set */
    lm_spec_pretrain pretrain;
    char *model;       /* NULL: the built-in default model (or see checkpoints) */
    int n_checkpoints; /* 0: no sweep */
    char **checkpoints;
    char *task; /* "SST-2" ... "ag_news" or "custom", as in the schema */
    char *data; /* split root holding <k>-<seed>/ */
    int k;      /* default 16 */
    int n_seeds;
    uint32_t seeds[LM_SPEC_MAX_SEEDS]; /* default 13 21 42 87 100 */
    int prompt;                        /* default 1 */
    int binary;                        /* default 0 */
    char *prompt_template;             /* "template"; NULL: the task's */
    int n_label_words;                 /* 0: the task's */
    char **label_words;
    int n_labels; /* 0: the task's */
    char **labels;
    int n_classes;  /* C: labels given, else the task's */
    int max_length; /* 0: the task's */
    int has_kernel; /* kernel methods run (explicit, or by default without finetune) */
    lm_spec_kernel kernel;
    lm_spec_solver solver;
    int n_finetune;
    lm_finetune_config *finetune; /* [n_finetune] */
    lm_diag_thresholds diagnostics;
} lm_spec;

/* Validates a spec (both steps above).  0 if valid. */
int lm_spec_validate(const char *json, size_t len, char *field, size_t field_len,
                     lm_error *err);

/* Validates, then fills *out (free with lm_spec_free, also after failure). */
int lm_spec_parse(const char *json, size_t len, lm_spec *out, char *field,
                  size_t field_len, lm_error *err);

void lm_spec_free(lm_spec *spec);

/* The normalised JSON form (a new cJSON tree). */
cJSON *lm_spec_to_json(const lm_spec *spec);

/* The embedded schema text (NUL-terminated), e.g. for GET /api/schema. */
const char *lm_spec_schema_text(size_t *len);

/* Classes of a built-in task name (2 for "SST-2"), 0 for "custom"/unknown. */
int lm_spec_task_classes(const char *task);

/* Names as written in specs ("fp32"); NULL outside the enum.  The formulas,
 * parameter sets, solvers, optimizers and LoRA's words are named where they
 * are defined: kernel/formula.h, model/param_set.h, solve/solver_kind.h,
 * train/config.h. */
const char *lm_spec_precision_name(lm_spec_precision p);
const char *lm_spec_precision_description(lm_spec_precision p);

#endif
