/* template.c - parsing LM-BFF templates and encoding examples through them.
 * The part rules follow LM-BFF's tokenize_multipart_input branch by branch;
 * where the reference would crash (an unknown sent form, a bad index) or
 * silently insert <unk> (a single character that is not a vocabulary
 * token), this code fails with a message instead. */
#include "prompt/template.h"

#include <stdlib.h>
#include <string.h>
#include "prompt/casemap.h"
#include "util/utf8.h"

/* The sentence forms in the order the reference tests them. */
static const struct { const char *prefix; int flags; } sent_forms[] = {
    {"sent_", 0},
    {"+sent_", LM_SENT_SPACE},
    {"sent-_", LM_SENT_CHOP},
    {"sentl_", LM_SENT_LOWER},
    {"+sentl_", LM_SENT_LOWER | LM_SENT_SPACE},
    {"sentl-_", LM_SENT_LOWER | LM_SENT_CHOP},
    {"sentu_", LM_SENT_UPPER},
    {"+sentu_", LM_SENT_UPPER | LM_SENT_SPACE},
};

static int starts(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A non-negative decimal index; -1 if s is not one. */
static int parse_index(const char *s) {
    if (!*s) return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
        if (v > 1000000) return -1;
    }
    return (int)v;
}

static int parse_part(const char *src, lm_template_part *p, lm_error *err) {
    memset(p, 0, sizeof *p);
    p->src = lm_xstrdup(src);
    if (strcmp(src, "cls") == 0) { p->kind = LM_PART_CLS; return 0; }
    if (strcmp(src, "mask") == 0) { p->kind = LM_PART_MASK; return 0; }
    if (strcmp(src, "sep") == 0) { p->kind = LM_PART_SEP; return 0; }
    if (strcmp(src, "sep+") == 0) { p->kind = LM_PART_SEP_PLUS; return 0; }
    if (starts(src, "label_")) {
        p->kind = LM_PART_LABEL;
        p->index = parse_index(src + 6);
        if (p->index < 0)
            return lm_fail(err, "template part '%s': expected label_<number>", src);
        return 0;
    }
    if (starts(src, "labelx_"))
        return lm_fail(err, "template part '%s': labelx_ needs demonstrations, "
                       "which lmntk does not use", src);
    for (size_t i = 0; i < sizeof sent_forms / sizeof sent_forms[0]; i++) {
        if (!starts(src, sent_forms[i].prefix)) continue;
        p->kind = LM_PART_SENT;
        p->flags = sent_forms[i].flags;
        p->index = parse_index(src + strlen(sent_forms[i].prefix));
        if (p->index < 0)
            return lm_fail(err, "template part '%s': expected %s<sentence number>",
                           src, sent_forms[i].prefix);
        return 0;
    }
    p->kind = LM_PART_TEXT;
    p->text = lm_xstrdup(src);
    for (char *c = p->text; *c; c++)
        if (*c == '_') *c = ' ';
    /* The reference treats any part whose characters 0-3 or 1-4 read "sent"
     * as a sentence and crashes on it; here that is a typo to report. */
    uint32_t cp;
    size_t first = *p->text ? (size_t)lm_utf8_decode(p->text, strlen(p->text), &cp) : 0;
    if (starts(p->text, "sent") || (*p->text && starts(p->text + first, "sent")))
        return lm_fail(err, "template part '%s': not a sentence part (sent_i +sent_i "
                       "sent-_i sentl_i +sentl_i sentl-_i sentu_i +sentu_i), and "
                       "literal text may not start with 'sent' or '?sent'", src);
    return 0;
}

int lm_template_parse(const char *tmpl, lm_template *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    out->mask_id = -1;
    if (!tmpl) return lm_fail(err, "no template");
    size_t len = strlen(tmpl), bad = lm_utf8_invalid_at(tmpl, len);
    if (bad < len) return lm_fail(err, "template: invalid UTF-8 at byte %zu", bad);
    int n = 1;
    for (const char *c = tmpl; *c; c++) n += *c == '*';
    out->parts = lm_xcalloc((size_t)n, sizeof *out->parts);
    const char *start = tmpl;
    for (int i = 0; i < n; i++) {
        const char *end = strchr(start, '*');
        if (!end) end = start + strlen(start);
        char *src = lm_xstrndup(start, (size_t)(end - start));
        int rc = parse_part(src, &out->parts[i], err);
        free(src);
        out->n = i + 1;
        if (rc < 0) {
            lm_fail_prefix(err, "template '%s'", tmpl);
            lm_template_free(out);
            return -1;
        }
        lm_template_part *p = &out->parts[i];
        if (p->kind == LM_PART_SENT && p->index + 1 > out->n_sentences) out->n_sentences = p->index + 1;
        if (p->kind == LM_PART_LABEL && p->index + 1 > out->n_labels) out->n_labels = p->index + 1;
        start = end + 1;
    }
    return 0;
}

