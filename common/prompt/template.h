/* template.h - LM-BFF prompt templates (spec §2.3, LM-BFF dataset.py's
 * tokenize_multipart_input) turned into token ids.
 *
 * A template is split on '*' into parts, each giving tokens in order:
 *   cls mask sep sep+   the tokenizer's <s> <mask> </s> </s> ([CLS] [MASK]
 *                       [SEP] [SEP] for WordPiece); sep+ also starts a new
 *                       segment (BERT token type ids)
 *   sent_i              enc(text_i)              (no space added)
 *   +sent_i             enc(' ' + text_i)
 *   sent-_i             enc(text_i[:-1])         (drops the last character)
 *   sentl_i, +sentl_i   first character lower-cased, then as sent_i/+sent_i
 *   sentl-_i            lower-cased first character, last character dropped
 *   sentu_i, +sentu_i   first character upper-cased
 *   label_i             the id of label word i
 *   anything else       literal text, '_' read as ' '; a single character is
 *                       the bare vocabulary token of that character (no
 *                       'Ġ'), longer text is enc(text); '' (from "**") is
 *                       nothing
 * "Character" is a Unicode code point, as in Python.  The tokens of a sent
 * part are cut to first_sent_limit (sentence 0) or other_sent_limit (other
 * sentences); the whole sequence is cut to max_len from the tail; the mask
 * position is the first mask token of what remains. */
#ifndef LM_PROMPT_TEMPLATE_H
#define LM_PROMPT_TEMPLATE_H

#include <stdint.h>
#include "prompt/encoded.h"
#include "tokenize/tokenizer.h"
#include "util/error.h"

typedef enum {
    LM_PART_CLS = 1, LM_PART_MASK, LM_PART_SEP, LM_PART_SEP_PLUS,
    LM_PART_SENT, LM_PART_LABEL, LM_PART_TEXT
} lm_part_kind;

/* Edits of a sent part, applied in this order: case of the first character,
 * drop the last character, prepend a space. */
enum { LM_SENT_LOWER = 1, LM_SENT_UPPER = 2, LM_SENT_CHOP = 4, LM_SENT_SPACE = 8 };

typedef struct lm_template_part {
    lm_part_kind kind;
    int index;        /* SENT: sentence; LABEL: label */
    int flags;        /* SENT: LM_SENT_* */
    char *src;        /* the part as written (for messages) */
    char *text;       /* TEXT: the literal with '_' as ' ' */
    int32_t *ids;     /* fixed parts, after lm_template_bind */
    int n_ids;
} lm_template_part;

typedef struct lm_template {
    int n;
    lm_template_part *parts;
    int n_sentences;  /* 1 + the highest sentence index used; 0 if none */
    int n_labels;     /* 1 + the highest label index used; 0 if none */
    const lm_tokenizer *tok; /* set by lm_template_bind */
    int32_t mask_id;
    int segments;     /* emit BERT segment ids (WordPiece tokenizers) */
} lm_template;

typedef struct lm_encode_limits {
    int max_len;           /* whole sequence, tail-truncated; > 0 */
    int first_sent_limit;  /* tokens kept of a sentence-0 part; -1: no limit */
    int other_sent_limit;  /* tokens kept of other sentence parts; -1: none */
} lm_encode_limits;

/* Parses a template.  An error names the offending part. */
int lm_template_parse(const char *tmpl, lm_template *out, lm_error *err);

/* Resolves the fixed parts against a tokenizer: special tokens, literal
 * text, and label_i from label_word_ids[n_labels] (may be NULL when the
 * template has no label part).  Fails, naming the part, if a special token
 * is missing from the vocabulary, a single character is not a vocabulary
 * token, or no part can produce a mask token. */
int lm_template_bind(lm_template *t, const lm_tokenizer *tok,
                     const int32_t *label_word_ids, int n_labels, lm_error *err);

/* Encodes one example (texts[n_texts], UTF-8) through a bound template.
 * out's arrays are new allocations (free them, or lm_encoded_split_free);
 * out->label is left to the caller. */
int lm_template_encode(const lm_template *t, const char *const *texts, int n_texts,
                       const lm_encode_limits *lim, lm_encoded_example *out,
                       lm_error *err);

/* The no-prompt ([CLS] head) input of spec §2.4: <s> enc(S0) </s> and for
 * pairs <s> enc(S0) </s> enc(S1) </s> (one </s> between them; S1 with no
 * leading space), tail-truncated to max_len, no sentence limits, mask_pos
 * -1.  Segment ids (WordPiece only) are the sentence index. */
int lm_encode_no_prompt(const lm_tokenizer *tok, const char *const *texts, int n_texts,
                        int max_len, lm_encoded_example *out, lm_error *err);

void lm_template_free(lm_template *t);

#endif
