/* task.c - the built-in task table (spec §1.2, §2.1) and custom tasks. */
#include "prompt/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "prompt/template.h"

#define MAX_BUILTIN_LABELS 6

typedef struct builtin {
    const char *name;
    lm_task_format format;
    int col_a, col_b, col_label, skip_short, matched;
    int n_labels;
    const char *labels[MAX_BUILTIN_LABELS];
    const char *words[MAX_BUILTIN_LABELS];
    const char *tmpl;
    int max_len, first_sent_limit, other_sent_limit;
    const char *metric;
} builtin;

#define T_SENTIMENT "*cls**sent_0*_It_was*mask*.*sep+*"
#define T_PAIR_NLI "*cls**sent-_0*?*mask*,*+sentl_1**sep+*"
#define T_PAIR_PARA "*cls**sent_0**mask*,*+sentl_1**sep+*"

/* run_fewshot.sh's TASK_EXTRA for each task; columns from processors.py. */
static const builtin builtins[] = {
    {"SST-2", LM_TASK_TSV, 0, -1, 1, 0, 0, 2, {"0", "1"}, {"terrible", "great"},
     T_SENTIMENT, 128, -1, -1, "acc"},
    {"sst-5", LM_TASK_CSV, 1, -1, 0, 0, 0, 5, {"0", "1", "2", "3", "4"},
     {"terrible", "bad", "okay", "good", "great"}, T_SENTIMENT, 128, -1, -1, "acc"},
    {"mr", LM_TASK_CSV, 1, -1, 0, 0, 0, 2, {"0", "1"}, {"terrible", "great"},
     T_SENTIMENT, 128, 110, 50, "acc"},
    {"cr", LM_TASK_CSV, 1, -1, 0, 0, 0, 2, {"0", "1"}, {"terrible", "great"},
     T_SENTIMENT, 128, 110, 50, "acc"},
    {"mpqa", LM_TASK_CSV, 1, -1, 0, 0, 0, 2, {"0", "1"}, {"terrible", "great"},
     T_SENTIMENT, 128, 110, -1, "acc"},
    {"subj", LM_TASK_CSV, 1, -1, 0, 0, 0, 2, {"0", "1"}, {"subjective", "objective"},
     "*cls**sent_0*_This_is*mask*.*sep+*", 128, 110, 50, "acc"},
    {"trec", LM_TASK_CSV, 1, -1, 0, 0, 0, 6, {"0", "1", "2", "3", "4", "5"},
     {"Description", "Entity", "Expression", "Human", "Location", "Number"},
     "*cls**mask*:*+sent_0**sep+*", 128, 110, -1, "acc"},
    {"ag_news", LM_TASK_CSV, 2, -1, 0, 0, 0, 4, {"1", "2", "3", "4"},
     {"world", "sports", "business", "tech"},
     "*cls**sent_0*_This_article_is_about*mask*_news.*sep+*", 256, 240, -1, "acc"},
    {"MNLI", LM_TASK_TSV, 8, 9, -1, 0, 1, 3, {"contradiction", "entailment", "neutral"},
     {"No", "Yes", "Maybe"}, T_PAIR_NLI, 256, 240, -1, "acc"},
    {"SNLI", LM_TASK_TSV, 7, 8, -1, 0, 0, 3, {"contradiction", "entailment", "neutral"},
     {"No", "Yes", "Maybe"}, T_PAIR_NLI, 256, -1, -1, "acc"},
    {"QNLI", LM_TASK_TSV, 1, 2, -1, 0, 0, 2, {"entailment", "not_entailment"},
     {"Yes", "No"}, T_PAIR_NLI, 128, -1, -1, "acc"},
    {"RTE", LM_TASK_TSV, 1, 2, -1, 0, 0, 2, {"entailment", "not_entailment"},
     {"Yes", "No"}, T_PAIR_NLI, 256, 240, -1, "acc"},
    {"MRPC", LM_TASK_TSV, 3, 4, 0, 0, 0, 2, {"0", "1"}, {"No", "Yes"},
     T_PAIR_PARA, 128, -1, -1, "f1"},
    {"QQP", LM_TASK_TSV, 3, 4, 5, 1, 0, 2, {"0", "1"}, {"No", "Yes"},
     T_PAIR_PARA, 128, -1, -1, "f1"},
};
#define N_BUILTINS ((int)(sizeof builtins / sizeof builtins[0]))

