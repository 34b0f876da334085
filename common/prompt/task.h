/* task.h - few-shot classification tasks: the 14 of LM-BFF / LM-Kernel-FT
 * with the settings of run_fewshot.sh (spec §2.1), and user-defined ones.
 *
 * A task says how its files are read (format and columns), its label list,
 * its prompt (template and one label word per label, in label-list order),
 * the sequence and sentence limits, and the metric.  Tasks are heap objects
 * owned by the caller: lm_task_builtin() returns a fresh copy, so a caller
 * may change the template or label words of it (lm_task_set_*). */
#ifndef LM_PROMPT_TASK_H
#define LM_PROMPT_TASK_H

#include <stdint.h>
#include "tokenize/tokenizer.h"
#include "util/error.h"

typedef enum {
    LM_TASK_TSV = 1,  /* GLUE tsv with a header line (SST-2 and the pair tasks) */
    LM_TASK_CSV,      /* csv without header, read as pandas (sst-5 mr cr ...) */
    LM_TASK_CUSTOM    /* <split>.tsv (header text_a[, text_b], label) or <split>.jsonl */
} lm_task_format;

typedef struct lm_task {
    char *name;            /* LM-BFF directory name ("SST-2") or the custom name */
    lm_task_format format;
    int n_sentences;       /* 1 or 2; 0 for a custom task: as its files have */
    int n_labels;
    char **labels;         /* [n_labels] labels as written in the files */
    char **label_words;    /* [n_labels] in label-list order; NULL: none set */
    char *tmpl;            /* LM-BFF template; NULL: none set */
    int max_len;           /* max_seq_length */
    int first_sent_limit;  /* tokens kept of sentence 0; -1: no limit */
    int other_sent_limit;  /* tokens kept of other sentences; -1: no limit */
    char *metric;          /* "acc" or "f1" (MRPC, QQP) */
    /* Reading the built-in formats (0-based columns). */
    int col_a, col_b;      /* text_a, text_b; col_b -1 for single sentences */
    int col_label;         /* -1: the last column of each row */
    int skip_short_rows;   /* QQP: rows lacking a column are skipped */
    int matched;           /* MNLI: dev/test are *_matched.tsv; *_mismatched too */
} lm_task;

/* A copy of a built-in task, found by name case-insensitively (SST-2 sst-5
 * mr cr mpqa subj trec MNLI SNLI QNLI RTE MRPC QQP ag_news).  NULL and err
 * set (listing the names) when there is none. */
lm_task *lm_task_builtin(const char *name, lm_error *err);
int lm_task_builtin_count(void);
const char *lm_task_builtin_name(int i);

/* max_seq_length of a custom task that sets none. */
#define LM_TASK_CUSTOM_MAX_LEN 128

/* A user-defined task.  labels may be NULL for "0".."n_labels-1";
 * label_words and tmpl may be NULL (then only no-prompt inputs can be made);
 * max_len <= 0 gives LM_TASK_CUSTOM_MAX_LEN.  Validates the template and that labels are
 * distinct and non-empty. */
lm_task *lm_task_custom(const char *name, const char *const *labels, int n_labels,
                        const char *const *label_words, const char *tmpl, int max_len,
                        lm_error *err);

/* Replace the template (validated by parsing it). */
int lm_task_set_template(lm_task *t, const char *tmpl, lm_error *err);
/* Replace the label words: n must equal t->n_labels, in label-list order. */
int lm_task_set_label_words(lm_task *t, const char *const *words, int n, lm_error *err);
/* The same from a string: "terrible,great" (label-list order) or LM-BFF's
 * mapping "{'0':'terrible','1':'great'}" (JSON quotes and bare keys too). */
int lm_task_parse_label_words(lm_task *t, const char *spec, lm_error *err);

/* Splits "a,b,c" into a new array of new strings (free with lm_strv_free). */
char **lm_split_list(const char *s, int *n);
void lm_strv_free(char **v, int n);

/* The token id of each label word (spec §2.2): ' ' + word must encode to
 * exactly one token, except words starting with < [ . , which are taken as
 * vocabulary tokens as written.  An error names the word and its label. */
int lm_task_label_word_ids(const lm_task *t, const lm_tokenizer *tok, int32_t *ids,
                           lm_error *err);

void lm_task_free(lm_task *t);

#endif
