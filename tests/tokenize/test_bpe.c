/* test_bpe.c - RoBERTa byte-level BPE: known ids, special tokens, the
 * hand-written edge cases of bpe_cases.json (ids from bpe_ref.py), decoding,
 * the tokenizer.json path, and clear errors for bad files and bad UTF-8.
 *
 * usage: test_bpe SHARED_DIR FIXTURES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../check.h"
#include "tok_check.h"
#include "tokenize/tokenizer.h"
#include "util/file.h"

static void check_known(const lm_tokenizer *t) {
    CHECK(lm_tokenizer_get_kind(t) == LM_TOK_BPE);
    CHECK(lm_tokenizer_vocab_size(t) == 50265);
    lm_special_ids sp = lm_tokenizer_special(t);
    CHECK(sp.cls == 0 && sp.pad == 1 && sp.sep == 2 && sp.unk == 3 && sp.mask == 50264);
    CHECK(lm_token_to_id(t, "\xc4\xa0great") == 372);      /* "Ġgreat" */
    CHECK(lm_token_to_id(t, "\xc4\xa0terrible") == 6587);
    CHECK(lm_token_to_id(t, ".") == 4);
    CHECK(lm_token_to_id(t, "<mask>") == 50264);
    CHECK(lm_token_to_id(t, "no-such-token-xyz") == -1);
    CHECK(strcmp(lm_id_to_token(t, 5), "\xc4\xa0the") == 0);
    CHECK(lm_id_to_token(t, 50265) == NULL && lm_id_to_token(t, -1) == NULL);

    lm_error err;
    int32_t *ids;
    size_t n;
    const char *s = "It was <mask>.";
    CHECK(tc_tokenize(t, s, strlen(s), &ids, &n, &err) == 0);
    int32_t want[] = {243, 21, 50264, 4};   /* lstrip: " <mask>" is one token */
    CHECK(tc_same(ids, n, want, 4));
    char *d = lm_detokenize(t, ids, n);
    CHECK(strcmp(d, "It was<mask>.") == 0);
    free(d);
    free(ids);
    s = " great";
    CHECK(tc_tokenize(t, s, strlen(s), &ids, &n, &err) == 0 && n == 1 && ids[0] == 372);
    free(ids);

    /* Appends to what the caller has. */
    int32_t *acc = NULL;
    size_t an = 0, acap = 0;
    CHECK(lm_tokenize(t, "a", 1, &acc, &an, &acap, &err) == 0);
    CHECK(lm_tokenize(t, " b", 2, &acc, &an, &acap, &err) == 0);
    CHECK(an == 2 && acc[0] == 102 && acc[1] == 741);
    free(acc);
}

/* Every case of bpe_cases.json; returns how many matched. */
static int check_cases(const lm_tokenizer *t, const char *path, int decode) {
    cJSON *cases = tc_load_json(path);
    CHECK(cases != NULL);
    if (!cases) return 0;
    int ok = 0, total = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        size_t len, nw, n;
        char *text = tc_unhex(cJSON_GetObjectItem(c, "hex")->valuestring, &len);
        int32_t *want = tc_json_ids(cJSON_GetObjectItem(c, "ids"), &nw), *ids;
        lm_error err;
        total++;
        int rc = tc_tokenize(t, text, len, &ids, &n, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        int same = rc == 0 && tc_same(ids, n, want, nw);
        CHECK_MSG(same, "case \"%s\"", cJSON_GetObjectItem(c, "text")->valuestring);
        if (!same) {
            tc_print_ids(stderr, "want", want, nw);
            tc_print_ids(stderr, "got ", ids, n);
        }
        ok += same;
        /* Byte-level BPE is lossless, except whitespace an lstrip token absorbs
         * (and a C string cannot hold U+0000). */
        if (decode && rc == 0 && !strstr(text, "<mask>") && strlen(text) == len) {
            char *d = lm_detokenize(t, ids, n);
            CHECK_MSG(strlen(d) == len && memcmp(d, text, len) == 0, "decode \"%s\"",
                      cJSON_GetObjectItem(c, "text")->valuestring);
            free(d);
        }
        free(text);
        free(want);
        free(ids);
    }
    cJSON_Delete(cases);
    fprintf(stderr, "%s: %d/%d cases match\n", path, ok, total);
    return ok;
}

static void check_utf8_errors(const lm_tokenizer *t) {
    static const struct { const char *s; size_t len, off; } bad[] = {
        {"ab\xff" "cd", 5, 2},          /* invalid byte */
        {"x\xe2\x82", 3, 1},            /* truncated sequence */
        {"\xc0\xaf", 2, 0},             /* overlong '/' */
        {"ok \xed\xa0\x80", 6, 3},      /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 4, 0},     /* above U+10FFFF */
        {"caf\xc3\xa9\x80", 6, 5},      /* stray continuation byte */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lm_error err;
        int32_t *ids = NULL;
        size_t n = 0, cap = 0;
        CHECK(lm_tokenize(t, bad[i].s, bad[i].len, &ids, &n, &cap, &err) == -1);
        char want[64];
        snprintf(want, sizeof want, "byte offset %zu", bad[i].off);
        CHECK_MSG(strstr(err.msg, "invalid UTF-8") && strstr(err.msg, want), "%s", err.msg);
        free(ids);
    }
}

