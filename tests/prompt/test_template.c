/* test_template.c - the template parser, the part rules against hand-made
 * examples (ids from tests/fixtures/tokenize/bpe_ref.py), the task table,
 * label words, custom tasks, segment ids with a WordPiece vocabulary.
 * usage: test_prompt_template ROBERTA_TOKENIZER_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "prompt/casemap.h"
#include "prompt/task.h"
#include "prompt/template.h"
#include "util/utf8.h"
#include "util/file.h"

static const lm_tokenizer *tok;

/* ids equal the list that ends with -1 */
static int ids_eq(const lm_encoded_example *e, const int32_t *want) {
    int n = 0;
    while (want[n] >= 0) n++;
    if (n != e->n_tokens) return 0;
    for (int i = 0; i < n; i++)
        if (e->ids[i] != want[i]) return 0;
    return 1;
}

static void print_ids(const char *what, const lm_encoded_example *e) {
    fprintf(stderr, "  %s:", what);
    for (int i = 0; i < e->n_tokens; i++) fprintf(stderr, " %d", e->ids[i]);
    fprintf(stderr, " (mask %d)\n", e->mask_pos);
}

static void free_ex(lm_encoded_example *e) {
    free(e->ids);
    free(e->type_ids);
    memset(e, 0, sizeof *e);
}

/* Encodes texts through tmpl and checks the ids and mask position. */
static void expect(const char *tmpl, const char *a, const char *b, int max_len, int first,
                   int other, const int32_t *want, int mask) {
    lm_error err = {0};
    lm_template t;
    const int32_t words[2] = {6587, 372};
    int rc = lm_template_parse(tmpl, &t, &err);
    CHECK_MSG(rc == 0, "%s: %s", tmpl, err.msg);
    if (rc) return;
    rc = lm_template_bind(&t, tok, words, 2, &err);
    CHECK_MSG(rc == 0, "%s: %s", tmpl, err.msg);
    const char *texts[2] = {a, b};
    lm_encode_limits lim = {max_len, first, other};
    lm_encoded_example e = {0};
    if (rc == 0) {
        rc = lm_template_encode(&t, texts, b ? 2 : 1, &lim, &e, &err);
        CHECK_MSG(rc == 0, "%s: %s", tmpl, err.msg);
    }
    if (rc == 0) {
        int ok = ids_eq(&e, want) && e.mask_pos == mask;
        CHECK_MSG(ok, "template %s on '%s'", tmpl, a);
        if (!ok) print_ids("got", &e);
        for (int i = 0; i < e.n_tokens; i++) CHECK(e.type_ids[i] == 0);
    }
    free_ex(&e);
    lm_template_free(&t);
}

/* The template fails to parse (or bind) with a message naming `part`. */
static void expect_error(const char *tmpl, const char *part) {
    lm_error err = {0};
    lm_template t;
    int rc = lm_template_parse(tmpl, &t, &err);
    if (rc == 0) {
        rc = lm_template_bind(&t, tok, NULL, 0, &err);
        lm_template_free(&t);
    }
    CHECK_MSG(rc < 0, "template %s should fail", tmpl);
    char quoted[128];
    snprintf(quoted, sizeof quoted, "'%s'", part);
    CHECK_MSG(rc == 0 || strstr(err.msg, quoted), "message '%s' should name %s", err.msg, quoted);
}

