/* fuzz_tok.h - what the tokenizer-file targets share: loading the scratch
 * folder as a model folder, and using a tokenizer that loaded as the prompt
 * code does. */
#ifndef LM_FUZZ_TOK_H
#define LM_FUZZ_TOK_H

#include <stddef.h>
#include "tokenize/tokenizer.h"

/* Encodes text[0..len) (and a fixed sample with special tokens and
 * non-ASCII text), decodes the ids, looks up the special tokens and ids.
 * Aborts when an id falls outside the vocabulary. */
void fuzz_use_tokenizer(const lm_tokenizer *tok, const char *text, size_t len);

/* Loads the tokenizer files the harness wrote to fuzz_dir(); when that
 * works, checks its kind (want; 0: any) and uses it (fuzz_use_tokenizer
 * with text, which may be NULL), else checks that the refusal says why. */
void fuzz_load_tokenizer(lm_tokenizer_kind want, const char *text, size_t len);

#endif
