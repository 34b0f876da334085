/* spec_json.c - the normalised JSON form of a spec: fixed key order,
 * defaults filled, grids as arrays.  It is stored with the experiment and
 * parses back to the same lm_spec. */
#include "spec/spec.h"

static cJSON *num_array(const double *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *str_array(char *const *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static void add_str(cJSON *o, const char *key, const char *s) {
    if (s) cJSON_AddItemToObject(o, key, cJSON_CreateString(s));
}

static cJSON *lora_json(const lm_lora_config *l) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "r", l->r);
    cJSON_AddNumberToObject(o, "alpha", l->alpha);
    cJSON *t = cJSON_AddArrayToObject(o, "targets");
    for (unsigned bit = 1; lm_lora_target_name(bit); bit <<= 1)
        if (l->targets & bit) cJSON_AddItemToArray(t, cJSON_CreateString(lm_lora_target_name(bit)));
    cJSON_AddStringToObject(o, "init", lm_lora_init_name(l->init));
    cJSON_AddStringToObject(o, "b_init", l->b_gaussian ? "gaussian" : "zero");
    cJSON_AddNumberToObject(o, "seed", l->seed);
    return o;
}

static void add_params(cJSON *o, lm_param_set p, const lm_lora_config *l) {
    cJSON_AddStringToObject(o, "params", lm_param_set_name(p));
    if (p == LM_PS_LORA) cJSON_AddItemToObject(o, "lora", lora_json(l));
}

static cJSON *kernel_json(const lm_spec_kernel *k) {
    cJSON *o = cJSON_CreateObject();
    cJSON *f = cJSON_AddArrayToObject(o, "formula");
    for (int i = 0; i < k->n_formulas; i++)
        cJSON_AddItemToArray(f, cJSON_CreateString(lm_kernel_formula_name(k->formulas[i])));
    add_params(o, k->params, &k->lora);
    if (k->projection_dim > 0) {
        cJSON *p = cJSON_AddObjectToObject(o, "projection");
        cJSON_AddNumberToObject(p, "dim", (double)k->projection_dim);
        cJSON_AddNumberToObject(p, "seed", k->projection_seed);
    }
    cJSON_AddStringToObject(o, "precision", lm_spec_precision_name(k->precision));
    /* the defaults ("auto", the model's blocks) are left out, as a spec
     * that does not name them reads */
    if (k->shards > 0) cJSON_AddNumberToObject(o, "shards", k->shards);
    if (k->block_tokens > 0) cJSON_AddNumberToObject(o, "block_tokens", k->block_tokens);
    return o;
}

static cJSON *solver_json(const lm_spec_solver *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON *n = cJSON_AddArrayToObject(o, "name");
    for (int i = 0; i < s->n_names; i++)
        cJSON_AddItemToArray(n, cJSON_CreateString(lm_solver_name(s->names[i])));
    cJSON_AddItemToObject(o, "regularization", num_array(s->regularization, s->n_regularization));
    cJSON_AddItemToObject(o, "f0_scaling", num_array(s->f0_scaling, s->n_f0_scaling));
    cJSON_AddItemToObject(o, "asym_lambda", num_array(s->asym_lambda, s->n_asym_lambda));
    cJSON_AddItemToObject(o, "gamma", num_array(s->gamma, s->n_gamma));
    return o;
}

static cJSON *finetune_json(const lm_finetune_config *f) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "optimizer", lm_opt_name(f->optimizer));
    cJSON_AddItemToObject(o, "lr", num_array(f->lr, f->n_lr));
    cJSON *b = cJSON_AddArrayToObject(o, "batch_size");
    for (int i = 0; i < f->n_batch_size; i++) cJSON_AddItemToArray(b, cJSON_CreateNumber(f->batch_size[i]));
    cJSON_AddNumberToObject(o, "steps", f->steps);
    cJSON_AddNumberToObject(o, "warmup", f->warmup);
    cJSON_AddNumberToObject(o, "weight_decay", f->weight_decay);
    cJSON_AddNumberToObject(o, "max_grad_norm", f->max_grad_norm);
    cJSON_AddNumberToObject(o, "eval_every", f->eval_every);
    add_params(o, f->params, &f->lora);
    cJSON_AddBoolToObject(o, "linearized", f->linearized);
    if (f->has_seed) cJSON_AddNumberToObject(o, "seed", f->seed);
    cJSON_AddBoolToObject(o, "save_weights", f->save_weights);
    return o;
}

