/* rows.h - a delimited text file as rows of fields, read the way the
 * reference code reads it:
 *   - lm_rows_read_tsv: Python's csv.reader(open(path, encoding='utf-8-sig'),
 *     delimiter='\t', quotechar=None) (transformers' DataProcessor._read_tsv):
 *     no quoting at all, universal newlines, an empty line is a row of zero
 *     fields;
 *   - lm_rows_read_csv: pandas.read_csv(path, header=None)'s tokenizer:
 *     RFC-4180 quoting ("" inside quotes is a quote, quoted fields may hold
 *     newlines), blank and whitespace-only lines skipped, rows padded with
 *     empty fields to the first row's width, a wider row an error.
 * Both skip a UTF-8 byte-order mark, and refuse invalid UTF-8 and NUL bytes
 * with the line and field. */
#ifndef LM_PROMPT_ROWS_H
#define LM_PROMPT_ROWS_H

#include <stddef.h>
#include "util/error.h"

typedef struct lm_rows {
    int n;          /* rows */
    int *line;      /* [n] 1-based line on which each row starts */
    int *first;     /* [n+1] row i is field[first[i] .. first[i+1]) */
    char **field;   /* NUL-terminated fields, pointing into buf */
    char *buf;
} lm_rows;

int lm_rows_read_tsv(const char *path, lm_rows *out, lm_error *err);
int lm_rows_read_csv(const char *path, lm_rows *out, lm_error *err);
void lm_rows_free(lm_rows *r);

static inline int lm_rows_width(const lm_rows *r, int i) {
    return r->first[i + 1] - r->first[i];
}
/* Field j of row i, NULL if the row is shorter. */
static inline const char *lm_rows_get(const lm_rows *r, int i, int j) {
    return j >= 0 && j < lm_rows_width(r, i) ? r->field[r->first[i] + j] : NULL;
}

/* Building rows (used by the readers). */
typedef struct lm_rows_builder {
    lm_rows r;
    const char *path;
    size_t len, cap;        /* buf */
    size_t *off;            /* field offsets into buf until finish */
    int nf, fcap;           /* fields */
    int rcap;               /* rows */
    size_t field_start;     /* offset of the open field */
} lm_rows_builder;

void lm_rows_builder_init(lm_rows_builder *b, const char *path);
void lm_rows_begin_row(lm_rows_builder *b, int line);
void lm_rows_push(lm_rows_builder *b, const char *s, size_t n);
/* Closes the open field; checks it is UTF-8 without NUL bytes. */
int lm_rows_end_field(lm_rows_builder *b, lm_error *err);
void lm_rows_end_row(lm_rows_builder *b);
/* Moves the rows into *out; the builder is then spent (nothing to free). */
void lm_rows_finish(lm_rows_builder *b, lm_rows *out);
void lm_rows_builder_free(lm_rows_builder *b);

/* 3 if s starts with the UTF-8 byte-order mark (Python's utf-8-sig and
 * pandas skip it), else 0. */
size_t lm_rows_bom_len(const char *s, size_t len);

#endif