static void test_parse(void) {
    lm_error err = {0};
    lm_template t;
    CHECK(lm_template_parse("*cls**sent-_0*?*mask*,*+sentl_1**sep+*", &t, &err) == 0);
    const lm_part_kind kinds[] = {LM_PART_TEXT, LM_PART_CLS, LM_PART_TEXT, LM_PART_SENT,
                                  LM_PART_TEXT, LM_PART_MASK, LM_PART_TEXT, LM_PART_SENT,
                                  LM_PART_TEXT, LM_PART_SEP_PLUS, LM_PART_TEXT};
    CHECK(t.n == 11);
    for (int i = 0; i < t.n && i < 11; i++) CHECK_MSG(t.parts[i].kind == kinds[i], "part %d", i);
    CHECK(t.parts[3].flags == LM_SENT_CHOP && t.parts[3].index == 0);
    CHECK(t.parts[7].flags == (LM_SENT_LOWER | LM_SENT_SPACE) && t.parts[7].index == 1);
    CHECK(t.n_sentences == 2 && t.n_labels == 0);
    lm_template_free(&t);

    CHECK(lm_template_parse("*cls*_It_was*label_3**sentu_0**+sentu_0**sentl-_0**sep*", &t, &err) == 0);
    CHECK(t.n_labels == 4 && t.n_sentences == 1);
    CHECK(strcmp(t.parts[2].text, " It was") == 0);
    CHECK(t.parts[3].kind == LM_PART_LABEL && t.parts[3].index == 3);
    CHECK(t.parts[5].flags == LM_SENT_UPPER && t.parts[7].flags == (LM_SENT_UPPER | LM_SENT_SPACE));
    CHECK(t.parts[9].flags == (LM_SENT_LOWER | LM_SENT_CHOP));
    lm_template_free(&t);

    expect_error("*cls**sentx_0**mask*", "sentx_0");
    expect_error("*cls**sent_a**mask*", "sent_a");
    expect_error("*cls**sent_**mask*", "sent_");
    expect_error("*cls**+sent-_0**mask*", "+sent-_0");
    expect_error("*cls**sent_0_1**mask*", "sent_0_1");
    expect_error("*cls**labelx_0**mask*", "labelx_0");
    expect_error("*cls**label_x**mask*", "label_x");
    expect_error("*cls**sent_0*_sentiment*mask*", "_sentiment");
    expect_error("*cls**sent_0*_*mask*", "_");        /* ' ' is not a bare token */
    expect_error("*cls**sent_0*€*mask*", "€");        /* nor is U+20AC for byte-level BPE */
    expect_error("*cls**sent_0**label_0**mask*", "label_0"); /* no label words bound */
    CHECK(lm_template_parse("*cls**sent_0*.*sep+*", &t, &err) == 0);
    CHECK(lm_template_bind(&t, tok, NULL, 0, &err) < 0 && strstr(err.msg, "mask"));
    lm_template_free(&t);
}

