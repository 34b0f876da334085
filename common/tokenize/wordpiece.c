/* wordpiece.c - BERT WordPiece: vocab.txt (+ tokenizer_config.json) or
 * tokenizer.json, greedy longest-match-first encoding, "##" joining decode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"
#include "util/file.h"

/* Options from tokenizer_config.json / the BertNormalizer of tokenizer.json:
 * accents are stripped when lower-casing unless strip_accents is false, and
 * without lower-casing only when strip_accents is true (HF's BasicTokenizer). */
static void set_case(lm_tokenizer *t, int lower, const cJSON *strip, const cJSON *chinese) {
    t->lower = lower;
    if (cJSON_IsBool(strip)) t->strip_accents = cJSON_IsTrue(strip);
    else t->strip_accents = lower;
    t->chinese_chars = cJSON_IsBool(chinese) ? cJSON_IsTrue(chinese) : 1;
}

static int finish(lm_tokenizer *t, const char *path, const char *unk, lm_error *err) {
    lm_vocab *v = &t->vocab;
    t->special.cls = lm_strmap_get(&v->map, "[CLS]", 5);
    t->special.sep = lm_strmap_get(&v->map, "[SEP]", 5);
    t->special.pad = lm_strmap_get(&v->map, "[PAD]", 5);
    t->special.mask = lm_strmap_get(&v->map, "[MASK]", 6);
    t->special.unk = lm_strmap_get(&v->map, unk, strlen(unk));
    if (t->special.unk < 0)
        return lm_fail(err, "%s: the vocabulary has no unknown token \"%s\"", path, unk);
    static const char *sp[] = {"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) lm_tok_add_special(t, sp[i], 0, 0);
    if (strcmp(unk, "[UNK]") != 0) lm_tok_add_special(t, unk, 0, 0);
    t->max_token_bytes = 0;
    for (int32_t id = 0; id < v->size; id++) {
        const char *s = lm_vocab_str(v, id);
        if (s && strlen(s) > t->max_token_bytes) t->max_token_bytes = strlen(s);
    }
    return 0;
}

int lm_wordpiece_load_txt(lm_tokenizer *t, const char *dir, const char *vocab_path,
                          lm_error *err) {
    size_t len;
    char *buf = lm_read_file(vocab_path, &len, err);
    if (!buf) return -1;
    size_t bad = lm_utf8_invalid_at(buf, len);
    if (bad != len) {
        lm_fail(err, "%s:%d: invalid UTF-8 at byte offset %zu", vocab_path,
                lm_line_of(buf, bad), bad);
        free(buf);
        return -1;
    }
    /* One token a line, numbered from 0; Python's universal newlines. */
    int32_t id = 0;
    for (size_t p = 0; p < len; id++) {
        if (id > LM_VOCAB_MAX_ID) {
            free(buf);
            return lm_fail(err, "%s: more than %d lines", vocab_path, LM_VOCAB_MAX_ID + 1);
        }
        size_t e = p;
        while (e < len && buf[e] != '\n' && buf[e] != '\r') e++;
        lm_vocab_add(&t->vocab, buf + p, e - p, id);
        if (e < len && buf[e] == '\r' && e + 1 < len && buf[e + 1] == '\n') e++;
        p = e + 1;
    }
    free(buf);
    if (id == 0) return lm_fail(err, "%s: empty vocabulary", vocab_path);
    lm_vocab_seal(&t->vocab);

    int lower = 1;
    const cJSON *strip = NULL, *chinese = NULL;
    cJSON *cfg = NULL;
    char *cfg_path = lm_path_join(dir, "tokenizer_config.json");
    if (lm_file_exists(cfg_path)) {
        cfg = lm_json_load(cfg_path, err);
        if (!cfg) { free(cfg_path); return -1; }
        const cJSON *dl = cJSON_GetObjectItemCaseSensitive(cfg, "do_lower_case");
        if (dl && !cJSON_IsBool(dl)) {
            lm_fail(err, "%s: do_lower_case: expected true or false", cfg_path);
            cJSON_Delete(cfg);
            free(cfg_path);
            return -1;
        }
        if (dl) lower = cJSON_IsTrue(dl);
        strip = cJSON_GetObjectItemCaseSensitive(cfg, "strip_accents");
        chinese = cJSON_GetObjectItemCaseSensitive(cfg, "tokenize_chinese_chars");
    }
    set_case(t, lower, strip, chinese);
    cJSON_Delete(cfg);
    free(cfg_path);
    t->max_word_chars = 100;
    memcpy(t->prefix, "##", 3);
    t->prefix_len = 2;
    return finish(t, vocab_path, "[UNK]", err);
}

int lm_wordpiece_load_json(lm_tokenizer *t, const cJSON *root, const char *path,
                           lm_error *err) {
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    if (!cJSON_IsObject(vocab)) return lm_fail(err, "%s: model.vocab: expected an object", path);
    if (lm_vocab_add_json(&t->vocab, vocab, path, err)) return -1;
    const cJSON *it;
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    cJSON_ArrayForEach(it, added) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "content");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (!cJSON_IsString(c) || !cJSON_IsNumber(id) || id->valuedouble < 0 ||
            id->valuedouble > LM_VOCAB_MAX_ID)
            return lm_fail(err, "%s: added_tokens: each needs \"content\" and an \"id\" in "
                           "[0, %d]", path, LM_VOCAB_MAX_ID);
        lm_tok_add_added(t, c->valuestring, (int32_t)id->valuedouble, 0, 0);
    }
    lm_vocab_seal(&t->vocab);
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    const cJSON *lc = cJSON_GetObjectItemCaseSensitive(norm, "lowercase");
    set_case(t, lc ? cJSON_IsTrue(lc) : 1, cJSON_GetObjectItemCaseSensitive(norm, "strip_accents"),
             cJSON_GetObjectItemCaseSensitive(norm, "handle_chinese_chars"));
    const cJSON *mx = cJSON_GetObjectItemCaseSensitive(model, "max_input_chars_per_word");
    t->max_word_chars = cJSON_IsNumber(mx) ? mx->valueint : 100;
    const cJSON *pf = cJSON_GetObjectItemCaseSensitive(model, "continuing_subword_prefix");
    const char *prefix = cJSON_IsString(pf) ? pf->valuestring : "##";
    if (strlen(prefix) >= sizeof t->prefix)
        return lm_fail(err, "%s: model.continuing_subword_prefix: too long", path);
    strcpy(t->prefix, prefix);
    t->prefix_len = strlen(prefix);
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    return finish(t, path, cJSON_IsString(unk) ? unk->valuestring : "[UNK]", err);
}

