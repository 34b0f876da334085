/* fuzz_vocab_txt.c - a BERT WordPiece vocab.txt and its optional
 * tokenizer_config.json (common/tokenize/wordpiece.c), loaded by
 * lm_tokenizer_load from a folder as for a model.
 *
 * Input: vocab.txt [FUZZ_SEP tokenizer_config.json [FUZZ_SEP text to
 * encode]]; without the second part there is no tokenizer_config.json.  A
 * loaded tokenizer is then used (fuzz_tok.c). */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_tok.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t off[3], len[3];
    int parts = fuzz_split(data, size, 3, off, len);
    free(fuzz_write("vocab.txt", data + off[0], len[0]));
    if (parts > 1) free(fuzz_write("tokenizer_config.json", data + off[1], len[1]));
    else fuzz_remove("tokenizer_config.json");
    fuzz_load_tokenizer(LM_TOK_WORDPIECE, parts > 2 ? (const char *)data + off[2] : NULL, parts > 2 ? len[2] : 0);
    return 0;
}
