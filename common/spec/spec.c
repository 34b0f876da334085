/* spec.c - from spec text to lm_spec: strict JSON, the embedded schema, the
 * rules between fields, then defaults and grids. */
#include "spec/spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/jpath.h"
#include "spec/json_strict.h"
#include "spec/schema.h"

/* Generated at build time from schema/experiment.schema.json (embed.c). */
extern const char lm_experiment_schema[];
extern const size_t lm_experiment_schema_len;

const char *lm_spec_schema_text(size_t *len) {
    if (len) *len = lm_experiment_schema_len;
    return lm_experiment_schema;
}

/* ---- small readers; the schema has already checked types and bounds ---- */

static const cJSON *get(const cJSON *o, const char *key) {
    return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static char *dup_str(const cJSON *o, const char *key) {
    const cJSON *v = get(o, key);
    return cJSON_IsString(v) ? lm_xstrdup(v->valuestring) : NULL;
}

static double num_or(const cJSON *o, const char *key, double def) {
    const cJSON *v = get(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static int bool_or(const cJSON *o, const char *key, int def) {
    const cJSON *v = get(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* A grid field: one number or an array of them; `def` when absent. */
static int grid(const cJSON *o, const char *key, double *out, double def) {
    const cJSON *v = get(o, key);
    if (!v) {
        out[0] = def;
        return 1;
    }
    if (cJSON_IsNumber(v)) {
        out[0] = v->valuedouble;
        return 1;
    }
    int n = 0;
    for (const cJSON *x = v->child; x && n < LM_SPEC_MAX_GRID; x = x->next) out[n++] = x->valuedouble;
    return n;
}

/* Index of `s` among the names that name_of(0), name_of(1), ... give. */
static int lookup(const char *(*name_of)(int), const char *s, int def) {
    if (!s) return def;
    for (int i = 0; name_of(i); i++)
        if (strcmp(name_of(i), s) == 0) return i;
    return def;
}

/* Adapters: the enum-typed name functions, callable with an int. */
static const char *precision_n(int i) { return lm_spec_precision_name((lm_spec_precision)i); }

/* The value of a name by a vocabulary's parser (kernel/formula.h,
 * model/param_set.h, solve/solver_kind.h, train/config.h); def when absent. */
static int parse_or(int (*parse)(const char *), const char *s, int def) {
    int v = s ? parse(s) : -1;
    return v < 0 ? def : v;
}

static const char *str_of(const cJSON *o, const char *key) {
    const cJSON *v = get(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char **dup_str_array(const cJSON *o, const char *key, int *n) {
    const cJSON *v = get(o, key);
    *n = 0;
    if (!cJSON_IsArray(v)) return NULL;
    int count = cJSON_GetArraySize(v);
    char **out = lm_xcalloc((size_t)count, sizeof *out);
    for (const cJSON *x = v->child; x; x = x->next) out[(*n)++] = lm_xstrdup(x->valuestring);
    return out;
}

/* ---- errors ------------------------------------------------------------ */

static int fail_field(char *field, size_t field_len, lm_error *err, const char *path,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail_field(char *field, size_t field_len, lm_error *err, const char *path,
                      const char *fmt, ...) {
    if (field && field_len) snprintf(field, field_len, "%s", path);
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- filling ----------------------------------------------------------- */

static void fill_lora(const cJSON *o, lm_lora_config *l) {
    l->r = (int)num_or(o, "r", 8);
    l->alpha = num_or(o, "alpha", 16);
    l->init = (lm_lora_init_kind)parse_or(lm_lora_init_parse, str_of(o, "init"), LM_LORA_INIT_KAIMING);
    l->seed = (uint32_t)num_or(o, "seed", 0);
    const char *b_init = str_of(o, "b_init");
    l->b_gaussian = b_init && strcmp(b_init, "gaussian") == 0;
    const cJSON *t = get(o, "targets");
    if (!t) {
        l->targets = LM_LORA_QUERY | LM_LORA_VALUE;
        return;
    }
    l->targets = 0;
    for (const cJSON *x = t->child; x; x = x->next)
        for (unsigned bit = 1; lm_lora_target_name(bit); bit <<= 1)
            if (strcmp(lm_lora_target_name(bit), x->valuestring) == 0) l->targets |= bit;
}

/* params and lora, shared by kernel and finetune entries: giving "lora"
 * implies params "lora"; giving it with another params is an error. */
static int fill_params(const cJSON *o, const char *where, lm_param_set *params,
                       lm_lora_config *lora, char *field, size_t field_len, lm_error *err) {
    const cJSON *lo = get(o, "lora");
    const char *p = str_of(o, "params");
    *params = (lm_param_set)parse_or(lm_param_set_parse, p, lo ? LM_PS_LORA : LM_PS_ALL);
    if (lo && *params != LM_PS_LORA) {
        char path[LM_JPATH_MAX];
        snprintf(path, sizeof path, "%s.lora", where);
        return fail_field(field, field_len, err, path, "is only used with params \"lora\" (params is \"%s\")", p);
    }
    fill_lora(lo, lora);
    return 0;
}

static void fill_kernel(const cJSON *o, lm_spec_kernel *k) {
    const cJSON *f = get(o, "formula");
    k->n_formulas = 0;
    if (!f) {
        k->formulas[k->n_formulas++] = LM_KF_SGD;
    } else if (cJSON_IsString(f)) {
        k->formulas[k->n_formulas++] = (lm_kernel_formula)parse_or(lm_kernel_formula_parse, f->valuestring, LM_KF_SGD);
    } else {
        for (const cJSON *x = f->child; x && k->n_formulas < LM_SPEC_MAX_FORMULAS; x = x->next)
            k->formulas[k->n_formulas++] = (lm_kernel_formula)parse_or(lm_kernel_formula_parse, x->valuestring, LM_KF_SGD);
    }
    const cJSON *pr = get(o, "projection");
    k->projection_dim = pr ? (int64_t)num_or(pr, "dim", 0) : 0;
    k->projection_seed = (uint32_t)num_or(pr, "seed", 0);
    k->precision = (lm_spec_precision)lookup(precision_n, str_of(o, "precision"), LM_SPEC_PREC_FP32);
    const cJSON *sh = get(o, "shards");
    k->shards = cJSON_IsNumber(sh) ? (int)sh->valuedouble : 0; /* "auto" or absent: 0 */
    k->block_tokens = (int)num_or(o, "block_tokens", 0);
}

static void fill_solver(const cJSON *o, lm_spec_solver *s) {
    const cJSON *n = get(o, "name");
    s->n_names = 0;
    if (!n) {
        s->names[s->n_names++] = LM_SOLVER_LOGISTIC;
    } else if (cJSON_IsString(n)) {
        s->names[s->n_names++] = (lm_solver_kind)parse_or(lm_solver_parse, n->valuestring, LM_SOLVER_LOGISTIC);
    } else {
        for (const cJSON *x = n->child; x && s->n_names < LM_SPEC_MAX_SOLVERS; x = x->next)
            s->names[s->n_names++] = (lm_solver_kind)parse_or(lm_solver_parse, x->valuestring, LM_SOLVER_LOGISTIC);
    }
    s->n_regularization = grid(o, "regularization", s->regularization, 0);
    s->n_f0_scaling = grid(o, "f0_scaling", s->f0_scaling, 0);
    s->n_asym_lambda = grid(o, "asym_lambda", s->asym_lambda, 0.5);
    s->n_gamma = grid(o, "gamma", s->gamma, 1);
}

static int fill_finetune(const cJSON *o, int i, lm_finetune_config *f, char *field,
                         size_t field_len, lm_error *err) {
    char where[64];
    snprintf(where, sizeof where, "finetune[%d]", i);
    f->optimizer = (lm_opt_kind)parse_or(lm_opt_parse, str_of(o, "optimizer"), LM_OPT_ADAMW);
    f->n_lr = grid(o, "lr", f->lr, 0);
    double bs[LM_SPEC_MAX_GRID];
    f->n_batch_size = grid(o, "batch_size", bs, 8);
    for (int j = 0; j < f->n_batch_size; j++) f->batch_size[j] = (int)bs[j];
    f->steps = (int)num_or(o, "steps", 1000);
    f->warmup = (int)num_or(o, "warmup", 0);
    f->eval_every = (int)num_or(o, "eval_every", 100);
    f->weight_decay = num_or(o, "weight_decay", 0);
    f->max_grad_norm = num_or(o, "max_grad_norm", 1);
    f->linearized = bool_or(o, "linearized", 0);
    f->has_seed = get(o, "seed") != NULL;
    f->seed = (uint32_t)num_or(o, "seed", 0);
    f->save_weights = bool_or(o, "save_weights", 0);
    if (f->save_weights && f->linearized) {
        char path[96];
        snprintf(path, sizeof path, "%s.save_weights", where);
        /* θ of a linearized run parametrises f_lin, which no model folder holds */
        return fail_field(field, field_len, err, path, "cannot be combined with \"linearized\"");
    }
    if (f->warmup > f->steps) {
        char path[96];
        snprintf(path, sizeof path, "%s.warmup", where);
        return fail_field(field, field_len, err, path, "must be <= steps (%d)", f->steps);
    }
    return fill_params(o, where, &f->params, &f->lora, field, field_len, err);
}

/* Label lists, label words and the class count (spec §2.1-2.2). */
static int fill_labels(const cJSON *doc, lm_spec *s, char *field, size_t field_len, lm_error *err) {
    int custom = strcmp(s->task, "custom") == 0;
    int task_c = lm_spec_task_classes(s->task);
    s->prompt_template = dup_str(doc, "template");
    s->label_words = dup_str_array(doc, "label_words", &s->n_label_words);
    s->labels = dup_str_array(doc, "labels", &s->n_labels);
    if (custom && !s->n_labels)
        return fail_field(field, field_len, err, "labels", "is required when task is \"custom\"");
    if (!s->prompt && s->prompt_template)
        return fail_field(field, field_len, err, "template", "is only used when prompt is true");
    if (!s->prompt && s->n_label_words)
        return fail_field(field, field_len, err, "label_words", "is only used when prompt is true");
    if (s->prompt && custom && !s->prompt_template)
        return fail_field(field, field_len, err, "template", "is required when task is \"custom\" and prompt is true");
    if (s->prompt && custom && !s->n_label_words)
        return fail_field(field, field_len, err, "label_words", "is required when task is \"custom\" and prompt is true");
    if (s->prompt_template && !strstr(s->prompt_template, "*mask*"))
        return fail_field(field, field_len, err, "template", "must contain *mask*");
    s->n_classes = s->n_labels ? s->n_labels : task_c;
    if (s->n_labels && !custom && s->prompt && !s->n_label_words && s->n_labels != task_c)
        return fail_field(field, field_len, err, "labels",
                          "must have %d entries to match the task's label words (or give label_words)", task_c);
    if (s->n_label_words && s->n_label_words != s->n_classes)
        return fail_field(field, field_len, err, "label_words",
                          "must have %d entries, one per label", s->n_classes);
    if (s->binary && s->n_classes != 2)
        return fail_field(field, field_len, err, "binary", "needs a 2-class task (%s has %d classes)",
                          s->task, s->n_classes);
    return 0;
}

/* A run name: it becomes a folder of the models directory. */
static int run_name_ok(const char *s) {
    if (!s[0] || s[0] == '.') return 0;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return 0;
    return 1;
}

static int fill_pretrain(const cJSON *doc, lm_spec *s, char *field, size_t field_len, lm_error *err) {
    for (const cJSON *x = doc->child; x; x = x->next)
        if (strcmp(x->string, "pretrain") && strcmp(x->string, "name") && strcmp(x->string, "description"))
            return fail_field(field, field_len, err, x->string,
                              "cannot be combined with \"pretrain\" (a pre-training experiment takes "
                              "only \"name\" and \"description\" besides)");
    const cJSON *o = get(doc, "pretrain");
    lm_spec_pretrain *p = &s->pretrain;
    s->is_pretrain = 1;
    p->tokenizer = dup_str(o, "tokenizer");
    for (const cJSON *x = get(o, "corpus")->child; x && p->n_corpus < LM_SPEC_MAX_CORPUS; x = x->next)
        p->corpus[p->n_corpus++] = lm_xstrdup(x->valuestring);
    p->out = dup_str(o, "out");
    p->resume = dup_str(o, "resume");
    p->layers = (int)num_or(o, "layers", 4);
    p->hidden = (int)num_or(o, "hidden", 256);
    p->heads = (int)num_or(o, "heads", 4);
    p->ffn = (int)num_or(o, "ffn", 1024);
    p->block = (int)num_or(o, "block", 128);
    p->batch = (int)num_or(o, "batch", 16);
    p->steps = (int)num_or(o, "steps", 1000);
    p->warmup = (int)num_or(o, "warmup", (int)(0.06 * p->steps));
    p->lr = num_or(o, "lr", 1e-3);
    p->weight_decay = num_or(o, "weight_decay", 0.01);
    p->mask_prob = num_or(o, "mask_prob", 0.15);
    p->init_std = num_or(o, "init_std", 0.05);
    p->pos_init = get(o, "pos_init") ? dup_str(o, "pos_init") : lm_xstrdup("sinusoidal");
    p->seed = (uint32_t)num_or(o, "seed", 42);
    p->log_every = (int)num_or(o, "log_every", 10);
    const cJSON *ss = get(o, "save_steps");
    for (const cJSON *x = ss ? ss->child : NULL; x && p->n_save_steps < LM_SPEC_MAX_SAVE_STEPS; x = x->next) {
        if ((int)x->valuedouble > p->steps) {
            char path[64];
            snprintf(path, sizeof path, "pretrain.save_steps[%d]", p->n_save_steps);
            return fail_field(field, field_len, err, path, "must be <= steps (%d)", p->steps);
        }
        p->save_steps[p->n_save_steps++] = (int)x->valuedouble;
    }
    if (!run_name_ok(p->out))
        return fail_field(field, field_len, err, "pretrain.out",
                          "must be a plain name (letters, digits, '.', '_', '-'; not starting with '.')");
    if (p->hidden % p->heads)
        return fail_field(field, field_len, err, "pretrain.heads", "must divide hidden (%d)", p->hidden);
    if (p->warmup > p->steps)
        return fail_field(field, field_len, err, "pretrain.warmup", "must be <= steps (%d)", p->steps);
    if (p->resume) {
        size_t n = strlen(p->out);
        if (strncmp(p->resume, p->out, n) || strncmp(p->resume + n, "/checkpoint-", 12))
            return fail_field(field, field_len, err, "pretrain.resume",
                              "must be a checkpoint of this run (\"%s/checkpoint-<step>\")", p->out);
    }
    return 0;
}

static int fill(const cJSON *doc, lm_spec *s, char *field, size_t field_len, lm_error *err) {
    s->name = dup_str(doc, "name");
    s->description = dup_str(doc, "description");
    if (get(doc, "pretrain")) return fill_pretrain(doc, s, field, field_len, err);
    if (!get(doc, "task"))
        return fail_field(field, field_len, err, "task", "is required (or give \"pretrain\")");
    if (!get(doc, "data"))
        return fail_field(field, field_len, err, "data", "is required");
    s->model = dup_str(doc, "model");
    s->checkpoints = dup_str_array(doc, "checkpoints", &s->n_checkpoints);
    if (s->model && s->n_checkpoints)
        return fail_field(field, field_len, err, "checkpoints", "cannot be combined with \"model\"");
    s->task = dup_str(doc, "task");
    s->data = dup_str(doc, "data");
    s->k = (int)num_or(doc, "k", 16);
    const cJSON *seeds = get(doc, "seeds");
    if (seeds) {
        for (const cJSON *x = seeds->child; x && s->n_seeds < LM_SPEC_MAX_SEEDS; x = x->next)
            s->seeds[s->n_seeds++] = (uint32_t)x->valuedouble;
    } else {
        static const uint32_t def[] = {13, 21, 42, 87, 100};
        for (size_t i = 0; i < sizeof def / sizeof def[0]; i++) s->seeds[s->n_seeds++] = def[i];
    }
    s->prompt = bool_or(doc, "prompt", 1);
    s->binary = bool_or(doc, "binary", 0);
    s->max_length = (int)num_or(doc, "max_length", 0);
    if (fill_labels(doc, s, field, field_len, err) != 0) return -1;

    const cJSON *kernel = get(doc, "kernel"), *solver = get(doc, "solver");
    const cJSON *ft = get(doc, "finetune");
    /* Without either method there would be nothing to run: the default is
     * the sgd kernel.  With finetune only, no kernel is computed. */
    s->has_kernel = kernel || !ft;
    if (solver && !s->has_kernel)
        return fail_field(field, field_len, err, "solver", "needs \"kernel\" (only kernels are solved)");
    if (s->has_kernel) {
        fill_kernel(kernel, &s->kernel);
        if (fill_params(kernel, "kernel", &s->kernel.params, &s->kernel.lora, field, field_len, err))
            return -1;
        /* a projection sketches whole gradients: it has no tiles */
        if (s->kernel.shards > 1 && s->kernel.projection_dim > 0)
            return fail_field(field, field_len, err, "kernel.shards",
                              "a projected kernel is not split into tiles: use 1 or \"auto\"");
        fill_solver(solver, &s->solver);
    }
    if (ft) {
        int n = cJSON_GetArraySize(ft);
        s->finetune = lm_xcalloc((size_t)n, sizeof *s->finetune);
        for (const cJSON *x = ft->child; x && s->n_finetune < LM_SPEC_MAX_FINETUNE; x = x->next) {
            if (fill_finetune(x, s->n_finetune, &s->finetune[s->n_finetune], field, field_len, err))
                return -1;
            s->n_finetune++;
        }
    }
    const cJSON *d = get(doc, "diagnostics");
    /* Fine-tuning is measured against its kernel unless a spec says not to. */
    s->diagnostics.enabled = d ? bool_or(d, "enabled", 1) : s->n_finetune > 0;
    s->diagnostics.min_linearization_gain = num_or(d, "min_linearization_gain", 0.5);
    s->diagnostics.max_kernel_distance = num_or(d, "max_kernel_distance", 0.1);
    s->diagnostics.min_kernel_ft_ratio = num_or(d, "min_kernel_ft_ratio", 0.9);
    if (s->diagnostics.enabled && !s->n_finetune)
        return fail_field(field, field_len, err, "diagnostics", "needs \"finetune\" (they compare with fine-tuning)");
    return 0;
}

int lm_spec_parse(const char *json, size_t len, lm_spec *out, char *field, size_t field_len,
                  lm_error *err) {
    memset(out, 0, sizeof *out);
    if (field && field_len) field[0] = '\0';
    if (len > LM_SPEC_MAX_BYTES)
        return fail_field(field, field_len, err, "", "spec is %zu bytes; the limit is %u", len,
                          LM_SPEC_MAX_BYTES);
    lm_schema *schema = lm_schema_load(lm_experiment_schema, lm_experiment_schema_len, err);
    if (!schema) {
        /* Only a broken build gets here; the tests load the same text. */
        lm_fail_prefix(err, "internal error: embedded experiment schema");
        return -1;
    }
    int rc = -1;
    cJSON *doc = lm_json_parse_strict(json, len, field, field_len, err);
    if (doc && lm_schema_validate(schema, doc, field, field_len, err) == 0)
        rc = fill(doc, out, field, field_len, err);
    cJSON_Delete(doc);
    lm_schema_free(schema);
    return rc;
}

int lm_spec_validate(const char *json, size_t len, char *field, size_t field_len, lm_error *err) {
    lm_spec s;
    int rc = lm_spec_parse(json, len, &s, field, field_len, err);
    lm_spec_free(&s);
    return rc;
}

static void free_str_array(char **a, int n) {
    for (int i = 0; i < n; i++) free(a[i]);
    free(a);
}

void lm_spec_free(lm_spec *s) {
    if (!s) return;
    free(s->name);
    free(s->description);
    free(s->model);
    free_str_array(s->checkpoints, s->n_checkpoints);
    free(s->task);
    free(s->data);
    free(s->prompt_template);
    free_str_array(s->label_words, s->n_label_words);
    free_str_array(s->labels, s->n_labels);
    free(s->finetune);
    lm_spec_pretrain *p = &s->pretrain;
    free(p->tokenizer);
    for (int i = 0; i < p->n_corpus; i++) free(p->corpus[i]);
    free(p->out);
    free(p->resume);
    free(p->pos_init);
    memset(s, 0, sizeof *s);
}
