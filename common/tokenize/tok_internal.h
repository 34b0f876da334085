/* tok_internal.h - the tokenizer struct and what its parts share.
 * Private to common/tokenize/. */
#ifndef LM_TOKENIZE_TOK_INTERNAL_H
#define LM_TOKENIZE_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "tokenize/strmap.h"
#include "tokenize/tokenizer.h"

/* id <-> token string.  For BPE the map also holds merge products that
 * are not vocabulary entries (ids >= size), so that merging works on ids. */
typedef struct lm_vocab {
    lm_strmap map;
    uint32_t *tok_off;   /* id -> pool offset of its string; UINT32_MAX: hole */
    int32_t size;        /* max vocabulary id + 1 */
    int32_t nsym, capsym;
} lm_vocab;

/* Ids index arrays, so a file may not claim ids beyond this (2^24). */
#define LM_VOCAB_MAX_ID 16777215

void lm_vocab_init(lm_vocab *v);
void lm_vocab_free(lm_vocab *v);
/* Adds token -> id (a later id for the same string wins, as a Python dict). */
void lm_vocab_add(lm_vocab *v, const char *s, size_t len, int32_t id);
/* Adds every entry of tokenizer.json's model.vocab object (token -> id);
 * an id that is not an integer in [0, LM_VOCAB_MAX_ID] is an error naming
 * the token. */
int lm_vocab_add_json(lm_vocab *v, const cJSON *vocab, const char *path, lm_error *err);
/* After the vocabulary is read: fixes size; extra symbols start there. */
void lm_vocab_seal(lm_vocab *v);
/* The symbol of s, adding an extra (non-vocabulary) one if absent. */
int32_t lm_vocab_symbol(lm_vocab *v, const char *s, size_t len);
static inline const char *lm_vocab_str(const lm_vocab *v, int32_t id) {
    if (id < 0 || id >= v->nsym || v->tok_off[id] == UINT32_MAX) return NULL;
    return lm_strmap_key(&v->map, v->tok_off[id]);
}

/* A token split out of the text before pre-tokenization (HF added tokens). */
typedef struct lm_added_token {
    char *s;
    size_t len;
    int32_t id;
    uint8_t lstrip, rstrip;    /* absorbs whitespace on its left / right */
} lm_added_token;

struct lm_tokenizer {
    lm_tokenizer_kind kind;
    lm_special_ids special;
    lm_vocab vocab;
    lm_added_token *added;
    int nadded;
    uint8_t added_first[256];  /* bytes that start some added token */

    /* BPE */
    lm_pairmap merges;
    int32_t byte_sym[256];     /* symbol of each byte (bytes_to_unicode) */

    /* WordPiece */
    int lower, strip_accents, chinese_chars;
    int max_word_chars;
    size_t max_token_bytes;    /* longest vocabulary entry, bounds the search */
    char prefix[16];           /* continuing-subword prefix, "##" */
    size_t prefix_len;
};

/* Output id list (the caller's realloc'd array). */
typedef struct lm_idbuf {
    int32_t **ids;
    size_t *n, *cap;
} lm_idbuf;

static inline void lm_idbuf_push(lm_idbuf *b, int32_t id) {
    if (*b->n == *b->cap) {
        *b->cap = *b->cap ? *b->cap * 2 : 64;
        *b->ids = lm_xrealloc(*b->ids, *b->cap * sizeof **b->ids);
    }
    (*b->ids)[(*b->n)++] = id;
}

void lm_tok_add_special(lm_tokenizer *t, const char *s, int lstrip, int rstrip);
/* Adds an added token by id (tokenizer.json), registering it in the vocabulary. */
void lm_tok_add_added(lm_tokenizer *t, const char *s, int32_t id, int lstrip, int rstrip);
/* Line number (1-based) of byte offset off in buf. */
int lm_line_of(const char *buf, size_t off);
/* Parses a JSON file with cJSON; errors name the file and line. */
cJSON *lm_json_load(const char *path, lm_error *err);

/* bpe.c */
int lm_bpe_load_files(lm_tokenizer *t, const char *vocab_path, const char *merges_path,
                      lm_error *err);
int lm_bpe_load_json(lm_tokenizer *t, const cJSON *root, const char *path, lm_error *err);
void lm_bpe_encode(const lm_tokenizer *t, const char *s, size_t len, lm_idbuf *out);
char *lm_bpe_decode(const lm_tokenizer *t, const int32_t *ids, size_t n);

/* bpe_merge.c: BPE of one pre-token of n bytes; appends its ids. */
void lm_bpe_merge(const lm_tokenizer *t, const unsigned char *w, size_t n, lm_idbuf *out);

/* gpt2_split.c: end of the pre-token that starts at p (the GPT-2 regex). */
size_t lm_gpt2_piece_end(const char *s, size_t n, size_t p);

/* vocab_json.c: reads a flat {"token": id, ...} object. */
int lm_vocab_json_parse(const char *path, const char *buf, size_t len, lm_vocab *v,
                        lm_error *err);

/* wordpiece.c */
int lm_wordpiece_load_txt(lm_tokenizer *t, const char *dir, const char *vocab_path,
                          lm_error *err);
int lm_wordpiece_load_json(lm_tokenizer *t, const cJSON *root, const char *path,
                           lm_error *err);
void lm_wordpiece_encode(const lm_tokenizer *t, const char *s, size_t len, lm_idbuf *out);
char *lm_wordpiece_decode(const lm_tokenizer *t, const int32_t *ids, size_t n);

/* bert_basic.c: BERT's BasicTokenizer.  Calls emit(word, len, ctx) for each
 * word (lower-cased / accent-stripped / punctuation-split as configured). */
typedef void (*lm_word_fn)(const char *word, size_t len, void *ctx);
void lm_bert_basic(const char *s, size_t len, int lower, int strip_accents,
                   int chinese_chars, lm_word_fn emit, void *ctx);

#endif
