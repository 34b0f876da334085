/* pretrain_job.c - the one job of a pre-training experiment (spec
 * "pretrain"): names resolved as the service resolves them, then
 * lm_pretrain_run, whose checkpoints become models "<out>/checkpoint-<step>". */
#include "run/jobs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pretrain/checkpoint.h"
#include "pretrain/pretrain.h"
#include "util/file.h"

/* A model, tokenizer or run folder by name: under models_dir (names only)
 * or as given. */
static char *named_dir(const char *field, const char *name, const lm_run_options *opt,
                       lm_error *err) {
    if (!opt || !opt->models_dir) return lm_xstrdup(name);
    if (!lm_model_name_ok(name)) {
        lm_fail(err, "%s: \"%s\" is not a model name (a name or run/checkpoint-N; no paths)", field, name);
        return NULL;
    }
    return lm_path_join(opt->models_dir, name);
}

static char *corpus_path(const char *name, int i, const lm_run_options *opt, lm_error *err) {
    char *path;
    if (opt && opt->data_root) {
        if (name[0] == '/' || strstr(name, "..")) {
            lm_fail(err, "pretrain.corpus[%d]: \"%s\" must be a path inside the data root", i, name);
            return NULL;
        }
        path = lm_path_join(opt->data_root, name);
    } else {
        path = lm_xstrdup(name);
    }
    if (!lm_file_exists(path)) {
        lm_fail(err, "pretrain.corpus[%d]: no file %s", i, path);
        free(path);
        return NULL;
    }
    return path;
}

static int by_value(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The steps of the checkpoint-N model folders of a run folder, ascending;
 * with need_state only those with checkpoint-N.state beside them (the ones
 * a run can resume from). */
static int *checkpoint_steps(const char *out_dir, int need_state, int *n) {
    int *steps = NULL, cap = 0;
    *n = 0;
    DIR *d = opendir(out_dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strncmp(e->d_name, "checkpoint-", 11) || strchr(e->d_name, '.')) continue;
        char *dir = lm_path_join(out_dir, e->d_name);
        char *cfg = lm_path_join(dir, "config.json");
        char *state = lm_xmalloc(strlen(dir) + 7);
        sprintf(state, "%s.state", dir);
        int step = lm_file_exists(cfg) && (!need_state || lm_file_exists(state)) ? lm_checkpoint_step(dir, NULL) : -1;
        if (step >= 0) {
            if (*n == cap) steps = lm_xrealloc(steps, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *steps);
            steps[(*n)++] = step;
        }
        free(state);
        free(cfg);
        free(dir);
    }
    if (d) closedir(d);
    if (*n > 1) qsort(steps, (size_t)*n, sizeof *steps, by_value);
    return steps;
}

/* The newest resumable checkpoint with step <= max_step; -1 when none. */
static int newest_checkpoint(const char *out_dir, int max_step) {
    int n, best = -1;
    int *steps = checkpoint_steps(out_dir, 1, &n);
    for (int i = 0; i < n; i++)
        if (steps[i] <= max_step) best = steps[i];
    free(steps);
    return best;
}

typedef struct pt_ctx {
    const lm_run_hooks *hooks;
} pt_ctx;

static int on_report(void *ctx, const lm_pretrain_report *r) {
    const pt_ctx *c = ctx;
    if (!c->hooks || !c->hooks->progress) return 0;
    char stage[128];
    snprintf(stage, sizeof stage, "step %d/%d loss %.3f, %.0f tok/s", r->step, r->steps, r->loss,
             r->tokens_per_s);
    return c->hooks->progress(c->hooks->ctx, r->steps ? (double)r->step / r->steps : 1.0, stage);
}

/* The checkpoints the run folder holds, in step order, by model name. */
static cJSON *list_checkpoints(const lm_spec_pretrain *p, const char *out_dir, const lm_run_options *opt) {
    cJSON *arr = cJSON_CreateArray();
    int n;
    int *steps = checkpoint_steps(out_dir, 0, &n);
    for (int i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "checkpoint-%d", steps[i]);
        char *model = opt && opt->models_dir ? lm_path_join(p->out, name) : lm_path_join(out_dir, name);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "step", steps[i]);
        cJSON_AddStringToObject(e, "model", model);
        cJSON_AddItemToArray(arr, e);
        free(model);
    }
    free(steps);
    return arr;
}