static cJSON *pretrain_json(const lm_spec_pretrain *p) {
    cJSON *o = cJSON_CreateObject();
    add_str(o, "tokenizer", p->tokenizer);
    cJSON_AddItemToObject(o, "corpus", str_array(p->corpus, p->n_corpus));
    add_str(o, "out", p->out);
    add_str(o, "resume", p->resume);
    cJSON_AddNumberToObject(o, "layers", p->layers);
    cJSON_AddNumberToObject(o, "hidden", p->hidden);
    cJSON_AddNumberToObject(o, "heads", p->heads);
    cJSON_AddNumberToObject(o, "ffn", p->ffn);
    cJSON_AddNumberToObject(o, "block", p->block);
    cJSON_AddNumberToObject(o, "batch", p->batch);
    cJSON_AddNumberToObject(o, "steps", p->steps);
    cJSON_AddNumberToObject(o, "warmup", p->warmup);
    cJSON_AddNumberToObject(o, "lr", p->lr);
    cJSON_AddNumberToObject(o, "weight_decay", p->weight_decay);
    cJSON_AddNumberToObject(o, "mask_prob", p->mask_prob);
    cJSON_AddNumberToObject(o, "init_std", p->init_std);
    add_str(o, "pos_init", p->pos_init);
    cJSON_AddNumberToObject(o, "seed", p->seed);
    cJSON *ss = cJSON_AddArrayToObject(o, "save_steps");
    for (int i = 0; i < p->n_save_steps; i++) cJSON_AddItemToArray(ss, cJSON_CreateNumber(p->save_steps[i]));
    cJSON_AddNumberToObject(o, "log_every", p->log_every);
    return o;
}

cJSON *lm_spec_to_json(const lm_spec *s) {
    cJSON *o = cJSON_CreateObject();
    add_str(o, "name", s->name);
    add_str(o, "description", s->description);
    if (s->is_pretrain) {
        cJSON_AddItemToObject(o, "pretrain", pretrain_json(&s->pretrain));
        return o;
    }
    add_str(o, "model", s->model);
    if (s->n_checkpoints) cJSON_AddItemToObject(o, "checkpoints", str_array(s->checkpoints, s->n_checkpoints));
    add_str(o, "task", s->task);
    add_str(o, "data", s->data);
    cJSON_AddNumberToObject(o, "k", s->k);
    cJSON *seeds = cJSON_AddArrayToObject(o, "seeds");
    for (int i = 0; i < s->n_seeds; i++) cJSON_AddItemToArray(seeds, cJSON_CreateNumber(s->seeds[i]));
    cJSON_AddBoolToObject(o, "prompt", s->prompt);
    add_str(o, "template", s->prompt_template);
    if (s->n_label_words) cJSON_AddItemToObject(o, "label_words", str_array(s->label_words, s->n_label_words));
    if (s->n_labels) cJSON_AddItemToObject(o, "labels", str_array(s->labels, s->n_labels));
    cJSON_AddBoolToObject(o, "binary", s->binary);
    if (s->max_length) cJSON_AddNumberToObject(o, "max_length", s->max_length);
    if (s->has_kernel) {
        cJSON_AddItemToObject(o, "kernel", kernel_json(&s->kernel));
        cJSON_AddItemToObject(o, "solver", solver_json(&s->solver));
    }
    if (s->n_finetune) {
        cJSON *ft = cJSON_AddArrayToObject(o, "finetune");
        for (int i = 0; i < s->n_finetune; i++) cJSON_AddItemToArray(ft, finetune_json(&s->finetune[i]));
    }
    cJSON *d = cJSON_AddObjectToObject(o, "diagnostics");
    cJSON_AddBoolToObject(d, "enabled", s->diagnostics.enabled);
    cJSON_AddNumberToObject(d, "min_linearization_gain", s->diagnostics.min_linearization_gain);
    cJSON_AddNumberToObject(d, "max_kernel_distance", s->diagnostics.max_kernel_distance);
    cJSON_AddNumberToObject(d, "min_kernel_ft_ratio", s->diagnostics.min_kernel_ft_ratio);
    return o;
}