int lm_task_builtin_count(void) { return N_BUILTINS; }

const char *lm_task_builtin_name(int i) {
    return i >= 0 && i < N_BUILTINS ? builtins[i].name : NULL;
}

static char **strv_dup(const char *const *v, int n) {
    char **out = lm_xcalloc((size_t)n, sizeof(char *));
    for (int i = 0; i < n; i++) out[i] = lm_xstrdup(v[i]);
    return out;
}

void lm_strv_free(char **v, int n) {
    if (!v) return;
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

lm_task *lm_task_builtin(const char *name, lm_error *err) {
    for (int i = 0; i < N_BUILTINS; i++) {
        const builtin *b = &builtins[i];
        if (!name || strcasecmp(name, b->name) != 0) continue;
        lm_task *t = lm_xcalloc(1, sizeof *t);
        t->name = lm_xstrdup(b->name);
        t->format = b->format;
        t->n_sentences = b->col_b >= 0 ? 2 : 1;
        t->n_labels = b->n_labels;
        t->labels = strv_dup(b->labels, b->n_labels);
        t->label_words = strv_dup(b->words, b->n_labels);
        t->tmpl = lm_xstrdup(b->tmpl);
        t->max_len = b->max_len;
        t->first_sent_limit = b->first_sent_limit;
        t->other_sent_limit = b->other_sent_limit;
        t->metric = lm_xstrdup(b->metric);
        t->col_a = b->col_a;
        t->col_b = b->col_b;
        t->col_label = b->col_label;
        t->skip_short_rows = b->skip_short;
        t->matched = b->matched;
        return t;
    }
    char names[512] = "";
    for (int i = 0; i < N_BUILTINS; i++) {
        strncat(names, builtins[i].name, sizeof names - strlen(names) - 1);
        if (i + 1 < N_BUILTINS) strncat(names, " ", sizeof names - strlen(names) - 1);
    }
    lm_fail(err, "unknown task '%s' (built-in tasks: %s)", name ? name : "(null)", names);
    return NULL;
}

void lm_task_free(lm_task *t) {
    if (!t) return;
    free(t->name);
    lm_strv_free(t->labels, t->n_labels);
    lm_strv_free(t->label_words, t->n_labels);
    free(t->tmpl);
    free(t->metric);
    free(t);
}

int lm_task_set_template(lm_task *t, const char *tmpl, lm_error *err) {
    lm_template parsed;
    if (lm_template_parse(tmpl, &parsed, err) < 0) return -1;
    int n_sent = parsed.n_sentences, n_lab = parsed.n_labels;
    lm_template_free(&parsed);
    if (t->n_sentences > 0 && n_sent > t->n_sentences)
        return lm_fail(err, "template '%s' uses sentence %d, but task %s has %d sentence%s",
                       tmpl, n_sent - 1, t->name, t->n_sentences,
                       t->n_sentences == 1 ? "" : "s");
    if (n_sent > 2)
        return lm_fail(err, "template '%s' uses sentence %d; examples have at most 2 "
                       "(text_a, text_b)", tmpl, n_sent - 1);
    if (n_lab > t->n_labels)
        return lm_fail(err, "template '%s' uses label_%d, but task %s has %d labels",
                       tmpl, n_lab - 1, t->name, t->n_labels);
    free(t->tmpl);
    t->tmpl = lm_xstrdup(tmpl);
    return 0;
}

int lm_task_set_label_words(lm_task *t, const char *const *words, int n, lm_error *err) {
    if (n != t->n_labels)
        return lm_fail(err, "%d label words for task %s, which has %d labels", n, t->name,
                       t->n_labels);
    for (int i = 0; i < n; i++)
        if (!words[i] || !words[i][0])
            return lm_fail(err, "label word %d (label '%s') is empty", i, t->labels[i]);
    lm_strv_free(t->label_words, t->n_labels);
    t->label_words = strv_dup(words, n);
    return 0;
}

char **lm_split_list(const char *s, int *n) {
    int count = 1;
    for (const char *c = s; *c; c++) count += *c == ',';
    char **v = lm_xcalloc((size_t)count, sizeof(char *));
    const char *start = s;
    for (int i = 0; i < count; i++) {
        const char *end = strchr(start, ',');
        if (!end) end = start + strlen(start);
        v[i] = lm_xstrndup(start, (size_t)(end - start));
        start = end + 1;
    }
    *n = count;
    return v;
}

/* A quoted ('...' or "...", backslash escapes the next char) or bare token
 * of a mapping string; returns the position after it or NULL. */
static const char *map_token(const char *p, char **out) {
    while (*p == ' ') p++;
    if (*p == '\'' || *p == '"') {
        char q = *p++;
        size_t cap = strlen(p) + 1, n = 0;
        char *s = lm_xmalloc(cap);
        while (*p && *p != q) {
            if (*p == '\\' && p[1]) p++;
            s[n++] = *p++;
        }
        if (*p != q) { free(s); return NULL; }
        s[n] = '\0';
        *out = s;
        return p + 1;
    }
    const char *start = p;
    while (*p && *p != ':' && *p != ',' && *p != '}' && *p != ' ') p++;
    if (p == start) return NULL;
    *out = lm_xstrndup(start, (size_t)(p - start));
    return p;
}

/* LM-BFF's --mapping: "{'0':'terrible','1':'great'}". */
static int parse_mapping(lm_task *t, const char *spec, lm_error *err) {
    char **keys = lm_xcalloc((size_t)t->n_labels + 1, sizeof(char *));
    char **vals = lm_xcalloc((size_t)t->n_labels + 1, sizeof(char *));
    int n = 0, rc = -1;
    const char *p = spec + 1;
    for (;;) {
        while (*p == ' ') p++;
        if (*p == '}') break;
        if (n > t->n_labels) { lm_fail(err, "label words '%s': more entries than the %d labels", spec, t->n_labels); goto done; }
        p = map_token(p, &keys[n]);
        if (!p) { lm_fail(err, "label words '%s': bad key in entry %d", spec, n + 1); goto done; }
        while (*p == ' ') p++;
        if (*p++ != ':') { n++; lm_fail(err, "label words '%s': expected ':' after key '%s'", spec, keys[n - 1]); goto done; }
        p = map_token(p, &vals[n]);
        n++;
        if (!p) { lm_fail(err, "label words '%s': bad word for key '%s'", spec, keys[n - 1]); goto done; }
        while (*p == ' ') p++;
        if (*p == ',') p++;
        else if (*p != '}') { lm_fail(err, "label words '%s': expected ',' or '}'", spec); goto done; }
    }
    const char **words = lm_xcalloc((size_t)t->n_labels, sizeof(char *));
    for (int i = 0; i < t->n_labels; i++) {
        for (int k = 0; k < n; k++)
            if (strcmp(keys[k], t->labels[i]) == 0) words[i] = vals[k];
        if (!words[i]) {
            free(words);
            lm_fail(err, "label words '%s': no word for label '%s'", spec, t->labels[i]);
            goto done;
        }
    }
    for (int k = 0; k < n; k++) {
        int known = 0;
        for (int i = 0; i < t->n_labels; i++) known |= strcmp(keys[k], t->labels[i]) == 0;
        if (!known) {
            free(words);
            lm_fail(err, "label words '%s': '%s' is not a label of task %s", spec, keys[k], t->name);
            goto done;
        }
    }
    rc = lm_task_set_label_words(t, words, t->n_labels, err);
    free(words);
done:
    lm_strv_free(keys, t->n_labels + 1);
    lm_strv_free(vals, t->n_labels + 1);
    return rc;
}

int lm_task_parse_label_words(lm_task *t, const char *spec, lm_error *err) {
    while (*spec == ' ') spec++;
    if (*spec == '{') return parse_mapping(t, spec, err);
    int n;
    char **v = lm_split_list(spec, &n);
    int rc = lm_task_set_label_words(t, (const char *const *)v, n, err);
    lm_strv_free(v, n);
    return rc;
}

lm_task *lm_task_custom(const char *name, const char *const *labels, int n_labels,
                        const char *const *label_words, const char *tmpl, int max_len,
                        lm_error *err) {
    if (!name || !*name) name = "custom";
    if (n_labels < 1) { lm_fail(err, "task %s: no labels", name); return NULL; }
    lm_task *t = lm_xcalloc(1, sizeof *t);
    t->name = lm_xstrdup(name);
    t->format = LM_TASK_CUSTOM;
    t->n_sentences = 0;
    t->n_labels = n_labels;
    t->labels = lm_xcalloc((size_t)n_labels, sizeof(char *));
    for (int i = 0; i < n_labels; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d", i);
        t->labels[i] = lm_xstrdup(labels ? labels[i] : num);
    }
    t->max_len = max_len > 0 ? max_len : LM_TASK_CUSTOM_MAX_LEN;
    t->first_sent_limit = t->other_sent_limit = -1;
    t->metric = lm_xstrdup("acc");
    t->col_a = 0;
    t->col_b = -1;
    t->col_label = -1;
    for (int i = 0; i < n_labels; i++) {
        if (!t->labels[i][0]) { lm_fail(err, "task %s: label %d is empty", name, i); goto fail; }
        for (int k = 0; k < i; k++)
            if (strcmp(t->labels[k], t->labels[i]) == 0) {
                lm_fail(err, "task %s: label '%s' is listed twice", name, t->labels[i]);
                goto fail;
            }
    }
    if (label_words && lm_task_set_label_words(t, label_words, n_labels, err) < 0) goto fail;
    if (tmpl && lm_task_set_template(t, tmpl, err) < 0) goto fail;
    return t;
fail:
    lm_task_free(t);
    return NULL;
}

static const char *tok_str(const lm_tokenizer *tok, int32_t id) {
    const char *s = lm_id_to_token(tok, id);
    return s ? s : "?";
}

int lm_task_label_word_ids(const lm_task *t, const lm_tokenizer *tok, int32_t *ids,
                           lm_error *err) {
    if (!t->label_words)
        return lm_fail(err, "task %s has no label words (give them for prompt-based inputs)",
                       t->name);
    for (int i = 0; i < t->n_labels; i++) {
        const char *w = t->label_words[i];
        if (strchr("<[.,", w[0])) {
            /* taken as a vocabulary token as written (spec §2.2) */
            ids[i] = lm_token_to_id(tok, w);
            if (ids[i] < 0)
                return lm_fail(err, "label word '%s' (label '%s'): not a vocabulary token",
                               w, t->labels[i]);
            continue;
        }
        size_t len = strlen(w);
        char *spaced = lm_xmalloc(len + 2);
        spaced[0] = ' ';
        memcpy(spaced + 1, w, len + 1);
        int32_t *enc = NULL;
        size_t n = 0, cap = 0;
        int rc = lm_tokenize(tok, spaced, len + 1, &enc, &n, &cap, err);
        free(spaced);
        if (rc < 0) {
            free(enc);
            return lm_fail_prefix(err, "label word '%s' (label '%s')", w, t->labels[i]);
        }
        if (n != 1) {
            char pieces[256] = "";
            for (size_t k = 0; k < n && k < 8; k++) {
                if (k) strncat(pieces, " ", sizeof pieces - strlen(pieces) - 1);
                strncat(pieces, tok_str(tok, enc[k]), sizeof pieces - strlen(pieces) - 1);
            }
            free(enc);
            return lm_fail(err, "label word '%s' (label '%s'): ' %s' is %zu tokens (%s), "
                           "not one; a label word must be a single token", w, t->labels[i],
                           w, n, pieces);
        }
        ids[i] = enc[0];
        free(enc);
    }
    return 0;
}
