/* prompt.h - a task's split as model inputs: the call the kernel, training
 * and runner code make.
 *
 *   lm_tokenizer *tok = lm_tokenizer_load(model_dir, &err);
 *   lm_task *task = lm_task_builtin("SST-2", &err);
 *   lm_encoded_split s;
 *   lm_prompt_load_split(tok, task, "data/k-shot-1k-test/SST-2/16-42", "train",
 *                        1, &s, &err);
 *   ... s.ex[i].ids, s.ex[i].mask_pos, s.ex[i].label, s.label_word_ids ...
 *   lm_encoded_split_free(&s);
 *
 * prompt = 1: the task's template and label words (spec §2.2-2.3);
 * prompt = 0: the standard [CLS] input (spec §2.4), label_word_ids NULL. */
#ifndef LM_PROMPT_PROMPT_H
#define LM_PROMPT_PROMPT_H

#include "prompt/dataset.h"
#include "prompt/encoded.h"
#include "prompt/task.h"
#include "tokenize/tokenizer.h"
#include "util/error.h"

/* Reads split (train, dev, test, ...) from split_dir and encodes it. */
int lm_prompt_load_split(const lm_tokenizer *tok, const lm_task *task,
                         const char *split_dir, const char *split, int prompt,
                         lm_encoded_split *out, lm_error *err);

/* Encodes examples already read.  An error names the file and line of the
 * example that failed. */
int lm_prompt_encode(const lm_tokenizer *tok, const lm_task *task, const lm_dataset *ds,
                     int prompt, lm_encoded_split *out, lm_error *err);

#endif
