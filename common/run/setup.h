/* setup.h - what one job of an experiment needs before any math: the model
 * folder and split folder resolved, the tokenizer, the task with the spec's
 * overrides, the model, and the encoded splits. */
#ifndef LM_RUN_SETUP_H
#define LM_RUN_SETUP_H

#include "model/model.h"
#include "prompt/prompt.h"
#include "run/run.h"
#include "spec/spec.h"
#include "store/sha256.h"

typedef struct lm_job_setup {
    char *model_dir, *split_dir;
    char model_digest[LM_SHA256_HEX_LEN + 1];
    lm_tokenizer *tok;
    lm_task *task;
    lm_model model;
    int model_loaded;
    lm_encoded_split split[3];  /* train, dev, test */
    int32_t *label_words;       /* [C] prompt mode */
    const char *metric;         /* "acc", "f1", "mnli/acc" */
    int head_ready;             /* no prompt: the classifier has its linear-probe init */
} lm_job_setup;

/* The folder of a model named by a spec (NULL: the built-in default).  With
 * opt->models_dir: a model name there, or a path to one of its entries;
 * without: a path as given. */
char *lm_run_model_dir(const char *name, const lm_run_options *opt, lm_error *err);

/* Takes ownership of model_dir, split_dir and task (freed by
 * lm_job_setup_free, also after a failure). */
int lm_job_setup_open(lm_job_setup *js, char *model_dir, char *split_dir, lm_task *task,
                      int prompt, lm_error *err);

int lm_job_setup_load(const lm_spec *spec, const char *model, uint32_t seed,
                      const lm_run_options *opt, lm_job_setup *js, lm_error *err);
void lm_job_setup_free(lm_job_setup *js);

#endif
