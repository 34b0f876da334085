/* fuzz_tok.h - what the tokenizer-file targets do with a tokenizer that
 * loaded: use it as the prompt code does. */
#ifndef LM_FUZZ_TOK_H
#define LM_FUZZ_TOK_H

#include <stddef.h>
#include "tokenize/tokenizer.h"

/* Encodes text[0..len) (and a fixed sample with special tokens and
 * non-ASCII text), decodes the ids, looks up the special tokens and ids.
 * Aborts when an id falls outside the vocabulary. */
void fuzz_use_tokenizer(const lm_tokenizer *tok, const char *text, size_t len);

#endif