static void test_encode(void) {
    /* SST-2: <s> enc(S) ĠIt Ġwas <mask> . </s> */
    const int32_t sst[] = {0, 12338, 1569, 85, 21, 50264, 4, 2, -1};
    expect("*cls**sent_0*_It_was*mask*.*sep+*", "great movie", NULL, 128, -1, -1, sst, 5);
    /* sent-_ drops the last character, a code point: "café" -> "caf" */
    const int32_t chop[] = {0, 438, 2001, 116, 50264, 6, 10, 741, 2, -1};
    expect("*cls**sent-_0*?*mask*,*+sentl_1**sep+*", "café", "A b", 256, 240, -1, chop, 4);
    /* +sentl_ lower-cases the first character, here 'Á' (two bytes) */
    const int32_t lower[] = {0, 952, 5543, 25091, 5191, 439, 2, 50264, -1};
    expect("*cls**+sentl_0**sep+**mask*", "Álvaro went", NULL, 128, -1, -1, lower, 7);
    /* 'İ' lower-cases to two code points "i̇" */
    const int32_t idot[] = {0, 939, 44025, 6382, 46770, 50264, -1};
    expect("*cls**+sentl_0**mask*", "İstanbul", NULL, 128, -1, -1, idot, 5);
    /* sentu_: 'ß' upper-cases to "SS" */
    const int32_t upper[] = {0, 104, 41695, 7804, 242, 50264, -1};
    expect("*cls**sentu_0**mask*", "ßtraße", NULL, 128, -1, -1, upper, 5);
    /* sentl-_: lower first, then drop the last character */
    const int32_t lchop[] = {0, 438, 2001, 50264, -1};
    expect("*cls**sentl-_0**mask*", "Café", NULL, 128, -1, -1, lchop, 3);
    /* per-sentence limits: sentence 0 to 3 tokens, sentence 1 to 2 */
    const int32_t lim[] = {0, 1264, 80, 130, 50264, 707, 799, 2, -1};
    expect("*cls**sent_0**mask**+sent_1**sep+*", "one two three four five six",
           "seven eight nine", 128, 3, 2, lim, 4);
    /* whole-sequence tail truncation keeps the first max_len tokens */
    const int32_t trunc[] = {0, 50264, 35, 1264, 80, -1};
    expect("*cls**mask*:*sent_0**sep+*", "one two three four five six", NULL, 5, -1, -1,
           trunc, 1);
    /* label_i inserts the label word; '_' literal of length > 1 is encoded */
    const int32_t lab[] = {0, 372, 50264, 85, 21, -1};
    expect("*cls**label_1**mask*_It_was", "x", NULL, 128, -1, -1, lab, 2);
    /* the first <mask> counts, even one written in the text */
    const int32_t textmask[] = {0, 102, 50264, 50264, 2, -1};
    expect("*cls**sent_0**mask**sep*", "a <mask>", NULL, 128, -1, -1, textmask, 2);

    /* the mask cut off by truncation is an error */
    lm_error err = {0};
    lm_template t;
    CHECK(lm_template_parse("*cls**sent_0*_It_was*mask*.*sep+*", &t, &err) == 0);
    CHECK(lm_template_bind(&t, tok, NULL, 0, &err) == 0);
    const char *texts[1] = {"one two three four five six"};
    lm_encode_limits l = {4, -1, -1};
    lm_encoded_example e = {0};
    CHECK(lm_template_encode(&t, texts, 1, &l, &e, &err) < 0 && strstr(err.msg, "mask"));
    /* a template sentence the example lacks */
    lm_template_free(&t);
    CHECK(lm_template_parse("*cls**sent_0**mask**sent_1*", &t, &err) == 0);
    CHECK(lm_template_bind(&t, tok, NULL, 0, &err) == 0);
    l.max_len = 128;
    CHECK(lm_template_encode(&t, texts, 1, &l, &e, &err) < 0 && strstr(err.msg, "'sent_1'"));
    lm_template_free(&t);

    /* no prompt: one </s> between the sentences, S1 without a space */
    const char *pair[2] = {"a b", "c d"};
    CHECK(lm_encode_no_prompt(tok, pair, 2, 128, &e, &err) == 0);
    const int32_t np[] = {0, 102, 741, 2, 438, 385, 2, -1};
    CHECK(ids_eq(&e, np) && e.mask_pos == -1);
    free_ex(&e);
    CHECK(lm_encode_no_prompt(tok, pair, 2, 6, &e, &err) == 0); /* cuts the final </s> */
    const int32_t np6[] = {0, 102, 741, 2, 438, 385, -1};
    CHECK(ids_eq(&e, np6));
    free_ex(&e);
}

static void test_casemap(void) {
    uint32_t out[LM_CASE_MAX];
    CHECK(lm_case_lower('A', out) == 1 && out[0] == 'a');
    CHECK(lm_case_lower('a', out) == 1 && out[0] == 'a');
    CHECK(lm_case_lower(0xC1, out) == 1 && out[0] == 0xE1);
    CHECK(lm_case_lower(0x130, out) == 2 && out[0] == 'i' && out[1] == 0x307);
    CHECK(lm_case_lower(0x3A3, out) == 1 && out[0] == 0x3C3);  /* Σ -> σ alone */
    CHECK(lm_case_lower(0x100, out) == 1 && out[0] == 0x101);  /* stride-2 run */
    CHECK(lm_case_lower(0x101, out) == 1 && out[0] == 0x101);
    CHECK(lm_case_upper(0xDF, out) == 2 && out[0] == 'S' && out[1] == 'S');
    CHECK(lm_case_upper(0x149, out) == 2 && out[0] == 0x2BC && out[1] == 'N');
    CHECK(lm_case_upper(0x3B2, out) == 1 && out[0] == 0x392);   /* β -> Β */
    CHECK(lm_case_upper(0x10428, out) == 1 && out[0] == 0x10400); /* Deseret */
    CHECK(lm_utf8_invalid_at("ab\xC3\xA9", 4) == 4);
    CHECK(lm_utf8_invalid_at("a\xC0\xAF", 3) == 1);           /* overlong */
    CHECK(lm_utf8_invalid_at("a\xED\xA0\x80", 4) == 1);       /* surrogate */
    CHECK(lm_utf8_invalid_at("\xF4\x90\x80\x80", 4) == 0);    /* > U+10FFFF */
    CHECK(lm_utf8_invalid_at("ab\xE2\x82", 4) == 2);          /* truncated */
    CHECK(lm_utf8_last_len("caf\xC3\xA9", 5) == 2);
    CHECK(lm_utf8_last_len("", 0) == 0);
}

