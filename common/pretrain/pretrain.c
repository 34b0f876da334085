/* pretrain.c - the masked-LM pre-training loop. */
#include "pretrain/pretrain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "model/shape.h"
#include "pretrain/checkpoint.h"
#include "pretrain/mask.h"
#include "pretrain/mlm.h"
#include "pretrain/packer.h"
#include "tokenize/tokenizer.h"
#include "train/optim.h"
#include "util/file.h"

void lm_pretrain_defaults(lm_pretrain_config *c) {
    memset(c, 0, sizeof *c);
    c->layers = 4;
    c->hidden = 256;
    c->heads = 4;
    c->intermediate = 1024;
    c->block = 128;
    c->batch = 16;
    c->steps = 1000;
    c->warmup = -1;             /* 6% of steps */
    c->lr = 1e-3;
    c->weight_decay = 0.01;
    c->beta1 = 0.9;
    c->beta2 = 0.98;
    c->eps = 1e-6;
    c->max_grad_norm = 1.0;
    c->mask_prob = 0.15;
    c->init_std = 0.05;         /* with sinusoidal positions: see README.md */
    c->pos_init = LM_POS_INIT_SINUSOIDAL;
    c->seed = 42;
    c->log_every = 10;
}

/* indexed by lm_pos_init */
static const char *const pos_init_names[] = {"normal", "sinusoidal"};
enum { N_POS_INIT = sizeof pos_init_names / sizeof *pos_init_names };

int lm_pos_init_parse(const char *name) {
    for (int i = 0; i < N_POS_INIT; i++)
        if (name && !strcmp(name, pos_init_names[i])) return i;
    return -1;
}

const char *lm_pos_init_name(int pos_init) {
    return pos_init >= 0 && pos_init < N_POS_INIT ? pos_init_names[pos_init] : NULL;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Everything a run holds, so that one exit path frees it. */
typedef struct run {
    const lm_pretrain_config *cfg;
    lm_tokenizer *tok;
    lm_model m;
    float *grad;
    lm_weights gw;
    lm_optim opt;
    lm_packer pk;
    lm_mlm_ws ws;
    lm_rng rng;
    double tokens;
    int32_t *ids, *labels;
    double *log;            /* loss-curve points [n_log][4]: step, loss, lr, tokens */
    int n_log, cap_log;
} run;

static void log_point(run *r, double step, double loss, double lr, double tokens) {
    if (r->n_log == r->cap_log) {
        r->cap_log = r->cap_log ? 2 * r->cap_log : 256;
        r->log = lm_xrealloc(r->log, (size_t)r->cap_log * 4 * sizeof(double));
    }
    double *p = r->log + 4 * (size_t)r->n_log++;
    p[0] = step;
    p[1] = loss;
    p[2] = lr;
    p[3] = tokens;
}

/* The loss curve up to a resumed checkpoint, from its trainer_state.json
 * (a checkpoint without one starts an empty curve). */
static void load_log(run *r, const char *dir, int upto) {
    cJSON *o = lm_checkpoint_read_trainer_state(dir);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "log_history");
    for (const cJSON *e = h ? h->child : NULL; e; e = e->next) {
        const cJSON *st = cJSON_GetObjectItem(e, "step"), *lo = cJSON_GetObjectItem(e, "loss");
        const cJSON *lr = cJSON_GetObjectItem(e, "learning_rate");
        const cJSON *tk = cJSON_GetObjectItem(e, "num_input_tokens_seen");
        if (cJSON_IsNumber(st) && cJSON_IsNumber(lo) && st->valuedouble <= upto)
            log_point(r, st->valuedouble, lo->valuedouble, cJSON_IsNumber(lr) ? lr->valuedouble : 0,
                      cJSON_IsNumber(tk) ? tk->valuedouble : 0);
    }
    cJSON_Delete(o);
}

