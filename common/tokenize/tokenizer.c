/* tokenizer.c - loading by folder contents, the vocabulary, added (special)
 * tokens split out of the text, and dispatch to BPE or WordPiece. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"
#include "util/file.h"

void lm_vocab_init(lm_vocab *v) {
    memset(v, 0, sizeof *v);
    lm_strmap_init(&v->map);
}

void lm_vocab_free(lm_vocab *v) {
    lm_strmap_free(&v->map);
    free(v->tok_off);
    memset(v, 0, sizeof *v);
}

static void vocab_reserve(lm_vocab *v, int32_t n) {
    if (n <= v->capsym) return;
    int32_t cap = v->capsym ? v->capsym : 1024;
    while (cap < n) cap *= 2;
    v->tok_off = lm_xrealloc(v->tok_off, (size_t)cap * sizeof *v->tok_off);
    for (int32_t i = v->capsym; i < cap; i++) v->tok_off[i] = UINT32_MAX;
    v->capsym = cap;
}

void lm_vocab_add(lm_vocab *v, const char *s, size_t len, int32_t id) {
    vocab_reserve(v, id + 1);
    v->tok_off[id] = lm_strmap_put(&v->map, s, len, id);
    if (id + 1 > v->nsym) v->nsym = id + 1;
}

void lm_vocab_seal(lm_vocab *v) {
    v->size = v->nsym;
}

int32_t lm_vocab_symbol(lm_vocab *v, const char *s, size_t len) {
    int32_t id = lm_strmap_get(&v->map, s, len);
    if (id >= 0) return id;
    id = v->nsym;
    vocab_reserve(v, id + 1);
    v->tok_off[id] = lm_strmap_put(&v->map, s, len, id);
    v->nsym = id + 1;
    return id;
}

static void push_added(lm_tokenizer *t, const char *s, int32_t id, int lstrip, int rstrip) {
    size_t len = strlen(s);
    if (len == 0) return;
    for (int i = 0; i < t->nadded; i++)
        if (t->added[i].len == len && memcmp(t->added[i].s, s, len) == 0) return;
    t->added = lm_xrealloc(t->added, (size_t)(t->nadded + 1) * sizeof *t->added);
    lm_added_token *a = &t->added[t->nadded++];
    a->s = lm_xstrdup(s);
    a->len = len;
    a->id = id;
    a->lstrip = (uint8_t)lstrip;
    a->rstrip = (uint8_t)rstrip;
    t->added_first[(unsigned char)s[0]] = 1;
}

void lm_tok_add_special(lm_tokenizer *t, const char *s, int lstrip, int rstrip) {
    int32_t id = lm_strmap_get(&t->vocab.map, s, strlen(s));
    if (id >= 0 && id < t->vocab.size) push_added(t, s, id, lstrip, rstrip);
}

void lm_tok_add_added(lm_tokenizer *t, const char *s, int32_t id, int lstrip, int rstrip) {
    /* A token the vocabulary already holds keeps the vocabulary's id, as in
     * HF's AddedVocabulary: another id in added_tokens could lie outside the
     * vocabulary and index past the model's embeddings. */
    int32_t known = lm_strmap_get(&t->vocab.map, s, strlen(s));
    if (known >= 0) id = known;
    else lm_vocab_add(&t->vocab, s, strlen(s), id);
    push_added(t, s, id, lstrip, rstrip);
}

int lm_line_of(const char *buf, size_t off) {
    int line = 1;
    for (size_t i = 0; i < off; i++) line += buf[i] == '\n';
    return line;
}

cJSON *lm_json_load(const char *path, lm_error *err) {
    size_t len;
    char *buf = lm_read_file(path, &len, err);
    if (!buf) return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        size_t off = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : 0;
        lm_fail(err, "%s:%d: malformed JSON near byte offset %zu", path, lm_line_of(buf, off), off);
    }
    free(buf);
    return root;
}

static lm_tokenizer *tok_new(lm_tokenizer_kind kind) {
    lm_tokenizer *t = lm_xcalloc(1, sizeof *t);
    t->kind = kind;
    lm_vocab_init(&t->vocab);
    lm_pairmap_init(&t->merges);
    t->special = (lm_special_ids){-1, -1, -1, -1, -1};
    return t;
}

static lm_tokenizer *load_tokenizer_json(const char *dir, const char *path, lm_error *err) {
    cJSON *root = lm_json_load(path, err);
    if (!root) return NULL;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    const char *ty = cJSON_IsString(type) ? type->valuestring : NULL;
    /* Older files leave out model.type; merges then mean BPE. */
    if (!ty && cJSON_GetObjectItemCaseSensitive(model, "merges")) ty = "BPE";
    lm_tokenizer *t = NULL;
    int rc = -1;
    if (ty && strcmp(ty, "BPE") == 0) {
        t = tok_new(LM_TOK_BPE);
        rc = lm_bpe_load_json(t, root, path, err);
    } else if (ty && strcmp(ty, "WordPiece") == 0) {
        /* vocab.txt is BertTokenizer's own file: prefer it when present. */
        char *vt = lm_path_join(dir, "vocab.txt");
        t = tok_new(LM_TOK_WORDPIECE);
        rc = lm_file_exists(vt) ? lm_wordpiece_load_txt(t, dir, vt, err)
                                : lm_wordpiece_load_json(t, root, path, err);
        free(vt);
    } else {
        lm_fail(err, "%s: model.type %s is not supported (BPE or WordPiece)", path,
                ty ? ty : "(missing)");
    }
    cJSON_Delete(root);
    if (rc) {
        lm_tokenizer_free(t);
        return NULL;
    }
    return t;
}

