/* bert_basic.c - BERT's BasicTokenizer (google-research/bert tokenization.py,
 * as HuggingFace's BertTokenizer runs it):
 *
 *   clean (drop controls, U+0000, U+FFFD; whitespace -> ' ') -> pad CJK
 *   ideographs with spaces -> split on whitespace -> per word: str.lower(),
 *   NFD and drop Mn (accent stripping) -> split off each punctuation char.
 *
 * Works on code points; the Unicode data is Python's (unicode.h). */
#include <stdlib.h>
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"

/* BERT's _is_chinese_char: the CJK Unified Ideograph blocks it lists. */
static int is_cjk(uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

typedef struct {
    uint32_t *p;
    size_t n, cap;
} cpbuf;

static void cp_push(cpbuf *b, uint32_t c) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->p = lm_xrealloc(b->p, b->cap * sizeof *b->p);
    }
    b->p[b->n++] = c;
}

/* Python's str.lower() of w[0..n), with the Final_Sigma rule for U+03A3:
 * it becomes ς after a cased letter (skipping case-ignorables) unless a
 * cased letter follows (again skipping case-ignorables). */
static void lower_word(const uint32_t *w, size_t n, cpbuf *out) {
    uint32_t tmp[LM_UC_LOWER_MAX];
    for (size_t i = 0; i < n; i++) {
        if (w[i] != 0x3A3) {
            size_t k = lm_uc_lower(w[i], tmp);
            for (size_t j = 0; j < k; j++) cp_push(out, tmp[j]);
            continue;
        }
        size_t j = i;
        int sc = LM_SC_NONE;
        while (j > 0 && (sc = LM_BC_SIGMA(lm_uc_bert_class(w[j - 1]))) == LM_SC_IGNORABLE) j--;
        int final = j > 0 && sc == LM_SC_CASED;
        if (final) {
            size_t k = i + 1;
            while (k < n && LM_BC_SIGMA(lm_uc_bert_class(w[k])) == LM_SC_IGNORABLE) k++;
            final = k == n || LM_BC_SIGMA(lm_uc_bert_class(w[k])) != LM_SC_CASED;
        }
        cp_push(out, final ? 0x3C2 : 0x3C3);
    }
}

/* NFD, then drop the nonspacing marks (BERT's _run_strip_accents). */
static void strip_accents(const uint32_t *w, size_t n, cpbuf *out) {
    size_t start = out->n;
    uint32_t tmp[LM_UC_NFD_MAX];
    for (size_t i = 0; i < n; i++) {
        size_t k = lm_uc_decompose(w[i], tmp);
        for (size_t j = 0; j < k; j++) cp_push(out, tmp[j]);
    }
    lm_uc_reorder(out->p + start, out->n - start);
    size_t o = start;
    for (size_t i = start; i < out->n; i++)
        if (LM_BC_KIND(lm_uc_bert_class(out->p[i])) != LM_BC_MN) out->p[o++] = out->p[i];
    out->n = o;
}

static void emit_cps(const uint32_t *w, size_t n, char **buf, size_t *cap, lm_word_fn emit,
                     void *ctx) {
    if (n == 0) return;
    if (4 * n > *cap) {
        *cap = 4 * n + 64;
        *buf = lm_xrealloc(*buf, *cap);
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += lm_utf8_encode(w[i], *buf + len);
    emit(*buf, len, ctx);
}

void lm_bert_basic(const char *s, size_t len, int lower, int strip, int chinese_chars,
                   lm_word_fn emit, void *ctx) {
    cpbuf text = {0}, a = {0}, b = {0};
    for (size_t p = 0; p < len;) {
        uint32_t c = lm_utf8_next(s, &p);
        int kind = LM_BC_KIND(lm_uc_bert_class(c));
        if (kind == LM_BC_CONTROL) continue;
        if (kind == LM_BC_SPACE) c = ' ';
        if (chinese_chars && is_cjk(c)) {
            cp_push(&text, ' ');
            cp_push(&text, c);
            cp_push(&text, ' ');
        } else {
            cp_push(&text, c);
        }
    }
    char *out = NULL;
    size_t outcap = 0;
    for (size_t i = 0; i < text.n;) {
        /* One whitespace-separated word: str.split() splits on ' ' and on
         * the isspace() characters that cleaning kept (U+2028, U+2029). */
        while (i < text.n && (text.p[i] == ' ' ||
               LM_BC_KIND(lm_uc_bert_class(text.p[i])) == LM_BC_SPLIT)) i++;
        size_t j = i;
        while (j < text.n && text.p[j] != ' ' &&
               LM_BC_KIND(lm_uc_bert_class(text.p[j])) != LM_BC_SPLIT) j++;
        if (j == i) break;
        const uint32_t *w = text.p + i;
        size_t n = j - i;
        i = j;
        if (lower) {
            a.n = 0;
            lower_word(w, n, &a);
            w = a.p;
            n = a.n;
        }
        if (strip) {
            b.n = 0;
            strip_accents(w, n, &b);
            w = b.p;
            n = b.n;
        }
        /* Each punctuation character is a word of its own. */
        size_t run = 0;
        for (size_t q = 0; q < n; q++) {
            if (LM_BC_KIND(lm_uc_bert_class(w[q])) != LM_BC_PUNCT) continue;
            emit_cps(w + run, q - run, &out, &outcap, emit, ctx);
            emit_cps(w + q, 1, &out, &outcap, emit, ctx);
            run = q + 1;
        }
        emit_cps(w + run, n - run, &out, &outcap, emit, ctx);
    }
    free(out);
    free(text.p);
    free(a.p);
    free(b.p);
}
