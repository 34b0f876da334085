/* fuzz_tok.c - exercising a loaded tokenizer (see fuzz_tok.h). */
#include "fuzz_tok.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_util.h"

static const char sample[] =
    "It was <mask>. [MASK] <s>a</s> caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC "
    "\xF0\x9F\x98\x80 don't  ##ing\t\r\nUPPER 123";

static void encode(const lm_tokenizer *tok, const char *text, size_t len) {
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    lm_error err = {{0}};
    int32_t size = lm_tokenizer_vocab_size(tok);
    if (lm_tokenize(tok, text, len, &ids, &n, &cap, &err) == 0) {
        for (size_t i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= size) abort();
        free(lm_detokenize(tok, ids, n));
    } else if (!err.msg[0]) {
        abort();
    }
    free(ids);
}

void fuzz_use_tokenizer(const lm_tokenizer *tok, const char *text, size_t len) {
    int32_t size = lm_tokenizer_vocab_size(tok);
    if (size < 1) abort();
    lm_special_ids sp = lm_tokenizer_special(tok);
    const int32_t specials[] = {sp.cls, sp.sep, sp.pad, sp.mask, sp.unk};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
        if (specials[i] < -1 || specials[i] >= size) abort();
        const char *s = specials[i] >= 0 ? lm_id_to_token(tok, specials[i]) : NULL;
        if (s) (void)lm_token_to_id(tok, s);
    }
    /* the ids around the ends of the vocabulary, holes included */
    const int32_t probe[] = {0, 1, 2, size / 2, size - 2, size - 1, size, size + 1000};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        const char *s = probe[i] >= 0 ? lm_id_to_token(tok, probe[i]) : NULL;
        if (s && probe[i] >= size) abort();
        /* (a string may not find its id again: two tokens can share an id,
         * and a token holding U+0000 is cut short as a C string) */
        if (s && lm_token_to_id(tok, s) >= size) abort();
    }
    encode(tok, sample, sizeof sample - 1);
    if (text) encode(tok, text, len);
}

void fuzz_load_tokenizer(lm_tokenizer_kind want, const char *text, size_t len) {
    lm_error err = {{0}};
    lm_tokenizer *tok = lm_tokenizer_load(fuzz_dir(), &err);
    if (!tok) {
        if (!err.msg[0]) abort();
        return;
    }
    if (want && lm_tokenizer_get_kind(tok) != want) abort();
    fuzz_use_tokenizer(tok, text, len);
    lm_tokenizer_free(tok);
}