typedef struct {
    const lm_tokenizer *t;
    lm_idbuf *out;
    char *cand;          /* prefix + piece */
    size_t cand_cap;
    int32_t *pieces;
    size_t pieces_cap;
    size_t *offs;        /* code point boundaries */
    size_t offs_cap;
} wp_ctx;

/* Greedy longest-match-first over code points; a word with an unmatched
 * rest, or over max_word_chars code points, is one unknown token. */
static void wp_word(const char *w, size_t len, void *vctx) {
    wp_ctx *c = vctx;
    const lm_tokenizer *t = c->t;
    if (len + 1 > c->offs_cap) {
        c->offs_cap = 2 * len + 16;
        c->offs = lm_xrealloc(c->offs, c->offs_cap * sizeof *c->offs);
        c->pieces = lm_xrealloc(c->pieces, c->offs_cap * sizeof *c->pieces);
        c->cand = lm_xrealloc(c->cand, c->offs_cap + t->prefix_len + 1);
    }
    size_t n = 0;
    for (size_t p = 0; p < len;) {
        c->offs[n++] = p;
        lm_utf8_next(w, &p);
    }
    c->offs[n] = len;
    if ((long)n > t->max_word_chars) {
        lm_idbuf_push(c->out, t->special.unk);
        return;
    }
    size_t np = 0;
    for (size_t start = 0; start < n;) {
        size_t pre = start > 0 ? t->prefix_len : 0;
        if (pre) memcpy(c->cand, t->prefix, pre);
        int32_t id = -1;
        size_t end = n;
        for (; end > start; end--) {
            size_t bytes = c->offs[end] - c->offs[start];
            if (bytes + pre > t->max_token_bytes) continue;
            memcpy(c->cand + pre, w + c->offs[start], bytes);
            id = lm_strmap_get(&t->vocab.map, c->cand, pre + bytes);
            if (id >= 0) break;
        }
        if (id < 0) {
            lm_idbuf_push(c->out, t->special.unk);
            return;
        }
        c->pieces[np++] = id;
        start = end;
    }
    for (size_t i = 0; i < np; i++) lm_idbuf_push(c->out, c->pieces[i]);
}

void lm_wordpiece_encode(const lm_tokenizer *t, const char *s, size_t len, lm_idbuf *out) {
    wp_ctx c = {t, out, NULL, 0, NULL, 0, NULL, 0};
    lm_bert_basic(s, len, t->lower, t->strip_accents, t->chinese_chars, wp_word, &c);
    free(c.cand);
    free(c.pieces);
    free(c.offs);
}

/* HF's convert_tokens_to_string: " ".join(tokens).replace(" ##", ""). */
char *lm_wordpiece_decode(const lm_tokenizer *t, const int32_t *ids, size_t n) {
    size_t cap = 64, len = 0;
    char *s = lm_xmalloc(cap);
    for (size_t i = 0; i < n; i++) {
        const char *tok = ids[i] < t->vocab.size ? lm_vocab_str(&t->vocab, ids[i]) : NULL;
        if (!tok) continue;
        size_t tl = strlen(tok);
        int cont = len > 0 && tl >= t->prefix_len && t->prefix_len &&
                   memcmp(tok, t->prefix, t->prefix_len) == 0;
        if (cont) { tok += t->prefix_len; tl -= t->prefix_len; }
        if (len + tl + 2 > cap) s = lm_xrealloc(s, cap = 2 * (len + tl + 2));
        if (len > 0 && !cont) s[len++] = ' ';
        memcpy(s + len, tok, tl);
        len += tl;
    }
    s[len] = '\0';
    return s;
}
