/* model.c - the parameter table of a RoBERTa/BERT masked LM: layout,
 * loading from HuggingFace safetensors, saving, random initialisation. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "model/safetensors.h"
#include "util/file.h"
#include "util/rng.h"

/* ---- layout ------------------------------------------------------------ */

static lm_param_kind kind_of(lm_param_role r) {
    switch (r) {
    case LM_R_WORD: case LM_R_POS: case LM_R_TYPE: return LM_PK_EMBEDDING;
    case LM_R_EMB_LN_G: case LM_R_LN1_G: case LM_R_LN2_G: case LM_R_HEAD_LN_G: return LM_PK_LN_GAIN;
    case LM_R_EMB_LN_B: case LM_R_LN1_B: case LM_R_LN2_B: case LM_R_HEAD_LN_B: return LM_PK_LN_BIAS;
    case LM_R_Q_W: case LM_R_K_W: case LM_R_V_W: case LM_R_O_W: case LM_R_FF1_W: case LM_R_FF2_W:
    case LM_R_HEAD_W: case LM_R_CLS_W: return LM_PK_LINEAR_W;
    case LM_R_DEC_W: return LM_PK_DECODER_W;
    case LM_R_DEC_B: return LM_PK_DECODER_B;
    case LM_R_POOL_W: case LM_R_POOL_B: return LM_PK_UNUSED;
    default: return LM_PK_BIAS;
    }
}