/* A 1 MB word without spaces: the heap merge path keeps it O(n log n)
 * (the rescanning one would take hours); it must decode back. */
static void check_long_word(const lm_tokenizer *t) {
    size_t len = 1 << 20;
    char *s = lm_xmalloc(len + 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        s[i] = (char)('a' + (x >> 16) % 26);
    }
    s[len] = '\0';
    lm_error err;
    int32_t *ids;
    size_t n;
    clock_t c0 = clock();
    CHECK(tc_tokenize(t, s, len, &ids, &n, &err) == 0);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    char *d = lm_detokenize(t, ids, n);
    CHECK(strlen(d) == len && memcmp(d, s, len) == 0);
    fprintf(stderr, "1 MB word: %zu tokens in %.2f s\n", n, secs);
    free(d);
    free(ids);
    free(s);
}

/* Writes dir/tokenizer.json from the vocab.json + merges.txt of src. */
static int write_tokenizer_json(const char *src, const char *dir) {
    char *vp = lm_path_join(src, "vocab.json"), *mp = lm_path_join(src, "merges.txt");
    cJSON *vocab = tc_load_json(vp);
    size_t mlen;
    lm_error err;
    char *merges = lm_read_file(mp, &mlen, &err);
    free(vp);
    free(mp);
    if (!vocab || !merges) return -1;
    cJSON *root = cJSON_CreateObject(), *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON_AddItemToObject(model, "vocab", vocab);
    cJSON *arr = cJSON_AddArrayToObject(model, "merges");
    int i = 0;
    for (char *line = strtok(merges, "\n"); line; line = strtok(NULL, "\n"), i++) {
        if (i == 0 && strncmp(line, "#version", 8) == 0) continue;
        /* Newer files write merges as pairs; take both forms. */
        if (i % 2) {
            cJSON_AddItemToArray(arr, cJSON_CreateString(line));
        } else {
            char *sp = strchr(line, ' ');
            *sp = '\0';
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, cJSON_CreateString(line));
            cJSON_AddItemToArray(pair, cJSON_CreateString(sp + 1));
            cJSON_AddItemToArray(arr, pair);
        }
    }
    free(merges);
    cJSON *pre = cJSON_AddObjectToObject(root, "pre_tokenizer");
    cJSON_AddStringToObject(pre, "type", "ByteLevel");
    cJSON_AddFalseToObject(pre, "add_prefix_space");
    cJSON_AddNullToObject(root, "normalizer");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    static const struct { int id; const char *s; int lstrip; } sp[] = {
        {0, "<s>", 0}, {1, "<pad>", 0}, {2, "</s>", 0}, {3, "<unk>", 0}, {50264, "<mask>", 1}};
    for (int k = 0; k < 5; k++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "id", sp[k].id);
        cJSON_AddStringToObject(a, "content", sp[k].s);
        cJSON_AddBoolToObject(a, "lstrip", sp[k].lstrip);
        cJSON_AddBoolToObject(a, "rstrip", 0);
        cJSON_AddTrueToObject(a, "special");
        cJSON_AddItemToArray(added, a);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    tc_write(dir, "tokenizer.json", text);
    free(text);
    return 0;
}

/* Loading `dir` fails with a message that contains every `want`. */
static void expect_load_error(const char *dir, const char *want1, const char *want2) {
    lm_error err;
    err.msg[0] = '\0';
    lm_tokenizer *t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t == NULL, "loading %s should fail (%s)", dir, want1);
    CHECK_MSG(strstr(err.msg, want1) && (!want2 || strstr(err.msg, want2)),
              "error \"%s\" lacks \"%s\" / \"%s\"", err.msg, want1, want2 ? want2 : "");
    lm_tokenizer_free(t);
}

