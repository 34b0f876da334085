/* dataset_read.h - the per-format readers behind lm_dataset_read_file and
 * the helpers they share (internal to prompt/). */
#ifndef LM_PROMPT_DATASET_READ_H
#define LM_PROMPT_DATASET_READ_H

#include "prompt/dataset.h"

int lm_read_glue_tsv(const lm_task *t, const char *path, lm_dataset *out, lm_error *err);
int lm_read_lmbff_csv(const lm_task *t, const char *path, lm_dataset *out, lm_error *err);
int lm_read_custom_tsv(const lm_task *t, const char *path, lm_dataset *out, lm_error *err);
int lm_read_custom_jsonl(const lm_task *t, const char *path, lm_dataset *out, lm_error *err);

/* Appends an example (texts copied; b may be NULL). */
void lm_dataset_add(lm_dataset *d, const char *a, const char *b, int label, int line);
/* The index of label in the task's list, -1 if absent. */
int lm_task_label_index(const lm_task *t, const char *label);
/* The task's labels as "a, b, c" into buf, for messages. */
void lm_task_labels_str(const lm_task *t, char *buf, size_t size);

#endif
