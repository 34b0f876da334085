/* fuzz_bpe_files.c - a byte-level BPE tokenizer's vocab.json and merges.txt
 * (common/tokenize: vocab_json.c's own JSON reader, bpe.c's merges reader),
 * loaded by lm_tokenizer_load from a folder as for a model.
 *
 * Input: vocab.json FUZZ_SEP merges.txt [FUZZ_SEP text to encode].  A loaded
 * tokenizer is then used (fuzz_tok.c). */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_tok.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t off[3], len[3];
    int parts = fuzz_split(data, size, 3, off, len);
    free(fuzz_write("vocab.json", data + off[0], len[0]));
    free(fuzz_write("merges.txt", parts > 1 ? data + off[1] : data, parts > 1 ? len[1] : 0));
    fuzz_load_tokenizer(LM_TOK_BPE, parts > 2 ? (const char *)data + off[2] : NULL, parts > 2 ? len[2] : 0);
    return 0;
}
