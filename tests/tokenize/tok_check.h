/* tok_check.h - helpers shared by the tokenizer tests. */
#ifndef LM_TESTS_TOKENIZE_TOK_CHECK_H
#define LM_TESTS_TOKENIZE_TOK_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tokenize/tokenizer.h"
#include "util/file.h"

/* Decodes a hex string into a new buffer (*len bytes, NUL-terminated). */
static inline char *tc_unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex) / 2;
    char *out = lm_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (char)v;
    }
    out[n] = '\0';
    *len = n;
    return out;
}

/* The ids of a JSON array of numbers (count in *n). */
static inline int32_t *tc_json_ids(const cJSON *arr, size_t *n) {
    *n = (size_t)cJSON_GetArraySize(arr);
    int32_t *ids = lm_xmalloc((*n + 1) * sizeof *ids);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) ids[i++] = (int32_t)it->valuedouble;
    return ids;
}

static inline void tc_print_ids(FILE *f, const char *label, const int32_t *ids, size_t n) {
    fprintf(f, "  %s (%zu):", label, n);
    for (size_t i = 0; i < n && i < 40; i++) fprintf(f, " %d", ids[i]);
    if (n > 40) fprintf(f, " ...");
    fputc('\n', f);
}

static inline int tc_same(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* Tokenizes text into a fresh array; returns -1 on error. */
static inline int tc_tokenize(const lm_tokenizer *t, const char *s, size_t len, int32_t **ids,
                              size_t *n, lm_error *err) {
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    return lm_tokenize(t, s, len, ids, n, &cap, err);
}

static inline cJSON *tc_load_json(const char *path) {
    size_t len;
    lm_error err;
    char *buf = lm_read_file(path, &len, &err);
    if (!buf) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!j) fprintf(stderr, "%s: bad JSON\n", path);
    return j;
}

/* Writes a file (for error-path tests in a temporary folder). */
static inline void tc_write(const char *dir, const char *name, const char *text) {
    char *p = lm_path_join(dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(p);
}

static inline void tc_remove(const char *dir, const char *name) {
    char *p = lm_path_join(dir, name);
    remove(p);
    free(p);
}

#endif
