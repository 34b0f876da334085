/* fuzz_tokenizer_json.c - a HuggingFace tokenizer.json (common/tokenize:
 * BPE or WordPiece model, added_tokens, normalizer), loaded by
 * lm_tokenizer_load from a folder holding only that file.
 *
 * Input: tokenizer.json [FUZZ_SEP text to encode].  A loaded tokenizer is
 * then used (fuzz_tok.c). */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_tok.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t off[2], len[2];
    int parts = fuzz_split(data, size, 2, off, len);
    free(fuzz_write("tokenizer.json", data + off[0], len[0]));
    fuzz_load_tokenizer((lm_tokenizer_kind)0, parts > 1 ? (const char *)data + off[1] : NULL, parts > 1 ? len[1] : 0);
    return 0;
}
