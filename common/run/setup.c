/* setup.c - resolving and loading what a job reads. */
#include "run/setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solve/solve.h"
#include "store/digest.h"
#include "util/file.h"

#ifndef LMNTK_DEFAULT_MODEL
#define LMNTK_DEFAULT_MODEL "models/default"
#endif

char *lm_run_model_dir(const char *name, const lm_run_options *opt, lm_error *err) {
    char *dir;
    if (!name) {
        const char *env = getenv("LMNTK_DEFAULT_MODEL");
        dir = lm_xstrdup(env && *env ? env : LMNTK_DEFAULT_MODEL);
        if (!lm_dir_exists(dir)) {
            lm_fail(err, "model: the spec names no model and the built-in default model is not "
                         "installed at %s", dir);
            free(dir);
            return NULL;
        }
        return dir;
    }
    if (opt && opt->models_dir) {
        /* a name, or a path to one of the models: the same spec serves
         * `lmntk run --models DIR` and the workers of a daemon */
        char *rel = lm_model_name_ok(name) ? lm_xstrdup(name) : lm_path_under(name, opt->models_dir);
        if (!rel || !lm_model_name_ok(rel)) {
            lm_fail(err, "model: \"%s\" is neither a model name (a folder or run/checkpoint-N of the "
                         "models directory) nor a path to one", name);
            free(rel);
            return NULL;
        }
        dir = lm_path_join(opt->models_dir, rel);
        free(rel);
    } else {
        dir = lm_xstrdup(name);
    }
    char *cfg = lm_path_join(dir, "config.json");
    int ok = lm_file_exists(cfg);
    free(cfg);
    if (!ok) {
        lm_fail(err, "model: \"%s\" is not a model folder (no config.json in %s)", name, dir);
        free(dir);
        return NULL;
    }
    return dir;
}

static char *split_dir(const lm_spec *spec, uint32_t seed, const lm_run_options *opt, lm_error *err) {
    const char *data = spec->data;
    char leaf[64];
    snprintf(leaf, sizeof leaf, "%d-%u", spec->k, seed);
    char *root;
    if (opt && opt->data_root) {
        /* relative to the data root, or an absolute path inside it */
        char *rel = data[0] == '/' ? lm_path_under(data, opt->data_root) : NULL;
        if (data[0] == '/' ? !rel : strstr(data, "..") != NULL) {
            lm_fail(err, "data: \"%s\" must be a path inside the data root (relative to it)", data);
            free(rel);
            return NULL;
        }
        root = lm_path_join(opt->data_root, rel ? rel : data);
        free(rel);
    } else {
        root = lm_xstrdup(data);
    }
    char *dir = lm_path_join(root, leaf);
    free(root);
    if (!lm_dir_exists(dir)) {
        lm_fail(err, "data: no split folder %s (k = %d, seed %u)", dir, spec->k, seed);
        free(dir);
        return NULL;
    }
    return dir;
}

static lm_task *make_task(const lm_spec *spec, lm_error *err) {
    lm_task *t;
    if (strcmp(spec->task, "custom") == 0) {
        t = lm_task_custom("custom", (const char *const *)spec->labels, spec->n_labels,
                           (const char *const *)spec->label_words, spec->prompt_template,
                           spec->max_length, err);
        return t;
    }
    t = lm_task_builtin(spec->task, err);
    if (!t) return NULL;
    if ((spec->prompt_template && lm_task_set_template(t, spec->prompt_template, err)) ||
        (spec->n_label_words &&
         lm_task_set_label_words(t, (const char *const *)spec->label_words, spec->n_label_words, err))) {
        lm_task_free(t);
        return NULL;
    }
    if (spec->max_length > 0) t->max_len = spec->max_length;
    return t;
}

int lm_job_setup_open(lm_job_setup *js, char *model_dir, char *split_dir, lm_task *task,
                      int prompt, lm_error *err) {
    memset(js, 0, sizeof *js);
    js->model_dir = model_dir;
    js->split_dir = split_dir;
    js->task = task;
    if (!(js->tok = lm_tokenizer_load(js->model_dir, err))) return -1;
    int C = js->task->n_labels;
    lm_load_options lo = {.decoder = LM_DECODER_SEPARATE, .n_classes = prompt ? 0 : C};
    if (lm_model_load(js->model_dir, &lo, &js->model, err)) return -1;
    js->model_loaded = 1;
    char *st = lm_path_join(js->model_dir, "model.safetensors");
    int rc = lm_file_digest(st, js->model_digest, err);
    free(st);
    if (rc) return -1;
    static const char *names[3] = {"train", "dev", "test"};
    for (int i = 0; i < 3; i++)
        if (lm_prompt_load_split(js->tok, js->task, js->split_dir, names[i], prompt, &js->split[i], err))
            return -1;
    if (prompt) {
        js->label_words = lm_xmalloc((size_t)C * sizeof(int32_t));
        if (lm_task_label_word_ids(js->task, js->tok, js->label_words, err)) return -1;
    }
    js->metric = lm_task_metric(js->task->name);
    if (!js->metric) js->metric = strcmp(js->task->metric, "f1") == 0 ? "f1" : "acc";
    return 0;
}

int lm_job_setup_load(const lm_spec *spec, const char *model, uint32_t seed,
                      const lm_run_options *opt, lm_job_setup *js, lm_error *err) {
    memset(js, 0, sizeof *js);
    char *mdir = lm_run_model_dir(model, opt, err);
    if (!mdir) return -1;
    char *sdir = split_dir(spec, seed, opt, err);
    lm_task *task = sdir ? make_task(spec, err) : NULL;
    if (!task) {
        if (sdir) lm_fail_prefix(err, "task");
        free(mdir);
        free(sdir);
        return -1;
    }
    return lm_job_setup_open(js, mdir, sdir, task, spec->prompt, err);
}

void lm_job_setup_free(lm_job_setup *js) {
    free(js->model_dir);
    free(js->split_dir);
    if (js->tok) lm_tokenizer_free(js->tok);
    if (js->task) lm_task_free(js->task);
    if (js->model_loaded) lm_model_free(&js->model);
    for (int i = 0; i < 3; i++) lm_encoded_split_free(&js->split[i]);
    free(js->label_words);
    memset(js, 0, sizeof *js);
}
