/* cmd_encode.c - `lmntk encode`: a task split through its prompt template,
 * one JSON object a line ({"input_ids": [...], "mask_pos": n, "label": i}),
 * to check what the model will see. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "prompt/prompt.h"

static const char usage_text[] =
    "usage: lmntk encode --model DIR --task NAME --data DIR --split SPLIT [options]\n"
    "\n"
    "Prints each example of a split as the model's input, one JSON object a line:\n"
    "{\"input_ids\": [...], \"mask_pos\": n, \"label\": i} (\"token_type_ids\" too for\n"
    "WordPiece tokenizers; mask_pos -1 with --no-prompt).\n"
    "\n"
    "  --model DIR         HuggingFace model folder (only its tokenizer files are read)\n"
    "  --task NAME         SST-2 sst-5 mr cr mpqa subj trec MNLI SNLI QNLI RTE MRPC QQP\n"
    "                      ag_news (any case), or a custom task's name\n"
    "  --data DIR          the split folder, e.g. data/k-shot-1k-test/SST-2/16-42\n"
    "  --split SPLIT       train, dev or test (MNLI: also dev_mismatched, test_mismatched)\n"
    "  --no-prompt         the standard [CLS] input instead of the template\n"
    "  --template T        an LM-BFF template, e.g. '*cls**sent_0*_It_was*mask*.*sep+*'\n"
    "  --label-words W     'terrible,great' in label order, or '{\"0\":\"terrible\",...}'\n"
    "  --labels L          a custom task's labels, '0,1' (default: 0..n-1)\n"
    "  --max-len N         max_seq_length (custom default 128)\n"
    "  --first-sent-limit N, --other-sent-limit N   per-sentence token limits\n"
    "\n"
    "A custom task (a name that is not built in) reads <split>.tsv (header text_a,\n"
    "[text_b,] label) or <split>.jsonl and needs --template and --label-words.\n";

typedef struct encode_args {
    const char *model, *task, *data, *split, *tmpl, *words, *labels;
    int no_prompt, max_len, first_limit, other_limit;
} encode_args;

static int parse_int(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < -1 || v > 1000000) return -1;
    *out = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, encode_args *a) {
    memset(a, 0, sizeof *a);
    a->max_len = a->first_limit = a->other_limit = -2; /* -2: not given */
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = NULL;
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (!strcmp(opt, "--no-prompt")) { a->no_prompt = 1; continue; }
        char name[64];
        const char *eq = strchr(opt, '=');
        if (eq && (size_t)(eq - opt) < sizeof name) {
            memcpy(name, opt, (size_t)(eq - opt));
            name[eq - opt] = '\0';
            val = eq + 1;
            opt = name;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "lmntk encode: %s needs a value\n", opt);
            return -1;
        }
        int bad = 0;
        if (!strcmp(opt, "--model")) a->model = val;
        else if (!strcmp(opt, "--task")) a->task = val;
        else if (!strcmp(opt, "--data")) a->data = val;
        else if (!strcmp(opt, "--split")) a->split = val;
        else if (!strcmp(opt, "--template")) a->tmpl = val;
        else if (!strcmp(opt, "--label-words")) a->words = val;
        else if (!strcmp(opt, "--labels")) a->labels = val;
        else if (!strcmp(opt, "--max-len")) bad = parse_int(val, &a->max_len) < 0 || a->max_len < 1;
        else if (!strcmp(opt, "--first-sent-limit")) bad = parse_int(val, &a->first_limit) < 0;
        else if (!strcmp(opt, "--other-sent-limit")) bad = parse_int(val, &a->other_limit) < 0;
        else {
            fprintf(stderr, "lmntk encode: unknown option '%s' (see --help)\n", opt);
            return -1;
        }
        if (bad) {
            fprintf(stderr, "lmntk encode: %s: bad number '%s'\n", opt, val);
            return -1;
        }
    }
    if (!a->model || !a->task || !a->data || !a->split) {
        fprintf(stderr, "lmntk encode: --model, --task, --data and --split are required\n%s",
                usage_text);
        return -1;
    }
    return 0;
}

/* The built-in task, or a custom one when the name is not built in and the
 * prompt settings are given; the overrides applied. */
static lm_task *make_task(const encode_args *a, lm_error *err) {
    lm_task *t = lm_task_builtin(a->task, err);
    if (!t) {
        if (!a->tmpl && !a->words && !a->labels) return NULL; /* the unknown-task message */
        int n = 0;
        char **labels = NULL;
        if (a->labels) {
            labels = lm_split_list(a->labels, &n);
        } else if (a->words && a->words[strspn(a->words, " ")] != '{') {
            char **w = lm_split_list(a->words, &n);
            lm_strv_free(w, n);
        } else {
            lm_fail(err, "custom task %s: give --labels (or --label-words as a list)", a->task);
            return NULL;
        }
        t = lm_task_custom(a->task, (const char *const *)labels, n, NULL, NULL, 0, err);
        lm_strv_free(labels, n);
        if (!t) return NULL;
    }
    if ((a->tmpl && lm_task_set_template(t, a->tmpl, err) < 0) ||
        (a->words && lm_task_parse_label_words(t, a->words, err) < 0)) {
        lm_task_free(t);
        return NULL;
    }
    if (a->max_len != -2) t->max_len = a->max_len;
    if (a->first_limit != -2) t->first_sent_limit = a->first_limit;
    if (a->other_limit != -2) t->other_sent_limit = a->other_limit;
    return t;
}

static void print_ints(FILE *out, const int32_t *v, int n) {
    fputc('[', out);
    for (int i = 0; i < n; i++) fprintf(out, i ? ", %d" : "%d", v[i]);
    fputc(']', out);
}

int cmd_encode(int argc, char **argv) {
    encode_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc > 0 ? 0 : 2;
    lm_error err = {0};
    lm_tokenizer *tok = lm_tokenizer_load(a.model, &err);
    if (!tok) {
        fprintf(stderr, "lmntk encode: %s\n", err.msg);
        return 1;
    }
    lm_task *task = make_task(&a, &err);
    lm_encoded_split s;
    if (!task || lm_prompt_load_split(tok, task, a.data, a.split, !a.no_prompt, &s, &err) < 0) {
        fprintf(stderr, "lmntk encode: %s\n", err.msg);
        lm_task_free(task);
        lm_tokenizer_free(tok);
        return 1;
    }
    int types = lm_tokenizer_get_kind(tok) == LM_TOK_WORDPIECE;
    for (int i = 0; i < s.n; i++) {
        const lm_encoded_example *e = &s.ex[i];
        fputs("{\"input_ids\": ", stdout);
        print_ints(stdout, e->ids, e->n_tokens);
        if (types) {
            fputs(", \"token_type_ids\": ", stdout);
            print_ints(stdout, e->type_ids, e->n_tokens);
        }
        printf(", \"mask_pos\": %d, \"label\": %d}\n", e->mask_pos, e->label);
    }
    rc = ferror(stdout) ? 1 : 0;
    lm_encoded_split_free(&s);
    lm_task_free(task);
    lm_tokenizer_free(tok);
    return rc;
}
