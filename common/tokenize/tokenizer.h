/* tokenizer.h - the tokenizers of the supported masked LMs.
 *
 * Two kinds, chosen from the files of a HuggingFace model folder:
 *   - GPT-2/RoBERTa byte-level BPE: vocab.json + merges.txt, or tokenizer.json;
 *   - BERT WordPiece: vocab.txt (lower-casing and accent stripping as
 *     bert-base-uncased, unless tokenizer_config.json says do_lower_case=false).
 *
 * lm_tokenize() never adds special tokens: it is HuggingFace's
 * `tokenizer.encode(text, add_special_tokens=False)`; for BPE no prefix space
 * is added (callers prepend ' ' where a template asks for it).
 *
 * Special tokens written literally in the text are split out first, as HF
 * does: <s> </s> <pad> <mask> <unk> for BPE, where <mask> absorbs the
 * whitespace on its left ("It was <mask>." -> It, Ġwas, <mask>, .); a
 * tokenizer.json brings its own added_tokens with their lstrip/rstrip.
 * [CLS] [SEP] [PAD] [MASK] [UNK] for WordPiece.
 *
 * A loaded tokenizer is read-only: one may serve several threads at once.
 * Unicode classes follow the Python references (see unicode.h). */
#ifndef LM_TOKENIZE_TOKENIZER_H
#define LM_TOKENIZE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

typedef enum { LM_TOK_BPE = 1, LM_TOK_WORDPIECE = 2 } lm_tokenizer_kind;

typedef struct lm_tokenizer lm_tokenizer;

/* Special-token ids, -1 where the vocabulary has none.  For BPE these are
 * <s> </s> <pad> <mask> <unk>; for WordPiece [CLS] [SEP] [PAD] [MASK] [UNK]. */
typedef struct lm_special_ids {
    int32_t cls, sep, pad, mask, unk;
} lm_special_ids;

/* Loads from a model folder (vocab.json+merges.txt, tokenizer.json or
 * vocab.txt, in that order of preference).  NULL and err set on failure. */
lm_tokenizer *lm_tokenizer_load(const char *dir, lm_error *err);
void lm_tokenizer_free(lm_tokenizer *tok);

lm_tokenizer_kind lm_tokenizer_get_kind(const lm_tokenizer *tok);
lm_special_ids lm_tokenizer_special(const lm_tokenizer *tok);
int32_t lm_tokenizer_vocab_size(const lm_tokenizer *tok);

/* Encodes UTF-8 text (no special tokens added).  Appends ids to *ids
 * (realloc'd; *n and *cap updated).  Invalid UTF-8 is an error. */
int lm_tokenize(const lm_tokenizer *tok, const char *text, size_t len,
                int32_t **ids, size_t *n, size_t *cap, lm_error *err);

/* The id of a vocabulary token string exactly as stored in the vocabulary
 * (e.g. "Ġgreat", ".", "[MASK]"); -1 if absent.  This is HuggingFace's
 * convert_tokens_to_ids without the unk fallback. */
int32_t lm_token_to_id(const lm_tokenizer *tok, const char *token);

/* The vocabulary string of an id (NULL if out of range). */
const char *lm_id_to_token(const lm_tokenizer *tok, int32_t id);

/* Decodes ids back to UTF-8 text (for display); returns a new string.
 * BPE: byte-level decoding, invalid UTF-8 replaced by U+FFFD as Python's
 * errors="replace"; WordPiece: " ".join(tokens) with "##" pieces glued on. */
char *lm_detokenize(const lm_tokenizer *tok, const int32_t *ids, size_t n);

#endif