static int check_vocab(const lm_tokenizer *tok, const char *dir, lm_error *err) {
    lm_special_ids sp = lm_tokenizer_special(tok);
    int32_t V = lm_tokenizer_vocab_size(tok);
    if (lm_tokenizer_get_kind(tok) != LM_TOK_BPE)
        return lm_fail(err, "%s: pre-training needs a byte-level BPE tokenizer", dir);
    if (sp.cls != 0 || sp.pad != 1 || sp.sep != 2 || sp.unk != 3 || sp.mask != V - 1)
        return lm_fail(err, "%s: expected RoBERTa's ids <s>=0 <pad>=1 </s>=2 <unk>=3 and "
                       "<mask> last (got %d %d %d %d, <mask> %d of %d)", dir, sp.cls, sp.pad,
                       sp.sep, sp.unk, sp.mask, V);
    return 0;
}

static char *ckpt_dir(const char *out, int step) {
    char name[64];
    snprintf(name, sizeof name, "checkpoint-%d", step);
    return lm_path_join(out, name);
}

static int save(run *r, int step, char **written, lm_error *err) {
    const lm_pretrain_config *c = r->cfg;
    char *dir = ckpt_dir(c->out_dir, step);
    int rc = lm_checkpoint_save_model(&r->m, c->tokenizer_dir, c->block, dir, err);
    if (!rc) {
        lm_pretrain_state s = {
            .step = (uint64_t)step, .rng = r->rng, .turn = r->pk.corpus.turn,
            .n_files = r->pk.corpus.n_files, .lines = r->pk.corpus.lines,
            .carry = r->pk.buf + r->pk.pos, .n_carry = r->pk.n - r->pk.pos,
            .n_moments = r->opt.n, .m = r->opt.m, .v = r->opt.v, .tokens = r->tokens};
        rc = lm_checkpoint_save_state(dir, &s, err);
    }
    if (!rc) {
        lm_trainer_state t = {.step = step, .max_steps = c->steps, .batch = c->batch, .block = c->block,
                              .seed = c->seed, .init_std = c->init_std,
                              .pos_init = lm_pos_init_name(c->pos_init), .tokens = r->tokens,
                              .log = r->log, .n_log = r->n_log};
        rc = lm_checkpoint_save_trainer_state(dir, &t, err);
    }
    if (rc) {
        lm_fail_prefix(err, "checkpoint %s", dir);
        free(dir);
        return -1;
    }
    *written = dir;
    return 0;
}

static int is_save_step(const lm_pretrain_config *c, int step) {
    if (step == c->steps) return 1;
    for (int i = 0; i < c->n_save_steps; i++)
        if (c->save_steps[i] == step) return 1;
    return 0;
}

