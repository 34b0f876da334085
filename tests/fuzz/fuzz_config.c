/* fuzz_config.c - a model's config.json (common/model/config.c).
 *
 * Checked beyond "no crash, no leak, no UB": an accepted config satisfies
 * what the model code relies on (positive sizes, heads dividing the hidden
 * size, pad id inside the vocabulary, eps in (0, 1)), and its written form
 * (lm_config_to_json) parses back to the same config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_util.h"
#include "model/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_strndup(data, size);
    lm_config cfg, back;
    lm_error err = {{0}};
    if (lm_config_parse(text, "config.json", &cfg, &err) == 0) {
        if (cfg.vocab_size < 1 || cfg.hidden < 1 || cfg.n_layers < 1 || cfg.n_heads < 1 ||
            cfg.hidden % cfg.n_heads != 0 || cfg.intermediate < 1 || cfg.max_positions < 1 ||
            cfg.type_vocab_size < 1 || cfg.pad_token_id < 0 || cfg.pad_token_id >= cfg.vocab_size ||
            !(cfg.ln_eps > 0 && cfg.ln_eps < 1))
            abort();
        char *json = lm_config_to_json(&cfg);
        if (lm_config_parse(json, "written config.json", &back, &err) != 0 ||
            memcmp(&cfg, &back, sizeof cfg) != 0)
            abort();
        free(json);
    } else if (!err.msg[0]) {
        abort();
    }
    free(text);
    return 0;
}