void lm_template_free(lm_template *t) {
    if (!t) return;
    for (int i = 0; i < t->n; i++) {
        free(t->parts[i].src);
        free(t->parts[i].text);
        free(t->parts[i].ids);
    }
    free(t->parts);
    memset(t, 0, sizeof *t);
}

static void set_ids(lm_template_part *p, const int32_t *ids, int n) {
    free(p->ids);
    p->ids = lm_xmalloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (n) memcpy(p->ids, ids, (size_t)n * sizeof(int32_t));
    p->n_ids = n;
}

static int special_id(const lm_template_part *p, int32_t id, const char *what, lm_error *err) {
    if (id < 0)
        return lm_fail(err, "template part '%s': the tokenizer has no %s token", p->src, what);
    return 0;
}

static int bind_part(lm_template_part *p, const lm_tokenizer *tok, lm_special_ids sp,
                     const int32_t *label_word_ids, int n_labels, lm_error *err) {
    int32_t id;
    switch (p->kind) {
    case LM_PART_CLS:
        if (special_id(p, sp.cls, "cls", err) < 0) return -1;
        set_ids(p, &sp.cls, 1);
        return 0;
    case LM_PART_MASK:
        if (special_id(p, sp.mask, "mask", err) < 0) return -1;
        set_ids(p, &sp.mask, 1);
        return 0;
    case LM_PART_SEP:
    case LM_PART_SEP_PLUS:
        if (special_id(p, sp.sep, "sep", err) < 0) return -1;
        set_ids(p, &sp.sep, 1);
        return 0;
    case LM_PART_LABEL:
        if (!label_word_ids || p->index >= n_labels)
            return lm_fail(err, "template part '%s': the task has %d label words",
                           p->src, label_word_ids ? n_labels : 0);
        set_ids(p, &label_word_ids[p->index], 1);
        return 0;
    case LM_PART_SENT:
        return 0;
    case LM_PART_TEXT: {
        size_t len = strlen(p->text);
        uint32_t cp;
        if (len == 0) { set_ids(p, NULL, 0); return 0; }
        if ((size_t)lm_utf8_decode(p->text, len, &cp) == len) {
            /* one character: the bare vocabulary token (convert_tokens_to_ids) */
            id = lm_token_to_id(tok, p->text);
            if (id < 0)
                return lm_fail(err, "template part '%s': the single character '%s' is not "
                               "a vocabulary token (the reference would insert <unk>)%s",
                               p->src, p->text,
                               strcmp(p->text, " ") == 0 ? "; write the space into a longer "
                               "part, e.g. '_It_was'" : "");
            set_ids(p, &id, 1);
            return 0;
        }
        int32_t *ids = NULL;
        size_t n = 0, cap = 0;
        if (lm_tokenize(tok, p->text, len, &ids, &n, &cap, err) < 0) {
            free(ids);
            return lm_fail_prefix(err, "template part '%s'", p->src);
        }
        set_ids(p, ids, (int)n);
        free(ids);
        return 0;
    }
    }
    return lm_fail(err, "template part '%s': unknown kind", p->src);
}

int lm_template_bind(lm_template *t, const lm_tokenizer *tok,
                     const int32_t *label_word_ids, int n_labels, lm_error *err) {
    lm_special_ids sp = lm_tokenizer_special(tok);
    int has_mask = 0;
    for (int i = 0; i < t->n; i++) {
        lm_template_part *p = &t->parts[i];
        if (bind_part(p, tok, sp, label_word_ids, n_labels, err) < 0) return -1;
        for (int k = 0; k < p->n_ids; k++) has_mask |= p->ids[k] == sp.mask;
    }
    if (!has_mask || sp.mask < 0)
        return lm_fail(err, "template has no *mask* part: prompt-based inputs need one");
    t->tok = tok;
    t->mask_id = sp.mask;
    t->segments = lm_tokenizer_get_kind(tok) == LM_TOK_WORDPIECE;
    return 0;
}

/* A growing token sequence with its segment ids. */
typedef struct seq {
    int32_t *ids, *types;
    size_t n, cap, tcap;
} seq;

static void seq_types(seq *s, size_t from, int32_t seg) {
    if (s->tcap < s->n) {
        s->tcap = s->cap > s->n ? s->cap : s->n;
        s->types = lm_xrealloc(s->types, s->tcap * sizeof(int32_t));
    }
    for (size_t i = from; i < s->n; i++) s->types[i] = seg;
}

static void seq_push(seq *s, const int32_t *ids, size_t n) {
    if (n == 0) return; /* s->ids may still be NULL: no pointer arithmetic on it */
    if (s->n + n > s->cap) {
        while (s->n + n > s->cap) s->cap = s->cap ? 2 * s->cap : 64;
        s->ids = lm_xrealloc(s->ids, s->cap * sizeof(int32_t));
    }
    memcpy(s->ids + s->n, ids, n * sizeof(int32_t));
    s->n += n;
}

