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
#include "util/error.h"

/* Larger documents are refused before parsing. */
#define LM_SPEC_MAX_BYTES (1u << 20)

/* Capacities; the schema's maxItems are at most these (checked by tests). */
#define LM_SPEC_MAX_SEEDS 32
#define LM_SPEC_MAX_GRID 32
#define LM_SPEC_MAX_FORMULAS 3
#define LM_SPEC_MAX_SOLVERS 5
#define LM_SPEC_MAX_FINETUNE 16

typedef enum {
    LM_SPEC_FORMULA_SGD = 0,
    LM_SPEC_FORMULA_SIGNGD,
    LM_SPEC_FORMULA_ASYM_SIGNGD /* "asymmetric_signgd" */
} lm_spec_formula;

typedef enum {
    LM_SPEC_PARAMS_ALL = 0,
    LM_SPEC_PARAMS_NO_EMBEDDINGS,
    LM_SPEC_PARAMS_NO_HEAD,
    LM_SPEC_PARAMS_BIASES,
    LM_SPEC_PARAMS_LORA
} lm_spec_params;

typedef enum { LM_SPEC_PREC_FP32 = 0, LM_SPEC_PREC_FP64, LM_SPEC_PREC_BF16 } lm_spec_precision;

typedef enum {
    LM_SPEC_SOLVER_LSTSQ = 0,
    LM_SPEC_SOLVER_LOGISTIC,
    LM_SPEC_SOLVER_SVC,
    LM_SPEC_SOLVER_SVR,
    LM_SPEC_SOLVER_ASYM
} lm_spec_solver_name;

typedef enum { LM_SPEC_OPT_ADAM = 0, LM_SPEC_OPT_SGD, LM_SPEC_OPT_SIGNGD } lm_spec_optimizer;

typedef enum { LM_SPEC_LORA_INIT_KAIMING = 0, LM_SPEC_LORA_INIT_GAUSSIAN } lm_spec_lora_init;

/* LoRA target bits (lm_spec_lora.targets). */
enum {
    LM_SPEC_LORA_QUERY = 1 << 0,
    LM_SPEC_LORA_KEY = 1 << 1,
    LM_SPEC_LORA_VALUE = 1 << 2,
    LM_SPEC_LORA_ATTENTION_OUTPUT = 1 << 3,
    LM_SPEC_LORA_INTERMEDIATE = 1 << 4,
    LM_SPEC_LORA_OUTPUT = 1 << 5
};

typedef struct lm_spec_lora {
    int r;                  /* default 8 */
    double alpha;           /* default 16 */
    unsigned targets;       /* LM_SPEC_LORA_* bits; default QUERY|VALUE */
    lm_spec_lora_init init; /* default KAIMING */
    int b_gaussian;         /* b_init "gaussian" (default "zero") */
    uint32_t seed;          /* default 0 */
} lm_spec_lora;

typedef struct lm_spec_kernel {
    int n_formulas;
    lm_spec_formula formulas[LM_SPEC_MAX_FORMULAS]; /* default {SGD} */
    lm_spec_params params;                          /* default ALL */
    lm_spec_lora lora;                              /* used when params == LORA */
    int64_t projection_dim;                         /* 0 = exact, no projection */
    uint32_t projection_seed;                       /* default 0 */
    lm_spec_precision precision;                    /* default FP32 */
} lm_spec_kernel;

typedef struct lm_spec_solver {
    int n_names;
    lm_spec_solver_name names[LM_SPEC_MAX_SOLVERS]; /* default {LOGISTIC} */
    int n_regularization;
    double regularization[LM_SPEC_MAX_GRID]; /* lambda; default {0} */
    int n_f0_scaling;
    double f0_scaling[LM_SPEC_MAX_GRID]; /* s, 0 disables; default {0} */
    int n_asym_lambda;
    double asym_lambda[LM_SPEC_MAX_GRID]; /* default {0.5} */
    int n_gamma;
    double gamma[LM_SPEC_MAX_GRID]; /* default {1} */
} lm_spec_solver;

typedef struct lm_spec_finetune {
    lm_spec_optimizer optimizer; /* default ADAM */
    int n_lr;
    double lr[LM_SPEC_MAX_GRID]; /* required */
    int n_batch_size;
    int batch_size[LM_SPEC_MAX_GRID]; /* default {8} */
    int steps;                        /* default 1000 */
    int warmup;                       /* default 0 */
    int eval_every;                   /* default 100 */
    double weight_decay;              /* default 0 */
    double max_grad_norm;             /* default 1; 0 = no clipping */
    lm_spec_params params;            /* default ALL (LORA when lora given) */
    lm_spec_lora lora;                /* used when params == LORA */
    int linearized;                   /* default 0 */
    int has_seed;                     /* 0: the job's data seed */
    uint32_t seed;
    int save_weights;                 /* default 0: keep θ_FT as a model folder */
} lm_spec_finetune;

typedef struct lm_spec_diagnostics {
    int enabled;                   /* default: 1 with finetune or the object, else 0 */
    double min_linearization_gain; /* default 0.5 */
    double max_kernel_distance;    /* default 0.1 */
    double min_kernel_ft_ratio;    /* default 0.9 */
} lm_spec_diagnostics;

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
    lm_spec_finetune *finetune; /* [n_finetune] */
    lm_spec_diagnostics diagnostics;
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

/* Names as written in specs ("asymmetric_signgd", "lstsq", ...). */
const char *lm_spec_formula_name(lm_spec_formula f);
const char *lm_spec_params_name(lm_spec_params p);
const char *lm_spec_precision_name(lm_spec_precision p);
const char *lm_spec_solver_name_str(lm_spec_solver_name s);
const char *lm_spec_optimizer_name(lm_spec_optimizer o);
const char *lm_spec_lora_init_name(lm_spec_lora_init i);
/* Name of one LM_SPEC_LORA_* bit ("query"), NULL for anything else. */
const char *lm_spec_lora_target_name(unsigned bit);

#endif