static void test_tasks(void) {
    lm_error err = {0};
    CHECK(lm_task_builtin_count() == 14);
    const char *names[] = {"SST-2", "sst-5", "mr", "cr", "mpqa", "subj", "trec", "ag_news",
                           "MNLI", "SNLI", "QNLI", "RTE", "MRPC", "QQP"};
    for (int i = 0; i < 14; i++) {
        lm_task *t = lm_task_builtin(names[i], &err);
        CHECK_MSG(t, "%s: %s", names[i], err.msg);
        if (!t) continue;
        int32_t ids[8];
        CHECK_MSG(lm_task_label_word_ids(t, tok, ids, &err) == 0, "%s: %s", names[i], err.msg);
        lm_template tm;
        CHECK_MSG(lm_template_parse(t->tmpl, &tm, &err) == 0, "%s", err.msg);
        CHECK(tm.n_sentences == t->n_sentences);
        lm_template_free(&tm);
        lm_task_free(t);
    }
    lm_task *t = lm_task_builtin("sst-2", &err); /* case-insensitive */
    CHECK(t && strcmp(t->name, "SST-2") == 0 && t->max_len == 128 && !strcmp(t->metric, "acc"));
    int32_t ids[8];
    CHECK(t && lm_task_label_word_ids(t, tok, ids, &err) == 0 && ids[0] == 6587 && ids[1] == 372);
    /* a word that is not one token is named */
    CHECK(lm_task_parse_label_words(t, "terrible,xyzzyq", &err) == 0);
    CHECK(lm_task_label_word_ids(t, tok, ids, &err) < 0 && strstr(err.msg, "'xyzzyq'"));
    /* < [ . , words are bare vocabulary tokens */
    CHECK(lm_task_parse_label_words(t, ".,<s>", &err) == 0); /* "." and "<s>" */
    CHECK(lm_task_label_word_ids(t, tok, ids, &err) == 0 && ids[0] == 4 && ids[1] == 0);
    CHECK(lm_task_parse_label_words(t, ",nope,great", &err) < 0); /* 3 words for 2 labels */
    CHECK(lm_task_parse_label_words(t, "{'1':'great', '0': 'terrible'}", &err) == 0);
    CHECK(!strcmp(t->label_words[0], "terrible") && !strcmp(t->label_words[1], "great"));
    CHECK(lm_task_parse_label_words(t, "{0:'bad',1:\"good\"}", &err) == 0);
    CHECK(!strcmp(t->label_words[0], "bad") && !strcmp(t->label_words[1], "good"));
    CHECK(lm_task_parse_label_words(t, "{'0':'bad'}", &err) < 0 && strstr(err.msg, "'1'"));
    CHECK(lm_task_parse_label_words(t, "{'0':'bad','1':'ok','7':'x'}", &err) < 0);
    CHECK(lm_task_set_template(t, "*cls**sent_0**+sent_1**mask*", &err) < 0 &&
          strstr(err.msg, "sentence 1"));
    CHECK(lm_task_set_template(t, "*cls**sent_0*_It_is*mask*.*sep+*", &err) == 0);
    lm_task_free(t);
    t = lm_task_builtin("MNLI", &err);
    CHECK(t && t->matched && t->n_sentences == 2 && t->max_len == 256 && t->first_sent_limit == 240);
    lm_task_free(t);
    t = lm_task_builtin("QQP", &err);
    CHECK(t && !strcmp(t->metric, "f1") && t->skip_short_rows);
    lm_task_free(t);
    CHECK(lm_task_builtin("SST2", &err) == NULL && strstr(err.msg, "ag_news"));

    /* custom tasks */
    const char *labels[] = {"neg", "pos"}, *words[] = {"bad", "good"};
    t = lm_task_custom("reviews", labels, 2, words, "*cls**sent_0*_It_was*mask*.*sep+*", 64, &err);
    CHECK_MSG(t, "%s", err.msg);
    CHECK(t && t->format == LM_TASK_CUSTOM && t->max_len == 64 && t->n_sentences == 0);
    lm_task_free(t);
    t = lm_task_custom("n", NULL, 3, NULL, NULL, 0, &err);
    CHECK(t && !strcmp(t->labels[2], "2") && t->max_len == 128 && !t->label_words && !t->tmpl);
    lm_task_free(t);
    const char *dup[] = {"a", "a"};
    CHECK(!lm_task_custom("d", dup, 2, NULL, NULL, 0, &err) && strstr(err.msg, "twice"));
    CHECK(!lm_task_custom("d", labels, 2, words, "*cls**sent_2**mask*", 0, &err) &&
          strstr(err.msg, "sentence 2"));
    CHECK(!lm_task_custom("d", labels, 2, words, "*cls**sentq_0**mask*", 0, &err) &&
          strstr(err.msg, "'sentq_0'"));

    int n;
    char **v = lm_split_list("a,,b c", &n);
    CHECK(n == 3 && !strcmp(v[0], "a") && !strcmp(v[1], "") && !strcmp(v[2], "b c"));
    lm_strv_free(v, n);
}

