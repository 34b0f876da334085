/* bpe.c - GPT-2/RoBERTa byte-level BPE: loading, encoding, decoding.
 *
 * Encoding: each pre-token of the GPT-2 regex (gpt2_split.c) is merged by
 * rank (bpe_merge.c).  There is no word cache, which keeps lm_tokenize free
 * of shared mutable state (one tokenizer serves many threads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"
#include "util/file.h"

/* GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves,
 * the other 68 take the code points 256, 257, ... in byte order. */
static int byte_is_printable(int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

static void byte_chars(uint32_t cp[256]) {
    uint32_t next = 256;
    for (int b = 0; b < 256; b++) cp[b] = byte_is_printable(b) ? (uint32_t)b : next++;
}

/* Registers the byte symbols and the default special tokens; checks that
 * every symbol BPE can produce maps to an id (or that <unk> exists). */
static int bpe_finish(lm_tokenizer *t, const char *path, lm_error *err) {
    lm_vocab *v = &t->vocab;
    /* vocabulary ids only: a merge line can make "<unk>" an extra symbol
     * (an id past the vocabulary) without the vocabulary holding it */
    t->special.cls = lm_token_to_id(t, "<s>");
    t->special.sep = lm_token_to_id(t, "</s>");
    t->special.pad = lm_token_to_id(t, "<pad>");
    t->special.mask = lm_token_to_id(t, "<mask>");
    t->special.unk = lm_token_to_id(t, "<unk>");
    if (v->nsym > v->size && t->special.unk < 0) {
        const char *s = lm_vocab_str(v, v->size);
        return lm_fail(err, "%s: \"%s\" (a byte or a merge result) is not in the "
                       "vocabulary, which has no <unk> to stand for it", path, s ? s : "?");
    }
    return 0;
}

static void bpe_bytes(lm_tokenizer *t) {
    uint32_t cp[256];
    byte_chars(cp);
    for (int b = 0; b < 256; b++) {
        char u[4];
        size_t n = lm_utf8_encode(cp[b], u);
        t->byte_sym[b] = lm_vocab_symbol(&t->vocab, u, n);
    }
}

static void add_merge(lm_tokenizer *t, const char *a, size_t alen, const char *b,
                      size_t blen, int32_t rank) {
    char stackbuf[256];
    char *ab = alen + blen <= sizeof stackbuf ? stackbuf : lm_xmalloc(alen + blen);
    memcpy(ab, a, alen);
    memcpy(ab + alen, b, blen);
    int32_t sa = lm_vocab_symbol(&t->vocab, a, alen);
    int32_t sb = lm_vocab_symbol(&t->vocab, b, blen);
    int32_t sab = lm_vocab_symbol(&t->vocab, ab, alen + blen);
    lm_pairmap_put(&t->merges, sa, sb, rank, sab);
    if (ab != stackbuf) free(ab);
}

static void default_specials(lm_tokenizer *t) {
    static const struct { const char *s; int lstrip; } sp[] = {
        {"<s>", 0}, {"</s>", 0}, {"<pad>", 0}, {"<mask>", 1}, {"<unk>", 0}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
        lm_tok_add_special(t, sp[i].s, sp[i].lstrip, 0);
}

int lm_bpe_load_files(lm_tokenizer *t, const char *vocab_path, const char *merges_path,
                      lm_error *err) {
    size_t len;
    char *buf = lm_read_file(vocab_path, &len, err);
    if (!buf) return -1;
    int rc = lm_vocab_json_parse(vocab_path, buf, len, &t->vocab, err);
    free(buf);
    if (rc) return -1;
    lm_vocab_seal(&t->vocab);
    bpe_bytes(t);

    buf = lm_read_file(merges_path, &len, err);
    if (!buf) return -1;
    size_t bad = lm_utf8_invalid_at(buf, len);
    if (bad != len) {
        lm_fail(err, "%s:%d: invalid UTF-8 at byte offset %zu", merges_path,
                lm_line_of(buf, bad), bad);
        free(buf);
        return -1;
    }
    int32_t rank = 0;
    int lineno = 0;
    for (size_t p = 0; p < len;) {
        size_t e = p;
        while (e < len && buf[e] != '\n') e++;
        size_t next = e < len ? e + 1 : e;
        lineno++;
        if (e > p && buf[e - 1] == '\r') e--;
        size_t n = e - p;
        const char *line = buf + p;
        p = next;
        if (n == 0) continue;
        if (lineno == 1 && n >= 8 && memcmp(line, "#version", 8) == 0) continue;
        const char *sp = memchr(line, ' ', n);
        if (!sp || sp == line || sp == line + n - 1 || memchr(sp + 1, ' ', n - (size_t)(sp + 1 - line))) {
            lm_fail(err, "%s:%d: malformed merges.txt: expected two tokens separated by "
                    "one space, got \"%.*s\"", merges_path, lineno, (int)(n > 60 ? 60 : n), line);
            free(buf);
            return -1;
        }
        add_merge(t, line, (size_t)(sp - line), sp + 1, n - (size_t)(sp + 1 - line), rank++);
    }
    free(buf);
    if (rank == 0) return lm_fail(err, "%s: malformed merges.txt: no merges", merges_path);
    default_specials(t);
    return bpe_finish(t, vocab_path, err);
}

/* A string member of a cJSON object, or NULL. */
static const char *json_str(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

int lm_bpe_load_json(lm_tokenizer *t, const cJSON *root, const char *path, lm_error *err) {
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    if (!cJSON_IsObject(vocab)) return lm_fail(err, "%s: model.vocab: expected an object", path);
    if (!cJSON_IsArray(merges)) return lm_fail(err, "%s: model.merges: expected an array", path);
    const char *cont = json_str(model, "continuing_subword_prefix");
    const char *suffix = json_str(model, "end_of_word_suffix");
    if ((cont && *cont) || (suffix && *suffix) ||
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "byte_fallback")))
        return lm_fail(err, "%s: model: only GPT-2 style byte-level BPE is supported "
                       "(no continuing_subword_prefix, end_of_word_suffix, byte_fallback)", path);
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    const char *pre_type = json_str(pre, "type");
    if (!pre_type || strcmp(pre_type, "ByteLevel") != 0)
        return lm_fail(err, "%s: pre_tokenizer: only \"ByteLevel\" is supported, got %s",
                       path, pre_type ? pre_type : "none");
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    if (norm && !cJSON_IsNull(norm))
        return lm_fail(err, "%s: normalizer: byte-level BPE with a normalizer is not supported",
                       path);

    if (lm_vocab_add_json(&t->vocab, vocab, path, err)) return -1;
    const cJSON *it;
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    cJSON_ArrayForEach(it, added) {
        const char *content = json_str(it, "content");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (!content || !cJSON_IsNumber(id) || id->valuedouble < 0 ||
            id->valuedouble > LM_VOCAB_MAX_ID)
            return lm_fail(err, "%s: added_tokens: each needs \"content\" and an \"id\" in "
                           "[0, %d]", path, LM_VOCAB_MAX_ID);
        if (lm_strmap_get(&t->vocab.map, content, strlen(content)) < 0)
            lm_vocab_add(&t->vocab, content, strlen(content), (int32_t)id->valuedouble);
    }
    lm_vocab_seal(&t->vocab);
    bpe_bytes(t);
    int32_t rank = 0;
    cJSON_ArrayForEach(it, merges) {
        const char *a = NULL, *b = NULL;
        size_t alen = 0, blen = 0;
        if (cJSON_IsString(it)) {
            const char *s = it->valuestring, *sp = strchr(s, ' ');
            if (sp && sp > s && sp[1] && !strchr(sp + 1, ' ')) {
                a = s; alen = (size_t)(sp - s); b = sp + 1; blen = strlen(b);
            }
        } else if (cJSON_IsArray(it) && cJSON_GetArraySize(it) == 2 &&
                   cJSON_IsString(cJSON_GetArrayItem(it, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(it, 1))) {
            a = cJSON_GetArrayItem(it, 0)->valuestring; alen = strlen(a);
            b = cJSON_GetArrayItem(it, 1)->valuestring; blen = strlen(b);
        }
        if (!a || !alen || !blen)
            return lm_fail(err, "%s: model.merges[%d]: expected \"a b\" or [\"a\", \"b\"]",
                           path, rank);
        add_merge(t, a, alen, b, blen, rank++);
    }
    cJSON_ArrayForEach(it, added) {
        const char *content = json_str(it, "content");
        int32_t id = (int32_t)cJSON_GetObjectItemCaseSensitive(it, "id")->valuedouble;
        lm_tok_add_added(t, content, id,
                         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "lstrip")),
                         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "rstrip")));
    }
    return bpe_finish(t, path, err);
}