lm_tokenizer *lm_tokenizer_load(const char *dir, lm_error *err) {
    if (!lm_dir_exists(dir)) {
        lm_fail(err, "%s: tokenizer folder not found", dir);
        return NULL;
    }
    char *vj = lm_path_join(dir, "vocab.json"), *mt = lm_path_join(dir, "merges.txt");
    char *tj = lm_path_join(dir, "tokenizer.json"), *vt = lm_path_join(dir, "vocab.txt");
    lm_tokenizer *t = NULL;
    int has_vj = lm_file_exists(vj), has_mt = lm_file_exists(mt);
    if (has_vj && has_mt) {
        t = tok_new(LM_TOK_BPE);
        if (lm_bpe_load_files(t, vj, mt, err)) {
            lm_tokenizer_free(t);
            t = NULL;
        }
    } else if (lm_file_exists(tj)) {
        t = load_tokenizer_json(dir, tj, err);
    } else if (has_vj || has_mt) {
        lm_fail(err, "%s: missing (BPE needs both vocab.json and merges.txt, or tokenizer.json)",
                has_vj ? mt : vj);
    } else if (lm_file_exists(vt)) {
        t = tok_new(LM_TOK_WORDPIECE);
        if (lm_wordpiece_load_txt(t, dir, vt, err)) {
            lm_tokenizer_free(t);
            t = NULL;
        }
    } else {
        lm_fail(err, "%s: no tokenizer files (looked for vocab.json + merges.txt, "
                "tokenizer.json, vocab.txt)", dir);
    }
    free(vj);
    free(mt);
    free(tj);
    free(vt);
    return t;
}

void lm_tokenizer_free(lm_tokenizer *t) {
    if (!t) return;
    lm_vocab_free(&t->vocab);
    lm_pairmap_free(&t->merges);
    for (int i = 0; i < t->nadded; i++) free(t->added[i].s);
    free(t->added);
    free(t);
}

lm_tokenizer_kind lm_tokenizer_get_kind(const lm_tokenizer *t) { return t->kind; }
lm_special_ids lm_tokenizer_special(const lm_tokenizer *t) { return t->special; }
int32_t lm_tokenizer_vocab_size(const lm_tokenizer *t) { return t->vocab.size; }

int32_t lm_token_to_id(const lm_tokenizer *t, const char *token) {
    int32_t id = lm_strmap_get(&t->vocab.map, token, strlen(token));
    return id < t->vocab.size ? id : -1;
}

const char *lm_id_to_token(const lm_tokenizer *t, int32_t id) {
    return id < t->vocab.size ? lm_vocab_str(&t->vocab, id) : NULL;
}

char *lm_detokenize(const lm_tokenizer *t, const int32_t *ids, size_t n) {
    return t->kind == LM_TOK_BPE ? lm_bpe_decode(t, ids, n) : lm_wordpiece_decode(t, ids, n);
}

/* The added token that starts at s[p] (longest), or NULL. */
static const lm_added_token *added_at(const lm_tokenizer *t, const char *s, size_t len, size_t p) {
    if (!t->added_first[(unsigned char)s[p]]) return NULL;
    const lm_added_token *best = NULL;
    for (int i = 0; i < t->nadded; i++) {
        const lm_added_token *a = &t->added[i];
        if (a->len <= len - p && memcmp(s + p, a->s, a->len) == 0 && (!best || a->len > best->len))
            best = a;
    }
    return best;
}

/* Bytes of the \s run (python3-regex's, as the reference's) ending at e / starting at p. */
static size_t trailing_space(const char *s, size_t start, size_t e) {
    size_t keep = start;
    for (size_t p = start; p < e;) {
        if (lm_uc_bpe_class(lm_utf8_next(s, &p)) != LM_UC_SPACE) keep = p;
    }
    return e - keep;
}

static size_t leading_space(const char *s, size_t p, size_t e) {
    size_t start = p;
    while (p < e) {
        size_t q = p;
        if (lm_uc_bpe_class(lm_utf8_next(s, &q)) != LM_UC_SPACE) break;
        p = q;
    }
    return p - start;
}

static void encode_segment(const lm_tokenizer *t, const char *s, size_t len, lm_idbuf *out) {
    if (len == 0) return;
    if (t->kind == LM_TOK_BPE) lm_bpe_encode(t, s, len, out);
    else lm_wordpiece_encode(t, s, len, out);
}

int lm_tokenize(const lm_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n,
                size_t *cap, lm_error *err) {
    size_t bad = lm_utf8_invalid_at(text, len);
    if (bad != len)
        return lm_fail(err, "invalid UTF-8 in text at byte offset %zu (byte 0x%02x)", bad,
                       (unsigned char)text[bad]);
    lm_idbuf out = {ids, n, cap};
    /* Added tokens are matched in the raw text, leftmost-longest, before
     * pre-tokenization; lstrip/rstrip ones absorb the whitespace beside them. */
    size_t start = 0, p = 0;
    int strip_next = 0;
    while (p < len) {
        const lm_added_token *a = t->nadded ? added_at(t, text, len, p) : NULL;
        if (!a) {
            p++;
            continue;
        }
        size_t s = start, e = p;
        if (strip_next) s += leading_space(text, s, e);
        if (a->lstrip) e -= trailing_space(text, s, e);
        encode_segment(t, text + s, e - s, &out);
        lm_idbuf_push(&out, a->id);
        strip_next = a->rstrip;
        p += a->len;
        start = p;
    }
    if (strip_next) start += leading_space(text, start, len);
    encode_segment(t, text + start, len - start, &out);
    return 0;
}
