/* data_strings.h - the distinct text strings of the task data (shared/data),
 * read exactly as tests/fixtures/tokenize/make_fixtures.py's data_strings()
 * reads them: k-shot and k-shot-1k-test, every task, k, seed and split (the
 * .tsv text columns of spec section 1.2; every non-label .csv column), plus
 * original/ag_news/test.csv; deduplicated, in the order met. */
#ifndef LM_TESTS_TOKENIZE_DATA_STRINGS_H
#define LM_TESTS_TOKENIZE_DATA_STRINGS_H

#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

typedef struct tok_strings {
    char **s;          /* NUL-terminated (strings hold no NUL in this data) */
    size_t *len;
    size_t n, cap;
    size_t files, fields;   /* files read, text fields met (before dedup) */
} tok_strings;

int tok_data_strings(const char *shared_dir, tok_strings *out, lm_error *err);
void tok_strings_free(tok_strings *l);

/* FNV-1a 64 of bytes (the fixtures' hash; FNV32 is its low 32 bits). */
uint64_t tok_fnv1a64(const void *p, size_t n);

#endif