/* Tail truncation, then hands the arrays to out. */
static void seq_finish(seq *s, int max_len, int segments, lm_encoded_example *out) {
    if (max_len > 0 && s->n > (size_t)max_len) s->n = (size_t)max_len;
    if (!segments || !s->types) seq_types(s, 0, 0);
    out->ids = s->ids ? s->ids : lm_xmalloc(sizeof(int32_t));
    out->type_ids = s->types ? s->types : lm_xmalloc(sizeof(int32_t));
    out->n_tokens = (int)s->n;
    out->mask_pos = -1;
}

/* The text of a sent part: texts[i] with the part's edits. */
static char *edit_text(const char *s, int flags, size_t *out_len) {
    size_t len = strlen(s);
    char *buf = lm_xmalloc(len + 4 * LM_CASE_MAX + 2);
    size_t o = 1; /* buf[0] is kept for the space */
    size_t i = 0;
    if ((flags & (LM_SENT_LOWER | LM_SENT_UPPER)) && len > 0) {
        uint32_t cp, mapped[LM_CASE_MAX];
        i = (size_t)lm_utf8_decode(s, len, &cp);
        int m = flags & LM_SENT_LOWER ? lm_case_lower(cp, mapped) : lm_case_upper(cp, mapped);
        for (int k = 0; k < m; k++) o += (size_t)lm_utf8_encode(mapped[k], buf + o);
    }
    memcpy(buf + o, s + i, len - i);
    o += len - i;
    if (flags & LM_SENT_CHOP) o -= lm_utf8_last_len(buf + 1, o - 1);
    buf[o] = '\0';
    size_t start = 1;
    if (flags & LM_SENT_SPACE) { buf[0] = ' '; start = 0; }
    *out_len = o - start;
    if (start) memmove(buf, buf + 1, o);
    return buf;
}

int lm_template_encode(const lm_template *t, const char *const *texts, int n_texts,
                       const lm_encode_limits *lim, lm_encoded_example *out,
                       lm_error *err) {
    if (!t->tok) return lm_fail(err, "template is not bound to a tokenizer");
    seq s = {0};
    int32_t seg = 0;
    for (int i = 0; i < t->n; i++) {
        const lm_template_part *p = &t->parts[i];
        size_t start = s.n;
        if (p->kind != LM_PART_SENT) {
            seq_push(&s, p->ids, (size_t)p->n_ids);
        } else {
            if (p->index >= n_texts) {
                lm_fail(err, "template part '%s': the example has %d sentence%s",
                        p->src, n_texts, n_texts == 1 ? "" : "s");
                goto fail;
            }
            size_t len;
            char *text = edit_text(texts[p->index], p->flags, &len);
            int rc = lm_tokenize(t->tok, text, len, &s.ids, &s.n, &s.cap, err);
            free(text);
            if (rc < 0) {
                lm_fail_prefix(err, "sentence %d", p->index);
                goto fail;
            }
            int limit = p->index == 0 ? lim->first_sent_limit : lim->other_sent_limit;
            if (limit >= 0 && s.n - start > (size_t)limit) s.n = start + (size_t)limit;
        }
        if (t->segments) seq_types(&s, start, seg);
        if (p->kind == LM_PART_SEP_PLUS) seg++;
    }
    seq_finish(&s, lim->max_len, t->segments, out);
    for (int i = 0; i < out->n_tokens; i++)
        if (out->ids[i] == t->mask_id) { out->mask_pos = i; break; }
    if (out->mask_pos < 0) {
        free(out->ids);
        free(out->type_ids);
        out->ids = out->type_ids = NULL;
        return lm_fail(err, "the mask token is cut off: the sequence is longer than "
                       "max_len %d before the mask (set sentence limits or a larger "
                       "max_len)", lim->max_len);
    }
    return 0;
fail:
    free(s.ids);
    free(s.types);
    return -1;
}

int lm_encode_no_prompt(const lm_tokenizer *tok, const char *const *texts, int n_texts,
                        int max_len, lm_encoded_example *out, lm_error *err) {
    lm_special_ids sp = lm_tokenizer_special(tok);
    if (sp.cls < 0 || sp.sep < 0)
        return lm_fail(err, "the tokenizer has no cls/sep tokens for the no-prompt input");
    int segments = lm_tokenizer_get_kind(tok) == LM_TOK_WORDPIECE;
    seq s = {0};
    seq_push(&s, &sp.cls, 1);
    if (segments) seq_types(&s, 0, 0);
    for (int k = 0; k < n_texts; k++) {
        size_t start = s.n;
        if (lm_tokenize(tok, texts[k], strlen(texts[k]), &s.ids, &s.n, &s.cap, err) < 0) {
            free(s.ids);
            free(s.types);
            return lm_fail_prefix(err, "sentence %d", k);
        }
        seq_push(&s, &sp.sep, 1);
        if (segments) seq_types(&s, start, k);
    }
    seq_finish(&s, max_len, segments, out);
    return 0;
}
