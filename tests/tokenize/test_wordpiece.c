/* test_wordpiece.c - BERT WordPiece on the bert-mini vocabulary: the
 * hand-written edge cases of wordpiece_cases.json (accents, CJK, Greek final
 * sigma, punctuation, control characters, long words, special tokens; ids
 * from wordpiece_ref.py) uncased and cased, decoding, the tokenizer.json
 * path, and errors.
 *
 * usage: test_wordpiece SHARED_DIR FIXTURES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "tok_check.h"

/* Checks the ids of every case under `key` ("uncased" or "cased"). */
static void check_cases(const lm_tokenizer *t, const cJSON *cases, const char *key,
                        int decode) {
    int ok = 0, total = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        size_t len, nw, n;
        char *text = tc_unhex(cJSON_GetObjectItem(c, "hex")->valuestring, &len);
        int32_t *want = tc_json_ids(cJSON_GetObjectItem(c, key), &nw), *ids = NULL;
        lm_error err;
        total++;
        int rc = tc_tokenize(t, text, len, &ids, &n, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        int same = rc == 0 && tc_same(ids, n, want, nw);
        CHECK_MSG(same, "%s case \"%s\"", key, cJSON_GetObjectItem(c, "text")->valuestring);
        if (!same) {
            tc_print_ids(stderr, "want", want, nw);
            tc_print_ids(stderr, "got ", ids, n);
        }
        ok += same;
        if (decode && same) {
            /* HF's convert_tokens_to_string: " ".join(tokens).replace(" ##", ""). */
            char want_text[4096] = "";
            size_t wl = 0;
            const cJSON *tok;
            cJSON_ArrayForEach(tok, cJSON_GetObjectItem(c, "tokens")) {
                const char *s = tok->valuestring;
                if (wl && strncmp(s, "##", 2) == 0) s += 2;
                else if (wl) want_text[wl++] = ' ';
                wl += (size_t)snprintf(want_text + wl, sizeof want_text - wl, "%s", s);
                if (wl >= sizeof want_text - 1) break;
            }
            char *d = lm_detokenize(t, ids, n);
            CHECK_MSG(strcmp(d, want_text) == 0, "decode \"%s\" gives \"%s\"", want_text, d);
            free(d);
        }
        free(text);
        free(want);
        free(ids);
    }
    fprintf(stderr, "wordpiece %s: %d/%d cases match\n", key, ok, total);
}

static void check_basics(const lm_tokenizer *t) {
    CHECK(lm_tokenizer_get_kind(t) == LM_TOK_WORDPIECE);
    lm_special_ids sp = lm_tokenizer_special(t);
    CHECK(sp.pad == 0 && sp.unk == 1 && sp.cls == 2 && sp.sep == 3 && sp.mask == 4);
    CHECK(lm_token_to_id(t, "[MASK]") == 4);
    CHECK(lm_token_to_id(t, "the") > 4);
    CHECK(lm_token_to_id(t, "##zzzzqq") == -1);
    CHECK(lm_id_to_token(t, 3) && strcmp(lm_id_to_token(t, 3), "[SEP]") == 0);
    CHECK(lm_id_to_token(t, lm_tokenizer_vocab_size(t)) == NULL);
    lm_error err;
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    CHECK(lm_tokenize(t, "ok\xff", 3, &ids, &n, &cap, &err) == -1);
    CHECK_MSG(strstr(err.msg, "byte offset 2") != NULL, "%s", err.msg);
    free(ids);
}

static void expect_load_error(const char *dir, const char *want1, const char *want2) {
    lm_error err;
    err.msg[0] = '\0';
    lm_tokenizer *t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t == NULL, "loading %s should fail (%s)", dir, want1);
    CHECK_MSG(strstr(err.msg, want1) && (!want2 || strstr(err.msg, want2)),
              "error \"%s\" lacks \"%s\" / \"%s\"", err.msg, want1, want2 ? want2 : "");
    lm_tokenizer_free(t);
}

