/* prompt.c - reading and encoding a split in one call. */
#include "prompt/prompt.h"

#include <stdlib.h>
#include <string.h>
#include "prompt/template.h"

/* Parses and binds the task's template, checking it against the data. */
static int prepare(const lm_tokenizer *tok, const lm_task *task, const lm_dataset *ds,
                   lm_encoded_split *out, lm_template *t, lm_error *err) {
    if (!task->tmpl)
        return lm_fail(err, "task %s has no template (give one for prompt-based inputs)",
                       task->name);
    out->label_word_ids = lm_xcalloc((size_t)task->n_labels, sizeof(int32_t));
    if (lm_task_label_word_ids(task, tok, out->label_word_ids, err) < 0)
        return lm_fail_prefix(err, "task %s", task->name);
    if (lm_template_parse(task->tmpl, t, err) < 0) return -1;
    if (t->n_sentences > ds->n_sentences) {
        int used = t->n_sentences - 1;
        lm_template_free(t);
        return lm_fail(err, "task %s: template '%s' uses sentence %d, but %s has %d "
                       "sentence%s an example", task->name, task->tmpl, used, ds->path,
                       ds->n_sentences, ds->n_sentences == 1 ? "" : "s");
    }
    if (lm_template_bind(t, tok, out->label_word_ids, task->n_labels, err) < 0) {
        lm_template_free(t);
        return lm_fail_prefix(err, "task %s", task->name);
    }
    return 0;
}

int lm_prompt_encode(const lm_tokenizer *tok, const lm_task *task, const lm_dataset *ds,
                     int prompt, lm_encoded_split *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    out->n_labels = task->n_labels;
    lm_template t = {0};
    if (prompt && prepare(tok, task, ds, out, &t, err) < 0) {
        lm_encoded_split_free(out);
        return -1;
    }
    lm_encode_limits lim = {task->max_len, task->first_sent_limit, task->other_sent_limit};
    out->ex = lm_xcalloc((size_t)(ds->n ? ds->n : 1), sizeof *out->ex);
    for (int i = 0; i < ds->n; i++) {
        const lm_example *e = &ds->ex[i];
        const char *texts[2] = {e->text[0], e->text[1]};
        int rc = prompt ? lm_template_encode(&t, texts, ds->n_sentences, &lim, &out->ex[i], err)
                        : lm_encode_no_prompt(tok, texts, ds->n_sentences, task->max_len,
                                              &out->ex[i], err);
        if (rc < 0) {
            lm_fail_prefix(err, "%s: line %d (example %d)", ds->path, e->line, i);
            out->n = i;
            lm_template_free(&t);
            lm_encoded_split_free(out);
            return -1;
        }
        out->ex[i].label = e->label;
    }
    out->n = ds->n;
    lm_template_free(&t);
    return 0;
}

int lm_prompt_load_split(const lm_tokenizer *tok, const lm_task *task,
                         const char *split_dir, const char *split, int prompt,
                         lm_encoded_split *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    lm_dataset ds;
    if (lm_dataset_read(task, split_dir, split, &ds, err) < 0) return -1;
    int rc = lm_prompt_encode(tok, task, &ds, prompt, out, err);
    lm_dataset_free(&ds);
    return rc;
}
