/* fuzz_template.c - LM-BFF prompt templates and label words as a spec gives
 * them (common/prompt: template.c, task.c's label-word parser), bound to
 * the default model's BPE tokenizer or a BERT WordPiece one and encoding an
 * example.
 *
 * Input: one byte (bit 0: the tokenizer; the rest: the sequence limits),
 * then  template [FUZZ_SEP sentence 0 [FUZZ_SEP sentence 1 [FUZZ_SEP label
 * words]]]; label words are "w0,w1" or LM-BFF's "{'0':'w0','1':'w1'}", for a
 * task of labels 0 and 1 (default "bad,good").
 *
 * Checked beyond "no crash, no leak, no UB": an encoded example has its
 * mask token at mask_pos, ids inside the vocabulary, at most max_len
 * tokens; the no-prompt input of the same sentences encodes too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_util.h"
#include "prompt/task.h"
#include "prompt/template.h"
#include "util/file.h"

static lm_tokenizer *tokenizers[2];

static void load_once(void) {
    if (tokenizers[0]) return;
    const char *dirs[2] = {"models/default", "tests/fixtures/tokenize/bert-mini"};
    for (int i = 0; i < 2; i++) {
        char *dir = lm_path_join(fuzz_source_root(), dirs[i]);
        lm_error err;
        tokenizers[i] = lm_tokenizer_load(dir, &err);
        if (!tokenizers[i]) {
            fprintf(stderr, "fuzz_template: %s\n", err.msg);
            abort();
        }
        free(dir);
    }
}

static void check_encoded(const lm_encoded_example *e, const lm_tokenizer *tok, int max_len,
                          int32_t mask_id) {
    if (e->n_tokens < 0 || (max_len > 0 && e->n_tokens > max_len)) abort();
    for (int i = 0; i < e->n_tokens; i++)
        if (e->ids[i] < 0 || e->ids[i] >= lm_tokenizer_vocab_size(tok) || e->type_ids[i] < 0) abort();
    if (mask_id >= 0 && (e->mask_pos < 0 || e->mask_pos >= e->n_tokens || e->ids[e->mask_pos] != mask_id))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    load_once();
    const lm_tokenizer *tok = tokenizers[data[0] & 1];
    static const int max_lens[4] = {8, 32, 128, 512};
    lm_encode_limits lim = {max_lens[(data[0] >> 1) & 3], (data[0] & 8) ? 4 : -1, (data[0] & 16) ? 2 : -1};
    size_t off[4], len[4];
    int parts = fuzz_split(data + 1, size - 1, 4, off, len);
    char *s[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < parts; i++) s[i] = fuzz_strndup(data + 1 + off[i], len[i]);

    lm_error err = {{0}};
    static const char *const labels[2] = {"0", "1"}, *const words[2] = {"bad", "good"};
    lm_task *task = lm_task_custom("fuzz", labels, 2, words, NULL, lim.max_len, &err);
    if (!task) abort();
    int32_t label_ids[2];
    lm_template t;
    if (s[3] && lm_task_parse_label_words(task, s[3], &err) != 0) {
        if (!err.msg[0]) abort();
    } else if (lm_task_label_word_ids(task, tok, label_ids, &err) != 0) {
        if (!err.msg[0]) abort();
    } else if (lm_template_parse(s[0], &t, &err) != 0) {
        if (!err.msg[0]) abort();
    } else {
        if (lm_template_bind(&t, tok, label_ids, 2, &err) == 0) {
            const char *texts[2] = {s[1] ? s[1] : "", s[2] ? s[2] : ""};
            int n_texts = parts - 1 < 1 ? 1 : parts - 1 > 2 ? 2 : parts - 1;
            lm_encoded_example e;
            memset(&e, 0, sizeof e);
            if (lm_template_encode(&t, texts, n_texts, &lim, &e, &err) == 0) {
                check_encoded(&e, tok, lim.max_len, t.mask_id);
                free(e.ids);
                free(e.type_ids);
            } else if (!err.msg[0]) {
                abort();
            }
            memset(&e, 0, sizeof e);
            if (lm_encode_no_prompt(tok, texts, n_texts, lim.max_len, &e, &err) == 0) {
                check_encoded(&e, tok, lim.max_len, -1);
                free(e.ids);
                free(e.type_ids);
            } else if (!err.msg[0]) {
                abort();
            }
        } else if (!err.msg[0]) {
            abort();
        }
        lm_template_free(&t);
    }
    lm_task_free(task);
    for (int i = 0; i < 4; i++) free(s[i]);
    return 0;
}