static void add_tensor(lm_model *m, int *cap, const char *name, int rows, int cols,
                       lm_param_role role, int layer) {
    if (m->n_tensors == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        m->tensors = lm_xrealloc(m->tensors, (size_t)*cap * sizeof *m->tensors);
    }
    lm_param_tensor *t = &m->tensors[m->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    /* each tensor starts on a 16-float boundary so that BLAS sees aligned rows */
    t->offset = (m->n_params + 15) & ~(size_t)15;
    t->rows = rows;
    t->cols = cols;
    t->kind = kind_of(role);
    t->role = role;
    t->ndim = (t->kind == LM_PK_LINEAR_W || t->kind == LM_PK_EMBEDDING ||
               t->kind == LM_PK_DECODER_W || role == LM_R_POOL_W) ? 2 : 1;
    t->layer = layer;
    m->n_params = t->offset + (size_t)rows * cols;
}

/* Builds the table in a fixed order: embeddings, layers, head, pooler,
 * classifier.  The names are those HuggingFace writes for *ForMaskedLM. */
static void build_layout(lm_model *m) {
    const lm_config *c = &m->cfg;
    int cap = 0, H = c->hidden, I = c->intermediate;
    int roberta = c->arch == LM_ARCH_ROBERTA;
    const char *base = roberta ? "roberta" : "bert";
    char n[96];
#define ADD(role, layer, rows, cols, ...) \
    do { snprintf(n, sizeof n, __VA_ARGS__); add_tensor(m, &cap, n, rows, cols, role, layer); } while (0)
    ADD(LM_R_WORD, -1, c->vocab_size, H, "%s.embeddings.word_embeddings.weight", base);
    ADD(LM_R_POS, -1, c->max_positions, H, "%s.embeddings.position_embeddings.weight", base);
    ADD(LM_R_TYPE, -1, c->type_vocab_size, H, "%s.embeddings.token_type_embeddings.weight", base);
    ADD(LM_R_EMB_LN_G, -1, 1, H, "%s.embeddings.LayerNorm.weight", base);
    ADD(LM_R_EMB_LN_B, -1, 1, H, "%s.embeddings.LayerNorm.bias", base);
    for (int l = 0; l < c->n_layers; l++) {
        const char *p = "encoder.layer";
        ADD(LM_R_Q_W, l, H, H, "%s.%s.%d.attention.self.query.weight", base, p, l);
        ADD(LM_R_Q_B, l, 1, H, "%s.%s.%d.attention.self.query.bias", base, p, l);
        ADD(LM_R_K_W, l, H, H, "%s.%s.%d.attention.self.key.weight", base, p, l);
        ADD(LM_R_K_B, l, 1, H, "%s.%s.%d.attention.self.key.bias", base, p, l);
        ADD(LM_R_V_W, l, H, H, "%s.%s.%d.attention.self.value.weight", base, p, l);
        ADD(LM_R_V_B, l, 1, H, "%s.%s.%d.attention.self.value.bias", base, p, l);
        ADD(LM_R_O_W, l, H, H, "%s.%s.%d.attention.output.dense.weight", base, p, l);
        ADD(LM_R_O_B, l, 1, H, "%s.%s.%d.attention.output.dense.bias", base, p, l);
        ADD(LM_R_LN1_G, l, 1, H, "%s.%s.%d.attention.output.LayerNorm.weight", base, p, l);
        ADD(LM_R_LN1_B, l, 1, H, "%s.%s.%d.attention.output.LayerNorm.bias", base, p, l);
        ADD(LM_R_FF1_W, l, I, H, "%s.%s.%d.intermediate.dense.weight", base, p, l);
        ADD(LM_R_FF1_B, l, 1, I, "%s.%s.%d.intermediate.dense.bias", base, p, l);
        ADD(LM_R_FF2_W, l, H, I, "%s.%s.%d.output.dense.weight", base, p, l);
        ADD(LM_R_FF2_B, l, 1, H, "%s.%s.%d.output.dense.bias", base, p, l);
        ADD(LM_R_LN2_G, l, 1, H, "%s.%s.%d.output.LayerNorm.weight", base, p, l);
        ADD(LM_R_LN2_B, l, 1, H, "%s.%s.%d.output.LayerNorm.bias", base, p, l);
    }
    const char *hp = roberta ? "lm_head" : "cls.predictions.transform";
    ADD(LM_R_HEAD_W, -1, H, H, "%s.dense.weight", hp);
    ADD(LM_R_HEAD_B, -1, 1, H, "%s.dense.bias", hp);
    ADD(LM_R_HEAD_LN_G, -1, 1, H, "%s.%s.weight", hp, roberta ? "layer_norm" : "LayerNorm");
    ADD(LM_R_HEAD_LN_B, -1, 1, H, "%s.%s.bias", hp, roberta ? "layer_norm" : "LayerNorm");
    const char *dp = roberta ? "lm_head" : "cls.predictions";
    if (!m->tied) ADD(LM_R_DEC_W, -1, c->vocab_size, H, "%s.decoder.weight", dp);
    ADD(LM_R_DEC_B, -1, 1, c->vocab_size, "%s.bias", dp);
    if (m->has_pooler) {
        ADD(LM_R_POOL_W, -1, H, H, "%s.pooler.dense.weight", base);
        ADD(LM_R_POOL_B, -1, 1, H, "%s.pooler.dense.bias", base);
    }
    if (m->n_classes > 0) {
        ADD(LM_R_CLS_W, -1, m->n_classes, H, "classifier.weight");
        ADD(LM_R_CLS_B, -1, 1, m->n_classes, "classifier.bias");
    }
#undef ADD
    m->n_params = (m->n_params + 15) & ~(size_t)15;
}

void lm_weights_bind(const lm_model *m, float *base, lm_weights *w) {
    memset(w, 0, sizeof *w);
    int L = m->cfg.n_layers;
    w->layers = lm_xcalloc((size_t)L, sizeof *w->layers);
    float **slots[] = {&w->word_emb, &w->pos_emb, &w->type_emb, &w->emb_ln_g, &w->emb_ln_b};
    int t = 0;
    for (int i = 0; i < 5; i++) *slots[i] = base + m->tensors[t++].offset;
    for (int l = 0; l < L; l++) {
        lm_layer_weights *y = &w->layers[l];
        float **ls[] = {&y->wq, &y->bq, &y->wk, &y->bk, &y->wv, &y->bv, &y->wo, &y->bo,
                        &y->ln1_g, &y->ln1_b, &y->w1, &y->b1, &y->w2, &y->b2, &y->ln2_g, &y->ln2_b};
        for (int i = 0; i < 16; i++) *ls[i] = base + m->tensors[t++].offset;
    }
    float **hs[] = {&w->head_w, &w->head_b, &w->head_ln_g, &w->head_ln_b};
    for (int i = 0; i < 4; i++) *hs[i] = base + m->tensors[t++].offset;
    w->decoder_w = m->tied ? w->word_emb : base + m->tensors[t++].offset;
    w->decoder_b = base + m->tensors[t++].offset;
    if (m->has_pooler) {
        w->pool_w = base + m->tensors[t++].offset;
        w->pool_b = base + m->tensors[t++].offset;
    }
    if (m->n_classes > 0) {
        w->cls_w = base + m->tensors[t++].offset;
        w->cls_b = base + m->tensors[t++].offset;
    }
}

void lm_weights_free_layers(lm_weights *w) {
    free(w->layers);
    w->layers = NULL;
}

static void model_alloc(lm_model *m, const lm_config *cfg, const lm_load_options *opt,
                        int has_pooler) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->tied = cfg->tie_word_embeddings && opt->decoder == LM_DECODER_AS_CHECKPOINT;
    m->has_pooler = has_pooler;
    m->n_classes = opt->n_classes;
    build_layout(m);
    /* 2 MB-aligned and marked for transparent huge pages: filling 500 MB of
     * parameters then costs a few hundred page faults, not 10^5 */
    size_t bytes = m->n_params * sizeof(float);
    void *p = NULL;
    if (posix_memalign(&p, (size_t)2 << 20, bytes ? bytes : 1) != 0) {
        fprintf(stderr, "lmntk: out of memory allocating %zu bytes\n", bytes);
        abort();
    }
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    memset(p, 0, bytes);
    m->params = p;
    lm_weights_bind(m, m->params, &m->w);
}

