/* dataset.h - the examples of one split of a task, read from the LM-BFF
 * folder layout (<mode>/<TASK>/<k>-<seed>/{train,dev,test}.{tsv,csv}) the
 * way the reference's processors read them (spec §1.2), or from a custom
 * task's <split>.tsv / <split>.jsonl.
 *
 * Errors name the file, the line and the field: a missing file or column,
 * a label not in the task's list, invalid UTF-8, a split with no examples. */
#ifndef LM_PROMPT_DATASET_H
#define LM_PROMPT_DATASET_H

#include "prompt/task.h"
#include "util/error.h"

typedef struct lm_example {
    char *text[2];   /* text_a, text_b (NULL for single sentences); a NaN
                        text of a csv file is "" as in the reference */
    int label;       /* index into the task's label list */
    int line;        /* line of the file the example starts on */
} lm_example;

typedef struct lm_dataset {
    char *path;      /* the file read */
    int n;
    int n_sentences; /* 1 or 2 */
    lm_example *ex;  /* [n] in file order */
} lm_dataset;

/* The file of a split in dir.  Splits: train, dev, test; for MNLI also
 * dev_mismatched and test_mismatched (dev and test are *_matched.tsv).  A
 * custom task's split is <split>.tsv or <split>.jsonl, whichever exists.
 * Returns a new string, or NULL with err set. */
char *lm_dataset_path(const lm_task *t, const char *dir, const char *split, lm_error *err);

int lm_dataset_read(const lm_task *t, const char *dir, const char *split,
                    lm_dataset *out, lm_error *err);
/* Reads one file in the task's format (a custom task's by its extension). */
int lm_dataset_read_file(const lm_task *t, const char *path, lm_dataset *out,
                         lm_error *err);
void lm_dataset_free(lm_dataset *d);

#endif