/* tokenizer.json with a WordPiece model built from vocab.txt's lines. */
static void write_wordpiece_json(const char *dir, const char *vocab, size_t len, int lower) {
    cJSON *root = cJSON_CreateObject(), *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "type", "WordPiece");
    cJSON_AddStringToObject(model, "unk_token", "[UNK]");
    cJSON_AddStringToObject(model, "continuing_subword_prefix", "##");
    cJSON_AddNumberToObject(model, "max_input_chars_per_word", 100);
    cJSON *v = cJSON_AddObjectToObject(model, "vocab");
    int id = 0;
    for (size_t p = 0; p < len; id++) {
        const char *e = memchr(vocab + p, '\n', len - p);
        size_t n = e ? (size_t)(e - (vocab + p)) : len - p;
        char *tok = lm_xstrndup(vocab + p, n);
        cJSON_AddNumberToObject(v, tok, id);
        free(tok);
        p += n + 1;
    }
    cJSON *norm = cJSON_AddObjectToObject(root, "normalizer");
    cJSON_AddStringToObject(norm, "type", "BertNormalizer");
    cJSON_AddBoolToObject(norm, "lowercase", lower);
    cJSON_AddNullToObject(norm, "strip_accents");
    cJSON_AddTrueToObject(norm, "handle_chinese_chars");
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    tc_write(dir, "tokenizer.json", text);
    free(text);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SHARED_DIR FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    char *fix = lm_path_join(argv[2], "tokenize");
    char *mini = lm_path_join(fix, "bert-mini");
    char *cases_path = lm_path_join(fix, "wordpiece_cases.json");
    char *vocab_path = lm_path_join(mini, "vocab.txt");
    cJSON *cases = tc_load_json(cases_path);
    size_t vlen = 0;
    lm_error err;
    char *vocab = lm_read_file(vocab_path, &vlen, &err);
    CHECK(cases && vocab);
    if (!cases || !vocab) return check_exit("test_wordpiece");

    lm_tokenizer *t = lm_tokenizer_load(mini, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        check_basics(t);
        check_cases(t, cases, "uncased", 1);
        lm_tokenizer_free(t);
    }

    char dir[] = "/tmp/lmntk-test-wp-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    tc_write(dir, "vocab.txt", vocab);
    tc_write(dir, "tokenizer_config.json", "{\"do_lower_case\": false}");
    t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        check_cases(t, cases, "cased", 0);
        lm_tokenizer_free(t);
    }

    /* tokenizer.json (no vocab.txt beside it): the same ids. */
    tc_remove(dir, "vocab.txt");
    tc_remove(dir, "tokenizer_config.json");
    write_wordpiece_json(dir, vocab, vlen, 1);
    t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        CHECK(lm_tokenizer_get_kind(t) == LM_TOK_WORDPIECE);
        check_cases(t, cases, "uncased", 0);
        lm_tokenizer_free(t);
    }
    write_wordpiece_json(dir, vocab, vlen, 0);
    t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        check_cases(t, cases, "cased", 0);
        lm_tokenizer_free(t);
    }
    tc_remove(dir, "tokenizer.json");

    /* Errors name the file and line. */
    tc_write(dir, "vocab.txt", "[PAD]\n[UNK]\nab\xc3\n");
    expect_load_error(dir, "vocab.txt:3:", "invalid UTF-8");
    tc_write(dir, "vocab.txt", "[PAD]\nhello\n");
    expect_load_error(dir, "vocab.txt", "[UNK]");
    tc_write(dir, "vocab.txt", "[PAD]\n[UNK]\nhello\n");
    tc_write(dir, "tokenizer_config.json", "{\n\"do_lower_case\": tru\n}");
    expect_load_error(dir, "tokenizer_config.json:2:", "malformed JSON");
    tc_write(dir, "tokenizer_config.json", "{\"do_lower_case\": \"yes\"}");
    expect_load_error(dir, "tokenizer_config.json", "do_lower_case");
    tc_remove(dir, "tokenizer_config.json");
    /* Windows line ends; a word over 100 characters is [UNK]. */
    tc_write(dir, "vocab.txt", "[PAD]\r\n[UNK]\r\nhello\r\n##o\r\nh\r\n");
    t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        CHECK(lm_token_to_id(t, "hello") == 2 && lm_token_to_id(t, "h") == 4);
        int32_t *ids;
        size_t n;
        char word[130];
        memset(word, 'o', sizeof word);
        word[0] = 'h';
        CHECK(tc_tokenize(t, word, 100, &ids, &n, &err) == 0 && n == 100 && ids[0] == 4 &&
              ids[99] == 3);
        free(ids);
        CHECK(tc_tokenize(t, word, 101, &ids, &n, &err) == 0 && n == 1 && ids[0] == 1);
        free(ids);
        CHECK(tc_tokenize(t, "HELLO x", 7, &ids, &n, &err) == 0 && n == 2 && ids[0] == 2 &&
              ids[1] == 1);
        free(ids);
        lm_tokenizer_free(t);
    }
    tc_remove(dir, "vocab.txt");
    rmdir(dir);

    cJSON_Delete(cases);
    free(vocab);
    free(vocab_path);
    free(cases_path);
    free(mini);
    free(fix);
    return check_exit("test_wordpiece");
}
