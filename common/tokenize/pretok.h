/* pretok.h - GPT-2's pre-tokenization (the regex of gpt2_split.c), public so
 * that a BPE trainer splits text exactly as the tokenizer will. */
#ifndef LM_TOKENIZE_PRETOK_H
#define LM_TOKENIZE_PRETOK_H

#include <stddef.h>

/* End of the pre-token that starts at byte p of s[0..n) (p < n).  Repeated
 * calls from 0 tile the text. */
size_t lm_gpt2_piece_end(const char *s, size_t n, size_t p);

#endif
