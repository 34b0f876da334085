/* fuzz_dataset.h - what the dataset-reader targets share: one split file
 * read the way a job reads it, and the checks on what came out. */
#ifndef LM_FUZZ_DATASET_H
#define LM_FUZZ_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "prompt/task.h"

/* Writes data to the scratch file `name` (its extension picks a custom
 * task's reader) and reads it with lm_dataset_read_file.  Aborts when a
 * refusal has no message, or an accepted split has no examples, an example
 * without text_a, a text_b that disagrees with n_sentences, a label outside
 * the task's list, or a text that is not UTF-8. */
void fuzz_read_dataset(const lm_task *t, const char *name, const uint8_t *data, size_t size);

#endif