static int setup(run *r, int *start, lm_error *err) {
    const lm_pretrain_config *c = r->cfg;
    if (c->block < 8 || c->batch < 1 || c->steps < 0 || c->hidden % c->heads)
        return lm_fail(err, "pretrain: bad shape (block >= 8, batch >= 1, heads dividing hidden)");
    r->tok = lm_tokenizer_load(c->tokenizer_dir, err);
    if (!r->tok || check_vocab(r->tok, c->tokenizer_dir, err)) return -1;
    lm_config mc;
    lm_config_roberta_mlm(lm_tokenizer_vocab_size(r->tok), c->hidden, c->layers, c->heads,
                             c->intermediate, c->block, &mc);
    lm_pretrain_state st = {0};
    if (c->resume) {
        if (lm_model_load(c->resume, NULL, &r->m, err)) return -1;
        const lm_config *h = &r->m.cfg;
        if (h->vocab_size != mc.vocab_size || h->hidden != mc.hidden || h->n_layers != mc.n_layers ||
            h->n_heads != mc.n_heads || h->intermediate != mc.intermediate ||
            h->max_positions != mc.max_positions || !r->m.tied) {
            return lm_fail(err, "%s: its shape differs from this run's flags (resume with the "
                           "same --layers/--hidden/--heads/--ffn/--block and tokenizer)", c->resume);
        }
        if (lm_checkpoint_load_state(c->resume, &st, err)) return -1;
    } else {
        lm_model_init_empty(&r->m, &mc, NULL);
        lm_model_init_random(&r->m, c->seed, (float)c->init_std);
        if (c->pos_init == LM_POS_INIT_SINUSOIDAL)
            lm_model_init_positions_sinusoidal(&r->m, (float)c->init_std);
    }
    /* gradients share the parameters' layout; one optimizer slice per tensor
     * so the weight-decay rule can follow the HuggingFace names */
    r->grad = lm_xalloc_aligned(r->m.n_params * sizeof(float));
    lm_weights_bind(&r->m, r->grad, &r->gw);
    lm_opt_seg *seg = lm_xcalloc((size_t)r->m.n_tensors, sizeof *seg);
    for (int i = 0; i < r->m.n_tensors; i++) {
        const lm_param_tensor *t = &r->m.tensors[i];
        seg[i] = (lm_opt_seg){.p = r->m.params + t->offset, .g = r->grad + t->offset,
                              .n = (size_t)t->rows * t->cols, .decay = lm_optim_decays(t->name)};
    }
    int warmup = c->warmup >= 0 ? c->warmup : (int)(0.06 * c->steps);
    lm_optim_init(&r->opt, LM_OPT_ADAMW, c->lr, c->weight_decay, c->max_grad_norm, warmup,
                  c->steps, seg, r->m.n_tensors);
    r->opt.beta1 = c->beta1;
    r->opt.beta2 = c->beta2;
    r->opt.eps = c->eps;
    if (lm_packer_open(&r->pk, r->tok, c->corpus, c->n_corpus, err)) {
        lm_pretrain_state_free(&st);
        return -1;
    }
    lm_rng_seed(&r->rng, c->seed ^ 0x6d61736b ^ (c->seed << 17));
    *start = 0;
    if (c->resume) {
        int bad = st.n_moments != r->opt.n || st.n_files != c->n_corpus;
        if (bad) lm_fail(err, "%s.state: written by a run of another shape or corpus", c->resume);
        else bad = lm_packer_restore(&r->pk, st.turn, st.lines, st.carry, st.n_carry, err);
        if (!bad) {
            memcpy(r->opt.m, st.m, st.n_moments * sizeof(float));
            memcpy(r->opt.v, st.v, st.n_moments * sizeof(float));
            r->opt.t = (int)st.step;
            r->rng = st.rng;
            r->tokens = st.tokens;
            *start = (int)st.step;
            load_log(r, c->resume, *start);
        }
        lm_pretrain_state_free(&st);
        if (bad) return -1;
    }
    size_t T = (size_t)c->batch * c->block;
    r->ids = lm_xmalloc(T * sizeof *r->ids);
    r->labels = lm_xmalloc(T * sizeof *r->labels);
    return lm_mkdirs(c->out_dir, err);
}

static void teardown(run *r) {
    lm_mlm_ws_free(&r->ws);
    lm_packer_close(&r->pk);
    lm_optim_free(&r->opt);
    lm_weights_free_layers(&r->gw);
    free(r->grad);
    if (r->m.params) lm_model_free(&r->m);
    if (r->tok) lm_tokenizer_free(r->tok);
    free(r->ids);
    free(r->labels);
    free(r->log);
}

/* One optimizer step: the next batch, masked, its loss and an AdamW update. */
static int train_step(run *r, double *loss, lm_error *err) {
    const lm_pretrain_config *c = r->cfg;
    int T = c->batch * c->block;
    for (int s = 0; s < c->batch; s++)
        if (lm_packer_next(&r->pk, c->block, r->ids + (size_t)s * c->block, err)) return -1;
    lm_mask_config mk = {.prob = c->mask_prob, .mask_id = r->m.cfg.vocab_size - 1,
                         .first_ordinary = 4, .vocab_size = r->m.cfg.vocab_size};
    lm_mask_tokens(&mk, r->ids, r->labels, T, &r->rng);
    memset(r->grad, 0, r->m.n_params * sizeof(float));
    int n_pred;
    if (lm_mlm_loss(&r->ws, &r->m, r->ids, r->labels, c->batch, c->block, &r->gw, loss, &n_pred, err))
        return -1;
    lm_optim_step(&r->opt);
    r->tokens += T;
    return 0;
}