void lm_bpe_encode(const lm_tokenizer *t, const char *s, size_t len, lm_idbuf *out) {
    for (size_t p = 0; p < len;) {
        size_t e = lm_gpt2_piece_end(s, len, p);
        lm_bpe_merge(t, (const unsigned char *)s + p, e - p, out);
        p = e;
    }
}

/* Appends bytes to a growing buffer. */
typedef struct { char *p; size_t n, cap; } sbuf;
static void sb_put(sbuf *b, const void *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->cap + n + 1) * 2;
        b->p = lm_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

/* Python's bytes.decode("utf-8", errors="replace"): each maximal invalid
 * subpart becomes one U+FFFD. */
static char *utf8_replace(const char *s, size_t n) {
    sbuf b = {0};
    size_t i = 0;
    while (i < n) {
        size_t ok = lm_utf8_invalid_at(s + i, n - i);
        sb_put(&b, s + i, ok);
        i += ok;
        if (i >= n) break;
        const unsigned char *u = (const unsigned char *)s + i;
        size_t need = u[0] >= 0xC2 && u[0] <= 0xDF ? 2 : u[0] >= 0xE0 && u[0] <= 0xEF ? 3
                    : u[0] >= 0xF0 && u[0] <= 0xF4 ? 4 : 1;
        size_t k = 1;
        while (k < need && i + k < n) {
            unsigned c = u[k];
            unsigned lo = 0x80, hi = 0xBF;
            if (k == 1 && u[0] == 0xE0) lo = 0xA0;
            if (k == 1 && u[0] == 0xED) hi = 0x9F;
            if (k == 1 && u[0] == 0xF0) lo = 0x90;
            if (k == 1 && u[0] == 0xF4) hi = 0x8F;
            if (c < lo || c > hi) break;
            k++;
        }
        sb_put(&b, "\xEF\xBF\xBD", 3);
        i += k;
    }
    sb_put(&b, "", 0);
    b.p[b.n] = '\0';
    return b.p;
}