/* sep+ segment ids and [CLS]/[MASK]/[SEP] with a small WordPiece vocab. */
static void test_wordpiece(void) {
    char dir[] = "/tmp/lm_prompt_wp_XXXXXX";
    if (!mkdtemp(dir)) { CHECK(0); return; }
    char *path = lm_path_join(dir, "vocab.txt");
    const char *vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nit\nwas\ngood\nbad\nfilm\n.\n?\n";
    lm_error err = {0};
    CHECK(lm_write_file_atomic(path, vocab, strlen(vocab), &err) == 0);
    lm_tokenizer *wp = lm_tokenizer_load(dir, &err);
    CHECK_MSG(wp, "%s", err.msg);
    if (wp) {
        lm_template t;
        CHECK(lm_template_parse("*cls**sent_0**sep+**sent_1*?*mask*.*sep+*", &t, &err) == 0);
        CHECK_MSG(lm_template_bind(&t, wp, NULL, 0, &err) == 0, "%s", err.msg);
        const char *texts[2] = {"Good film", "bad film"};
        lm_encode_limits l = {128, -1, -1};
        lm_encoded_example e = {0};
        CHECK_MSG(lm_template_encode(&t, texts, 2, &l, &e, &err) == 0, "%s", err.msg);
        const int32_t want[] = {2, 7, 9, 3, 8, 9, 11, 4, 10, 3, -1};
        const int32_t types[] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
        CHECK(ids_eq(&e, want) && e.mask_pos == 7);
        if (!ids_eq(&e, want)) print_ids("wordpiece", &e);
        for (int i = 0; i < e.n_tokens && i < 10; i++) CHECK_MSG(e.type_ids[i] == types[i], "type %d", i);
        free_ex(&e);
        CHECK(lm_encode_no_prompt(wp, texts, 2, 128, &e, &err) == 0);
        const int32_t np[] = {2, 7, 9, 3, 8, 9, 3, -1};
        const int32_t nptypes[] = {0, 0, 0, 0, 1, 1, 1};
        CHECK(ids_eq(&e, np));
        for (int i = 0; i < e.n_tokens && i < 7; i++) CHECK(e.type_ids[i] == nptypes[i]);
        free_ex(&e);
        lm_template_free(&t);
        lm_tokenizer_free(wp);
    }
    unlink(path);
    rmdir(dir);
    free(path);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s ROBERTA_TOKENIZER_DIR\n", argv[0]);
        return 2;
    }
    lm_error err = {0};
    lm_tokenizer *t = lm_tokenizer_load(argv[1], &err);
    if (!t) {
        fprintf(stderr, "tokenizer: %s\n", err.msg);
        return 1;
    }
    tok = t;
    test_casemap();
    test_parse();
    test_encode();
    test_tasks();
    test_wordpiece();
    lm_tokenizer_free(t);
    return check_exit("test_prompt_template");
}