/* Drops the lines of loss.tsv past the resumed step: a run killed between
 * two checkpoints logged steps that the resumed run logs again. */
static int trim_log(const char *path, int start, lm_error *err) {
    size_t len;
    char *text = lm_read_file(path, &len, err);
    if (!text) return -1;
    size_t keep = 0;
    for (char *line = text; line < text + len;) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        char *end = nl ? nl + 1 : text + len;
        char *e;
        long step = strtol(line, &e, 10);
        if (e != line && step > start) break;   /* the header and earlier steps stay */
        keep = (size_t)(end - text);
        line = end;
    }
    int rc = keep == len ? 0 : lm_write_file_atomic(path, text, keep, err);
    free(text);
    return rc;
}

static FILE *open_log(const lm_pretrain_config *c, int start, lm_error *err) {
    char *p = lm_path_join(c->out_dir, "loss.tsv");
    int resumed = start > 0 && lm_file_exists(p);
    FILE *f = NULL;
    if (!resumed || !trim_log(p, start, err)) {
        f = fopen(p, resumed ? "a" : "w");
        if (!f) lm_fail(err, "%s: cannot open for writing", p);
        else if (ftell(f) == 0)
            fprintf(f, "step\ttokens\tloss\tlr\tgrad_norm\ttokens_per_s\telapsed_s\n");
    }
    free(p);
    return f;
}

int lm_pretrain_run(const lm_pretrain_config *cfg, const lm_pretrain_hooks *hooks, lm_error *err) {
    run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    int start = 0, rc = 0;
    FILE *log = NULL;
    if (setup(&r, &start, err) || !(log = open_log(cfg, start, err))) {
        teardown(&r);
        return -1;
    }
    double t0 = now_s(), sum = 0;
    int n_sum = 0, stop = 0;
    lm_pretrain_report rep = {.steps = cfg->steps};
    char *written = NULL;
    if (start == 0 && is_save_step(cfg, 0)) rc = save(&r, 0, &written, err);
    free(written);
    for (int step = start; rc == 0 && step < cfg->steps && !stop;) {
        double loss;
        if (train_step(&r, &loss, err)) { rc = -1; break; }
        step++;
        sum += loss;
        n_sum++;
        written = NULL;
        int last = step == cfg->steps, save_now = is_save_step(cfg, step);
        if (step % cfg->log_every == 0 || last || save_now) {
            double el = now_s() - t0;
            rep.step = step;
            rep.loss = sum / n_sum;
            rep.lr = r.opt.last_lr;
            rep.grad_norm = r.opt.last_norm;
            rep.tokens = r.tokens;
            rep.tokens_per_s = (double)(step - start) * cfg->batch * cfg->block / (el > 0 ? el : 1e-9);
            rep.elapsed_s = el;
            rep.eta_s = (double)(cfg->steps - step) * el / (step - start);
            log_point(&r, step, rep.loss, rep.lr, r.tokens);
            fprintf(log, "%d\t%.0f\t%.5f\t%.6g\t%.4f\t%.0f\t%.1f\n", step, r.tokens, rep.loss,
                    rep.lr, rep.grad_norm, rep.tokens_per_s, el);
            fflush(log);
            sum = 0;
            n_sum = 0;
            /* saved after the point is logged, so its trainer_state.json ends at this step */
            if (save_now && save(&r, step, &written, err)) { rc = -1; break; }
            rep.checkpoint = written;
            if (hooks && hooks->report && hooks->report(hooks->ctx, &rep)) {
                stop = 1;
                if (!written && !last && save(&r, step, &written, err)) rc = -1;
            }
        }
        free(written);
    }
    fclose(log);
    teardown(&r);
    return rc;
}