char *lm_bpe_decode(const lm_tokenizer *t, const int32_t *ids, size_t n) {
    uint32_t cp[256];
    byte_chars(cp);
    int16_t byte_of[256 + 68];   /* inverse of bytes_to_unicode */
    for (size_t i = 0; i < sizeof byte_of / sizeof byte_of[0]; i++) byte_of[i] = -1;
    for (int b = 0; b < 256; b++) byte_of[cp[b]] = (int16_t)b;
    sbuf raw = {0};
    for (size_t i = 0; i < n; i++) {
        const char *s = ids[i] < t->vocab.size ? lm_vocab_str(&t->vocab, ids[i]) : NULL;
        if (!s) continue;
        int added = 0;
        for (int k = 0; k < t->nadded; k++) added |= t->added[k].id == ids[i];
        size_t len = strlen(s);
        if (added) { sb_put(&raw, s, len); continue; }
        for (size_t p = 0; p < len;) {
            size_t q = p;
            uint32_t c = lm_utf8_next(s, &q);
            if (c < sizeof byte_of / sizeof byte_of[0] && byte_of[c] >= 0) {
                char byte = (char)byte_of[c];
                sb_put(&raw, &byte, 1);
            } else {
                sb_put(&raw, s + p, q - p);
            }
            p = q;
        }
    }
    char *outs = utf8_replace(raw.p ? raw.p : "", raw.n);
    free(raw.p);
    return outs;
}