size_t lm_model_n_params(const lm_config *cfg, const lm_load_options *opt) {
    lm_load_options dflt = {0};
    if (!opt) opt = &dflt;
    lm_model m;
    memset(&m, 0, sizeof m);
    m.cfg = *cfg;
    m.tied = cfg->tie_word_embeddings && opt->decoder == LM_DECODER_AS_CHECKPOINT;
    m.n_classes = opt->n_classes;
    build_layout(&m);
    free(m.tensors);
    return m.n_params;
}

void lm_model_init_empty(lm_model *m, const lm_config *cfg, const lm_load_options *opt) {
    lm_load_options dflt = {0};
    model_alloc(m, cfg, opt ? opt : &dflt, 0);
}

void lm_model_free(lm_model *m) {
    free(m->params);
    free(m->tensors);
    lm_weights_free_layers(&m->w);
    memset(m, 0, sizeof *m);
}

/* ---- loading ----------------------------------------------------------- */

/* Finds a tensor by its full name, or without the "roberta."/"bert." prefix
 * (checkpoints of bare RobertaModel omit it), or a known alias. */
static const lm_st_tensor *find_tensor(const lm_st_file *f, const lm_model *m, const char *name) {
    const lm_st_tensor *t = lm_st_find(f, name);
    if (t) return t;
    const char *base = m->cfg.arch == LM_ARCH_ROBERTA ? "roberta." : "bert.";
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) == 0 && (t = lm_st_find(f, name + bl))) return t;
    if (strcmp(name, "lm_head.bias") == 0) return lm_st_find(f, "lm_head.decoder.bias");
    if (strcmp(name, "cls.predictions.bias") == 0) return lm_st_find(f, "cls.predictions.decoder.bias");
    return NULL;
}

static int load_tensor(const lm_st_file *f, const lm_model *m, const lm_param_tensor *pt,
                       const char *name, float *dst, lm_error *err) {
    const lm_st_tensor *t = find_tensor(f, m, name);
    if (!t) return lm_fail(err, "%s: missing tensor \"%s\"", f->path, name);
    int is_vec = pt->ndim == 1;
    int ok = is_vec ? (t->ndim == 1 && t->shape[0] == pt->cols)
                    : (t->ndim == 2 && t->shape[0] == pt->rows && t->shape[1] == pt->cols);
    if (!ok) {
        char got[128] = "";
        for (int i = 0; i < t->ndim; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "," : "",
                     (long long)t->shape[i]);
        if (is_vec)
            return lm_fail(err, "%s: tensor \"%s\" has shape [%s]; config.json implies [%d]",
                           f->path, t->name, got, pt->cols);
        return lm_fail(err, "%s: tensor \"%s\" has shape [%s]; config.json implies [%d,%d]",
                       f->path, t->name, got, pt->rows, pt->cols);
    }
    if (lm_st_read_f32(f, t, dst, err)) return -1;
    /* non-finite = exponent bits all ones; one vectorisable pass, then the
     * index only when there is one */
    size_t n = (size_t)pt->rows * pt->cols;
    const uint32_t *bits = (const uint32_t *)dst;
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) bad |= ((bits[i] >> 23) & 0xffu) == 0xffu;
    for (size_t i = 0; bad && i < n; i++)
        if (!isfinite(dst[i]))
            return lm_fail(err, "%s: tensor \"%s\" holds a non-finite value at index %zu",
                           f->path, t->name, i);
    return 0;
}