/* The loss curve and size of the final checkpoint, into o. */
static int describe_final(const char *dir, cJSON *o, lm_error *err) {
    lm_model m;
    if (lm_model_load(dir, NULL, &m, err)) return -1;
    cJSON_AddNumberToObject(o, "parameters", (double)m.n_params);
    lm_model_free(&m);
    cJSON *ts = lm_checkpoint_read_trainer_state(dir);
    if (!ts) return lm_fail(err, "%s: no readable trainer_state.json", dir);
    cJSON *loss = cJSON_AddArrayToObject(o, "loss");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(ts, "log_history");
    double last = -1;
    for (const cJSON *e = h ? h->child : NULL; e; e = e->next) {
        cJSON *pt = cJSON_CreateObject();
        static const char *from[4] = {"step", "loss", "learning_rate", "num_input_tokens_seen"};
        static const char *to[4] = {"step", "loss", "lr", "tokens"};
        for (int i = 0; i < 4; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, from[i]);
            if (cJSON_IsNumber(v)) cJSON_AddNumberToObject(pt, to[i], v->valuedouble);
        }
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "loss");
        if (cJSON_IsNumber(l)) last = l->valuedouble;
        cJSON_AddItemToArray(loss, pt);
    }
    const cJSON *tk = cJSON_GetObjectItemCaseSensitive(ts, "num_input_tokens_seen");
    if (cJSON_IsNumber(tk)) cJSON_AddNumberToObject(o, "tokens", tk->valuedouble);
    if (last >= 0) cJSON_AddNumberToObject(o, "final_loss", last);
    cJSON_Delete(ts);
    return 0;
}

int lm_run_pretrain_job(const lm_spec *spec, const lm_run_options *opt, const lm_run_hooks *hooks,
                        cJSON *res, lm_error *err) {
    const lm_spec_pretrain *p = &spec->pretrain;
    int rc = -1, n = 0;
    char *corpus[LM_SPEC_MAX_CORPUS] = {0};
    char *resume = NULL, *final_dir = NULL;
    char *tok = named_dir("pretrain.tokenizer", p->tokenizer, opt, err);
    char *out = tok ? named_dir("pretrain.out", p->out, opt, err) : NULL;
    if (!out) goto done;
    char *vocab = lm_path_join(tok, "vocab.json");
    int has_vocab = lm_file_exists(vocab);
    free(vocab);
    if (!has_vocab) {
        lm_fail(err, "pretrain.tokenizer: \"%s\" has no vocab.json (a byte-level BPE tokenizer folder "
                "or a model with one)", p->tokenizer);
        goto done;
    }
    for (; n < p->n_corpus; n++)
        if (!(corpus[n] = corpus_path(p->corpus[n], n, opt, err))) goto done;
    if (p->resume) {
        if (!(resume = named_dir("pretrain.resume", p->resume, opt, err))) goto done;
    } else {
        /* a job run again after its worker was lost continues where it stopped */
        int step = newest_checkpoint(out, p->steps);
        if (step > 0) {
            char name[64];
            snprintf(name, sizeof name, "checkpoint-%d", step);
            resume = lm_path_join(out, name);
            cJSON_AddNumberToObject(res, "resumed_from_step", step);
        }
    }
    lm_pretrain_config c;
    lm_pretrain_defaults(&c);
    c.tokenizer_dir = tok;
    c.corpus = (const char *const *)corpus;
    c.n_corpus = p->n_corpus;
    c.out_dir = out;
    c.resume = resume;
    c.layers = p->layers;
    c.hidden = p->hidden;
    c.heads = p->heads;
    c.intermediate = p->ffn;
    c.block = p->block;
    c.batch = p->batch;
    c.steps = p->steps;
    c.warmup = p->warmup;
    c.lr = p->lr;
    c.weight_decay = p->weight_decay;
    c.mask_prob = p->mask_prob;
    c.init_std = p->init_std;
    c.pos_init = lm_pos_init_parse(p->pos_init);
    c.seed = p->seed;
    c.save_steps = p->save_steps;
    c.n_save_steps = p->n_save_steps;
    c.log_every = p->log_every;
    pt_ctx ctx = {hooks};
    lm_pretrain_hooks ph = {on_report, &ctx};
    double t0 = lm_now();
    if (lm_pretrain_run(&c, &ph, err)) goto done;
    int last = newest_checkpoint(out, p->steps);
    if (last < p->steps) {
        lm_fail(err, "cancelled");
        goto done;
    }
    cJSON *o = cJSON_AddObjectToObject(res, "pretrain");
    cJSON_AddStringToObject(o, "out", p->out);
    cJSON_AddNumberToObject(o, "steps", p->steps);
    cJSON_AddNumberToObject(o, "final_step", last);
    double secs = lm_now() - t0;
    cJSON_AddNumberToObject(o, "seconds", secs);
    char name[64];
    snprintf(name, sizeof name, "checkpoint-%d", last);
    final_dir = lm_path_join(out, name);
    if (describe_final(final_dir, o, err)) goto done;
    int from = 0;
    const cJSON *r = cJSON_GetObjectItem(res, "resumed_from_step");
    if (cJSON_IsNumber(r)) from = (int)r->valuedouble;
    if (p->resume) from = lm_checkpoint_step(resume, NULL);
    cJSON_AddNumberToObject(o, "tokens_per_s",
                            secs > 0 ? (double)(last - from) * p->batch * p->block / secs : 0);
    cJSON_AddItemToObject(o, "checkpoints", list_checkpoints(p, out, opt));
    rc = 0;
done:
    for (int i = 0; i < n; i++) free(corpus[i]);
    free(tok);
    free(out);
    free(resume);
    free(final_dir);
    return rc;
}
