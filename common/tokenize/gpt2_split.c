/* gpt2_split.c - GPT-2's pre-tokenization regex, by hand:
 *
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * Every code point matches one of the alternatives, so the matches tile the
 * text and a pre-token is fully described by where it ends.  Classes come
 * from the regex module's tables (unicode.h). */
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"

static inline int class_at(const char *s, size_t p, size_t *next) {
    unsigned char c = (unsigned char)s[p];
    if (c < 0x80) {
        *next = p + 1;
        return lm_uc_bpe_ascii[c];
    }
    *next = p;
    return lm_uc_bpe_class(lm_utf8_next(s, next));
}

/* End of the run of code points of class cls starting at p. */
static size_t run_end(const char *s, size_t n, size_t p, int cls) {
    while (p < n) {
        size_t q;
        if (class_at(s, p, &q) != cls) break;
        p = q;
    }
    return p;
}

size_t lm_gpt2_piece_end(const char *s, size_t n, size_t p) {
    /* Contractions: ASCII and case-sensitive, tried first. */
    if (s[p] == '\'' && p + 1 < n) {
        char c = s[p + 1];
        if (c == 's' || c == 't' || c == 'm' || c == 'd') return p + 2;
        if (p + 2 < n && ((c == 'r' && s[p + 2] == 'e') || (c == 'v' && s[p + 2] == 'e') ||
                          (c == 'l' && s[p + 2] == 'l')))
            return p + 3;
    }
    size_t q;
    /* " ?X+" for X = letters, numbers, or neither-nor-space. */
    if (s[p] == ' ' && p + 1 < n) {
        int c1 = class_at(s, p + 1, &q);
        if (c1 != LM_UC_SPACE) return run_end(s, n, q, c1);
    }
    int c0 = class_at(s, p, &q);
    if (c0 != LM_UC_SPACE) return run_end(s, n, q, c0);
    /* \s+(?!\S): the whitespace run, less its last code point when a
     * non-space follows (that one then starts the next " ?X+" or is \s+). */
    size_t last = p, end = q;
    while (end < n) {
        size_t r;
        if (class_at(s, end, &r) != LM_UC_SPACE) break;
        last = end;
        end = r;
    }
    if (end == n || last == p) return end;
    return last;
}