static void check_file_errors(const char *rdir) {
    char dir[] = "/tmp/lmntk-test-bpe-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    expect_load_error("/nonexistent/lmntk-tok", "/nonexistent/lmntk-tok", "not found");
    expect_load_error(dir, "no tokenizer files", NULL);
    tc_write(dir, "vocab.json", "{\"a\": 0}");
    expect_load_error(dir, "merges.txt", "missing");
    tc_write(dir, "vocab.json", "{\n  \"a\": 0,\n  \"b\": x\n}\n");
    tc_write(dir, "merges.txt", "#version: 0.2\na b\n");
    expect_load_error(dir, "vocab.json:3:", "malformed vocab.json");
    tc_write(dir, "vocab.json", "{\n  \"a\": 0,\n  \"b\": \"1\"\n}\n");
    expect_load_error(dir, "vocab.json:3:", "\"b\"");
    tc_write(dir, "vocab.json", "{\n  \"a\": 0,\n  \"b\": 2000000000\n}\n");
    expect_load_error(dir, "vocab.json:3:", "not an integer in [0, 16777215]");
    tc_write(dir, "vocab.json", "{\n  \"a\": 0,\n  \"b\": 1\n");
    expect_load_error(dir, "vocab.json:4:", "expected ',' or '}'");
    tc_write(dir, "vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2, \"<unk>\": 3}");
    tc_write(dir, "merges.txt", "#version: 0.2\na b\nab\n");
    expect_load_error(dir, "merges.txt:3:", "malformed merges.txt");
    tc_write(dir, "merges.txt", "#version: 0.2\na b\na  b\n");
    expect_load_error(dir, "merges.txt:3:", "one space");
    tc_write(dir, "merges.txt", "#version: 0.2\na b\n\xff\n");
    expect_load_error(dir, "merges.txt:3:", "invalid UTF-8");

    /* A tiny valid vocabulary: bytes missing from it become <unk>. */
    tc_write(dir, "merges.txt", "#version: 0.2\na b\n");
    lm_error err;
    lm_tokenizer *t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        int32_t *ids;
        size_t n;
        CHECK(tc_tokenize(t, "abc", 3, &ids, &n, &err) == 0);
        int32_t want[] = {2, 3};
        CHECK(tc_same(ids, n, want, 2));
        free(ids);
        lm_tokenizer_free(t);
    }
    /* JSON escapes, including a surrogate pair, in vocab.json keys. */
    tc_write(dir, "vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2, \"<unk>\": 3, "
             "\"\\u0120x\": 4, \"\\ud83d\\ude00\": 5, \"q\\\"\\\\\\/\\n\": 6}");
    t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        CHECK(lm_token_to_id(t, "\xc4\xa0x") == 4);
        CHECK(lm_token_to_id(t, "\xf0\x9f\x98\x80") == 5);
        CHECK(lm_token_to_id(t, "q\"\\/\n") == 6);
        lm_tokenizer_free(t);
    }
    tc_write(dir, "vocab.json", "{\"a\": 0, \"\\ud83d\": 1}");
    expect_load_error(dir, "vocab.json:1:", "surrogate");
    tc_write(dir, "vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2}");
    expect_load_error(dir, "is not in the vocabulary", "<unk>");
    /* a merge that names <unk> does not put it in the vocabulary */
    tc_write(dir, "merges.txt", "a <unk>\n");
    expect_load_error(dir, "is not in the vocabulary", "<unk>");
    tc_remove(dir, "vocab.json");
    tc_remove(dir, "merges.txt");

    /* tokenizer.json: malformed JSON names the line; a full one matches. */
    tc_write(dir, "tokenizer.json", "{\n \"model\": {\n \"type\": \"BPE\",,\n}}");
    expect_load_error(dir, "tokenizer.json:3:", "malformed JSON");
    tc_write(dir, "tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
    expect_load_error(dir, "Unigram", "not supported");
    CHECK(write_tokenizer_json(rdir, dir) == 0);
    t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        check_known(t);
        char *cases = lm_path_join(getenv("LM_TOK_FIXTURES"), "bpe_cases.json");
        check_cases(t, cases, 0);
        free(cases);
        lm_tokenizer_free(t);
    }
    /* an added token the vocabulary holds keeps the vocabulary's id, even
     * when added_tokens gives it another (301 would be past the vocabulary) */
    tc_write(dir, "tokenizer.json",
             "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"<unk>\": 0, \"<mask>\": 1, \"a\": 2},"
             " \"merges\": []}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"},"
             " \"added_tokens\": [{\"id\": 301, \"content\": \"<mask>\"}]}");
    t = lm_tokenizer_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        int32_t *ids = NULL;
        size_t n = 0, cap = 0;
        CHECK(lm_tokenize(t, "a<mask>", 7, &ids, &n, &cap, &err) == 0);
        CHECK(n == 2 && ids[0] == 2 && ids[1] == 1);
        free(ids);
        lm_tokenizer_free(t);
    }
    tc_remove(dir, "tokenizer.json");
    rmdir(dir);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SHARED_DIR FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    char *rdir = lm_path_join(argv[1], "data/tokenizers/roberta-base");
    char *fix = lm_path_join(argv[2], "tokenize");
    setenv("LM_TOK_FIXTURES", fix, 1);
    lm_error err;
    lm_tokenizer *t = lm_tokenizer_load(rdir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
        check_known(t);
        char *cases = lm_path_join(fix, "bpe_cases.json");
        check_cases(t, cases, 1);
        free(cases);
        check_utf8_errors(t);
        check_long_word(t);
        lm_tokenizer_free(t);
    }
    check_file_errors(rdir);
    free(rdir);
    free(fix);
    return check_exit("test_bpe");
}
