/* checkpoint.c - model folder and trainer state of a pre-training run. */
#include "pretrain/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

static int copy_file(const char *from_dir, const char *to_dir, const char *name, lm_error *err) {
    char *src = lm_path_join(from_dir, name), *dst = lm_path_join(to_dir, name);
    size_t len;
    char *buf = lm_read_file(src, &len, err);
    int rc = buf ? lm_write_file_atomic(dst, buf, len, err) : -1;
    free(buf);
    free(src);
    free(dst);
    return rc;
}

int lm_checkpoint_save_model(const lm_model *m, const char *tok_dir, int max_len, const char *dir,
                             lm_error *err) {
    if (lm_model_save(m, dir, err)) return -1;
    if (copy_file(tok_dir, dir, "vocab.json", err) || copy_file(tok_dir, dir, "merges.txt", err))
        return -1;
    /* so that transformers' AutoTokenizer knows the class and the length */
    char js[256];
    int n = snprintf(js, sizeof js, "{\n  \"tokenizer_class\": \"RobertaTokenizer\",\n"
                     "  \"model_max_length\": %d\n}\n", max_len);
    char *p = lm_path_join(dir, "tokenizer_config.json");
    int rc = lm_write_file_atomic(p, js, (size_t)n, err);
    free(p);
    return rc;
}

int lm_checkpoint_save_trainer_state(const char *dir, const lm_trainer_state *t, lm_error *err) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "global_step", t->step);
    cJSON_AddNumberToObject(o, "max_steps", t->max_steps);
    cJSON_AddNumberToObject(o, "num_input_tokens_seen", t->tokens);
    cJSON_AddNumberToObject(o, "train_batch_size", t->batch);
    cJSON_AddNumberToObject(o, "block_size", t->block);
    cJSON_AddNumberToObject(o, "seed", (double)t->seed);
    cJSON_AddNumberToObject(o, "init_std", t->init_std);
    if (t->pos_init) cJSON_AddStringToObject(o, "pos_init", t->pos_init);
    cJSON *h = cJSON_AddArrayToObject(o, "log_history");
    for (int i = 0; i < t->n_log; i++) {
        const double *r = t->log + 4 * (size_t)i;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "step", r[0]);
        cJSON_AddNumberToObject(e, "loss", r[1]);
        cJSON_AddNumberToObject(e, "learning_rate", r[2]);
        cJSON_AddNumberToObject(e, "num_input_tokens_seen", r[3]);
        cJSON_AddItemToArray(h, e);
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    char *p = lm_path_join(dir, "trainer_state.json");
    int rc = lm_write_file_atomic(p, text, strlen(text), err);
    free(p);
    free(text);
    return rc;
}

cJSON *lm_checkpoint_read_trainer_state(const char *dir) {
    char *p = lm_path_join(dir, "trainer_state.json");
    size_t len;
    lm_error ignore;
    char *text = lm_file_exists(p) ? lm_read_file(p, &len, &ignore) : NULL;
    free(p);
    cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    return o;
}

int lm_checkpoint_step(const char *dir, double *tokens) {
    if (tokens) *tokens = -1;
    cJSON *o = lm_checkpoint_read_trainer_state(dir);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "global_step");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "num_input_tokens_seen");
    int step = cJSON_IsNumber(g) && g->valuedouble >= 0 ? (int)g->valuedouble : -1;
    if (tokens && cJSON_IsNumber(n)) *tokens = n->valuedouble;
    cJSON_Delete(o);
    if (step >= 0) return step;
    return lm_checkpoint_name_step(dir);
}

/* ---- the state file: a magic line, then fixed-width native fields ------- */

static const char MAGIC[16] = "lmntk-pretrain1\n";

typedef struct wbuf { char *p; size_t n, cap; } wbuf;

static void put(wbuf *b, const void *x, size_t n) {
    if (b->n + n > b->cap) {
        while (b->n + n > b->cap) b->cap = b->cap ? 2 * b->cap : 4096;
        b->p = lm_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, x, n);
    b->n += n;
}

static char *state_path(const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *p = lm_xmalloc(n + 7);
    memcpy(p, dir, n);
    memcpy(p + n, ".state", 7);
    return p;
}

int lm_checkpoint_save_state(const char *dir, const lm_pretrain_state *s, lm_error *err) {
    wbuf b = {0};
    uint64_t nf = (uint64_t)s->n_files, nc = s->n_carry, nm = s->n_moments;
    put(&b, MAGIC, sizeof MAGIC);
    put(&b, &s->step, 8);
    put(&b, s->rng.s, sizeof s->rng.s);
    put(&b, &s->tokens, 8);
    put(&b, &s->turn, 8);
    put(&b, &nf, 8);
    put(&b, s->lines, nf * 8);
    put(&b, &nc, 8);
    put(&b, s->carry, nc * sizeof(int32_t));
    put(&b, &nm, 8);
    put(&b, s->m, nm * sizeof(float));
    put(&b, s->v, nm * sizeof(float));
    char *path = state_path(dir);
    int rc = lm_write_file_atomic(path, b.p, b.n, err);
    free(path);
    free(b.p);
    return rc;
}

typedef struct rbuf { const char *p; size_t n, at; } rbuf;

static int get(rbuf *b, void *x, size_t n) {
    if (b->at + n > b->n) return -1;
    memcpy(x, b->p + b->at, n);
    b->at += n;
    return 0;
}

int lm_checkpoint_load_state(const char *dir, lm_pretrain_state *s, lm_error *err) {
    memset(s, 0, sizeof *s);
    char *path = state_path(dir);
    size_t len;
    char *buf = lm_read_file(path, &len, err);
    if (!buf) {
        lm_fail_prefix(err, "resume needs the trainer state beside the checkpoint");
        free(path);
        return -1;
    }
    rbuf b = {buf, len, 0};
    char magic[16];
    uint64_t nf = 0, nc = 0, nm = 0;
    int bad = get(&b, magic, 16) || memcmp(magic, MAGIC, 16) != 0;
    bad = bad || get(&b, &s->step, 8) || get(&b, s->rng.s, sizeof s->rng.s) ||
          get(&b, &s->tokens, 8) || get(&b, &s->turn, 8) || get(&b, &nf, 8) || nf > 4096;
    if (!bad) {
        s->n_files = (int)nf;
        s->lines = lm_xcalloc(nf ? nf : 1, 8);
        bad = get(&b, s->lines, nf * 8) || get(&b, &nc, 8) || nc > (1u << 30);
    }
    if (!bad) {
        s->n_carry = nc;
        s->carry = lm_xmalloc((nc ? nc : 1) * sizeof(int32_t));
        bad = get(&b, s->carry, nc * sizeof(int32_t)) || get(&b, &nm, 8) ||
              nm * 2 * sizeof(float) != len - b.at;
    }
    if (!bad) {
        s->n_moments = nm;
        s->m = lm_xmalloc((nm ? nm : 1) * sizeof(float));
        s->v = lm_xmalloc((nm ? nm : 1) * sizeof(float));
        bad = get(&b, s->m, nm * sizeof(float)) || get(&b, s->v, nm * sizeof(float));
    }
    free(buf);
    if (bad) {
        lm_fail(err, "%s: not a pre-training state file, or truncated", path);
        lm_pretrain_state_free(s);
    }
    free(path);
    return bad ? -1 : 0;
}

void lm_pretrain_state_free(lm_pretrain_state *s) {
    free(s->lines);
    free(s->carry);
    free(s->m);
    free(s->v);
    memset(s, 0, sizeof *s);
}