int lm_model_load(const char *dir, const lm_load_options *opt, lm_model *m, lm_error *err) {
    lm_load_options dflt = {0};
    if (!opt) opt = &dflt;
    memset(m, 0, sizeof *m);
    lm_config cfg;
    if (lm_config_load(dir, &cfg, err)) return -1;
    char *path = lm_path_join(dir, "model.safetensors");
    lm_st_file f;
    if (lm_st_open(path, &f, err)) {
        free(path);
        return -1;
    }
    free(path);
    /* the pooler is kept when the checkpoint has one (zero gradient, spec §4.1) */
    char pool[64];
    snprintf(pool, sizeof pool, "%s.pooler.dense.weight", cfg.arch == LM_ARCH_ROBERTA ? "roberta" : "bert");
    int has_pooler = lm_st_find(&f, pool) || lm_st_find(&f, strchr(pool, '.') + 1);
    model_alloc(m, &cfg, opt, has_pooler);
    int rc = 0;
    for (int i = 0; i < m->n_tensors && rc == 0; i++) {
        const lm_param_tensor *pt = &m->tensors[i];
        if (pt->kind == LM_PK_DECODER_W && !cfg.tie_word_embeddings) {
            rc = load_tensor(&f, m, pt, pt->name, m->params + pt->offset, err);
        } else if (pt->kind == LM_PK_DECODER_W) {
            /* tied in the checkpoint, separate by request: start equal to the
             * word embeddings (a stored decoder copy, if any, must be the same) */
            memcpy(m->params + pt->offset, m->w.word_emb,
                   (size_t)pt->rows * pt->cols * sizeof(float));
        } else if (strncmp(pt->name, "classifier.", 11) == 0) {
            /* the no-prompt head is task-specific: loaded when the checkpoint
             * has one (a fine-tuned model), zero until initialised otherwise */
            if (lm_st_find(&f, pt->name)) rc = load_tensor(&f, m, pt, pt->name, m->params + pt->offset, err);
        } else {
            rc = load_tensor(&f, m, pt, pt->name, m->params + pt->offset, err);
        }
    }
    lm_st_close(&f);
    if (rc) lm_model_free(m);
    return rc;
}

/* ---- saving and initialisation ---------------------------------------- */

int lm_model_save(const lm_model *m, const char *dir, lm_error *err) {
    if (lm_mkdirs(dir, err)) return -1;
    lm_st_out_tensor *out = lm_xcalloc((size_t)m->n_tensors, sizeof *out);
    for (int i = 0; i < m->n_tensors; i++) {
        const lm_param_tensor *t = &m->tensors[i];
        out[i].name = t->name;
        out[i].data = m->params + t->offset;
        out[i].ndim = t->ndim;
        out[i].shape[0] = t->ndim == 1 ? t->cols : t->rows;
        out[i].shape[1] = t->cols;
    }
    char *path = lm_path_join(dir, "model.safetensors");
    int rc = lm_st_write(path, out, m->n_tensors, err);
    free(path);
    free(out);
    if (rc) return -1;
    lm_config cfg = m->cfg;
    cfg.tie_word_embeddings = m->tied;
    char *json = lm_config_to_json(&cfg);
    path = lm_path_join(dir, "config.json");
    rc = lm_write_file_atomic(path, json, strlen(json), err);
    free(path);
    free(json);
    return rc;
}

void lm_model_init_random(lm_model *m, uint64_t seed, float std) {
    lm_rng rng;
    lm_rng_seed(&rng, seed);
    for (int i = 0; i < m->n_tensors; i++) {
        const lm_param_tensor *t = &m->tensors[i];
        float *p = m->params + t->offset;
        size_t n = (size_t)t->rows * t->cols;
        float fill = t->kind == LM_PK_LN_GAIN ? 1.0f : 0.0f;
        int normal = t->kind == LM_PK_LINEAR_W || t->kind == LM_PK_EMBEDDING ||
                     t->kind == LM_PK_DECODER_W || (t->kind == LM_PK_UNUSED && t->rows > 1);
        for (size_t j = 0; j < n; j++) p[j] = normal ? (float)(std * lm_rng_normal(&rng)) : fill;
    }
}

void lm_model_init_positions_sinusoidal(lm_model *m, float std) {
    int H = m->cfg.hidden;
    float amp = std * sqrtf(2.0f);  /* sin and cos have RMS 1/sqrt(2) */
    for (int p = 0; p < m->cfg.max_positions; p++) {
        float *row = m->w.pos_emb + (size_t)p * H;
        for (int i = 0; i < H; i++) {
            double w = pow(10000.0, -(double)(i & ~1) / H);
            row[i] = amp * (float)(i & 1 ? cos(p * w) : sin(p * w));
        }
    }
}
